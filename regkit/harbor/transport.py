"""The HTTP side of the Harbor client: one ``requests`` session set up the way Harbor needs.

- **Cookies are refused** (``DefaultCookiePolicy(allowed_domains=[])``): Harbor sets a
  ``sid`` session cookie, and a write that sends it back must also carry a CSRF token,
  or Harbor answers 403 ``CSRF token invalid``. Without cookies the check is skipped.
- **Redirects are not followed**: an API call is never redirected by Harbor itself, so a
  redirect means the configured URL is wrong (``http://`` in front of an HTTPS-only
  Harbor), and ``requests`` would turn a redirected POST into a GET.
- **Credentials** are HTTP basic, revealed from the :class:`~regkit.settings.Secret`
  only while a request is prepared; nothing here prints, logs or reprs them.
- **Network failures** become regkit errors that name the fix: unreachable host or
  port, untrusted certificate (with where to get Harbor's CA), or HTTP spoken to an HTTPS
  server and the reverse (with the scheme to use).

Example:
    >>> from regkit.settings import RegistrySettings
    >>> session = build_session(RegistrySettings("http://127.0.0.1:8080"))
    >>> session.headers["User-Agent"].startswith("regkit/")
    True
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterable
from http.cookiejar import DefaultCookiePolicy
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from regkit import __version__
from regkit.errors import (
    CertificateError,
    InsecureRegistryError,
    RegistryError,
    RegistryUnreachable,
    RegkitError,
    SettingsError,
)

if TYPE_CHECKING:
    from regkit.settings import RegistrySettings, Secret

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ResponseHook",
    "SecretBasicAuth",
    "build_session",
    "network_error",
    "redirect_error",
    "scheme_mismatch_in_answer",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for a connection or for the next bytes of an answer."""

USER_AGENT = f"regkit/{__version__}"

ResponseHook = Callable[..., Any]
"""A ``requests`` response hook: called as ``hook(response, **kwargs)`` for every answer."""

# Texts an HTTPS server sends back when spoken to in plain HTTP (nginx in front of
# Harbor, Go's net/http), and OpenSSL's words when an HTTPS client reads plain HTTP.
_PLAIN_TO_TLS_ANSWERS = ("plain HTTP request was sent to HTTPS port",
                         "Client sent an HTTP request to an HTTPS server")
_TLS_TO_PLAIN_ERRORS = ("wrong version number", "WRONG_VERSION_NUMBER", "record layer failure",
                        "packet length too long", "unknown protocol")


