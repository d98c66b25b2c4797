"""The tag policy: warnings about latest and friends, tags from a real git repository."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regkit.errors import InvalidReference, RegkitError
from regkit.tags import TagWarning, check_tag, rollback, sanitize_tag, tag_from_git

TAG_GRAMMAR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


# --- check_tag ----------------------------------------------------------------------------


def codes(warnings: list[TagWarning]) -> list[str]:
    return [w.code for w in warnings]


@pytest.mark.parametrize("tag", ["v0.1", "1.2.3", "v2.0.0-rc1", "1a2b3c4", "main-1a2b3c4",
                                 "feature-login-0123456789abcdef", "20240501", "20240501-1200",
                                 "release-1.4"])
def test_meaningful_tags_pass(tag):
    assert check_tag(tag) == []


@pytest.mark.parametrize("tag, code", [
    ("latest", "latest"), ("LATEST", "latest"), ("stable", "moving"), ("prod", "moving"),
    ("dev", "moving"), ("mytag", "vague"), ("new-build", "vague"), ("v1+build", "invalid"),
    ("-v1", "invalid"), ("x" * 129, "invalid"),
])
def test_tags_that_do_not_name_the_code_warn(tag, code):
    assert codes(check_tag(tag)) == [code]


def test_dirty_tags_warn_but_are_otherwise_meaningful():
    assert codes(check_tag("main-1a2b3c4-dirty")) == ["dirty"]
    assert codes(check_tag("v0.1-dirty")) == ["dirty"]


def test_missing_tag_reads_the_environment():
    assert codes(check_tag(None, environ={})) == ["unset"]
    assert codes(check_tag(None, environ={"TAG": ""})) == ["empty"]
    assert codes(check_tag(None, environ={"TAG": "latest"})) == ["latest"]
    assert check_tag(None, environ={"TAG": "v0.1"}) == []


def test_os_environ_is_the_default(monkeypatch):
    monkeypatch.delenv("TAG", raising=False)
    assert codes(check_tag(None)) == ["unset"]
    monkeypatch.setenv("TAG", "v3")
    assert check_tag(None) == []


@pytest.mark.parametrize("tag, environ", [(None, {}), ("latest", None), ("stable", None),
                                          ("mytag", None), (None, {"TAG": ""})])
def test_every_warning_says_why_and_what_to_use(tag, environ):
    (warning,) = check_tag(tag, environ=environ)
    text = str(warning)
    assert "Instead:" in text
    assert "v0.1" in warning.advice and "tag_from_git" in warning.advice
    if warning.code in ("unset", "latest"):
        assert "roll back" in warning.message  # why latest is a trap


def test_the_empty_tag_warning_explains_the_dash_default():
    (warning,) = check_tag(None, environ={"TAG": ""})
    assert "only replaces an unset variable" in warning.message


# --- sanitize_tag -------------------------------------------------------------------------


@pytest.mark.parametrize("text, suffix, expected", [
    ("feature/Login", "-1a2b3c4", "feature-Login-1a2b3c4"),
    ("v1.0+build.5", "", "v1.0-build.5"),
    ("..hidden", "", "hidden"),
    ("café", "", "caf"),
    ("///", "-1a2b3c4", "1a2b3c4"),
    ("a" * 200, "-1a2b3c4-dirty", "a" * (128 - 14) + "-1a2b3c4-dirty"),
])
def test_sanitize_tag(text, suffix, expected):
    assert sanitize_tag(text, suffix=suffix) == expected


def test_sanitize_tag_refuses_when_nothing_is_left():
    with pytest.raises(RegkitError, match="cannot make a tag"):
        sanitize_tag("///")


@given(text=st.text(max_size=300), short=st.from_regex(r"[0-9a-f]{7,12}", fullmatch=True),
       dirty=st.booleans())
def test_sanitized_tags_are_valid_and_keep_hash_and_dirty(text, short, dirty):
    suffix = f"-{short}" + ("-dirty" if dirty else "")
    tag = sanitize_tag(text, suffix=suffix)
    assert TAG_GRAMMAR.fullmatch(tag)
    assert tag.endswith(suffix.lstrip("-"))


# --- tag_from_git on a real repository ----------------------------------------------------

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV}).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "app.txt").write_text("one\n")
    git(path, "add", "app.txt")
    git(path, "commit", "-q", "-m", "first")
    return path


def test_branch_and_short_hash(repo):
    assert tag_from_git(repo) == f"main-{git(repo, 'rev-parse', '--short', 'HEAD')}"


def test_an_exact_tag_wins(repo):
    git(repo, "tag", "v0.1")
    assert tag_from_git(repo) == "v0.1"
    (repo / "app.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "second")
    assert tag_from_git(repo).startswith("main-")  # the tag is on the previous commit


def test_annotated_tags_and_tag_names_are_sanitized(repo):
    git(repo, "tag", "-a", "-m", "release", "release/1.0+b")
    assert tag_from_git(repo) == "release-1.0-b"


def test_tracked_changes_make_it_dirty_untracked_files_do_not(repo):
    short = git(repo, "rev-parse", "--short", "HEAD")
    (repo / "notes.txt").write_text("untracked\n")
    assert tag_from_git(repo) == f"main-{short}"
    (repo / "app.txt").write_text("changed\n")
    assert tag_from_git(repo) == f"main-{short}-dirty"
    git(repo, "tag", "v1")
    assert tag_from_git(repo) == "v1-dirty"


def test_branch_names_become_valid_tags(repo):
    git(repo, "checkout", "-q", "-b", "feature/Login_v2")
    short = git(repo, "rev-parse", "--short", "HEAD")
    assert tag_from_git(repo) == f"feature-Login_v2-{short}"
    assert check_tag(tag_from_git(repo)) == []


def test_detached_head(repo):
    git(repo, "checkout", "-q", "--detach")
    assert tag_from_git(repo) == f"detached-{git(repo, 'rev-parse', '--short', 'HEAD')}"


def test_a_subdirectory_of_the_checkout_works(repo):
    (repo / "sub").mkdir()
    assert tag_from_git(repo / "sub").startswith("main-")


def test_not_a_repository(tmp_path):
    with pytest.raises(RegkitError) as caught:
        tag_from_git(tmp_path, runner=_IsolatedGit())
    assert "is not inside a git checkout" in caught.value.message
    assert "TAG" in caught.value.hint


def test_no_commit_yet(tmp_path):
    git(tmp_path, "init", "-q")
    with pytest.raises(RegkitError) as caught:
        tag_from_git(tmp_path)
    assert "has no commit yet" in caught.value.message
    assert "git commit" in caught.value.hint


class _IsolatedGit:
    """Runs the real git, but never looks above the temporary directory for a repository."""

    def run(self, command, **kwargs):
        env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(Path(command[2]).parent)}
        return subprocess.run(command, env=env, **kwargs)


class _NoGitOnPath:
    """Runs commands with a PATH where git does not exist, as on a machine without git."""

    def run(self, command, **kwargs):
        return subprocess.run(command, env={"PATH": "/nonexistent"}, **kwargs)


def test_git_missing(repo):
    with pytest.raises(RegkitError) as caught:
        tag_from_git(repo, runner=_NoGitOnPath())
    assert "git is not installed" in caught.value.message
    assert "apt-get install git" in caught.value.hint


# --- rollback: argument checks (the Engine part is in tests/integration) ------------------


@pytest.mark.parametrize("repository, tag, alias", [
    ("127.0.0.1:8080/library/worker:v2", "v0.1", "latest"),
    ("127.0.0.1:8080/library/worker", "bad tag", "latest"),
    ("127.0.0.1:8080/library/worker", "v0.1", "-x"),
    ("127.0.0.1:8080/library/Worker", "v0.1", "latest"),
])
def test_rollback_refuses_bad_names_before_touching_the_engine(repository, tag, alias):
    with pytest.raises(InvalidReference):
        rollback(None, repository, tag, alias=alias)
