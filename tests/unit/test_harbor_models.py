"""Typed views of Harbor's JSON: times, string metadata, nulls, secrets, the repository table."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from regkit.harbor.models import (
    Artifact,
    Project,
    Repository,
    RepositoryRow,
    RobotAccount,
    SearchResult,
    User,
    format_repository_table,
    parse_time,
)


@pytest.mark.parametrize("text, expected", [
    ("2024-05-01T10:00:00.123Z", datetime(2024, 5, 1, 10, 0, 0, 123000, timezone.utc)),
    ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)),
    ("2024-05-01T12:00:00.5+02:00", datetime(2024, 5, 1, 10, 0, 0, 500000, timezone.utc)),
    ("2024-05-01T10:00:00.123456789Z", datetime(2024, 5, 1, 10, 0, 0, 123456, timezone.utc)),
    ("2024-05-01T10:00:00", datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)),
    ("0001-01-01T00:00:00.000Z", None),
    ("", None),
    (None, None),
])
def test_harbor_times_parse_to_aware_utc_and_zero_time_means_never(text, expected):
    assert parse_time(text) == expected


def test_text_that_is_not_a_time_is_refused():
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_project_metadata_strings_become_booleans():
    assert Project.from_api({"project_id": 1, "name": "library", "metadata": {"public": "true"}}).public
    assert not Project.from_api({"project_id": 2, "name": "p", "metadata": {"public": "false"}}).public
    assert not Project.from_api({"project_id": 3, "name": "p", "metadata": None}).public


def test_null_lists_and_missing_counts_are_empty_not_errors():
    artifact = Artifact.from_api({"id": 1, "digest": "sha256:x", "tags": None, "size": None})
    assert artifact.tags == () and artifact.size == 0
    assert SearchResult.from_api({"project": None, "repository": None}) == SearchResult()
    assert Repository.from_api({"id": 1, "name": "p/r"}).artifact_count == 0


def test_repository_short_name_drops_only_the_project():
    assert Repository.from_api({"id": 1, "name": "library/team/app"}).short_name == "team/app"


def test_raw_json_stays_available_but_out_of_repr():
    project = Project.from_api({"project_id": 1, "name": "library", "cve_allowlist": {"id": 9}})
    assert project.raw["cve_allowlist"] == {"id": 9}
    assert "cve_allowlist" not in repr(project)


def test_secrets_in_answers_are_wrapped_and_kept_out_of_repr_and_raw():
    robot = RobotAccount.from_api({"id": 1, "name": "robot$demo+ci", "secret": "r0b0t-s3cret",
                                   "expires_at": -1})
    assert "r0b0t-s3cret" not in repr(robot) and "r0b0t-s3cret" not in str(robot)
    assert robot.secret.reveal() == "r0b0t-s3cret"
    user = User.from_api({"user_id": 3, "username": "ann",
                          "oidc_user_meta": {"id": 1, "secret": "cli-s3cret"}})
    assert user.cli_secret.reveal() == "cli-s3cret"
    assert "cli-s3cret" not in repr(user) and "cli-s3cret" not in repr(user.raw)


def test_the_repository_table_has_harbors_columns_and_utc_times():
    rows = [RepositoryRow("library/busybox", 2, 7, datetime(2024, 5, 1, 10, 30, tzinfo=timezone.utc)),
            RepositoryRow("library/a", 0, 0, None)]
    assert format_repository_table(rows).splitlines() == [
        "Name             Artifacts  Pulls  Last Modified Time",
        "library/busybox          2      7  2024-05-01 10:30 UTC",
        "library/a                0      0  -",
    ]
    assert "(no repositories)" in format_repository_table([])


def test_a_row_takes_its_columns_from_the_repository_list_entry():
    repo = Repository.from_api({"id": 1, "name": "library/busybox", "artifact_count": 3,
                                "pull_count": 4, "update_time": "2024-05-01T10:00:00.000Z"})
    row = RepositoryRow.from_repository(repo)
    assert (row.name, row.artifacts, row.pulls) == ("library/busybox", 3, 4)
    assert row.last_modified == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
