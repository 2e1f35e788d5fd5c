"""WhatsApp end to end against a live simulator: a customer writes, an agent answers inside the
24-hour window, WhatsApp reports delivery; outside the window only a template goes out, and the
"your parcel arrives tomorrow" template is sent through our API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.live import live_simulator
from tests.receiver import running_receiver
from webcare.connectors.whatsapp.webhook import SIGNATURE_HEADER, verify_signature
from webcare.contact.models import ContactIdentity
from webcare.conversation.models import Conversation, Message
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.simulator.platforms.whatsapp import (
    DEFAULT_PHONE_NUMBER_ID,
    deliver_message,
    deliver_status,
)
from webcare.simulator.state import Fault, SimState
from webcare.worker.models import Job

APP_SECRET = "wa-roundtrip-secret"
CUSTOMER = "31612345678"
TEMPLATE = {
    "name": "parcel_tomorrow",
    "language": "nl",
    "components": [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Anna"},
                {
                    "type": "date_time",
                    "date_time": {"fallback_value": "dinsdag 24 november"},
                },
            ],
        }
    ],
}


@dataclass
class Sim:
    url: str
    state: SimState


@pytest.fixture(scope="module")
def live() -> Iterator[Sim]:
    with live_simulator() as (url, state):
        yield Sim(url, state)


@pytest.fixture
def sim(live: Sim) -> Sim:
    """The module's simulator, emptied: no sends, faults or customer windows left over."""
    fresh = SimState()
    live.state.__dict__.update(fresh.__dict__)
    return live


def _connect(api: TestClient, sim: Sim, token: str = "sim-wa-token") -> dict[str, Any]:  # noqa: S107
    response = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": "whatsapp",
            "handle": "+31208081234",
            "credentials": {"app_secret": APP_SECRET, "access_token": token},
            "settings": {
                "phone_number_id": DEFAULT_PHONE_NUMBER_ID,
                "api_base": f"{sim.url}/whatsapp",
            },
        },
    )
    assert response.status_code == 201, response.text
    account: dict[str, Any] = response.json()
    return account


def _path(account: dict[str, Any]) -> str:
    return str(account["webhook_url"]).removeprefix("http://testserver")


def _customer_writes(
    app_client: TestClient,
    runtime: Runtime,
    sim: Sim,
    account: dict[str, Any],
    *,
    hours_ago: float = 0,
) -> Message:
    at = int((utc_now() - timedelta(hours=hours_ago)).timestamp())
    response = deliver_message(
        app_client,
        _path(account),
        APP_SECRET,
        sim.state,
        wa_id=CUSTOMER,
        name="Henk de Vries",
        text="Waar blijft mijn pakket?",
        timestamp=at,
    )
    assert response.json()["stored"] == 1
    found: Message = _only(runtime, Message, Message.direction == "inbound")
    return found


def _only(runtime: Runtime, model: type[Any], *where: Any) -> Any:
    with runtime.session_factory() as session:
        row = session.scalars(sa.select(model).where(*where)).one()
        session.expunge(row)
        return row


def _message(runtime: Runtime, message_id: int) -> Message:
    with runtime.session_factory() as session:
        found = session.get(Message, message_id)
        assert found is not None
        session.expunge(found)
        return found


