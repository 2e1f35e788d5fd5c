"""X Account Activity webhook in webcare: CRC, signature first, events into the inbox once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from webcare.connectors.x.webhook import SIGNATURE_HEADER, sign
from webcare.conversation.models import Message
from webcare.runtime import Runtime

FIXTURES = Path(__file__).parent.parent / "connectors" / "x" / "fixtures"
SECRET = "test_consumer_secret_not_real"


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@pytest.fixture
def x_channel(api: TestClient) -> dict[str, Any]:
    created: dict[str, Any] = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": "x",
            "handle": "VoorbeeldShop",
            "credentials": {"consumer_secret": SECRET},
        },
    ).json()
    return created


def _path(channel: dict[str, Any]) -> str:
    return str(channel["webhook_url"]).removeprefix("http://testserver")


def _deliver(
    client: TestClient, channel: dict[str, Any], payload: dict[str, Any], secret: str = SECRET
) -> Any:
    body = json.dumps(payload).encode()
    return client.post(_path(channel), content=body, headers={SIGNATURE_HEADER: sign(secret, body)})


def _messages(runtime: Runtime) -> list[Message]:
    with runtime.session_factory() as session:
        return list(session.scalars(sa.select(Message).order_by(Message.id)))


def test_crc_challenge_is_answered_with_the_consumer_secret(
    app_client: TestClient, x_channel: dict[str, Any]
) -> None:
    crc = _fixture("aaa_crc_challenge.json")
    response = app_client.get(
        _path(x_channel), params={"crc_token": crc["request"]["query"]["crc_token"]}
    )
    assert response.status_code == 200
    assert response.json() == crc["expected_response"]["body"]


def test_mentions_and_dms_land_in_the_inbox_once(
    app_client: TestClient, x_channel: dict[str, Any], runtime: Runtime
) -> None:
    first = _deliver(app_client, x_channel, _fixture("aaa_tweet_create_events.json"))
    again = _deliver(app_client, x_channel, _fixture("aaa_tweet_create_events.json"))
    dms = _deliver(app_client, x_channel, _fixture("aaa_direct_message_events.json"))
    assert first.status_code == 200
    assert first.json()["stored"] >= 1
    assert again.json()["stored"] == 0
    assert again.json()["duplicates"] == first.json()["stored"]
    assert dms.json()["stored"] >= 1
    stored = _messages(runtime)
    assert len(stored) == first.json()["stored"] + dms.json()["stored"]
    assert {m.visibility for m in stored} == {"public", "private"}


def test_unsigned_or_wrongly_signed_delivery_is_refused_and_stores_nothing(
    app_client: TestClient, x_channel: dict[str, Any], runtime: Runtime
) -> None:
    payload = _fixture("aaa_tweet_create_events.json")
    wrong = _deliver(app_client, x_channel, payload, secret="someone-else")
    missing = app_client.post(_path(x_channel), content=json.dumps(payload).encode())
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.json()["error"] == "invalid_signature"
    assert _messages(runtime) == []


def test_likes_and_follows_are_accepted_but_store_nothing(
    app_client: TestClient, x_channel: dict[str, Any], runtime: Runtime
) -> None:
    response = _deliver(app_client, x_channel, _fixture("aaa_favorite_and_follow_events.json"))
    assert response.status_code == 200
    assert _messages(runtime) == []


def test_broken_payload_is_a_clear_4xx(app_client: TestClient, x_channel: dict[str, Any]) -> None:
    response = _deliver(app_client, x_channel, {"for_user_id": "1", "tweet_create_events": "nope"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
