"""Registry bearer tokens as Harbor's token service makes them: RS256 JWTs.

A token says who asked (``sub``, empty for anonymous) and what it may do
(``access: [{"type": "repository", "name": "p/r", "actions": ["pull", ...]}]``). The
issuer is ``harbor-token-issuer``, the audience ``harbor-registry``, the lifetime 30
minutes, and the header names the signing key with a libtrust-style ``kid`` as Harbor's
does. The lab both issues them (``/service/token``) and checks them (``/v2/``).

``cryptography`` is imported on first use, not with this module: a lab that restarts
with its key already on disk answers before it has signed anything
(:class:`DeferredIssuer`).

Example:
    >>> issuer = TokenIssuer.load_or_create("/tmp/lab/token.key")  # doctest: +SKIP
    >>> token = issuer.issue("admin", [])["token"]  # doctest: +SKIP
    >>> issuer.verify(token)["sub"]  # doctest: +SKIP
    'admin'
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["AUDIENCE", "EXPIRES_IN", "ISSUER", "DeferredIssuer", "TokenIssuer", "key_id"]

ISSUER = "harbor-token-issuer"
AUDIENCE = "harbor-registry"
EXPIRES_IN = 1800
# Clock skew tolerated on nbf, as a token is used right after it is issued.
_LEEWAY = 60


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """The libtrust key id Harbor puts in ``kid``: SHA-256 of the DER key, base32, grouped.

    Args:
        public_key: the signing key's public half.

    Returns:
        Twelve groups of four base32 characters joined by ``:``.

    Example:
        >>> from cryptography.hazmat.primitives.asymmetric import rsa
        >>> key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        >>> len(key_id(key.public_key()).split(":"))
        12
    """
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i:i + 4] for i in range(0, len(encoded), 4))


class TokenIssuer:
    """Signs and checks the lab's registry tokens with one RSA key.

    Args:
        private_key: the RSA signing key.

    Example:
        >>> from cryptography.hazmat.primitives.asymmetric import rsa
        >>> issuer = TokenIssuer(rsa.generate_private_key(65537, 2048))
        >>> claims = issuer.verify(issuer.issue("", [])["token"])
        >>> claims["iss"], claims["aud"]
        ('harbor-token-issuer', 'harbor-registry')
    """

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._key = private_key
        self._public = private_key.public_key()
        self.kid = key_id(self._public)

    @classmethod
    def load_or_create(cls, path: str | os.PathLike[str]) -> TokenIssuer:
        """Load the PEM key at ``path``, generating it (mode 0600) on first use.

        Args:
            path: the key file.

        Returns:
            The issuer.

        Raises:
            ValueError: the file holds something other than an RSA key.

        Example:
            >>> TokenIssuer.load_or_create("/tmp/lab/token.key").kid  # doctest: +SKIP
            'ETO3:ZYZY:...'
        """
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key_path = Path(path)
        if key_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{key_path} does not hold an RSA key")
            return cls(key)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = key_path.with_name(key_path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(tmp, key_path)
        return cls(key)

    def issue(self, subject: str, access: list[dict[str, Any]],
              now: float | None = None) -> dict[str, Any]:
        """Make a token response as ``/service/token`` returns it.

        Args:
            subject: the user name, or ``""`` for an anonymous caller.
            access: the granted ``[{"type", "name", "actions"}]`` (already filtered).
            now: the issue time (Unix seconds); the current time when None.

        Returns:
            ``{"token", "access_token", "expires_in", "issued_at"}``.

        Example:
            >>> issuer.issue("admin", [])["expires_in"]  # doctest: +SKIP
            1800
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        issued = int(now if now is not None else time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {
            "iss": ISSUER, "sub": subject, "aud": AUDIENCE,
            "exp": issued + EXPIRES_IN, "nbf": issued, "iat": issued,
            "jti": secrets.token_urlsafe(12), "access": access,
        }
        signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode())
                                 for part in (header, claims))
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{signing_input}.{_b64url(signature)}"
        issued_at = datetime.fromtimestamp(issued, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"token": token, "access_token": "", "expires_in": EXPIRES_IN,
                "issued_at": issued_at}

    def verify(self, token: str, now: float | None = None) -> dict[str, Any] | None:
        """Check a token's signature, algorithm, key id, issuer, audience and lifetime.

        Args:
            token: the compact JWT.
            now: the time to check against; the current time when None.

        Returns:
            The claims when the token is valid, else None (Harbor then treats the caller
            as anonymous).

        Example:
            >>> issuer.verify("not-a-token") is None  # doctest: +SKIP
            True
        """
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(claims_b64))
            signature = _b64url_decode(signature_b64)
        except (ValueError, TypeError):
            return None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return None
        if header.get("alg") != "RS256" or header.get("kid") != self.kid:
            return None
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self._public.verify(signature, f"{header_b64}.{claims_b64}".encode(),
                                padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return None
        moment = now if now is not None else time.time()
        try:
            if float(claims["exp"]) < moment or float(claims["nbf"]) > moment + _LEEWAY:
                return None
        except (KeyError, TypeError, ValueError):
            return None
        if claims.get("aud") != AUDIENCE or claims.get("iss") != ISSUER:
            return None
        if not isinstance(claims.get("access", []), list):
            return None
        return claims


class DeferredIssuer:
    """A :class:`TokenIssuer` whose key file is read when a token is first needed.

    Args:
        path: the key file (:meth:`TokenIssuer.load_or_create` makes it if missing).

    Edge cases:
        Threads that need it at the same time load it once. :meth:`load` does it now, for
        a first start that must create the key (and report a bad key file) up front.

    Example:
        >>> issuer = DeferredIssuer("/tmp/lab/token.key")  # doctest: +SKIP
        >>> issuer.issue("admin", [])["expires_in"]  # doctest: +SKIP
        1800
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._issuer: TokenIssuer | None = None
        self._lock = threading.Lock()

    def load(self) -> TokenIssuer:
        """The issuer, reading (or creating) the key file the first time.

        Raises:
            ValueError: the file holds something other than an RSA key.
        """
        with self._lock:
            if self._issuer is None:
                self._issuer = TokenIssuer.load_or_create(self.path)
            return self._issuer

    @property
    def kid(self) -> str:
        """The key id tokens carry."""
        return self.load().kid

    def issue(self, subject: str, access: list[dict[str, Any]],
              now: float | None = None) -> dict[str, Any]:
        """As :meth:`TokenIssuer.issue`."""
        return self.load().issue(subject, access, now)

    def verify(self, token: str, now: float | None = None) -> dict[str, Any] | None:
        """As :meth:`TokenIssuer.verify`."""
        return self.load().verify(token, now)
