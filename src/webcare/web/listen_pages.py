"""The Listen pages: saved queries, their live preview, their results and share of voice.

Everyone in the workspace may read (``listening:read``); creating, changing, deleting and
backfilling need ``listening:write`` (leads and admins). Every form is a plain POST with the
CSRF field that also works without JavaScript; htmx only adds the live preview while typing,
"Show more", the backfill's progress and the stream's refresh every 30 seconds.

Saving checks the query text first: a query that does not parse is never saved, and the form
comes back with a 422 and the error's position marked. A refused change is made inside a
savepoint, so nothing half-done reaches the request's commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from webcare.auth.principal import Scope
from webcare.conversation import service as conversations
from webcare.dependencies import DbSession, RuntimeDep
from webcare.kit.errors import Invalid, WebcareError
from webcare.kit.time import utc_now
from webcare.listening import analytics, backfill, service, spikes
from webcare.listening.models import Backfill, ListeningQuery
from webcare.triage import service as triage
from webcare.web import listen_charts as charts
from webcare.web import listen_preview
from webcare.web.context import Ui, UiDep
from webcare.web.error_pages import is_htmx
from webcare.web.navigation import int_param
from webcare.web.templating import render
from webcare.workspace import service as workspaces

router = APIRouter(prefix="/listen", include_in_schema=False)

Short = Annotated[str, Form(max_length=200)]
Url = Annotated[str, Form(max_length=2000)]
QueryText = Annotated[str, Form(max_length=service.MAX_QUERY_LENGTH)]
Cursor = Annotated[str | None, Query(max_length=20)]

#: Periods the results and share-of-voice pages offer: how far back, and the default bucket.
PERIODS: dict[str, tuple[timedelta, str]] = {
    "24h": (timedelta(hours=24), "hour"),
    "7d": (timedelta(days=7), "day"),
    "30d": (timedelta(days=30), "day"),
}
PAGE_SIZE = 20
#: Hits whose triage makes the sentiment split (the newest of the query).
SENTIMENT_SAMPLE = 200
NOTICES = frozenset({"created", "changed", "backfill"})
PRIORITIES = ("low", "normal", "high", "urgent")


def _can_write(ui: Ui) -> bool:
    return Scope.LISTENING_WRITE in ui.principal.scopes


def _page(
    request: Request, ui: Ui, template: str, status_code: int = 200, **context: Any
) -> Response:
    full = {**ui.template_context(), "can_write": _can_write(ui), **context}
    return render(request, template, full, locale=ui.locale, status_code=status_code)


def _period(period: str, bucket: str) -> tuple[str, datetime, str]:
    """A known period (else 7 days) and a bucket ('hour' or 'day', else the period's own)."""
    name = period if period in PERIODS else "7d"
    length, default_bucket = PERIODS[name]
    return name, utc_now() - length, bucket if bucket in analytics.BUCKETS else default_bucket


# The list of queries ------------------------------------------------------------------------


@router.get("")
def index(request: Request, db: DbSession, ui: UiDep, saved: str = "") -> Response:
    queries = service.list_queries(db, ui.workspace.id)
    now = utc_now().astimezone(ui.tz)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return _page(
        request,
        ui,
        "listen/index.html",
        queries=queries,
        today=_counts(db, ui, queries, today.astimezone(UTC)),
        week=_counts(db, ui, queries, utc_now() - timedelta(days=7)),
        saved=saved if saved in NOTICES else "",
    )


def _counts(db: Session, ui: Ui, queries: list[ListeningQuery], since: datetime) -> dict[int, int]:
    counts: dict[int, int] = {}
    ids = [q.id for q in queries]
    for start in range(0, len(ids), analytics.MAX_QUERIES):
        chunk = ids[start : start + analytics.MAX_QUERIES]
        for share in analytics.share_of_voice(db, ui.workspace.id, chunk, since=since):
            counts[share.query_id] = share.hits
    return counts


# Creating and editing -----------------------------------------------------------------------


@router.get("/new")
def new_query(request: Request, db: DbSession, ui: UiDep) -> Response:
    ui.principal.require(Scope.LISTENING_WRITE)
    return _form(request, db, ui, None, {"enabled": True})


@router.get("/q/{query_id}/edit")
def edit_query(request: Request, db: DbSession, ui: UiDep, query_id: int) -> Response:
    ui.principal.require(Scope.LISTENING_WRITE)
    query = service.get_or_raise(db, ui.workspace.id, query_id)
    values = {
        "name": query.name,
        "query": query.query,
        "enabled": query.enabled,
        "route_to_inbox": query.route_to_inbox,
        "team_id": query.team_id,
        "label_id": query.label_id,
        "priority": query.priority,
        "alert_webhook_url": query.alert_webhook_url or "",
    }
    return _form(request, db, ui, query, values)


@router.post("/preview")
def preview(request: Request, db: DbSession, ui: UiDep, query: QueryText = "") -> Response:
    """The preview fragment the form asks for while the agent types (422 for a bad query)."""
    result = listen_preview.preview(db, ui.workspace.id, query)
    return _page(
        request,
        ui,
        "listen/_preview.html",
        status_code=422 if result.problem else 200,
        preview=result,
    )


@router.post("/new")
def create_query(
    request: Request,
    db: DbSession,
    ui: UiDep,
    runtime: RuntimeDep,
    name: Short = "",
    query: QueryText = "",
    route_to_inbox: Short = "",
    team_id: Short = "",
    label_id: Short = "",
    priority: Short = "",
    alert_webhook_url: Url = "",
    action: Short = "",
) -> Response:
    ui.principal.require(Scope.LISTENING_WRITE)
    values = _values(name, query, "on", route_to_inbox, team_id, label_id, priority)
    values["alert_webhook_url"] = alert_webhook_url.strip()
    if action == "preview":
        return _form(request, db, ui, None, values)
    try:
        changes = _changes(values)
        with db.begin_nested():
            saved = service.create(db, ui.principal, runtime.secret_box, changes)
    except WebcareError as exc:
        return _form(request, db, ui, None, values, error=exc)
    return _saved(request, ui, saved, "created")


@router.post("/q/{query_id}/edit")
def update_query(
    request: Request,
    db: DbSession,
    ui: UiDep,
    runtime: RuntimeDep,
    query_id: int,
    name: Short = "",
    query: QueryText = "",
    enabled: Short = "",
    route_to_inbox: Short = "",
    team_id: Short = "",
    label_id: Short = "",
    priority: Short = "",
    alert_webhook_url: Url = "",
    action: Short = "",
) -> Response:
    ui.principal.require(Scope.LISTENING_WRITE)
    stored = service.get_or_raise(db, ui.workspace.id, query_id)
    values = _values(name, query, enabled, route_to_inbox, team_id, label_id, priority)
    values["alert_webhook_url"] = alert_webhook_url.strip()
    if action == "preview":
        return _form(request, db, ui, stored, values)
    try:
        changes = _changes(values)
        with db.begin_nested():
            saved = service.update(db, ui.principal, runtime.secret_box, stored.id, changes)
    except WebcareError as exc:
        db.refresh(stored)
        return _form(request, db, ui, stored, values, error=exc)
    return _saved(request, ui, saved, "changed")


@router.post("/q/{query_id}/delete")
def delete_query(db: DbSession, ui: UiDep, query_id: int) -> Response:
    ui.principal.require(Scope.LISTENING_WRITE)
    service.delete(db, ui.principal, query_id)
    return RedirectResponse("/listen", status_code=303)


def _values(
    name: str,
    query: str,
    enabled: str,
    route_to_inbox: str,
    team_id: str,
    label_id: str,
    priority: str,
) -> dict[str, Any]:
    """The form as typed (ids still text), so a refused form comes back as it was."""
    return {
        "name": name.strip(),
        "query": query.replace("\r\n", "\n"),
        "enabled": bool(enabled),
        "route_to_inbox": bool(route_to_inbox),
        "team_id": team_id.strip(),
        "label_id": label_id.strip(),
        "priority": priority.strip(),
    }


def _changes(values: dict[str, Any]) -> dict[str, Any]:
    """What the service gets; the query text is checked first, so its error is the one shown."""
    service.check(values["query"])
    team, label = values["team_id"], values["label_id"]
    return {
        **values,
        "team_id": int_param(team, "team") if team else None,
        "label_id": int_param(label, "label") if label else None,
        "priority": values["priority"] or None,
        "alert_webhook_url": values["alert_webhook_url"] or None,
    }


def _form(
    request: Request,
    db: Session,
    ui: Ui,
    query: ListeningQuery | None,
    values: dict[str, Any],
    error: WebcareError | None = None,
) -> Response:
    text = str(values.get("query") or "")
    return _page(
        request,
        ui,
        "listen/form.html",
        status_code=error.status_code if error else 200,
        query=query,
        values=values,
        error=ui.gettext(error.detail) if error else "",
        preview=listen_preview.preview(db, ui.workspace.id, text),
        teams=workspaces.list_teams(db, ui.workspace.id),
        labels=conversations.label_overview(db, ui.workspace.id),
        priorities=PRIORITIES,
    )


def _saved(request: Request, ui: Ui, saved: service.SavedQuery, notice: str) -> Response:
    """Back to the query, or a page showing a new webhook secret once (never stored shown)."""
    if saved.new_webhook_secret is None:
        return RedirectResponse(f"/listen/q/{saved.query.id}?saved={notice}", status_code=303)
    response = _page(
        request, ui, "listen/secret.html", query=saved.query, secret=saved.new_webhook_secret
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# One query's results ------------------------------------------------------------------------


@router.get("/q/{query_id}")
def results(
    request: Request,
    db: DbSession,
    ui: UiDep,
    query_id: int,
    cursor: Cursor = None,
    period: str = "7d",
    bucket: str = "",
    saved: str = "",
    backfill_id: Annotated[str, Query(alias="backfill", max_length=20)] = "",
) -> Response:
    query = service.get_or_raise(db, ui.workspace.id, query_id)
    before = int_param(cursor, "cursor") if cursor else None
    page = analytics.hits(db, ui.workspace.id, query.id, limit=PAGE_SIZE, cursor=before)
    if is_htmx(request) and request.headers.get("HX-Target") == "hits-more":
        return _page(request, ui, "listen/_hits_more.html", query=query, page=page)
    period, since, bucket = _period(period, bucket)
    series = analytics.volume(db, ui.workspace.id, [query.id], bucket=bucket, since=since)
    return _page(
        request,
        ui,
        "listen/query.html",
        query=query,
        warnings=service.warnings_of(query),
        page=page,
        cursor=before,
        period=period,
        periods=list(PERIODS),
        bucket=bucket,
        chart=charts.bar_chart(series[query.id]),
        sentiment=_sentiment(db, ui, query.id),
        authors=analytics.top_authors(db, ui.workspace.id, [query.id], since=since, limit=10),
        cloud=charts.word_cloud(
            analytics.word_counts(db, ui.workspace.id, [query.id], since=since, limit=60)
        ),
        alerts=[a for a in spikes.list_alerts(db, ui.workspace.id, 200) if a.query_id == query.id][
            :5
        ],
        backfill=_backfill(db, ui, query.id, backfill_id),
        routing=_routing(db, ui, query),
        saved=saved if saved in NOTICES else "",
    )


@router.get("/q/{query_id}/newer")
def newer_hits(
    request: Request, db: DbSession, ui: UiDep, query_id: int, after: int = 0
) -> Response:
    """Hits stored since the page was drawn (polled every 30 s), newest first."""
    query = service.get_or_raise(db, ui.workspace.id, query_id)
    page = analytics.hits(db, ui.workspace.id, query.id, limit=PAGE_SIZE)
    items = [item for item in page.items if item.id > after]
    newest = items[0].id if items else after
    return _page(request, ui, "listen/_newer.html", query=query, items=items, after=newest)


def _sentiment(db: Session, ui: Ui, query_id: int) -> charts.SentimentSplit:
    page = analytics.hits(db, ui.workspace.id, query_id, limit=SENTIMENT_SAMPLE)
    ids = [item.message_id for item in page.items if item.message_id is not None]
    rows = triage.for_messages(db, ui.workspace.id, ids)
    return charts.sentiment_split(row.sentiment for row in rows.values())


def _routing(db: Session, ui: Ui, query: ListeningQuery) -> dict[str, Any]:
    teams = {t.id: t.name for t in workspaces.list_teams(db, ui.workspace.id)}
    labels = {label.id: label.name for label in conversations.label_overview(db, ui.workspace.id)}
    return {
        "team": teams.get(query.team_id) if query.team_id else None,
        "label": labels.get(query.label_id) if query.label_id else None,
    }


# Backfill ---------------------------------------------------------------------------------


@router.post("/q/{query_id}/backfill")
def start_backfill(db: DbSession, ui: UiDep, query_id: int) -> Response:
    ui.principal.require(Scope.LISTENING_WRITE)
    started = backfill.start(db, ui.principal, query_id)
    return RedirectResponse(
        f"/listen/q/{query_id}?saved=backfill&backfill={started.id}#backfill", status_code=303
    )


@router.get("/q/{query_id}/backfill/{backfill_id}")
def backfill_progress(
    request: Request, db: DbSession, ui: UiDep, query_id: int, backfill_id: int
) -> Response:
    """The progress fragment the results page polls while a backfill runs."""
    query = service.get_or_raise(db, ui.workspace.id, query_id)
    found = _backfill(db, ui, query.id, str(backfill_id))
    return _page(request, ui, "listen/_backfill.html", query=query, backfill=found)


def _backfill(db: Session, ui: Ui, query_id: int, backfill_id: str) -> Backfill | None:
    if not backfill_id:
        return None
    found = backfill.get_or_raise(db, ui.workspace.id, int_param(backfill_id, "backfill"))
    if found.query_id != query_id:
        raise Invalid("that backfill belongs to another query")
    return found


# Share of voice ---------------------------------------------------------------------------


@router.get("/share")
def share_of_voice(
    request: Request,
    db: DbSession,
    ui: UiDep,
    query_ids: Annotated[list[int] | None, Query(alias="query_id")] = None,
    period: str = "7d",
) -> Response:
    queries = service.list_queries(db, ui.workspace.id)
    chosen = list(dict.fromkeys(query_ids or [q.id for q in queries]))[: analytics.MAX_QUERIES]
    period, since, _bucket = _period(period, "")
    shares = analytics.share_of_voice(db, ui.workspace.id, chosen, since=since) if chosen else []
    return _page(
        request,
        ui,
        "listen/share.html",
        queries=queries,
        chosen=set(chosen),
        shares=shares,
        total=sum(s.hits for s in shares),
        period=period,
        periods=list(PERIODS),
        percent=charts.percent,
    )


# Spike alerts -----------------------------------------------------------------------------


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, db: DbSession, ui: UiDep, alert_id: int) -> Response:
    """One spike (the in-app notification links here): when, how far above normal, why."""
    alert = spikes.get_alert_or_raise(db, ui.workspace.id, alert_id)
    query = service.get_or_raise(db, ui.workspace.id, alert.query_id)
    return _page(request, ui, "listen/alert.html", alert=alert, query=query)
