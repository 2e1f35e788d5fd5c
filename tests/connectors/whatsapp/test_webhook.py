"""The WhatsApp webhook in webcare: handshake, signature first, messages in once, and delivery
reports that only ever move a reply forward."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from webcare.contact.models import ContactIdentity
from webcare.conversation import reply as replies
from webcare.conversation.events import ReplyDelivered
from webcare.conversation.models import Conversation, Message
from webcare.events.bus import DomainEvent, subscribe
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.simulator.platforms.whatsapp import deliver_status

FIXTURES = Path(__file__).parent / "fixtures"
APP_SECRET = "webcare-test-wa-secret"
PHONE_NUMBER_ID = "1122334455667"  # the fixtures' metadata.phone_number_id
CUSTOMER = "972987654321"


def _variants(name: str) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((FIXTURES / name).read_text())
    return data


MESSAGES = _variants("message.json")


@pytest.fixture
def account(api: TestClient) -> dict[str, Any]:
    created: dict[str, Any] = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": "whatsapp",
            "handle": "+31208081234",
            "credentials": {
                "app_secret": APP_SECRET,
                "verify_token": "wa-verify",
                "access_token": "sim-wa-token",
            },
            "settings": {"phone_number_id": PHONE_NUMBER_ID},
        },
    ).json()
    return created


def _path(account: dict[str, Any]) -> str:
    path = str(account["webhook_url"]).removeprefix("http://testserver")
    assert path.startswith("/webhooks/whatsapp/")
    return path


def _deliver(
    client: TestClient, account: dict[str, Any], payload: dict[str, Any], secret: str = APP_SECRET
) -> Any:
    from webcare.connectors.whatsapp.webhook import SIGNATURE_HEADER, sign

    body = json.dumps(payload).encode()
    return client.post(_path(account), content=body, headers={SIGNATURE_HEADER: sign(secret, body)})


def _messages(runtime: Runtime) -> list[Message]:
    with runtime.session_factory() as session:
        return list(session.scalars(sa.select(Message).order_by(Message.id)))


def test_subscription_handshake(app_client: TestClient, account: dict[str, Any]) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": "wa-verify",
    }
    ok = app_client.get(_path(account), params=query)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = app_client.get(_path(account), params={**query, "hub.verify_token": "guess"})
    assert wrong.status_code == 403
    assert app_client.get("/webhooks/whatsapp/not-a-token", params=query).status_code == 404


def test_a_text_message_lands_once_with_the_customers_name(
    app_client: TestClient, account: dict[str, Any], runtime: Runtime
) -> None:
    first = _deliver(app_client, account, MESSAGES["text"])
    again = _deliver(app_client, account, MESSAGES["text"])
    assert first.status_code == 200
    assert first.json()["stored"] == 1
    assert again.json()["stored"] == 0
    assert again.json()["duplicates"] == 1
    (message,) = _messages(runtime)
    assert (message.text, message.visibility, message.external_id) == (
        "Body Text",
        "private",
        "wamid.xyzxyz",
    )
    with runtime.session_factory() as session:
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        assert conversation.kind == "private_thread"
        identity = session.scalars(sa.select(ContactIdentity)).one()
        assert (identity.platform, identity.platform_user_id, identity.handle, identity.name) == (
            "whatsapp",
            CUSTOMER,
            f"+{CUSTOMER}",
            "Test Name",
        )


def test_media_is_stored_as_an_attachment_reference(
    app_client: TestClient, account: dict[str, Any], runtime: Runtime
) -> None:
    assert _deliver(app_client, account, MESSAGES["document"]).json()["stored"] == 1
    (message,) = _messages(runtime)
    assert message.text == "caption"
    assert message.attachments == [
        {
            "kind": "document",
            "url": "whatsapp-media:1234567890987654321",
            "mime_type": "application/pdf",
            "name": "filename.pdf",
        }
    ]


@pytest.mark.parametrize("signature", ["wrong-secret", None])
def test_bad_or_missing_signature_is_refused_and_stores_nothing(
    app_client: TestClient, account: dict[str, Any], runtime: Runtime, signature: str | None
) -> None:
    if signature is None:
        response = app_client.post(_path(account), content=json.dumps(MESSAGES["text"]).encode())
    else:
        response = _deliver(app_client, account, MESSAGES["text"], secret=signature)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert _messages(runtime) == []


def test_a_message_for_another_number_is_not_filed_here(
    api: TestClient, app_client: TestClient, runtime: Runtime
) -> None:
    other: dict[str, Any] = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": "whatsapp",
            "handle": "+31200000000",
            "credentials": {"app_secret": APP_SECRET},
            "settings": {"phone_number_id": "999"},
        },
    ).json()
    response = _deliver(app_client, other, MESSAGES["text"])
    assert (response.status_code, response.json()["stored"], response.json()["skipped"]) == (
        200,
        0,
        1,
    )
    assert _messages(runtime) == []


def test_not_json_is_a_clear_422(app_client: TestClient, account: dict[str, Any]) -> None:
    from webcare.connectors.whatsapp.webhook import SIGNATURE_HEADER, sign

    body = b"not json"
    response = app_client.post(
        _path(account), content=body, headers={SIGNATURE_HEADER: sign(APP_SECRET, body)}
    )
    assert response.status_code == 422


def test_meta_routes_refuse_whatsapp(app_client: TestClient, account: dict[str, Any]) -> None:
    token = _path(account).rsplit("/", 1)[1]
    # The generic Meta route cannot be reached for whatsapp, and it 404s unknown platforms.
    assert app_client.post(f"/webhooks/facebook/{token}", content=b"{}").status_code == 404


# Delivery reports ---------------------------------------------------------------------------


@pytest.fixture
def sent_reply(
    api: TestClient, app_client: TestClient, account: dict[str, Any], runtime: Runtime
) -> int:
    """A reply to the customer that WhatsApp accepted as ``wamid.out1``."""
    _deliver(app_client, account, MESSAGES["text"])
    (inbound,) = _messages(runtime)
    reply = api.post(
        f"/api/v1/conversations/{inbound.conversation_id}/replies", json={"text": "Hallo!"}
    ).json()
    with unit_of_work(runtime.session_factory) as session:
        message = session.get(Message, reply["id"])
        assert message is not None
        assert replies.mark_sent(session, message, "wamid.out1")
    return int(reply["id"])


@pytest.fixture
def heard() -> Iterator[list[DomainEvent]]:
    events: list[DomainEvent] = []
    unsubscribe = subscribe(events.append)
    try:
        yield events
    finally:
        unsubscribe()


def _report(
    app_client: TestClient, account: dict[str, Any], status: str, at: int, **kw: Any
) -> dict[str, Any]:
    url = _path(account)
    response = deliver_status(
        app_client,
        url,
        APP_SECRET,
        message_id=kw.pop("message_id", "wamid.out1"),
        status=status,
        recipient_id=CUSTOMER,
        timestamp=at,
        phone_number_id=PHONE_NUMBER_ID,
        **kw,
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _state(runtime: Runtime, message_id: int) -> tuple[str | None, bool, bool, str | None]:
    with runtime.session_factory() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return (
            message.delivery_status,
            message.delivered_at is not None,
            message.read_at is not None,
            message.delivery_error,
        )


def test_sent_delivered_read_move_the_reply_forward_live(
    app_client: TestClient,
    account: dict[str, Any],
    runtime: Runtime,
    sent_reply: int,
    heard: list[DomainEvent],
) -> None:
    assert _report(app_client, account, "sent", 1_800_000_000)["statuses_ignored"] == 1
    assert _report(app_client, account, "delivered", 1_800_000_010)["statuses"] == 1
    assert _state(runtime, sent_reply) == ("delivered", True, False, None)
    assert _report(app_client, account, "read", 1_800_000_020)["statuses"] == 1
    assert _state(runtime, sent_reply) == ("read", True, True, None)
    changes = [e for e in heard if isinstance(e, ReplyDelivered)]
    assert [(e.message_id, e.status) for e in changes] == [
        (sent_reply, "delivered"),
        (sent_reply, "read"),
    ]


def test_late_and_duplicate_reports_change_nothing(
    app_client: TestClient,
    account: dict[str, Any],
    runtime: Runtime,
    sent_reply: int,
    heard: list[DomainEvent],
) -> None:
    assert _report(app_client, account, "read", 1_800_000_020)["statuses"] == 1
    assert _report(app_client, account, "read", 1_800_000_020)["statuses_ignored"] == 1
    assert _report(app_client, account, "delivered", 1_800_000_010)["statuses_ignored"] == 1
    assert _report(app_client, account, "sent", 1_800_000_000)["statuses_ignored"] == 1
    assert _report(app_client, account, "failed", 1_800_000_030)["statuses_ignored"] == 1
    assert _state(runtime, sent_reply) == ("read", True, True, None)
    assert len([e for e in heard if isinstance(e, ReplyDelivered)]) == 1


def test_failed_after_sent_marks_the_reply_failed_with_whatsapps_reason(
    app_client: TestClient, account: dict[str, Any], runtime: Runtime, sent_reply: int
) -> None:
    error = _variants("message_status.json")["failed"]["entry"][0]["changes"][0]["value"][
        "statuses"
    ][0]["errors"][0]
    assert _report(app_client, account, "failed", 1_800_000_000, error=error)["statuses"] == 1
    status, _delivered, _read, reason = _state(runtime, sent_reply)
    assert status == "failed"
    assert reason == (
        "WhatsApp could not deliver the message: User's number is part of an experiment "
        "(130472): Failed to send message because this user's phone number is part of an "
        "experiment"
    )
    # The agent can retry it like any failed reply.
    assert _report(app_client, account, "delivered", 1_800_000_010)["statuses_ignored"] == 1


def test_reports_for_messages_we_never_sent_are_harmless(
    app_client: TestClient, account: dict[str, Any], runtime: Runtime
) -> None:
    _deliver(app_client, account, MESSAGES["text"])
    # A report naming the customer's own (inbound) message, and one naming nothing we know.
    body = _report(app_client, account, "read", 1_800_000_000, message_id="wamid.xyzxyz")
    assert body["statuses_ignored"] == 1
    assert _report(app_client, account, "delivered", 1, message_id="wamid.nope")["statuses"] == 0
    (inbound,) = _messages(runtime)
    assert inbound.delivery_status is None


def test_the_recorded_status_fixtures_are_accepted(
    app_client: TestClient, account: dict[str, Any], runtime: Runtime, sent_reply: int
) -> None:
    payload = _variants("message_status.json")["delivered"]
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = "wamid.out1"
    body = _deliver(app_client, account, payload).json()
    assert body["statuses"] == 1
    assert _state(runtime, sent_reply)[0] == "delivered"
