"""The lab as a process: restarts and crashes keep everything, the CLI, TLS, reset.

Each test starts its own lab in a fresh data directory (``lab_dir``) on a free port, and
stops it (and its registry) before returning.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from regkit.lab import Lab, running_lab
from tests.lab.conftest import Api, call
from tests.lab.oci import RegistryClient, push_image

pytestmark = pytest.mark.lab


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in \
        Path(f"/proc/{pid}/stat").read_text().split()[2]


def seed(lab: Lab) -> dict:
    """A project, an image and one pull, as records to find again after a restart."""
    api = Api(lab)
    assert api("/projects", method="POST", data={"project_name": "kept"}).status == 201
    auth = (lab.admin_user, lab.admin_password)
    image = push_image(lab.url, "kept/app", "v1", auth)
    assert RegistryClient(lab.url, "kept/app", auth, "pull").get_manifest("v1").status_code == 200
    return {"digest": image.digest, "manifest": image.manifest,
            "artifact": api("/projects/kept/repositories/app/artifacts/v1").json()}


def check_seeded(lab: Lab, seeded: dict) -> None:
    api = Api(lab)
    assert api("/projects/kept", headers={"X-Is-Resource-Name": "true"}).status == 200
    assert api("/projects/kept/repositories/app").json()["pull_count"] == 1
    artifact = api("/projects/kept/repositories/app/artifacts/v1").json()
    assert artifact["digest"] == seeded["digest"]
    assert artifact["push_time"] == seeded["artifact"]["push_time"]
    assert artifact["pull_time"] == seeded["artifact"]["pull_time"]
    client = RegistryClient(lab.url, "kept/app", (lab.admin_user, lab.admin_password), "pull")
    assert client.get_manifest("v1").content == seeded["manifest"]


def test_restart_keeps_everything(lab_dir):
    with Lab(lab_dir) as first:
        seeded = seed(first)
        info = running_lab(lab_dir)
        assert info is not None and info.url == first.url and info.pid == first.info.pid
    assert running_lab(lab_dir) is None
    assert not (lab_dir / "lab.json").exists()
    with Lab(lab_dir) as second:
        check_seeded(second, seeded)


def test_sigkill_keeps_everything_and_the_orphan_registry_is_reaped(lab_dir):
    first = Lab(lab_dir).start()
    try:
        seeded = seed(first)
        state = json.loads((lab_dir / "lab.json").read_text())
    finally:
        first.kill()
    assert not alive(state["pid"]) and not alive(state["registry_pid"])
    assert running_lab(lab_dir) is None  # a stale lab.json is not a running lab
    with Lab(lab_dir) as second:
        check_seeded(second, seeded)


def test_a_registry_left_by_a_killed_lab_is_stopped_on_the_next_start(lab_dir):
    first = Lab(lab_dir).start()
    state = json.loads((lab_dir / "lab.json").read_text())
    assert first._process is not None
    first._process.kill()  # the lab alone dies; its registry is orphaned
    first._process.wait()
    assert alive(state["registry_pid"])
    with Lab(lab_dir) as second:
        assert second.info is not None and second.info.registry_pid != state["registry_pid"]
        assert not alive(state["registry_pid"])


def test_data_files_are_private(lab_dir):
    with Lab(lab_dir):
        for name in ("token.key", "registry.secret", "lab.db"):
            mode = stat.S_IMODE((lab_dir / name).stat().st_mode)
            assert mode & 0o077 == 0, f"{name} is {oct(mode)}"
        assert stat.S_IMODE(lab_dir.stat().st_mode) == 0o700
        state = (lab_dir / "lab.json").read_text()
        assert "Harbor12345" not in state and "Learner12345" not in state
    log = (lab_dir / "lab.log").read_text()
    assert "Harbor12345" not in log and "Learner12345" not in log


def test_passwords_come_from_the_environment_and_stay_hashed(lab_dir):
    with Lab(lab_dir, admin_password="Another-Pass-1", learner_password="Learner-Two-2") as lab:
        assert "Another-Pass-1" not in " ".join(lab.command())
        assert call(f"{lab.url}/api/v2.0/users/current",
                    auth=("admin", "Another-Pass-1")).status == 200
        assert call(f"{lab.url}/api/v2.0/users/current",
                    auth=("admin", "Harbor12345")).status == 401
        assert call(f"{lab.url}/api/v2.0/users/current",
                    auth=("learner", "Learner-Two-2")).status == 200
    assert b"Another-Pass-1" not in (lab_dir / "lab.db").read_bytes()


def test_tls_serves_its_own_ca(lab_dir):
    with Lab(lab_dir, tls=True, tls_names=["registry.lab.test"]) as lab:
        assert lab.url.startswith("https://127.0.0.1:")
        assert lab.ca_path == str(lab_dir / "tls" / "ca.crt")
        context = ssl.create_default_context(cafile=lab.ca_path)
        with urllib.request.urlopen(f"{lab.url}/api/v2.0/systeminfo/getcert",
                                    context=context) as reply:
            assert reply.headers["Content-Disposition"] == "attachment; filename=ca.crt"
            assert reply.read() == Path(lab.ca_path).read_bytes()
        request = urllib.request.Request(f"{lab.url}/api/v2.0/systeminfo")
        request.add_header("Authorization", "Basic YWRtaW46SGFyYm9yMTIzNDU=")  # admin
        with urllib.request.urlopen(request, context=context) as reply:
            assert json.loads(reply.read())["has_ca_root"] is True
        untrusting = ssl.create_default_context()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"{lab.url}/api/v2.0/ping", context=untrusting)
        from cryptography import x509

        cert = x509.load_pem_x509_certificate((lab_dir / "tls" / "server.crt").read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "registry.lab.test" in names.get_values_for_type(x509.DNSName)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``regkit`` in its own process, as a learner does (``lab up`` forks the lab)."""
    return subprocess.run([sys.executable, "-m", "regkit.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=REPO, check=check)


def registries_of(lab_dir: Path) -> list[int]:
    """Registry processes still serving from ``lab_dir`` (none should outlive its lab)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:  # not a process, or one that just ended
            continue
        if "docker-registry" in argv and str(lab_dir) in argv and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def test_cli_up_status_down(lab_dir):
    port = free_port()
    base = ["--data-dir", str(lab_dir)]
    try:
        up = cli("lab", "up", *base, "--port", str(port))
        assert up.returncode == 0, up.stderr
        assert f"http://127.0.0.1:{port}" in up.stdout
        assert f"export REGISTRY=127.0.0.1:{port}/library" in up.stdout
        assert f"docker login 127.0.0.1:{port} --username admin --password-stdin" in up.stdout
        assert "learner / Learner12345" in up.stdout

        again = cli("lab", "up", *base, "--port", str(port))
        assert again.returncode == 0 and "already running" in again.stdout

        status = cli("lab", "status", *base, "--json")
        assert status.returncode == 0
        state = json.loads(status.stdout)
        assert state["running"] is True and state["port"] == port
        assert call(f"{state['url']}/api/v2.0/ping").body == b"Pong"
    finally:
        down = cli("lab", "down", *base)
    assert down.returncode == 0 and "Stopped" in down.stdout
    status = cli("lab", "status", *base)
    assert status.returncode == 3 and "not running" in status.stdout
    assert registries_of(lab_dir) == []


def test_cli_up_leaves_the_lab_running_in_its_own_session(lab_dir):
    up = cli("lab", "up", "--data-dir", str(lab_dir), "--port", "0")
    try:
        assert up.returncode == 0, up.stderr
        info = running_lab(lab_dir)
        assert info is not None and alive(info.pid)
        # The command has exited; the lab it forked goes on, out of the terminal's reach.
        assert os.getsid(info.pid) == info.pid
        assert call(f"{info.url}/api/v2.0/ping").body == b"Pong"
        assert "practice lab ready" in (lab_dir / "lab.log").read_text()
    finally:
        assert cli("lab", "down", "--data-dir", str(lab_dir)).returncode == 0
    assert not alive(info.pid) and registries_of(lab_dir) == []


def test_cli_up_keeps_none_of_its_callers_files_open(lab_dir):
    import select

    # A caller that reads a pipe to its end (a CI runner, a test harness) would wait for
    # as long as the lab runs if the lab kept the pipe's other end.
    read_end, write_end = os.pipe()
    try:
        up = subprocess.run([sys.executable, "-m", "regkit.cli", "lab", "up", "--data-dir",
                             str(lab_dir), "--port", "0"], capture_output=True, text=True,
                            timeout=120, cwd=REPO, pass_fds=(write_end,))
        assert up.returncode == 0, up.stderr
        os.close(write_end)
        write_end = -1
        readable, _, _ = select.select([read_end], [], [], 10)
        assert readable and os.read(read_end, 1) == b""
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
        cli("lab", "down", "--data-dir", str(lab_dir))


def test_cli_up_reports_a_lab_that_dies_while_starting(lab_dir):
    lab_dir.mkdir(parents=True, exist_ok=True)
    (lab_dir / "lab.db").mkdir()  # SQLite cannot open a directory
    up = cli("lab", "up", "--data-dir", str(lab_dir), "--port", "0")
    assert up.returncode == 1
    assert "the practice lab exited while starting" in up.stderr
    assert "unable to open database file" in up.stderr  # the log's last lines come along
    assert "lab.log" in up.stderr
    assert running_lab(lab_dir) is None and registries_of(lab_dir) == []


def test_cli_up_stops_a_lab_that_does_not_answer_in_time(lab_dir):
    up = cli("lab", "up", "--data-dir", str(lab_dir), "--port", "0", "--timeout", "0.001")
    assert up.returncode == 1
    assert "did not answer within 0.001s" in up.stderr and "--timeout" in up.stderr
    assert running_lab(lab_dir) is None and registries_of(lab_dir) == []


def test_a_live_pid_that_does_not_hold_the_lock_is_not_the_lab(lab_dir):
    lab_dir.mkdir(parents=True, exist_ok=True)
    (lab_dir / "lab.lock").touch()
    # A stale lab.json whose pid now belongs to another live process (here: this one).
    (lab_dir / "lab.json").write_text(json.dumps({
        "ready": True, "url": "http://127.0.0.1:1", "host": "127.0.0.1:1", "port": 1,
        "pid": os.getpid(), "tls": False, "ca_path": None, "data_dir": str(lab_dir)}))
    assert running_lab(lab_dir) is None


def test_cli_busy_port_names_the_option(lab_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        up = cli("lab", "up", "--data-dir", str(lab_dir), "--port", str(port))
    assert up.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in up.stderr and "--port" in up.stderr
    assert running_lab(lab_dir) is None


def test_cli_reset_keeps_accounts_and_library(lab_dir):
    base = ["--data-dir", str(lab_dir)]
    try:
        assert cli("lab", "up", *base, "--port", "0").returncode == 0
        info = running_lab(lab_dir)
        assert info is not None
        lab = Lab(lab_dir)
        lab.info = info
        seed(lab)
        Api(lab)("/projects", method="POST", data={"project_name": "scratch"})
        assert cli("lab", "reset", *base).returncode == 2  # asks for --yes
        assert cli("lab", "reset", *base, "--yes").returncode == 0
        after = running_lab(lab_dir)
        assert after is not None and after.port == info.port
        lab.info = after
        api = Api(lab)
        assert [p["name"] for p in api("/projects").json()] == ["library"]
        assert api("/repositories").json() == []
        assert api("/users/current", "learner").status == 200
        assert not (lab_dir / "registry" / "storage" / "docker").exists()
    finally:
        cli("lab", "down", *base)


def test_the_lab_package_imports_only_the_standard_library():
    heavy = ["bcrypt", "cryptography", "docker", "requests", "yaml"]
    # An uninstalled module could never show up as loaded: the check would prove nothing.
    assert [m for m in heavy if importlib.util.find_spec(m) is None] == []
    code = ("import sys, regkit.lab, regkit.lab.commands; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == "[]"


def test_cli_up_foreground_runs_until_interrupted(lab_dir):
    import signal
    import time

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "regkit.cli", "lab", "up", "--foreground", "--data-dir",
         str(lab_dir), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=Path(__file__).resolve().parents[2])
    try:
        first_line = process.stdout.readline() if process.stdout else ""
        assert first_line.startswith(f"Practice lab running at http://127.0.0.1:{port}")
        info = running_lab(lab_dir)
        assert info is not None and info.pid == process.pid
        registry_pid = info.registry_pid
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert running_lab(lab_dir) is None
    deadline = time.monotonic() + 10
    while registry_pid and alive(registry_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (registry_pid and alive(registry_pid))