def _reply(api: TestClient, conversation_id: int, text: str = "Morgen tussen 9 en 12.") -> Any:
    response = api.post(f"/api/v1/conversations/{conversation_id}/replies", json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()


def _make_jobs_due(runtime: Runtime) -> None:
    """As if the wait a job was rescheduled for (rate limit, backoff) had passed."""
    with runtime.session_factory() as session, session.begin():
        for job in session.scalars(sa.select(Job).where(Job.status == "queued")):
            job.run_at = job.created_at


def test_reply_in_window_is_sent_quoting_the_customer_then_delivered_and_read(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = _connect(api, sim)
    inbound = _customer_writes(app_client, runtime, sim, account)
    reply = _reply(api, inbound.conversation_id)
    drain_jobs(runtime)

    (sent,) = sim.state.sent("whatsapp")
    assert (sent.kind, sent.text, sent.recipient, sent.in_reply_to) == (
        "text",
        "Morgen tussen 9 en 12.",
        CUSTOMER,
        inbound.external_id,
    )
    stored = _message(runtime, reply["id"])
    assert (stored.delivery_status, stored.external_id) == ("sent", sent.external_id)

    for status in ("delivered", "read", "delivered"):
        deliver_status(
            app_client,
            _path(account),
            APP_SECRET,
            message_id=sent.external_id,
            status=status,
            recipient_id=CUSTOMER,
        )
    shown = api.get(f"/api/v1/conversations/{inbound.conversation_id}").json()
    assert [m["delivery_status"] for m in shown["messages"]] == [None, "read"]


def test_reply_outside_the_window_fails_without_asking_whatsapp(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = _connect(api, sim)
    inbound = _customer_writes(app_client, runtime, sim, account, hours_ago=25)
    reply = _reply(api, inbound.conversation_id)
    drain_jobs(runtime)

    failed = _message(runtime, reply["id"])
    assert failed.delivery_status == "failed"
    assert "more than 24 hours" in (failed.delivery_error or "")
    assert "template" in (failed.delivery_error or "")
    assert sim.state.sent() == []


def test_template_through_the_api_starts_a_conversation_and_is_sent_once(
    api: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = _connect(api, sim)
    path = f"/api/v1/channel-accounts/{account['id']}/whatsapp/templates"
    body = {"to": "+31 6 1234 5678", "template": TEMPLATE}
    first = api.post(path, json=body, headers={"Idempotency-Key": "parcel-4711"})
    again = api.post(path, json=body, headers={"Idempotency-Key": "parcel-4711"})
    assert first.status_code == 202, first.text
    assert again.status_code == 200
    assert again.json()["message_id"] == first.json()["message_id"]
    assert first.json()["delivery_status"] == "pending"
    drain_jobs(runtime)

    (sent,) = sim.state.sent("whatsapp")
    assert (sent.kind, sent.recipient) == ("template", CUSTOMER)
    assert sent.request["template"] == {**TEMPLATE, "language": {"code": "nl"}}
    message = _message(runtime, first.json()["message_id"])
    assert (message.delivery_status, message.external_id) == ("sent", sent.external_id)
    assert message.text == (
        "[Template parcel_tomorrow (nl)] body: Anna, date_time dinsdag 24 november"
    )
    identity = _only(runtime, ContactIdentity)
    assert (identity.platform, identity.platform_user_id) == ("whatsapp", CUSTOMER)
    conversation = _only(runtime, Conversation)
    assert (conversation.kind, conversation.contact_id) == ("private_thread", identity.contact_id)


def test_when_the_customer_answers_a_template_it_lands_in_the_same_conversation(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = _connect(api, sim)
    path = f"/api/v1/channel-accounts/{account['id']}/whatsapp/templates"
    queued = api.post(path, json={"to": f"+{CUSTOMER}", "template": TEMPLATE}).json()
    drain_jobs(runtime)
    inbound = _customer_writes(app_client, runtime, sim, account)
    assert inbound.conversation_id == queued["conversation_id"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"to": "0612345678", "template": TEMPLATE}, "E.164"),
        ({"to": "+12", "template": TEMPLATE}, "E.164"),
        ({"to": "+3161234567891234", "template": TEMPLATE}, "E.164"),
        ({"to": f"+{CUSTOMER}", "template": {"language": "nl"}}, "name"),
        ({"to": f"+{CUSTOMER}", "template": {"name": "parcel_tomorrow"}}, "language"),
        ({"to": f"+{CUSTOMER}", "template": {"name": "x", "language": ""}}, "language"),
    ],
)
def test_bad_template_requests_are_422_and_store_nothing(
    api: TestClient, runtime: Runtime, sim: Sim, body: dict[str, Any], words: str
) -> None:
    account = _connect(api, sim)
    response = api.post(f"/api/v1/channel-accounts/{account['id']}/whatsapp/templates", json=body)
    assert response.status_code == 422
    assert words in response.text
    with runtime.session_factory() as session:
        assert session.scalars(sa.select(Message)).all() == []
        assert session.scalars(sa.select(Job)).all() == []


def test_templates_only_go_through_whatsapp_accounts(
    api: TestClient, runtime: Runtime, sim: Sim
) -> None:
    accounts = api.get("/api/v1/channel-accounts").json()
    x = next(a for a in accounts if a["platform"] == "x")
    response = api.post(
        f"/api/v1/channel-accounts/{x['id']}/whatsapp/templates",
        json={"to": f"+{CUSTOMER}", "template": TEMPLATE},
    )
    assert response.status_code == 422
    assert "WhatsApp" in response.json()["detail"]


def test_rate_limit_waits_for_retry_after_then_sends_exactly_once(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = _connect(api, sim)
    inbound = _customer_writes(app_client, runtime, sim, account)
    sim.state.add_fault("whatsapp", Fault(429, retry_after=120))
    reply = _reply(api, inbound.conversation_id)
    drain_jobs(runtime)

    assert _message(runtime, reply["id"]).delivery_status == "pending"
    with runtime.session_factory() as session:
        job = session.scalars(sa.select(Job).where(Job.name == "channel.send_reply")).one()
        assert job.status == "queued"
        assert (job.run_at - job.created_at).total_seconds() >= 110
    assert sim.state.sent() == []

    _make_jobs_due(runtime)
    drain_jobs(runtime)
    assert len(sim.state.sent("whatsapp")) == 1
    assert _message(runtime, reply["id"]).delivery_status == "sent"


def test_expired_token_fails_the_reply_and_flags_the_channel(
    api: TestClient, app_client: TestClient, runtime: Runtime, sim: Sim
) -> None:
    account = _connect(api, sim, token="expired-token")
    inbound = _customer_writes(app_client, runtime, sim, account)
    reply = _reply(api, inbound.conversation_id)
    drain_jobs(runtime)

    failed = _message(runtime, reply["id"])
    assert failed.delivery_status == "failed"
    assert "re-authorisation" in (failed.delivery_error or "")
    assert "expired-token" not in (failed.delivery_error or "")
    health = api.get(f"/api/v1/channel-accounts/{account['id']}").json()
    assert health["health"] == "needs_reauth"
    assert sim.state.sent() == []


def test_simulator_emits_signed_status_webhooks_after_accepting(sim: Sim) -> None:
    """The demo's stream: after a send, the simulator reports sent/delivered/read itself."""
    with running_receiver() as receiver:
        sim.state.platform_data("whatsapp")["status_webhook"] = {
            "url": receiver.url,
            "app_secret": APP_SECRET,
            "delay": 0,
        }
        sim.state.platform_data("whatsapp")["last_inbound"] = {CUSTOMER: utc_now()}
        with httpx.Client(base_url=sim.url) as client:
            answer = client.post(
                f"/whatsapp/v23.0/{DEFAULT_PHONE_NUMBER_ID}/messages",
                headers={"Authorization": "Bearer sim-wa-token"},
                json={
                    "messaging_product": "whatsapp",
                    "to": CUSTOMER,
                    "type": "text",
                    "text": {"body": "Hoi"},
                },
            )
        assert answer.status_code == 200
        for thread in threading.enumerate():
            if thread.name.startswith("wa-status-"):
                thread.join(timeout=10)
    wamid = answer.json()["messages"][0]["id"]
    reports = []
    for request in receiver.requests:
        body = request["body"]
        verify_signature(APP_SECRET, body, request["headers"][SIGNATURE_HEADER])
        (report,) = json.loads(body)["entry"][0]["changes"][0]["value"]["statuses"]
        reports.append((report["id"], report["status"]))
    assert reports == [(wamid, "sent"), (wamid, "delivered"), (wamid, "read")]
