"""Replies: pending with a job, delivered once by the worker, failures readable, keys honoured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.ingestion.helpers import payload
from tests.receiver import Receiver, running_receiver
from webcare.channel.models import ChannelAccount
from webcare.connectors.api.client import sign
from webcare.conversation.models import Message
from webcare.runtime import Runtime
from webcare.worker.models import Job


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture
def channel(api: TestClient, receiver: Receiver) -> dict[str, Any]:
    created = api.post(
        "/api/v1/channel-accounts",
        json={"platform": "api", "handle": "shop-app", "reply_url": receiver.url},
    )
    assert created.status_code == 201
    body: dict[str, Any] = created.json()
    return body


def _conversation(api: TestClient, channel: dict[str, Any]) -> int:
    response = api.post(f"/api/v1/channel-accounts/{channel['id']}/messages", json=payload("in-1"))
    return int(response.json()["conversation_id"])


def _reply(
    api: TestClient,
    conversation_id: int,
    text: str = "Wat vervelend! We kijken mee ^AV",
    key: str | None = None,
) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(
        f"/api/v1/conversations/{conversation_id}/replies", json={"text": text}, headers=headers
    )


def _message(runtime: Runtime, message_id: int) -> Message:
    with runtime.session_factory() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_reply_is_pending_until_the_worker_delivers_it_signed(
    api: TestClient, runtime: Runtime, channel: dict[str, Any], receiver: Receiver
) -> None:
    conversation_id = _conversation(api, channel)
    queued = _reply(api, conversation_id)
    assert queued.status_code == 201
    assert queued.json()["delivery_status"] == "pending"
    assert receiver.requests == []  # nothing leaves before the worker runs
    drain_jobs(runtime)
    (request,) = receiver.requests
    body = json.loads(request["body"])
    assert body["text"] == "Wat vervelend! We kijken mee ^AV"
    assert body["recipient_id"] == "klant-1"
    assert body["in_reply_to"] == "in-1"
    headers = request["headers"]
    expected = sign(channel["signing_secret"], headers["X-Webcare-Timestamp"], request["body"])
    assert headers["X-Webcare-Signature"] == expected
    sent = _message(runtime, queued.json()["id"])
    assert (sent.delivery_status, sent.external_id) == ("sent", "ext-1")
    detail = api.get(f"/api/v1/conversations/{conversation_id}").json()
    assert detail["waiting_since"] is None
    assert detail["first_response_at"] is not None


def test_running_the_send_job_twice_sends_once(
    api: TestClient, runtime: Runtime, channel: dict[str, Any], receiver: Receiver
) -> None:
    queued = _reply(api, _conversation(api, channel)).json()
    drain_jobs(runtime)
    with runtime.session_factory() as session, session.begin():
        job = session.scalars(sa.select(Job).where(Job.name == "channel.send_reply")).one()
        job.status, job.run_at = "queued", job.created_at  # as if a crashed worker re-ran it
    drain_jobs(runtime)
    assert len(receiver.requests) == 1
    assert _message(runtime, queued["id"]).delivery_status == "sent"


def test_same_idempotency_key_creates_one_reply(
    api: TestClient, runtime: Runtime, channel: dict[str, Any], receiver: Receiver
) -> None:
    conversation_id = _conversation(api, channel)
    first = _reply(api, conversation_id, key="retry-123")
    second = _reply(api, conversation_id, key="retry-123")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    drain_jobs(runtime)
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["headers"]["Idempotency-Key"] == "retry-123"


def test_reusing_a_key_for_another_reply_is_refused(
    api: TestClient, channel: dict[str, Any]
) -> None:
    conversation_id = _conversation(api, channel)
    _reply(api, conversation_id, key="k-1")
    clash = _reply(api, conversation_id, text="Iets heel anders", key="k-1")
    assert clash.status_code == 409
    assert "Idempotency-Key" in clash.json()["detail"]


def test_refused_reply_fails_with_a_readable_reason_and_can_be_retried(
    api: TestClient, runtime: Runtime, channel: dict[str, Any], receiver: Receiver
) -> None:
    receiver.respond(422, {"detail": "recipient blocked the shop"})
    queued = _reply(api, _conversation(api, channel)).json()
    drain_jobs(runtime)
    failed = _message(runtime, queued["id"])
    assert failed.delivery_status == "failed"
    assert failed.delivery_error is not None
    assert "recipient blocked the shop" in failed.delivery_error
    retried = api.post(f"/api/v1/messages/{queued['id']}/retry")
    assert retried.json()["delivery_status"] == "pending"
    drain_jobs(runtime)
    assert _message(runtime, queued["id"]).delivery_status == "sent"
    assert api.post(f"/api/v1/messages/{queued['id']}/retry").status_code == 409


def test_rate_limited_reply_waits_for_retry_after_and_stays_pending(
    api: TestClient, runtime: Runtime, channel: dict[str, Any], receiver: Receiver
) -> None:
    receiver.respond(429, {}, {"Retry-After": "120"})
    queued = _reply(api, _conversation(api, channel)).json()
    drain_jobs(runtime)
    assert _message(runtime, queued["id"]).delivery_status == "pending"
    with runtime.session_factory() as session:
        job = session.scalars(sa.select(Job).where(Job.name == "channel.send_reply")).one()
        assert job.status == "queued"
        assert (job.run_at - job.created_at).total_seconds() >= 110


def test_rejected_credentials_flag_the_channel_for_reauthorisation(
    api: TestClient, runtime: Runtime, channel: dict[str, Any], receiver: Receiver
) -> None:
    receiver.respond(401, {"error": "bad signature"})
    queued = _reply(api, _conversation(api, channel)).json()
    drain_jobs(runtime)
    failed = _message(runtime, queued["id"])
    assert failed.delivery_status == "failed"
    assert "re-authorisation" in (failed.delivery_error or "")
    account = api.get(f"/api/v1/channel-accounts/{channel['id']}").json()
    assert account["health"] == "needs_reauth"


def test_channel_credentials_are_encrypted_at_rest(
    api: TestClient, runtime: Runtime, channel: dict[str, Any]
) -> None:
    with runtime.session_factory() as session:
        account = session.get(ChannelAccount, channel["id"])
        assert account is not None
        assert account.credentials_encrypted is not None
        assert channel["signing_secret"] not in account.credentials_encrypted
    listed = api.get("/api/v1/channel-accounts").json()
    assert all("signing_secret" not in json.dumps(a.get("settings")) for a in listed)
    assert all(a["signing_secret"] is None for a in listed)


def test_empty_reply_is_refused(api: TestClient, channel: dict[str, Any], runtime: Runtime) -> None:
    conversation_id = _conversation(api, channel)
    response = _reply(api, conversation_id, text="   ")
    assert response.status_code == 422
    with runtime.session_factory() as session:
        outbound = session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.direction == "outbound")
        )
    assert outbound == 0
