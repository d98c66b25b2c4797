"""``regkit course learners``: class accounts made through Harbor's API on a real practice lab.

Every API answer the client reads while making accounts is checked, strictly, against
Harbor v2.15.2's own API description (``POST /users`` and its refusals included), so the
same calls work on a real Harbor. The learners then log in with a real Docker Engine:
each pushes to their own project and is refused another's. The sheet of logins is 0600
and its passwords are printed once only. No Docker config is written anywhere.
"""

from __future__ import annotations

import csv
import secrets
import stat
from pathlib import Path

import pytest

from regkit import errors
from regkit.classroom import Sheet, generate_password, prepare_learners
from regkit.cli import main
from regkit.engine import Engine
from regkit.harbor import Harbor
from regkit.lab import Lab
from regkit.settings import RegistrySettings
from tests.contract.conftest import harbor_description  # noqa: F401  (Harbor's swagger)
from tests.contract.recorder import ResponseRecorder
from tests.lab.conftest import lab  # noqa: F401  (the practice lab fixture)

pytestmark = [pytest.mark.lab, pytest.mark.engine,
              pytest.mark.usefixtures("docker_config_guard")]


def admin_settings(lab: Lab) -> RegistrySettings:
    return RegistrySettings(lab.url, username=lab.admin_user, password=lab.admin_password)


def prefix() -> str:
    # Letters only, so every class of the session has its own names.
    return "c" + "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(6))


def check_contract(recorder: ResponseRecorder, description, *operation_ids: str) -> None:
    problems = recorder.problems(description, strict=True)
    assert not problems, "answers that depart from Harbor's API description:\n" + "\n".join(problems)
    missing = set(operation_ids) - recorder.operation_ids(description)
    assert not missing, f"operations not exercised: {sorted(missing)}"


