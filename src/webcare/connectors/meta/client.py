"""Replies, moderation and "test connection" for Facebook Pages and Instagram, via Graph v23.0.

Followed (developers.facebook.com):

* Facebook public reply: Graph API reference "Object Comments" ``POST /{object-id}/comments``
  with ``{"message"}`` → ``{"id"}`` (works for a Page post and for a comment);
* Instagram public reply: "IG Comment Replies" ``POST /{ig-comment-id}/replies`` with
  ``{"message"}`` → ``{"id"}``;
* private replies and DMs: Messenger Platform "Send API Reference" ``POST /{page-id}/messages``
  and Instagram "Send a Private Reply to a Commenter" / "Send a Message"
  ``POST /{ig-user-id}/messages`` with ``{"recipient", "messaging_type", "message": {"text"}}``
  → ``{"recipient_id", "message_id"}``. ``recipient`` is ``{"comment_id"}`` for a private reply
  to a comment ("Private Replies": once per comment, within 7 days of it) and ``{"id": PSID or
  IGSID}`` for a DM;
* messaging windows ("Messenger Platform and IG Messaging API policy", "Message Tags"): within
  24 hours of the customer's last message ``messaging_type: RESPONSE``; up to 7 days
  ``messaging_type: MESSAGE_TAG`` with ``tag: HUMAN_AGENT`` (Messenger and Instagram); later
  is refused here, before any request, with a reason the agent can act on;
* moderation: "Comment" ``POST /{comment-id}`` with ``is_hidden`` and "Object Likes"
  ``POST /{object-id}/likes`` (Facebook); "IG Comment" ``POST /{ig-comment-id}`` with ``hide``
  (Instagram has no like for a business account). All answer ``{"success": true}``.

Which private kind: a Graph object id (digits, optionally ``<post>_<comment>``) names a
comment or post, so a private reply goes to it; a Messenger/Instagram ``mid`` never has that
shape, so a reply in a DM thread goes to the customer's id.

Length limits come from :mod:`webcare.channel.composing` (Messenger 2,000, Instagram DM 1,000,
Facebook comment 8,000, Instagram comment 2,200) and are checked before sending.

Graph has no idempotency key: a crash between Meta's answer and our commit can make the send
job's at-least-once delivery show a reply twice. ``reply.idempotency_key`` is therefore
unused here; the send job's "sent once" bookkeeping is what keeps retries from repeating.
Settings: ``page_id`` (Facebook), ``ig_user_id`` (Instagram), ``api_base`` (default
``https://graph.facebook.com``), ``graph_version`` (default ``v23.0``); credentials:
``page_access_token``. Errors: see :mod:`.graph`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from webcare.channel import composing
from webcare.channel.ports import (
    Action,
    ChannelContext,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    SendResult,
)
from webcare.connectors.meta.graph import Graph
from webcare.kit.time import utc_now

FACEBOOK = "facebook"
INSTAGRAM = "instagram"
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
_GRAPH_OBJECT_ID = re.compile(r"\d+(_\d+)?")

Clock = Callable[[], datetime]


class MetaSender:
    """Sender for a Facebook Page (``platform="facebook"``) or Instagram account."""

    def __init__(self, client: httpx.Client, platform: str = FACEBOOK, clock: Clock = utc_now):
        self._graph = Graph(client, platform)
        self._platform = platform
        self._clock = clock

    @classmethod
    def facebook(cls, client: httpx.Client) -> MetaSender:
        return cls(client, FACEBOOK)

    @classmethod
    def instagram(cls, client: httpx.Client) -> MetaSender:
        return cls(client, INSTAGRAM)

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        if reply.visibility is MessageVisibility.PUBLIC:
            return self._comment(channel, reply)
        target = reply.reply_to_external_id
        if target and _GRAPH_OBJECT_ID.fullmatch(target):
            return self._private_reply(channel, reply, target)
        return self._direct_message(channel, reply)

    def _comment(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        target = reply.reply_to_external_id
        if not target:
            raise PermanentError(
                f"a public reply on {self._graph.name} needs the comment it answers"
            )
        self._check_length(reply.text, MessageVisibility.PUBLIC, "a comment")
        edge = "replies" if self._platform == INSTAGRAM else "comments"
        data = self._graph.post(channel, f"/{target}/{edge}", {"message": reply.text})
        return SendResult(external_id=_field(data, "id", self._graph.name), raw=data)

    def _private_reply(
        self, channel: ChannelContext, reply: OutboundReply, comment_id: str
    ) -> SendResult:
        age = self._age(reply.customer_last_message_at)
        if age is not None and age > PRIVATE_REPLY_WINDOW:
            raise PermanentError(
                f"{self._graph.name} allows a private reply to a comment only within 7 days of "
                f"it; this comment is {_days(age)} old. Answer publicly instead."
            )
        # A Page post's id is "<page-id>_<n>" (a visitor post); a comment's is "<post>_<n>".
        page_id = str(channel.settings.get("page_id") or "")
        is_post = (
            self._platform == FACEBOOK and bool(page_id) and comment_id.startswith(page_id + "_")
        )
        recipient = {"post_id" if is_post else "comment_id": comment_id}
        body = {"recipient": recipient, "messaging_type": "RESPONSE"}
        return self._message(channel, reply, body)

    def _direct_message(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        recipient = reply.recipient_platform_user_id
        if not recipient:
            raise PermanentError(
                f"a direct message on {self._graph.name} needs the customer's id; none is known"
            )
        body: dict[str, Any] = {"recipient": {"id": recipient}, **self._window(reply)}
        return self._message(channel, reply, body)

    def _window(self, reply: OutboundReply) -> dict[str, str]:
        """``messaging_type`` (and tag) for a DM, or a refusal once 7 days have passed."""
        age = self._age(reply.customer_last_message_at)
        if age is None or age <= STANDARD_WINDOW:
            return {"messaging_type": "RESPONSE"}
        if age <= HUMAN_AGENT_WINDOW:
            return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        raise PermanentError(
            f"{self._graph.name} lets an agent answer a direct message only within 7 days of the "
            f"customer's last message; it was {_days(age)} ago. Wait until the customer writes "
            "again, or answer on another channel."
        )

    def _message(
        self, channel: ChannelContext, reply: OutboundReply, body: dict[str, Any]
    ) -> SendResult:
        self._check_length(reply.text, MessageVisibility.PRIVATE, "a private message")
        account = self._account_id(channel)
        data = self._graph.post(
            channel, f"/{account}/messages", {**body, "message": {"text": reply.text}}
        )
        return SendResult(external_id=_field(data, "message_id", self._graph.name), raw=data)

    def _account_id(self, channel: ChannelContext) -> str:
        key = "ig_user_id" if self._platform == INSTAGRAM else "page_id"
        value = channel.settings.get(key)
        if not value:
            raise PermanentError(f"this {self._graph.name} channel has no {key} in its settings")
        return str(value)

    def _check_length(self, text: str, visibility: MessageVisibility, what: str) -> None:
        limit = composing.max_length(self._platform, visibility.value)
        if len(text) > limit:
            raise PermanentError(
                f"{what} on {self._graph.name} may be at most {limit} characters; "
                f"this one is {len(text)}"
            )

    def _age(self, at: datetime | None) -> timedelta | None:
        return None if at is None else self._clock() - at


class MetaActor:
    """Hides, unhides and (on Facebook) likes a customer's comment."""

    def __init__(self, client: httpx.Client, platform: str = FACEBOOK) -> None:
        self._graph = Graph(client, platform)
        self._platform = platform

    @classmethod
    def facebook(cls, client: httpx.Client) -> MetaActor:
        return cls(client, FACEBOOK)

    @classmethod
    def instagram(cls, client: httpx.Client) -> MetaActor:
        return cls(client, INSTAGRAM)

    def supported_actions(self) -> frozenset[Action]:
        if self._platform == INSTAGRAM:
            return frozenset({Action.HIDE, Action.UNHIDE})
        return frozenset({Action.LIKE, Action.HIDE, Action.UNHIDE})

    def perform(self, channel: ChannelContext, action: Action, target_external_id: str) -> None:
        if action not in self.supported_actions():
            raise PermanentError(f"{self._graph.name} does not support '{action.value}'")
        if action is Action.LIKE:
            data = self._graph.post(channel, f"/{target_external_id}/likes", {})
        else:
            hidden = action is Action.HIDE
            field = "hide" if self._platform == INSTAGRAM else "is_hidden"
            data = self._graph.post(channel, f"/{target_external_id}", {field: hidden})
        if data.get("success") is not True:
            raise PermanentError(f"{self._graph.name} did not confirm the {action.value}")


