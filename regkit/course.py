"""The few calls a course notebook makes, each printing what it did and the command to type.

Every notebook starts with :func:`prepare`, which finds (or starts) what the lesson needs
and returns a :class:`Course`; the other calls take that object. Output is short, aligned
and stable from one run to the next, for a projector and for nbval: no versions, no
socket paths, no password, and the equivalent ``docker`` / ``curl`` command before
each action, prefixed with ``$``.

The target registry comes from the ``REGKIT_*`` variables (see
:meth:`regkit.settings.RegistrySettings.from_env`). When ``REGKIT_REGISTRY_URL`` is unset
the target is the practice lab: the running one, or a new one on ``127.0.0.1:8080`` with
its data in :func:`regkit.lab.default_data_dir`, logged in as its ``admin``.

Example:
    >>> from regkit import course
    >>> c = course.prepare(login=True, busybox=True)  # doctest: +SKIP
    registry   http://127.0.0.1:8080 (the practice lab)
    $ export REGISTRY=127.0.0.1:8080/library
    engine     ready
    $ printf '%s' "$REGKIT_PASSWORD" | docker login 127.0.0.1:8080 --username admin --password-stdin
    Login Succeeded
    image      busybox:latest is on the Engine
    >>> course.push(c, "busybox", tag="v1")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from regkit import docker_cli
from regkit.engine import BuildResult, Engine, LoginResult, PushResult
from regkit.errors import (
    AuthenticationError,
    InvalidReference,
    RegistryError,
    RegkitError,
    SettingsError,
)
from regkit.settings import DEFAULT_URL, RegistrySettings

if TYPE_CHECKING:
    from regkit.compose import ComposeProject, ServiceResult
    from regkit.harbor import Harbor, Project, RobotAccount
    from regkit.lab import Lab, LabInfo
    from regkit.private_engine import PrivateEngine
    from regkit.reference import ImageReference
    from regkit.widgets import RepositoryTable

__all__ = [
    "PACKAGES",
    "Course",
    "Table",
    "DockerConfig",
    "api_get",
    "check_engine",
    "check_login",
    "check_packages",
    "check_registry",
    "default_settings",
    "with_lab_account",
    "docker_config",
    "explain_references",
    "get_busybox",
    "login",
    "prepare",
    "push",
    "repositories",
    "show_command",
    "token_flow",
    # lessons 08 to 12
    "artifact_table",
    "build",
    "build_and_push_stack",
    "delete_repository",
    # the CI robot of lesson 12, and what `regkit course reset` undoes
    "create_project",
    "create_robot",
    "delete_robot",
    "ensure_pushed",
    "ensure_stack",
    "repository_table",
    "stack_table",
]

# import name -> the distribution to install, for the Python packages check.
PACKAGES = {
    "docker": "docker",
    "requests": "requests",
    "ipywidgets": "ipywidgets",
    "jupyterlab": "jupyterlab",
    "yaml": "pyyaml",
    "cryptography": "cryptography",
    "bcrypt": "bcrypt",
}


@dataclass
class Course:
    """What a notebook works with: the settings, the Engine, a Harbor client.

    Made by :func:`prepare`; pass it to :func:`login`, :func:`push`, :func:`repositories`.

    Attributes:
        settings: the registry, project and credentials (the password is a ``Secret``).
        engine: the Docker Engine, connected.
        harbor: a Harbor API client with the same settings.
        lab: the practice lab when it is the target, else None.
        started: what :func:`prepare` started (``"the practice lab"``, ``"a private Docker
            Engine"``); they keep running after the notebook unless :meth:`stop_started`
            is called.

    Example:
        >>> c = prepare()  # doctest: +SKIP
        >>> c.registry, c.image("busybox", "v1")  # doctest: +SKIP
        ('127.0.0.1:8080/library', '127.0.0.1:8080/library/busybox:v1')
    """

    settings: RegistrySettings
    engine: Engine
    harbor: Harbor
    lab: LabInfo | None = None
    started: tuple[str, ...] = ()
    _stoppers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def registry(self) -> str:
        """The slides' ``$REGISTRY``: ``host[:port]/project``."""
        return self.settings.registry_variable

    def image(self, name: str, tag: str | None = None) -> str:
        """The full name of an image in the course's project: ``$REGISTRY/name[:tag]``.

        Args:
            name: the repository in the project (``busybox``, ``dockercoins/rng``).
            tag: the tag, or None for none.

        Returns:
            The image reference.

        Raises:
            InvalidReference: the name or tag breaks Docker's grammar.

        Example:
            >>> c.image("busybox", "v1")  # doctest: +SKIP
            '127.0.0.1:8080/library/busybox:v1'
        """
        return self.settings.image(name, tag)

    def stop_started(self) -> None:
        """Stop what :func:`prepare` started (the lab, a private Engine); data is kept.

        Example:
            >>> c.stop_started()  # doctest: +SKIP
        """
        while self._stoppers:
            self._stoppers.pop()()
        self.started = ()

    def __repr__(self) -> str:
        user = self.settings.username or "(anonymous)"
        where = "the practice lab" if self.lab is not None else self.settings.base_url
        return f"Course(registry={self.registry!r}, user={user!r}, at {where})"


def _running_lab_at(url: str) -> LabInfo | None:
    from regkit.lab import running_lab

    info = running_lab()
    return info if info is not None and info.url == url else None


def default_settings(environ: Mapping[str, str] | None = None) -> RegistrySettings:
    """The course's settings: the ``REGKIT_*`` variables, else the practice lab.

    Without ``REGKIT_REGISTRY_URL``, the URL is the running lab's (found through its data
    directory, ``REGKIT_LAB_DIR``) or ``http://127.0.0.1:8080``; the lab's account then
    fills in what the variables leave out (:func:`with_lab_account`).

    Args:
        environ: the variables to read; ``os.environ`` when None.

    Returns:
        Validated settings.

    Raises:
        SettingsError: a ``REGKIT_*`` variable holds an invalid value (the message names it).

    Example:
        >>> default_settings({"REGKIT_REGISTRY_URL": "https://harbor.example.com"}).host
        'harbor.example.com'
    """
    from regkit.lab import running_lab

    env = os.environ if environ is None else environ
    settings = RegistrySettings.from_env(env)
    info = running_lab(env.get("REGKIT_LAB_DIR") or None)
    if not env.get("REGKIT_REGISTRY_URL") and info is not None:
        settings = settings.replace(url=info.url)
    return with_lab_account(settings, env)


def with_lab_account(settings: RegistrySettings,
                     environ: Mapping[str, str] | None = None) -> RegistrySettings:
    """Fill in the practice lab's ``admin`` account, and its CA, for settings that name it.

    Applies when ``settings`` carry no user (and ``REGKIT_USERNAME`` is unset) and point at a
    running lab, on loopback or on the test host, or at ``http://127.0.0.1:8080`` where
    :func:`prepare` starts one. The password is ``REGKIT_PASSWORD``, else
    ``REGKIT_LAB_ADMIN_PASSWORD``, else Harbor's default; a TLS lab's CA is trusted unless
    ``REGKIT_CA_BUNDLE`` says otherwise. Any other registry's settings come back unchanged,
    so the lab's credentials never travel elsewhere.

    Args:
        settings: the settings to complete.
        environ: the variables to read; ``os.environ`` when None.

    Returns:
        The settings, completed or unchanged.

    Example:
        >>> with_lab_account(RegistrySettings("https://harbor.example.com")).username is None
        True
    """
    from regkit.lab import ADMIN_USER, running_lab
    from regkit.lab.control import (
        ADMIN_PASSWORD_ENV,
        DEFAULT_ADMIN_PASSWORD,
        default_data_dir,
        default_test_host_data_dir,
    )

    env = os.environ if environ is None else environ
    if settings.username or env.get("REGKIT_USERNAME"):
        return settings
    directories = (env.get("REGKIT_LAB_DIR") or default_data_dir(),
                   env.get("REGKIT_TEST_HOST_LAB_DIR") or default_test_host_data_dir())
    # By host, not URL: `regkit doctor https://...` for a plain-HTTP lab is still that lab.
    labs = (running_lab(directory) for directory in directories)
    info = next((lab for lab in labs if lab is not None and lab.host == settings.host), None)
    if info is None and settings.url != DEFAULT_URL:
        return settings
    changes: dict[str, Any] = {
        "username": ADMIN_USER,
        "password": settings.password or env.get(ADMIN_PASSWORD_ENV) or DEFAULT_ADMIN_PASSWORD,
    }
    if info is not None and info.tls and info.ca_path and not env.get("REGKIT_CA_BUNDLE"):
        changes["verify"] = info.ca_path
    return settings.replace(**changes)


def _say(quiet: bool) -> Callable[[str], None]:
    if quiet:
        return lambda text: None
    return lambda text: print(text, flush=True)


def show_command(*commands: str) -> None:
    """Print the commands a learner would type, each on its own ``$`` line.

    Args:
        *commands: shell commands.

    Example:
        >>> show_command("docker tag busybox 127.0.0.1:8080/library/busybox")
        $ docker tag busybox 127.0.0.1:8080/library/busybox
    """
    if commands:
        print("\n".join(f"$ {command}" for command in commands), flush=True)


def _can_start_private_engine() -> bool:
    return os.geteuid() == 0 and bool(
        shutil.which("dockerd") or shutil.which("dockerd", path="/usr/sbin")
    )


def _connect_engine(start: bool) -> tuple[Engine, PrivateEngine | None]:
    """The Engine regkit finds; as root, regkit's private one started when none answers."""
    from regkit.private_engine import PrivateEngine

    engine = Engine()
    if engine.ping():
        return engine, None
    # An explicit DOCKER_HOST that does not answer is the learner's to fix, not ours to
    # replace with another Engine they would not see with `docker`.
    if start and not os.environ.get("DOCKER_HOST") and _can_start_private_engine():
        private = PrivateEngine()
        private.start()
        engine = Engine()
        engine.check()
        return engine, private
    engine.check()
    return engine, None


def _start_lab() -> Lab:
    from regkit.lab import DEFAULT_PORT, Lab, default_data_dir

    return Lab(default_data_dir(), port=DEFAULT_PORT).start()


def _lab_should_start(settings: RegistrySettings) -> bool:
    from regkit.lab import DEFAULT_PORT
    from regkit.lab.control import port_in_use

    return settings.url == DEFAULT_URL and not port_in_use("127.0.0.1", DEFAULT_PORT)


def prepare(
    *,
    login: bool = False,
    busybox: bool = False,
    settings: RegistrySettings | None = None,
    start: bool = True,
    quiet: bool = False,
) -> Course:
    """The first cell of every notebook: settings, registry, Engine, optionally a login.

    Steps: read the settings (:func:`default_settings`); when the target is the lab's
    default URL and nothing listens there, start the practice lab; connect to the Docker
    Engine (as root with ``dockerd`` installed, start regkit's private Engine when none
    answers and ``DOCKER_HOST`` is unset); export ``REGISTRY`` for shell cells; log in
    when asked; make sure ``busybox:latest`` exists when asked (pulled, or built offline).

    Args:
        login: log the Engine in to the registry (:func:`login`).
        busybox: make sure ``busybox:latest`` is on the Engine.
        settings: use these instead of :func:`default_settings`.
        start: start the lab or a private Engine when needed; with False, only look.
        quiet: print nothing (for the course runner and test hooks).

    Returns:
        The :class:`Course`.

    Raises:
        SettingsError: a ``REGKIT_*`` variable is invalid.
        ServiceError: the lab or the private Engine could not start (the log tail says why).
        EngineUnavailable: no Engine answers and none could be started.
        AuthenticationError, RegistryUnreachable, InsecureRegistryError, CertificateError:
            the login failed (with ``login=True``).
        BuildError: busybox could not be pulled nor built (with ``busybox=True``).

    Example:
        >>> c = prepare(login=True)  # doctest: +SKIP
        registry   http://127.0.0.1:8080 (the practice lab)
        $ export REGISTRY=127.0.0.1:8080/library
        engine     ready
        $ printf '%s' "$REGKIT_PASSWORD" | docker login 127.0.0.1:8080 --username admin --password-stdin
        Login Succeeded
    """
    from regkit.harbor import Harbor

    say = _say(quiet)
    stoppers: list[Callable[[], None]] = []
    started: list[str] = []
    settings = settings or default_settings()
    lab = _running_lab_at(settings.url)
    if lab is None and start and _lab_should_start(settings):
        started_lab = _start_lab()
        stoppers.append(started_lab.stop)
        started.append("the practice lab")
        lab = started_lab.info
    try:
        engine, private = _connect_engine(start)
    except RegkitError:
        for stop in reversed(stoppers):
            stop()
        raise
    if private is not None:
        stoppers.append(private.stop)
        started.append("a private Docker Engine")
    course = Course(settings, engine, Harbor(settings), lab, tuple(started), stoppers)
    where = " (the practice lab)" if lab is not None else ""
    say(f"registry   {settings.base_url}{where}")
    os.environ["REGISTRY"] = course.registry
    say(f"$ export REGISTRY={course.registry}")
    say("engine     ready")
    if login:
        _login(settings, engine, say)
    if busybox:
        engine.ensure_busybox("busybox:latest")
        say("image      busybox:latest is on the Engine")
    return course


def _target(target: Course | RegistrySettings) -> tuple[RegistrySettings, Engine]:
    if isinstance(target, Course):
        return target.settings, target.engine
    return target, Engine()


def login(target: Course | RegistrySettings) -> LoginResult:
    """Log the Docker Engine in to the registry, as ``docker login`` does, and say so.

    Prints the equivalent command (the password read from ``$REGKIT_PASSWORD`` with
    ``--password-stdin``, never shown) and the Engine's answer, ``Login Succeeded``.
    Nothing is written to ``~/.docker/config.json``: the login lives in the Engine object.

    Args:
        target: a :class:`Course`, or settings (e.g. from the registry form), in which
            case a new :class:`~regkit.engine.Engine` is used.

    Returns:
        The :class:`~regkit.engine.LoginResult` (no password in it).

    Raises:
        AuthenticationError: wrong or missing username or password.
        RegistryUnreachable, InsecureRegistryError, CertificateError: the Engine could not
            reach the registry, or not over the scheme it wanted; the hint says how to fix.
        EngineUnavailable: no Engine answers.

    Example:
        >>> login(c)  # doctest: +SKIP
        $ printf '%s' "$REGKIT_PASSWORD" | docker login 127.0.0.1:8080 --username admin --password-stdin
        Login Succeeded
    """
    settings, engine = _target(target)
    return _login(settings, engine, _say(False))


def _login(settings: RegistrySettings, engine: Engine, say: Callable[[str], None]) -> LoginResult:
    say(f"$ {docker_cli.login_command(settings)}")
    try:
        result = engine.login(settings)
    except AuthenticationError as err:
        if err.hint == AuthenticationError.default_hint:
            err.hint = _credentials_hint(settings)
        raise
    say(result.status)
    return result


def _credentials_hint(settings: RegistrySettings) -> str:
    # The generic hint names the lab's well-known password, which no notebook output may
    # show; the course knows which registry it talks to and can say what to do there.
    if settings.url == DEFAULT_URL or _running_lab_at(settings.url) is not None:
        return ("check the username and password; for the practice lab's admin, run the "
                "form cell again and leave its Password field empty (and REGKIT_PASSWORD "
                "unset): the course then uses the lab's own; `regkit lab status` lists the "
                "accounts")
    return ("check the username and password (the form's fields, or REGKIT_USERNAME / "
            "REGKIT_PASSWORD); a Harbor robot account's name starts with robot$")


def push(
    course: Course,
    source: str = "busybox",
    *,
    name: str | None = None,
    tag: str | None = None,
    progress: bool = True,
    settings: RegistrySettings | None = None,
) -> PushResult:
    """Tag a local image into the course's project and push it, as the slides do.

    Prints ``docker tag`` and ``docker push`` as a learner would type them, shows
    per-layer progress (bars in a notebook), then the registry's answer as ``docker push``
    ends: ``TAG: digest: sha256:... size: N``. The push is written to the course record
    (:mod:`regkit.course_record`), so ``regkit course reset`` can delete it.

    Args:
        course: from :func:`prepare` (logged in, or with credentials in its settings).
        source: the local image (``busybox``, ``busybox:latest``, an image id).
        name: the repository name in the project; the source's name without its tag
            when None (``busybox``).
        tag: the tag to push; ``latest`` when None (as ``docker push`` does).
        progress: show per-layer progress.
        settings: push with these credentials instead of the course's (a robot
            account's, as a CI job does); same registry and project. The course's own
            account still does the bookkeeping (is the repository new?).

    Returns:
        The :class:`~regkit.engine.PushResult` (reference, digest, size, command).

    Raises:
        NotFoundError: ``source`` is not on the Engine (``prepare(busybox=True)`` makes
            busybox).
        ProjectNotFound, PushDenied, AuthenticationError: the registry refused the push.
        InvalidReference: ``name`` or ``tag`` breaks Docker's grammar.
        SettingsError: ``settings`` name another registry or project than the course's.

    Example:
        >>> push(c, "busybox", tag="v1")  # doctest: +SKIP
        $ docker tag busybox 127.0.0.1:8080/library/busybox:v1
        $ docker push 127.0.0.1:8080/library/busybox:v1
        v1: digest: sha256:... size: 527
    """
    from regkit.reference import parse_reference

    repository = name or parse_reference(source).path.rsplit("/", 1)[-1]
    target = course.settings.image(repository, tag or "latest")
    if settings is not None and (settings.host, settings.project) != (
            course.settings.host, course.settings.project):
        raise SettingsError(
            f"the push credentials are for {settings.registry_variable}, the course's "
            f"images go to {course.registry}",
            hint="make them with course.settings.replace(username=..., password=...)")
    show_command(docker_cli.tag_command(source, target), docker_cli.push_command(target))
    course.engine.tag(source, target)
    existed = _repository_exists(course, course.settings.project, repository)
    callback = None
    if progress:
        from regkit.widgets import PushProgress

        callback = PushProgress(target)
        callback.display()
    result = course.engine.push(target, settings=settings or course.settings, progress=callback)
    _note_push(course, target, result.digest, created=not existed)
    print(str(result), flush=True)
    return result


def _repository_exists(course: Course, project: str, repository: str) -> bool:
    """Whether the repository is there before a push; True when Harbor will not say."""
    from regkit.errors import NotFoundError, ProjectNotFound

    try:
        course.harbor.repository(project, repository)
    except (NotFoundError, ProjectNotFound):
        return False
    except RegkitError:
        # Unknown: count it as there, so a reset never deletes a repository it cannot
        # prove the course created.
        return True
    return True


def _note_push(course: Course, image: str, digest: str | None, *, created: bool) -> None:
    """Write a push the course made (and the repository it created) to the course record."""
    from regkit.course_record import Made, note
    from regkit.reference import parse_reference

    ref = parse_reference(image)
    project, _, repository = ref.path.partition("/")
    if ref.registry != course.settings.host or not repository or not digest:
        return
    registry = course.settings.base_url
    made = [Made("tag", registry, project, repository=repository, tag=ref.tag or "latest",
                 digest=digest)]
    if created:
        made.append(Made("repository", registry, project, repository=repository))
    note(*made)


def _repositories_before(course: Course, images: Iterable[str]) -> dict[str, bool]:
    """For each image on the course's registry, whether its repository exists already."""
    from regkit.reference import parse_reference

    found = {}
    for image in images:
        try:
            ref = parse_reference(image)
        except InvalidReference:
            continue  # compose refuses to push it anyway
        project, _, repository = ref.path.partition("/")
        if ref.registry == course.settings.host and repository:
            found[image] = _repository_exists(course, project, repository)
    return found


def _recording(course: Course, project: ComposeProject,
               inner: Callable[[str, Any], None] | None = None) -> Callable[[str, Any], None]:
    """A compose progress callback that writes each service's push to the course record.

    Each push is recorded as soon as it is done, so a later service failing does not
    leave the earlier ones out of the record.
    """
    images = [spec.image for spec in project.services if spec.build is not None and spec.image]
    existed = _repositories_before(course, images)

    def report(service: str, event: Any) -> None:
        if inner is not None:
            inner(service, event)
        if (isinstance(event, Mapping) and event.get("regkit") == "done"
                and event.get("status") == "pushed"):
            image = project.service(service).image
            if image:
                _note_push(course, image, event.get("digest"),
                           created=not existed.get(image, True))

    return report


def repositories(course: Course, project: str | None = None) -> RepositoryTable:
    """The project's repositories, as Harbor's Repositories page shows them.

    Prints the equivalent ``curl`` call of Harbor's API (password from
    ``$REGKIT_PASSWORD``), then returns a table that displays as HTML in a notebook.

    Args:
        course: from :func:`prepare`.
        project: the project; the course's when None.

    Returns:
        A :class:`~regkit.widgets.RepositoryTable`.

    Raises:
        ProjectNotFound: no such project.
        RegkitError: Harbor could not be asked (unreachable, refused).

    Example:
        >>> repositories(c)  # doctest: +SKIP
        $ curl -s -u "admin:$REGKIT_PASSWORD" http://127.0.0.1:8080/api/v2.0/projects/library/repositories
        Repositories in project library: 1
        ...
    """
    from regkit.harbor.urls import repositories_path
    from regkit.widgets import RepositoryTable

    project = project or course.settings.project
    show_command(_curl(course.settings, repositories_path(project)))
    return RepositoryTable.load(course.harbor, project)


def _curl(settings: RegistrySettings, path: str, **options: Any) -> str:
    return " ".join(_curl_groups(settings, path, **options))


def _curl_groups(
    settings: RegistrySettings,
    path: str,
    *,
    flags: str = "-s",
    anonymous: bool = False,
    headers: Sequence[str] = (),
    url: str | None = None,
) -> list[str]:
    """The words of a ``curl`` command, each option with its value, the URL last."""
    groups = [f"curl {flags}"]
    if settings.username and not anonymous:
        user, variable = settings.username, docker_cli.PASSWORD_VARIABLE
        # A robot account's name holds a `$`, which double quotes would expand.
        quoted = f'"{user}:${variable}"' if shlex.quote(user) == user else (
            f'{shlex.quote(user)}:"${variable}"')
        groups.append(f"-u {quoted}")
    groups += [f'-H "{header}"' for header in headers]
    if isinstance(settings.verify, str):
        groups.append(f"--cacert {shlex.quote(settings.verify)}")
    elif settings.verify is False and settings.scheme == "https":
        groups.append("-k")
    groups.append(shlex.quote(url or f"{settings.base_url}{path}"))
    return groups


# -- lessons 01, 05, 06, 07: Harbor's identity, the login, $REGISTRY, a first push -----------

# The manifest types a registry may hold for an image pushed by Docker or BuildKit.
_MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)


