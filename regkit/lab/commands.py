"""``regkit lab up|status|down|reset``: the practice lab from the command line.

``up`` starts the lab detached (``python -m regkit.lab``), waits until it answers and
prints where it is and how to log in; a second ``up`` says it already runs. ``status``
exits 0 when it runs and 3 when it does not (``--json`` for scripts). ``down`` stops it.
``reset --yes`` wipes images and projects (keeping accounts and ``library``), restarting
a running lab on the same port.

``--test-host`` (as root) runs the lab on the project's own test host instead: a network
namespace at ``10.203.0.2`` joined to this machine by a veth pair
(:mod:`regkit.lab.testhost`), which Docker treats as a remote registry, so the TLS and
``insecure-registries`` errors are real. It has its own data directory; ``status``, ``down``
and ``reset`` take ``--test-host`` to act on it, and ``down`` removes the test host too.

Only the standard library is imported here; the server loads in the lab's own process.

Example:
    $ regkit lab up
    Practice lab running at http://127.0.0.1:8080 (Harbor-shaped, not Harbor)
    ...
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from regkit.commands.areas import add_area
from regkit.lab.control import (
    ADMIN_PASSWORD_ENV,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_LEARNER_PASSWORD,
    DEFAULT_PORT,
    LEARNER_PASSWORD_ENV,
    Lab,
    LabInfo,
    default_data_dir,
    default_test_host_data_dir,
    reset_lab,
    running_lab,
    start_detached,
    start_on_test_host,
    stop_lab,
)

if TYPE_CHECKING:
    from regkit.lab.testhost import TestHost

__all__ = ["register", "summary"]

EXIT_NOT_RUNNING = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``lab`` command and its sub-commands to ``regkit``.

    Args:
        subparsers: the ``regkit`` sub-parsers object.

    Example:
        >>> parser = argparse.ArgumentParser(prog="regkit")
        >>> register(parser.add_subparsers())
        >>> parser.parse_args(["lab", "status", "--test-host"]).test_host
        True
    """
    commands = add_area(
        subparsers, "lab",
        summary="run the practice lab (a Harbor-shaped registry on this machine)",
        description="The practice lab: a real distribution registry behind a Harbor-shaped "
        "API, for following the course without a Harbor.")

    def data_dir_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--data-dir", type=Path, default=None,
                         help="the lab's state directory (default: $REGKIT_LAB_DIR, else "
                         "~/.local/share/regkit/lab; with --test-host: "
                         "$REGKIT_TEST_HOST_LAB_DIR, else ~/.local/share/regkit/lab-testhost)")
        sub.add_argument("--test-host", action="store_true",
                         help="the lab on the test host (a network namespace Docker sees as "
                         "a remote registry, as root), not the one on loopback")

    up = commands.add_parser("up", help="start the lab in the background (if not running)")
    data_dir_option(up)
    up.add_argument("--port", type=int, default=DEFAULT_PORT,
                    help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    up.add_argument("--host", default="127.0.0.1",
                    help="address to bind (default 127.0.0.1; anything else is reachable "
                    "from other machines)")
    up.add_argument("--tls", action="store_true",
                    help="serve HTTPS with the lab's own CA (see /systeminfo/getcert)")
    up.add_argument("--tls-name", action="append", default=[], metavar="NAME",
                    help="extra DNS name or IP for the certificate (repeatable)")
    up.add_argument("--admin-password", default=None,
                    help=f"set admin's password (or ${ADMIN_PASSWORD_ENV}; default "
                    f"{DEFAULT_ADMIN_PASSWORD} on first start)")
    up.add_argument("--learner-password", default=None,
                    help=f"set learner's password (or ${LEARNER_PASSWORD_ENV}; default "
                    f"{DEFAULT_LEARNER_PASSWORD} on first start)")
    up.add_argument("--foreground", action="store_true",
                    help="run in this terminal until Ctrl-C instead of in the background")
    up.add_argument("--timeout", type=float, default=30,
                    help="seconds to wait for the lab to answer (default 30)")
    up.set_defaults(func=_up, exit_at_once=True)

    status = commands.add_parser("status", help="is the lab running? (exit 0 yes, 3 no)")
    data_dir_option(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_status)

    down = commands.add_parser("down", help="stop the lab (its images and records are kept)")
    data_dir_option(down)
    down.set_defaults(func=_down)

    reset = commands.add_parser(
        "reset", help="delete all images and projects except library (accounts are kept)")
    data_dir_option(reset)
    reset.add_argument("--yes", action="store_true", help="really do it")
    reset.set_defaults(func=_reset)


def summary(info: LabInfo, *, admin_password: str | None = None,
            learner_password: str | None = None) -> str:
    """What ``regkit lab up`` prints: where the lab is and how to use it.

    Args:
        info: the running lab.
        admin_password: shown only when it is the documented default (None: not shown).
        learner_password: the same for the learner account.

    Returns:
        The text, several lines.

    Example:
        >>> info = LabInfo(url="http://127.0.0.1:8080", host="127.0.0.1:8080", port=8080,
        ...     pid=1, tls=False, ca_path=None, data_dir="/tmp/lab")
        >>> print(summary(info).splitlines()[0])
        Practice lab running at http://127.0.0.1:8080 (Harbor-shaped, not Harbor)
    """

    def shown(password: str | None, default: str) -> str:
        if password == default:
            return default
        return "(the password you set)" if password else "(as set when it was started)"

    lines = [
        f"Practice lab running at {info.url} (Harbor-shaped, not Harbor)",
        f"  registry:  {info.host}",
        f"  export REGISTRY={info.registry_variable()}",
        f"  export REGKIT_REGISTRY_URL={info.url}",
        f"  accounts:  {info.admin_user} / {shown(admin_password, DEFAULT_ADMIN_PASSWORD)} "
        "(system admin)",
        f"             {info.learner_user} / {shown(learner_password, DEFAULT_LEARNER_PASSWORD)}"
        " (no project role: may pull from library, not push)",
        f"  log in:    printf '%s' \"$REGKIT_PASSWORD\" | docker login {info.host} "
        f"--username {info.admin_user} --password-stdin",
    ]
    if info.test_host is not None:
        lines.append(f"  test host: {info.test_host.describe()}; Docker treats it as a remote "
                     "registry (TLS required unless listed in insecure-registries)")
    if info.tls and info.ca_path:
        lines.append(f"  TLS:       Docker trusts it once {info.ca_path} is copied to "
                     f"/etc/docker/certs.d/{info.host}/ca.crt")
    stop = "regkit lab down --test-host" if info.test_host is not None else "regkit lab down"
    lines += [f"  data:      {info.data_dir} (log: lab.log)", f"  stop:      {stop}"]
    return "\n".join(lines)


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir).expanduser()
    return default_test_host_data_dir() if args.test_host else default_data_dir()


