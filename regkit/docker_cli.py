"""The ``docker`` commands equivalent to what regkit does, as text a learner can type.

Every regkit action shows one of these next to its result, so the notebooks teach the CLI
while running through docker-py. Values are shell-quoted with :func:`shlex.quote`. A
password is never part of a command: the login command reads it from
``$REGKIT_PASSWORD`` through ``--password-stdin``.

Example:
    >>> push_command("127.0.0.1:8080/library/busybox:v1")
    'docker push 127.0.0.1:8080/library/busybox:v1'
"""

from __future__ import annotations

import os
import shlex
from typing import Mapping, Protocol

__all__ = [
    "login_command",
    "logout_command",
    "tag_command",
    "push_command",
    "pull_command",
    "build_command",
    "info_command",
    "PASSWORD_VARIABLE",
]

PASSWORD_VARIABLE = "REGKIT_PASSWORD"


class _HasRegistry(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def username(self) -> str | None: ...


def _q(value: str | os.PathLike[str]) -> str:
    return shlex.quote(os.fspath(value))


def login_command(settings: _HasRegistry) -> str:
    """``docker login`` for the settings' registry, reading the password from the environment.

    Args:
        settings: a ``RegistrySettings`` (anything with ``host`` and ``username``).

    Returns:
        ``printf '%s' "$REGKIT_PASSWORD" | docker login HOST --username USER --password-stdin``,
        or ``docker login HOST`` (which prompts) when there is no username.

    Example:
        >>> from types import SimpleNamespace
        >>> login_command(SimpleNamespace(host="127.0.0.1:8080", username="admin"))
        'printf \\'%s\\' "$REGKIT_PASSWORD" | docker login 127.0.0.1:8080 --username admin --password-stdin'
    """
    if not settings.username:
        return f"docker login {_q(settings.host)}"
    return (
        f"printf '%s' \"${PASSWORD_VARIABLE}\" | docker login {_q(settings.host)} "
        f"--username {_q(settings.username)} --password-stdin"
    )


def logout_command(registry: str) -> str:
    """``docker logout REGISTRY``.

    Args:
        registry: the registry's ``host[:port]``.

    Returns:
        The command.

    Example:
        >>> logout_command("127.0.0.1:8080")
        'docker logout 127.0.0.1:8080'
    """
    return f"docker logout {_q(registry)}"


def tag_command(source: str, target: str) -> str:
    """``docker tag SOURCE TARGET``.

    Args:
        source: the existing image (name, name:tag or id).
        target: the new name.

    Returns:
        The command.

    Example:
        >>> tag_command("busybox", "127.0.0.1:8080/library/busybox:v1")
        'docker tag busybox 127.0.0.1:8080/library/busybox:v1'
    """
    return f"docker tag {_q(source)} {_q(target)}"


def push_command(reference: str) -> str:
    """``docker push REFERENCE``.

    Args:
        reference: the image to push, with its tag.

    Returns:
        The command.

    Example:
        >>> push_command("127.0.0.1:8080/library/busybox:v1")
        'docker push 127.0.0.1:8080/library/busybox:v1'
    """
    return f"docker push {_q(reference)}"


def pull_command(reference: str) -> str:
    """``docker pull REFERENCE``.

    Args:
        reference: the image to pull (tag or digest).

    Returns:
        The command.

    Example:
        >>> pull_command("127.0.0.1:8080/library/busybox:v1")
        'docker pull 127.0.0.1:8080/library/busybox:v1'
    """
    return f"docker pull {_q(reference)}"


def build_command(
    context: str | os.PathLike[str],
    tag: str,
    *,
    dockerfile: str | None = None,
    buildargs: Mapping[str, str] | None = None,
) -> str:
    """``docker build -t TAG [-f DOCKERFILE] [--build-arg K=V ...] CONTEXT``.

    Args:
        context: the build context directory.
        tag: the name to give the image.
        dockerfile: the Dockerfile path relative to the context, when not ``Dockerfile``.
        buildargs: build arguments, in the order given.

    Returns:
        The command.

    Example:
        >>> build_command("stacks/rng", "rng:v1", buildargs={"PORT": "80"})
        'docker build -t rng:v1 --build-arg PORT=80 stacks/rng'
    """
    parts = ["docker", "build", "-t", _q(tag)]
    if dockerfile:
        parts += ["-f", _q(dockerfile)]
    for key, value in (buildargs or {}).items():
        parts += ["--build-arg", _q(f"{key}={value}")]
    parts.append(_q(context))
    return " ".join(parts)


def info_command() -> str:
    """The command that shows the Engine's view of registries (secure or insecure).

    Returns:
        ``docker info --format '{{json .RegistryConfig}}'``.

    Example:
        >>> info_command()
        "docker info --format '{{json .RegistryConfig}}'"
    """
    return f"docker info --format {_q('{{json .RegistryConfig}}')}"