def _json_text(value: Any) -> str:
    """JSON laid out for a projector: one key per line, each list item on one line."""
    if isinstance(value, dict) and value:
        lines = []
        for key, item in value.items():
            if isinstance(item, list) and item:
                inner = ",\n".join(f"    {json.dumps(element)}" for element in item)
                lines.append(f"  {json.dumps(key)}: [\n{inner}\n  ]")
            else:
                lines.append(f"  {json.dumps(key)}: {json.dumps(item)}")
        return "{\n" + ",\n".join(lines) + "\n}"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(f"  {json.dumps(element)}" for element in value) + "\n]"
    return json.dumps(value)


def _anonymous(settings: RegistrySettings) -> RegistrySettings:
    return settings.replace(username=None, password=None)


def api_get(course: Course, path: str, *, anonymous: bool = False) -> Any:
    """Ask Harbor's API one question, print the ``curl`` that does the same, then the answer.

    Args:
        course: from :func:`prepare`.
        path: the endpoint under ``/api/v2.0``: ``/systeminfo``, ``/health``, ``/ping``...
            (a path that already starts with ``/api/v2.0`` is taken as is).
        anonymous: ask without credentials, as someone who has not logged in does.

    Returns:
        The decoded JSON answer; the text for an answer that is not JSON (``/ping``
        answers ``Pong``).

    Raises:
        AuthenticationError: the endpoint needs a login, or the credentials were refused.
        RegkitError: Harbor could not be asked (unreachable, TLS, refused).

    Edge cases:
        Harbor answers ``/systeminfo`` to anyone, with fewer fields for anonymous
        callers (no version, no URL); ``/health`` answers 200 even when a component is
        unhealthy, so read each ``status``.

    Example:
        >>> api_get(c, "/health")  # doctest: +SKIP
        $ curl -s -u "admin:$REGKIT_PASSWORD" http://127.0.0.1:8080/api/v2.0/health
        {
          "status": "healthy",
          "components": [
            {"name": "core", "status": "healthy"},
            ...
    """
    from regkit.harbor.api import HarborAPI
    from regkit.harbor.urls import API_PREFIX

    if not path.startswith("/"):
        path = "/" + path
    if not path.startswith(API_PREFIX + "/"):
        path = API_PREFIX + path
    settings = _anonymous(course.settings) if anonymous else course.settings
    api = HarborAPI(settings) if anonymous else course.harbor.api
    show_command(_curl(settings, path))
    answer = api.request("GET", path)
    try:
        body = answer.json()
    except ValueError:
        print(answer.text, flush=True)
        return answer.text
    print(_json_text(body), flush=True)
    return body


