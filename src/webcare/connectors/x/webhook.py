"""Answering X's CRC challenge and verifying signed Account Activity deliveries.

Followed: X's Account Activity API "Securing webhooks" guide, as implemented by
``xdevplatform/account-activity-dashboard`` (``helpers/security.js`` and ``app.js``):

* CRC: X sends ``GET ?crc_token=...`` when the webhook is registered, about hourly, and on
  ``PUT /2/webhooks/{id}``. We answer ``{"response_token": "sha256=<b64>"}`` where ``<b64>`` is
  the base64 HMAC-SHA256 of the token keyed with the app's consumer secret.
* Deliveries: every POST carries ``x-twitter-webhooks-signature: sha256=<b64>``, the base64
  HMAC-SHA256 of the raw body keyed with the same secret. We check it in constant time before
  parsing anything, so a forged body is never even decoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from webcare.kit.crypto import constant_time_equals
from webcare.kit.errors import Invalid, Unauthorized

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
SIGNATURE_PREFIX = "sha256="


class SignatureInvalid(Unauthorized):
    """The delivery is not signed with this app's consumer secret."""

    code = "invalid_signature"


def sign(consumer_secret: str, message: bytes) -> str:
    """``sha256=`` + base64 HMAC-SHA256 of ``message``: the shape of both CRC and signatures."""
    digest = hmac.new(consumer_secret.encode(), message, hashlib.sha256).digest()
    return SIGNATURE_PREFIX + base64.b64encode(digest).decode()


def crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    """The JSON body that proves to X we own ``consumer_secret`` (answered with HTTP 200)."""
    if not consumer_secret:
        raise Invalid("the X channel has no consumer secret configured")
    if not crc_token:
        raise Invalid("crc_token is missing")
    return {"response_token": sign(consumer_secret, crc_token.encode())}


def verify_signature(consumer_secret: str, body: bytes, header: str | None) -> None:
    """Raise :class:`SignatureInvalid` unless ``header`` signs ``body`` with ``consumer_secret``.

    ``header`` is the raw value of ``x-twitter-webhooks-signature`` (None when absent).
    """
    if not header:
        raise SignatureInvalid(f"missing {SIGNATURE_HEADER} header")
    if not header.startswith(SIGNATURE_PREFIX) or len(header) == len(SIGNATURE_PREFIX):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} must look like sha256=<base64>")
    if not consumer_secret:
        raise SignatureInvalid("the X channel has no consumer secret configured")
    if not constant_time_equals(sign(consumer_secret, body), header):
        raise SignatureInvalid("the signature does not match this app's consumer secret")
