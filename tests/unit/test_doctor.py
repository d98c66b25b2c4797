"""regkit doctor without a network: names, certificates' names, tokens, the report's shapes.

Everything here is pure or stops before the first connection (a Docker Hub name is
diagnosed from the name alone).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import ipaddress
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from regkit.commands import doctor as doctor_command
from regkit.doctor import (
    CHECKS,
    Check,
    Report,
    _challenge,
    _target,
    _token_actions,
    certificate_names,
    diagnose,
    go_hostname_error,
    name_matches,
)
from regkit.engine import Engine
from regkit.errors import PushDenied, RegkitError
from regkit.settings import RegistrySettings
from regkit.trust import engine_files

SETTINGS = RegistrySettings("http://127.0.0.1:8080", username="admin", password="pw")


def _cert(names: list[str]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legacy.example.com")])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1)))
    if names:
        entries: list[x509.GeneralName] = []
        for name in names:
            try:
                entries.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                entries.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    return builder.sign(key, hashes.SHA256())


# -- certificate names, as Go checks them -----------------------------------------------------


def test_certificate_names_are_the_san_entries_not_the_common_name() -> None:
    assert certificate_names(_cert(["127.0.0.1", "localhost", "::1"])) == [
        "localhost", "127.0.0.1", "::1"]
    assert certificate_names(_cert([])) == []


@pytest.mark.parametrize(("host", "names", "expected"), [
    ("10.203.0.2", ["localhost", "127.0.0.1", "10.203.0.2"], True),
    ("10.203.0.2", ["localhost", "127.0.0.1", "::1"], False),
    ("::1", ["0:0::1"], True),
    ("harbor.example.com", ["HARBOR.example.com"], True),
    ("harbor.example.com", ["*.example.com"], True),
    ("a.harbor.example.com", ["*.example.com"], False),
    ("example.com", ["*.example.com"], False),
    ("10.203.0.2", ["*.10.203.0.2", "10.203.0.2.example"], False),
    ("127.0.0.1", ["localhost"], False),
])
def test_name_matches(host: str, names: list[str], expected: bool) -> None:
    assert name_matches(host, names) is expected


def test_go_hostname_error_words() -> None:
    assert go_hostname_error("10.203.0.2", ["localhost", "127.0.0.1", "::1"]) == \
        "x509: certificate is valid for 127.0.0.1, ::1, not 10.203.0.2"
    assert go_hostname_error("10.203.0.2", ["localhost"]) == \
        "x509: cannot validate certificate for 10.203.0.2 because it doesn't contain any IP SANs"
    assert go_hostname_error("h.example", ["a.example", "127.0.0.1"]) == \
        "x509: certificate is valid for a.example, not h.example"
    assert go_hostname_error("h.example", []) == \
        "x509: certificate relies on legacy Common Name field, use SANs instead"


# -- the name check needs no network ----------------------------------------------------------


@pytest.mark.parametrize(("name", "normalized"), [
    ("library/busybox", "docker.io/library/busybox:latest"),
    ("busybox", "docker.io/library/busybox:latest"),
    ("myregistry/team/app:v1", "docker.io/myregistry/team/app:v1"),
])
def test_a_name_without_registry_goes_to_docker_hub(name: str, normalized: str) -> None:
    report = diagnose(SETTINGS, name=name)
    assert len(report.checks) == 1
    finding = report.finding
    assert finding is not None and finding.name == "name" and finding.error == "PushDenied"
    assert f"sends it to Docker Hub ({normalized})" in finding.what
    assert "denied: requested access to the resource is denied" in (finding.why or "")
    assert "docker tag" in (finding.fix or "") and "127.0.0.1:8080/library/" in finding.fix
    assert report.exit_code == 1
    assert isinstance(report.error(), PushDenied)


def test_an_invalid_name_is_refused_with_the_rule() -> None:
    report = diagnose(SETTINGS, name="Team/App Name")
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("name", "InvalidReference")


@pytest.mark.parametrize(("name", "url", "project", "repository", "scheme"), [
    ("h.example:5000", "https://h.example:5000", "library", "doctor", None),
    ("h.example:5000/team", "https://h.example:5000", "team", "doctor", None),
    ("h.example:5000/team/tools/app:v1", "https://h.example:5000", "team", "tools/app", None),
    ("http://h.example:5000/team", "http://h.example:5000", "team", "doctor", "http"),
    ("https://harbor.example.com", "https://harbor.example.com", "library", "doctor", "https"),
    ("localhost:5000/demo/app@sha256:" + "a" * 64, "https://localhost:5000", "demo", "app",
     None),
])
def test_target_forms(name: str, url: str, project: str, repository: str,
                      scheme: str | None) -> None:
    walk = _target(SETTINGS, name, None, Path("/nonexistent"), 5.0, False)
    assert (walk.settings.url, walk.settings.project) == (url, project)
    assert (walk.repository, walk.configured_scheme) == (repository, scheme)
    assert walk.settings.username == "admin"
    assert walk.checks == [Check("name", True, f"images go to {walk.settings.registry_variable}/NAME")]


def test_invalid_settings_become_the_finding(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("REGKIT_REGISTRY_URL", "ftp://registry.example.com")
    monkeypatch.setenv("REGKIT_LAB_DIR", str(tmp_path))
    report = diagnose()
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("name", "SettingsError")
    assert "REGKIT_REGISTRY_URL" in report.finding.what


# -- tokens and challenges --------------------------------------------------------------------


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_token_actions_reads_the_access_claim() -> None:
    token = _jwt({"access": [{"type": "repository", "name": "library/x",
                              "actions": ["pull"]},
                             {"type": "repository", "name": "other/x", "actions": ["push"]}]})
    assert _token_actions(token, "library/x") == ["pull"]
    assert _token_actions(token, "missing/x") == []
    assert _token_actions("not a token", "library/x") == []


def test_challenge_parsing() -> None:
    scheme, params = _challenge('Bearer realm="https://h/service/token",service="harbor-registry"')
    assert scheme == "bearer"
    assert params == {"realm": "https://h/service/token", "service": "harbor-registry"}
    assert _challenge('Basic realm="harbor"') == ("basic", {"realm": "harbor"})


# -- the report --------------------------------------------------------------------------------


def _report(*checks: Check) -> Report:
    return Report("h.example:5000", "https://h.example:5000", "team", "ann", checks)


def test_a_report_that_reaches_push_passes() -> None:
    checks = [Check(name, True, f"{name} ok") for name in CHECKS if name != "certificate"]
    report = _report(*checks)
    assert report.push_would_work and report.exit_code == 0 and report.error() is None
    assert report.text().splitlines()[0] == "regkit doctor: h.example:5000, project team, ann"
    assert report.text().splitlines()[-1] == "A push to h.example:5000/team would work."


def test_a_report_with_a_finding_fails_and_says_why_on_one_line() -> None:
    broken = Check("project", False, "project team does not exist on h.example:5000",
                   "Harbor never creates a project on push", "create it", "ProjectNotFound")
    report = _report(Check("name", True, "images go to h.example:5000/team/NAME"), broken)
    assert not report.push_would_work and report.exit_code == 1
    assert report.finding == broken
    line = report.text().splitlines()[2]
    assert line == ("✗ project      project team does not exist on h.example:5000 — Harbor "
                    "never creates a project on push — fix: create it")
    error = report.error()
    assert isinstance(error, RegkitError) and type(error).__name__ == "ProjectNotFound"
    assert error.hint == "create it"
    data = report.as_dict()
    assert data["finding"]["check"] == "project" and data["push_would_work"] is False
    assert json.loads(json.dumps(data)) == data


def test_a_report_stopped_early_is_not_a_pass() -> None:
    assert not _report(Check("name", True, "images go somewhere")).push_would_work


# -- the command and the Engine's files -------------------------------------------------------


def test_the_command_parses_its_options() -> None:
    parser = argparse.ArgumentParser(prog="regkit")
    doctor_command.register(parser.add_subparsers())
    args = parser.parse_args(["doctor", "h.example:5000/team", "--json", "--timeout", "2"])
    assert (args.registry, args.json, args.timeout) == ("h.example:5000/team", True, 2.0)
    assert parser.parse_args(["doctor"]).registry is None


def test_an_engine_that_is_not_regkits_uses_the_system_files() -> None:
    files = engine_files(Engine("unix:///nonexistent/docker.sock"))
    assert files.daemon_json == Path("/etc/docker/daemon.json")
    assert files.reload_command == "sudo systemctl reload docker"
    assert files.private is None and files.certs_dir == Path("/etc/docker/certs.d")


def test_lab_credentials_do_not_travel_to_another_registry(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    for name in ("REGKIT_USERNAME", "REGKIT_PASSWORD", "REGKIT_REGISTRY_URL", "REGKIT_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REGKIT_LAB_DIR", str(tmp_path / "no-lab"))
    monkeypatch.setenv("REGKIT_TEST_HOST_LAB_DIR", str(tmp_path / "no-test-host-lab"))
    # As course.default_settings fills them in for the practice lab.
    base = RegistrySettings("http://127.0.0.1:8080", username="admin", password="lab-default")
    walk = _target(base, "harbor.example.com/team", None, Path("/nonexistent"), 5.0, True)
    assert (walk.settings.username, walk.settings.password) == (None, None)
    same = _target(base, "127.0.0.1:8080/team", None, Path("/nonexistent"), 5.0, True)
    assert same.settings.username == "admin"
