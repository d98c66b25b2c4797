"""The lab's own records in SQLite: what Harbor keeps in its database.

The registry holds the image content (blobs and manifests by digest). Like Harbor, the
lab keeps in SQLite everything Harbor adds on top: users (scrypt password hashes), projects
and their members, repositories, artifacts (digest, sizes, image attributes, push and pull
times, pull counts) and tags. Tags are answered from here, as Harbor does, because the
distribution registry cannot remove a tag without removing the manifest.

The database runs in WAL mode with ``synchronous=NORMAL``: a killed lab loses no committed
transaction. One connection is used from the lab's event loop thread only.

Times are stored as Unix seconds (float); 0 means "never" and is shown as Harbor's zero
time ``0001-01-01T00:00:00.000Z``.

Example:
    >>> store = Store(":memory:")
    >>> store.project_by_name("library")["project_id"]
    1
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

__all__ = [
    "ROLE_DEVELOPER",
    "ROLE_GUEST",
    "ROLE_LIMITED_GUEST",
    "ROLE_MAINTAINER",
    "ROLE_PROJECT_ADMIN",
    "Conflict",
    "Store",
    "hash_password",
    "verify_password",
]

# Harbor's role ids (src/common/const.go).
ROLE_PROJECT_ADMIN = 1
ROLE_DEVELOPER = 2
ROLE_GUEST = 3
ROLE_MAINTAINER = 4
ROLE_LIMITED_GUEST = 5

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    realname TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    sysadmin INTEGER NOT NULL DEFAULT 0,
    creation_time REAL NOT NULL,
    update_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS projects (
    project_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    owner_id INTEGER NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    creation_time REAL NOT NULL,
    update_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    project_id INTEGER NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    role INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE TABLE IF NOT EXISTS repositories (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(project_id) ON DELETE CASCADE,
    name TEXT NOT NULL UNIQUE,
    pull_count INTEGER NOT NULL DEFAULT 0,
    creation_time REAL NOT NULL,
    update_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS artifacts (
    id INTEGER PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    type TEXT NOT NULL,
    media_type TEXT NOT NULL,
    manifest_media_type TEXT NOT NULL,
    artifact_type TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL,
    extra_attrs TEXT NOT NULL DEFAULT '{}',
    annotations TEXT NOT NULL DEFAULT '{}',
    refs TEXT NOT NULL DEFAULT '[]',
    push_time REAL NOT NULL,
    pull_time REAL NOT NULL DEFAULT 0,
    UNIQUE (repository_id, digest)
);
CREATE TABLE IF NOT EXISTS robots (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    duration INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    permissions TEXT NOT NULL DEFAULT '[]',
    creator_id INTEGER NOT NULL,
    creation_time REAL NOT NULL,
    update_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    push_time REAL NOT NULL,
    pull_time REAL NOT NULL DEFAULT 0,
    UNIQUE (repository_id, name)
);
"""


class Conflict(Exception):
    """A unique record (project name, tag name) already exists."""


