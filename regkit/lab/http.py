"""The lab's HTTP/1.1 server: one thread per connection, standard library only.

Why not a framework: the lab must answer about as fast as the bare registry starts (tens of
milliseconds), and importing aiohttp alone took 160 ms. The lab is a teaching service
with a handful of clients, so a thread per connection costs nothing that matters, and
plain sockets make streaming a blob through the proxy a loop of ``recv`` and ``sendall``.

What it speaks: HTTP/1.0 and 1.1 requests with ``Content-Length`` or chunked bodies
(``docker push`` sends its layers chunked), ``Expect: 100-continue``, persistent
connections, HEAD, and responses with a fixed body or a streamed one (with a length, or
chunked when the length is unknown). TLS wraps each accepted connection in its own thread,
so a slow handshake never holds up another client.

Edge cases:
    A request with both ``Content-Length`` and ``Transfer-Encoding``, an unknown transfer
    coding, a malformed head or one over 64 KiB is refused with 400 (or 431) and the
    connection is closed, as a request smuggled past a proxy would otherwise be.
    A handler that leaves part of the request body unread gets its connection closed
    after the response, instead of reading the rest as the next request.
    A streamed body that fails halfway closes the connection: its headers are already
    sent, so a cut connection is the only honest signal left.

Example:
    >>> import socket
    >>> sock = socket.create_server(("127.0.0.1", 0))
    >>> server = Server(sock, lambda request: Response(text="hi")).start()
    >>> server.stop()
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl, unquote

__all__ = ["Headers", "Query", "Request", "Response", "Server"]

log = logging.getLogger("regkit.lab")

_MAX_LINE = 65536
_MAX_HEADERS = 200
_READ = 256 * 1024
_HEXDIGITS = b"0123456789abcdefABCDEF"
# Go's http.Server closes idle keep-alive connections after about this long, too.
_IDLE_TIMEOUT = 90.0
# A client that stops sending in the middle of a request (or a handshake).
_STALL_TIMEOUT = 120.0
_REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    206: "Partial Content", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
    307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 412: "Precondition Failed", 413: "Request Entity Too Large",
    416: "Requested Range Not Satisfiable", 422: "Unprocessable Entity",
    429: "Too Many Requests", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable",
}


class Headers:
    """Case-insensitive HTTP headers that keep their order, their spelling and repeats.

    Args:
        items: ``(name, value)`` pairs or a mapping.

    Example:
        >>> h = Headers({"Content-Type": "text/plain"})
        >>> h.get("content-type")
        'text/plain'
    """

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: list[tuple[str, str]] = [(str(k), str(v)) for k, v in pairs]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``, or ``default``."""
        lowered = name.lower()
        for key, value in self._items:
            if key.lower() == lowered:
                return value
        return default

    def getall(self, name: str) -> list[str]:
        """Every value of ``name``, in order."""
        lowered = name.lower()
        return [value for key, value in self._items if key.lower() == lowered]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.popall(name)
        self._items.append((name, str(value)))

    def popall(self, name: str) -> list[str]:
        """Remove every value of ``name``; the values removed."""
        lowered = name.lower()
        removed = [value for key, value in self._items if key.lower() == lowered]
        self._items = [(key, value) for key, value in self._items if key.lower() != lowered]
        return removed

    def items(self) -> list[tuple[str, str]]:
        """The ``(name, value)`` pairs, repeats included."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Query(Mapping[str, str]):
    """A decoded query string: ``get`` takes the first value, ``getall`` every one.

    Example:
        >>> Query("scope=a&scope=b&n=1").getall("scope")
        ['a', 'b']
    """

    def __init__(self, raw: str) -> None:
        self._pairs = parse_qsl(raw, keep_blank_values=True)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``, or ``default``."""
        for key, value in self._pairs:
            if key == name:
                return value
        return default

    def getall(self, name: str, default: list[str] | None = None) -> list[str]:
        """Every value of ``name`` (``default``, else ``[]``, when there is none)."""
        values = [value for key, value in self._pairs if key == name]
        return values or list(default or [])

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._pairs)

    def __iter__(self) -> Iterator[str]:
        seen: list[str] = []
        for key, _ in self._pairs:
            if key not in seen:
                seen.append(key)
        return iter(seen)

    def __len__(self) -> int:
        return len(set(key for key, _ in self._pairs))

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value


