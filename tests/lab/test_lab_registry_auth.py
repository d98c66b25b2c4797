"""``/v2/`` and ``/service/token``: Harbor's challenge rules, tokens and refusals.

Checked with plain HTTP, so the exact headers and bodies are visible; the Docker-facing
consequences are in :mod:`tests.lab.test_lab_docker`.
"""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest

from tests.lab.conftest import call
from tests.lab.oci import RegistryClient, push_image, token

pytestmark = pytest.mark.lab


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def header(jwt: str) -> dict:
    part = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_v2_without_credentials_gets_the_bearer_challenge(lab):
    reply = call(f"{lab.url}/v2/")
    assert reply.status == 401
    assert reply.headers["Www-Authenticate"] == \
        f'Bearer realm="{lab.url}/service/token",service="harbor-registry"'
    assert reply.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert reply.message == "unauthorized: unauthorized"


def test_repository_challenge_carries_the_scope(lab):
    reply = call(f"{lab.url}/v2/library/busybox/manifests/latest", method="HEAD")
    assert reply.status == 401
    assert reply.headers["Www-Authenticate"] == (
        f'Bearer realm="{lab.url}/service/token",service="harbor-registry",'
        'scope="repository:library/busybox:pull"')
    push = call(f"{lab.url}/v2/library/busybox/blobs/uploads/", method="POST", data=b"")
    assert 'scope="repository:library/busybox:pull,push"' in push.headers["Www-Authenticate"]


def test_basic_auth_works_directly_on_v2(lab):
    assert call(f"{lab.url}/v2/", auth=(lab.admin_user, lab.admin_password)).status == 200
    wrong = call(f"{lab.url}/v2/", auth=(lab.admin_user, "wrong"))
    assert wrong.status == 401 and wrong.headers["Www-Authenticate"] == 'Basic realm="harbor"'


def test_catalog_is_admin_only(lab):
    push_image(lab.url, "library/catalogued", "v1", (lab.admin_user, lab.admin_password))
    admin = call(f"{lab.url}/v2/_catalog?n=1000", auth=(lab.admin_user, lab.admin_password))
    assert "library/catalogued" in admin.json()["repositories"]
    learner = call(f"{lab.url}/v2/_catalog", auth=(lab.learner_user, lab.learner_password))
    assert learner.status == 401
    assert learner.message == "unauthorized to list catalog: unauthorized to list catalog"


def test_token_service_rules(lab):
    anonymous = token(lab.url, None, None)
    assert anonymous.status_code == 401 and anonymous.content == b""
    wrong_password = token(lab.url, None, (lab.admin_user, "wrong"))
    assert wrong_password.status_code == 401  # what `docker login` with a typo meets
    unknown = call(f"{lab.url}/service/token?service=elsewhere")
    assert unknown.status == 400
    login = token(lab.url, None, (lab.admin_user, lab.admin_password)).json()
    assert login["expires_in"] == 1800 and login["issued_at"].endswith("Z")
    jwt = login["token"]
    assert header(jwt)["alg"] == "RS256" and header(jwt)["kid"].count(":") == 11
    body = claims(jwt)
    assert (body["iss"], body["aud"], body["sub"]) == ("harbor-token-issuer", "harbor-registry",
                                                       lab.admin_user)
    assert body["exp"] - body["iat"] == 1800 and body["access"] == []


def test_token_access_is_filtered_by_membership(lab):
    scope = "repository:library/app:pull,push"
    learner = claims(token(lab.url, scope, (lab.learner_user, lab.learner_password))
                     .json()["token"])
    assert learner["access"] == [{"type": "repository", "name": "library/app",
                                  "actions": ["pull"]}]
    anonymous = claims(token(lab.url, scope, None).json()["token"])
    assert anonymous["sub"] == "" and anonymous["access"][0]["actions"] == ["pull"]
    admin = claims(token(lab.url, scope, (lab.admin_user, lab.admin_password)).json()["token"])
    assert admin["access"][0]["actions"] == ["pull", "push", "delete", "*"]
    missing = claims(token(lab.url, "repository:nosuchproject/app:pull,push",
                           (lab.admin_user, lab.admin_password)).json()["token"])
    assert missing["access"][0]["actions"] == []
    several = token(lab.url, None, None)
    assert several.status_code == 401
    two = claims(call(f"{lab.url}/service/token?service=harbor-registry"
                      "&scope=repository:library/a:pull&scope=repository:library/b:pull")
                 .json()["token"])
    assert [a["name"] for a in two["access"]] == ["library/a", "library/b"]


