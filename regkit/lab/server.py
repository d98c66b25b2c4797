"""The lab process: bind the port, start the registry, serve the Harbor-shaped front.

Start-up is arranged to be quick (the lab should answer within a few times what the bare
registry takes to start): the listening socket is bound first (so a busy port is reported
at once), the distribution registry is launched next and boots while the lab imports its
HTTP server and opens the database, the token key is read only when the first token is
signed, and ``lab.json`` is written only when both the front and the registry answer, so
whoever waits on it (``Lab.start``, ``regkit lab up``) can use the lab right away.

Run it with ``python -m regkit.lab`` (see :mod:`regkit.lab.__main__`) or through
``regkit lab up``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

from regkit.errors import RegkitError, ServiceError
from regkit.lab.control import (
    ADMIN_PASSWORD_ENV,
    ADMIN_USER,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_LEARNER_PASSWORD,
    LEARNER_PASSWORD_ENV,
    LEARNER_USER,
    LOCK_FILE,
    STATE_FILE,
    LabInfo,
    _kill_registry,
    _read_state,
)

if TYPE_CHECKING:
    from regkit.registry_server import RegistryServer

__all__ = ["LabOptions", "bind_socket", "serve"]

_REGISTRY_USER = "harbor_registry_user"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class LabOptions(NamedTuple):
    """How to run the lab (what ``python -m regkit.lab`` parses).

    Attributes:
        data_dir: the state directory.
        port: the TCP port (0: a free one).
        host: the address to bind.
        tls: serve HTTPS with the lab's own CA.
        tls_names: extra names or addresses for the server certificate.

    Example:
        >>> LabOptions(data_dir=Path("/tmp/lab"), port=0).host
        '127.0.0.1'
    """

    data_dir: Path
    port: int = 8080
    host: str = "127.0.0.1"
    tls: bool = False
    tls_names: Sequence[str] = ()


def _on_test_host(host: str) -> bool:
    # The test host's addresses exist only inside this machine (a veth pair), so binding one
    # exposes nothing; see regkit.lab.testhost.
    import ipaddress

    from regkit.lab.testhost import POOL

    try:
        return ipaddress.ip_address(host) in POOL
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port`` before anything else, to fail fast when it is busy.

    Args:
        host: the address.
        port: the port (0: a free one).

    Returns:
        The listening socket.

    Raises:
        ServiceError: the port is in use or the address cannot be bound; the hint names
            ``--port``.

    Example:
        >>> sock = bind_socket("127.0.0.1", 0); sock.close()
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise ServiceError(
            f"cannot listen on {host}:{port}: {err.strerror or err}",
            hint=f"the port is probably used by another program; choose another one with "
            f"--port (e.g. `regkit lab up --port {port + 1 if port else 8081}`)",
        ) from None
    sock.setblocking(False)
    return sock


def _private_file(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _new_secret() -> str:
    import secrets  # only on a first start: random and hashlib cost ~4 ms to import

    return secrets.token_urlsafe(32)


def _write_state(data_dir: Path, state: dict[str, Any]) -> None:
    tmp = data_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(tmp, data_dir / STATE_FILE)


def _clean_stale_registry(data_dir: Path) -> None:
    """Stop the registry a crashed lab left running (its pid is in the old lab.json)."""
    state = _read_state(data_dir)
    if not state:
        return
    pid = state.get("pid")
    if isinstance(pid, int) and pid != os.getpid():
        try:
            os.kill(pid, 0)
            return  # that lab still runs; the caller refuses to start twice anyway
        except ProcessLookupError:
            pass
        except PermissionError:
            return
    _kill_registry(state.get("registry_pid"), data_dir)


def _launch_registry(data_dir: Path, secret: str) -> RegistryServer:
    """Launch the lab's private registry; the caller waits for it once its own work is done."""
    from regkit.registry_server import RegistryServer

    registry = RegistryServer(
        data_dir / "registry",
        htpasswd={_REGISTRY_USER: secret},
        extra_config={
            # Relative Location headers: the front then needs no rewriting for its clients.
            "http": {"relativeurls": True},
            "log": {"accesslog": {"disabled": True}},
        },
    )
    return registry.launch()


def _seed_accounts(store: Any) -> None:
    """Create admin and learner; a password from the environment replaces the stored one.

    Without one, a new account gets its documented default and an existing account keeps
    its password (so a restart never undoes a change).
    """
    for username, env, default, sysadmin in (
        (ADMIN_USER, ADMIN_PASSWORD_ENV, DEFAULT_ADMIN_PASSWORD, True),
        (LEARNER_USER, LEARNER_PASSWORD_ENV, DEFAULT_LEARNER_PASSWORD, False),
    ):
        password = os.environ.get(env) or None
        existing = store.user_by_name(username)
        if password is None and (existing is None or existing["password_hash"] == "!"):
            password = default
        store.ensure_user(username, password, sysadmin=sysadmin, realname=username)


def _lock(data_dir: Path) -> Any:
    """Hold an exclusive lock on the data directory for the life of the process."""
    import fcntl

    handle = open(data_dir / LOCK_FILE, "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ServiceError(
            f"another practice lab already runs from {data_dir}",
            hint="use it (`regkit lab status`), or stop it first with `regkit lab down`",
        ) from None
    return handle


class _StopSignals:
    """SIGTERM and SIGINT, turned into a byte on a pipe the main thread waits on.

    Installed before anything starts, so a stop asked for during start-up is kept and
    honoured once the lab is up, instead of killing it with its registry half started.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        self._previous = {sig: signal.signal(sig, self._note)
                          for sig in (signal.SIGTERM, signal.SIGINT)}

    def _note(self, signum: int, frame: Any) -> None:
        os.write(self._write, b"x")

    def wait(self) -> None:
        """Block until a stop signal arrives."""
        os.read(self._read, 1)

    def close(self) -> None:
        """Restore the previous handlers and close the pipe."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        os.close(self._read)
        os.close(self._write)


