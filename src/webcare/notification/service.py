"""Creating and reading notifications.

Written in the transaction of the change that causes them (the note, the assignment), so a
mention is never lost between the note being saved and a server pushing it. Nobody is
notified of their own action.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.events.bus import publish
from webcare.kit.time import utc_now
from webcare.notification.events import NotificationCreated
from webcare.notification.models import Notification, Reason

RECENT = 30


def notify(
    session: Session,
    *,
    workspace_id: int,
    user_ids: list[int],
    reason: Reason,
    conversation_id: int | None,
    actor_user_id: int | None,
    link: str | None = None,
) -> list[Notification]:
    created = []
    for user_id in dict.fromkeys(user_ids):
        if user_id == actor_user_id:
            continue
        row = Notification(
            workspace_id=workspace_id,
            user_id=user_id,
            reason=reason.value,
            conversation_id=conversation_id,
            link=link,
            actor_user_id=actor_user_id,
            created_at=utc_now(),
        )
        session.add(row)
        created.append(row)
    if not created:
        return []
    session.flush()
    for row in created:
        publish(
            session,
            NotificationCreated(
                workspace_id=workspace_id,
                actor_user_id=actor_user_id,
                user_id=row.user_id,
                notification_id=row.id,
                conversation_id=conversation_id,
                reason=row.reason,
            ),
        )
    return created


def recent(session: Session, workspace_id: int, user_id: int) -> list[Notification]:
    """The user's latest notifications, newest first."""
    stmt = (
        sa.select(Notification)
        .where(Notification.workspace_id == workspace_id, Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(RECENT)
    )
    return list(session.scalars(stmt))


def unread_count(session: Session, workspace_id: int, user_id: int) -> int:
    stmt = sa.select(sa.func.count()).where(
        Notification.workspace_id == workspace_id,
        Notification.user_id == user_id,
        Notification.read_at.is_(None),
    )
    return int(session.scalar(stmt) or 0)


def mark_read(
    session: Session, workspace_id: int, user_id: int, *, conversation_id: int | None = None
) -> int:
    """Mark the user's unread notifications read (of one conversation, or all)."""
    stmt = sa.update(Notification).where(
        Notification.workspace_id == workspace_id,
        Notification.user_id == user_id,
        Notification.read_at.is_(None),
    )
    if conversation_id is not None:
        stmt = stmt.where(Notification.conversation_id == conversation_id)
    now: datetime = utc_now()
    result = session.execute(stmt.values(read_at=now))
    return int(getattr(result, "rowcount", 0) or 0)
