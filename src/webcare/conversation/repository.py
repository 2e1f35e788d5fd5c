"""All SQL of the conversation domain.

Lookups by a public id take and filter by ``workspace_id``. Helpers that take a conversation
or channel account id expect the caller to have loaded that row through a scoped lookup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.channel.models import ChannelAccount
from webcare.conversation.filters import PRIORITY_RANK, ConversationFilter, Cursor, Sort
from webcare.conversation.models import (
    Conversation,
    ConversationLabel,
    Kind,
    Label,
    Message,
    MessageRevision,
    Note,
    SavedView,
    Status,
)
from webcare.kit.db import UTCDateTime
from webcare.kit.time import ensure_utc
from webcare.search.repository import matching_conversation_ids

_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
PUBLIC_KINDS = (Kind.PUBLIC_THREAD.value, Kind.REVIEW.value)


def get(session: Session, workspace_id: int, conversation_id: int) -> Conversation | None:
    stmt = sa.select(Conversation).where(
        Conversation.workspace_id == workspace_id, Conversation.id == conversation_id
    )
    return session.scalars(stmt).one_or_none()


def get_message(session: Session, workspace_id: int, message_id: int) -> Message | None:
    stmt = sa.select(Message).where(Message.workspace_id == workspace_id, Message.id == message_id)
    return session.scalars(stmt).one_or_none()


def message_by_external_id(
    session: Session, channel_account_id: int, external_id: str
) -> Message | None:
    stmt = sa.select(Message).where(
        Message.channel_account_id == channel_account_id, Message.external_id == external_id
    )
    return session.scalars(stmt).one_or_none()


def message_by_idempotency_key(session: Session, workspace_id: int, key: str) -> Message | None:
    stmt = sa.select(Message).where(
        Message.workspace_id == workspace_id, Message.idempotency_key == key
    )
    return session.scalars(stmt).one_or_none()


def orphan_replies_to(session: Session, channel_account_id: int, external_id: str) -> list[Message]:
    """Messages that arrived before ``external_id``, their parent, did."""
    stmt = sa.select(Message).where(
        Message.channel_account_id == channel_account_id,
        Message.reply_to_external_id == external_id,
    )
    return list(session.scalars(stmt))


def latest_private_conversation(
    session: Session, channel_account_id: int, contact_id: int, kind: str
) -> Conversation | None:
    stmt = (
        sa.select(Conversation)
        .where(
            Conversation.channel_account_id == channel_account_id,
            Conversation.contact_id == contact_id,
            Conversation.kind == kind,
        )
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def messages_of(session: Session, conversation_id: int) -> list[Message]:
    stmt = (
        sa.select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.platform_time, Message.id)
    )
    return list(session.scalars(stmt))


def last_inbound(session: Session, conversation_id: int) -> Message | None:
    stmt = (
        sa.select(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == "inbound")
        .order_by(Message.platform_time.desc(), Message.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def replies_after(
    session: Session, conversation_id: int, after_id: int, except_user_id: int | None
) -> list[Message]:
    """Replies (not failed ones) newer than ``after_id`` by anyone but ``except_user_id``."""
    stmt = (
        sa.select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "outbound",
            Message.id > after_id,
            sa.or_(Message.delivery_status.is_(None), Message.delivery_status != "failed"),
        )
        .order_by(Message.id)
    )
    if except_user_id is not None:
        stmt = stmt.where(
            sa.or_(Message.author_user_id.is_(None), Message.author_user_id != except_user_id)
        )
    return list(session.scalars(stmt))


def notes_of(session: Session, conversation_id: int) -> list[Note]:
    stmt = sa.select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id)
    return list(session.scalars(stmt))


def revisions_of(session: Session, message_ids: list[int]) -> list[MessageRevision]:
    if not message_ids:
        return []
    stmt = (
        sa.select(MessageRevision)
        .where(MessageRevision.message_id.in_(message_ids))
        .order_by(MessageRevision.id)
    )
    return list(session.scalars(stmt))


def labels_by_conversation(session: Session, conversation_ids: list[int]) -> dict[int, list[str]]:
    """Label names per conversation, in one query."""
    result: dict[int, list[str]] = {cid: [] for cid in conversation_ids}
    if not conversation_ids:
        return result
    stmt = (
        sa.select(ConversationLabel.conversation_id, Label.name)
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(ConversationLabel.conversation_id.in_(conversation_ids))
        .order_by(Label.name)
    )
    for conversation_id, name in session.execute(stmt):
        result[conversation_id].append(name)
    return result


def label_by_name(session: Session, workspace_id: int, name: str) -> Label | None:
    stmt = sa.select(Label).where(Label.workspace_id == workspace_id, Label.name == name)
    return session.scalars(stmt).one_or_none()


def list_labels(session: Session, workspace_id: int) -> list[Label]:
    stmt = sa.select(Label).where(Label.workspace_id == workspace_id).order_by(Label.name)
    return list(session.scalars(stmt))


def label_by_id(session: Session, workspace_id: int, label_id: int) -> Label | None:
    stmt = sa.select(Label).where(Label.workspace_id == workspace_id, Label.id == label_id)
    return session.scalars(stmt).one_or_none()


def label_usage(session: Session, workspace_id: int) -> dict[int, int]:
    """How many conversations carry each label of the workspace (labels on none are absent)."""
    stmt = (
        sa.select(ConversationLabel.label_id, sa.func.count())
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(Label.workspace_id == workspace_id)
        .group_by(ConversationLabel.label_id)
    )
    return {label_id: int(n) for label_id, n in session.execute(stmt)}


def has_label(session: Session, conversation_id: int, label_id: int) -> bool:
    stmt = sa.select(ConversationLabel).where(
        ConversationLabel.conversation_id == conversation_id,
        ConversationLabel.label_id == label_id,
    )
    return session.scalars(stmt).first() is not None


def remove_label(session: Session, conversation_id: int, label_id: int) -> None:
    session.execute(
        sa.delete(ConversationLabel).where(
            ConversationLabel.conversation_id == conversation_id,
            ConversationLabel.label_id == label_id,
        )
    )


def conversations_of_contacts(
    session: Session, workspace_id: int, contact_ids: list[int]
) -> list[Conversation]:
    if not contact_ids:
        return []
    stmt = (
        sa.select(Conversation)
        .where(Conversation.workspace_id == workspace_id, Conversation.contact_id.in_(contact_ids))
        .order_by(Conversation.last_activity_at.desc())
    )
    return list(session.scalars(stmt))


def move_conversation_contents(session: Session, source_id: int, target_id: int) -> None:
    """Re-home every message, note and label of ``source`` onto ``target``."""
    session.execute(
        sa.update(Message)
        .where(Message.conversation_id == source_id)
        .values(conversation_id=target_id)
    )
    session.execute(
        sa.update(Note).where(Note.conversation_id == source_id).values(conversation_id=target_id)
    )
    target_labels = sa.select(ConversationLabel.label_id).where(
        ConversationLabel.conversation_id == target_id
    )
    session.execute(
        sa.update(ConversationLabel)
        .where(
            ConversationLabel.conversation_id == source_id,
            ConversationLabel.label_id.not_in(target_labels),
        )
        .values(conversation_id=target_id)
    )


def list_conversations(
    session: Session,
    workspace_id: int,
    filters: ConversationFilter,
    limit: int,
    cursor: Cursor | None,
) -> list[Conversation]:
    """One page of conversations, keyset-paginated on (sort key, id)."""
    stmt = sa.select(Conversation).where(Conversation.workspace_id == workspace_id)
    stmt = _apply_filters(session, stmt, workspace_id, filters)
    key = sort_key(filters.sort)
    if cursor is not None:
        stmt = stmt.where(_after(key, filters.sort, cursor))
    if filters.sort is Sort.NEWEST:
        stmt = stmt.order_by(key.desc(), Conversation.id.desc())
    else:
        stmt = stmt.order_by(key.asc(), Conversation.id.asc())
    return list(session.scalars(stmt.limit(limit)))


def count_conversations(
    session: Session, workspace_id: int, filters: ConversationFilter, cap: int | None = None
) -> int:
    """How many conversations match; with ``cap``, stop counting at ``cap + 1``."""
    if cap is not None:
        matching = sa.select(Conversation.id).where(Conversation.workspace_id == workspace_id)
        limited = _apply_filters(session, matching, workspace_id, filters).limit(cap + 1)
        return int(session.scalar(sa.select(sa.func.count()).select_from(limited.subquery())) or 0)
    stmt = (
        sa.select(sa.func.count())
        .select_from(Conversation)
        .where(Conversation.workspace_id == workspace_id)
    )
    stmt = _apply_filters(session, stmt, workspace_id, filters)
    return int(session.scalar(stmt) or 0)


def sort_key(sort: Sort) -> sa.ColumnElement[datetime] | sa.ColumnElement[int]:
    if sort is Sort.NEWEST:
        return Conversation.__table__.c.last_activity_at
    if sort is Sort.PRIORITY:
        return sa.case(PRIORITY_RANK, value=Conversation.priority, else_=9)
    if sort is Sort.URGENCY:
        rank: sa.ColumnElement[int] = sa.func.coalesce(
            100 - Conversation.__table__.c.urgency, 101, type_=sa.Integer()
        )
        return rank
    if sort is Sort.SLA:
        return sa.func.coalesce(Conversation.sla_due_at, sa.literal(_FAR_FUTURE, UTCDateTime()))
    return sa.func.coalesce(Conversation.waiting_since, sa.literal(_FAR_FUTURE, UTCDateTime()))


def cursor_value(conversation: Conversation, sort: Sort) -> str:
    if sort is Sort.NEWEST:
        return conversation.last_activity_at.isoformat()
    if sort is Sort.PRIORITY:
        return str(PRIORITY_RANK.get(conversation.priority, 9))
    if sort is Sort.URGENCY:
        return str(101 if conversation.urgency is None else 100 - conversation.urgency)
    if sort is Sort.SLA:
        return (conversation.sla_due_at or _FAR_FUTURE).isoformat()
    return (conversation.waiting_since or _FAR_FUTURE).isoformat()


def _after(
    key: sa.ColumnElement[datetime] | sa.ColumnElement[int], sort: Sort, cursor: Cursor
) -> sa.ColumnElement[bool]:
    value: datetime | int
    if sort in (Sort.PRIORITY, Sort.URGENCY):
        value = int(cursor.sort_value)
        bound = sa.literal(value, sa.Integer())
    else:
        value = ensure_utc(datetime.fromisoformat(cursor.sort_value))
        bound = sa.literal(value, UTCDateTime())
    if sort is Sort.NEWEST:
        return sa.or_(key < bound, sa.and_(key == bound, Conversation.id < cursor.last_id))
    return sa.or_(key > bound, sa.and_(key == bound, Conversation.id > cursor.last_id))


S = TypeVar("S", sa.Select[Conversation], sa.Select[int])


def _apply_filters(session: Session, stmt: S, workspace_id: int, f: ConversationFilter) -> S:
    if f.statuses:
        stmt = stmt.where(Conversation.status.in_(f.statuses))
    if f.channel_account_id is not None:
        stmt = stmt.where(Conversation.channel_account_id == f.channel_account_id)
    if f.platform is not None:
        accounts = sa.select(ChannelAccount.id).where(
            ChannelAccount.workspace_id == workspace_id, ChannelAccount.platform == f.platform
        )
        stmt = stmt.where(Conversation.channel_account_id.in_(accounts))
    if f.assignee_id is not None:
        stmt = stmt.where(
            Conversation.assignee_id.is_(None)
            if f.assignee_id == 0
            else Conversation.assignee_id == f.assignee_id
        )
    if f.team_id is not None:
        stmt = stmt.where(Conversation.team_id == f.team_id)
    if f.sentiment is not None:
        stmt = stmt.where(Conversation.sentiment == f.sentiment)
    if f.contact_id is not None:
        stmt = stmt.where(Conversation.contact_id == f.contact_id)
    if f.visibility == "public":
        stmt = stmt.where(Conversation.kind.in_(PUBLIC_KINDS))
    elif f.visibility == "private":
        stmt = stmt.where(Conversation.kind.not_in(PUBLIC_KINDS))
    if f.label:
        labelled = (
            sa.select(ConversationLabel.conversation_id)
            .join(Label, Label.id == ConversationLabel.label_id)
            .where(Label.workspace_id == workspace_id, Label.name == f.label)
        )
        stmt = stmt.where(Conversation.id.in_(labelled))
    if f.text:
        stmt = stmt.where(
            Conversation.id.in_(matching_conversation_ids(session, workspace_id, f.text))
        )
    return stmt


OPEN_STATUSES = (Status.OPEN.value, Status.PENDING.value, Status.SNOOZED.value)


def last_messages(session: Session, conversation_ids: list[int]) -> dict[int, Message]:
    """The newest message of each conversation, in one query."""
    if not conversation_ids:
        return {}
    newest = (
        sa.select(sa.func.max(Message.id))
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
    )
    stmt = sa.select(Message).where(Message.id.in_(newest))
    return {m.conversation_id: m for m in session.scalars(stmt)}


def move_contact(session: Session, workspace_id: int, source_id: int, target_id: int) -> None:
    session.execute(
        sa.update(Conversation)
        .where(Conversation.workspace_id == workspace_id, Conversation.contact_id == source_id)
        .values(contact_id=target_id)
    )


def snoozed_until_before(session: Session, now: datetime, limit: int = 500) -> list[Conversation]:
    """Snoozed conversations due to wake, across workspaces (system upkeep only)."""
    stmt = (
        sa.select(Conversation)
        .where(Conversation.status == Status.SNOOZED.value, Conversation.snoozed_until <= now)
        .order_by(Conversation.snoozed_until)
        .limit(limit)
    )
    return list(session.scalars(stmt))


# Batch ingestion ---------------------------------------------------------------------------


def messages_by_external_ids(
    session: Session, channel_account_id: int, external_ids: set[str]
) -> dict[str, tuple[int, int]]:
    """``external_id -> (message id, conversation id)`` for those already stored, in one query."""
    if not external_ids:
        return {}
    stmt = sa.select(Message.external_id, Message.id, Message.conversation_id).where(
        Message.channel_account_id == channel_account_id,
        Message.external_id.in_(external_ids),
    )
    return {ext: (mid, cid) for ext, mid, cid in session.execute(stmt) if ext is not None}


def has_replies_to(session: Session, channel_account_id: int, external_ids: set[str]) -> bool:
    """True when a stored message answers one of ``external_ids`` (an orphan awaiting adoption)."""
    if not external_ids:
        return False
    stmt = (
        sa.select(Message.id)
        .where(
            Message.channel_account_id == channel_account_id,
            Message.reply_to_external_id.in_(external_ids),
        )
        .limit(1)
    )
    return session.scalar(stmt) is not None


def threading_candidates(
    session: Session,
    workspace_id: int,
    channel_account_id: int,
    conversation_ids: set[int],
    contact_ids: set[int],
    kinds: set[str],
) -> list[Conversation]:
    """Conversations by id, plus every conversation of ``contact_ids`` of ``kinds`` on the account.

    One query standing in for many :func:`get` and :func:`latest_private_conversation` calls.
    """
    clauses: list[sa.ColumnElement[bool]] = []
    if conversation_ids:
        clauses.append(Conversation.id.in_(conversation_ids))
    if contact_ids and kinds:
        clauses.append(
            sa.and_(
                Conversation.channel_account_id == channel_account_id,
                Conversation.contact_id.in_(contact_ids),
                Conversation.kind.in_(kinds),
            )
        )
    if not clauses:
        return []
    stmt = sa.select(Conversation).where(
        Conversation.workspace_id == workspace_id, sa.or_(*clauses)
    )
    return list(session.scalars(stmt))


def insert_messages(session: Session, rows: list[dict[str, object]]) -> list[int]:
    """Insert message rows in one executemany; their new ids, in the order of ``rows``."""
    if not rows:
        return []
    stmt = sa.insert(Message.__table__).returning(  # type: ignore[arg-type]
        Message.__table__.c.id, sort_by_parameter_order=True
    )
    return [int(row[0]) for row in session.execute(stmt, rows)]


ACTIVE_STATUSES = ("open", "pending")


def inbox_counts(session: Session, workspace_id: int, user_id: int | None) -> dict[str, int]:
    """Counts of every navigation view in five grouped queries (not one query per view).

    Keys: ``status:<status>``, ``mine``, ``unassigned``, ``team:<id>``, ``channel:<id>``,
    ``label:<name>``; team, channel and label count active (open or pending) conversations.
    """
    in_ws = Conversation.workspace_id == workspace_id
    active = Conversation.status.in_(ACTIVE_STATUSES)
    counts: dict[str, int] = {}
    by_status = sa.select(Conversation.status, sa.func.count()).where(in_ws)
    for status, n in session.execute(by_status.group_by(Conversation.status)):
        counts[f"status:{status}"] = int(n)
    mine = sa.func.sum(sa.case((sa.and_(Conversation.assignee_id == user_id, active), 1), else_=0))
    unassigned = sa.func.sum(
        sa.case(
            (sa.and_(Conversation.assignee_id.is_(None), Conversation.status == "open"), 1),
            else_=0,
        )
    )
    row = session.execute(sa.select(mine, unassigned).where(in_ws, active)).one()
    counts["mine"] = int(row[0] or 0)
    counts["unassigned"] = int(row[1] or 0)
    for column, prefix in (
        (Conversation.team_id, "team"),
        (Conversation.channel_account_id, "channel"),
    ):
        grouped = sa.select(column, sa.func.count()).where(in_ws, active).group_by(column)
        for key, n in session.execute(grouped):
            if key is not None:
                counts[f"{prefix}:{key}"] = int(n)
    labelled = (
        sa.select(Label.name, sa.func.count())
        .join(ConversationLabel, ConversationLabel.label_id == Label.id)
        .join(Conversation, Conversation.id == ConversationLabel.conversation_id)
        .where(Label.workspace_id == workspace_id, in_ws, active)
        .group_by(Label.name)
    )
    for name, n in session.execute(labelled):
        counts[f"label:{name}"] = int(n)
    return counts


def saved_views_of(session: Session, workspace_id: int, user_id: int) -> list[SavedView]:
    stmt = (
        sa.select(SavedView)
        .where(SavedView.workspace_id == workspace_id, SavedView.user_id == user_id)
        .order_by(sa.func.lower(SavedView.name))
    )
    return list(session.scalars(stmt))


def saved_view(session: Session, workspace_id: int, user_id: int, view_id: int) -> SavedView | None:
    stmt = sa.select(SavedView).where(
        SavedView.id == view_id,
        SavedView.workspace_id == workspace_id,
        SavedView.user_id == user_id,
    )
    return session.scalars(stmt).first()


def saved_view_by_name(
    session: Session, workspace_id: int, user_id: int, name: str
) -> SavedView | None:
    stmt = sa.select(SavedView).where(
        SavedView.workspace_id == workspace_id,
        SavedView.user_id == user_id,
        sa.func.lower(SavedView.name) == name.lower(),
    )
    return session.scalars(stmt).first()
