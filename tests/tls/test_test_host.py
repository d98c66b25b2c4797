"""The test host itself: a namespace and veth made and removed, the lab inside, the CLI.

Each test that makes a test host takes a free slot of its own and removes it in a
``finally``, so nothing outlives a failing test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from regkit.lab import Lab, running_lab, stop_lab
from regkit.lab import commands as lab_commands
from regkit.lab import testhost
from regkit.lab.testhost import REAL_NETWORK_MESSAGES, TestHost, allocate
from tests.conftest import require
from tests.tls.conftest import require_registry_binary, require_test_host

ROOT = Path(__file__).resolve().parents[2]


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=True).stdout


def test_slots_are_fixed_and_stay_in_the_pool() -> None:
    host = TestHost.slot(0)
    assert (host.name, host.address, host.host_address) == ("regkit-lab", "10.203.0.2",
                                                            "10.203.0.1")
    assert TestHost.from_dict(host.as_dict()) == host
    with pytest.raises(ValueError):
        TestHost.from_dict({**host.as_dict(), "subnet": "192.0.2.0/30"})
    with pytest.raises(ValueError):
        TestHost.slot(64)


def test_allocate_makes_both_ends_and_remove_deletes_them() -> None:
    require_test_host()
    host = allocate()
    try:
        assert host.exists()
        assert f"inet {host.host_address}/30" in _ip("addr", "show", "dev", host.host_link)
        inside = _ip("-n", host.name, "addr", "show")
        assert f"inet {host.address}/30" in inside and "inet 127.0.0.1/8" in inside
        assert host.name in _ip("netns", "list")
    finally:
        assert host.remove() is True
    assert not host.namespace_exists() and not host.link_exists()
    assert host.remove() is False


def test_lab_json_records_the_test_host(http_lab: Lab, test_host: TestHost) -> None:
    info = running_lab(http_lab.data_dir)
    assert info is not None
    assert info.test_host == test_host
    assert info.bind_host == test_host.address
    assert info.url == f"http://{test_host.address}:{info.port}"
    # The lab process and its registry run inside the namespace.
    assert {info.pid, info.registry_pid} <= set(test_host.pids())


def test_stop_lab_removes_a_crashed_labs_test_host(tmp_path: Path) -> None:
    require_test_host()
    require_registry_binary()
    host = allocate()
    try:
        crashed = Lab(tmp_path / "lab", port=0, test_host=host).start()
        crashed.kill()
        assert running_lab(tmp_path / "lab") is None
        assert stop_lab(tmp_path / "lab") is False
        assert not host.namespace_exists() and not host.link_exists()
    finally:
        host.remove()


def _lab_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="regkit")
    lab_commands.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_up_status_down_with_a_test_host(tmp_path: Path, monkeypatch, capsys) -> None:
    require_test_host()
    require_registry_binary()
    host = allocate()
    # The CLI uses the course's slot 0; this test takes its own free slot instead.
    # control and the lab commands import it when they need it, from its module.
    monkeypatch.setattr(testhost, "default_host", lambda: host)
    data_dir = str(tmp_path / "lab")
    try:
        assert _lab_cli(["lab", "up", "--test-host", "--tls", "--port", "0",
                         "--data-dir", data_dir]) == 0
        out = capsys.readouterr().out
        assert f"  test host: {host.describe()}" in out
        assert f"https://{host.address}:" in out
        assert _lab_cli(["lab", "status", "--test-host", "--json", "--data-dir", data_dir]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["test_host"]["address"] == host.address
        assert status["url"].startswith(f"https://{host.address}:")
        assert _lab_cli(["lab", "down", "--test-host", "--data-dir", data_dir]) == 0
        out = capsys.readouterr().out
        assert f"Removed the test host: network namespace {host.name}" in out
        assert not host.namespace_exists() and not host.link_exists()
        assert running_lab(data_dir) is None
    finally:
        stop_lab(data_dir)
        host.remove()


def test_without_root_up_says_why_and_what_a_real_network_shows(tmp_path: Path) -> None:
    require(os.geteuid() == 0, "needs root to run the command as another user")
    data_dir = tmp_path / "lab"
    data_dir.mkdir()
    for path in (tmp_path, data_dir):
        path.chmod(0o777)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGKIT_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
         "regkit.cli", "lab", "up", "--test-host", "--data-dir", str(data_dir)],
        capture_output=True, text=True, env=env, cwd="/", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Cannot run the lab on a test host: a test host needs root" in result.stderr
    assert REAL_NETWORK_MESSAGES["http"] in result.stderr
    assert REAL_NETWORK_MESSAGES["x509"] in result.stderr
    assert "regkit lab up" in result.stderr
    assert list(data_dir.iterdir()) == []


def test_the_no_root_message_names_the_fallback() -> None:
    text = lab_commands.no_test_host_message("a test host needs root")
    assert text.splitlines()[0] == "Cannot run the lab on a test host: a test host needs root."
    assert "http: server gave HTTP response to HTTPS client" in text
    assert "x509: certificate signed by unknown authority" in text
    assert text.splitlines()[-1].endswith("run it with `regkit lab up`.")
