"""Stored triage: one row per analysed customer message, corrections, reruns, own models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, BigId, JSONType, UTCDateTime
from webcare.kit.time import utc_now


class MessageTriage(Base):
    """What the models (or an agent's correction) say about one inbound message."""

    __tablename__ = "message_triage"

    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(sa.String(8))
    sentiment: Mapped[str] = mapped_column(sa.String(16))
    sentiment_score: Mapped[float] = mapped_column(sa.Float)
    intent: Mapped[str] = mapped_column(sa.String(16))
    intent_score: Mapped[float] = mapped_column(sa.Float)
    urgency: Mapped[int] = mapped_column(sa.SmallInteger)
    #: Plain-language reasons behind ``urgency``, most important first.
    urgency_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: Personal data found in a public message: masked findings, never the raw value.
    pii: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: Model name -> version that produced this row ("agent" where corrected).
    versions: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    corrected_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    enriched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class TriageCursor(Base):
    """Per workspace: the highest message id the enrichment job has looked at."""

    __tablename__ = "triage_cursors"

    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    last_message_id: Mapped[int] = mapped_column(BigId, default=0)


class TriageRun(Base):
    """A re-run over history (after a model update): progress an admin can watch."""

    __tablename__ = "triage_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    total: Mapped[int] = mapped_column(sa.Integer, default=0)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_message_id: Mapped[int] = mapped_column(BigId, default=0)
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TriageCorrection(Base):
    """An agent's label for a message: the workspace's own training data."""

    __tablename__ = "triage_corrections"
    __table_args__ = (sa.UniqueConstraint("message_id", "task", name="uq_triage_corrections"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(sa.String(16))
    label: Mapped[str] = mapped_column(sa.String(16))
    #: The text as it was labelled, so retraining never depends on later edits.
    text: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(8))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class WorkspaceModel(Base):
    """A model retrained with a workspace's corrections; the newest per task serves it."""

    __tablename__ = "triage_workspace_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    task: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[str] = mapped_column(sa.String(64))
    artefact: Mapped[bytes] = mapped_column(sa.LargeBinary)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