@pytest.fixture
def lab_cli(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Lab:
    """``regkit course ...`` aimed at this lab as default_settings finds a running lab."""
    monkeypatch.setenv("REGKIT_LAB_DIR", str(lab.data_dir))
    monkeypatch.setenv("REGKIT_PASSWORD", lab.admin_password)
    for name in ("REGKIT_REGISTRY_URL", "REGKIT_USERNAME", "REGKIT_PROJECT",
                 "REGKIT_CA_BUNDLE", "REGKIT_TLS_VERIFY"):
        monkeypatch.delenv(name, raising=False)
    return lab


def test_create_user_answers_as_harbor_does(lab, harbor_description):
    recorder = ResponseRecorder()
    admin = Harbor(admin_settings(lab), hooks=[recorder])
    name = prefix()
    password = generate_password()
    user_id = admin.create_user(name, password, email=f"{name}@example.com")
    assert user_id > 1
    location = recorder.requests_to("POST", "/api/v2.0/users")[-1].headers["Location"]
    assert location == f"/api/v2.0/users/{user_id}"
    assert name in admin.user_names(name)
    mine = Harbor(admin_settings(lab).replace(username=name, password=password), hooks=[recorder])
    assert mine.check_login().username == name and not mine.check_login().sysadmin

    def refused(client: Harbor, **fields: str) -> errors.RegkitError:
        body = {"username": prefix(), "password": "Passw0rdOK", "email": "a@example.com",
                "realname": "A Learner", **fields}
        with pytest.raises(errors.RegkitError) as caught:
            client.api.create_user(body)
        return caught.value

    weak = refused(admin, password="password")
    assert (weak.status, weak.server_message) == (400, (
        "the password or secret must be longer than 8 chars with at least 1 uppercase letter, "
        "1 lowercase letter and 1 number"))
    assert refused(admin, email="").server_message == "email can't be empty"
    assert refused(admin, email="nowhere").server_message == "email with illegal format"
    assert refused(admin, realname="a$b").server_message == "realname contains illegal characters"
    taken = refused(admin, username=name, email=f"{name}@example.com")
    assert taken.status == 409 and taken.server_message.startswith(
        f"user {name} or email {name}@example.com already exists")
    assert refused(admin, email=f"{name}@example.com").status == 409  # the email is taken too
    assert isinstance(refused(mine), errors.PushDenied)  # not an administrator: 403
    anonymous = Harbor(RegistrySettings(lab.url), hooks=[recorder])
    assert refused(anonymous).status == 401
    check_contract(recorder, harbor_description, "createUser", "searchUsers",
                   "getCurrentUserInfo")


def test_prepare_learners_calls_only_harbors_api(lab, harbor_description, tmp_path):
    recorder = ResponseRecorder()
    admin = Harbor(admin_settings(lab), hooks=[recorder])
    lines: list[str] = []
    result = prepare_learners(admin, tmp_path / "sheet.csv", 2, prefix(), say=lines.append)
    assert result.new_sheet and len(result.users_created) == 2
    assert ("library", result.users_created[0]) in result.memberships_added
    check_contract(recorder, harbor_description, "createUser", "searchUsers", "createProject",
                   "headProject", "createProjectMember", "getCurrentUserInfo")


def test_learners_command_makes_accounts_that_work(lab_cli, engine, busybox, tmp_path, capsys):
    lab = lab_cli
    name = prefix()
    assert main(["course", "learners", "3", "--prefix", name]) == 0
    first = capsys.readouterr()
    sheet_path = Path(lab.data_dir) / f"class-sheet-{name}.csv"
    assert stat.S_IMODE(sheet_path.stat().st_mode) == 0o600
    sheet = Sheet.load(sheet_path)
    assert [learner.username for learner in sheet.learners] == [
        f"{name}01", f"{name}02", f"{name}03"]
    passwords = [learner.password.reveal() for learner in sheet.learners]
    assert all(password in first.out for password in passwords)  # shown once...
    assert "warning" not in first.err  # the lab's folder: no warning about the current dir

    assert main(["course", "learners", "3", "--prefix", name]) == 0
    second = capsys.readouterr()
    assert not any(password in second.out + second.err for password in passwords)  # ...only once
    assert str(sheet_path) in second.out and "exists" in second.out

    one, two = sheet.learners[0], sheet.learners[1]
    client = Engine(engine.base_url)
    try:
        mine = RegistrySettings(lab.url, username=one.username, password=one.password,
                                project=one.project)
        assert client.login(mine).status == "Login Succeeded"
        own = client.tag("busybox:latest", f"{lab.host}/{one.project}/busybox:v1")
        assert client.push(own, settings=mine).digest.startswith("sha256:")
        for project in (two.project, "library"):  # another learner's, and the shared one
            theirs = client.tag("busybox:latest", f"{lab.host}/{project}/busybox:{one.username}")
            with pytest.raises((errors.PushDenied, errors.AuthenticationError)):
                client.push(theirs, settings=mine)
    finally:
        client.close()
    harbor = Harbor(admin_settings(lab))
    members = harbor.api.request("GET", f"/api/v2.0/projects/{one.project}/members").json()
    assert {(m["entity_name"], m["role_name"]) for m in members} >= {(one.username, "projectAdmin")}
    library = harbor.api.request("GET", "/api/v2.0/projects/library/members",
                                 params={"entityname": one.username}).json()
    assert [m["role_name"] for m in library] == ["guest"]


def test_a_second_run_finishes_what_is_missing(lab, tmp_path):
    admin = Harbor(admin_settings(lab))
    name = prefix()
    sheet_path = tmp_path / "sheet.csv"
    prepare_learners(admin, sheet_path, 1, name, say=lambda line: None)
    learner = Sheet.load(sheet_path).learners[0]
    admin.delete_project(learner.project)  # as `regkit lab reset` does to projects
    lines: list[str] = []
    result = prepare_learners(admin, sheet_path, 1, name, say=lines.append)
    assert not result.new_sheet and result.projects_created == [learner.project]
    assert learner.password.reveal() not in "\n".join(lines)


def test_shared_library_learners_are_developers_there(lab, engine, busybox, tmp_path):
    admin = Harbor(admin_settings(lab))
    result = prepare_learners(admin, tmp_path / "sheet.csv", 1, prefix(),
                              project_per_learner=False, say=lambda line: None)
    [learner] = result.sheet.learners
    assert learner.project is None and not result.projects_created
    rows = list(csv.reader((tmp_path / "sheet.csv").read_text().splitlines()))
    assert rows[0] == ["registry", "username", "password", "project"] and rows[1][3] == ""
    client = Engine(engine.base_url)
    try:
        mine = RegistrySettings(lab.url, username=learner.username, password=learner.password)
        pushed = client.tag("busybox:latest", f"{lab.host}/library/{learner.username}:v1")
        assert client.push(pushed, settings=mine).digest.startswith("sha256:")
    finally:
        client.close()


def test_taken_names_and_non_admins_make_nothing(lab, tmp_path):
    admin = Harbor(admin_settings(lab))
    name = prefix()
    prepare_learners(admin, tmp_path / "one.csv", 1, name, say=lambda line: None)
    with pytest.raises(errors.RegistryError) as caught:
        prepare_learners(admin, tmp_path / "two.csv", 2, name, say=lambda line: None)
    assert f"{name}01" in caught.value.message and "nothing was made" in caught.value.message
    assert not (tmp_path / "two.csv").exists()
    assert f"{name}02" not in admin.user_names(name)
    learner = Harbor(admin_settings(lab).replace(username=lab.learner_user,
                                                 password=lab.learner_password))
    with pytest.raises(errors.PushDenied):
        prepare_learners(learner, tmp_path / "three.csv", 1, prefix(), say=lambda line: None)
    assert not (tmp_path / "three.csv").exists()
