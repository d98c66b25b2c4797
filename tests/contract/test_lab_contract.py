"""The Harbor client against the practice lab, every answer checked against Harbor's description.

Each test drives :class:`regkit.harbor.Harbor` (or its raw layer) with a response
recorder installed, then checks every recorded answer strictly against Harbor v2.15.2's
swagger (see :mod:`tests.contract.swagger`), and that the operations it meant to exercise
were exercised. So code that works here is code written against Harbor's contract, and
anything the lab answers that Harbor would not is a failure naming the field.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from regkit import errors
from regkit.harbor import Harbor
from regkit.lab import Lab
from regkit.settings import RegistrySettings
from tests.contract.recorder import ResponseRecorder
from tests.contract.swagger import HarborDescription

pytestmark = pytest.mark.lab


@dataclass
class Contract:
    """Clients for the lab's users, all recording into one recorder."""

    lab: Lab
    description: HarborDescription
    recorder: ResponseRecorder = field(default_factory=ResponseRecorder)

    def client(self, who: str = "admin", *, password: str | None = None) -> Harbor:
        users = {"admin": (self.lab.admin_user, self.lab.admin_password),
                 "learner": (self.lab.learner_user, self.lab.learner_password),
                 "anonymous": (None, None)}
        username, secret = users[who]
        settings = RegistrySettings(self.lab.url, username=username,
                                    password=password if password is not None else secret)
        return Harbor(settings, hooks=[self.recorder])

    def check(self, *operation_ids: str) -> None:
        """Every answer so far conforms, and each named operation was exercised."""
        problems = self.recorder.problems(self.description, strict=True)
        assert not problems, "answers that depart from Harbor's API description:\n" + "\n".join(problems)
        missing = set(operation_ids) - self.recorder.operation_ids(self.description)
        assert not missing, f"operations not exercised: {sorted(missing)}"


@pytest.fixture
def contract(lab, harbor_description) -> Contract:
    return Contract(lab, harbor_description)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# -- system --------------------------------------------------------------------------------

def test_ping_health_systeminfo_and_getcert(contract):
    admin, anonymous = contract.client("admin"), contract.client("anonymous")
    assert admin.ping()
    assert admin.health()  # at least one component
    assert "harbor_version" in admin.system_info()
    assert "harbor_version" not in anonymous.system_info()  # Harbor hides it from anonymous callers
    try:
        assert admin.ca_certificate().startswith(b"-----BEGIN CERTIFICATE-----")
    except errors.NotFoundError as err:
        assert err.status == 404 and "cert not found" in (err.server_message or "")
    contract.check("getPing", "getHealth", "getSystemInfo", "getCert")


# -- users ---------------------------------------------------------------------------------

def test_current_user_and_the_silent_anonymous_fallback(contract):
    admin = contract.client("admin").check_login()
    assert admin.username == contract.lab.admin_user and admin.sysadmin
    learner = contract.client("learner").current_user()
    assert learner.username == contract.lab.learner_user and not learner.sysadmin
    wrong = contract.client("admin", password="not-the-password")
    with pytest.raises(errors.AuthenticationError) as caught:
        wrong.check_login()
    assert caught.value.status == 401 and caught.value.request_id
    # Harbor answers a wrong password as if anonymous: a list still works, public only.
    assert all(p.public for p in wrong.projects())
    with pytest.raises(errors.AuthenticationError):
        contract.client("anonymous").current_user()
    contract.check("getCurrentUserInfo", "listProjects")


# -- projects ------------------------------------------------------------------------------

def test_create_get_head_and_list_a_project(contract):
    admin = contract.client("admin")
    name = unique("ct")
    created = admin.create_project(name)
    assert (created.name, created.public) == (name, False)
    location = contract.recorder.requests_to("POST", "/api/v2.0/projects")[-1].headers["Location"]
    assert location.startswith("/api/v2.0/projects/")
    assert admin.project(name).project_id == created.project_id
    assert admin.project_exists(name) and not admin.project_exists(unique("missing"))
    assert name in [p.name for p in admin.projects(name=name)]
    public = admin.create_project(unique("ctpub"), public=True)
    assert public.public and contract.client("anonymous").project(public.name).public
    contract.check("createProject", "getProject", "headProject", "listProjects")


def test_an_all_digit_project_name_is_a_name_not_an_id(contract):
    admin = contract.client("admin")
    name = str(900000 + secrets.randbelow(99999))
    admin.create_project(name)
    assert admin.project(name).name == name
    contract.check("createProject", "getProject")


