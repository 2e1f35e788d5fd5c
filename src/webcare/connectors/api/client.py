"""Delivers replies of the generic API channel by POSTing signed JSON to a configured URL.

The receiver verifies ``X-Webcare-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>``
with the channel's signing secret, and may de-duplicate on ``Idempotency-Key`` (stable across our
retries of the same reply). It answers 2xx with ``{"id": "<its message id>"}``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    OutboundReply,
    PermanentError,
    RateLimited,
    SendResult,
    TransientError,
)
from webcare.kit.crypto import hmac_sha256_hex

SIGNATURE_HEADER = "X-Webcare-Signature"
TIMESTAMP_HEADER = "X-Webcare-Timestamp"
DEFAULT_RETRY_AFTER = 30.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    return "sha256=" + hmac_sha256_hex(secret, timestamp.encode() + b"." + body)


class ApiChannelSender:
    """Sender for the generic API channel."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        url = channel.settings.get("reply_url")
        if not url:
            raise PermanentError("this API channel has no reply URL configured")
        secret = str(channel.credentials.get("signing_secret", ""))
        body = json.dumps(_payload(channel, reply), separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": reply.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientError(f"the reply URL did not answer in time ({exc})") from exc
        except httpx.HTTPError as exc:
            raise TransientError(
                f"could not reach the reply URL ({exc.__class__.__name__})"
            ) from exc
        return _result(response)


def _payload(channel: ChannelContext, reply: OutboundReply) -> dict[str, Any]:
    return {
        "channel_account_id": channel.channel_account_id,
        "conversation_id": reply.conversation_id,
        "recipient_id": reply.recipient_platform_user_id,
        "in_reply_to": reply.reply_to_external_id,
        "visibility": reply.visibility.value,
        "text": reply.text,
    }


def _result(response: httpx.Response) -> SendResult:
    status = response.status_code
    if status in (401, 403):
        raise AuthFailed(f"the reply URL refused our credentials (HTTP {status})")
    if status == 429:
        raise RateLimited("the reply URL asked us to slow down", _retry_after(response))
    if status >= 500:
        raise TransientError(f"the reply URL failed (HTTP {status})")
    if status >= 400:
        raise PermanentError(f"the reply was refused (HTTP {status}): {_reason(response)}")
    try:
        data = response.json()
        external_id = str(data["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PermanentError("the reply URL answered without a message id") from exc
    return SendResult(external_id=external_id, raw=data if isinstance(data, dict) else {})


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER)))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200] or "no reason given"
    if isinstance(data, dict):
        for key in ("detail", "error", "message"):
            if key in data:
                return str(data[key])[:200]
    return str(data)[:200]
