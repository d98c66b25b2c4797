"""The raw Harbor API v2.0 layer: one method per endpoint the course uses, JSON in, JSON out.

Method names follow the swagger ``operationId`` in snake case (``listProjects`` is
:meth:`HarborAPI.list_projects`). List methods return a :class:`Page` (items plus
``X-Total-Count`` and the ``Link`` header's next page); :meth:`HarborAPI.pages` and
:meth:`HarborAPI.iterate` walk every page with ``page_size=100``, Harbor's maximum.
Endpoints whose answer is only a status and headers return the ``requests.Response``.
Every error answer is raised as a regkit error (see :mod:`regkit.harbor.failures`).

Example:
    >>> from regkit.settings import RegistrySettings
    >>> api = HarborAPI(RegistrySettings("http://127.0.0.1:8080", username="admin",
    ...                                  password="Harbor12345"))
    >>> api
    HarborAPI(url='http://127.0.0.1:8080', username='admin')
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from regkit.harbor import urls
from regkit.harbor.failures import error_from_answer
from regkit.harbor.transport import (
    DEFAULT_TIMEOUT,
    ResponseHook,
    build_session,
    network_error,
    redirect_error,
    scheme_mismatch_in_answer,
)

if TYPE_CHECKING:
    from regkit.settings import RegistrySettings

__all__ = ["HarborAPI", "Page"]

log = logging.getLogger("regkit.harbor")

_DEFAULT_PAGE_SIZE = 10  # Harbor's own default when page_size is omitted


@dataclass(frozen=True)
class Page:
    """One page of a Harbor list.

    Attributes:
        items: the decoded JSON array (an empty list when Harbor sent ``null``).
        page: the page number asked for (1-based).
        page_size: the page size asked for.
        total: ``X-Total-Count``, the size of the whole list, or None if absent.
        next_page: the page number in the ``rel="next"`` link, or None on the last page.
        response: the HTTP answer, for its other headers.

    Example:
        >>> Page([], 1, 100, 0, None, requests.Response()).next_page is None
        True
    """

    items: list[Any]
    page: int
    page_size: int
    total: int | None
    next_page: int | None
    response: requests.Response = field(repr=False, compare=False)


class HarborAPI:
    """Harbor's REST API, one method per endpoint, on a cookie-free ``requests`` session.

    Args:
        settings: the registry URL, credentials (anonymous when ``username`` is None) and
            TLS verification (True, False or a CA bundle path).
        timeout: seconds to wait for a connection or for the next bytes of an answer.
        session: a ``requests.Session`` to use, configured in place (cookies refused).
        hooks: response hooks, each called with every answer the client reads.

    Raises:
        Every method raises ``RegistryUnreachable``, ``CertificateError`` or
        ``InsecureRegistryError`` when no answer comes, and the error mapped from Harbor's
        ``{"errors": [...]}`` body otherwise (``AuthenticationError`` on 401, ...).

    Edge cases:
        The environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE`` ...) is read
        at the first request, not at every one as plain ``requests`` does: a variable
        changed later needs a new client. Changing the session's ``verify``, ``proxies``,
        ``cert`` or ``trust_env`` takes effect at the next request.

    Example:
        >>> from regkit.settings import RegistrySettings
        >>> HarborAPI(RegistrySettings("https://harbor.example.com")).base_url
        'https://harbor.example.com'
    """

    def __init__(
        self,
        settings: RegistrySettings,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        hooks: Iterable[ResponseHook] = (),
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.session = build_session(settings, session=session, hooks=hooks)
        self._send_cache: tuple[tuple[Any, ...], dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"HarborAPI(url={self.base_url!r}, username={self.settings.username!r})"

    @property
    def base_url(self) -> str:
        """``scheme://host[:port]`` of Harbor, without a trailing slash."""
        return self.settings.base_url.rstrip("/")

    # -- transport -------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        project: str | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> requests.Response:
        """Send one request and return the answer if its status is in ``ok``.

        The escape hatch for endpoints without a method here. Query values that are None
        are left out; booleans are sent as ``true``/``false``.

        Args:
            method: ``GET``, ``HEAD``, ``POST``, ``PUT`` or ``DELETE``.
            path: the path from the host on (``/api/v2.0/...``), already encoded.
            params: query parameters.
            json: a JSON body.
            headers: extra headers.
            project: the project the path names, so a 404 becomes ``ProjectNotFound``.
            ok: the statuses that count as success.

        Returns:
            The answer.

        Raises:
            RegkitError: the mapped error for any other status, a redirect, or no answer.

        Example:
            >>> from regkit.settings import RegistrySettings
            >>> api = HarborAPI(RegistrySettings("http://127.0.0.1:9"), timeout=2)
            >>> try:
            ...     api.request("GET", "/api/v2.0/ping")
            ... except Exception as err:
            ...     type(err).__name__
            'RegistryUnreachable'
        """
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        prepared = self.session.prepare_request(
            requests.Request(method, self.base_url + path, params=query, json=json,
                             headers=dict(headers or {})))
        operation = f"{method} {prepared.path_url}"
        try:
            response = self.session.send(prepared, timeout=self.timeout, allow_redirects=False,
                                         **self._send_options())
        except (requests.RequestException, OSError) as exc:
            raise network_error(exc, base_url=self.base_url, operation=operation,
                                timeout=self.timeout) from None
        log.debug("%s -> %s (X-Request-Id %s)", operation, response.status_code,
                  response.headers.get("X-Request-Id"))
        if response.status_code in ok:
            return response
        if 300 <= response.status_code < 400:
            raise redirect_error(response, base_url=self.base_url, operation=operation)
        if response.status_code == 400:
            mismatch = scheme_mismatch_in_answer(response, base_url=self.base_url,
                                                 operation=operation)
            if mismatch is not None:
                raise mismatch
        raise error_from_answer(
            response.status_code, response.content, operation=operation,
            request_id=response.headers.get("X-Request-Id"), project=project,
            username=self.settings.username if self.session.auth else None,
        )

    def _send_options(self) -> dict[str, Any]:
        """Proxies, verify and cert for ``session.send``, from the session and environment.

        ``requests`` reads the proxy variables again for every request, scanning the whole
        environment twice (a quarter of a small request's time); the answer depends only
        on the host, so it is kept until a session setting it depends on changes.
        """
        session = self.session
        key = (session.trust_env, repr(session.verify), repr(session.proxies), repr(session.cert))
        if self._send_cache is None or self._send_cache[0] != key:
            # Passing verify explicitly keeps a CA bundle from the settings ahead of
            # REQUESTS_CA_BUNDLE (requests lets the environment win over session.verify).
            options = session.merge_environment_settings(self.base_url + "/", {}, None,
                                                         session.verify, None)
            self._send_cache = (key, options)
        options = self._send_cache[1]
        return {**options, "proxies": dict(options["proxies"] or {})}

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return self.request(method, path, **kw).json()

    def _page(self, path: str, params: dict[str, Any], *, project: str | None = None,
              headers: Mapping[str, str] | None = None) -> Page:
        response = self.request("GET", path, params=params, project=project, headers=headers)
        body = response.json()
        total = response.headers.get("X-Total-Count")
        return Page(
            items=list(body or []),
            page=params.get("page") or 1,
            page_size=params.get("page_size") or _DEFAULT_PAGE_SIZE,
            total=int(total) if total is not None and total.strip().isdigit() else None,
            next_page=urls.next_page(response.headers.get("Link")),
            response=response,
        )

    # -- pagination ------------------------------------------------------------------

    def pages(self, list_method: Callable[..., Page], *args: Any,
              page_size: int = urls.MAX_PAGE_SIZE, **params: Any) -> Iterator[Page]:
        """Walk every page of a list, asking for as few pages as Harbor allows.

        Follows the page number of each ``rel="next"`` link, re-sending this call's own
        parameters: Harbor writes the link's query unescaped, so a ``q`` holding ``&``,
        ``+`` or ``%`` would not survive being sent back as is. Stops when a page has no
        next link, except when ``X-Total-Count`` says items remain (a proxy may strip
        ``Link``); then the following page number is asked for. A link back to a page
        already read ends the walk.

        Args:
            list_method: a list method of this class (``api.list_projects``).
            *args: its positional arguments (project, repository, ...).
            page_size: items per page, at most 100 (Harbor answers 422 above that).
            **params: its keyword arguments (``q=``, ``sort=``...).

        Yields:
            Each page, in order.

        Raises:
            ValueError: if ``page_size`` is not between 1 and 100.

        Example:
            >>> from regkit.settings import RegistrySettings
            >>> api = HarborAPI(RegistrySettings("http://127.0.0.1:8080"))
            >>> iterator = api.pages(api.list_projects, page_size=100)  # nothing sent yet
        """
        if not 1 <= page_size <= urls.MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {urls.MAX_PAGE_SIZE}, not {page_size}")
        page, read, listed = 1, set(), 0
        while True:
            result = list_method(*args, page=page, page_size=page_size, **params)
            read.add(page)
            listed += len(result.items)
            yield result
            following = result.next_page
            if (following is None and result.items and result.total is not None
                    and page * page_size < result.total):
                following = page + 1
            if following is None or following in read:
                if result.total is not None and listed != result.total:
                    log.warning("listed %d items but X-Total-Count said %d: the list changed "
                                "while it was read", listed, result.total)
                return
            page = following

    def iterate(self, list_method: Callable[..., Page], *args: Any,
                page_size: int = urls.MAX_PAGE_SIZE, **params: Any) -> Iterator[Any]:
        """Like :meth:`pages`, but yield the items one by one.

        Args:
            list_method: a list method of this class.
            *args: its positional arguments.
            page_size: items per page, at most 100.
            **params: its keyword arguments.

        Yields:
            Each item (a decoded JSON object).

        Example:
            >>> from regkit.settings import RegistrySettings
            >>> api = HarborAPI(RegistrySettings("http://127.0.0.1:8080"))
            >>> names = (p["name"] for p in api.iterate(api.list_projects))  # lazy
        """
        for page in self.pages(list_method, *args, page_size=page_size, **params):
            yield from page.items

    # -- system ----------------------------------------------------------------------

    def get_ping(self) -> str:
        """``GET /ping`` (``getPing``): the API process answers ``Pong``; no auth needed.

        Returns:
            The body text.

        Example:
            >>> api.get_ping()  # doctest: +SKIP
            'Pong'
        """
        return self.request("GET", f"{urls.API_PREFIX}/ping").text

    def get_health(self) -> dict[str, Any]:
        """``GET /health`` (``getHealth``): each component's status.

        Edge case: Harbor answers 200 even when a component is unhealthy; read ``status``.

        Returns:
            ``{"status": "healthy", "components": [{"name", "status", "error"?}]}``.

        Example:
            >>> api.get_health()["status"]  # doctest: +SKIP
            'healthy'
        """
        return self._json("GET", f"{urls.API_PREFIX}/health")

    def get_system_info(self) -> dict[str, Any]:
        """``GET /systeminfo`` (``getSystemInfo``).

        Edge case: anonymous callers get only ``auth_mode``, ``primary_auth_mode``,
        ``self_registration``, ``banner_message`` and ``oidc_provider_name``;
        ``harbor_version``, ``external_url`` and ``has_ca_root`` need a login.

        Returns:
            The general information object.

        Example:
            >>> api.get_system_info()["auth_mode"]  # doctest: +SKIP
            'db_auth'
        """
        return self._json("GET", f"{urls.API_PREFIX}/systeminfo")

    def get_cert(self) -> bytes:
        """``GET /systeminfo/getcert`` (``getCert``): Harbor's CA certificate (PEM).

        Returns:
            The certificate bytes.

        Raises:
            NotFoundError: when Harbor has no CA file (it is served over plain HTTP or
                with a certificate from a public CA).

        Example:
            >>> api.get_cert().startswith(b"-----BEGIN CERTIFICATE-----")  # doctest: +SKIP
            True
        """
        return self.request("GET", f"{urls.API_PREFIX}/systeminfo/getcert").content

    # -- projects --------------------------------------------------------------------

    def list_projects(self, *, q: str | None = None, sort: str | None = None,
                      name: str | None = None, public: bool | None = None,
                      owner: str | None = None, with_detail: bool | None = None,
                      page: int | None = None, page_size: int | None = None) -> Page:
        """``GET /projects`` (``listProjects``): one page of the visible projects.

        Edge case: anonymous callers, and callers whose password Harbor refused, see only
        public projects (a wrong password is not an error here).

        Args:
            q: Harbor's query (``name=~demo``).
            sort: sort keys (``name``, ``-creation_time``).
            name: fuzzy name filter.
            public: only public (True) or private (False) projects.
            owner: only projects owned by this user.
            with_detail: include details (Harbor's default: true).
            page: page number (default 1).
            page_size: page size (default 10, at most 100).

        Returns:
            The page.

        Example:
            >>> api.list_projects(page_size=100).total  # doctest: +SKIP
            1
        """
        return self._page(f"{urls.API_PREFIX}/projects", dict(
            q=q, sort=sort, name=name, public=public, owner=owner, with_detail=with_detail,
            page=page, page_size=page_size))

    def get_project(self, project_name_or_id: str | int) -> dict[str, Any]:
        """``GET /projects/{project_name_or_id}`` (``getProject``).

        A ``str`` is sent with ``X-Is-Resource-Name: true``, so a project named ``123`` is
        found by name; an ``int`` is an id.

        Edge case: Harbor checks permissions before existence, so a missing project gives
        401 (anonymous) or 403 (non-admin) rather than 404.

        Args:
            project_name_or_id: the project name, or its numeric id as an int.

        Returns:
            The project.

        Raises:
            ProjectNotFound: on 404.

        Example:
            >>> api.get_project("library")["metadata"]["public"]  # doctest: +SKIP
            'true'
        """
        if isinstance(project_name_or_id, int):
            return self._json("GET", f"{urls.API_PREFIX}/projects/{project_name_or_id}",
                              project=str(project_name_or_id))
        return self._json("GET", urls.project_path(project_name_or_id),
                          headers=_BY_NAME, project=project_name_or_id)

    def head_project(self, project_name: str) -> bool:
        """``HEAD /projects?project_name=`` (``headProject``): does the project exist?

        Args:
            project_name: the exact name.

        Returns:
            True on 200, False on 404.

        Raises:
            AuthenticationError: for anonymous callers (Harbor requires a login here).

        Example:
            >>> api.head_project("library")  # doctest: +SKIP
            True
        """
        response = self.request("HEAD", f"{urls.API_PREFIX}/projects",
                                params={"project_name": project_name}, ok=(200, 404))
        return response.status_code == 200

    def create_project(self, project_name: str, *, public: bool = False,
                       metadata: Mapping[str, str] | None = None,
                       storage_limit: int | None = None) -> requests.Response:
        """``POST /projects`` (``createProject``).

        ``metadata`` values are strings, as Harbor stores them (``"public": "true"``).

        Args:
            project_name: lowercase letters, digits and single ``. _ -`` separators.
            public: whether anyone may pull from it without a login.
            metadata: more metadata (``auto_scan``...); ``public`` is set from ``public``.
            storage_limit: quota in bytes; -1 for none; Harbor's default when None.

        Returns:
            The 201 answer (``Location: /api/v2.0/projects/<id>``, empty body).

        Raises:
            RegistryError: 409 if it exists, 400 for an invalid name.
            PushDenied: 403 when only admins may create projects.

        Example:
            >>> api.create_project("demo").status_code  # doctest: +SKIP
            201
        """
        body: dict[str, Any] = {"project_name": project_name,
                                "metadata": {**(metadata or {}), "public": _query_value(public)}}
        if storage_limit is not None:
            body["storage_limit"] = storage_limit
        return self.request("POST", f"{urls.API_PREFIX}/projects", json=body, ok=(201,))

    # -- repositories and artifacts ---------------------------------------------------

    def list_repositories(self, project_name: str, *, q: str | None = None,
                          sort: str | None = None, page: int | None = None,
                          page_size: int | None = None) -> Page:
        """``GET /projects/{project_name}/repositories`` (``listRepositories``).

        Each repository carries ``artifact_count``, ``pull_count`` and ``update_time``,
        so a Repositories table needs no per-repository request.

        Args:
            project_name: the project.
            q: Harbor's query (``name=~app``).
            sort: sort keys.
            page: page number (default 1).
            page_size: page size (default 10, at most 100).

        Returns:
            The page; names include the project (``library/busybox``).

        Raises:
            ProjectNotFound: if the project does not exist (admins; others get 403).

        Example:
            >>> [r["name"] for r in api.list_repositories("library").items]  # doctest: +SKIP
            ['library/busybox']
        """
        return self._page(urls.repositories_path(project_name),
                          dict(q=q, sort=sort, page=page, page_size=page_size),
                          project=project_name)

    def list_all_repositories(self, *, q: str | None = None, sort: str | None = None,
                              page: int | None = None, page_size: int | None = None) -> Page:
        """``GET /repositories`` (``listAllRepositories``): repositories of every visible project.

        Args:
            q: Harbor's query.
            sort: sort keys.
            page: page number (default 1).
            page_size: page size (default 10, at most 100).

        Returns:
            The page.

        Example:
            >>> api.list_all_repositories(page_size=100).total  # doctest: +SKIP
            3
        """
        return self._page(urls.repositories_path(),
                          dict(q=q, sort=sort, page=page, page_size=page_size))

    def list_artifacts(self, project_name: str, repository_name: str, *, q: str | None = None,
                       sort: str | None = None, with_tag: bool | None = None,
                       with_label: bool | None = None, with_scan_overview: bool | None = None,
                       with_immutable_status: bool | None = None,
                       with_accessory: bool | None = None, page: int | None = None,
                       page_size: int | None = None) -> Page:
        """``GET .../repositories/{repository_name}/artifacts`` (``listArtifacts``).

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``; encoded twice.
            q: ``tags=*`` (tagged), ``tags=nil`` (untagged), ``tags=~v`` (fuzzy), ``tags=v``.
            sort: sort keys (``-push_time``).
            with_tag: include tags (Harbor's default: true).
            with_label: include labels.
            with_scan_overview: include scan summaries (slow on big repositories).
            with_immutable_status: mark immutable tags.
            with_accessory: include signatures and SBOMs.
            page: page number (default 1).
            page_size: page size (default 10, at most 100).

        Returns:
            The page.

        Raises:
            NotFoundError: if the repository does not exist.

        Example:
            >>> api.list_artifacts("library", "busybox").items[0]["digest"][:7]  # doctest: +SKIP
            'sha256:'
        """
        return self._page(urls.artifacts_path(project_name, repository_name), dict(
            q=q, sort=sort, with_tag=with_tag, with_label=with_label,
            with_scan_overview=with_scan_overview, with_immutable_status=with_immutable_status,
            with_accessory=with_accessory, page=page, page_size=page_size))

    def get_artifact(self, project_name: str, repository_name: str, reference: str, *,
                     with_tag: bool | None = None) -> dict[str, Any]:
        """``GET .../artifacts/{reference}`` (``getArtifact``).

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``.
            reference: a tag or a ``sha256:`` digest.
            with_tag: include tags (Harbor's default: true).

        Returns:
            The artifact.

        Raises:
            InvalidReference: if ``reference`` is neither a tag nor a digest.
            NotFoundError: if there is no such artifact.

        Example:
            >>> api.get_artifact("library", "busybox", "latest")["type"]  # doctest: +SKIP
            'IMAGE'
        """
        return self._json("GET", urls.artifact_path(project_name, repository_name, reference),
                          params={"with_tag": with_tag})

    def delete_artifact(self, project_name: str, repository_name: str,
                        reference: str) -> requests.Response:
        """``DELETE .../artifacts/{reference}`` (``deleteArtifact``).

        Edge case: deleting by tag deletes the whole artifact, **with all its other tags**;
        to remove one tag only, use :meth:`delete_tag`.

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``.
            reference: a tag or a digest.

        Returns:
            The 200 answer.

        Raises:
            NotFoundError: if there is no such artifact.
            RegistryError: 412 if a tag is immutable.

        Example:
            >>> api.delete_artifact("demo", "app", "v1").status_code  # doctest: +SKIP
            200
        """
        return self.request("DELETE", urls.artifact_path(project_name, repository_name, reference))

    # -- tags ------------------------------------------------------------------------

    def list_tags(self, project_name: str, repository_name: str, reference: str, *,
                  q: str | None = None, sort: str | None = None, page: int | None = None,
                  page_size: int | None = None) -> Page:
        """``GET .../artifacts/{reference}/tags`` (``listTags``): the tags of one artifact.

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``.
            reference: the artifact's tag or digest.
            q: Harbor's query (``name=~v``).
            sort: sort keys.
            page: page number (default 1).
            page_size: page size (default 10, at most 100).

        Returns:
            The page.

        Example:
            >>> [t["name"] for t in api.list_tags("library", "busybox", "latest").items]  # doctest: +SKIP
            ['latest']
        """
        return self._page(urls.tags_path(project_name, repository_name, reference),
                          dict(q=q, sort=sort, page=page, page_size=page_size))

    def create_tag(self, project_name: str, repository_name: str, reference: str,
                   name: str) -> requests.Response:
        """``POST .../artifacts/{reference}/tags`` (``createTag``): add a tag to an artifact.

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``.
            reference: the artifact's existing tag or digest.
            name: the new tag.

        Returns:
            The 201 answer.

        Raises:
            RegistryError: 409 if the tag exists in the repository, 400 for a bad name.

        Example:
            >>> api.create_tag("library", "busybox", "latest", "v1").status_code  # doctest: +SKIP
            201
        """
        return self.request("POST", urls.tags_path(project_name, repository_name, reference),
                            json={"name": name}, ok=(201,))

    def delete_tag(self, project_name: str, repository_name: str, reference: str,
                   tag_name: str) -> requests.Response:
        """``DELETE .../artifacts/{reference}/tags/{tag_name}`` (``deleteTag``).

        Only the tag goes; the artifact and its other tags stay.

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``.
            reference: the artifact's tag or digest (the tag itself works).
            tag_name: the tag to remove.

        Returns:
            The 200 answer.

        Raises:
            NotFoundError: if there is no such tag.

        Example:
            >>> api.delete_tag("library", "busybox", "v1", "v1").status_code  # doctest: +SKIP
            200
        """
        return self.request("DELETE", urls.tag_path(project_name, repository_name, reference,
                                                     tag_name))

    # -- users, search, robots -------------------------------------------------------

    def get_current_user_info(self) -> dict[str, Any]:
        """``GET /users/current`` (``getCurrentUserInfo``): who Harbor thinks is calling.

        The one reliable credentials check: elsewhere Harbor treats a wrong password as an
        anonymous call.

        Returns:
            The user (``username``, ``sysadmin_flag``...).

        Raises:
            AuthenticationError: 401 when anonymous or the credentials were refused.

        Example:
            >>> api.get_current_user_info()["username"]  # doctest: +SKIP
            'admin'
        """
        return self._json("GET", f"{urls.API_PREFIX}/users/current")

    def search(self, q: str) -> dict[str, Any]:
        """``GET /search?q=`` (``search``): projects and repositories matching ``q``.

        Args:
            q: the text to look for in names (required; Harbor answers 422 without it).

        Returns:
            ``{"project": [...], "repository": [...]}``; not paginated.

        Example:
            >>> api.search("busy")["repository"][0]["repository_name"]  # doctest: +SKIP
            'library/busybox'
        """
        return self._json("GET", f"{urls.API_PREFIX}/search", params={"q": q})

    def create_robot(self, robot: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /robots`` (``CreateRobot``).

        Edge case: the answer holds the robot's secret, shown by Harbor this once; keep
        the returned dict out of logs and outputs (:meth:`Harbor.create_robot` wraps it).

        Args:
            robot: ``{name, description, duration, level, disable, permissions}``.

        Returns:
            ``{id, name: "robot$<project>+<name>", secret, creation_time, expires_at}``.

        Example:
            >>> api.create_robot({"name": "ci", "level": "project", "duration": -1,
            ...     "permissions": []})["name"]  # doctest: +SKIP
            'robot$demo+ci'
        """
        return self._json("POST", f"{urls.API_PREFIX}/robots", json=dict(robot), ok=(201,))

    def get_robot(self, robot_id: int) -> dict[str, Any]:
        """``GET /robots/{robot_id}`` (``GetRobotByID``), without the secret.

        Args:
            robot_id: the id ``POST /robots`` returned.

        Returns:
            The robot (``name``, ``level``, ``permissions``, ``disable``...).

        Raises:
            NotFoundError: no such robot (system admins; others get 403).

        Example:
            >>> api.get_robot(3)["name"]  # doctest: +SKIP
            'robot$demo+ci'
        """
        return self._json("GET", f"{urls.API_PREFIX}/robots/{int(robot_id)}")

    def delete_robot(self, robot_id: int) -> requests.Response:
        """``DELETE /robots/{robot_id}`` (``DeleteRobot``): its secret stops working at once.

        Args:
            robot_id: the robot's id.

        Returns:
            The 200 answer.

        Raises:
            NotFoundError: no such robot (system admins; others get 403).

        Example:
            >>> api.delete_robot(3).status_code  # doctest: +SKIP
            200
        """
        return self.request("DELETE", f"{urls.API_PREFIX}/robots/{int(robot_id)}")

    # -- repositories and projects: removal ---------------------------------------------

    def get_repository(self, project_name: str, repository_name: str) -> dict[str, Any]:
        """``GET /projects/{p}/repositories/{r}`` (``getRepository``).

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``; encoded twice.

        Returns:
            The repository (``name`` with the project, ``artifact_count``...).

        Raises:
            NotFoundError: no such repository.

        Example:
            >>> api.get_repository("library", "busybox")["name"]  # doctest: +SKIP
            'library/busybox'
        """
        return self._json("GET", _repository_path(project_name, repository_name))

    def delete_repository(self, project_name: str, repository_name: str) -> requests.Response:
        """``DELETE /projects/{p}/repositories/{r}`` (``deleteRepository``).

        Edge case: every artifact of the repository goes, with all its tags.

        Args:
            project_name: the project.
            repository_name: the repository, with or without ``project/``; encoded twice.

        Returns:
            The 200 answer.

        Raises:
            NotFoundError: no such repository.
            PushDenied: no role that allows deleting there.

        Example:
            >>> api.delete_repository("demo", "app").status_code  # doctest: +SKIP
            200
        """
        return self.request("DELETE", _repository_path(project_name, repository_name))

    def delete_project(self, project_name_or_id: str | int) -> requests.Response:
        """``DELETE /projects/{project_name_or_id}`` (``deleteProject``).

        A ``str`` is sent with ``X-Is-Resource-Name: true``; an ``int`` is an id.

        Args:
            project_name_or_id: the project name, or its id as an int.

        Returns:
            The 200 answer.

        Raises:
            RegistryError: 412 while the project still holds repositories.
            ProjectNotFound: no such project.

        Example:
            >>> api.delete_project("demo").status_code  # doctest: +SKIP
            200
        """
        if isinstance(project_name_or_id, int):
            return self.request("DELETE", f"{urls.API_PREFIX}/projects/{project_name_or_id}",
                                project=str(project_name_or_id))
        return self.request("DELETE", urls.project_path(project_name_or_id), headers=_BY_NAME,
                            project=project_name_or_id)

    # -- users and members -------------------------------------------------------------

    def create_user(self, user: Mapping[str, Any]) -> requests.Response:
        """``POST /users`` (``createUser``): a local user; system admins only (db auth).

        Harbor checks, in order: the caller may create users (401 anonymous, 403 others;
        403 too under LDAP/OIDC auth), the password (at least 8 characters with an
        uppercase letter, a lowercase letter and a digit), the email (required, valid),
        ``realname`` (1 to 255 characters, none of ``, ~ # $ %``), ``comment`` (at most 30).

        Args:
            user: ``{username, password, email, realname, comment}`` (a secret: keep the
                dict out of logs).

        Returns:
            The 201 answer (``Location: /api/v2.0/users/<id>``, empty body).

        Raises:
            RegistryError: 400 for a refused field (Harbor's message says which), 409 when
                the username or the email is taken.
            AuthenticationError: anonymous caller.
            PushDenied: the caller is not a system admin.

        Example:
            >>> api.create_user({"username": "ann", "password": "S3cretPass",
            ...     "email": "ann@example.com", "realname": "Ann"}).status_code  # doctest: +SKIP
            201
        """
        return self.request("POST", f"{urls.API_PREFIX}/users", json=dict(user), ok=(201,))

    def search_users(self, username: str, *, page: int | None = None,
                     page_size: int | None = None) -> Page:
        """``GET /users/search?username=`` (``searchUsers``): users whose name contains it.

        Open to every logged-in user; the match is fuzzy (``learner`` finds ``learner01``).

        Args:
            username: the text to look for (required).
            page: page number (default 1).
            page_size: page size (default 10, at most 100).

        Returns:
            The page of ``{user_id, username}``.

        Example:
            >>> [u["username"] for u in api.search_users("learner").items]  # doctest: +SKIP
            ['learner', 'learner01']
        """
        return self._page(f"{urls.API_PREFIX}/users/search",
                          dict(username=username, page=page, page_size=page_size))

    def create_project_member(self, project_name_or_id: str | int, role_id: int, *,
                              username: str) -> requests.Response:
        """``POST /projects/{p}/members`` (``createProjectMember``): give a user a role.

        Role ids: 1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest.

        Args:
            project_name_or_id: the project name (sent as a name), or its id as an int.
            role_id: the role.
            username: the user to add.

        Returns:
            The 201 answer (``Location`` of the membership).

        Raises:
            RegistryError: 409 when the user already is a member; 404 for an unknown user.
            PushDenied: the caller is not an admin of the project.

        Example:
            >>> api.create_project_member("demo", 2, username="ann").status_code  # doctest: +SKIP
            201
        """
        body = {"role_id": role_id, "member_user": {"username": username}}
        if isinstance(project_name_or_id, int):
            return self.request("POST", f"{urls.API_PREFIX}/projects/{project_name_or_id}/members",
                                json=body, ok=(201,), project=str(project_name_or_id))
        return self.request("POST", f"{urls.project_path(project_name_or_id)}/members", json=body,
                            headers=_BY_NAME, ok=(201,), project=project_name_or_id)


_BY_NAME = {"X-Is-Resource-Name": "true"}


def _repository_path(project: str, repository: str) -> str:
    name = urls.encode_repository(urls.repository_in_project(project, repository))
    return f"{urls.repositories_path(project)}/{name}"


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
