"""Writing the audit trail: every action a lead may ask "who did this?" about records here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.audit.models import AuditEvent
from webcare.auth.principal import Principal


def record(
    session: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: int,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row; the caller's transaction decides whether it lands."""
    event = AuditEvent(
        workspace_id=actor.workspace_id,
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
    )
    session.add(event)
    return event


def trail(
    session: Session, workspace_id: int, object_type: str, object_id: int
) -> list[AuditEvent]:
    """The object's history, oldest first."""
    stmt = (
        sa.select(AuditEvent)
        .where(
            AuditEvent.workspace_id == workspace_id,
            AuditEvent.object_type == object_type,
            AuditEvent.object_id == object_id,
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return list(session.scalars(stmt))
