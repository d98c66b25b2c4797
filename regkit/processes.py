"""The background processes regkit runs for the course: how they start, answer and stop.

A distribution registry, the practice lab and a private ``dockerd`` all follow one life:
started detached in their own session with their output appended to a log file, polled
until they answer (or exit, or take too long, with the log's last lines to show), found
again later by a pid kept in a file (checked against ``/proc`` so that a recycled pid is
never taken for ours), and stopped with SIGTERM, then SIGKILL after a timeout. Each keeps
its state in a directory an environment variable can move.

Standard library only: the CLI and the lab's control module import it.

Example:
    >>> process, offset = start_logged(["sleep", "60"], Path("/tmp/sleep.log"))  # doctest: +SKIP
    >>> wait_ready(process, lambda: True, timeout=5)  # doctest: +SKIP
    'ready'
    >>> terminate_child(process, timeout=5)  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Literal, Mapping, Sequence

__all__ = [
    "command_line",
    "directory_from_env",
    "kill_child",
    "log_size",
    "log_tail",
    "pid_alive",
    "read_pid",
    "runs_with",
    "signal_and_wait",
    "start_logged",
    "terminate_child",
    "wait_ready",
]

_LINUX = sys.platform.startswith("linux")
_POLL = 0.05


def directory_from_env(variable: str, default: Path) -> Path:
    """The state directory named by an environment variable, else a default.

    Args:
        variable: the environment variable (e.g. ``REGKIT_LAB_DIR``).
        default: the directory to use when the variable is unset or empty.

    Returns:
        The variable's value with ``~`` expanded, or ``default`` as given.

    Example:
        >>> directory_from_env("REGKIT_UNSET_EXAMPLE", Path("/var/lib/x"))
        PosixPath('/var/lib/x')
    """
    configured = os.environ.get(variable)
    if configured:
        return Path(configured).expanduser()
    return default


def log_size(path: Path) -> int:
    """The size of a log file, to read later only what was written after this moment.

    Args:
        path: the log file.

    Returns:
        Its size in bytes; 0 when it does not exist yet.

    Example:
        >>> log_size(Path("/nonexistent.log"))
        0
    """
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def log_tail(path: Path, offset: int = 0, lines: int = 15) -> str:
    """The last lines of a log file, from ``offset`` on.

    Args:
        path: the log file.
        offset: where to start reading (a :func:`log_size` taken before the run of interest,
            so earlier runs' lines are not shown).
        lines: how many lines at most; 0 or less gives ''.

    Returns:
        The lines joined with newlines, leading and trailing blank space removed; '' when the
        file cannot be read. Undecodable bytes are replaced, not raised.

    Example:
        >>> log_tail(Path("/nonexistent.log"))
        ''
    """
    if lines <= 0:
        return ""
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def start_logged(
    argv: Sequence[str], log_path: Path, *, env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a background service with its stdout and stderr appended to a log file.

    The process gets its own session: a Ctrl-C in the terminal or notebook that started it
    must not take the service (and whatever runs in it) down. Its stdin is ``/dev/null``.

    Args:
        argv: the command line.
        log_path: the log file; created if missing, appended to otherwise (its directory
            must exist).
        env: the whole environment for the process; None inherits this one's.

    Returns:
        The process, and the log's size before it started (the ``offset`` for
        :func:`log_tail` to show only this run's lines).

    Raises:
        OSError: the log cannot be opened or the program cannot be run (e.g.
            FileNotFoundError for a missing executable).

    Example:
        >>> process, offset = start_logged(["dockerd"], Path("/tmp/d.log"))  # doctest: +SKIP
    """
    offset = log_size(log_path)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            start_new_session=True,
        )
    return process, offset


