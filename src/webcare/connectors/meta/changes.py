"""``entry[].changes[]``: Facebook Page ``feed`` and Instagram ``comments``/``mentions``.

Followed: the Graph API Webhooks reference for Page ``feed``
(https://developers.facebook.com/docs/graph-api/webhooks/reference/page#feed) and the
Instagram Platform "Webhook Notification Examples"
(https://developers.facebook.com/docs/instagram-platform/webhooks/examples).

Threading: every comment under one post (or IG media) shares ``thread_external_id`` = the
post/media id, so a post and all its comments become one public conversation; a reply to a
comment also points ``reply_to_external_id`` at that comment. Page ``feed`` verbs: ``add``
is a new message, ``edited`` an edit, ``remove``/``hide`` a deletion (hidden comments are gone
for the public, so the inbox treats them alike); reactions and other items are not messages.
Comments written by our own account come back as ``add`` too: they are echoes of replies we
already store, so they are skipped (edits and deletions of them are kept, they apply by id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from webcare.channel.ports import (
    Attachment,
    ConversationKind,
    InboundDeletion,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    MessageVisibility,
)
from webcare.connectors.meta import payload as p

#: Feed items that carry words a customer wrote (visitor posts and comments).
_POST_ITEMS = frozenset({"post", "status", "photo", "video"})
_EDIT_VERBS = frozenset({"edited", "edit"})
_DELETE_VERBS = frozenset({"remove", "delete", "hide"})


@dataclass(frozen=True)
class MentionedComment:
    """An Instagram comment or caption that @mentions us; the webhook carries only ids.

    Its text and author must be fetched (``GET /{ig-user-id}?fields=mentioned_comment
    .comment_id(<comment_id>)``, or ``mentioned_media.media_id(<media_id>)`` for a caption,
    where ``comment_id`` is None) before it can become an :class:`InboundMessage`.
    """

    account_id: str
    media_id: str
    comment_id: str | None


def page_feed(change: Mapping[str, Any], own_ids: frozenset[str], path: str) -> InboundEvent | None:
    """One Page ``feed`` change as a message, edit or deletion; None when it is none of these."""
    value = p.mapping(change.get("value"), path + ".value")
    item, verb = value.get("item"), value.get("verb")
    if item != "comment" and item not in _POST_ITEMS:
        return None
    vpath = path + ".value"
    external_id = p.required_id(value, "comment_id" if item == "comment" else "post_id", vpath)
    at = p.epoch(value.get("created_time"), p.SECONDS, vpath + ".created_time")
    if verb in _EDIT_VERBS:
        return InboundEdit(external_id, p.text(value, "message", vpath), at, raw=dict(change))
    if verb in _DELETE_VERBS:
        return InboundDeletion(external_id, at, raw=dict(change))
    if verb != "add":
        return None
    return _feed_message(change, value, external_id, at, own_ids, vpath)


def _feed_message(
    change: Mapping[str, Any],
    value: Mapping[str, Any],
    external_id: str,
    at: datetime,
    own_ids: frozenset[str],
    path: str,
) -> InboundMessage | None:
    author = p.author(p.mapping(value.get("from"), path + ".from"), path + ".from")
    text = p.text(value, "message", path)
    attachments = _feed_attachments(value)
    if author.platform_user_id in own_ids or not (text.strip() or attachments):
        return None
    post_id = p.required_id(value, "post_id", path)
    parent_id = p.optional_id(value, "parent_id", path)
    return InboundMessage(
        external_id=external_id,
        author=author,
        text=text,
        platform_time=at,
        kind=ConversationKind.PUBLIC_THREAD,
        visibility=MessageVisibility.PUBLIC,
        reply_to_external_id=parent_id if parent_id not in (None, post_id) else None,
        thread_external_id=post_id,
        attachments=attachments,
        raw=dict(change),
    )


def _feed_attachments(value: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """A comment's ``photo``/``video`` URL, or a photo post's ``link``."""
    found = []
    for key, kind in (("photo", "image"), ("video", "video")):
        url = p.optional_str(value.get(key))
        if url is not None:
            found.append(Attachment(kind=kind, url=url))
    link = p.optional_str(value.get("link"))
    if not found and link is not None and value.get("item") in ("photo", "video"):
        found.append(Attachment(kind="image" if value["item"] == "photo" else "video", url=link))
    return tuple(found)


def instagram_comment(
    change: Mapping[str, Any], own_ids: frozenset[str], entry_time: datetime, path: str
) -> InboundMessage | None:
    """An Instagram comment; the payload has no creation time, so the entry's time stands in."""
    vpath = path + ".value"
    value = p.mapping(change.get("value"), vpath)
    author = p.author(p.mapping(value.get("from"), vpath + ".from"), vpath + ".from")
    text = p.text(value, "text", vpath)
    if author.platform_user_id in own_ids or not text.strip():
        return None
    media = p.mapping(value.get("media"), vpath + ".media")
    return InboundMessage(
        external_id=p.required_id(value, "id", vpath),
        author=author,
        text=text,
        platform_time=entry_time,
        kind=ConversationKind.PUBLIC_THREAD,
        visibility=MessageVisibility.PUBLIC,
        reply_to_external_id=p.optional_id(value, "parent_id", vpath),
        thread_external_id=p.required_id(media, "id", vpath + ".media"),
        raw=dict(change),
    )


def instagram_mention(change: Mapping[str, Any], account_id: str, path: str) -> MentionedComment:
    value = p.mapping(change.get("value"), path + ".value")
    return MentionedComment(
        account_id=account_id,
        media_id=p.required_id(value, "media_id", path + ".value"),
        comment_id=p.optional_id(value, "comment_id", path + ".value"),
    )
