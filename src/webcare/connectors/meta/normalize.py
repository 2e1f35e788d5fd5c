"""Meta webhook deliveries → inbound messages, edits and deletions.

Followed: Graph API "Webhooks" (https://developers.facebook.com/docs/graph-api/webhooks) for
the envelope ``{"object", "entry": [{"id", "time", "changes" | "messaging"}]}``; the per-field
pages are cited in :mod:`.changes` and :mod:`.messaging`.

* ``object: "page"``: ``changes`` of field ``feed`` (Page posts and comments) and
  ``messaging`` (Messenger).
* ``object: "instagram"``: ``changes`` of field ``comments`` (and ``mentions``, which carry
  only ids: see :func:`mentions_to_fetch`) and ``messaging`` (Instagram DMs).

Invariants: ``entry[].id`` is the Page or Instagram account the subscription is for, i.e. us,
so it always counts as an own id besides ``own_ids``: an echo can never loop back in as a
customer message. Unknown objects, fields and event types are skipped (Meta adds them without
notice); a structurally broken payload raises :class:`Invalid` naming the path, and nothing is
returned half-parsed. The output is a pure function of the payload, so a redelivered entry
yields identical events and deduplication by external id happens downstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webcare.channel.ports import InboundDeletion, InboundEdit, InboundEvent, InboundMessage
from webcare.connectors.meta import payload as p
from webcare.connectors.meta.changes import (
    MentionedComment,
    instagram_comment,
    instagram_mention,
    page_feed,
)
from webcare.connectors.meta.messaging import messaging_event
from webcare.kit.errors import Invalid

PAGE = "page"
INSTAGRAM = "instagram"

__all__ = ["MentionedComment", "mentions_to_fetch", "normalize"]


def normalize(
    payload: Mapping[str, Any], *, own_ids: frozenset[str]
) -> list[InboundMessage | InboundEdit | InboundDeletion]:
    """All customer messages, edits and deletions in one delivery, in payload order.

    ``own_ids`` are the ids our Page/Instagram account posts under (added to each entry's id).
    """
    events: list[InboundEvent] = []
    for path, entry in _entries(payload):
        events.extend(_entry(str(payload["object"]), entry, own_ids, path))
    return events


def mentions_to_fetch(payload: Mapping[str, Any]) -> list[MentionedComment]:
    """The Instagram @mentions in a delivery, whose text the client must fetch by id."""
    if _object(payload) != INSTAGRAM:
        return []
    found = []
    for path, entry in _entries(payload):
        account_id = p.required_id(entry, "id", path)
        for cpath, change in p.items(entry, "changes", path):
            if change.get("field") == "mentions":
                found.append(instagram_mention(change, account_id, cpath))
    return found


def _entries(payload: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The entries of a page/instagram delivery; none for objects we do not handle."""
    if _object(payload) not in (PAGE, INSTAGRAM):
        return []
    if not isinstance(payload.get("entry"), list):
        raise Invalid("entry must be a list")
    return p.items(payload, "entry", "payload")


def _object(payload: Mapping[str, Any]) -> Any:
    if not isinstance(payload, Mapping):
        raise Invalid("a Meta webhook payload must be a JSON object")
    return payload.get("object")


def _entry(
    obj: str, entry: Mapping[str, Any], own_ids: frozenset[str], path: str
) -> list[InboundEvent]:
    own = own_ids | {p.required_id(entry, "id", path)}
    events: list[InboundEvent | None] = []
    for cpath, change in p.items(entry, "changes", path):
        events.append(_change(obj, entry, change, own, cpath, path))
    for mpath, event in p.items(entry, "messaging", path):
        events.append(messaging_event(event, own, entry.get("time"), mpath, path + ".time"))
    return [event for event in events if event is not None]


def _change(
    obj: str,
    entry: Mapping[str, Any],
    change: Mapping[str, Any],
    own: frozenset[str],
    path: str,
    entry_path: str,
) -> InboundEvent | None:
    field = change.get("field")
    if obj == PAGE and field == "feed":
        return page_feed(change, own, path)
    if obj == INSTAGRAM and field in ("comments", "live_comments"):
        at = p.entry_time(entry.get("time"), entry_path + ".time")
        return instagram_comment(change, own, at, path)
    return None
