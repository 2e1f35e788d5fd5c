"""Secrets: random tokens, hashing of tokens, HMAC signatures and encryption at rest.

Channel credentials are encrypted with a Fernet key derived from the instance secret, so a
database dump alone does not leak platform tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    """A URL-safe random token, optionally with a readable prefix (e.g. ``wc_``)."""
    return prefix + secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    """Stable digest for looking up tokens without storing them."""
    return hashlib.sha256(value.encode()).hexdigest()


def hmac_sha256_hex(secret: str | bytes, body: bytes) -> str:
    """Hex HMAC-SHA256, the signature shape most webhook senders use."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    """Compare signatures without leaking timing."""
    return hmac.compare_digest(a.encode(), b.encode())


class SecretBox:
    """Symmetric encryption for values we must read back (platform credentials)."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"webcare-secretbox:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("credentials were encrypted with another secret key") from exc
