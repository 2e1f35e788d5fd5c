"""Channel accounts: one connected page, handle, number, mailbox or widget."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, BigId, JSONType, UTCDateTime
from webcare.kit.time import utc_now


class Platform(enum.StrEnum):
    """Platforms webcare speaks to. ``api`` is the generic JSON channel."""

    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    WHATSAPP = "whatsapp"
    GOOGLE_REVIEWS = "google_reviews"
    EMAIL = "email"
    WEBCHAT = "webchat"
    API = "api"
    WEB = "web"  # monitored sources (news, blogs, feeds): listening's mentions, no sender


class Health(enum.StrEnum):
    """Whether the account can currently send and receive."""

    OK = "ok"
    NEEDS_REAUTH = "needs_reauth"
    ERROR = "error"


class ChannelAccount(Base):
    """One connected account. Credentials are encrypted with the instance secret."""

    __tablename__ = "channel_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(sa.String(32))
    handle: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    credentials_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    webhook_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    health: Mapped[str] = mapped_column(sa.String(32), default=Health.OK.value)
    health_detail: Mapped[str | None] = mapped_column(sa.Text)
    health_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
