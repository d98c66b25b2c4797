"""The failures of slides 2-4 made real, each with the fix that makes the same push work.

A registry off loopback (the lab on the test host) meets the Engine's real words:
``http: server gave HTTP response to HTTPS client`` until it is listed in
``insecure-registries`` and the Engine reloads; ``x509: certificate signed by unknown
authority`` until its CA sits in ``certs.d`` (no restart); a name mismatch that no CA fixes.
Harbor's refusals (missing project, no push role, wrong password) are made on the loopback
lab. ``regkit doctor`` must name the same broken link each time, and pass once it is fixed.
"""

from __future__ import annotations

import pytest

from regkit.doctor import diagnose, go_hostname_error
from regkit.engine import Engine
from regkit.errors import (
    AuthenticationError,
    CertificateError,
    InsecureRegistryError,
    ProjectNotFound,
    PushDenied,
)
from regkit.harbor import Harbor
from regkit.lab import Lab
from regkit.private_engine import PrivateEngine
from tests.tls.conftest import admin, engine_pid

pytestmark = [pytest.mark.engine, pytest.mark.lab,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]


def _push(engine: Engine, running: Lab, tag: str, **changes: object) -> str:
    settings = admin(running, **changes)
    image = settings.image("busybox", tag)
    engine.tag("busybox:latest", image)
    return engine.push(image, settings=settings).digest


# -- plain HTTP off loopback ------------------------------------------------------------------


