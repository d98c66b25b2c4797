"""The lab's own certificate authority and server certificate, for ``--tls``.

With TLS the lessons about trust are real: Docker refuses the lab's certificate until its
CA is installed as ``/etc/docker/certs.d/<host:port>/ca.crt``, which Harbor serves at
``/api/v2.0/systeminfo/getcert`` (and so does the lab). The CA is made once per data
directory; the server certificate is remade whenever the requested names change, and
always names ``localhost``, ``127.0.0.1`` and ``::1`` in its subjectAltName.

Keys are ECDSA P-256 (fast to make, accepted by Docker and browsers) and written 0600.

Example:
    >>> paths = ensure_certificates("/tmp/lab/tls", ["registry.local"])  # doctest: +SKIP
    >>> paths.ca.name  # doctest: +SKIP
    'ca.crt'
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from regkit.reference import is_ip_literal

__all__ = ["CertificatePaths", "ensure_certificates"]

_DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")
_CA_DAYS = 3650
# Browsers refuse server certificates valid for more than 825 days.
_SERVER_DAYS = 825


@dataclass(frozen=True)
class CertificatePaths:
    """Where the lab's TLS files are.

    Attributes:
        ca: the CA certificate (PEM), the file learners install as ``ca.crt``.
        cert: the server certificate (PEM).
        key: the server's private key (PEM, 0600).

    Example:
        >>> CertificatePaths(Path("ca.crt"), Path("s.crt"), Path("s.key")).ca.name
        'ca.crt'
    """

    ca: Path
    cert: Path
    key: Path


def _write(path: Path, data: bytes, private: bool) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _subject_alt_names(names: Iterable[str]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in names:
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(name))
    return result


def _make_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "regkit practice lab"),
        x509.NameAttribute(NameOID.COMMON_NAME, "regkit practice lab CA"),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(directory / "ca.key", _pem_key(key), private=True)
    _write(directory / "ca.crt", cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert, key


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
        key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    return cert, key


def _server_cert_matches(path: Path, ca: x509.Certificate, names: list[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    return set(sans) == set(_subject_alt_names(names)) and cert.not_valid_after_utc > soon


def ensure_certificates(directory: str | os.PathLike[str],
                        extra_names: Iterable[str] = ()) -> CertificatePaths:
    """Make (or reuse) the lab's CA and a server certificate for its names.

    Args:
        directory: where the files live (created 0700 if missing).
        extra_names: DNS names or IP addresses to add to ``localhost``, ``127.0.0.1`` and
            ``::1`` (for a lab reached under another name).

    Returns:
        The paths of the CA certificate, server certificate and server key.

    Edge cases:
        The CA is kept across runs (learners install it once); a missing or unreadable CA
        is replaced, which also replaces the server certificate. The server certificate is
        reissued when its names differ from the requested ones or it expires within 30 days.

    Example:
        >>> ensure_certificates("/tmp/lab/tls").cert.name  # doctest: +SKIP
        'server.crt'
    """
    tls_dir = Path(directory)
    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    names = list(dict.fromkeys([*_DEFAULT_NAMES, *extra_names]))
    paths = CertificatePaths(tls_dir / "ca.crt", tls_dir / "server.crt", tls_dir / "server.key")
    loaded = _load_ca(tls_dir)
    ca_cert, ca_key = loaded if loaded else _make_ca(tls_dir)
    if paths.key.exists() and _server_cert_matches(paths.cert, ca_cert, names):
        return paths
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    dns_first = next((n for n in names if not is_ip_literal(n)), names[0])
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_first)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(_subject_alt_names(names)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(paths.key, _pem_key(key), private=True)
    _write(paths.cert, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return paths
