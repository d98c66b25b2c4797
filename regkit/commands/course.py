"""``regkit course run``: execute the course notebooks headless, as CI and ``make run`` do.

Only the standard library is imported here; nbclient and the rest load when the command
runs, so ``regkit --help`` stays fast.

Example:
    $ regkit course run --only 00 --output /tmp/out
    00_setup-check.ipynb                     ok      6.2 s
    1/1 notebooks ran; executed notebooks in /tmp/out, HTML pages in /tmp/out
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``course`` and its sub-command ``run`` to the ``regkit`` parser.

    Args:
        subparsers: the ``regkit`` parser's sub-parsers.

    Example:
        >>> parser = argparse.ArgumentParser(prog="regkit")
        >>> register(parser.add_subparsers())
        >>> parser.parse_args(["course", "run", "--only", "00"]).only
        ['00']
    """
    course = subparsers.add_parser(
        "course", help="run the course notebooks", description="Run the course notebooks."
    )
    actions = course.add_subparsers(dest="course_command", metavar="ACTION")
    course.set_defaults(func=lambda args: _usage(course))
    run_parser = actions.add_parser(
        "run",
        help="execute every notebooks/NN_*.ipynb in order, headless",
        description=(
            "Execute every NN_*.ipynb in order in a kernel of this Python, writing the "
            "executed notebooks and an HTML page for each into --output. Starts the practice "
            "lab (and a private Engine, as root) when needed, and stops what it started."
        ),
    )
    run_parser.add_argument("--notebooks", default="notebooks", metavar="DIR",
                            help="folder holding the notebooks (default: notebooks)")
    run_parser.add_argument("--output", default="_output", metavar="DIR",
                            help="folder for executed notebooks and HTML (default: _output)")
    run_parser.add_argument("--in-place", action="store_true",
                            help="write fresh outputs back into the notebooks (refreshes the "
                            "stored outputs nbval checks); failed notebooks are left as they were")
    run_parser.add_argument("--only", action="append", metavar="NN",
                            help="run only notebook NN (repeat, or NN,MM)")
    run_parser.add_argument("--timeout", type=int, default=600, metavar="SECONDS",
                            help="seconds each cell may run (default: 600)")
    run_parser.set_defaults(func=run)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run(args: argparse.Namespace) -> int:
    """Run the notebooks, print a summary, and return the exit code.

    Args:
        args: parsed ``regkit course run`` arguments.

    Returns:
        0 when every notebook ran; 1 when one failed (the first failing notebook and cell
        named on stderr's last line).

    Raises:
        RegkitError: no notebooks found, or the lab or an Engine could not be started
            (``regkit`` prints it and exits 1).

    Example:
        >>> run(argparse.Namespace(notebooks="notebooks", output="_output", in_place=False,
        ...     only=["00"], timeout=600))  # doctest: +SKIP
        0
    """
    from regkit.course_runner import run_course

    only = [part for value in (args.only or []) for part in value.split(",")]
    report = run_course(
        args.notebooks, output=args.output, in_place=args.in_place, only=only, timeout=args.timeout
    )
    failed = [result for result in report.results if not result.ok]
    where = "notebooks rewritten in place" if args.in_place else f"executed notebooks in {args.output}"
    print(f"{len(report.results) - len(failed)}/{len(report.results)} notebooks ran; {where}, "
          f"HTML pages in {args.output}")
    first = report.first_failure
    if first is None:
        return 0
    print(f"error: {first.path.name} failed at {first.failure}", file=sys.stderr)
    return 1