def _hub_reason(ref: ImageReference) -> str:
    if ref.registry is not None:
        return "written as Docker Hub's own name"
    first = ref.path.split("/", 1)[0]
    if "/" not in ref.path:
        return "no host in the name"
    return f"{first!r} is not a host: no '.', no ':port', not 'localhost'"


def explain_references(*names: str) -> list[ImageReference | None]:
    """Show how Docker reads image names: which registry, which Harbor project, which tag.

    For each name, prints the registry Docker will contact, the repository, the Harbor
    project (the path's first part) and the tag, or why Docker refuses the name.

    Args:
        *names: image names as a learner would write them (``$REGISTRY/busybox`` already
            expanded).

    Returns:
        The parsed references, in order; None for a name Docker refuses.

    Edge cases:
        A name whose first part has no ``.``, no ``:port`` and is not ``localhost`` is a
        Docker Hub name, however much it looks like a host (``harbor/library/busybox``).
        On a registry other than Docker Hub, a one-part path names the project too:
        Harbor reads ``h:8080/busybox`` as project ``busybox``.

    Example:
        >>> refs = explain_references("harbor/library/busybox")
        harbor/library/busybox
          registry     docker.io  (Docker Hub: 'harbor' is not a host: no '.', no ':port', not 'localhost')
          repository   harbor/library/busybox
          tag          latest  (none written: Docker uses latest)
    """
    from regkit.reference import DEFAULT_DOMAIN, parse_reference

    found: list[ImageReference | None] = []
    for name in names:
        print(name or "(empty)")
        try:
            ref = parse_reference(name)
        except InvalidReference as err:
            print(f"  ✗ Docker refuses it: {err.message}")
            if err.hint:
                print(f"    how to fix: {err.hint}")
            found.append(None)
            continue
        if ref.domain == DEFAULT_DOMAIN:
            print(f"  registry     {ref.domain}  (Docker Hub: {_hub_reason(ref)})")
            print(f"  repository   {ref.repository}")
        else:
            print(f"  registry     {ref.domain}")
            print(f"  repository   {ref.repository}")
            note = ""
            if "/" not in ref.path:
                note = "  ⚠ no project/ in the path: Harbor takes the name as the project"
            print(f"  project      {ref.project}{note}")
        if ref.tag is not None:
            print(f"  tag          {ref.tag}")
        elif ref.digest is None:
            print("  tag          latest  (none written: Docker uses latest)")
        if ref.digest is not None:
            print(f"  digest       {ref.digest}")
        found.append(ref)
    sys.stdout.flush()
    return found


