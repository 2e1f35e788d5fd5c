"""Spike alerts: a surge after a quiet week alerts leads (and a webhook) once; noise does not."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.listening.helpers import percolate, post
from tests.receiver import running_receiver
from tests.web.ui import log_in
from webcare.app import create_app
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import analytics, spikes
from webcare.notification.models import Notification
from webcare.runtime import Runtime

QUERIES = "/api/v1/listening/queries"


def _quiet_week(runtime: Runtime, cast: Cast, hour: datetime) -> None:
    """A post about the brand every eight hours in the week before ``hour``."""
    for n in range(1, 21):
        at = hour - timedelta(hours=8 * n, minutes=7)
        post(runtime, cast.accounts["x"], "Glasnet modem vraag", author=f"vaste{n}", at=at)


def _surge(runtime: Runtime, cast: Cast, hour: datetime, posts: int) -> None:
    for n in range(posts):
        post(
            runtime,
            cast.accounts["x"],
            "Glasnet storing in Amsterdam, geen internet",
            author=f"boos{n}",
            followers=100 + n,
            at=hour + timedelta(minutes=2 + n),
        )


def _detect(runtime: Runtime, at: datetime) -> list[int]:
    with unit_of_work(runtime.session_factory) as session:
        return [a.id for a in spikes.detect(session, at)]


def _notified(runtime: Runtime, cast: Cast) -> set[str]:
    names = {user_id: name for name, user_id in cast.users.items()}
    with unit_of_work(runtime.session_factory) as session:
        rows = session.scalars(sa.select(Notification).where(Notification.reason == "spike"))
        return {names[n.user_id] for n in rows}


def test_a_surge_after_a_quiet_week_alerts_leads_once(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    query = api.post(QUERIES, json={"name": "Glasnet", "query": "glasnet"}).json()["id"]
    hour = analytics.truncate(utc_now(), "hour") - timedelta(hours=3)
    _quiet_week(runtime, cast, hour)
    _surge(runtime, cast, hour, 15)
    percolate(runtime)

    created = _detect(runtime, hour + timedelta(minutes=30))
    assert len(created) == 1
    assert _detect(runtime, hour + timedelta(minutes=40)) == [], "one alert per query and hour"

    alerts = api.get("/api/v1/listening/alerts").json()
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["query_id"] == query
    assert alert["count"] == 15
    assert alert["baseline_mean"] < 1
    assert {"storing", "amsterdam"} <= set(alert["top_terms"])
    assert "glasnet" not in alert["top_terms"], "a word of every hit says nothing new"
    assert "modem" not in alert["top_terms"]
    assert len(alert["examples"]) == 3
    assert all("Amsterdam" in e["text"] for e in alert["examples"])
    assert api.get(f"/api/v1/listening/alerts/{alert['id']}").json() == alert

    assert _notified(runtime, cast) == {"lars", "beheer"}, "leads and admins, not agents"
    with TestClient(create_app(runtime=runtime)) as lars:
        log_in(lars, "lars")
        page = lars.get("/notifications").text
    assert f'href="/listen/alerts/{alert["id"]}"' in page


def test_a_few_more_posts_than_usual_are_no_spike(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    api.post(QUERIES, json={"name": "Glasnet", "query": "glasnet"})
    hour = analytics.truncate(utc_now(), "hour") - timedelta(hours=3)
    _quiet_week(runtime, cast, hour)
    _surge(runtime, cast, hour, 3)
    percolate(runtime)
    assert _detect(runtime, hour + timedelta(minutes=30)) == []
    assert api.get("/api/v1/listening/alerts").json() == []
    assert _notified(runtime, cast) == set()


def test_a_busy_querys_usual_jitter_is_no_spike() -> None:
    busy = [20, 24, 18, 22, 19, 25, 21, 17] * 21
    assert not spikes.judge(27, busy).spiking
    assert spikes.judge(60, busy).spiking
    assert not spikes.judge(3, [0] * 168).spiking, "1 → 3 is not a spike"
    assert spikes.judge(12, [0] * 167 + [1]).spiking


def test_the_alert_webhook_is_signed(api: TestClient, runtime: Runtime, cast: Cast) -> None:
    with running_receiver() as receiver:
        saved = api.post(
            QUERIES,
            json={"name": "Glasnet", "query": "glasnet", "alert_webhook_url": receiver.url},
        ).json()
        hour = analytics.truncate(utc_now(), "hour") - timedelta(hours=3)
        _quiet_week(runtime, cast, hour)
        _surge(runtime, cast, hour, 12)
        percolate(runtime)
        _detect(runtime, hour + timedelta(minutes=30))
        drain_jobs(runtime)

    (request,) = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = spikes.sign(
        saved["alert_webhook_secret"], headers["x-webcare-timestamp"], request["body"]
    )
    assert headers["x-webcare-signature"] == expected
    body = json.loads(request["body"])
    assert body["type"] == "listening.spike"
    assert body["query"] == {"id": saved["id"], "name": "Glasnet"}
    assert body["count"] == 12
    assert "amsterdam" in body["top_terms"]
