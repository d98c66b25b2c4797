"""A private Docker Engine (``dockerd``) that regkit starts for itself, as root.

When no Docker Engine answers (no ``DOCKER_HOST``, no ``/var/run/docker.sock``), the course
and its tests can run their own ``dockerd``. Everything it owns lives under one state
directory, so two can run side by side and neither touches the system's Docker:

    STATE/data/        --data-root (images, containers)
    STATE/exec/        --exec-root (its own containerd, runtime state)
    STATE/docker.sock  --host unix://... (the address to put in DOCKER_HOST)
    STATE/docker.pid   --pidfile
    STATE/daemon.json  --config-file (insecure-registries lessons edit this one)
    STATE/dockerd.log  the daemon's log

It uses the ``vfs`` storage driver and no bridge or iptables, so it works in containers
and VMs without kernel modules; builds (legacy builder), tag, push, pull and login work,
and containers run with ``--network none``.

This module needs only the standard library, so ``regkit engine`` stays fast.

Example:
    >>> engine = PrivateEngine("/var/lib/regkit/engine")  # doctest: +SKIP
    >>> engine.start()  # doctest: +SKIP
    'unix:///var/lib/regkit/engine/docker.sock'
    >>> engine.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from regkit import processes
from regkit.errors import DaemonJsonError, ServiceError

__all__ = ["PrivateEngine", "default_state_dir", "unix_ping"]

_INSTALL_HINT = "install the Docker Engine: `sudo apt-get install docker.io` (Debian/Ubuntu)"
_ROOT_HINT = (
    "a private Engine needs root; run as root (e.g. `sudo regkit engine up`), "
    "or start Docker and set DOCKER_HOST"
)
# sockaddr_un.sun_path is 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 107
_LOG_TAIL = 20


def default_state_dir() -> Path:
    """Where regkit keeps its private Engine unless told otherwise.

    Returns:
        ``$REGKIT_ENGINE_DIR`` when set; else ``/var/lib/regkit/engine`` as root, or
        ``~/.local/share/regkit/engine`` for other users (who can only look for it there,
        since starting one needs root).

    Example:
        >>> str(default_state_dir())  # doctest: +SKIP
        '/var/lib/regkit/engine'
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        default = Path("/var/lib/regkit/engine")
    else:
        default = Path.home() / ".local" / "share" / "regkit" / "engine"
    return processes.directory_from_env("REGKIT_ENGINE_DIR", default)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def unix_ping(socket_path: str | os.PathLike[str], timeout: float = 2) -> bool:
    """Ask the Engine listening on a unix socket whether it is alive (``GET /_ping``).

    Args:
        socket_path: the socket file (without ``unix://``).
        timeout: seconds to wait for the answer.

    Returns:
        True when the Engine answered ``OK``; False for any failure (no file, refused, ...).

    Example:
        >>> unix_ping("/nonexistent.sock")
        False
    """
    conn = _UnixHTTPConnection(str(socket_path), timeout)
    try:
        conn.request("GET", "/_ping")
        response = conn.getresponse()
        return response.status == 200 and response.read().strip() == b"OK"
    except OSError:
        return False
    finally:
        conn.close()


