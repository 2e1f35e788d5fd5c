"""Spike alerts: a query's hourly volume far above its own recent baseline.

For each enabled query, the hits of an hour (the current one so far, and the previous one,
whose last hits may have been percolated after it ended) are compared with the same query's
hourly counts over the :data:`BASELINE` before it, empty hours counted as 0. An hour spikes
when its count reaches all of:

- :data:`MIN_COUNT` (so 1 → 3 is no spike, however quiet the week was);
- the baseline mean plus :data:`SIGMAS` standard deviations (unusual for this query);
- :data:`RATIO` times the mean (a busy query's ordinary jitter is no spike either).

A spike is stored once per (query, hour) as a ``listening_alerts`` row, with the words that
are over-represented in the hour compared with the baseline (what the surge is about) and a
few example items; the workspace's leads and admins get an in-app notification, and a query
with ``alert_webhook_url`` gets a signed POST through the ``listening.send_alert`` job.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.kit.crypto import SecretBox, hmac_sha256_hex
from webcare.kit.errors import NotFound
from webcare.kit.time import utc_now
from webcare.listening import analytics, repository, words
from webcare.listening.models import Alert, ListeningQuery
from webcare.notification import service as notifications
from webcare.notification.models import Reason
from webcare.worker import service as jobs
from webcare.workspace import service as workspaces
from webcare.workspace.models import Role

BASELINE = timedelta(days=7)
MIN_COUNT = 10
SIGMAS = 3.0
RATIO = 2.0
TOP_TERMS = 10
EXAMPLES = 3
#: Texts compared for the top terms: the hour's newest and a sample of the baseline's.
MAX_TEXTS = 1000

SIGNATURE_HEADER = "X-Webcare-Signature"
TIMESTAMP_HEADER = "X-Webcare-Timestamp"
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class Verdict:
    """How one hour compares with its baseline."""

    count: int
    mean: float
    stddev: float
    threshold: float

    @property
    def spiking(self) -> bool:
        return self.count >= self.threshold


def judge(count: int, baseline: list[int]) -> Verdict:
    """Compare an hour's count with the hourly counts before it (pure)."""
    mean = statistics.fmean(baseline) if baseline else 0.0
    stddev = statistics.pstdev(baseline) if len(baseline) > 1 else 0.0
    threshold = max(float(MIN_COUNT), mean + SIGMAS * stddev, RATIO * mean)
    return Verdict(count=count, mean=mean, stddev=stddev, threshold=threshold)


def detect(session: Session, now: datetime | None = None) -> list[Alert]:
    """Check every enabled query of every workspace; returns the alerts created now."""
    now = now or utc_now()
    created: list[Alert] = []
    for workspace_id, queries in _enabled_by_workspace(session).items():
        for hour in (
            analytics.truncate(now, "hour") - timedelta(hours=1),
            analytics.truncate(now, "hour"),
        ):
            created += _check_hour(session, workspace_id, queries, hour)
    return created


def _enabled_by_workspace(session: Session) -> dict[int, list[ListeningQuery]]:
    stmt = sa.select(ListeningQuery).where(ListeningQuery.enabled.is_(True))
    grouped: dict[int, list[ListeningQuery]] = {}
    for query in session.scalars(stmt.order_by(ListeningQuery.id)):
        grouped.setdefault(query.workspace_id, []).append(query)
    return grouped


def _check_hour(
    session: Session, workspace_id: int, queries: list[ListeningQuery], hour: datetime
) -> list[Alert]:
    since = hour - BASELINE
    created = []
    for start in range(0, len(queries), 200):
        chunk = queries[start : start + 200]
        counts: dict[int, dict[datetime, int]] = {}
        for query_id, raw, n in repository.volume_rows(
            session, workspace_id, [q.id for q in chunk], "hour", since
        ):
            counts.setdefault(query_id, {})[analytics.as_datetime(raw)] = n
        for query in chunk:
            by_hour = counts.get(query.id, {})
            hours = int(BASELINE / timedelta(hours=1))
            baseline = [by_hour.get(since + timedelta(hours=i), 0) for i in range(hours)]
            verdict = judge(by_hour.get(hour, 0), baseline)
            if verdict.spiking and _already(session, query.id, hour) is None:
                alert = _raise(session, query, hour, verdict)
                if alert is not None:
                    created.append(alert)
    return created


def _already(session: Session, query_id: int, hour: datetime) -> int | None:
    return session.scalar(
        sa.select(Alert.id).where(Alert.query_id == query_id, Alert.window_start == hour)
    )


