"""The Docker Engine, driven through docker-py, with the course's safety rails.

:class:`Engine` does what the slides do with the ``docker`` CLI (login, tag, push, pull,
build) and fixes docker-py's traps on the way:

* login always reaches the registry (``reauth=True``): docker-py otherwise answers from its
  cache and a wrong password "succeeds";
* login never writes ``~/.docker/config.json``: credentials stay in this object's memory;
* push passes credentials explicitly, consumes every event, and **raises** on
  ``errorDetail`` (docker-py returns a failed push as a normal stream);
* every result carries ``command``, the ``docker`` command a learner would type.

Connecting is lazy: ``Engine()`` does no I/O and does not import docker-py; the first call
that needs the Engine finds it (``DOCKER_HOST``, then regkit's private Engine, then the
default socket).

Example:
    >>> from regkit.settings import RegistrySettings  # doctest: +SKIP
    >>> engine = Engine()  # doctest: +SKIP
    >>> settings = RegistrySettings("http://127.0.0.1:8080", username="admin",
    ...                             password="Harbor12345")  # doctest: +SKIP
    >>> engine.login(settings).status  # doctest: +SKIP
    'Login Succeeded'
    >>> engine.push("127.0.0.1:8080/library/busybox:v1", settings=settings).digest  # doctest: +SKIP
    'sha256:88020eb7...'
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from regkit import docker_cli
from regkit.errors import (
    AuthenticationError,
    BuildError,
    EngineUnavailable,
    InvalidReference,
    NotFoundError,
    PushError,
    RegistryError,
    RegkitError,
    SettingsError,
    from_engine_message,
)
from regkit.private_engine import default_state_dir
from regkit.progress import LayerProgress, PushProgress, event_error
from regkit.tls_rule import DOCKER_HUB, secure_rule

if TYPE_CHECKING:
    import docker

    from regkit.settings import RegistrySettings

__all__ = [
    "Engine",
    "EngineStatus",
    "LoginResult",
    "PushResult",
    "BuildResult",
    "RegistryView",
]

DEFAULT_SOCKET = "unix:///var/run/docker.sock"

ProgressCallback = Callable[[Mapping[str, Any]], None]
LineCallback = Callable[[str], None]


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineStatus:
    """Where regkit looked for an Engine and what answered.

    Attributes:
        base_url: the address used (``unix:///...`` or ``tcp://...``).
        source: why that address: ``argument``, ``DOCKER_HOST``, ``regkit private engine``
            or ``default socket``.
        answering: True when the Engine answered.
        server_version: the Engine's version (``20.10.24``), when it answered.
        api_version: the Engine API version negotiated, when it answered.
        error: why it did not answer, otherwise.
    """

    base_url: str
    source: str
    answering: bool
    server_version: str | None = None
    api_version: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The status as a JSON-ready dict.

        Returns:
            The fields by name.

        Example:
            >>> EngineStatus("unix:///s", "argument", False, error="x").as_dict()["answering"]
            False
        """
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LoginResult:
    """What a successful login returned (never the password).

    Attributes:
        registry: the registry logged in to (``host[:port]``).
        username: the user.
        status: the Engine's words, normally ``Login Succeeded``.
        command: the equivalent ``docker login`` (password read from ``$REGKIT_PASSWORD``).
    """

    registry: str
    username: str
    status: str
    command: str

    def __str__(self) -> str:
        return self.status


@dataclass(frozen=True)
class PushResult:
    """A push the registry accepted.

    Attributes:
        reference: the full image reference pushed, with its tag.
        tag: the tag pushed (``latest`` when the name had none).
        digest: the manifest digest the registry stored (``sha256:...``); the same value
            as its ``Docker-Content-Digest`` header.
        size: the manifest's size in bytes.
        command: the equivalent ``docker push``.
        layers: each layer's final status (``Pushed``, ``Layer already exists`` ...).
    """

    reference: str
    tag: str
    digest: str
    size: int | None
    command: str
    layers: tuple[LayerProgress, ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        return f"{self.tag}: digest: {self.digest} size: {self.size}"


@dataclass(frozen=True)
class BuildResult:
    """A finished image build.

    Attributes:
        image_id: the image id (``sha256:...``).
        tag: the name given to the image.
        log: the build output, one line per item.
        command: the equivalent ``docker build``.
    """

    image_id: str
    tag: str
    log: tuple[str, ...] = field(repr=False)
    command: str = ""

    def __str__(self) -> str:
        return f"Successfully built {self.image_id} as {self.tag}"


@dataclass(frozen=True)
class RegistryView:
    """How the Engine will talk to a registry: HTTPS only, or HTTP allowed.

    Attributes:
        host: the registry as Docker names it (``host[:port]``).
        secure: True when the Engine requires TLS (and trusted certificates) for it.
        reason: why, e.g. ``insecure: 127.0.0.0/8 (loopback)``, ``insecure: listed in
            insecure-registries``, ``secure: TLS required``.
        insecure_registries: the Engine's insecure list (CIDRs and host:port entries).
        command: the ``docker info`` command that shows the same data.
    """

    host: str
    secure: bool
    reason: str
    insecure_registries: tuple[str, ...]
    command: str

    def __str__(self) -> str:
        return f"{self.host}: {self.reason}"


# -- the Engine -----------------------------------------------------------------------------


class Engine:
    """A Docker Engine, reached through docker-py on first use.

    Args:
        base_url: the Engine's address (``unix:///path`` or ``tcp://host:port``). When
            None it is found on first use: ``DOCKER_HOST`` (with ``DOCKER_TLS_VERIFY`` /
            ``DOCKER_CERT_PATH``), else regkit's private Engine socket if that file exists
            (``$REGKIT_ENGINE_DIR/docker.sock``, default ``/var/lib/regkit/engine`` as
            root), else ``unix:///var/run/docker.sock``. Docker CLI contexts are ignored.
        timeout: seconds docker-py waits for each answer (a long push streams, so this
            is per read, not per push).

    Edge cases:
        Logins live in this object only: two ``Engine`` objects do not share them, and
        nothing is written to ``~/.docker/config.json``. A push or pull without
        credentials from ``settings`` or an earlier ``login`` lets docker-py look in the
        Docker config (``$DOCKER_CONFIG``), as the CLI would.

    Example:
        >>> engine = Engine()  # no I/O yet
        >>> engine.ping()  # doctest: +SKIP
        True
    """

    def __init__(self, base_url: str | None = None, *, timeout: float = 120) -> None:
        self._requested_url = base_url
        self.timeout = timeout
        self._resolved: tuple[str, str] | None = None
        self._client: docker.APIClient | None = None
        # registry host -> (username, password); in memory only.
        self._logins: dict[str, tuple[str, str]] = {}

    def __repr__(self) -> str:
        where = self._resolved[0] if self._resolved else (self._requested_url or "auto")
        state = "connected" if self._client is not None else "not connected"
        return f"Engine({where!r}, {state})"

    # -- connection -----------------------------------------------------------------------

    def _resolve(self) -> tuple[str, str]:
        if self._resolved is None:
            if self._requested_url:
                self._resolved = (self._requested_url, "argument")
            elif os.environ.get("DOCKER_HOST"):
                self._resolved = (os.environ["DOCKER_HOST"], "DOCKER_HOST")
            else:
                private = default_state_dir() / "docker.sock"
                if private.exists():
                    self._resolved = (f"unix://{private}", "regkit private engine")
                else:
                    self._resolved = (DEFAULT_SOCKET, "default socket")
        return self._resolved

    @property
    def base_url(self) -> str:
        """The Engine address in use (resolved on first access, see the class docs)."""
        return self._resolve()[0]

    @property
    def source(self) -> str:
        """Why :attr:`base_url` was chosen (``DOCKER_HOST``, ``regkit private engine`` ...)."""
        return self._resolve()[1]

    @property
    def client(self) -> docker.APIClient:
        """The docker-py low-level client, created (and version-negotiated) on first use.

        Raises:
            EngineUnavailable: nothing answers at :attr:`base_url`.
        """
        if self._client is None:
            import docker
            import docker.utils

            url, source = self._resolve()
            kwargs: dict[str, Any] = {}
            if source == "DOCKER_HOST":
                kwargs = docker.utils.kwargs_from_env()
            kwargs["base_url"] = url
            try:
                self._client = docker.APIClient(version="auto", timeout=self.timeout, **kwargs)
            except docker.errors.DockerException as err:
                raise self._unavailable(str(err)) from err
        return self._client

    def _unavailable(self, reason: str) -> EngineUnavailable:
        url, source = self._resolve()
        private = default_state_dir() / "docker.sock"
        looked = [
            f"DOCKER_HOST ({os.environ['DOCKER_HOST']})"
            if os.environ.get("DOCKER_HOST") else "DOCKER_HOST (unset)",
            f"regkit's private Engine {private} ({'present' if private.exists() else 'absent'})",
            f"the default socket {DEFAULT_SOCKET}",
        ]  # fmt: skip
        if source == "argument":
            looked = [f"{url} (given)"]
        return EngineUnavailable(
            f"no Docker Engine answers at {url} (chosen from {source}); looked at: "
            + "; ".join(looked),
            operation="docker version",
            server_message=reason,
            hint="start Docker (`sudo systemctl start docker`) or, as root, start regkit's "
            "private Engine with `regkit engine up`; then point DOCKER_HOST at it "
            '(`eval "$(regkit engine env)"`)',
        )

    def ping(self) -> bool:
        """Whether the Engine answers.

        Returns:
            True when ``GET /_ping`` answered ``OK``; False on any failure.

        Example:
            >>> Engine("unix:///nonexistent.sock").ping()
            False
        """
        try:
            return bool(self.client.ping())
        except Exception:  # any failure means "does not answer", which is the answer
            self._client = None
            return False

    def check(self) -> None:
        """Make sure the Engine answers.

        Raises:
            EngineUnavailable: it does not; the message says where regkit looked.

        Example:
            >>> Engine().check()  # doctest: +SKIP
        """
        try:
            self.client.ping()
        except EngineUnavailable:
            raise
        except Exception as err:
            self._client = None
            raise self._unavailable(str(err)) from err

    def status(self) -> EngineStatus:
        """Where the Engine is and whether it answers, without raising.

        Returns:
            An :class:`EngineStatus`.

        Example:
            >>> Engine("unix:///nonexistent.sock").status().answering
            False
        """
        url, source = self._resolve()
        try:
            version = self.client.version()
        except Exception as err:
            self._client = None
            return EngineStatus(url, source, False, error=str(err).splitlines()[0])
        return EngineStatus(
            url, source, True,
            server_version=version.get("Version"), api_version=version.get("ApiVersion"),
        )  # fmt: skip

    def close(self) -> None:
        """Close the connection pool (the Engine itself keeps running).

        Example:
            >>> Engine().close()
        """
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- login ----------------------------------------------------------------------------

    def login(self, settings: RegistrySettings) -> LoginResult:
        """Log in to the settings' registry through the Engine, as ``docker login`` does.

        The Engine contacts the registry every time (a wrong password always fails, even
        after a right one). On success the credentials are kept in this object's memory
        for later pushes and pulls; nothing is written to disk. A failed login keeps any
        earlier successful one, like the CLI.

        Args:
            settings: the registry (``settings.host``) and credentials.

        Returns:
            A :class:`LoginResult` (``status`` is ``Login Succeeded``).

        Raises:
            SettingsError: no username or password in ``settings``.
            AuthenticationError: the registry refused the credentials.
            InsecureRegistryError: the registry speaks HTTP but the Engine wants HTTPS.
            CertificateError: the registry's certificate is not trusted.
            RegistryUnreachable: nothing answers at that address.
            EngineUnavailable: no Engine answers.

        Example:
            >>> Engine().login(settings)  # doctest: +SKIP
            LoginResult(registry='127.0.0.1:8080', username='admin', status='Login Succeeded', ...)
        """
        command = docker_cli.login_command(settings)
        if not settings.username or settings.password is None:
            raise SettingsError(
                f"cannot log in to {settings.host}: no username or password in the settings",
                operation=command,
                hint="set REGKIT_USERNAME and REGKIT_PASSWORD, or pass username= and "
                "password= to RegistrySettings",
            )
        password = settings.password.reveal()
        try:
            answer = self._call(
                lambda: self.client.login(
                    settings.username, password=password, registry=settings.host, reauth=True
                ),
                operation=f"docker login {settings.host}",
                default=RegistryError,
                subject=settings.host,
            )
        except RegkitError as err:
            err.operation = command  # the summary names `login`, the operation shows stdin use
            raise
        self._logins[settings.host] = (settings.username, password)
        return LoginResult(
            registry=settings.host,
            username=settings.username,
            status=str(answer.get("Status") or "Login Succeeded"),
            command=command,
        )

    def logout(self, registry: str) -> None:
        """Forget this object's credentials for ``registry`` (nothing on disk changes).

        Args:
            registry: the registry's ``host[:port]``.

        Example:
            >>> Engine().logout("127.0.0.1:8080")
        """
        self._logins.pop(registry, None)
        if self._client is not None:
            # docker-py keeps its own in-memory copy from login(); drop it as well.
            self._client._auth_configs.auths.pop(registry, None)

    def _auth_config(
        self, registry: str, reference: str, settings: RegistrySettings | None, operation: str
    ) -> dict[str, str] | None:
        if settings is not None and settings.username and settings.password is not None:
            if settings.host != registry:
                raise SettingsError(
                    f"{reference} goes to {registry}, but the settings are for {settings.host}",
                    operation=operation,
                    hint=f"name the image after your registry, e.g. "
                    f"{settings.host}/{settings.project}/<name>:<tag> (settings.image(name, tag))",
                )
            return {
                "username": settings.username,
                "password": settings.password.reveal(),
                "serveraddress": registry,
            }
        if registry in self._logins:
            username, password = self._logins[registry]
            return {"username": username, "password": password, "serveraddress": registry}
        return None

    # -- images ---------------------------------------------------------------------------

    def image_id(self, reference: str) -> str | None:
        """The local image id for a name or id.

        Args:
            reference: image name, name:tag or id.

        Returns:
            ``sha256:...``, or None when no such image is on the Engine.

        Raises:
            EngineUnavailable: no Engine answers.

        Example:
            >>> Engine().image_id("busybox:latest")  # doctest: +SKIP
            'sha256:62dc4511...'
        """
        import docker.errors

        try:
            return str(self.client.inspect_image(reference)["Id"])
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.NotFound:
            return None

    def tag(self, source: str, target: str) -> str:
        """Give an image another name, as ``docker tag`` does.

        Args:
            source: an existing image (name, name:tag or id).
            target: the new name; ``latest`` is used when it has no tag.

        Returns:
            The new name with its tag.

        Raises:
            InvalidReference: ``target`` is not a valid name, or carries a digest.
            NotFoundError: ``source`` does not exist on the Engine.

        Example:
            >>> Engine().tag("busybox", "127.0.0.1:8080/library/busybox:v1")  # doctest: +SKIP
            '127.0.0.1:8080/library/busybox:v1'
        """
        _, name, tag = _name_and_tag(target, "docker tag")
        full = f"{name}:{tag}"
        self._call(
            lambda: self.client.tag(source, name, tag),
            operation=docker_cli.tag_command(source, full),
            default=NotFoundError,
            subject=source,
        )
        return full

    def push(
        self,
        reference: str,
        *,
        settings: RegistrySettings | None = None,
        progress: ProgressCallback | None = None,
    ) -> PushResult:
        """Push one tag of an image, as ``docker push`` does, and raise if it fails.

        Exactly one tag is pushed: the one in ``reference``, or ``latest`` when it has
        none, as the CLI does (docker-py alone would push every local tag of the
        repository). Every event is read, so the push is never cut short.

        Args:
            reference: ``host[:port]/project/name[:tag]``; a name without a host goes to
                Docker Hub.
            settings: credentials for the registry; when None, those of an earlier
                :meth:`login` to the same registry are used, else the Docker config's.
            progress: called with each decoded event dict (see :func:`fold_push_events`).

        Returns:
            A :class:`PushResult` with the manifest digest and size.

        Raises:
            InvalidReference: the name is invalid or carries a digest.
            SettingsError: ``settings`` are for another registry than the image's.
            NotFoundError: no such image on the Engine.
            AuthenticationError: no or wrong credentials.
            ProjectNotFound: the project does not exist (Harbor).
            PushDenied: the user may not push there.
            InsecureRegistryError, CertificateError, RegistryUnreachable: transport.
            PushError: any other failure the Engine reported, or no event came for
                ``timeout`` seconds (a registry that stopped answering); the hint says
                how to check the registry and how to wait longer.
            EngineUnavailable: the connection to the Engine broke.

        Example:
            >>> Engine().push("127.0.0.1:8080/library/busybox:v1", settings=s)  # doctest: +SKIP
            PushResult(reference='127.0.0.1:8080/library/busybox:v1', tag='v1', ...)
        """
        registry, name, tag = _name_and_tag(reference, "docker push")
        full = f"{name}:{tag}"
        command = docker_cli.push_command(full)
        auth = self._auth_config(registry, full, settings, command)
        summary = self._registry_stream(
            lambda: self.client.push(name, tag=tag, stream=True, decode=True, auth_config=auth),
            registry=registry, subject=full, operation=command, auth=auth, default=PushError,
            progress=progress,
        )
        if summary.digest is None:
            raise PushError(
                f"push failed for {full}: the Engine ended the stream without a digest",
                operation=command,
                server_message=summary.text() or None,
                hint="run the command in a terminal to see the Engine's full output",
            )
        return PushResult(
            reference=full,
            tag=summary.tag or tag,
            digest=summary.digest,
            size=summary.size,
            command=command,
            layers=summary.layers,
        )

    def pull(
        self,
        reference: str,
        *,
        settings: RegistrySettings | None = None,
        progress: ProgressCallback | None = None,
    ) -> str:
        """Pull one tag (``latest`` when none is given) or digest, as ``docker pull`` does.

        docker-py streams a pull without a read timeout, so how long an unreachable
        registry takes to fail is up to the Engine (a name that does not resolve fails at
        once; a host that drops packets takes the Engine's own dial timeout).

        Args:
            reference: the image to pull.
            settings: credentials, as for :meth:`push`.
            progress: called with each decoded event dict.

        Returns:
            The manifest digest the registry served (``sha256:...``), or the local image
            id when the Engine did not report one.

        Raises:
            NotFoundError: the registry has no such image or tag.
            AuthenticationError, InsecureRegistryError, CertificateError,
            RegistryUnreachable: as for :meth:`push`.
            RegistryError: any other failure the Engine reported.

        Example:
            >>> Engine().pull("127.0.0.1:8080/library/busybox:v1")  # doctest: +SKIP
            'sha256:88020eb7...'
        """
        registry, name, tag, digest = _split(reference)
        wanted = digest or tag or "latest"
        full = f"{name}@{wanted}" if digest else f"{name}:{wanted}"
        command = docker_cli.pull_command(full)
        auth = self._auth_config(registry, full, settings, command)
        summary = self._registry_stream(
            lambda: self.client.pull(name, tag=wanted, stream=True, decode=True,
                                     auth_config=auth),
            registry=registry, subject=full, operation=command, auth=auth,
            default=RegistryError, progress=progress,
        )
        for message in summary.messages:
            if message.startswith("Digest: "):
                return message.split(" ", 1)[1].strip()
        return self.image_id(full) or ""

    def build(
        self,
        context: str | os.PathLike[str],
        tag: str,
        *,
        dockerfile: str | None = None,
        buildargs: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        progress: LineCallback | None = None,
    ) -> BuildResult:
        """Build an image from a directory, as ``docker build -t TAG CONTEXT`` does.

        Uses the Engine's classic builder (docker-py cannot drive BuildKit) and removes
        intermediate containers, like the CLI.

        Args:
            context: the build context directory (``.dockerignore`` is honoured).
            tag: the name for the image (``latest`` when it has no tag).
            dockerfile: the Dockerfile, relative to the context (default ``Dockerfile``).
            buildargs: ``--build-arg`` values.
            labels: labels to add to the image.
            progress: called with each line of build output.

        Returns:
            A :class:`BuildResult` with the image id and the log.

        Raises:
            BuildError: the context is missing or a step failed; ``log`` has the output.
            InvalidReference: ``tag`` is not a valid name.

        Example:
            >>> Engine().build("stacks/rng", "rng:v1").image_id  # doctest: +SKIP
            'sha256:...'
        """
        _, name, image_tag = _name_and_tag(tag, "docker build")
        full = f"{name}:{image_tag}"
        command = docker_cli.build_command(
            context, full, dockerfile=dockerfile, buildargs=buildargs
        )
        path = Path(context)
        if not path.is_dir():
            raise BuildError(
                f"build context {path} is not a directory",
                operation=command,
                hint="pass the directory that holds the Dockerfile and the files it copies",
            )
        log: list[str] = []
        pending = ""
        image_id: str | None = None

        def emit(line: str) -> None:
            log.append(line)
            if progress is not None:
                progress(line)

        def events() -> Iterator[Mapping[str, Any]]:
            return self.client.build(
                path=str(path), tag=full, dockerfile=dockerfile, buildargs=dict(buildargs or {}),
                labels=dict(labels) if labels else None, rm=True, decode=True,
            )  # fmt: skip

        try:
            for event in self._events(events, operation=command, default=BuildError, subject=full):
                error = event_error(event)
                if error is not None:
                    if pending:
                        emit(pending)
                    raise BuildError(
                        f"build failed for {full}: {error.strip()}",
                        log=log,
                        operation=command,
                        server_message=error.strip(),
                        hint="read the log (the failing step is last) and fix the Dockerfile "
                        "or the context",
                    )
                aux = event.get("aux")
                if isinstance(aux, Mapping) and aux.get("ID"):
                    image_id = str(aux["ID"])
                text = event.get("stream") or event.get("status")
                if text:
                    pending += str(text)
                    *complete, pending = pending.split("\n")
                    for line in complete:
                        emit(line)
        except BuildError as err:
            if not err.log:
                err.log = log
            raise
        if pending:
            emit(pending)
        image_id = image_id or self.image_id(full)
        if not image_id:
            raise BuildError(
                f"build of {full} ended without an image", log=log, operation=command,
                hint="read the log; the Engine reported no error and no image id",
            )  # fmt: skip
        return BuildResult(image_id=image_id, tag=full, log=tuple(log), command=command)

    def ensure_busybox(self, tag: str = "busybox:latest") -> str:
        """Make sure a busybox image exists: present, pulled, or built offline.

        See :func:`regkit.busybox.ensure_busybox`.

        Args:
            tag: the name to give it.

        Returns:
            The image id.

        Raises:
            BuildError: no static busybox binary to build from (apt: busybox-static).

        Example:
            >>> Engine().ensure_busybox()  # doctest: +SKIP
            'sha256:62dc4511...'
        """
        from regkit.busybox import ensure_busybox

        return ensure_busybox(self, tag)

    # -- the Engine's view of a registry --------------------------------------------------

    def registry_view(self, host: str) -> RegistryView:
        """Tell whether the Engine will require TLS for ``host``, and why.

        Mirrors the Engine's rule: an exact ``insecure-registries`` entry for
        ``host[:port]`` wins; otherwise the host (without port) is resolved here and any
        address inside an insecure CIDR (``127.0.0.0/8`` by default) makes it insecure;
        a name that does not resolve is treated as secure. The name is resolved by this
        Python process, which matches the Engine's answer when both run on one machine.

        Args:
            host: the registry as in image names (``host[:port]``); a scheme is ignored.

        Returns:
            A :class:`RegistryView`.

        Raises:
            EngineUnavailable: no Engine answers.

        Example:
            >>> Engine().registry_view("127.0.0.1:5000").reason  # doctest: +SKIP
            'insecure: 127.0.0.0/8 (loopback)'
        """
        host = host.split("://", 1)[-1].rstrip("/")
        info = self._call(
            lambda: self.client.info(), operation="docker info", default=RegkitError
        )
        config = info.get("RegistryConfig") or {}
        cidrs = [str(c) for c in config.get("InsecureRegistryCIDRs") or []]
        index = config.get("IndexConfigs") or {}
        insecure = tuple(
            cidrs + sorted(name for name, entry in index.items() if not entry.get("Secure", True))
        )
        secure, reason = secure_rule(host, cidrs, index)
        return RegistryView(host, secure, reason, insecure, docker_cli.info_command())

    # -- plumbing -------------------------------------------------------------------------

    def _call(
        self,
        action: Callable[[], Any],
        *,
        operation: str,
        default: type[RegkitError],
        subject: str | None = None,
    ) -> Any:
        """Run one docker-py call, turning its exceptions into regkit errors."""
        with self._mapped(operation, default, subject):
            return action()

    def _events(
        self,
        start: Callable[[], Iterable[Mapping[str, Any]]],
        *,
        operation: str,
        default: type[RegkitError],
        subject: str,
    ) -> Iterator[Mapping[str, Any]]:
        """Yield a docker-py event stream, mapping exceptions raised while it flows."""
        with self._mapped(operation, default, subject):
            yield from start()

    @contextlib.contextmanager
    def _mapped(
        self, operation: str, default: type[RegkitError], subject: str | None
    ) -> Iterator[None]:
        """Turn the exceptions docker-py raises inside the block into regkit errors."""
        try:
            yield
        except RegkitError:
            raise
        except Exception as err:
            mapped = self._map_exception(err, operation, default, subject)
            if mapped is None:
                raise
            raise mapped from err

    def _registry_stream(
        self,
        start: Callable[[], Iterable[Mapping[str, Any]]],
        *,
        registry: str,
        subject: str,
        operation: str,
        auth: Mapping[str, Any] | None,
        default: type[RegkitError],
        progress: ProgressCallback | None,
    ) -> PushProgress:
        """A push or pull stream; a refusal for want of credentials says to log in first."""
        try:
            return self._stream(start, operation=operation, default=default, subject=subject,
                                progress=progress)
        except RegkitError as err:
            if auth is None and _asks_for_credentials(err.server_message or ""):
                raise _no_credentials(registry, subject, operation, err.server_message) from err
            raise

    def _stream(
        self,
        start: Callable[[], Iterable[Mapping[str, Any]]],
        *,
        operation: str,
        default: type[RegkitError],
        subject: str,
        progress: ProgressCallback | None,
    ) -> PushProgress:
        summary = PushProgress()
        error: RegkitError | None = None
        for event in self._events(start, operation=operation, default=default, subject=subject):
            summary = summary.apply(event)
            if progress is not None:
                progress(event)
            if summary.error is not None and error is None:
                error = from_engine_message(
                    summary.error, operation=operation, default=default, subject=subject
                )
        if error is not None:
            raise error
        return summary

    def _map_exception(
        self, err: Exception, operation: str, default: type[RegkitError], subject: str | None
    ) -> RegkitError | None:
        import docker.errors
        import requests.exceptions
        import urllib3.exceptions

        if isinstance(err, docker.errors.APIError):
            message = str(err.explanation or err)
            # err.status_code is the Engine's own status (500 for most registry failures),
            # not the registry's: leave ``status`` unset rather than mislead.
            return from_engine_message(
                message, operation=operation, default=default, subject=subject
            )
        # Inside a stream docker-py reads the socket itself, so urllib3's errors reach
        # here unwrapped; before the first byte, requests wraps them.
        if isinstance(err, (urllib3.exceptions.ReadTimeoutError,
                            requests.exceptions.ReadTimeout)):
            return self._stalled(err, operation, default, subject)
        if isinstance(err, (requests.exceptions.RequestException,
                            urllib3.exceptions.HTTPError)):
            self._client = None
            return EngineUnavailable(
                f"lost the connection to the Docker Engine at {self.base_url}",
                operation=operation,
                server_message=str(err),
                hint="check that the Engine still runs (`regkit engine status`); for slow "
                "operations, raise Engine(timeout=...)",
            )
        if isinstance(err, docker.errors.DockerException) or type(err).__name__ == "StoreError":
            # Reading the Docker config or running a credential helper failed.
            return RegkitError(
                f"{operation.split(' ')[1] if operation.startswith('docker ') else operation} "
                f"failed: {err}",
                operation=operation,
                hint="the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json) "
                "names a credential helper that cannot run; point DOCKER_CONFIG at an empty "
                "directory, or fix the helper",
            )
        return None

    def _stalled(
        self, err: Exception, operation: str, default: type[RegkitError], subject: str | None
    ) -> RegkitError:
        """The Engine sent nothing for ``timeout`` seconds in the middle of an operation."""
        verb = operation.split(" ")[1] if operation.startswith("docker ") else operation
        what = f"{verb} of {subject}" if subject else verb
        message = f"{what} stalled: the Engine reported nothing for {self.timeout:g} s"
        wait = f"to give it more time, use Engine(timeout=...) (now {self.timeout:g} s)"
        registry = None
        if subject and verb == "login":
            registry = subject
        elif subject and verb in ("push", "pull"):
            registry = _split(subject)[0]
        if registry:
            hint = (f"the registry probably stopped answering: check that `curl -sS "
                    f"http://{registry}/v2/` (or https://) answers at once; a slow registry "
                    f"or a large layer may just need longer: {wait}")
        else:
            hint = f"a long silent step (a build's RUN, a big context) may just need longer: {wait}"
        return default(message, operation=operation, server_message=str(err), hint=hint)


# -- helpers ----------------------------------------------------------------------------------


def _asks_for_credentials(message: str) -> bool:
    lowered = message.lower()
    return "no basic auth credentials" in lowered or "authentication required" in lowered


def _no_credentials(
    registry: str, reference: str, command: str, server_message: str | None
) -> AuthenticationError:
    """The registry wants a login and regkit sent none: say so, rather than "wrong password"."""
    return AuthenticationError(
        f"{command.split(' ')[1]} failed for {reference}: the registry requires a login and "
        "no credentials were sent",
        operation=command,
        server_message=server_message,
        hint=f"log in first (engine.login(settings) / `docker login {registry}`), or pass "
        "settings= with a username and password",
    )


def _split(reference: str) -> tuple[str, str, str | None, str | None]:
    """(registry, name without tag/digest, tag, digest); the name kept as the user wrote it."""
    from regkit.reference import parse_reference

    parsed = parse_reference(reference)
    name = f"{parsed.registry}/{parsed.path}" if parsed.registry else parsed.path
    return parsed.registry or DOCKER_HUB, name, parsed.tag, parsed.digest


def _name_and_tag(reference: str, operation: str) -> tuple[str, str, str]:
    """(registry, name, tag) for commands that need a tag: ``latest`` when none is given."""
    registry, name, tag, digest = _split(reference)
    if digest:
        raise InvalidReference(
            f"{reference} names a digest; {operation.split(' ')[1]} needs a tag",
            operation=f"{operation} {reference}",
            hint="use name:tag (a digest identifies content, it cannot be pushed or assigned)",
        )
    return registry, name, tag or "latest"