class PrivateEngine:
    """A ``dockerd`` with its own data, exec root, socket and config under ``state_dir``.

    Args:
        state_dir: the directory that holds everything this Engine owns; created on start.
            Use a short path: the socket path must fit in 107 bytes.
        dockerd: the ``dockerd`` executable; found on PATH (or ``/usr/sbin``) when None.

    Edge cases:
        ``start()`` reuses an Engine already running for the same ``state_dir`` (found by
        its pidfile and a ping), so ``regkit engine up`` twice starts one Engine. ``stop()``
        also stops such a reused Engine, but only after checking that the pid belongs to a
        ``dockerd`` serving this state directory. The Engine keeps running after the Python
        process that started it exits; call ``stop()`` (or ``regkit engine down``).

    Example:
        >>> engine = PrivateEngine("/tmp/regkit-engine")  # doctest: +SKIP
        >>> host = engine.start()  # doctest: +SKIP
        >>> engine.running  # doctest: +SKIP
        True
    """

    def __init__(self, state_dir: str | os.PathLike[str] | None = None, *, dockerd: str | None = None) -> None:
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self._dockerd = dockerd
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"PrivateEngine({str(self.state_dir)!r}, {state})"

    # -- where it lives -------------------------------------------------------------------

    @property
    def socket_path(self) -> Path:
        """The unix socket the Engine listens on."""
        return self.state_dir / "docker.sock"

    @property
    def docker_host(self) -> str:
        """The value for ``DOCKER_HOST`` (``unix:///.../docker.sock``)."""
        return f"unix://{self.socket_path}"

    @property
    def pidfile(self) -> Path:
        """The pidfile dockerd writes."""
        return self.state_dir / "docker.pid"

    @property
    def config_file(self) -> Path:
        """The daemon.json this Engine reads (``--config-file``); ``reload()`` re-reads it."""
        return self.state_dir / "daemon.json"

    @property
    def log_path(self) -> Path:
        """The daemon's log file (appended across starts)."""
        return self.state_dir / "dockerd.log"

    @property
    def data_root(self) -> Path:
        """``--data-root``: images and containers."""
        return self.state_dir / "data"

    @property
    def exec_root(self) -> Path:
        """``--exec-root``: the Engine's own containerd and runtime state."""
        return self.state_dir / "exec"

    @property
    def pid(self) -> int | None:
        """The pid of this state directory's running dockerd, else None."""
        pid = processes.read_pid(self.pidfile)
        return pid if processes.runs_with(pid, str(self.socket_path), program="dockerd") else None

    @property
    def running(self) -> bool:
        """True when this state directory's dockerd is alive and answers ``_ping``."""
        return self.pid is not None and unix_ping(self.socket_path)

    def command(self) -> list[str]:
        """The dockerd command line this Engine runs with.

        Returns:
            The argv list, starting with the dockerd executable.

        Raises:
            ServiceError: dockerd is not installed.

        Example:
            >>> PrivateEngine("/tmp/e").command()[1:3]  # doctest: +SKIP
            ['--data-root', '/tmp/e/data']
        """
        return [
            self._find_dockerd(),
            "--data-root", str(self.data_root),
            "--exec-root", str(self.exec_root),
            "--storage-driver", "vfs",
            "--iptables=false",
            "--bridge=none",
            "--host", self.docker_host,
            "--pidfile", str(self.pidfile),
            "--config-file", str(self.config_file),
        ]  # fmt: skip

    def _find_dockerd(self) -> str:
        if self._dockerd:
            found = shutil.which(self._dockerd)
            if not found:
                raise ServiceError(
                    f"dockerd not found at {self._dockerd}",
                    operation=self._dockerd,
                    hint=_INSTALL_HINT + ", or pass the right path",
                )
            return found
        found = shutil.which("dockerd") or shutil.which("dockerd", path="/usr/sbin:/usr/bin")
        if not found:
            raise ServiceError(
                "dockerd is not installed (not on PATH nor in /usr/sbin)",
                operation="dockerd",
                hint=_INSTALL_HINT,
            )
        return found

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> str:
        """Start the Engine (or reuse the one already running here) and wait for ``_ping``.

        Args:
            timeout: seconds to wait until the Engine answers.

        Returns:
            The ``DOCKER_HOST`` value to reach it.

        Raises:
            ServiceError: not root, dockerd missing, state path too long for a socket,
                or dockerd exited or did not answer in time (with its last log lines).

        Example:
            >>> PrivateEngine("/tmp/regkit-engine").start()  # doctest: +SKIP
            'unix:///tmp/regkit-engine/docker.sock'
        """
        if self.running:
            return self.docker_host
        self.state_dir = self.state_dir.absolute()
        argv = self.command()
        longest = self.exec_root / "containerd" / "containerd.sock.ttrpc"
        if len(str(longest).encode()) > _MAX_SOCKET_PATH:
            raise ServiceError(
                f"state directory path too long for unix sockets: {self.state_dir}",
                hint="use a shorter state directory (e.g. /var/lib/regkit/engine or "
                "REGKIT_ENGINE_DIR=/tmp/rke)",
            )
        if os.geteuid() != 0:
            raise ServiceError(
                "cannot start a private Docker Engine without root", operation=" ".join(argv),
                hint=_ROOT_HINT,
            )
        for directory in (self.state_dir, self.data_root, self.exec_root):
            directory.mkdir(parents=True, exist_ok=True)
        if not self.config_file.exists():
            self.config_file.write_text("{}\n")
        self._process, log_start = processes.start_logged(argv, self.log_path)
        outcome = processes.wait_ready(
            self._process, lambda: unix_ping(self.socket_path), timeout, interval=0.1
        )
        if outcome == "ready":
            return self.docker_host
        tail = processes.log_tail(self.log_path, log_start, _LOG_TAIL)
        if outcome == "exited":
            self._process = None
            raise ServiceError(
                "dockerd exited right after starting",
                operation=" ".join(argv),
                server_message=tail,
                hint=f"read the log lines above (full log: {self.log_path}); another "
                "dockerd using the same state directory, or a key in daemon.json that "
                "is also a command-line flag, are the usual causes",
            )
        # stop() finds dockerd by its pidfile, which a slow start may not have written yet.
        process, self._process = self._process, None
        if not processes.terminate_child(process, timeout=15):
            processes.kill_child(process)
        self.stop()
        raise ServiceError(
            f"dockerd did not answer on {self.socket_path} within {timeout:g}s",
            operation=" ".join(argv),
            server_message=tail,
            hint=f"look at {self.log_path}; a slow machine may need a larger timeout",
        )

    def stop(self, timeout: float = 30) -> None:
        """Stop the Engine: SIGTERM, then SIGKILL (and its containerd) after ``timeout``.

        Stopping an Engine that is not running does nothing. Images stay in ``data/``.

        Args:
            timeout: seconds to wait for a clean shutdown (dockerd waits up to 15 s for
                running containers itself).

        Example:
            >>> PrivateEngine("/tmp/regkit-engine").stop()  # doctest: +SKIP
        """
        pid = self.pid
        if pid is not None and not processes.signal_and_wait(pid, signal.SIGTERM, timeout):
            processes.signal_and_wait(pid, signal.SIGKILL, None)
            self._kill_orphaned_containerd()
        if self._process is not None:
            self._process.wait()
            self._process = None

    def _kill_orphaned_containerd(self) -> None:
        """After a SIGKILL, dockerd could not stop the containerd it started; do it."""
        pid = processes.read_pid(self.exec_root / "containerd" / "containerd.pid")
        if pid is not None and processes.runs_with(pid, str(self.exec_root)):
            os.kill(pid, signal.SIGKILL)

    def reload(self, timeout: float = 10) -> None:
        """Make the Engine re-read ``daemon.json`` (SIGHUP), as ``systemctl reload docker`` does.

        Only some keys are reloadable; ``insecure-registries`` is. A key that is absent
        from the file keeps its current value on reload: write
        ``"insecure-registries": []`` to clear the list, not ``{}``.

        Args:
            timeout: seconds to wait for the Engine to log the outcome.

        Raises:
            ServiceError: the Engine is not running, or did not report a reload in time.
            DaemonJsonError: the Engine refused the file (its own words in
                ``server_message``); it keeps running with the previous configuration.

        Example:
            >>> PrivateEngine("/tmp/regkit-engine").reload()  # doctest: +SKIP
        """
        pid = self.pid
        if pid is None:
            raise ServiceError(
                f"no private Engine is running in {self.state_dir}",
                operation="kill -HUP $(cat docker.pid)",
                hint="start it first (`regkit engine up`)",
            )
        log_start = processes.log_size(self.log_path)
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in processes.log_tail(self.log_path, log_start, 1000).splitlines():
                if "Reloaded configuration" in line:
                    return
                if "unable to configure the Docker daemon" in line:
                    raise DaemonJsonError(
                        f"the Engine refused {self.config_file}; it keeps its previous "
                        "configuration",
                        operation=f"kill -HUP {pid}",
                        server_message=_log_message(line),
                        hint="fix the file (valid JSON, no key that is also a dockerd flag "
                        "such as data-root or hosts) and reload again",
                    )
            time.sleep(0.05)
        raise ServiceError(
            f"the Engine did not report reloading {self.config_file} within {timeout:g}s",
            operation=f"kill -HUP {pid}",
            hint=f"look at {self.log_path}",
        )

    def read_config(self) -> dict[str, object]:
        """Read this Engine's ``daemon.json``.

        Returns:
            The parsed object ({} when the file does not exist yet).

        Raises:
            DaemonJsonError: the file is not a JSON object.

        Example:
            >>> PrivateEngine("/nonexistent").read_config()
            {}
        """
        try:
            data = json.loads(self.config_file.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise DaemonJsonError(
                f"cannot read {self.config_file}: {err}",
                hint="fix or delete the file",
            ) from err
        if not isinstance(data, dict):
            raise DaemonJsonError(f"{self.config_file} is not a JSON object", hint="fix it")
        return data

    def log_tail(self, lines: int = _LOG_TAIL) -> str:
        """The last lines of the daemon's log.

        Args:
            lines: how many lines.

        Returns:
            The lines joined with newlines ('' when there is no log).

        Example:
            >>> PrivateEngine("/nonexistent").log_tail()
            ''
        """
        return processes.log_tail(self.log_path, 0, lines)

    def __enter__(self) -> PrivateEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _log_message(line: str) -> str:
    """The ``msg="..."`` part of a logrus line, or the whole line."""
    marker = 'msg="'
    start = line.find(marker)
    if start < 0:
        return line
    text = line[start + len(marker):]
    end = text.rfind('"')
    return (text[:end] if end >= 0 else text).replace('\\"', '"')
