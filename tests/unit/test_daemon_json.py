"""daemon.json and certs.d edits: merges, atomic writes, backups, and refusals that touch nothing.

Every test works in tmp_path; the real /etc/docker is never read or written.
"""

from __future__ import annotations

import datetime
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import require

from regkit import daemon_json
from regkit.daemon_json import (
    BACKUP_SUFFIX,
    add_insecure_registry,
    install_ca,
    normalize_insecure_registry,
    preview_insecure_registry,
    reload_hint,
    remove_ca,
    remove_insecure_registry,
)
from regkit.errors import CertificateError, DaemonJsonError, InvalidReference


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "docker" / "daemon.json"


def write(path: Path, text: str, mode: int = 0o644) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path.read_bytes()


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes: proves nothing else was written."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


# --- merging -----------------------------------------------------------------------------------

def test_add_to_a_missing_file_creates_it_and_its_folder(path: Path) -> None:
    change = add_insecure_registry("127.0.0.1:8080", path)
    assert change.changed and change.before is None and change.backup is None
    assert path.read_text() == '{\n  "insecure-registries": [\n    "127.0.0.1:8080"\n  ]\n}\n'
    assert change.after == path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["daemon.json"]


def test_add_keeps_other_keys_in_order_and_appends(path: Path) -> None:
    original = write(path, json.dumps({
        "debug": True, "insecure-registries": ["a.example:5000"], "log-driver": "json-file",
        "registry-mirrors": ["https://mirror.example"]}))
    change = add_insecure_registry("h.example:8080", path)
    data = json.loads(path.read_text())
    assert list(data) == ["debug", "insecure-registries", "log-driver", "registry-mirrors"]
    assert data["insecure-registries"] == ["a.example:5000", "h.example:8080"]
    assert data["registry-mirrors"] == ["https://mirror.example"]
    assert path.read_text().endswith("}\n") and '\n  "debug": true,' in path.read_text()
    assert change.backup == path.with_name("daemon.json" + BACKUP_SUFFIX)
    assert change.backup.read_bytes() == original


def test_add_creates_the_key_at_the_end(path: Path) -> None:
    write(path, '{"debug": true, "features": {"buildkit": false}}')
    add_insecure_registry("h.example:8080", path)
    data = json.loads(path.read_text())
    assert list(data) == ["debug", "features", "insecure-registries"]
    assert data["features"] == {"buildkit": False}


def test_add_is_idempotent_without_write_or_backup(path: Path) -> None:
    add_insecure_registry("h.example:8080", path)
    before = path.stat()
    content = path.read_bytes()
    again = add_insecure_registry("h.example:8080", path)
    assert not again.changed and again.backup is None and again.diff() == ""
    assert again.after == again.before
    assert any("already in" in note for note in again.notes)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert path.read_bytes() == content
    assert not path.with_name("daemon.json" + BACKUP_SUFFIX).exists()


def test_http_prefix_is_stripped_with_a_note_and_counts_as_duplicate(path: Path) -> None:
    change = add_insecure_registry("http://h.example:8080", path)
    assert json.loads(path.read_text())["insecure-registries"] == ["h.example:8080"]
    assert any("'h.example:8080'" in n and "http://" in n for n in change.notes)
    assert not add_insecure_registry("https://h.example:8080", path).changed
    write(path, '{"insecure-registries": ["http://other.example:5000"]}')
    existing = add_insecure_registry("other.example:5000", path)
    assert not existing.changed
    assert any("'http://other.example:5000'" in n for n in existing.notes)


@pytest.mark.parametrize("entry,normal", [
    ("h.example:5000", "h.example:5000"),
    ("HTTP://h.example:5000", "h.example:5000"),
    ("https://h.example", "h.example"),
    ("10.1.2.3/8", "10.0.0.0/8"),
    ("192.168.0.0/16", "192.168.0.0/16"),
    ("fd00::1/64", "fd00::/64"),
    ("::1", "::1"),
    ("[::1]:5000", "[::1]:5000"),
    ("Registry.Example:443", "Registry.Example:443"),
])
def test_normalize_insecure_registry(entry: str, normal: str) -> None:
    assert normalize_insecure_registry(entry) == normal


