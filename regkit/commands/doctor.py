"""``regkit doctor [REGISTRY] [--json]``: would a push work, and if not, how to fix it.

Checks the registry in the ``REGKIT_*`` settings (or the practice lab), or the one given,
link by link (name, resolution, port, HTTP or HTTPS, certificate, the Engine's view,
credentials, project, push rights) and stops at the first broken one. Exit status 0 only
when a push would work, 1 otherwise; ``--json`` prints the same report for scripts.
Heavy modules are imported inside the handler.

Example:
    $ regkit doctor 10.203.0.2:8080
    regkit doctor: 10.203.0.2:8080, project library, admin
    ✓ name         images go to 10.203.0.2:8080/library/NAME
    ...
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` command.

    Args:
        subparsers: the ``regkit`` sub-parsers object.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> register(parser.add_subparsers())
    """
    parser = subparsers.add_parser(
        "doctor", help="find why a push to the registry would fail, and how to fix it",
        description="Check, link by link, whether a push to the registry would work: the "
        "name, its resolution, the port, HTTP or HTTPS, the certificate, the Docker Engine's "
        "view of the registry, the credentials, the project and the right to push. Stops at "
        "the first broken link and says how to fix it. Exit status 0 only when a push would "
        "work.")
    parser.add_argument(
        "registry", nargs="?", default=None, metavar="REGISTRY",
        help="what to check: a URL (https://harbor.example.com), host[:port], "
        "$REGISTRY (host:port/project) or an image name; default: REGKIT_REGISTRY_URL and "
        "REGKIT_PROJECT, else the practice lab")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds to wait for each connection or answer (default 5)")
    parser.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    from regkit.doctor import diagnose

    report = diagnose(name=args.registry, timeout=args.timeout)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.text())
    return report.exit_code
