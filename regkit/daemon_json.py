"""The Engine's trust settings on disk: ``daemon.json``'s ``insecure-registries`` and ``certs.d``.

Two ways to make ``docker push`` work with a self-hosted registry, both edited here:

* list the registry in ``"insecure-registries"`` of ``/etc/docker/daemon.json`` (plain HTTP or
  an untrusted certificate is then accepted) and make the Engine re-read it
  (:func:`reload_hint`);
* or trust the registry's CA: ``/etc/docker/certs.d/<host:port>/ca.crt``, read on every
  connection, so no reload is needed.

Every change can be previewed (``preview_insecure_registry(...).diff()``) before it is made.
Writes are atomic (a temporary file in the same folder, ``fsync``, ``os.replace``), keep the
file's mode and owner, follow a symlinked ``daemon.json`` to its target, and back the old
file up first as ``<name>.regkit-backup`` next to it. One fixed backup name, holding the
file as it was before regkit's most recent change, keeps undo a single, predictable command
(``sudo cp daemon.json.regkit-backup daemon.json``); ``.regkit-backup`` does not end in
``.crt``, so Docker never loads a backed-up CA. Nothing is written when nothing changes.
Anything unexpected (malformed JSON, a non-list ``insecure-registries``, an invalid entry, no
permission) raises :class:`~regkit.errors.DaemonJsonError` and leaves the file as it was.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "daemon.json"
    >>> change = add_insecure_registry("127.0.0.1:8080", path)
    >>> print(path.read_text(), end="")
    {
      "insecure-registries": [
        "127.0.0.1:8080"
      ]
    }
    >>> add_insecure_registry("127.0.0.1:8080", path).changed
    False
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import ipaddress
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from regkit.errors import CertificateError, DaemonJsonError, InvalidReference
from regkit.reference import validate_registry_host

__all__ = [
    "DEFAULT_DAEMON_JSON",
    "DEFAULT_CERTS_D",
    "BACKUP_SUFFIX",
    "DaemonJsonChange",
    "CaChange",
    "normalize_insecure_registry",
    "preview_insecure_registry",
    "add_insecure_registry",
    "remove_insecure_registry",
    "install_ca",
    "remove_ca",
    "reload_hint",
]

DEFAULT_DAEMON_JSON = Path("/etc/docker/daemon.json")
DEFAULT_CERTS_D = Path("/etc/docker/certs.d")
BACKUP_SUFFIX = ".regkit-backup"
KEY = "insecure-registries"
NEW_FILE_MODE = 0o644
NEW_DIR_MODE = 0o755
_LOOPBACK_NETS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_SUDO_HINT = ("run it as root (e.g. `sudo regkit ...` or a root notebook), or copy the previewed "
              "content (preview_insecure_registry(...).after) into the file yourself with sudo")


@dataclass(frozen=True)
class DaemonJsonChange:
    """What a change to ``daemon.json`` does (or did): the text before and after.

    Args:
        path: the ``daemon.json`` path as given.
        before: the file's text, or None when it does not exist.
        after: the text it has after the change (equal to ``before`` when nothing changes);
            None only when the file does not exist and stays so.
        changed: whether the change alters the file.
        backup: where the old file is (or, for a preview, would be) backed up; None when
            there is nothing to back up or backups are off.
        notes: remarks a learner should see (``http://`` stripped, entry already there...).

    Example:
        >>> change = DaemonJsonChange(Path("daemon.json"), None, '{}\\n', True, None)
        >>> print(change.diff(), end="")
        --- /dev/null
        +++ daemon.json
        @@ -0,0 +1 @@
        +{}
    """

    path: Path
    before: str | None
    after: str | None
    changed: bool
    backup: Path | None
    notes: tuple[str, ...] = ()

    def diff(self) -> str:
        """A unified diff from ``before`` to ``after``; empty when nothing changes.

        A missing final newline is added for display only, so the diff stays readable.

        Returns:
            The diff text, ``--- path`` / ``+++ path`` headers (``/dev/null`` for a new file).
        """
        if not self.changed:
            return ""
        old = _lines(self.before)
        new = _lines(self.after)
        fromfile = str(self.path) if self.before is not None else "/dev/null"
        return "".join(difflib.unified_diff(old, new, fromfile=fromfile, tofile=str(self.path)))


def _lines(text: str | None) -> list[str]:
    lines = (text or "").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


@dataclass(frozen=True)
class CaChange:
    """What :func:`install_ca` or :func:`remove_ca` did.

    Args:
        path: ``<certs_dir>/<host:port>/ca.crt``.
        changed: whether the file was written or removed.
        backup: where the previous ``ca.crt`` went, or None.
        notes: remarks about the certificate (expired, not a CA...).

    Example:
        >>> CaChange(Path("/etc/docker/certs.d/h:443/ca.crt"), False, None).changed
        False
    """

    path: Path
    changed: bool
    backup: Path | None
    notes: tuple[str, ...] = ()


# --- insecure-registries entries ----------------------------------------------------------


def normalize_insecure_registry(entry: str) -> str:
    """The form Docker keeps an ``insecure-registries`` entry in, for comparing entries.

    Docker strips an ``http://`` or ``https://`` prefix (with a warning) and refuses other
    schemes; a CIDR network (``10.0.0.0/8``) is kept as a network, anything else must be
    ``host[:port]`` (or a bare IPv6 address). Host entries are compared exactly, as Docker
    matches them against the registry part of image names.

    Args:
        entry: an entry as written in daemon.json or given by the learner.

    Returns:
        ``host[:port]`` without scheme, or the network in canonical form
        (``10.1.2.3/8`` -> ``10.0.0.0/8``).

    Raises:
        InvalidReference: not host[:port] and not a CIDR; another scheme; whitespace.

    Example:
        >>> normalize_insecure_registry("http://127.0.0.1:8080")
        '127.0.0.1:8080'
        >>> normalize_insecure_registry("192.168.1.7/24")
        '192.168.1.0/24'
    """
    if not isinstance(entry, str):
        raise TypeError(f"an insecure-registries entry is a str, not {type(entry).__name__}")
    example = "e.g. '127.0.0.1:8080', 'harbor.example.com' or '10.0.0.0/8'"
    if entry == "" or any(c.isspace() for c in entry):
        raise InvalidReference(f"invalid insecure-registries entry {entry!r}: it is empty or "
                               "contains whitespace",
                               hint=f"write host[:port] or a CIDR, {example}")
    text = entry
    lowered = entry.lower()
    for prefix in ("http://", "https://"):
        if lowered.startswith(prefix):
            text = entry[len(prefix):]
            break
    else:
        if "://" in entry:
            raise InvalidReference(f"invalid insecure-registries entry {entry!r}: only http:// "
                                   "or https:// may prefix an entry (and Docker drops them)",
                                   hint=f"write host[:port] without a scheme, {example}")
    if "/" in text:
        try:
            return str(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise InvalidReference(
                f"invalid insecure-registries entry {entry!r}: '/' is only allowed in a CIDR "
                "network, and this is not one", hint=f"drop the path, {example}") from None
    if "%" not in text:  # Go's net.ParseIP, unlike Python, refuses zones such as %eth0
        with contextlib.suppress(ValueError):
            ipaddress.IPv6Address(text)
            return text  # Docker accepts a bare IPv6 address
    try:
        return validate_registry_host(text)
    except InvalidReference as err:
        raise InvalidReference(f"invalid insecure-registries entry {entry!r}: {err.message}",
                               hint=err.hint) from None


def _is_loopback(entry: str) -> bool:
    if "/" in entry:
        network = ipaddress.ip_network(entry)
        return any(network.version == loop.version and network.subnet_of(loop)
                   for loop in _LOOPBACK_NETS)
    host = entry
    if host.startswith("["):
        host = host[1: host.index("]")]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- reading and writing ------------------------------------------------------------------


def _read_text(path: Path, what: str) -> str | None:
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None  # a parent that is a file is reported when writing, where it matters
    except PermissionError as err:
        raise DaemonJsonError(f"cannot read {what} {path}: permission denied",
                              hint=_SUDO_HINT) from err
    except OSError as err:
        raise DaemonJsonError(f"cannot read {what} {path}: {err.strerror or err}",
                              hint=f"check that {path} is a file, in a folder") from err
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DaemonJsonError(
            f"{path} is not UTF-8 text (bad byte at offset {err.start}); the file was left "
            "unchanged", hint="save it as UTF-8; Docker reads daemon.json as UTF-8 JSON") from err


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _parse(path: Path, text: str | None) -> dict:
    if text is None:
        return {}
    body = text.removeprefix("\ufeff")  # Docker accepts a byte-order mark
    if not body.strip():
        return {}  # Docker treats an empty (or blank) daemon.json as {}
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise DaemonJsonError(
            f"{path} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}; "
            "the file was left unchanged",
            hint=f"fix the file at that spot (`python3 -m json.tool {path}` shows it), then run "
                 "again; Docker itself will not start with this file") from err
    except ValueError as err:
        raise DaemonJsonError(f"{path} is not valid JSON: {err}; the file was left unchanged",
                              hint="replace NaN/Infinity with a number") from err
    if not isinstance(data, dict):
        raise DaemonJsonError(
            f"{path} holds a JSON {type(data).__name__}, but daemon.json must be one JSON object "
            "({...}); the file was left unchanged",
            hint='wrap the settings in braces, e.g. {"insecure-registries": ["h:5000"]}')
    return data


def _entries(path: Path, data: dict) -> list[str]:
    value = data.get(KEY)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DaemonJsonError(
            f'"{KEY}" in {path} must be a list of strings, not {json.dumps(value)}; the file was '
            "left unchanged", hint=f'write it as "{KEY}": ["host:port", ...]')
    return value


def _keys(path: Path, entries: list[str]) -> list[str]:
    keys = []
    for item in entries:
        try:
            keys.append(normalize_insecure_registry(item))
        except InvalidReference as err:
            raise DaemonJsonError(
                f'{path} lists {item!r} in "{KEY}", which Docker refuses ({err.message}); the '
                "file was left unchanged",
                hint="fix or remove that entry by hand first; dockerd will not start with it"
            ) from err
    return keys


def _dump(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _target(path: Path) -> Path:
    # Follow a symlinked daemon.json, so the link survives and its target is what changes.
    return Path(os.path.realpath(path))


def _backup_path(path: Path) -> Path:
    target = _target(path)
    return target.with_name(target.name + BACKUP_SUFFIX)


def preview_insecure_registry(host: str, path: str | os.PathLike[str] = DEFAULT_DAEMON_JSON, *,
                              remove: bool = False, backup: bool = True) -> DaemonJsonChange:
    """Show what adding (or removing) an insecure registry does to ``daemon.json``; write nothing.

    The merged file keeps every other key and its order, adds the entry at the end of
    ``insecure-registries`` (creating the list at the end of the object if needed), never
    duplicates an entry (entries are compared in Docker's normal form, so ``http://h:5000``
    and ``h:5000`` are the same), and is written with 2-space indentation and a final newline.
    A missing or empty file counts as ``{}``. Removing the last entry drops the key.

    Args:
        host: ``host[:port]``, a CIDR network, or either with ``http://`` (stripped, as Docker
            does, with a note).
        path: the ``daemon.json`` to read.
        remove: preview removing the entry instead of adding it.
        backup: whether the change would back the file up (sets ``backup``).

    Returns:
        The change; ``.diff()`` shows it, ``.after`` is the full new text.

    Raises:
        InvalidReference: ``host`` is not a valid entry.
        DaemonJsonError: the file cannot be read, is not JSON, is not an object, or has an
            ``insecure-registries`` that is not a list of valid entries.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "daemon.json"
        >>> _ = path.write_text('{"debug": true}')
        >>> print(preview_insecure_registry("http://h:5000", path).after, end="")
        {
          "debug": true,
          "insecure-registries": [
            "h:5000"
          ]
        }
    """
    path = Path(path)
    entry = normalize_insecure_registry(host)
    notes: list[str] = []
    if entry != host:
        notes.append(f"{host!r} is written as {entry!r}: Docker drops http:// and https:// "
                     "from insecure-registries (with a warning) and keeps networks in "
                     "canonical form")
    before = _read_text(path, "daemon.json")
    data = _parse(path, before)
    current = _entries(path, data)
    keys = _keys(path, current)
    if remove:
        kept = [item for item, key in zip(current, keys) if key != entry]
        changed = len(kept) != len(current)
        if changed:
            # Keep the key even when empty: dockerd 20.10 leaves its old list in force on a
            # reload when the key is missing, so only `[]` really clears it.
            data[KEY] = kept
        elif before is not None:
            notes.append(f"{entry!r} is not in {KEY}; nothing to remove")
    else:
        changed = entry not in keys
        if changed:
            data[KEY] = current + [entry]
        else:
            notes.append(f"{entry!r} is already in {KEY} (as {current[keys.index(entry)]!r}); "
                         "nothing to change")
        if _is_loopback(entry):
            notes.append("Docker already treats 127.0.0.0/8 (and ::1 since Engine 28) as "
                         "insecure, so this entry is harmless but not required")
    if changed:
        after: str | None = _dump(data)
        if before is not None and before.strip() and _dump(_parse(path, before)) != before:
            notes.append("the file is rewritten with 2-space indentation; its settings are kept")
    else:
        after = before
    return DaemonJsonChange(
        path=path, before=before, after=after, changed=changed,
        backup=_backup_path(path) if (changed and backup and before is not None) else None,
        notes=tuple(notes))


def _write_atomic(target: Path, data: bytes, *, like: os.stat_result | None) -> None:
    """Replace ``target`` with ``data`` in one step, with ``like``'s mode and owner."""
    directory = target.parent
    if not directory.exists():
        directory.mkdir(mode=NEW_DIR_MODE, parents=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(like.st_mode) if like else NEW_FILE_MODE)
        if like is not None and (like.st_uid, like.st_gid) != (os.geteuid(), os.getegid()):
            os.chown(tmp, like.st_uid, like.st_gid)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    # The rename is durable only once the folder is synced; some filesystems refuse, and
    # the data itself is already safe, so a refusal here is not an error.
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _write_error(path: Path, err: OSError) -> DaemonJsonError:
    if isinstance(err, PermissionError):
        return DaemonJsonError(f"cannot write {path}: permission denied; the file was left "
                               "unchanged", hint=_SUDO_HINT)
    return DaemonJsonError(f"cannot write {path}: {err.strerror or err}; the file was left "
                           "unchanged",
                           hint=f"check that {path.parent} is a writable folder with free space")


