"""What the ``regkit`` command areas share: a command whose actions are sub-commands.

``regkit engine up``, ``regkit lab status``...: each area is one command with one
sub-command per action, and the bare command (``regkit lab``) prints the area's help and
exits with status 2, the status of a usage error. Standard library only.
"""

from __future__ import annotations

import argparse

__all__ = ["add_area"]


def add_area(
    subparsers: argparse._SubParsersAction, name: str, *, summary: str, description: str
) -> argparse._SubParsersAction:
    """Add an area command to ``regkit``; its actions go in the sub-parsers returned.

    Args:
        subparsers: the ``regkit`` sub-parsers object.
        name: the command (``engine``, ``lab``).
        summary: its one line in ``regkit --help``.
        description: the text at the top of ``regkit NAME --help``.

    Returns:
        The sub-parsers to add each action to (``add_parser(ACTION, ...)``, then
        ``set_defaults(func=...)``); the action chosen is in ``args.NAME_command``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="regkit")
        >>> actions = add_area(parser.add_subparsers(), "demo", summary="s", description="d")
        >>> actions.add_parser("go").set_defaults(func=lambda args: 0)
        >>> parser.parse_args(["demo", "go"]).demo_command
        'go'
        >>> parser.parse_args(["demo"]).func(None)  # doctest: +SKIP
        usage: regkit demo [-h] ACTION ...
        2
    """
    parser = subparsers.add_parser(name, help=summary, description=description)

    def usage(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)
    return parser.add_subparsers(dest=f"{name}_command", metavar="ACTION")
