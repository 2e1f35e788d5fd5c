"""Google reviews end to end: the poll job brings reviews into the inbox, an agent's reply (and
a second one, which replaces the first on Google) goes back through the send job, an edited
review shows as an edit, and an expired token flags the channel.

The simulator runs under uvicorn (``tests.live``) because the jobs use a real HTTP client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.live import live_simulator
from webcare.channel import polling
from webcare.channel.models import ChannelAccount, Health
from webcare.channel.poll_models import ChannelPollState
from webcare.conversation.models import Conversation, Message, MessageRevision
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.simulator.platforms import google as sim_google
from webcare.simulator.state import Fault, SimState
from webcare.worker.models import Job, JobStatus

LOCATION = "accounts/112233445566778899/locations/9988776655443322110"


@pytest.fixture
def google(runtime: Runtime, cast: Cast) -> Iterator[tuple[SimState, int]]:
    """The simulator, with the cast's Google account pointed at it; yields state and account id."""
    account_id = cast.accounts["google_reviews"].id
    with live_simulator() as (url, state):
        with unit_of_work(runtime.session_factory) as session:
            account = session.get(ChannelAccount, account_id)
            assert account is not None
            account.settings = {"locations": [LOCATION], "api_base": f"{url}/google"}
            credentials = {"access_token": sim_google.DEFAULT_TOKEN}
            account.credentials_encrypted = runtime.secret_box.encrypt(json.dumps(credentials))
        yield state, account_id


def _poll(runtime: Runtime, account_id: int) -> None:
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        polling.enqueue_poll(session, account)
    drain_jobs(runtime)


def _inbound(runtime: Runtime, account_id: int) -> list[Message]:
    with runtime.session_factory() as session:
        query = (
            sa.select(Message)
            .where(Message.channel_account_id == account_id, Message.direction == "inbound")
            .order_by(Message.platform_time)
        )
        return list(session.scalars(query))


def _message(runtime: Runtime, message_id: int) -> Message:
    with runtime.session_factory() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_new_reviews_land_as_review_conversations_with_their_rating(
    runtime: Runtime, google: tuple[SimState, int]
) -> None:
    state, account_id = google
    old = datetime.now(UTC) - timedelta(hours=2)
    sim_google.add_review(
        state,
        LOCATION,
        reviewer="Marieke van Dijk",
        stars=1,
        comment="Niemand neemt op.",
        created_at=old,
    )
    sim_google.add_review(state, LOCATION, reviewer="Tom", stars=3)  # rating only

    _poll(runtime, account_id)

    marieke, tom = _inbound(runtime, account_id)
    assert (marieke.text, marieke.rating) == ("Niemand neemt op.", 1)
    assert (tom.text, tom.rating) == ("★★★☆☆", 3)
    with runtime.session_factory() as session:
        kinds = session.scalars(
            sa.select(Conversation.kind).where(Conversation.channel_account_id == account_id)
        ).all()
    assert sorted(kinds) == ["review", "review"]  # one conversation per review
    _poll(runtime, account_id)
    assert len(_inbound(runtime, account_id)) == 2  # polling again adds nothing


def test_reply_and_updated_reply_go_to_google_end_to_end(
    api: TestClient, runtime: Runtime, google: tuple[SimState, int]
) -> None:
    state, account_id = google
    review = sim_google.add_review(state, LOCATION, reviewer="Marieke", stars=1, comment="Traag!")
    _poll(runtime, account_id)
    (inbound,) = _inbound(runtime, account_id)

    first = api.post(
        f"/api/v1/conversations/{inbound.conversation_id}/replies",
        json={"text": "Wat vervelend, Marieke. We bellen je vandaag."},
    )
    drain_jobs(runtime)
    second = api.post(
        f"/api/v1/conversations/{inbound.conversation_id}/replies",
        json={"text": "Update: je aansluiting werkt weer. Excuses!"},
    )
    drain_jobs(runtime)

    assert first.status_code == second.status_code == 201
    assert [(s.kind, s.in_reply_to) for s in state.sent("google_reviews")] == [
        ("reply", review["name"]),
        ("reply_updated", review["name"]),
    ]
    public = sim_google.find_review(state, review["name"])
    assert public is not None
    assert public["reviewReply"]["comment"].startswith("Update: je aansluiting werkt weer.")
    one, two = (_message(runtime, r.json()["id"]) for r in (first, second))
    assert (one.delivery_status, two.delivery_status) == ("sent", "sent")
    assert one.external_id != two.external_id  # both stay in the inbox as history


