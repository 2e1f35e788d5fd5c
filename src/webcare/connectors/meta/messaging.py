"""``entry[].messaging[]``: Messenger and Instagram direct messages.

Followed: the Messenger Platform webhook events reference (``messages``, ``message_echoes``,
``message_edits``, ``messaging_postbacks``, ``message_reads``, ``message_deliveries``;
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events) and the
Instagram Platform "Webhook Notification Examples" for DMs, story replies and story mentions
(https://developers.facebook.com/docs/instagram-platform/webhooks/examples).

Every DM is a private thread with the sender. Quick replies and postbacks are the customer
tapping a button, so their visible title is the message text. Echoes (``is_echo``, or a sender
that is us) are replies we sent ourselves and are skipped; reads, deliveries, reactions,
typing and referrals are not messages and are skipped too. Instagram's unsend
(``is_deleted``) becomes a deletion and ``message_edit`` an edit, both applied by ``mid``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from webcare.channel.ports import (
    Attachment,
    Author,
    ConversationKind,
    InboundDeletion,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    MessageVisibility,
)
from webcare.connectors.meta import payload as p

#: Attachment ``type`` → our kind. Shared posts and reels are links to content, not files.
_ATTACHMENT_KINDS = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "file": "file",
    "story_mention": "story_mention",
    "share": "link",
    "reel": "link",
    "ig_reel": "link",
    "fallback": "link",
}


def messaging_event(
    event: Mapping[str, Any],
    own_ids: frozenset[str],
    entry_time: Any,
    path: str,
    entry_time_path: str,
) -> InboundEvent | None:
    """One ``messaging`` item as a message, edit or deletion; None for everything else.

    ``entry_time`` (the entry's raw ``time``) is read only when the item has no
    ``timestamp`` of its own, so a receipt without one never makes a delivery invalid.
    """
    if not any(key in event for key in ("message", "message_edit", "postback")):
        return None
    sender = p.mapping(event.get("sender"), path + ".sender")
    if p.required_id(sender, "id", path + ".sender") in own_ids:
        return None
    if event.get("timestamp") is None:
        at = p.entry_time(entry_time, entry_time_path)
    else:
        at = p.epoch(event["timestamp"], p.MILLISECONDS, path + ".timestamp")
    if "message" in event:
        return _message(event, sender, at, path)
    if "message_edit" in event:
        edit = p.mapping(event["message_edit"], path + ".message_edit")
        mid = p.required_id(edit, "mid", path + ".message_edit")
        return InboundEdit(mid, p.text(edit, "text", path + ".message_edit"), at, raw=dict(event))
    if "postback" in event:
        return _postback(event, sender, at, path)
    return None


def _message(
    event: Mapping[str, Any], sender: Mapping[str, Any], at: datetime, path: str
) -> InboundEvent | None:
    mpath = path + ".message"
    message = p.mapping(event["message"], mpath)
    if message.get("is_echo") is True:
        return None
    mid = p.required_id(message, "mid", mpath)
    if message.get("is_deleted") is True:
        return InboundDeletion(mid, at, raw=dict(event))
    text = p.text(message, "text", mpath)
    if not text.strip():
        text = _quick_reply_payload(message)
    reply_to = p.mapping(message.get("reply_to") or {}, mpath + ".reply_to")
    attachments = _story(reply_to) + _attachments(message, mpath)
    if not (text.strip() or attachments):
        return None
    return _direct_message(
        event,
        mid,
        p.author(sender, path + ".sender"),
        text,
        at,
        attachments,
        reply_to=p.optional_id(reply_to, "mid", mpath + ".reply_to"),
    )


def _postback(
    event: Mapping[str, Any], sender: Mapping[str, Any], at: datetime, path: str
) -> InboundMessage | None:
    """A button tap: its title is what the customer saw; ``mid`` is absent in older versions."""
    ppath = path + ".postback"
    postback = p.mapping(event["postback"], ppath)
    text = p.text(postback, "title", ppath) or p.text(postback, "payload", ppath)
    author = p.author(sender, path + ".sender")
    mid = p.optional_id(postback, "mid", ppath)
    if not text.strip():
        return None
    if mid is None:
        mid = f"postback:{author.platform_user_id}:{int(at.timestamp() * 1000)}"
    return _direct_message(event, mid, author, text, at, ())


def _direct_message(
    event: Mapping[str, Any],
    mid: str,
    author: Author,
    text: str,
    at: datetime,
    attachments: tuple[Attachment, ...],
    reply_to: str | None = None,
) -> InboundMessage:
    return InboundMessage(
        external_id=mid,
        author=author,
        text=text,
        platform_time=at,
        kind=ConversationKind.PRIVATE_THREAD,
        visibility=MessageVisibility.PRIVATE,
        reply_to_external_id=reply_to,
        attachments=attachments,
        raw=dict(event),
    )


def _quick_reply_payload(message: Mapping[str, Any]) -> str:
    """A quick reply normally repeats its title as ``text``; the payload stands in without it."""
    quick_reply = message.get("quick_reply")
    if isinstance(quick_reply, Mapping):
        return p.optional_str(quick_reply.get("payload")) or ""
    return ""


def _attachments(message: Mapping[str, Any], path: str) -> tuple[Attachment, ...]:
    """Attachments with a URL; those without one (locations, templates) carry nothing to show."""
    found = []
    for _, attachment in p.items(message, "attachments", path):
        payload = attachment.get("payload")
        url = p.optional_str(payload.get("url")) if isinstance(payload, Mapping) else None
        if url is None:
            continue
        kind = _ATTACHMENT_KINDS.get(str(attachment.get("type")), "file")
        title = payload.get("title") if isinstance(payload, Mapping) else None
        found.append(Attachment(kind=kind, url=url, name=p.optional_str(title)))
    return tuple(found)


def _story(reply_to: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """The story an Instagram DM answers, shown next to the text (its URL expires in 24h)."""
    story = reply_to.get("story")
    url = p.optional_str(story.get("url")) if isinstance(story, Mapping) else None
    return (Attachment(kind="story", url=url),) if url else ()