@pytest.mark.parametrize("entry", ["", "h :5000", "ftp://h", "h.example:5000/path", "h:99999",
                                   "my_host:5000", "10.0.0.0/33", "fe80::1%eth0",
                                   "[::1]x"])
def test_bad_entries_are_refused_and_nothing_is_written(path: Path, entry: str) -> None:
    original = write(path, '{"debug": true}\n')
    with pytest.raises(InvalidReference):
        add_insecure_registry(entry, path)
    assert snapshot(path.parent) == {"daemon.json": original}


def test_cidr_entries_compare_as_networks(path: Path) -> None:
    add_insecure_registry("10.0.0.0/8", path)
    assert not add_insecure_registry("10.20.30.40/8", path).changed
    assert add_insecure_registry("10.0.0.0/16", path).changed


def test_loopback_entries_get_a_note(path: Path) -> None:
    for entry in ("127.0.0.1:8080", "localhost:5000", "[::1]:5000", "127.0.0.0/8"):
        assert any("already treats 127.0.0.0/8" in n
                   for n in preview_insecure_registry(entry, path).notes), entry
    other = preview_insecure_registry("10.1.1.1:5000", path)
    assert not any("127.0.0.0/8" in n for n in other.notes)


def test_empty_blank_and_bom_files_count_as_empty_objects(path: Path) -> None:
    for text in ("", "  \n", "\ufeff{}"):
        write(path, text)
        change = add_insecure_registry("h.example:1", path, backup=False)
        assert json.loads(path.read_text()) == {"insecure-registries": ["h.example:1"]}
        assert change.before == text


def test_null_list_is_replaced(path: Path) -> None:
    write(path, '{"insecure-registries": null}')
    add_insecure_registry("h.example:1", path)
    assert json.loads(path.read_text()) == {"insecure-registries": ["h.example:1"]}


def test_reindenting_is_noted(path: Path) -> None:
    write(path, '{\n    "debug": true\n}\n')
    change = add_insecure_registry("h.example:1", path)
    assert any("2-space indentation" in n for n in change.notes)
    write(path, '{\n  "debug": true\n}\n')
    assert not any("indentation" in n for n in add_insecure_registry("h.example:1", path).notes)


def test_non_ascii_values_are_kept(path: Path) -> None:
    write(path, '{"labels": ["salle=étage-2"]}')
    add_insecure_registry("h.example:1", path)
    assert '"salle=étage-2"' in path.read_text(encoding="utf-8")


# --- preview and diff --------------------------------------------------------------------------

def test_preview_writes_nothing(path: Path) -> None:
    change = preview_insecure_registry("h.example:8080", path)
    assert change.changed and change.before is None and not path.parent.exists()
    original = write(path, '{"debug": true}')
    change = preview_insecure_registry("h.example:8080", path)
    assert change.backup == path.with_name("daemon.json" + BACKUP_SUFFIX)
    assert snapshot(path.parent) == {"daemon.json": original}
    assert preview_insecure_registry("h.example:8080", path, backup=False).backup is None


def test_diff_of_an_edit(path: Path) -> None:
    write(path, '{\n  "debug": true\n}\n')
    diff = preview_insecure_registry("h.example:8080", path).diff()
    assert diff.startswith(f"--- {path}\n+++ {path}\n")
    assert '-  "debug": true\n' in diff
    assert '+  "debug": true,\n' in diff
    assert '+    "h.example:8080"\n' in diff


def test_diff_of_a_new_file_and_of_a_file_without_final_newline(path: Path) -> None:
    diff = preview_insecure_registry("h.example:8080", path).diff()
    assert diff.startswith(f"--- /dev/null\n+++ {path}\n")
    write(path, '{"debug": true}')
    diff = preview_insecure_registry("h.example:8080", path).diff()
    assert '-{"debug": true}\n' in diff


def test_preview_matches_what_add_writes(path: Path) -> None:
    write(path, '{"debug": true, "insecure-registries": []}')
    preview = preview_insecure_registry("h.example:8080", path)
    add_insecure_registry("h.example:8080", path)
    assert path.read_text() == preview.after


# --- remove ------------------------------------------------------------------------------------

def test_remove_undoes_add(path: Path) -> None:
    write(path, '{"debug": true}')
    add_insecure_registry("h.example:8080", path)
    change = remove_insecure_registry("h.example:8080", path)
    assert change.changed
    assert json.loads(path.read_text()) == {"debug": True, "insecure-registries": []}
    assert change.backup is not None
    assert json.loads(change.backup.read_text())["insecure-registries"] == ["h.example:8080"]


