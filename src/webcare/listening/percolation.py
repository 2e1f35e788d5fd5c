"""Percolating every new public message and mention against its workspace's saved queries.

Ingestion is never slowed down: the periodic job ``listening.percolate`` (tasks.py) reads
items with ``id >`` a stored cursor, in batches, long after their request committed.

- **One batch at a time.** Each stream (messages, mentions) has one ``listening_cursors`` row,
  shared by all workspaces, locked (``kit.db.lock_row``) while its batch is processed; the
  hits and the cursor's new position are written in that same transaction. Two workers never
  process the same batch: the second waits for the lock, then reads past the first's batch.
- **Settled items only.** An id is taken when its row is inserted, but the row is visible only
  at commit, so a slow transaction could commit id 100 after id 101 was percolated and the
  cursor had moved on. Only items received more than :data:`SETTLE` ago are taken, and the
  batch stops at the first younger one (ingestion transactions last milliseconds).
- **What is listened to.** Inbound public messages of the brand's channels (not its replies,
  not private messages, not deleted ones, not the ``web`` account's copies of mentions, which
  are percolated as mentions) and every mention.
- **Language.** Platforms do not say a post's language; when a workspace has a query with
  ``language:``, its messages get one from :func:`enrichment.language.detect_language`.
- **Compiled once per process.** Each workspace's :class:`Percolator` is cached with the
  workspace's query version; one query per batch reads the versions, and a workspace whose
  queries changed (on any server) is rebuilt before its items are matched.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from webcare.channel.models import Platform
from webcare.conversation.models import Direction, Visibility
from webcare.enrichment.language import UNDETERMINED, detect_language
from webcare.kit.crypto import SecretBox
from webcare.kit.time import utc_now
from webcare.listening import proactive, repository
from webcare.listening.models import CursorName, ListeningQuery, Mention
from webcare.listening.proactive import Route
from webcare.listening.query import Document, Percolator, QueryError, parse, prepare
from webcare.listening.query.ast import And, FieldMatch, Node, Not, Or
from webcare.listening.query.text import domain_of

#: How long after it was received an item is percolated at the earliest (see module doc).
SETTLE = timedelta(seconds=5)
BATCH_SIZE = 500
#: Batches per stream per job run: one job stays short (SQLite holds its write lock).
MAX_BATCHES = 20

#: The site of an own-channel message, so ``site:`` and ``NOT site:`` work on them too.
PLATFORM_SITES = {
    Platform.X.value: "x.com",
    Platform.FACEBOOK.value: "facebook.com",
    Platform.INSTAGRAM.value: "instagram.com",
    Platform.GOOGLE_REVIEWS.value: "google.com",
    Platform.WHATSAPP.value: "whatsapp.com",
}


@dataclass
class Compiled:
    """One workspace's enabled queries: matcher and routing, at one version."""

    version: str | None
    percolator: Percolator = field(default_factory=Percolator)
    routes: dict[int, Route] = field(default_factory=dict)
    #: Some query asks for ``language:``: own-channel messages then get their language
    #: detected (platforms do not say it; mentions bring theirs).
    needs_language: bool = False


class PercolatorCache:
    """Compiled percolators per workspace, rebuilt when the version in the database moved."""

    def __init__(self) -> None:
        self._entries: dict[int, Compiled] = {}
        self._lock = threading.Lock()

    def for_workspaces(self, session: Session, workspace_ids: set[int]) -> dict[int, Compiled]:
        current = repository.versions(session, sorted(workspace_ids)) if workspace_ids else {}
        found: dict[int, Compiled] = {}
        for workspace_id in workspace_ids:
            version = current.get(workspace_id)
            with self._lock:
                entry = self._entries.get(workspace_id)
            if entry is None or entry.version != version:
                entry = build(repository.list_queries(session, workspace_id, enabled_only=True))
                entry.version = version
                with self._lock:
                    self._entries[workspace_id] = entry
            found[workspace_id] = entry
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def build(queries: Sequence[ListeningQuery]) -> Compiled:
    """A percolator over ``queries`` (a stored query that no longer parses is left out)."""
    compiled = Compiled(version=None)
    for query in queries:
        try:
            node = parse(query.query).node
        except QueryError:
            continue  # saved text always parsed; only a parser change could get here
        compiled.percolator.add(query.id, node)
        compiled.routes[query.id] = route_of(query)
        compiled.needs_language = compiled.needs_language or uses_language(node)
    return compiled


