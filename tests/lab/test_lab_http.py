"""The lab's own HTTP/1.1 server (regkit.lab.http) against real sockets.

Each test starts a real :class:`Server` on a free loopback port. Normal cases use
``http.client``; everything a client could get wrong (pipelining, smuggling attempts,
malformed heads, bad chunk sizes) is sent as raw bytes over a plain socket and the answer
is parsed here, byte for byte. Nothing waits for time to pass except where a test proves
that something does *not* arrive.
"""

from __future__ import annotations

import http.client
import logging
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest

from regkit.lab.certs import CertificatePaths, ensure_certificates
from regkit.lab.http import Headers, Request, Response, Server

_TIMEOUT = 5.0  # every client socket: a failing test fails instead of hanging

Handler = Callable[[Request], Response]


# -- helpers --------------------------------------------------------------------------------


@dataclass
class Reply:
    """One response as it came off the wire."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    complete: bool  # False when the connection ended before the body did

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return values[0] if values else None


class RawClient:
    """A client that writes bytes as given and reads responses off one buffered stream."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=_TIMEOUT)
        self.reader = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self, *, head: bool = False) -> Reply:
        line = self.reader.readline()
        assert line, "the server closed the connection without answering"
        _, status_text, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        status = int(status_text)
        headers: list[tuple[str, str]] = []
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.lower(), value.strip()))
        found = dict(headers)
        if head or status < 200 or status in (204, 304):
            return Reply(status, headers, b"", True)
        if found.get("transfer-encoding") == "chunked":
            body, complete = self._chunked()
            return Reply(status, headers, body, complete)
        if "content-length" in found:
            size = int(found["content-length"])
            body = self._read(size)
            return Reply(status, headers, body, len(body) == size)
        return Reply(status, headers, self._read(None), True)

    def _read(self, size: int | None) -> bytes:
        parts: list[bytes] = []
        got = 0
        try:
            while size is None or got < size:
                piece = self.reader.read1(65536 if size is None else size - got)
                if not piece:
                    break
                parts.append(piece)
                got += len(piece)
        except ConnectionResetError:
            pass
        return b"".join(parts)

    def _chunked(self) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        try:
            while True:
                line = self.reader.readline()
                if not line.endswith(b"\r\n"):
                    return b"".join(parts), False
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    self.reader.readline()
                    return b"".join(parts), True
                data = self.reader.read(size)
                parts.append(data)
                if len(data) < size or self.reader.readline() != b"\r\n":
                    return b"".join(parts), False
        except ConnectionResetError:
            return b"".join(parts), False

    def at_eof(self) -> bool:
        """True when the server has closed the connection (the next read finds its end)."""
        try:
            return self.reader.read(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def get(path: str = "/", *, version: str = "HTTP/1.1", headers: str = "") -> bytes:
    return f"GET {path} {version}\r\nHost: lab.test\r\n{headers}\r\n".encode("latin-1")


class ListHandler(logging.Handler):
    """Keeps formatted records; ``emitted`` is set at the first one."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.emitted = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.emitted.set()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start a real Server on 127.0.0.1:0; every one is stopped and closed afterwards."""
    started: list[tuple[Server, socket.socket]] = []

    def start(handler: Handler, **options: Any) -> Server:
        sock = socket.create_server(("127.0.0.1", 0))
        server = Server(sock, handler, **options).start()
        started.append((server, sock))
        return server

    yield start
    for server, sock in started:
        server.stop(timeout=2)
        sock.close()


@pytest.fixture
def connect() -> Iterator[Callable[[Server], RawClient]]:
    clients: list[RawClient] = []

    def open_client(server: Server) -> RawClient:
        client = RawClient(address(server))
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


def address(server: Server) -> tuple[str, int]:
    host, port = server.sock.getsockname()[:2]
    return host, port


def http_client(server: Server) -> http.client.HTTPConnection:
    host, port = address(server)
    return http.client.HTTPConnection(host, port, timeout=_TIMEOUT)


def echo(request: Request) -> Response:
    """Answer with what the handler saw: method, path and the whole body."""
    body = request.read()
    return Response(text=f"{request.method} {request.raw_path} {len(body)}:"
                    + body.decode("latin-1"))


def recording(paths: list[str]) -> Handler:
    def handler(request: Request) -> Response:
        paths.append(request.raw_path)
        return Response(text="ok")
    return handler


# -- persistent connections -----------------------------------------------------------------


def test_keep_alive_answers_two_requests_on_one_connection(serve, connect) -> None:
    client = connect(serve(echo))
    client.send(get("/one"))
    first = client.reply()
    client.send(get("/two"))
    second = client.reply()
    assert (first.body, second.body) == (b"GET /one 0:", b"GET /two 0:")
    assert first.header("Connection") == second.header("Connection") == "keep-alive"


def test_http_client_reuses_its_connection(serve) -> None:
    conn = http_client(serve(echo))
    conn.request("GET", "/a")
    conn.getresponse().read()
    sock = conn.sock
    conn.request("GET", "/b")
    assert conn.getresponse().read() == b"GET /b 0:"
    assert conn.sock is sock and sock is not None
    conn.close()


def test_connection_close_closes_after_the_response(serve, connect) -> None:
    client = connect(serve(echo))
    client.send(get("/", headers="Connection: close\r\n"))
    reply = client.reply()
    assert reply.body == b"GET / 0:"
    assert reply.header("Connection") == "close"
    assert client.at_eof()


def test_http10_closes_unless_asked_to_keep_alive(serve, connect) -> None:
    server = serve(echo)
    plain = connect(server)
    plain.send(get("/", version="HTTP/1.0"))
    assert plain.reply().header("Connection") == "close"
    assert plain.at_eof()

    kept = connect(server)
    kept.send(get("/a", version="HTTP/1.0", headers="Connection: keep-alive\r\n"))
    assert kept.reply().header("Connection") == "keep-alive"
    kept.send(get("/b", version="HTTP/1.0", headers="Connection: keep-alive\r\n"))
    assert kept.reply().body == b"GET /b 0:"


# -- request bodies -------------------------------------------------------------------------


def test_content_length_body(serve) -> None:
    seen: dict[str, Any] = {}

    def handler(request: Request) -> Response:
        seen["length"], seen["exists"] = request.content_length, request.body_exists
        return echo(request)

    conn = http_client(serve(handler))
    conn.request("PUT", "/blob", body=b"x" * 300_000)
    assert conn.getresponse().read() == b"PUT /blob 300000:" + b"x" * 300_000
    assert seen == {"length": 300_000, "exists": True}
    conn.close()


def test_chunked_body_with_extensions_and_trailers(serve, connect) -> None:
    pieces: list[bytes] = []

    def handler(request: Request) -> Response:
        pieces.extend(request.iter_body(4))
        return Response(text=f"{request.content_length} {request.body_consumed}:"
                        + b"".join(pieces).decode())

    client = connect(serve(handler))
    client.send(b"PATCH /up HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5;name=value\r\nhello\r\n"
                b"1 ; ext\r\n \r\n"
                b"A\r\nworld, now\r\n"
                b"0\r\nX-Checksum: abc\r\nX-More: def\r\n\r\n")
    reply = client.reply()
    assert reply.body == b"None True:hello world, now"
    assert all(len(piece) <= 4 for piece in pieces)
    # The trailers were consumed: the next request on the connection parses cleanly.
    client.send(get("/next"))
    assert client.reply().status == 200


def test_expect_100_continue_is_sent_when_the_handler_reads(serve, connect) -> None:
    entered, go = threading.Event(), threading.Event()

    def handler(request: Request) -> Response:
        entered.set()
        go.wait(_TIMEOUT)
        return echo(request)

    client = connect(serve(handler))
    client.send(b"PUT /b HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 4\r\n"
                b"Expect: 100-continue\r\n\r\n")
    assert entered.wait(_TIMEOUT)
    # The handler runs but has not read: nothing may have been sent yet.
    assert select.select([client.sock], [], [], 0.2)[0] == []
    go.set()
    assert client.reader.readline() == b"HTTP/1.1 100 Continue\r\n"
    assert client.reader.readline() == b"\r\n"
    client.send(b"data")
    reply = client.reply()
    assert (reply.status, reply.body) == (200, b"PUT /b 4:data")
    assert reply.header("Connection") == "keep-alive"


def test_expect_100_continue_without_a_read_gets_only_the_final_answer(serve, connect) -> None:
    client = connect(serve(lambda request: Response(status=401, text="login first")))
    client.send(b"PUT /b HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 4\r\n"
                b"Expect: 100-continue\r\n\r\n")
    reply = client.reply()
    assert reply.status == 401
    assert reply.header("Connection") == "close"
    assert client.at_eof()


@pytest.mark.parametrize("read", [0, 3], ids=["reads-nothing", "reads-part"])
def test_unread_body_closes_the_connection_instead_of_serving_it(serve, connect,
                                                                  read: int) -> None:
    paths: list[str] = []

    def handler(request: Request) -> Response:
        paths.append(request.raw_path)
        request.read(read)
        return Response(text="ok")

    smuggled = get("/smuggled")
    client = connect(serve(handler))
    client.send(b"POST /first HTTP/1.1\r\nHost: lab.test\r\n"
                + f"Content-Length: {len(smuggled)}\r\n\r\n".encode() + smuggled)
    reply = client.reply()
    assert reply.header("Connection") == "close"
    assert client.at_eof()
    assert paths == ["/first"]


def test_a_refused_upload_still_gets_its_answer(serve) -> None:
    # The handler answers before reading a large body (as a refused push does) while the
    # client is still sending it: the client must read the 401, not a reset connection.
    server = serve(lambda request: Response(status=401, text="unauthorized: log in first\n"))
    body = b"x" * (8 << 20)
    head = (b"PUT /upload HTTP/1.1\r\nHost: lab.test\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode())
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall(head)

        def upload() -> None:
            try:
                sock.sendall(body)
            except OSError:
                pass  # the server may stop reading at any point; the answer is what counts

        sender = threading.Thread(target=upload)
        sender.start()
        answer = b""
        while b"log in first" not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
        sender.join(10)
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b"unauthorized: log in first" in answer


def test_pipelined_request_after_a_read_body_is_served(serve, connect) -> None:
    client = connect(serve(echo))
    client.send(b"POST /first HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 3\r\n\r\nabc"
                + get("/second"))
    assert client.reply().body == b"POST /first 3:abc"
    assert client.reply().body == b"GET /second 0:"


# -- refusals -------------------------------------------------------------------------------


REFUSED = {
    "cl-and-te": (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"0\r\n\r\n", 400),
    "te-gzip": (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    "te-gzip-chunked": (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    "cl-letters": (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
    "cl-negative": (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
    "cl-conflicting": (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                       400),
    "cl-not-ascii": (b"POST / HTTP/1.1\r\nContent-Length: \xb2\r\n\r\nab", 400),
    "line-two-parts": (b"GET /\r\n\r\n", 400),
    "line-double-space": (b"GET  / HTTP/1.1\r\n\r\n", 400),
    "line-http2": (b"GET / HTTP/2.0\r\n\r\n", 400),
    "obs-fold": (b"GET / HTTP/1.1\r\nX-A: one\r\n  two\r\n\r\n", 400),
    "space-before-colon": (b"GET / HTTP/1.1\r\nHost : lab.test\r\n\r\n", 400),
    "no-colon": (b"GET / HTTP/1.1\r\nHost lab.test\r\n\r\n", 400),
    "huge-header": (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    "many-small-headers-over-64k": (
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 900) for i in range(100))
        + b"\r\n", 431),
    "too-many-headers": (b"GET / HTTP/1.1\r\n" + b"X-N: 1\r\n" * 250 + b"\r\n", 431),
    "long-request-line": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
}


@pytest.mark.parametrize("raw,status", REFUSED.values(), ids=REFUSED.keys())
def test_malformed_requests_are_refused_and_closed(serve, connect, raw: bytes,
                                                   status: int) -> None:
    paths: list[str] = []
    client = connect(serve(recording(paths)))
    client.send(raw)
    reply = client.reply()
    assert reply.status == status, reply.body
    assert reply.header("Connection") == "close"
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    assert client.at_eof()
    assert paths == []


@pytest.mark.parametrize("size", [b"zz", b"-1", b"0x5", b"+5", b"5_0", b""])
def test_invalid_chunk_size_is_a_400(serve, connect, size: bytes) -> None:
    client = connect(serve(echo))
    client.send(b"PUT / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + size + b"\r\nhello\r\n0\r\n\r\n" + get("/after"))
    reply = client.reply()
    assert reply.status == 400
    assert b"chunk" in reply.body
    assert reply.header("Connection") == "close"
    assert client.at_eof()


def test_chunk_without_its_crlf_is_a_400(serve, connect) -> None:
    client = connect(serve(echo))
    client.send(b"PUT / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nhelloGET /x HTTP/1.1\r\n\r\n")
    assert client.reply().status == 400
    assert client.at_eof()


# -- responses ------------------------------------------------------------------------------


def test_text_response_has_charset_and_length(serve) -> None:
    conn = http_client(serve(lambda request: Response(status=201, text="héllo")))
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 201
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert response.getheader("Content-Length") == str(len("héllo".encode()))
    assert response.read().decode() == "héllo"
    conn.close()


def test_head_sends_the_length_and_no_body(serve, connect) -> None:
    client = connect(serve(lambda request: Response(text="twelve bytes")))
    client.send(b"HEAD / HTTP/1.1\r\nHost: lab.test\r\n\r\n")
    reply = client.reply(head=True)
    assert reply.header("Content-Length") == "12"
    assert reply.header("Connection") == "keep-alive"
    # No body bytes were sent: the next answer on the connection starts right away.
    client.send(get("/"))
    assert client.reply().body == b"twelve bytes"


def test_head_on_a_stream_closes_the_stream_without_sending_it(serve, connect) -> None:
    closed = threading.Event()

    class Stream:
        def __iter__(self) -> Iterator[bytes]:
            raise AssertionError("a HEAD response must not iterate its stream")

        def close(self) -> None:
            closed.set()

    client = connect(serve(lambda request: Response(stream=Stream(), length=99)))
    client.send(b"HEAD / HTTP/1.1\r\nHost: lab.test\r\n\r\n")
    assert client.reply(head=True).header("Content-Length") == "99"
    assert closed.wait(_TIMEOUT)
    client.send(get("/", headers="Connection: close\r\n"))
    assert client.reply(head=True).status == 200


def test_stream_with_length_has_content_length(serve, connect) -> None:
    client = connect(serve(lambda request: Response(stream=iter([b"abc", b"", b"defg"]),
                                                    length=7)))
    client.send(get("/"))
    reply = client.reply()
    assert (reply.header("Content-Length"), reply.header("Transfer-Encoding")) == ("7", None)
    assert reply.body == b"abcdefg"
    client.send(get("/"))
    assert client.reply().body == b"abcdefg"


def test_stream_without_length_is_chunked_on_http11(serve, connect) -> None:
    client = connect(serve(lambda request: Response(stream=iter([b"abc", b"", b"defg"]))))
    client.send(get("/"))
    reply = client.reply()
    assert reply.header("Transfer-Encoding") == "chunked"
    assert reply.header("Content-Length") is None
    assert (reply.body, reply.complete) == (b"abcdefg", True)
    assert reply.header("Connection") == "keep-alive"
    client.send(get("/"))
    assert client.reply().body == b"abcdefg"


def test_stream_without_length_is_close_delimited_on_http10(serve, connect) -> None:
    client = connect(serve(lambda request: Response(stream=iter([b"abc", b"defg"]))))
    client.send(get("/", version="HTTP/1.0", headers="Connection: keep-alive\r\n"))
    reply = client.reply()
    assert reply.header("Transfer-Encoding") is None
    assert reply.header("Content-Length") is None
    assert reply.header("Connection") == "close"
    assert reply.body == b"abcdefg"


def _broken() -> Iterator[bytes]:
    yield b"first part"
    raise RuntimeError("the upstream went away")


@pytest.mark.parametrize("length", [100, None], ids=["with-length", "chunked"])
def test_stream_failing_midway_cuts_the_connection(serve, length: int | None) -> None:
    server = serve(lambda request: Response(text="fine") if request.raw_path == "/ok"
                   else Response(stream=_broken(), length=length))
    conn = http_client(server)
    conn.request("GET", "/broken")
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == b"first part"
    conn.close()
    again = http_client(server)
    again.request("GET", "/ok")
    assert again.getresponse().read() == b"fine"
    again.close()


def test_stream_shorter_than_its_length_cuts_the_connection(serve, connect) -> None:
    client = connect(serve(lambda request: Response(stream=iter([b"abc"]), length=10)))
    client.send(get("/"))
    reply = client.reply()
    assert (reply.body, reply.complete) == (b"abc", False)


def test_stream_longer_than_its_length_sends_no_extra_bytes(serve, connect) -> None:
    client = connect(serve(lambda request: Response(
        stream=iter([b"abc", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]), length=3)))
    client.send(get("/"))
    assert client.reply().body == b"abc"
    assert client.at_eof()


def test_decorate_sees_every_response(serve, connect) -> None:
    def decorate(request: Request, headers: Headers) -> None:
        headers["X-Decorated"] = request.raw_path
        headers.popall("Set-Cookie")

    def handler(request: Request) -> Response:
        if request.raw_path == "/boom":
            raise RuntimeError("handler bug")
        if request.raw_path == "/stream":
            return Response(stream=iter([b"s"]), headers={"Set-Cookie": "a=b"})
        return Response(text="t", headers={"Set-Cookie": "a=b"})

    client = connect(serve(handler, decorate=decorate))
    for method, path in [("GET", "/text"), ("HEAD", "/text"), ("GET", "/stream"),
                         ("GET", "/boom")]:
        client.send(f"{method} {path} HTTP/1.1\r\nHost: lab.test\r\n\r\n".encode())
        reply = client.reply(head=method == "HEAD")
        assert reply.header("X-Decorated") == path, (method, path)
        assert reply.header("Set-Cookie") is None


def test_handler_exception_gives_a_plain_500_by_default(serve) -> None:
    def handler(request: Request) -> Response:
        raise KeyError("bug")

    conn = http_client(serve(handler))
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 500
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert response.read() == b"internal server error\n"
    conn.close()


def test_handler_exception_gives_on_errors_response(serve) -> None:
    errors: list[Exception] = []

    def handler(request: Request) -> Response:
        raise ValueError("bug")

    def on_error(request: Request, err: Exception) -> Response:
        errors.append(err)
        return Response(status=503, body=b'{"errors":[]}', content_type="application/json")

    conn = http_client(serve(handler, on_error=on_error))
    conn.request("GET", "/")
    response = conn.getresponse()
    assert (response.status, response.read()) == (503, b'{"errors":[]}')
    assert response.getheader("Content-Type") == "application/json"
    assert [type(err) for err in errors] == [ValueError]
    conn.close()


def test_access_log_has_method_path_status_and_no_header_values(serve) -> None:
    logger = logging.getLogger("tests.lab.http.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    lines = ListHandler()
    logger.addHandler(lines)
    try:
        conn = http_client(serve(lambda request: Response(status=202, text="ok"),
                                 access_log=logger))
        conn.request("GET", "/v2/lib/x/tags/list?n=1",
                     headers={"Authorization": "Basic c2VjcmV0LXZhbHVl",
                              "X-Token": "header-secret"})
        assert conn.getresponse().read() == b"ok"
        conn.close()
        assert lines.emitted.wait(_TIMEOUT)
    finally:
        logger.removeHandler(lines)
    [line] = lines.lines
    assert '"GET /v2/lib/x/tags/list HTTP/1.1" 202' in line
    assert "c2VjcmV0LXZhbHVl" not in line and "header-secret" not in line


# -- targets and queries --------------------------------------------------------------------


def _capture(seen: list[Request]) -> Handler:
    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(text="ok")
    return handler


def test_query_getall_blank_values_and_decoding(serve, connect) -> None:
    seen: list[Request] = []
    client = connect(serve(_capture(seen)))
    client.send(get("/q?scope=repo%3Aa%2Fb%3Apull&scope=c&empty=&flag&plus=a+b&pct=%E2%9C%93"))
    assert client.reply().status == 200
    query = seen[0].query
    assert query.getall("scope") == ["repo:a/b:pull", "c"]
    assert query.get("scope") == "repo:a/b:pull"
    assert (query.get("empty"), query.get("flag")) == ("", "")
    assert "flag" in query and "missing" not in query
    assert query.get("plus") == "a b" and query["pct"] == "✓"
    assert query.getall("missing") == [] and query.getall("missing", ["d"]) == ["d"]
    assert list(query) == ["scope", "empty", "flag", "plus", "pct"] and len(query) == 5
    assert seen[0].raw_query.startswith("scope=repo%3Aa%2Fb")


def test_raw_path_keeps_percent_encoding(serve, connect) -> None:
    seen: list[Request] = []
    client = connect(serve(_capture(seen)))
    client.send(get("/v2/a%2Fb/tags%20x/list"))
    assert client.reply().status == 200
    assert seen[0].raw_path == "/v2/a%2Fb/tags%20x/list"
    assert seen[0].path == "/v2/a/b/tags x/list"
    assert seen[0].host == "lab.test" and seen[0].scheme == "http"


@pytest.mark.parametrize("target,path,query", [
    ("http://lab.test:8080/v2/x/manifests/1?n=2", "/v2/x/manifests/1", "n=2"),
    ("https://lab.test/", "/", ""),
    ("http://lab.test", "/", ""),
    ("http://lab.test?n=2", "/", "n=2"),
])
def test_absolute_form_target(serve, connect, target: str, path: str, query: str) -> None:
    seen: list[Request] = []
    client = connect(serve(_capture(seen)))
    client.send(get(target))
    assert client.reply().status == 200
    assert (seen[0].raw_path, seen[0].raw_query) == (path, query)


# -- stop -----------------------------------------------------------------------------------


def _stop_in_thread(server: Server, timeout: float) -> threading.Thread:
    thread = threading.Thread(target=server.stop, kwargs={"timeout": timeout}, daemon=True)
    thread.start()
    return thread


def test_stop_closes_idle_keep_alive_connections_at_once(serve, connect) -> None:
    server = serve(echo)
    client = connect(server)
    client.send(get("/"))
    assert client.reply().header("Connection") == "keep-alive"
    # Waiting out the 30 s allowance would mean the idle connection counted as in flight.
    stopping = _stop_in_thread(server, timeout=30)
    stopping.join(10)
    assert not stopping.is_alive()
    assert client.at_eof()


def test_stop_lets_a_request_in_flight_finish(serve, connect) -> None:
    entered, finished = threading.Event(), threading.Event()

    def handler(request: Request) -> Response:
        entered.set()
        time.sleep(0.3)
        finished.set()
        return Response(text="done")

    server = serve(handler)
    client = connect(server)
    client.send(get("/slow"))
    assert entered.wait(_TIMEOUT)
    began = time.monotonic()
    server.stop(timeout=20)
    assert finished.is_set()
    assert time.monotonic() - began < 20  # it returned when the request ended, not at timeout
    reply = client.reply()
    assert (reply.body, reply.header("Connection")) == (b"done", "close")
    assert client.at_eof()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address(server), timeout=_TIMEOUT).close()


# -- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificatePaths:
    return ensure_certificates(tmp_path_factory.mktemp("tls"))


def _server_context(paths: CertificatePaths) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(paths.cert), str(paths.key))
    return context


def _https(server: Server, paths: CertificatePaths) -> http.client.HTTPSConnection:
    host, port = address(server)
    return http.client.HTTPSConnection(host, port, timeout=_TIMEOUT,
                                       context=ssl.create_default_context(cafile=str(paths.ca)))


def _https_get(server: Server, paths: CertificatePaths, path: str) -> bytes:
    conn = _https(server, paths)
    try:
        conn.request("GET", path)
        return conn.getresponse().read()
    finally:
        conn.close()


def test_tls_request_sees_https(serve, certificates: CertificatePaths) -> None:
    server = serve(lambda request: Response(text=f"{request.scheme} {request.raw_path}"),
                   ssl_context=_server_context(certificates))
    assert _https_get(server, certificates, "/v2/") == b"https /v2/"


def test_tls_client_that_never_handshakes_blocks_no_one(serve, connect,
                                                        certificates: CertificatePaths) -> None:
    server = serve(lambda request: Response(text="served"),
                   ssl_context=_server_context(certificates))
    silent = connect(server)  # TCP only: no ClientHello, ever
    assert _https_get(server, certificates, "/") == b"served"
    kept = _https(server, certificates)
    kept.request("GET", "/")
    assert kept.getresponse().read() == b"served"
    # stop() waits for neither (no request is in flight) and closes both.
    stopping = _stop_in_thread(server, timeout=30)
    stopping.join(10)
    assert not stopping.is_alive()
    assert silent.at_eof()
    assert kept.sock is not None and kept.sock.recv(1) == b""
    kept.close()


def test_plain_http_to_a_tls_server_fails_without_harm(serve, connect,
                                                       certificates: CertificatePaths) -> None:
    server = serve(lambda request: Response(text="served"),
                   ssl_context=_server_context(certificates))
    confused = connect(server)
    confused.send(get("/"))
    # The handshake fails: the connection ends (at most a TLS alert), with no HTTP answer.
    assert not confused._read(None).startswith(b"HTTP/")
    assert _https_get(server, certificates, "/") == b"served"
