"""Listening's rows: saved queries, their hits, monitored sources and their mentions, alerts.

Invariants:
- A query's ``name`` is unique per workspace; its ``query`` text always parses (the service
  refuses text that does not).
- A hit is stored once per (query, message) and once per (query, mention): the percolation
  job, a backfill and a repeated run may all find the same item.
- A mention is stored once per (source, external id): an import may be retried.
- ``listening_versions.version`` changes with every change to a workspace's queries, so each
  process can tell that its cached percolator is stale (:mod:`webcare.listening.percolation`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, BigId, JSONType, UTCDateTime
from webcare.kit.time import utc_now


class ListeningQuery(Base):
    """A saved Boolean query and what to do with its hits."""

    __tablename__ = "listening_queries"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    query: Mapped[str] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    #: Hits on items outside the inbox become proactive conversations (see proactive.py).
    route_to_inbox: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    label_id: Mapped[int | None] = mapped_column(sa.ForeignKey("labels.id", ondelete="SET NULL"))
    priority: Mapped[str | None] = mapped_column(sa.String(16))
    #: Spike alerts are also POSTed here, signed with ``alert_webhook_secret_encrypted``.
    alert_webhook_url: Mapped[str | None] = mapped_column(sa.String(2000))
    alert_webhook_secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ListeningVersion(Base):
    """A workspace's query version: replaced on every query change, read by every process.

    A random token rather than a counter, so a cache can never mistake another database's
    (or a restored backup's) workspace with the same id and count for its own.
    """

    __tablename__ = "listening_versions"

    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[str] = mapped_column(sa.String(32))


class CursorName(enum.StrEnum):
    MESSAGES = "messages"
    MENTIONS = "mentions"


class ListeningCursor(Base):
    """How far the percolation job got in one stream (all workspaces share the row).

    Locked while a batch is processed, so two workers never percolate the same batch; moved
    forward in the transaction that stores the batch's hits.
    """

    __tablename__ = "listening_cursors"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SourceKind(enum.StrEnum):
    FEED = "feed"
    IMPORT = "import"
    #: X recent search for a query, through one of the workspace's X accounts.
    X_SEARCH = "x_search"


class ListeningSource(Base):
    """Where mentions come from: an RSS/Atom feed we poll, or a provider that imports to us."""

    __tablename__ = "listening_sources"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    feed_url: Mapped[str | None] = mapped_column(sa.String(2000))
    search_query: Mapped[str | None] = mapped_column(sa.String(512))
    channel_account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("channel_accounts.id", ondelete="CASCADE")
    )
    #: X search: the newest post id seen, so the next search asks only for newer posts.
    since_id: Mapped[str | None] = mapped_column(sa.String(64))
    etag: Mapped[str | None] = mapped_column(sa.String(500))
    last_modified: Mapped[str | None] = mapped_column(sa.String(100))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Mention(Base):
    """One item from a monitored source: a news article, blog post, forum post, bought post."""

    __tablename__ = "listening_mentions"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "external_id"),
        sa.Index("ix_listening_mentions_workspace", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listening_sources.id", ondelete="CASCADE")
    )
    external_id: Mapped[str] = mapped_column(sa.String(500))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    title: Mapped[str | None] = mapped_column(sa.String(1000))
    author: Mapped[str | None] = mapped_column(sa.String(200))
    #: The author's id on the platform, where the source has one (X search).
    author_id: Mapped[str | None] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reach: Mapped[int | None] = mapped_column(sa.BigInteger)
    lang: Mapped[str | None] = mapped_column(sa.String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Hit(Base):
    """A query matched an inbox message or a mention (exactly one of the two is set).

    ``item_time``, ``author`` and ``reach`` are copied from the item so volume, top authors
    and share of voice are one query over this table, whatever the item's kind.
    """

    __tablename__ = "listening_hits"
    __table_args__ = (
        sa.UniqueConstraint("query_id", "message_id"),
        sa.UniqueConstraint("query_id", "mention_id"),
        sa.Index("ix_listening_hits_query_time", "query_id", "item_time"),
        sa.Index("ix_listening_hits_query_page", "query_id", "id"),
        sa.CheckConstraint("(message_id IS NULL) <> (mention_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    query_id: Mapped[int] = mapped_column(sa.ForeignKey("listening_queries.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    mention_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listening_mentions.id", ondelete="CASCADE"), index=True
    )
    item_time: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str | None] = mapped_column(sa.String(200))
    reach: Mapped[int | None] = mapped_column(sa.BigInteger)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Alert(Base):
    """A spike: a query's volume in one hour far above its own recent baseline."""

    __tablename__ = "listening_alerts"
    __table_args__ = (sa.UniqueConstraint("query_id", "window_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    query_id: Mapped[int] = mapped_column(sa.ForeignKey("listening_queries.id", ondelete="CASCADE"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(sa.Integer)
    baseline_mean: Mapped[float] = mapped_column(sa.Float)
    baseline_stddev: Mapped[float] = mapped_column(sa.Float)
    top_terms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: A few hits of the window: ``[{"message_id"|"mention_id": id, "text": ...}]``.
    examples: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class BackfillStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Backfill(Base):
    """Running one query over the items stored before it existed, batch by batch."""

    __tablename__ = "listening_backfills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    query_id: Mapped[int] = mapped_column(sa.ForeignKey("listening_queries.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default=BackfillStatus.QUEUED.value)
    total: Mapped[int] = mapped_column(sa.Integer, default=0)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    hits: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Items up to these ids (at the start) are covered; later items are percolated live.
    max_message_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    max_mention_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_message_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_mention_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
