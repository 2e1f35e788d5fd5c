"""E-mail mailboxes: the bytes of attachments that have no URL of their own.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webcare.kit.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = webcare.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_attachments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("channel_account_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_email_attachments_channel_account_id_channel_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_attachments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attachments")),
        sa.UniqueConstraint("token", name=op.f("uq_email_attachments_token")),
    )
    op.create_index(
        op.f("ix_email_attachments_channel_account_id"), "email_attachments", ["channel_account_id"]
    )
    op.create_index(
        op.f("ix_email_attachments_workspace_id"), "email_attachments", ["workspace_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_email_attachments_workspace_id"), table_name="email_attachments")
    op.drop_index(op.f("ix_email_attachments_channel_account_id"), table_name="email_attachments")
    op.drop_table("email_attachments")