def test_a_reply_that_is_too_long_for_google_fails_with_the_reason(
    api: TestClient, runtime: Runtime, google: tuple[SimState, int]
) -> None:
    state, account_id = google
    sim_google.add_review(state, LOCATION, stars=2, comment="Matig")
    _poll(runtime, account_id)
    (inbound,) = _inbound(runtime, account_id)

    response = api.post(
        f"/api/v1/conversations/{inbound.conversation_id}/replies", json={"text": "€" * 1400}
    )
    drain_jobs(runtime)

    assert response.status_code == 201  # 1400 characters: within the composer's limit ...
    message = _message(runtime, response.json()["id"])
    assert message.delivery_status == "failed"  # ... but 4200 bytes, more than Google takes
    assert "at most 4096 bytes" in (message.delivery_error or "")
    assert state.sent("google_reviews") == []


def test_an_edited_review_becomes_an_edit_in_the_inbox(
    runtime: Runtime, google: tuple[SimState, int]
) -> None:
    state, account_id = google
    review = sim_google.add_review(state, LOCATION, stars=1, comment="Slechtste provider ooit")
    _poll(runtime, account_id)

    sim_google.update_review(
        state,
        review["name"],
        comment="Na een telefoontje toch opgelost. Netjes!",
        stars=4,
        updated_at=datetime.now(UTC) + timedelta(seconds=1),
    )
    _poll(runtime, account_id)

    (message,) = _inbound(runtime, account_id)
    assert message.text == "Na een telefoontje toch opgelost. Netjes!"
    assert message.edited_at is not None
    with runtime.session_factory() as session:
        revisions = session.scalars(
            sa.select(MessageRevision.text).where(MessageRevision.message_id == message.id)
        ).all()
    assert revisions == ["Slechtste provider ooit"]


def test_an_expired_token_flags_the_channel_for_reauthorisation(
    runtime: Runtime, google: tuple[SimState, int]
) -> None:
    state, account_id = google
    state.platform_data("google")["access_token"] = "refreshed-elsewhere"

    _poll(runtime, account_id)

    with runtime.session_factory() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        assert account.health == Health.NEEDS_REAUTH
        assert "UNAUTHENTICATED" in (account.health_detail or "")


def test_a_quota_error_retries_after_googles_delay_and_then_catches_up(
    runtime: Runtime, google: tuple[SimState, int]
) -> None:
    state, account_id = google
    sim_google.add_review(state, LOCATION, stars=5, comment="Top service")
    state.add_fault("google", Fault(429, retry_after=30))
    before = utc_now()

    _poll(runtime, account_id)

    with runtime.session_factory() as session:
        job = session.scalars(sa.select(Job).where(Job.name == polling.POLL_JOB)).one()
        poll_state = session.get(ChannelPollState, account_id)
    assert job.status == JobStatus.QUEUED
    assert before + timedelta(seconds=29) <= job.run_at <= utc_now() + timedelta(seconds=30)
    assert poll_state is not None
    assert "rate limited" in (poll_state.poll_error or "")
    assert _inbound(runtime, account_id) == []

    with unit_of_work(runtime.session_factory) as session:
        session.execute(sa.update(Job).where(Job.id == job.id).values(run_at=utc_now()))
    drain_jobs(runtime)
    assert [m.text for m in _inbound(runtime, account_id)] == ["Top service"]
