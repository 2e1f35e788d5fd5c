"""Files customers sent that the platform has no URL for (e-mail attachments), kept here.

A connector hands such a file over as ``Attachment.content`` with ``url`` set to
``/attachments/{token}``; :func:`keep` stores the bytes under that token in the transaction
that stores the message, and ``attachment_endpoints.py`` serves them to the workspace's
members only. The database holds them (like everything durable), so every server can serve
every file. A token is derived from account, message and part, so a mail fetched twice
stores its files once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from webcare.channel.models import ChannelAccount
from webcare.channel.ports import InboundEvent, InboundMessage
from webcare.kit.db import Base, BigId, UTCDateTime
from webcare.kit.time import utc_now

URL_PREFIX = "/attachments/"


class StoredAttachment(Base):
    """The bytes of one attachment; the message's ``attachments`` JSON links to it by URL."""

    __tablename__ = "email_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    channel_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    mime_type: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.Integer)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


def keep(session: Session, account: ChannelAccount, events: Sequence[InboundEvent]) -> int:
    """Store the bytes of every attachment in ``events`` that carries them; returns how many
    were new. Call in the transaction that ingests ``events``."""
    wanted = {
        a.url.removeprefix(URL_PREFIX): a
        for event in events
        if isinstance(event, InboundMessage)
        for a in event.attachments
        if a.content is not None and a.url.startswith(URL_PREFIX)
    }
    if not wanted:
        return 0
    existing = set(
        session.scalars(sa.select(StoredAttachment.token).where(StoredAttachment.token.in_(wanted)))
    )
    new = [(token, a) for token, a in wanted.items() if token not in existing]
    for token, attachment in new:
        content = attachment.content or b""
        session.add(
            StoredAttachment(
                token=token,
                workspace_id=account.workspace_id,
                channel_account_id=account.id,
                name=(attachment.name or "attachment")[:255],
                mime_type=(attachment.mime_type or "application/octet-stream")[:255],
                size=len(content),
                content=content,
            )
        )
    session.flush()
    return len(new)


def get(session: Session, workspace_id: int, token: str) -> StoredAttachment | None:
    """The attachment ``token`` names, only within ``workspace_id``."""
    stmt = sa.select(StoredAttachment).where(
        StoredAttachment.token == token, StoredAttachment.workspace_id == workspace_id
    )
    return session.scalars(stmt).one_or_none()
