"""The ``regkit`` command: one sub-command per area, each defined next to the code it drives.

Each area module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code; a command
that leaves nothing for the interpreter's teardown (no ``atexit`` clean-up, no child to
reap) also sets ``exit_at_once=True``, and the ``regkit`` program then ends with
``os._exit`` once its output is flushed. Those
modules import their heavy dependencies inside the callables, so ``regkit --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Area modules, in the order their commands appear in ``regkit --help``.
_AREAS = [
    "regkit.commands.engine",
    "regkit.commands.course",
    "regkit.commands.doctor",
    "regkit.lab.commands",
]


def build_parser() -> argparse.ArgumentParser:
    """Build the full ``regkit`` argument parser.

    Returns:
        The parser, with one sub-parser per area.
    """
    from regkit import __version__

    parser = argparse.ArgumentParser(
        prog="regkit",
        description="Helpers for the 'Self-hosting our registry' course.",
    )
    parser.add_argument("--version", action="version", version=f"regkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for area in _AREAS:
        try:
            module = importlib.import_module(area)
        except ModuleNotFoundError as err:
            if err.name != area:
                raise
            continue  # an area not built yet
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``regkit`` command line.

    Args:
        argv: the arguments after the program name; ``sys.argv[1:]`` when None.

    Returns:
        The process exit code: 0 on success, 1 when a ``RegkitError`` was reported,
        2 for usage errors.

    Edge cases:
        With ``argv`` None (the ``regkit`` program) and a command that sets
        ``exit_at_once``, the process ends here with that code and never returns.

    Example:
        >>> main(["--version"])  # doctest: +SKIP
        regkit 0.1.0
    """
    from regkit.errors import RegkitError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
    except RegkitError as err:
        print(f"error: {err}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    if argv is None and getattr(args, "exit_at_once", False):
        # The command itself (not a caller in Python) and one that leaves nothing to clean
        # up: skip the interpreter's teardown, about 5 ms of a `regkit lab up`.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
