"""API shapes of listening: saved queries, hits and statistics, mentions, feeds, backfills."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from webcare.listening.query import QueryWarning

PriorityName = Literal["low", "normal", "high", "urgent"]


class WarningOut(BaseModel):
    message: str
    #: 0-based character offset in the query text.
    position: int

    @classmethod
    def of(cls, warning: QueryWarning) -> WarningOut:
        return cls(message=warning.message, position=warning.position)


class QueryCheck(BaseModel):
    query: str = Field(max_length=4000)


class QueryCheckOut(BaseModel):
    warnings: list[WarningOut]


class QueryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=4000)
    enabled: bool = True
    route_to_inbox: bool = False
    team_id: int | None = None
    label_id: int | None = None
    priority: PriorityName | None = None
    alert_webhook_url: str | None = Field(default=None, max_length=2000)


class QueryUpdate(BaseModel):
    """Only the fields sent are changed; send ``null`` to clear team, label, priority or URL."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    query: str | None = Field(default=None, min_length=1, max_length=4000)
    enabled: bool | None = None
    route_to_inbox: bool | None = None
    team_id: int | None = None
    label_id: int | None = None
    priority: PriorityName | None = None
    alert_webhook_url: str | None = Field(default=None, max_length=2000)


class QueryOut(BaseModel):
    id: int
    name: str
    query: str
    enabled: bool
    route_to_inbox: bool
    team_id: int | None
    label_id: int | None
    priority: str | None
    alert_webhook_url: str | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    warnings: list[WarningOut]
    #: The signing secret of alert webhooks: shown once, when it is generated.
    alert_webhook_secret: str | None = None


class HitOut(BaseModel):
    id: int
    query_id: int
    message_id: int | None
    mention_id: int | None
    conversation_id: int | None
    item_time: datetime
    author: str | None
    reach: int | None
    title: str | None
    text: str
    url: str | None
    matched_at: datetime


class HitPageOut(BaseModel):
    items: list[HitOut]
    next_cursor: str | None


class VolumePoint(BaseModel):
    at: datetime
    count: int


class VolumeSeries(BaseModel):
    query_id: int
    points: list[VolumePoint]


class VolumeOut(BaseModel):
    bucket: str
    series: list[VolumeSeries]


class AuthorOut(BaseModel):
    author: str
    reach: int | None
    hits: int


class WordOut(BaseModel):
    word: str
    count: int


class ShareOut(BaseModel):
    query_id: int
    name: str
    hits: int
    share: float


class MentionItemIn(BaseModel):
    """One item from a provider. ``text`` is plain text."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=500, description="Unique per source.")
    published_at: datetime = Field(description="When it was published, with a time zone.")
    text: str = Field(default="", max_length=100_000)
    url: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=1000)
    author: str | None = Field(default=None, max_length=200)
    reach: int | None = Field(default=None, ge=0, description="Followers or readers.")
    lang: str | None = Field(default=None, max_length=8, description="ISO 639-1, e.g. 'nl'.")


class MentionImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=200, description="The provider's name.")
    items: list[MentionItemIn] = Field(min_length=1, max_length=1000)


class MentionImportOut(BaseModel):
    source_id: int
    created: int
    duplicates: int
    mention_ids: list[int]


class FeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000, description="An RSS or Atom feed (http/https).")


class XSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    channel_account_id: int = Field(description="The X account whose token runs the search.")
    query: str = Field(
        min_length=1, max_length=512, description="X search syntax, e.g. 'glasnet -is:retweet'."
    )


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    feed_url: str | None
    search_query: str | None = None
    channel_account_id: int | None = None
    last_polled_at: datetime | None
    last_error: str | None
    created_at: datetime


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    query_id: int
    window_start: datetime
    count: int
    baseline_mean: float
    baseline_stddev: float
    top_terms: list[str]
    examples: list[dict[str, Any]]
    created_at: datetime


class BackfillOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    query_id: int
    status: str
    total: int
    done: int
    hits: int
    created_at: datetime
    finished_at: datetime | None


class PreviewIn(BaseModel):
    query: str = Field(max_length=4000)
    days: int = Field(default=7, ge=1, le=30)


class PreviewItemOut(BaseModel):
    message_id: int | None
    mention_id: int | None
    item_time: datetime
    author: str | None
    text: str
    url: str | None


class ClauseOut(BaseModel):
    clause: str
    hits: int


class PreviewOut(BaseModel):
    scanned: int
    hits: int
    examples: list[PreviewItemOut]
    clauses: list[ClauseOut]
    warnings: list[WarningOut]
