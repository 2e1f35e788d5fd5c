"""Mentions: items from monitored sources, imported in batches or read from feeds.

Functions the Listen UI (or an integration) calls:

- :func:`import_batch` — up to :data:`MAX_BATCH` items bought from a provider. Every item
  is checked before anything is written: one bad item refuses the whole batch with a 422
  listing each problem with its item's index. Idempotent by (source, external id): a
  retried batch stores nothing twice and says how many items were already there.
- :func:`store` — the write both doors share (feeds.py uses it too).

Mentions are percolated by the percolation job, like messages (percolation.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.listening import repository
from webcare.listening.models import ListeningSource, Mention, SourceKind

MAX_BATCH = 1000
MAX_TEXT = 100_000


@dataclass(frozen=True)
class MentionIn:
    """One item to store; ``text`` is plain text (feeds strip HTML before they get here)."""

    external_id: str
    published_at: datetime
    text: str = ""
    url: str | None = None
    title: str | None = None
    author: str | None = None
    reach: int | None = None
    lang: str | None = None
    author_id: str | None = None


@dataclass(frozen=True)
class ImportResult:
    source_id: int
    created: int
    duplicates: int
    #: Ids of the mentions created by this call, in the order of the items.
    mention_ids: list[int]


def problems(items: Sequence[MentionIn]) -> list[dict[str, Any]]:
    """What is wrong with each item: ``[{"index", "field", "message"}]`` (empty when fine)."""
    found: list[dict[str, Any]] = []

    def bad(index: int, field: str, message: str) -> None:
        found.append({"index": index, "field": field, "message": message})

    for index, item in enumerate(items):
        if not item.external_id.strip() or len(item.external_id) > 500:
            bad(index, "external_id", "needs 1 to 500 characters")
        if item.published_at.tzinfo is None:
            bad(index, "published_at", "must include a time zone")
        if not (item.text or "").strip() and not (item.title or "").strip():
            bad(index, "text", "an item needs text or a title")
        if len(item.text) > MAX_TEXT:
            bad(index, "text", f"is longer than {MAX_TEXT} characters")
        if item.url is not None and not is_web_url(item.url):
            bad(index, "url", "must be an http(s) URL of at most 2000 characters")
        if item.reach is not None and item.reach < 0:
            bad(index, "reach", "must not be negative")
        if item.lang is not None and not (2 <= len(item.lang) <= 8 and item.lang.isascii()):
            bad(index, "lang", "must be a language code such as 'nl'")
    return found


def is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) <= 2000 and " " not in url


def import_batch(
    session: Session, actor: Principal, source_name: str, items: Sequence[MentionIn]
) -> ImportResult:
    """Store a provider's batch under the import source ``source_name`` (created on first use)."""
    if not items:
        raise Invalid("send at least one item")
    if len(items) > MAX_BATCH:
        raise Invalid(f"send at most {MAX_BATCH} items at once")
    found = problems(items)
    if found:
        summary = "; ".join(f"item {p['index']}: {p['field']} {p['message']}" for p in found[:5])
        raise Invalid(summary, extra={"problems": found})
    source = import_source(session, actor.workspace_id, source_name)
    created = store(session, source, items)
    return ImportResult(
        source_id=source.id,
        created=len(created),
        duplicates=len(items) - len(created),
        mention_ids=created,
    )


def import_source(session: Session, workspace_id: int, name: str) -> ListeningSource:
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise Invalid("source needs a name of 1 to 200 characters")
    source = repository.source_by_name(session, workspace_id, clean)
    if source is None:
        source = ListeningSource(
            workspace_id=workspace_id, kind=SourceKind.IMPORT.value, name=clean
        )
        session.add(source)
        session.flush()
    elif source.kind != SourceKind.IMPORT.value:
        raise Invalid(f"'{clean}' is a {source.kind} source; import under another name")
    return source


def store(session: Session, source: ListeningSource, items: Sequence[MentionIn]) -> list[int]:
    """Insert the items not stored yet; returns the new mentions' ids.

    ``ON CONFLICT DO NOTHING`` on (source, external id) makes a concurrent import of the same
    items harmless; an external id repeated inside ``items`` counts once (the first).
    """
    now = utc_now()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        if item.external_id in seen:
            continue
        seen.add(item.external_id)
        rows.append(
            {
                "workspace_id": source.workspace_id,
                "source_id": source.id,
                "external_id": item.external_id,
                "url": item.url,
                "title": (item.title or None) and item.title[:1000],
                "author": (item.author or None) and item.author[:200],
                "author_id": (item.author_id or None) and item.author_id[:200],
                "text": item.text[:MAX_TEXT],
                "published_at": item.published_at,
                "reach": item.reach,
                "lang": item.lang.lower() if item.lang else None,
                "received_at": now,
            }
        )
    if not rows:
        return []
    session.flush()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    created: list[int] = []
    for start in range(0, len(rows), 200):
        stmt = (
            insert(Mention)
            .values(rows[start : start + 200])
            .on_conflict_do_nothing()
            .returning(Mention.id)
        )
        created.extend(session.scalars(stmt))
    return sorted(created)
