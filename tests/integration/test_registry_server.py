"""RegistryServer against the real ``docker-registry`` binary: start, auth, data, failures."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from pathlib import Path

import pytest
import requests

from regkit.errors import ServiceError
from regkit.registry_server import RegistryServer, _v2_status, find_registry_binary
from tests.conftest import require

pytestmark = pytest.mark.registry


@pytest.fixture(autouse=True)
def _needs_registry_binary() -> None:
    try:
        find_registry_binary()
    except ServiceError as err:
        require(False, str(err))


def _upload_blob(url: str, repo: str, data: bytes, auth: tuple[str, str] | None) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = requests.post(f"{url}/v2/{repo}/blobs/uploads/", auth=auth, timeout=10)
    assert started.status_code == 202, started.text
    location = requests.compat.urljoin(url, started.headers["Location"])
    done = requests.put(
        location, params={"digest": digest}, data=data, auth=auth, timeout=10,
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert done.status_code == 201, done.text
    return digest


def test_anonymous_registry_answers_and_keeps_data_across_restart(tmp_path: Path) -> None:
    server = RegistryServer(tmp_path / "reg")
    with server:
        assert requests.get(f"{server.url}/v2/", timeout=5).status_code == 200
        digest = _upload_blob(server.url, "library/demo", b"layer bytes", None)
        port = server.port
    assert not server.running
    server.start()
    try:
        assert server.port == port, "a restart keeps the port when it is still free"
        head = requests.head(f"{server.url}/v2/library/demo/blobs/{digest}", timeout=5)
        assert head.status_code == 200
        assert head.headers["Docker-Content-Digest"] == digest
    finally:
        server.stop()


def test_htpasswd_auth_and_no_password_on_disk(tmp_path: Path) -> None:
    password = "pa55-Word-never-written"
    with RegistryServer(tmp_path / "reg", htpasswd={"alice": password}) as server:
        v2 = f"{server.url}/v2/"
        assert requests.get(v2, timeout=5).status_code == 401
        assert requests.get(v2, auth=("alice", password), timeout=5).status_code == 200
        assert requests.get(v2, auth=("alice", "wrong"), timeout=5).status_code == 401
        assert server.address == f"127.0.0.1:{server.port}"
        assert "alice" in repr(server) and password not in repr(server)
    for path in (tmp_path / "reg").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), f"password found in {path}"
    htpasswd = (tmp_path / "reg" / "htpasswd").read_text()
    assert htpasswd.startswith("alice:$2")
    assert (tmp_path / "reg" / "htpasswd").stat().st_mode & 0o077 == 0


def test_config_is_json_the_registry_runs_with(tmp_path: Path) -> None:
    server = RegistryServer(
        tmp_path / "reg", htpasswd={"alice": "pw"},
        extra_config={"http": {"headers": {"X-Lab": ["yes"]}}},
    )  # fmt: skip
    with server:
        assert json.loads(server.config_path.read_text()) == server.config()
        # Both answers come from settings only the JSON file carries: auth and a header.
        anonymous = requests.get(f"{server.url}/v2/", timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.headers["X-Lab"] == "yes"
        assert requests.get(f"{server.url}/v2/", auth=("alice", "pw"), timeout=5).status_code == 200


def _v2(server: RegistryServer, password: str) -> int:
    return requests.get(f"{server.url}/v2/", auth=("alice", password), timeout=5).status_code


def test_htpasswd_is_reused_only_for_the_same_credentials(tmp_path: Path) -> None:
    data = tmp_path / "reg"
    with RegistryServer(data, htpasswd={"alice": "first-pw"}) as server:
        first = server.htpasswd_path.read_bytes()
    stamp = data / "htpasswd.sha256"
    assert stamp.stat().st_mode & 0o077 == 0
    assert b"first-pw" not in stamp.read_bytes()

    with RegistryServer(data, htpasswd={"alice": "first-pw"}) as server:
        assert server.htpasswd_path.read_bytes() == first, "same credentials: no new salt"
        assert _v2(server, "first-pw") == 200
        assert _v2(server, "wrong-pw") == 401

    with RegistryServer(data, htpasswd={"alice": "second-pw"}) as server:
        assert server.htpasswd_path.read_bytes() != first
        assert _v2(server, "second-pw") == 200
        assert _v2(server, "first-pw") == 401

    # A hand-edited file no longer matches its stamp and is written anew.
    (data / "htpasswd").write_text("bob:" + first.decode().split(":", 1)[1])
    with RegistryServer(data, htpasswd={"alice": "second-pw"}) as server:
        assert server.htpasswd_path.read_text().startswith("alice:$2")
        assert _v2(server, "second-pw") == 200


def _serve_once(reply: bytes) -> tuple[int, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        with listener, listener.accept()[0] as conn:
            conn.recv(1024)
            conn.sendall(reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize(("reply", "status"), [
    (b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", 401),
    (b"HTTP/1.0 200 OK\r\n\r\n", 200),
    (b"SSH-2.0-OpenSSH_9.2\r\n", None),
    (b"", None),
])  # fmt: skip
def test_readiness_probe_reads_only_an_http_status_line(reply: bytes, status: int | None) -> None:
    port, thread = _serve_once(reply)
    assert _v2_status("127.0.0.1", port) == status
    thread.join(5)


def test_readiness_probe_with_nothing_listening() -> None:
    with socket.socket() as bound:  # bound but not listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        assert _v2_status("127.0.0.1", bound.getsockname()[1]) is None


def test_delete_is_enabled(tmp_path: Path) -> None:
    with RegistryServer(tmp_path / "reg") as server:
        digest = _upload_blob(server.url, "library/demo", b"to delete", None)
        deleted = requests.delete(f"{server.url}/v2/library/demo/blobs/{digest}", timeout=5)
        assert deleted.status_code == 202
        gone = requests.head(f"{server.url}/v2/library/demo/blobs/{digest}", timeout=5)
        assert gone.status_code == 404


def test_extra_config_merges_and_none_removes(tmp_path: Path) -> None:
    server = RegistryServer(
        tmp_path / "reg", port=5999, htpasswd={"a": "b"},
        extra_config={"auth": None, "http": {"headers": {"X-Lab": ["yes"]}}},
    )  # fmt: skip
    config = server.config()
    assert "auth" not in config
    assert config["http"]["addr"] == "127.0.0.1:5999"
    assert config["http"]["headers"] == {"X-Content-Type-Options": ["nosniff"], "X-Lab": ["yes"]}
    assert config["storage"]["delete"] == {"enabled": True}


def test_extra_config_headers_reach_clients(tmp_path: Path) -> None:
    with RegistryServer(tmp_path / "reg", extra_config={"http": {"headers": {"X-Lab": ["yes"]}}}) as server:
        assert requests.get(f"{server.url}/v2/", timeout=5).headers["X-Lab"] == "yes"


def test_early_exit_reports_the_log(tmp_path: Path) -> None:
    server = RegistryServer(tmp_path / "reg", extra_config={"storage": {"inmemory": {}}})
    with pytest.raises(ServiceError) as info:
        server.start()
    assert "exited" in info.value.message
    assert "storage" in (info.value.server_message or "")
    assert not server.running


def test_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(ServiceError) as info:
            RegistryServer(tmp_path / "reg", port=port).start()
    assert "already in use" in str(info.value)
    assert "port=0" in (info.value.hint or "")


def test_missing_binary_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServiceError) as info:
        RegistryServer(tmp_path / "reg").start()
    assert "apt-get install docker-registry" in (info.value.hint or "")


def test_url_before_start_with_free_port_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceError):
        RegistryServer(tmp_path / "reg").url


def test_stop_twice_and_log_file(tmp_path: Path) -> None:
    server = RegistryServer(tmp_path / "reg").start()
    server.stop()
    server.stop()
    assert "listening on" in server.log_tail(50)
    assert server.log_path.parent == tmp_path / "reg"


def test_launch_returns_before_the_registry_answers_and_wait_waits(tmp_path: Path) -> None:
    server = RegistryServer(tmp_path / "reg")
    with pytest.raises(ServiceError) as info:
        server.wait()
    assert "launch()" in (info.value.hint or "")
    try:
        assert server.launch() is server and server.running
        assert server.wait(timeout=10) is server
        assert _v2_status(server.host, server.port) == 200
    finally:
        server.stop()
    assert not server.running


def test_a_port_taken_between_launch_and_wait_moves_to_another(tmp_path: Path) -> None:
    server = RegistryServer(tmp_path / "reg").start()
    taken = server.port
    server.stop()
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        try:
            # A restart tries its old port first (stable URLs), finds it taken, moves on.
            server.launch().wait(timeout=10)
            assert server.port != taken
            assert _v2_status(server.host, server.port) == 200
        finally:
            server.stop()
