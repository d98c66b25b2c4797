"""Fixtures for the contract tests: Harbor's API description, a response recorder, the lab.

``lab`` is the practice lab fixture of tests/lab, imported here once so every contract
module shares one lab process per session.
"""

from __future__ import annotations

import pytest

from tests.conftest import require
from tests.contract.recorder import ResponseRecorder
from tests.contract.swagger import ENV_VAR, HarborDescription, description_path, load_description
from tests.lab.conftest import lab  # noqa: F401  (re-exported fixture)


@pytest.fixture(scope="session")
def harbor_description() -> HarborDescription:
    """Harbor's swagger, read in place (skipped locally when missing, a failure in CI)."""
    path = description_path()
    require(path.is_file(), f"Harbor's API description is not at {path}; set {ENV_VAR} to "
            "a copy of goharbor/harbor's api/v2.0/swagger.yaml")
    return load_description(path)


@pytest.fixture
def recorder() -> ResponseRecorder:
    """A fresh response hook for one test."""
    return ResponseRecorder()