def wait_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    timeout: float,
    *,
    interval: float = _POLL,
) -> Literal["ready", "exited", "timeout"]:
    """Poll a just-started service until it answers, exits, or runs out of time.

    Whether the process exited is checked before asking ``ready``, so an answer from some
    other server on the same address is not taken for this one's once it has died.

    Args:
        process: the service's process.
        ready: returns True once the service answers; called every ``interval`` seconds.
        timeout: seconds to wait in all.
        interval: seconds between two checks.

    Returns:
        ``"ready"``, ``"exited"`` (the process ended; it is reaped), or ``"timeout"`` (it
        still runs: the caller decides whether to stop it).

    Example:
        >>> process, offset = start_logged(["sleep", "60"], Path("/tmp/s.log"))  # doctest: +SKIP
        >>> wait_ready(process, lambda: False, timeout=0.1)  # doctest: +SKIP
        'timeout'
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            return "exited"
        if ready():
            return "ready"
        if time.monotonic() > deadline:
            return "timeout"
        time.sleep(interval)


def terminate_child(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Ask a child process to stop (SIGTERM) and wait for it to exit.

    Args:
        process: a process this one started.
        timeout: seconds to wait after SIGTERM.

    Returns:
        True when it has exited (and is reaped), also when it had already; False when it
        still runs after ``timeout`` (follow with :func:`kill_child`, or clean up more first).

    Example:
        >>> if not terminate_child(process, timeout=5):  # doctest: +SKIP
        ...     kill_child(process)
    """
    if process.poll() is not None:
        return True
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def kill_child(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a child process if it still runs, and reap it.

    Args:
        process: a process this one started; one that already exited is only reaped.

    Example:
        >>> kill_child(process)  # doctest: +SKIP
    """
    if process.poll() is None:
        process.kill()
    process.wait()


def read_pid(path: Path) -> int | None:
    """Read a pidfile.

    Args:
        path: the file holding one process id.

    Returns:
        The pid; None when the file is missing, unreadable or does not hold a number.

    Example:
        >>> read_pid(Path("/nonexistent.pid")) is None
        True
    """
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped does not count).

    Args:
        pid: the process id; 0 and negative ids (process groups for ``kill``) are never alive.

    Returns:
        True when the process exists and, on Linux, is not a zombie. A process owned by
        another user counts as alive.

    Example:
        >>> pid_alive(os.getpid())
        True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        # On Linux it ended in the meantime; elsewhere there is no /proc to ask.
        return not _LINUX
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def command_line(pid: int) -> list[str] | None:
    """The arguments a process runs with, from ``/proc/PID/cmdline``.

    Args:
        pid: the process id.

    Returns:
        The argv list ([] for a kernel thread or a zombie); None when it cannot be read:
        the process is gone, or the system has no ``/proc`` (not Linux).

    Example:
        >>> command_line(os.getpid())[0]  # doctest: +SKIP
        '/usr/bin/python3'
    """
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    args = raw.decode(errors="replace").split("\0")
    if args[-1] == "":
        args.pop()  # the kernel ends every argument, the last one too, with a NUL
    return args


def runs_with(pid: int | None, text: str, *, program: str | None = None) -> bool:
    """Whether ``pid`` is really ours: alive, and its command line names what we gave it.

    A pid read from a file can outlive its process and be reused by another one (after a
    crash or a reboot); this is the check to make before signalling it.

    Args:
        pid: the process id (None or 0: no process).
        text: a string the command line must contain, such as the process's own state
            directory or socket path.
        program: when given, a string the executable's file name must contain
            (e.g. ``"dockerd"``).

    Returns:
        True when all of that holds; False when the process is gone or its command line
        cannot be read (which is always the case without ``/proc``).

    Example:
        >>> runs_with(os.getpid(), "python", program="python")  # doctest: +SKIP
        True
    """
    if not pid or not pid_alive(pid):
        return False
    argv = command_line(pid)
    if not argv:
        return False
    if program is not None and program not in Path(argv[0]).name:
        return False
    return text in " ".join(argv)


def signal_and_wait(pid: int, sig: int, timeout: float | None) -> bool:
    """Send a signal to a process and wait until it is gone.

    Works for any process this one may signal; a child of this process is reaped (a
    ``Popen`` that owns it then reports return code 0).

    Args:
        pid: the process id (check it with :func:`runs_with` first when it came from a file).
        sig: the signal, e.g. ``signal.SIGTERM``.
        timeout: seconds to wait; None waits as long as it takes (for SIGKILL).

    Returns:
        True when the process is gone (also when it was gone before the signal); False
        when it still runs after ``timeout``.

    Raises:
        PermissionError: the process belongs to another user.

    Example:
        >>> signal_and_wait(pid, signal.SIGTERM, 15)  # doctest: +SKIP
        True
    """
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return True
    deadline = None if timeout is None else time.monotonic() + timeout
    while deadline is None or time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return True
        except ChildProcessError:
            pass  # not our child: only kill(0) and /proc can tell
        if not pid_alive(pid):
            return True
        time.sleep(_POLL)
    return False
