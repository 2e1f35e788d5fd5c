"""What a query found: hits page by page, volume over time, top authors, words, share of voice.

Functions the Listen UI calls; each checks that the queries belong to the workspace (another
workspace's query is "not found") and reads only ``listening_hits`` plus the texts it shows.
Time is the item's own time (when the post was published), so a backfill's hits land in
the hours they were written, not in the hour the backfill ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.listening import repository, words
from webcare.listening.errors import QueryNotFound
from webcare.listening.models import Hit, ListeningQuery

BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
#: The most buckets one volume call returns (a month of hours, a year of days).
MAX_BUCKETS = {"hour": 24 * 31, "day": 366}
#: Word clouds are built from at most this many of the newest hits in the window.
MAX_WORD_HITS = 2000
MAX_QUERIES = 20


@dataclass(frozen=True)
class HitItem:
    """One hit as the UI lists it: the item's text and where it lives."""

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


@dataclass(frozen=True)
class HitPage:
    items: list[HitItem]
    #: Pass as ``cursor`` for the next (older) page; None on the last page.
    next_cursor: int | None


@dataclass(frozen=True)
class AuthorStat:
    author: str
    reach: int | None
    hits: int


@dataclass(frozen=True)
class Share:
    query_id: int
    name: str
    hits: int
    #: ``hits`` divided by the hits of all the queries together (0.0 when there are none).
    share: float


def queries_or_raise(
    session: Session, workspace_id: int, query_ids: Sequence[int]
) -> list[ListeningQuery]:
    """The workspace's queries with these ids, in the order given; 404 for any other id."""
    wanted = list(dict.fromkeys(query_ids))
    if not wanted:
        raise Invalid("name at least one query")
    if len(wanted) > MAX_QUERIES:
        raise Invalid(f"at most {MAX_QUERIES} queries at once")
    found = {q.id: q for q in repository.queries_by_ids(session, workspace_id, wanted)}
    for query_id in wanted:
        if query_id not in found:
            raise QueryNotFound(query_id)
    return [found[q] for q in wanted]


def hits(
    session: Session,
    workspace_id: int,
    query_id: int,
    *,
    limit: int = 50,
    cursor: int | None = None,
) -> HitPage:
    """The query's hits, newest first (keyset paging on the hit id)."""
    queries_or_raise(session, workspace_id, [query_id])
    rows = repository.hits_page(session, workspace_id, query_id, limit + 1, cursor)
    page = rows[:limit]
    return HitPage(
        items=describe(session, workspace_id, page),
        next_cursor=page[-1].id if len(rows) > limit else None,
    )


def describe(session: Session, workspace_id: int, rows: Sequence[Hit]) -> list[HitItem]:
    """Hits with their items' texts, in two queries whatever the number of hits."""
    message_ids = {h.message_id for h in rows if h.message_id is not None}
    mention_ids = {h.mention_id for h in rows if h.mention_id is not None}
    texts = repository.message_texts(session, workspace_id, message_ids)
    conversations = repository.message_conversations(session, workspace_id, message_ids)
    mentions = repository.mentions_by_ids(session, workspace_id, mention_ids)
    proactive = repository.mention_conversations(session, workspace_id, mention_ids)
    items = []
    for hit in rows:
        mention = mentions.get(hit.mention_id) if hit.mention_id is not None else None
        items.append(
            HitItem(
                id=hit.id,
                query_id=hit.query_id,
                message_id=hit.message_id,
                mention_id=hit.mention_id,
                conversation_id=(
                    conversations.get(hit.message_id)
                    if hit.message_id is not None
                    else proactive.get(hit.mention_id or 0)
                ),
                item_time=hit.item_time,
                author=hit.author,
                reach=hit.reach,
                title=mention.title if mention else None,
                text=mention.text if mention else texts.get(hit.message_id or 0, ""),
                url=mention.url if mention else None,
                matched_at=hit.matched_at,
            )
        )
    return items