@dataclass(frozen=True)
class DockerConfig:
    """What the Docker CLI's ``config.json`` holds about registry logins (never the secrets).

    Made by :func:`docker_config`. Two snapshots compare equal when the file did not
    change between them (same bytes, or absent both times).

    Attributes:
        shown_as: the file as a learner would name it (``~/.docker/config.json``, or
            ``$DOCKER_CONFIG/config.json``).
        exists: whether the file exists.
        fingerprint: SHA-256 of the file's bytes, None when absent.
        stored: registries whose credentials sit in the file itself (base64, not encrypted).
        helpers: registry -> the credential helper holding its credentials (``credsStore``
            applies to every registry listed under ``auths``; ``credHelpers`` per registry).
        valid: False when the file is not valid JSON (Docker would refuse it too).

    Example:
        >>> config = docker_config({"DOCKER_CONFIG": "/nonexistent"})
        >>> config.exists, config.describe("127.0.0.1:8080")
        (False, '$DOCKER_CONFIG/config.json: no credentials for 127.0.0.1:8080')
    """

    shown_as: str
    exists: bool
    fingerprint: str | None
    stored: tuple[str, ...] = ()
    helpers: tuple[tuple[str, str], ...] = ()
    valid: bool = True

    def describe(self, registry: str) -> str:
        """One line: does the Docker CLI keep credentials for ``registry``, and where.

        A missing file and a file without an entry for ``registry`` read the same: either
        way the CLI has no credentials for it.

        Args:
            registry: the registry's ``host[:port]``.

        Returns:
            The line.

        Example:
            >>> DockerConfig("~/.docker/config.json", True, "ab", ("h:5000",)).describe("h:5000")
            '~/.docker/config.json: credentials for h:5000, base64-encoded (not encrypted)'
        """
        if not self.valid:
            return f"{self.shown_as}: not valid JSON (Docker would refuse to read it)"
        helper = dict(self.helpers).get(registry)
        if helper:
            return (f"{self.shown_as}: credentials for {registry} are in the credential "
                    f"helper docker-credential-{helper}, not in the file")
        if registry in self.stored:
            return f"{self.shown_as}: credentials for {registry}, base64-encoded (not encrypted)"
        return f"{self.shown_as}: no credentials for {registry}"


def _registry_key(key: str) -> str:
    """``https://h:5000/v1/`` -> ``h:5000``: the CLI has stored both forms over the years."""
    return key.split("://", 1)[-1].split("/", 1)[0].lower()


def docker_config(environ: Mapping[str, str] | None = None) -> DockerConfig:
    """Look at the Docker CLI's ``config.json``, where ``docker login`` keeps credentials.

    The file is ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``. Nothing
    secret is read into the result: only which registries have credentials, and where.

    Args:
        environ: the variables to read ``DOCKER_CONFIG`` and ``HOME`` from; ``os.environ``
            when None.

    Returns:
        A :class:`DockerConfig` snapshot; take one before and one after an action to
        see whether the action wrote the file.

    Example:
        >>> before = docker_config()
        >>> before == docker_config()
        True
    """
    import hashlib
    from pathlib import Path

    env = os.environ if environ is None else environ
    if env.get("DOCKER_CONFIG"):
        folder, shown_as = Path(env["DOCKER_CONFIG"]), "$DOCKER_CONFIG/config.json"
    else:
        home = env.get("HOME") or str(Path.home())
        folder, shown_as = Path(home) / ".docker", "~/.docker/config.json"
    try:
        data = (folder / "config.json").read_bytes()
    except OSError:
        return DockerConfig(shown_as, False, None)
    fingerprint = hashlib.sha256(data).hexdigest()
    try:
        content = json.loads(data or b"{}")
    except ValueError:
        return DockerConfig(shown_as, True, fingerprint, valid=False)
    if not isinstance(content, dict):
        return DockerConfig(shown_as, True, fingerprint, valid=False)
    auths = content.get("auths") if isinstance(content.get("auths"), dict) else {}
    helpers: dict[str, str] = {}
    store = content.get("credsStore")
    stored = []
    for key, entry in auths.items():
        if isinstance(entry, dict) and (entry.get("auth") or entry.get("identitytoken")):
            stored.append(_registry_key(key))
        elif isinstance(store, str) and store:
            helpers[_registry_key(key)] = store
    per_registry = content.get("credHelpers")
    if isinstance(per_registry, dict):
        helpers.update({_registry_key(k): str(v) for k, v in per_registry.items() if v})
    return DockerConfig(shown_as, True, fingerprint, tuple(sorted(set(stored))),
                        tuple(sorted(helpers.items())))


