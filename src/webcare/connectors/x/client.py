"""Sends replies through the X API v2 with the account's OAuth 2.0 user token.

Followed: the official X API v2 OpenAPI spec (``xdevplatform/xdk`` ``specs/openapi.json``):

* public reply: ``POST /2/tweets`` with ``{"text", "reply": {"in_reply_to_tweet_id"}}``
  (``CreatePostsRequest``) → 201 ``{"data": {"id", "text"}}``;
* private reply: ``POST /2/dm_conversations/with/{participant_id}/messages`` with ``{"text"}``
  → 201 ``{"data": {"dm_conversation_id", "dm_event_id"}}``;
* like: ``POST /2/users/{id}/likes`` with ``{"tweet_id"}`` → 200 ``{"data": {"liked"}}``;
* failures: ``Problem`` objects (``{"title", "detail", "type"}``) or ``{"errors": [...]}``; rate
  limits per docs.x.com "Rate limits": 429 with ``x-rate-limit-reset`` (Unix seconds).

Errors map onto the ports' tree: 401/403 → :class:`AuthFailed`, 429 → :class:`RateLimited`,
5xx and network failures → :class:`TransientError`, any other 4xx → :class:`PermanentError`
with X's own explanation. Text that X would refuse as too long is refused *before* sending,
so no request is spent on it.

``channel.settings["api_base"]`` replaces ``https://api.x.com`` so a simulator can stand in.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import httpx

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    RateLimited,
    SendResult,
    TransientError,
)

DEFAULT_API_BASE = "https://api.x.com"
MAX_POST_LENGTH = 280
MAX_DM_LENGTH = 10_000
URL_WEIGHT = 23
DEFAULT_RETRY_AFTER = 60.0
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
#: twitter-text v3 config: code points in these ranges weigh 1, all others 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def weighted_length(text: str) -> int:
    """Length as X counts it (twitter-text v3, simplified): NFC, any URL 23, CJK/emoji 2.

    Emoji sequences joined by ZWJ count once per code point, so we may refuse slightly early,
    never too late.
    """
    text = unicodedata.normalize("NFC", text)
    urls = _URL.findall(text)
    rest = _URL.sub("", text)
    return URL_WEIGHT * len(urls) + sum(_weight(char) for char in rest)


def _weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in _LIGHT_RANGES) else 2


class XSender:
    """Sender for X: public replies as Posts, private replies as Direct Messages."""

    def __init__(self, client: httpx.Client, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        if reply.visibility is MessageVisibility.PUBLIC:
            return self._post(channel, reply)
        return self._direct_message(channel, reply)

    def like(self, channel: ChannelContext, tweet_id: str) -> None:
        """Like ``tweet_id`` as the channel's account (``settings["user_id"]`` is its X id)."""
        user_id = channel.settings.get("user_id")
        if not user_id:
            raise PermanentError("this X channel does not know its own user id")
        self._request(channel, f"/2/users/{user_id}/likes", {"tweet_id": tweet_id})

    def _post(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        if not reply.reply_to_external_id:
            raise PermanentError("a public reply on X needs the post it answers")
        _check_length(reply.text, MAX_POST_LENGTH, "a post")
        body = {"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.reply_to_external_id}}
        data = self._request(channel, "/2/tweets", body)
        return SendResult(external_id=_field(data, "id"), raw=data)

    def _direct_message(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        recipient = reply.recipient_platform_user_id
        if not recipient:
            raise PermanentError("a direct message on X needs the customer's user id")
        _check_length(reply.text, MAX_DM_LENGTH, "a direct message")
        path = f"/2/dm_conversations/with/{recipient}/messages"
        data = self._request(channel, path, {"text": reply.text})
        return SendResult(external_id=_field(data, "dm_event_id"), raw=data)

    def _request(self, channel: ChannelContext, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = channel.credentials.get("access_token")
        if not token:
            raise AuthFailed("this X channel has no access token; connect it again")
        base = str(channel.settings.get("api_base") or DEFAULT_API_BASE).rstrip("/")
        try:
            response = self._client.post(
                base + path, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"X did not answer in time ({exc})") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"could not reach X ({exc.__class__.__name__})") from exc
        return self._data(response)

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status in (401, 403):
            raise AuthFailed(f"X refused our credentials (HTTP {status}): {_reason(response)}")
        if status == 429:
            raise RateLimited("X asked us to slow down", self._retry_after(response))
        if status >= 500:
            raise TransientError(f"X failed (HTTP {status})")
        if status >= 400:
            raise PermanentError(f"X refused the message (HTTP {status}): {_reason(response)}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise TransientError("X answered with something that is not JSON") from exc
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise PermanentError(f"X did not confirm the message: {_reason(response)}")
        return data

    def _retry_after(self, response: httpx.Response) -> float:
        reset = response.headers.get("x-rate-limit-reset")
        retry_after = response.headers.get("Retry-After")
        try:
            if reset is not None:
                return max(1.0, float(reset) - self._clock())
            if retry_after is not None:
                return max(1.0, float(retry_after))
        except ValueError:
            pass
        return DEFAULT_RETRY_AFTER


def _check_length(text: str, limit: int, what: str) -> None:
    length = weighted_length(text)
    if length > limit:
        raise PermanentError(f"{what} on X may be at most {limit} characters; this one is {length}")


def _field(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not value:
        raise PermanentError(f"X confirmed the message without {key}")
    return str(value)


def _reason(response: httpx.Response) -> str:
    """X's own words: a Problem's ``detail``/``title`` or the first of ``errors``."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200] or "no reason given"
    if not isinstance(payload, dict):
        return str(payload)[:200]
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        payload = {**errors[0], **payload}
    for key in ("detail", "title", "message", "error"):
        if isinstance(payload.get(key), str):
            return str(payload[key])[:200]
    return "no reason given"
