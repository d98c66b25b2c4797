"""A real CNCF distribution registry (``docker-registry serve``) run as a child process.

The practice lab stores its images in one of these, and the integration tests push to one.
Everything the registry keeps lives in ``data_dir``: the generated ``config.yml`` (written as
JSON, which is YAML too), the ``htpasswd`` file (bcrypt hashes only) with its
``htpasswd.sha256`` stamp, the ``storage/`` tree and ``registry.log``. Stopping and starting
again on the same ``data_dir`` keeps every pushed image.

Starting is on the path of ``regkit lab up``, which should answer within a few times what a
bare ``docker-registry serve`` takes to answer (about 10 ms): nothing slow is imported or
computed on it.

Example:
    >>> with RegistryServer("/tmp/reg", htpasswd={"alice": "s3cret"}) as reg:  # doctest: +SKIP
    ...     reg.url
    'http://127.0.0.1:41234'
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any, Mapping

from regkit import processes
from regkit.errors import ServiceError

__all__ = ["RegistryServer", "find_registry_binary"]

_BINARIES = ("docker-registry", "registry")
_INSTALL_HINT = (
    "install CNCF distribution: `sudo apt-get install docker-registry` (Debian/Ubuntu), "
    "or put a `registry` binary on PATH"
)
# Apache's `htpasswd -B` default cost. The registry checks the hash on every request of a
# push, so the usual cost of 12 would add a quarter second to each blob upload.
_BCRYPT_ROUNDS = 5
_PORT_ATTEMPTS = 5
_LOG_TAIL = 15
# The registry answers about 10 ms after it is spawned: poll often enough not to add much.
_READY_POLL = 0.002
_PROBE_TIMEOUT = 0.5


def find_registry_binary() -> str:
    """Find the distribution registry executable on PATH.

    Returns:
        The path of ``docker-registry`` (Debian's name) or, failing that, ``registry``.

    Raises:
        ServiceError: neither is on PATH; the hint says which package to install.

    Example:
        >>> find_registry_binary()  # doctest: +SKIP
        '/usr/bin/docker-registry'
    """
    for name in _BINARIES:
        path = shutil.which(name)
        if path:
            return path
    raise ServiceError(
        "no registry binary found (looked for `docker-registry` and `registry` on PATH)",
        operation="docker-registry serve config.yml",
        hint=_INSTALL_HINT,
    )


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into a copy of ``base``; nested dicts merge, a None value deletes."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _reveal(password: Any) -> str:
    """Accept a plain str or a ``regkit.settings.Secret`` without importing settings."""
    reveal = getattr(password, "reveal", None)
    return str(reveal()) if callable(reveal) else str(password)


def _htpasswd_stamp(users: list[tuple[str, str]], htpasswd: str) -> str:
    """The fingerprint tying an htpasswd file's text to the credentials it was made from.

    The file's text carries bcrypt's random salts, so the stamp is salted too; JSON keeps
    the encoding unambiguous (no user/password split can produce another's stamp).
    """
    return hashlib.sha256(json.dumps([users, htpasswd]).encode()).hexdigest()


def _v2_status(host: str, port: int, timeout: float = _PROBE_TIMEOUT) -> int | None:
    """``GET /v2/`` over a bare socket; the status code, or None when nothing sensible answers.

    http.client (and the email package it pulls in) would cost about 10 ms of imports on
    every start; the status line is all readiness needs.
    """
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request = f"GET /v2/ HTTP/1.0\r\nHost: {netloc}\r\nConnection: close\r\n\r\n".encode()
    head = b""
    try:
        # A bytes host skips the idna codec (stringprep, unicodedata: ~1.5 ms of imports).
        with socket.create_connection((host.encode(), port), timeout=timeout) as sock:
            sock.sendall(request)
            while b"\r\n" not in head and len(head) < 1024:
                chunk = sock.recv(1024)
                if not chunk:
                    break
                head += chunk
    except OSError:
        return None
    parts = head.split(b"\r\n", 1)[0].split()
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return None


class RegistryServer:
    """A distribution registry process bound to one loopback address, with its data on disk.

    Args:
        data_dir: where the config, htpasswd, storage and log live; created if missing and
            reused across restarts (images pushed before a restart are still there).
        port: the TCP port; 0 picks a free one at ``start()`` (and, after a restart, tries
            the previous one first so URLs stay valid).
        host: the address to bind; keep it on loopback.
        htpasswd: ``{username: password}`` (str or ``Secret`` values) to require HTTP basic
            auth; passwords are written only as bcrypt hashes. None serves anonymously
            (``/v2/`` answers 200).
        extra_config: deep-merged into the generated distribution 2.8 config; nested dicts
            merge, any other value replaces, and a None value removes that key (e.g.
            ``{"auth": None, ...}`` before adding token auth). Setting ``auth`` here while
            also passing ``htpasswd`` leaves two auth providers, which the registry refuses.
        binary: the registry executable; found with :func:`find_registry_binary` when None.

    Edge cases:
        The process writes its log (stdout and stderr) to ``data_dir/registry.log``,
        appending across restarts; it never contains the passwords. A port taken between
        choosing it and the registry binding it is retried with another free port when
        ``port`` was 0, and reported as a ServiceError otherwise.

        The htpasswd file is hashed again only when the credentials or the file changed:
        ``htpasswd.sha256`` (mode 0600) holds a SHA-256 of the users, their passwords and
        the file's text, so a restart with the same credentials skips bcrypt (checking a
        bcrypt hash costs as much as making one). The price: whoever can read ``data_dir``
        can test password guesses at SHA-256 speed instead of bcrypt's. That reader can
        already read the stored images, and the practice lab's registry password is a
        random token; do not reuse a valuable password here. A changed password, user
        set, or hand-edited htpasswd file does not match the stamp and is hashed anew.

    Example:
        >>> reg = RegistryServer("/tmp/reg").start()  # doctest: +SKIP
        >>> reg.address  # doctest: +SKIP
        '127.0.0.1:41234'
        >>> reg.stop()  # doctest: +SKIP
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        htpasswd: Mapping[str, Any] | None = None,
        extra_config: Mapping[str, Any] | None = None,
        binary: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self._requested_port = int(port)
        self._port = int(port)
        self._htpasswd = dict(htpasswd) if htpasswd else None
        self._extra_config = dict(extra_config) if extra_config else {}
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        users = sorted(self._htpasswd) if self._htpasswd else []
        where = f"{self.host}:{self._port}" if self._port else self.host
        return f"RegistryServer({where!r}, data_dir={str(self.data_dir)!r}, users={users}, {state})"

    # -- where it lives -------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port; 0 until ``start()`` has chosen one when none was requested."""
        return self._port

    @property
    def address(self) -> str:
        """``host:port``, the name Docker uses for this registry (e.g. in image names).

        Raises:
            ServiceError: the port is not chosen yet (``port=0`` and not started).
        """
        if not self._port:
            raise ServiceError(
                "the registry has no port yet", hint="call start() first, or pass port=..."
            )
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self._port}"

    @property
    def url(self) -> str:
        """``http://host:port``, the base URL of the registry's HTTP API."""
        return f"http://{self.address}"

    @property
    def config_path(self) -> Path:
        """The generated distribution config file."""
        return self.data_dir / "config.yml"

    @property
    def log_path(self) -> Path:
        """The registry's log (stdout and stderr, appended across restarts)."""
        return self.data_dir / "registry.log"

    @property
    def storage_dir(self) -> Path:
        """The filesystem storage root holding blobs and manifests."""
        return self.data_dir / "storage"

    @property
    def running(self) -> bool:
        """True while the registry process started by this object is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The registry process id while running, else None."""
        return self._process.pid if self.running and self._process else None

    # -- configuration --------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Build the distribution 2.8 configuration this server runs with.

        Returns:
            The config as a dict (what ``config.yml`` will contain, as JSON),
            ``extra_config`` merged.

        Example:
            >>> RegistryServer("/tmp/r", port=5000).config()["http"]["addr"]
            '127.0.0.1:5000'
        """
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "fields": {"service": "registry"}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage_dir)},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {
                "addr": self.address,
                "headers": {"X-Content-Type-Options": ["nosniff"]},
            },
        }
        if self._htpasswd:
            config["auth"] = {
                "htpasswd": {"realm": "regkit-registry", "path": str(self.data_dir / "htpasswd")}
            }
        return _deep_merge(config, self._extra_config)

    @property
    def htpasswd_path(self) -> Path:
        """The htpasswd file (bcrypt hashes), used only when ``htpasswd`` was given."""
        return self.data_dir / "htpasswd"

    def _write_files(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.storage_dir.mkdir(exist_ok=True)
        if self._htpasswd:
            self._write_htpasswd(self._htpasswd)
        # JSON is YAML, which distribution reads; json imports in ~1 ms, yaml in ~8.
        _write_private(self.config_path, json.dumps(self.config(), indent=2) + "\n")

    def _write_htpasswd(self, credentials: Mapping[str, Any]) -> None:
        users = sorted((user, _reveal(password)) for user, password in credentials.items())
        for user, _ in users:
            if ":" in user:
                raise ServiceError(
                    f"htpasswd user name {user!r} contains ':'",
                    hint="choose a user name without a colon",
                )
        stamp_path = self.htpasswd_path.with_name("htpasswd.sha256")
        try:
            current = self.htpasswd_path.read_text()
            stamp = stamp_path.read_text().strip()
        except OSError:
            pass
        else:
            if stamp == _htpasswd_stamp(users, current):
                return
        import bcrypt  # only when hashing: most starts reuse the file

        lines = []
        for user, password in users:
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=_BCRYPT_ROUNDS))
            lines.append(f"{user}:{hashed.decode()}\n")
        text = "".join(lines)
        # The file first: a crash in between leaves a stamp that no longer matches.
        _write_private(self.htpasswd_path, text)
        _write_private(stamp_path, _htpasswd_stamp(users, text) + "\n")

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 10) -> RegistryServer:
        """Start the registry and wait until ``GET /v2/`` answers (200, or 401 with auth).

        The same as :meth:`launch` followed by :meth:`wait`.

        Args:
            timeout: seconds to wait for the registry to answer.

        Returns:
            This server, so ``RegistryServer(d).start()`` can be assigned directly.

        Raises:
            ServiceError: the binary is missing, the process exited early (the message
                carries the last log lines), or ``/v2/`` did not answer within ``timeout``.

        Example:
            >>> reg = RegistryServer("/tmp/reg").start()  # doctest: +SKIP
        """
        if self.running:
            return self
        return self.launch().wait(timeout)

    def launch(self) -> RegistryServer:
        """Start the registry process without waiting for it to answer.

        The registry takes about 10 ms to answer; a caller with other work to do (the
        practice lab imports its HTTP server meanwhile) does it before :meth:`wait`.

        Returns:
            This server.

        Raises:
            ServiceError: the binary is missing.

        Example:
            >>> reg = RegistryServer("/tmp/reg").launch()  # doctest: +SKIP
            >>> reg.wait(timeout=10).url  # doctest: +SKIP
            'http://127.0.0.1:41234'
        """
        if self._process is None:
            self._spawn(keep_port=True)
        return self

    def _spawn(self, *, keep_port: bool) -> None:
        self._binary = self._binary or find_registry_binary()
        if self._requested_port:
            self._port = self._requested_port
        elif not (keep_port and self._port):  # a restart keeps its URL when it can
            self._port = _free_port(self.host)
        self._write_files()
        self._process, self._log_start = processes.start_logged(
            [self._binary, "serve", str(self.config_path)], self.log_path
        )

    def wait(self, timeout: float = 10) -> RegistryServer:
        """Wait until the launched registry answers ``GET /v2/`` (200, or 401 with auth).

        A registry that exits because its port was taken meanwhile is launched again on
        another free port (when no port was requested), up to 5 times.

        Args:
            timeout: seconds to wait for each launch to answer.

        Returns:
            This server.

        Raises:
            ServiceError: :meth:`launch` was not called, the process exited early (the
                message carries the last log lines), or ``/v2/`` did not answer within
                ``timeout``.

        Example:
            >>> RegistryServer("/tmp/reg").launch().wait(timeout=10)  # doctest: +SKIP
        """
        if self._process is None:
            raise ServiceError("the registry was not launched", hint="call launch() first")
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            operation = f"{self._binary} serve {self.config_path}"
            outcome = processes.wait_ready(
                self._process,
                functools.partial(self._answers, self._log_start),
                timeout,
                interval=_READY_POLL,
            )
            if outcome == "ready":
                return self
            tail = processes.log_tail(self.log_path, self._log_start, _LOG_TAIL)
            self._reap()
            if outcome == "exited" and "address already in use" in tail:
                if not self._requested_port:
                    if attempt < _PORT_ATTEMPTS:
                        self._spawn(keep_port=False)
                    continue
                raise ServiceError(
                    f"port {self._port} on {self.host} is already in use",
                    operation=operation,
                    server_message=tail,
                    hint="stop whatever listens there, or pass port=0 to pick a free port",
                )
            if outcome == "exited":
                raise ServiceError(
                    "the registry exited right after starting",
                    operation=operation,
                    server_message=tail,
                    hint=f"read the log lines above (full log: {self.log_path}) and fix the "
                    "config or the data directory's permissions",
                )
            raise ServiceError(
                f"the registry did not answer on {self.url}/v2/ within {timeout:g}s",
                operation=operation,
                server_message=tail or None,
                hint=f"look at {self.log_path}; a slow machine may need a larger timeout",
            )
        raise ServiceError(
            f"could not find a free port on {self.host} after {_PORT_ATTEMPTS} attempts",
            hint="another program keeps taking ports; retry, or pass an explicit port",
        )

    def _answers(self, log_start: int) -> bool:
        # Another server already on this port would answer too: only our own
        # process saying it listens makes the answer ours.
        if "listening on" not in processes.log_tail(self.log_path, log_start, _LOG_TAIL):
            return False
        return _v2_status(self.host, self._port) in (200, 401)

    def _reap(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            processes.kill_child(process)

    def stop(self, timeout: float = 5) -> None:
        """Stop the registry: SIGTERM, then SIGKILL if it is still alive after ``timeout``.

        Stopping a server that is not running does nothing. The data directory is kept.

        Args:
            timeout: seconds to wait after SIGTERM.

        Example:
            >>> reg.stop()  # doctest: +SKIP
        """
        process, self._process = self._process, None
        if process is not None and not processes.terminate_child(process, timeout):
            processes.kill_child(process)

    def restart(self, timeout: float = 10) -> RegistryServer:
        """Stop and start again on the same data directory (and the same port if free).

        Args:
            timeout: seconds to wait for the registry to answer again.

        Returns:
            This server.

        Raises:
            ServiceError: as :meth:`start`.

        Example:
            >>> reg.restart()  # doctest: +SKIP
        """
        self.stop()
        return self.start(timeout)

    def log_tail(self, lines: int = _LOG_TAIL) -> str:
        """The last lines of the registry's log, to show when something went wrong.

        Args:
            lines: how many lines.

        Returns:
            The lines joined with newlines ('' when there is no log yet).

        Example:
            >>> print(reg.log_tail(3))  # doctest: +SKIP
        """
        return processes.log_tail(self.log_path, 0, lines)

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (the htpasswd hashes and stamp, the config)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
