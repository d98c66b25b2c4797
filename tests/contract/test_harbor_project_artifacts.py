"""``Harbor.project_artifacts`` against the lab: every artifact, fewest requests, Harbor's shapes.

Images are pushed over the OCI API (tests.lab.oci), so no Docker Engine is needed.
"""

from __future__ import annotations

import secrets

import pytest

from regkit.harbor import Harbor
from regkit.lab import Lab
from regkit.settings import RegistrySettings
from tests.contract.recorder import ResponseRecorder
from tests.contract.swagger import HarborDescription
from tests.lab.oci import push_image

pytestmark = pytest.mark.lab


@pytest.fixture
def filled(lab: Lab) -> dict[str, set[str]]:
    """A new project: ``one`` (1 artifact), ``team/two`` (2 artifacts), ``empty`` (0)."""
    project = f"listing-{secrets.token_hex(4)}"
    admin = Harbor(RegistrySettings(lab.url, username=lab.admin_user,
                                    password=lab.admin_password))
    admin.create_project(project)
    auth = (lab.admin_user, lab.admin_password)
    expected: dict[str, set[str]] = {}
    for name, count in (("one", 1), ("team/two", 2), ("empty", 1)):
        repository = f"{project}/{name}"
        expected[repository] = {
            push_image(lab.url, repository, f"v{index}", auth,
                       content=f"{repository} {index}".encode()).digest
            for index in range(count)
        }
    [gone] = expected[f"{project}/empty"]
    admin.delete_artifact(project, "empty", gone)
    expected[f"{project}/empty"] = set()
    return expected


def test_every_artifact_in_one_request_per_repository_holding_any(
    lab: Lab, harbor_description: HarborDescription, filled: dict[str, set[str]]
) -> None:
    project = next(iter(filled)).split("/")[0]
    recorder = ResponseRecorder()
    harbor = Harbor(RegistrySettings(lab.url, project=project, username=lab.admin_user,
                                     password=lab.admin_password), hooks=[recorder])
    listing = harbor.project_artifacts()
    assert {name: {a.digest for a in artifacts} for name, artifacts in listing.items()} == filled
    assert {a.tag_names for a in listing[f"{project}/team/two"]} == {("v0",), ("v1",)}
    paths = sorted(r.request.path_url.split("?")[0] for r in recorder.responses)
    base = f"/api/v2.0/projects/{project}/repositories"
    # The empty repository is known empty from the repository list: it is not asked.
    assert paths == [base, f"{base}/one/artifacts", f"{base}/team%252Ftwo/artifacts"]
    problems = recorder.problems(harbor_description, strict=True)
    assert not problems, "\n".join(problems)
    one_by_one = harbor.project_artifacts(project, workers=1, with_tag=False)
    assert {n: {a.digest for a in arts} for n, arts in one_by_one.items()} == filled
    assert all(not a.tags for arts in one_by_one.values() for a in arts)


def test_workers_below_one_are_refused(lab: Lab) -> None:
    with pytest.raises(ValueError, match="workers"):
        Harbor(RegistrySettings(lab.url)).project_artifacts("library", workers=0)
