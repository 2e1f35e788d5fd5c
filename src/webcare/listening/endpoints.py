"""HTTP for listening: saved queries, their hits and statistics (``/api/v1/listening``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.dependencies import DbSession, RuntimeDep
from webcare.kit.errors import Invalid
from webcare.kit.time import ensure_utc, utc_now
from webcare.listening import (
    analytics,
    backfill,
    feeds,
    mentions,
    preview,
    service,
    spikes,
    x_search,
)
from webcare.listening.schemas import (
    AlertOut,
    AuthorOut,
    BackfillOut,
    ClauseOut,
    FeedCreate,
    HitOut,
    HitPageOut,
    MentionImportIn,
    MentionImportOut,
    PreviewIn,
    PreviewItemOut,
    PreviewOut,
    QueryCheck,
    QueryCheckOut,
    QueryCreate,
    QueryOut,
    QueryUpdate,
    ShareOut,
    SourceOut,
    VolumeOut,
    VolumePoint,
    VolumeSeries,
    WarningOut,
    WordOut,
    XSearchCreate,
)
from webcare.listening.service import SavedQuery

router = APIRouter(prefix="/api/v1/listening", tags=["listening"])

QueryIds = Annotated[list[int], Query(alias="query_id", description="One or more query ids")]
Since = Annotated[datetime | None, Query(description="Start of the window (default: 7 days ago)")]


def _out(saved: SavedQuery) -> QueryOut:
    q = saved.query
    return QueryOut(
        id=q.id,
        name=q.name,
        query=q.query,
        enabled=q.enabled,
        route_to_inbox=q.route_to_inbox,
        team_id=q.team_id,
        label_id=q.label_id,
        priority=q.priority,
        alert_webhook_url=q.alert_webhook_url,
        created_by=q.created_by,
        created_at=q.created_at,
        updated_at=q.updated_at,
        warnings=[WarningOut.of(w) for w in saved.warnings],
        alert_webhook_secret=saved.new_webhook_secret,
    )


def _since(value: datetime | None) -> datetime:
    if value is None:
        return utc_now() - timedelta(days=7)
    if value.tzinfo is None:
        raise Invalid("since must include a time zone (e.g. 2026-11-23T00:00:00Z)")
    return ensure_utc(value)


@router.post("/queries/check", response_model=QueryCheckOut)
def check_query(body: QueryCheck, principal: PrincipalDep) -> QueryCheckOut:
    """Parse query text without saving it: its warnings, or a 422 naming the position."""
    principal.require(Scope.LISTENING_READ)
    return QueryCheckOut(warnings=[WarningOut.of(w) for w in service.check(body.query)])


@router.post("/queries/preview", response_model=PreviewOut)
def preview_query(body: PreviewIn, db: DbSession, principal: PrincipalDep) -> PreviewOut:
    """What the query text would have found over the last ``days``, with counts per clause."""
    principal.require(Scope.LISTENING_READ)
    result = preview.preview(db, principal.workspace_id, body.query, days=body.days)
    return PreviewOut(
        scanned=result.scanned,
        hits=result.hits,
        examples=[PreviewItemOut(**vars(i)) for i in result.examples],
        clauses=[ClauseOut(clause=c.clause, hits=c.hits) for c in result.clauses],
        warnings=[WarningOut.of(w) for w in result.warnings],
    )


@router.get("/queries", response_model=list[QueryOut])
def list_queries(db: DbSession, principal: PrincipalDep) -> list[QueryOut]:
    principal.require(Scope.LISTENING_READ)
    return [
        _out(SavedQuery(q, service.warnings_of(q)))
        for q in service.list_queries(db, principal.workspace_id)
    ]


@router.post("/queries", response_model=QueryOut, status_code=201)
def create_query(
    body: QueryCreate, db: DbSession, principal: PrincipalDep, runtime: RuntimeDep
) -> QueryOut:
    principal.require(Scope.LISTENING_WRITE)
    saved = service.create(db, principal, runtime.secret_box, body.model_dump())
    return _out(saved)


@router.get("/queries/{query_id}", response_model=QueryOut)
def get_query(query_id: int, db: DbSession, principal: PrincipalDep) -> QueryOut:
    principal.require(Scope.LISTENING_READ)
    query = service.get_or_raise(db, principal.workspace_id, query_id)
    return _out(SavedQuery(query, service.warnings_of(query)))


@router.patch("/queries/{query_id}", response_model=QueryOut)
def update_query(
    query_id: int,
    body: QueryUpdate,
    db: DbSession,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> QueryOut:
    principal.require(Scope.LISTENING_WRITE)
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "query", "enabled", "route_to_inbox"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} cannot be null")
    saved = service.update(db, principal, runtime.secret_box, query_id, changes)
    return _out(saved)


@router.delete("/queries/{query_id}", status_code=204)
def delete_query(query_id: int, db: DbSession, principal: PrincipalDep) -> Response:
    principal.require(Scope.LISTENING_WRITE)
    service.delete(db, principal, query_id)
    return Response(status_code=204)


@router.get("/queries/{query_id}/hits", response_model=HitPageOut)
def query_hits(
    query_id: int,
    db: DbSession,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> HitPageOut:
    principal.require(Scope.LISTENING_READ)
    before = _cursor(cursor)
    page = analytics.hits(db, principal.workspace_id, query_id, limit=limit, cursor=before)
    return HitPageOut(
        items=[HitOut(**vars(item)) for item in page.items],
        next_cursor=str(page.next_cursor) if page.next_cursor is not None else None,
    )


@router.get("/volume", response_model=VolumeOut)
def volume(
    db: DbSession,
    principal: PrincipalDep,
    query_ids: QueryIds,
    bucket: Annotated[str, Query(pattern="^(hour|day)$")] = "hour",
    since: Since = None,
) -> VolumeOut:
    principal.require(Scope.LISTENING_READ)
    series = analytics.volume(
        db, principal.workspace_id, query_ids, bucket=bucket, since=_since(since) if since else None
    )
    return VolumeOut(
        bucket=bucket,
        series=[
            VolumeSeries(query_id=q, points=[VolumePoint(at=at, count=n) for at, n in points])
            for q, points in series.items()
        ],
    )


@router.get("/top-authors", response_model=list[AuthorOut])
def top_authors(
    db: DbSession,
    principal: PrincipalDep,
    query_ids: QueryIds,
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[AuthorOut]:
    principal.require(Scope.LISTENING_READ)
    rows = analytics.top_authors(
        db, principal.workspace_id, query_ids, since=_since(since), limit=limit
    )
    return [AuthorOut(author=r.author, reach=r.reach, hits=r.hits) for r in rows]


@router.get("/words", response_model=list[WordOut])
def word_counts(
    db: DbSession,
    principal: PrincipalDep,
    query_ids: QueryIds,
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[WordOut]:
    principal.require(Scope.LISTENING_READ)
    rows = analytics.word_counts(
        db, principal.workspace_id, query_ids, since=_since(since), limit=limit
    )
    return [WordOut(word=w, count=n) for w, n in rows]


@router.get("/share-of-voice", response_model=list[ShareOut])
def share_of_voice(
    db: DbSession, principal: PrincipalDep, query_ids: QueryIds, since: Since = None
) -> list[ShareOut]:
    principal.require(Scope.LISTENING_READ)
    rows = analytics.share_of_voice(db, principal.workspace_id, query_ids, since=_since(since))
    return [ShareOut(query_id=r.query_id, name=r.name, hits=r.hits, share=r.share) for r in rows]


@router.post("/mentions", response_model=MentionImportOut)
def import_mentions(
    body: MentionImportIn, db: DbSession, principal: PrincipalDep
) -> MentionImportOut:
    """Store a batch of up to 1,000 mentions; all or nothing, idempotent by external id."""
    principal.require(Scope.LISTENING_WRITE)
    items = [mentions.MentionIn(**item.model_dump()) for item in body.items]
    result = mentions.import_batch(db, principal, body.source, items)
    return MentionImportOut(**vars(result))


@router.get("/sources", response_model=list[SourceOut])
def list_sources(db: DbSession, principal: PrincipalDep) -> list[SourceOut]:
    """Feeds and import sources, with each feed's last poll and error."""
    principal.require(Scope.LISTENING_READ)
    return [SourceOut.model_validate(s) for s in feeds.list_sources(db, principal.workspace_id)]


