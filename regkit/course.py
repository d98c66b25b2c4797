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
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from regkit import docker_cli
from regkit.engine import Engine, LoginResult, PushResult
from regkit.errors import RegkitError
from regkit.settings import DEFAULT_URL, RegistrySettings

if TYPE_CHECKING:
    from regkit.harbor import Harbor
    from regkit.lab import Lab, LabInfo
    from regkit.private_engine import PrivateEngine
    from regkit.widgets import RepositoryTable

__all__ = [
    "PACKAGES",
    "Course",
    "check_engine",
    "check_login",
    "check_packages",
    "check_registry",
    "default_settings",
    "login",
    "prepare",
    "push",
    "repositories",
    "show_command",
]

# import name -> the distribution to install, for the Python packages check.
PACKAGES = {
    "docker": "docker",
    "requests": "requests",
    "ipywidgets": "ipywidgets",
    "jupyterlab": "jupyterlab",
    "aiohttp": "aiohttp",
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
    directory, ``REGKIT_LAB_DIR``) or ``http://127.0.0.1:8080``. When the URL is the lab's
    and no ``REGKIT_USERNAME`` is set, the lab's ``admin`` account is used, with
    ``REGKIT_PASSWORD``, else ``REGKIT_LAB_ADMIN_PASSWORD``, else Harbor's default; a TLS
    lab's CA is trusted unless ``REGKIT_CA_BUNDLE`` says otherwise.

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
    from regkit.lab import ADMIN_USER, running_lab
    from regkit.lab.control import ADMIN_PASSWORD_ENV, DEFAULT_ADMIN_PASSWORD

    env = os.environ if environ is None else environ
    base = RegistrySettings.from_env(env)
    info = running_lab(env.get("REGKIT_LAB_DIR") or None)
    changes: dict[str, Any] = {}
    if not env.get("REGKIT_REGISTRY_URL") and info is not None:
        changes["url"] = info.url
    url = changes.get("url", base.url)
    lab_here = info is not None and info.url == url
    if (lab_here or url == DEFAULT_URL) and not env.get("REGKIT_USERNAME"):
        changes["username"] = ADMIN_USER
        changes["password"] = base.password or env.get(ADMIN_PASSWORD_ENV) or DEFAULT_ADMIN_PASSWORD
    if lab_here and info.tls and info.ca_path and not env.get("REGKIT_CA_BUNDLE"):
        changes["verify"] = info.ca_path
    return base.replace(**changes) if changes else base


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
    result = engine.login(settings)
    say(result.status)
    return result


def push(
    course: Course,
    source: str = "busybox",
    *,
    name: str | None = None,
    tag: str | None = None,
    progress: bool = True,
) -> PushResult:
    """Tag a local image into the course's project and push it, as the slides do.

    Prints ``docker tag`` and ``docker push`` as a learner would type them, shows
    per-layer progress (bars in a notebook), then the registry's answer as ``docker push``
    ends: ``TAG: digest: sha256:... size: N``.

    Args:
        course: from :func:`prepare` (logged in, or with credentials in its settings).
        source: the local image (``busybox``, ``busybox:latest``, an image id).
        name: the repository name in the project; the source's name without its tag
            when None (``busybox``).
        tag: the tag to push; ``latest`` when None (as ``docker push`` does).
        progress: show per-layer progress.

    Returns:
        The :class:`~regkit.engine.PushResult` (reference, digest, size, command).

    Raises:
        NotFoundError: ``source`` is not on the Engine (``prepare(busybox=True)`` makes
            busybox).
        ProjectNotFound, PushDenied, AuthenticationError: the registry refused the push.
        InvalidReference: ``name`` or ``tag`` breaks Docker's grammar.

    Example:
        >>> push(c, "busybox", tag="v1")  # doctest: +SKIP
        $ docker tag busybox 127.0.0.1:8080/library/busybox:v1
        $ docker push 127.0.0.1:8080/library/busybox:v1
        v1: digest: sha256:... size: 527
    """
    from regkit.reference import parse_reference

    repository = name or parse_reference(source).path.rsplit("/", 1)[-1]
    target = course.settings.image(repository, tag or "latest")
    show_command(docker_cli.tag_command(source, target), docker_cli.push_command(target))
    course.engine.tag(source, target)
    callback = None
    if progress:
        from regkit.widgets import PushProgress

        callback = PushProgress(target)
        callback.display()
    result = course.engine.push(target, settings=course.settings, progress=callback)
    print(str(result), flush=True)
    return result


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


def _curl(settings: RegistrySettings, path: str) -> str:
    parts = ["curl", "-s"]
    if settings.username:
        parts += ["-u", f'"{settings.username}:${docker_cli.PASSWORD_VARIABLE}"']
    if isinstance(settings.verify, str):
        parts += ["--cacert", settings.verify]
    elif settings.verify is False and settings.scheme == "https":
        parts.append("-k")
    parts.append(f"{settings.base_url}{path}")
    return " ".join(parts)


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
        ✓ Python packages: docker, requests, ipywidgets, jupyterlab, aiohttp, pyyaml, cryptography, bcrypt
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
