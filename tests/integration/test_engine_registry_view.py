"""The Engine's view of a registry (secure or insecure), checked on a real dockerd."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from regkit.engine import Engine
from regkit.errors import DaemonJsonError
from regkit.private_engine import PrivateEngine
from tests.conftest import RegistryFixture

pytestmark = pytest.mark.engine


def test_loopback_registry_is_insecure_by_cidr(engine: Engine, registry: RegistryFixture) -> None:
    view = engine.registry_view(registry.address)
    assert view.secure is False
    assert view.reason == "insecure: 127.0.0.0/8 (loopback)"
    assert "127.0.0.0/8" in view.insecure_registries
    assert view.command == "docker info --format '{{json .RegistryConfig}}'"


def test_scheme_in_host_is_ignored(engine: Engine, registry: RegistryFixture) -> None:
    assert engine.registry_view(registry.url).host == registry.address


def test_non_loopback_address_requires_tls(engine: Engine) -> None:
    # 192.0.2.0/24 is TEST-NET-1: an IP literal, so nothing is resolved or contacted.
    view = engine.registry_view("192.0.2.10:5000")
    assert view.secure is True
    assert view.reason == "secure: TLS required"


def test_docker_hub_is_always_secure(engine: Engine) -> None:
    view = engine.registry_view("docker.io")
    assert view.secure is True


@pytest.fixture
def insecure_config(private_engine: PrivateEngine) -> Iterator[PrivateEngine]:
    """Let a test edit the private Engine's daemon.json; restore it and reload after."""
    original = private_engine.config_file.read_text()
    yield private_engine
    private_engine.config_file.write_text(json.dumps({"insecure-registries": []}))
    private_engine.reload()
    private_engine.config_file.write_text(original)


def test_listed_registry_becomes_insecure_after_reload(insecure_config: PrivateEngine) -> None:
    private = insecure_config
    engine = Engine(private.docker_host)
    assert engine.registry_view("harbor.test:8443").secure is True
    private.config_file.write_text(
        json.dumps({"insecure-registries": ["harbor.test:8443", "192.0.2.0/24"]})
    )
    private.reload()
    listed = engine.registry_view("harbor.test:8443")
    assert (listed.secure, listed.reason) == (False, "insecure: listed in insecure-registries")
    assert "harbor.test:8443" in listed.insecure_registries
    by_cidr = engine.registry_view("192.0.2.10:5000")
    assert (by_cidr.secure, by_cidr.reason) == (False, "insecure: 192.0.2.0/24 (in insecure-registries)")


def test_refused_daemon_json_keeps_the_engine_running(insecure_config: PrivateEngine) -> None:
    private = insecure_config
    private.config_file.write_text('{"insecure-registries": [')
    with pytest.raises(DaemonJsonError) as info:
        private.reload()
    assert "unable to configure the Docker daemon" in (info.value.server_message or "")
    assert private.running
