"""Sends WhatsApp messages through the Cloud API with the account's access token.

Followed: Meta's official OpenAPI description of the WhatsApp Business Platform, Graph v23.0
(``facebook/openapi``, ``business-messaging-api_v23.0.yaml``) and the Cloud API error codes page
(https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes):

* send: ``POST /{Version}/{Phone-Number-ID}/messages`` (operation ``sendMessage``) with
  ``{"messaging_product": "whatsapp", "recipient_type": "individual", "to", "type": "text",
  "text": {"body", "preview_url"}}``, plus ``"context": {"message_id"}`` to quote the message
  answered; or ``"type": "template", "template": {"name", "language": {"code"}, "components"}``
  → 200 ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}``;
* test connection: ``GET /{Version}/{Phone-Number-ID}`` (``getPhoneNumberById``) → ``{"id",
  "display_phone_number", "verified_name", "quality_rating"}``;
* failures: Graph errors ``{"error": {"message", "type", "code", "error_subcode",
  "error_data": {"details"}, "fbtrace_id"}}``.

WhatsApp accepts free-form messages only within 24 hours of the customer's last message (the
"customer service window"); after that only an approved template may start the conversation
again. We refuse a free-form reply outside the window *before* any request, with a reason that
tells the agent to use a template. The platform's own refusal (131047) is mapped the same way.

Errors onto the ports' tree: 190 (token expired or invalid), 0/10/200-299 and HTTP 401/403 →
:class:`AuthFailed`; HTTP 429 and 4/80007/130429/131048/131056 (throughput, spam and pair rate
limits) → :class:`RateLimited`; 5xx, 1/2/131000 and ``is_transient`` → :class:`TransientError`;
everything else, including 131047 and 131026 (undeliverable) → :class:`PermanentError` with
WhatsApp's own explanation. The Cloud API takes no idempotency key: a crash between its answer
and our commit can send a message twice.

``channel.settings``: ``phone_number_id`` (required), ``api_version`` (default v23.0) and
``api_base`` (default ``https://graph.facebook.com``, replaced by the simulator's URL in tests).
``channel.credentials["access_token"]``: a system-user or business token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
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
from webcare.connectors.bearer import api_base, bearer_request

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
#: The customer service window: free-form messages only this long after the customer wrote.
SERVICE_WINDOW = timedelta(hours=24)
MAX_TEXT_LENGTH = 4096
DEFAULT_RETRY_AFTER = 60.0

RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})
AUTH_CODES = frozenset({0, 10, 190})
TRANSIENT_CODES = frozenset({1, 2, 131000})
OUTSIDE_WINDOW = 131047
UNDELIVERABLE = 131026

_READABLE = {
    OUTSIDE_WINDOW: (
        "more than 24 hours have passed since the customer last wrote; "
        "WhatsApp only accepts an approved template now"
    ),
    UNDELIVERABLE: (
        "WhatsApp could not deliver to this number (not on WhatsApp, an outdated app, "
        "or the customer has not accepted WhatsApp's terms)"
    ),
}


def _now() -> datetime:
    return datetime.now(UTC)


class WhatsAppSender:
    """Sender for WhatsApp: free-form text inside the 24-hour window, templates any time."""

    def __init__(self, client: httpx.Client, clock: Callable[[], datetime] = _now) -> None:
        self._client = client
        self._clock = clock

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        recipient = reply.recipient_platform_user_id
        if not recipient:
            raise PermanentError("a WhatsApp message needs the customer's WhatsApp number")
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
        }
        if reply.template is not None:
            body.update(type="template", template=reply.template)
        else:
            self._check_window(reply.customer_last_message_at)
            if len(reply.text) > MAX_TEXT_LENGTH:
                raise PermanentError(
                    f"a WhatsApp message may be at most {MAX_TEXT_LENGTH} characters; "
                    f"this one is {len(reply.text)}"
                )
            body.update(type="text", text={"body": reply.text, "preview_url": False})
            if reply.reply_to_external_id:
                body["context"] = {"message_id": reply.reply_to_external_id}
        data = _json(request(self._client, channel, "POST", "/messages", body))
        messages = data.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        message_id = first.get("id") if isinstance(first, Mapping) else None
        if not isinstance(message_id, str) or not message_id:
            raise PermanentError("WhatsApp accepted the message without giving its id")
        return SendResult(external_id=message_id, raw=data)

    def _check_window(self, last_message_at: datetime | None) -> None:
        if last_message_at is None:
            raise PermanentError(
                "the customer has not written to this WhatsApp number yet; "
                "an approved template is needed to start the conversation"
            )
        if self._clock() - last_message_at > SERVICE_WINDOW:
            raise PermanentError(
                "more than 24 hours have passed since the customer's last message "
                f"({last_message_at:%Y-%m-%d %H:%M} UTC); WhatsApp only allows an approved "
                "template now"
            )


class WhatsAppChecker:
    """ "Test connection": reads the phone number the account sends from."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def check(self, channel: ChannelContext) -> str:
        data = _json(request(self._client, channel, "GET", "", None))
        number = data.get("display_phone_number") or data.get("id") or "?"
        name = data.get("verified_name")
        return f"Connected: {number}" + (f" ({name})" if name else "")


def request(
    client: httpx.Client,
    channel: ChannelContext,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> httpx.Response:
    """One authenticated call on ``/{version}/{phone_number_id}{suffix}``, errors mapped."""
    number = channel.settings.get("phone_number_id")
    if not number:
        raise PermanentError("this WhatsApp channel does not know its phone number id")
    version = str(channel.settings.get("api_version") or DEFAULT_API_VERSION)
    url = f"{api_base(channel, DEFAULT_API_BASE)}/{version}/{number}{suffix}"
    response = bearer_request(client, channel, method, url, platform="WhatsApp", json=body)
    raise_for_error(response)
    return response


def raise_for_error(response: httpx.Response) -> None:
    """Map a Cloud API error answer onto the ports' error tree (see the module docstring)."""
    status = response.status_code
    if status < 400:
        return
    error = _error(response)
    code = error.get("code")
    reason = _reason(error, status)
    if status == 429 or code in RATE_LIMIT_CODES:
        raise RateLimited(f"WhatsApp asked us to slow down: {reason}", _retry_after(response))
    if status in (401, 403) or code in AUTH_CODES or (isinstance(code, int) and 200 <= code < 300):
        raise AuthFailed(f"WhatsApp refused our access token: {reason}")
    if status >= 500 or code in TRANSIENT_CODES or error.get("is_transient") is True:
        raise TransientError(f"WhatsApp failed for now: {reason}")
    readable = _READABLE.get(code) if isinstance(code, int) else None
    raise PermanentError(f"WhatsApp refused the message: {readable or reason}")


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {"message": response.text[:200] or f"HTTP {response.status_code}"}
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else {"message": str(payload)[:200]}


def _reason(error: Mapping[str, Any], status: int) -> str:
    """WhatsApp's own words: ``message (#code): details``."""
    message = str(error.get("message") or f"HTTP {status}")[:200]
    code = error.get("code")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, Mapping) else None
    text = f"{message} (#{code})" if code is not None and f"#{code}" not in message else message
    return f"{text}: {str(details)[:200]}" if details else text


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError as exc:
        raise TransientError("WhatsApp answered with something that is not JSON") from exc
    if not isinstance(payload, dict):
        raise TransientError("WhatsApp answered with something that is not a JSON object")
    return payload
