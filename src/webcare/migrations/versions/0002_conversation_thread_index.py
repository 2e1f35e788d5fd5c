"""Index for threading private messages into the contact's latest conversation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Without it every DM scanned all of its account's conversations (measured by bench/ingest.py:
19 ms a lookup at 200,000 messages on PostgreSQL, 0.06 ms with it).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_conversations_thread",
        "conversations",
        ["channel_account_id", "contact_id", "kind", "last_activity_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_thread", table_name="conversations")
