"""The exceptions regkit raises: one root, one subclass per thing a learner can fix.

Every error carries three things a learner needs: what failed (``operation``), what the
server or the Engine said (``server_message``, ``server_code``), and how to fix it
(``hint``). ``str(err)`` prints all three, so a notebook cell that fails shows the fix
without a traceback hunt.

Example:
    >>> err = AuthenticationError("login to harbor.example.com failed",
    ...     operation="docker login harbor.example.com",
    ...     server_message="unauthorized: authentication required",
    ...     hint="check the username and password")
    >>> print(err)
    login to harbor.example.com failed
      operation: docker login harbor.example.com
      server said: unauthorized: authentication required
      how to fix: check the username and password
"""

from __future__ import annotations

import re

__all__ = [
    "RegkitError",
    "InvalidReference",
    "SettingsError",
    "EngineUnavailable",
    "RegistryUnreachable",
    "InsecureRegistryError",
    "CertificateError",
    "AuthenticationError",
    "PushDenied",
    "ProjectNotFound",
    "NotFoundError",
    "NameRefused",
    "DaemonJsonError",
    "BuildError",
    "PushError",
    "RegistryError",
    "ServiceError",
    "from_engine_message",
]


class RegkitError(Exception):
    """Root of every error regkit raises.

    Args:
        message: one sentence saying what happened.
        operation: the action that failed, ideally as the equivalent command
            (``docker push 127.0.0.1:8080/library/busybox:v1``).
        hint: how to fix it, one or two sentences a learner can act on.
        server_message: the words the Engine, the registry or Harbor answered with.
        server_code: the machine-readable code (``UNAUTHORIZED``, ``NOT_FOUND``), if any.
        status: the HTTP status, if the error came from an HTTP answer.
        request_id: Harbor's ``X-Request-Id``, to find the request in server logs.

    Example:
        >>> try:
        ...     raise ProjectNotFound("no project 'demo'", hint="create it first")
        ... except RegkitError as err:
        ...     err.hint
        'create it first'
    """

    default_hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        hint: str | None = None,
        server_message: str | None = None,
        server_code: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.hint = hint if hint is not None else self.default_hint
        self.server_message = server_message
        self.server_code = server_code
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        lines = [self.message]
        if self.operation:
            lines.append(f"  operation: {self.operation}")
        if self.server_message:
            said = self.server_message
            if self.server_code and self.server_code not in said:
                said = f"{self.server_code}: {said}"
            if self.status:
                said = f"{said} (HTTP {self.status})"
            lines.append(f"  server said: {said}")
        if self.request_id:
            lines.append(f"  request id: {self.request_id}")
        if self.hint:
            lines.append(f"  how to fix: {self.hint}")
        return "\n".join(lines)


class InvalidReference(RegkitError, ValueError):
    """An image reference, registry address or project name breaks the grammar."""


class SettingsError(RegkitError, ValueError):
    """A setting (URL, project, credentials, CA bundle) is missing or malformed."""


class EngineUnavailable(RegkitError):
    """No Docker Engine answers where regkit looked (``DOCKER_HOST`` or the default socket)."""

    default_hint = (
        "start Docker (e.g. `sudo systemctl start docker`), or point DOCKER_HOST at a running "
        "Engine; `make lab` starts a private Engine when run as root"
    )


class RegistryUnreachable(RegkitError):
    """The registry's name does not resolve, or nothing answers on its port."""

    default_hint = "check the registry address and port, and that the registry is running"


class InsecureRegistryError(RegkitError):
    """HTTP vs HTTPS mismatch: one side speaks HTTPS, the other plain HTTP (either way round)."""

    default_hint = (
        "either serve the registry over HTTPS, or add it to \"insecure-registries\" in "
        "/etc/docker/daemon.json and reload the Engine (notebook 04 shows how)"
    )


class CertificateError(RegkitError):
    """The registry's certificate is not trusted (unknown CA) or does not match its name."""

    default_hint = (
        "install the registry's CA as /etc/docker/certs.d/<host:port>/ca.crt "
        "(Harbor serves it at /api/v2.0/systeminfo/getcert), or fix the certificate's names"
    )


class AuthenticationError(RegkitError):
    """The registry refused the credentials (wrong username or password, or none given)."""

    default_hint = (
        "check the username and password (REGKIT_USERNAME / REGKIT_PASSWORD); for the practice "
        "lab, `regkit lab up` prints the accounts and how to log in"
    )


class PushDenied(RegkitError):
    """The credentials are valid but may not push there (no role, or the push went elsewhere)."""

    default_hint = (
        "ask for a developer or maintainer role on the project, or check that the image name "
        "starts with your registry's host:port (a name without one goes to Docker Hub)"
    )


class ProjectNotFound(RegkitError):
    """The Harbor project in the image name does not exist (Harbor never creates it on push)."""

    default_hint = (
        "create the project first (Harbor UI: Projects > New Project, or "
        "regkit.harbor.Harbor.create_project), or push to an existing one such as `library`"
    )


