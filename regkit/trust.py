"""The Engine's trust in a registry, as notebooks 02-04 teach it, done for real.

Docker speaks to a registry over HTTPS and checks its certificate, except for registries on
``127.0.0.0/8`` or listed in ``insecure-registries``. The practice lab on loopback is never
checked, so these lessons use the practice lab on the project's *test host*
(:mod:`regkit.lab.testhost`, ``10.203.0.2``), which the Engine treats like any registry on
the network: the errors are the Engine's own, and so are the fixes.

Each call prints the equivalent command (``$ ...``) and then what happened, in lines that are
the same from one run to the next. Calls that change this machine (``certs.d``,
``daemon.json``) do nothing unless given ``confirm=True``, and say what they would do
without it or without the rights to do it. Without root (no test host), every call prints
the commands to type and what the Engine answers on a real network, and changes nothing.

Example:
    >>> from regkit import course, trust
    >>> c = course.prepare(busybox=True)  # doctest: +SKIP
    >>> remote = trust.test_host(c, tls=True)  # doctest: +SKIP
    $ sudo regkit lab up --test-host --tls
    test host  10.203.0.2 in network namespace regkit-lab (this machine: 10.203.0.1)
    registry   https://10.203.0.2:8080 (the practice lab on the test host)
    >>> trust.push(remote, tag="tls")  # doctest: +SKIP
    ✗ CertificateError: push failed for 10.203.0.2:8080/library/busybox:tls: ...
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Union

from regkit import docker_cli
from regkit.course import Course, show_command
from regkit.daemon_json import DEFAULT_CERTS_D, DEFAULT_DAEMON_JSON
from regkit.errors import RegkitError
from regkit.settings import RegistrySettings

if TYPE_CHECKING:
    from regkit.daemon_json import CaChange, DaemonJsonChange
    from regkit.doctor import Report
    from regkit.engine import Engine, PushResult, RegistryView
    from regkit.lab import LabInfo
    from regkit.private_engine import PrivateEngine

__all__ = [
    "EngineFiles",
    "InsecurePlan",
    "Remote",
    "classify",
    "cleanup",
    "doctor",
    "engine_files",
    "fetch_ca",
    "forget_insecure",
    "install_ca",
    "preview_insecure",
    "push",
    "reload_engine",
    "remove_ca",
    "test_host",
    "write_daemon_json",
]

_LABEL = 10


def _say(label: str, text: str) -> None:
    print(f"{label:<{_LABEL}} {text}", flush=True)


# -- which Engine, which files --------------------------------------------------------------------


@dataclass(frozen=True)
class EngineFiles:
    """Where an Engine keeps its trust settings, and how to make it re-read them.

    Attributes:
        daemon_json: the ``daemon.json`` it reads (``/etc/docker/daemon.json``, or a private
            Engine's ``--config-file``).
        reload_command: the command that makes it re-read the file (SIGHUP).
        private: regkit's private Engine when that is the one, else None.
        certs_dir: the ``certs.d`` folder (always ``/etc/docker/certs.d``: dockerd has no
            option to move it).

    Example:
        >>> EngineFiles(DEFAULT_DAEMON_JSON, "sudo systemctl reload docker", None).describe()
        "/etc/docker/daemon.json (the system's Docker Engine)"
    """

    daemon_json: Path
    reload_command: str
    private: PrivateEngine | None = None
    certs_dir: Path = DEFAULT_CERTS_D

    def describe(self) -> str:
        """The file and whose it is, in one line."""
        if self.private is not None:
            return f"{self.daemon_json} (regkit's private Engine reads it: dockerd --config-file)"
        return f"{self.daemon_json} (the system's Docker Engine)"


def engine_files(engine: Engine) -> EngineFiles:
    """Find the ``daemon.json`` and the reload command of the Engine behind ``engine``.

    A unix socket served by a regkit private Engine (its pidfile and ``--config-file`` sit
    next to the socket) means that Engine's files; anything else is taken to be the
    system's Docker (``/etc/docker/daemon.json``, ``systemctl reload docker``).

    Args:
        engine: the Engine (not contacted).

    Returns:
        The files.

    Example:
        >>> from regkit.engine import Engine
        >>> engine_files(Engine("unix:///nonexistent/docker.sock")).daemon_json
        PosixPath('/etc/docker/daemon.json')
    """
    from regkit.private_engine import PrivateEngine

    url = engine.base_url
    if url.startswith("unix://"):
        path = url[len("unix://"):]
        private = PrivateEngine(Path(path).parent)
        if str(private.socket_path) == path and private.pid is not None:
            return EngineFiles(private.config_file,
                               f"sudo kill -HUP $(cat {private.pidfile})", private)
    return EngineFiles(DEFAULT_DAEMON_JSON, "sudo systemctl reload docker")


# -- the registry off loopback ------------------------------------------------------------------


@dataclass
class Remote:
    """A registry off loopback for the lessons: the practice lab on the test host.

    Attributes:
        course: the notebook's :class:`~regkit.course.Course` (its Engine pushes).
        settings: the lab's URL and admin account (None when the test host could not be
            made here).
        lab: the running lab (None likewise).
        tls: whether it serves HTTPS with its own CA.
        reason: why the test host could not be made, else None.

    Example:
        >>> remote = test_host(course.prepare())  # doctest: +SKIP
        >>> remote.host  # doctest: +SKIP
        '10.203.0.2:8080'
    """

    course: Course
    settings: RegistrySettings | None
    lab: LabInfo | None
    tls: bool
    reason: str | None = None

    @property
    def real(self) -> bool:
        """True when the lab runs on the test host and every step happens for real."""
        return self.settings is not None

    @property
    def host(self) -> str:
        """``host:port`` as in image names (the test host's default when not real)."""
        if self.settings is not None:
            return self.settings.host
        from regkit.lab.testhost import default_host

        return f"{default_host().address}:8080"

    @property
    def url(self) -> str:
        """The registry URL."""
        return f"{'https' if self.tls else 'http'}://{self.host}"

    @property
    def engine(self) -> Engine:
        """The course's Engine."""
        return self.course.engine

    def image(self, name: str, tag: str | None = None) -> str:
        """``host:port/library/name[:tag]`` on this registry."""
        project = self.settings.project if self.settings else "library"
        return f"{self.host}/{project}/{name}" + (f":{tag}" if tag else "")


Target = Union[Remote, Course]


def _not_here() -> None:
    print("(not run here: this machine has no test host; the first cell says why)", flush=True)


def _go_ahead(real: bool, confirm: bool, undone: str) -> bool:
    """Whether a change just shown as commands may be made; when not, say why."""
    if not real:
        _not_here()
        return False
    if not confirm:
        _say("not done", f"confirm=False: nothing was {undone}")
        return False
    return True


def test_host(course: Course, *, tls: bool = False, port: int = 8080) -> Remote:
    """Start (or reuse) the practice lab on the test host, in the mode the lesson needs.

    Runs as ``sudo regkit lab up --test-host [--tls]`` would. A lab already there in the
    other mode is restarted in this one. So that every run starts alike, trust left over
    from an interrupted lesson is undone first (and said so): a ``ca.crt`` for the test host
    in ``certs.d``, its entry in the Engine's ``insecure-registries``.

    Args:
        course: from :func:`regkit.course.prepare`.
        tls: serve HTTPS with the lab's own CA (lesson 02), else plain HTTP (03, 04).
        port: the lab's port on the test host.

    Returns:
        The :class:`Remote`; ``remote.real`` is False (and the reason printed) without root.

    Raises:
        ServiceError: the test host or the lab could not start (the log tail says why).

    Example:
        >>> remote = test_host(c, tls=True)  # doctest: +SKIP
        $ sudo regkit lab up --test-host --tls
        test host  10.203.0.2 in network namespace regkit-lab (this machine: 10.203.0.1)
        registry   https://10.203.0.2:8080 (the practice lab on the test host)
    """
    from regkit.lab.commands import no_test_host_message
    from regkit.lab.control import (
        Lab,
        default_test_host_data_dir,
        running_lab,
        start_on_test_host,
        stop_lab,
    )
    from regkit.lab.testhost import unsupported_reason

    show_command("sudo regkit lab up --test-host" + (" --tls" if tls else ""))
    reason = unsupported_reason()
    if reason is not None:
        print(no_test_host_message(reason), flush=True)
        return Remote(course, None, None, tls, reason)
    directory = default_test_host_data_dir()
    info = running_lab(directory)
    if info is not None and (info.tls != tls or info.port != port or info.test_host is None):
        stop_lab(directory, remove_test_host=False)
        info = None
    if info is None:
        info = start_on_test_host(directory, port=port, tls=tls).info
    assert info is not None and info.test_host is not None
    lab = Lab(directory)
    settings = RegistrySettings(info.url, username=info.admin_user,
                                password=lab.admin_password,
                                verify=info.ca_path if tls and info.ca_path else True)
    remote = Remote(course, settings, info, tls)
    _reset_trust(remote)
    _say("test host", info.test_host.describe())
    _say("registry", f"{info.url} (the practice lab on the test host)")
    return remote


# Named for the notebooks (``trust.test_host(c)``); not a pytest test wherever it is imported.
test_host.__test__ = False  # type: ignore[attr-defined]


def _reset_trust(remote: Remote) -> None:
    """Undo what an interrupted lesson left: the test host's ca.crt and insecure entry."""
    files = engine_files(remote.engine)
    if (files.certs_dir / remote.host / "ca.crt").exists():
        _drop_ca(remote.host, files.certs_dir)
        _say("reset", f"removed {files.certs_dir / remote.host / 'ca.crt'} left by an "
             "earlier run")
    if files.private is not None and _forget(remote.host, files.daemon_json):
        files.private.reload()
        _say("reset", f"removed {remote.host} from insecure-registries, left by an earlier run")


def cleanup(remote: Remote) -> None:
    """Put the machine back as the lesson found it: no ca.crt, no entry, no test host.

    Args:
        remote: from :func:`test_host`.

    Example:
        >>> cleanup(remote)  # doctest: +SKIP
        $ sudo regkit lab down --test-host
        test host  removed (network namespace regkit-lab and its veth pair)
    """
    from regkit.lab.control import default_test_host_data_dir, stop_lab

    show_command("sudo regkit lab down --test-host")
    if not remote.real:
        _not_here()
        return
    files = engine_files(remote.engine)
    _drop_ca(remote.host, files.certs_dir)
    if files.private is not None and _forget(remote.host, files.daemon_json):
        files.private.reload()
    stop_lab(default_test_host_data_dir())
    assert remote.lab is not None and remote.lab.test_host is not None
    _say("test host", f"removed (network namespace {remote.lab.test_host.name} and its veth "
         "pair)")


# -- looking -------------------------------------------------------------------------------------


def classify(course: Course, hosts: Iterable[str]) -> list[RegistryView]:
    """Show how the Engine classifies registries: TLS required, or plain HTTP allowed, and why.

    Args:
        course: from :func:`regkit.course.prepare`.
        hosts: registries as in image names (``127.0.0.1:8080``, ``docker.io``).

    Returns:
        The Engine's view of each.

    Raises:
        EngineUnavailable: no Engine answers.

    Example:
        >>> classify(c, ["127.0.0.1:8080"])  # doctest: +SKIP
        $ docker info --format '{{json .RegistryConfig}}'
        insecure   127.0.0.0/8
        127.0.0.1:8080  insecure: 127.0.0.0/8 (loopback)
    """
    hosts = list(hosts)
    views = [course.engine.registry_view(host) for host in hosts]
    show_command(docker_cli.info_command())
    listed = views[0].insecure_registries if views else ()
    _say("insecure", ", ".join(listed) if listed else "(none)")
    width = max((len(host) for host in hosts), default=0)
    for view in views:
        print(f"{view.host:<{width}}  {view.reason}", flush=True)
    return views


def doctor(target: Target) -> Report | None:
    """Run ``regkit doctor`` on the registry and print its report.

    Args:
        target: a :class:`Remote` or the course (its own registry).

    Returns:
        The :class:`~regkit.doctor.Report` (None when the test host is not here).

    Example:
        >>> doctor(remote)  # doctest: +SKIP
        $ regkit doctor 10.203.0.2:8080
        regkit doctor: 10.203.0.2:8080, project library, admin
        ...
    """
    from regkit.doctor import diagnose

    if isinstance(target, Remote):
        show_command(f"regkit doctor {target.url}")
        if not target.real:
            _not_here()
            return None
        settings, engine = target.settings, target.engine
    else:
        show_command("regkit doctor")
        settings, engine = target.settings, target.engine
    report = diagnose(settings, engine)
    print(report.text(), flush=True)
    return report


def push(target: Target, source: str = "busybox", *, name: str | None = None,
         tag: str | None = None) -> PushResult | None:
    """Tag and push an image, printing the Engine's own error instead of raising it.

    Args:
        target: a :class:`Remote` or the course.
        source: the local image.
        name: the repository name (the source's name when None).
        tag: the tag (``latest`` when None).

    Returns:
        The push result, or None when the push failed (the error is printed: class, the
        Engine's words, the fix) or the test host is not here.

    Example:
        >>> push(remote, tag="v1")  # doctest: +SKIP
        $ docker tag busybox 10.203.0.2:8080/library/busybox:v1
        $ docker push 10.203.0.2:8080/library/busybox:v1
        ✗ InsecureRegistryError: push failed for ...: the registry speaks plain HTTP but ...
    """
    repository = name or source.split(":", 1)[0].rsplit("/", 1)[-1]
    if isinstance(target, Remote):
        image = target.image(repository, tag or "latest")
        settings = target.settings
    else:
        image = target.image(repository, tag or "latest")
        settings = target.settings
    show_command(docker_cli.tag_command(source, image), docker_cli.push_command(image))
    if isinstance(target, Remote) and not target.real:
        _not_here()
        return None
    engine = target.engine
    try:
        engine.tag(source, image)
        result = engine.push(image, settings=settings)
    except RegkitError as err:
        print(f"✗ {type(err).__name__}: {err.message}", flush=True)
        if err.server_message:
            print(f"  the Engine said: {err.server_message}", flush=True)
        return None
    print(str(result), flush=True)
    return result


# -- certs.d -------------------------------------------------------------------------------------


def fetch_ca(remote: Remote) -> bytes | None:
    """Download the registry's CA from Harbor's ``/api/v2.0/systeminfo/getcert``.

    The first download cannot be verified (that is what the CA is for): compare its
    fingerprint with the one your administrator publishes before trusting it.

    Args:
        remote: a TLS :class:`Remote`.

    Returns:
        The CA certificate (PEM), or None when the test host is not here.

    Raises:
        NotFoundError: the registry has no CA to give (plain HTTP, or a public CA).

    Example:
        >>> pem = fetch_ca(remote)  # doctest: +SKIP
        $ curl -k -o ca.crt https://10.203.0.2:8080/api/v2.0/systeminfo/getcert
        ca.crt     CN=regkit practice lab CA,O=regkit practice lab (a CA certificate)
    """
    from cryptography import x509

    from regkit.harbor import Harbor

    getcert = f"{remote.url}/api/v2.0/systeminfo/getcert"
    show_command(f"curl -k -o ca.crt {getcert}")
    if not remote.real:
        _not_here()
        return None
    assert remote.settings is not None
    with warnings.catch_warnings():
        # Unverified on purpose (curl -k): the CA is what will make the next calls verified.
        warnings.simplefilter("ignore")
        pem = Harbor(remote.settings.replace(verify=False)).ca_certificate()
    cert = x509.load_pem_x509_certificate(pem)
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    kind = "a CA certificate" if is_ca else "not a CA certificate"
    _say("ca.crt", f"{cert.subject.rfc4514_string()} ({kind})")
    show_command("openssl x509 -in ca.crt -noout -fingerprint -sha256   "
                 "# compare with your administrator's")
    return pem


def _can_write(path: Path) -> bool:
    """Whether this process may create or replace ``path`` (its nearest existing folder)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe if probe.is_dir() else probe.parent, os.W_OK)


def install_ca(remote: Remote, pem: bytes | None, *, confirm: bool = False) -> CaChange | None:
    """Trust the registry's CA for Docker: ``/etc/docker/certs.d/<host:port>/ca.crt``.

    The Engine reads the folder on every connection: no reload, no restart.

    Args:
        remote: a TLS :class:`Remote`.
        pem: the CA from :func:`fetch_ca`.
        confirm: True to write the file; False only says what would be written.

    Returns:
        What was written, or None when nothing was (not confirmed, no rights, no test host).

    Raises:
        CertificateError: ``pem`` is not a certificate.

    Example:
        >>> install_ca(remote, pem, confirm=True)  # doctest: +SKIP
        $ sudo mkdir -p /etc/docker/certs.d/10.203.0.2:8080
        $ sudo cp ca.crt /etc/docker/certs.d/10.203.0.2:8080/ca.crt
        wrote      /etc/docker/certs.d/10.203.0.2:8080/ca.crt (read on each connection: ...)
    """
    from regkit import daemon_json

    certs_dir = engine_files(remote.engine).certs_dir if remote.real else DEFAULT_CERTS_D
    folder = certs_dir / remote.host
    show_command(f"sudo mkdir -p {folder}", f"sudo cp ca.crt {folder}/ca.crt")
    if not _go_ahead(remote.real and pem is not None, confirm, "written"):
        return None
    assert pem is not None
    if not _can_write(folder / "ca.crt"):
        _say("not done", f"this account cannot write {folder}: run the commands above as root")
        return None
    change = daemon_json.install_ca(remote.host, pem, certs_dir)
    _say("wrote", f"{change.path} (read on each connection: no Engine restart)")
    return change


def remove_ca(remote: Remote, *, confirm: bool = False) -> bool:
    """Stop trusting the registry's CA: remove its ``ca.crt`` (and the empty folder).

    Args:
        remote: a TLS :class:`Remote`.
        confirm: True to remove it.

    Returns:
        True when a file was removed.

    Example:
        >>> remove_ca(remote, confirm=True)  # doctest: +SKIP
        $ sudo rm -r /etc/docker/certs.d/10.203.0.2:8080
        removed    /etc/docker/certs.d/10.203.0.2:8080/ca.crt
    """
    certs_dir = engine_files(remote.engine).certs_dir if remote.real else DEFAULT_CERTS_D
    show_command(f"sudo rm -r {certs_dir / remote.host}")
    if not _go_ahead(remote.real, confirm, "removed"):
        return False
    removed = _drop_ca(remote.host, certs_dir)
    _say("removed" if removed else "absent", str(certs_dir / remote.host / "ca.crt"))
    return removed


def _drop_ca(host: str, certs_dir: Path) -> bool:
    from regkit import daemon_json

    removed = daemon_json.remove_ca(host, certs_dir, backup=False).changed
    for leftover in (certs_dir / host, certs_dir):
        if leftover.is_dir():
            try:
                leftover.rmdir()  # only when empty: an empty certs.d changes nothing for Docker
            except OSError:
                break
    return removed


# -- insecure-registries -------------------------------------------------------------------------


@dataclass(frozen=True)
class InsecurePlan:
    """A previewed ``insecure-registries`` change, waiting for a confirmation.

    Attributes:
        host: the entry to add (``host:port``).
        files: the Engine's files.
        change: the preview (``change.after`` is the merged file).
        real: False when previewed for a test host this machine could not make (then
            nothing is ever written).
    """

    host: str
    files: EngineFiles
    change: DaemonJsonChange
    real: bool = True


def preview_insecure(target: Remote | Course, host: str | None = None) -> InsecurePlan:
    """Show the Engine's ``daemon.json`` as it would be with ``host`` in ``insecure-registries``.

    Nothing is written: :func:`write_daemon_json` does that, when confirmed.

    Args:
        target: a :class:`Remote` (its host is the entry) or the course.
        host: the entry; the remote's host when None.

    Returns:
        The plan.

    Raises:
        DaemonJsonError: the current file is not valid JSON (it is left alone).

    Example:
        >>> plan = preview_insecure(remote)  # doctest: +SKIP
        daemon.json /var/lib/regkit/engine/daemon.json (regkit's private Engine ...)
        after the change (nothing is written yet):
        {
          "insecure-registries": [
            "10.203.0.2:8080"
          ]
        }
    """
    from regkit import daemon_json

    entry = host or (target.host if isinstance(target, Remote) else target.settings.host)
    real = not isinstance(target, Remote) or target.real
    files = engine_files(target.engine) if real else \
        EngineFiles(DEFAULT_DAEMON_JSON, "sudo systemctl reload docker")
    change = daemon_json.preview_insecure_registry(entry, files.daemon_json)
    _say("daemon.json", files.describe())
    print("after the change (nothing is written yet):", flush=True)
    print((change.after or "").rstrip("\n"), flush=True)
    for note in change.notes:
        _say("note", note)
    return InsecurePlan(entry, files, change, real)


def write_daemon_json(plan: InsecurePlan, *, confirm: bool = False) -> bool:
    """Write the previewed ``daemon.json`` (atomically, the old one kept as a backup).

    Args:
        plan: from :func:`preview_insecure`.
        confirm: True to write; False only says nothing was written.

    Returns:
        True when the file now holds the entry.

    Raises:
        DaemonJsonError: the file changed into something unreadable since the preview.

    Example:
        >>> write_daemon_json(plan, confirm=True)  # doctest: +SKIP
        $ sudoedit /var/lib/regkit/engine/daemon.json   # make it the file shown above
        wrote      /var/lib/regkit/engine/daemon.json (backup: ...regkit-backup)
    """
    from regkit import daemon_json

    path = plan.files.daemon_json
    show_command(f"sudoedit {path}   # make it the file shown above")
    if not _go_ahead(plan.real, confirm, "written"):
        return False
    if not _can_write(path):
        _say("not done", f"this account cannot write {path}: edit it as root")
        return False
    change = daemon_json.add_insecure_registry(plan.host, path)
    if change.changed:
        backup = f" (backup: {change.backup.name})" if change.backup else ""
        _say("wrote", f"{path}{backup}")
    else:
        _say("unchanged", f"{path} already lists {plan.host}")
    return True


def reload_engine(course: Course) -> bool:
    """Make the Engine re-read ``daemon.json`` (SIGHUP): a reload, not a restart.

    ``insecure-registries`` is one of the settings dockerd re-reads on SIGHUP; running
    containers are not touched. regkit reloads only its own private Engine; for the
    system's Docker it prints the command to run.

    Args:
        course: from :func:`regkit.course.prepare`.

    Returns:
        True when the Engine reloaded.

    Raises:
        DaemonJsonError: the Engine refused the file (it keeps its previous settings).

    Example:
        >>> reload_engine(c)  # doctest: +SKIP
        $ sudo systemctl reload docker   # systemd hosts; any host: sudo kill -HUP $(pidof dockerd)
        engine     reloaded its configuration (containers keep running)
    """
    files = engine_files(course.engine)
    show_command("sudo systemctl reload docker   # systemd hosts; any host: "
                 "sudo kill -HUP $(pidof dockerd)")
    if files.private is None:
        _say("not done", f"run it in a terminal: regkit reloads only its own private Engine "
             f"({files.reload_command})")
        return False
    files.private.reload()
    _say("engine", "reloaded its configuration (containers keep running)")
    return True


def forget_insecure(remote: Remote, *, confirm: bool = False) -> bool:
    """Take the remote out of ``insecure-registries`` again, and reload the Engine.

    The key stays, with an empty list: dockerd 20.10 keeps its current list on reload when
    the key is missing, so removing the key would change nothing until the next restart.

    Args:
        remote: the :class:`Remote` added by :func:`write_daemon_json`.
        confirm: True to change the file and reload.

    Returns:
        True when the Engine no longer lists it.

    Example:
        >>> forget_insecure(remote, confirm=True)  # doctest: +SKIP
    """
    files = engine_files(remote.engine) if remote.real else \
        EngineFiles(DEFAULT_DAEMON_JSON, "sudo systemctl reload docker")
    show_command(f"sudoedit {files.daemon_json}   # remove \"{remote.host}\", keep the key")
    if not remote.real:
        show_command("sudo systemctl reload docker")
    if not _go_ahead(remote.real, confirm, "changed"):
        return False
    if files.private is None or not _can_write(files.daemon_json):
        _say("not done", f"edit {files.daemon_json} as root, then reload the Engine")
        return False
    _forget(remote.host, files.daemon_json)
    print(files.daemon_json.read_text().rstrip("\n"), flush=True)
    show_command("sudo systemctl reload docker")
    files.private.reload()
    _say("engine", "reloaded its configuration")
    return True


def _forget(host: str, path: Path) -> bool:
    """Remove ``host`` from ``insecure-registries``; True when the file changed."""
    from regkit import daemon_json

    return daemon_json.remove_insecure_registry(host, path, backup=False).changed