def _apply(change: DaemonJsonChange) -> DaemonJsonChange:
    if not change.changed:
        return change
    target = _target(change.path)
    try:
        like = os.stat(target) if change.before is not None else None
        if change.backup is not None and change.before is not None:
            _write_atomic(change.backup, change.before.encode("utf-8"), like=like)
        _write_atomic(target, (change.after or "").encode("utf-8"), like=like)
    except OSError as err:
        raise _write_error(change.path, err) from err
    return change


def add_insecure_registry(host: str, path: str | os.PathLike[str] = DEFAULT_DAEMON_JSON, *,
                          backup: bool = True) -> DaemonJsonChange:
    """Add ``host`` to ``insecure-registries`` in ``daemon.json`` (see the module notes).

    Idempotent: when the entry is already there nothing is written and no backup is made.
    The Engine reads the list only at start or on reload: follow with :func:`reload_hint`.

    Args:
        host: ``host[:port]`` or a CIDR network (an ``http://`` prefix is dropped).
        path: the ``daemon.json`` to change; created (with its folder) when missing.
        backup: copy the old file to ``<path>.regkit-backup`` first (replacing an older backup).

    Returns:
        The change made (``changed`` False when there was nothing to do).

    Raises:
        InvalidReference: ``host`` is not a valid entry.
        DaemonJsonError: the file is malformed (see :func:`preview_insecure_registry`) or
            cannot be written (permission denied: run as root or copy ``.after`` by hand);
            in every case ``daemon.json`` is left exactly as it was.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "daemon.json"
        >>> add_insecure_registry("h:5000", path).changed
        True
    """
    return _apply(preview_insecure_registry(host, path, backup=backup))


