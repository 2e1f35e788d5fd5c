"""Backfill: a new query finds what was posted before it existed, batch by batch, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs, token_for
from tests.listening.helpers import percolate, post
from webcare.channel.ports import MessageVisibility
from webcare.conversation.models import Conversation
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import backfill
from webcare.runtime import Runtime
from webcare.worker.registry import import_task_modules
from webcare.worker.runner import Worker

QUERIES = "/api/v1/listening/queries"


def _history(api: TestClient, runtime: Runtime, cast: Cast) -> list[int]:
    """Posts and news from last month; returns the ids of the messages about a storing."""
    month_ago = utc_now() - timedelta(days=30)
    matching = [
        post(runtime, cast.accounts["x"], f"storing dag {n}", at=month_ago + timedelta(days=n))
        for n in range(4)
    ]
    post(runtime, cast.accounts["x"], "alles werkt", at=month_ago)
    post(runtime, cast.accounts["x"], "storing in een DM", visibility=MessageVisibility.PRIVATE)
    published = month_ago.isoformat()
    api.post(
        "/api/v1/listening/mentions",
        json={
            "source": "Nieuws",
            "items": [
                {"external_id": "n1", "published_at": published, "text": "Storing bij Glasnet"},
                {"external_id": "n2", "published_at": published, "text": "Weerbericht"},
            ],
        },
    )
    return [m.message_id for m in matching]


def _conversations(runtime: Runtime) -> int:
    with unit_of_work(runtime.session_factory) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Conversation)) or 0)


def test_backfill_finds_old_items_in_batches_with_readable_progress(
    api: TestClient, runtime: Runtime, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill, "BATCH_SIZE", 2)
    old = _history(api, runtime, cast)
    conversations = _conversations(runtime)
    query = api.post(
        QUERIES, json={"name": "Storing", "query": "storing", "route_to_inbox": True}
    ).json()["id"]

    started = api.post(f"{QUERIES}/{query}/backfill")
    assert started.status_code == 202
    progress = started.json()
    assert progress["status"] == "queued"
    assert progress["total"] == 8
    assert progress["done"] == 0

    import_task_modules()
    worker = Worker(runtime)
    midway = progress
    while midway["done"] == 0:  # other domains may have queued jobs of their own
        assert worker.run_once()
        midway = api.get(f"/api/v1/listening/backfills/{progress['id']}").json()
    assert midway["status"] == "running"
    assert midway["done"] == 2

    drain_jobs(runtime)
    finished = api.get(f"/api/v1/listening/backfills/{progress['id']}").json()
    assert finished["status"] == "done"
    assert finished["done"] == finished["total"] == 8
    assert finished["hits"] == 5
    assert finished["finished_at"] is not None

    hits = api.get(f"{QUERIES}/{query}/hits").json()["items"]
    assert sorted(h["message_id"] for h in hits if h["message_id"]) == sorted(old)
    assert [h["text"] for h in hits if h["mention_id"]] == ["Storing bij Glasnet"]
    assert all(h["item_time"] < (utc_now() - timedelta(days=20)).isoformat() for h in hits)
    assert _conversations(runtime) == conversations, "old items are not routed to the inbox"

    # The live job and a second backfill find the same items: no hit is stored twice.
    percolate(runtime)
    api.post(f"{QUERIES}/{query}/backfill")
    drain_jobs(runtime)
    assert len(api.get(f"{QUERIES}/{query}/hits").json()["items"]) == 5


def test_backfills_are_private_to_the_workspace(
    api: TestClient, app_client: TestClient, runtime: Runtime, other_cast: Cast
) -> None:
    query = api.post(QUERIES, json={"name": "Storing", "query": "storing"}).json()["id"]
    started = api.post(f"{QUERIES}/{query}/backfill").json()
    other = TestClient(app_client.app)
    other.headers["Authorization"] = f"Bearer {token_for(runtime, other_cast)}"
    assert other.get(f"/api/v1/listening/backfills/{started['id']}").status_code == 404
    assert other.post(f"{QUERIES}/{query}/backfill").status_code == 404
    assert api.post(f"{QUERIES}/999999/backfill").status_code == 404
