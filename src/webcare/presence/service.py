"""Presence: heartbeats from agents' browsers, and who else is on a conversation.

A browser sends ``viewing`` every :data:`HEARTBEAT` seconds while a conversation is open and
``typing`` while the agent types; a row counts for :data:`LIFETIME` of its state, so a closed
laptop drops out by itself. An event is published only when what colleagues see changes, so
heartbeats cost one small write and no broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.conversation import service as conversations
from webcare.events.bus import publish
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.presence.events import PresenceChanged
from webcare.presence.models import Presence, State

HEARTBEAT = 15
LIFETIME: dict[str, timedelta] = {
    State.VIEWING.value: timedelta(seconds=HEARTBEAT * 3),
    State.TYPING.value: timedelta(seconds=8),
}
LEFT = "left"


@dataclass(frozen=True)
class Colleague:
    user_id: int
    state: str


def touch(session: Session, actor: Principal, conversation_id: int, state: str) -> None:
    """Record that the acting agent views, types in, or ``left`` the conversation."""
    if actor.user_id is None:
        raise Invalid("presence needs a user")
    if state not in (State.VIEWING.value, State.TYPING.value, LEFT):
        raise Invalid("state must be 'viewing', 'typing' or 'left'")
    conversations.get_or_raise(session, actor.workspace_id, conversation_id)
    now = utc_now()
    row = session.get(Presence, (conversation_id, actor.user_id))
    before = _live_state(row, now)
    if state == LEFT:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            Presence(
                conversation_id=conversation_id,
                user_id=actor.user_id,
                workspace_id=actor.workspace_id,
                state=state,
                updated_at=now,
            )
        )
    else:
        row.state = state
        row.updated_at = now
    session.flush()
    if before != (None if state == LEFT else state):
        publish(
            session,
            PresenceChanged(
                workspace_id=actor.workspace_id,
                actor_user_id=actor.user_id,
                conversation_id=conversation_id,
                state=state,
            ),
        )


def others(
    session: Session, workspace_id: int, conversation_id: int, user_id: int | None
) -> list[Colleague]:
    """Colleagues (not ``user_id``) currently on the conversation, typists first."""
    now = utc_now()
    stmt = sa.select(Presence).where(
        Presence.workspace_id == workspace_id,
        Presence.conversation_id == conversation_id,
        Presence.updated_at > now - max(LIFETIME.values()),
    )
    found = [
        Colleague(row.user_id, state)
        for row in session.scalars(stmt)
        if row.user_id != user_id and (state := _live_state(row, now)) is not None
    ]
    return sorted(found, key=lambda c: (c.state != State.TYPING.value, c.user_id))


def forget_before(session: Session, cutoff: datetime) -> int:
    """Delete rows nobody refreshed since ``cutoff`` (run periodically)."""
    result = session.execute(sa.delete(Presence).where(Presence.updated_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def _live_state(row: Presence | None, now: datetime) -> str | None:
    if row is None:
        return None
    if row.updated_at + LIFETIME.get(row.state, timedelta(0)) > now:
        return row.state
    if row.state == State.TYPING.value and row.updated_at + LIFETIME["viewing"] > now:
        return State.VIEWING.value
    return None
