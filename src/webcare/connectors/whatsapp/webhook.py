"""WhatsApp Cloud API webhooks are Graph API webhooks: the same checks as Meta's.

Followed: "Set up webhooks" for the WhatsApp Cloud API
(https://developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks), which uses
the Graph API subscription handshake (``hub.mode``/``hub.verify_token``/``hub.challenge``) and
signs every POST with ``X-Hub-Signature-256`` keyed with the app secret. The implementation is
:mod:`webcare.connectors.meta.webhook`; this module only names it for WhatsApp, so the two can
never drift apart.
"""

from __future__ import annotations

from webcare.connectors.meta.webhook import (
    SIGNATURE_HEADER,
    SignatureInvalid,
    VerificationFailed,
    sign,
    verify_signature,
    verify_subscription,
)

#: ``object`` of every WhatsApp Business Account webhook delivery.
OBJECT = "whatsapp_business_account"

__all__ = [
    "OBJECT",
    "SIGNATURE_HEADER",
    "SignatureInvalid",
    "VerificationFailed",
    "sign",
    "verify_signature",
    "verify_subscription",
]
