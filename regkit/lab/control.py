"""Start, find and stop the practice lab from another process (standard library only).

The lab runs as its own process (``python -m regkit.lab``). While it runs, it keeps a small
``lab.json`` in its data directory saying where it answers; :func:`running_lab` reads it so
settings, notebooks and the CLI find the lab without being told its port. :class:`Lab`
starts one (for tests and notebooks) and waits until it answers.

Layout of a data directory::

    lab.json         where the running lab answers (removed on a clean stop)
    lab.db           SQLite: users, projects, members, repositories, artifacts, tags
    lab.log          the lab's own log (never contains passwords)
    token.key        the RSA key that signs registry tokens (0600)
    registry.secret  the password the lab uses to reach its private registry (0600)
    registry/        the CNCF distribution registry's config and storage
    tls/             with --tls: the lab's own CA and its server certificate

A lab can also run on the project's own *test host* (:mod:`regkit.lab.testhost`): a network
namespace at ``10.203.0.2`` that the Docker Engine sees as a remote registry, so TLS and
``insecure-registries`` lessons meet the real errors. ``lab.json`` then records the test host,
and :func:`stop_lab` removes it with the lab.

Example:
    >>> with Lab("/tmp/lab") as lab:  # doctest: +SKIP
    ...     lab.url
    'http://127.0.0.1:41234'
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from regkit import processes
from regkit.errors import ServiceError

if TYPE_CHECKING:
    import subprocess

    from regkit.lab.testhost import TestHost

__all__ = [
    "ADMIN_USER",
    "DEFAULT_ADMIN_PASSWORD",
    "DEFAULT_LEARNER_PASSWORD",
    "DEFAULT_PORT",
    "LEARNER_USER",
    "Lab",
    "LabInfo",
    "default_data_dir",
    "default_test_host_data_dir",
    "port_in_use",
    "reset_lab",
    "running_lab",
    "start_detached",
    "start_on_test_host",
    "stop_lab",
]

DEFAULT_PORT = 8080
ADMIN_USER = "admin"
LEARNER_USER = "learner"
# Harbor's documented default (make/harbor.yml.tmpl), so the course's commands work as is.
DEFAULT_ADMIN_PASSWORD = "Harbor12345"
DEFAULT_LEARNER_PASSWORD = "Learner12345"
ADMIN_PASSWORD_ENV = "REGKIT_LAB_ADMIN_PASSWORD"
LEARNER_PASSWORD_ENV = "REGKIT_LAB_LEARNER_PASSWORD"
STATE_FILE = "lab.json"
LOG_FILE = "lab.log"
LOCK_FILE = "lab.lock"
_LOG_TAIL = 15


def default_data_dir() -> Path:
    """Where the practice lab keeps its state unless told otherwise.

    Returns:
        ``$REGKIT_LAB_DIR`` when set, else ``~/.local/share/regkit/lab``.

    Example:
        >>> str(default_data_dir())  # doctest: +SKIP
        '/home/me/.local/share/regkit/lab'
    """
    return processes.directory_from_env(
        "REGKIT_LAB_DIR", Path.home() / ".local" / "share" / "regkit" / "lab")


def default_test_host_data_dir() -> Path:
    """Where the lab on the test host keeps its state unless told otherwise.

    It has its own directory, so it runs next to the loopback lab without sharing a port,
    accounts or its TLS CA.

    Returns:
        ``$REGKIT_TEST_HOST_LAB_DIR`` when set, else ``lab-testhost`` next to
        :func:`default_data_dir`.

    Example:
        >>> default_test_host_data_dir().name  # doctest: +SKIP
        'lab-testhost'
    """
    return processes.directory_from_env(
        "REGKIT_TEST_HOST_LAB_DIR", default_data_dir().with_name("lab-testhost"))


class LabInfo(NamedTuple):
    """Where a running practice lab answers, as recorded in its ``lab.json``.

    Attributes:
        url: the base URL (``http://127.0.0.1:8080``), for the API and ``docker login``.
        host: ``host:port`` as Docker names the registry (the start of image names).
        port: the TCP port the lab listens on.
        pid: the lab's process id.
        tls: True when the lab serves HTTPS with its own CA.
        ca_path: the CA certificate to trust (``certs.d/<host>/ca.crt``) when ``tls``.
        data_dir: the lab's data directory.
        admin_user: the system administrator's user name (``admin``).
        learner_user: the non-admin account's user name (``learner``).
        registry_pid: the private registry process behind the lab, if known.
        bind_host: the address the lab binds (``host`` names it for clients).
        tls_names: the extra certificate names it was started with.
        test_host: the test host it runs on (:mod:`regkit.lab.testhost`), else None.

    Example:
        >>> info = LabInfo(url="http://127.0.0.1:8080", host="127.0.0.1:8080", port=8080,
        ...     pid=1, tls=False, ca_path=None, data_dir="/tmp/lab")
        >>> info.registry_variable()
        '127.0.0.1:8080/library'
    """

    url: str
    host: str
    port: int
    pid: int
    tls: bool
    ca_path: str | None
    data_dir: str
    admin_user: str = ADMIN_USER
    learner_user: str = LEARNER_USER
    registry_pid: int | None = None
    bind_host: str = "127.0.0.1"
    tls_names: tuple[str, ...] = ()
    test_host: TestHost | None = None

    @property
    def registry(self) -> str:
        """The registry name Docker uses (same as ``host``)."""
        return self.host

    def registry_variable(self, project: str = "library") -> str:
        """The slides' ``$REGISTRY``: ``host:port/project``.

        Args:
            project: the Harbor project images go to.

        Returns:
            The value to export as ``REGISTRY``.
        """
        return f"{self.host}/{project}"

    @classmethod
    def from_dict(cls, data: dict) -> LabInfo:
        """Build from the JSON ``lab.json`` holds; unknown keys are ignored."""
        test_host = None
        if data.get("test_host"):
            # Only then: ``regkit lab up`` reads lab.json on its start path.
            from regkit.lab.testhost import TestHost

            test_host = TestHost.from_dict(data["test_host"])
        return cls(
            url=str(data["url"]),
            host=str(data["host"]),
            port=int(data["port"]),
            pid=int(data["pid"]),
            tls=bool(data.get("tls", False)),
            ca_path=data.get("ca_path"),
            data_dir=str(data["data_dir"]),
            admin_user=str(data.get("admin_user", ADMIN_USER)),
            learner_user=str(data.get("learner_user", LEARNER_USER)),
            registry_pid=data.get("registry_pid"),
            bind_host=str(data.get("bind_host", "127.0.0.1")),
            tls_names=tuple(data.get("tls_names") or ()),
            test_host=test_host,
        )


def _is_lab_process(pid: int, data_dir: Path) -> bool:
    """True if ``pid`` runs the lab of ``data_dir`` (not a recycled pid from a stale lab.json).

    The lab holds an exclusive lock on ``lab.lock`` for as long as it runs, and the kernel
    says who holds it. Its command line cannot tell: ``regkit lab up`` forks, so the lab
    carries whatever command line the process that started it had.
    """
    if not processes.pid_alive(pid):
        return False
    holders = _flock_holders()
    if holders is not None:
        try:
            inode = os.stat(data_dir / LOCK_FILE).st_ino
        except OSError:
            return False
        return (inode, pid) in holders
    argv = processes.command_line(pid)
    if argv is None:
        return True  # neither /proc/locks nor /proc/<pid>: trust the pid
    command = " ".join(argv)
    return "regkit.lab" in command or ("regkit" in command and "lab" in argv[1:])


def _flock_holders() -> set[tuple[int, int]] | None:
    """``(inode, pid)`` of every ``flock`` lock, from ``/proc/locks``; None where there is none.
    """
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    holders: set[tuple[int, int]] = set()
    for line in table.splitlines():
        # "3: FLOCK  ADVISORY  WRITE 7181 08:01:123456 0 EOF" (waiters have "->" first)
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[4].isdigit():
            inode = fields[5].rsplit(":", 1)[-1]
            if inode.isdigit():
                holders.add((int(inode), int(fields[4])))
    return holders


def _read_state(data_dir: Path) -> dict | None:
    try:
        return json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def running_lab(data_dir: str | os.PathLike[str] | None = None) -> LabInfo | None:
    """Find the practice lab running from ``data_dir``, if any.

    Args:
        data_dir: the lab's data directory; :func:`default_data_dir` when None.

    Returns:
        Its :class:`LabInfo`, or None when no lab runs there (no ``lab.json``, or the
        process it names is gone, as after a crash or a reboot).

    Example:
        >>> info = running_lab()  # doctest: +SKIP
        >>> info.url if info else "not running"  # doctest: +SKIP
        'http://127.0.0.1:8080'
    """
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    state = _read_state(directory.expanduser())
    if not state or not state.get("ready"):
        return None
    try:
        info = LabInfo.from_dict(state)
    except (KeyError, TypeError, ValueError):
        return None
    return info if _is_lab_process(info.pid, directory.expanduser()) else None


def port_in_use(host: str, port: int) -> bool:
    """True if something already listens on ``host:port`` (or the port cannot be bound).

    Args:
        host: the address the lab would bind.
        port: the TCP port; 0 is never in use.

    Returns:
        Whether binding would fail.

    Example:
        >>> port_in_use("127.0.0.1", 0)
        False
    """
    if port == 0:
        return False
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Same option the server uses, so a port in TIME_WAIT is not reported as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def stop_lab(data_dir: str | os.PathLike[str] | None = None, timeout: float = 15, *,
             remove_test_host: bool = True) -> bool:
    """Stop the lab running from ``data_dir`` (SIGTERM, then SIGKILL after ``timeout``).

    A lab on a test host takes its test host with it: the network namespace and the veth
    pair are removed once the lab has stopped. So is the test host a crashed lab left
    recorded in its ``lab.json``.

    Args:
        data_dir: the lab's data directory; :func:`default_data_dir` when None.
        timeout: seconds to wait for a clean stop before killing it.
        remove_test_host: remove the lab's test host too (False keeps it, to restart the
            lab on it).

    Returns:
        True if a running lab was stopped, False if none was running.

    Raises:
        ServiceError: the test host could not be removed (``ip`` refused).

    Example:
        >>> stop_lab()  # doctest: +SKIP
        True
    """
    directory = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    info = running_lab(directory)
    if info is None:
        if remove_test_host:
            _remove_recorded_test_host(directory)
        return False
    if not processes.signal_and_wait(info.pid, signal.SIGTERM, timeout):
        processes.signal_and_wait(info.pid, signal.SIGKILL, 5)
        _kill_registry(info.registry_pid, Path(info.data_dir))
        (Path(info.data_dir) / STATE_FILE).unlink(missing_ok=True)
    if remove_test_host and info.test_host is not None:
        info.test_host.remove()
    return True


def _remove_recorded_test_host(data_dir: Path) -> bool:
    """Remove the test host a lab that is gone (crashed, killed) left in its lab.json."""
    from regkit.lab.testhost import TestHost

    state = _read_state(data_dir) or {}
    try:
        host = TestHost.from_dict(state["test_host"]) if state.get("test_host") else None
    except (KeyError, TypeError, ValueError):
        return False
    return host.remove() if host is not None else False


def _record_test_host(data_dir: Path, state: dict, host: TestHost) -> dict:
    """Add the test host to the lab's ``lab.json`` (written by the lab once, when ready)."""
    state = {**state, "test_host": host.as_dict()}
    tmp = data_dir / (STATE_FILE + ".test-host.tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(tmp, data_dir / STATE_FILE)
    return state


def reset_lab(data_dir: str | os.PathLike[str] | None = None) -> None:
    """Wipe a stopped lab back to its first-start state, keeping its accounts.

    Removes every image (the registry's storage), every repository, artifact and tag, and
    every project except ``library`` (whose memberships stay). Users and their passwords,
    the token key and the TLS CA (which learners may have installed) are kept.

    Args:
        data_dir: the lab's data directory; :func:`default_data_dir` when None.

    Raises:
        ServiceError: the lab is running (stop it first; ``regkit lab reset`` does).

    Example:
        >>> reset_lab("/tmp/lab")  # doctest: +SKIP
    """
    directory = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    info = running_lab(directory)
    if info is not None:
        raise ServiceError(f"the practice lab at {info.url} is running",
                           hint="stop it first (`regkit lab down`), or use `regkit lab reset "
                           "--yes`, which stops and restarts it")
    import shutil

    shutil.rmtree(directory / "registry" / "storage", ignore_errors=True)
    if (directory / "lab.db").exists():
        from regkit.lab.store import Store

        store = Store(directory / "lab.db")
        try:
            store.reset()
        finally:
            store.close()


def _kill_registry(pid: int | None, data_dir: Path) -> None:
    """SIGKILL the lab's registry if ``pid`` still runs it (checked by its config path)."""
    if processes.runs_with(pid, str(data_dir / "registry")):
        processes.signal_and_wait(pid, signal.SIGKILL, 5)


def _refuse_taken(data_dir: Path, host: str | None, port: int) -> None:
    """Refuse to start a second lab on ``data_dir``, or one on a busy ``host:port``.

    Raises:
        ServiceError: either is taken; the hint says what to do instead.
    """
    other = running_lab(data_dir)
    if other is not None:
        raise ServiceError(
            f"a practice lab already runs from {data_dir} at {other.url}",
            hint="use that one (regkit.lab.running_lab()), or stop it with `regkit lab down`",
        )
    if host is not None and port_in_use(host, port):
        raise ServiceError(
            f"port {port} on {host} is already in use",
            hint=f"stop what listens there, or choose another port with --port "
            f"(e.g. --port {port + 1}; --port 0 picks a free one)",
        )


def start_detached(
    data_dir: str | os.PathLike[str],
    *,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    tls: bool = False,
    tls_names: tuple[str, ...] | list[str] = (),
    admin_password: str | None = None,
    learner_password: str | None = None,
    timeout: float = 30,
) -> LabInfo:
    """Start the lab in the background by forking this process; return once it answers.

    This is ``regkit lab up``: the lab carries on in a copy of the command's own process
    (its own session, its output appended to ``lab.log``), so it needs no second Python
    start-up and tells the command it is ready through a pipe rather than being polled.
    Only call it from a process with a single thread, such as a command line tool; a
    notebook or a test uses :class:`Lab`, which starts ``python -m regkit.lab`` instead.

    Args:
        data_dir: the lab's data directory (created if missing).
        port: the TCP port; 0 picks a free one.
        host: the address to bind.
        tls: serve HTTPS with the lab's own CA.
        tls_names: extra names for the server certificate.
        admin_password: set the ``admin`` password (as for :class:`Lab`).
        learner_password: set the ``learner`` password.
        timeout: seconds to wait for the lab to answer.

    Returns:
        Where the lab answers.

    Raises:
        ServiceError: a lab already runs from ``data_dir``, the port is busy, the lab
            exited while starting (the message carries its last log lines), or it did
            not answer within ``timeout`` (it is then stopped).

    Example:
        >>> start_detached("/tmp/lab", port=0).url  # doctest: +SKIP
        'http://127.0.0.1:41234'
    """
    import select

    directory = Path(data_dir).expanduser()
    _refuse_taken(directory, host, port)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path = directory / LOG_FILE
    log_start = processes.log_size(log_path)
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the lab
        os.close(read_end)
        _run_detached(directory, write_end, port=port, host=host, tls=tls,
                      tls_names=list(tls_names), admin_password=admin_password,
                      learner_password=learner_password)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], timeout)
        said = os.read(read_end, 16) if ready else None
    finally:
        os.close(read_end)
    state = _read_state(directory) if said else None
    if state and state.get("ready") and state.get("pid") == pid:
        return LabInfo.from_dict(state)
    operation = f"regkit lab up --data-dir {directory}"
    tail = processes.log_tail(log_path, log_start, _LOG_TAIL)
    if said is None:
        processes.signal_and_wait(pid, signal.SIGTERM, 15) or \
            processes.signal_and_wait(pid, signal.SIGKILL, 5)
        raise ServiceError(f"the practice lab did not answer within {timeout:g}s",
                           operation=operation, server_message=tail or None,
                           hint=f"look at {log_path}; a slow machine may need a larger "
                           "--timeout")
    os.waitpid(pid, 0)
    raise ServiceError("the practice lab exited while starting", operation=operation,
                       server_message=tail or None,
                       hint=f"read the lines above (full log: {log_path})")


