"""``/api/v2.0``: the part of Harbor's REST API the course uses, in Harbor's shapes.

Endpoints: ping, health, systeminfo (+ getcert), projects (list, HEAD, create, get,
delete), project members (list, add, get, change role, remove), repositories (per
project and all; get, delete), artifacts (list, get, delete), tags (list, add, delete),
users (create, search, current), robot accounts (create, get, delete) and search.

Harbor's habits kept here (:mod:`regkit.lab.replies` has the ones every list and error
shares):

* repository names in paths exclude the project and are double-encoded (``a%252Fb``);
  response ``name`` fields include the project (``library/a/b``);
* ``X-Is-Resource-Name: true`` makes a numeric project path segment a name;
* a private or missing project answers 401 to anonymous callers, 403 to other users, and
  404 only to administrators (the permission check runs before the lookup);
* wrong basic credentials make the caller anonymous, not an error;
* deleting an artifact by tag deletes the whole artifact with all its tags (use the tag
  endpoint to untag);
* metadata values are strings, and "never pulled" is ``0001-01-01T00:00:00.000Z``.

Example:
    From outside, with curl::

        curl -u admin:Harbor12345 http://127.0.0.1:8080/api/v2.0/projects?page_size=100
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from typing import Any, Callable, Mapping
from urllib.parse import unquote


from regkit.lab.access import ROBOT_PREFIX, Access, Caller
from regkit.lab.http import Request, Response
from regkit.lab.proxy import RegistryProxy
from regkit.lab.replies import (
    HarborError,
    QueryFilter,
    dumps,
    fmt_time,
    link_header,
    parse_paging,
    parse_q,
    sort_rows,
)
from regkit.lab.store import (
    ROLE_DEVELOPER,
    ROLE_GUEST,
    ROLE_LIMITED_GUEST,
    ROLE_MAINTAINER,
    ROLE_PROJECT_ADMIN,
    Conflict,
    Store,
)

__all__ = ["HarborApi", "HARBOR_VERSION"]

PREFIX = "/api/v2.0"
# Says which Harbor the lab imitates, and that it is not Harbor.
HARBOR_VERSION = "v2.15.2-regkit-lab"
_PROJECT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_TAG_NAME = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_SECRET_ALPHABET = string.ascii_letters + string.digits
# Harbor's email rule (handler/user.go validateUserProfile) and the characters it refuses
# in names.
_EMAIL = re.compile(r"^(([^<>()\[\]\\.,;:\s@\"]+(\.[^<>()\[\]\\.,;:\s@\"]+)*)|(\".+\"))@"
                    r"((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])|"
                    r"(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$")
_ILLEGAL_NAME_CHARS = ",~#$%"
_ROLE_NAMES = {ROLE_PROJECT_ADMIN: "projectAdmin", ROLE_DEVELOPER: "developer",
               ROLE_GUEST: "guest", ROLE_MAINTAINER: "maintainer",
               ROLE_LIMITED_GUEST: "limitedGuest"}
# Highest permission first, to pick current_user_role_id as Harbor does.
_ROLE_PRIORITY = [ROLE_PROJECT_ADMIN, ROLE_MAINTAINER, ROLE_DEVELOPER, ROLE_GUEST,
                  ROLE_LIMITED_GUEST]

Handler = Callable[["_Call"], Response]


class _Call:
    """One API request: the HTTP request, its caller and its path parameters."""

    def __init__(self, request: Request, caller: Caller, params: dict[str, str]) -> None:
        self.request = request
        self.caller = caller
        self.params = params

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query


def _json(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
          ) -> Response:
    return Response(status=status, text=dumps(payload), content_type="application/json",
                    charset="utf-8", headers=headers)


def _bool_param(query: Mapping[str, str], name: str, default: bool) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "t"):
        return True
    if lowered in ("false", "0", "f"):
        return False
    raise HarborError("UNPROCESSABLE_ENTITY",
                      f"validation failure list:\n{name} in query must be of type boolean: "
                      f"\"{raw}\"")


def _json_body(call: _Call, name: str, *, required: str | None = None,
               go_type: str | None = None) -> dict[str, Any]:
    """The request's JSON object, refused in the words of Harbor's generated API layer.

    Malformed JSON is a 400 naming the body parameter ``name``. A missing body is a 422
    "``required`` in body is required" (``required`` defaults to ``name``); so is any other
    non-object, unless ``go_type`` is given, where Harbor's JSON decoding answers 400.
    """
    label = "" if name == "body" else f"{name} "
    try:
        body = json.loads(call.request.read() or b"null")
    except ValueError as err:
        raise HarborError("BAD_REQUEST",
                          f"parsing {label}body from \"\" failed, because {err}") from None
    if isinstance(body, dict):
        return body
    if body is not None and go_type is not None:
        raise HarborError("BAD_REQUEST", f"parsing {label}body from \"\" failed, because "
                          f"json: cannot unmarshal into Go value of type {go_type}")
    raise HarborError("UNPROCESSABLE_ENTITY",
                      f"validation failure list:\n{required or name} in body is required")


class HarborApi:
    """The ``/api/v2.0`` handlers of one lab.

    Args:
        store: the lab's records.
        access: authentication and permissions.
        proxy: the registry proxy (for deletes, new tags and health).
        ca_path: the CA certificate served by ``/systeminfo/getcert`` (None without TLS).

    Example:
        >>> api = HarborApi(store, access, proxy, None)  # doctest: +SKIP
        >>> api.handle(request).status  # doctest: +SKIP
        200
    """

    def __init__(self, store: Store, access: Access, proxy: RegistryProxy,
                 ca_path: str | None) -> None:
        self.store = store
        self.access = access
        self.proxy = proxy
        self.ca_path = ca_path
        r = "projects/{project_name}/repositories/{repository_name}"
        a = r + "/artifacts/{reference}"
        self._routes: list[tuple[tuple[str, ...], dict[str, Handler]]] = [
            (("ping",), {"GET": self.ping}),
            (("health",), {"GET": self.health}),
            (("systeminfo",), {"GET": self.systeminfo}),
            (("systeminfo", "getcert"), {"GET": self.getcert}),
            (("projects",), {"GET": self.list_projects, "HEAD": self.head_project,
                             "POST": self.create_project}),
            (("projects", "{project_name_or_id}"), {"GET": self.get_project,
                                                    "DELETE": self.delete_project}),
            (("projects", "{project_name_or_id}", "members"),
             {"GET": self.list_members, "POST": self.create_member}),
            (("projects", "{project_name_or_id}", "members", "{mid}"),
             {"GET": self.get_member, "PUT": self.update_member, "DELETE": self.delete_member}),
            (("repositories",), {"GET": self.list_all_repositories}),
            (tuple(("projects/{project_name}/repositories").split("/")),
             {"GET": self.list_repositories}),
            (tuple(r.split("/")), {"GET": self.get_repository,
                                   "DELETE": self.delete_repository}),
            (tuple((r + "/artifacts").split("/")), {"GET": self.list_artifacts}),
            (tuple(a.split("/")), {"GET": self.get_artifact, "DELETE": self.delete_artifact}),
            (tuple((a + "/tags").split("/")), {"GET": self.list_tags, "POST": self.create_tag}),
            (tuple((a + "/tags/{tag_name}").split("/")), {"DELETE": self.delete_tag}),
            (("users",), {"POST": self.create_user}),
            (("users", "search"), {"GET": self.search_users}),
            (("users", "current"), {"GET": self.current_user}),
            (("robots",), {"POST": self.create_robot}),
            (("robots", "{robot_id}"), {"GET": self.get_robot, "DELETE": self.delete_robot}),
            (("search",), {"GET": self.search}),
        ]

    # -- dispatch -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Route an ``/api/...`` request and turn :class:`HarborError` into Harbor's body."""
        path = request.raw_path
        try:
            if path.rstrip("/") == "/api/version" and request.method == "GET":
                return _json({"version": "v2.0"})
            if not path.startswith(PREFIX + "/"):
                raise HarborError("NOT_FOUND", f"path {path} was not found")
            segments = path[len(PREFIX) + 1:].split("/")
            if segments and segments[-1] == "":
                segments = segments[:-1]
            for pattern, methods in self._routes:
                params = self._match(pattern, segments)
                if params is None:
                    continue
                handler = methods.get(request.method)
                if handler is None:
                    allowed = ",".join(sorted(methods))
                    raise HarborError("METHOD_NOT_ALLOWED",
                                      f"method {request.method} is not allowed, but "
                                      f"[{allowed}] are")
                caller = self.access.resolve(request.headers.get("Authorization"),
                                             bearer=False)
                return handler(_Call(request, caller, params))
            raise HarborError("NOT_FOUND", f"path {path} was not found")
        except HarborError as err:
            if request.method == "HEAD":
                return Response(status=err.status)
            return _json(err.body(), status=err.status)

    @staticmethod
    def _match(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
        if len(pattern) != len(segments):
            return None
        params: dict[str, str] = {}
        for part, raw in zip(pattern, segments):
            if part.startswith("{"):
                if not raw:
                    return None
                # The router decodes once; repository names are decoded a second time
                # (Harbor's unescapePathParams), so "a%252Fb" is "a/b".
                params[part[1:-1]] = unquote(unquote(raw))
            elif unquote(raw) != part:
                return None
        return params

    # -- permissions ----------------------------------------------------------------------

    def _lookup_project(self, ident: str, is_name: bool) -> dict[str, Any] | None:
        if not is_name and ident.isdigit():
            return self.store.project_by_id(int(ident))
        return self.store.project_by_name(ident)

    def _require_project(self, call: _Call, ident: str, *, is_name: bool = True,
                         action: str | None = None) -> dict[str, Any]:
        """Harbor's ``RequireProjectAccess``: read access (or ``action`` on repositories).

        Raises:
            HarborError: 401 for anonymous callers, 403 for other users, and (only for
                administrators) 404 when the project does not exist.
        """
        return self._allowed_project(
            call, ident, is_name,
            lambda project: (action in self.access.repository_actions(call.caller, project)
                             if action else self.access.can_read_project(call.caller, project)))

    def _allowed_project(self, call: _Call, ident: str, is_name: bool,
                         allowed: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The project if ``allowed(project)``, else Harbor's refusal for this caller."""
        project = self._lookup_project(ident, is_name)
        if project is not None and allowed(project):
            return project
        if project is None and call.caller.sysadmin:
            raise HarborError("NOT_FOUND", f"project {ident} not found")
        if not call.caller.authenticated:
            raise HarborError("UNAUTHORIZED", "unauthorized")
        raise HarborError("FORBIDDEN", "forbidden")

    @staticmethod
    def _require_authenticated(call: _Call) -> None:
        if not call.caller.authenticated:
            raise HarborError("UNAUTHORIZED", "unauthorized")

    # -- lists ----------------------------------------------------------------------------

    def _page(self, call: _Call, rows: list[Any], render: Callable[[Any], Any],
              paging: Any = None) -> Response:
        paging = paging or parse_paging(call.query)
        total = len(rows)
        headers = {"X-Total-Count": str(total)}
        link = link_header(call.request.raw_path, call.request.raw_query,
                           total=total, page=paging.page, page_size=paging.page_size)
        if link:
            headers["Link"] = link
        return _json([render(row) for row in paging.slice(rows)], headers=headers)

    @staticmethod
    def _filter(rows: list[Any], filters: list[QueryFilter],
                fields: Mapping[str, Callable[[Any], Any]]) -> list[Any]:
        for condition in filters:
            getter = fields.get(condition.key)
            if getter is not None:
                rows = [row for row in rows if condition.matches(getter(row))]
        return rows

    # -- system ---------------------------------------------------------------------------

    def ping(self, call: _Call) -> Response:
        """``GET /ping``: ``Pong`` as text, no authentication."""
        return Response(text="Pong", content_type="text/plain")

    def health(self, call: _Call) -> Response:
        """``GET /health``: the lab's parts; 200 even when unhealthy, as Harbor does."""
        components: list[dict[str, str]] = [{"name": "core", "status": "healthy"}]
        try:
            self.store.check()
            components.append({"name": "database", "status": "healthy"})
        except Exception as err:  # any database failure is a health finding, not a crash
            components.append({"name": "database", "status": "unhealthy", "error": str(err)})
        problem = self.proxy.registry_healthy()
        registry = {"name": "registry", "status": "healthy" if problem is None else "unhealthy"}
        if problem:
            registry["error"] = problem
        components.append(registry)
        overall = "healthy" if all(c["status"] == "healthy" for c in components) else "unhealthy"
        return _json({"status": overall, "components": components})

    def systeminfo(self, call: _Call) -> Response:
        """``GET /systeminfo``: fewer fields for anonymous callers, as in Harbor."""
        info: dict[str, Any] = {
            "auth_mode": "db_auth",
            "primary_auth_mode": False,
            "self_registration": False,
            "banner_message": "",
        }
        if call.caller.authenticated:
            request = call.request
            info.update({
                "harbor_version": HARBOR_VERSION,
                "external_url": f"{request.scheme}://{request.host}",
                "registry_url": request.host,
                "has_ca_root": self.ca_path is not None,
                "read_only": False,
                "project_creation_restriction": "everyone",
                "registry_storage_provider_name": "filesystem",
                "notification_enable": False,
                "current_time": fmt_time(time.time()),
            })
        return _json(info)

    def getcert(self, call: _Call) -> Response:
        """``GET /systeminfo/getcert``: the CA certificate as an attachment, or 404."""
        if self.ca_path is None:
            raise HarborError("NOT_FOUND",
                              "resource not found: cert not found in path: /etc/core/ca/ca.crt")
        with open(self.ca_path, "rb") as handle:
            body = handle.read()
        return Response(body=body, content_type="application/octet-stream",
                        headers={"Content-Disposition": "attachment; filename=ca.crt"})

    def current_user(self, call: _Call) -> Response:
        """``GET /users/current``: 401 for anonymous callers."""
        self._require_authenticated(call)
        if call.caller.via == "robot":
            raise HarborError("PRECONDITION", "get current user not available for security "
                              "context: robot")
        user = call.caller.user
        assert user is not None
        return _json({
            "user_id": int(user["user_id"]),
            "username": user["username"],
            "email": user["email"],
            "realname": user["realname"],
            "comment": user["comment"],
            "sysadmin_flag": bool(user["sysadmin"]),
            "admin_role_in_auth": False,
            "creation_time": fmt_time(user["creation_time"]),
            "update_time": fmt_time(user["update_time"]),
        })

    def create_user(self, call: _Call) -> Response:
        """``POST /users``: a local user, by a system admin; Harbor's checks in its order.

        Harbor (``handler/user.go CreateUser``) checks the caller, the password, then the
        profile (email required and well formed, realname 1-255 characters without
        ``, ~ # $ %``, comment at most 30), and maps a taken username or email to 409. The
        lab also refuses an empty username or one with ``, ~ # $ %`` (a ``$`` would pass
        for a robot's name); Harbor's own UI refuses those too.
        """
        body = _json_body(call, "userReq", go_type="models.UserCreationReq")
        fields: dict[str, str] = {}
        for name in ("username", "password", "email", "realname", "comment"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise HarborError("UNPROCESSABLE_ENTITY", "validation failure list:\n"
                                  f"userReq.{name} in body must be of type string")
            fields[name] = value or ""
        for name in ("username", "email"):
            if len(fields[name]) > 255:
                raise HarborError("UNPROCESSABLE_ENTITY", "validation failure list:\n"
                                  f"userReq.{name} in body should be at most 255 chars long")
        if not call.caller.authenticated:
            raise HarborError("UNAUTHORIZED", "unauthorized")
        if not call.caller.sysadmin:
            raise HarborError("FORBIDDEN", "forbidden")
        password = fields["password"]
        if not (len(password) >= 8 and re.search("[a-z]", password)
                and re.search("[A-Z]", password) and re.search("[0-9]", password)):
            raise HarborError("BAD_REQUEST", "the password or secret must be longer than 8 "
                              "chars with at least 1 uppercase letter, 1 lowercase letter and "
                              "1 number")
        if not fields["email"]:
            raise HarborError("BAD_REQUEST", "email can't be empty")
        if not _EMAIL.match(fields["email"]):
            raise HarborError("BAD_REQUEST", "email with illegal format")
        if not 1 <= len(fields["realname"]) <= 255:
            raise HarborError("BAD_REQUEST", "realname with illegal length")
        if any(c in fields["realname"] for c in _ILLEGAL_NAME_CHARS):
            raise HarborError("BAD_REQUEST", "realname contains illegal characters")
        if len(fields["comment"]) > 30:
            raise HarborError("BAD_REQUEST", "comment with illegal length")
        if not fields["username"]:
            raise HarborError("BAD_REQUEST", "username with illegal length")
        if any(c in fields["username"] for c in _ILLEGAL_NAME_CHARS):
            raise HarborError("BAD_REQUEST", "username contains illegal characters")
        try:
            user_id = self.store.create_user(fields["username"], password,
                                             email=fields["email"],
                                             realname=fields["realname"],
                                             comment=fields["comment"])
        except Conflict as err:
            # Harbor wraps Postgres's unique violation: message, then the cause.
            raise HarborError("CONFLICT", f"user {fields['username']} or email "
                              f"{fields['email']} already exists: pq: duplicate key value "
                              f"violates unique constraint \"harbor_user_{err}_key\"") from None
        base = call.request.raw_path.rstrip("/")
        return Response(status=201, headers={"Location": f"{base}/{user_id}"})

    def search_users(self, call: _Call) -> Response:
        """``GET /users/search?username=``: any logged-in caller; fuzzy, admin left out."""
        paging = parse_paging(call.query)
        text = call.query.get("username")
        if text is None:
            raise HarborError("UNPROCESSABLE_ENTITY",
                              "validation failure list:\nusername in query is required")
        self._require_authenticated(call)
        rows = self.store.search_users(text)
        return self._page(call, rows, lambda r: {"user_id": int(r["user_id"]),
                                                 "username": r["username"]}, paging)

    # -- projects -------------------------------------------------------------------------

    def _project_json(self, call: _Call, project: Mapping[str, Any]) -> dict[str, Any]:
        owner = self.store.user_by_id(int(project["owner_id"]))
        data: dict[str, Any] = {
            "project_id": int(project["project_id"]),
            "owner_id": int(project["owner_id"]),
            "name": project["name"],
            "creation_time": fmt_time(project["creation_time"]),
            "update_time": fmt_time(project["update_time"]),
            "owner_name": owner["username"] if owner else "",
            "repo_count": self.store.repo_count(int(project["project_id"])),
            "metadata": {"public": "true" if project["public"] else "false"},
            "cve_allowlist": {
                "id": 0, "project_id": int(project["project_id"]), "items": [],
                "creation_time": fmt_time(0), "update_time": fmt_time(0),
            },
        }
        roles = self.access.roles(call.caller, project)
        if roles:
            data["current_user_role_id"] = next(r for r in _ROLE_PRIORITY if r in roles)
            data["current_user_role_ids"] = sorted(roles)
        if call.caller.sysadmin or ROLE_PROJECT_ADMIN in roles:
            data["togglable"] = True
        return data

    def list_projects(self, call: _Call) -> Response:
        """``GET /projects``: public ones plus the caller's (all for administrators)."""
        paging = parse_paging(call.query)
        public = call.query.get("public")
        want_public = _bool_param(call.query, "public", True) if public else None
        rows = self.store.projects()
        visible = self.access.visible_project_ids(call.caller)
        rows = [p for p in rows if int(p["project_id"]) in visible]
        if want_public is not None:
            rows = [p for p in rows if bool(p["public"]) == want_public]
        name = call.query.get("name")
        if name:
            rows = [p for p in rows if name.lower() in p["name"].lower()]
        owner = call.query.get("owner")
        if owner:
            owner_row = self.store.user_by_name(owner)
            rows = [p for p in rows if owner_row and p["owner_id"] == owner_row["user_id"]]
        rows = self._filter(rows, parse_q(call.query.get("q")), {
            "name": lambda p: p["name"], "project_id": lambda p: p["project_id"],
            "public": lambda p: bool(p["public"]),
        })
        rows = sort_rows(rows, call.query.get("sort"), {
            "name": lambda p: p["name"], "project_id": lambda p: p["project_id"],
            "creation_time": lambda p: p["creation_time"],
            "update_time": lambda p: p["update_time"],
        })
        return self._page(call, rows, lambda p: self._project_json(call, p), paging)

    def head_project(self, call: _Call) -> Response:
        """``HEAD /projects?project_name=``: 200 or 404; authentication required."""
        name = call.query.get("project_name")
        if not name:
            raise HarborError("UNPROCESSABLE_ENTITY",
                              "validation failure list:\nproject_name in query is required")
        self._require_authenticated(call)
        if self.store.project_by_name(name) is None:
            raise HarborError("NOT_FOUND", f"project {name} not found")
        return Response(status=200)

    def create_project(self, call: _Call) -> Response:
        """``POST /projects``: 201 with a Location; Harbor's validation messages."""
        body = _json_body(call, "project", go_type="models.ProjectReq")
        self._require_authenticated(call)
        name = body.get("project_name")
        if name is not None and not isinstance(name, str):
            raise HarborError("UNPROCESSABLE_ENTITY", "validation failure list:\n"
                              "project.project_name in body must be of type string")
        name = name or ""
        if len(name) > 255:
            raise HarborError("UNPROCESSABLE_ENTITY", "validation failure list:\n"
                              "project.project_name in body should be at most 255 chars long")
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise HarborError("UNPROCESSABLE_ENTITY", "validation failure list:\n"
                              "project.metadata in body must be of type object")
        public = metadata.get("public", "")
        if not isinstance(public, str):
            kind = "boolean" if isinstance(public, bool) else type(public).__name__
            raise HarborError("UNPROCESSABLE_ENTITY", "validation failure list:\n"
                              f"project.metadata.public in body must be of type string: "
                              f"\"{kind}\"")
        if not public and isinstance(body.get("public"), bool):
            public = "true" if body["public"] else "false"
        public = public or "false"
        if public not in ("true", "false"):
            raise HarborError("BAD_REQUEST", "metadata.public should only be 'true' or "
                              f"'false', but got: '{public}'")
        if not name:
            raise HarborError("BAD_REQUEST", "Project name  is illegal in length. "
                              "(greater than 255 or less than 1)")
        if not _PROJECT_NAME.match(name):
            raise HarborError("BAD_REQUEST",
                              "project name is not in lower case or contains illegal characters")
        assert call.caller.user is not None
        try:
            project_id = self.store.create_project(name, int(call.caller.user["user_id"]),
                                                   public == "true")
        except Conflict:
            raise HarborError("CONFLICT", f"The project named {name} already exists") from None
        in_location = call.request.headers.get("X-Resource-Name-In-Location", "").lower()
        base = call.request.raw_path.rstrip("/")
        location = f"{base}/{name}" if in_location == "true" else f"{base}/{project_id}"
        return Response(status=201, headers={"Location": location})

    def _project_ident(self, call: _Call) -> tuple[str, bool]:
        is_name = call.request.headers.get("X-Is-Resource-Name", "").lower() == "true"
        return call.params["project_name_or_id"], is_name

    def get_project(self, call: _Call) -> Response:
        """``GET /projects/{name_or_id}`` (``X-Is-Resource-Name`` honoured)."""
        ident, is_name = self._project_ident(call)
        project = self._require_project(call, ident, is_name=is_name)
        return _json(self._project_json(call, project))

    def delete_project(self, call: _Call) -> Response:
        """``DELETE /projects/{name_or_id}``: 412 while it holds repositories."""
        ident, is_name = self._project_ident(call)
        project = self._require_project(call, ident, is_name=is_name)
        if not self.access.can_manage_project(call.caller, project):
            raise HarborError("FORBIDDEN", "forbidden")
        if self.store.repo_count(int(project["project_id"])):
            raise HarborError("PRECONDITION", "precondition failed: the project contains "
                              "repositories, can not be deleted")
        self.store.delete_project(int(project["project_id"]))
        return Response(status=200)

    # -- members --------------------------------------------------------------------------

    def _member_project(self, call: _Call, manage: bool) -> dict[str, Any]:
        ident, is_name = self._project_ident(call)
        return self._allowed_project(
            call, ident, is_name,
            lambda project: (self.access.can_manage_project(call.caller, project) if manage
                             else call.caller.sysadmin
                             or bool(self.access.roles(call.caller, project))))

    @staticmethod
    def _member_json(row: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": int(row["id"]), "project_id": int(row["project_id"]),
                "entity_name": row["username"], "role_name": _ROLE_NAMES[int(row["role"])],
                "role_id": int(row["role"]), "entity_id": int(row["user_id"]),
                "entity_type": "u"}

    def _member(self, call: _Call, project: Mapping[str, Any]) -> dict[str, Any]:
        raw = call.params["mid"]
        for row in self.store.members(int(project["project_id"])):
            if str(row["id"]) == raw:
                return row
        raise HarborError("NOT_FOUND", f"project member {raw} not found")

    @staticmethod
    def _role_id(call: _Call) -> tuple[dict[str, Any], int]:
        body = _json_body(call, "body")
        role = body.get("role_id")
        if not isinstance(role, int) or role not in _ROLE_NAMES:
            raise HarborError("BAD_REQUEST", "bad request: role id should be 1 (projectAdmin), "
                              "2 (developer), 3 (guest), 4 (maintainer) or 5 (limitedGuest)")
        return body, role

    def list_members(self, call: _Call) -> Response:
        """``GET /projects/{p}/members`` (``entityname`` filters by user name)."""
        paging = parse_paging(call.query)
        project = self._member_project(call, manage=False)
        rows = self.store.members(int(project["project_id"]))
        wanted = call.query.get("entityname")
        if wanted:
            rows = [r for r in rows if wanted.lower() in r["username"].lower()]
        return self._page(call, rows, self._member_json, paging)

    def create_member(self, call: _Call) -> Response:
        """``POST /projects/{p}/members`` ``{"role_id": 2, "member_user": {"username"}}``."""
        project = self._member_project(call, manage=True)
        body, role = self._role_id(call)
        member = body.get("member_user") or {}
        if not isinstance(member, dict):
            member = {}
        user = (self.store.user_by_id(int(member["user_id"]))
                if isinstance(member.get("user_id"), int) and member["user_id"]
                else self.store.user_by_name(str(member.get("username") or "")))
        if user is None:
            raise HarborError("NOT_FOUND", f"user {member.get('username') or member.get('user_id')}"
                              " not found")
        try:
            member_id = self.store.add_member(int(project["project_id"]), int(user["user_id"]),
                                              role)
        except Conflict:
            raise HarborError("CONFLICT", f"The user with id {user['user_id']} is already a "
                              "member of the project") from None
        location = f"{PREFIX}/projects/{project['project_id']}/members/{member_id}"
        return Response(status=201, headers={"Location": location})

    def get_member(self, call: _Call) -> Response:
        """``GET /projects/{p}/members/{mid}``."""
        project = self._member_project(call, manage=False)
        return _json(self._member_json(self._member(call, project)))

    def update_member(self, call: _Call) -> Response:
        """``PUT /projects/{p}/members/{mid}`` ``{"role_id": 4}``."""
        project = self._member_project(call, manage=True)
        row = self._member(call, project)
        _, role = self._role_id(call)
        self.store.update_member(int(row["id"]), role)
        return Response(status=200)

    def delete_member(self, call: _Call) -> Response:
        """``DELETE /projects/{p}/members/{mid}``."""
        project = self._member_project(call, manage=True)
        self.store.delete_member(int(self._member(call, project)["id"]))
        return Response(status=200)

    # -- repositories ---------------------------------------------------------------------

    @staticmethod
    def _repository_json(row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": int(row["id"]),
            "project_id": int(row["project_id"]),
            "name": row["name"],
            "artifact_count": int(row["artifact_count"]),
            "pull_count": int(row["pull_count"]),
            "creation_time": fmt_time(row["creation_time"]),
            "update_time": fmt_time(row["update_time"]),
        }

    def _repository_list(self, call: _Call, project_ids: set[int] | None) -> Response:
        paging = parse_paging(call.query)
        rows = self.store.repositories(project_ids)
        rows = self._filter(rows, parse_q(call.query.get("q")), {
            "name": lambda r: r["name"], "id": lambda r: r["id"],
            "project_id": lambda r: r["project_id"],
        })
        rows = sort_rows(rows, call.query.get("sort"), {
            "name": lambda r: r["name"], "id": lambda r: r["id"],
            "creation_time": lambda r: r["creation_time"],
            "update_time": lambda r: r["update_time"], "pull_count": lambda r: r["pull_count"],
        })
        return self._page(call, rows, self._repository_json, paging)

    def list_repositories(self, call: _Call) -> Response:
        """``GET /projects/{p}/repositories``."""
        parse_paging(call.query)
        project = self._require_project(call, call.params["project_name"])
        return self._repository_list(call, {int(project["project_id"])})

    def list_all_repositories(self, call: _Call) -> Response:
        """``GET /repositories``: every repository the caller may see."""
        parse_paging(call.query)
        return self._repository_list(call, self.access.visible_project_ids(call.caller))

    def _repository(self, call: _Call, action: str | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
        project = self._require_project(call, call.params["project_name"], action=action)
        name = f"{project['name']}/{call.params['repository_name']}"
        repository = self.store.repository_by_name(name)
        if repository is None:
            raise HarborError("NOT_FOUND", f"repository {name} not found")
        return project, repository

    def get_repository(self, call: _Call) -> Response:
        """``GET /projects/{p}/repositories/{r}``."""
        _, repository = self._repository(call)
        rows = [r for r in self.store.repositories({int(repository["project_id"])})
                if r["id"] == repository["id"]]
        return _json(self._repository_json(rows[0]))

    def delete_repository(self, call: _Call) -> Response:
        """``DELETE /projects/{p}/repositories/{r}``: every artifact, then the repository."""
        _, repository = self._repository(call, action="delete")
        for artifact in self.store.artifacts(int(repository["id"])):
            self.proxy.delete_manifest(repository["name"], artifact["digest"])
        self.store.delete_repository(int(repository["id"]))
        return Response(status=200)

    # -- artifacts ------------------------------------------------------------------------

    def _artifact(self, call: _Call, action: str | None = None
                  ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        project, repository = self._repository(call, action=action)
        reference = call.params["reference"]
        if _DIGEST.match(reference):
            artifact = self.store.artifact_by_digest(int(repository["id"]), reference)
            label = f"{repository['name']}@{reference}"
        else:
            tag = self.store.tag(int(repository["id"]), reference)
            artifact = (self.store.artifact_by_digest(int(repository["id"]), tag["digest"])
                        if tag else None)
            label = f"{repository['name']}:{reference}"
        if artifact is None:
            raise HarborError("NOT_FOUND", f"artifact {label} not found")
        return project, repository, artifact

    @staticmethod
    def _tag_json(tag: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": int(tag["id"]),
            "repository_id": int(tag["repository_id"]),
            "artifact_id": int(tag["artifact_id"]),
            "name": tag["name"],
            "push_time": fmt_time(tag["push_time"]),
            "pull_time": fmt_time(tag["pull_time"]),
            "immutable": False,
        }

    def _artifact_json(self, project: Mapping[str, Any], repository: Mapping[str, Any],
                       artifact: Mapping[str, Any], tags: list[Mapping[str, Any]] | None
                       ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": int(artifact["id"]),
            "type": artifact["type"],
            "media_type": artifact["media_type"],
            "manifest_media_type": artifact["manifest_media_type"],
            "project_id": int(project["project_id"]),
            "repository_id": int(repository["id"]),
            "repository_name": repository["name"],
            "digest": artifact["digest"],
            "size": int(artifact["size"]),
            "push_time": fmt_time(artifact["push_time"]),
            "pull_time": fmt_time(artifact["pull_time"]),
            "extra_attrs": json.loads(artifact["extra_attrs"]),
        }
        if artifact["artifact_type"]:
            data["artifact_type"] = artifact["artifact_type"]
        annotations = json.loads(artifact["annotations"])
        if annotations:
            data["annotations"] = annotations
        references = json.loads(artifact["refs"])
        if references:
            for reference in references:
                child = self.store.artifact_by_digest(int(repository["id"]),
                                                      reference["child_digest"])
                reference["parent_id"] = int(artifact["id"])
                if child is not None:
                    reference["child_id"] = int(child["id"])
            data["references"] = references
        if tags:
            data["tags"] = [self._tag_json(t) for t in tags]
        return data

    def list_artifacts(self, call: _Call) -> Response:
        """``GET .../artifacts`` (``with_tag``, ``q=tags=...``, ``digest``, ``type``)."""
        paging = parse_paging(call.query)
        with_tag = _bool_param(call.query, "with_tag", True)
        project, repository = self._repository(call)
        rows = self.store.artifacts(int(repository["id"]))
        tags = self.store.tags_of(int(r["id"]) for r in rows)
        for condition in parse_q(call.query.get("q")):
            if condition.key == "tags":
                rows = [r for r in rows if _tags_match(condition, tags[int(r["id"])])]
            elif condition.key in ("digest", "type", "media_type", "manifest_media_type"):
                rows = [r for r in rows if condition.matches(r[condition.key])]
        rows = sort_rows(rows, call.query.get("sort"), {
            "push_time": lambda r: r["push_time"], "pull_time": lambda r: r["pull_time"],
            "id": lambda r: r["id"], "size": lambda r: r["size"],
        })
        return self._page(call, rows, lambda r: self._artifact_json(
            project, repository, r, tags[int(r["id"])] if with_tag else None), paging)

    def get_artifact(self, call: _Call) -> Response:
        """``GET .../artifacts/{tag or digest}``."""
        with_tag = _bool_param(call.query, "with_tag", True)
        project, repository, artifact = self._artifact(call)
        tags = self.store.tags_of([int(artifact["id"])])[int(artifact["id"])]
        return _json(self._artifact_json(project, repository, artifact,
                                         tags if with_tag else None))

    def delete_artifact(self, call: _Call) -> Response:
        """``DELETE .../artifacts/{ref}``: the whole manifest, with every tag; 200."""
        _, repository, artifact = self._artifact(call, action="delete")
        status = self.proxy.delete_manifest(repository["name"], artifact["digest"])
        if status not in (202, 404):
            raise HarborError("UNKNOWN", "internal server error")
        self.store.delete_artifact(int(artifact["id"]))
        return Response(status=200)

    # -- tags -----------------------------------------------------------------------------

    def list_tags(self, call: _Call) -> Response:
        """``GET .../artifacts/{ref}/tags``."""
        paging = parse_paging(call.query)
        _, _, artifact = self._artifact(call)
        rows = self.store.tags_of([int(artifact["id"])])[int(artifact["id"])]
        rows = self._filter(rows, parse_q(call.query.get("q")), {
            "name": lambda t: t["name"], "id": lambda t: t["id"]})
        rows = sort_rows(rows, call.query.get("sort"), {
            "name": lambda t: t["name"], "push_time": lambda t: t["push_time"],
            "pull_time": lambda t: t["pull_time"], "id": lambda t: t["id"]})
        return self._page(call, rows, self._tag_json, paging)

    def create_tag(self, call: _Call) -> Response:
        """``POST .../artifacts/{ref}/tags`` ``{"name": "v2"}``: 201; 409 if it exists."""
        body = _json_body(call, "tag", required="tag.name")
        name = body.get("name")
        if not name:
            raise HarborError("UNPROCESSABLE_ENTITY",
                              "validation failure list:\ntag.name in body is required")
        if not isinstance(name, str) or not _TAG_NAME.match(name):
            raise HarborError("BAD_REQUEST", f"bad request: invalid tag name: {name}")
        _, repository, artifact = self._artifact(call, action="push")
        if self.store.tag(int(repository["id"]), name) is not None:
            raise HarborError("CONFLICT", f"tag {name} already exists under the repository "
                              f"{repository['id']}")
        status = self.proxy.put_manifest_copy(repository["name"], artifact["digest"], name)
        if status != 201:
            raise HarborError("UNKNOWN", "internal server error")
        try:
            self.store.add_tag(int(repository["id"]), int(artifact["id"]), name)
        except Conflict:
            raise HarborError("CONFLICT", f"tag {name} already exists under the repository "
                              f"{repository['id']}") from None
        return Response(status=201)

    def delete_tag(self, call: _Call) -> Response:
        """``DELETE .../artifacts/{ref}/tags/{tag}``: untag; the artifact stays."""
        _, repository, artifact = self._artifact(call, action="delete")
        name = call.params["tag_name"]
        tag = self.store.tag(int(repository["id"]), name)
        if tag is None or int(tag["artifact_id"]) != int(artifact["id"]):
            raise HarborError("NOT_FOUND",
                              f"tag {name} attached to artifact {artifact['id']} not found")
        self.store.delete_tag(int(tag["id"]))
        return Response(status=200)

    # -- robot accounts -------------------------------------------------------------------

    @staticmethod
    def _robot_json(row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": int(row["id"]),
            "name": row["name"],
            "description": row["description"],
            "level": row["level"],
            "duration": int(row["duration"]),
            "editable": True,
            "disable": bool(row["disabled"]),
            "expires_at": int(row["expires_at"]),
            "permissions": json.loads(row["permissions"]),
            "creator_type": "local",
            "creator_ref": int(row["creator_id"]),
            "creation_time": fmt_time(row["creation_time"]),
            "update_time": fmt_time(row["update_time"]),
        }

    def create_robot(self, call: _Call) -> Response:
        """``POST /robots``: a project (or system) robot; its secret is shown only here."""
        body = _json_body(call, "robot")
        self._require_authenticated(call)
        name = body.get("name")
        if not isinstance(name, str) or not _PROJECT_NAME.match(name):
            raise HarborError("BAD_REQUEST",
                              "robot name is not in lower case or contains illegal characters")
        duration = body.get("duration", -1)
        if not isinstance(duration, int) or duration == 0 or duration < -1:
            raise HarborError("BAD_REQUEST", "bad request: duration must be either "
                              "-1(Never) or a positive integer")
        permissions = body.get("permissions") or []
        if not isinstance(permissions, list) or not all(isinstance(p, dict)
                                                         for p in permissions):
            raise HarborError("BAD_REQUEST", "bad request: bad request permission")
        level = body.get("level")
        if level == "project":
            if len(permissions) != 1 or permissions[0].get("kind") != "project":
                raise HarborError("BAD_REQUEST", "bad request: bad request permission")
            namespace = str(permissions[0].get("namespace", ""))
            project = self._require_project(call, namespace)
            if not self.access.can_manage_project(call.caller, project):
                raise HarborError("FORBIDDEN", "forbidden")
            full_name = f"{ROBOT_PREFIX}{namespace}+{name}"
        elif level == "system":
            if not call.caller.sysadmin:
                raise HarborError("FORBIDDEN", call.caller.username or "forbidden")
            full_name = f"{ROBOT_PREFIX}{name}"
        else:
            raise HarborError("BAD_REQUEST", f"bad request: unknown level : {level}")
        secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(32))
        now = time.time()
        expires_at = -1 if duration == -1 else int(now + duration * 86400)
        assert call.caller.user is not None
        try:
            robot_id = self.store.create_robot(
                name=full_name, description=str(body.get("description") or ""), level=level,
                secret=secret, duration=duration, expires_at=expires_at,
                permissions=permissions, creator_id=int(call.caller.user["user_id"]))
        except Conflict:
            raise HarborError("CONFLICT",
                              f"robot account {full_name} already exists") from None
        row = self.store.robot_by_id(robot_id)
        assert row is not None
        return _json({"id": robot_id, "name": full_name, "secret": secret,
                      "creation_time": fmt_time(row["creation_time"]),
                      "expires_at": expires_at},
                     status=201, headers={"Location": f"{PREFIX}/robots/{robot_id}"})

    def _robot_for(self, call: _Call) -> dict[str, Any]:
        self._require_authenticated(call)
        raw = call.params["robot_id"]
        row = self.store.robot_by_id(int(raw)) if raw.isdigit() else None
        if row is not None:
            permissions = json.loads(row["permissions"])
            namespaces = [p.get("namespace") for p in permissions if isinstance(p, dict)]
            project = (self.store.project_by_name(str(namespaces[0]))
                       if row["level"] == "project" and namespaces else None)
            if call.caller.sysadmin or (project is not None
                                        and self.access.can_manage_project(call.caller,
                                                                           project)):
                return row
        if call.caller.sysadmin:
            raise HarborError("NOT_FOUND", f"robot {raw} not found")
        raise HarborError("FORBIDDEN", "forbidden")

    def get_robot(self, call: _Call) -> Response:
        """``GET /robots/{id}`` (without the secret)."""
        return _json(self._robot_json(self._robot_for(call)))

    def delete_robot(self, call: _Call) -> Response:
        """``DELETE /robots/{id}``: its credentials stop working at once."""
        self.store.delete_robot(int(self._robot_for(call)["id"]))
        return Response(status=200)

    # -- search ---------------------------------------------------------------------------

    def search(self, call: _Call) -> Response:
        """``GET /search?q=``: projects and repositories whose name contains ``q``."""
        q = call.query.get("q")
        if q is None:
            raise HarborError("UNPROCESSABLE_ENTITY",
                              "validation failure list:\nq in query is required")
        visible = self.access.visible_project_ids(call.caller)
        projects = [p for p in self.store.projects()
                    if int(p["project_id"]) in visible and q.lower() in p["name"].lower()]
        by_id = {int(p["project_id"]): p for p in self.store.projects()}
        repositories = []
        for row in self.store.repositories(visible):
            if q.lower() not in row["name"].lower():
                continue
            owner = by_id[int(row["project_id"])]
            repositories.append({
                "project_id": int(row["project_id"]),
                "project_name": owner["name"],
                "project_public": bool(owner["public"]),
                "repository_name": row["name"],
                "pull_count": int(row["pull_count"]),
                "artifact_count": int(row["artifact_count"]),
            })
        return _json({"project": [self._project_json(call, p) for p in projects],
                      "repository": repositories})


def _tags_match(condition: QueryFilter, tags: list[Mapping[str, Any]]) -> bool:
    """Harbor's artifact ``q=tags=...``: ``*`` any tag, ``nil`` none, ``~v`` fuzzy, ``v``."""
    names = [t["name"] for t in tags]
    if condition.kind == "exact" and condition.values[0] == "*":
        return bool(names)
    if condition.kind == "exact" and condition.values[0] == "nil":
        return not names
    return any(condition.matches(n) for n in names)