class SecretBasicAuth(AuthBase):
    """HTTP basic auth that keeps the password wrapped until a request is prepared.

    Args:
        username: the Harbor user (``admin``, ``robot$project+name``).
        password: the password or robot secret, as a ``Secret``.

    Example:
        >>> from regkit.settings import Secret
        >>> auth = SecretBasicAuth("admin", Secret("Harbor12345"))
        >>> "Harbor12345" in repr(auth)
        False
    """

    def __init__(self, username: str, password: Secret) -> None:
        self.username = username
        self._password = password

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the ``Authorization`` header to ``request`` (called by ``requests``)."""
        basic = requests.auth.HTTPBasicAuth(self.username, self._password.reveal())
        return basic(request)

    def __repr__(self) -> str:
        return f"SecretBasicAuth(username={self.username!r}, password=<hidden>)"


def build_session(
    settings: RegistrySettings,
    *,
    session: requests.Session | None = None,
    hooks: Iterable[ResponseHook] = (),
) -> requests.Session:
    """Make (or adapt) a ``requests.Session`` for Harbor's API.

    A session passed in is configured in place: its cookie policy is replaced (Harbor's
    CSRF check leaves no safe way to keep cookies), and its ``verify``, auth and
    ``User-Agent`` are set from ``settings``. Other settings (adapters, proxies, extra
    headers, existing hooks) are kept.

    Args:
        settings: URL, credentials and TLS verification (``verify``: True, False or a CA
            bundle path).
        session: a session to reuse (e.g. one with a mounted adapter); a new one if None.
        hooks: response hooks to add; each sees every answer the client reads (tests use
            this to check answers against Harbor's API description).

    Returns:
        The configured session.

    Example:
        >>> from regkit.settings import RegistrySettings
        >>> seen = []
        >>> s = build_session(RegistrySettings("http://127.0.0.1:8080"), hooks=[lambda r, **kw: seen.append(r)])
        >>> len(s.hooks["response"])
        1
    """
    session = session if session is not None else requests.Session()
    session.cookies.clear()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    session.verify = settings.verify
    session.auth = (SecretBasicAuth(settings.username, settings.password)
                    if settings.username and settings.password is not None else None)
    session.hooks.setdefault("response", [])
    session.hooks["response"].extend(hooks)
    return session


def network_error(exc: Exception, *, base_url: str, operation: str, timeout: float) -> RegkitError:
    """Explain a failure to get any answer from Harbor (refused, DNS, TLS, timeout).

    Edge cases: an ``http://`` URL to a server that only speaks TLS usually shows up as a
    dropped connection; a short TLS handshake to the same port (at most 3 s) tells
    that case apart from a crashed server. A missing CA bundle file is a ``SettingsError``.

    Args:
        exc: the exception ``requests`` raised.
        base_url: the configured ``scheme://host[:port]``.
        operation: ``METHOD /path`` being attempted.
        timeout: the timeout in force, for the message.

    Returns:
        The regkit error, not raised.

    Example:
        >>> err = network_error(requests.ConnectionError("[Errno 111] Connection refused"),
        ...     base_url="http://127.0.0.1:9", operation="GET /api/v2.0/ping", timeout=30)
        >>> type(err).__name__
        'RegistryUnreachable'
    """
    parts = urlsplit(base_url)
    scheme, host = parts.scheme, parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    address = f"{host}:{port}"
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        if any(marker in text for marker in _TLS_TO_PLAIN_ERRORS):
            return _scheme_error(address, server_scheme="http", operation=operation, detail=text)
        return _certificate_error(text, base_url=base_url, address=address, operation=operation)
    if isinstance(exc, OSError) and "CA certificate bundle" in text:
        return SettingsError(
            "the CA bundle given for TLS verification cannot be read",
            operation=operation, server_message=text,
            hint="point REGKIT_CA_BUNDLE (or RegistrySettings(verify=...)) at an existing PEM "
            "file, e.g. the ca.crt Harbor serves at /api/v2.0/systeminfo/getcert",
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return RegistryUnreachable(
            f"{address} did not answer within {timeout:g} s",
            operation=operation, server_message=text,
            hint="check that Harbor is running and that no firewall drops the traffic; a "
            "slow server can be given more time with timeout=",
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return SettingsError(f"{base_url!r} is not a usable URL", operation=operation,
                             server_message=text, hint="use a URL such as https://harbor.example.com")
    if any(w in text for w in ("Name or service not known", "nodename nor servname",
                               "Failed to resolve", "getaddrinfo failed", "No address associated")):
        return RegistryUnreachable(
            f"the host name {host!r} does not resolve",
            operation=operation, server_message=text,
            hint="check the spelling of the registry URL, or add the name to DNS or /etc/hosts",
        )
    if "refused" in text.lower():
        return RegistryUnreachable(
            f"nothing accepts connections on {address}",
            operation=operation, server_message=text,
            hint="check the port and that Harbor is running (Harbor listens on 80 for http "
            "and 443 for https by default; `regkit lab status` prints the practice lab's URL)",
        )
    if scheme == "http" and _speaks_tls(host, port):
        return _scheme_error(address, server_scheme="https", operation=operation, detail=text)
    return RegistryUnreachable(f"the connection to {address} failed", operation=operation,
                               server_message=text)


def scheme_mismatch_in_answer(response: requests.Response, *, base_url: str,
                              operation: str) -> RegkitError | None:
    """Recognise the 400 page an HTTPS server sends to a plain-HTTP request.

    Args:
        response: an answer with status 400.
        base_url: the configured ``scheme://host[:port]``.
        operation: ``METHOD /path`` that was sent.

    Returns:
        An ``InsecureRegistryError`` saying to use ``https://``, or None if the answer is
        something else.

    Example:
        >>> r = requests.Response(); r.status_code = 400
        >>> r._content = b"The plain HTTP request was sent to HTTPS port"
        >>> type(scheme_mismatch_in_answer(r, base_url="http://h:443", operation="GET /")).__name__
        'InsecureRegistryError'
    """
    text = response.text[:2000]
    if not any(marker in text for marker in _PLAIN_TO_TLS_ANSWERS):
        return None
    parts = urlsplit(base_url)
    address = f"{parts.hostname}:{parts.port or 80}"
    return _scheme_error(address, server_scheme="https", operation=operation,
                         detail=" ".join(text.split())[:200])


def redirect_error(response: requests.Response, *, base_url: str, operation: str) -> RegkitError:
    """Explain a redirect: Harbor's API never redirects, so the configured URL is off.

    Args:
        response: the 3xx answer.
        base_url: the configured ``scheme://host[:port]``.
        operation: ``METHOD /path`` that was sent.

    Returns:
        ``InsecureRegistryError`` when only the scheme changed (http to https), else
        ``RegistryError`` naming the address to use.

    Example:
        >>> r = requests.Response(); r.status_code = 308
        >>> r.headers["Location"] = "https://h/api/v2.0/ping"
        >>> type(redirect_error(r, base_url="http://h", operation="GET /api/v2.0/ping")).__name__
        'InsecureRegistryError'
    """
    location = response.headers.get("Location", "")
    target = urlsplit(requests.compat.urljoin(base_url + "/", location))
    here = urlsplit(base_url)
    target_base = f"{target.scheme}://{target.netloc}"
    if target.scheme != here.scheme and target.hostname == here.hostname:
        return InsecureRegistryError(
            f"{base_url} redirects to {target_base}: Harbor is served over {target.scheme}",
            operation=operation, status=response.status_code, server_message=f"Location: {location}",
            hint=f"use {target_base} as the registry URL (REGKIT_REGISTRY_URL={target_base})",
        )
    return RegistryError(
        f"{base_url} redirects to {location!r} instead of answering the API",
        operation=operation, status=response.status_code, server_message=f"Location: {location}",
        hint=f"use Harbor's own address as the registry URL (perhaps {target_base}), without "
        "/api/v2.0 or a UI path",
    )


def _scheme_error(address: str, *, server_scheme: str, operation: str, detail: str) -> RegkitError:
    client_scheme = "https" if server_scheme == "http" else "http"
    return InsecureRegistryError(
        f"{address} speaks {server_scheme.upper()}, but the URL says {client_scheme}://",
        operation=operation, server_message=detail,
        hint=f"use {server_scheme}://{address} as the registry URL "
        f"(REGKIT_REGISTRY_URL={server_scheme}://{address})",
    )


def _certificate_error(text: str, *, base_url: str, address: str, operation: str) -> RegkitError:
    getcert = f"{base_url}/api/v2.0/systeminfo/getcert"
    if "mismatch" in text or "doesn't match" in text or "not valid for" in text:
        return CertificateError(
            f"the certificate of {address} does not name {urlsplit(base_url).hostname}",
            operation=operation, server_message=text,
            hint="use the host name the certificate was issued for, or reissue it with this "
            "name or IP in its subjectAltName",
        )
    if "expired" in text:
        return CertificateError(f"the certificate of {address} has expired", operation=operation,
                                server_message=text, hint="renew the certificate on the server")
    return CertificateError(
        f"the certificate of {address} is signed by an authority this machine does not trust",
        operation=operation, server_message=text,
        hint=f"pass Harbor's CA bundle: RegistrySettings(..., verify='/path/to/ca.crt') or "
        f"REGKIT_CA_BUNDLE=/path/to/ca.crt; Harbor serves it at {getcert} (download it once "
        f"with `curl -k -o ca.crt {getcert}` and compare its fingerprint with your admin's)",
    )


def _speaks_tls(host: str, port: int) -> bool:
    # A TLS handshake that completes proves the server wanted HTTPS; certificate trust
    # is irrelevant here, hence no verification.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=3) as raw:
            with context.wrap_socket(raw, server_hostname=host or None):
                return True
    except (OSError, ValueError):
        return False