class NotFoundError(RegkitError):
    """An image, tag, repository or artifact does not exist."""


class NameRefused(RegkitError):
    """The registry refused a repository or tag name (``NAME_INVALID``, ``TAG_INVALID``)."""

    default_hint = "use lowercase letters, digits and . _ - in repository names"


class DaemonJsonError(RegkitError):
    """``daemon.json`` or ``certs.d`` could not be read or written; the file is left unchanged."""


class BuildError(RegkitError):
    """An image build failed; ``log`` holds the build output up to the failure."""

    def __init__(self, message: str, *, log: list[str] | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.log = log or []


class PushError(RegkitError):
    """A push failed for a reason none of the specific classes describes."""


class RegistryError(RegkitError):
    """An HTTP API (registry or Harbor) answered with an error none of the others describes."""


class ServiceError(RegkitError):
    """A helper process (private Engine, registry, practice lab) could not start or stop."""


_NAME_MISMATCH = re.compile(r"x509: certificate is valid for|doesn't contain any IP SANs|"
                            r"legacy Common Name", re.I)

# Patterns over the Engine's and registry's own words, most specific first. The Engine
# wraps registry errors in its own text, so these match substrings, never whole messages.
_ENGINE_PATTERNS: list[tuple[re.Pattern[str], type[RegkitError], str | None]] = [
    (re.compile(r"server gave HTTP response to HTTPS client", re.I), InsecureRegistryError, None),
    (_NAME_MISMATCH, CertificateError,
     "reissue the certificate with the registry's name or IP in its subjectAltName, or use "
     "the name the certificate was issued for"),
    (re.compile(r"x509:|certificate signed by unknown authority|tls: ", re.I), CertificateError, None),
    (re.compile(r"project \S+ not found", re.I), ProjectNotFound, None),
    (re.compile(r"requested access to the resource is denied|unauthorized to access repository|"
                r"\bdenied\b", re.I), PushDenied, None),
    (re.compile(r"no basic auth credentials", re.I), AuthenticationError,
     "log in to this registry first (regkit login, or `docker login HOST --password-stdin`)"),
    (re.compile(r"unauthorized|authentication required|incorrect username or password|"
                r"401 Unauthorized", re.I), AuthenticationError, None),
    (re.compile(r"no such host|connection refused|i/o timeout|no route to host|"
                r"network is unreachable|dial tcp", re.I), RegistryUnreachable, None),
    (re.compile(r"NAME_INVALID|TAG_INVALID|invalid reference format|repository name must",
                re.I), NameRefused, None),
    (re.compile(r"No such image|not found: manifest unknown|manifest unknown|"
                r"An image does not exist locally", re.I), NotFoundError, None),
]


def from_engine_message(
    message: str,
    *,
    operation: str,
    default: type[RegkitError] = RegkitError,
    subject: str | None = None,
) -> RegkitError:
    """Turn the Engine's (or a registry's) error text into the regkit error that explains it.

    Args:
        message: the text the Engine reported (``errorDetail.message`` or an API error).
        operation: the equivalent command, for the error's ``operation``.
        default: the class to use when no known pattern matches.
        subject: what was acted on (image or registry), put in the one-line summary.

    Returns:
        An instance of the most specific ``RegkitError`` subclass, not raised.

    Example:
        >>> err = from_engine_message("unauthorized: project demo not found: project demo "
        ...     "not found", operation="docker push h:8080/demo/app:v1")
        >>> type(err).__name__
        'ProjectNotFound'
    """
    cls: type[RegkitError] = default
    hint: str | None = None
    for pattern, candidate, candidate_hint in _ENGINE_PATTERNS:
        if pattern.search(message):
            cls, hint = candidate, candidate_hint
            break
    # The operation may be a pipeline (`printf ... | docker login ...`): name the docker verb.
    verb_match = re.search(r"\bdocker (\w+)", operation)
    verb = verb_match.group(1) if verb_match else operation
    summary = f"{verb} failed" + (f" for {subject}" if subject else "")
    if _NAME_MISMATCH.search(message):
        summary += ": the registry's TLS certificate does not name this host"
    else:
        summary += f": {_SUMMARIES.get(cls, message.strip())}"
    return cls(summary, operation=operation, server_message=message.strip(), hint=hint)


_SUMMARIES: dict[type[RegkitError], str] = {
    InsecureRegistryError: "the registry speaks plain HTTP but the Engine expected HTTPS",
    CertificateError: "the registry's TLS certificate is not trusted by the Engine",
    ProjectNotFound: "the project in the image name does not exist",
    PushDenied: "the registry denied access to this repository",
    AuthenticationError: "the registry did not accept the credentials",
    RegistryUnreachable: "the registry could not be reached",
    NameRefused: "the name was refused",
    NotFoundError: "the image was not found",
}
