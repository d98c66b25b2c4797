"""The views of notebooks 08 to 12 that need nothing running: tables and the compose progress.

Harbor's answers and real builds are exercised by the notebooks themselves, under nbval.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from regkit import compose, course
from regkit.compose import ServiceResult

STACK = Path(__file__).resolve().parents[2] / "notebooks" / "stacks" / "dockercoins.yml"


def test_a_table_aligns_numbers_right_and_text_left():
    table = course.Table("Repos", ("Name", "Artifacts"), [("library/rng", 1), ("a", 12)],
                         numeric=("Artifacts",))
    assert str(table).splitlines() == [
        "Repos",
        "Name         Artifacts",
        "library/rng          1",
        "a                   12",
    ]
    assert len(table) == 2


def test_a_table_escapes_its_html():
    html = course.Table("<b>t</b>", ("Tags",), [("a&b",)])._repr_html_()
    assert "&lt;b&gt;t&lt;/b&gt;" in html and "a&amp;b" in html and "<b>" not in html


def test_an_empty_table_says_so_in_text_and_html():
    table = course.Table("Artifacts", ("Artifact", "Tags"), [])
    assert str(table).endswith("(none)")
    assert "(none)" in table._repr_html_()


def test_the_stack_table_shows_short_digests_and_why_a_service_was_not_pushed():
    digest = "sha256:" + "ab" * 32
    table = course.stack_table([
        ServiceResult("rng", "h:1/p/rng:v0.1", "pushed", digest=digest),
        ServiceResult("redis", "redis", "skipped"),
        ServiceResult("x", "x:latest", "built", reason="push=False"),
    ])
    assert table.rows == [
        ("rng", "h:1/p/rng:v0.1", "sha256:abababababab"),
        ("redis", "redis", "not built: a stock image"),
        ("x", "x:latest", "built, not pushed: push=False"),
    ]


def test_the_compose_progress_is_one_line_per_service_whatever_the_engine_says(capsys):
    project = compose.load(STACK, {"REGISTRY": "127.0.0.1:8080/library", "TAG": "v0.1"})
    report = course._stack_reporter(project)
    report("rng", {"regkit": "build", "image": "x"})
    report("rng", "Step 1/6 : FROM busybox")  # build output: not shown
    report("rng", {"regkit": "push", "image": "x"})
    report("rng", {"status": "Pushed", "id": "0123456789ab"})  # layer status: not shown
    report("rng", {"regkit": "done", "status": "pushed", "digest": "sha256:x"})
    report("redis", {"regkit": "skip", "reason": "no build"})
    report("webui", {"regkit": "build", "image": "x"})
    report("webui", {"regkit": "done", "status": "built", "digest": None})
    assert capsys.readouterr().out.splitlines() == [
        "rng     build … done   push … done",
        "redis   not built: redis is a stock image, pulled where the stack runs",
        "webui   build … done (not pushed)",
    ]


@pytest.mark.parametrize("digest, expected", [(None, "-"), ("sha256:" + "0" * 64, "sha256:" + "0" * 12)])
def test_digests_are_cut_as_harbor_shows_them(digest, expected):
    assert course._short_digest(digest) == expected
