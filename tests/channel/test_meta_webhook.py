"""Facebook and Instagram webhooks in webcare: handshake, signature first, events in once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from webcare.connectors.meta.webhook import SIGNATURE_HEADER, sign
from webcare.conversation.models import Message
from webcare.runtime import Runtime

FIXTURES = Path(__file__).parent.parent / "connectors" / "meta" / "fixtures"
APP_SECRET = "webcare-test-app-secret"


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def _account(api: TestClient, platform: str) -> dict[str, Any]:
    created: dict[str, Any] = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": platform,
            "handle": "glasnet",
            "credentials": {"app_secret": APP_SECRET, "verify_token": "meatyhamhock"},
        },
    ).json()
    return created


@pytest.fixture
def page(api: TestClient) -> dict[str, Any]:
    return _account(api, "facebook")


def _path(account: dict[str, Any]) -> str:
    return str(account["webhook_url"]).removeprefix("http://testserver")


def _deliver(
    client: TestClient, account: dict[str, Any], payload: dict[str, Any], secret: str = APP_SECRET
) -> Any:
    body = json.dumps(payload).encode()
    return client.post(_path(account), content=body, headers={SIGNATURE_HEADER: sign(secret, body)})


def _messages(runtime: Runtime) -> list[Message]:
    with runtime.session_factory() as session:
        return list(session.scalars(sa.select(Message).order_by(Message.id)))


def test_subscription_handshake(app_client: TestClient, page: dict[str, Any]) -> None:
    query = _fixture("webhook_verification_get.json")["request"]["query"]
    ok = app_client.get(_path(page), params=query)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = app_client.get(_path(page), params={**query, "hub.verify_token": "guess"})
    assert wrong.status_code == 403


def test_comments_and_messenger_land_once_and_echoes_are_ignored(
    app_client: TestClient, page: dict[str, Any], runtime: Runtime
) -> None:
    comment = _deliver(app_client, page, _fixture("page_feed_comment_add.json"))
    again = _deliver(app_client, page, _fixture("page_feed_comment_add.json"))
    dm = _deliver(app_client, page, _fixture("messenger_message_text.json"))
    echo = _deliver(app_client, page, _fixture("messenger_message_echo.json"))
    assert comment.json()["stored"] == 1
    assert again.json() == {**comment.json(), "stored": 0, "duplicates": 1}
    assert dm.json()["stored"] == 1
    assert echo.json()["stored"] == 0
    assert [m.visibility for m in _messages(runtime)] == ["public", "private"]


def test_instagram_dm_story_reply_is_stored_with_its_story(
    api: TestClient, app_client: TestClient, runtime: Runtime
) -> None:
    instagram = _account(api, "instagram")
    response = _deliver(app_client, instagram, _fixture("instagram_dm_story_reply.json"))
    assert response.json()["stored"] == 1
    (message,) = _messages(runtime)
    assert message.visibility == "private"
    assert any(a["kind"] == "story" for a in message.attachments)


def test_bad_signature_is_refused_and_stores_nothing(
    app_client: TestClient, page: dict[str, Any], runtime: Runtime
) -> None:
    response = _deliver(app_client, page, _fixture("page_feed_comment_add.json"), secret="not-ours")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert _messages(runtime) == []


def test_unknown_platform_path_is_404(app_client: TestClient) -> None:
    assert app_client.post("/webhooks/myspace/abc", content=b"{}").status_code == 404
