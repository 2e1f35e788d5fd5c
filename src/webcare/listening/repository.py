"""Listening's SQL: saved queries, versions, cursors, hits and mentions, scoped to a workspace.

Hits are inserted with ``ON CONFLICT DO NOTHING`` (both backends speak it) so a repeated
percolation, a backfill and the live job can all store the same hit without an error; the
ids returned are only those of hits that are new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.channel.models import ChannelAccount
from webcare.contact.models import ContactIdentity
from webcare.conversation.models import Message
from webcare.kit.db import lock_row
from webcare.kit.time import utc_now
from webcare.listening.models import (
    Hit,
    ListeningCursor,
    ListeningQuery,
    ListeningSource,
    ListeningVersion,
    Mention,
)

# Queries ---------------------------------------------------------------------------------


def get_query(session: Session, workspace_id: int, query_id: int) -> ListeningQuery | None:
    stmt = sa.select(ListeningQuery).where(
        ListeningQuery.workspace_id == workspace_id, ListeningQuery.id == query_id
    )
    return session.scalars(stmt).one_or_none()


def query_by_name(session: Session, workspace_id: int, name: str) -> ListeningQuery | None:
    stmt = sa.select(ListeningQuery).where(
        ListeningQuery.workspace_id == workspace_id, ListeningQuery.name == name
    )
    return session.scalars(stmt).one_or_none()


def list_queries(
    session: Session, workspace_id: int, *, enabled_only: bool = False
) -> list[ListeningQuery]:
    stmt = sa.select(ListeningQuery).where(ListeningQuery.workspace_id == workspace_id)
    if enabled_only:
        stmt = stmt.where(ListeningQuery.enabled.is_(True))
    return list(session.scalars(stmt.order_by(ListeningQuery.name, ListeningQuery.id)))


def queries_by_ids(session: Session, workspace_id: int, ids: Sequence[int]) -> list[ListeningQuery]:
    stmt = sa.select(ListeningQuery).where(
        ListeningQuery.workspace_id == workspace_id, ListeningQuery.id.in_(list(ids))
    )
    return list(session.scalars(stmt))


# Versions --------------------------------------------------------------------------------


def versions(session: Session, workspace_ids: Sequence[int]) -> dict[int, str]:
    """The query version of each workspace; a workspace that never had a query is absent."""
    stmt = sa.select(ListeningVersion.workspace_id, ListeningVersion.version).where(
        ListeningVersion.workspace_id.in_(list(workspace_ids))
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def bump_version(session: Session, workspace_id: int) -> str:
    """Give the workspace's queries a new version (a fresh random token) under its row lock."""
    version = uuid.uuid4().hex
    row = lock_row(session, ListeningVersion, workspace_id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(ListeningVersion(workspace_id=workspace_id, version=version))
            return version
        except IntegrityError:
            row = lock_row(session, ListeningVersion, workspace_id)
            assert row is not None  # a concurrent creator committed it
    row.version = version
    session.flush()
    return version


# Cursors ---------------------------------------------------------------------------------


def lock_cursor(session: Session, name: str) -> ListeningCursor:
    """The stream's cursor row, created at 0 on first use, locked until the transaction ends."""
    row = lock_row(session, ListeningCursor, name)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(ListeningCursor(name=name, last_id=0, updated_at=utc_now()))
    except IntegrityError:
        pass  # another worker created it; lock theirs
    row = lock_row(session, ListeningCursor, name)
    assert row is not None
    return row


# Hits ------------------------------------------------------------------------------------


def insert_hits(
    session: Session, rows: list[dict[str, Any]]
) -> list[tuple[int, int, int | None, int | None]]:
    """Store hits, skipping those already stored; returns ``(id, query_id, message_id,
    mention_id)`` of the new ones only."""
    if not rows:
        return []
    session.flush()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    found: list[tuple[int, int, int | None, int | None]] = []
    for start in range(0, len(rows), 500):  # far below SQLite's bound-parameter limit
        stmt = (
            insert(Hit)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing()
            .returning(Hit.id, Hit.query_id, Hit.message_id, Hit.mention_id)
        )
        found.extend((r[0], r[1], r[2], r[3]) for r in session.execute(stmt))
    return found


def hits_page(
    session: Session, workspace_id: int, query_id: int, limit: int, before_id: int | None
) -> list[Hit]:
    """Newest hits first; ``before_id`` continues after the last hit of the previous page."""
    stmt = sa.select(Hit).where(Hit.workspace_id == workspace_id, Hit.query_id == query_id)
    if before_id is not None:
        stmt = stmt.where(Hit.id < before_id)
    return list(session.scalars(stmt.order_by(Hit.id.desc()).limit(limit)))


def hits_in_window(
    session: Session,
    workspace_id: int,
    query_ids: Sequence[int],
    since: datetime,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Hits whose item was published in ``[since, until)``, newest first."""
    stmt = sa.select(Hit).where(
        Hit.workspace_id == workspace_id,
        Hit.query_id.in_(list(query_ids)),
        Hit.item_time >= since,
    )
    if until is not None:
        stmt = stmt.where(Hit.item_time < until)
    stmt = stmt.order_by(Hit.item_time.desc(), Hit.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def bucket_expression(session: Session, bucket: str) -> sa.ColumnElement[Any]:
    """``item_time`` truncated to the hour or day, as each backend spells it."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.date_trunc(bucket, sa.func.timezone("UTC", Hit.item_time))
    pattern = "%Y-%m-%d %H:00:00" if bucket == "hour" else "%Y-%m-%d 00:00:00"
    return sa.func.strftime(pattern, Hit.item_time)


def volume_rows(
    session: Session, workspace_id: int, query_ids: Sequence[int], bucket: str, since: datetime
) -> list[tuple[int, Any, int]]:
    """``(query_id, bucket start, count)`` for every non-empty bucket since ``since``."""
    start = bucket_expression(session, bucket).label("bucket")
    stmt = (
        sa.select(Hit.query_id, start, sa.func.count())
        .where(
            Hit.workspace_id == workspace_id,
            Hit.query_id.in_(list(query_ids)),
            Hit.item_time >= since,
        )
        .group_by(Hit.query_id, start)
    )
    return [(q, b, int(n)) for q, b, n in session.execute(stmt)]


def counts_by_query(
    session: Session, workspace_id: int, query_ids: Sequence[int], since: datetime
) -> dict[int, int]:
    stmt = (
        sa.select(Hit.query_id, sa.func.count())
        .where(
            Hit.workspace_id == workspace_id,
            Hit.query_id.in_(list(query_ids)),
            Hit.item_time >= since,
        )
        .group_by(Hit.query_id)
    )
    return {q: int(n) for q, n in session.execute(stmt)}


def author_rows(
    session: Session, workspace_id: int, query_ids: Sequence[int], since: datetime, limit: int
) -> list[tuple[str, int | None, int]]:
    """``(author, largest reach, hits)``, by reach then hits, largest first."""
    reach = sa.func.max(Hit.reach)
    stmt = (
        sa.select(Hit.author, reach, sa.func.count())
        .where(
            Hit.workspace_id == workspace_id,
            Hit.query_id.in_(list(query_ids)),
            Hit.item_time >= since,
            Hit.author.is_not(None),
        )
        .group_by(Hit.author)
        .order_by(sa.func.coalesce(reach, -1).desc(), sa.func.count().desc(), Hit.author)
        .limit(limit)
    )
    return [(str(a), r, int(n)) for a, r, n in session.execute(stmt)]


# Mentions and sources --------------------------------------------------------------------


def mentions_by_ids(session: Session, workspace_id: int, ids: set[int]) -> dict[int, Mention]:
    if not ids:
        return {}
    stmt = sa.select(Mention).where(Mention.workspace_id == workspace_id, Mention.id.in_(ids))
    return {m.id: m for m in session.scalars(stmt)}


def source_by_name(session: Session, workspace_id: int, name: str) -> ListeningSource | None:
    stmt = sa.select(ListeningSource).where(
        ListeningSource.workspace_id == workspace_id, ListeningSource.name == name
    )
    return session.scalars(stmt).one_or_none()


def get_source(session: Session, workspace_id: int, source_id: int) -> ListeningSource | None:
    stmt = sa.select(ListeningSource).where(
        ListeningSource.workspace_id == workspace_id, ListeningSource.id == source_id
    )
    return session.scalars(stmt).one_or_none()


def list_sources(session: Session, workspace_id: int) -> list[ListeningSource]:
    stmt = (
        sa.select(ListeningSource)
        .where(ListeningSource.workspace_id == workspace_id)
        .order_by(ListeningSource.name)
    )
    return list(session.scalars(stmt))


def _message_columns() -> sa.Select[*tuple[Any, ...]]:
    """What a :class:`Document` of a message needs, with its account and author."""
    return (
        sa.select(
            Message.id,
            Message.workspace_id,
            Message.conversation_id,
            Message.direction,
            Message.visibility,
            Message.text,
            Message.rating,
            Message.reply_to_external_id,
            Message.platform_time,
            Message.received_at,
            Message.deleted_at,
            ChannelAccount.platform,
            ChannelAccount.handle.label("account_handle"),
            ContactIdentity.handle.label("author_handle"),
            ContactIdentity.name.label("author_name"),
            ContactIdentity.follower_count,
            ContactIdentity.verified,
        )
        .join(ChannelAccount, ChannelAccount.id == Message.channel_account_id)
        .outerjoin(ContactIdentity, ContactIdentity.id == Message.author_identity_id)
    )


def messages_after(
    session: Session,
    last_id: int,
    limit: int,
    *,
    workspace_id: int | None = None,
    up_to: int | None = None,
) -> list[Any]:
    """Messages with ``id > last_id`` in id order, with what a :class:`Document` needs.

    Every message is returned (outbound, private, deleted too) so a cursor can move past
    them; the caller decides which ones are listened to.
    """
    stmt = _message_columns().where(Message.id > last_id)
    if workspace_id is not None:
        stmt = stmt.where(Message.workspace_id == workspace_id)
    if up_to is not None:
        stmt = stmt.where(Message.id <= up_to)
    return list(session.execute(stmt.order_by(Message.id).limit(limit)))


def recent_messages(session: Session, workspace_id: int, since: datetime, limit: int) -> list[Any]:
    """The workspace's newest messages posted since ``since`` (columns of messages_after)."""
    stmt = _message_columns().where(
        Message.workspace_id == workspace_id, Message.platform_time >= since
    )
    return list(session.execute(stmt.order_by(Message.id.desc()).limit(limit)))


def recent_mentions(
    session: Session, workspace_id: int, since: datetime, limit: int
) -> list[Mention]:
    stmt = (
        sa.select(Mention)
        .where(Mention.workspace_id == workspace_id, Mention.published_at >= since)
        .order_by(Mention.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def mentions_after(
    session: Session,
    last_id: int,
    limit: int,
    *,
    workspace_id: int | None = None,
    up_to: int | None = None,
) -> list[Mention]:
    stmt = sa.select(Mention).where(Mention.id > last_id)
    if workspace_id is not None:
        stmt = stmt.where(Mention.workspace_id == workspace_id)
    if up_to is not None:
        stmt = stmt.where(Mention.id <= up_to)
    return list(session.scalars(stmt.order_by(Mention.id).limit(limit)))


def max_ids(session: Session, workspace_id: int) -> tuple[int, int]:
    """The highest message and mention ids of a workspace (0 when none)."""
    message = session.scalar(
        sa.select(sa.func.max(Message.id)).where(Message.workspace_id == workspace_id)
    )
    mention = session.scalar(
        sa.select(sa.func.max(Mention.id)).where(Mention.workspace_id == workspace_id)
    )
    return int(message or 0), int(mention or 0)


def count_items(
    session: Session, workspace_id: int, max_message_id: int, max_mention_id: int
) -> int:
    messages = session.scalar(
        sa.select(sa.func.count()).where(
            Message.workspace_id == workspace_id, Message.id <= max_message_id
        )
    )
    mentions = session.scalar(
        sa.select(sa.func.count()).where(
            Mention.workspace_id == workspace_id, Mention.id <= max_mention_id
        )
    )
    return int(messages or 0) + int(mentions or 0)


def message_texts(session: Session, workspace_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = sa.select(Message.id, Message.text).where(
        Message.workspace_id == workspace_id, Message.id.in_(ids)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def message_conversations(session: Session, workspace_id: int, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    stmt = sa.select(Message.id, Message.conversation_id).where(
        Message.workspace_id == workspace_id, Message.id.in_(ids)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def mention_conversations(
    session: Session, workspace_id: int, mention_ids: set[int]
) -> dict[int, int]:
    """The proactive conversation of each routed mention (its message is ``mention:<id>``)."""
    if not mention_ids:
        return {}
    keys = {f"mention:{i}": i for i in mention_ids}
    stmt = (
        sa.select(Message.external_id, Message.conversation_id)
        .join(ChannelAccount, ChannelAccount.id == Message.channel_account_id)
        .where(
            Message.workspace_id == workspace_id,
            ChannelAccount.platform == "web",
            Message.external_id.in_(list(keys)),
        )
    )
    return {keys[str(row[0])]: row[1] for row in session.execute(stmt)}
