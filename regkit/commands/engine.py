"""``regkit engine up|down|status|env``: find, start and stop a Docker Engine for the course.

``up`` starts regkit's private Engine (as root) when no Engine answers, and prints the
``export DOCKER_HOST=...`` line on stdout, so ``eval "$(regkit engine up)"`` works; every
other message goes to stderr. Heavy modules are imported inside the handlers.

Example:
    $ sudo regkit engine up
    started a private Docker Engine in /var/lib/regkit/engine
    export DOCKER_HOST=unix:///var/lib/regkit/engine/docker.sock
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from regkit.commands.areas import add_area

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``engine`` command and its sub-commands.

    Args:
        subparsers: the ``regkit`` sub-parsers object.

    Example:
        >>> parser = argparse.ArgumentParser(prog="regkit")
        >>> register(parser.add_subparsers())
        >>> parser.parse_args(["engine", "up", "--state-dir", "/tmp/rke"]).state_dir
        '/tmp/rke'
    """
    commands = add_area(
        subparsers, "engine",
        summary="find, start or stop a Docker Engine (private dockerd as root)",
        description="Find the Docker Engine the course uses, or run a private one.",
    )

    def state_dir_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--state-dir",
            help="the private Engine's directory (default: $REGKIT_ENGINE_DIR, else "
            "/var/lib/regkit/engine as root)",
        )

    up = commands.add_parser(
        "up", help="start a private Engine unless one already answers; print DOCKER_HOST"
    )
    state_dir_option(up)
    up.add_argument("--timeout", type=float, default=60, help="seconds to wait (default 60)")
    up.set_defaults(func=_up)

    down = commands.add_parser("down", help="stop the private Engine (images are kept)")
    state_dir_option(down)
    down.set_defaults(func=_down)

    status = commands.add_parser(
        "status", help="show which Engine regkit uses; exit 0 when it answers"
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_status)

    env = commands.add_parser(
        "env", help='print `export DOCKER_HOST=...` for eval "$(regkit engine env)"'
    )
    state_dir_option(env)
    env.set_defaults(func=_env)


def _export(docker_host: str) -> str:
    return f"export DOCKER_HOST={shlex.quote(docker_host)}"


def _up(args: argparse.Namespace) -> int:
    from regkit.engine import Engine
    from regkit.private_engine import PrivateEngine

    private = PrivateEngine(args.state_dir)
    if private.running:
        print(f"the private Docker Engine in {private.state_dir} is already running",
              file=sys.stderr)  # fmt: skip
        print(_export(private.docker_host))
        return 0
    if args.state_dir is None:
        engine = Engine()
        if engine.ping():
            print(f"a Docker Engine already answers at {engine.base_url} ({engine.source}); "
                  "nothing to start", file=sys.stderr)  # fmt: skip
            print(_export(engine.base_url))
            return 0
    docker_host = private.start(timeout=args.timeout)
    print(f"started a private Docker Engine in {private.state_dir} "
          f"(log: {private.log_path})", file=sys.stderr)  # fmt: skip
    print(_export(docker_host))
    return 0


def _down(args: argparse.Namespace) -> int:
    from regkit.private_engine import PrivateEngine

    private = PrivateEngine(args.state_dir)
    if private.pid is None:
        print(f"no private Docker Engine is running in {private.state_dir}", file=sys.stderr)
        return 0
    private.stop()
    print(f"stopped the private Docker Engine in {private.state_dir}", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    from regkit.engine import Engine

    status = Engine().status()
    if args.json:
        print(json.dumps(status.as_dict(), indent=2))
    elif status.answering:
        print(f"Docker Engine {status.server_version} (API {status.api_version}) answers at "
              f"{status.base_url} ({status.source})")  # fmt: skip
    else:
        print(f"no Docker Engine answers at {status.base_url} ({status.source}): {status.error}")
        print("start one with `sudo regkit engine up`, or point DOCKER_HOST at a running Engine")
    return 0 if status.answering else 1


def _env(args: argparse.Namespace) -> int:
    from regkit.engine import Engine
    from regkit.private_engine import PrivateEngine

    private = PrivateEngine(args.state_dir)
    if private.running:
        print(_export(private.docker_host))
        return 0
    if args.state_dir is None:
        engine = Engine()
        if engine.ping():
            print(_export(engine.base_url))
            return 0
    print(f"no Docker Engine answers (private Engine directory: {private.state_dir}); "
          "start one with `sudo regkit engine up`", file=sys.stderr)  # fmt: skip
    return 1
