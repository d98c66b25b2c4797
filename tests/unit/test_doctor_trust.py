"""The trust lessons' helpers without an Engine: the no-test-host path."""

from __future__ import annotations

from pathlib import Path

from regkit import trust
from regkit.daemon_json import DaemonJsonChange


def _remote_without_test_host(tls: bool = False) -> trust.Remote:
    # Without a test host the helpers never touch the course, its Engine or the network.
    return trust.Remote(course=None, settings=None, lab=None, tls=tls,  # type: ignore[arg-type]
                        reason="a test host needs root")


def test_without_a_test_host_the_commands_are_shown_and_nothing_runs(capsys) -> None:
    remote = _remote_without_test_host(tls=True)
    assert not remote.real
    assert remote.host == "10.203.0.2:8080" and remote.url == "https://10.203.0.2:8080"
    assert trust.push(remote, tag="tls") is None
    assert trust.fetch_ca(remote) is None
    assert trust.install_ca(remote, None, confirm=True) is None
    assert trust.forget_insecure(remote, confirm=True) is False
    out = capsys.readouterr().out
    assert "$ docker push 10.203.0.2:8080/library/busybox:tls" in out
    assert "$ curl -k -o ca.crt https://10.203.0.2:8080/api/v2.0/systeminfo/getcert" in out
    assert "$ sudo cp ca.crt /etc/docker/certs.d/10.203.0.2:8080/ca.crt" in out
    assert out.count("(not run here:") == 4


def test_a_plan_for_a_missing_test_host_is_never_written(tmp_path: Path, capsys) -> None:
    path = tmp_path / "daemon.json"
    change = DaemonJsonChange(path, None, '{"insecure-registries": ["10.203.0.2:8080"]}\n',
                              True, None)
    files = trust.EngineFiles(path, "sudo systemctl reload docker")
    plan = trust.InsecurePlan("10.203.0.2:8080", files, change, real=False)
    assert trust.write_daemon_json(plan, confirm=True) is False
    assert not path.exists()
    assert "(not run here:" in capsys.readouterr().out


def test_an_unconfirmed_plan_writes_nothing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "daemon.json"
    path.write_text("{}\n")
    change = DaemonJsonChange(path, "{}\n", '{"insecure-registries": ["h:5000"]}\n', True, None)
    plan = trust.InsecurePlan("h:5000", trust.EngineFiles(path, "reload"), change)
    assert trust.write_daemon_json(plan, confirm=False) is False
    assert path.read_text() == "{}\n"
    assert "confirm=False: nothing was written" in capsys.readouterr().out
