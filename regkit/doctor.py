"""``regkit doctor``: would a push work, and if not, which link is broken and how to fix it.

A push crosses many links, and the Engine names only the first one that breaks, in words
that rarely say what to do. :func:`diagnose` walks the links in order and stops at the first
broken one:

1. ``name``: the image name starts with a registry (``host[:port]``); a name without one
   goes to Docker Hub, which answers ``denied: requested access to the resource is denied``.
2. ``resolve``: the registry's name resolves to an address.
3. ``port``: something accepts connections on its port.
4. ``scheme``: it speaks HTTPS or plain HTTP, and whether that is what the URL says.
5. ``certificate`` (HTTPS): not expired, names the host, signed by a CA the Engine trusts
   (system CAs plus ``/etc/docker/certs.d/<host:port>/*.crt``) and regkit trusts.
6. ``engine``: how the Engine classifies the registry (secure, insecure by CIDR, insecure
   by entry: :meth:`regkit.engine.Engine.registry_view`), and whether that fits the scheme
   the registry speaks (plain HTTP to a "secure" registry is refused).
7. ``credentials``: Harbor's ``/users/current`` accepts the username and password (a wrong
   password anywhere else in Harbor's API silently counts as anonymous).
8. ``project``: the project exists (Harbor never creates one on push).
9. ``push``: the token service grants ``push`` on ``<project>/<repository>`` to this user.

Each check is one line: what was found, and for the broken one why it breaks a push and
the command or file change that fixes it. The network is only ever asked about the
registry named in the settings (and the token service it points to).

Example:
    >>> from regkit.settings import RegistrySettings
    >>> report = diagnose(RegistrySettings("http://127.0.0.1:8080"))  # doctest: +SKIP
    >>> print(report.text())  # doctest: +SKIP
    regkit doctor: 127.0.0.1:8080, project library, anonymous
    ✓ name         images go to 127.0.0.1:8080/library/NAME
    ...
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import os
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from regkit.daemon_json import DEFAULT_CERTS_D
from regkit.errors import (
    AuthenticationError,
    CertificateError,
    EngineUnavailable,
    InsecureRegistryError,
    InvalidReference,
    ProjectNotFound,
    PushDenied,
    RegistryUnreachable,
    RegkitError,
    SettingsError,
)
from regkit.reference import is_ip_literal, parse_reference, validate_registry_host
from regkit.settings import RegistrySettings

if TYPE_CHECKING:
    from cryptography import x509

    from regkit.engine import Engine, RegistryView
    from regkit.harbor import Harbor

__all__ = [
    "CHECKS",
    "Check",
    "Report",
    "certificate_names",
    "diagnose",
    "go_hostname_error",
    "name_matches",
]

CHECKS = ("name", "resolve", "port", "scheme", "certificate", "engine", "credentials",
          "project", "push")
"""The checks, in the order :func:`diagnose` runs them."""

DEFAULT_TIMEOUT = 5.0
_PROBE_REPOSITORY = "doctor"
# OpenSSL verify codes that mean "no trusted CA signed this chain".
_UNKNOWN_CA_CODES = {2, 18, 19, 20, 21}
_ERRORS: dict[str, type[RegkitError]] = {cls.__name__: cls for cls in (
    AuthenticationError, CertificateError, EngineUnavailable, InsecureRegistryError,
    InvalidReference, ProjectNotFound, PushDenied, RegistryUnreachable, RegkitError,
    SettingsError)}


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """The outcome of one check.

    Attributes:
        name: the check (one of :data:`CHECKS`).
        ok: True when this link holds.
        what: one sentence: what was found (the problem, when not ok).
        why: why that breaks a push (None when ok).
        fix: the command or file change that fixes it (None when ok).
        error: the regkit error class a push would raise here (``CertificateError``...).

    Example:
        >>> print(Check("port", True, "127.0.0.1:8080 accepts connections").line())
        ✓ port         127.0.0.1:8080 accepts connections
    """

    name: str
    ok: bool
    what: str
    why: str | None = None
    fix: str | None = None
    error: str | None = None

    def line(self) -> str:
        """The check as one line: mark, name, what, and for a failure why and the fix.

        Returns:
            e.g. ``✗ project      project demo does not exist — ... — fix: ...``.
        """
        text = f"{'✓' if self.ok else '✗'} {self.name:<12} {self.what}"
        if self.why:
            text += f" — {self.why}"
        if self.fix:
            text += f" — fix: {self.fix}"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data (``None`` fields included, for stable keys).

        Returns:
            ``{"check", "ok", "what", "why", "fix", "error"}``.
        """
        return {"check": self.name, "ok": self.ok, "what": self.what, "why": self.why,
                "fix": self.fix, "error": self.error}


