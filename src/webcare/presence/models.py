"""Presence rows: one per (conversation, user), refreshed by the agent's browser.

Kept in the database, not in a server's memory, so agents served by different ``webcare
serve`` processes see each other. A row older than its state's lifetime no longer counts.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, UTCDateTime
from webcare.kit.time import utc_now


class State(enum.StrEnum):
    VIEWING = "viewing"
    TYPING = "typing"


class Presence(Base):
    __tablename__ = "presence"

    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(sa.String(16), default=State.VIEWING.value)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