def _raise(
    session: Session, query: ListeningQuery, hour: datetime, verdict: Verdict
) -> Alert | None:
    window = repository.hits_in_window(
        session, query.workspace_id, [query.id], hour, hour + timedelta(hours=1), limit=MAX_TEXTS
    )
    before = repository.hits_in_window(
        session, query.workspace_id, [query.id], hour - BASELINE, hour, limit=MAX_TEXTS
    )
    window_items = analytics.describe(session, query.workspace_id, window)
    before_texts = [_text(i) for i in analytics.describe(session, query.workspace_id, before)]
    window_texts = [_text(i) for i in window_items]
    terms = words.over_represented(
        words.count(window_texts),
        len(window_texts),
        words.count(before_texts),
        len(before_texts),
        TOP_TERMS,
    )
    examples = [
        {
            "message_id": i.message_id,
            "mention_id": i.mention_id,
            "author": i.author,
            "text": _text(i)[:280],
            "url": i.url,
        }
        for i in sorted(window_items, key=lambda i: -(i.reach or 0))[:EXAMPLES]
    ]
    alert = Alert(
        workspace_id=query.workspace_id,
        query_id=query.id,
        window_start=hour,
        count=verdict.count,
        baseline_mean=verdict.mean,
        baseline_stddev=verdict.stddev,
        top_terms=terms,
        examples=examples,
        created_at=utc_now(),
    )
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return None  # another worker raised this alert a moment ago
    _notify(session, alert)
    if query.alert_webhook_url:
        jobs.enqueue(
            session,
            "listening.send_alert",
            {"alert_id": alert.id},
            workspace_id=query.workspace_id,
            dedupe_key=f"listening-alert:{alert.id}",
        )
    return alert


def _text(item: analytics.HitItem) -> str:
    return " ".join(filter(None, (item.title, item.text)))


def _notify(session: Session, alert: Alert) -> None:
    leads = [
        m.user_id
        for m in workspaces.members(session, alert.workspace_id)
        if m.is_active and m.role in (Role.LEAD.value, Role.ADMIN.value)
    ]
    notifications.notify(
        session,
        workspace_id=alert.workspace_id,
        user_ids=leads,
        reason=Reason.SPIKE,
        conversation_id=None,
        actor_user_id=None,
        link=f"/listen/alerts/{alert.id}",
    )


def list_alerts(session: Session, workspace_id: int, limit: int = 50) -> list[Alert]:
    """The workspace's alerts, newest first (for the Listen UI)."""
    stmt = (
        sa.select(Alert)
        .where(Alert.workspace_id == workspace_id)
        .order_by(Alert.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def get_alert_or_raise(session: Session, workspace_id: int, alert_id: int) -> Alert:
    alert = session.scalar(
        sa.select(Alert).where(Alert.workspace_id == workspace_id, Alert.id == alert_id)
    )
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return alert


# The outgoing webhook -----------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """Everything the webhook POST needs, read before any network I/O."""

    url: str
    secret: str
    body: bytes
    alert_id: int


def delivery(session: Session, box: SecretBox, alert_id: int) -> Delivery | None:
    """The POST for an alert; None when the alert, its query or its URL is gone."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    query = session.get(ListeningQuery, alert.query_id)
    if query is None or not query.alert_webhook_url or not query.alert_webhook_secret_encrypted:
        return None
    return Delivery(
        url=query.alert_webhook_url,
        secret=box.decrypt(query.alert_webhook_secret_encrypted),
        body=json.dumps(payload(alert, query), separators=(",", ":")).encode(),
        alert_id=alert.id,
    )


def payload(alert: Alert, query: ListeningQuery) -> dict[str, Any]:
    return {
        "type": "listening.spike",
        "alert_id": alert.id,
        "query": {"id": query.id, "name": query.name},
        "window_start": alert.window_start.isoformat(),
        "count": alert.count,
        "baseline_mean": round(alert.baseline_mean, 3),
        "baseline_stddev": round(alert.baseline_stddev, 3),
        "top_terms": alert.top_terms,
        "examples": alert.examples,
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=HMAC(secret, timestamp + "." + body)``, as the API channel signs replies."""
    return "sha256=" + hmac_sha256_hex(secret, timestamp.encode() + b"." + body)


class WebhookFailed(Exception):
    """The receiver did not accept the alert; the job retries with backoff."""


def post(client: httpx.Client, item: Delivery) -> None:
    """POST the alert; raises :class:`WebhookFailed` unless the receiver answers 2xx."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"listening-alert-{item.alert_id}",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(item.secret, timestamp, item.body),
    }
    try:
        response = client.post(item.url, content=item.body, headers=headers)
    except httpx.HTTPError as exc:
        raise WebhookFailed(
            f"could not reach the alert webhook ({exc.__class__.__name__})"
        ) from exc
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"the alert webhook answered HTTP {response.status_code}")