def hash_password(password: str) -> str:
    """Hash a password with scrypt and a random salt.

    Args:
        password: the clear-text password.

    Returns:
        ``scrypt$n$r$p$salt$hash`` (base64 parts), safe to store.

    Example:
        >>> verify_password("s3cret", hash_password("s3cret"))
        True
    """
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    parts = [str(_SCRYPT["n"]), str(_SCRYPT["r"]), str(_SCRYPT["p"]),
             base64.b64encode(salt).decode(), base64.b64encode(digest).decode()]
    return "scrypt$" + "$".join(parts)


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a hash made by :func:`hash_password` (constant time).

    Args:
        password: what the caller sent.
        stored: the stored hash.

    Returns:
        True when they match; False for a wrong password or a malformed hash.

    Example:
        >>> verify_password("wrong", hash_password("right"))
        False
    """
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


class Store:
    """The lab's SQLite database.

    Args:
        path: the database file (``:memory:`` for a throw-away store).

    Edge cases:
        On first open it creates the schema and Harbor's defaults: user ``admin`` (id 1,
        system administrator, password set by :meth:`ensure_user`) and the public project
        ``library`` (id 1) owned by admin.

    Example:
        >>> store = Store(":memory:")
        >>> store.ensure_user("admin", "Harbor12345", sysadmin=True)["sysadmin"]
        1
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if str(path) != ":memory:" and not os.path.exists(path):
            # It holds password hashes: readable by its owner only, from the start.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=5000")
        with self.db:
            self.db.executescript(_SCHEMA)
        self._seed()

    def check(self) -> None:
        """Run a trivial query (the health check).

        Raises:
            sqlite3.Error: the database cannot be read.
        """
        self._one("SELECT 1")

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self.db.close()

    def _one(self, sql: str, args: Iterable[Any] = ()) -> dict[str, Any] | None:
        with self._lock:
            return _row(self.db.execute(sql, tuple(args)).fetchone())

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.db.execute(sql, tuple(args)).fetchall()]

    def _write(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._transaction():
            return self.db.execute(sql, tuple(args))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` .. ``COMMIT`` (``ROLLBACK`` on any error), one thread at a time.

        The lab serves each connection in its own thread over this one connection; SQLite
        refuses a transaction inside another, so they take turns.
        """
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _seed(self) -> None:
        now = time.time()
        if self._one("SELECT 1 FROM users WHERE user_id = 1") is None:
            # A placeholder hash no password matches, until ensure_user sets the real one.
            self._write(
                "INSERT INTO users (user_id, username, password_hash, realname, comment, "
                "sysadmin, creation_time, update_time) VALUES (1, 'admin', '!', "
                "'system admin', 'admin user', 1, ?, ?)", (now, now))
        if self._one("SELECT 1 FROM projects WHERE project_id = 1") is None:
            self._write(
                "INSERT INTO projects (project_id, name, owner_id, public, creation_time, "
                "update_time) VALUES (1, 'library', 1, 1, ?, ?)", (now, now))
            self._write("INSERT INTO members (project_id, user_id, role) VALUES (1, 1, ?)",
                        (ROLE_PROJECT_ADMIN,))

    # -- users ----------------------------------------------------------------------------

    def user_by_name(self, username: str) -> dict[str, Any] | None:
        """The user row for ``username``, or None."""
        return self._one("SELECT * FROM users WHERE username = ?", (username,))

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        """The user row for ``user_id``, or None."""
        return self._one("SELECT * FROM users WHERE user_id = ?", (user_id,))

    def ensure_user(self, username: str, password: str | None, *, sysadmin: bool = False,
                    realname: str = "") -> dict[str, Any]:
        """Create ``username`` or update its password.

        Args:
            username: the login name.
            password: the password to set; None keeps an existing user's password (a new
                user needs one).
            sysadmin: whether a new user is a system administrator.
            realname: shown as ``realname`` by ``/users/current``.

        Returns:
            The user row.

        Raises:
            ValueError: a new user without a password.
        """
        now = time.time()
        existing = self.user_by_name(username)
        if existing is None:
            if password is None:
                raise ValueError(f"user {username!r} needs a password")
            self._write(
                "INSERT INTO users (username, password_hash, realname, sysadmin, "
                "creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?)",
                (username, hash_password(password), realname, int(sysadmin), now, now))
        elif password is not None and (existing["password_hash"] == "!"
                                       or not verify_password(password,
                                                              existing["password_hash"])):
            self._write("UPDATE users SET password_hash = ?, update_time = ? WHERE username = ?",
                        (hash_password(password), now, username))
        user = self.user_by_name(username)
        assert user is not None
        return user

    def create_user(self, username: str, password: str, *, email: str, realname: str,
                    comment: str = "") -> int:
        """Create an ordinary (not administrator) user, as Harbor's ``POST /users`` does.

        Args:
            username: the login name (unique).
            password: the clear-text password (stored as a scrypt hash).
            email: the email address (unique, as in Harbor's ``harbor_user`` table).
            realname: the full name.
            comment: free text.

        Returns:
            The new user id.

        Raises:
            Conflict: the username or the email is taken; its argument names the column
                (``"username"`` or ``"email"``).
        """
        now = time.time()
        with self._transaction():
            # The users table predates the email rule, so uniqueness is checked here, in
            # the same transaction as the insert.
            for column, value in (("username", username), ("email", email)):
                if self.db.execute(f"SELECT 1 FROM users WHERE {column} = ?",
                                   (value,)).fetchone() is not None:
                    raise Conflict(column)
            cursor = self.db.execute(
                "INSERT INTO users (username, password_hash, email, realname, comment, "
                "sysadmin, creation_time, update_time) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (username, hash_password(password), email, realname, comment, now, now))
        return int(cursor.lastrowid or 0)

    def search_users(self, text: str) -> list[dict[str, Any]]:
        """Users whose name contains ``text`` (any case), oldest first, without user id 1.

        Harbor's user lists leave out the built-in admin (``user_id`` 1).
        """
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return self._all("SELECT user_id, username FROM users WHERE user_id > 1 AND "
                         "username LIKE ? ESCAPE '\\' ORDER BY user_id", (pattern,))

    def check_password(self, username: str, password: str) -> dict[str, Any] | None:
        """The user row if ``password`` is right for ``username``, else None."""
        user = self.user_by_name(username)
        if user is None or not verify_password(password, user["password_hash"]):
            return None
        return user

    # -- projects -------------------------------------------------------------------------

    def project_by_name(self, name: str) -> dict[str, Any] | None:
        """The project row named ``name``, or None."""
        return self._one("SELECT * FROM projects WHERE name = ?", (name,))

    def project_by_id(self, project_id: int) -> dict[str, Any] | None:
        """The project row with ``project_id``, or None."""
        return self._one("SELECT * FROM projects WHERE project_id = ?", (project_id,))

    def projects(self) -> list[dict[str, Any]]:
        """Every project, by name (Harbor's default order)."""
        return self._all("SELECT * FROM projects ORDER BY name")

    def create_project(self, name: str, owner_id: int, public: bool) -> int:
        """Create a project; its owner becomes its project admin, as in Harbor.

        Returns:
            The new project id.

        Raises:
            Conflict: a project with that name exists.
        """
        now = time.time()
        with self._transaction():
            try:
                cursor = self.db.execute(
                    "INSERT INTO projects (name, owner_id, public, creation_time, update_time) "
                    "VALUES (?, ?, ?, ?, ?)", (name, owner_id, int(public), now, now))
            except sqlite3.IntegrityError as err:
                raise Conflict(name) from err
            project_id = int(cursor.lastrowid or 0)
            self.db.execute("INSERT INTO members (project_id, user_id, role) VALUES (?, ?, ?)",
                            (project_id, owner_id, ROLE_PROJECT_ADMIN))
        return project_id

    def delete_project(self, project_id: int) -> None:
        """Delete a project and its members (callers check it holds no repository)."""
        self._write("DELETE FROM projects WHERE project_id = ?", (project_id,))

    def members(self, project_id: int) -> list[dict[str, Any]]:
        """The project's members: ``id`` (member id), ``user_id``, ``username``, ``role``."""
        return self._all(
            "SELECT m.rowid AS id, m.project_id, m.user_id, u.username, m.role FROM members m "
            "JOIN users u ON u.user_id = m.user_id WHERE m.project_id = ? ORDER BY m.rowid",
            (project_id,))

    def add_member(self, project_id: int, user_id: int, role: int) -> int:
        """Make ``user_id`` a member with ``role``.

        Returns:
            The member id.

        Raises:
            Conflict: the user already is a member.
        """
        try:
            cursor = self._write(
                "INSERT INTO members (project_id, user_id, role) VALUES (?, ?, ?)",
                (project_id, user_id, role))
        except sqlite3.IntegrityError as err:
            raise Conflict(str(user_id)) from err
        return int(cursor.lastrowid or 0)

    def update_member(self, member_id: int, role: int) -> None:
        """Change a member's role."""
        self._write("UPDATE members SET role = ? WHERE rowid = ?", (role, member_id))

    def delete_member(self, member_id: int) -> None:
        """Remove a membership."""
        self._write("DELETE FROM members WHERE rowid = ?", (member_id,))

    def roles(self, project_id: int, user_id: int) -> list[int]:
        """The role ids ``user_id`` holds in the project (empty for a non-member)."""
        return [r["role"] for r in self._all(
            "SELECT role FROM members WHERE project_id = ? AND user_id = ?",
            (project_id, user_id))]

    def member_project_ids(self, user_id: int) -> set[int]:
        """Ids of the projects ``user_id`` is a member of."""
        return {r["project_id"] for r in self._all(
            "SELECT project_id FROM members WHERE user_id = ?", (user_id,))}

    def repo_count(self, project_id: int) -> int:
        """How many repositories the project holds."""
        row = self._one("SELECT COUNT(*) AS n FROM repositories WHERE project_id = ?",
                        (project_id,))
        return int(row["n"]) if row else 0

    # -- repositories ---------------------------------------------------------------------

    def repository_by_name(self, name: str) -> dict[str, Any] | None:
        """The repository row named ``name`` (``project/rest``), or None."""
        return self._one("SELECT * FROM repositories WHERE name = ?", (name,))

    def repositories(self, project_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Repositories (of the given projects, or all), newest first, with counts.

        Each row carries ``artifact_count`` besides its columns.
        """
        sql = ("SELECT r.*, (SELECT COUNT(*) FROM artifacts a WHERE a.repository_id = r.id) "
               "AS artifact_count FROM repositories r")
        args: list[Any] = []
        if project_ids is not None:
            ids = list(project_ids)
            if not ids:
                return []
            sql += f" WHERE r.project_id IN ({','.join('?' * len(ids))})"
            args = ids
        return self._all(sql + " ORDER BY r.creation_time DESC, r.id DESC", args)

    def delete_repository(self, repository_id: int) -> None:
        """Delete a repository with its artifacts and tags."""
        self._write("DELETE FROM repositories WHERE id = ?", (repository_id,))

    def count_pull(self, repository_id: int, artifact_id: int | None,
                   tag_id: int | None) -> None:
        """Record one pull: repository pull count, artifact and tag pull times."""
        now = time.time()
        with self._transaction():
            self.db.execute("UPDATE repositories SET pull_count = pull_count + 1 WHERE id = ?",
                            (repository_id,))
            if artifact_id is not None:
                self.db.execute("UPDATE artifacts SET pull_time = ? WHERE id = ?",
                                (now, artifact_id))
            if tag_id is not None:
                self.db.execute("UPDATE tags SET pull_time = ? WHERE id = ?", (now, tag_id))

    # -- artifacts and tags ---------------------------------------------------------------

    def record_push(self, *, project_id: int, repository: str, digest: str, kind: str,
                    media_type: str, manifest_media_type: str, artifact_type: str, size: int,
                    extra_attrs: dict[str, Any], annotations: dict[str, str],
                    references: list[dict[str, Any]], tag: str | None) -> int:
        """Record a manifest pushed to the registry (and the tag it was pushed under).

        The repository is created on its first push. Pushing the same digest again only
        refreshes its push time; a tag pushed again moves to the new artifact, leaving the
        old one untagged, as in Harbor.

        Returns:
            The artifact id.
        """
        now = time.time()
        with self._transaction():
            self.db.execute(
                "INSERT INTO repositories (project_id, name, creation_time, update_time) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET update_time = ?",
                (project_id, repository, now, now, now))
            repo_id = self.db.execute("SELECT id FROM repositories WHERE name = ?",
                                      (repository,)).fetchone()["id"]
            self.db.execute(
                "INSERT INTO artifacts (repository_id, digest, type, media_type, "
                "manifest_media_type, artifact_type, size, extra_attrs, annotations, refs, "
                "push_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (repository_id, digest) DO UPDATE SET push_time = excluded.push_time",
                (repo_id, digest, kind, media_type, manifest_media_type, artifact_type, size,
                 json.dumps(extra_attrs), json.dumps(annotations), json.dumps(references), now))
            artifact_id = self.db.execute(
                "SELECT id FROM artifacts WHERE repository_id = ? AND digest = ?",
                (repo_id, digest)).fetchone()["id"]
            if tag is not None:
                self.db.execute(
                    "INSERT INTO tags (repository_id, artifact_id, name, push_time) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (repository_id, name) DO UPDATE SET "
                    "artifact_id = excluded.artifact_id, push_time = excluded.push_time",
                    (repo_id, artifact_id, tag, now))
        return int(artifact_id)

    def artifact_by_digest(self, repository_id: int, digest: str) -> dict[str, Any] | None:
        """The artifact row with ``digest`` in the repository, or None."""
        return self._one("SELECT * FROM artifacts WHERE repository_id = ? AND digest = ?",
                         (repository_id, digest))

    def tag(self, repository_id: int, name: str) -> dict[str, Any] | None:
        """The tag row ``name`` in the repository (with its artifact's digest), or None."""
        return self._one(
            "SELECT t.*, a.digest FROM tags t JOIN artifacts a ON a.id = t.artifact_id "
            "WHERE t.repository_id = ? AND t.name = ?", (repository_id, name))

    def artifacts(self, repository_id: int) -> list[dict[str, Any]]:
        """The repository's artifacts, newest push first (Harbor's default order)."""
        return self._all("SELECT * FROM artifacts WHERE repository_id = ? "
                         "ORDER BY push_time DESC, id DESC", (repository_id,))

    def tags_of(self, artifact_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """Tags per artifact id, newest push first."""
        ids = list(artifact_ids)
        result: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if not ids:
            return result
        rows = self._all(
            f"SELECT * FROM tags WHERE artifact_id IN ({','.join('?' * len(ids))}) "
            "ORDER BY push_time DESC, id DESC", ids)
        for row in rows:
            result[row["artifact_id"]].append(row)
        return result

    def repository_tags(self, repository_id: int) -> list[str]:
        """Every tag name in the repository, sorted as the registry API lists them."""
        return sorted(r["name"] for r in self._all(
            "SELECT name FROM tags WHERE repository_id = ?", (repository_id,)))

    def add_tag(self, repository_id: int, artifact_id: int, name: str) -> int:
        """Attach a new tag to an artifact.

        Returns:
            The tag id.

        Raises:
            Conflict: the repository already has a tag with that name.
        """
        try:
            cursor = self._write(
                "INSERT INTO tags (repository_id, artifact_id, name, push_time) "
                "VALUES (?, ?, ?, ?)", (repository_id, artifact_id, name, time.time()))
        except sqlite3.IntegrityError as err:
            raise Conflict(name) from err
        return int(cursor.lastrowid or 0)

    def delete_tag(self, tag_id: int) -> None:
        """Remove one tag (the artifact stays)."""
        self._write("DELETE FROM tags WHERE id = ?", (tag_id,))

    def delete_artifact(self, artifact_id: int) -> None:
        """Remove an artifact and all its tags."""
        self._write("DELETE FROM artifacts WHERE id = ?", (artifact_id,))

    # -- robot accounts -------------------------------------------------------------------

    def create_robot(self, *, name: str, description: str, level: str, secret: str,
                     duration: int, expires_at: int, permissions: list[dict[str, Any]],
                     creator_id: int) -> int:
        """Create a robot account (``name`` is the full ``robot$...`` name).

        Returns:
            The robot id.

        Raises:
            Conflict: a robot with that name exists.
        """
        now = time.time()
        try:
            cursor = self._write(
                "INSERT INTO robots (name, description, level, secret_hash, duration, "
                "expires_at, permissions, creator_id, creation_time, update_time) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, description, level, hash_password(secret), duration, expires_at,
                 json.dumps(permissions), creator_id, now, now))
        except sqlite3.IntegrityError as err:
            raise Conflict(name) from err
        return int(cursor.lastrowid or 0)

    def robot_by_name(self, name: str) -> dict[str, Any] | None:
        """The robot row with the full name ``robot$...``, or None."""
        return self._one("SELECT * FROM robots WHERE name = ?", (name,))

    def robot_by_id(self, robot_id: int) -> dict[str, Any] | None:
        """The robot row with ``robot_id``, or None."""
        return self._one("SELECT * FROM robots WHERE id = ?", (robot_id,))

    def delete_robot(self, robot_id: int) -> None:
        """Delete a robot account."""
        self._write("DELETE FROM robots WHERE id = ?", (robot_id,))

    # -- reset ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every repository, artifact, robot and project except ``library``.

        Users are kept, and so are ``library``'s memberships; other projects' go with them.
        """
        with self._transaction():
            self.db.execute("DELETE FROM repositories")
            self.db.execute("DELETE FROM projects WHERE project_id != 1")
            self.db.execute("DELETE FROM robots")
