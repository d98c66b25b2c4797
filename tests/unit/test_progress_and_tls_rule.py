"""Folding the Engine's push/pull events into a progress summary; the TLS rule. No I/O."""

from __future__ import annotations

import pytest

from regkit.progress import LayerProgress, PushProgress, fold_push_events
from regkit.tls_rule import secure_rule

DIGEST = "sha256:88020eb7ac404cdc01940848a0bf4965d79adc8ea71f9f023d31efb1ccc2ce6e"

# Recorded from dockerd 20.10 pushing a two-layer busybox image to distribution 2.8.
PUSH = [
    {"status": "The push refers to repository [127.0.0.1:5000/library/busybox]"},
    {"status": "Preparing", "progressDetail": {}, "id": "c5c8770e37ea"},
    {"status": "Preparing", "progressDetail": {}, "id": "c2a838957552"},
    {"status": "Pushing", "progressDetail": {"current": 33792, "total": 1982256},
     "progress": "[>      ]  33.79kB/1.982MB", "id": "c2a838957552"},
    {"status": "Pushing", "progressDetail": {"current": 138752}, "progress": " 138.8kB",
     "id": "c5c8770e37ea"},
    {"status": "Pushed", "progressDetail": {}, "id": "c5c8770e37ea"},
    {"status": "Pushing", "progressDetail": {"current": 1984512, "total": 1982256},
     "progress": "[=======>]  1.985MB", "id": "c2a838957552"},
    {"status": "Pushed", "progressDetail": {}, "id": "c2a838957552"},
    {"status": f"v1: digest: {DIGEST} size: 736"},
    {"progressDetail": {}, "aux": {"Tag": "v1", "Digest": DIGEST, "Size": 736}},
]  # fmt: skip


def test_successful_push_folds_to_digest_and_done_layers() -> None:
    progress = fold_push_events(PUSH)
    assert (progress.tag, progress.digest, progress.size) == ("v1", DIGEST, 736)
    assert [layer.id for layer in progress.layers] == ["c5c8770e37ea", "c2a838957552"]
    assert all(layer.done for layer in progress.layers)
    assert progress.percent == 100.0
    assert progress.finished and progress.error is None


def test_current_beyond_total_is_clamped() -> None:
    progress = fold_push_events(PUSH[:7])
    layer = progress.layers[1]
    assert layer.current == 1984512 and layer.total == 1982256
    assert layer.percent == 100.0
    assert not layer.done


def test_partial_push_reports_progress() -> None:
    progress = fold_push_events(PUSH[:5])
    big = progress.layers[1]
    assert big.percent == pytest.approx(100 * 33792 / 1982256)
    assert progress.layers[0].percent is None  # no total reported
    assert 0 < progress.percent < 100
    assert not progress.finished
    assert "c2a838957552: Pushing    2%" in progress.text()


def test_layer_already_exists_and_mounted_count_as_done() -> None:
    progress = fold_push_events([
        {"status": "Preparing", "progressDetail": {}, "id": "a1"},
        {"status": "Waiting", "progressDetail": {}, "id": "b2"},
        {"status": "Layer already exists", "progressDetail": {}, "id": "a1"},
        {"status": "Mounted from library/other", "progressDetail": {}, "id": "b2"},
    ])  # fmt: skip
    assert [layer.done for layer in progress.layers] == [True, True]
    assert progress.percent == 100.0
    assert progress.digest is None and not progress.finished


def test_error_detail_wins_over_error() -> None:
    progress = fold_push_events(PUSH[:3] + [
        {"errorDetail": {"message": "unauthorized: authentication required"},
         "error": "unauthorized: something else"},
    ])  # fmt: skip
    assert progress.error == "unauthorized: authentication required"
    assert progress.finished
    assert progress.text().endswith("error: unauthorized: authentication required")


def test_error_string_alone_is_seen() -> None:
    progress = fold_push_events([{"error": "denied: requested access to the resource is denied"}])
    assert progress.error == "denied: requested access to the resource is denied"


def test_apply_does_not_change_the_previous_summary() -> None:
    before = fold_push_events(PUSH[:3])
    after = before.apply(PUSH[3])
    assert before.layers[1].status == "Preparing"
    assert after.layers[1].status == "Pushing"
    assert fold_push_events(PUSH[4:], start=after) == fold_push_events(PUSH)


def test_text_reads_like_the_cli() -> None:
    assert fold_push_events(PUSH).text().splitlines() == [
        "The push refers to repository [127.0.0.1:5000/library/busybox]",
        "c5c8770e37ea: Pushed",
        "c2a838957552: Pushed",
        f"v1: digest: {DIGEST} size: 736",
    ]


def test_pull_events_fold_too() -> None:
    progress = fold_push_events([
        {"status": "Pulling from library/busybox", "id": "v1"},
        {"status": "Pulling fs layer", "progressDetail": {}, "id": "a1"},
        {"status": "Downloading", "progressDetail": {"current": 50, "total": 200}, "id": "a1"},
        {"status": "Already exists", "progressDetail": {}, "id": "b2"},
    ])  # fmt: skip
    assert progress.messages == ("v1: Pulling from library/busybox",)
    assert [layer.percent for layer in progress.layers] == [25.0, 100.0]
    done = progress.apply({"status": "Pull complete", "progressDetail": {}, "id": "a1"})
    assert done.percent == 100.0


def test_events_without_status_are_ignored() -> None:
    assert fold_push_events([{"progressDetail": {}}, {}]) == PushProgress()


def test_layer_line_without_size() -> None:
    assert LayerProgress("a1", "Preparing").line() == "a1: Preparing"


@pytest.mark.parametrize(
    ("host", "cidrs", "index", "expected"),
    [
        ("127.0.0.1:5000", ["127.0.0.0/8"], {}, (False, "insecure: 127.0.0.0/8 (loopback)")),
        ("10.1.2.3:443", ["10.0.0.0/8", "127.0.0.0/8"], {},
         (False, "insecure: 10.0.0.0/8 (in insecure-registries)")),
        ("192.0.2.7", ["127.0.0.0/8"], {}, (True, "secure: TLS required")),
        # Engine 20.10 lists only 127.0.0.0/8, so [::1] needs TLS there; 28+ adds ::1/128.
        ("[::1]:5000", ["127.0.0.0/8"], {}, (True, "secure: TLS required")),
        ("[::1]:5000", ["::1/128", "127.0.0.0/8"], {}, (False, "insecure: ::1/128 (loopback)")),
        ("192.0.2.7:5000", ["127.0.0.0/8"], {"192.0.2.7:5000": {"Secure": False}},
         (False, "insecure: listed in insecure-registries")),
        # An exact entry is matched with its port: another port falls back to the CIDRs.
        ("192.0.2.7:5001", ["127.0.0.0/8"], {"192.0.2.7:5000": {"Secure": False}},
         (True, "secure: TLS required")),
        ("docker.io", ["127.0.0.0/8"], {"docker.io": {"Secure": True}},
         (True, "secure: docker.io always requires TLS")),
    ],
)  # fmt: skip
def test_secure_rule(host: str, cidrs: list[str], index: dict, expected: tuple[bool, str]) -> None:
    assert secure_rule(host, cidrs, index) == expected