def uses_language(node: Node) -> bool:
    """Whether ``node`` has a ``language:`` field anywhere."""
    if isinstance(node, FieldMatch):
        return node.field == "language"
    if isinstance(node, And | Or):
        return any(uses_language(child) for child in node.children)
    if isinstance(node, Not):
        return uses_language(node.child)
    return False


def route_of(query: ListeningQuery) -> Route:
    return Route(
        query_id=query.id,
        route_to_inbox=query.route_to_inbox,
        team_id=query.team_id,
        label_id=query.label_id,
        priority=query.priority,
    )


#: The process's cache; tests may pass their own.
CACHE = PercolatorCache()


@dataclass
class Outcome:
    """What one run did, per stream: items looked at and hits stored."""

    messages: int = 0
    mentions: int = 0
    hits: int = 0
    conversations: list[int] = field(default_factory=list)
    #: True when a stream still had items after ``max_batches``: run again soon.
    more: bool = False


def run(
    session: Session,
    box: SecretBox,
    *,
    until: datetime | None = None,
    max_batches: int = MAX_BATCHES,
    batch_size: int = BATCH_SIZE,
    cache: PercolatorCache = CACHE,
) -> Outcome:
    """Percolate new messages and mentions received before ``until`` (default: now − SETTLE)."""
    cutoff = until or utc_now() - SETTLE
    outcome = Outcome()
    for _ in range(max_batches):
        taken = percolate_messages(session, cutoff, batch_size, cache, outcome)
        if taken < batch_size:
            break
    else:
        outcome.more = True
    for _ in range(max_batches):
        taken = percolate_mentions(session, box, cutoff, batch_size, cache, outcome)
        if taken < batch_size:
            break
    else:
        outcome.more = True
    return outcome


def percolate_messages(
    session: Session, cutoff: datetime, batch_size: int, cache: PercolatorCache, outcome: Outcome
) -> int:
    """One batch of messages; returns how many were taken (0: nothing settled to take)."""
    cursor = repository.lock_cursor(session, CursorName.MESSAGES.value)
    rows = _settled(repository.messages_after(session, cursor.last_id, batch_size), cutoff)
    if not rows:
        return 0
    listened = [r for r in rows if is_listened(r)]
    compiled = cache.for_workspaces(session, {r.workspace_id for r in listened})
    hit_rows: list[dict[str, Any]] = []
    for row in listened:
        entry = compiled[row.workspace_id]
        if not len(entry.percolator):
            continue
        document = message_document(row, detect=entry.needs_language)
        for query_id in entry.percolator.match(prepare(document)):
            hit_rows.append(hit_row(row.workspace_id, query_id, row.platform_time, row, None))
    new = repository.insert_hits(session, hit_rows)
    by_workspace: dict[int, list[tuple[Route, int]]] = {}
    workspace_of = {r.id: r.workspace_id for r in listened}
    conversation_of = {r.id: r.conversation_id for r in listened}
    for _hit_id, query_id, message_id, _mention_id in new:
        assert message_id is not None
        workspace_id = workspace_of[message_id]
        route = compiled[workspace_id].routes[query_id]
        by_workspace.setdefault(workspace_id, []).append((route, message_id))
    for workspace_id, hits in by_workspace.items():
        proactive.route_message_hits(session, workspace_id, hits, conversation_of)
    cursor.last_id = rows[-1].id
    cursor.updated_at = utc_now()
    session.flush()
    outcome.messages += len(rows)
    outcome.hits += len(new)
    return len(rows)