def _run_detached(data_dir: Path, ready_fd: int, *, port: int, host: str, tls: bool,
                  tls_names: list[str], admin_password: str | None,
                  learner_password: str | None) -> None:
    """The forked lab: detach, log to ``lab.log``, serve, and never return to the caller."""
    code = 1
    try:
        os.setsid()  # a Ctrl-C in the terminal that started it must not stop it
        stdin = os.open(os.devnull, os.O_RDONLY)
        log = os.open(data_dir / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(stdin, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(stdin)
        os.close(log)
        # Whatever else the command inherited (a pipe its caller reads to the end, make's
        # job server) must not stay open for the lab's whole life, as it would with a fork.
        os.closerange(3, ready_fd)
        os.closerange(ready_fd + 1, os.sysconf("SC_OPEN_MAX"))
        if admin_password:
            os.environ[ADMIN_PASSWORD_ENV] = admin_password
        if learner_password:
            os.environ[LEARNER_PASSWORD_ENV] = learner_password
        from regkit.lab.server import LabOptions, serve

        def ready(info: LabInfo) -> None:
            os.write(ready_fd, b"ready")
            os.close(ready_fd)

        code = serve(LabOptions(data_dir=data_dir, port=port, host=host, tls=tls,
                                tls_names=tls_names), on_ready=ready)
    except BaseException:  # the log is all the caller can read now
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class Lab:
    """A practice lab process started from Python, for tests and notebooks.

    Args:
        data_dir: where the lab keeps its state; created if missing, reused across runs.
        port: the TCP port; 0 picks a free one.
        host: the address to bind; keep it on loopback (anything else is reachable from
            other machines, and the lab prints a warning).
        tls: serve HTTPS with the lab's own CA (``ca_path`` is the file to trust).
        admin_password: set the ``admin`` password (else ``$REGKIT_LAB_ADMIN_PASSWORD``,
            else ``Harbor12345`` on first start; an existing password is kept).
        learner_password: the same for the ``learner`` account (``Learner12345``).
        tls_names: extra DNS names or IP addresses for the server certificate.
        timeout: seconds :meth:`start` waits for the lab to answer.
        test_host: run inside this test host's network namespace, bound to its address
            (``host`` is then ignored); the caller creates and removes the test host.
        name_test_host: put the test host's address in the server certificate (False
            leaves it out, which makes Docker report a name mismatch).

    Edge cases:
        Passwords reach the lab process through its environment, never its command line.
        On a test host, ``lab.json`` records it, so :func:`running_lab` reports it.
        :meth:`kill` is SIGKILL for the lab and its registry, as a crash would do; the
        next :meth:`start` on the same directory finds every image and record again.

    Example:
        >>> lab = Lab("/tmp/lab").start()  # doctest: +SKIP
        >>> lab.host  # doctest: +SKIP
        '127.0.0.1:41234'
        >>> lab.stop()  # doctest: +SKIP
    """

    admin_user = ADMIN_USER
    learner_user = LEARNER_USER

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        port: int = 0,
        host: str = "127.0.0.1",
        tls: bool = False,
        *,
        admin_password: str | None = None,
        learner_password: str | None = None,
        tls_names: tuple[str, ...] | list[str] = (),
        timeout: float = 30,
        test_host: TestHost | None = None,
        name_test_host: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.port = int(port)
        self.bind_host = test_host.address if test_host is not None else host
        self.tls = tls
        names = tuple(tls_names)
        if test_host is not None and name_test_host and test_host.address not in names:
            names += (test_host.address,)
        self.tls_names = names
        self.test_host = test_host
        self.timeout = timeout
        self._admin_password = admin_password
        self._learner_password = learner_password
        self._process: subprocess.Popen[bytes] | None = None
        self.info: LabInfo | None = None

    def __repr__(self) -> str:
        where = self.info.url if self.info else f"{self.bind_host}:{self.port or 'auto'}"
        state = "running" if self.running else "stopped"
        return f"Lab({where!r}, data_dir={str(self.data_dir)!r}, {state})"

    @property
    def admin_password(self) -> str:
        """The admin password this object starts the lab with (Harbor's default if unset)."""
        return (self._admin_password or os.environ.get(ADMIN_PASSWORD_ENV)
                or DEFAULT_ADMIN_PASSWORD)

    @property
    def learner_password(self) -> str:
        """The learner password this object starts the lab with."""
        return (self._learner_password or os.environ.get(LEARNER_PASSWORD_ENV)
                or DEFAULT_LEARNER_PASSWORD)

    @property
    def running(self) -> bool:
        """True while the lab process started by this object is alive."""
        return self._process is not None and self._process.poll() is None

    def _require_info(self) -> LabInfo:
        if self.info is None:
            raise ServiceError("the lab is not started", hint="call start() first")
        return self.info

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:PORT``, or ``https://`` with TLS)."""
        return self._require_info().url

    @property
    def host(self) -> str:
        """``host:port``, the registry name Docker uses."""
        return self._require_info().host

    @property
    def ca_path(self) -> str | None:
        """The lab's CA certificate when it serves TLS, else None."""
        return self._require_info().ca_path

    def command(self) -> list[str]:
        """The command line that runs the lab in the foreground (no secrets in it)."""
        argv = [sys.executable, "-m", "regkit.lab", "--data-dir", str(self.data_dir),
                "--port", str(self.port), "--host", self.bind_host]
        if self.tls:
            argv.append("--tls")
        for name in self.tls_names:
            argv += ["--tls-name", name]
        return self.test_host.wrap(argv) if self.test_host is not None else argv

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self._admin_password:
            env[ADMIN_PASSWORD_ENV] = self._admin_password
        if self._learner_password:
            env[LEARNER_PASSWORD_ENV] = self._learner_password
        # The child must import this very regkit, wherever it was imported from.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(
            [package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        return env

    def start(self) -> Lab:
        """Start the lab in the background and wait until it answers.

        Returns:
            This lab, so ``Lab(d).start()`` can be assigned directly.

        Raises:
            ServiceError: a lab already runs from this data directory, the port is busy,
                the process exited (the message carries the last log lines), or it did not
                answer within ``timeout`` seconds.

        Example:
            >>> lab = Lab("/tmp/lab").start()  # doctest: +SKIP
        """
        if self.running:
            return self
        # A test host's address exists only inside its namespace; the lab itself reports
        # a busy port there.
        _refuse_taken(self.data_dir, None if self.test_host else self.bind_host, self.port)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log_path = self.data_dir / LOG_FILE
        process, log_start = processes.start_logged(
            self.command(), log_path, env=self._environment())
        self._process = process
        state: dict | None = None

        def ready() -> bool:
            nonlocal state
            state = _read_state(self.data_dir)
            return bool(state and state.get("ready") and state.get("pid") == process.pid)

        outcome = processes.wait_ready(process, ready, self.timeout, interval=0.005)
        if outcome == "ready":
            assert state is not None
            if self.test_host is not None:
                state = _record_test_host(self.data_dir, state, self.test_host)
            self.info = LabInfo.from_dict(state)
            return self
        tail = processes.log_tail(log_path, log_start, _LOG_TAIL)
        if outcome == "exited":
            self._process = None
            raise ServiceError(
                "the practice lab exited while starting",
                operation=" ".join(self.command()),
                server_message=tail or None,
                hint=f"read the lines above (full log: {log_path})",
            )
        self.stop()
        raise ServiceError(
            f"the practice lab did not answer within {self.timeout:g}s",
            operation=" ".join(self.command()),
            server_message=tail or None,
            hint=f"look at {log_path}; a slow machine may need a larger timeout",
        )

    def stop(self, timeout: float = 15) -> None:
        """Stop the lab cleanly (SIGTERM, then SIGKILL after ``timeout``); data is kept.

        Stopping a lab that is not running does nothing.

        Args:
            timeout: seconds to wait for a clean stop.

        Example:
            >>> lab.stop()  # doctest: +SKIP
        """
        process, self._process = self._process, None
        if process is not None and not processes.terminate_child(process, timeout):
            self._process = process
            self.kill()

    def kill(self) -> None:
        """SIGKILL the lab and its registry without any clean-up, as a crash would.

        ``lab.json`` is left behind (as after a real crash); :func:`running_lab` sees that
        its process is gone, and the next :meth:`start` takes over the directory.

        Example:
            >>> lab.kill()  # doctest: +SKIP
        """
        process, self._process = self._process, None
        if process is None:
            return
        state = _read_state(self.data_dir) or {}
        processes.kill_child(process)
        if state.get("pid") == process.pid:
            _kill_registry(state.get("registry_pid"), self.data_dir)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_on_test_host(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    port: int = DEFAULT_PORT,
    tls: bool = False,
    tls_names: tuple[str, ...] | list[str] = (),
    admin_password: str | None = None,
    learner_password: str | None = None,
    timeout: float = 30,
    host: TestHost | None = None,
) -> Lab:
    """Make the course's test host (as root) and start a lab on it.

    Args:
        data_dir: the lab's data directory; :func:`default_test_host_data_dir` when None.
        port: the TCP port on the test host (8080 by default; 0 picks a free one).
        tls: serve HTTPS with the lab's own CA (the certificate names the test host's IP).
        tls_names: extra names for the certificate.
        admin_password: as for :class:`Lab`.
        learner_password: as for :class:`Lab`.
        timeout: seconds to wait for the lab to answer.
        host: the test host; :func:`regkit.lab.testhost.default_host` (``10.203.0.2``)
            when None.

    Returns:
        The running lab; ``lab.info.test_host`` is the test host. Stop both with
        :func:`stop_lab` (``regkit lab down --test-host``).

    Raises:
        ServiceError: no root or no ``ip``, a lab already runs from ``data_dir``, or the
            lab did not start (a test host made for it is removed again).

    Example:
        >>> lab = start_on_test_host(tls=True)  # doctest: +SKIP
        >>> lab.url  # doctest: +SKIP
        'https://10.203.0.2:8080'
    """
    directory = Path(data_dir).expanduser() if data_dir is not None else \
        default_test_host_data_dir()
    other = running_lab(directory)
    if other is not None:
        raise ServiceError(f"a practice lab already runs from {directory} at {other.url}",
                           hint="use it, or stop it first with `regkit lab down --test-host`")
    from regkit.lab.testhost import default_host

    test_host = host or default_host()
    made = not test_host.exists()
    test_host.create()
    lab = Lab(directory, port=port, tls=tls, tls_names=tls_names,
              admin_password=admin_password, learner_password=learner_password,
              timeout=timeout, test_host=test_host)
    try:
        return lab.start()
    except BaseException:
        if made:
            test_host.remove()
        raise