def test_remove_keeps_other_entries_and_removes_every_spelling(path: Path) -> None:
    write(path, json.dumps({"insecure-registries": [
        "a.example:1", "http://h.example:8080", "h.example:8080", "b.example:2"]}))
    remove_insecure_registry("h.example:8080", path)
    assert json.loads(path.read_text())["insecure-registries"] == ["a.example:1", "b.example:2"]


def test_remove_of_an_absent_entry_writes_nothing(path: Path) -> None:
    original = write(path, '{"insecure-registries": ["a.example:1"]}')
    change = remove_insecure_registry("h.example:8080", path)
    assert not change.changed and change.backup is None
    assert snapshot(path.parent) == {"daemon.json": original}
    missing = path.parent / "none.json"
    change = remove_insecure_registry("h.example:8080", missing)
    assert not change.changed and change.before is None and change.after is None
    assert not missing.exists()


# --- refusals leave the file byte for byte ----------------------------------------------------

@pytest.mark.parametrize("text,phrase", [
    ('{"debug": true,,}', "line 1, column 16"),
    ('{\n  "debug": true\n  "x": 1\n}\n', "line 3, column 3"),
    ('{"insecure-registries": ["a"', "not valid JSON"),
    ('{"a": NaN}', "NaN"),
    ("[1, 2]", "must be one JSON object"),
    ('"text"', "must be one JSON object"),
    ('{"insecure-registries": "h.example:5000"}', "must be a list of strings"),
    ('{"insecure-registries": ["h.example:5000", 5]}', "must be a list of strings"),
    ('{"insecure-registries": {"h": 1}}', "must be a list of strings"),
    ('{"insecure-registries": ["bad host"]}', "'bad host'"),
])
def test_malformed_files_are_refused_and_left_unchanged(path: Path, text: str,
                                                        phrase: str) -> None:
    original = write(path, text, mode=0o640)
    for action in (add_insecure_registry, remove_insecure_registry, preview_insecure_registry):
        with pytest.raises(DaemonJsonError) as info:
            action("h.example:8080", path)
        assert phrase in info.value.message
        assert info.value.hint
    assert "left unchanged" in info.value.message
    assert snapshot(path.parent) == {"daemon.json": original}
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_non_utf8_file_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(DaemonJsonError, match="not UTF-8"):
        add_insecure_registry("h.example:8080", path)
    assert path.read_bytes() == b'{"a": "\xff"}'


def test_a_parent_that_is_a_file_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "docker"
    blocker.write_bytes(b"not a folder")
    target = blocker / "daemon.json"
    assert preview_insecure_registry("h.example:8080", target).before is None
    with pytest.raises(DaemonJsonError) as info:
        add_insecure_registry("h.example:8080", target)
    assert "left unchanged" in info.value.message
    assert snapshot(tmp_path) == {"docker": b"not a folder"}


def test_a_failed_backup_leaves_daemon_json_as_it_was(path: Path) -> None:
    original = write(path, '{"debug": true}')
    # A folder where the backup goes: the real os.replace fails, as on a broken disk.
    path.with_name("daemon.json" + BACKUP_SUFFIX).mkdir()
    with pytest.raises(DaemonJsonError, match="left unchanged"):
        add_insecure_registry("h.example:8080", path)
    assert path.read_bytes() == original
    assert snapshot(path.parent) == {"daemon.json": original}  # no temporary file left behind


