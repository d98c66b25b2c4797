"""``regkit course reset`` against a real practice lab and a real Docker Engine.

The course functions push and create through a real Engine and the lab's Harbor API,
writing the course record; the reset then deletes exactly what is recorded and still as
the course left it. Images pushed by hand (not through the course) must survive, a dry
run and a reset without ``--yes`` must change nothing, and the record must never hold a
secret. The record lives in ``tmp_path`` (``REGKIT_COURSE_RECORD``); nothing is written
to any Docker config except in the logout test, which uses its own ``DOCKER_CONFIG``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from pathlib import Path

import pytest

from regkit import course
from regkit.cli import main
from regkit.course_record import CourseRecord, Made
from regkit.course_reset import reset_course
from regkit.engine import Engine
from regkit.errors import AuthenticationError, NotFoundError, RegistryError
from regkit.harbor import Harbor
from regkit.lab import Lab
from regkit.settings import RegistrySettings
from tests.lab.conftest import lab  # noqa: F401  (the practice lab fixture)

pytestmark = [pytest.mark.lab, pytest.mark.engine,
              pytest.mark.usefixtures("docker_config_guard")]


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CourseRecord:
    path = tmp_path / "course-record.jsonl"
    monkeypatch.setenv("REGKIT_COURSE_RECORD", str(path))
    return CourseRecord(path)


@pytest.fixture
def admin(lab: Lab) -> RegistrySettings:
    return RegistrySettings(lab.url, username=lab.admin_user, password=lab.admin_password)


@pytest.fixture
def cli_env(lab: Lab, monkeypatch: pytest.MonkeyPatch, record: CourseRecord) -> None:
    """Point ``regkit course ...`` at this lab as its admin (what default_settings reads)."""
    monkeypatch.setenv("REGKIT_REGISTRY_URL", lab.url)
    monkeypatch.setenv("REGKIT_USERNAME", lab.admin_user)
    monkeypatch.setenv("REGKIT_PASSWORD", lab.admin_password)
    for name in ("REGKIT_PROJECT", "REGKIT_CA_BUNDLE", "REGKIT_TLS_VERIFY"):
        monkeypatch.delenv(name, raising=False)


def make_course(settings: RegistrySettings, engine: Engine) -> course.Course:
    return course.Course(settings, engine, Harbor(settings))


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def build_other(engine: Engine, directory: Path, reference: str) -> str:
    """An image no course function pushed: busybox plus a file of its own."""
    directory.mkdir()
    (directory / "who.txt").write_text(f"made by hand {secrets.token_hex(8)}\n")
    (directory / "Dockerfile").write_text("FROM busybox:latest\nCOPY who.txt /who.txt\n")
    return engine.build(directory, reference).tag


def snapshot(harbor: Harbor, projects: list[str], robot_ids: list[int]) -> dict:
    """Everything a reset could change: repositories, artifacts with tags, robots, projects."""
    state: dict = {"projects": sorted(p.name for p in harbor.projects())}
    for project in projects:
        if project not in state["projects"]:
            continue
        for repository in harbor.repositories(project):
            state[repository.name] = sorted(
                (a.digest, tuple(sorted(a.tag_names))) for a in harbor.artifacts(
                    project, repository.name))
    for robot_id in robot_ids:
        try:
            state[f"robot {robot_id}"] = harbor.api.get_robot(robot_id)["name"]
        except NotFoundError:
            state[f"robot {robot_id}"] = None
    return state


@pytest.fixture
def scene(lab, engine, busybox, admin, record, tmp_path):
    """What a demo leaves behind: course pushes of every kind, next to hand-made things."""
    c = make_course(admin, engine)
    harbor = c.harbor
    names = {key: unique(key) for key in ("only", "mixed", "shared", "moved", "hand", "proj")}
    # Pushed by hand, never through the course: must survive every reset.
    other = build_other(engine, tmp_path / "other", f"{lab.host}/library/{names['hand']}:v1")
    hand_digest = engine.push(other, settings=admin).digest
    # The course's own repository: deleted whole.
    course.push(c, "busybox", name=names["only"], tag="v1", progress=False)
    # A course-created repository where someone also pushed their own image.
    course.push(c, "busybox", name=names["mixed"], tag="course", progress=False)
    engine.tag(other, f"{lab.host}/library/{names['mixed']}:hand")
    engine.push(f"{lab.host}/library/{names['mixed']}:hand", settings=admin)
    # An image the course pushed and someone tagged too: only the course's tag goes.
    shared = course.push(c, "busybox", name=names["shared"], tag="v1", progress=False)
    harbor.add_tag("library", names["shared"], "v1", "keep")
    # A tag the course pushed, then pushed over by hand: left alone.
    course.push(c, "busybox", name=names["moved"], tag="latest", progress=False)
    engine.tag(other, f"{lab.host}/library/{names['moved']}:latest")
    engine.push(f"{lab.host}/library/{names['moved']}:latest", settings=admin)
    # A project the course created, with a push in it, and a robot.
    project = course.create_project(c, names["proj"])
    in_project = make_course(admin.replace(project=names["proj"]), engine)
    course.push(in_project, "busybox", name="app", tag="v1", progress=False)
    robot = course.create_robot(c, unique("ci"))
    # An entry for another registry: reset must keep it.
    record.add(Made("tag", "http://127.0.0.1:9", "library", repository="x", tag="v1",
                    digest="sha256:" + "0" * 64))
    return {"course": c, "names": names, "hand_digest": hand_digest, "robot": robot,
            "project": project, "busybox_digest": shared.digest}


def test_the_record_holds_what_the_course_made_and_no_secret(scene, record, lab):
    text = record.path.read_text()
    assert scene["robot"].secret.reveal() not in text
    assert lab.admin_password not in text
    kinds = {(m.kind, m.repository or m.robot_name or m.project) for m in record.entries()}
    names = scene["names"]
    assert ("repository", names["only"]) in kinds and ("tag", names["shared"]) in kinds
    assert ("robot", scene["robot"].name) in kinds and ("project", names["proj"]) in kinds
    assert all(m.kind != "tag" or m.repository != names["hand"] for m in record.entries())


def test_dry_run_and_no_yes_change_nothing(scene, record, cli_env, capsys):
    harbor = scene["course"].harbor
    projects = ["library", scene["names"]["proj"]]
    before = snapshot(harbor, projects, [scene["robot"].id])
    recorded = record.path.read_text()
    assert main(["course", "reset", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "would delete repository" in dry and "Dry run: nothing changed." in dry
    assert main(["course", "reset"]) == 1  # asks for --yes
    asked = capsys.readouterr().out
    assert "--yes" in asked and "would " not in asked
    assert snapshot(harbor, projects, [scene["robot"].id]) == before
    assert record.path.read_text() == recorded


def test_reset_deletes_exactly_what_the_course_made(scene, record, cli_env, capsys):
    harbor = scene["course"].harbor
    names = scene["names"]
    assert main(["course", "reset", "--yes"]) == 0
    out = capsys.readouterr().out
    library = {r.short_name for r in harbor.repositories("library")}
    # The course's own repository is gone; the hand-made image is untouched.
    assert names["only"] not in library
    assert [a.digest for a in harbor.artifacts("library", names["hand"])] == [scene["hand_digest"]]
    # The mixed repository keeps only the hand-pushed image.
    assert [(a.digest, a.tag_names) for a in harbor.artifacts("library", names["mixed"])] == [
        (scene["hand_digest"], ("hand",))]
    assert f"repository library/{names['mixed']}: it holds 1 image the course did not push" in out
    # The shared image stays with the tag someone else gave it; the course's tag is gone.
    [shared] = harbor.artifacts("library", names["shared"])
    assert (shared.digest, shared.tag_names) == (scene["busybox_digest"], ("keep",))
    # The tag pushed over by hand still names the hand image, and the skip says why.
    assert [(a.digest, a.tag_names) for a in harbor.artifacts("library", names["moved"])] == [
        (scene["hand_digest"], ("latest",))]
    assert f"library/{names['moved']}:latest: it now names" in out
    # Project (with its repository) and robot are gone.
    assert not harbor.project_exists(names["proj"])
    with pytest.raises(NotFoundError):
        harbor.api.get_robot(scene["robot"].id)
    # Only the other registry's entry is left; it was reported.
    assert [m.registry for m in record.entries()] == ["http://127.0.0.1:9"]
    assert "kept" in out and "http://127.0.0.1:9" in out
    # A second reset finds nothing to do.
    assert main(["course", "reset", "--yes"]) == 0
    assert "already gone" not in capsys.readouterr().out


def test_lessons_record_their_pushes_once(lab, engine, busybox, admin, record, tmp_path,
                                          monkeypatch):
    c = make_course(admin, engine)
    name = unique("ensure")
    course.ensure_pushed(c, "busybox", name=name)
    course.ensure_pushed(c, "busybox", name=name)  # already there: no push, no new entry
    assert [(m.kind, m.tag) for m in record.entries() if m.repository == name] == [
        ("tag", "latest"), ("repository", None)]
    # A compose stack: each pushed service is recorded as it is done.
    stack = tmp_path / "stack"
    (stack / "tiny").mkdir(parents=True)
    (stack / "tiny" / "Dockerfile").write_text("FROM busybox:latest\nCMD [\"true\"]\n")
    tiny = unique("tiny")
    (stack / "stack.yml").write_text(
        f"services:\n  {tiny}:\n    build: tiny\n    image: ${{REGISTRY}}/{tiny}:${{TAG}}\n")
    monkeypatch.setenv("REGISTRY", c.registry)
    monkeypatch.setenv("TAG", "v0.1")
    [result] = course.build_and_push_stack(c, stack / "stack.yml")
    course.ensure_stack(c, stack / "stack.yml")
    assert [(m.kind, m.tag, m.digest) for m in record.entries() if m.repository == tiny] == [
        ("tag", "v0.1", result.digest), ("repository", None, None)]
    # Deleting a repository through the course forgets it.
    course.delete_repository(c, name)
    assert all(m.repository != name for m in record.entries())
    reset_course(admin, yes=True, say=lambda line: None)
    assert record.entries() == []


def test_a_recorded_robot_is_made_again_and_a_foreign_one_is_refused(lab, engine, admin,
                                                                     record):
    c = make_course(admin, engine)
    name = unique("ci")
    first = course.create_robot(c, name)
    # A lesson stopped before deleting it: the next run deletes the recorded one first.
    second = course.create_robot(c, name)
    assert second.name == first.name
    with pytest.raises(AuthenticationError):  # the first one is gone: its secret fails
        Harbor(admin.replace(username=first.name, password=first.secret)).check_login()
    assert Harbor(admin.replace(username=second.name, password=second.secret)).check_login()
    assert [m.robot_id for m in record.entries()] == [second.id]
    course.delete_robot(c, second)
    assert record.entries() == []
    foreign = c.harbor.create_robot(unique("hand"), "library")
    with pytest.raises(RegistryError) as caught:
        course.create_robot(c, foreign.name.rsplit("+", 1)[-1])
    assert caught.value.status == 409 and "did not make it" in (caught.value.hint or "")
    c.harbor.delete_robot(foreign.id)


def test_reset_logs_the_docker_cli_out(lab, admin, record, tmp_path, monkeypatch, capsys):
    config_dir = tmp_path / "docker-cli"
    config_dir.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    auth = base64.b64encode(b"admin:not-a-real-one").decode()
    config = {"auths": {lab.host: {"auth": auth}, "registry.example.com": {"auth": auth}}}
    (config_dir / "config.json").write_text(json.dumps(config))
    os.chmod(config_dir / "config.json", stat.S_IRUSR | stat.S_IWUSR)
    reset_course(admin, dry_run=True)
    assert lab.host in json.loads((config_dir / "config.json").read_text())["auths"]
    report = reset_course(admin, yes=True)
    out = capsys.readouterr().out
    assert report.logged_out and f"$ docker logout {lab.host}" in out
    assert set(json.loads((config_dir / "config.json").read_text())["auths"]) == {
        "registry.example.com"}
