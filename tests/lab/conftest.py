"""Fixtures for the practice lab tests: a real lab process on a free loopback port.

``lab`` (session) is the fixture other test packages import (the contract tests do): a
:class:`regkit.lab.Lab` with ``url``, ``host``, ``admin_user``, ``admin_password``,
``learner_user`` and ``learner_password``. It runs a real distribution registry behind it;
nothing is mocked.
"""

from __future__ import annotations

import base64
import json
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from regkit.lab import Lab
from tests.conftest import require


def require_registry_binary() -> None:
    """Skip (fail in CI) when no distribution registry binary is installed."""
    require(shutil.which("docker-registry") or shutil.which("registry"),
            "the practice lab needs CNCF distribution: apt-get install docker-registry")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A running practice lab (HTTP, free port) for the whole session; stopped at the end."""
    require_registry_binary()
    running = Lab(tmp_path_factory.mktemp("lab"), port=0).start()
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Reply:
    """One HTTP answer: status, headers (case-insensitive lookups) and body."""

    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def message(self) -> str:
        """The first Harbor error message."""
        return str(self.json()["errors"][0]["message"])


def call(url: str, *, method: str = "GET", auth: tuple[str, str] | None = None,
         headers: dict[str, str] | None = None, data: Any = None,
         bearer: str | None = None) -> Reply:
    """Send one request with the standard library (no cookies, no redirects followed)."""
    body = json.dumps(data).encode() if data is not None and not isinstance(data, bytes) \
        else data
    request = urllib.request.Request(url, method=method, data=body, headers=dict(headers or {}))
    if data is not None and not isinstance(data, bytes):
        request.add_header("Content-Type", "application/json")
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())


@dataclass
class Api:
    """``/api/v2.0`` of one lab, as admin, learner or anonymous."""

    lab: Lab

    def __call__(self, path: str, who: str = "admin", **kw: Any) -> Reply:
        users = {"admin": (self.lab.admin_user, self.lab.admin_password),
                 "learner": (self.lab.learner_user, self.lab.learner_password),
                 "anonymous": None}
        return call(f"{self.lab.url}/api/v2.0{path}", auth=users[who], **kw)


@pytest.fixture
def api(lab: Lab) -> Api:
    """Call the lab's API: ``api("/projects", "learner")``."""
    return Api(lab)


@pytest.fixture
def lab_dir(tmp_path: Path) -> Path:
    """A fresh data directory for a test that starts its own lab."""
    require_registry_binary()
    return tmp_path / "lab"
