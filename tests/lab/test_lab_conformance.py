"""Every kind of answer the lab's API gives, checked strictly against Harbor's description.

A sweep over each endpoint the lab serves, as admin, learner and anonymous, successes and
errors alike, recorded and validated with the contract tests' reader of Harbor's swagger
(:mod:`tests.contract.swagger`). The contract tests check the same through the Harbor
client; this covers what that client does not call (members, robot reads, deletions).
"""

from __future__ import annotations

import secrets

import pytest
import requests

from tests.conftest import require
from tests.contract.recorder import ResponseRecorder
from tests.contract.swagger import description_path, load_description
from tests.lab.oci import push_image

pytestmark = pytest.mark.lab


def test_every_answer_conforms_to_harbors_description(lab):
    require(description_path().is_file(),
            f"Harbor's API description is not at {description_path()}")
    description = load_description(description_path())
    recorder = ResponseRecorder()
    session = requests.Session()
    session.hooks["response"].append(recorder)
    admin = (lab.admin_user, lab.admin_password)
    learner = (lab.learner_user, lab.learner_password)

    def api(method: str, path: str, auth: tuple[str, str] | None = admin,
            **kw: object) -> requests.Response:
        return session.request(method, f"{lab.url}/api/v2.0{path}", auth=auth, timeout=30,
                               **kw)

    project = f"sweep-{secrets.token_hex(4)}"
    assert api("POST", "/projects", json={"project_name": project}).status_code == 201
    push_image(lab.url, f"{project}/a/b", "v1", admin)
    repo = f"/projects/{project}/repositories/a%252Fb"
    reads = ["/ping", "/health", "/systeminfo", "/systeminfo/getcert", "/projects",
             f"/projects/{project}", "/projects/no-such-project", "/repositories",
             f"/projects/{project}/repositories", repo, f"{repo}/artifacts",
             f"{repo}/artifacts/v1", f"{repo}/artifacts/v9", f"{repo}/artifacts/v1/tags",
             f"/projects/{project}/members", "/users/current", f"/search?q={project}",
             "/projects?page_size=101", "/projects?page=1&page_size=1"]
    for path in reads:
        for who in (admin, learner, None):
            api("GET", path, who)
    api("HEAD", f"/projects?project_name={project}")
    api("HEAD", "/projects?project_name=no-such-project")
    api("POST", "/projects", json={"project_name": project})
    api("POST", "/projects", json={"project_name": "Bad Name"})
    api("POST", f"{repo}/artifacts/v1/tags", json={"name": "v2"})
    api("POST", f"{repo}/artifacts/v1/tags", json={"name": "v2"})
    api("DELETE", f"{repo}/artifacts/v1/tags/v2")
    member = api("POST", f"/projects/{project}/members",
                 json={"role_id": 2, "member_user": {"username": lab.learner_user}})
    member_path = f"/projects/{project}/members/{member.headers['Location'].rsplit('/', 1)[1]}"
    api("GET", member_path)
    api("PUT", member_path, json={"role_id": 3})
    api("DELETE", member_path)
    robot = api("POST", "/robots", json={
        "name": "sweep", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": project,
                         "access": [{"resource": "repository", "action": "pull"}]}]}).json()
    api("GET", f"/robots/{robot['id']}")
    api("GET", "/users/current", (robot["name"], robot["secret"]))
    api("DELETE", f"/robots/{robot['id']}")
    api("DELETE", f"/projects/{project}", headers={"X-Is-Resource-Name": "true"})
    api("DELETE", f"{repo}/artifacts/v1")
    api("DELETE", repo)
    api("DELETE", f"/projects/{project}")

    problems = recorder.problems(description, strict=True)
    assert not problems, "answers that depart from Harbor's description:\n" + "\n".join(problems)
    assert len(recorder.responses) >= 70
    ids = recorder.operation_ids(description)
    assert {"listProjects", "createProject", "getProject", "deleteProject", "headProject",
            "listRepositories", "listAllRepositories", "getRepository", "deleteRepository",
            "listArtifacts", "getArtifact", "deleteArtifact", "listTags", "createTag",
            "deleteTag", "listProjectMembers", "createProjectMember", "getProjectMember",
            "updateProjectMember", "deleteProjectMember", "CreateRobot", "GetRobotByID",
            "DeleteRobot", "getCurrentUserInfo", "search", "getPing", "getHealth",
            "getSystemInfo", "getCert"} <= ids
