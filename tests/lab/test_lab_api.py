"""The lab's ``/api/v2.0`` answers as Harbor does, against a real lab and registry.

Images are pushed over the registry API (:mod:`tests.lab.oci`), through the lab's token
service and ``/v2/`` proxy, so these tests need no Docker Engine.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from tests.lab.conftest import call
from tests.lab.oci import RegistryClient, push_image

pytestmark = pytest.mark.lab

ZERO_TIME = "0001-01-01T00:00:00.000Z"


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def create_project(api, name: str, public: bool = False, who: str = "admin") -> int:
    reply = api("/projects", who, method="POST",
                data={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert reply.status == 201, reply.body
    return int(reply.headers["Location"].rsplit("/", 1)[1])


def parse_time(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp()


# -- system ----------------------------------------------------------------------------------


def test_ping_health_and_request_ids(api):
    ping = api("/ping", "anonymous")
    assert (ping.status, ping.body) == (200, b"Pong")
    assert ping.headers["X-Request-Id"]
    echoed = api("/ping", "anonymous", headers={"X-Request-Id": "my-id-42"})
    assert echoed.headers["X-Request-Id"] == "my-id-42"
    health = api("/health", "anonymous").json()
    assert health["status"] == "healthy"
    assert {c["name"] for c in health["components"]} >= {"core", "database", "registry"}
    assert "Set-Cookie" not in ping.headers


def test_systeminfo_hides_details_from_anonymous_callers(api, lab):
    anonymous = api("/systeminfo", "anonymous").json()
    assert "harbor_version" not in anonymous and "registry_url" not in anonymous
    assert anonymous["auth_mode"] == "db_auth"
    admin = api("/systeminfo").json()
    assert admin["registry_url"] == lab.host
    assert admin["external_url"] == lab.url
    assert admin["has_ca_root"] is False


def test_getcert_without_tls_is_harbors_404(api):
    reply = api("/systeminfo/getcert", "anonymous")
    assert reply.status == 404
    assert reply.json() == {"errors": [{"code": "NOT_FOUND", "message":
                            "resource not found: cert not found in path: /etc/core/ca/ca.crt"}]}


def test_unknown_path_and_method(api):
    reply = api("/no/such/thing")
    assert reply.status == 404
    assert reply.json()["errors"][0] == {"code": "NOT_FOUND",
                                         "message": "path /api/v2.0/no/such/thing was not found"}
    wrong = api("/ping", method="DELETE")
    assert wrong.status == 405 and wrong.json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"


def test_current_user(api, lab):
    assert api("/users/current", "anonymous").status == 401
    learner = api("/users/current", "learner").json()
    assert learner["username"] == lab.learner_user
    assert learner["sysadmin_flag"] is False
    assert api("/users/current").json()["sysadmin_flag"] is True


def test_wrong_password_is_silently_anonymous(api, lab):
    reply = call(f"{lab.url}/api/v2.0/projects", auth=("admin", "not-the-password"))
    assert reply.status == 200  # Harbor treats it as anonymous, not as an error
    assert all(p["metadata"]["public"] == "true" for p in reply.json())
    assert call(f"{lab.url}/api/v2.0/users/current",
                auth=("admin", "not-the-password")).status == 401


# -- pagination ------------------------------------------------------------------------------


def test_page_size_over_100_is_422_with_harbors_message(api):
    reply = api("/projects?page_size=101")
    assert reply.status == 422
    assert reply.json() == {"errors": [{"code": "UNPROCESSABLE_ENTITY", "message":
                            "validation failure list:\n"
                            "page_size in query should be less than or equal to 100"}]}
    assert api("/repositories?page_size=101", "anonymous").status == 422
    assert api("/projects?page_size=100").status == 200


def test_total_count_and_relative_link_header(api):
    prefix = unique("pages")
    for n in range(3):
        create_project(api, f"{prefix}-{n}")
    middle = api(f"/projects?name={prefix}&page=2&page_size=1")
    assert middle.headers["X-Total-Count"] == "3"
    assert middle.headers["Link"] == (
        f'</api/v2.0/projects?name={prefix}&page=1&page_size=1>; rel="prev" , '
        f'</api/v2.0/projects?name={prefix}&page=3&page_size=1>; rel="next"')
    assert [p["name"] for p in middle.json()] == [f"{prefix}-1"]
    last = api(f"/projects?name={prefix}&page=3&page_size=1")
    assert last.headers["Link"] == \
        f'</api/v2.0/projects?name={prefix}&page=2&page_size=1>; rel="prev"'
    everything = api(f"/projects?name={prefix}")
    assert "Link" not in everything.headers and len(everything.json()) == 3
    empty = api(f"/projects?name={unique('nothing')}")
    assert empty.headers["X-Total-Count"] == "0" and "Link" not in empty.headers
    assert empty.json() == []


# -- projects --------------------------------------------------------------------------------


def test_library_exists_public_with_string_metadata(api):
    library = api("/projects/1").json()
    assert library["name"] == "library" and library["project_id"] == 1
    assert library["metadata"] == {"public": "true"}
    assert library["owner_name"] == "admin"
    assert isinstance(library["repo_count"], int)


def test_create_project_location_and_validation(api):
    name = unique("made")
    reply = api("/projects", method="POST", data={"project_name": name})
    assert reply.status == 201 and reply.body == b""
    project_id = int(reply.headers["Location"].removeprefix("/api/v2.0/projects/"))
    created = api(f"/projects/{project_id}").json()
    assert created["name"] == name and created["metadata"]["public"] == "false"

    by_name = api("/projects", method="POST", data={"project_name": unique("named")},
                  headers={"X-Resource-Name-In-Location": "true"})
    assert by_name.headers["Location"].startswith("/api/v2.0/projects/named-")

    conflict = api("/projects", method="POST", data={"project_name": name})
    assert (conflict.status, conflict.message) == (409, f"The project named {name} already exists")
    illegal = api("/projects", method="POST", data={"project_name": "Not_Lower"})
    assert (illegal.status, illegal.message) == (
        400, "project name is not in lower case or contains illegal characters")
    bad_public = api("/projects", method="POST",
                     data={"project_name": unique("p"), "metadata": {"public": "yes"}})
    assert (bad_public.status, bad_public.message) == (
        400, "metadata.public should only be 'true' or 'false', but got: 'yes'")
    boolean = api("/projects", method="POST",
                  data={"project_name": unique("p"), "metadata": {"public": True}})
    assert boolean.status == 422 and "must be of type string" in boolean.message
    assert api("/projects", "anonymous", method="POST",
               data={"project_name": unique("anon")}).status == 401


def test_private_project_visibility(api):
    name = unique("private")
    project_id = create_project(api, name, public=False)
    anonymous = api(f"/projects/{name}", "anonymous")
    assert (anonymous.status, anonymous.json()["errors"][0]["code"]) == (401, "UNAUTHORIZED")
    learner = api(f"/projects/{name}", "learner")
    assert (learner.status, learner.json()["errors"][0]["code"]) == (403, "FORBIDDEN")
    assert api(f"/projects/{project_id}").json()["name"] == name
    missing = unique("missing")
    assert api(f"/projects/{missing}", "learner").status == 403
    assert api(f"/projects/{missing}", "anonymous").status == 401
    admin_missing = api(f"/projects/{missing}")
    assert (admin_missing.status, admin_missing.message) == (404, f"project {missing} not found")
    names = [p["name"] for p in api(f"/projects?name={name}", "learner").json()]
    assert names == []
    assert [p["name"] for p in api(f"/projects?name={name}").json()] == [name]


def test_numeric_project_names_need_x_is_resource_name(api):
    name = str(900000 + secrets.randbelow(99999))
    create_project(api, name, public=True)
    as_id = api(f"/projects/{name}")
    assert as_id.status == 404  # read as an id
    as_name = api(f"/projects/{name}", headers={"X-Is-Resource-Name": "true"})
    assert as_name.status == 200 and as_name.json()["name"] == name


def test_head_project(api):
    assert api("/projects?project_name=library", method="HEAD").status == 200
    assert api(f"/projects?project_name={unique('nope')}", method="HEAD").status == 404
    assert api("/projects?project_name=library", "anonymous", method="HEAD").status == 401


def test_learner_creates_a_project_and_becomes_its_admin(api, lab):
    name = unique("mine")
    create_project(api, name, who="learner")
    mine = api(f"/projects/{name}", "learner").json()
    assert mine["owner_name"] == lab.learner_user
    assert mine["current_user_role_id"] == 1 and mine["current_user_role_ids"] == [1]
    pushed = push_image(lab.url, f"{name}/app", "v1", (lab.learner_user, lab.learner_password))
    assert api(f"/projects/{name}/repositories/app/artifacts/v1", "learner").json()[
        "digest"] == pushed.digest


def test_delete_project_only_when_empty(api, lab):
    name = unique("gone")
    create_project(api, name)
    push_image(lab.url, f"{name}/app", "v1", (lab.admin_user, lab.admin_password))
    refused = api(f"/projects/{name}", method="DELETE",
                  headers={"X-Is-Resource-Name": "true"})
    assert refused.status == 412 and "contains repositories" in refused.message
    assert api(f"/projects/{name}/repositories/app", method="DELETE").status == 200
    assert api(f"/projects/{name}", method="DELETE").status == 200
    assert api(f"/projects/{name}").status == 404


# -- repositories, artifacts, tags ----------------------------------------------------------


@pytest.fixture
def pushed(api, lab):
    """A private project with ``team/app:v1`` pushed into it (a nested repository name)."""
    project = unique("arts")
    create_project(api, project)
    before = time.time()
    image = push_image(lab.url, f"{project}/team/app", "v1", (lab.admin_user, lab.admin_password))
    encoded = quote(quote("team/app", safe=""), safe="")
    return {"project": project, "image": image, "before": before,
            "path": f"/projects/{project}/repositories/{encoded}"}


def test_repository_names_include_the_project_and_paths_are_double_encoded(api, pushed):
    assert "%252F" in pushed["path"]
    repos = api(f"/projects/{pushed['project']}/repositories")
    assert repos.headers["X-Total-Count"] == "1"
    [repo] = repos.json()
    assert repo["name"] == f"{pushed['project']}/team/app"
    assert repo["artifact_count"] == 1 and repo["pull_count"] == 0
    assert api(pushed["path"]).json()["id"] == repo["id"]
    everywhere = [r["name"] for r in api("/repositories?page_size=100&q=name=~" +
                                         pushed["project"]).json()]
    assert everywhere == [repo["name"]]
    assert api(pushed["path"], "learner").status == 403


def test_artifact_shape_push_time_and_zero_pull_time(api, pushed):
    [artifact] = api(pushed["path"] + "/artifacts").json()
    image = pushed["image"]
    assert artifact["digest"] == image.digest
    assert artifact["type"] == "IMAGE"
    assert artifact["media_type"] == "application/vnd.docker.container.image.v1+json"
    assert artifact["manifest_media_type"] == \
        "application/vnd.docker.distribution.manifest.v2+json"
    assert artifact["size"] == image.size
    assert artifact["repository_name"] == f"{pushed['project']}/team/app"
    assert artifact["pull_time"] == ZERO_TIME
    assert parse_time(artifact["push_time"]) >= pushed["before"] - 1
    assert artifact["extra_attrs"]["architecture"] == "amd64"
    assert artifact["extra_attrs"]["os"] == "linux"
    [tag] = artifact["tags"]
    assert tag["name"] == "v1" and tag["pull_time"] == ZERO_TIME and tag["immutable"] is False
    without = api(pushed["path"] + "/artifacts?with_tag=false").json()[0]
    assert "tags" not in without


def test_pull_counts_and_pull_time_after_a_pull(api, lab, pushed):
    repository = f"{pushed['project']}/team/app"
    client = RegistryClient(lab.url, repository, (lab.admin_user, lab.admin_password), "pull")
    assert client.get_manifest("v1", method="HEAD").status_code == 200
    assert api(pushed["path"]).json()["pull_count"] == 0  # HEAD is not a pull
    reply = client.get_manifest("v1")
    assert reply.status_code == 200 and reply.content == pushed["image"].manifest
    assert client.get_manifest(pushed["image"].digest).status_code == 200
    assert api(pushed["path"]).json()["pull_count"] == 2
    artifact = api(pushed["path"] + "/artifacts/v1").json()
    assert artifact["pull_time"] != ZERO_TIME
    assert artifact["tags"][0]["pull_time"] != ZERO_TIME


def test_artifact_lookup_by_tag_digest_and_missing(api, pushed):
    digest = pushed["image"].digest
    assert api(pushed["path"] + f"/artifacts/{digest}").json()["tags"][0]["name"] == "v1"
    missing = api(pushed["path"] + "/artifacts/v9")
    assert (missing.status, missing.message) == (
        404, f"artifact {pushed['project']}/team/app:v9 not found")
    assert len(api(pushed["path"] + "/artifacts?q=tags%3D*").json()) == 1
    assert api(pushed["path"] + "/artifacts?q=tags%3Dnil").json() == []
    assert len(api(pushed["path"] + "/artifacts?q=tags%3D~v").json()) == 1


def test_add_list_and_delete_tags(api, lab, pushed):
    path = pushed["path"] + "/artifacts/v1/tags"
    added = api(path, method="POST", data={"name": "v2"})
    assert added.status == 201
    names = [t["name"] for t in api(path).json()]
    assert sorted(names) == ["v1", "v2"]
    assert api(path).headers["X-Total-Count"] == "2"
    repository = f"{pushed['project']}/team/app"
    client = RegistryClient(lab.url, repository, (lab.admin_user, lab.admin_password), "pull")
    assert client.get_manifest("v2").content == pushed["image"].manifest
    listed = client.session.get(f"{lab.url}/v2/{repository}/tags/list").json()
    assert listed == {"name": repository, "tags": ["v1", "v2"]}
    again = api(path, method="POST", data={"name": "v2"})
    assert again.status == 409 and again.message.startswith("tag v2 already exists")
    invalid = api(path, method="POST", data={"name": "-bad"})
    assert (invalid.status, invalid.message) == (400, "bad request: invalid tag name: -bad")
    assert api(path + "/v2", method="DELETE").status == 200
    assert [t["name"] for t in api(path).json()] == ["v1"]
    assert client.get_manifest("v2").status_code == 404  # gone for pulls too


def test_delete_artifact_by_tag_removes_the_whole_manifest(api, lab, pushed):
    base = pushed["path"] + "/artifacts"
    api(base + "/v1/tags", method="POST", data={"name": "other"})
    assert api(base + "/other", "learner", method="DELETE").status == 403
    assert api(base + "/other", method="DELETE").status == 200
    assert api(base).json() == []
    assert api(base + "/v1").status == 404
    repository = f"{pushed['project']}/team/app"
    client = RegistryClient(lab.url, repository, (lab.admin_user, lab.admin_password), "pull")
    assert client.get_manifest(pushed["image"].digest).status_code == 404


def test_search(api, pushed):
    found = api(f"/search?q={pushed['project']}").json()
    assert [p["name"] for p in found["project"]] == [pushed["project"]]
    [repo] = found["repository"]
    assert repo["repository_name"] == f"{pushed['project']}/team/app"
    assert repo["project_public"] is False and repo["artifact_count"] == 1
    assert api(f"/search?q={pushed['project']}", "learner").json() == {"project": [],
                                                                       "repository": []}
    assert api("/search").status == 422


# -- robot accounts ----------------------------------------------------------------------------


def test_project_robot_can_push_and_pull_its_project_only(api, lab):
    project = unique("robots")
    create_project(api, project)
    body = {"name": "ci", "description": "CI pushes", "duration": -1, "level": "project",
            "disable": False, "permissions": [{"kind": "project", "namespace": project,
                                               "access": [{"resource": "repository",
                                                           "action": "pull"},
                                                          {"resource": "repository",
                                                           "action": "push"}]}]}
    assert api("/robots", "learner", method="POST", data=body).status == 403
    created = api("/robots", method="POST", data=body)
    assert created.status == 201
    robot = created.json()
    assert robot["name"] == f"robot${project}+ci" and len(robot["secret"]) == 32
    assert robot["expires_at"] == -1
    assert created.headers["Location"] == f"/api/v2.0/robots/{robot['id']}"
    shown = api(f"/robots/{robot['id']}").json()
    assert "secret" not in shown and shown["permissions"] == body["permissions"]
    assert api("/robots", method="POST", data=body).status == 409

    credentials = (robot["name"], robot["secret"])
    pushed = push_image(lab.url, f"{project}/app", "v1", credentials)
    assert api(f"/projects/{project}/repositories/app/artifacts/v1").json()["digest"] == \
        pushed.digest
    me = call(f"{lab.url}/api/v2.0/users/current", auth=credentials)
    assert (me.status, me.message) == (
        412, "get current user not available for security context: robot")
    assert [p["name"] for p in call(f"{lab.url}/api/v2.0/projects?name={project}",
                                    auth=credentials).json()] == [project]
    elsewhere = RegistryClient(lab.url, "library/robot-try", credentials)
    assert elsewhere.session.post(
        f"{lab.url}/v2/library/robot-try/blobs/uploads/").status_code == 401

    assert api(f"/robots/{robot['id']}", method="DELETE").status == 200
    gone = call(f"{lab.url}/api/v2.0/projects/{project}", auth=credentials)
    assert gone.status == 401  # its credentials are now anonymous


def test_robot_validation(api):
    project = unique("botcheck")
    create_project(api, project)
    permissions = [{"kind": "project", "namespace": project,
                    "access": [{"resource": "repository", "action": "pull"}]}]
    bad_name = api("/robots", method="POST", data={"name": "Bad Name", "level": "project",
                                                    "duration": -1, "permissions": permissions})
    assert (bad_name.status, bad_name.message) == (
        400, "robot name is not in lower case or contains illegal characters")
    bad_duration = api("/robots", method="POST", data={"name": "x", "level": "project",
                                                        "duration": 0,
                                                        "permissions": permissions})
    assert bad_duration.status == 400 and "duration" in bad_duration.message
    expiring = api("/robots", method="POST", data={"name": "week", "level": "project",
                                                    "duration": 7, "permissions": permissions})
    assert expiring.json()["expires_at"] > time.time() + 6 * 86400


# -- members -------------------------------------------------------------------------------------


def test_members_roles_decide_who_may_push(api, lab):
    project = unique("team")
    create_project(api, project)
    learner = (lab.learner_user, lab.learner_password)
    assert api(f"/projects/{project}/members", "learner").status == 403
    added = api(f"/projects/{project}/members", method="POST",
                data={"role_id": 3, "member_user": {"username": lab.learner_user}})
    assert added.status == 201
    member_id = int(added.headers["Location"].rsplit("/", 1)[1])
    members = api(f"/projects/{project}/members", "learner")
    assert members.headers["X-Total-Count"] == "2"
    mine = api(f"/projects/{project}/members/{member_id}").json()
    assert (mine["entity_name"], mine["role_name"], mine["role_id"]) == (
        lab.learner_user, "guest", 3)
    assert api(f"/projects/{project}", "learner").json()["current_user_role_id"] == 3

    guest = RegistryClient(lab.url, f"{project}/app", learner)
    refused = guest.session.post(f"{lab.url}/v2/{project}/app/blobs/uploads/")
    assert refused.status_code == 401 and "action: push" in refused.json()["errors"][0]["message"]

    assert api(f"/projects/{project}/members/{member_id}", method="PUT",
               data={"role_id": 2}).status == 200
    push_image(lab.url, f"{project}/app", "v1", learner)  # a developer may push
    assert api(f"/projects/{project}/repositories/app/artifacts/v1", "learner",
               method="DELETE").status == 403  # but not delete

    again = api(f"/projects/{project}/members", method="POST",
                data={"role_id": 2, "member_user": {"username": lab.learner_user}})
    assert again.status == 409
    bad_role = api(f"/projects/{project}/members", method="POST",
                   data={"role_id": 9, "member_user": {"username": "admin"}})
    assert bad_role.status == 400
    nobody = api(f"/projects/{project}/members", method="POST",
                 data={"role_id": 2, "member_user": {"username": "nobody-here"}})
    assert nobody.status == 404
    assert api(f"/projects/{project}/members/{member_id}", method="DELETE").status == 200
    assert api(f"/projects/{project}", "learner").status == 403
