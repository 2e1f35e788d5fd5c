"""Triage enrichment results, the enrichment cursor, reruns, corrections and own models.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from webcare.kit.db import BigId, JSONType, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("urgency", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("sentiment", sa.String(16), nullable=True))
    op.create_index("ix_conversations_urgency", "conversations", ["workspace_id", "urgency", "id"])
    op.create_table(
        "message_triage",
        sa.Column(
            "message_id",
            BigId,
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "workspace_id",
            BigId,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("intent", sa.String(16), nullable=False),
        sa.Column("intent_score", sa.Float(), nullable=False),
        sa.Column("urgency", sa.SmallInteger(), nullable=False),
        sa.Column("urgency_reasons", JSONType, nullable=False),
        sa.Column("pii", JSONType, nullable=False),
        sa.Column("versions", JSONType, nullable=False),
        sa.Column("corrected_by", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("enriched_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "triage_cursors",
        sa.Column(
            "workspace_id",
            BigId,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("last_message_id", BigId, nullable=False),
    )
    op.create_table(
        "triage_runs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "workspace_id",
            BigId,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("last_message_id", BigId, nullable=False),
        sa.Column("requested_by", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_table(
        "triage_corrections",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "workspace_id",
            BigId,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "message_id", BigId, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("task", sa.String(16), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("message_id", "task", name="uq_triage_corrections"),
    )
    op.create_table(
        "triage_workspace_models",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "workspace_id",
            BigId,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("task", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("artefact", sa.LargeBinary(), nullable=False),
        sa.Column("metrics", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("triage_workspace_models")
    op.drop_table("triage_corrections")
    op.drop_table("triage_runs")
    op.drop_table("triage_cursors")
    op.drop_table("message_triage")
    op.drop_index("ix_conversations_urgency", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("sentiment")
        batch.drop_column("urgency")
