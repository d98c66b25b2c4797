"""A real Docker Engine against the practice lab: login, push, pull and Harbor's refusals.

The Engine (``DOCKER_HOST``, else a private dockerd) talks to the lab as to a Harbor: it
follows the challenge to ``/service/token``, and shows Harbor's own words when refused.
No credentials are written to any Docker config (``docker_config_guard``).
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from regkit import errors
from regkit.engine import Engine
from regkit.settings import RegistrySettings

pytestmark = [pytest.mark.lab, pytest.mark.engine,
              pytest.mark.usefixtures("docker_config_guard")]


def settings(lab, who: str = "admin", password: str | None = None) -> RegistrySettings:
    users = {"admin": (lab.admin_user, lab.admin_password),
             "learner": (lab.learner_user, lab.learner_password)}
    username, secret = users[who]
    return RegistrySettings(lab.url, username=username,
                            password=password if password is not None else secret)


def fresh_engine(engine: Engine) -> Engine:
    """An Engine object with no remembered logins (anonymous unless told otherwise)."""
    return Engine(engine.base_url)


def remove_local(engine: Engine, reference: str) -> None:
    engine.client.remove_image(reference)
    assert engine.image_id(reference) is None


def test_docker_login_right_and_wrong(engine, lab):
    client = fresh_engine(engine)
    try:
        assert client.login(settings(lab)).status == "Login Succeeded"
        with pytest.raises(errors.AuthenticationError) as caught:
            client.login(settings(lab, password="not-the-password"))
        assert "unauthorized" in (caught.value.server_message or "")
        assert client.login(settings(lab, "learner")).status == "Login Succeeded"
    finally:
        client.close()


def build_unique(engine: Engine, directory: Path, reference: str) -> str:
    """Build a small image no other test has (so removing it really removes it)."""
    directory.mkdir()
    (directory / "id.txt").write_text(f"{reference} {secrets.token_hex(8)}\n")
    (directory / "Dockerfile").write_text("FROM busybox:latest\nCOPY id.txt /id.txt\n")
    return engine.build(directory, reference).tag


def test_push_and_pull_library(engine, busybox, lab, api, tmp_path: Path):
    name = f"busybox-{secrets.token_hex(3)}"
    reference = build_unique(engine, tmp_path / "image", f"{lab.host}/library/{name}:v1")
    pushed = engine.push(reference, settings=settings(lab))
    artifact = api(f"/projects/library/repositories/{name}/artifacts/v1").json()
    assert artifact["digest"] == pushed.digest
    assert artifact["pull_time"] == "0001-01-01T00:00:00.000Z"
    remove_local(engine, reference)
    assert engine.pull(reference, settings=settings(lab)) == pushed.digest
    assert engine.image_id(reference) is not None
    assert api(f"/projects/library/repositories/{name}").json()["pull_count"] == 1
    assert api(f"/projects/library/repositories/{name}/artifacts/v1").json()[
        "pull_time"] != "0001-01-01T00:00:00.000Z"


def test_push_to_a_missing_project_prints_harbors_words(engine, busybox, lab):
    reference = engine.tag("busybox:latest", f"{lab.host}/nosuchproject/busybox:v1")
    with pytest.raises(errors.ProjectNotFound) as caught:
        engine.push(reference, settings=settings(lab))
    assert "unauthorized: project nosuchproject not found: project nosuchproject not found" \
        in (caught.value.server_message or "")


def test_learner_may_pull_library_but_not_push(engine, busybox, lab):
    reference = engine.tag("busybox:latest", f"{lab.host}/library/learner-try:v1")
    with pytest.raises(errors.PushDenied) as caught:
        engine.push(reference, settings=settings(lab, "learner"))
    assert ("unauthorized: unauthorized to access repository: library/learner-try, action: "
            "push: unauthorized to access repository: library/learner-try, action: push") \
        in (caught.value.server_message or "")
    engine.push(reference, settings=settings(lab))
    remove_local(engine, reference)
    engine.pull(reference, settings=settings(lab, "learner"))


def test_anonymous_pull_public_project_but_not_private(engine, busybox, lab, api):
    private = f"closed-{secrets.token_hex(3)}"
    assert api("/projects", method="POST", data={"project_name": private}).status == 201
    public_ref = engine.tag("busybox:latest", f"{lab.host}/library/open-{private}:v1")
    private_ref = engine.tag("busybox:latest", f"{lab.host}/{private}/app:v1")
    engine.push(public_ref, settings=settings(lab))
    engine.push(private_ref, settings=settings(lab))
    remove_local(engine, public_ref)
    remove_local(engine, private_ref)
    anonymous = fresh_engine(engine)
    try:
        anonymous.pull(public_ref)
        with pytest.raises(errors.RegkitError) as caught:
            anonymous.pull(private_ref)
        assert f"unauthorized to access repository: {private}/app, action: pull" in \
            (caught.value.server_message or "")
    finally:
        anonymous.close()


def test_ten_concurrent_pushes_of_distinct_images_all_land(engine, busybox, lab, api,
                                                             tmp_path: Path):
    project = f"crowd-{secrets.token_hex(3)}"
    assert api("/projects", method="POST", data={"project_name": project}).status == 201
    references = [build_unique(engine, tmp_path / f"image{n}", f"{lab.host}/{project}/app{n}:v1")
                  for n in range(10)]

    def push(reference: str) -> str:
        client = fresh_engine(engine)
        try:
            return client.push(reference, settings=settings(lab)).digest
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        digests = list(pool.map(push, references))
    assert len(set(digests)) == 10
    repositories = api(f"/projects/{project}/repositories?page_size=100")
    assert repositories.headers["X-Total-Count"] == "10"
    for n, digest in enumerate(digests):
        artifact = api(f"/projects/{project}/repositories/app{n}/artifacts/v1").json()
        assert artifact["digest"] == digest


def test_a_robot_account_logs_in_and_pushes(engine, busybox, lab, api):
    project = f"bots-{secrets.token_hex(3)}"
    assert api("/projects", method="POST", data={"project_name": project}).status == 201
    robot = api("/robots", method="POST", data={
        "name": "ci", "level": "project", "duration": -1, "permissions": [{
            "kind": "project", "namespace": project,
            "access": [{"resource": "repository", "action": "pull"},
                       {"resource": "repository", "action": "push"}]}]}).json()
    credentials = RegistrySettings(lab.url, username=robot["name"], password=robot["secret"])
    client = fresh_engine(engine)
    try:
        assert client.login(credentials).status == "Login Succeeded"
        reference = client.tag("busybox:latest", f"{lab.host}/{project}/app:v1")
        assert client.push(reference, settings=credentials).digest.startswith("sha256:")
    finally:
        client.close()
