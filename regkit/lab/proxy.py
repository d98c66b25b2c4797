"""``/v2/`` and ``/service/token``: the registry API with Harbor's authentication in front.

The distribution registry listens on a private loopback port and only accepts the lab's
own basic credentials. Every ``/v2/`` request reaches it through here, as through
harbor-core: the caller is identified (bearer token, basic credentials or anonymous), the
request is checked against Harbor's rules (``server/middleware/v2auth``), then proxied.
Blob bodies stream through in both directions, never held whole in memory.

Like Harbor, the lab answers some registry calls from its own records: tags (a tag
resolves to a digest here, so a tag deleted through the API is gone even though the
registry cannot untag), the tag list and the catalog. Manifest pushes are recorded
(push time, type, size, image attributes) and manifest pulls counted.

Harbor's words, which Docker prints as ``unauthorized: <message>``:

* no Authorization on ``/v2/``: 401 with ``Www-Authenticate: Bearer realm=".../service/token",
  service="harbor-registry"`` (plus ``scope=...`` for a repository);
* project missing: ``project foo not found: project foo not found``;
* no right: ``unauthorized to access repository: p/r, action: push: unauthorized to access
  repository: p/r, action: push``.

Example:
    The proxy is mounted by :mod:`regkit.lab.server`; from outside it is just Docker::

        docker push 127.0.0.1:8080/library/busybox:v1
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import TYPE_CHECKING, Any, Iterator, Mapping
from urllib.parse import urlsplit

from regkit.lab.access import Access, Caller
from regkit.lab.http import Request, Response
from regkit.lab.manifests import MANIFEST_ACCEPT, ManifestError, artifact_fields, read_manifest
from regkit.lab.replies import dumps
from regkit.lab.store import Store
from regkit.lab.tokens import AUDIENCE

if TYPE_CHECKING:
    from http.client import HTTPConnection, HTTPResponse

__all__ = ["RegistryProxy"]

log = logging.getLogger("regkit.lab")

# Distribution's name grammar, with its optional "-*" separator written as "-+" (an empty
# separator adds nothing): the original nests quantifiers, which Python's backtracking
# engine takes exponential time on (Go's RE2 does not).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = rf"{_COMPONENT}(?:/{_COMPONENT})*"
_ROUTES = [
    ("manifest", re.compile(rf"^/v2/(?P<name>{_NAME})/manifests/(?P<reference>[^/]+)$")),
    ("tags", re.compile(rf"^/v2/(?P<name>{_NAME})/tags/list$")),
    ("upload", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/uploads/(?P<session>[^/]*)$")),
    ("blob", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/(?P<digest>[^/]+)$")),
    ("referrers", re.compile(rf"^/v2/(?P<name>{_NAME})/referrers/(?P<digest>[^/]+)$")),
]
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "authorization", "cookie",
    "set-cookie", "www-authenticate", "content-length",
})
_API_VERSION = {"Docker-Distribution-Api-Version": "registry/2.0"}
_METHOD_ACTION = {"GET": "pull", "HEAD": "pull", "POST": "push", "PUT": "push",
                  "PATCH": "push", "DELETE": "delete"}
# Manifests are small (distribution refuses more than 4 MiB); this only bounds memory.
_MANIFEST_LIMIT = 32 * 1024 * 1024
_CONFIG_LIMIT = 16 * 1024 * 1024
_CHUNK = 256 * 1024
_CONNECT_TIMEOUT = 10


class _Denied(Exception):
    """A /v2 request refused by Harbor's v2auth rules."""

    def __init__(self, message: str, challenge: str) -> None:
        super().__init__(message)
        self.message = message
        self.challenge = challenge


def _registry_error(status: int, code: str, message: str, detail: Any = None,
                    headers: Mapping[str, str] | None = None,
                    head: bool = False) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        error["detail"] = detail
    all_headers = {**_API_VERSION, **(headers or {})}
    if head:
        return Response(status=status, headers=all_headers)
    return Response(status=status, text=dumps({"errors": [error]}) + "\n",
                    content_type="application/json", charset="utf-8", headers=all_headers)