def no_test_host_message(reason: str) -> str:
    """What ``regkit lab up --test-host`` says when it cannot make the test host.

    Args:
        reason: why (from :func:`regkit.lab.testhost.unsupported_reason`).

    Returns:
        Several lines: the reason, what a real network shows, and the fallback.

    Example:
        >>> print(no_test_host_message("a test host needs root").splitlines()[0])
        Cannot run the lab on a test host: a test host needs root.
    """
    from regkit.lab.testhost import REAL_NETWORK_MESSAGES

    return "\n".join([
        f"Cannot run the lab on a test host: {reason}.",
        "Nothing was started. On a real network, where the registry is not on 127.0.0.0/8, "
        "the Docker Engine answers:",
        f"  plain HTTP:               {REAL_NETWORK_MESSAGES['http']}",
        f"  HTTPS, CA not installed:  {REAL_NETWORK_MESSAGES['x509']}",
        "Docker trusts registries on 127.0.0.0/8 without TLS, so the practice lab on loopback "
        "never shows these: run it with `regkit lab up`.",
    ])


def _up(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    reason = None
    if args.test_host:  # the test host module stays off the path of a plain `lab up`
        from regkit.lab.testhost import unsupported_reason

        reason = unsupported_reason()
    if reason is not None:
        print(no_test_host_message(reason), file=sys.stderr)
        return 1
    info = running_lab(data_dir)
    if info is not None:
        print(f"The practice lab is already running at {info.url} (pid {info.pid}).")
        print(summary(info))
        return 0
    admin = args.admin_password or os.environ.get(ADMIN_PASSWORD_ENV)
    learner = args.learner_password or os.environ.get(LEARNER_PASSWORD_ENV)
    fresh = not (data_dir / "lab.db").exists()
    shown_admin = admin or (DEFAULT_ADMIN_PASSWORD if fresh else None)
    shown_learner = learner or (DEFAULT_LEARNER_PASSWORD if fresh else None)
    if args.test_host:
        return _up_on_test_host(args, data_dir, shown_admin, shown_learner)
    if args.foreground:
        return _foreground(args, data_dir, admin, learner, shown_admin, shown_learner)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        # The lab says so in its log too; this is where the person who chose it looks.
        print(f"warning: --host {args.host} makes the lab reachable from other machines, "
              "with well-known passwords; keep 127.0.0.1 unless you mean it", file=sys.stderr)
    started = time.monotonic()
    info = start_detached(data_dir, port=args.port, host=args.host, tls=args.tls,
                          admin_password=args.admin_password,
                          learner_password=args.learner_password, tls_names=args.tls_name,
                          timeout=args.timeout)
    print(summary(info, admin_password=shown_admin, learner_password=shown_learner))
    print(f"  (ready in {time.monotonic() - started:.1f}s)", file=sys.stderr)
    return 0


def _up_on_test_host(args: argparse.Namespace, data_dir: Path, shown_admin: str | None,
                     shown_learner: str | None) -> int:
    from regkit.lab.testhost import default_host

    if args.foreground or args.host != "127.0.0.1":
        print("error: --test-host runs the lab in the background on "
              f"{default_host().address}; it takes neither --foreground nor --host",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    lab = start_on_test_host(data_dir, port=args.port, tls=args.tls, tls_names=args.tls_name,
                             admin_password=args.admin_password,
                             learner_password=args.learner_password, timeout=args.timeout)
    assert lab.info is not None
    print(summary(lab.info, admin_password=shown_admin, learner_password=shown_learner))
    print(f"  (ready in {time.monotonic() - started:.1f}s)", file=sys.stderr)
    return 0


def _foreground(args: argparse.Namespace, data_dir: Path, admin: str | None,
                learner: str | None, shown_admin: str | None,
                shown_learner: str | None) -> int:
    from regkit.lab.server import LabOptions, serve

    if admin:
        os.environ[ADMIN_PASSWORD_ENV] = admin
    if learner:
        os.environ[LEARNER_PASSWORD_ENV] = learner
    options = LabOptions(data_dir=data_dir, port=args.port, host=args.host, tls=args.tls,
                         tls_names=list(args.tls_name))

    def ready(info: LabInfo) -> None:
        print(summary(info, admin_password=shown_admin, learner_password=shown_learner)
              .replace("regkit lab down", "Ctrl-C (or regkit lab down)"), flush=True)

    return serve(options, on_ready=ready)


def _status(args: argparse.Namespace) -> int:
    info = running_lab(_data_dir(args))
    if args.json:
        payload: dict = {"running": info is not None, "data_dir": str(_data_dir(args))}
        if info is not None:
            payload.update({"url": info.url, "host": info.host, "port": info.port,
                            "pid": info.pid, "tls": info.tls, "ca_path": info.ca_path,
                            "registry": info.registry_variable(),
                            "admin_user": info.admin_user, "learner_user": info.learner_user,
                            "test_host": info.test_host.as_dict() if info.test_host else None})
        print(json.dumps(payload, indent=2))
    elif info is None:
        up = "regkit lab up --test-host" if args.test_host else "regkit lab up"
        print(f"The practice lab is not running (data: {_data_dir(args)}); "
              f"start it with `{up}`.")
    else:
        print(summary(info))
    return 0 if info is not None else EXIT_NOT_RUNNING


def _down(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    info = running_lab(data_dir)
    stopped = stop_lab(data_dir)
    if stopped:
        assert info is not None
        print(f"Stopped the practice lab at {info.url}; its images and records are kept in "
              f"{data_dir}.")
    else:
        print(f"The practice lab is not running (data: {data_dir}).")
    removed = info.test_host if info is not None else None
    if removed is None and args.test_host:
        removed = _remove_left_test_host()
    if removed is not None:
        print(f"Removed the test host: network namespace {removed.name} and its veth pair.")
    return 0


def _remove_left_test_host() -> TestHost | None:
    """Remove the test host a lab stopped some other way (Lab.stop, a crash) left behind.

    One with processes inside belongs to a lab from another data directory: it stays.
    """
    from regkit.lab.testhost import default_host, unsupported_reason

    if unsupported_reason() is not None:
        return None
    host = default_host()
    if host.pids():
        print(f"The test host {host.name} still runs a lab from another data directory; "
              "stop that one with `regkit lab down --test-host --data-dir DIR`.")
        return None
    return host if host.remove() else None


def _reset(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    if not args.yes:
        print("This deletes every image, repository and project except library in "
              f"{data_dir} (accounts, passwords and the TLS CA are kept).\n"
              "Run `regkit lab reset --yes` to do it.", file=sys.stderr)
        return 2
    info = running_lab(data_dir)
    if info is not None:
        stop_lab(data_dir, remove_test_host=False)
    reset_lab(data_dir)
    print(f"Reset the practice lab in {data_dir}: only library remains, with no images.")
    if info is not None:
        # On a test host the certificate names already include its address.
        lab = Lab(data_dir, port=info.port, host=info.bind_host, tls=info.tls,
                  tls_names=info.tls_names, test_host=info.test_host).start()
        assert lab.info is not None
        print(f"Restarted it at {lab.info.url}.")
    return 0