def percolate_mentions(
    session: Session,
    box: SecretBox,
    cutoff: datetime,
    batch_size: int,
    cache: PercolatorCache,
    outcome: Outcome,
) -> int:
    """One batch of mentions (routed hits open proactive conversations); returns how many."""
    cursor = repository.lock_cursor(session, CursorName.MENTIONS.value)
    mentions = _settled(repository.mentions_after(session, cursor.last_id, batch_size), cutoff)
    if not mentions:
        return 0
    compiled = cache.for_workspaces(session, {m.workspace_id for m in mentions})
    hit_rows: list[dict[str, Any]] = []
    for mention in mentions:
        entry = compiled[mention.workspace_id]
        if not len(entry.percolator):
            continue
        for query_id in entry.percolator.match(prepare(mention_document(mention))):
            hit_rows.append(
                hit_row(mention.workspace_id, query_id, mention.published_at, None, mention)
            )
    new = repository.insert_hits(session, hit_rows)
    by_id = {m.id: m for m in mentions}
    by_workspace: dict[int, list[tuple[Route, Mention]]] = {}
    for _hit_id, query_id, _message_id, mention_id in new:
        assert mention_id is not None
        mention = by_id[mention_id]
        route = compiled[mention.workspace_id].routes[query_id]
        by_workspace.setdefault(mention.workspace_id, []).append((route, mention))
    for workspace_id, hits in by_workspace.items():
        outcome.conversations += proactive.route_mention_hits(session, box, workspace_id, hits)
    cursor.last_id = mentions[-1].id
    cursor.updated_at = utc_now()
    session.flush()
    outcome.mentions += len(mentions)
    outcome.hits += len(new)
    return len(mentions)


def is_listened(row: Any) -> bool:
    """Whether a message row (from :func:`repository.messages_after`) is percolated."""
    return (
        row.direction == Direction.INBOUND.value
        and row.visibility == Visibility.PUBLIC.value
        and row.deleted_at is None
        and row.platform != Platform.WEB.value
    )


def message_document(row: Any, *, detect: bool = False) -> Document:
    """What a query sees of an own-channel message (its language only when ``detect``)."""
    language = None
    if detect:
        guess = detect_language(row.text or "").code
        language = None if guess == UNDETERMINED else guess
    return Document(
        text=row.text or "",
        author=row.author_handle or row.author_name,
        site=PLATFORM_SITES.get(row.platform),
        language=language,
        author_followers=row.follower_count,
        author_verified=row.verified,
        engagement_type="REPLY" if row.reply_to_external_id else None,
        rating=row.rating,
        channel_id=row.account_handle,
    )


def mention_document(mention: Mention) -> Document:
    """What a query sees of a mention: its title counts as text too (and for ``title:``)."""
    text = f"{mention.title}\n{mention.text}" if mention.title else mention.text
    return Document(
        text=text,
        author=mention.author,
        site=domain_of(mention.url) if mention.url else None,
        url=mention.url,
        language=mention.lang,
        author_followers=mention.reach,
        title=mention.title,
    )


def _settled(items: list[Any], cutoff: datetime) -> list[Any]:
    """The leading run of ``items`` received before ``cutoff``."""
    for i, item in enumerate(items):
        if item.received_at >= cutoff:
            return items[:i]
    return items


def hit_row(
    workspace_id: int, query_id: int, at: datetime, row: Any, mention: Mention | None
) -> dict[str, Any]:
    if mention is not None:
        author = mention.author or (domain_of(mention.url) if mention.url else None)
        return {
            "workspace_id": workspace_id,
            "query_id": query_id,
            "message_id": None,
            "mention_id": mention.id,
            "item_time": at,
            "author": author[:200] if author else None,
            "reach": mention.reach,
            "matched_at": utc_now(),
        }
    author = row.author_handle or row.author_name
    return {
        "workspace_id": workspace_id,
        "query_id": query_id,
        "message_id": row.id,
        "mention_id": None,
        "item_time": at,
        "author": author[:200] if author else None,
        "reach": row.follower_count,
        "matched_at": utc_now(),
    }