def test_plain_http_is_refused_until_listed_and_reloaded(
        tls_engine: Engine, http_lab: Lab, private_engine: PrivateEngine,
        insecure_entry) -> None:
    settings = admin(http_lab)
    assert tls_engine.registry_view(http_lab.host).secure is True
    with pytest.raises(InsecureRegistryError) as refused:
        _push(tls_engine, http_lab, "http")
    assert "http: server gave HTTP response to HTTPS client" in refused.value.server_message
    assert f'"https://{http_lab.host}/v2/"' in refused.value.server_message
    assert "insecure-registries" in (refused.value.hint or "")
    with pytest.raises(InsecureRegistryError):
        tls_engine.login(settings)

    report = diagnose(settings, tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("engine", "InsecureRegistryError")
    assert f'add "{http_lab.host}" to "insecure-registries" in {private_engine.config_file}' \
        in (report.finding.fix or "")
    assert report.exit_code == 1

    pid = engine_pid(private_engine)
    with insecure_entry(http_lab.host):
        view = tls_engine.registry_view(http_lab.host)
        assert (view.secure, view.reason) == (False, "insecure: listed in insecure-registries")
        assert _push(tls_engine, http_lab, "http").startswith("sha256:")
        assert tls_engine.login(settings).status == "Login Succeeded"
        fixed = diagnose(settings, tls_engine)
        assert fixed.push_would_work, fixed.text()
        assert engine_pid(private_engine) == pid  # a reload, not a restart
    assert tls_engine.registry_view(http_lab.host).secure is True


# -- HTTPS with the lab's own CA --------------------------------------------------------------


def test_unknown_ca_is_refused_until_the_ca_is_in_certs_d(
        tls_engine: Engine, tls_lab: Lab, private_engine: PrivateEngine, trusted_ca) -> None:
    settings = admin(tls_lab)
    with pytest.raises(CertificateError) as refused:
        _push(tls_engine, tls_lab, "tls")
    assert refused.value.server_message == (
        f'Get "https://{tls_lab.host}/v2/": x509: certificate signed by unknown authority')

    report = diagnose(settings, tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("certificate", "CertificateError")
    assert "the Engine does not trust" in report.finding.what
    assert f"/etc/docker/certs.d/{tls_lab.host}/ca.crt" in (report.finding.fix or "")
    assert "systeminfo/getcert" in (report.finding.fix or "")

    # What a learner does: fetch the CA from Harbor's getcert (unverified, once), install it.
    pem = Harbor(settings.replace(verify=False)).ca_certificate()
    assert pem == open(tls_lab.ca_path or "", "rb").read()
    pid = engine_pid(private_engine)
    with trusted_ca(tls_lab.host, pem) as path:
        assert path.parent.name == tls_lab.host
        assert _push(tls_engine, tls_lab, "tls").startswith("sha256:")
        assert engine_pid(private_engine) == pid  # certs.d needs no reload or restart
        fixed = diagnose(settings, tls_engine)
        assert fixed.push_would_work, fixed.text()
        assert f"trusted by the Engine ({path})" in fixed.checks[4].what
    with pytest.raises(CertificateError):
        _push(tls_engine, tls_lab, "tls")


def test_regkit_itself_needs_the_ca_too(tls_engine: Engine, tls_lab: Lab, trusted_ca) -> None:
    pem = open(tls_lab.ca_path or "", "rb").read()
    with trusted_ca(tls_lab.host, pem):
        report = diagnose(admin(tls_lab, verify=True), tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("certificate", "CertificateError")
    assert report.finding.what == f"regkit does not trust the certificate of {tls_lab.host}"
    assert "export REGKIT_CA_BUNDLE=" in (report.finding.fix or "")


def test_a_certificate_without_the_test_host_ip_is_a_name_mismatch(
        tls_engine: Engine, mismatch_lab: Lab, test_host, trusted_ca) -> None:
    pem = open(mismatch_lab.ca_path or "", "rb").read()
    with trusted_ca(mismatch_lab.host, pem):
        with pytest.raises(CertificateError) as refused:
            _push(tls_engine, mismatch_lab, "mismatch")
        report = diagnose(admin(mismatch_lab), tls_engine)
    words = go_hostname_error(test_host.address, ["localhost", "127.0.0.1", "::1"])
    assert refused.value.server_message == f'Get "https://{mismatch_lab.host}/v2/": {words}'
    assert "subjectAltName" in (refused.value.hint or "")
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("certificate", "CertificateError")
    assert report.finding.what == (f"the certificate of {mismatch_lab.host} does not name "
                                   f"{test_host.address}")
    assert words in (report.finding.why or "")


# -- Harbor's refusals, on the loopback lab ---------------------------------------------------


def test_pushing_to_a_missing_project_fails_and_the_doctor_says_which(
        tls_engine: Engine, lab: Lab) -> None:
    settings = admin(lab, project="no-such-project")
    image = settings.image("busybox", "v1")
    tls_engine.tag("busybox:latest", image)
    with pytest.raises(ProjectNotFound) as refused:
        tls_engine.push(image, settings=settings)
    assert "project no-such-project not found" in (refused.value.server_message or "")
    report = diagnose(settings, tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("project", "ProjectNotFound")
    assert '"project_name": "no-such-project"' in (report.finding.fix or "")


def test_a_user_without_a_role_may_not_push_to_library(tls_engine: Engine, lab: Lab) -> None:
    settings = admin(lab, username=lab.learner_user, password=lab.learner_password)
    image = settings.image("busybox", "learner")
    tls_engine.tag("busybox:latest", image)
    with pytest.raises(PushDenied) as refused:
        tls_engine.push(image, settings=settings)
    assert "unauthorized to access repository: library/busybox, action: push" in (
        refused.value.server_message or "")
    report = diagnose(settings, tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("push", "PushDenied")
    assert "grants pull on library/doctor" in (report.finding.why or "")
    assert "Developer" in (report.finding.fix or "")


def test_a_wrong_password_fails_login_and_the_doctor_catches_it(
        tls_engine: Engine, lab: Lab) -> None:
    settings = admin(lab, password="not-the-password")
    with pytest.raises(AuthenticationError):
        tls_engine.login(settings)
    # Harbor answers a wrong password elsewhere as if anonymous: the list still works.
    assert "library" in [p.name for p in Harbor(settings).projects()]
    report = diagnose(settings, tls_engine)
    assert report.finding is not None
    assert (report.finding.name, report.finding.error) == ("credentials", "AuthenticationError")
    assert report.finding.what == f"Harbor does not accept the password of {lab.admin_user}"


def test_all_good_on_the_loopback_lab(tls_engine: Engine, lab: Lab) -> None:
    report = diagnose(admin(lab), tls_engine)
    assert report.push_would_work, report.text()
    assert [c.name for c in report.checks] == ["name", "resolve", "port", "scheme", "engine",
                                               "credentials", "project", "push"]
    assert report.checks[4].what.startswith("insecure: 127.0.0.0/8 (loopback)")
    assert report.exit_code == 0
