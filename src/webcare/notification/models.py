"""Notifications: stored, so an agent who was offline still finds them after logging in."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, BigId, UTCDateTime
from webcare.kit.time import utc_now


class Reason(enum.StrEnum):
    MENTIONED = "mentioned"
    ASSIGNED = "assigned"
    SPIKE = "spike"  # a listening query's volume spiked (listening/spikes.py)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(32))
    #: None for notifications about something else than a conversation (see ``link``).
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE")
    )
    #: Where the notification leads when it is not a conversation (a listening alert).
    link: Mapped[str | None] = mapped_column(sa.String(500))
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
