"""Fixtures for the TLS and trust tests: a test host, labs on it, and undoable trust changes.

Everything is real: a network namespace with a veth pair (the project's own test host, from
``10.203.0.0/24``), the practice lab running inside it, a private ``dockerd`` whose
``daemon.json`` the tests edit and reload, and the Engine's real ``certs.d``
(``/etc/docker/certs.d/<test host:port>/``: dockerd has no option to read another folder).
Every change is undone by a finalizer, which runs when a test fails too: entries leave
``insecure-registries`` (with a reload), CA files leave ``certs.d``, labs stop, and the
namespace and its veth are deleted.

Tests that need root skip locally without it and fail in CI (``tests.conftest.require``).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Callable, ContextManager, Iterator

import pytest

from regkit.daemon_json import DEFAULT_CERTS_D, install_ca, remove_ca
from regkit.engine import Engine
from regkit.lab import Lab
from regkit.lab.testhost import TestHost, allocate, unsupported_reason
from regkit.private_engine import PrivateEngine
from regkit.settings import RegistrySettings
from tests.conftest import require
from tests.lab.conftest import lab, require_registry_binary  # noqa: F401  (re-exported fixture)


def require_test_host() -> None:
    """Skip (fail in CI) when a test host cannot be made here."""
    reason = unsupported_reason()
    require(reason is None, reason or "")


@pytest.fixture(scope="session")
def test_host() -> Iterator[TestHost]:
    """A test host of its own for this session (a free slot), removed at the end."""
    require_test_host()
    host = allocate()
    try:
        yield host
    finally:
        host.remove()
        assert not host.namespace_exists() and not host.link_exists()


def _start_lab(tmp_path_factory: pytest.TempPathFactory, host: TestHost, **options: object
               ) -> Iterator[Lab]:
    require_registry_binary()
    running = Lab(tmp_path_factory.mktemp("tls-lab"), port=0, test_host=host,
                  **options).start()  # type: ignore[arg-type]
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def http_lab(tmp_path_factory: pytest.TempPathFactory, test_host: TestHost) -> Iterator[Lab]:
    """The practice lab on the test host, plain HTTP."""
    yield from _start_lab(tmp_path_factory, test_host)


@pytest.fixture(scope="module")
def tls_lab(tmp_path_factory: pytest.TempPathFactory, test_host: TestHost) -> Iterator[Lab]:
    """The practice lab on the test host, HTTPS with its own CA (which names the test host)."""
    yield from _start_lab(tmp_path_factory, test_host, tls=True)


@pytest.fixture(scope="module")
def mismatch_lab(tmp_path_factory: pytest.TempPathFactory, test_host: TestHost
                 ) -> Iterator[Lab]:
    """HTTPS on the test host with a certificate that does not name the test host's IP."""
    yield from _start_lab(tmp_path_factory, test_host, tls=True, name_test_host=False)


def admin(running: Lab, **changes: object) -> RegistrySettings:
    """The lab's admin settings (TLS labs trusted through their CA file)."""
    verify: object = running.ca_path if running.ca_path else True
    values: dict[str, object] = {"url": running.url, "username": running.admin_user,
                                 "password": running.admin_password, "verify": verify}
    values.update(changes)
    return RegistrySettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def tls_engine(private_engine: PrivateEngine) -> Engine:
    """An Engine on the private dockerd the tests reconfigure, with busybox on it."""
    engine = Engine(private_engine.docker_host)
    engine.ensure_busybox("busybox:latest")
    return engine


@contextlib.contextmanager
def _insecure(private: PrivateEngine, host: str) -> Iterator[None]:
    original = private.config_file.read_text() if private.config_file.exists() else "{}\n"
    data = json.loads(original)
    entries = list(data.get("insecure-registries") or [])
    private.config_file.write_text(json.dumps({**data, "insecure-registries":
                                               entries + [host]}))
    try:
        private.reload()
        yield
    finally:
        # An explicit list: dockerd 20.10 keeps its list on reload when the key is missing.
        private.config_file.write_text(json.dumps({**data, "insecure-registries": entries}))
        private.reload()
        private.config_file.write_text(original)


@pytest.fixture
def insecure_entry(private_engine: PrivateEngine) -> Iterator[Callable[[str], ContextManager[None]]]:
    """``with insecure_entry(host):`` lists ``host`` in the private Engine's insecure-registries.

    The entry is added with a reload, and removed with a reload when the block ends.
    """
    yield lambda host: _insecure(private_engine, host)


@contextlib.contextmanager
def _trusted(host: str, pem: bytes) -> Iterator[Path]:
    certs_dir = Path(DEFAULT_CERTS_D)
    made = [p for p in (certs_dir.parent, certs_dir) if not p.exists()]
    change = install_ca(host, pem, certs_dir, backup=False)
    try:
        yield change.path
    finally:
        remove_ca(host, certs_dir, backup=False)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()


@pytest.fixture
def trusted_ca() -> Iterator[Callable[[str, bytes], ContextManager[Path]]]:
    """``with trusted_ca(host, pem) as path:`` installs a CA in the Engine's certs.d.

    Only for the test host's ``host:port``; the file (and folders made for it) go when the
    block ends.
    """
    yield _trusted


def engine_pid(private: PrivateEngine) -> int:
    """The private Engine's pid (to prove nothing restarted it)."""
    pid = private.pid
    assert pid is not None
    return pid


def env_without_regkit() -> dict[str, str]:
    """The environment minus REGKIT_* and DOCKER_HOST, for CLI runs that set their own."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("REGKIT_") and k != "DOCKER_HOST"}
