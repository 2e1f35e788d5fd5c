"""A contact is a person; identities are that person's accounts on platforms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, BigId, JSONType, UTCDateTime
from webcare.kit.time import utc_now


class Contact(Base):
    """A customer, across channels (the 360° view hangs off this row)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ContactIdentity(Base):
    """One platform account of a contact. ``(workspace, platform, platform_user_id)`` is unique."""

    __tablename__ = "contact_identities"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "platform", "platform_user_id"),
        # The inbox loads a page's identities by contact; without statistics SQLite otherwise
        # walks the whole workspace on the unique index (bench/inbox.py: 40 ms -> 0.06 ms).
        sa.Index("ix_contact_identities_contact", "workspace_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(sa.String(32))
    platform_user_id: Mapped[str] = mapped_column(sa.String(200))
    handle: Mapped[str | None] = mapped_column(sa.String(320))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    follower_count: Mapped[int | None] = mapped_column(sa.Integer)
    verified: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