class MetaChecker:
    """ "Test connection": whose token is this? One cheap authenticated read."""

    def __init__(self, client: httpx.Client, platform: str = FACEBOOK) -> None:
        self._graph = Graph(client, platform)
        self._platform = platform

    @classmethod
    def facebook(cls, client: httpx.Client) -> MetaChecker:
        return cls(client, FACEBOOK)

    @classmethod
    def instagram(cls, client: httpx.Client) -> MetaChecker:
        return cls(client, INSTAGRAM)

    def check(self, channel: ChannelContext) -> str:
        ig_user_id = channel.settings.get("ig_user_id")
        if self._platform == INSTAGRAM and ig_user_id:
            data = self._graph.get(channel, f"/{ig_user_id}", {"fields": "id,username"})
            return f"Connected as @{data.get('username') or data.get('id')}"
        data = self._graph.get(channel, "/me", {"fields": "id,name"})
        return f"Connected as {data.get('name') or data.get('id')}"


def _field(data: dict[str, Any], key: str, platform: str) -> str:
    value = data.get(key)
    if not value:
        raise PermanentError(f"{platform} confirmed the message without {key}")
    return str(value)


def _days(age: timedelta) -> str:
    days = age.total_seconds() / 86400
    return f"{days:.0f} days" if days >= 1.5 else f"{age.total_seconds() / 3600:.0f} hours"
