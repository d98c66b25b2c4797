"""The ``regkit`` command: one sub-command per area, each defined next to the code it drives.

Each area module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code. Those
modules import their heavy dependencies inside the callables, so ``regkit --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
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
        return int(args.func(args) or 0)
    except RegkitError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