def remove_insecure_registry(host: str, path: str | os.PathLike[str] = DEFAULT_DAEMON_JSON, *,
                             backup: bool = True) -> DaemonJsonChange:
    """Remove ``host`` from ``insecure-registries`` (undo of :func:`add_insecure_registry`).

    Every entry equal to ``host`` in Docker's normal form goes (``http://h:5000`` too). The
    key stays, as ``[]`` after its last entry, because a reload ignores a missing key. Nothing
    is written when the entry is absent.

    Args:
        host: the entry to remove.
        path: the ``daemon.json`` to change.
        backup: copy the old file to ``<path>.regkit-backup`` first.

    Returns:
        The change made.

    Raises:
        InvalidReference: ``host`` is not a valid entry.
        DaemonJsonError: as for :func:`add_insecure_registry`; the file is left unchanged.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "daemon.json"
        >>> _ = add_insecure_registry("h:5000", path)
        >>> remove_insecure_registry("h:5000", path).after
        '{\\n  "insecure-registries": []\\n}\\n'
    """
    return _apply(preview_insecure_registry(host, path, remove=True, backup=backup))


# --- certs.d --------------------------------------------------------------------------------


def _ca_path(host: str, certs_dir: str | os.PathLike[str]) -> Path:
    # A validated host[:port] has no '/' and is not '..', so it is one folder under certs_dir.
    return Path(certs_dir) / validate_registry_host(host) / "ca.crt"