@pytest.mark.parametrize("step", ["fsync", "replace", "chmod"])
def test_a_failure_at_any_write_step_leaves_the_file_and_no_temporary(
        path: Path, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    original = write(path, '{"debug": true}')

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(daemon_json.os, step, disk_full)
    with pytest.raises(DaemonJsonError) as info:
        add_insecure_registry("h.example:8080", path, backup=False)
    monkeypatch.undo()
    assert "No space left on device" in info.value.message
    assert "left unchanged" in info.value.message
    assert snapshot(path.parent) == {"daemon.json": original}


def test_permission_denied_hints_at_sudo_and_the_preview(path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    original = write(path, '{"debug": true}')

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(daemon_json.tempfile, "mkstemp", denied)
    with pytest.raises(DaemonJsonError) as info:
        add_insecure_registry("h.example:8080", path)
    monkeypatch.undo()
    assert "permission denied" in info.value.message
    assert "sudo" in info.value.hint and ".after" in info.value.hint
    assert path.read_bytes() == original


# --- mode, owner, symlinks ---------------------------------------------------------------------

def test_mode_is_preserved(path: Path) -> None:
    write(path, "{}", mode=0o600)
    add_insecure_registry("h.example:8080", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    backup = path.with_name("daemon.json" + BACKUP_SUFFIX)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_owner_is_preserved(path: Path) -> None:
    require(os.geteuid() == 0, "changing a file's owner needs root")
    write(path, "{}")
    os.chown(path, 1234, 2345)
    add_insecure_registry("h.example:8080", path)
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (1234, 2345)


def test_a_symlinked_daemon_json_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "daemon.json"
    original = write(real, '{"debug": true}')
    link = tmp_path / "daemon.json"
    link.symlink_to(real)
    change = add_insecure_registry("h.example:8080", link)
    assert link.is_symlink()
    assert json.loads(real.read_text())["insecure-registries"] == ["h.example:8080"]
    assert change.backup == real.with_name("daemon.json" + BACKUP_SUFFIX)
    assert change.backup.read_bytes() == original


def test_backup_holds_the_state_before_the_latest_change(path: Path) -> None:
    write(path, "{}")
    add_insecure_registry("a.example:1", path)
    after_first = path.read_bytes()
    add_insecure_registry("b.example:2", path)
    assert path.with_name("daemon.json" + BACKUP_SUFFIX).read_bytes() == after_first


def test_no_backup_when_asked(path: Path) -> None:
    write(path, "{}")
    change = add_insecure_registry("a.example:1", path, backup=False)
    assert change.backup is None
    assert sorted(p.name for p in path.parent.iterdir()) == ["daemon.json"]


# --- certs.d ------------------------------------------------------------------------------------

def make_cert(*, ca: bool = True, days: int = 30, name: str = "regkit test CA") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(days=2) if days > 0 else now - datetime.timedelta(days=10)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def ca_pem() -> str:
    return make_cert()


def test_install_ca_writes_the_certificate(tmp_path: Path, ca_pem: str) -> None:
    change = install_ca("harbor.example.com:443", ca_pem, tmp_path)
    assert change.path == tmp_path / "harbor.example.com:443" / "ca.crt"
    assert change.changed and change.backup is None and change.notes == ()
    assert change.path.read_text() == ca_pem
    assert stat.S_IMODE(change.path.stat().st_mode) == 0o644
    assert x509.load_pem_x509_certificate(change.path.read_bytes())


def test_install_ca_is_idempotent(tmp_path: Path, ca_pem: str) -> None:
    first = install_ca("h.example:5000", ca_pem.encode(), tmp_path)
    before = first.path.stat()
    again = install_ca("h.example:5000", ca_pem, tmp_path)
    assert not again.changed and again.backup is None
    after = first.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert snapshot(tmp_path) == {"h.example:5000/ca.crt": ca_pem.encode()}


def test_install_ca_backs_up_a_different_certificate(tmp_path: Path, ca_pem: str) -> None:
    install_ca("h.example:5000", ca_pem, tmp_path)
    other = make_cert(name="another CA")
    change = install_ca("h.example:5000", other, tmp_path)
    assert change.changed
    assert change.path.read_text() == other
    assert change.backup == change.path.with_name("ca.crt" + BACKUP_SUFFIX)
    assert change.backup.read_text() == ca_pem
    # Docker loads every *.crt in the folder; the backup must not be one of them.
    assert [p.name for p in change.path.parent.glob("*.crt")] == ["ca.crt"]


def test_install_ca_accepts_bundles_and_adds_a_final_newline(tmp_path: Path, ca_pem: str) -> None:
    bundle = ca_pem + make_cert(name="intermediate")
    assert install_ca("h.example", bundle, tmp_path).path.read_text() == bundle
    change = install_ca("h2.example", ca_pem.rstrip("\n"), tmp_path)
    assert change.path.read_text() == ca_pem


def test_install_ca_notes_expired_and_non_ca_certificates(tmp_path: Path) -> None:
    notes = install_ca("h.example", make_cert(ca=False, name="leaf"), tmp_path).notes
    assert any("not a CA certificate" in n and "leaf" in n for n in notes)
    notes = install_ca("h2.example", make_cert(days=-1, name="old"), tmp_path).notes
    assert any("expired" in n and "old" in n for n in notes)


@pytest.mark.parametrize("pem,phrase", [
    ("hello", "not a PEM certificate"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "cannot be read"),
    ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
     "not a PEM certificate"),
])
def test_install_ca_refuses_what_is_not_a_certificate(tmp_path: Path, pem: str,
                                                      phrase: str) -> None:
    with pytest.raises(CertificateError) as info:
        install_ca("h.example:5000", pem, tmp_path)
    assert phrase in info.value.message
    assert info.value.hint
    assert snapshot(tmp_path) == {}


def test_install_ca_refuses_a_private_key(tmp_path: Path, ca_pem: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with pytest.raises(CertificateError, match="private key"):
        install_ca("h.example:5000", ca_pem + key, tmp_path)
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("host", ["h/../x", "..", "a b", "h:0", ""])
def test_install_ca_refuses_bad_hosts(tmp_path: Path, ca_pem: str, host: str) -> None:
    with pytest.raises(InvalidReference):
        install_ca(host, ca_pem, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_install_ca_into_a_file_fails_cleanly(tmp_path: Path, ca_pem: str) -> None:
    blocker = tmp_path / "certs.d"
    blocker.write_bytes(b"not a folder")
    with pytest.raises(DaemonJsonError) as info:
        install_ca("h.example:5000", ca_pem, blocker)
    assert "nothing there was changed" in info.value.message
    assert "is a folder" in info.value.hint
    assert snapshot(tmp_path) == {"certs.d": b"not a folder"}


def test_install_ca_for_an_ipv6_registry(tmp_path: Path, ca_pem: str) -> None:
    assert install_ca("[::1]:5000", ca_pem, tmp_path).path == tmp_path / "[::1]:5000" / "ca.crt"


def test_remove_ca_keeps_a_backup_by_default(tmp_path: Path, ca_pem: str) -> None:
    path = install_ca("h.example:5000", ca_pem, tmp_path).path
    change = remove_ca("h.example:5000", tmp_path)
    assert change.changed and not path.exists()
    assert change.backup is not None and change.backup.read_text() == ca_pem
    assert not remove_ca("h.example:5000", tmp_path).changed


def test_remove_ca_without_backup_removes_the_empty_folder(tmp_path: Path, ca_pem: str) -> None:
    install_ca("h.example:5000", ca_pem, tmp_path)
    change = remove_ca("h.example:5000", tmp_path, backup=False)
    assert change.changed and change.backup is None
    assert list(tmp_path.iterdir()) == []


def test_remove_ca_without_backup_keeps_a_folder_with_other_files(tmp_path: Path,
                                                                  ca_pem: str) -> None:
    path = install_ca("h.example:5000", ca_pem, tmp_path).path
    (path.parent / "client.cert").write_text("client")
    remove_ca("h.example:5000", tmp_path, backup=False)
    assert snapshot(tmp_path) == {"h.example:5000/client.cert": b"client"}


# --- hints and imports ---------------------------------------------------------------------------

def test_reload_hint() -> None:
    hint = reload_hint()
    assert "sudo systemctl reload docker" in hint
    assert "sudo kill -HUP $(pidof dockerd)" in hint
    assert "certs.d" in hint and "no reload needed" in hint


def test_cryptography_is_imported_only_when_a_ca_is_installed() -> None:
    code = "import sys, regkit.daemon_json; print('cryptography' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_defaults_point_at_etc_docker() -> None:
    assert daemon_json.DEFAULT_DAEMON_JSON == Path("/etc/docker/daemon.json")
    assert daemon_json.DEFAULT_CERTS_D == Path("/etc/docker/certs.d")


def test_removing_the_last_entry_keeps_an_empty_list(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    write(path, json.dumps({"debug": True, "insecure-registries": ["10.203.0.2:8080"]}), mode=0o640)
    remove_insecure_registry("10.203.0.2:8080", path)
    # A missing key would leave dockerd 20.10's list in force on reload.
    assert json.loads(path.read_text()) == {"debug": True, "insecure-registries": []}
    assert path.read_text().endswith("\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
