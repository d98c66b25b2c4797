"""Harbor API paths, name encoding and ``Link`` headers: pure functions, no network.

Kept apart from the transport so every rule Harbor imposes on a URL can be tested on its
own: repository names are encoded twice in paths, the project is not part of the
repository path parameter, references are tags or digests, and the ``Link`` header
Harbor writes is relative and joined with ``" , "``.

Example:
    >>> artifact_path("demo", "team/app", "v1")
    '/api/v2.0/projects/demo/repositories/team%252Fapp/artifacts/v1'
    >>> next_page('</api/v2.0/projects?page=2&page_size=100>; rel="next"')
    2
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

from regkit.errors import InvalidReference
from regkit.reference import validate_tag

__all__ = [
    "API_PREFIX",
    "MAX_PAGE_SIZE",
    "Link",
    "artifact_path",
    "artifacts_path",
    "decode_repository",
    "encode_project",
    "encode_repository",
    "link_page",
    "next_page",
    "parse_link_header",
    "project_path",
    "repositories_path",
    "repository_in_project",
    "tag_path",
    "tags_path",
    "validate_artifact_reference",
]

API_PREFIX = "/api/v2.0"
"""Harbor's API base path (the swagger ``basePath``)."""

MAX_PAGE_SIZE = 100
"""Harbor answers 422 to ``page_size`` above this (swagger ``maximum: 100``)."""

# The OCI digest grammar: algorithm:encoded, the encoded part at least 32 characters.
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}")
_LINK = re.compile(r'\s*<(?P<url>[^>]*)>\s*;\s*rel="?(?P<rel>[^";]+)"?\s*')


def encode_project(name: str) -> str:
    """Encode a project name for a path segment (sent with ``X-Is-Resource-Name: true``).

    Args:
        name: the project name as Harbor shows it (``demo``, or all-digit names like ``123``).

    Returns:
        The name percent-encoded once; valid project names come back unchanged.

    Raises:
        InvalidReference: if the name is empty.

    Example:
        >>> encode_project("123")
        '123'
    """
    if not name:
        raise InvalidReference("the project name is empty", hint="give a project name such as `library`")
    return quote(name, safe="")


def encode_repository(name: str) -> str:
    """Encode a repository name (without its project) for Harbor's path parameter.

    Harbor's router decodes the path once and its handler a second time, so the name is
    percent-encoded twice: ``a/b`` becomes ``a%2Fb`` then ``a%252Fb`` (swagger
    ``parameters.repositoryName``). ``unquote`` applied twice gives the name back.

    Args:
        name: the repository name inside its project (``app`` or ``team/app``).

    Returns:
        The doubly encoded path segment.

    Raises:
        InvalidReference: if the name is empty.

    Example:
        >>> encode_repository("a/b")
        'a%252Fb'
        >>> encode_repository("busybox")
        'busybox'
    """
    if not name:
        raise InvalidReference("the repository name is empty", hint="give a repository name such as `busybox`")
    return quote(quote(name, safe=""), safe="")


def repository_in_project(project: str, repository: str) -> str:
    """Return the repository name inside ``project``, dropping a leading ``project/``.

    Harbor's responses name repositories with their project (``library/busybox``) while
    its paths want the name without it (``busybox``); this accepts either, so a name read
    from a listing can be passed straight back.

    Edge case: a repository whose own name starts with the project's name (``demo/demo/x``
    in project ``demo``) must be given in full, since ``demo/x`` is read as ``x``.

    Args:
        project: the project name.
        repository: ``busybox``, ``team/app``, ``library/busybox`` (with the project).

    Returns:
        The repository name without the project prefix.

    Raises:
        InvalidReference: if nothing is left once the prefix is removed.

    Example:
        >>> repository_in_project("library", "library/busybox")
        'busybox'
        >>> repository_in_project("library", "team/app")
        'team/app'
    """
    prefix = f"{project}/"
    name = repository[len(prefix):] if repository.startswith(prefix) else repository
    if not name:
        raise InvalidReference(
            f"the repository name {repository!r} has nothing after the project {project!r}",
            hint="give the repository name, e.g. `busybox` or `library/busybox`",
        )
    return name


def validate_artifact_reference(reference: str) -> str:
    """Check that ``reference`` is a tag or a digest, the two forms Harbor's paths accept.

    Args:
        reference: ``v1``, ``latest`` or ``sha256:<64 hex>``.

    Returns:
        The reference, unchanged.

    Raises:
        InvalidReference: naming the rule the reference breaks (a reference with ``:`` is
            read as a digest, any other as a tag).

    Example:
        >>> validate_artifact_reference("v1")
        'v1'
    """
    if ":" not in reference:
        return validate_tag(reference)
    if _DIGEST.fullmatch(reference):
        return reference
    raise InvalidReference(
        f"{reference!r} is neither a tag nor a digest",
        hint="a tag has no ':'; a digest looks like sha256:<64 lowercase hex digits>",
    )


def project_path(project: str) -> str:
    """Path of one project.

    Args:
        project: the project name.

    Returns:
        ``/api/v2.0/projects/<project>``.

    Example:
        >>> project_path("demo")
        '/api/v2.0/projects/demo'
    """
    return f"{API_PREFIX}/projects/{encode_project(project)}"


def repositories_path(project: str | None = None) -> str:
    """Path of the repository list of one project, or of all repositories.

    Args:
        project: the project name; None for ``/repositories`` (every visible project).

    Returns:
        The list path.

    Example:
        >>> repositories_path("demo")
        '/api/v2.0/projects/demo/repositories'
        >>> repositories_path()
        '/api/v2.0/repositories'
    """
    if project is None:
        return f"{API_PREFIX}/repositories"
    return f"{project_path(project)}/repositories"


