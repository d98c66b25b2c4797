"""``python -m regkit.lab``: run the practice lab in the foreground.

``regkit lab up`` starts this detached; run it directly to watch its log. Passwords come
from ``REGKIT_LAB_ADMIN_PASSWORD`` / ``REGKIT_LAB_LEARNER_PASSWORD`` only, never from the
command line (which other users can read in ``ps``).

Example:
    python -m regkit.lab --port 8080 --data-dir ~/.local/share/regkit/lab
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regkit.lab.control import DEFAULT_PORT, default_data_dir


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m regkit.lab``."""
    parser = argparse.ArgumentParser(prog="python -m regkit.lab",
                                     description="Run the regkit practice lab (foreground).")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="state directory (default: $REGKIT_LAB_DIR or "
                        "~/.local/share/regkit/lab)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with the lab's own CA")
    parser.add_argument("--tls-name", action="append", default=[], metavar="NAME",
                        help="extra DNS name or IP address for the certificate (repeatable)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run the lab until SIGTERM/SIGINT; the exit code."""
    args = build_parser().parse_args(argv)
    from regkit.lab.server import LabOptions, serve

    options = LabOptions(data_dir=args.data_dir or default_data_dir(), port=args.port,
                         host=args.host, tls=args.tls, tls_names=list(args.tls_name))
    return serve(options)


if __name__ == "__main__":
    sys.exit(main())