def test_project_errors_are_harbors(contract):
    admin, learner = contract.client("admin"), contract.client("learner")
    name = unique("ct")
    admin.create_project(name)
    with pytest.raises(errors.RegistryError) as conflict:
        admin.create_project(name)
    assert conflict.value.status == 409 and conflict.value.server_code == "CONFLICT"
    assert admin.create_project(name, exist_ok=True).name == name
    with pytest.raises(errors.RegistryError) as bad:
        admin.api.create_project("Not_Lower")  # the raw layer sends it; Harbor refuses
    assert bad.value.status == 400 and bad.value.server_code == "BAD_REQUEST"
    missing = unique("missing")
    with pytest.raises(errors.ProjectNotFound) as admin_missing:
        admin.project(missing)
    assert admin_missing.value.status == 404
    with pytest.raises(errors.RegistryError) as learner_private:
        learner.api.get_project(name)  # private, no role: Harbor's 403 (missing looks the same)
    assert learner_private.value.status == 403
    with pytest.raises(errors.ProjectNotFound):
        learner.project(missing)  # the friendly layer tells missing from private with HEAD
    with pytest.raises(errors.AuthenticationError):
        contract.client("anonymous").api.get_project(name)
    with pytest.raises(errors.AuthenticationError):
        contract.client("anonymous").api.head_project(name)
    contract.check("createProject", "getProject", "headProject")


def test_page_size_over_100_and_a_missing_search_query_are_422(contract):
    admin = contract.client("admin")
    with pytest.raises(errors.RegistryError) as too_big:
        admin.api.list_projects(page_size=101)
    assert too_big.value.status == 422 and "page_size" in too_big.value.server_message
    with pytest.raises(errors.RegistryError) as no_query:
        admin.api.request("GET", "/api/v2.0/search")
    assert no_query.value.status == 422
    contract.check("listProjects", "search")


@pytest.fixture(scope="module")
def many_projects(lab) -> tuple[str, int]:
    """105 private projects sharing a fresh prefix, created through the API."""
    prefix = f"pg{secrets.token_hex(3)}"
    admin = Harbor(RegistrySettings(lab.url, username=lab.admin_user, password=lab.admin_password))
    for i in range(105):
        admin.api.create_project(f"{prefix}-{i:03d}")
    return prefix, 105


def test_pagination_reads_every_page_with_the_fewest_requests(contract, many_projects):
    prefix, count = many_projects
    admin = contract.client("admin")
    names = [p.name for p in admin.projects(q=f"name=~{prefix}")]
    assert sorted(names) == [f"{prefix}-{i:03d}" for i in range(count)]
    lists = contract.recorder.requests_to("GET", "/api/v2.0/projects")
    assert len(lists) == math.ceil(count / 100) == 2
    assert lists[0].headers["X-Total-Count"] == str(count)
    assert 'rel="next"' in lists[0].headers["Link"] and 'rel="prev"' in lists[1].headers["Link"]
    contract.check("listProjects")


def test_small_pages_carry_prev_and_next_links(contract, many_projects):
    prefix, count = many_projects
    admin = contract.client("admin")
    pages = list(admin.api.pages(admin.api.list_projects, page_size=10, q=f"name=~{prefix}"))
    assert len(pages) == math.ceil(count / 10)
    assert sum(len(p.items) for p in pages) == count
    assert [p.next_page for p in pages] == [*range(2, len(pages) + 1), None]
    contract.check("listProjects")  # the strict check verified each Link against the count


# -- repositories, artifacts, tags (a real push) -------------------------------------------

@pytest.fixture(scope="module")
def pushed(lab, engine, busybox) -> Iterator[dict[str, str]]:
    """busybox pushed as <project>/busybox:v1 and <project>/team/app:v1 by a real Engine."""
    project = unique("push")
    settings = RegistrySettings(lab.url, project=project, username=lab.admin_user,
                                password=lab.admin_password)
    Harbor(settings).create_project(project)
    digests = {}
    for repository in ("busybox", "team/app"):
        target = engine.tag("busybox:latest", settings.image(repository, "v1"))
        digests[repository] = engine.push(target, settings=settings).digest
    yield {"project": project, **digests}


