"""PrivateEngine lifecycle on a real dockerd: reuse by state dir, stop, clear failures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from regkit.errors import ServiceError
from regkit.private_engine import PrivateEngine, unix_ping
from tests.conftest import require

pytestmark = pytest.mark.engine


def test_second_object_reuses_the_running_engine(private_engine: PrivateEngine) -> None:
    pid = private_engine.pid
    again = PrivateEngine(private_engine.state_dir)
    assert again.running
    assert again.start() == private_engine.docker_host
    assert again.pid == pid
    assert unix_ping(private_engine.socket_path)
    assert private_engine.docker_host == f"unix://{private_engine.state_dir}/docker.sock"
    assert private_engine.log_path.read_text().strip()


def test_state_directory_layout(private_engine: PrivateEngine) -> None:
    argv = " ".join(private_engine.command())
    for flag in ("--data-root", "--exec-root", "--pidfile", "--config-file", "--storage-driver vfs"):
        assert flag in argv
    assert private_engine.data_root.is_dir() and private_engine.exec_root.is_dir()
    assert isinstance(private_engine.read_config(), dict)


def test_stopped_engine_is_not_running(tmp_path: Path) -> None:
    engine = PrivateEngine(tmp_path / "never-started")
    assert not engine.running
    assert engine.pid is None
    engine.stop()  # nothing to stop: no error


def test_missing_dockerd_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(ServiceError) as info:
        PrivateEngine(tmp_path / "e", dockerd=str(tmp_path / "no-dockerd")).start()
    assert "docker.io" in (info.value.hint or "")


def test_reload_without_engine_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceError) as info:
        PrivateEngine(tmp_path / "e").reload()
    assert "regkit engine up" in (info.value.hint or "")


def test_too_long_state_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ServiceError) as info:
        PrivateEngine(tmp_path / ("x" * 100)).start()
    assert "too long" in info.value.message


def test_non_root_gets_the_root_hint(tmp_path: Path) -> None:
    code = (
        "from regkit.private_engine import PrivateEngine\n"
        "from regkit.errors import ServiceError\n"
        "try:\n"
        f"    PrivateEngine({str(tmp_path / 'e')!r}).start()\n"
        "except ServiceError as err:\n"
        "    print(err)\n"
    )
    if os.geteuid() != 0:
        argv = [sys.executable, "-c", code]
    else:
        require(shutil.which("setpriv"), "needs setpriv (util-linux) to drop root")
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                sys.executable, "-c", code]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).parents[2])  # fmt: skip
    assert "without root" in out.stdout, out.stderr
    assert "DOCKER_HOST" in out.stdout


def test_cli_up_env_down_with_a_state_dir(capsys: pytest.CaptureFixture[str]) -> None:
    from regkit.cli import main

    require(os.geteuid() == 0 and shutil.which("dockerd"), "needs root and dockerd")
    state_dir = tempfile.mkdtemp(prefix="rk-cli-", dir="/tmp")
    try:
        assert main(["engine", "up", "--state-dir", state_dir]) == 0
        export = f"export DOCKER_HOST=unix://{state_dir}/docker.sock"
        captured = capsys.readouterr()
        assert captured.out.strip() == export
        assert "started a private Docker Engine" in captured.err
        assert main(["engine", "env", "--state-dir", state_dir]) == 0
        assert capsys.readouterr().out.strip() == export
        assert main(["engine", "up", "--state-dir", state_dir]) == 0
        assert "already running" in capsys.readouterr().err
    finally:
        assert main(["engine", "down", "--state-dir", state_dir]) == 0
        shutil.rmtree(state_dir, ignore_errors=True)
    assert "stopped" in capsys.readouterr().err
    assert not PrivateEngine(state_dir).running