def volume(
    session: Session,
    workspace_id: int,
    query_ids: Sequence[int],
    *,
    bucket: str = "hour",
    since: datetime | None = None,
) -> dict[int, list[tuple[datetime, int]]]:
    """Hits per hour or day since ``since`` for each query, empty buckets included as 0."""
    queries_or_raise(session, workspace_id, query_ids)
    if bucket not in BUCKETS:
        raise Invalid("bucket must be 'hour' or 'day'")
    now = utc_now()
    step = BUCKETS[bucket]
    start = truncate(since or now - step * 24, bucket)
    if start > now:
        raise Invalid("since must be in the past")
    if (now - start) / step >= MAX_BUCKETS[bucket]:
        raise Invalid(f"at most {MAX_BUCKETS[bucket]} {bucket}s at once; choose a later 'since'")
    counts: dict[tuple[int, datetime], int] = {}
    for query_id, raw, n in repository.volume_rows(session, workspace_id, query_ids, bucket, start):
        counts[(query_id, as_datetime(raw))] = n
    series: dict[int, list[tuple[datetime, int]]] = {}
    for query_id in dict.fromkeys(query_ids):
        points = []
        at = start
        while at <= now:
            points.append((at, counts.get((query_id, at), 0)))
            at += step
        series[query_id] = points
    return series


def top_authors(
    session: Session,
    workspace_id: int,
    query_ids: Sequence[int],
    *,
    since: datetime,
    limit: int = 20,
) -> list[AuthorStat]:
    """Authors of the hits since ``since``, by reach (followers, readers), then by hits."""
    queries_or_raise(session, workspace_id, query_ids)
    rows = repository.author_rows(session, workspace_id, query_ids, since, limit)
    return [AuthorStat(author=a, reach=r, hits=n) for a, r, n in rows]


def word_counts(
    session: Session,
    workspace_id: int,
    query_ids: Sequence[int],
    *,
    since: datetime,
    limit: int = 100,
) -> list[tuple[str, int]]:
    """The most used words of the hits since ``since`` (stop words left out), for a cloud.

    Counts the newest :data:`MAX_WORD_HITS` hits; a word counts once per item.
    """
    queries_or_raise(session, workspace_id, query_ids)
    rows = repository.hits_in_window(session, workspace_id, query_ids, since, limit=MAX_WORD_HITS)
    counter = words.count(_texts(session, workspace_id, rows))
    return sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


def share_of_voice(
    session: Session, workspace_id: int, query_ids: Sequence[int], *, since: datetime
) -> list[Share]:
    """Each query's part of the hits of all of them since ``since`` (brand vs competitors)."""
    queries = queries_or_raise(session, workspace_id, query_ids)
    counts = repository.counts_by_query(session, workspace_id, [q.id for q in queries], since)
    total = sum(counts.values())
    return [
        Share(
            query_id=q.id,
            name=q.name,
            hits=counts.get(q.id, 0),
            share=counts.get(q.id, 0) / total if total else 0.0,
        )
        for q in queries
    ]


def truncate(at: datetime, bucket: str) -> datetime:
    """The start of the hour or (UTC) day ``at`` falls in."""
    at = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if bucket == "day" else at


def _texts(session: Session, workspace_id: int, rows: Sequence[Hit]) -> list[str]:
    """Each hit's item text once (two queries hitting one item count it once)."""
    seen: set[tuple[int | None, int | None]] = set()
    unique = []
    for hit in rows:
        key = (hit.message_id, hit.mention_id)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return [
        " ".join(filter(None, (item.title, item.text)))
        for item in describe(session, workspace_id, unique)
    ]


def as_datetime(raw: Any) -> datetime:
    """A bucket start as either backend returns it (a string from SQLite), in UTC."""
    if isinstance(raw, str):
        raw = datetime.fromisoformat(raw)
    assert isinstance(raw, datetime)
    return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)