def get_busybox(course: Course, tag: str = "busybox:latest") -> str:
    """The slide's ``docker pull busybox``, made to work offline too.

    Prints the slide's command, then makes sure ``tag`` is on the Engine: already there,
    pulled from Docker Hub, or (when Docker Hub cannot be reached) built offline by
    regkit ``FROM scratch`` with the host's static busybox binary. Says which.

    Args:
        course: from :func:`prepare`.
        tag: the local name to give it.

    Returns:
        The image id (``sha256:...``).

    Raises:
        BuildError: Docker Hub cannot be reached and no static busybox binary is
            installed (the hint says which package to install).
        EngineUnavailable: no Engine answers.

    Example:
        >>> get_busybox(c)  # doctest: +SKIP
        $ docker pull busybox
        busybox:latest is on the Engine: built offline by regkit, as the pull failed
          image id   sha256:...
    """
    from regkit.busybox import OFFLINE_LABEL

    show_command(docker_cli.pull_command("busybox"))
    image_id = course.engine.ensure_busybox(tag)
    labels = course.engine.client.inspect_image(image_id)["Config"].get("Labels") or {}
    if labels.get(OFFLINE_LABEL) == "true":
        print(f"{tag} is on the Engine: built offline by regkit, as the pull failed")
    else:
        print(f"{tag} is on the Engine")
    print(f"  image id   {image_id}", flush=True)
    return image_id


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="r",service="s"`` -> ``("bearer", {"realm": "r", "service": "s"})``."""
    import re

    scheme, _, rest = header.strip().partition(" ")
    params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


def _jwt_claims(token: str) -> dict[str, Any]:
    import base64

    try:
        payload = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (IndexError, ValueError, TypeError):
        return {}


def token_flow(course: Course, name: str = "busybox", tag: str = "latest") -> str:
    """Walk the path a ``docker push`` takes through Harbor's authentication, by hand.

    Three real requests, each printed as ``curl`` first: ``/v2/`` without credentials
    (Harbor answers 401 and names its token service), the token service with the
    username and password (a token for ``pull,push`` on one repository; its claims are
    shown, never the token), then the manifest ``tag`` points to, read with that token:
    its ``Docker-Content-Digest`` is the digest ``docker push`` printed.

    Args:
        course: from :func:`prepare`, with credentials in its settings.
        name: the repository in the course's project.
        tag: the tag whose manifest is read.

    Returns:
        The manifest digest the registry serves for ``name:tag``.

    Raises:
        RegistryError: the registry does not ask for a bearer token (not a Harbor, or a
            registry with basic authentication only).
        AuthenticationError: the token service refused the credentials.
        NotFoundError: no such repository or tag (push it first).
        RegkitError: the registry could not be reached.

    Edge cases:
        A wrong password is not always refused by the token service: like Harbor, it may
        hand out an anonymous token with no rights (``access`` is then empty) and the
        read fails afterwards. A user without the push right gets a token with ``pull``
        only.

    Example:
        >>> token_flow(c)  # doctest: +SKIP
        1. Without credentials, /v2/ answers with a challenge:
        $ curl -si http://127.0.0.1:8080/v2/
        ...
    """
    from urllib.parse import urlencode, urlsplit

    from regkit.harbor.api import HarborAPI

    settings = course.settings
    repository = f"{settings.project}/{name}"
    visitor = HarborAPI(_anonymous(settings))

    print("1. Without credentials, /v2/ answers with a challenge:")
    show_command(_curl(settings, "/v2/", flags="-si", anonymous=True))
    answer = visitor.request("GET", "/v2/", ok=(200, 401))
    header = answer.headers.get("Www-Authenticate", "")
    scheme, params = _challenge(header)
    print(f"HTTP {answer.status_code} {answer.reason}")
    if answer.status_code != 401 or scheme != "bearer" or not params.get("realm"):
        raise RegistryError(
            f"{settings.host} does not ask for a bearer token on /v2/ "
            f"(HTTP {answer.status_code}, Www-Authenticate: {header or 'none'})",
            operation=f"GET {settings.base_url}/v2/",
            hint="this walk-through needs Harbor (or the practice lab): a registry with "
                 "basic authentication has no token service",
        )
    print(f"Www-Authenticate: {header}\n")

    print("2. The token service gives a token for this push (the token itself is not shown):")
    realm = urlsplit(params["realm"])
    query = {"service": params.get("service", ""), "scope": f"repository:{repository}:pull,push"}
    url = f"{params['realm']}?{urlencode(query, safe=':/,')}"
    show_command(f"TOKEN=$({_curl(settings, '', url=url)} | jq -r .token)")
    realm_base = f"{realm.scheme}://{realm.netloc}"
    issuer = course.harbor.api if realm_base == settings.base_url else HarborAPI(
        settings.replace(url=realm_base))
    reply = issuer.request("GET", realm.path, params=query).json()
    claims = _jwt_claims(str(reply.get("token") or reply.get("access_token") or ""))
    print(f"HTTP 200: a token, expires_in {reply.get('expires_in')}")
    for label, key in (("issuer", "iss"), ("subject", "sub"), ("audience", "aud")):
        print(f"  {label:<10} {claims.get(key) or '(none)'}")
    access = claims.get("access") or []
    for entry in access:
        print(f"  {'access':<10} {entry.get('type')} {entry.get('name')}: "
              f"{', '.join(entry.get('actions') or []) or 'nothing'}")
    if not access:
        print(f"  {'access':<10} nothing")
    print()

    print(f"3. With the token, the manifest {repository}:{tag} is read:")
    path = f"/v2/{repository}/manifests/{tag}"
    groups = _curl_groups(settings, path, flags="-sI", anonymous=True,
                          headers=["Authorization: Bearer $TOKEN",
                                   *(f"Accept: {kind}" for kind in _MANIFEST_TYPES)])
    show_command(" \\\n    ".join(groups))
    bearer = {"Authorization": f"Bearer {reply.get('token') or reply.get('access_token')}",
              "Accept": ", ".join(_MANIFEST_TYPES)}
    head = visitor.request("HEAD", path, headers=bearer, project=settings.project)
    digest = head.headers.get("Docker-Content-Digest", "")
    print(f"HTTP {head.status_code} {head.reason}")
    print(f"Docker-Content-Digest: {digest}", flush=True)
    return digest


# -- the setup checks of notebook 00 --------------------------------------------------------


def _ok(what: str, detail: str) -> bool:
    print(f"✓ {what}: {detail}", flush=True)
    return True


def _failed(what: str, detail: str, fix: str | None) -> bool:
    print(f"✗ {what}: {detail}", flush=True)
    if fix:
        print(f"  fix: {fix}", flush=True)
    return False


def check_packages() -> bool:
    """Check that the Python packages the course uses can be imported.

    Returns:
        True when all are installed; prints one ✓/✗ line (and the fix).

    Example:
        >>> check_packages()  # doctest: +SKIP
        ✓ Python packages: docker, requests, ipywidgets, jupyterlab, pyyaml, cryptography, bcrypt
    """
    missing = [dist for module, dist in PACKAGES.items() if importlib.util.find_spec(module) is None]
    if missing:
        return _failed("Python packages", f"missing {', '.join(missing)}",
                       f"{sys.executable} -m pip install {' '.join(missing)}  (or `make install`)")
    return _ok("Python packages", ", ".join(PACKAGES.values()))


def check_engine(*, start: bool = True) -> bool:
    """Check that a Docker Engine answers; as root, start regkit's private one if none does.

    Args:
        start: allow starting a private Engine.

    Returns:
        True when an Engine answers; prints one ✓/✗ line (and the fix).

    Example:
        >>> check_engine()  # doctest: +SKIP
        ✓ Docker Engine: answers
    """
    try:
        _connect_engine(start)
    except RegkitError as err:
        return _failed("Docker Engine", err.message, err.hint)
    return _ok("Docker Engine", "answers")


def check_registry(*, start: bool = True) -> bool:
    """Check that the registry answers (``GET /v2/``); start the practice lab if it is the target.

    Args:
        start: allow starting the practice lab.

    Returns:
        True when the registry answers; prints one ✓/✗ line (and the fix).

    Example:
        >>> check_registry()  # doctest: +SKIP
        ✓ registry: the practice lab answers at http://127.0.0.1:8080
    """
    from regkit.harbor import Harbor

    try:
        settings = default_settings()
        lab = _running_lab_at(settings.url)
        if lab is None and _lab_should_start(settings):
            if not start:
                return _failed("registry", f"the practice lab is not running at {settings.base_url}",
                               "start it: `regkit lab up` (or `make lab`)")
            lab = _start_lab().info
        Harbor(settings).api.request("GET", "/v2/", ok=(200, 401))
    except RegkitError as err:
        return _failed("registry", err.message, err.hint)
    what = "the practice lab" if lab is not None else "the registry"
    return _ok("registry", f"{what} answers at {settings.base_url}")


def check_login() -> bool:
    """Check that the Engine can log in to the registry with the course's credentials.

    Returns:
        True on ``Login Succeeded``; prints one ✓/✗ line (and the fix).

    Example:
        >>> check_login()  # doctest: +SKIP
        ✓ login: admin at 127.0.0.1:8080, Login Succeeded
    """
    try:
        settings = default_settings()
        if not settings.username:
            return _failed("login", "no username set",
                           "export REGKIT_USERNAME and REGKIT_PASSWORD before starting Jupyter")
        result = Engine().login(settings)
    except RegkitError as err:
        return _failed("login", err.message, err.hint)
    return _ok("login", f"{result.username} at {result.registry}, {result.status}")


# -- lessons 08 to 12: Harbor's pages, DockerCoins built and pushed, tags ---------------------


class Table:
    """A small table: HTML in a notebook, aligned text elsewhere (and in stored outputs).

    The views of notebooks 08 to 12 (a few repositories, some artifacts, what a build
    pushed) are all made of these. Cells are shown as given; numbers in ``numeric``
    columns are right-aligned, as Harbor aligns them.

    Args:
        title: the caption.
        columns: the column names.
        rows: the rows, one value per column (turned into text with ``str``).
        numeric: names of the columns to right-align.

    Example:
        >>> print(Table("Artifacts", ("Tags", "Count"), [("v0.1", 1)], numeric=("Count",)))
        Artifacts
        Tags  Count
        v0.1      1
    """

    def __init__(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                 *, numeric: Iterable[str] = ()) -> None:
        self.title = title
        self.columns = tuple(columns)
        self.rows = [tuple(str(value) for value in row) for row in rows]
        self.numeric = frozenset(numeric)

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        if not self.rows:
            return f"{self.title}\n{'  '.join(self.columns)}\n(none)"
        widths = [max(len(line[i]) for line in [self.columns, *self.rows])
                  for i in range(len(self.columns))]
        lines = [self.title]
        for line in [self.columns, *self.rows]:
            cells = [value.rjust(width) if name in self.numeric else value.ljust(width)
                     for name, value, width in zip(self.columns, line, widths)]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Table({self.title!r}, {len(self.rows)} rows)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        import html

        def align(name: str) -> str:
            return "right" if name in self.numeric else "left"

        head = "".join(f"<th style='text-align:{align(c)}'>{html.escape(c)}</th>"
                       for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:{align(c)}'>{html.escape(v)}</td>"
                             for c, v in zip(self.columns, row)) + "</tr>"
            for row in self.rows
        ) or f"<tr><td colspan='{len(self.columns)}'>(none)</td></tr>"
        return (f"<table class='regkit-table'><caption style='text-align:left'>"
                f"{html.escape(self.title)}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")


def _utc_minute(value: Any) -> str:
    # To the minute in UTC, as RepositoryTable shows times: the same for every reader.
    from datetime import timezone

    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _short_digest(digest: str | None) -> str:
    # Harbor's pages show a digest cut short too; 12 hex digits tell images apart.
    return digest[:19] if digest else "-"


def repository_table(course: Course, names: Iterable[str] | None = None, *,
                     pulls: bool = True, project: str | None = None) -> Table:
    """Rows of Harbor's Repositories page, for some repositories of the project.

    Prints the ``curl`` call of Harbor's API that the page itself makes, then returns the
    rows (name, artifacts, pulls, last modified time) sorted by name. :func:`repositories`
    shows the whole project; this shows only ``names``, so the view stays the same
    whatever else other lessons pushed to the project.

    Args:
        course: from :func:`prepare`.
        names: repository names inside the project (``busybox``, ``rng``); all when None.
        pulls: include the Pulls column. It counts every ``docker pull`` of the
            repository, from anywhere, so it is left out where the number is not ours to
            predict.
        project: the project; the course's when None.

    Returns:
        A :class:`Table`; a name that is not in the registry has no row.

    Raises:
        ProjectNotFound: no such project.
        RegkitError: Harbor could not be asked.

    Example:
        >>> repository_table(c, ["busybox"], pulls=False)  # doctest: +SKIP
        $ curl -s -u "admin:$REGKIT_PASSWORD" http://127.0.0.1:8080/api/v2.0/projects/library/repositories
        Repositories in project library: busybox
        Name             Artifacts  Last Modified Time
        library/busybox          1  2024-05-01 10:00 UTC
    """
    from regkit.harbor.urls import repositories_path

    project = project or course.settings.project
    show_command(_curl(course.settings, repositories_path(project)))
    rows = course.harbor.repository_table(project)
    title = f"Repositories in project {project}"
    if names is not None:
        wanted = list(names)
        title += f": {', '.join(wanted)}"
        rows = [row for row in rows if row.name in {f"{project}/{name}" for name in wanted}]
    columns = ["Name", "Artifacts", "Pulls", "Last Modified Time"]
    if not pulls:
        columns.remove("Pulls")
    table_rows = []
    for row in sorted(rows, key=lambda row: row.name):
        cells = [row.name, row.artifacts, row.pulls, _utc_minute(row.last_modified)]
        if not pulls:
            del cells[2]
        table_rows.append(cells)
    return Table(title, columns, table_rows, numeric=("Artifacts", "Pulls"))


def artifact_table(course: Course, repositories: str | Iterable[str], *,
                   tag: str | None = None, project: str | None = None) -> Table:
    """Artifacts as Harbor's page of a repository lists them: digest, tags, push time.

    Prints one ``curl`` call of Harbor's API per repository. With ``tag``, shows the one
    artifact that tag points to in each repository; without, every artifact of the
    repository, newest push first (Harbor's order).

    Args:
        course: from :func:`prepare`.
        repositories: one repository name inside the project, or several.
        tag: show only the artifact this tag points to.
        project: the project; the course's when None.

    Returns:
        A :class:`Table` (Repository, Artifact, Tags, Push Time; no Repository column for
        one repository). An artifact without a tag shows ``(no tag)``: nothing names what
        it holds any more.

    Raises:
        NotFoundError: no such repository, or no such tag in one.
        RegkitError: Harbor could not be asked.

    Example:
        >>> artifact_table(c, "busybox", tag="latest")  # doctest: +SKIP
        $ curl -s -u "admin:$REGKIT_PASSWORD" http://127.0.0.1:8080/api/v2.0/projects/library/repositories/busybox/artifacts/latest
        Artifacts of library/busybox tagged latest
        Artifact             Tags    Push Time
        sha256:08f60e9dd953  latest  2024-05-01 10:00 UTC
    """
    from regkit.harbor.urls import artifact_path, artifacts_path

    project = project or course.settings.project
    names = [repositories] if isinstance(repositories, str) else list(repositories)
    rows = []
    for name in names:
        path = artifact_path(project, name, tag) if tag else artifacts_path(project, name)
        show_command(_curl(course.settings, path))
        found = ([course.harbor.artifact(project, name, tag)] if tag
                 else course.harbor.artifacts(project, name))
        rows += [(f"{project}/{name}", _short_digest(artifact.digest),
                  ", ".join(artifact.tag_names) or "(no tag)", _utc_minute(artifact.push_time))
                 for artifact in found]
    which = ", ".join(f"{project}/{name}" for name in names)
    title = f"Artifacts of {which}" + (f" tagged {tag}" if tag else "")
    if len(names) == 1:
        # The title names the one repository already.
        return Table(title, ("Artifact", "Tags", "Push Time"), [row[1:] for row in rows])
    return Table(title, ("Repository", "Artifact", "Tags", "Push Time"), rows)


def _local_digest(course: Course, image: str) -> str | None:
    """The digest the Engine recorded when it last pushed ``image`` to this registry."""
    from regkit.reference import parse_reference

    ref = parse_reference(image)
    repository = f"{ref.registry}/{ref.path}"
    info = course.engine.client.inspect_image(image)
    for entry in info.get("RepoDigests") or ():
        name, _, digest = entry.partition("@")
        if name == repository:
            return digest
    return None


def ensure_pushed(course: Course, source: str = "busybox", *, name: str | None = None,
                  tag: str | None = None) -> str:
    """Make sure the registry holds a local image, as an earlier lesson pushed it.

    A lesson that only looks at the registry calls this first, so it runs on its own.
    The push happens, without a word, only when the registry lacks the tag or holds
    another image under it; the line printed is the same either way, so a stored output
    does not depend on what ran before.

    Args:
        course: from :func:`prepare` (with ``busybox=True`` for busybox).
        source: the local image (``busybox``).
        name: the repository in the project; the source's name when None.
        tag: the tag; ``latest`` when None.

    Returns:
        The manifest digest the registry holds under the tag.

    Raises:
        NotFoundError: ``source`` is not on the Engine.
        RegkitError: Harbor or the Engine refused (see :func:`push`).

    Example:
        >>> ensure_pushed(c, "busybox")  # doctest: +SKIP
        ✓ 127.0.0.1:8080/library/busybox:latest is in the registry
        'sha256:...'
    """
    from regkit.errors import NotFoundError
    from regkit.reference import parse_reference

    repository = name or parse_reference(source).path.rsplit("/", 1)[-1]
    tag = tag or "latest"
    target = course.settings.image(repository, tag)
    try:
        held: str | None = course.harbor.artifact(None, repository, tag).digest
    except NotFoundError:
        held = None
    course.engine.tag(source, target)
    if held is None or held != _local_digest(course, target):
        existed = _repository_exists(course, course.settings.project, repository)
        held = course.engine.push(target, settings=course.settings).digest
        _note_push(course, target, held, created=not existed)
    print(f"✓ {target} is in the registry", flush=True)
    return held


def build(course: Course, context: str | os.PathLike[str], tag: str, *,
          shown_context: str | None = None) -> BuildResult:
    """Build an image as ``docker build -t TAG CONTEXT`` does, and say what was built.

    Prints the command, then Docker's last two lines: the image's short id and its name.
    The build log itself is not printed (it differs between a first build and one that
    uses the Engine's cache).

    Args:
        course: from :func:`prepare`.
        context: the build context directory.
        tag: the name to give the image.
        shown_context: how the context is written in the printed command (``.`` after a
            ``cd``); the path as given when None.

    Returns:
        The :class:`~regkit.engine.BuildResult` (image id, name, log).

    Raises:
        BuildError: a step failed; ``log`` has the output.
        InvalidReference: ``tag`` is not a valid name.

    Example:
        >>> build(c, "stacks/dockercoins/rng", "rng:dev")  # doctest: +SKIP
        $ docker build -t rng:dev stacks/dockercoins/rng
        Successfully built 535a05f2b2ef
        Successfully tagged rng:dev
    """
    shown = shown_context if shown_context is not None else os.fspath(context)
    show_command(docker_cli.build_command(shown, tag))
    result = course.engine.build(context, tag)
    print(f"Successfully built {result.image_id.split(':', 1)[-1][:12]}", flush=True)
    print(f"Successfully tagged {result.tag}", flush=True)
    return result


def _stack_reporter(project: ComposeProject) -> Callable[[str, Any], None]:
    """The compose progress: a service's line grows as its build and push go."""
    width = max(len(spec.name) for spec in project.services)

    def out(text: str, end: str = "") -> None:
        print(text, end=end, flush=True)

    def report(service: str, event: Any) -> None:
        if not isinstance(event, Mapping) or "regkit" not in event:
            return
        step = event["regkit"]
        if step == "skip":
            image = project.service(service).image_name
            out(f"{service:<{width}}  not built: {image} is a stock image, pulled where the "
                "stack runs", end="\n")
        elif step == "build":
            out(f"{service:<{width}}  build … ")
        elif step == "push":
            out("done   push … ")
        elif step == "done":
            out("done" if event.get("status") == "pushed" else "done (not pushed)", end="\n")

    return report


def build_and_push_stack(course: Course, compose_file: str | os.PathLike[str], *,
                         services: Iterable[str] | None = None) -> list[ServiceResult]:
    """``docker compose -f FILE build`` then ``push``, with the variables exported now.

    The compose file is read with this process's environment, as ``docker compose``
    reads the shell's: ``REGISTRY`` (set by :func:`prepare`) and ``TAG`` (set it first:
    ``os.environ["TAG"] = "v0.1"``). Prints the two compose commands and any warning
    (``TAG`` unset or ``latest``, a variable Compose would leave blank), then one line per
    service that grows as its build and push go (``rng  build … done   push … done``);
    services without ``build:`` (redis) are named and skipped. No build log and no layer
    statuses: they differ between a first run and one that finds everything cached.

    Args:
        course: from :func:`prepare` (with ``busybox=True`` for DockerCoins, built
            ``FROM busybox``).
        compose_file: the compose file (``stacks/dockercoins.yml``).
        services: only these services, in this order; all when None.

    Returns:
        One :class:`~regkit.compose.ServiceResult` per service (see :func:`stack_table`).

    Raises:
        SettingsError, InvalidReference: the file or a variable is wrong (see
            :func:`regkit.compose.load`).
        BuildError, PushError, AuthenticationError, ProjectNotFound: a service failed;
            the message names it and what was done before it.

    Example:
        >>> os.environ["TAG"] = "v0.1"  # doctest: +SKIP
        >>> results = build_and_push_stack(c, "stacks/dockercoins.yml")  # doctest: +SKIP
        $ docker compose -f stacks/dockercoins.yml build
        $ docker compose -f stacks/dockercoins.yml push
        rng     build … done   push … done
        ...
    """
    from regkit import compose
    from regkit.tags import check_tag

    project = compose.load(compose_file)
    show_command(*compose.compose_command(project, services=services or ()))
    for warning in (*project.warnings, *map(str, check_tag(None))):
        print(f"warning: {warning}", flush=True)
    try:
        return compose.build_and_push(project, course.engine, settings=course.settings,
                                      services=services,
                                      progress=_recording(course, project,
                                                          _stack_reporter(project)))
    except RegkitError:
        print(flush=True)  # ends the service's unfinished line before the error shows
        raise


def stack_table(results: Iterable[ServiceResult]) -> Table:
    """What :func:`build_and_push_stack` did, one row per service: image and digest.

    Args:
        results: the :class:`~regkit.compose.ServiceResult` list.

    Returns:
        A :class:`Table` (Service, Image, Digest); a service that was not pushed shows
        why instead of a digest.

    Example:
        >>> from regkit.compose import ServiceResult
        >>> print(stack_table([ServiceResult("redis", "redis", "skipped")]))
        DockerCoins images
        Service  Image  Digest
        redis    redis  not built: a stock image
    """
    rows = []
    for result in results:
        if result.status == "pushed":
            rows.append((result.name, result.image, _short_digest(result.digest)))
        elif result.status == "skipped":
            rows.append((result.name, result.image, "not built: a stock image"))
        else:
            rows.append((result.name, result.image, f"built, not pushed: {result.reason}"))
    return Table("DockerCoins images", ("Service", "Image", "Digest"), rows)


def ensure_stack(course: Course, compose_file: str | os.PathLike[str]) -> list[str]:
    """Make sure every image the compose file builds is in the registry under its tag.

    For a lesson that looks at what an earlier one pushed, so it runs on its own: images
    the registry lacks are built and pushed without a word (the Engine's cache makes
    that quick); the line printed is the same either way.

    Args:
        course: from :func:`prepare` (with ``busybox=True`` for DockerCoins).
        compose_file: the compose file; read with this process's ``REGISTRY`` and ``TAG``.

    Returns:
        The image names (``127.0.0.1:8080/library/rng:v0.1``...), in file order.

    Raises:
        SettingsError: ``REGISTRY`` names another registry than the course's, so Harbor
            cannot be asked about the images.
        RegkitError: a build or push failed (see :func:`build_and_push_stack`).

    Example:
        >>> ensure_stack(c, "stacks/dockercoins.yml")  # doctest: +SKIP
        ✓ in the registry: rng, hasher, webui, worker (tag v0.1)
    """
    from regkit import compose
    from regkit.errors import NotFoundError

    project = compose.load(compose_file)
    built = [(spec, spec.reference) for spec in project.services
             if spec.build is not None and spec.reference is not None]
    missing = []
    for spec, ref in built:
        owner, _, repository = ref.path.partition("/")
        if ref.registry != course.settings.host or owner != course.settings.project:
            raise SettingsError(
                f"{spec.image} is not in the course's registry ({course.registry})",
                hint=f"export REGISTRY={course.registry} (prepare() sets it), then run again")
        try:
            course.harbor.artifact(owner, repository, ref.tag or "latest")
        except NotFoundError:
            missing.append(spec.name)
    if missing:
        compose.build_and_push(project, course.engine, settings=course.settings,
                               services=missing, progress=_recording(course, project))
    tags = sorted({ref.tag or "latest" for _, ref in built})
    print(f"✓ in the registry: {', '.join(spec.name for spec, _ in built)} "
          f"(tag {', '.join(tags)})", flush=True)
    return [spec.image_name for spec, _ in built]


def delete_repository(course: Course, name: str, *, project: str | None = None) -> None:
    """Delete a repository with all its artifacts and tags, as Harbor's Delete button does.

    For a demonstration that needs an empty repository each time it runs. Prints the
    ``curl`` call and the same line whether or not the repository existed: a missing
    repository is not an error (Harbor's 404 is accepted).

    Args:
        course: from :func:`prepare`, logged in as someone allowed to delete.
        name: the repository inside the project.
        project: the project; the course's when None.

    Raises:
        PushDenied, AuthenticationError: this account may not delete there.
        RegkitError: Harbor could not be asked.

    Example:
        >>> delete_repository(c, "tagging-demo")  # doctest: +SKIP
        $ curl -s -X DELETE -u "admin:$REGKIT_PASSWORD" http://127.0.0.1:8080/api/v2.0/projects/library/repositories/tagging-demo
        library/tagging-demo is empty: no artifact, no tag
    """
    from regkit.harbor.urls import encode_repository, repositories_path

    project = project or course.settings.project
    path = f"{repositories_path(project)}/{encode_repository(name)}"
    show_command(_curl(course.settings, path, flags="-s -X DELETE"))
    course.harbor.api.request("DELETE", path, project=project, ok=(200, 404))
    _forget_repository(course, project, name)
    print(f"{project}/{name} is empty: no artifact, no tag", flush=True)


def _forget_repository(course: Course, project: str, name: str) -> None:
    """Drop the record's entries about a repository that was just deleted: nothing is left."""
    from regkit.course_record import forget

    registry = course.settings.base_url.rstrip("/")
    forget(lambda made: (made.registry, made.project, made.repository) == (
        registry, project, name) and made.kind in ("tag", "repository"))


# -- lesson 12's CI robot, and the projects a lesson may create ------------------------------


def _post_command(settings: RegistrySettings, path: str, body_lines: Sequence[str]) -> str:
    """A ``curl`` POST of a JSON body laid out over several lines, as a learner could paste it."""
    groups = _curl_groups(settings, path, headers=["Content-Type: application/json"])
    # Continuation lines are given relative to the body's first character, which sits
    # after the 4-space indent and "-d '".
    body = ("\n" + " " * 8).join(body_lines)
    return " \\\n    ".join([*groups[:-1], f"-d '{body}'", groups[-1]])


def create_robot(course: Course, name: str, *, project: str | None = None, push: bool = True,
                 description: str = "") -> RobotAccount:
    """Create a project robot account for a CI job, as Harbor's Robot Accounts page does.

    Prints the ``curl`` call of ``POST /robots``, then what Harbor made: the robot's login
    name (``robot$<project>+<name>``), what it may do, and that its secret was received.
    The secret itself is never printed: Harbor shows it this once, so it stays in the
    returned object (``robot.secret``, a :class:`~regkit.settings.Secret`), to hand to a
    CI system as a masked variable. The robot is written to the course record.

    Edge case: when a robot of that name exists and the course record says the course
    made it (a lesson stopped before deleting it), it is deleted and made again, so a
    lesson can run twice; one made by someone else is left alone and reported.

    Args:
        course: from :func:`prepare`, as a project admin of ``project``.
        name: the robot's short name (lowercase letters, digits, ``. _ -``).
        project: the project it works in; the course's when None.
        push: may push as well as pull (a CI job that publishes images needs it).
        description: shown in Harbor.

    Returns:
        The :class:`~regkit.harbor.RobotAccount` (``name``, ``id``, ``secret``).

    Raises:
        RegistryError: a robot of that name exists that the course did not make (409).
        PushDenied: this account may not manage robots in the project.

    Example:
        >>> robot = create_robot(c, "ci")  # doctest: +SKIP
        $ curl -s -u "admin:$REGKIT_PASSWORD" -H "Content-Type: application/json" \\
            -d '{"name": "ci", "level": "project", "duration": -1, ...}' \\
            http://127.0.0.1:8080/api/v2.0/robots
        HTTP 201 Created: robot account robot$library+ci
        ...
    """
    from regkit.course_record import Made, note
    from regkit.harbor.urls import API_PREFIX

    project = project or course.settings.project
    actions = ["pull", "push"] if push else ["pull"]
    access = [f'{{"resource": "repository", "action": "{action}"}}' for action in actions]
    body = [f'{{"name": "{name}", "level": "project", "duration": -1,',
            f' "permissions": [{{"kind": "project", "namespace": "{project}",',
            f'{" " * 18}"access": [{access[0]}']
    body += [f'{" " * 29}{item}' for item in access[1:]]
    body[-1] += "]}]}"
    body[2:-1] = [line + "," for line in body[2:-1]]
    show_command(_post_command(course.settings, f"{API_PREFIX}/robots", body))
    full_name = f"robot${project}+{name}"
    try:
        robot = course.harbor.create_robot(name, project, push=push, description=description)
    except RegistryError as err:
        if err.status != 409 or not _delete_recorded_robot(course, full_name):
            if err.status == 409:
                err.hint = (f"{full_name} exists and the course did not make it: delete it "
                            f"in Harbor (Projects > {project} > Robot Accounts) or pick "
                            "another name")
            raise
        robot = course.harbor.create_robot(name, project, push=push, description=description)
    note(Made("robot", course.settings.base_url, project, robot_id=robot.id,
              robot_name=robot.name))
    print(f"HTTP 201 Created: robot account {robot.name}", flush=True)
    print(f"  may        {', '.join(actions)} in project {project}, nothing else", flush=True)
    print("  expires    never" if robot.expires_at == -1 else
          f"  expires    {_utc_minute(_from_unix(robot.expires_at))}", flush=True)
    print("  secret     received, kept in robot.secret: Harbor shows it only this once",
          flush=True)
    return robot


def _from_unix(seconds: int) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc)


def _delete_recorded_robot(course: Course, full_name: str) -> bool:
    """Delete a robot named ``full_name`` that the course record says the course made."""
    from regkit.course_record import CourseRecord, forget
    from regkit.errors import NotFoundError

    registry = course.settings.base_url.rstrip("/")
    mine = [m for m in CourseRecord().entries()
            if m.kind == "robot" and m.registry == registry and m.robot_name == full_name]
    for made in mine:
        try:
            if course.harbor.api.get_robot(int(made.robot_id or 0)).get("name") == full_name:
                course.harbor.delete_robot(int(made.robot_id or 0))
                forget(lambda m, key=made.key(): m.key() == key)
                return True
        except NotFoundError:
            forget(lambda m, key=made.key(): m.key() == key)
    return False


def delete_robot(course: Course, robot: RobotAccount) -> None:
    """Delete a robot account: its secret stops working at once.

    Prints the ``curl`` call (with ``$ROBOT_ID``, the ``id`` Harbor answered at creation,
    so the line is the same every run) and one line saying it is gone. The course record
    forgets it.

    Args:
        course: from :func:`prepare`, as a project admin of the robot's project.
        robot: from :func:`create_robot`.

    Raises:
        NotFoundError: it was already deleted.
        PushDenied: this account may not manage robots there.

    Example:
        >>> delete_robot(c, robot)  # doctest: +SKIP
        $ curl -s -X DELETE -u "admin:$REGKIT_PASSWORD" http://127.0.0.1:8080/api/v2.0/robots/$ROBOT_ID
        robot$library+ci deleted: its secret no longer logs in
    """
    from regkit.course_record import forget
    from regkit.harbor.urls import API_PREFIX

    groups = _curl_groups(course.settings, "", flags="-s -X DELETE")
    url = f"{course.settings.base_url}{API_PREFIX}/robots/$ROBOT_ID"
    show_command(" ".join([*groups[:-1], url]))
    course.harbor.delete_robot(robot.id)
    registry = course.settings.base_url.rstrip("/")
    forget(lambda made: made.kind == "robot" and made.registry == registry
           and made.robot_id == robot.id)
    print(f"{robot.name} deleted: its secret no longer logs in", flush=True)


def create_project(course: Course, name: str, *, public: bool = False) -> Project:
    """Make sure a project exists, creating it as Harbor's New Project button does.

    Prints the ``curl`` call of ``POST /projects`` and the same line whether the project
    was created now or was there already (so a lesson's output does not depend on what
    ran before). A project created here is written to the course record; one that was
    there is not, so ``regkit course reset`` leaves it.

    Args:
        course: from :func:`prepare`, as an account allowed to create projects.
        name: lowercase letters and digits joined by single ``.``, ``_`` or ``-``.
        public: anyone may pull without a login.

    Returns:
        The project.

    Raises:
        InvalidReference: the name breaks Harbor's rule (checked before sending).
        PushDenied: only system admins may create projects on this Harbor.

    Example:
        >>> create_project(c, "demo")  # doctest: +SKIP
        $ curl -s -u "admin:$REGKIT_PASSWORD" -H "Content-Type: application/json" \\
            -d '{"project_name": "demo", "metadata": {"public": "false"}}' \\
            http://127.0.0.1:8080/api/v2.0/projects
        ✓ project demo exists (private)
    """
    from regkit.course_record import Made, note
    from regkit.harbor.urls import API_PREFIX
    from regkit.reference import validate_project_name

    validate_project_name(name)
    visibility = "true" if public else "false"
    show_command(_post_command(course.settings, f"{API_PREFIX}/projects", [
        f'{{"project_name": "{name}", "metadata": {{"public": "{visibility}"}}}}']))
    try:
        course.harbor.api.create_project(name, public=public)
        created = True
    except RegistryError as err:
        if err.status != 409:
            raise
        created = False
    project = course.harbor.project(name)
    if created:
        note(Made("project", course.settings.base_url, name, project_id=project.project_id))
    print(f"✓ project {name} exists ({'public' if project.public else 'private'})", flush=True)
    return project