def serve(options: LabOptions, on_ready: Callable[[LabInfo], None] | None = None) -> int:
    """Run the lab until SIGTERM or SIGINT.

    Args:
        options: where and how to run.
        on_ready: called once the lab answers (``regkit lab up`` prints the summary from
            it, or hears through it that the lab it forked is ready).

    Returns:
        The process exit code: 0 after a clean stop, 1 when it could not start.

    Example:
        >>> serve(LabOptions(data_dir=Path("/tmp/lab")))  # doctest: +SKIP
        0
    """
    data_dir = options.data_dir.expanduser().resolve()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        lock = _lock(data_dir)
    except RegkitError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    try:
        sock = bind_socket(options.host, options.port)
    except RegkitError as err:
        lock.close()
        print(f"error: {err}", file=sys.stderr)
        return 1
    if options.host not in _LOOPBACK and not _on_test_host(options.host):
        print(f"warning: the lab listens on {options.host}, so other machines can reach it "
              "with its well-known passwords; bind 127.0.0.1 unless you mean it",
              file=sys.stderr)
    signals = _StopSignals()
    _clean_stale_registry(data_dir)
    secret = _private_file(data_dir / "registry.secret", _new_secret)
    registry = None
    try:
        registry = _launch_registry(data_dir, secret)
        return _run(options, data_dir, sock, secret, registry, signals, on_ready)
    except RegkitError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        if registry is not None:
            registry.stop()
        signals.close()
        sock.close()
        lock.close()


def _url_host(bind_host: str) -> str:
    """How clients name the address the lab binds (a wildcard becomes loopback)."""
    if bind_host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if bind_host == "::":
        return "[::1]"
    return f"[{bind_host}]" if ":" in bind_host else bind_host


def _run(options: LabOptions, data_dir: Path, sock: socket.socket, secret: str,
         registry: RegistryServer, signals: _StopSignals,
         on_ready: Callable[[LabInfo], None] | None) -> int:
    import base64

    from regkit.lab.access import Access
    from regkit.lab.api import HarborApi
    from regkit.lab.http import Headers, Request, Response, Server
    from regkit.lab.proxy import RegistryProxy
    from regkit.lab.replies import dumps, error_body
    from regkit.lab.store import Store
    from regkit.lab.tokens import DeferredIssuer

    import logging  # here, not at the top: the registry is already starting meanwhile

    log = logging.getLogger("regkit.lab")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(data_dir / "lab.db")
    try:
        _seed_accounts(store)
        issuer = DeferredIssuer(data_dir / "token.key")
        if not issuer.path.exists():
            issuer.load()  # a first start makes the key now, not in the middle of a login
        ssl_context = None
        ca_path = None
        if options.tls:
            import ssl

            from regkit.lab.certs import ensure_certificates

            paths = ensure_certificates(data_dir / "tls", options.tls_names)
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(str(paths.cert), str(paths.key))
            ca_path = str(paths.ca)

        registry.wait(timeout=30)
        access = Access(store, issuer)
        backend_auth = "Basic " + base64.b64encode(f"{_REGISTRY_USER}:{secret}".encode()).decode()
        proxy = RegistryProxy(store, access, issuer, registry.url, backend_auth)
        api = HarborApi(store, access, proxy, ca_path)

        def route(request: Request) -> Response:
            path = request.raw_path
            if path == "/v2" or path.startswith("/v2/"):
                return proxy.handle(request)
            if path == "/service/token" and request.method == "GET":
                return proxy.token(request)
            if path.startswith("/api/"):
                return api.handle(request)
            if path != "/":
                return Response(status=404, text="404 page not found\n")
            return Response(text="regkit practice lab: Harbor-shaped, not Harbor.\n"
                            "API: /api/v2.0/   registry: /v2/   tokens: /service/token\n")

        def failed(request: Request, err: Exception) -> Response:
            # Every unexpected failure answers Harbor's 500 (the server logged it).
            return Response(status=500, text=dumps(error_body("UNKNOWN",
                                                              "internal server error")),
                            content_type="application/json")

        def decorate(request: Request, headers: Headers) -> None:
            import uuid

            headers["X-Request-Id"] = request.headers.get("X-Request-Id") or str(uuid.uuid4())
            headers.popall("Set-Cookie")

        server = Server(sock, route, ssl_context=ssl_context, on_error=failed,
                        decorate=decorate, access_log=log).start()
        try:
            port = sock.getsockname()[1]
            host = f"{_url_host(options.host)}:{port}"
            state = {
                "ready": True,
                "url": f"{'https' if options.tls else 'http'}://{host}",
                "host": host,
                "port": port,
                "bind_host": options.host,
                "pid": os.getpid(),
                "registry_pid": registry.pid,
                "tls": options.tls,
                "tls_names": list(options.tls_names),
                "ca_path": ca_path,
                "data_dir": str(data_dir),
                "admin_user": ADMIN_USER,
                "learner_user": LEARNER_USER,
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            _write_state(data_dir, state)
            log.info("practice lab ready at %s (registry on %s)", state["url"], registry.url)
            if on_ready is not None:
                on_ready(LabInfo.from_dict(state))
            signals.wait()
        finally:
            log.info("practice lab stopping")
            (data_dir / STATE_FILE).unlink(missing_ok=True)
            # A stop waits this long for requests in flight (a push mid-blob), not for idle
            # clients.
            server.stop(timeout=5)
    finally:
        store.close()
    return 0
