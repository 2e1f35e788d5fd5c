"""The generic API channel's signed webhook: signature first, then parse, then ingest once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.ingestion.helpers import payload
from webcare.connectors.api.client import sign
from webcare.conversation.models import Message
from webcare.runtime import Runtime


@pytest.fixture
def channel(api: TestClient) -> dict[str, Any]:
    created: dict[str, Any] = api.post(
        "/api/v1/channel-accounts", json={"platform": "api", "handle": "webshop"}
    ).json()
    return created


def _deliver(
    client: TestClient,
    channel: dict[str, Any],
    body: bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Any:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"Content-Type": "application/json", "X-Webcare-Timestamp": ts}
    if signature is None and secret is not None:
        signature = sign(secret, ts, body)
    if signature is not None:
        headers["X-Webcare-Signature"] = signature
    path = channel["webhook_url"].removeprefix("http://testserver")
    return client.post(path, content=body, headers=headers)


def _messages(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Message)) or 0)


def test_correctly_signed_delivery_is_stored_once(
    app_client: TestClient, channel: dict[str, Any], runtime: Runtime
) -> None:
    body = json.dumps(payload("wh-1")).encode()
    first = _deliver(app_client, channel, body, secret=channel["signing_secret"])
    again = _deliver(app_client, channel, body, secret=channel["signing_secret"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert _messages(runtime) == 1


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("missing", {}),
        ("wrong secret", {"secret": "not-the-secret"}),
        ("garbage", {"signature": "sha256=deadbeef"}),
        ("replayed", {"timestamp": int(time.time()) - 3600}),
    ],
)
def test_bad_or_missing_signature_is_refused_before_parsing(
    app_client: TestClient,
    channel: dict[str, Any],
    runtime: Runtime,
    how: str,
    kwargs: dict[str, Any],
) -> None:
    if how == "replayed":
        kwargs["secret"] = channel["signing_secret"]
    response = _deliver(app_client, channel, json.dumps(payload("wh-2")).encode(), **kwargs)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert _messages(runtime) == 0


def test_tampered_body_fails_the_signature(
    app_client: TestClient, channel: dict[str, Any], runtime: Runtime
) -> None:
    body = json.dumps(payload("wh-3")).encode()
    ts = int(time.time())
    signature = sign(channel["signing_secret"], str(ts), body)
    tampered = body.replace(b"wh-3", b"wh-4")
    response = _deliver(app_client, channel, tampered, timestamp=ts, signature=signature)
    assert response.status_code == 401
    assert _messages(runtime) == 0


def test_signed_but_malformed_body_is_a_clear_422(
    app_client: TestClient, channel: dict[str, Any]
) -> None:
    response = _deliver(app_client, channel, b'{"external_id": 1', secret=channel["signing_secret"])
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"


def test_unknown_webhook_url_is_404(app_client: TestClient) -> None:
    response = app_client.post("/webhooks/api/not-a-token", content=b"{}")
    assert response.status_code == 404