class RegistryProxy:
    """The ``/v2/`` proxy and the token service of one lab.

    Each request runs in its connection's thread (:mod:`regkit.lab.http`) and reaches the
    registry over a fresh loopback connection of its own, so a long blob upload never
    holds up another client.

    Args:
        store: the lab's records.
        access: authentication and permissions.
        issuer: signs and checks registry tokens.
        backend_url: the private registry (``http://127.0.0.1:PORT``).
        backend_auth: the ``Authorization`` header value the registry accepts.

    Example:
        >>> proxy = RegistryProxy(store, access, issuer, reg.url, auth)  # doctest: +SKIP
        >>> proxy.handle(request).status  # doctest: +SKIP
        401
    """

    def __init__(self, store: Store, access: Access, issuer: Any, backend_url: str,
                 backend_auth: str) -> None:
        self.store = store
        self.access = access
        self.issuer = issuer
        self.backend = backend_url.rstrip("/")
        parts = urlsplit(self.backend)
        self._backend_host = parts.hostname or "127.0.0.1"
        self._backend_port = parts.port or 80
        self._backend_auth = backend_auth

    # -- the registry behind --------------------------------------------------------------

    def _connect(self, timeout: float | None = None) -> HTTPConnection:
        # Imported here: the lab answers before its first proxied request needs it.
        from http.client import HTTPConnection

        conn = HTTPConnection(self._backend_host, self._backend_port, timeout=_CONNECT_TIMEOUT)
        conn.connect()
        conn.sock.settimeout(timeout)
        return conn

    def _call(self, method: str, target: str, headers: Mapping[str, str], body: Any = None,
              timeout: float | None = None) -> HTTPResponse:
        """Send one request to the registry; the response keeps its connection open.

        Raises:
            OSError: the registry cannot be reached or broke the connection.
        """
        from http.client import HTTPException

        conn = self._connect(timeout)
        try:
            conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            chunked = body is not None and not isinstance(body, bytes) and \
                not any(name.lower() == "content-length" for name in headers)
            if chunked:
                conn.putheader("Transfer-Encoding", "chunked")
            elif isinstance(body, bytes) and \
                    not any(name.lower() == "content-length" for name in headers):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if isinstance(body, bytes):
                conn.send(body)
            elif body is not None:
                for piece in body:
                    if piece:
                        conn.send(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
                if chunked:
                    conn.send(b"0\r\n\r\n")
            return conn.getresponse()
        except HTTPException as err:
            conn.close()
            raise ConnectionError(f"the registry broke the exchange: {err!r}") from err
        except BaseException:
            conn.close()
            raise

    def _backend(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                 body: bytes | None = None, limit: int | None = None,
                 timeout: float | None = None) -> tuple[int, Any, bytes]:
        """A whole exchange with the registry: status, headers and (up to ``limit``) body."""
        response = self._call(method, path, {"Authorization": self._backend_auth,
                                             **(headers or {})}, body, timeout)
        try:
            return response.status, response.headers, response.read(limit)
        finally:
            response.close()

    def registry_healthy(self) -> str | None:
        """None when the registry answers its API, else what went wrong."""
        try:
            status, _, _ = self._backend("GET", "/v2/", timeout=3)
        except OSError as err:
            return f"the registry is not reachable: {err or type(err).__name__}"
        return None if status == 200 else f"the registry answered HTTP {status}"

    # -- the token service ----------------------------------------------------------------

    def token(self, request: Request) -> Response:
        """``GET /service/token``: Harbor's token service (``core/service/token``)."""
        service = request.query.get("service", "")
        if service != AUDIENCE:
            return Response(status=400, text=f"Unable to handle service: {service}")
        caller = self.access.resolve(request.headers.get("Authorization"), bearer=False)
        scopes = [s for value in request.query.getall("scope") for s in value.split(" ")
                  if s]
        if not caller.authenticated and not scopes:
            # What `docker login` with a wrong password meets.
            return Response(status=401)
        granted = [self._grant(caller, scope) for scope in scopes]
        return Response(text=dumps(self.issuer.issue(caller.username, granted)),
                        content_type="application/json", charset="utf-8")

    def _grant(self, caller: Caller, scope: str) -> dict[str, Any]:
        """One scope filtered by the caller's rights, as Harbor's access filters do."""
        items = scope.split(":")
        kind = items[0]
        name = ":".join(items[1:-1]) if len(items) > 2 else (items[1] if len(items) == 2 else "")
        requested = [a for a in items[-1].split(",") if a] if len(items) > 2 else []
        actions: list[str] = []
        if kind == "repository" and "/" in name:
            project = self.store.project_by_name(name.split("/")[0])
            if project is not None:
                allowed = self.access.repository_actions(caller, project)
                actions = [a for a in ("pull", "push", "delete") if a in allowed]
                if len(actions) == 3:
                    actions.append("*")
        elif kind == "registry" and name == "catalog" and caller.sysadmin:
            actions = requested
        return {"type": kind, "name": name, "actions": actions}

    # -- /v2/ -----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Every ``/v2...`` request: check it as Harbor does, then answer or proxy it."""
        path = request.raw_path
        caller = self.access.resolve(request.headers.get("Authorization"), bearer=True)
        try:
            if path in ("/v2", "/v2/"):
                if not caller.authenticated:
                    raise _Denied("unauthorized", self._challenge(request, []))
                return Response(text="{}", content_type="application/json",
                                headers=_API_VERSION)
            if path == "/v2/_catalog":
                if not caller.sysadmin:
                    raise _Denied("unauthorized to list catalog", 'Basic realm="harbor"')
                return self._catalog(request)
            route, match = self._route(path)
            if route is None or match is None:
                return self._forward(request)
            name = match["name"]
            action = _METHOD_ACTION.get(request.method)
            if action is None:
                return self._forward(request)
            checks = [(name, action)]
            mount_from = request.query.get("from")
            if request.method == "POST" and request.query.get("mount") and mount_from:
                checks.append((mount_from, "pull"))
            self._check(request, caller, checks)
        except _Denied as denied:
            return self._unauthorized(request, denied)
        if route == "manifest":
            return self._manifest(request, name, match["reference"])
        if route == "tags":
            return self._tags(request, name)
        return self._forward(request)

    @staticmethod
    def _route(path: str) -> tuple[str | None, re.Match[str] | None]:
        for route, pattern in _ROUTES:
            match = pattern.match(path)
            if match:
                return route, match
        return None, None

    def _challenge(self, request: Request, checks: list[tuple[str, str]]) -> str:
        if request.headers.get("Authorization"):
            return 'Basic realm="harbor"'
        realm = f"{request.scheme}://{request.host}/service/token"
        scope = " ".join(f"repository:{name}:{'pull,push' if action == 'push' else action}"
                         for name, action in checks)
        challenge = f'Bearer realm="{realm}",service="{AUDIENCE}"'
        return f'{challenge},scope="{scope}"' if scope else challenge

    def _check(self, request: Request, caller: Caller,
               checks: list[tuple[str, str]]) -> None:
        """Harbor's ``v2auth`` check; raises :class:`_Denied` with its message."""
        for name, action in checks:
            if not request.headers.get("Authorization") and request.method in ("GET", "HEAD"):
                # Docker only sends credentials after a challenge, so a first anonymous
                # GET/HEAD is always challenged, even on a public project (harbor#11271).
                raise _Denied("authorize header needed to send HEAD to repository",
                              self._challenge(request, checks))
            project_name = name.split("/")[0]
            project = self.store.project_by_name(project_name)
            if project is None:
                raise _Denied(f"project {project_name} not found", "")
            if action not in self.access.repository_actions(caller, project):
                raise _Denied(f"unauthorized to access repository: {name}, action: {action}",
                              self._challenge(request, checks))

    def _unauthorized(self, request: Request, denied: _Denied) -> Response:
        # Harbor wraps the cause in an error with the same message: "<m>: <m>".
        message = f"{denied.message}: {denied.message}"
        return _registry_error(401, "UNAUTHORIZED", message,
                               headers={"Www-Authenticate": denied.challenge},
                               head=request.method == "HEAD")

    # -- answered from the lab's records ----------------------------------------------------

    def _catalog(self, request: Request) -> Response:
        names = sorted(r["name"] for r in self.store.repositories())
        return self._paged_list(request, "/v2/_catalog", "repositories", names, {})

    def _tags(self, request: Request, name: str) -> Response:
        repository = self.store.repository_by_name(name)
        head = request.method == "HEAD"
        if repository is None:
            return _registry_error(404, "NAME_UNKNOWN", "repository name not known to registry",
                                   {"name": name}, head=head)
        tags = self.store.repository_tags(int(repository["id"]))
        return self._paged_list(request, f"/v2/{name}/tags/list", "tags", tags, {"name": name})

    @staticmethod
    def _paged_list(request: Request, path: str, key: str, items: list[str],
                    extra: dict[str, Any]) -> Response:
        last = request.query.get("last")
        if last:
            items = [i for i in items if i > last]
        headers = dict(_API_VERSION)
        raw_n = request.query.get("n")
        if raw_n:
            try:
                n = int(raw_n)
            except ValueError:
                return _registry_error(400, "PAGINATION_NUMBER_INVALID",
                                       "invalid number of results requested", {"n": raw_n})
            if 0 <= n < len(items):
                items = items[:n]
                if n:
                    headers["Link"] = f'<{path}?last={items[-1]}&n={n}>; rel="next"'
        body = {**extra, key: items}
        if request.method == "HEAD":
            return Response(headers=headers)
        return Response(text=dumps(body), content_type="application/json", headers=headers)

    # -- manifests ------------------------------------------------------------------------

    def _manifest(self, request: Request, name: str, reference: str) -> Response:
        is_digest = bool(_DIGEST.match(reference))
        head = request.method == "HEAD"
        if request.method in ("GET", "HEAD"):
            repository = self.store.repository_by_name(name)
            tag_row = None
            if not is_digest:
                tag_row = (self.store.tag(int(repository["id"]), reference)
                           if repository is not None else None)
                if tag_row is None:
                    return _registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown",
                                           {"Tag": reference}, head=head)
                digest = str(tag_row["digest"])
            else:
                digest = reference
            response = self._forward(request, path=f"/v2/{name}/manifests/{digest}")
            if request.method == "GET" and response.status == 200 and repository is not None:
                artifact = self.store.artifact_by_digest(int(repository["id"]), digest)
                self.store.count_pull(int(repository["id"]),
                                      int(artifact["id"]) if artifact else None,
                                      int(tag_row["id"]) if tag_row else None)
            return response
        if request.method == "PUT":
            return self._put_manifest(request, name, reference, is_digest)
        if request.method == "DELETE":
            if not is_digest:
                return _registry_error(400, "UNSUPPORTED", f"unsupported digest {reference}: "
                                       "invalid checksum digest format")
            response = self._forward(request)
            repository = self.store.repository_by_name(name)
            if response.status in (202, 404) and repository is not None:
                artifact = self.store.artifact_by_digest(int(repository["id"]), reference)
                if artifact is not None:
                    self.store.delete_artifact(int(artifact["id"]))
            return response
        return self._forward(request)

    def _put_manifest(self, request: Request, name: str, reference: str,
                      is_digest: bool) -> Response:
        body = request.read(_MANIFEST_LIMIT + 1)
        if len(body) > _MANIFEST_LIMIT:
            return _registry_error(413, "SIZE_INVALID", "manifest too large")
        content_type = request.headers.get("Content-Type", "")
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            upstream = self._send(request, f"/v2/{name}/manifests/{reference}",
                                  data=body, extra_headers=headers)
        except OSError as err:
            return self._unreachable(request, err)
        try:
            payload = upstream.read()
        finally:
            upstream.close()
        if upstream.status == 201:
            digest = upstream.headers.get("Docker-Content-Digest") or \
                "sha256:" + hashlib.sha256(body).hexdigest()
            self._record_push(name, digest, body, content_type,
                              None if is_digest else reference)
        return Response(status=upstream.status, body=payload,
                        headers=self._response_headers(request, upstream))

    def _record_push(self, name: str, digest: str, body: bytes, content_type: str,
                     tag: str | None) -> None:
        project = self.store.project_by_name(name.split("/")[0])
        if project is None:
            return
        try:
            info = read_manifest(body, content_type)
        except ManifestError:
            return
        config = None
        if info.config_digest and not info.is_index:
            config = self._fetch_json_blob(name, info.config_digest)
        fields = artifact_fields(info, len(body), config)
        self.store.record_push(
            project_id=int(project["project_id"]), repository=name, digest=digest,
            kind=fields["kind"], media_type=fields["media_type"],
            manifest_media_type=fields["manifest_media_type"],
            artifact_type=fields["artifact_type"], size=fields["size"],
            extra_attrs=fields["extra_attrs"], annotations=fields["annotations"],
            references=fields["references"], tag=tag)

    def _fetch_json_blob(self, name: str, digest: str) -> dict[str, Any] | None:
        """A small JSON blob (an image config) from the registry, or None."""
        try:
            status, _, data = self._backend("GET", f"/v2/{name}/blobs/{digest}",
                                            limit=_CONFIG_LIMIT + 1)
        except OSError:
            return None
        if status != 200 or len(data) > _CONFIG_LIMIT:
            return None
        try:
            config = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
        return config if isinstance(config, dict) else None

    def put_manifest_copy(self, name: str, source: str, tag: str) -> int:
        """Push the manifest ``source`` (digest) again under ``tag``; the registry's status.

        Used by the API's "add tag", which must also make the tag real in the registry.

        Raises:
            OSError: the registry cannot be reached.
        """
        status, headers, body = self._backend("GET", f"/v2/{name}/manifests/{source}",
                                              {"Accept": MANIFEST_ACCEPT})
        if status != 200:
            return status
        status, _, _ = self._backend("PUT", f"/v2/{name}/manifests/{tag}",
                                     {"Content-Type": headers.get("Content-Type", "")}, body)
        return status

    def delete_manifest(self, name: str, digest: str) -> int:
        """Delete a manifest (and so all its tags) in the registry; the registry's status.

        Raises:
            OSError: the registry cannot be reached.
        """
        status, _, _ = self._backend("DELETE", f"/v2/{name}/manifests/{digest}")
        return status

    # -- the streaming proxy --------------------------------------------------------------

    def _send(self, request: Request, path: str | None = None, *, data: Any = None,
              extra_headers: Mapping[str, str] | None = None) -> HTTPResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers.update(extra_headers or {})
        headers["Authorization"] = self._backend_auth
        if data is None and request.body_exists:
            data = request.iter_body(_CHUNK)
            if request.content_length is not None:
                headers["Content-Length"] = str(request.content_length)
        elif data is None and request.method in ("POST", "PUT", "PATCH"):
            data = b""  # an empty body still says so, as Content-Length: 0
        target = path if path is not None else request.raw_path
        query = request.raw_query
        return self._call(request.method, target + (f"?{query}" if query else ""), headers,
                          data)

    def _response_headers(self, request: Request, upstream: HTTPResponse) -> list[tuple[str, str]]:
        headers = [(k, v) for k, v in upstream.getheaders() if k.lower() not in _HOP_BY_HOP]
        for index, (key, value) in enumerate(headers):
            if key.lower() == "location" and value.startswith(self.backend):
                headers[index] = (key, f"{request.scheme}://{request.host}" +
                                  value[len(self.backend):])
        return headers

    @staticmethod
    def _unreachable(request: Request, err: OSError) -> Response:
        log.error("registry request %s %s failed: %s", request.method, request.path, err)
        return _registry_error(500, "UNKNOWN", "internal server error")

    def _forward(self, request: Request, path: str | None = None) -> Response:
        """Proxy the request to the registry, streaming both bodies."""
        try:
            upstream = self._send(request, path)
        except OSError as err:
            return self._unreachable(request, err)
        length = upstream.getheader("Content-Length")

        def body() -> Iterator[bytes]:
            try:
                if request.method != "HEAD":
                    while True:
                        piece = upstream.read1(_CHUNK)
                        if not piece:
                            break
                        yield piece
            finally:
                upstream.close()

        return Response(status=upstream.status, headers=self._response_headers(request, upstream),
                        stream=body(), length=int(length) if length and length.isdigit() else None)
