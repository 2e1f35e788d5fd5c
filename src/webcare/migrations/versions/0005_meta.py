"""Meta (Facebook and Instagram) sending state: hidden and liked customer comments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webcare.kit.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TIME = webcare.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): on SQLite a table copy would drop the FTS triggers.
    op.add_column("messages", sa.Column("hidden_at", _TIME, nullable=True))
    op.add_column("messages", sa.Column("liked_at", _TIME, nullable=True))


def downgrade() -> None:
    op.drop_column("messages", "liked_at")
    op.drop_column("messages", "hidden_at")
