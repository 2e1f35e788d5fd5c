"""All SQL of the web chat: what a visitor may read back, agents' activity, rate counters.

Every read is scoped to one widget account and the visitor's contact, so a visitor only ever
sees messages of their own conversations on that widget: inbound ones and agents' replies that
were sent. Notes, pending or failed replies and deleted messages never leave the inbox.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.auth.models import User
from webcare.channel.webchat.models import RateWindow
from webcare.contact.models import ContactIdentity
from webcare.conversation.models import Conversation, Delivery, Direction, Message
from webcare.presence.models import Presence


def identity(
    session: Session, workspace_id: int, platform: str, visitor_id: str
) -> ContactIdentity | None:
    stmt = sa.select(ContactIdentity).where(
        ContactIdentity.workspace_id == workspace_id,
        ContactIdentity.platform == platform,
        ContactIdentity.platform_user_id == visitor_id,
    )
    return session.scalars(stmt).one_or_none()


def conversation_ids(session: Session, account_id: int, contact_id: int) -> list[int]:
    """The contact's conversations on this widget, oldest first."""
    stmt = (
        sa.select(Conversation.id)
        .where(Conversation.channel_account_id == account_id, Conversation.contact_id == contact_id)
        .order_by(Conversation.id)
    )
    return list(session.scalars(stmt))


def visible_messages(
    session: Session, account_id: int, contact_id: int, after_id: int, limit: int
) -> list[tuple[Message, str | None]]:
    """Messages the visitor may see, with the replying agent's display name, by id."""
    stmt = (
        sa.select(Message, User.display_name)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(User, User.id == Message.author_user_id)
        .where(
            Conversation.channel_account_id == account_id,
            Conversation.contact_id == contact_id,
            Message.channel_account_id == account_id,
            Message.id > after_id,
            Message.deleted_at.is_(None),
            sa.or_(
                Message.direction == Direction.INBOUND.value,
                Message.delivery_status == Delivery.SENT.value,
            ),
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(stmt).all()]


def agent_active_since(session: Session, workspace_id: int, since: datetime) -> bool:
    stmt = sa.select(
        sa.exists().where(Presence.workspace_id == workspace_id, Presence.updated_at >= since)
    )
    return bool(session.scalar(stmt))


def count_hit(session: Session, key: str, window_start: datetime) -> int:
    """Add one to ``key``'s counter for the window; returns the new count.

    An UPDATE first (the common case, and on PostgreSQL it waits for a concurrent counter of
    the same key); the first hit of a window inserts in a savepoint, and if another server
    inserted at the same moment, the UPDATE runs again on its row. Older windows of the key
    are deleted then, so the table holds about one row per active key.
    """
    for _ in range(2):
        updated = session.execute(
            sa.update(RateWindow)
            .where(RateWindow.key == key, RateWindow.window_start == window_start)
            .values(count=RateWindow.count + 1)
            .returning(RateWindow.count)
        ).scalar_one_or_none()
        if updated is not None:
            return int(updated)
        try:
            with session.begin_nested():
                session.execute(
                    sa.insert(RateWindow).values(key=key, window_start=window_start, count=1)
                )
        except IntegrityError:
            continue
        session.execute(
            sa.delete(RateWindow).where(
                RateWindow.key == key, RateWindow.window_start < window_start
            )
        )
        return 1
    raise RuntimeError(f"could not count a hit for {key}")


def forget_windows_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(sa.delete(RateWindow).where(RateWindow.window_start < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