def _check_pem(pem: str | bytes) -> tuple[bytes, tuple[str, ...]]:
    from cryptography import x509  # heavy; only needed here

    data = pem.encode("utf-8") if isinstance(pem, str) else bytes(pem)
    if b"PRIVATE KEY-----" in data:
        raise CertificateError(
            "the PEM text contains a private key; refusing to write it to certs.d",
            hint="ca.crt holds only the CA's certificate (the -----BEGIN CERTIFICATE----- "
                 "block); keep private keys on the registry server")
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateError(
            "the text is not a PEM certificate (no '-----BEGIN CERTIFICATE-----' line)",
            hint="download the CA in PEM form (Harbor: /api/v2.0/systeminfo/getcert); a DER "
                 "file converts with `openssl x509 -inform der -in ca.der -out ca.crt`")
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as err:
        raise CertificateError(f"the PEM certificate cannot be read as X.509: {err}",
                               hint="copy the whole block, from -----BEGIN CERTIFICATE----- to "
                                    "-----END CERTIFICATE-----, unchanged") from err
    notes = []
    now = datetime.datetime.now(datetime.timezone.utc)
    for cert in certificates:
        subject = cert.subject.rfc4514_string() or "(empty subject)"
        if cert.not_valid_after_utc < now:
            notes.append(f"{subject} expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
                         "TLS will fail until the registry gets a new certificate")
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = cert.issuer == cert.subject
        if not is_ca:
            notes.append(f"{subject} is not a CA certificate: this works only if it is the "
                         "registry's own self-signed certificate")
    if not data.endswith(b"\n"):
        data += b"\n"
    return data, tuple(notes)


