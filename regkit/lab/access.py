"""Who is calling, and what they may do: Harbor's security context and RBAC, in small.

Harbor tries, in order, a registry bearer token (on ``/v2/`` only), HTTP basic
credentials, then falls back to anonymous. **Wrong basic credentials are not an error**:
the caller is simply anonymous, which is why ``docker login`` with a wrong password fails
only at the token service, and why an API call with a wrong password still lists public
projects.

Permissions on a project's repositories follow Harbor's roles: project admin and
maintainer may pull, push and delete; developer pull and push; guest and limited guest
pull. Anyone, even anonymous, may pull from a public project; a system administrator may
do everything. A robot account (``robot$project+name``, basic credentials) has exactly the
permissions it was created with. A bearer token carries its own permissions, per project,
as the token service granted them.

Example:
    >>> from regkit.lab.store import Store
    >>> access = Access(Store(":memory:"))
    >>> access.anonymous().authenticated
    False
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import time
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

from regkit.lab.store import (
    ROLE_DEVELOPER,
    ROLE_GUEST,
    ROLE_LIMITED_GUEST,
    ROLE_MAINTAINER,
    ROLE_PROJECT_ADMIN,
    Store,
    verify_password,
)

__all__ = ["ALL_ACTIONS", "ROBOT_PREFIX", "Access", "Caller", "robot_actions"]

# Harbor's default ROBOT_NAME_PREFIX.
ROBOT_PREFIX = "robot$"

ALL_ACTIONS = frozenset({"pull", "push", "delete"})
_ROLE_ACTIONS: dict[int, frozenset[str]] = {
    ROLE_PROJECT_ADMIN: ALL_ACTIONS,
    ROLE_MAINTAINER: ALL_ACTIONS,
    ROLE_DEVELOPER: frozenset({"pull", "push"}),
    ROLE_GUEST: frozenset({"pull"}),
    ROLE_LIMITED_GUEST: frozenset({"pull"}),
}
_CACHE_SIZE = 256


class Caller(NamedTuple):
    """The security context of one request.

    Attributes:
        user: the user row when known (basic credentials, or a token's subject); for a
            robot, a user-like mapping (``user_id`` 0, ``username`` ``robot$...``, and
            its ``permissions``).
        via: ``"basic"``, ``"robot"``, ``"bearer"`` or ``"anonymous"``.
        sent_credentials: True when the request carried an ``Authorization`` header, even
            a wrong one (Harbor then answers with a Basic challenge).
        token_access: for bearer tokens, the granted actions per project name.

    Example:
        >>> Caller(user={"username": "ann", "sysadmin": 0}, via="basic").username
        'ann'
    """

    user: Mapping[str, Any] | None
    via: str
    sent_credentials: bool = False
    token_access: Mapping[str, frozenset[str]] = MappingProxyType({})

    @property
    def authenticated(self) -> bool:
        """True for a known user (a token with an empty subject is anonymous)."""
        return self.user is not None

    @property
    def username(self) -> str:
        """The user name, ``""`` when anonymous."""
        return str(self.user["username"]) if self.user is not None else ""

    @property
    def sysadmin(self) -> bool:
        """True for a system administrator signed in with basic credentials.

        As in Harbor, a registry token never makes its holder an administrator.
        """
        return self.via == "basic" and self.user is not None and bool(self.user["sysadmin"])


class Access:
    """Authentication (basic, bearer) and authorisation against the lab's store.

    Args:
        store: the lab's database.
        issuer: the token issuer used to check bearer tokens (None: tokens are ignored).

    Edge cases:
        Successful password checks are remembered in memory (keyed by an HMAC of the
        password under a per-process random key, and by the stored hash, so a password
        change invalidates them); scrypt would otherwise cost every API call ~50 ms.
    """

    def __init__(self, store: Store, issuer: Any | None = None) -> None:
        self.store = store
        self.issuer = issuer
        self._cache_key = os.urandom(32)
        self._verified: dict[tuple[str, str, bytes], int] = {}

    @staticmethod
    def anonymous(sent_credentials: bool = False) -> Caller:
        """The anonymous caller."""
        return Caller(user=None, via="anonymous", sent_credentials=sent_credentials)

    def _password_ok(self, username: str, stored: str, password: str) -> bool:
        mac = hmac.new(self._cache_key, password.encode(), hashlib.sha256).digest()
        key = (username, stored, mac)
        if key in self._verified:
            return True
        if not verify_password(password, stored):
            return False
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[key] = 1
        return True

    def check_basic(self, username: str, password: str) -> Mapping[str, Any] | None:
        """The user row if the credentials are right, else None."""
        user = self.store.user_by_name(username)
        if user is None or not self._password_ok(username, str(user["password_hash"]),
                                                 password):
            return None
        return user

    def robot(self, name: str, secret: str | None = None) -> Mapping[str, Any] | None:
        """A usable robot as a user-like mapping (secret checked unless None), else None.

        Disabled and expired robots are refused, as in Harbor.
        """
        row = self.store.robot_by_name(name)
        if row is None or row["disabled"]:
            return None
        if row["expires_at"] != -1 and row["expires_at"] < time.time():
            return None
        if secret is not None and not self._password_ok(name, str(row["secret_hash"]), secret):
            return None
        return {"user_id": 0, "username": row["name"], "sysadmin": 0, "robot_id": row["id"],
                "permissions": json.loads(row["permissions"])}

    def resolve(self, authorization: str | None, *, bearer: bool) -> Caller:
        """Turn an ``Authorization`` header into a :class:`Caller`.

        Args:
            authorization: the header value, or None.
            bearer: accept registry bearer tokens (only on ``/v2/``, as in Harbor).

        Returns:
            The caller; anonymous when the header is missing, malformed or wrong.
        """
        if not authorization:
            return self.anonymous()
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return self.anonymous(sent_credentials=True)
            username, sep, password = decoded.partition(":")
            if sep and username.startswith(ROBOT_PREFIX):
                robot = self.robot(username, password)
                if robot is None:
                    return self.anonymous(sent_credentials=True)
                return Caller(user=robot, via="robot", sent_credentials=True)
            user = self.check_basic(username, password) if sep else None
            if user is None:
                return self.anonymous(sent_credentials=True)
            return Caller(user=user, via="basic", sent_credentials=True)
        if scheme == "bearer" and bearer and self.issuer is not None:
            return self._from_token(value.strip())
        return self.anonymous(sent_credentials=True)

    def _from_token(self, token: str) -> Caller:
        claims = self.issuer.verify(token) if self.issuer is not None else None
        if claims is None:
            return self.anonymous(sent_credentials=True)
        granted: dict[str, frozenset[str]] = {}
        for entry in claims.get("access") or []:
            if not isinstance(entry, dict) or entry.get("type") != "repository":
                continue
            project_name = str(entry.get("name", "")).split("/")[0]
            project = self.store.project_by_name(project_name)
            # A token older than its project was granted for an earlier project of that
            # name (deleted and created again): it grants nothing here.
            if project is None or int(project["creation_time"]) > int(claims.get("iat", 0)):
                continue
            actions = set(entry.get("actions") or [])
            if "*" in actions:
                actions |= ALL_ACTIONS
            granted[project_name] = frozenset(actions & ALL_ACTIONS)
        subject = str(claims.get("sub") or "")
        if subject.startswith(ROBOT_PREFIX):
            user = self.robot(subject)
        else:
            user = self.store.user_by_name(subject) if subject else None
        if subject and user is None:
            return self.anonymous(sent_credentials=True)
        return Caller(user=user, via="bearer", sent_credentials=True, token_access=granted)

    # -- authorisation --------------------------------------------------------------------

    def roles(self, caller: Caller, project: Mapping[str, Any]) -> list[int]:
        """The caller's role ids in the project (empty for anonymous and non-members)."""
        if caller.user is None or caller.via != "basic":
            return []
        return self.store.roles(int(project["project_id"]), int(caller.user["user_id"]))

    def repository_actions(self, caller: Caller, project: Mapping[str, Any]) -> frozenset[str]:
        """What the caller may do with the project's repositories: pull, push, delete."""
        if caller.via == "bearer":
            return caller.token_access.get(str(project["name"]), frozenset())
        if caller.sysadmin:
            return ALL_ACTIONS
        actions: set[str] = set()
        if project["public"]:
            actions.add("pull")
        if caller.via == "robot" and caller.user is not None:
            actions |= robot_actions(caller.user["permissions"], str(project["name"]))
        for role in self.roles(caller, project):
            actions |= _ROLE_ACTIONS.get(role, frozenset())
        return frozenset(actions)

    def can_read_project(self, caller: Caller, project: Mapping[str, Any]) -> bool:
        """True if the caller may see the project (public, member, or administrator)."""
        if caller.sysadmin or project["public"]:
            return True
        if caller.via == "robot" and caller.user is not None:
            return _robot_covers(caller.user["permissions"], str(project["name"]))
        return bool(self.roles(caller, project))

    def can_manage_project(self, caller: Caller, project: Mapping[str, Any]) -> bool:
        """True for the project's admins and system administrators (delete, members)."""
        return caller.sysadmin or ROLE_PROJECT_ADMIN in self.roles(caller, project)

    def visible_project_ids(self, caller: Caller) -> set[int]:
        """Ids of every project the caller may see."""
        projects = self.store.projects()
        if caller.sysadmin:
            return {int(p["project_id"]) for p in projects}
        member_of = (self.store.member_project_ids(int(caller.user["user_id"]))
                     if caller.user is not None and caller.via == "basic" else set())
        permissions = caller.user["permissions"] if caller.via == "robot" and caller.user \
            else []
        return {int(p["project_id"]) for p in projects
                if p["public"] or int(p["project_id"]) in member_of
                or _robot_covers(permissions, str(p["name"]))}


def _robot_covers(permissions: Any, project_name: str) -> bool:
    return any(isinstance(p, Mapping) and p.get("kind") == "project"
               and p.get("namespace") in (project_name, "*") for p in permissions or [])


def robot_actions(permissions: Any, project_name: str) -> frozenset[str]:
    """What a robot's permissions allow on a project's repositories.

    Args:
        permissions: the robot's ``[{"kind": "project", "namespace", "access": [...]}]``;
            namespace ``*`` covers every project (system robots).
        project_name: the project.

    Returns:
        A subset of pull, push, delete (``repository`` pull/push, ``artifact`` or
        ``repository`` delete, ``*``).

    Example:
        >>> sorted(robot_actions([{"kind": "project", "namespace": "demo", "access": [
        ...     {"resource": "repository", "action": "pull"}]}], "demo"))
        ['pull']
    """
    actions: set[str] = set()
    for permission in permissions or []:
        if not _robot_covers([permission], project_name):
            continue
        for access in permission.get("access") or []:
            resource, action = access.get("resource"), access.get("action")
            if action == "*" and resource in ("repository", "*"):
                actions |= ALL_ACTIONS
            elif resource == "repository" and action in ("pull", "push", "delete"):
                actions.add(action)
            elif resource == "artifact" and action == "delete":
                actions.add("delete")
    return frozenset(actions)
