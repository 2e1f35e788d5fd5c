"""Web chat: fixed-window rate counters for visitors' posts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webcare.kit.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TIME = webcare.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webchat_rate_windows",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", _TIME, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_webchat_rate_windows")),
    )


def downgrade() -> None:
    op.drop_table("webchat_rate_windows")
