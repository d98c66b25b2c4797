"""The course calls of notebooks 01, 05, 06 and 07 that need nothing running.

How image names are explained (06), what the Docker CLI's config.json is said to hold (05),
how curl commands are written, and how a token challenge and a token's claims are read (07).
The calls that talk to the lab and the Engine run for real in the notebooks, under nbval.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from regkit import course
from regkit.settings import RegistrySettings


def _explain(capsys: pytest.CaptureFixture[str], *names: str) -> tuple[list, str]:
    found = course.explain_references(*names)
    return found, capsys.readouterr().out


def test_a_name_with_host_and_project_goes_to_that_registry(capsys):
    (ref,), out = _explain(capsys, "127.0.0.1:8080/library/busybox")
    assert ref.domain == "127.0.0.1:8080"
    assert "registry     127.0.0.1:8080\n" in out
    assert "project      library\n" in out
    assert "tag          latest  (none written" in out


@pytest.mark.parametrize("name, first", [("library/busybox", "library"),
                                         ("harbor/library/busybox", "harbor")])
def test_a_first_part_that_is_no_host_sends_the_name_to_docker_hub(capsys, name, first):
    (ref,), out = _explain(capsys, name)
    assert ref.domain == "docker.io"
    assert f"registry     docker.io  (Docker Hub: '{first}' is not a host" in out
    assert "project" not in out


def test_a_name_without_a_project_is_flagged(capsys):
    (ref,), out = _explain(capsys, "127.0.0.1:8080/busybox:v1")
    assert ref.project == "busybox"
    assert "⚠ no project/ in the path" in out
    assert "tag          v1\n" in out


@pytest.mark.parametrize("name", ["http://127.0.0.1:8080/library/busybox", "/busybox", ""])
def test_a_name_docker_refuses_says_why_and_how_to_fix_it(capsys, name):
    (ref,), out = _explain(capsys, name)
    assert ref is None
    assert "✗ Docker refuses it: invalid image reference" in out
    assert "how to fix:" in out


def test_a_digest_is_shown_instead_of_a_default_tag(capsys):
    digest = "sha256:" + "a" * 64
    _, out = _explain(capsys, f"harbor.example.com/library/busybox@{digest}")
    assert f"digest       {digest}" in out
    assert "latest" not in out


def _config(tmp_path: Path, content: object | str | None) -> course.DockerConfig:
    if content is not None:
        text = content if isinstance(content, str) else json.dumps(content)
        (tmp_path / "config.json").write_text(text)
    return course.docker_config({"DOCKER_CONFIG": str(tmp_path)})


def test_no_config_file_means_no_credentials(tmp_path):
    config = _config(tmp_path, None)
    assert not config.exists and config.fingerprint is None
    assert config.describe("h:5000") == "$DOCKER_CONFIG/config.json: no credentials for h:5000"


def test_credentials_in_the_file_are_named_without_their_value(tmp_path):
    auth = base64.b64encode(b"alice:s3cret").decode()
    config = _config(tmp_path, {"auths": {"https://h:5000/v1/": {"auth": auth}}})
    assert config.stored == ("h:5000",)
    line = config.describe("h:5000")
    assert line.endswith("credentials for h:5000, base64-encoded (not encrypted)")
    assert auth not in repr(config) and "s3cret" not in repr(config)


def test_credential_helpers_are_reported_per_registry(tmp_path):
    config = _config(tmp_path, {"auths": {"h:5000": {}}, "credsStore": "pass",
                                "credHelpers": {"gcr.io": "gcloud"}})
    assert "docker-credential-pass" in config.describe("h:5000")
    assert "docker-credential-gcloud" in config.describe("gcr.io")
    assert config.describe("other:1").endswith("no credentials for other:1")


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_a_broken_config_file_is_said_to_be_broken(tmp_path, text):
    config = _config(tmp_path, text)
    assert not config.valid
    assert "not valid JSON" in config.describe("h:5000")


def test_snapshots_differ_only_when_the_file_changes(tmp_path):
    first = _config(tmp_path, {"auths": {}})
    assert first == course.docker_config({"DOCKER_CONFIG": str(tmp_path)})
    assert first != _config(tmp_path, {"auths": {"h:5000": {"auth": "eDp5"}}})


def test_home_config_is_named_with_a_tilde(tmp_path):
    config = course.docker_config({"HOME": str(tmp_path)})
    assert config.shown_as == "~/.docker/config.json" and not config.exists


def test_curl_commands_never_hold_the_password():
    settings = RegistrySettings("https://h.example.com", username="admin", password="pw-123")
    line = course._curl(settings, "/api/v2.0/health")
    assert line == 'curl -s -u "admin:$REGKIT_PASSWORD" https://h.example.com/api/v2.0/health'
    assert "pw-123" not in line
    assert course._curl(settings, "/v2/", flags="-si", anonymous=True) == (
        "curl -si https://h.example.com/v2/")


def test_curl_quotes_a_robot_name_so_the_shell_does_not_expand_it():
    settings = RegistrySettings("https://h.example.com", username="robot$ci", password="x")
    assert "-u 'robot$ci':\"$REGKIT_PASSWORD\"" in course._curl(settings, "/api/v2.0/ping")


def test_curl_quotes_a_url_with_a_query_and_passes_the_ca_bundle(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = RegistrySettings("https://h.example.com", verify=str(ca))
    line = course._curl(settings, "", url="https://h.example.com/service/token?a=1&b=2")
    assert line == f"curl -s --cacert {ca} 'https://h.example.com/service/token?a=1&b=2'"


def test_projector_json_puts_one_key_and_one_list_item_per_line():
    text = course._json_text({"status": "healthy",
                              "components": [{"name": "core", "status": "healthy"}]})
    assert text.splitlines() == [
        "{",
        '  "status": "healthy",',
        '  "components": [',
        '    {"name": "core", "status": "healthy"}',
        "  ]",
        "}",
    ]
    assert json.loads(text) == {"status": "healthy",
                                "components": [{"name": "core", "status": "healthy"}]}


def test_projector_json_puts_a_list_answer_one_item_per_line():
    text = course._json_text([{"name": "library"}, {"name": "demo"}])
    assert text.splitlines() == ["[", '  {"name": "library"},', '  {"name": "demo"}', "]"]
    assert course._json_text([]) == "[]" and course._json_text("Pong") == '"Pong"'


def test_a_bearer_challenge_is_read_into_its_parameters():
    scheme, params = course._challenge(
        'Bearer realm="http://127.0.0.1:8080/service/token",service="harbor-registry",'
        'scope="repository:library/busybox:pull"')
    assert scheme == "bearer"
    assert params == {"realm": "http://127.0.0.1:8080/service/token",
                      "service": "harbor-registry",
                      "scope": "repository:library/busybox:pull"}


def test_token_claims_are_decoded_and_garbage_gives_none():
    claims = {"sub": "admin", "access": [{"type": "repository", "name": "library/busybox",
                                          "actions": ["pull", "push"]}]}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert course._jwt_claims(f"header.{payload}.signature") == claims
    assert course._jwt_claims("not-a-token") == {}
    assert course._jwt_claims("a.!!!.c") == {}
