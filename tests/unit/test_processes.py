"""regkit.processes with real (tiny Python) child processes: start, wait, find, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from regkit import processes

# Says it is ready only once SIGTERM is ignored, so the tests never race the handler.
STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)
SLEEPER = "import time; print('ready', flush=True); time.sleep(60)"


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    children: list[subprocess.Popen[bytes]] = []
    yield children
    for child in children:
        processes.kill_child(child)


def _start(children: list, tmp_path: Path, code: str,
           *marker: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "child.log"
    process, offset = processes.start_logged([sys.executable, "-c", code, *marker], log)
    children.append(process)
    ready = processes.wait_ready(
        process, lambda: processes.log_tail(log, offset) == "ready", timeout=30)
    assert ready == "ready"
    return process, log


def test_log_tail_reads_from_the_offset_and_keeps_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    assert processes.log_size(log) == 0 and processes.log_tail(log) == ""
    log.write_bytes(b"old run\n")
    offset = processes.log_size(log)
    with open(log, "ab") as handle:
        handle.write(b"one\ntwo\n\xff three\n\n")
    assert processes.log_tail(log, offset) == "one\ntwo\n\ufffd three"
    assert processes.log_tail(log, offset, lines=1) == "\ufffd three"
    assert processes.log_tail(log, lines=0) == ""
    assert processes.log_tail(log).startswith("old run")


def test_directory_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGKIT_TEST_DIR", "~/somewhere")
    assert processes.directory_from_env("REGKIT_TEST_DIR", Path("/d")) == \
        Path.home() / "somewhere"
    monkeypatch.setenv("REGKIT_TEST_DIR", "")
    assert processes.directory_from_env("REGKIT_TEST_DIR", Path("/d")) == Path("/d")
    monkeypatch.delenv("REGKIT_TEST_DIR")
    assert processes.directory_from_env("REGKIT_TEST_DIR", Path("/d")) == Path("/d")


def test_read_pid(tmp_path: Path) -> None:
    pidfile = tmp_path / "x.pid"
    assert processes.read_pid(pidfile) is None
    pidfile.write_text("not a pid\n")
    assert processes.read_pid(pidfile) is None
    pidfile.write_text("1234\n")
    assert processes.read_pid(pidfile) == 1234


def test_started_child_logs_after_the_offset_and_is_recognised(
        started: list, tmp_path: Path) -> None:
    (tmp_path / "child.log").write_text("an earlier run\n")
    process, log = _start(started, tmp_path, SLEEPER, "--state", str(tmp_path))
    assert "an earlier run" in log.read_text()
    assert processes.pid_alive(process.pid)
    assert processes.command_line(process.pid) == [
        sys.executable, "-c", SLEEPER, "--state", str(tmp_path)]
    assert processes.runs_with(process.pid, str(tmp_path))
    assert processes.runs_with(process.pid, str(tmp_path), program=Path(sys.executable).name)
    assert not processes.runs_with(process.pid, str(tmp_path), program="dockerd")
    assert not processes.runs_with(process.pid, str(tmp_path / "other"))
    assert not processes.runs_with(None, str(tmp_path))
    # A child started in its own session: a Ctrl-C to this one's group does not reach it.
    assert os.getsid(process.pid) == process.pid
    assert processes.terminate_child(process, timeout=30)
    assert process.returncode == -signal.SIGTERM
    assert not processes.pid_alive(process.pid) and processes.command_line(process.pid) is None


def test_wait_ready_reports_an_exit_and_a_timeout(started: list, tmp_path: Path) -> None:
    log = tmp_path / "exit.log"
    process, offset = processes.start_logged(
        [sys.executable, "-c", "print('bad config'); raise SystemExit(3)"], log)
    started.append(process)
    assert processes.wait_ready(process, lambda: False, timeout=30) == "exited"
    assert process.returncode == 3 and processes.log_tail(log, offset) == "bad config"
    sleeper, _ = _start(started, tmp_path, SLEEPER)
    assert processes.wait_ready(sleeper, lambda: False, timeout=0.1) == "timeout"
    assert sleeper.poll() is None


def test_a_zombie_is_not_alive_and_nonsense_pids_never_are(started: list) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    started.append(process)
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped yet
    assert not processes.pid_alive(process.pid)
    assert not processes.pid_alive(0) and not processes.pid_alive(-1)
    assert processes.pid_alive(os.getpid())


def test_a_child_ignoring_sigterm_is_killed(started: list, tmp_path: Path) -> None:
    process, _ = _start(started, tmp_path, STUBBORN)
    assert not processes.terminate_child(process, timeout=0.2)
    processes.kill_child(process)
    assert process.returncode == -signal.SIGKILL
    processes.kill_child(process)  # already reaped: nothing to do


def test_signal_and_wait_by_pid(started: list, tmp_path: Path) -> None:
    process, _ = _start(started, tmp_path, STUBBORN)
    assert not processes.signal_and_wait(process.pid, signal.SIGTERM, 0.2)
    assert processes.signal_and_wait(process.pid, signal.SIGKILL, None)
    assert not processes.pid_alive(process.pid)
    assert process.poll() == 0  # reaped by pid, so its Popen can no longer see the status
