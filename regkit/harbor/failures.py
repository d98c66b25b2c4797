"""Turn Harbor's error answers into regkit errors that say what failed and how to fix it.

Harbor answers every API error with ``{"errors": [{"code": "NOT_FOUND", "message": "..."}]}``
(``lib/http/error.go``); the status and the operation decide the regkit class, and the
code, message, status and ``X-Request-Id`` travel with the error. A body that is not
Harbor's JSON (an HTML page) means something in front of Harbor answered, which the
hint says. Pure functions: unit-tested without a server.

Example:
    >>> err = error_from_answer(404, b'{"errors":[{"code":"NOT_FOUND","message":"project demo not found"}]}',
    ...     operation="GET /api/v2.0/projects/demo", project="demo")
    >>> type(err).__name__, err.server_code, err.status
    ('ProjectNotFound', 'NOT_FOUND', 404)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from regkit.errors import (
    AuthenticationError,
    NotFoundError,
    ProjectNotFound,
    PushDenied,
    RegistryError,
    RegkitError,
)

__all__ = ["ServerWords", "error_from_answer", "parse_error_body"]

_PROJECT_NOT_FOUND = re.compile(r"project (\S+) not found", re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")

ROLES_HINT = (
    "Harbor allows writes by project role: developers and maintainers push, tag and delete, "
    "project admins manage members, and only system admins create projects when creation is "
    "restricted; ask a project admin for a role (Projects > <project> > Members)"
)


@dataclass(frozen=True)
class ServerWords:
    """What Harbor said in an error body.

    Attributes:
        code: the first error's ``code`` (``NOT_FOUND``), or None if the body had none.
        message: the messages joined with ``"; "``, or the body's text when it was not JSON.
        harbor_json: True when the body had Harbor's ``{"errors": [...]}`` shape.

    Example:
        >>> parse_error_body(b'{"errors":[{"code":"CONFLICT","message":"exists"}]}').code
        'CONFLICT'
    """

    code: str | None
    message: str | None
    harbor_json: bool


def parse_error_body(body: bytes | str | None) -> ServerWords:
    """Read the code and message from an error body.

    Edge cases: an empty body gives ``ServerWords(None, None, False)``; an HTML page gives
    its ``<title>`` (or its text, tags removed, cut to 200 characters); JSON without an
    ``errors`` list gives its ``message`` field if any.

    Args:
        body: the response body, bytes or text.

    Returns:
        The parsed words.

    Example:
        >>> parse_error_body("<html><title>502 Bad Gateway</title></html>").message
        '502 Bad Gateway'
    """
    if body is None:
        return ServerWords(None, None, False)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        return ServerWords(None, None, False)
    try:
        data: Any = json.loads(text)
    except ValueError:
        title = _TITLE.search(text)
        plain = title.group(1) if title else _TAGS.sub(" ", text)
        return ServerWords(None, " ".join(plain.split())[:200] or None, False)
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors:
        entries = [e for e in errors if isinstance(e, dict)]
        code = next((str(e["code"]) for e in entries if e.get("code")), None)
        messages = [str(e["message"]) for e in entries if e.get("message")]
        return ServerWords(code, "; ".join(messages) or None, True)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return ServerWords(data.get("code"), data["message"], False)
    return ServerWords(None, text[:200], False)


def error_from_answer(
    status: int,
    body: bytes | str | None,
    *,
    operation: str,
    request_id: str | None = None,
    project: str | None = None,
    username: str | None = None,
) -> RegkitError:
    """Build the regkit error for one failed Harbor API answer.

    The mapping: 401 gives ``AuthenticationError`` (with a different hint for an anonymous
    caller and for one whose credentials were refused); 403 on a write gives ``PushDenied``
    and on a read ``RegistryError`` (Harbor answers 403 to non-admins for a private *or*
    missing project), both with a hint about roles; 404 gives ``ProjectNotFound`` when the
    operation is about a project (``project`` set) or the message says the project is
    missing, else ``NotFoundError``; every other status gives ``RegistryError``. The error
    carries ``operation``, Harbor's code and message, the status and ``X-Request-Id``.
    Credentials never appear: only ``username`` is named.

    Args:
        status: the HTTP status (>= 400).
        body: the response body.
        operation: ``METHOD /path?query`` as sent (no host, no credentials).
        request_id: the ``X-Request-Id`` response header.
        project: the project the operation targets, when the path names one.
        username: the user the request was sent as; None for anonymous.

    Returns:
        The error, not raised.

    Example:
        >>> err = error_from_answer(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}',
        ...     operation="GET /api/v2.0/users/current")
        >>> type(err).__name__
        'AuthenticationError'
    """
    words = parse_error_body(body)
    method = operation.split(" ", 1)[0].upper()
    write = method not in ("GET", "HEAD")
    fields: dict[str, Any] = dict(
        operation=operation,
        server_message=words.message,
        server_code=words.code,
        status=status,
        request_id=request_id,
    )
    if not words.harbor_json and words.message and status not in (404, 405):
        return RegistryError(
            f"something in front of Harbor answered HTTP {status}, not Harbor's API",
            hint="check the URL (it should be Harbor's address, without /api/v2.0) and any "
            "proxy or ingress in front of Harbor; its logs say why it refused",
            **fields,
        )
    if status == 401:
        return _unauthorized(username, fields)
    if status == 403:
        return _forbidden(words, write, username, project, fields)
    if status == 404:
        missing = _PROJECT_NOT_FOUND.search(words.message or "")
        if missing or (project is not None and _is_project_operation(operation)):
            name = missing.group(1) if missing else project
            return ProjectNotFound(f"Harbor has no project {name!r}", **fields)
        return NotFoundError(
            "Harbor found nothing there",
            hint="check the project, repository and tag names (Harbor.repositories(project) "
            "and Harbor.artifacts(project, repository) list what exists)",
            **fields,
        )
    if status >= 500:
        summary = f"Harbor failed with an internal error (HTTP {status})"
    else:
        summary = _SUMMARY.get(status, f"Harbor refused the request (HTTP {status})")
    return RegistryError(summary, hint=_hint(status, words), **fields)


def _unauthorized(username: str | None, fields: dict[str, Any]) -> RegkitError:
    if username is None:
        return AuthenticationError(
            "Harbor needs a login for this",
            hint="give a username and password: REGKIT_USERNAME and REGKIT_PASSWORD, or "
            "RegistrySettings(username=..., password=...)",
            **fields,
        )
    return AuthenticationError(f"Harbor did not accept the credentials of {username!r}", **fields)


def _forbidden(words: ServerWords, write: bool, username: str | None, project: str | None,
               fields: dict[str, Any]) -> RegkitError:
    who = repr(username) if username else "an anonymous caller"
    if "csrf" in (words.message or "").lower():
        return RegistryError(
            "Harbor refused the write as a cross-site request (CSRF)",
            hint="a session cookie from an earlier answer was sent back; use a client that "
            "discards cookies (regkit's does) or send no cookies with API calls",
            **fields,
        )
    if write:
        return PushDenied(f"Harbor does not let {who} do this", hint=ROLES_HINT, **fields)
    where = f"project {project!r}" if project else "this resource"
    return RegistryError(
        f"Harbor does not let {who} read {where}",
        hint=f"the project is private and {who} has no role in it, or it does not exist "
        "(Harbor gives the same 403 to non-admins for both); " + ROLES_HINT,
        **fields,
    )


def _is_project_operation(operation: str) -> bool:
    # /projects/<p> itself, its repository list, or the HEAD /projects existence check.
    path = operation.split(" ", 1)[-1].split("?", 1)[0]
    return bool(re.fullmatch(r"/api/v2\.0/projects(/[^/]+(/repositories)?)?", path))


_SUMMARY = {
    400: "Harbor refused the request as invalid",
    405: "Harbor does not allow this method here",
    409: "Harbor says it already exists",
    412: "Harbor refused the change: a precondition failed",
    422: "Harbor refused a parameter",
    429: "Harbor is rate-limiting requests",
}


def _hint(status: int, words: ServerWords) -> str:
    message = (words.message or "").lower()
    if status == 400 and "project name" in message:
        return ("project names are lowercase letters and digits, separated by single '.', '_' "
                "or '-' (e.g. `team-a`), at most 255 characters")
    if status == 400 and "tag" in message:
        return "a tag is up to 128 letters, digits, '_', '.' or '-' and does not start with '.' or '-'"
    if status == 409:
        return "pick another name, or use the existing one (create_project(..., exist_ok=True))"
    if status == 412:
        return ("the tag may be immutable (Project > Policy > Tag Immutability), the system "
                "may be read-only, or the account is a robot where a user is needed")
    if status == 422:
        return "check the parameters: page_size is at most 100, and `q` is required for search"
    if status == 429:
        return "wait a moment and try again"
    if status >= 500:
        return ("Harbor hit an internal error; its core log has the details under the request "
                "id (docker logs harbor-core, or kubectl logs for harbor-core)")
    return "read Harbor's message above; it names the part of the request it refused"