def install_ca(host: str, pem: str | bytes,
               certs_dir: str | os.PathLike[str] = DEFAULT_CERTS_D, *,
               backup: bool = True) -> CaChange:
    """Trust a registry's CA: write ``<certs_dir>/<host:port>/ca.crt`` (mode 0644), atomically.

    The folder name must be the registry exactly as it appears in image names (with its
    port). Docker reads the folder on each connection: no reload or restart is needed.
    Idempotent: the same certificate again writes nothing. A different existing ``ca.crt``
    is first moved aside to ``ca.crt.regkit-backup``.

    Args:
        host: the registry's ``host[:port]``.
        pem: one or more PEM certificates (a bundle is fine).
        certs_dir: the Engine's certs.d folder.
        backup: keep the previous, different ``ca.crt`` as ``ca.crt.regkit-backup``.

    Returns:
        What was done; ``notes`` flag an expired or non-CA certificate.

    Raises:
        InvalidReference: ``host`` is not ``host[:port]``.
        CertificateError: ``pem`` is not an X.509 certificate, or contains a private key.
        DaemonJsonError: the file cannot be written (permission, a file where a folder
            should be); anything already there is left unchanged.

    Example:
        >>> install_ca("harbor.example.com", "not a cert", "/tmp/certs.d")
        Traceback (most recent call last):
        ...
        regkit.errors.CertificateError: the text is not a PEM certificate (no '-----BEGIN CERTIFICATE-----' line)
          how to fix: download the CA in PEM form (Harbor: /api/v2.0/systeminfo/getcert); a DER file converts with `openssl x509 -inform der -in ca.der -out ca.crt`
    """
    path = _ca_path(host, certs_dir)
    data, notes = _check_pem(pem)
    try:
        existing = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        existing = None
    except OSError as err:
        raise DaemonJsonError(f"cannot read {path}: {err.strerror or err}",
                              hint=f"check that {path.parent} is a folder you may read") from err
    if existing == data:
        return CaChange(path, False, None, notes)
    backup_path = path.with_name(path.name + BACKUP_SUFFIX) if (backup and existing) else None
    try:
        if backup_path is not None and existing is not None:
            _write_atomic(backup_path, existing, like=None)
        _write_atomic(path, data, like=None)
    except OSError as err:
        raise DaemonJsonError(
            f"cannot write {path}: {err.strerror or err}; nothing there was changed",
            hint=_SUDO_HINT if isinstance(err, PermissionError)
            else f"check that {Path(certs_dir)} is a folder (not a file) you may write") from err
    return CaChange(path, True, backup_path, notes)