def artifacts_path(project: str, repository: str) -> str:
    """Path of the artifact list of a repository.

    Args:
        project: the project name.
        repository: the repository name, with or without the ``project/`` prefix.

    Returns:
        The list path, with the repository name encoded twice.

    Example:
        >>> artifacts_path("demo", "demo/a/b")
        '/api/v2.0/projects/demo/repositories/a%252Fb/artifacts'
    """
    name = encode_repository(repository_in_project(project, repository))
    return f"{repositories_path(project)}/{name}/artifacts"


def artifact_path(project: str, repository: str, reference: str) -> str:
    """Path of one artifact, by tag or digest.

    Args:
        project: the project name.
        repository: the repository name, with or without the ``project/`` prefix.
        reference: a tag or a ``sha256:`` digest.

    Returns:
        The artifact path.

    Raises:
        InvalidReference: if ``reference`` is neither a tag nor a digest.

    Example:
        >>> artifact_path("library", "busybox", "sha256:" + "0" * 64)[-20:]
        '00000000000000000000'
    """
    ref = validate_artifact_reference(reference)
    return f"{artifacts_path(project, repository)}/{quote(ref, safe=':')}"


def tags_path(project: str, repository: str, reference: str) -> str:
    """Path of the tag list of one artifact.

    Args:
        project: the project name.
        repository: the repository name, with or without the ``project/`` prefix.
        reference: the artifact's tag or digest.

    Returns:
        The tag list path.

    Raises:
        InvalidReference: if ``reference`` is neither a tag nor a digest.

    Example:
        >>> tags_path("library", "busybox", "latest")
        '/api/v2.0/projects/library/repositories/busybox/artifacts/latest/tags'
    """
    return f"{artifact_path(project, repository, reference)}/tags"


def tag_path(project: str, repository: str, reference: str, tag: str) -> str:
    """Path of one tag of an artifact.

    Args:
        project: the project name.
        repository: the repository name, with or without the ``project/`` prefix.
        reference: the artifact's tag or digest.
        tag: the tag name.

    Returns:
        The tag path.

    Raises:
        InvalidReference: if ``reference`` or ``tag`` breaks its grammar.

    Example:
        >>> tag_path("library", "busybox", "latest", "v1")
        '/api/v2.0/projects/library/repositories/busybox/artifacts/latest/tags/v1'
    """
    return f"{tags_path(project, repository, reference)}/{validate_tag(tag)}"


@dataclass(frozen=True)
class Link:
    """One entry of a ``Link`` header.

    Attributes:
        url: the target as sent (Harbor sends a path relative to the host).
        rel: the relation, ``next`` or ``prev``.

    Example:
        >>> Link("/api/v2.0/projects?page=2", "next").rel
        'next'
    """

    url: str
    rel: str


def parse_link_header(value: str | None) -> dict[str, Link]:
    """Parse a ``Link`` header into its entries, keyed by relation.

    Accepts Harbor's form (``<url>; rel="prev" , <url>; rel="next"``: relative URLs, entries
    joined with ``" , "``) as well as RFC 8288's plain ``,`` separator. Commas inside
    ``<...>`` are kept, since Harbor writes the query unescaped. Entries without a ``rel``
    are ignored; when a relation repeats, the first one wins.

    Args:
        value: the header value, or None when the response had no ``Link``.

    Returns:
        ``{"next": Link(...), "prev": Link(...)}``; empty when the header is absent or blank.

    Example:
        >>> sorted(parse_link_header('</a?page=1>; rel="prev" , </a?page=3>; rel="next"'))
        ['next', 'prev']
        >>> parse_link_header(None)
        {}
    """
    links: dict[str, Link] = {}
    if not value:
        return links
    for part in _split_links(value):
        match = _LINK.fullmatch(part)
        if match:
            for rel in match["rel"].split():
                links.setdefault(rel, Link(match["url"], rel))
    return links


def _split_links(value: str) -> list[str]:
    # Split on commas outside <...>: a URL may itself contain commas (q=a,b).
    parts, depth, start = [], 0, 0
    for i, char in enumerate(value):
        if char == "<":
            depth += 1
        elif char == ">":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return [p for p in parts if p.strip()]


def link_page(link: Link) -> tuple[int, int | None] | None:
    """Read the page number (and page size) a pagination link points to.

    Args:
        link: a ``next`` or ``prev`` link.

    Returns:
        ``(page, page_size)`` (``page_size`` None if the link has none), or None if the
        link carries no usable ``page`` parameter.

    Example:
        >>> link_page(Link("/api/v2.0/projects?page=3&page_size=100", "next"))
        (3, 100)
    """
    query = parse_qs(urlsplit(link.url).query)
    try:
        page = int(query["page"][0])
    except (KeyError, ValueError):
        return None
    try:
        size: int | None = int(query["page_size"][0])
    except (KeyError, ValueError):
        size = None
    return page, size


def next_page(link_header: str | None) -> int | None:
    """The page number of the ``rel="next"`` link, or None when there is no next page.

    Args:
        link_header: the ``Link`` header value, or None.

    Returns:
        The next page number, or None.

    Example:
        >>> next_page('</api/v2.0/projects?page=1&page_size=10>; rel="prev"') is None
        True
    """
    link = parse_link_header(link_header).get("next")
    if link is None:
        return None
    found = link_page(link)
    return found[0] if found else None


def decode_repository(segment: str) -> str:
    """Undo :func:`encode_repository` (used by tests and by servers reading the path).

    Args:
        segment: the path segment as sent.

    Returns:
        The repository name.

    Example:
        >>> decode_repository("a%252Fb")
        'a/b'
    """
    return unquote(unquote(segment))
