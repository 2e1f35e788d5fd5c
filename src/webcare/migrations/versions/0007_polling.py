"""Polling cursors for X mentions/search and Google reviews.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webcare.kit.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = webcare.kit.db.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "channel_poll_states",
        sa.Column("channel_account_id", _ID, nullable=False),
        sa.Column("cursor", _JSON, nullable=False),
        sa.Column("polled_at", _TIME, nullable=True),
        sa.Column("poll_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_channel_poll_states_channel_account_id_channel_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_account_id", name=op.f("pk_channel_poll_states")),
    )


def downgrade() -> None:
    op.drop_table("channel_poll_states")