def remove_ca(host: str, certs_dir: str | os.PathLike[str] = DEFAULT_CERTS_D, *,
              backup: bool = True) -> CaChange:
    """Stop trusting a registry's CA: remove ``<certs_dir>/<host:port>/ca.crt``.

    With ``backup`` the file is renamed to ``ca.crt.regkit-backup`` (a name Docker ignores);
    without, it is deleted, and the host's folder too when that leaves it empty.

    Args:
        host: the registry's ``host[:port]``.
        certs_dir: the Engine's certs.d folder.
        backup: keep the removed certificate as ``ca.crt.regkit-backup``.

    Returns:
        What was done (``changed`` False when there was no ``ca.crt``).

    Raises:
        InvalidReference: ``host`` is not ``host[:port]``.
        DaemonJsonError: the file cannot be removed (permission denied).

    Example:
        >>> remove_ca("harbor.example.com", "/nonexistent/certs.d").changed
        False
    """
    path = _ca_path(host, certs_dir)
    if not path.is_file():
        return CaChange(path, False, None)
    backup_path = path.with_name(path.name + BACKUP_SUFFIX) if backup else None
    try:
        if backup_path is not None:
            os.replace(path, backup_path)
        else:
            path.unlink()
            with contextlib.suppress(OSError):  # the folder still holds other files: keep it
                path.parent.rmdir()
    except OSError as err:
        raise DaemonJsonError(f"cannot remove {path}: {err.strerror or err}",
                              hint=_SUDO_HINT if isinstance(err, PermissionError) else
                              f"check {path.parent}") from err
    return CaChange(path, True, backup_path)


def reload_hint() -> str:
    """The commands that make a running Engine re-read ``insecure-registries``.

    dockerd re-reads ``daemon.json`` on SIGHUP (``insecure-registries`` is one of the
    settings it reloads live; running containers are untouched). ``certs.d`` needs nothing.

    Returns:
        Several lines, ready to print.

    Example:
        >>> "systemctl reload docker" in reload_hint()
        True
    """
    return (
        "Make the running Docker Engine re-read /etc/docker/daemon.json:\n"
        "  sudo systemctl reload docker          # systemd hosts (sends SIGHUP to dockerd)\n"
        "  sudo kill -HUP $(pidof dockerd)       # any Linux host\n"
        "Docker Desktop: Settings > Docker Engine, edit the JSON there, Apply & restart.\n"
        "Check with: docker info --format '{{json .RegistryConfig.IndexConfigs}}'\n"
        "A CA in /etc/docker/certs.d/<host:port>/ca.crt is read on each connection: "
        "no reload needed."
    )
