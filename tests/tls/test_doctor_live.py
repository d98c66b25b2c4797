"""``regkit doctor`` against real servers: each broken link it must name, and the CLI's verdict.

Unresolvable names use the reserved ``.invalid`` domain; "nothing listening" uses a closed
port on this session's own test host; the expired certificate is served by a TLS server
started here on loopback. No other address is contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from pathlib import Path
from typing import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from regkit.commands import doctor as doctor_command
from regkit.doctor import diagnose
from regkit.engine import Engine
from regkit.lab import Lab
from regkit.lab.testhost import TestHost
from regkit.settings import RegistrySettings
from tests.tls.conftest import admin

pytestmark = [pytest.mark.engine, pytest.mark.lab]


def _names(report) -> list[str]:
    return [check.name for check in report.checks]


def test_a_name_that_does_not_resolve(tls_engine: Engine) -> None:
    report = diagnose(RegistrySettings("http://registry.invalid:5000", username="u",
                                       password="p"), tls_engine)
    assert _names(report) == ["name", "resolve"]
    finding = report.finding
    assert finding is not None and finding.error == "RegistryUnreachable"
    assert finding.what == "the name registry.invalid does not resolve"
    assert "/etc/hosts" in (finding.fix or "")


def test_nothing_listening(tls_engine: Engine, test_host: TestHost) -> None:
    # Port 1 on the session's own test host: nothing in that namespace listens there.
    report = diagnose(RegistrySettings(f"http://{test_host.address}:1"), tls_engine)
    assert _names(report) == ["name", "resolve", "port"]
    assert report.finding is not None and report.finding.error == "RegistryUnreachable"
    assert report.finding.what == f"nothing listens on {test_host.address}:1"
    assert "regkit lab up" in (report.finding.fix or "")


def test_https_url_for_a_plain_http_registry(tls_engine: Engine, http_lab: Lab) -> None:
    report = diagnose(admin(http_lab, url=f"https://{http_lab.host}"), tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("scheme", "InsecureRegistryError")
    assert report.finding.what == f"{http_lab.host} speaks plain HTTP, but the URL says https://"
    assert f"REGKIT_REGISTRY_URL=http://{http_lab.host}" in (report.finding.fix or "")


def test_http_url_for_an_https_registry(tls_engine: Engine, tls_lab: Lab) -> None:
    report = diagnose(admin(tls_lab, url=f"http://{tls_lab.host}"), tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("scheme", "InsecureRegistryError")
    assert report.finding.what == f"{tls_lab.host} speaks HTTPS, but the URL says http://"


def test_a_bare_host_port_is_probed_for_its_scheme(tls_engine: Engine, tls_lab: Lab) -> None:
    report = diagnose(admin(tls_lab), tls_engine, name=tls_lab.host)
    assert report.checks[3].what == f"{tls_lab.host} speaks HTTPS (no scheme was given)"
    assert report.url == f"https://{tls_lab.host}"
    assert report.finding is not None and report.finding.name == "certificate"


def test_an_image_name_gives_the_project_and_the_repository(tls_engine: Engine, lab: Lab) -> None:
    report = diagnose(admin(lab), tls_engine, name=f"{lab.host}/library/tools/app:v1")
    assert report.push_would_work, report.text()
    assert report.project == "library"
    assert "the token for library/tools/app grants" in report.checks[-1].what


# -- an expired certificate, served here on loopback ------------------------------------------


def _expired_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired test registry")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=30))
            .not_valid_after(now - dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "expired.crt", directory / "expired.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def expired_server(tmp_path: Path) -> Iterator[str]:
    """A TLS server on 127.0.0.1 whose certificate expired yesterday; yields host:port."""
    cert, key = _expired_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(2)
                    tls.recv(1024)
                    tls.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_an_expired_certificate(tls_engine: Engine, expired_server: str) -> None:
    report = diagnose(RegistrySettings(f"https://{expired_server}"), tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("certificate", "CertificateError")
    yesterday = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).date().isoformat()
    assert report.finding.what == f"the certificate of {expired_server} expired on {yesterday}"
    assert "renew" in (report.finding.fix or "")


# -- the command line -------------------------------------------------------------------------


def _run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="regkit")
    doctor_command.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def lab_environment(monkeypatch: pytest.MonkeyPatch, lab: Lab, tls_engine: Engine,
                    tmp_path: Path) -> Lab:
    for name in ("REGKIT_PROJECT", "REGKIT_CA_BUNDLE", "REGKIT_TLS_VERIFY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REGKIT_REGISTRY_URL", lab.url)
    monkeypatch.setenv("REGKIT_USERNAME", lab.admin_user)
    monkeypatch.setenv("REGKIT_PASSWORD", lab.admin_password)
    monkeypatch.setenv("REGKIT_LAB_DIR", str(tmp_path / "no-lab"))
    monkeypatch.setenv("REGKIT_TEST_HOST_LAB_DIR", str(tmp_path / "no-test-host-lab"))
    monkeypatch.setenv("DOCKER_HOST", tls_engine.base_url)
    return lab


def test_cli_exits_0_when_a_push_would_work(lab_environment: Lab, capsys) -> None:
    assert _run_cli(["doctor"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"A push to {lab_environment.host}/library would work."
    assert lab_environment.admin_password not in out
    assert _run_cli(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["push_would_work"] is True and data["finding"] is None
    assert [c["check"] for c in data["checks"]][-1] == "push"


def test_cli_exits_1_with_the_finding(lab_environment: Lab, capsys) -> None:
    assert _run_cli(["doctor", f"{lab_environment.host}/no-such-project", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["push_would_work"] is False
    assert data["finding"]["check"] == "project"
    assert data["finding"]["error"] == "ProjectNotFound"
    assert lab_environment.admin_password not in json.dumps(data)


def test_cli_docker_hub_name(lab_environment: Lab, capsys) -> None:
    assert _run_cli(["doctor", "myteam/busybox:v1"]) == 1
    out = capsys.readouterr().out
    assert "✗ name" in out
    assert "docker.io/myteam/busybox:v1" in out
    assert "denied: requested access to the resource is denied" in out
    assert f"docker tag myteam/busybox:v1 {lab_environment.host}/library/busybox" in out
