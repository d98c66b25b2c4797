"""Where the registry is and how to log in to it: ``RegistrySettings``, with a ``Secret`` password.

Settings are validated when they are made, so a typo in the URL or the project shows up in
the first cell, not in the middle of a push. The password is a :class:`Secret`: it prints as
``******`` everywhere (``repr``, ``str``, f-strings, ``vars()``, ``dataclasses.asdict``) and is
never pickled; ``.reveal()`` is the one way to read it.

Example:
    >>> s = RegistrySettings("http://127.0.0.1:8080", username="admin", password="Harbor12345")
    >>> s.registry_variable
    '127.0.0.1:8080/library'
    >>> s.password
    Secret('******')
    >>> s.image("busybox", "v1")
    '127.0.0.1:8080/library/busybox:v1'
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from regkit.errors import InvalidReference, SettingsError
from regkit.reference import (
    names_registry,
    parse_reference,
    split_registry_url,
    validate_project_name,
)

__all__ = ["Secret", "RegistrySettings", "DEFAULT_URL", "DEFAULT_PROJECT", "ENV_VARS"]

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_PROJECT = "library"
MASK = "******"

# setting -> the environment variable from_env() reads it from
ENV_VARS = {
    "url": "REGKIT_REGISTRY_URL",
    "project": "REGKIT_PROJECT",
    "username": "REGKIT_USERNAME",
    "password": "REGKIT_PASSWORD",
    "verify": "REGKIT_CA_BUNDLE",
}
TLS_VERIFY_VAR = "REGKIT_TLS_VERIFY"
_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}


class Secret:
    """A string that never shows itself: a password or a token.

    ``repr`` is ``Secret('******')`` (``Secret('')`` when empty), ``str`` and ``format`` give
    ``******``; the value has no ``__dict__`` (so ``vars()`` cannot list it), and pickling
    raises, so it cannot land in a file by accident. Equality compares values in constant time.

    Args:
        value: the secret text (a Secret is unwrapped).

    Raises:
        TypeError: ``value`` is not a str; pickling a Secret.

    Example:
        >>> pw = Secret("Harbor12345")
        >>> print(pw, repr(pw), f"{pw}")
        ****** Secret('******') ******
        >>> pw.reveal()
        'Harbor12345'
        >>> bool(Secret(""))
        False
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a Secret wraps a str, not {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """Return the secret text. Call it only where the value is sent, never to display it.

        Returns:
            The wrapped string.

        Example:
            >>> Secret("s3cret").reveal()
            's3cret'
        """
        return self._value

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a Secret cannot be changed; make a new one")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("a Secret cannot be changed; make a new one")

    def __repr__(self) -> str:
        return f"Secret('{MASK}')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        # Hash a digest, not the text, so the hash carries no more than equality does.
        return hash(hashlib.sha256(self._value.encode()).digest())

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __getstate__(self) -> NoReturn:
        raise TypeError(_NO_PICKLE)

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(_NO_PICKLE)


_NO_PICKLE = ("a Secret is not pickled, so a password never lands in a file; pass it "
              "through REGKIT_PASSWORD or ask for it again")


def _settings_error(label: str, err: InvalidReference) -> SettingsError:
    return SettingsError(f"{label}: {err.message}", hint=err.hint)


def _check_url(value: object, label: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a str, not {type(value).__name__}")
    try:
        scheme, host = split_registry_url(value)
    except InvalidReference as err:
        raise _settings_error(label, err) from None
    if not names_registry(host):
        raise SettingsError(
            f"{label}: the registry {host!r} cannot start an image name: without a '.', a "
            f"':port' or the name 'localhost', Docker reads '{host}/library/busybox' as a "
            "Docker Hub repository",
            hint=f"give the port explicitly ('{scheme}://{host}:{443 if scheme == 'https' else 80}'"
                 ") or the full DNS name (e.g. 'registry.example.com')")
    return f"{scheme}://{host}"


def _check_project(value: object, label: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a str, not {type(value).__name__}")
    try:
        return validate_project_name(value)
    except InvalidReference as err:
        raise _settings_error(label, err) from None


def _check_username(value: object, label: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a str or None, not {type(value).__name__}")
    if ":" in value or any(c.isspace() or not c.isprintable() for c in value):
        raise SettingsError(f"{label}: the username {value!r} contains ':' or whitespace",
                            hint="registries send 'username:password' in one header, so a "
                                 "username has no ':'; check for a pasted space or newline")
    return value


def _check_password(value: object, label: str) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value)
    raise TypeError(f"{label} must be a str, a Secret or None, not {type(value).__name__}")


def _check_verify(value: object, label: str) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not isinstance(path, str) or not os.path.exists(path):
            raise SettingsError(
                f"{label}: the CA bundle {path!r} does not exist",
                hint="give the path of the registry's CA certificate in PEM form (Harbor serves "
                     "it at /api/v2.0/systeminfo/getcert), or use verify=True for the system CAs")
        return path
    raise TypeError(f"{label} must be True, False or a CA bundle path, "
                    f"not {type(value).__name__}")


@dataclass(frozen=True)
class RegistrySettings:
    """Everything needed to talk to one registry project. Immutable; validated on creation.

    Args:
        url: the registry URL: ``http://h:p``, ``https://h``, or a bare ``h[:p]`` (HTTPS).
            Stored in its normal form ``scheme://host[:port]`` (path and trailing ``/`` dropped,
            host lowercased, port kept as given; see :func:`regkit.reference.split_registry_url`).
        project: the Harbor project images go to (Harbor's name rule).
        username: the account, or None for anonymous access; ``""`` becomes None.
        password: the password or token; a str is wrapped in :class:`Secret`.
        verify: TLS verification: True (system CAs), False (no verification), or the path
            of a CA bundle, which must exist. Ignored for ``http://`` URLs.

    Raises:
        SettingsError: a malformed URL or project, a single-label host without a port
            (``http://registry``: Docker would send ``registry/...`` images to Docker Hub), a
            username with ':' or whitespace, a CA bundle path that does not exist. The
            message names the setting; the hint says how to fix it.
        TypeError: a setting of the wrong type.

    Example:
        >>> s = RegistrySettings("https://Harbor.Example.com/harbor/projects", project="demo")
        >>> s.url, s.host, s.registry_variable
        ('https://harbor.example.com', 'harbor.example.com', 'harbor.example.com/demo')
    """

    url: str
    project: str = DEFAULT_PROJECT
    username: str | None = None
    password: Secret | None = None
    verify: bool | str = True

    def __post_init__(self) -> None:
        normal = {
            "url": _check_url(self.url, "url"),
            "project": _check_project(self.project, "project"),
            "username": _check_username(self.username, "username"),
            "password": _check_password(self.password, "password"),
            "verify": _check_verify(self.verify, "verify"),
        }
        for name, value in normal.items():
            object.__setattr__(self, name, value)

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return self.url.split("://", 1)[0]

    @property
    def host(self) -> str:
        """``host[:port]``, the name Docker knows the registry by (``docker login HOST``)."""
        return self.url.split("://", 1)[1]

    @property
    def base_url(self) -> str:
        """``scheme://host[:port]``, the root of the registry's HTTP API."""
        return self.url

    @property
    def registry_variable(self) -> str:
        """The slides' ``$REGISTRY``: ``host[:port]/project``."""
        return f"{self.host}/{self.project}"

    def image(self, name: str, tag: str | None = None) -> str:
        """The full image name in this registry's project: ``$REGISTRY/name[:tag]``.

        Args:
            name: the repository inside the project (``busybox``, ``dockercoins/rng``),
                optionally with its own ``:tag``.
            tag: the tag; must not be given when ``name`` already has one.

        Returns:
            e.g. ``127.0.0.1:8080/library/busybox:v1``.

        Raises:
            InvalidReference: the resulting name breaks the grammar, or two tags were given.

        Example:
            >>> RegistrySettings("http://127.0.0.1:8080").image("dockercoins/rng", "v0.1")
            '127.0.0.1:8080/library/dockercoins/rng:v0.1'
        """
        ref = parse_reference(f"{self.registry_variable}/{name}")
        if tag is not None:
            if ref.tag is not None or ref.digest is not None:
                raise InvalidReference(
                    f"image {name!r} already carries a tag or digest, and tag={tag!r} was given",
                    hint="give the tag once: image('busybox', 'v1') or image('busybox:v1')")
            ref = ref.with_tag(tag)
        return str(ref)

    def replace(self, **changes: Any) -> RegistrySettings:
        """A copy with some settings changed (validated again).

        Args:
            **changes: field names and their new values.

        Returns:
            New settings.

        Raises:
            SettingsError: a new value is invalid.
            TypeError: an unknown field name.

        Example:
            >>> RegistrySettings("h:5000").replace(project="demo").registry_variable
            'h:5000/demo'
        """
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """One line safe to show on a projector: the password is ``******`` or ``(not set)``.

        Returns:
            A summary of every setting.

        Example:
            >>> RegistrySettings("http://127.0.0.1:8080", username="admin",
            ...                  password="Harbor12345").describe()
            'registry http://127.0.0.1:8080, REGISTRY=127.0.0.1:8080/library, user admin, password ******, TLS: none (plain HTTP)'
        """
        if self.scheme == "http":
            tls = "none (plain HTTP)"
        elif self.verify is True:
            tls = "verified with the system CAs"
        elif self.verify is False:
            tls = "NOT verified"
        else:
            tls = f"verified with CA {self.verify}"
        user = self.username if self.username else "(anonymous)"
        password = MASK if self.password else "(not set)"
        return (f"registry {self.base_url}, REGISTRY={self.registry_variable}, user {user}, "
                f"password {password}, TLS: {tls}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 **overrides: Any) -> RegistrySettings:
        """Settings from ``REGKIT_*`` variables; keyword arguments win over the environment.

        Variables (an empty value counts as unset):

        * ``REGKIT_REGISTRY_URL``: default ``http://127.0.0.1:8080`` (the practice lab)
        * ``REGKIT_PROJECT``: default ``library``
        * ``REGKIT_USERNAME``, ``REGKIT_PASSWORD``: default none (anonymous)
        * ``REGKIT_CA_BUNDLE``: a CA bundle path (sets ``verify`` to it)
        * ``REGKIT_TLS_VERIFY``: ``0``/``false``/``no``/``off`` turns verification off;
          ``1``/``true``/``yes``/``on`` keeps it. Off together with a CA bundle is refused.

        Args:
            environ: the variables to read; ``os.environ`` when None.
            **overrides: settings by field name (``url``, ``project``, ``username``,
                ``password``, ``verify``), used instead of the variables.

        Returns:
            Validated settings.

        Raises:
            SettingsError: a variable holds an invalid value; the message names the variable.
            TypeError: an override that is not a setting.

        Example:
            >>> env = {"REGKIT_REGISTRY_URL": "https://harbor.example.com",
            ...        "REGKIT_PROJECT": "demo", "REGKIT_PASSWORD": "pw"}
            >>> RegistrySettings.from_env(env, username="alice").describe()
            'registry https://harbor.example.com, REGISTRY=harbor.example.com/demo, user alice, password ******, TLS: verified with the system CAs'
        """
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise TypeError(f"from_env() got unknown setting(s): {', '.join(sorted(unknown))}")
        env = os.environ if environ is None else environ

        def read(name: str) -> str | None:
            value = env.get(name)
            return value if value else None

        values: dict[str, Any] = {
            "url": _check_url(read(ENV_VARS["url"]) or DEFAULT_URL, ENV_VARS["url"]),
            "project": _check_project(read(ENV_VARS["project"]) or DEFAULT_PROJECT,
                                      ENV_VARS["project"]),
            "username": _check_username(read(ENV_VARS["username"]), ENV_VARS["username"]),
            "password": _check_password(read(ENV_VARS["password"]), ENV_VARS["password"]),
            "verify": _verify_from_env(read(TLS_VERIFY_VAR), read(ENV_VARS["verify"])),
        }
        values.update(overrides)
        return cls(**values)


def _verify_from_env(flag: str | None, bundle: str | None) -> bool | str:
    verify: bool | str = True
    if flag is not None:
        word = flag.strip().lower()
        if word in _FALSE:
            verify = False
        elif word not in _TRUE:
            raise SettingsError(f"{TLS_VERIFY_VAR}: {flag!r} is neither on nor off",
                                hint="use 1/true/yes/on or 0/false/no/off")
    if bundle is not None:
        if verify is False:
            raise SettingsError(
                f"{TLS_VERIFY_VAR} turns TLS verification off, but {ENV_VARS['verify']} "
                "gives a CA bundle to verify with",
                hint=f"unset one of them: keep {ENV_VARS['verify']} to trust your registry's "
                     "CA (better), or unset it to skip verification")
        verify = _check_verify(bundle, ENV_VARS["verify"])
    return verify
