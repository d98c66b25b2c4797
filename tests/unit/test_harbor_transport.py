"""The Harbor client's HTTP behaviour against a tiny local server (no Harbor, no lab).

A ``http.server`` on 127.0.0.1 plays the parts a real Harbor (or a wrong URL) would:
it sets the ``sid`` cookie and enforces Harbor's CSRF rule, pages lists with Harbor's
``Link`` header, answers with Harbor's error bodies, redirects, speaks TLS with its own
CA. These are transport edge cases; the practice lab's answers are checked against
Harbor's API description in tests/contract.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import urllib3

from regkit import errors
from regkit.harbor import Harbor, HarborAPI
from regkit.harbor.transport import SecretBasicAuth, network_error
from regkit.settings import RegistrySettings

PASSWORD = "Pa55-w0rd-never-shown"
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeHarbor:
    """A local HTTP(S) server whose answers the test decides, recording every request."""

    tls: ssl.SSLContext | None = None
    routes: dict[tuple[str, str], Callable[[Seen], Answer]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, parts.path, parse_qs(parts.query),
                            dict(self.headers.items()), self.rfile.read(length))
                fake.seen.append(seen)
                route = fake.routes.get((self.command, parts.path))
                status, headers, body = route(seen) if route else harbor_error(
                    404, "NOT_FOUND", f"path {parts.path} was not found")
                self.send_response(status)
                headers = {"Content-Type": "application/json", "X-Request-Id": "req-42", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_DELETE = do_PUT = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.address}"

    def settings(self, **kw: object) -> RegistrySettings:
        return RegistrySettings(self.url, **kw)  # type: ignore[arg-type]

    def on(self, method: str, path: str, answer: Callable[[Seen], Answer] | Answer) -> None:
        self.routes[(method, path)] = answer if callable(answer) else (lambda _seen: answer)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def harbor_error(status: int, code: str, message: str) -> Answer:
    return status, {}, json.dumps({"errors": [{"code": code, "message": message}]}).encode()


def ok_json(data: object, status: int = 200, **headers: str) -> Answer:
    return status, dict(headers), json.dumps(data).encode()


@pytest.fixture
def fake() -> Iterator[FakeHarbor]:
    server = FakeHarbor()
    yield server
    server.stop()


# -- cookies, headers, auth ----------------------------------------------------------------

def csrf_routes(fake: FakeHarbor) -> None:
    # Harbor's rule: a write carrying the sid cookie needs a CSRF token, else 403.
    fake.on("GET", "/api/v2.0/projects",
            ok_json([], **{"Set-Cookie": "sid=abc123; Path=/; HttpOnly", "X-Total-Count": "0"}))
    fake.on("POST", "/api/v2.0/projects", lambda seen: (
        harbor_error(403, "FORBIDDEN", "CSRF token invalid") if "sid=" in seen.headers.get("Cookie", "")
        else (201, {"Location": "/api/v2.0/projects/2"}, b"")))


def test_a_default_requests_session_falls_into_harbors_csrf_trap(fake):
    # The control: proves the server really sets a cookie a normal client sends back.
    csrf_routes(fake)
    session = requests.Session()
    session.get(fake.url + "/api/v2.0/projects")
    assert session.post(fake.url + "/api/v2.0/projects", json={}).status_code == 403


def test_cookies_are_never_kept_so_writes_pass_the_csrf_check(fake):
    csrf_routes(fake)
    api = HarborAPI(fake.settings(username="admin", password=PASSWORD))
    api.list_projects()
    assert api.create_project("demo").status_code == 201
    assert len(api.session.cookies) == 0
    assert all("Cookie" not in seen.headers for seen in fake.seen)


def test_a_session_passed_in_loses_its_cookies_and_gains_the_policy(fake):
    csrf_routes(fake)
    session = requests.Session()
    session.cookies.set("sid", "stale", domain="127.0.0.1", path="/")
    api = HarborAPI(fake.settings(), session=session)
    assert api.session is session
    api.list_projects()
    api.create_project("demo")
    assert all("Cookie" not in seen.headers for seen in fake.seen)


def test_user_agent_accept_and_basic_auth_are_sent(fake):
    fake.on("GET", "/api/v2.0/users/current", ok_json({"user_id": 1, "username": "admin"}))
    HarborAPI(fake.settings(username="admin", password=PASSWORD)).get_current_user_info()
    headers = fake.seen[-1].headers
    assert headers["User-Agent"].startswith("regkit/")
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == "Basic " + base64.b64encode(
        f"admin:{PASSWORD}".encode()).decode()


def test_anonymous_settings_send_no_authorization(fake):
    fake.on("GET", "/api/v2.0/projects", ok_json([], **{"X-Total-Count": "0"}))
    HarborAPI(fake.settings()).list_projects()
    assert "Authorization" not in fake.seen[-1].headers


def test_project_names_go_by_name_and_repository_names_twice_encoded(fake):
    fake.on("GET", "/api/v2.0/projects/123", ok_json({"project_id": 7, "name": "123"}))
    fake.on("GET", "/api/v2.0/projects/p/repositories/team%252Fapp/artifacts",
            ok_json([], **{"X-Total-Count": "0"}))
    api = HarborAPI(fake.settings())
    assert api.get_project("123")["project_id"] == 7
    assert fake.seen[-1].headers["X-Is-Resource-Name"] == "true"
    api.list_artifacts("p", "p/team/app", with_tag=True, with_label=False)
    assert fake.seen[-1].path == "/api/v2.0/projects/p/repositories/team%252Fapp/artifacts"
    assert fake.seen[-1].query == {"with_tag": ["true"], "with_label": ["false"]}


def test_hooks_see_every_answer_the_client_reads(fake):
    fake.on("GET", "/api/v2.0/ping", (200, {"Content-Type": "text/plain"}, b"Pong"))
    seen: list[requests.Response] = []
    harbor = Harbor(fake.settings(), hooks=[lambda response, **kw: seen.append(response)])
    assert harbor.ping()
    with pytest.raises(errors.NotFoundError):
        harbor.api.get_cert()
    assert [r.status_code for r in seen] == [200, 404]


# -- errors from answers --------------------------------------------------------------------

def test_an_error_answer_carries_operation_code_message_status_and_request_id(fake):
    fake.on("GET", "/api/v2.0/projects/demo", harbor_error(404, "NOT_FOUND", "project demo not found"))
    with pytest.raises(errors.ProjectNotFound) as caught:
        HarborAPI(fake.settings(username="admin", password=PASSWORD)).get_project("demo")
    err = caught.value
    assert err.operation == "GET /api/v2.0/projects/demo"
    assert (err.status, err.server_code, err.server_message, err.request_id) == (
        404, "NOT_FOUND", "project demo not found", "req-42")


def test_page_size_over_100_is_harbors_422(fake):
    fake.on("GET", "/api/v2.0/projects", lambda seen: harbor_error(
        422, "UNPROCESSABLE_ENTITY",
        "validation failure list:\npage_size in query should be less than or equal to 100")
        if int(seen.query["page_size"][0]) > 100 else ok_json([]))
    with pytest.raises(errors.RegistryError) as caught:
        HarborAPI(fake.settings()).list_projects(page_size=101)
    assert caught.value.status == 422 and "page_size=101" in caught.value.operation
    with pytest.raises(ValueError):
        next(HarborAPI(fake.settings()).pages(HarborAPI(fake.settings()).list_projects, page_size=101))


def test_a_redirect_is_reported_with_the_scheme_to_use_and_never_replayed_as_get(fake):
    fake.on("POST", "/api/v2.0/projects",
            (308, {"Location": "https://127.0.0.1:1/api/v2.0/projects"}, b""))
    with pytest.raises(errors.InsecureRegistryError) as caught:
        HarborAPI(fake.settings()).create_project("demo")
    assert "https://127.0.0.1:1" in caught.value.hint
    assert [s.method for s in fake.seen] == ["POST"]


def test_a_redirect_elsewhere_names_the_address(fake):
    fake.on("GET", "/api/v2.0/ping", (302, {"Location": "/harbor/sign-in"}, b""))
    with pytest.raises(errors.RegistryError) as caught:
        HarborAPI(fake.settings()).get_ping()
    assert "/harbor/sign-in" in str(caught.value)


def test_an_https_port_answering_plain_http_with_nginx_words_says_use_https(fake):
    fake.on("GET", "/api/v2.0/ping", (400, {"Content-Type": "text/html"},
             b"<html><center>The plain HTTP request was sent to HTTPS port</center></html>"))
    with pytest.raises(errors.InsecureRegistryError) as caught:
        HarborAPI(fake.settings()).get_ping()
    assert f"https://{fake.address}" in caught.value.hint


# -- no answer at all ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_nothing_listening_is_unreachable_with_the_address():
    port = free_port()
    with pytest.raises(errors.RegistryUnreachable) as caught:
        Harbor(RegistrySettings(f"http://127.0.0.1:{port}")).ping()
    assert f"127.0.0.1:{port}" in str(caught.value) and caught.value.hint


def test_a_silent_server_times_out_as_unreachable(fake):
    release = threading.Event()
    fake.on("GET", "/api/v2.0/ping", lambda seen: (release.wait(10), (200, {}, b"Pong"))[1])
    try:
        with pytest.raises(errors.RegistryUnreachable) as caught:
            HarborAPI(fake.settings(), timeout=0.3).get_ping()
        assert "did not answer" in str(caught.value)
    finally:
        release.set()


@pytest.mark.parametrize("text, words", [
    ("HTTPConnectionPool(host='nope.invalid', port=80): Max retries exceeded (Caused by "
     "NameResolutionError(\"Failed to resolve 'nope.invalid' ([Errno -2] Name or service not known)\"))",
     "does not resolve"),
    ("[Errno 111] Connection refused", "nothing accepts connections"),
])
def test_dns_and_refused_connections_are_told_apart(text, words):
    err = network_error(requests.ConnectionError(text), base_url="http://nope.invalid",
                        operation="GET /api/v2.0/ping", timeout=30)
    assert isinstance(err, errors.RegistryUnreachable) and words in str(err)


# -- TLS -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "regkit test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory = tmp_path_factory.mktemp("tls")
    pem = serialization.Encoding.PEM
    (directory / "ca.crt").write_bytes(ca.public_bytes(pem))
    (directory / "server.crt").write_bytes(cert.public_bytes(pem))
    (directory / "server.key").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "ca.crt", directory / "server.crt", directory / "server.key"


@pytest.fixture
def tls_fake(tls_files) -> Iterator[FakeHarbor]:
    _, cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = FakeHarbor(tls=context)
    server.on("GET", "/api/v2.0/ping", (200, {"Content-Type": "text/plain"}, b"Pong"))
    yield server
    server.stop()


def test_an_unknown_ca_is_a_certificate_error_saying_where_to_get_the_ca(tls_fake):
    with pytest.raises(errors.CertificateError) as caught:
        Harbor(tls_fake.settings()).ping()
    hint = caught.value.hint
    assert f"{tls_fake.url}/api/v2.0/systeminfo/getcert" in hint
    assert "REGKIT_CA_BUNDLE" in hint and "verify=" in hint


def test_the_ca_bundle_from_the_settings_is_trusted(tls_fake, tls_files, monkeypatch):
    # REQUESTS_CA_BUNDLE must not override the bundle the settings name.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    assert Harbor(tls_fake.settings(verify=str(tls_files[0]))).ping()
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        assert Harbor(tls_fake.settings(verify=False)).ping()


def test_https_to_a_plain_http_server_says_use_http(fake):
    with pytest.raises(errors.InsecureRegistryError) as caught:
        Harbor(RegistrySettings(f"https://{fake.address}")).ping()
    assert f"http://{fake.address}" in caught.value.hint


def test_http_to_a_tls_only_server_says_use_https(tls_fake):
    with pytest.raises(errors.InsecureRegistryError) as caught:
        Harbor(RegistrySettings(f"http://{tls_fake.address}")).ping()
    assert f"https://{tls_fake.address}" in caught.value.hint


# -- pagination ------------------------------------------------------------------------------

def paged_projects(fake: FakeHarbor, count: int, *, links: bool = True) -> None:
    """Serve ``count`` projects the way Harbor pages them."""
    items = [{"project_id": i, "name": f"p{i:03d}", "metadata": {"public": "false"}}
             for i in range(1, count + 1)]

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        size = int(seen.query.get("page_size", ["10"])[0])
        if size > 100:
            return harbor_error(422, "UNPROCESSABLE_ENTITY", "page_size in query should be "
                                "less than or equal to 100")
        chunk = items[(page - 1) * size: page * size]
        headers = {"X-Total-Count": str(count)}
        query = "&".join(f"{k}={v[0]}" for k, v in seen.query.items() if k != "page")
        found = []
        if page > 1:
            found.append(f'</api/v2.0/projects?page={page - 1}&{query}>; rel="prev"')
        if page * size < count:
            found.append(f'</api/v2.0/projects?page={page + 1}&{query}>; rel="next"')
        if found and links:
            headers["Link"] = " , ".join(found)
        return ok_json(chunk, **headers)

    fake.on("GET", "/api/v2.0/projects", answer)


@pytest.mark.parametrize("count, requests_needed", [(0, 1), (1, 1), (100, 1), (101, 2), (250, 3)])
def test_every_page_is_read_with_the_fewest_requests(fake, count, requests_needed):
    paged_projects(fake, count)
    names = [p.name for p in Harbor(fake.settings()).projects(q="name=~p")]
    assert names == [f"p{i:03d}" for i in range(1, count + 1)]
    assert len(fake.seen) == requests_needed
    assert all(s.query["page_size"] == ["100"] and s.query["q"] == ["name=~p"] for s in fake.seen)
    assert [s.query["page"] for s in fake.seen] == [[str(n)] for n in range(1, requests_needed + 1)]


def test_a_stripped_link_header_is_made_up_for_by_x_total_count(fake):
    paged_projects(fake, 230, links=False)
    assert len(Harbor(fake.settings()).projects()) == 230
    assert len(fake.seen) == 3


def test_a_link_back_to_a_page_already_read_ends_the_walk(fake):
    fake.on("GET", "/api/v2.0/projects", ok_json(
        [{"project_id": 1, "name": "a"}],
        **{"X-Total-Count": "1", "Link": '</api/v2.0/projects?page=1&page_size=100>; rel="next"'}))
    assert len(Harbor(fake.settings()).projects()) == 1
    assert len(fake.seen) == 1


def test_a_total_that_does_not_match_is_logged(fake, caplog):
    fake.on("GET", "/api/v2.0/projects", ok_json([{"project_id": 1, "name": "a"}],
                                                 **{"X-Total-Count": "5"}))
    with caplog.at_level(logging.WARNING, logger="regkit.harbor"):
        Harbor(fake.settings()).projects()
    assert "X-Total-Count said 5" in caplog.text


def test_the_repository_table_costs_one_request_per_100_repositories(fake):
    repos = [{"id": i, "project_id": 1, "name": f"library/r{i}", "artifact_count": i,
              "pull_count": 2 * i, "update_time": "2024-05-01T10:00:00.000Z"} for i in range(150)]
    fake.on("GET", "/api/v2.0/projects/library/repositories", lambda seen: ok_json(
        repos[(int(seen.query["page"][0]) - 1) * 100:][:100], **{"X-Total-Count": "150"}))
    rows = Harbor(fake.settings()).repository_table("library")
    assert len(rows) == 150 and (rows[3].artifacts, rows[3].pulls) == (3, 6)
    assert [s.path for s in fake.seen] == ["/api/v2.0/projects/library/repositories"] * 2


# -- the friendly layer's answers to awkward questions ---------------------------------------

def test_check_login_turns_harbors_silent_anonymous_fallback_into_an_error(fake):
    fake.on("GET", "/api/v2.0/users/current", harbor_error(401, "UNAUTHORIZED", "unauthorized"))
    with pytest.raises(errors.AuthenticationError) as caught:
        Harbor(fake.settings(username="admin", password="wrong")).check_login()
    assert "only this check catches them" in caught.value.hint
    assert caught.value.request_id == "req-42"


def test_check_login_without_credentials_sends_nothing(fake):
    with pytest.raises(errors.AuthenticationError):
        Harbor(fake.settings()).check_login()
    assert fake.seen == []


def test_a_robot_is_logged_in_although_harbor_refuses_it_users_current(fake):
    fake.on("GET", "/api/v2.0/users/current", harbor_error(
        412, "PRECONDITION", "get current user not available for security context: robot"))
    user = Harbor(fake.settings(username="robot$demo+ci", password=PASSWORD)).check_login()
    assert user.username == "robot$demo+ci"


@pytest.mark.parametrize("head_status, expected", [(404, errors.ProjectNotFound),
                                                    (200, errors.RegistryError)])
def test_a_403_on_a_project_is_resolved_into_missing_or_no_role(fake, head_status, expected):
    fake.on("GET", "/api/v2.0/projects/secret", harbor_error(403, "FORBIDDEN", "forbidden"))
    fake.on("HEAD", "/api/v2.0/projects", (head_status, {}, b""))
    with pytest.raises(expected) as caught:
        Harbor(fake.settings(username="ann", password=PASSWORD)).project("secret")
    assert type(caught.value) is expected
    assert fake.seen[-1].query == {"project_name": ["secret"]}


def test_project_exists_uses_head_when_logged_in_and_get_when_anonymous(fake):
    fake.on("HEAD", "/api/v2.0/projects", lambda seen: (
        200 if seen.query["project_name"] == ["demo"] else 404, {}, b""))
    fake.on("GET", "/api/v2.0/projects/library", ok_json({"project_id": 1, "name": "library"}))
    fake.on("GET", "/api/v2.0/projects/private", harbor_error(401, "UNAUTHORIZED", "unauthorized"))
    logged_in = Harbor(fake.settings(username="admin", password=PASSWORD))
    assert logged_in.project_exists("demo") and not logged_in.project_exists("nope")
    anonymous = Harbor(fake.settings())
    assert anonymous.project_exists("library")
    with pytest.raises(errors.AuthenticationError) as caught:
        anonymous.project_exists("private")
    assert "without a login" in str(caught.value)


def test_create_project_with_exist_ok_returns_the_existing_project(fake):
    fake.on("POST", "/api/v2.0/projects", harbor_error(409, "CONFLICT",
                                                       "The project named demo already exists"))
    fake.on("GET", "/api/v2.0/projects/demo", ok_json(
        {"project_id": 3, "name": "demo", "metadata": {"public": "true"}}))
    harbor = Harbor(fake.settings(username="admin", password=PASSWORD))
    assert harbor.create_project("demo", exist_ok=True).public
    with pytest.raises(errors.RegistryError) as caught:
        harbor.create_project("demo")
    assert caught.value.status == 409
    assert json.loads(fake.seen[0].body) == {"project_name": "demo", "metadata": {"public": "false"}}


def test_bad_names_are_refused_before_any_request(fake):
    harbor = Harbor(fake.settings(username="admin", password=PASSWORD))
    with pytest.raises(errors.InvalidReference):
        harbor.create_project("Bad Name")
    with pytest.raises(errors.InvalidReference):
        harbor.add_tag("library", "busybox", "latest", "-bad")
    assert fake.seen == []


def test_tags_of_a_whole_repository_come_from_the_artifact_list(fake):
    fake.on("GET", "/api/v2.0/projects/library/repositories/busybox/artifacts", ok_json([
        {"id": 1, "digest": "sha256:a", "tags": [{"id": 1, "name": "v1"}, {"id": 2, "name": "v2"}]},
        {"id": 2, "digest": "sha256:b", "tags": None}], **{"X-Total-Count": "2"}))
    assert [t.name for t in Harbor(fake.settings()).tags(None, "library/busybox")] == ["v1", "v2"]
    assert fake.seen[0].query["with_tag"] == ["true"]


# -- secrecy -----------------------------------------------------------------------------------

def test_the_password_appears_in_no_repr_message_or_log(fake, caplog):
    fake.on("GET", "/api/v2.0/users/current", harbor_error(401, "UNAUTHORIZED", "unauthorized"))
    settings = fake.settings(username="admin", password=PASSWORD)
    harbor = Harbor(settings)
    encoded = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(errors.AuthenticationError) as caught:
            harbor.check_login()
    shown = [repr(harbor), repr(harbor.api), repr(settings), repr(harbor.api.session.auth),
             str(caught.value), repr(caught.value), caplog.text]
    assert "X-Request-Id req-42" in caplog.text  # the debug log did record the request
    for text in shown:
        assert PASSWORD not in text and encoded not in text
    assert isinstance(harbor.api.session.auth, SecretBasicAuth)


def test_a_failed_write_is_sent_once_never_retried(fake):
    fake.on("POST", "/api/v2.0/projects", harbor_error(500, "UNKNOWN", "internal server error"))
    with pytest.raises(errors.RegistryError) as caught:
        HarborAPI(fake.settings()).create_project("demo")
    assert caught.value.status == 500 and len(fake.seen) == 1