class BadRequest(Exception):
    """The client sent something that is not HTTP/1.x; the connection is closed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Request:
    """One request, as a handler sees it; the body is read on demand.

    Attributes:
        method: ``GET``, ``PUT``...
        raw_path: the path as sent (still percent-encoded).
        raw_query: the query string as sent, without ``?``.
        query: the decoded :class:`Query`.
        headers: the request's :class:`Headers`.
        scheme: ``http`` or ``https``.
        host: the ``Host`` header (what the client called the lab).
        version: ``HTTP/1.1`` or ``HTTP/1.0``.
        content_length: the declared length, None when chunked or absent.
        body_exists: True when the request has a body to read.
    """

    def __init__(self, method: str, target: str, version: str, headers: Headers,
                 reader: Any, *, scheme: str, local_host: str,
                 send_continue: Callable[[], None]) -> None:
        self.method = method
        if target.startswith(("http://", "https://")):
            # An absolute-form target (proxy style): keep its path only. The authority ends
            # at "/" or "?" ("http://host?q=1" has a query and an empty path, which is "/").
            rest = target.split("://", 1)[1]
            end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
            target = rest[end:]
            target = target if target.startswith("/") else "/" + target
        path, _, query = target.partition("?")
        self.raw_path = path
        self.raw_query = query
        self.query = Query(query)
        self.headers = headers
        self.version = version
        self.scheme = scheme
        self.host = headers.get("Host") or local_host
        self._reader = reader
        self._send_continue = send_continue
        self._continue_sent = False
        codings = [c.strip().lower() for c in ",".join(headers.getall("Transfer-Encoding"))
                   .split(",") if c.strip()]
        lengths = headers.getall("Content-Length")
        if codings and lengths:
            raise BadRequest("both Content-Length and Transfer-Encoding")
        if codings and codings != ["chunked"]:
            raise BadRequest(f"unsupported transfer coding {','.join(codings)}", 501)
        self._chunked = bool(codings)
        self.content_length: int | None = None
        if lengths:
            value = lengths[0].strip()
            # isascii: str.isdigit() also takes "²" (a latin-1 byte), which int() refuses.
            if len(set(lengths)) != 1 or not (value.isascii() and value.isdigit()):
                raise BadRequest("invalid Content-Length")
            self.content_length = int(value)
        self._left = self.content_length or 0  # bytes left (chunked: of the current chunk)
        self._done = not self._chunked and not self._left

    @property
    def path(self) -> str:
        """The decoded path (for logs and simple routes)."""
        return unquote(self.raw_path)

    @property
    def body_exists(self) -> bool:
        """True when the request carries a body (a length above 0, or chunked)."""
        return self._chunked or bool(self.content_length)

    @property
    def body_consumed(self) -> bool:
        """True once the whole body has been read (always, for a request without one)."""
        return self._done

    def _expect_continue(self) -> None:
        if not self._continue_sent and \
                (self.headers.get("Expect") or "").lower() == "100-continue":
            self._continue_sent = True
            self._send_continue()

    def _next_chunk_size(self) -> int:
        line = self._reader.readline(_MAX_LINE)
        if not line.endswith(b"\n"):
            raise BadRequest("truncated chunk size")
        size_text = line.split(b";", 1)[0].strip()
        # int(x, 16) alone also takes "-1", "+5", "0x5" and "5_0": a negative size would
        # read on past the chunk, and any of them desyncs from a proxy that reads HEXDIG.
        if not size_text or len(size_text) > 16 or size_text.strip(_HEXDIGITS):
            raise BadRequest("invalid chunk size")
        return int(size_text, 16)

    def _read_some(self, limit: int) -> bytes:
        """Up to ``limit`` bytes of the body (fewer at a chunk's end); b'' at its end."""
        if self._done:
            return b""
        self._expect_continue()
        if self._chunked and self._left == 0:
            self._left = self._next_chunk_size()
            if self._left == 0:
                while self._reader.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields, which nothing here needs
                self._done = True
                return b""
        data = self._reader.read1(min(limit, self._left))
        if not data:
            raise ConnectionResetError("the client closed the connection mid-body")
        self._left -= len(data)
        if self._left == 0:
            if self._chunked:
                if self._reader.readline(_MAX_LINE) not in (b"\r\n", b"\n"):
                    raise BadRequest("chunk not followed by CRLF")
            else:
                self._done = True
        return data

    def read(self, limit: int | None = None) -> bytes:
        """Read the body: all of it, or at most ``limit`` bytes.

        Args:
            limit: stop after this many bytes (the rest stays unread).

        Returns:
            The bytes read (b'' for a request without a body).
        """
        parts: list[bytes] = []
        size = 0
        while limit is None or size < limit:
            data = self._read_some(_READ if limit is None else min(_READ, limit - size))
            if not data:
                break
            parts.append(data)
            size += len(data)
        return b"".join(parts)

    def iter_body(self, size: int = _READ) -> Iterator[bytes]:
        """The body in pieces of at most ``size`` bytes, as they arrive."""
        while True:
            data = self._read_some(size)
            if not data:
                return
            yield data


class Response:
    """What a handler returns: a status, headers and a body (bytes, or a stream).

    Args:
        status: the HTTP status.
        text: a text body (encoded as UTF-8; ``Content-Type`` gets ``charset=utf-8``).
        body: a bytes body.
        stream: an iterable of bytes sent as it is produced (after the headers).
        content_type: the body's media type (``text/plain`` for text by default).
        charset: the charset named in ``Content-Type`` (text bodies always have one).
        headers: more headers.
        length: the stream's length when known (else it is sent chunked).

    Example:
        >>> Response(status=201).status
        201
    """

    def __init__(self, status: int = 200, *, text: str | None = None,
                 body: bytes | None = None, stream: Iterable[bytes] | None = None,
                 content_type: str | None = None, charset: str | None = None,
                 headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                 length: int | None = None) -> None:
        self.status = status
        self.headers = Headers(headers or ())
        if text is not None:
            body = text.encode("utf-8")
            content_type = content_type or "text/plain"
            charset = charset or "utf-8"
        if content_type:
            self.headers["Content-Type"] = \
                f"{content_type}; charset={charset}" if charset else content_type
        self.body = body
        self.stream = stream
        self.length = length


def _head_bytes(status: int, headers: Headers) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Connection:
    """One client connection: read requests, answer them, until either side stops."""

    def __init__(self, server: Server, sock: socket.socket, peer: Any) -> None:
        self.server = server
        self.sock = sock
        # What stop() shuts down: with TLS, ``sock`` becomes the wrapped socket only after
        # the handshake, and the socket handed to wrap_socket is detached before it.
        self.raw = sock
        self.peer = peer[0] if isinstance(peer, tuple) else str(peer)
        self.busy = False

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def run(self) -> None:
        try:
            if self.server.ssl_context is not None:
                self.sock.settimeout(_STALL_TIMEOUT)
                self.sock = self.server.ssl_context.wrap_socket(self.raw.dup(),
                                                                server_side=True)
            reader = self.sock.makefile("rb", buffering=_READ)
            try:
                while not self.server.stopping and self._one(reader):
                    pass
            finally:
                reader.close()
        except (OSError, ValueError) as err:  # a client gone mid-way, a failed handshake
            log.debug("connection from %s ended: %s", self.peer, err)
        finally:
            self.server._forget(self)
            for sock in {self.sock, self.raw}:
                try:
                    sock.close()
                except OSError:
                    pass

    def _read_head(self, reader: Any) -> tuple[str, str, str, Headers] | None:
        self.sock.settimeout(_IDLE_TIMEOUT)
        line = reader.readline(_MAX_LINE + 1)
        while line in (b"\r\n", b"\n"):  # RFC 9112: ignore blank lines before a request
            line = reader.readline(_MAX_LINE + 1)
        if not line:
            return None
        self.busy = True
        self.sock.settimeout(_STALL_TIMEOUT)
        if len(line) > _MAX_LINE or not line.endswith(b"\n"):
            raise BadRequest("request line too long", 414 if len(line) > _MAX_LINE else 400)
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest("malformed request line")
        method, target, version = parts
        pairs: list[tuple[str, str]] = []
        size = 0
        while True:
            raw = reader.readline(_MAX_LINE + 1)
            # The limit is on the whole head: many small fields add up, too.
            size += len(raw)
            if size > _MAX_LINE or len(pairs) > _MAX_HEADERS:
                raise BadRequest("request header fields too large", 431)
            if raw in (b"\r\n", b"\n"):
                break
            if not raw.endswith(b"\n"):
                raise BadRequest("truncated request head")
            text = raw.decode("latin-1").rstrip("\r\n")
            name, colon, value = text.partition(":")
            if not colon or not name or name != name.strip() or text[0] in " \t":
                raise BadRequest("malformed header field")
            pairs.append((name, value.strip()))
        return method, target, version, Headers(pairs)

    def _one(self, reader: Any) -> bool:
        """Serve one request; True to keep the connection for the next."""
        self.busy = False
        try:
            head = self._read_head(reader)
            if head is None:
                return False
            method, target, version, headers = head
            request = Request(method, target, version, headers, reader,
                              scheme=self.server.scheme, local_host=self.server.local_host,
                              send_continue=lambda: self.send(b"HTTP/1.1 100 Continue\r\n\r\n"))
        except BadRequest as err:
            self._refuse(err)
            return False
        started = time.monotonic()
        response = self.server.call(request)
        connection = (headers.get("Connection") or "").lower()
        keep = (version == "HTTP/1.1" and "close" not in connection) or \
            (version == "HTTP/1.0" and "keep-alive" in connection)
        keep = keep and not self.server.stopping
        complete = self._write(request, response, keep)
        keep = keep and complete and request.body_consumed
        self.server.log_access(self.peer, request, response.status, started)
        return keep

    def _refuse(self, err: BadRequest) -> None:
        body = f"{err}\n".encode()
        headers = Headers([("Content-Type", "text/plain; charset=utf-8"),
                           ("Content-Length", str(len(body))), ("Connection", "close")])
        try:
            self.send(_head_bytes(err.status, headers) + body)
        except OSError:
            pass

    def _write(self, request: Request, response: Response, keep: bool) -> bool:
        """Send the response; False when the connection must close after it."""
        headers = response.headers
        self.server.decorate(request, headers)
        head_only = request.method == "HEAD" or response.status in (204, 304) or \
            response.status < 200
        chunked = False
        if response.stream is None:
            body = response.body or b""
            # RFC 9110 forbids a Content-Length on 204 and 1xx (304 repeats the resource's).
            if "Content-Length" not in headers and response.status not in (204, 304) and \
                    response.status >= 200:
                headers["Content-Length"] = str(len(body))
        else:
            body = b""
            if response.length is not None:
                headers["Content-Length"] = str(response.length)
            elif not head_only:
                chunked = request.version == "HTTP/1.1"
                if chunked:
                    headers["Transfer-Encoding"] = "chunked"
                else:
                    keep = False  # HTTP/1.0: the end of the body is the end of the connection
        # The request body was not read to its end: the rest is not a request.
        if not request.body_consumed:
            keep = False
        headers["Connection"] = "keep-alive" if keep else "close"
        head = _head_bytes(response.status, headers)
        if head_only:
            self.send(head)
            _close_stream(response.stream)
            return keep
        if response.stream is None:
            self.send(head + body)
            return keep
        self.send(head)
        sent = 0
        try:
            for piece in response.stream:
                if piece:
                    sent += len(piece)
                    # Bytes past the promised length would read as the next response.
                    if response.length is not None and sent > response.length:
                        raise ValueError(f"more than its Content-Length {response.length}")
                    self.send(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
            # A short body would leave the client waiting for the rest on a live connection.
            if response.length is not None and sent < response.length:
                raise ValueError(f"{sent} bytes of its Content-Length {response.length}")
        except Exception as err:  # the headers are out: cutting the connection says it
            log.error("%s %s: the response stream broke: %s", request.method, request.path,
                      err)
            return False
        finally:
            _close_stream(response.stream)
        if chunked:
            self.send(b"0\r\n\r\n")
        return keep


def _close_stream(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()


class Server:
    """Serve ``handler`` on an already listening socket, a thread per connection.

    Args:
        sock: the listening socket (bound and listening, so the port is known already).
        handler: turns a :class:`Request` into a :class:`Response`; an exception becomes
            ``on_error``'s response.
        ssl_context: serve HTTPS with it.
        on_error: the response for an unexpected exception (default: a plain 500).
        decorate: called with every response's headers before they are sent.
        access_log: log one line per request here (at INFO), if given.

    Example:
        >>> sock = socket.create_server(("127.0.0.1", 0))
        >>> server = Server(sock, lambda request: Response(text="hi")).start()
        >>> server.stop()
    """

    def __init__(self, sock: socket.socket, handler: Callable[[Request], Response], *,
                 ssl_context: Any = None,
                 on_error: Callable[[Request, Exception], Response] | None = None,
                 decorate: Callable[[Request, Headers], None] | None = None,
                 access_log: logging.Logger | None = None) -> None:
        self.sock = sock
        self.handler = handler
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context is not None else "http"
        address = sock.getsockname()
        self.local_host = f"[{address[0]}]:{address[1]}" if ":" in address[0] else \
            f"{address[0]}:{address[1]}"
        self._on_error = on_error
        self._decorate = decorate
        self._access_log = access_log
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._connections: set[_Connection] = set()
        self._acceptor: threading.Thread | None = None
        self.stopping = False

    def start(self) -> Server:
        """Start accepting connections (in a thread); returns at once."""
        self.sock.setblocking(True)
        self._acceptor = threading.Thread(target=self._accept, name="lab-accept", daemon=True)
        self._acceptor.start()
        return self

    def _accept(self) -> None:
        while not self.stopping:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                if self.stopping:
                    return
                time.sleep(0.01)  # out of file descriptors: let clients finish
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(self, conn, peer)
            with self._lock:
                self._connections.add(connection)
            threading.Thread(target=connection.run, name="lab-conn", daemon=True).start()

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)
            self._idle.notify_all()

    def call(self, request: Request) -> Response:
        """Run the handler; an exception becomes the error response (and is logged)."""
        try:
            return self.handler(request)
        except BadRequest as err:  # the body turned out malformed while a handler read it
            return Response(status=err.status, text=f"{err}\n")
        except Exception as err:
            if isinstance(err, (ConnectionResetError, BrokenPipeError)):
                raise
            log.exception("%s %s failed", request.method, request.raw_path)
            if self._on_error is not None:
                return self._on_error(request, err)
            return Response(status=500, text="internal server error\n")

    def decorate(self, request: Request, headers: Headers) -> None:
        """Apply the server-wide header rules to one response."""
        if self._decorate is not None:
            self._decorate(request, headers)

    def log_access(self, peer: str, request: Request, status: int, started: float) -> None:
        """One access-log line (method, path, status, time): no headers, so no secrets."""
        if self._access_log is not None:
            self._access_log.info('%s "%s %s %s" %d %.3fs', peer, request.method,
                                  request.raw_path, request.version, status,
                                  time.monotonic() - started)

    def stop(self, timeout: float = 5) -> None:
        """Stop accepting, let requests in flight finish (up to ``timeout``), close the rest.

        Args:
            timeout: seconds to wait for requests in flight (a push mid-blob).
        """
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        if self._acceptor is not None:
            self._acceptor.join(2)
        deadline = time.monotonic() + timeout
        with self._lock:
            for connection in list(self._connections):
                if not connection.busy:
                    _shutdown(connection.raw)
            while any(c.busy for c in self._connections):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._idle.wait(left)
            for connection in list(self._connections):
                _shutdown(connection.raw)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
