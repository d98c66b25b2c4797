"""Shared test helpers: the CI-aware ``require`` and real-process session fixtures.

Fixtures start real things: a Docker Engine (``DOCKER_HOST`` when it answers, else a
private ``dockerd`` as root), a distribution registry with an htpasswd user, a busybox
image built offline. Nothing is mocked. A missing prerequisite skips locally and fails
when the ``CI`` environment variable is set, so CI never goes green by skipping.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from regkit.engine import Engine
    from regkit.private_engine import PrivateEngine
    from regkit.registry_server import RegistryServer
    from regkit.settings import RegistrySettings


_RECORD_DIR = tempfile.TemporaryDirectory(prefix="regkit-course-record-")


def pytest_configure(config: pytest.Config) -> None:
    # What tests push is theirs: keep it out of the user's course record, which
    # `regkit course reset` would otherwise act on later (kernels inherit this too).
    os.environ.setdefault("REGKIT_COURSE_RECORD",
                          str(Path(_RECORD_DIR.name) / "course-record.jsonl"))


def require(condition: object, reason: str) -> None:
    """Skip the test when ``condition`` is false; fail instead when ``CI`` is set.

    Args:
        condition: anything truthy when the prerequisite is there.
        reason: what is missing and how to get it (shown in the skip or failure).

    Example:
        >>> require(shutil.which("sh"), "needs a shell")
    """
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"prerequisite missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _can_run_private_engine() -> bool:
    return os.geteuid() == 0 and bool(
        shutil.which("dockerd") or shutil.which("dockerd", path="/usr/sbin")
    )


def _start_private_engine() -> tuple[PrivateEngine, str]:
    from regkit.private_engine import PrivateEngine

    # A short path under /tmp: the Engine's containerd socket must fit in 107 bytes.
    state_dir = tempfile.mkdtemp(prefix="rk-engine-", dir="/tmp")
    private = PrivateEngine(state_dir)
    private.start()
    return private, state_dir


def _stop_private_engine(private: PrivateEngine, state_dir: str) -> None:
    private.stop()
    shutil.rmtree(state_dir, ignore_errors=True)


@dataclass
class _EngineSession:
    engine: Engine
    private: PrivateEngine | None


@pytest.fixture(scope="session")
def _engine_session() -> Iterator[_EngineSession]:
    from regkit.engine import Engine

    if os.environ.get("DOCKER_HOST"):
        engine = Engine(os.environ["DOCKER_HOST"])
        if engine.ping():
            yield _EngineSession(engine, None)
            engine.close()
            return
    require(
        _can_run_private_engine(),
        "no Docker Engine: set DOCKER_HOST to a running Engine, or run the tests as root "
        "with dockerd installed (apt-get install docker.io) to start a private one",
    )
    private, state_dir = _start_private_engine()
    engine = Engine(private.docker_host)
    try:
        yield _EngineSession(engine, private)
    finally:
        engine.close()
        _stop_private_engine(private, state_dir)


@pytest.fixture(scope="session")
def engine(_engine_session: _EngineSession) -> Engine:
    """An :class:`~regkit.engine.Engine` that answers (DOCKER_HOST, else a private dockerd)."""
    return _engine_session.engine


@pytest.fixture(scope="session")
def private_engine(_engine_session: _EngineSession) -> Iterator[PrivateEngine]:
    """A private dockerd this session controls (its daemon.json, reload, stop).

    The session's Engine when it is a private one; otherwise (DOCKER_HOST answered) a
    second, private Engine is started for the tests that need to reconfigure one.
    """
    if _engine_session.private is not None:
        yield _engine_session.private
        return
    require(_can_run_private_engine(), "needs root and dockerd (apt-get install docker.io)")
    private, state_dir = _start_private_engine()
    try:
        yield private
    finally:
        _stop_private_engine(private, state_dir)


@dataclass
class RegistryFixture:
    """A running registry with one htpasswd user, as the ``registry`` fixture yields it."""

    server: RegistryServer
    username: str
    password: str = field(repr=False)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def address(self) -> str:
        return self.server.address

    def settings(self, **changes: object) -> RegistrySettings:
        """RegistrySettings for this registry with the user's credentials (overridable)."""
        from regkit.settings import RegistrySettings

        values: dict[str, object] = {
            "username": self.username, "password": self.password, "project": "library",
        }  # fmt: skip
        values.update(changes)
        return RegistrySettings(self.url, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryFixture]:
    """A real ``docker-registry`` on a free loopback port; user ``alice``, random password."""
    from regkit.registry_server import RegistryServer, find_registry_binary
    from regkit.errors import ServiceError

    try:
        find_registry_binary()
    except ServiceError as err:
        require(False, str(err))
    password = secrets.token_urlsafe(16)
    server = RegistryServer(tmp_path_factory.mktemp("registry"), htpasswd={"alice": password})
    server.start()
    try:
        yield RegistryFixture(server, "alice", password)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def busybox(engine: Engine) -> str:
    """``busybox:latest`` on the Engine (pulled, or built offline); yields its image id."""
    from regkit.busybox import find_static_busybox
    from regkit.errors import BuildError

    if engine.image_id("busybox:latest") is None:
        try:
            find_static_busybox()
        except BuildError as err:
            require(False, str(err))
    return engine.ensure_busybox("busybox:latest")


def _fingerprint(path: Path) -> tuple[int, int, str] | None:
    try:
        data = path.read_bytes()
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size, hashlib.sha256(data).hexdigest())


@dataclass
class DockerConfigGuard:
    """Points ``DOCKER_CONFIG`` at an empty directory and checks nothing lands in it.

    Also fingerprints ``~/.docker/config.json`` at the start, so a write there is caught.
    """

    path: Path
    home_config: Path
    home_before: tuple[int, int, str] | None

    def written(self) -> list[str]:
        """Files created in the guarded directory, plus the home config if it changed."""
        found = sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*"))
        if _fingerprint(self.home_config) != self.home_before:
            found.append(str(self.home_config))
        return found

    def assert_untouched(self) -> None:
        """Fail when anything was written to the Docker config (guarded dir or home)."""
        written = self.written()
        assert not written, f"the Docker config was written to: {written}"


@pytest.fixture
def docker_config_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DockerConfigGuard]:
    """Use with ``pytestmark = pytest.mark.usefixtures("docker_config_guard")`` to make
    every test of a module prove it wrote no Docker credentials anywhere."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(directory))
    home_config = Path.home() / ".docker" / "config.json"
    guard = DockerConfigGuard(directory, home_config, _fingerprint(home_config))
    yield guard
    written = guard.written()
    if written:
        pytest.fail(f"the Docker config was written to: {written}", pytrace=False)
