"""Harbor's error answers become regkit errors carrying operation, code, message, status, id."""

from __future__ import annotations

import json

import pytest

from regkit import errors
from regkit.harbor.failures import error_from_answer, parse_error_body


def body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message}]}).encode()


# (status, code, message, operation, project, username) -> class, and words the text must show
CASES = [
    (401, "UNAUTHORIZED", "unauthorized", "GET /api/v2.0/users/current", None, None,
     errors.AuthenticationError, ["REGKIT_USERNAME"]),
    (401, "UNAUTHORIZED", "unauthorized", "GET /api/v2.0/users/current", None, "ann",
     errors.AuthenticationError, ["'ann'", "username and password"]),
    (403, "FORBIDDEN", "forbidden", "POST /api/v2.0/projects", None, "ann",
     errors.PushDenied, ["developer", "Members"]),
    (403, "FORBIDDEN", "forbidden", "GET /api/v2.0/projects/secret", "secret", "ann",
     errors.RegistryError, ["private", "does not exist", "role"]),
    (403, "FORBIDDEN", "CSRF token invalid", "POST /api/v2.0/projects", None, "ann",
     errors.RegistryError, ["cookie"]),
    (404, "NOT_FOUND", "project demo not found", "GET /api/v2.0/projects/demo", "demo", "admin",
     errors.ProjectNotFound, ["'demo'", "create the project"]),
    (404, "NOT_FOUND", "project ghost not found",
     "GET /api/v2.0/projects/ghost/repositories/app/artifacts", None, "admin",
     errors.ProjectNotFound, ["'ghost'"]),
    (404, "NOT_FOUND", "artifact library/app:v9 not found",
     "GET /api/v2.0/projects/library/repositories/app/artifacts/v9", None, "admin",
     errors.NotFoundError, ["artifact library/app:v9 not found"]),
    (404, "NOT_FOUND", "repository library/nope not found",
     "GET /api/v2.0/projects/library/repositories/nope/artifacts", None, None,
     errors.NotFoundError, ["Harbor.repositories"]),
    (409, "CONFLICT", "The project named demo already exists", "POST /api/v2.0/projects", None,
     "admin", errors.RegistryError, ["exist_ok"]),
    (400, "BAD_REQUEST", "project name is not in lower case or contains illegal characters",
     "POST /api/v2.0/projects", None, "admin", errors.RegistryError, ["lowercase"]),
    (412, "PRECONDITION", "get current user not available for security context: robot",
     "GET /api/v2.0/users/current", None, "robot$p+x", errors.RegistryError, ["robot"]),
    (422, "UNPROCESSABLE_ENTITY",
     "validation failure list:\npage_size in query should be less than or equal to 100",
     "GET /api/v2.0/projects?page_size=101", None, None, errors.RegistryError, ["at most 100"]),
    (500, "UNKNOWN", "internal server error", "GET /api/v2.0/projects", None, None,
     errors.RegistryError, ["request id", "core log"]),
]


@pytest.mark.parametrize("status, code, message, operation, project, username, cls, words", CASES)
def test_status_and_body_choose_the_class_and_everything_travels(
        status, code, message, operation, project, username, cls, words):
    err = error_from_answer(status, body(code, message), operation=operation,
                            request_id="req-123", project=project, username=username)
    assert type(err) is cls
    assert (err.status, err.server_code, err.server_message) == (status, code, message)
    assert err.operation == operation and err.request_id == "req-123"
    text = str(err)
    assert operation in text and "req-123" in text and err.hint
    for word in words:
        assert word in text


def test_a_missing_project_only_counts_as_such_on_project_operations():
    # A 404 on a repository's artifact list names the repository, not the project.
    err = error_from_answer(404, body("NOT_FOUND", "path not found"),
                            operation="GET /api/v2.0/projects/demo/repositories/x/artifacts",
                            project="demo")
    assert type(err) is errors.NotFoundError
    err = error_from_answer(404, b"", operation="GET /api/v2.0/projects/demo/repositories",
                            project="demo")
    assert type(err) is errors.ProjectNotFound


def test_an_html_page_means_a_proxy_answered_not_harbor():
    page = b"<html><head><title>403 Forbidden</title></head><body>nginx</body></html>"
    err = error_from_answer(403, page, operation="GET /api/v2.0/projects")
    assert type(err) is errors.RegistryError
    assert err.server_message == "403 Forbidden" and err.server_code is None
    assert "proxy" in err.hint


@pytest.mark.parametrize("raw, code, message, harbor_json", [
    (b'{"errors":[{"code":"A","message":"x"},{"code":"B","message":"y"}]}', "A", "x; y", True),
    (b'{"errors":[{"message":"no code"}]}', None, "no code", True),
    (b'{"code":"X","message":"flat"}', "X", "flat", False),
    (b"", None, None, False),
    (None, None, None, False),
    ("plain words", None, "plain words", False),
    (b"\xff\xfe not utf-8", None, "\ufffd\ufffd not utf-8", False),
    (b"[1, 2]", None, "[1, 2]", False),
])
def test_bodies_of_every_shape_are_read_without_failing(raw, code, message, harbor_json):
    words = parse_error_body(raw)
    assert (words.code, words.message, words.harbor_json) == (code, message, harbor_json)


def test_every_mapped_error_is_a_regkit_error_whatever_the_status():
    for status in (400, 401, 403, 404, 405, 409, 412, 415, 422, 429, 500, 502, 503):
        err = error_from_answer(status, body("X", "m"), operation="DELETE /api/v2.0/x")
        assert isinstance(err, errors.RegkitError)
        assert err.status == status
