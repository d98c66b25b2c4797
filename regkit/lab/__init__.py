"""The practice lab: a Harbor-shaped registry to learn on when no Harbor is at hand.

It is *Harbor-shaped, not Harbor*: a real CNCF distribution registry stores the images,
bound to a private loopback port; in front of it one HTTP endpoint answers like Harbor's
``/api/v2.0`` (the part the course uses), ``/service/token`` and ``/v2/`` with Harbor's
authentication rules, messages and JSON shapes. Its state lives in one data directory,
so a restart (or a crash) loses nothing.

This package module imports only the standard library. The lab's own process does too (its
HTTP server is :mod:`regkit.lab.http`, the registry is reached with :mod:`http.client`), plus
``cryptography`` when it first makes or uses the token key (or the ``--tls`` certificates)
and ``bcrypt`` when the registry's password file has to be rewritten.

Accounts: ``admin`` / ``Harbor12345`` (system administrator) and ``learner`` /
``Learner12345`` (an ordinary user, member of no project, so it can pull from the public
``library`` project but not push there). Override them with ``--admin-password`` /
``--learner-password`` or ``REGKIT_LAB_ADMIN_PASSWORD`` / ``REGKIT_LAB_LEARNER_PASSWORD``.

Example:
    >>> from regkit.lab import Lab, running_lab
    >>> with Lab("/tmp/lab") as lab:  # doctest: +SKIP
    ...     print(lab.host)
    127.0.0.1:41234
"""

from __future__ import annotations

from regkit.lab.control import (
    ADMIN_USER,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_LEARNER_PASSWORD,
    DEFAULT_PORT,
    LEARNER_USER,
    Lab,
    LabInfo,
    default_data_dir,
    reset_lab,
    running_lab,
    stop_lab,
)

__all__ = [
    "ADMIN_USER",
    "DEFAULT_ADMIN_PASSWORD",
    "DEFAULT_LEARNER_PASSWORD",
    "DEFAULT_PORT",
    "LEARNER_USER",
    "Lab",
    "LabInfo",
    "default_data_dir",
    "reset_lab",
    "running_lab",
    "stop_lab",
]
