"""Compose files the way ``docker compose`` reads them: interpolate, load, build and push.

The slide "Building and pushing our images" runs::

    export REGISTRY
    export TAG=v0.1
    docker compose -f dockercoins.yml build
    docker compose -f dockercoins.yml push

This module does the same through the Docker Engine API, one service at a time, and shows
the equivalent commands for each step. Variables are interpolated with Compose's own rules
(``$VAR``, ``${VAR}``, ``${VAR-default}``, ``${VAR:-default}``, ``${VAR?error}``,
``${VAR:?error}``, ``${VAR+alt}``, ``${VAR:+alt}``, ``$$``), so ``load()`` gives the image
names ``docker compose`` would use.

What it does not do: run containers (``up``), read a ``.env`` file (a warning says so when
one sits next to the compose file), merge several files, or build from git URLs.

Example:
    >>> interpolate("${REGISTRY-127.0.0.1:5000}/rng:${TAG-latest}", {"TAG": "v0.1"})
    '127.0.0.1:5000/rng:v0.1'
"""

from __future__ import annotations

import copy
import os
import re
import shlex
import time
import warnings as _warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from regkit.docker_cli import build_command
from regkit.errors import InvalidReference, RegkitError, SettingsError
from regkit.reference import ImageReference, parse_reference

if TYPE_CHECKING:
    from regkit.engine import Engine
    from regkit.settings import RegistrySettings

__all__ = [
    "InterpolationWarning",
    "interpolate",
    "BuildSpec",
    "ServiceSpec",
    "ComposeProject",
    "load",
    "ServiceResult",
    "build_and_push",
    "compose_command",
]

T = TypeVar("T")

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
# Longest first, so ``:-`` is not read as ``:`` followed by ``-``.
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")
# The names a template refers to (for hints only; "$$" escapes are not told apart).
_VARIABLE_NAME = re.compile(r"\$\{?([_A-Za-z][_A-Za-z0-9]*)")
_SYNTAX_HINT = 'write "$$" for a literal "$"; a variable is $NAME or ${NAME}, optionally ' \
               "${NAME-default}, ${NAME:-default}, ${NAME?error}, ${NAME:?error}, " \
               "${NAME+alt} or ${NAME:+alt}"


class InterpolationWarning(UserWarning):
    """A variable used in a compose file is not set and became an empty string."""


