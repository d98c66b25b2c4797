"""The Harbor client against the practice lab served over HTTPS with its own CA.

The lesson's path for real: the client refuses the unknown CA and says where to get it,
``/systeminfo/getcert`` serves it (checked against Harbor's description), and with that
bundle the same client works. Plain HTTP to the HTTPS lab, and HTTPS to the HTTP lab, each
say which scheme to use.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import urllib3

from regkit import errors
from regkit.harbor import Harbor
from regkit.lab import Lab
from regkit.settings import RegistrySettings
from tests.contract.recorder import ResponseRecorder
from tests.lab.conftest import require_registry_binary

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def tls_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A practice lab serving HTTPS with its own CA, on a free loopback port."""
    require_registry_binary()
    running = Lab(tmp_path_factory.mktemp("tls-lab"), port=0, tls=True).start()
    try:
        yield running
    finally:
        running.stop()


def settings(lab: Lab, **changes: object) -> RegistrySettings:
    return RegistrySettings(lab.url, username=lab.admin_user, password=lab.admin_password,
                            **changes)  # type: ignore[arg-type]


def test_the_unknown_ca_is_refused_with_where_to_get_it(tls_lab):
    with pytest.raises(errors.CertificateError) as caught:
        Harbor(settings(tls_lab)).ping()
    assert f"{tls_lab.url}/api/v2.0/systeminfo/getcert" in caught.value.hint


def test_getcert_serves_the_ca_that_then_makes_the_client_work(tls_lab, harbor_description,
                                                              tmp_path):
    recorder = ResponseRecorder()
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        pem = Harbor(settings(tls_lab, verify=False), hooks=[recorder]).ca_certificate()
    assert pem == open(tls_lab.ca_path, "rb").read()
    bundle = tmp_path / "ca.crt"
    bundle.write_bytes(pem)
    trusted = Harbor(settings(tls_lab, verify=str(bundle)), hooks=[recorder])
    assert trusted.check_login().username == tls_lab.admin_user
    assert trusted.system_info()["has_ca_root"] is True
    assert recorder.problems(harbor_description, strict=True) == []
    assert {"getCert", "getCurrentUserInfo", "getSystemInfo"} <= recorder.operation_ids(harbor_description)


def test_plain_http_to_the_https_lab_says_use_https(tls_lab):
    with pytest.raises(errors.InsecureRegistryError) as caught:
        Harbor(RegistrySettings(f"http://{tls_lab.host}")).ping()
    assert f"https://{tls_lab.host}" in caught.value.hint


def test_https_to_the_http_lab_says_use_http(lab):
    with pytest.raises(errors.InsecureRegistryError) as caught:
        Harbor(RegistrySettings(f"https://{lab.host}")).ping()
    assert f"http://{lab.host}" in caught.value.hint
