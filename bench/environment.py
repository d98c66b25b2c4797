"""What the benchmarks run against: an Engine, the practice lab and a bare registry.

Everything is started here, on loopback, under one temporary directory, and stopped by
:meth:`BenchEnvironment.close` (also on Ctrl-C or a failure): the Engine ``DOCKER_HOST``
names when it answers (else a private ``dockerd`` in the temporary directory, never the
course's own one), a practice lab on a free port, and a bare anonymous registry.
``DOCKER_CONFIG`` points at an empty folder of the temporary directory for this process
and its children, so neither regkit nor the ``docker`` CLI reads or writes
``~/.docker/config.json``.

Example:
    >>> with BenchEnvironment() as env:  # doctest: +SKIP
    ...     env.lab.url
    'http://127.0.0.1:41234'
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import ExitStack
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from regkit.engine import Engine
    from regkit.lab import Lab
    from regkit.registry_server import RegistryServer
    from regkit.settings import RegistrySettings

__all__ = ["BenchEnvironment", "LabBackend", "REPO_ROOT", "docker_cli"]

REPO_ROOT = Path(__file__).resolve().parents[1]
# The lab's private registry account (regkit.lab.server._REGISTRY_USER).
_LAB_REGISTRY_USER = "harbor_registry_user"


def docker_cli() -> str:
    """The ``docker`` CLI to compare with (``/usr/local/bin/docker`` here)."""
    found = shutil.which("docker") or "/usr/local/bin/docker"
    if not os.access(found, os.X_OK):
        raise RuntimeError("the docker CLI is not installed (looked on PATH and /usr/local/bin)")
    return found


class LabBackend:
    """The distribution registry behind a running lab, reached directly.

    The lab writes its registry's config (``registry/config.yml``: the address) and the
    password of its one account (``registry.secret``, mode 0600) into its data
    directory; this reads both, so a push can bypass the lab's front.

    Args:
        data_dir: the lab's data directory.
    """

    def __init__(self, data_dir: Path) -> None:
        config = yaml.safe_load((data_dir / "registry" / "config.yml").read_text())
        self.address: str = config["http"]["addr"]
        self.username = _LAB_REGISTRY_USER
        self._secret = (data_dir / "registry.secret").read_text().strip()

    def settings(self) -> RegistrySettings:
        """Settings for pushing straight to the registry (its htpasswd account)."""
        from regkit.settings import RegistrySettings

        return RegistrySettings(f"http://{self.address}", project="bench",
                                username=self.username, password=self._secret)


class BenchEnvironment:
    """The processes the benchmarks need, started on first use and stopped by :meth:`close`.

    Args:
        root: the temporary directory to work in (created, and removed on close, when None).
    """

    def __init__(self, root: Path | None = None) -> None:
        self._own_root = root is None
        # Short: a private Engine's containerd socket path must fit in 107 bytes.
        self.root = root or Path(tempfile.mkdtemp(prefix="rk-bench-", dir="/tmp"))
        self._stack = ExitStack()
        self._saved_docker_config = os.environ.get("DOCKER_CONFIG")
        config = self.root / "docker-config"
        config.mkdir(exist_ok=True)
        os.environ["DOCKER_CONFIG"] = str(config)
        self.engine_source = ""

    def __enter__(self) -> BenchEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop everything started here and remove the temporary directory."""
        try:
            self._stack.close()
        finally:
            if self._saved_docker_config is None:
                os.environ.pop("DOCKER_CONFIG", None)
            else:
                os.environ["DOCKER_CONFIG"] = self._saved_docker_config
            if self._own_root:
                shutil.rmtree(self.root, ignore_errors=True)

    @cached_property
    def docker_host(self) -> str:
        """The Engine's address: ``DOCKER_HOST`` when it answers, else a private dockerd."""
        from regkit.engine import Engine
        from regkit.private_engine import PrivateEngine

        given = os.environ.get("DOCKER_HOST")
        if given:
            probe = Engine(given)
            try:
                if probe.ping():
                    self.engine_source = f"DOCKER_HOST ({given})"
                    return given
            finally:
                probe.close()
        private = PrivateEngine(self.root / "engine")
        host = private.start()
        self._stack.callback(private.stop)
        self.engine_source = "a private dockerd started for this run"
        return host

    def engine(self) -> Engine:
        """A new :class:`~regkit.engine.Engine` on :attr:`docker_host` (not connected yet)."""
        from regkit.engine import Engine

        return Engine(self.docker_host)

    def versions(self) -> str:
        """The Engine's and the CLI's versions, for the report (empty if no Engine started)."""
        if not self.engine_source:
            return ""
        import subprocess

        engine = self.engine()
        try:
            server = engine.status().server_version or "?"
        finally:
            engine.close()
        client = subprocess.run([docker_cli(), "version", "--format", "{{.Client.Version}}"],
                                capture_output=True, text=True, timeout=30, check=False,
                                env={**os.environ, "DOCKER_HOST": self.docker_host})
        return f"dockerd {server}, docker CLI {client.stdout.strip() or '?'}"

    @cached_property
    def lab(self) -> Lab:
        """A practice lab on a free port, data in the temporary directory."""
        from regkit.lab import Lab

        lab = Lab(self.root / "lab", port=0).start()
        self._stack.callback(lab.stop)
        return lab

    def lab_settings(self, project: str = "library") -> RegistrySettings:
        """Settings for the lab's admin account."""
        from regkit.settings import RegistrySettings

        return RegistrySettings(self.lab.url, project=project, username=self.lab.admin_user,
                                password=self.lab.admin_password)

    @cached_property
    def lab_backend(self) -> LabBackend:
        """The registry behind :attr:`lab`, reached without the lab."""
        return LabBackend(self.lab.data_dir)

    @cached_property
    def registry(self) -> RegistryServer:
        """A bare anonymous distribution registry on a free port."""
        from regkit.registry_server import RegistryServer

        server = RegistryServer(self.root / "registry",
                                extra_config={"log": {"accesslog": {"disabled": True}}})
        server.start()
        self._stack.callback(server.stop)
        return server
