"""The contract harness itself: it must accept what Harbor sends and catch what it would not.

Answers are built by hand from the shapes in Harbor's sources and issues, so these run
without any server; the lab-backed tests then apply the same checks to real answers.
"""

from __future__ import annotations

import json

import pytest
import requests
from requests.structures import CaseInsensitiveDict

BASE = "http://127.0.0.1:8080"
PROJECT = {
    "project_id": 1, "owner_id": 1, "name": "library", "owner_name": "admin",
    "creation_time": "2024-05-01T10:00:00.000Z", "update_time": "2024-05-01T10:00:00.000Z",
    "repo_count": 1, "metadata": {"public": "true"},
    "cve_allowlist": {"id": 1, "project_id": 1, "items": [], "creation_time": "0001-01-01T00:00:00.000Z",
                      "update_time": "0001-01-01T00:00:00.000Z"},
}
ARTIFACT = {
    "id": 8, "type": "IMAGE", "media_type": "application/vnd.docker.container.image.v1+json",
    "manifest_media_type": "application/vnd.docker.distribution.manifest.v2+json",
    "digest": "sha256:" + "a" * 64, "size": 35804754, "project_id": 7, "repository_id": 5,
    "repository_name": "p/redis", "push_time": "2024-05-01T10:00:00.000Z",
    "pull_time": "0001-01-01T00:00:00.000Z", "icon": "",
    "extra_attrs": {"architecture": "amd64", "os": "linux", "config": {}},
    "references": None, "labels": None, "annotations": None,
    "tags": [{"id": 6, "artifact_id": 8, "repository_id": 5, "name": "latest",
              "push_time": "2024-05-01T10:00:00.000Z", "pull_time": "0001-01-01T00:00:00.000Z",
              "immutable": False}],
    "addition_links": {"build_history": {"absolute": False, "href": "/api/v2.0/x"}},
}


def answer(method: str, path: str, status: int, body: object = b"", **headers: str) -> requests.Response:
    response = requests.Response()
    response.request = requests.Request(method, BASE + path).prepare()
    response.status_code = status
    if isinstance(body, bytes):
        response._content = body
    else:
        response._content = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    headers.setdefault("X-Request-Id", "c0ffee")
    response.headers = CaseInsensitiveDict(headers)
    return response


def error(method: str, path: str, status: int, code: str, message: str) -> requests.Response:
    return answer(method, path, status, {"errors": [{"code": code, "message": message}]})


@pytest.mark.parametrize("method, path, operation_id", [
    ("GET", "/api/v2.0/projects", "listProjects"),
    ("HEAD", "/api/v2.0/projects", "headProject"),
    ("GET", "/api/v2.0/projects/123", "getProject"),
    ("GET", "/api/v2.0/systeminfo/getcert", "getCert"),
    ("GET", "/api/v2.0/projects/p/repositories/a%252Fb/artifacts/v1/tags", "listTags"),
    ("DELETE", "/api/v2.0/projects/p/repositories/r/artifacts/sha256:ab/tags/v1", "deleteTag"),
    ("POST", "/api/v2.0/robots", "CreateRobot"),
])
def test_requests_find_their_operation(harbor_description, method, path, operation_id):
    assert harbor_description.operation(method, path).operation_id == operation_id


def test_paths_outside_the_api_match_nothing(harbor_description):
    for method, path in (("GET", "/v2/_catalog"), ("GET", "/api/v2.0/nope/x/y/z/w"),
                         ("PATCH", "/api/v2.0/ping")):
        with pytest.raises(LookupError):
            harbor_description.operation(method, path)


def test_harbors_own_answer_shapes_conform_strictly(harbor_description):
    answers = [
        answer("GET", "/api/v2.0/projects?page=1&page_size=100", 200, [PROJECT], **{"X-Total-Count": "1"}),
        answer("GET", "/api/v2.0/projects/p/repositories/redis/artifacts", 200, [ARTIFACT],
               **{"X-Total-Count": "1"}),
        answer("GET", "/api/v2.0/ping", 200, b"Pong", **{"Content-Type": "text/plain"}),
        answer("POST", "/api/v2.0/projects", 201, Location="/api/v2.0/projects/2"),
        answer("HEAD", "/api/v2.0/projects?project_name=x", 404),
        error("GET", "/api/v2.0/projects?page_size=101", 422, "UNPROCESSABLE_ENTITY",
              "validation failure list:\npage_size in query should be less than or equal to 100"),
        error("GET", "/api/v2.0/projects/secret", 403, "FORBIDDEN", "forbidden"),
        answer("GET", "/api/v2.0/systeminfo/getcert", 200, b"-----BEGIN CERTIFICATE-----\n",
               **{"Content-Type": "application/octet-stream",
                  "Content-Disposition": "attachment; filename=ca.crt"}),
    ]
    for response in answers:
        assert harbor_description.problems(response, strict=True) == []


