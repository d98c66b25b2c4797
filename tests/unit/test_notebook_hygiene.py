"""Every stored notebook is safe to publish and fit for nbval strict mode.

No widget state (it would hold the Password widget's value), no password literal in a
cell or an output, every code cell executed (nbval compares only executed cells), one
kernelspec, no machine-specific temporary paths, no stored errors, and every
``nbval-ignore-output`` cell says why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

PASSWORD_LITERALS = [
    re.compile(r"Harbor12345"),
    re.compile(r"Learner12345"),
    re.compile(r"password\s*=\s*['\"]", re.IGNORECASE),
]
TEMP_PATH = re.compile(r"(?<![\w.~])(/tmp/|/var/tmp/|/private/var/folders/|pytest-of-)")
IGNORE_MARKERS = ("nbval-ignore-output", "NBVAL_IGNORE_OUTPUT", "PYTEST_VALIDATE_IGNORE_OUTPUT")
RAISES_TAGS = {"raises-exception", "nbval-raises-exception"}
WIDGET_MIME = re.compile(r"application/vnd\.jupyter\.widget-(view|state)\+json")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def _strings(value: object):
    """Every string inside a JSON value (outputs are nested dicts and lists)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        if value and all(isinstance(item, str) for item in value):
            yield "".join(value)  # a multi-line source or text, split into lines
        else:
            for item in value:
                yield from _strings(item)


def _code_cells(nb: dict) -> list[tuple[int, dict]]:
    return [(i + 1, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def test_the_course_has_its_notebooks():
    names = [p.name for p in PATHS]
    assert names and names[0].startswith("00_"), names
    assert all(re.fullmatch(r"\d{2}_[a-z0-9][a-z0-9-]*\.ipynb", n) for n in names), names


@pytest.fixture(params=PATHS, ids=[p.name for p in PATHS])
def notebook(request) -> tuple[str, dict]:
    return request.param.name, _load(request.param)


def test_no_widget_state(notebook):
    name, nb = notebook
    assert "widgets" not in nb.get("metadata", {}), f"{name} stores widget state"
    for number, cell in _code_cells(nb):
        for text in _strings(cell.get("outputs", [])):
            assert not WIDGET_MIME.search(text), f"{name} cell {number} stores a widget view"


def test_no_password_literal(notebook):
    name, nb = notebook
    for number, cell in enumerate(nb["cells"], 1):
        texts = [_text(cell.get("source", ""))]
        texts += list(_strings(cell.get("outputs", [])))
        texts += list(_strings(cell.get("attachments", {})))
        for text in texts:
            for pattern in PASSWORD_LITERALS:
                assert not pattern.search(text), (
                    f"{name} cell {number} contains {pattern.pattern!r}: passwords come from "
                    "REGKIT_PASSWORD or the lab, never from the notebook")


def test_every_code_cell_was_executed(notebook):
    name, nb = notebook
    unrun = [number for number, cell in _code_cells(nb) if cell.get("execution_count") is None]
    assert not unrun, (f"{name}: cells {unrun} have no execution_count, so nbval would not "
                       "check them; refresh with `regkit course run --in-place`")
    counts = [cell["execution_count"] for _, cell in _code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), f"{name} was not run top to bottom"


def test_kernelspec_is_python3(notebook):
    name, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == "python3", name
    assert nb["metadata"]["kernelspec"]["language"] == "python", name


def test_outputs_have_no_temporary_paths(notebook):
    name, nb = notebook
    for number, cell in _code_cells(nb):
        for text in _strings(cell.get("outputs", [])):
            assert not TEMP_PATH.search(text), f"{name} cell {number} shows a temporary path"


def test_no_stored_errors_unless_expected(notebook):
    name, nb = notebook
    for number, cell in _code_cells(nb):
        tags = set(cell.get("metadata", {}).get("tags", []))
        source = _text(cell.get("source", ""))
        expected = tags & RAISES_TAGS or "NBVAL_RAISES_EXCEPTION" in source
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                assert expected, f"{name} cell {number} stores an error: {output.get('ename')}"


def test_ignored_outputs_say_why(notebook):
    name, nb = notebook
    for number, cell in _code_cells(nb):
        tags = cell.get("metadata", {}).get("tags", [])
        source = _text(cell.get("source", ""))
        if not (set(tags) & {"nbval-ignore-output"} or "NBVAL_IGNORE_OUTPUT" in source):
            continue
        reasons = [line for line in source.splitlines()
                   if line.strip().startswith("#")
                   and not any(marker in line for marker in IGNORE_MARKERS)]
        assert reasons, (f"{name} cell {number} ignores its output without a comment "
                         "saying why it cannot be stable")
