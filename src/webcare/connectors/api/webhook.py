"""Verifying signed deliveries to the generic API channel's webhook.

The sender signs ``timestamp + "." + raw body`` with the channel's signing secret (HMAC-SHA256,
hex) and sends ``X-Webcare-Timestamp`` and ``X-Webcare-Signature: sha256=<hex>``. We check the
signature before parsing anything, in constant time, and refuse timestamps more than five
minutes away from our clock so a captured request cannot be replayed later.
"""

from __future__ import annotations

from webcare.connectors.api.client import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from webcare.kit.crypto import constant_time_equals
from webcare.kit.errors import Unauthorized

TOLERANCE_SECONDS = 300


class SignatureInvalid(Unauthorized):
    code = "invalid_signature"


def verify(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float
) -> None:
    """Raise :class:`SignatureInvalid` unless the delivery is signed with ``secret`` and fresh."""
    if not signature or not timestamp:
        raise SignatureInvalid(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} must be Unix seconds") from exc
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        raise SignatureInvalid("the delivery is too old or from the future; check your clock")
    if not secret or not constant_time_equals(sign(secret, timestamp, body), signature):
        raise SignatureInvalid("the signature does not match this channel's signing secret")
