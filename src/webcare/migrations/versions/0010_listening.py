"""Saved listening queries, hits, sources and mentions, alerts, backfills; proactive conversations.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webcare.kit.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = webcare.kit.db.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

_TABLES = (
    "listening_hits",
    "listening_backfills",
    "listening_alerts",
    "listening_queries",
    "listening_mentions",
    "listening_versions",
    "listening_sources",
    "listening_cursors",
)


def upgrade() -> None:
    op.create_table(
        "listening_cursors",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_listening_cursors")),
    )
    op.create_table(
        "listening_sources",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("feed_url", sa.String(length=2000), nullable=True),
        sa.Column("search_query", sa.String(length=512), nullable=True),
        sa.Column("channel_account_id", _ID, nullable=True),
        sa.Column("since_id", sa.String(length=64), nullable=True),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("last_polled_at", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_sources_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_listening_sources_channel_account_id_channel_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_sources")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_listening_sources_workspace_id_name")
        ),
    )
    op.create_table(
        "listening_versions",
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_versions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_listening_versions")),
    )
    op.create_table(
        "listening_mentions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("source_id", _ID, nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("author_id", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", _TIME, nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("received_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["listening_sources.id"],
            name=op.f("fk_listening_mentions_source_id_listening_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_mentions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_mentions")),
        sa.UniqueConstraint(
            "source_id", "external_id", name=op.f("uq_listening_mentions_source_id_external_id")
        ),
    )
    op.create_index(
        "ix_listening_mentions_workspace",
        "listening_mentions",
        ["workspace_id", "id"],
        unique=False,
    )
    op.create_table(
        "listening_queries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("route_to_inbox", sa.Boolean(), nullable=False),
        sa.Column("team_id", _ID, nullable=True),
        sa.Column("label_id", _ID, nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("alert_webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("alert_webhook_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_listening_queries_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_listening_queries_label_id_labels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_listening_queries_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_queries_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_queries")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_listening_queries_workspace_id_name")
        ),
    )
    op.create_table(
        "listening_alerts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("query_id", _ID, nullable=False),
        sa.Column("window_start", _TIME, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline_mean", sa.Float(), nullable=False),
        sa.Column("baseline_stddev", sa.Float(), nullable=False),
        sa.Column("top_terms", _JSON, nullable=False),
        sa.Column("examples", _JSON, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["listening_queries.id"],
            name=op.f("fk_listening_alerts_query_id_listening_queries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_alerts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_alerts")),
        sa.UniqueConstraint(
            "query_id", "window_start", name=op.f("uq_listening_alerts_query_id_window_start")
        ),
    )
    op.create_index(
        op.f("ix_listening_alerts_workspace_id"), "listening_alerts", ["workspace_id"], unique=False
    )
    op.create_table(
        "listening_backfills",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("query_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("max_message_id", sa.BigInteger(), nullable=False),
        sa.Column("max_mention_id", sa.BigInteger(), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=False),
        sa.Column("last_mention_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_listening_backfills_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["listening_queries.id"],
            name=op.f("fk_listening_backfills_query_id_listening_queries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_backfills_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_backfills")),
    )
    op.create_index(
        op.f("ix_listening_backfills_workspace_id"),
        "listening_backfills",
        ["workspace_id"],
        unique=False,
    )
    op.create_table(
        "listening_hits",
        sa.Column("id", _ID, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("query_id", _ID, nullable=False),
        sa.Column("message_id", _ID, nullable=True),
        sa.Column("mention_id", _ID, nullable=True),
        sa.Column("item_time", _TIME, nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("matched_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "(message_id IS NULL) <> (mention_id IS NULL)", name=op.f("ck_listening_hits_one_item")
        ),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["listening_mentions.id"],
            name=op.f("fk_listening_hits_mention_id_listening_mentions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_listening_hits_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["listening_queries.id"],
            name=op.f("fk_listening_hits_query_id_listening_queries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_listening_hits_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_hits")),
        sa.UniqueConstraint(
            "query_id", "mention_id", name=op.f("uq_listening_hits_query_id_mention_id")
        ),
        sa.UniqueConstraint(
            "query_id", "message_id", name=op.f("uq_listening_hits_query_id_message_id")
        ),
    )
    op.create_index(
        op.f("ix_listening_hits_mention_id"), "listening_hits", ["mention_id"], unique=False
    )
    op.create_index(
        op.f("ix_listening_hits_message_id"), "listening_hits", ["message_id"], unique=False
    )
    op.create_index(
        "ix_listening_hits_query_time", "listening_hits", ["query_id", "item_time"], unique=False
    )
    op.create_index(
        "ix_listening_hits_query_page", "listening_hits", ["query_id", "id"], unique=False
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("proactive", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("conversation_id", existing_type=_ID, nullable=True)
        batch.add_column(sa.Column("link", sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE conversation_id IS NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("link")
        batch.alter_column("conversation_id", existing_type=_ID, nullable=False)
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("proactive")
    for table in _TABLES:
        op.drop_table(table)