@dataclass(frozen=True)
class Report:
    """What :func:`diagnose` found: the checks it ran, up to the first broken link.

    Attributes:
        registry: the registry checked (``host[:port]``), or the name given when it names
            none.
        url: the registry URL used, when there is one.
        project: the Harbor project.
        username: the account checked (None: anonymous).
        checks: the checks run, in order; only the last may have failed.

    Example:
        >>> r = Report("h:5000", "http://h:5000", "library", None,
        ...            (Check("name", True, "images go to h:5000/library/NAME"),))
        >>> r.push_would_work
        False
    """

    registry: str
    url: str | None
    project: str | None
    username: str | None
    checks: tuple[Check, ...] = field(default=())

    @property
    def finding(self) -> Check | None:
        """The broken link, or None."""
        return next((check for check in self.checks if not check.ok), None)

    @property
    def push_would_work(self) -> bool:
        """True when every check ran and passed."""
        return self.finding is None and bool(self.checks) and self.checks[-1].name == "push"

    @property
    def exit_code(self) -> int:
        """``regkit doctor``'s exit code: 0 when a push would work, else 1."""
        return 0 if self.push_would_work else 1

    def error(self) -> RegkitError | None:
        """The broken link as the regkit error a push would raise (not raised), or None.

        Returns:
            An instance of the check's error class, its hint the fix.
        """
        finding = self.finding
        if finding is None:
            return None
        cls = _ERRORS.get(finding.error or "", RegkitError)
        return cls(finding.what, operation=f"regkit doctor {self.registry}",
                   hint=finding.fix)

    def text(self) -> str:
        """The report for people: a heading, one line per check, and the verdict.

        Returns:
            Several lines.
        """
        who = self.username or "anonymous"
        head = f"regkit doctor: {self.registry}"
        if self.project:
            head += f", project {self.project}"
        lines = [f"{head}, {who}"]
        lines += [check.line() for check in self.checks]
        if self.push_would_work:
            lines.append(f"A push to {self.registry}/{self.project} would work.")
        else:
            lines.append("A push would fail here: fix the ✗ line, then run `regkit doctor` "
                         "again.")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The report for scripts (``regkit doctor --json``).

        Returns:
            ``registry``, ``url``, ``project``, ``username``, ``push_would_work``, ``checks``
            and ``finding`` (the broken check, or None).
        """
        finding = self.finding
        return {"registry": self.registry, "url": self.url, "project": self.project,
                "username": self.username, "push_would_work": self.push_would_work,
                "checks": [check.as_dict() for check in self.checks],
                "finding": finding.as_dict() if finding else None}

    def __str__(self) -> str:
        return self.text()


class _Broken(Exception):
    """Raised by a check that failed, to stop the walk."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.what)
        self.check = check


def _fail(name: str, what: str, why: str, fix: str, error: type[RegkitError]) -> _Broken:
    return _Broken(Check(name, False, what, why, fix, error.__name__))


# -- pure helpers ---------------------------------------------------------------------------------