@pytest.mark.parametrize("project_change, words", [
    ({"metadata": {"public": True}}, "metadata/public: True is not of type 'string'"),
    ({"name": None}, "name: None is not of type 'string'"),
    ({"project_id": "1"}, "project_id: '1' is not of type 'integer'"),
    ({"creation_time": "2024-05-01 10:00:00"}, "creation_time: '2024-05-01 10:00:00' is not a 'date-time'"),
    ({"project_id": 2**31}, "is not a 'int32'"),
])
def test_wrong_types_and_formats_are_caught(harbor_description, project_change, words):
    response = answer("GET", "/api/v2.0/projects", 200, [{**PROJECT, **project_change}],
                      **{"X-Total-Count": "1"})
    problems = harbor_description.problems(response)
    assert any(words in p for p in problems), problems


def test_go_nil_lists_may_be_null_but_go_value_types_may_not(harbor_description):
    ok = answer("GET", "/api/v2.0/projects/p/repositories/r/artifacts", 200,
                [{**ARTIFACT, "tags": None, "extra_attrs": None}], **{"X-Total-Count": "1"})
    assert harbor_description.problems(ok) == []
    bad = answer("GET", "/api/v2.0/projects/p/repositories/r/artifacts", 200,
                 [{**ARTIFACT, "size": None}], **{"X-Total-Count": "1"})
    assert any("size: None" in p for p in harbor_description.problems(bad))


def test_invented_fields_pass_leniently_but_fail_strictly(harbor_description):
    response = answer("GET", "/api/v2.0/projects", 200, [{**PROJECT, "chart_count": 0}],
                      **{"X-Total-Count": "1"})
    assert harbor_description.problems(response) == []
    assert any("chart_count" in p for p in harbor_description.problems(response, strict=True))


def test_statuses_the_operation_does_not_declare_are_caught(harbor_description):
    problems = harbor_description.problems(error("GET", "/api/v2.0/users/current", 404, "NOT_FOUND", "x"))
    assert problems and "status 404 is not declared" in problems[0]


def test_declared_headers_are_required(harbor_description):
    problems = harbor_description.problems(answer("GET", "/api/v2.0/projects", 200, []))
    assert any("X-Total-Count is missing" in p for p in problems)
    problems = harbor_description.problems(answer("GET", "/api/v2.0/projects", 200, [],
                                                  **{"X-Total-Count": "many"}))
    assert any("should be an integer" in p for p in problems)


@pytest.mark.parametrize("query, total, link, words", [
    ("page=1&page_size=10", 25, None, "a rel=\"next\" link should be present"),
    ("page=3&page_size=10", 25, '</api/v2.0/projects?page=2&page_size=10>; rel="prev" , '
                                '</api/v2.0/projects?page=4&page_size=10>; rel="next"',
     "should be absent"),
    ("page=2&page_size=10", 25, '</api/v2.0/projects?page=3&page_size=10>; rel="next"',
     "lacks a rel=\"prev\""),
    ("page=1&page_size=10", 25, '</api/v2.0/projects?page=3&page_size=10>; rel="next"',
     "should point to page 2"),
    ("page=2&page_size=10", 25, '</api/v2.0/projects?page=1&page_size=10>; rel="prev",'
                                '</api/v2.0/projects?page=3&page_size=10>; rel="next"',
     "joined with ' , '"),
    ("page=1&page_size=10", 25, '<http://127.0.0.1:8080/api/v2.0/projects?page=2&page_size=10>; rel="next"',
     "should be relative"),
])
def test_link_headers_must_agree_with_the_count_and_harbors_format(harbor_description, query,
                                                                   total, link, words):
    headers = {"X-Total-Count": str(total)}
    if link:
        headers["Link"] = link
    response = answer("GET", f"/api/v2.0/projects?{query}", 200, [], **headers)
    problems = harbor_description.problems(response, strict=True)
    assert any(words in p for p in problems), problems


def test_strict_mode_checks_harbors_behaviour_beyond_the_description(harbor_description):
    no_id = answer("GET", "/api/v2.0/health", 200, {"status": "healthy", "components": []})
    del no_id.headers["X-Request-Id"]
    assert harbor_description.problems(no_id) == []
    assert any("X-Request-Id" in p for p in harbor_description.problems(no_id, strict=True))
    flat = answer("GET", "/api/v2.0/users/current", 401, {"message": "unauthorized"})
    assert any("errors" in p for p in harbor_description.problems(flat, strict=True))
    body_on_201 = answer("POST", "/api/v2.0/projects", 201, {"id": 2}, Location="/api/v2.0/projects/2")
    assert any("no body is declared" in p for p in harbor_description.problems(body_on_201, strict=True))
    absolute = answer("POST", "/api/v2.0/projects", 201, Location="http://h/api/v2.0/projects/2")
    assert any("Location" in p for p in harbor_description.problems(absolute, strict=True))


def test_content_types_are_checked(harbor_description):
    json_pong = answer("GET", "/api/v2.0/ping", 200, b"Pong", **{"Content-Type": "application/json"})
    assert any("Content-Type" in p for p in harbor_description.problems(json_pong))
    html = answer("GET", "/api/v2.0/projects", 200, b"<html></html>",
                  **{"Content-Type": "text/html", "X-Total-Count": "0"})
    assert any("text/html" in p for p in harbor_description.problems(html))