class _Interpolator:
    """One string's substitution, following compose-go's template rules.

    Positions in error messages count characters from 0 in the string being interpolated.
    """

    def __init__(self, text: str, environ: Mapping[str, str], where: str,
                 warn: Callable[[str], None]) -> None:
        self.text = text
        self.environ = environ
        self.where = where
        self.warn = warn

    def run(self) -> str:
        return self._expand(0, len(self.text))

    def _expand(self, start: int, end: int) -> str:
        text, out, i = self.text, [], start
        while i < end:
            dollar = text.find("$", i, end)
            if dollar < 0:
                out.append(text[i:end])
                break
            out.append(text[i:dollar])
            after = text[dollar + 1] if dollar + 1 < end else ""
            if after == "$":
                out.append("$")
                i = dollar + 2
            elif after == "{":
                value, i = self._braced(dollar, end)
                out.append(value)
            else:
                name = _NAME.match(text, dollar + 1, end)
                if name:
                    out.append(self._lookup(name.group()))
                    i = name.end()
                else:
                    # Compose leaves a "$" that starts nothing (``$1``, ``$ ``, a final ``$``).
                    out.append("$")
                    i = dollar + 1
        return "".join(out)

    def _braced(self, start: int, end: int) -> tuple[str, int]:
        text = self.text
        name_match = _NAME.match(text, start + 2, end)
        if not name_match:
            if start + 2 >= end:
                raise self._syntax(start, '"${" is never closed: a variable name and "}" '
                                          "must follow")
            raise self._syntax(start, f'"${{" must be followed by a variable name, not '
                                      f'{text[start + 2]!r} (at position {start + 2})')
        name, after_name = name_match.group(), name_match.end()
        if after_name >= end:
            raise self._syntax(start, f'"${{{name}" is never closed: add "}}"')
        if text[after_name] == "}":
            return self._lookup(name), after_name + 1
        operator = next((op for op in _OPERATORS if text.startswith(op, after_name, end)), None)
        if operator is None:
            raise self._syntax(after_name, f'unexpected {text[after_name]!r} after "${{{name}": '
                                           'expected "}" or one of :- - :? ? :+ +')
        word_start = after_name + len(operator)
        close = self._closing_brace(start, word_start, end)
        # Compose expands the word before it knows whether it is needed, so an error (or a
        # warning) inside an unused default is still reported; we keep that behaviour.
        word = self._expand(word_start, close)
        return self._apply(name, operator, word), close + 1

    def _closing_brace(self, start: int, i: int, end: int) -> int:
        # Nested "${" opens a level and "}" closes one, as compose-go counts them; a lone "{"
        # in a default is plain text.
        depth = 1
        while i < end:
            if self.text.startswith("${", i, end):
                depth += 1
                i += 2
                continue
            if self.text[i] == "}":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        raise self._syntax(start, '"${" is never closed: add "}"')

    def _apply(self, name: str, operator: str, word: str) -> str:
        is_set = name in self.environ
        value = self.environ.get(name, "")
        if operator == "-":
            return value if is_set else word
        if operator == ":-":
            return value if value else word
        if operator == "+":
            return word if is_set else ""
        if operator == ":+":
            return word if value else ""
        if (operator == "?" and is_set) or (operator == ":?" and value):
            return value
        where = f"{self.where}: " if self.where else ""
        state = "is not set" if not is_set else "is empty"
        # Compose's own words first, so they can be searched for.
        message = f"{where}required variable {name} is missing a value"
        if word:
            message += f": {word}"
        raise SettingsError(
            message,
            operation=f"interpolate {self.text!r}",
            hint=f"{name} {state}; export {name}"
                 + (" with a non-empty value" if operator == ":?" else "=...")
                 + " before loading the file",
        )

    def _lookup(self, name: str) -> str:
        if name not in self.environ:
            where = f"{self.where}: " if self.where else ""
            self.warn(f'{where}The "{name}" variable is not set. '
                      "Defaulting to a blank string.")
            return ""
        return self.environ[name]

    def _syntax(self, position: int, problem: str) -> SettingsError:
        where = f" in {self.where}" if self.where else ""
        return SettingsError(
            f"invalid interpolation{where}: {self.text!r} at position {position}: {problem}",
            operation=f"interpolate {self.text!r}",
            hint=_SYNTAX_HINT,
        )