@router.post("/feeds", response_model=SourceOut, status_code=201)
def add_feed(body: FeedCreate, db: DbSession, principal: PrincipalDep) -> SourceOut:
    principal.require(Scope.LISTENING_WRITE)
    return SourceOut.model_validate(feeds.add_feed(db, principal, body.name, body.url))


@router.post("/x-searches", response_model=SourceOut, status_code=201)
def add_x_search(body: XSearchCreate, db: DbSession, principal: PrincipalDep) -> SourceOut:
    """Monitor posts matching an X search, run every 5 minutes through one of your X accounts."""
    principal.require(Scope.LISTENING_WRITE)
    source = x_search.add_search(
        db, principal, name=body.name, channel_account_id=body.channel_account_id, query=body.query
    )
    return SourceOut.model_validate(source)


@router.delete("/sources/{source_id}", status_code=204)
def delete_source(source_id: int, db: DbSession, principal: PrincipalDep) -> Response:
    principal.require(Scope.LISTENING_WRITE)
    feeds.delete_source(db, principal, source_id)
    return Response(status_code=204)


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    db: DbSession, principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[AlertOut]:
    """Spike alerts, newest first."""
    principal.require(Scope.LISTENING_READ)
    rows = spikes.list_alerts(db, principal.workspace_id, limit)
    return [AlertOut.model_validate(a) for a in rows]


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: int, db: DbSession, principal: PrincipalDep) -> AlertOut:
    principal.require(Scope.LISTENING_READ)
    return AlertOut.model_validate(spikes.get_alert_or_raise(db, principal.workspace_id, alert_id))


@router.post("/queries/{query_id}/backfill", response_model=BackfillOut, status_code=202)
def start_backfill(query_id: int, db: DbSession, principal: PrincipalDep) -> BackfillOut:
    """Run the query over stored messages and mentions, in the background."""
    principal.require(Scope.LISTENING_WRITE)
    return BackfillOut.model_validate(backfill.start(db, principal, query_id))


@router.get("/backfills/{backfill_id}", response_model=BackfillOut)
def get_backfill(backfill_id: int, db: DbSession, principal: PrincipalDep) -> BackfillOut:
    """A backfill's progress: ``done`` of ``total`` items, ``hits`` found, ``status``."""
    principal.require(Scope.LISTENING_READ)
    return BackfillOut.model_validate(
        backfill.get_or_raise(db, principal.workspace_id, backfill_id)
    )


def _cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise Invalid("cursor is not valid; start again without it")
    return int(cursor)
