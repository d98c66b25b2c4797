"""ensure_busybox on a real Engine: builds offline from the host's static busybox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from regkit.busybox import OFFLINE_LABEL, ensure_busybox, find_static_busybox, is_static_elf
from regkit.engine import Engine
from regkit.errors import BuildError
from tests.conftest import require

pytestmark = pytest.mark.engine

# A registry address where nothing listens: the pull attempt fails at once, without
# sending anything off this machine, and the offline build takes over.
OFFLINE_TAG = "127.0.0.1:9/regkit-test/busybox:offline"


@pytest.fixture
def static_busybox() -> Path:
    try:
        return find_static_busybox()
    except BuildError as err:
        require(False, str(err))
        raise


def test_static_detection(static_busybox: Path, tmp_path: Path) -> None:
    assert is_static_elf(static_busybox)
    dynamic = shutil.which("python3") or "/bin/ls"
    assert not is_static_elf(Path(dynamic).resolve())
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    assert not is_static_elf(script)
    assert not is_static_elf(tmp_path / "missing")


def test_dynamic_binary_is_refused_with_the_apt_hint() -> None:
    with pytest.raises(BuildError) as info:
        find_static_busybox(Path(shutil.which("python3") or "/bin/ls").resolve())
    assert "busybox-static" in (info.value.hint or "")


def test_builds_offline_and_labels_the_image(engine: Engine, static_busybox: Path) -> None:
    try:
        engine.client.remove_image(OFFLINE_TAG)
    except Exception:
        pass  # not there yet
    image_id = ensure_busybox(engine, OFFLINE_TAG)
    assert image_id == engine.image_id(OFFLINE_TAG)
    labels = engine.client.inspect_image(OFFLINE_TAG)["Config"]["Labels"]
    assert labels[OFFLINE_LABEL] == "true"
    # Present now: a second call is a no-op returning the same id.
    assert engine.ensure_busybox(OFFLINE_TAG) == image_id


def test_offline_image_runs_busybox(engine: Engine, busybox: str) -> None:
    client = engine.client
    container = client.create_container(busybox, ["sh", "-c", "echo ok"],
                                        host_config=client.create_host_config(network_mode="none"))  # fmt: skip
    try:
        client.start(container)
        assert client.wait(container)["StatusCode"] == 0
        assert client.logs(container).strip() == b"ok"
    finally:
        client.remove_container(container, force=True)
