"""Image references as the Docker Engine reads them: ``[host[:port]/]path[:tag][@digest]``.

The grammar and the normalisation follow Docker's own parser (``distribution/reference``:
``ParseNormalizedNamed``), so a name regkit accepts is a name ``docker tag`` accepts, and a
name regkit refuses is refused with the part that is wrong, the rule it breaks, and a fix.

Rules, as Docker applies them:

* The first ``/``-separated component is the registry when it contains ``.`` or ``:`` or is
  ``localhost``; otherwise the image lives on Docker Hub (``docker.io``), and a one-component
  path gets ``library/`` in front (``busybox`` -> ``docker.io/library/busybox``).
  ``index.docker.io`` means ``docker.io``.
* Path components are lowercase: ``[a-z0-9]+`` joined by one ``.``, one ``_``, two ``__``
  or any number of ``-``.
* A tag is ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`` (at most 128 characters).
* A digest is ``algorithm:hex``; Docker knows sha256 (64 lowercase hex digits), sha384 (96)
  and sha512 (128).
* The full name (registry and path, after normalisation) is at most 255 characters.
* IPv6 registries are written in brackets (``[::1]:5000``). Docker learned this in 2022
  (distribution/distribution#3489); Engine 20.10 (Debian 12's package) still answers
  ``invalid reference format`` for them, so on such an Engine use a host name.

Where regkit is stricter than Docker it says so: ports must be 1-65535 (Docker accepts any
digits and fails later); a bracketed IPv6 address must be a real address; and a first
component that Docker treats as a registry (it has a ``.`` or ``:``) must be a valid host name
(for ``my_host.com/app`` Docker quietly falls back to reading the whole name as a path with no
registry, which then fails in confusing ways; regkit refuses it and names the host). A first
component with uppercase letters but no ``.`` or ``:`` (``MyApp/web``) is refused too: Docker
Engine 20.10 refuses it ("repository name must be lowercase") while newer Engines and CLIs
read it as a registry host named ``MyApp``; neither is what the learner meant.

Example:
    >>> ref = parse_reference("127.0.0.1:8080/library/busybox:v1")
    >>> ref.registry, ref.path, ref.tag
    ('127.0.0.1:8080', 'library/busybox', 'v1')
    >>> parse_reference("busybox").normalized
    'docker.io/library/busybox:latest'
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace

from regkit.errors import InvalidReference

__all__ = [
    "DEFAULT_DOMAIN",
    "DEFAULT_TAG",
    "NAME_TOTAL_LENGTH_MAX",
    "ImageReference",
    "parse_reference",
    "split_registry_url",
    "registry_variable",
    "validate_project_name",
    "validate_tag",
    "validate_registry_host",
    "names_registry",
    "is_ip_literal",
]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255
TAG_LENGTH_MAX = 128
PROJECT_LENGTH_MAX = 255

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_COMPONENT_CHARS = re.compile(r"[a-z0-9._-]")
_SEPARATOR_RUN = re.compile(r"[._-]+")
_GOOD_SEPARATOR = re.compile(r"[._]|__|-+")
_DOMAIN_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = re.compile(rf"{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*")
_PORT = re.compile(r"[0-9]+")
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:]+")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_TAG_CHAR = re.compile(r"[A-Za-z0-9_.-]")
_DIGEST_ALGORITHM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*")
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")
_PROJECT = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")

_GRAMMAR = "[host[:port]/]path[:tag][@digest]"


def _q(text: str) -> str:
    return f"'{text}'"


def _chars(found: set[str]) -> str:
    return ", ".join(_q(c) if not c.isspace() else repr(c) for c in sorted(found))


# --- single parts -------------------------------------------------------------------------


def _component_problem(component: str) -> tuple[str, str] | None:
    """Return (rule broken, hint) for a path component, or None when it is valid."""
    if _COMPONENT.fullmatch(component):
        return None
    if component == "":
        return ("is empty (two '/' in a row, or a '/' at the start or end)",
                "remove the extra '/': components are joined by exactly one '/'")
    if ":" in component:
        return ("contains ':'; outside the registry's host:port, ':' only separates one tag "
                "from the name",
                f"a reference is {_GRAMMAR}: use at most one ':tag', and put a registry "
                "host:port before the first '/'")
    bad = {c for c in component if not _COMPONENT_CHARS.fullmatch(c.lower())
           or len(c.lower()) != 1}
    if not bad and component.lower() != component:
        suggestion = _suggest_component(component)
        return ("has uppercase letters: repository names must be lowercase",
                f"use lowercase: {_q(component)} -> {_q(suggestion)}")
    if bad:
        rule = (f"contains {_chars(bad)}, which is not allowed: path components use lowercase "
                "letters, digits and the separators '.', '_', '__' and '-'")
    elif not component[0].isalnum():
        rule = "must start with a lowercase letter or digit"
    elif not component[-1].isalnum():
        rule = "must end with a lowercase letter or digit"
    else:
        runs = [r for r in _SEPARATOR_RUN.findall(component) if not _GOOD_SEPARATOR.fullmatch(r)]
        rule = (f"has the separator {_q(runs[0])}; between letters and digits only one '.', "
                "one '_', two '__' or any number of '-' may appear")
    suggestion = _suggest_component(component)
    hint = f"for example {_q(suggestion)}" if suggestion else "use lowercase letters and digits"
    return rule, hint


def _suggest_component(component: str) -> str:
    """A valid component close to ``component``, or "" when nothing usable is left."""
    text = re.sub(r"[^a-z0-9._-]+", "-", component.lower())
    text = _SEPARATOR_RUN.sub(lambda m: m.group(0) if _GOOD_SEPARATOR.fullmatch(m.group(0))
                              else m.group(0)[0], text)
    text = text.strip("._-")
    return text if _COMPONENT.fullmatch(text) else ""


def _tag_problem(tag: str) -> tuple[str, str] | None:
    if _TAG.fullmatch(tag):
        return None
    if tag == "":
        return ("is empty (nothing after ':')", "write a tag after ':' (e.g. ':v1'), or drop ':'")
    bad = {c for c in tag if not _TAG_CHAR.fullmatch(c)}
    if bad:
        fixed = re.sub(r"[^A-Za-z0-9_.-]", "-", tag).lstrip(".-")[:TAG_LENGTH_MAX] or "v1"
        return (f"contains {_chars(bad)}, which is not allowed: tags use letters, digits, "
                "'_', '.' and '-'",
                f"for example {_q(fixed)}" + (
                    " (semver build metadata '+' is not allowed in tags)" if "+" in bad else ""))
    if len(tag) > TAG_LENGTH_MAX:
        return (f"is {len(tag)} characters long; a tag has at most {TAG_LENGTH_MAX}",
                "shorten the tag (a short git hash or a version number is enough)")
    return ("must start with a letter, digit or '_'",
            f"for example {_q(tag.lstrip('.-') or 'v1')}")


def _digest_problem(digest: str) -> tuple[str, str] | None:
    example = "sha256:<64 lowercase hex digits>"
    if ":" not in digest:
        return ("is not algorithm:hex", f"a digest looks like {example}")
    algorithm, encoded = digest.split(":", 1)
    if not _DIGEST_ALGORITHM.fullmatch(algorithm):
        return (f"has a malformed algorithm {_q(algorithm)}", f"a digest looks like {example}")
    if algorithm not in _DIGEST_HEX_LENGTH:
        return (f"uses the algorithm {_q(algorithm)}, which Docker does not support "
                "(sha256, sha384, sha512)", f"a digest looks like {example}")
    length = _DIGEST_HEX_LENGTH[algorithm]
    if not re.fullmatch(r"[0-9a-fA-F]*", encoded):
        bad = {c for c in encoded if c not in "0123456789abcdefABCDEF"}
        return (f"contains {_chars(bad)}; the part after ':' is lowercase hex",
                f"copy the digest exactly as the registry printed it ({example})")
    if len(encoded) != length:
        return (f"has {len(encoded)} hex digits; {algorithm} has exactly {length}",
                "copy the whole digest as the registry printed it")
    if encoded != encoded.lower():
        return ("has uppercase hex digits; digests are lowercase",
                f"use lowercase: {_q(algorithm + ':' + encoded.lower())}")
    return None


def _host_problem(domain: str) -> tuple[str, str, str, str] | None:
    """Return (part label, offending part, rule broken, hint) for ``host[:port]``, or None."""
    host_hint = ("a registry is host[:port]: a DNS name or IPv4 address, or an IPv6 address "
                 "in brackets, then an optional port, e.g. 'harbor.example.com', "
                 "'127.0.0.1:8080', '[::1]:5000'")
    label = "registry host"
    if domain.startswith("["):
        end = domain.find("]")
        if end == -1:
            return (label, domain, "opens an IPv6 address with '[' but never closes it with ']'",
                    host_hint)
        address, after = domain[1:end], domain[end + 1:]
        if not _IPV6_CHARS.fullmatch(address):
            return (label, domain[: end + 1], "is not an IPv6 address (only hex digits and ':' "
                    "in brackets; no zone such as '%eth0')", host_hint)
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return (label, domain[: end + 1], "is not a valid IPv6 address", host_hint)
        if after and not after.startswith(":"):
            return (label, domain, "has text after the IPv6 address that is not ':port'",
                    host_hint)
        port = after[1:] if after else None
    else:
        if domain.count(":") > 1:
            return (label, domain, "looks like an IPv6 address without brackets",
                    "write IPv6 registries in brackets, e.g. '[::1]:5000'")
        host, colon, port_text = domain.partition(":")
        port = port_text if colon else None
        if host == "":
            return (label, domain, "has no host name before the port", host_hint)
        if not _DOMAIN_NAME.fullmatch(host):
            return (label, host, "is not a valid host name: labels use letters, digits and '-' "
                    "(not at a label's start or end), joined by single '.'", host_hint)
    if port == "":
        return (label, domain, "has an empty port after ':'",
                "write the port as digits after ':' (e.g. ':8080'), or drop the ':'")
    if port is not None:
        if not _PORT.fullmatch(port):
            return ("registry port", port, "is not a port number (digits only)",
                    "write the port as digits after ':', e.g. ':8080'")
        if not 1 <= int(port) <= 65535:
            return ("registry port", port, "is out of range: ports are 1-65535",
                    "use the port the registry listens on, e.g. ':5000' or ':8080'")
    return None


def names_registry(component: str) -> bool:
    """Whether Docker reads this first component of an image name as a registry.

    Docker's rule (``splitDockerDomain``): it contains ``.`` or ``:``, is ``localhost``, or
    has an uppercase letter. Otherwise ``component/...`` is a Docker Hub repository.

    Args:
        component: the text before the first ``/``.

    Returns:
        True when Docker takes it as ``host[:port]``.

    Example:
        >>> names_registry("127.0.0.1:8080"), names_registry("registry")
        (True, False)
    """
    return (any(c in component for c in ".:") or component == "localhost"
            or component.lower() != component)


def _is_unambiguous_registry(registry: str) -> bool:
    # Every Docker version reads these as a registry; an uppercase-only name it does not.
    return any(c in registry for c in ".:") or registry == "localhost"


def _ambiguous_registry(registry: str) -> tuple[str, str, str, str]:
    if registry.lower() != registry:
        lower = _suggest_component(registry) or "name"
        return ("first component", registry,
                "has uppercase letters: repository names must be lowercase (Docker Engine "
                "20.10 refuses it; newer Engines read it as a registry host instead)",
                f"use lowercase: {_q(registry)} -> {_q(lower)}; for a registry, write its full "
                f"name or its port ({_q(lower + '.example.com')} or {_q(lower + ':5000')})")
    return ("registry host", registry,
            "would be read by Docker as a Docker Hub namespace: a registry needs a '.', a "
            "':port' or the name 'localhost'",
            f"write the registry's full name or port ({_q(registry + ':5000')}), or use "
            "registry=None for Docker Hub")


# --- the reference ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageReference:
    """One image reference, split as Docker splits it, validated on construction.

    Fields keep what was written (``str(ref)`` gives back the input); the properties give
    Docker's normalised views.

    Args:
        registry: ``host[:port]`` as written, or None when the name has no registry part
            (then it is Docker Hub). It must contain ``.`` or ``:`` or be ``localhost``, or
            Docker would not read it as a registry.
        path: the repository path as written (``busybox``, ``library/busybox``,
            ``dockercoins/rng``), without ``library/`` added.
        tag: the tag, or None.
        digest: ``algorithm:hex``, or None.

    Raises:
        InvalidReference: any part breaks Docker's grammar; the message quotes the part and
            the rule, the hint says how to fix it. Also raised when ``registry`` is None but
            the path's first component would be read as a registry (``localhost/x``), or
            ``registry`` would not be (``registry``, ``MyApp``).

    Example:
        >>> ref = ImageReference("127.0.0.1:8080", "library/busybox", "v1")
        >>> str(ref), ref.project
        ('127.0.0.1:8080/library/busybox:v1', 'library')
        >>> ImageReference(None, "busybox").familiar
        'busybox:latest'
    """

    registry: str | None
    path: str
    tag: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        for field_name in ("registry", "path", "tag", "digest"):
            value = getattr(self, field_name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"ImageReference.{field_name} must be a str, "
                                f"not {type(value).__name__}")
        if self.path is None:
            raise TypeError("ImageReference.path must be a str, not None")
        text = str(self)
        if self.registry is not None:
            if not _is_unambiguous_registry(self.registry):
                raise _refused(text, *_ambiguous_registry(self.registry))
            problem = _host_problem(self.registry)
            if problem:
                raise _refused(text, *problem)
        if self.path == "":
            raise _refused(text, "repository path", "", "is empty",
                           "name the repository after the registry, e.g. 'h:5000/library/busybox'")
        for component in self.path.split("/"):
            problem = _component_problem(component)
            if problem:
                raise _refused(text, "path component", component, *problem)
        if self.registry is None and "/" in self.path:
            first = self.path.split("/", 1)[0]
            if names_registry(first):
                raise _refused(text, "path component", first,
                               "would be read as a registry host by Docker",
                               "pass it as registry=..., or set registry='docker.io'")
        if self.tag is not None:
            problem = _tag_problem(self.tag)
            if problem:
                raise _refused(text, "tag", self.tag, *problem)
        if self.digest is not None:
            problem = _digest_problem(self.digest)
            if problem:
                raise _refused(text, "digest", self.digest, *problem)
        name = self.name
        if len(name) > NAME_TOTAL_LENGTH_MAX:
            raise _refused(text, "repository name", name,
                           f"is {len(name)} characters long; Docker allows at most "
                           f"{NAME_TOTAL_LENGTH_MAX} (registry and path together)",
                           "shorten the path")

    def __str__(self) -> str:
        text = self.path if self.registry is None else f"{self.registry}/{self.path}"
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    @property
    def domain(self) -> str:
        """The registry Docker talks to: ``registry``, or ``docker.io`` when there is none.

        ``index.docker.io`` (the legacy name) is reported as ``docker.io``, as Docker does.
        """
        if self.registry is None or self.registry == LEGACY_DEFAULT_DOMAIN:
            return DEFAULT_DOMAIN
        return self.registry

    @property
    def repository(self) -> str:
        """The path on the registry: ``library/`` is added to one-component Docker Hub paths."""
        if self.domain == DEFAULT_DOMAIN and "/" not in self.path:
            return OFFICIAL_PREFIX + self.path
        return self.path

    @property
    def project(self) -> str:
        """The first component of ``repository``: the Harbor project the image belongs to."""
        return self.repository.split("/", 1)[0]

    @property
    def name(self) -> str:
        """``domain/repository``, without tag or digest (Docker's ``Name()``)."""
        return f"{self.domain}/{self.repository}"

    @property
    def effective_tag(self) -> str | None:
        """The tag Docker uses: ``tag``; ``latest`` when there is no tag and no digest; else None."""
        if self.tag is None and self.digest is None:
            return DEFAULT_TAG
        return self.tag

    @property
    def normalized(self) -> str:
        """The full form Docker resolves to, e.g. ``docker.io/library/busybox:latest``."""
        return self.name + self._suffix()

    @property
    def familiar(self) -> str:
        """The short form ``docker image ls`` shows: ``busybox:latest``, ``h:5000/app:v1``.

        Docker Hub's ``docker.io/`` and ``library/`` are dropped, and ``latest`` is shown
        when no tag or digest was given (so this is ``familiar`` of ``normalized``).
        """
        if self.domain == DEFAULT_DOMAIN:
            repo = self.repository
            if repo.startswith(OFFICIAL_PREFIX) and repo.count("/") == 1:
                repo = repo[len(OFFICIAL_PREFIX):]
            return repo + self._suffix()
        return self.normalized

    def _suffix(self) -> str:
        tag = self.effective_tag
        text = f":{tag}" if tag is not None else ""
        return text + (f"@{self.digest}" if self.digest is not None else "")

    def with_tag(self, tag: str) -> ImageReference:
        """The same repository with another tag; any digest is dropped.

        The digest goes because a tag is a movable name: ``docker tag`` refuses a target
        that carries a digest.

        Args:
            tag: the new tag.

        Returns:
            A new reference.

        Raises:
            InvalidReference: the tag breaks the tag grammar.

        Example:
            >>> parse_reference("busybox@sha256:" + "a" * 64).with_tag("v2")
            ImageReference(registry=None, path='busybox', tag='v2', digest=None)
        """
        return replace(self, tag=tag, digest=None)

    def with_digest(self, digest: str) -> ImageReference:
        """The same reference pinned to a digest (the tag, if any, is kept, as Docker does).

        Args:
            digest: ``algorithm:hex``.

        Returns:
            A new reference.

        Raises:
            InvalidReference: the digest is malformed.

        Example:
            >>> str(parse_reference("h:5000/app:v1").with_digest("sha256:" + "0" * 64))[:20]
            'h:5000/app:v1@sha256'
        """
        return replace(self, digest=digest)

    def with_registry(self, host: str | None) -> ImageReference:
        """The same path, tag and digest on another registry (``docker tag`` across registries).

        The path is kept as written: ``busybox`` moved to ``h:5000`` is ``h:5000/busybox``
        (not ``library/busybox``).

        Args:
            host: the registry's ``host[:port]``, or None for Docker Hub's short form.

        Returns:
            A new reference.

        Raises:
            InvalidReference: the host is malformed.

        Example:
            >>> str(parse_reference("busybox:v1").with_registry("127.0.0.1:8080"))
            '127.0.0.1:8080/busybox:v1'
        """
        return replace(self, registry=host)


def _refused(text: str, label: str, part: str, rule: str, hint: str) -> InvalidReference:
    if len(text) > 100:  # the part is quoted in full below; the context only needs to be found
        text = f"{text[:60]}...{text[-20:]}"
    return InvalidReference(f"invalid image reference {_q(text)}: {label} {_q(part)} {rule}",
                            hint=hint)


def parse_reference(text: str) -> ImageReference:
    """Parse an image reference the way ``docker tag`` / ``docker push`` read it.

    Edge cases (all as Docker):

    * ``localhost:5000`` alone is the image ``localhost`` with tag ``5000``; a registry
      needs a path after it (``localhost:5000/app``).
    * ``localhost/app`` is on the registry ``localhost``; ``app/web`` is on Docker Hub.
    * ``MyApp/web`` is refused: Docker versions disagree on it (see the module notes).
    * ``docker.io/busybox`` and ``index.docker.io/busybox`` normalise to
      ``docker.io/library/busybox``.
    * A 64-hex-digit name is refused: it is an image ID, not a repository.
    * Whitespace anywhere is refused.

    Args:
        text: the reference, e.g. ``127.0.0.1:8080/library/busybox:v1``.

    Returns:
        The reference; ``str()`` of it gives ``text`` back.

    Raises:
        InvalidReference: the message quotes the offending part and the rule it breaks; the
            hint shows a fix (e.g. ``use lowercase: 'MyApp' -> 'myapp'``).
        TypeError: ``text`` is not a str.

    Example:
        >>> parse_reference("[::1]:5000/x:y").registry
        '[::1]:5000'
        >>> parse_reference("docker.io/busybox").normalized
        'docker.io/library/busybox:latest'
    """
    if not isinstance(text, str):
        raise TypeError(f"an image reference is a str, not {type(text).__name__}")
    if text == "":
        raise InvalidReference("invalid image reference '': it is empty",
                               hint="give a name such as 'busybox' or "
                                    "'127.0.0.1:8080/library/busybox:v1'")
    spaces = {c for c in text if c.isspace()}
    if spaces:
        raise InvalidReference(f"invalid image reference {_q(text)}: it contains whitespace "
                               f"({_chars(spaces)})",
                               hint=f"remove the whitespace: {_q(''.join(text.split()))}")
    if _IDENTIFIER.fullmatch(text):
        raise InvalidReference(
            f"invalid image reference {_q(text)}: a name of 64 hex digits is an image ID, "
            "not a repository name",
            hint="use the ID as the source of `docker tag ID NAME:TAG`, and a real name as target")
    rest, digest = text, None
    if "@" in text:
        rest, digest = text.split("@", 1)
    name, tag = rest, None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        name, tag = rest[:colon], rest[colon + 1:]
    registry, path = None, name
    slash = name.find("/")
    if slash != -1 and names_registry(name[:slash]):
        registry, path = name[:slash], name[slash + 1:]
    return ImageReference(registry, path, tag, digest)


def validate_tag(tag: str) -> str:
    """Check a tag against Docker's rule ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``.

    Args:
        tag: the tag alone, without ``:``.

    Returns:
        The tag, unchanged.

    Raises:
        InvalidReference: the tag is empty, too long (over 128), starts with ``.`` or ``-``,
            or contains another character (``+``, ``/``, ``:``, non-ASCII letters...).

    Example:
        >>> validate_tag("v1.2.3")
        'v1.2.3'
    """
    if not isinstance(tag, str):
        raise TypeError(f"a tag is a str, not {type(tag).__name__}")
    problem = _tag_problem(tag)
    if problem:
        rule, hint = problem
        raise InvalidReference(f"invalid tag {_q(tag)}: it {rule}", hint=hint)
    return tag


def validate_registry_host(host: str) -> str:
    """Check a registry address ``host[:port]`` as it appears at the start of an image name.

    Args:
        host: ``harbor.example.com``, ``127.0.0.1:8080``, ``[::1]:5000``...

    Returns:
        The host, unchanged.

    Raises:
        InvalidReference: bad host name, IPv6 without brackets, port not in 1-65535.

    Example:
        >>> validate_registry_host("127.0.0.1:8080")
        '127.0.0.1:8080'
    """
    if not isinstance(host, str):
        raise TypeError(f"a registry host is a str, not {type(host).__name__}")
    problem = _host_problem(host)
    if problem:
        label, part, rule, hint = problem
        raise InvalidReference(f"invalid registry address {_q(host)}: {label} {_q(part)} {rule}",
                               hint=hint)
    return host


def is_ip_literal(name: str) -> bool:
    """Whether a host name is an IP address written out rather than a DNS name.

    Args:
        name: a host without port or brackets (``10.203.0.2``, ``::1``, ``harbor.example``).

    Returns:
        True for an IPv4 or IPv6 address (a scoped ``fe80::1%eth0`` included), False for
        anything else, the empty string included.

    Example:
        >>> is_ip_literal("10.203.0.2"), is_ip_literal("::1"), is_ip_literal("harbor.example")
        (True, True, False)
    """
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def split_registry_url(url: str) -> tuple[str, str]:
    """Split a registry URL into its scheme and the ``host[:port]`` Docker names it by.

    Accepted: ``http://h:p``, ``https://h``, and a bare ``h`` or ``h:p`` (HTTPS, as Docker
    assumes). A trailing ``/`` and any path are dropped (a URL copied from Harbor's UI works).
    The host is lowercased (host names are case-insensitive, and one spelling keeps image
    names, ``certs.d`` folders and ``docker login`` entries in agreement).

    A port is kept exactly as written, default or not: ``https://h:443`` gives ``h:443``.
    Docker treats ``h`` and ``h:443`` as two different registry names (credentials in
    ``~/.docker/config.json``, ``certs.d/<name>/`` and ``insecure-registries`` entries are
    matched by name), so dropping the port would make ``$REGISTRY`` disagree with what the
    learner typed elsewhere.

    Args:
        url: the registry address.

    Returns:
        ``(scheme, host_port)``, e.g. ``('http', '127.0.0.1:8080')``.

    Raises:
        InvalidReference: empty, a scheme other than http/https, user-info (``user:pw@``;
            the message never repeats it), a query or fragment, a malformed host or port.

    Example:
        >>> split_registry_url("http://127.0.0.1:8080/")
        ('http', '127.0.0.1:8080')
        >>> split_registry_url("Harbor.Example.com")
        ('https', 'harbor.example.com')
    """
    if not isinstance(url, str):
        raise TypeError(f"a registry URL is a str, not {type(url).__name__}")
    example = "e.g. 'http://127.0.0.1:8080' or 'https://harbor.example.com'"
    text = url.strip()
    if text == "":
        raise InvalidReference("invalid registry URL: it is empty", hint=f"give one, {example}")
    if "://" in text:
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        authority = rest.split("/", 1)[0]
        if "@" in authority:
            raise InvalidReference(
                "invalid registry URL: it contains user-info ('user:password@'); the URL is "
                "not repeated here so the password stays out of logs",
                hint="remove 'user:password@' from the URL and give the username and password "
                     "as settings (REGKIT_USERNAME / REGKIT_PASSWORD)")
        if scheme not in ("http", "https"):
            raise InvalidReference(f"invalid registry URL {_q(text)}: scheme {_q(scheme)} is "
                                   "not supported; registries speak http or https",
                                   hint=f"use http:// or https://, {example}")
    else:
        scheme, rest = "https", text
        authority = rest.split("/", 1)[0]
        if "@" in authority:
            raise InvalidReference(
                "invalid registry URL: it contains user-info ('user:password@'); the URL is "
                "not repeated here so the password stays out of logs",
                hint="remove 'user:password@' and give the credentials as settings")
    if "?" in rest or "#" in rest:
        part = "query ('?...')" if "?" in rest else "fragment ('#...')"
        raise InvalidReference(f"invalid registry URL: it has a {part}; a registry address "
                               "is scheme://host[:port] only",
                               hint=f"drop everything from '?' or '#', {example}")
    if any(c.isspace() for c in rest):
        raise InvalidReference(f"invalid registry URL {_q(text)}: it contains whitespace",
                               hint="remove the spaces")
    if authority == "":
        raise InvalidReference(f"invalid registry URL {_q(text)}: it has no host",
                               hint=f"write the host after the scheme, {example}")
    problem = _host_problem(authority)
    if problem:
        label, part, rule, hint = problem
        raise InvalidReference(f"invalid registry URL {_q(text)}: {label} {_q(part)} {rule}",
                               hint=hint)
    return scheme, authority.lower()


def validate_project_name(name: str) -> str:
    """Check a Harbor project name: ``^[a-z0-9]+(?:[._-][a-z0-9]+)*$``, 1-255 characters.

    Harbor's rule is stricter than Docker's path components: one separator at a time
    (``a--b`` and ``a__b`` are refused by Harbor).

    Args:
        name: the project name, e.g. ``library``.

    Returns:
        The name, unchanged.

    Raises:
        InvalidReference: empty, too long, uppercase (hint: the lowercase form), or another
            broken rule (hint: a valid name close to it).

    Example:
        >>> validate_project_name("dockercoins")
        'dockercoins'
    """
    if not isinstance(name, str):
        raise TypeError(f"a project name is a str, not {type(name).__name__}")
    if name == "":
        raise InvalidReference("invalid project name '': it is empty",
                               hint="use an existing project such as 'library'")
    if len(name) > PROJECT_LENGTH_MAX:
        raise InvalidReference(f"invalid project name {_q(name)}: it is {len(name)} characters "
                               f"long; Harbor allows at most {PROJECT_LENGTH_MAX}",
                               hint="choose a shorter name")
    if _PROJECT.fullmatch(name):
        return name
    suggestion = _SEPARATOR_RUN.sub(lambda m: m.group(0)[0],
                                    re.sub(r"[^a-z0-9._-]+", "-", name.lower())).strip("._-")
    if name.lower() != name and _PROJECT.fullmatch(name.lower()):
        raise InvalidReference(f"invalid project name {_q(name)}: project names must be "
                               "lowercase", hint=f"use lowercase: {_q(name)} -> {_q(name.lower())}")
    hint = f"for example {_q(suggestion)}" if _PROJECT.fullmatch(suggestion) else (
        "use lowercase letters and digits")
    raise InvalidReference(
        f"invalid project name {_q(name)}: Harbor project names are lowercase letters and "
        "digits, joined by single '.', '_' or '-' (not at the start or end)", hint=hint)


def registry_variable(url: str, project: str) -> str:
    """Build the slides' ``$REGISTRY``: ``host[:port]/project``.

    Args:
        url: the registry URL (see :func:`split_registry_url`).
        project: the Harbor project (see :func:`validate_project_name`).

    Returns:
        e.g. ``127.0.0.1:8080/library``; ``docker tag busybox $REGISTRY/busybox`` then names
        an image in that project.

    Raises:
        InvalidReference: the URL or the project name is invalid, or the host is a single
            name without a port (``http://registry``): Docker would read
            ``registry/library/busybox`` as a Docker Hub repository.

    Example:
        >>> registry_variable("http://127.0.0.1:8080", "library")
        '127.0.0.1:8080/library'
    """
    _, host = split_registry_url(url)
    if not names_registry(host):
        raise InvalidReference(
            f"registry {_q(host)} cannot start an image name: without a '.', a ':port' or the "
            f"name 'localhost', Docker reads {_q(host + '/' + project + '/busybox')} as a "
            "Docker Hub repository",
            hint=f"give the port explicitly ({_q(host + ':443')} or {_q(host + ':80')}) or the "
                 "full DNS name (e.g. 'registry.example.com')")
    return f"{host}/{validate_project_name(project)}"
