"""The lab process: bind the port, start the registry, serve the Harbor-shaped front.

Start-up is arranged to be quick: the listening socket is bound first (so a busy port is
reported at once), the distribution registry starts in a background thread while the
heavier modules load and the database, token key and certificates are opened, and
``lab.json`` is written only when both the front and the registry answer, so whoever
waits on it (``Lab.start``, ``regkit lab up``) can use the lab right away.

Run it with ``python -m regkit.lab`` (see :mod:`regkit.lab.__main__`) or through
``regkit lab up``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import socket
import ssl
import sys
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from regkit.errors import RegkitError, ServiceError
from regkit.lab.control import (
    ADMIN_PASSWORD_ENV,
    ADMIN_USER,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_LEARNER_PASSWORD,
    LEARNER_PASSWORD_ENV,
    LEARNER_USER,
    STATE_FILE,
    LabInfo,
    _kill_registry,
    _read_state,
)

__all__ = ["LabOptions", "bind_socket", "serve"]

log = logging.getLogger("regkit.lab")

_REGISTRY_USER = "harbor_registry_user"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass
class LabOptions:
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
    tls_names: list[str] = field(default_factory=list)


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


def _start_registry(data_dir: Path, secret: str) -> Any:
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
    return registry.start(timeout=30)


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

    handle = open(data_dir / "lab.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ServiceError(
            f"another practice lab already runs from {data_dir}",
            hint="use it (`regkit lab status`), or stop it first with `regkit lab down`",
        ) from None
    return handle


def serve(options: LabOptions, on_ready: Callable[[LabInfo], None] | None = None) -> int:
    """Run the lab until SIGTERM or SIGINT.

    Args:
        options: where and how to run.
        on_ready: called once the lab answers (``regkit lab up --foreground`` prints the
            summary from it).

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
    _clean_stale_registry(data_dir)
    secret = _private_file(data_dir / "registry.secret", lambda: secrets.token_urlsafe(32))
    executor = ThreadPoolExecutor(max_workers=1)
    registry_future = executor.submit(_start_registry, data_dir, secret)
    try:
        return asyncio.run(_main(options, data_dir, sock, secret, registry_future, on_ready))
    except RegkitError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        executor.shutdown(wait=True)
        if registry_future.exception() is None:
            registry_future.result().stop()
        sock.close()
        lock.close()


async def _main(options: LabOptions, data_dir: Path, sock: socket.socket, secret: str,
                registry_future: Future, on_ready: Callable[[LabInfo], None] | None) -> int:
    import base64

    from aiohttp import web

    from regkit.lab.access import Access
    from regkit.lab.api import HarborApi
    from regkit.lab.proxy import RegistryProxy
    from regkit.lab.replies import dumps, error_body
    from regkit.lab.store import Store
    from regkit.lab.tokens import TokenIssuer

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(data_dir / "lab.db")
    _seed_accounts(store)
    issuer = TokenIssuer.load_or_create(data_dir / "token.key")
    ssl_context = None
    ca_path = None
    if options.tls:
        from regkit.lab.certs import ensure_certificates

        paths = ensure_certificates(data_dir / "tls", options.tls_names)
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(str(paths.cert), str(paths.key))
        ca_path = str(paths.ca)

    registry = await asyncio.wrap_future(registry_future)
    access = Access(store, issuer)
    backend_auth = "Basic " + base64.b64encode(f"{_REGISTRY_USER}:{secret}".encode()).decode()
    proxy = RegistryProxy(store, access, issuer, registry.url, backend_auth)
    api = HarborApi(store, access, proxy, ca_path)

    @web.middleware
    async def errors(request: web.Request, handler: Callable) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception:  # every unexpected failure answers Harbor's 500, logged here
            log.exception("%s %s failed", request.method, request.rel_url)
            return web.Response(status=500, text=dumps(error_body(
                "UNKNOWN", "internal server error")), content_type="application/json")

    async def request_id(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Request-Id"] = request.headers.get("X-Request-Id") or \
            str(uuid.uuid4())
        response.headers.popall("Set-Cookie", None)

    async def root(request: web.Request) -> web.StreamResponse:
        if request.path != "/":
            return web.Response(status=404, text="404 page not found\n")
        return web.Response(text="regkit practice lab: Harbor-shaped, not Harbor.\n"
                            "API: /api/v2.0/   registry: /v2/   tokens: /service/token\n")

    app = web.Application(middlewares=[errors])
    app.on_response_prepare.append(request_id)
    app.router.add_route("*", "/v2{tail:.*}", proxy.handle)
    app.router.add_route("GET", "/service/token", proxy.token)
    app.router.add_route("*", "/api/{tail:.*}", api.handle)
    app.router.add_route("*", "/{tail:.*}", root)

    await proxy.start()
    # A stop waits this long for requests in flight (a push mid-blob), not for idle clients.
    runner = web.AppRunner(app, handle_signals=False, access_log=log, shutdown_timeout=5)
    await runner.setup()
    site = web.SockSite(runner, sock, ssl_context=ssl_context)
    await site.start()

    port = sock.getsockname()[1]
    url_host = "127.0.0.1" if options.host in ("0.0.0.0", "") else \
        ("[::1]" if options.host == "::" else
         (f"[{options.host}]" if ":" in options.host else options.host))
    host = f"{url_host}:{port}"
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
    # Handlers first: whoever on_ready tells may stop the lab at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if on_ready is not None:
        on_ready(LabInfo.from_dict(state))
    try:
        await stop.wait()
    finally:
        log.info("practice lab stopping")
        (data_dir / STATE_FILE).unlink(missing_ok=True)
        await runner.cleanup()
        await proxy.close()
        store.close()
    return 0