def interpolate(value: T, environ: Mapping[str, str] | None = None, *,
                warnings: list[str] | None = None, where: str = "") -> T:
    """Replace variables in a string, or in every string value of a parsed YAML document.

    The rules are Compose's (compose-go ``template``):

    * ``$VAR`` and ``${VAR}``: the value; unset gives ``""`` and a warning
      ``The "VAR" variable is not set. Defaulting to a blank string.``
    * ``${VAR-default}``: ``default`` when VAR is unset (an empty value is kept).
    * ``${VAR:-default}``: ``default`` when VAR is unset or empty.
    * ``${VAR?message}`` / ``${VAR:?message}``: error ``required variable VAR is missing a
      value: message`` when unset (``?``) or unset or empty (``:?``).
    * ``${VAR+alt}`` / ``${VAR:+alt}``: ``alt`` when VAR is set (``+``) or set and non-empty
      (``:+``); otherwise ``""``.
    * ``$$`` is a literal ``$``. A ``$`` that starts nothing (``$1``, ``$ x``, a final ``$``)
      stays as it is.
    * Names are ``[_A-Za-z][_A-Za-z0-9]*``; ``$VAR-x`` is ``$VAR`` followed by ``-x``.
    * Defaults, messages and alternatives are themselves interpolated, so they nest:
      ``${A-${B-c}}``. As in Compose, they are expanded even when not used, so an error or a
      warning inside an unused default is still reported. Brace counting follows Compose:
      each ``${`` opens a level, each ``}`` closes one, a lone ``{`` is text.
    * In a mapping only values are interpolated, never keys; lists are walked; numbers,
      booleans and ``None`` are returned unchanged.

    Args:
        value: a string, or a mapping / list as ``yaml.safe_load`` returns it.
        environ: the variables; ``os.environ`` when None. A key that is present with an empty
            value is *set* (this is what tells ``-`` from ``:-``).
        warnings: a list to append warning messages to. When None, each warning is issued
            with ``warnings.warn(..., InterpolationWarning)``.
        where: a location prefix for messages (``services.rng.image``); nested keys are
            appended to it.

    Returns:
        A new value of the same shape with the variables replaced.

    Raises:
        SettingsError: bad syntax (``${``, ``${VAR``, ``${-x}``, ``${VAR:x}``), with the
            position in the string; or a required variable (``?``, ``:?``) is missing, with
            Compose's message.

    Example:
        >>> interpolate("${A-${B-c}}", {"B": "b"})
        'b'
        >>> interpolate({"image": "$$HOME/x:${TAG:-latest}"}, {"TAG": ""})
        {'image': '$HOME/x:latest'}
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    if warnings is None:
        def warn(message: str) -> None:
            _warnings.warn(message, InterpolationWarning, stacklevel=3)
    else:
        warn = warnings.append
    return _walk(value, env, where, warn)


def _walk(value: Any, environ: Mapping[str, str], where: str,
          warn: Callable[[str], None]) -> Any:
    if isinstance(value, str):
        return _Interpolator(value, environ, where, warn).run()
    if isinstance(value, Mapping):
        return {key: _walk(item, environ, f"{where}.{key}" if where else str(key), warn)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_walk(item, environ, f"{where}[{index}]", warn)
                           for index, item in enumerate(value))
    return value


# --- loading ------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys as Compose does (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class BuildSpec:
    """A service's ``build:`` section, resolved.

    Attributes:
        context: the build context directory, absolute (Compose resolves it relative to the
            compose file's directory).
        context_text: the context as written in the file (after interpolation), for commands.
        dockerfile: the Dockerfile relative to the context, or None for ``Dockerfile``.
        args: build arguments (``build.args``), values as strings.

    Example:
        >>> spec = BuildSpec(Path("/s/dockercoins/rng"), "dockercoins/rng", None, {})
        >>> spec.context.name
        'rng'
    """

    context: Path
    context_text: str
    dockerfile: str | None
    args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSpec:
    """One service of a compose file, after interpolation.

    Attributes:
        name: the service's key under ``services:``.
        image: the ``image:`` value after interpolation, or None when the file has none.
        image_template: the ``image:`` value as written (``${REGISTRY-...}/rng:${TAG-latest}``).
        reference: ``image`` parsed and validated, or None.
        build: the resolved ``build:`` section, or None for services that only pull (redis).
        config: the whole interpolated service mapping (ports, deploy, ...), for display.

    Example:
        >>> s = ServiceSpec("redis", "redis", "redis", parse_reference("redis"), None, {})
        >>> s.image_name
        'redis'
    """

    name: str
    image: str | None
    image_template: str | None
    reference: ImageReference | None
    build: BuildSpec | None
    config: Mapping[str, Any] = field(default_factory=dict, compare=False)
    project_name: str = ""

    @property
    def image_name(self) -> str:
        """The name the built image gets: ``image:``, else Compose's ``<project>-<service>``."""
        if self.image is not None:
            return self.image
        return f"{self.project_name}-{self.name}"


@dataclass(frozen=True)
class ComposeProject:
    """A loaded compose file.

    Attributes:
        path: the compose file, absolute.
        name: the project name (``name:``, else ``COMPOSE_PROJECT_NAME``, else the file's
            directory name, normalised as Compose does).
        services: the services in file order.
        warnings: messages Compose would print (unset variables, obsolete ``version:``...).

    Example:
        >>> project = load("notebooks/stacks/dockercoins.yml", {"TAG": "v0.1"})  # doctest: +SKIP
        >>> [s.image for s in project.services][:1]  # doctest: +SKIP
        ['127.0.0.1:5000/rng:v0.1']
    """

    path: Path
    name: str
    services: tuple[ServiceSpec, ...]
    warnings: tuple[str, ...] = ()

    def service(self, name: str) -> ServiceSpec:
        """The service called ``name``.

        Args:
            name: a key under ``services:``.

        Returns:
            The service.

        Raises:
            SettingsError: no such service; the message lists the ones there are.

        Example:
            >>> project.service("rng").build.context_text  # doctest: +SKIP
            'dockercoins/rng'
        """
        for service in self.services:
            if service.name == name:
                return service
        raise SettingsError(
            f"no service {name!r} in {self.path.name}",
            hint=f"the services are: {', '.join(s.name for s in self.services)}")


def _project_name(data: Mapping[str, Any], path: Path, environ: Mapping[str, str]) -> str:
    raw = data.get("name") or environ.get("COMPOSE_PROJECT_NAME") or path.parent.name
    # Compose lowercases and keeps [a-z0-9_-], starting with a letter or digit.
    name = re.sub(r"[^a-z0-9_-]", "", str(raw).lower()).lstrip("_-")
    return name or "default"


def _build_spec(service: str, build: Any, base: Path, environ: Mapping[str, str],
                where: str) -> BuildSpec:
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, Mapping):
        raise SettingsError(f"{where}: build must be a path or a mapping, not "
                            f"{type(build).__name__}",
                            hint="write `build: dockercoins/rng` or `build: {context: ...}`")
    context_text = str(build.get("context", "."))
    if re.match(r"^[a-z][a-z0-9+.-]*://|^git@", context_text):
        raise SettingsError(f"service {service!r}: build context {context_text!r} is a URL",
                            hint="regkit builds from local directories only; clone the "
                                 "repository and point build at the folder")
    context = (base / context_text).resolve()
    if not context.is_dir():
        raise SettingsError(f"service {service!r}: build context {context_text!r} is not a "
                            f"directory (looked for {context})",
                            hint="fix the path under build:; it is relative to the compose "
                                 "file's directory")
    dockerfile = build.get("dockerfile")
    if not (context / (dockerfile or "Dockerfile")).is_file():
        raise SettingsError(f"service {service!r}: no {dockerfile or 'Dockerfile'} in "
                            f"{context_text!r}",
                            hint="add the Dockerfile, or name it with build.dockerfile")
    args = _build_args(service, build.get("args"), environ)
    return BuildSpec(context, context_text, dockerfile, args)


