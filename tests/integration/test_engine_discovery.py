"""How Engine() finds an Engine, lazily, and ``regkit engine`` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from regkit.cli import main
from regkit.engine import DEFAULT_SOCKET, Engine
from regkit.errors import EngineUnavailable


def test_import_and_construction_do_not_load_docker() -> None:
    code = (
        "import sys\nimport regkit.engine\nengine = regkit.engine.Engine()\n"
        "print('docker' in sys.modules, 'requests' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parents[2], check=True)  # fmt: skip
    assert out.stdout.split() == ["False", "False"]


def test_docker_host_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///somewhere/docker.sock")
    monkeypatch.setenv("REGKIT_ENGINE_DIR", str(tmp_path))
    (tmp_path / "docker.sock").touch()
    engine = Engine()
    assert (engine.base_url, engine.source) == ("unix:///somewhere/docker.sock", "DOCKER_HOST")


def test_private_socket_next(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("REGKIT_ENGINE_DIR", str(tmp_path))
    (tmp_path / "docker.sock").touch()
    engine = Engine()
    assert engine.base_url == f"unix://{tmp_path}/docker.sock"
    assert engine.source == "regkit private engine"


def test_default_socket_last(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("REGKIT_ENGINE_DIR", str(tmp_path))
    assert (Engine().base_url, Engine().source) == (DEFAULT_SOCKET, "default socket")


def test_unavailable_engine_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    engine = Engine()
    assert engine.ping() is False
    with pytest.raises(EngineUnavailable) as info:
        engine.check()
    text = str(info.value)
    assert f"{tmp_path}/none.sock" in text and "DOCKER_HOST" in text
    assert "regkit engine up" in text


@pytest.mark.engine
def test_status_json_reports_the_answering_engine(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.base_url)
    assert main(["engine", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["answering"] is True
    assert status["base_url"] == engine.base_url and status["source"] == "DOCKER_HOST"
    assert status["api_version"]


def test_status_exit_code_when_nothing_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    assert main(["engine", "status", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["answering"] is False


@pytest.mark.engine
def test_env_and_up_print_the_export_line(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DOCKER_HOST", engine.base_url)
    monkeypatch.setenv("REGKIT_ENGINE_DIR", str(tmp_path))
    assert main(["engine", "env"]) == 0
    assert capsys.readouterr().out.strip() == f"export DOCKER_HOST={engine.base_url}"
    # An Engine already answers, so `up` starts nothing and prints the same line.
    assert main(["engine", "up"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"export DOCKER_HOST={engine.base_url}"
    assert "nothing to start" in captured.err
    assert not (tmp_path / "docker.pid").exists()


def test_down_without_engine_is_harmless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["engine", "down", "--state-dir", str(tmp_path)]) == 0
    assert "no private Docker Engine" in capsys.readouterr().err
