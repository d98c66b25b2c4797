"""Harbor API v2.0 client: a raw layer mirroring the endpoints and a friendly layer on top.

- :class:`Harbor` (:mod:`regkit.harbor.client`): what the course does, with whole lists,
  typed models and errors that say how to fix them.
- :class:`HarborAPI` (:mod:`regkit.harbor.api`): one method per endpoint, named after the
  swagger ``operationId``, returning Harbor's JSON.
- :mod:`regkit.harbor.urls`: paths, double-encoded repository names, ``Link`` parsing.
- :mod:`regkit.harbor.failures`: Harbor's ``{"errors": [...]}`` answers to regkit errors.
- :mod:`regkit.harbor.transport`: the cookie-free ``requests`` session and network errors.

Importing this package imports ``requests``; ``import regkit`` does not.

Example:
    >>> from regkit.harbor import Harbor
    >>> Harbor.from_env({"REGKIT_REGISTRY_URL": "http://127.0.0.1:8080"}).api.base_url
    'http://127.0.0.1:8080'
"""

from __future__ import annotations

from regkit.harbor.api import HarborAPI, Page
from regkit.harbor.client import Harbor
from regkit.harbor.models import (
    Artifact,
    Project,
    Repository,
    RepositoryRow,
    RobotAccount,
    SearchRepository,
    SearchResult,
    Tag,
    User,
    format_repository_table,
)

__all__ = [
    "Artifact",
    "Harbor",
    "HarborAPI",
    "Page",
    "Project",
    "Repository",
    "RepositoryRow",
    "RobotAccount",
    "SearchRepository",
    "SearchResult",
    "Tag",
    "User",
    "format_repository_table",
]