def test_repository_list_and_table(contract, pushed):
    admin = contract.client("admin")
    project = pushed["project"]
    repositories = {r.name: r for r in admin.repositories(project)}
    assert set(repositories) == {f"{project}/busybox", f"{project}/team/app"}
    assert repositories[f"{project}/busybox"].artifact_count == 1
    table = {row.name: row for row in admin.repository_table(project)}
    assert table[f"{project}/team/app"].artifacts == 1 and table[f"{project}/team/app"].last_modified
    assert len(contract.recorder.requests_to("GET", f"/api/v2.0/projects/{project}/repositories")) == 2
    everything = [r["name"] for r in admin.api.iterate(admin.api.list_all_repositories)]
    assert f"{project}/team/app" in everything
    contract.check("listRepositories", "listAllRepositories")


def test_artifacts_by_list_tag_and_digest_through_a_double_encoded_name(contract, pushed):
    admin = contract.client("admin")
    project, digest = pushed["project"], pushed["team/app"]
    [artifact] = admin.artifacts(project, f"{project}/team/app")
    assert (artifact.digest, artifact.tag_names) == (digest, ("v1",))
    assert admin.artifact(project, "team/app", "v1").digest == digest
    assert admin.artifact(project, "team/app", digest).tag_names == ("v1",)
    paths = {r.request.path_url.split("?")[0] for r in contract.recorder.responses}
    assert f"/api/v2.0/projects/{project}/repositories/team%252Fapp/artifacts/v1" in paths
    with pytest.raises(errors.NotFoundError) as missing:
        admin.artifact(project, "team/app", "nope")
    assert missing.value.status == 404
    contract.check("listArtifacts", "getArtifact")


def test_tags_add_list_delete(contract, pushed):
    admin = contract.client("admin")
    project = pushed["project"]
    admin.add_tag(project, "busybox", "v1", "v2")
    assert sorted(t.name for t in admin.tags(project, "busybox", "v1")) == ["v1", "v2"]
    with pytest.raises(errors.RegistryError) as exists:
        admin.add_tag(project, "busybox", "v1", "v2")
    assert exists.value.status == 409
    with pytest.raises(errors.RegistryError) as bad:
        admin.api.create_tag(project, "busybox", "v1", "bad/tag")
    assert bad.value.status == 400
    admin.delete_tag(project, "busybox", "v2")
    assert [t.name for t in admin.tags(project, "busybox")] == ["v1"]
    with pytest.raises(errors.NotFoundError):
        admin.delete_tag(project, "busybox", "v2")
    contract.check("createTag", "listTags", "deleteTag", "listArtifacts")


def test_learner_without_a_role_cannot_tag(contract, pushed):
    learner = contract.client("learner")
    with pytest.raises(errors.PushDenied) as denied:  # private project, no role: Harbor's 403
        learner.add_tag(pushed["project"], "busybox", "v1", "learner")
    assert denied.value.status == 403 and "role" in denied.value.hint
    contract.check("createTag")


def test_search_finds_the_pushed_repository(contract, pushed):
    admin = contract.client("admin")
    project = pushed["project"]
    found = admin.search(project)
    assert project in [p.name for p in found.projects]
    assert f"{project}/busybox" in [r.repository_name for r in found.repositories]
    contract.check("search")


def test_deleting_an_artifact_by_tag_removes_all_its_tags(contract, lab, engine, busybox):
    admin = contract.client("admin")
    project = unique("del")
    settings = RegistrySettings(lab.url, project=project, username=lab.admin_user,
                                password=lab.admin_password)
    admin.create_project(project)
    engine.push(engine.tag("busybox:latest", settings.image("busybox", "v1")), settings=settings)
    admin.add_tag(project, "busybox", "v1", "v1-copy")
    admin.delete_artifact(project, "busybox", "v1")
    assert admin.artifacts(project, "busybox") == []
    with pytest.raises(errors.NotFoundError):
        admin.artifact(project, "busybox", "v1-copy")
    contract.check("deleteArtifact", "listArtifacts", "getArtifact")


# -- robots --------------------------------------------------------------------------------

def test_a_project_robot_is_created_and_its_secret_kept_hidden(contract):
    admin = contract.client("admin")
    project = unique("bot")
    admin.create_project(project)
    robot = admin.create_robot("ci", project)
    assert robot.name.endswith(f"{project}+ci") and robot.secret.reveal()
    assert robot.secret.reveal() not in repr(robot)
    robot_client = Harbor(RegistrySettings(contract.lab.url, username=robot.name,
                                           password=robot.secret), hooks=[contract.recorder])
    assert robot_client.check_login().username == robot.name
    contract.check("CreateRobot")
