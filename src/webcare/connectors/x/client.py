"""Sends replies through the X API v2 with the account's OAuth 2.0 user token.

Followed: the official X API v2 OpenAPI spec (``xdevplatform/xdk`` ``specs/openapi.json``):

* public reply: ``POST /2/tweets`` with ``{"text", "reply": {"in_reply_to_tweet_id"}}``
  (``CreatePostsRequest``) → 201 ``{"data": {"id", "text"}}``;
* private reply: ``POST /2/dm_conversations/with/{participant_id}/messages`` with ``{"text"}``
  → 201 ``{"data": {"dm_conversation_id", "dm_event_id"}}``;
* like: ``POST /2/users/{id}/likes`` with ``{"tweet_id"}`` → 200 ``{"data": {"liked"}}``;
* failures: ``Problem`` objects (``{"title", "detail", "type"}``) or ``{"errors": [...]}``; rate
  limits per docs.x.com "Rate limits": 429 with ``x-rate-limit-reset`` (Unix seconds).

Errors map onto the ports' tree in ``api.py`` (401 → :class:`AuthFailed`, 429 →
:class:`RateLimited`, 5xx → :class:`TransientError`, other refusals → :class:`PermanentError`
with X's own explanation). Text that X would refuse as too long is refused *before* sending,
so no request is spent on it. :class:`XActor` (like, hide and unhide a reply:
``PUT /2/tweets/{id}/hidden`` with ``{"hidden"}``) and :class:`XChecker` (``GET /2/users/me``)
use the same request path.

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
    Action,
    ChannelContext,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    SendResult,
)
from webcare.connectors.x.api import XApi, reason

MAX_POST_LENGTH = 280
MAX_DM_LENGTH = 10_000
URL_WEIGHT = 23
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
        self._api = XApi(client, clock)

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        if reply.visibility is MessageVisibility.PUBLIC:
            return self._post(channel, reply)
        return self._direct_message(channel, reply)

    def like(self, channel: ChannelContext, tweet_id: str) -> None:
        """Like ``tweet_id`` as the channel's account (``settings["user_id"]`` is its X id)."""
        XActor(self._api).perform(channel, Action.LIKE, tweet_id)

    def _post(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        if not reply.reply_to_external_id:
            raise PermanentError("a public reply on X needs the post it answers")
        _check_length(reply.text, MAX_POST_LENGTH, "a post")
        body = {"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.reply_to_external_id}}
        data = _data(self._api.post(channel, "/2/tweets", body))
        return SendResult(external_id=_field(data, "id"), raw=data)

    def _direct_message(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        recipient = reply.recipient_platform_user_id
        if not recipient:
            raise PermanentError("a direct message on X needs the customer's user id")
        _check_length(reply.text, MAX_DM_LENGTH, "a direct message")
        path = f"/2/dm_conversations/with/{recipient}/messages"
        data = _data(self._api.post(channel, path, {"text": reply.text}))
        return SendResult(external_id=_field(data, "dm_event_id"), raw=data)


class XActor:
    """Likes a customer's post, or hides/unhides a reply in a conversation we started."""

    def __init__(self, client: httpx.Client | XApi, clock: Callable[[], float] = time.time) -> None:
        self._api = client if isinstance(client, XApi) else XApi(client, clock)

    def supported_actions(self) -> frozenset[Action]:
        return frozenset({Action.LIKE, Action.HIDE, Action.UNHIDE})

    def perform(self, channel: ChannelContext, action: Action, target_external_id: str) -> None:
        if not target_external_id.isdigit():
            raise PermanentError(f"{target_external_id!r} is not an X post id")
        if action is Action.LIKE:
            user_id = own_user_id(channel)
            body = {"tweet_id": target_external_id}
            _data(self._api.post(channel, f"/2/users/{user_id}/likes", body))
            return
        path = f"/2/tweets/{target_external_id}/hidden"
        _data(self._api.put(channel, path, {"hidden": action is Action.HIDE}))


class XChecker:
    """ "Test connection": ``GET /2/users/me`` names the account the token belongs to."""

    def __init__(self, client: httpx.Client, clock: Callable[[], float] = time.time) -> None:
        self._api = XApi(client, clock)

    def check(self, channel: ChannelContext) -> str:
        user = _data(self._api.get(channel, "/2/users/me"))
        username = user.get("username")
        if not username:
            raise PermanentError("X did not say which account the token belongs to")
        expected = channel.settings.get("user_id")
        if expected and str(user.get("id")) != str(expected):
            raise PermanentError(
                f"the token belongs to @{username}, not to the account this channel is for"
            )
        return f"connected as @{username}"


def own_user_id(channel: ChannelContext) -> str:
    """The channel's own X user id (``settings["user_id"]``), needed by user-scoped paths."""
    user_id = channel.settings.get("user_id")
    if not user_id or not str(user_id).isdigit():
        raise PermanentError("this X channel does not know its own user id")
    return str(user_id)


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    if not isinstance(data, dict):
        raise PermanentError(f"X did not confirm the request: {_payload_reason(payload)}")
    return data


def _payload_reason(payload: dict[str, Any]) -> str:
    return reason(httpx.Response(200, json=payload))


def _check_length(text: str, limit: int, what: str) -> None:
    length = weighted_length(text)
    if length > limit:
        raise PermanentError(f"{what} on X may be at most {limit} characters; this one is {length}")


def _field(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not value:
        raise PermanentError(f"X confirmed the message without {key}")
    return str(value)
