"""Conversations and messages: the inbox's rows.

Invariants:
- ``(channel_account_id, external_id)`` is unique: a platform message is stored once.
- Outbound messages move ``pending -> sent | failed`` once; ``failed -> pending`` only on retry.
- Edits keep the previous text in :class:`MessageRevision`; deletions keep the row.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, BigId, JSONType, UTCDateTime
from webcare.kit.time import utc_now


class Kind(enum.StrEnum):
    PUBLIC_THREAD = "public_thread"
    PRIVATE_THREAD = "private_thread"
    REVIEW = "review"
    EMAIL = "email"
    CHAT = "chat"


class Status(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class Delivery(enum.StrEnum):
    """Delivery of outbound messages; inbound messages have none."""

    PENDING = "pending"
    SENT = "sent"
    #: The platform reports the message reached the customer's device (WhatsApp).
    DELIVERED = "delivered"
    #: The platform reports the customer opened it (WhatsApp, with read receipts on).
    READ = "read"
    FAILED = "failed"


class Conversation(Base):
    """A thread with one contact on one channel account."""

    __tablename__ = "conversations"
    __table_args__ = (
        sa.Index("ix_conversations_inbox", "workspace_id", "status", "waiting_since"),
        sa.Index("ix_conversations_sla", "workspace_id", "status", "sla_due_at"),
        # "Newest activity first" (resolved views, history) without sorting every conversation.
        sa.Index("ix_conversations_activity", "workspace_id", "last_activity_at", "id"),
        sa.Index("ix_conversations_urgency", "workspace_id", "urgency", "id"),
        sa.Index("ix_conversations_contact", "workspace_id", "contact_id"),
        sa.Index("ix_conversations_assignee", "workspace_id", "assignee_id", "status"),
        # Threading a DM looks up the contact's latest conversation of a kind on an account.
        sa.Index(
            "ix_conversations_thread",
            "channel_account_id",
            "contact_id",
            "kind",
            "last_activity_at",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default=Status.OPEN.value)
    priority: Mapped[str] = mapped_column(sa.String(16), default=Priority.NORMAL.value)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    subject: Mapped[str | None] = mapped_column(sa.String(500))
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: When the customer started waiting for us (oldest unanswered inbound); None when answered.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the first response is due (:mod:`webcare.conversation.sla`); None when answered.
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Triage of the latest customer message (:mod:`webcare.triage`, migration 0011):
    #: escalation risk 0-100 (the inbox sorts by it) and its sentiment.
    urgency: Mapped[int | None] = mapped_column(sa.SmallInteger)
    sentiment: Mapped[str | None] = mapped_column(sa.String(16))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: Started by listening (a mention found by a query), not by the customer writing to us.
    proactive: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())


class Message(Base):
    """One message, inbound or outbound, with the platform's raw payload kept."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("channel_account_id", "external_id"),
        sa.UniqueConstraint("workspace_id", "idempotency_key"),
        sa.Index("ix_messages_conversation", "conversation_id", "platform_time"),
        sa.Index("ix_messages_reply_to", "channel_account_id", "reply_to_external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE")
    )
    channel_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("channel_accounts.id", ondelete="CASCADE")
    )
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    direction: Mapped[str] = mapped_column(sa.String(16))
    visibility: Mapped[str] = mapped_column(sa.String(16))
    author_identity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact_identities.id", ondelete="SET NULL")
    )
    author_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text, default="")
    #: Accent-folded, lower-cased text with hashtags and handles kept, for full-text search.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: Star rating (1-5) of a review; None for other messages.
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    reply_to_external_id: Mapped[str | None] = mapped_column(sa.String(255))
    platform_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    delivery_status: Mapped[str | None] = mapped_column(sa.String(16))
    delivery_error: Mapped[str | None] = mapped_column(sa.Text)
    delivery_attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(255))
    #: When the platform reported the outbound message delivered / read (migration 0006).
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When an agent hid / liked this customer's comment on the platform (channel/actions.py).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    liked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageRevision(Base):
    """An earlier text of an edited or deleted message."""

    __tablename__ = "message_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Note(Base):
    """An internal note: never sent to the customer."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text)
    mentions: Mapped[list[int]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Label(Base):
    """A tag for routing and reporting (product, campaign, topic)."""

    __tablename__ = "labels"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    color: Mapped[str] = mapped_column(sa.String(16), default="#64748b")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ConversationLabel(Base):
    """A label on a conversation."""

    __tablename__ = "conversation_labels"

    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        sa.ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SavedView(Base):
    """An agent's own inbox view: a name and the filter query string it stands for."""

    __tablename__ = "saved_views"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "user_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    query: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