def test_push_to_a_missing_project_says_so(lab):
    client = RegistryClient(lab.url, "nosuchproject/app", (lab.admin_user, lab.admin_password))
    reply = client.session.post(f"{lab.url}/v2/nosuchproject/app/blobs/uploads/")
    assert reply.status_code == 401
    assert reply.json()["errors"][0] == {
        "code": "UNAUTHORIZED",
        "message": "project nosuchproject not found: project nosuchproject not found"}


def test_push_without_rights_is_refused_with_harbors_words(lab):
    client = RegistryClient(lab.url, "library/app", (lab.learner_user, lab.learner_password))
    reply = client.session.post(f"{lab.url}/v2/library/app/blobs/uploads/")
    assert reply.status_code == 401
    assert reply.json()["errors"][0]["message"] == (
        "unauthorized to access repository: library/app, action: push: "
        "unauthorized to access repository: library/app, action: push")


def test_anonymous_pull_public_yes_private_no(lab, api):
    private = f"hidden-{secrets.token_hex(4)}"
    assert api("/projects", method="POST", data={"project_name": private}).status == 201
    auth = (lab.admin_user, lab.admin_password)
    push_image(lab.url, f"{private}/app", "v1", auth)
    push_image(lab.url, "library/open", "v1", auth)
    public = RegistryClient(lab.url, "library/open", None, "pull")
    assert public.get_manifest("v1").status_code == 200
    hidden = RegistryClient(lab.url, f"{private}/app", None, "pull")
    refused = hidden.get_manifest("v1")
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"].startswith(
        f"unauthorized to access repository: {private}/app, action: pull")


def test_a_tampered_token_is_anonymous(lab):
    client = RegistryClient(lab.url, "library/app", (lab.admin_user, lab.admin_password))
    jwt = client.session.headers["Authorization"].split(" ", 1)[1]
    head, payload, signature = jwt.split(".")
    body = claims(jwt)
    body["access"][0]["name"] = "library/other"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    reply = call(f"{lab.url}/v2/library/other/blobs/uploads/", method="POST", data=b"",
                 bearer=f"{head}.{forged}.{signature}")
    assert reply.status == 401 and reply.headers["Www-Authenticate"] == 'Basic realm="harbor"'


def test_a_token_older_than_its_project_is_rejected(lab, api):
    name = f"reborn-{secrets.token_hex(4)}"
    assert api("/projects", method="POST", data={"project_name": name}).status == 201
    old = RegistryClient(lab.url, f"{name}/app", (lab.admin_user, lab.admin_password))
    assert old.session.post(f"{lab.url}/v2/{name}/app/blobs/uploads/").status_code == 202
    assert api(f"/projects/{name}", method="DELETE").status == 200
    # Token times have one-second resolution: make the new project visibly younger.
    time.sleep(1.1)
    assert api("/projects", method="POST", data={"project_name": name}).status == 201
    reply = old.session.post(f"{lab.url}/v2/{name}/app/blobs/uploads/")
    assert reply.status_code == 401
    assert "unauthorized to access repository" in reply.json()["errors"][0]["message"]


def test_blobs_stream_through_with_content_length(lab):
    auth = (lab.admin_user, lab.admin_password)
    content = secrets.token_bytes(3 * 1024 * 1024 + 17)
    pushed = push_image(lab.url, "library/big", "v1", auth, content=content)
    client = RegistryClient(lab.url, "library/big", auth, "pull")
    layer = json.loads(pushed.manifest)["layers"][0]["digest"]
    head = client.session.head(f"{lab.url}/v2/library/big/blobs/{layer}")
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(content)
    got = client.session.get(f"{lab.url}/v2/library/big/blobs/{layer}")
    assert got.content == content


def test_chunked_upload_and_relative_locations(lab):
    client = RegistryClient(lab.url, "library/chunked", (lab.admin_user, lab.admin_password))
    start = client.session.post(f"{lab.url}/v2/library/chunked/blobs/uploads/")
    location = start.headers["Location"]
    assert location.startswith("/v2/library/chunked/blobs/uploads/")
    chunks = [secrets.token_bytes(70_000) for _ in range(3)]
    patched = client.session.patch(f"{lab.url}{location}", data=iter(chunks))
    assert patched.status_code == 202, patched.text
    assert patched.headers["Range"] == f"0-{sum(map(len, chunks)) - 1}"
    import hashlib

    digest = "sha256:" + hashlib.sha256(b"".join(chunks)).hexdigest()
    done = client.session.put(f"{lab.url}{patched.headers['Location']}&digest={digest}")
    assert done.status_code == 201
    assert client.session.get(f"{lab.url}/v2/library/chunked/blobs/{digest}").content == \
        b"".join(chunks)
