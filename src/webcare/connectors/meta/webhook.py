"""The two checks every Meta webhook request passes before anything reads its body.

Followed: Meta's "Getting Started" guide for Graph API webhooks
(https://developers.facebook.com/docs/graph-api/webhooks/getting-started), the same for
Page, Messenger, Instagram and WhatsApp subscriptions:

* Verification: when a subscription is saved, Meta sends
  ``GET ?hub.mode=subscribe&hub.challenge=<n>&hub.verify_token=<ours>``. We answer the challenge
  (``200 text/plain``) only when the token is the one we configured; anything else is a 403,
  so nobody can subscribe our endpoint to someone else's app.
* Deliveries: every POST carries ``X-Hub-Signature-256: sha256=<hex>``, the lowercase hex
  HMAC-SHA256 of the raw body keyed with the app secret. We check it on the raw bytes, in
  constant time, before parsing: Meta escapes non-ASCII as ``\\uXXXX``, so a re-serialised
  body would not match, and a forged body is never even decoded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from webcare.kit.crypto import constant_time_equals, hmac_sha256_hex
from webcare.kit.errors import Forbidden, Invalid, Unauthorized

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


class VerificationFailed(Forbidden):
    """The subscription handshake is not for us (wrong mode or verify token)."""

    code = "verification_failed"


class SignatureInvalid(Unauthorized):
    """The delivery is not signed with this app's secret."""

    code = "invalid_signature"


def verify_subscription(params: Mapping[str, str], verify_token: str) -> str:
    """The ``hub.challenge`` to echo back, if the handshake carries our ``verify_token``.

    Raises :class:`VerificationFailed` (403, as Meta expects) for a wrong mode or token, and
    :class:`Invalid` when the token matches but no challenge was sent.
    """
    if not verify_token:
        raise VerificationFailed("the Meta channel has no verify token configured")
    if params.get("hub.mode") != "subscribe":
        raise VerificationFailed("hub.mode must be 'subscribe'")
    if not constant_time_equals(params.get("hub.verify_token", ""), verify_token):
        raise VerificationFailed("hub.verify_token does not match this channel's verify token")
    challenge = params.get("hub.challenge", "")
    if not challenge:
        raise Invalid("hub.challenge is missing")
    return challenge


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body`` (used by tests and simulators)."""
    return SIGNATURE_PREFIX + hmac_sha256_hex(app_secret, body)


def verify_signature(app_secret: str, body: bytes, header: str | None) -> None:
    """Raise :class:`SignatureInvalid` unless ``header`` signs the raw ``body``.

    ``header`` is the raw ``X-Hub-Signature-256`` value (None when absent). Hex case is
    ignored; the comparison itself is constant-time.
    """
    if not header:
        raise SignatureInvalid(f"missing {SIGNATURE_HEADER} header")
    digest = header.removeprefix(SIGNATURE_PREFIX)
    if not header.startswith(SIGNATURE_PREFIX) or not _HEX_DIGEST.fullmatch(digest):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} must look like sha256=<64 hex digits>")
    if not app_secret:
        raise SignatureInvalid("the Meta channel has no app secret configured")
    if not constant_time_equals(sign(app_secret, body), SIGNATURE_PREFIX + digest.lower()):
        raise SignatureInvalid("the signature does not match this app's secret")
