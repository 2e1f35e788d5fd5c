"""Collision control, part one: agents see who else is on a conversation, across servers."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.web.conftest import OpenAs
from tests.web.ui import htmx, ingest
from webcare.demo.cast import Cast
from webcare.events.bus import DomainEvent, subscribe
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.presence import service as presence
from webcare.presence.models import Presence
from webcare.presence.tasks import forget_stale
from webcare.runtime import Runtime
from webcare.worker.registry import JobContext


def test_colleague_viewing_and_typing_is_shown_to_others_only(
    agent: OpenAs, api: TestClient, cast: Cast
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    anna, anna_csrf = agent("anna")
    lars, lars_csrf = agent("lars")

    assert (
        lars.post(
            f"/inbox/c/{conversation}/presence", data={"state": "viewing"}, headers=htmx(lars_csrf)
        ).status_code
        == 204
    )
    seen_by_anna = anna.get(f"/inbox/c/{conversation}/presence").text
    seen_by_lars = lars.get(f"/inbox/c/{conversation}/presence").text
    lars.post(
        f"/inbox/c/{conversation}/presence", data={"state": "typing"}, headers=htmx(lars_csrf)
    )
    typing = anna.get(f"/inbox/c/{conversation}").text
    lars.post(f"/inbox/c/{conversation}/presence", data={"state": "left"}, headers=htmx(lars_csrf))
    gone = anna.get(f"/inbox/c/{conversation}/presence").text

    assert "Lars Bakker is viewing" in seen_by_anna
    assert "is viewing" not in seen_by_lars
    assert "Lars Bakker is typing…" in typing
    assert "Lars Bakker" not in gone
    del anna_csrf


def test_presence_expires_without_heartbeats(runtime: Runtime, cast: Cast, api: TestClient) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    with unit_of_work(runtime.session_factory) as session:
        presence.touch(session, cast.actor("lars"), conversation, "typing")
    with runtime.session_factory() as session:
        assert [
            c.state for c in presence.others(session, cast.workspace.id, conversation, None)
        ] == ["typing"]
    with runtime.engine.begin() as conn:  # 20 s later: no longer typing, still viewing
        conn.execute(sa.update(Presence).values(updated_at=utc_now() - timedelta(seconds=20)))
    with runtime.session_factory() as session:
        assert [
            c.state for c in presence.others(session, cast.workspace.id, conversation, None)
        ] == ["viewing"]
    with runtime.engine.begin() as conn:  # 2 minutes later: gone
        conn.execute(sa.update(Presence).values(updated_at=utc_now() - timedelta(minutes=2)))
    with runtime.session_factory() as session:
        assert presence.others(session, cast.workspace.id, conversation, None) == []


def test_heartbeats_publish_only_changes(runtime: Runtime, cast: Cast, api: TestClient) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    seen: list[DomainEvent] = []
    unsubscribe = subscribe(seen.append)
    try:
        for state in ("viewing", "viewing", "viewing", "typing", "typing", "left", "left"):
            with unit_of_work(runtime.session_factory) as session:
                presence.touch(session, cast.actor("anna"), conversation, state)
    finally:
        unsubscribe()

    assert [getattr(e, "state", None) for e in seen if e.name == "presence.changed"] == [
        "viewing",
        "typing",
        "left",
    ]


def test_bad_presence_is_refused(
    agent: OpenAs, api: TestClient, cast: Cast, other_cast: Cast
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    client, csrf = agent("anna")
    stranger, stranger_csrf = agent("anna-spoorweg")

    assert (
        client.post(
            f"/inbox/c/{conversation}/presence", data={"state": "dancing"}, headers=htmx(csrf)
        ).status_code
        == 422
    )
    assert (
        stranger.post(
            f"/inbox/c/{conversation}/presence",
            data={"state": "viewing"},
            headers=htmx(stranger_csrf),
        ).status_code
        == 404
    )


def test_stale_presence_rows_are_cleaned_up_by_the_worker(
    runtime: Runtime, cast: Cast, api: TestClient
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    with unit_of_work(runtime.session_factory) as session:
        presence.touch(session, cast.actor("lars"), conversation, "viewing")
        presence.touch(session, cast.actor("anna"), conversation, "viewing")
    with runtime.engine.begin() as conn:
        conn.execute(
            sa.update(Presence)
            .where(Presence.user_id == cast.users["lars"])
            .values(updated_at=utc_now() - timedelta(hours=1))
        )

    with unit_of_work(runtime.session_factory) as session:
        forget_stale(
            JobContext(
                session=session,
                runtime=runtime,
                job_id=0,
                name="presence.forget_stale",
                payload={},
                attempt=1,
                workspace_id=None,
            )
        )
    with runtime.session_factory() as session:
        assert [p.user_id for p in session.scalars(sa.select(Presence))] == [cast.users["anna"]]