def _split_host(host: str) -> tuple[str, int | None]:
    """``host[:port]`` (``[v6]:port`` too) into the host name and the port, if any."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, int(rest[1:]) if rest.startswith(":") else None
    if host.count(":") == 1:
        name, port = host.split(":")
        return name, int(port)
    return host, None


def _registry_host(text: str) -> bool:
    """Whether ``text`` alone is a registry address (``h.example``, ``h:5000``, ``localhost``)."""
    try:
        validate_registry_host(text)
        name, port = _split_host(text)
    except (InvalidReference, ValueError):
        return False
    return port is not None or "." in name or name == "localhost"


def certificate_names(cert: x509.Certificate) -> list[str]:
    """The names a certificate is valid for, as Docker (Go) checks them: its subjectAltName.

    The subject's Common Name is not used (Go stopped accepting it in 1.15), so a
    certificate without subjectAltName names nothing.

    Args:
        cert: the server certificate.

    Returns:
        DNS names first, then IP addresses, in the certificate's order.

    Example:
        >>> certificate_names(cert)  # doctest: +SKIP
        ['localhost', '127.0.0.1', '::1']
    """
    from cryptography import x509

    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return ([str(name) for name in sans.get_values_for_type(x509.DNSName)]
            + [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)])


def name_matches(host: str, names: list[str]) -> bool:
    """Whether ``host`` is one of a certificate's ``names``, by Go's rules.

    An IP address must equal an IP entry; a DNS name matches an entry case-insensitively,
    and ``*.example.com`` matches exactly one more label on the left.

    Args:
        host: the name or address the registry is reached by (no port).
        names: from :func:`certificate_names`.

    Returns:
        True on a match.

    Example:
        >>> name_matches("harbor.example.com", ["*.example.com"])
        True
        >>> name_matches("10.203.0.2", ["127.0.0.1", "::1"])
        False
    """
    if is_ip_literal(host):
        address = ipaddress.ip_address(host)
        return any(is_ip_literal(name) and ipaddress.ip_address(name) == address for name in names)
    wanted = host.lower().rstrip(".")
    for name in names:
        if is_ip_literal(name):
            continue
        pattern = name.lower().rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            if wanted.split(".", 1)[1] == pattern[2:]:
                return True
    return False


def go_hostname_error(host: str, names: list[str]) -> str:
    """The words Docker (Go's ``x509.HostnameError``) uses when a certificate does not name ``host``.

    Args:
        host: the name or address the registry is reached by.
        names: the certificate's names (:func:`certificate_names`).

    Returns:
        The message, e.g. ``x509: certificate is valid for 127.0.0.1, ::1, not 10.203.0.2``.

    Example:
        >>> go_hostname_error("10.203.0.2", ["localhost", "127.0.0.1", "::1"])
        'x509: certificate is valid for 127.0.0.1, ::1, not 10.203.0.2'
        >>> go_hostname_error("10.203.0.2", ["localhost"])
        "x509: cannot validate certificate for 10.203.0.2 because it doesn't contain any IP SANs"
    """
    if is_ip_literal(host):
        valid = [name for name in names if is_ip_literal(name)]
        if not valid:
            return (f"x509: cannot validate certificate for {host} because it doesn't "
                    "contain any IP SANs")
    else:
        valid = [name for name in names if not is_ip_literal(name)]
        if not valid:
            return "x509: certificate relies on legacy Common Name field, use SANs instead"
    return f"x509: certificate is valid for {', '.join(valid)}, not {host}"


def _issuer(cert: x509.Certificate) -> str:
    return cert.issuer.rfc4514_string() or "(empty issuer)"


# -- settings -------------------------------------------------------------------------------------


# -- the walk -------------------------------------------------------------------------------------


@dataclass
class _Walk:
    settings: RegistrySettings
    engine: Engine | None
    certs_dir: Path
    timeout: float
    configured_scheme: str | None
    repository: str
    checks: list[Check] = field(default_factory=list)
    spoken: str | None = None
    leaf: Any = None
    _view: RegistryView | EngineUnavailable | None = None
    _harbor: Harbor | None = None
    _is_harbor: bool | None = None

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def hostname(self) -> str:
        return _split_host(self.host)[0]

    @property
    def port(self) -> int:
        port = _split_host(self.host)[1]
        if port is not None:
            return port
        return 80 if self.configured_scheme == "http" else 443

    def ok(self, name: str, what: str) -> None:
        self.checks.append(Check(name, True, what))

    def engine_view(self) -> RegistryView | EngineUnavailable:
        if self._view is None:
            from regkit.engine import Engine

            if self.engine is None:
                self.engine = Engine()
            try:
                self._view = self.engine.registry_view(self.host)
            except EngineUnavailable as err:
                self._view = err
            except RegkitError as err:
                self._view = EngineUnavailable(err.message, hint=err.hint)
        return self._view

    def harbor(self) -> Harbor:
        if self._harbor is None:
            from regkit.harbor import Harbor

            self._harbor = Harbor(self.settings, timeout=self.timeout)
        return self._harbor


def diagnose(
    settings: RegistrySettings | None = None,
    engine: Engine | None = None,
    *,
    name: str | None = None,
    certs_dir: str | os.PathLike[str] = DEFAULT_CERTS_D,
    timeout: float = DEFAULT_TIMEOUT,
) -> Report:
    """Check, link by link, whether a push to the registry would work; stop at the first break.

    Args:
        settings: the registry, project and credentials; :func:`regkit.course.default_settings` (the
            ``REGKIT_*`` variables, else the practice lab) when None.
        engine: the Docker Engine whose view counts; :class:`regkit.engine.Engine` (found
            as everywhere in regkit) when None.
        name: what to check instead of the settings' registry, as a learner would type it:
            a URL (``https://h``), ``host[:port]``, ``$REGISTRY`` (``host:port/project``) or
            an image name (``host:port/project/app:v1``). A bare ``host[:port]`` has no
            scheme: the doctor finds out which one the registry speaks. A name without a
            registry (``library/busybox``) is diagnosed as a Docker Hub name without any
            network traffic.
        certs_dir: the Engine's ``certs.d`` folder (Docker reads ``/etc/docker/certs.d``).
        timeout: seconds to wait for each connection or answer.

    Returns:
        The :class:`Report`; ``report.push_would_work`` is the verdict.

    Edge cases:
        Nothing raises for a registry problem: every failure becomes the report's finding.
        Credentials are checked only through ``/users/current`` and the token service, never
        printed. A registry without Harbor's API (a plain distribution registry) skips the
        project check, and its push check follows its own challenge (basic or token).

    Example:
        >>> diagnose(name="library/busybox").finding.error  # doctest: +SKIP
        'PushDenied'
    """
    env_settings = settings is None
    base: RegistrySettings | None = settings
    checks: list[Check] = []
    try:
        if base is None:
            from regkit.course import default_settings

            base = default_settings()
        walk = _target(base, name, engine, Path(certs_dir), timeout, env_settings)
    except _Broken as broken:
        registry = name or (base.host if base is not None else "?")
        return Report(registry, base.url if base is not None and name is None else None,
                      base.project if base is not None else None,
                      base.username if base is not None else None, (broken.check,))
    except SettingsError as err:
        check = Check("name", False, err.message, "regkit cannot build a registry address "
                      "from the settings", err.hint or "fix the REGKIT_* variable it names",
                      "SettingsError")
        return Report(name or "?", None, None, None, (check,))
    checks = walk.checks
    made_engine = engine is None
    steps = (_resolve, _port, _scheme, _certificate, _engine, _credentials, _project, _push)
    for step in steps:
        try:
            step(walk)
        except _Broken as broken:
            checks.append(broken.check)
            break
        except RegkitError as err:
            # A failure the step did not foresee still says what happened and how to fix it.
            checks.append(Check(step.__name__.strip("_"), False, err.message,
                                err.server_message, err.hint, type(err).__name__))
            break
    if made_engine and walk.engine is not None:
        walk.engine.close()
    return Report(walk.host, walk.settings.url, walk.settings.project, walk.settings.username,
                  tuple(checks))


def _target(base: RegistrySettings, name: str | None, engine: Engine | None, certs_dir: Path,
            timeout: float, env_settings: bool) -> _Walk:
    """Work out the registry, project and scheme to check (the ``name`` check)."""
    repository = _PROBE_REPOSITORY
    configured: str | None = base.scheme
    settings = base
    if name:
        text = name.strip()
        if "://" in text:
            scheme, _, rest = text.partition("://")
            host, _, path = rest.partition("/")
            configured = scheme.lower()
        elif "/" not in text and _registry_host(text):
            host, path, configured = text, "", None
        else:
            try:
                ref = parse_reference(text)
            except InvalidReference as err:
                raise _fail("name", f"{text} is not a valid image or registry name",
                            err.message, err.hint or "check the spelling",
                            InvalidReference) from None
            if ref.registry is None:
                raise _fail(
                    "name", f"{text} names no registry, so Docker sends it to Docker Hub "
                    f"({ref.normalized})",
                    "the part before the first '/' has no '.', no ':port' and is not "
                    "'localhost', so Docker reads it as a Docker Hub repository, and Docker "
                    "Hub answers `denied: requested access to the resource is denied`",
                    f"put your registry in front: `docker tag {text} "
                    f"{base.registry_variable}/{ref.path.rsplit('/', 1)[-1]}`, then push that "
                    "name", PushDenied)
            host, path, configured = ref.registry, ref.path, None
        parts = [part for part in path.split("/") if part]
        project = parts[0] if parts else base.project
        if len(parts) > 1:
            repository = "/".join(parts[1:]).split(":", 1)[0].split("@", 1)[0]
        url = f"{configured or 'https'}://{host}"
        if env_settings and host != base.host:
            # Credentials the course filled in for its own lab must not travel to another
            # registry: start again from the REGKIT_* variables alone.
            from regkit.course import with_lab_account

            settings = with_lab_account(RegistrySettings.from_env(url=url, project=project))
        else:
            settings = base.replace(url=url, project=project)
    walk = _Walk(settings, engine, certs_dir, timeout, configured, repository)
    walk.ok("name", f"images go to {settings.registry_variable}/NAME")
    return walk


def _resolve(walk: _Walk) -> None:
    hostname = walk.hostname
    if is_ip_literal(hostname):
        walk.ok("resolve", f"{hostname} is an IP address")
        return
    try:
        infos = socket.getaddrinfo(hostname, walk.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _fail(
            "resolve", f"the name {hostname} does not resolve",
            f"neither DNS nor /etc/hosts knows it (the Engine would say `dial tcp: lookup "
            f"{hostname}: no such host`)",
            "check the spelling in REGKIT_REGISTRY_URL, or add the name to DNS or /etc/hosts "
            f"(`echo 'ADDRESS {hostname}' | sudo tee -a /etc/hosts`)",
            RegistryUnreachable) from None
    addresses = sorted({info[4][0] for info in infos})
    walk.ok("resolve", f"{hostname} resolves to {', '.join(addresses)}")


def _port(walk: _Walk) -> None:
    where = f"{walk.hostname}:{walk.port}"
    try:
        with socket.create_connection((walk.hostname, walk.port), timeout=walk.timeout):
            pass
    except ConnectionRefusedError:
        raise _fail(
            "port", f"nothing listens on {where}",
            "the connection was refused: the registry is not running, or listens on another "
            "port (the Engine would say `connect: connection refused`)",
            "start the registry (the practice lab: `regkit lab up`), or put its port in "
            "REGKIT_REGISTRY_URL (Harbor listens on 443 for https and 80 for http)",
            RegistryUnreachable) from None
    except TimeoutError:
        raise _fail(
            "port", f"{where} does not answer (no reply within {walk.timeout:g} s)",
            "a firewall drops the packets, or the host is down",
            "check the address, that the registry runs, and the firewalls on the way",
            RegistryUnreachable) from None
    except OSError as err:
        raise _fail("port", f"cannot connect to {where}: {err.strerror or err}",
                    "the network has no way to that address",
                    "check the address and this machine's network", RegistryUnreachable
                    ) from None
    walk.ok("port", f"{where} accepts connections")


def _probe_tls(walk: _Walk) -> bytes | None:
    """The server's certificate (DER) if it completes a TLS handshake, else None."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    server_name = None if is_ip_literal(walk.hostname) else walk.hostname
    try:
        with socket.create_connection((walk.hostname, walk.port), timeout=walk.timeout) as raw:
            with context.wrap_socket(raw, server_hostname=server_name) as tls:
                return tls.getpeercert(binary_form=True)
    except (OSError, ValueError):
        return None


def _probe_http(walk: _Walk) -> bool:
    """Whether the server answers a plain-HTTP request with an HTTP status line."""
    request = (f"GET /v2/ HTTP/1.1\r\nHost: {walk.host}\r\nUser-Agent: regkit-doctor\r\n"
               "Connection: close\r\n\r\n").encode()
    try:
        with socket.create_connection((walk.hostname, walk.port), timeout=walk.timeout) as raw:
            raw.sendall(request)
            return raw.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def _scheme(walk: _Walk) -> None:
    der = _probe_tls(walk)
    spoken = "https" if der is not None else ("http" if _probe_http(walk) else None)
    where = walk.host
    if spoken is None:
        raise _fail("scheme", f"{where} answers neither HTTPS nor HTTP",
                    "something else listens on that port", "check the port in "
                    "REGKIT_REGISTRY_URL", RegistryUnreachable)
    walk.spoken = spoken
    if der is not None:
        from cryptography import x509

        walk.leaf = x509.load_der_x509_certificate(der)
    label = "HTTPS" if spoken == "https" else "plain HTTP"
    configured = walk.configured_scheme
    if configured is None:
        walk.settings = walk.settings.replace(url=f"{spoken}://{walk.host}")
        walk.ok("scheme", f"{where} speaks {label} (no scheme was given)")
        return
    if configured == spoken:
        walk.ok("scheme", f"{where} speaks {label}, as the URL says ({walk.settings.url})")
        return
    if spoken == "https":
        raise _fail("scheme", f"{where} speaks HTTPS, but the URL says http://",
                    "an HTTPS server refuses plain-HTTP requests, so regkit's calls to "
                    "Harbor's API would fail",
                    f"use https://{where}: `export REGKIT_REGISTRY_URL=https://{where}`",
                    InsecureRegistryError)
    raise _fail("scheme", f"{where} speaks plain HTTP, but the URL says https://",
                "regkit's calls to Harbor's API would fail (`server gave HTTP response to "
                "HTTPS client`)",
                f"use http://{where}: `export REGKIT_REGISTRY_URL=http://{where}` (the Engine "
                "also needs it in insecure-registries unless it is on 127.0.0.0/8)",
                InsecureRegistryError)


def _engine_trust(walk: _Walk) -> tuple[ssl.SSLContext, list[Path]]:
    """The CAs the Engine trusts for this registry: the system's and certs.d/<host>/*.crt."""
    context = ssl.create_default_context()
    context.check_hostname = False
    folder = walk.certs_dir / walk.host
    files = sorted(folder.glob("*.crt")) if folder.is_dir() else []
    for path in files:
        try:
            context.load_verify_locations(cafile=str(path))
        except (OSError, ssl.SSLError):
            continue
    return context, files


def _client_trust(walk: _Walk) -> tuple[ssl.SSLContext, str]:
    """The CAs regkit's API client (requests) trusts, and where they come from."""
    verify = walk.settings.verify
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify), f"REGKIT_CA_BUNDLE ({verify})"
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        return ssl.create_default_context(cafile=bundle), f"REQUESTS_CA_BUNDLE ({bundle})"
    from requests.certs import where

    return ssl.create_default_context(cafile=where()), "requests' CA list (certifi)"


def _chain_error(walk: _Walk, context: ssl.SSLContext) -> ssl.SSLCertVerificationError | None:
    """Verify the chain (not the name) with ``context``; the verification error, if any."""
    context.check_hostname = False
    server_name = None if is_ip_literal(walk.hostname) else walk.hostname
    try:
        with socket.create_connection((walk.hostname, walk.port), timeout=walk.timeout) as raw:
            with context.wrap_socket(raw, server_hostname=server_name):
                return None
    except ssl.SSLCertVerificationError as err:
        return err
    except OSError:
        return None


def _certificate(walk: _Walk) -> None:
    if walk.spoken != "https" or walk.leaf is None:
        return
    leaf = walk.leaf
    view = walk.engine_view()
    engine_skips = not isinstance(view, EngineUnavailable) and not view.secure
    client_skips = walk.settings.verify is False
    if engine_skips and client_skips:
        walk.ok("certificate", f"not verified: the Engine lists {walk.host} in "
                "insecure-registries and REGKIT_TLS_VERIFY is off")
        return
    now = dt.datetime.now(dt.timezone.utc)
    if leaf.not_valid_after_utc < now or leaf.not_valid_before_utc > now:
        when = (f"expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
                if leaf.not_valid_after_utc < now
                else f"is valid only from {leaf.not_valid_before_utc:%Y-%m-%d}")
        raise _fail("certificate", f"the certificate of {walk.host} {when}",
                    "clients refuse a certificate outside its validity dates (`x509: "
                    "certificate has expired or is not yet valid`); check this machine's "
                    "clock too", "renew the registry's certificate (Harbor: replace the "
                    "files named in harbor.yml's https section, then restart Harbor)",
                    CertificateError)
    names = certificate_names(leaf)
    if not name_matches(walk.hostname, names):
        listed = ", ".join(names) if names else "no name at all (no subjectAltName)"
        raise _fail(
            "certificate", f"the certificate of {walk.host} does not name {walk.hostname}",
            f"it is valid for {listed}; Docker checks the subjectAltName, never the Common "
            f"Name (`{go_hostname_error(walk.hostname, names)}`)",
            f"reissue the certificate with {walk.hostname} in its subjectAltName (Harbor: "
            "the hostname in harbor.yml), or reach the registry by a name it lists",
            CertificateError)
    notes = []
    if engine_skips:
        notes.append("not verified by the Engine (insecure-registries)")
    else:
        context, files = _engine_trust(walk)
        error = _chain_error(walk, context)
        folder = walk.certs_dir / walk.host
        if error is not None:
            if files:
                why = (f"{', '.join(str(p) for p in files)} holds a CA that did not sign it "
                       f"(it was issued by {_issuer(leaf)})")
                fix = f"replace {folder}/ca.crt with the registry's own CA"
            else:
                why = (f"it was issued by {_issuer(leaf)}, which is neither in the system's "
                       f"CAs nor in {folder}/ca.crt (`x509: certificate signed by unknown "
                       "authority`)")
                fix = (f"install the registry's CA for Docker: `sudo mkdir -p {folder} && "
                       f"curl -k {walk.settings.url}/api/v2.0/systeminfo/getcert | sudo tee "
                       f"{folder}/ca.crt`, after comparing its fingerprint with your "
                       "administrator's; no Engine restart is needed")
            if error.verify_code not in _UNKNOWN_CA_CODES:
                why = f"{error.verify_message}; {why}"
            raise _fail("certificate", f"the Engine does not trust the certificate of "
                        f"{walk.host}", why, fix, CertificateError)
        notes.append(f"trusted by the Engine ({folder}/ca.crt)" if files
                     else "trusted by the Engine (system CAs)")
    if client_skips:
        notes.append("not verified by regkit (REGKIT_TLS_VERIFY is off)")
    else:
        context, source = _client_trust(walk)
        if _chain_error(walk, context) is not None:
            getcert = f"{walk.settings.url}/api/v2.0/systeminfo/getcert"
            raise _fail(
                "certificate", f"regkit does not trust the certificate of {walk.host}",
                f"its calls to Harbor's API check it against {source}, which does not hold "
                f"{_issuer(leaf)}",
                f"download the CA once and point regkit at it: `curl -k -o ca.crt {getcert} "
                "&& export REGKIT_CA_BUNDLE=$PWD/ca.crt`", CertificateError)
        notes.append("by regkit")
    walk.ok("certificate", f"names {walk.hostname}, issued by {_issuer(leaf)}; "
            + ", ".join(notes))


def _engine(walk: _Walk) -> None:
    view = walk.engine_view()
    if isinstance(view, EngineUnavailable):
        raise _fail("engine", "no Docker Engine answers", view.message, view.hint or
                    "start Docker", EngineUnavailable)
    if walk.spoken == "http" and view.secure:
        from regkit.trust import engine_files

        assert walk.engine is not None
        files = engine_files(walk.engine)
        daemon_json, reload = files.daemon_json, files.reload_command
        raise _fail(
            "engine", f"the Engine would refuse plain HTTP from {walk.host}",
            f"it requires TLS for this registry ({view.reason}): Docker speaks plain HTTP only "
            "to registries on 127.0.0.0/8 or listed in insecure-registries (`http: server gave "
            "HTTP response to HTTPS client`)",
            f"add \"{walk.host}\" to \"insecure-registries\" in {daemon_json}, then reload the "
            f"Engine (`{reload}`); or serve the registry over HTTPS", InsecureRegistryError)
    if walk.spoken == "http":
        walk.ok("engine", f"{view.reason}: the Engine speaks plain HTTP to it")
    elif view.secure:
        walk.ok("engine", f"{view.reason}: the Engine verifies its certificate")
    else:
        walk.ok("engine", f"{view.reason}: the Engine uses HTTPS without verifying the "
                "certificate")


def _harbor_api(walk: _Walk) -> bool:
    """Whether the registry has Harbor's API (``GET /api/v2.0/ping`` answers ``Pong``)."""
    if walk._is_harbor is None:
        try:
            walk._is_harbor = walk.harbor().ping()
        except RegkitError:
            walk._is_harbor = False
    return walk._is_harbor


def _credentials(walk: _Walk) -> None:
    settings = walk.settings
    if not settings.username or not settings.password:
        raise _fail("credentials", "no username or password is set",
                    "a push needs a login (anonymous callers may at most pull from public "
                    "projects)",
                    "export REGKIT_USERNAME and REGKIT_PASSWORD (a robot account works too) "
                    "before starting Jupyter or running regkit", AuthenticationError)
    if not _harbor_api(walk):
        _basic_login(walk)
        return
    try:
        user = walk.harbor().check_login()
    except AuthenticationError as err:
        raise _fail(
            "credentials", f"Harbor does not accept the password of {settings.username}",
            "/users/current refused it (Harbor's other endpoints answer a wrong password as "
            "if no one had logged in; `docker login` says `unauthorized: authentication "
            "required`)", err.hint or "check REGKIT_USERNAME and REGKIT_PASSWORD",
            AuthenticationError) from None
    role = ", system admin" if user.sysadmin else ""
    walk.ok("credentials", f"{settings.username} logs in (Harbor /users/current{role})")


def _basic_login(walk: _Walk) -> None:
    """Credentials for a registry without Harbor's API: ``GET /v2/`` with basic auth."""
    import requests

    settings = walk.settings
    assert settings.password is not None
    try:
        answer = requests.get(f"{settings.url}/v2/", timeout=walk.timeout,
                              verify=settings.verify,
                              auth=(settings.username or "", settings.password.reveal()))
    except requests.RequestException as err:
        from regkit.harbor.transport import network_error

        raise network_error(err, base_url=settings.url, operation="GET /v2/",
                            timeout=walk.timeout) from None
    challenge = answer.headers.get("Www-Authenticate", "")
    if answer.status_code == 401 and not challenge.lower().startswith("bearer"):
        raise _fail("credentials", f"the registry does not accept the password of "
                    f"{settings.username}", "GET /v2/ with these credentials answered 401",
                    "check REGKIT_USERNAME and REGKIT_PASSWORD", AuthenticationError)
    walk.ok("credentials", f"{settings.username} is accepted (no Harbor API: checked on /v2/)")


def _project(walk: _Walk) -> None:
    if not _harbor_api(walk):
        walk.ok("project", "not Harbor: a plain registry has no projects to check")
        return
    project = walk.settings.project
    if not walk.harbor().project_exists(project):
        url = walk.settings.url
        raise _fail(
            "project", f"project {project} does not exist on {walk.host}",
            f"Harbor never creates a project on push (`unauthorized: project {project} not "
            f"found`)",
            f"create it (Harbor: Projects > New Project; or `curl -u "
            f"\"{walk.settings.username}:$REGKIT_PASSWORD\" -X POST -H 'Content-Type: "
            f"application/json' -d '{{\"project_name\": \"{project}\"}}' "
            f"{url}/api/v2.0/projects`), or push to an existing project such as library",
            ProjectNotFound)
    walk.ok("project", f"project {project} exists")


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="...",service="..."`` into ``("bearer", {"realm": ..., ...})``."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    for part in rest.split(","):
        key, _, value = part.strip().partition("=")
        if key:
            params[key.lower()] = value.strip().strip('"')
    return scheme.lower(), params


def _token_actions(token: str, scope_name: str) -> list[str]:
    """The actions a registry token grants on ``scope_name`` (its payload, not verified)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return []
    for entry in claims.get("access") or []:
        if entry.get("type") == "repository" and entry.get("name") == scope_name:
            return [str(action) for action in entry.get("actions") or []]
    return []


def _push(walk: _Walk) -> None:
    import requests

    settings = walk.settings
    assert settings.password is not None
    scope_name = f"{settings.project}/{walk.repository}"
    try:
        probe = requests.get(f"{settings.url}/v2/", timeout=walk.timeout, verify=settings.verify)
    except requests.RequestException as err:
        from regkit.harbor.transport import network_error

        raise network_error(err, base_url=settings.url, operation="GET /v2/",
                            timeout=walk.timeout) from None
    scheme, params = _challenge(probe.headers.get("Www-Authenticate", ""))
    if probe.status_code == 200 or scheme != "bearer" or "realm" not in params:
        walk.ok("push", f"the registry asks for no token: {settings.username} may push to "
                f"{scope_name}")
        return
    scope = f"repository:{scope_name}:pull,push"
    try:
        answer = requests.get(params["realm"], timeout=walk.timeout, verify=settings.verify,
                              params={"service": params.get("service", ""), "scope": scope},
                              auth=(settings.username or "", settings.password.reveal()))
    except requests.RequestException as err:
        from regkit.harbor.transport import network_error

        raise network_error(err, base_url=params["realm"], operation="GET token",
                            timeout=walk.timeout) from None
    if answer.status_code == 401:
        raise _fail("push", f"the token service refuses the password of {settings.username}",
                    "docker login and push would fail the same way", "check REGKIT_USERNAME "
                    "and REGKIT_PASSWORD", AuthenticationError)
    try:
        body = answer.json()
        token = str(body.get("token") or body.get("access_token") or "")
    except ValueError:
        token = ""
    actions = _token_actions(token, scope_name)
    granted = ", ".join(actions) if actions else "nothing"
    if "push" not in actions and "*" not in actions:
        raise _fail(
            "push", f"{settings.username} may not push to project {settings.project}",
            f"the token service grants {granted} on {scope_name}: pushing needs the Developer, "
            f"Maintainer or Project Admin role (`unauthorized to access repository: "
            f"{scope_name}, action: push`)",
            f"ask a project admin to add {settings.username} to {settings.project} as "
            f"Developer (Harbor: Projects > {settings.project} > Members > + User), or push to "
            "a project where you have that role", PushDenied)
    walk.ok("push", f"{settings.username} may push to {settings.project} (the token for "
            f"{scope_name} grants {granted})")