def _build_args(service: str, args: Any, environ: Mapping[str, str]) -> dict[str, str]:
    if args is None:
        return {}
    if isinstance(args, Mapping):
        pairs = list(args.items())
    elif isinstance(args, list):
        pairs = [(item.split("=", 1)[0], item.split("=", 1)[1] if "=" in item else None)
                 for item in map(str, args)]
    else:
        raise SettingsError(f"service {service!r}: build.args must be a mapping or a list",
                            hint="write args: {KEY: value} or args: [KEY=value]")
    out = {}
    for key, value in pairs:
        # A key without a value takes it from the environment, and is dropped when unset.
        if value is None:
            if key in environ:
                out[str(key)] = environ[key]
        else:
            out[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _image_reference(service: str, image: Any, template: Any) -> ImageReference:
    if not isinstance(image, str):
        raise InvalidReference(f"service {service!r}: image must be a string, not "
                               f"{type(image).__name__}", hint="quote the image name")
    try:
        return parse_reference(image)
    except InvalidReference as err:
        came_from = f" (written {template!r})" if template != image else ""
        hints = [err.hint] if err.hint else []
        variables = list(dict.fromkeys(_VARIABLE_NAME.findall(str(template))))
        if variables:
            hints.append(f"the name comes from {', '.join(variables)}: check their values "
                         "(a variable set to \"\" stays empty in ${VAR-default}, because '-' "
                         "only replaces an unset variable)")
        raise InvalidReference(f"service {service!r}: image {image!r}{came_from} is not a "
                               f"valid reference: {err.message}",
                               hint="; ".join(hints) or None) from err


def load(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
         ) -> ComposeProject:
    """Read a compose file the way ``docker compose -f FILE config`` does.

    Every string value is interpolated (keys are not); ``build:`` contexts are resolved
    relative to the file's directory and must exist with their Dockerfile; ``image:`` values
    are validated with ``regkit.reference.parse_reference``.

    Edge cases:

    * ``version:`` is accepted and ignored with Compose's warning (modern Compose dropped it).
    * Duplicate keys are an error (PyYAML alone would silently keep the last one).
    * A ``.env`` file next to the compose file is *not* read; a warning says so, because
      ``docker compose`` would read it.
    * A service with ``build:`` and no ``image:`` is named ``<project>-<service>``, as
      Compose v2 does; ``build_and_push`` builds it but does not push it.

    Args:
        path: the compose file, e.g. ``notebooks/stacks/dockercoins.yml``.
        environ: the variables; ``os.environ`` when None.

    Returns:
        The project, with its warnings.

    Raises:
        SettingsError: the file is missing or not valid YAML, its shape is wrong, a variable is
            malformed or required, or a build context or Dockerfile is missing. The message
            names the service.
        InvalidReference: a service's image name is not a valid reference; the message names
            the service and shows how the name was written.

    Example:
        >>> project = load("notebooks/stacks/dockercoins.yml", {})  # doctest: +SKIP
        >>> project.service("rng").image  # doctest: +SKIP
        '127.0.0.1:5000/rng:latest'
    """
    file = Path(path).resolve()
    env: Mapping[str, str] = os.environ if environ is None else environ
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise SettingsError(f"cannot read compose file {str(path)!r}: {err.strerror}",
                            hint="check the path; the course's file is "
                                 "notebooks/stacks/dockercoins.yml") from err
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        raise SettingsError(f"{file.name} is not valid YAML: {err}",
                            hint="fix the line shown; indent with spaces, not tabs") from err
    if not isinstance(raw, Mapping) or not isinstance(raw.get("services"), Mapping):
        raise SettingsError(f"{file.name} has no services: mapping",
                            hint="a compose file is a mapping with a top-level services: key")
    warnings: list[str] = []
    if "version" in raw:
        warnings.append(f"{file.name}: the attribute `version` is obsolete, it will be "
                        "ignored, please remove it to avoid potential confusion")
    if (file.parent / ".env").exists():
        warnings.append(f"{file.parent / '.env'} exists: docker compose would read variables "
                        "from it, regkit does not; export them instead")
    data = interpolate(dict(raw), env, warnings=warnings)
    name = _project_name(data, file, env)
    services = []
    for service, config in data["services"].items():
        where = f"services.{service}"
        if not isinstance(config, Mapping):
            raise SettingsError(f"{where} must be a mapping", hint="indent the service's keys")
        template = raw["services"][service].get("image")
        reference = None
        if "image" in config:
            reference = _image_reference(service, config["image"], template)
        build = None
        if config.get("build") is not None:
            build = _build_spec(service, config["build"], file.parent, env, f"{where}.build")
        if build is None and reference is None:
            raise SettingsError(f"service {service!r} has neither an image nor a build context "
                                "specified", hint="add image: or build:")
        services.append(ServiceSpec(service, config.get("image"), template, reference, build,
                                    config, name))
    return ComposeProject(file, name, tuple(services), tuple(warnings))


# --- building and pushing -----------------------------------------------------------------


@dataclass(frozen=True)
class ServiceResult:
    """What ``build_and_push`` did for one service.

    Attributes:
        name: the service.
        image: the image name built (and pushed), or the one skipped.
        status: ``"pushed"``, ``"built"`` (not pushed, see ``reason``) or ``"skipped"``.
        image_id: the built image's ID (``sha256:...``), None when skipped.
        digest: the pushed manifest's digest, None when not pushed.
        reason: why a step was skipped, None when everything ran.
        commands: the equivalent ``docker build`` / ``docker push`` lines.
        compose_commands: the equivalent ``docker compose -f FILE build|push SERVICE`` lines.
        seconds: wall-clock time spent on this service.

    Example:
        >>> ServiceResult("redis", "redis", "skipped", reason="no build:").status
        'skipped'
    """

    name: str
    image: str
    status: str
    image_id: str | None = None
    digest: str | None = None
    reason: str | None = None
    commands: tuple[str, ...] = ()
    compose_commands: tuple[str, ...] = ()
    seconds: float = 0.0


Progress = Callable[[str, Any], None]


def _file_argument(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def compose_command(project: ComposeProject | str | os.PathLike[str], *,
                    registry: str | None = None, tag: str | None = None,
                    services: Iterable[str] = (), build: bool = True,
                    push: bool = True) -> list[str]:
    """The ``docker compose`` lines that build and push the project, as the slide types them.

    Args:
        project: a loaded project, or the compose file's path.
        registry: the value to export as ``REGISTRY`` (``host:port/project``); no export line
            when None (the file's default, ``127.0.0.1:5000``, applies).
        tag: the value to export as ``TAG``; no export line when None (``latest`` applies,
            which ``regkit.tags.check_tag`` warns about).
        services: limit the commands to these services (all when empty).
        build: include the ``build`` line.
        push: include the ``push`` line.

    Returns:
        The lines, in order; values are shell-quoted.

    Example:
        >>> compose_command("stacks/dockercoins.yml", registry="127.0.0.1:8080/library",
        ...                 tag="v0.1")  # doctest: +NORMALIZE_WHITESPACE
        ['export REGISTRY=127.0.0.1:8080/library', 'export TAG=v0.1',
         'docker compose -f stacks/dockercoins.yml build',
         'docker compose -f stacks/dockercoins.yml push']
    """
    if isinstance(project, ComposeProject):
        file = _file_argument(project.path)
    else:
        file = str(project)
    lines = []
    if registry is not None:
        lines.append(f"export REGISTRY={shlex.quote(registry)}")
    if tag is not None:
        lines.append(f"export TAG={shlex.quote(tag)}")
    names = "".join(f" {shlex.quote(name)}" for name in services)
    base = f"docker compose -f {shlex.quote(file)}"
    if build:
        lines.append(f"{base} build{names}")
    if push:
        lines.append(f"{base} push{names}")
    return lines


def _named_error(err: RegkitError, service: str, done: list[ServiceResult]) -> RegkitError:
    # Same class and fields (hint, server message, build log), with the service in front.
    named = copy.copy(err)
    before = "; ".join(f"{r.name}: {r.status}" for r in done) or "none"
    named.message = f"service {service!r}: {err.message} (done before it: {before})"
    named.args = (named.message,)
    return named


def _select(project: ComposeProject, services: Iterable[str] | None) -> list[ServiceSpec]:
    if services is None:
        return list(project.services)
    return [project.service(name) for name in services]


def build_and_push(project: ComposeProject, engine: Engine, *,
                   settings: RegistrySettings | None = None,
                   services: Iterable[str] | None = None, push: bool = True,
                   progress: Progress | None = None) -> list[ServiceResult]:
    """Build every service that has ``build:``, then push it: ``docker compose build`` + ``push``.

    Services run one at a time in file order: build, then push. Pushing the four DockerCoins
    images side by side was measured and gained nothing: about 0.3 s for all four either way
    (median sequential/concurrent ratio 0.88, so concurrent was slightly slower), because
    the Engine already uploads an image's layers in parallel and the images share their
    busybox layer. One at a time also keeps the progress output readable on a projector.

    Skipped, with the reason in the result:

    * services without ``build:`` (``redis``): they are pulled by whoever runs the stack;
    * the push of an image whose name has no registry host (``rng:latest``): ``docker push``
      would send it to Docker Hub;
    * the push of a service without ``image:``: there is no registry name to push to.

    Args:
        project: from ``load()``.
        engine: a ``regkit.engine.Engine`` (``build`` and ``push`` are used).
        settings: a ``RegistrySettings`` whose credentials are used for the push (no login
            is written to disk); None uses the Engine's own credentials.
        services: names to build, in that order; all when None.
        push: False builds only (``docker compose build``).
        progress: called as ``progress(service, event)``: the Engine's events (build output
            lines, push progress dicts) and regkit's own ``{"regkit": "build"|"push"|
            "skip"|"done", ...}`` dicts at each step.

    Returns:
        One result per selected service, in order.

    Raises:
        SettingsError: an unknown service name.
        RegkitError: the Engine's error for the first service that fails (a ``BuildError``
            with the build log, a ``PushError``, ``AuthenticationError``...), re-raised with
            the service's name and the services already done in its message. Nothing runs
            after a failure.

    Example:
        >>> results = build_and_push(load("stacks/dockercoins.yml"), Engine())  # doctest: +SKIP
        >>> [(r.name, r.status) for r in results]  # doctest: +SKIP
        [('rng', 'pushed'), ('hasher', 'pushed'), ('webui', 'pushed'), ('redis', 'skipped'),
         ('worker', 'pushed')]
    """
    report: Progress = progress or (lambda service, event: None)
    file = _file_argument(project.path)
    results: list[ServiceResult] = []
    for spec in _select(project, services):
        started = time.monotonic()
        if spec.build is None:
            result = ServiceResult(spec.name, spec.image_name, "skipped",
                                   reason="no build: section; the image is pulled, not built")
            report(spec.name, {"regkit": "skip", "reason": result.reason})
            results.append(result)
            continue
        compose_lines = [f"docker compose -f {shlex.quote(file)} build {shlex.quote(spec.name)}"]
        report(spec.name, {"regkit": "build", "image": spec.image_name})
        try:
            built = engine.build(str(spec.build.context), spec.image_name,
                                 dockerfile=spec.build.dockerfile,
                                 buildargs=dict(spec.build.args) or None,
                                 progress=lambda event, name=spec.name: report(name, event))
        except RegkitError as err:
            raise _named_error(err, spec.name, results) from err
        # Paths as the learner would type them (relative to the working directory), so the
        # commands are the same on every machine.
        commands = [build_command(_file_argument(spec.build.context), built.tag,
                                  dockerfile=spec.build.dockerfile,
                                  buildargs=dict(spec.build.args) or None)]
        status, digest, reason = "built", None, None
        if not push:
            reason = "push=False"
        elif spec.image is None:
            reason = ("no image: key, so there is no registry name to push to; add "
                      f"image: ${{REGISTRY}}/{spec.name}:${{TAG}}")
        elif spec.reference is not None and spec.reference.registry is None:
            reason = (f"{spec.image!r} names no registry, so docker push would send it to "
                      "Docker Hub; set REGISTRY (host:port/project)")
        else:
            report(spec.name, {"regkit": "push", "image": spec.image})
            compose_lines.append(f"docker compose -f {shlex.quote(file)} push "
                                 f"{shlex.quote(spec.name)}")
            try:
                pushed = engine.push(spec.image, settings=settings,
                                     progress=lambda event, name=spec.name: report(name, event))
            except RegkitError as err:
                raise _named_error(err, spec.name, results) from err
            commands.append(pushed.command)
            status, digest = "pushed", pushed.digest
        result = ServiceResult(spec.name, spec.image_name, status, built.image_id, digest,
                               reason, tuple(commands), tuple(compose_lines),
                               time.monotonic() - started)
        report(spec.name, {"regkit": "done", "status": status, "digest": digest})
        results.append(result)
    return results
