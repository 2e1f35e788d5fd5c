"""Facebook and Instagram end to end: a signed webhook from the simulator lands in the inbox, the
agent answers through the API, the worker delivers it to the simulated Graph API once."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.channel.meta_setup import (
    APP_SECRET,
    IG_USER_ID,
    PAGE_ID,
    Sim,
    connect,
    inbound,
    make_jobs_due,
    message,
    sim,
    webhook_path,
)
from tests.conftest import drain_jobs
from webcare.runtime import Runtime
from webcare.simulator.platforms import meta
from webcare.simulator.state import Fault
from webcare.worker.models import Job

__all__ = ["sim"]  # the fixture

POST_ID = f"{PAGE_ID}_987654321098765"
COMMENT_ID = "987654321098765_1122334455667788"


def _comment(app_client: TestClient, account: dict[str, Any]) -> Any:
    return meta.deliver_facebook_comment(
        app_client,
        webhook_path(account),
        APP_SECRET,
        page_id=PAGE_ID,
        post_id=POST_ID,
        comment_id=COMMENT_ID,
        author_id="7012345678901234",
        author_name="Jan de Vries",
        text="Al drie weken wachten op mijn retour. Slechte service!",
    )


def _messenger(app_client: TestClient, account: dict[str, Any], ago: timedelta) -> Any:
    return meta.deliver_messenger_message(
        app_client,
        webhook_path(account),
        APP_SECRET,
        page_id=PAGE_ID,
        sender_id="6791234567890123",
        mid="m_AG5Hz2Uq7qDJpE4Kx1v0Zk8",
        text="Hoi, mijn bestelling 12345 is nog steeds niet binnen.",
        timestamp_ms=int((time.time() - ago.total_seconds()) * 1000),
    )


def _reply(api: TestClient, conversation_id: int, **body: Any) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/conversations/{conversation_id}/replies",
        json={"text": "Wat vervelend Jan, we zoeken het uit! ^AV", **body},
    )
    assert response.status_code == 201, response.text
    reply: dict[str, Any] = response.json()
    return reply


def _conversation_of(runtime: Runtime, external_id: str) -> int:
    return inbound(runtime, external_id).conversation_id


def test_facebook_comment_to_inbox_to_public_reply_sent_once(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    delivered = _comment(app_client, account)
    assert delivered.status_code == 200
    assert delivered.json()["stored"] == 1
    conversation_id = _conversation_of(runtime, COMMENT_ID)
    listed = api.get("/api/v1/conversations").json()["items"]
    assert [c["id"] for c in listed] == [conversation_id]

    reply = _reply(api, conversation_id)
    drain_jobs(runtime)
    drain_jobs(runtime)  # a second run must not send again

    (sent,) = sim.state.sent()
    assert (sent.platform, sent.kind, sent.in_reply_to) == ("facebook", "comment", COMMENT_ID)
    assert sent.text == "Wat vervelend Jan, we zoeken het uit! ^AV"
    stored = message(runtime, reply["id"])
    assert (stored.delivery_status, stored.external_id) == ("sent", sent.external_id)


def test_private_reply_to_a_facebook_comment(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    _comment(app_client, account)
    _reply(api, _conversation_of(runtime, COMMENT_ID), visibility="private")
    drain_jobs(runtime)

    (sent,) = sim.state.sent()
    assert (sent.kind, sent.recipient) == ("private_reply", COMMENT_ID)


def test_messenger_reply_in_window_and_with_human_agent_tag_after_a_day(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    _messenger(app_client, account, timedelta(hours=2))
    _reply(api, _conversation_of(runtime, "m_AG5Hz2Uq7qDJpE4Kx1v0Zk8"))
    drain_jobs(runtime)

    (sent,) = sim.state.sent("facebook")
    assert (sent.kind, sent.recipient) == ("message", "6791234567890123")
    assert sent.request["messaging_type"] == "RESPONSE"


def test_messenger_reply_after_two_days_uses_the_human_agent_tag(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    _messenger(app_client, account, timedelta(days=2))
    _reply(api, _conversation_of(runtime, "m_AG5Hz2Uq7qDJpE4Kx1v0Zk8"))
    drain_jobs(runtime)

    (sent,) = sim.state.sent("facebook")
    assert (sent.request["messaging_type"], sent.request["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_messenger_reply_after_a_week_fails_with_a_reason_and_sends_nothing(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    _messenger(app_client, account, timedelta(days=8))
    reply = _reply(api, _conversation_of(runtime, "m_AG5Hz2Uq7qDJpE4Kx1v0Zk8"))
    drain_jobs(runtime)

    failed = message(runtime, reply["id"])
    assert failed.delivery_status == "failed"
    assert "within 7 days" in (failed.delivery_error or "")
    assert sim.state.sent() == []


def test_instagram_dm_round_trip(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "instagram")
    delivered = meta.deliver_instagram_dm(
        app_client,
        webhook_path(account),
        APP_SECRET,
        ig_user_id=IG_USER_ID,
        sender_id="5438123456789012",
        mid="aWdfZAG1faXRlbToxOklHTWVzc2FnZA",
        text="Is de actie van 20% ook geldig in de winkel?",
    )
    assert delivered.json()["stored"] == 1
    _reply(api, _conversation_of(runtime, "aWdfZAG1faXRlbToxOklHTWVzc2FnZA"))
    drain_jobs(runtime)

    (sent,) = sim.state.sent("instagram")
    assert (sent.kind, sent.recipient) == ("message", "5438123456789012")


def test_instagram_comment_reply_round_trip(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "instagram")
    meta.deliver_instagram_comment(
        app_client,
        webhook_path(account),
        APP_SECRET,
        ig_user_id=IG_USER_ID,
        media_id="17887498072083520",
        comment_id="17865799348089039",
        author_id="5438123456789012",
        username="lisa.bakker",
        text="@glasnet.nl mijn pakket is beschadigd aangekomen",
    )
    _reply(api, _conversation_of(runtime, "17865799348089039"))
    drain_jobs(runtime)

    (sent,) = sim.state.sent("instagram")
    assert (sent.kind, sent.in_reply_to) == ("comment", "17865799348089039")


def test_expired_token_flags_the_channel_and_fails_the_reply_readably(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook", token="expired-token")
    _comment(app_client, account)
    reply = _reply(api, _conversation_of(runtime, COMMENT_ID))
    drain_jobs(runtime)

    failed = message(runtime, reply["id"])
    assert failed.delivery_status == "failed"
    assert "re-authorisation" in (failed.delivery_error or "")
    assert "190" in (failed.delivery_error or "")
    assert "expired-token" not in (failed.delivery_error or "")
    health = api.get(f"/api/v1/channel-accounts/{account['id']}").json()
    assert health["health"] == "needs_reauth"
    assert sim.state.sent() == []


def test_rate_limit_waits_for_retry_after_then_sends_exactly_once(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    _comment(app_client, account)
    sim.state.add_fault("meta", Fault(429, retry_after=120))
    reply = _reply(api, _conversation_of(runtime, COMMENT_ID))
    drain_jobs(runtime)

    assert message(runtime, reply["id"]).delivery_status == "pending"
    with runtime.session_factory() as session:
        job = session.scalars(sa.select(Job).where(Job.name == "channel.send_reply")).one()
        assert job.status == "queued"
        assert (job.run_at - job.created_at).total_seconds() >= 110
    assert sim.state.sent() == []

    make_jobs_due(runtime)
    drain_jobs(runtime)
    assert len(sim.state.sent()) == 1
    assert message(runtime, reply["id"]).delivery_status == "sent"


def test_server_error_is_retried_and_then_sent(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    _comment(app_client, account)
    sim.state.add_fault("meta", Fault(500))
    reply = _reply(api, _conversation_of(runtime, COMMENT_ID))
    drain_jobs(runtime)
    assert message(runtime, reply["id"]).delivery_status == "pending"

    make_jobs_due(runtime)
    drain_jobs(runtime)
    assert len(sim.state.sent()) == 1
    assert message(runtime, reply["id"]).delivery_status == "sent"


def test_badly_signed_delivery_from_the_helper_is_refused(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = connect(api, sim, "facebook")
    refused = meta.deliver_messenger_message(
        app_client,
        webhook_path(account),
        "not-the-app-secret",
        page_id=PAGE_ID,
        sender_id="6791234567890123",
        mid="m_forged",
        text="Ik ben echt Meta",
    )
    assert refused.status_code == 401
    assert api.get("/api/v1/conversations").json()["items"] == []
