"""Typed views of Harbor's JSON: projects, repositories, artifacts, tags, users, search hits.

Each model keeps the fields the course reads, typed (times as ``datetime``, Harbor's
string metadata as ``bool``), and the decoded JSON in ``raw`` for everything else.
Harbor writes "never" as the zero time ``0001-01-01T00:00:00.000Z``; it becomes None.
Lists Harbor sends as ``null`` become empty tuples. Secrets in answers (a robot's secret,
an OIDC user's CLI secret) are wrapped in :class:`~regkit.settings.Secret` and removed
from ``raw``.

Example:
    >>> p = Project.from_api({"project_id": 1, "name": "library", "metadata": {"public": "true"}})
    >>> p.name, p.public
    ('library', True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from regkit.settings import Secret

__all__ = [
    "Artifact",
    "Project",
    "Repository",
    "RepositoryRow",
    "RobotAccount",
    "SearchRepository",
    "SearchResult",
    "Tag",
    "User",
    "format_repository_table",
    "parse_time",
]

_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?")


def parse_time(value: str | None) -> datetime | None:
    """Parse a Harbor time (RFC 3339, any number of fraction digits) to an aware datetime.

    Args:
        value: ``2024-05-01T10:00:00.123Z``, ``2024-05-01T10:00:00+02:00``, None or "".

    Returns:
        The time (UTC when no offset is given), or None for None, "" and the zero time
        (year 1), which Harbor uses for "never" (an artifact never pulled).

    Raises:
        ValueError: for text that is not a time.

    Example:
        >>> parse_time("0001-01-01T00:00:00.000Z") is None
        True
        >>> parse_time("2024-05-01T10:00:00.123456789Z").microsecond
        123456
    """
    if not value:
        return None
    match = _TIME.fullmatch(value.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 time: {value!r}")
    day, clock, fraction, offset = match.groups()
    if day.startswith("0001-"):
        return None
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if offset in (None, "Z") else offset
    parsed = datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}")
    return parsed.astimezone(timezone.utc)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    return int(value) if value is not None else 0


@dataclass(frozen=True)
class Project:
    """A Harbor project.

    Attributes:
        project_id: Harbor's numeric id.
        name: the project name.
        public: True when anyone may pull without a login (``metadata.public == "true"``).
        owner_name: the creator's user name, if Harbor sent it.
        repo_count: repositories in the project.
        creation_time: when it was created.
        update_time: when it last changed.
        raw: the decoded JSON.

    Example:
        >>> Project.from_api({"project_id": 2, "name": "demo", "metadata": {"public": "false"}}).public
        False
    """

    project_id: int
    name: str
    public: bool
    owner_name: str | None = None
    repo_count: int = 0
    creation_time: datetime | None = None
    update_time: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Project:
        """Build from Harbor's ``Project`` JSON.

        Args:
            data: one element of ``GET /projects`` or the answer of ``GET /projects/{name}``.

        Returns:
            The project.

        Example:
            >>> Project.from_api({"project_id": 1, "name": "library"}).public
            False
        """
        metadata = data.get("metadata") or {}
        return cls(
            project_id=_int(data, "project_id"),
            name=str(data.get("name", "")),
            public=str(metadata.get("public", "false")).lower() == "true",
            owner_name=data.get("owner_name"),
            repo_count=_int(data, "repo_count"),
            creation_time=parse_time(data.get("creation_time")),
            update_time=parse_time(data.get("update_time")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Repository:
    """A repository, as Harbor's repository list shows it.

    Attributes:
        id: Harbor's numeric id.
        project_id: the project's id.
        name: the full name, with the project (``library/busybox``).
        artifact_count: artifacts (images, indexes...) in it.
        pull_count: pulls so far.
        creation_time: when the first artifact was pushed.
        update_time: when it last changed (the "Last Modified Time" column).
        raw: the decoded JSON.

    Example:
        >>> Repository.from_api({"id": 5, "name": "library/team/app"}).short_name
        'team/app'
    """

    id: int
    project_id: int
    name: str
    artifact_count: int = 0
    pull_count: int = 0
    creation_time: datetime | None = None
    update_time: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def short_name(self) -> str:
        """The name inside the project (what Harbor's paths want)."""
        return self.name.split("/", 1)[1] if "/" in self.name else self.name

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Repository:
        """Build from Harbor's ``Repository`` JSON.

        Args:
            data: one element of ``GET /projects/{p}/repositories``.

        Returns:
            The repository.

        Example:
            >>> Repository.from_api({"id": 1, "name": "library/busybox", "pull_count": 3}).pull_count
            3
        """
        return cls(
            id=_int(data, "id"),
            project_id=_int(data, "project_id"),
            name=str(data.get("name", "")),
            artifact_count=_int(data, "artifact_count"),
            pull_count=_int(data, "pull_count"),
            creation_time=parse_time(data.get("creation_time")),
            update_time=parse_time(data.get("update_time")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Tag:
    """A tag on an artifact.

    Attributes:
        id: Harbor's numeric id.
        name: the tag (``v1``).
        artifact_id: the artifact it points to.
        repository_id: its repository.
        push_time: when it was pushed or added.
        pull_time: the last pull through it, None if never.
        immutable: True if a tag immutability rule protects it.
        raw: the decoded JSON.

    Example:
        >>> Tag.from_api({"id": 6, "name": "latest", "pull_time": "0001-01-01T00:00:00.000Z"}).pull_time is None
        True
    """

    id: int
    name: str
    artifact_id: int = 0
    repository_id: int = 0
    push_time: datetime | None = None
    pull_time: datetime | None = None
    immutable: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Tag:
        """Build from Harbor's ``Tag`` JSON.

        Args:
            data: one element of a tag list, or of an artifact's ``tags``.

        Returns:
            The tag.

        Example:
            >>> Tag.from_api({"id": 1, "name": "v1"}).name
            'v1'
        """
        return cls(
            id=_int(data, "id"),
            name=str(data.get("name", "")),
            artifact_id=_int(data, "artifact_id"),
            repository_id=_int(data, "repository_id"),
            push_time=parse_time(data.get("push_time")),
            pull_time=parse_time(data.get("pull_time")),
            immutable=bool(data.get("immutable")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Artifact:
    """An artifact: one manifest (image) or index, with its tags.

    Attributes:
        id: Harbor's numeric id.
        digest: ``sha256:...``, the content address.
        type: ``IMAGE`` (indexes included), ``CHART``, ``SBOM``...
        media_type: the config media type.
        manifest_media_type: the manifest's media type.
        size: bytes, manifest plus layers.
        repository_name: the full repository name.
        push_time: when it was pushed.
        pull_time: the last pull, None if never.
        tags: its tags (empty when untagged, or when listed without tags).
        raw: the decoded JSON.

    Example:
        >>> a = Artifact.from_api({"id": 8, "digest": "sha256:ab", "tags": None})
        >>> a.tags, a.tag_names
        ((), ())
    """

    id: int
    digest: str
    type: str = ""
    media_type: str = ""
    manifest_media_type: str = ""
    size: int = 0
    repository_name: str = ""
    push_time: datetime | None = None
    pull_time: datetime | None = None
    tags: tuple[Tag, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def tag_names(self) -> tuple[str, ...]:
        """The tag names, in Harbor's order."""
        return tuple(t.name for t in self.tags)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Artifact:
        """Build from Harbor's ``Artifact`` JSON.

        Args:
            data: one element of an artifact list, or ``GET .../artifacts/{reference}``.

        Returns:
            The artifact.

        Example:
            >>> Artifact.from_api({"id": 1, "digest": "sha256:ab", "tags": [{"id": 2, "name": "v1"}]}).tag_names
            ('v1',)
        """
        return cls(
            id=_int(data, "id"),
            digest=str(data.get("digest", "")),
            type=str(data.get("type") or ""),
            media_type=str(data.get("media_type") or ""),
            manifest_media_type=str(data.get("manifest_media_type") or ""),
            size=_int(data, "size"),
            repository_name=str(data.get("repository_name") or ""),
            push_time=parse_time(data.get("push_time")),
            pull_time=parse_time(data.get("pull_time")),
            tags=tuple(Tag.from_api(t) for t in data.get("tags") or ()),
            raw=dict(data),
        )


@dataclass(frozen=True)
class User:
    """The account Harbor sees behind the credentials.

    Attributes:
        user_id: Harbor's numeric id.
        username: the login name.
        email: the e-mail address ("" if none).
        realname: the full name.
        sysadmin: True for a system administrator.
        cli_secret: an OIDC user's CLI secret (None otherwise); never shown.
        raw: the decoded JSON, without the CLI secret.

    Example:
        >>> User.from_api({"user_id": 1, "username": "admin", "sysadmin_flag": True}).sysadmin
        True
    """

    user_id: int
    username: str
    email: str = ""
    realname: str = ""
    sysadmin: bool = False
    cli_secret: Secret | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> User:
        """Build from Harbor's ``UserResp`` JSON.

        Args:
            data: the answer of ``GET /users/current``.

        Returns:
            The user.

        Example:
            >>> u = User.from_api({"user_id": 3, "username": "ann", "oidc_user_meta": {"secret": "s3"}})
            >>> "s3" in repr(u) or "s3" in repr(u.raw)
            False
        """
        raw = dict(data)
        secret = None
        oidc = raw.get("oidc_user_meta")
        if isinstance(oidc, Mapping) and oidc.get("secret"):
            secret = Secret(str(oidc["secret"]))
            raw["oidc_user_meta"] = {k: v for k, v in oidc.items() if k != "secret"}
        return cls(
            user_id=_int(data, "user_id"),
            username=str(data.get("username", "")),
            email=str(data.get("email") or ""),
            realname=str(data.get("realname") or ""),
            sysadmin=bool(data.get("sysadmin_flag")),
            cli_secret=secret,
            raw=raw,
        )


@dataclass(frozen=True)
class SearchRepository:
    """A repository found by :meth:`Harbor.search`.

    Attributes:
        project_name: its project.
        repository_name: the full name (``library/busybox``).
        project_public: whether its project is public.
        artifact_count: artifacts in it.
        pull_count: pulls so far.

    Example:
        >>> SearchRepository.from_api({"project_name": "library", "repository_name": "library/busybox"}).repository_name
        'library/busybox'
    """

    project_name: str
    repository_name: str
    project_public: bool = False
    artifact_count: int = 0
    pull_count: int = 0

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SearchRepository:
        """Build from Harbor's ``SearchRepository`` JSON.

        Args:
            data: one element of the search answer's ``repository`` list.

        Returns:
            The search hit.

        Example:
            >>> SearchRepository.from_api({"project_name": "p", "repository_name": "p/r", "pull_count": 2}).pull_count
            2
        """
        return cls(
            project_name=str(data.get("project_name", "")),
            repository_name=str(data.get("repository_name", "")),
            project_public=bool(data.get("project_public")),
            artifact_count=_int(data, "artifact_count"),
            pull_count=_int(data, "pull_count"),
        )


@dataclass(frozen=True)
class SearchResult:
    """What :meth:`Harbor.search` found.

    Attributes:
        projects: matching projects.
        repositories: matching repositories.

    Example:
        >>> SearchResult.from_api({"project": None, "repository": []}).projects
        ()
    """

    projects: tuple[Project, ...] = ()
    repositories: tuple[SearchRepository, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SearchResult:
        """Build from Harbor's ``Search`` JSON.

        Args:
            data: the answer of ``GET /search``.

        Returns:
            The result.

        Example:
            >>> len(SearchResult.from_api({"project": [{"project_id": 1, "name": "library"}]}).projects)
            1
        """
        return cls(
            projects=tuple(Project.from_api(p) for p in data.get("project") or ()),
            repositories=tuple(SearchRepository.from_api(r) for r in data.get("repository") or ()),
        )


@dataclass(frozen=True)
class RobotAccount:
    """A robot account just created; the secret is shown by Harbor this once.

    Attributes:
        id: Harbor's numeric id.
        name: the login name (``robot$demo+ci``: ``$`` must be quoted in a shell).
        secret: the password, wrapped so it is never printed; ``secret.reveal()`` to use it.
        expires_at: Unix time of expiry, -1 for never.
        creation_time: when it was created.

    Example:
        >>> r = RobotAccount.from_api({"id": 1, "name": "robot$demo+ci", "secret": "s3cr3t"})
        >>> "s3cr3t" in repr(r)
        False
    """

    id: int
    name: str
    secret: Secret = field(repr=False)
    expires_at: int = -1
    creation_time: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> RobotAccount:
        """Build from Harbor's ``RobotCreated`` JSON.

        Args:
            data: the answer of ``POST /robots``.

        Returns:
            The robot account.

        Example:
            >>> RobotAccount.from_api({"id": 1, "name": "robot$p+x", "secret": "s"}).name
            'robot$p+x'
        """
        expires = data.get("expires_at")
        return cls(
            id=_int(data, "id"),
            name=str(data.get("name", "")),
            secret=Secret(str(data.get("secret", ""))),
            expires_at=int(expires) if expires is not None else -1,
            creation_time=parse_time(data.get("creation_time")),
        )


@dataclass(frozen=True)
class RepositoryRow:
    """One row of Harbor's Repositories page.

    Attributes:
        name: the full repository name.
        artifacts: the Artifacts column.
        pulls: the Pulls column.
        last_modified: the Last Modified Time column (None if Harbor sent none).

    Example:
        >>> RepositoryRow("library/busybox", 1, 0, None).artifacts
        1
    """

    name: str
    artifacts: int
    pulls: int
    last_modified: datetime | None

    @classmethod
    def from_repository(cls, repository: Repository) -> RepositoryRow:
        """Take the row's columns from a repository of the list.

        Args:
            repository: a repository from :meth:`Harbor.repositories`.

        Returns:
            The row.

        Example:
            >>> RepositoryRow.from_repository(Repository(1, 1, "library/x", 2, 5)).pulls
            5
        """
        return cls(repository.name, repository.artifact_count, repository.pull_count,
                   repository.update_time)


def format_repository_table(rows: Iterable[RepositoryRow]) -> str:
    """Render rows as a plain-text table with Harbor's column names.

    Times are shown in UTC to the minute, so a stored notebook output does not depend on
    the reader's time zone.

    Args:
        rows: the rows, in the order to show them.

    Returns:
        The table; a header and a ``(no repositories)`` line when there are no rows.

    Example:
        >>> print(format_repository_table([RepositoryRow("library/busybox", 1, 0, None)]))
        Name             Artifacts  Pulls  Last Modified Time
        library/busybox          1      0  -
    """
    header = ("Name", "Artifacts", "Pulls", "Last Modified Time")
    body = [(r.name, str(r.artifacts), str(r.pulls),
             r.last_modified.strftime("%Y-%m-%d %H:%M UTC") if r.last_modified else "-")
            for r in rows]
    if not body:
        return "  ".join(header) + "\n(no repositories)"
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(4)]
    lines = []
    for line in [header, *body]:
        cells = [line[0].ljust(widths[0]), line[1].rjust(widths[1]), line[2].rjust(widths[2]),
                 line[3]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
