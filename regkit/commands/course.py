"""``regkit course``: run the notebooks, reset a demo, make class accounts.

- ``regkit course run``: execute the course notebooks headless, as CI and ``make run`` do.
- ``regkit course reset [--yes] [--dry-run]``: delete what the course pushed and created
  on the registry (nothing else: see :mod:`regkit.course_reset`), then log the Docker CLI
  out of it, so a demo can run again.
- ``regkit course learners N``: make N class accounts through Harbor's API, with a
  project each, and a sheet of logins (see :mod:`regkit.classroom`).

Only the standard library is imported here; nbclient, requests and the rest load when a
command runs, so ``regkit --help`` stays fast.

Example:
    $ regkit course run --only 00 --output /tmp/out
    00_setup-check.ipynb                     ok      6.2 s
    1/1 notebooks ran; executed notebooks in /tmp/out, HTML pages in /tmp/out
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["learners", "register", "reset", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``course`` and its sub-commands ``run``, ``reset``, ``learners`` to ``regkit``.

    Args:
        subparsers: the ``regkit`` parser's sub-parsers.

    Example:
        >>> parser = argparse.ArgumentParser(prog="regkit")
        >>> register(parser.add_subparsers())
        >>> parser.parse_args(["course", "run", "--only", "00"]).only
        ['00']
    """
    course = subparsers.add_parser(
        "course", help="run the course notebooks; reset a demo; make class accounts",
        description="Run the course notebooks, undo what they made, prepare a class.",
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

    reset_parser = actions.add_parser(
        "reset",
        help="delete what the course pushed and created, then log out",
        description=(
            "Delete from the registry exactly what the course record says the course "
            "pushed and created (images, tags, repositories, robot accounts, projects) "
            "while each is still as the course left it; report anything skipped and why; "
            "clear the record; then log the Docker CLI out of the registry. The registry "
            "and account are the course's (REGKIT_* variables, else the practice lab as "
            "admin). Without --yes, only shows what it would do."
        ),
    )
    reset_parser.add_argument("--yes", action="store_true", help="do it")
    reset_parser.add_argument("--dry-run", action="store_true",
                              help="show what would be done and change nothing")
    reset_parser.set_defaults(func=reset)

    learners_parser = actions.add_parser(
        "learners",
        help="make N class accounts and print their sheet of logins once",
        description=(
            "Make N learner accounts on the course's registry through Harbor's API (as a "
            "system administrator: the practice lab's admin, or REGKIT_USERNAME / "
            "REGKIT_PASSWORD for a real Harbor), each with a generated password; by "
            "default each also gets a private project named after them, where they are "
            "projectAdmin, and is guest in library (without projects: developer in "
            "library). The sheet of logins is saved with mode 0600 (in the lab's data "
            "folder, else the current directory) and printed once; a second run says "
            "where it is and makes whatever is missing, never printing passwords again."
        ),
    )
    learners_parser.add_argument("count", type=int, metavar="N", help="how many learners")
    learners_parser.add_argument("--prefix", default="learner",
                                 help="start of every username (default: learner, giving "
                                 "learner01, learner02, ...)")
    learners_parser.add_argument("--project-per-learner", action=argparse.BooleanOptionalAction,
                                 default=True,
                                 help="a private project per learner (default), or everyone "
                                 "in library as developer (--no-project-per-learner)")
    learners_parser.add_argument("--sheet", metavar="FILE",
                                 help="where the sheet of logins goes (default: "
                                 "class-sheet-PREFIX.csv in the lab's data folder, or in the "
                                 "current directory for another registry)")
    learners_parser.set_defaults(func=learners)


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


def reset(args: argparse.Namespace) -> int:
    """Undo what the course made on its registry (see :func:`regkit.course_reset.reset_course`).

    Args:
        args: parsed ``regkit course reset`` arguments (``yes``, ``dry_run``).

    Returns:
        0 when done (or a dry run, or nothing to do); 1 when something is left to do
        (without ``--yes``) or a step failed.

    Raises:
        RegkitError: the registry could not be reached or refused the account.

    Example:
        >>> reset(argparse.Namespace(yes=False, dry_run=True))  # doctest: +SKIP
        0
    """
    from regkit.course import default_settings
    from regkit.course_reset import reset_course

    report = reset_course(default_settings(), yes=args.yes, dry_run=args.dry_run)
    if args.dry_run:
        return 0
    return 0 if report.ok and not report.pending else 1


def learners(args: argparse.Namespace) -> int:
    """Make the class accounts (see :func:`regkit.classroom.prepare_learners`).

    Args:
        args: parsed ``regkit course learners`` arguments.

    Returns:
        0 when every account is ready.

    Raises:
        RegkitError: not an administrator, a name taken, or Harbor refused (printed by
            ``regkit``, exit 1).

    Example:
        >>> learners(argparse.Namespace(count=3, prefix="learner", project_per_learner=True,
        ...                             sheet=None))  # doctest: +SKIP
        0
    """
    from regkit.classroom import prepare_learners, sheet_location
    from regkit.course import _running_lab_at, default_settings
    from regkit.harbor import Harbor

    settings = default_settings()
    path, warning = sheet_location(settings, _running_lab_at(settings.url), args.prefix,
                                   args.sheet)
    if warning and not path.exists():
        print(f"warning: {warning}", file=sys.stderr)
    prepare_learners(Harbor(settings), path, args.count, args.prefix,
                     project_per_learner=args.project_per_learner)
    return 0
