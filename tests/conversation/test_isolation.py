"""Workspace isolation: a token of workspace B never sees or touches an object of workspace A."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import token_for
from tests.ingestion.helpers import payload
from webcare.demo.cast import Cast
from webcare.runtime import Runtime


@pytest.fixture
def glasnet_objects(api: TestClient, cast: Cast) -> dict[str, Any]:
    """A conversation with a reply and a note in Glasnet (workspace A)."""
    account = cast.accounts["api"].id
    made = api.post(f"/api/v1/channel-accounts/{account}/messages", json=payload("iso-1")).json()
    conversation_id = made["conversation_id"]
    api.post(f"/api/v1/conversations/{conversation_id}/labels", json={"name": "factuur"})
    reply = api.post(
        f"/api/v1/conversations/{conversation_id}/replies", json={"text": "Hoi!"}
    ).json()
    contact_id = api.get(f"/api/v1/conversations/{conversation_id}").json()["contact"]["id"]
    return {
        "account": account,
        "conversation": conversation_id,
        "contact": contact_id,
        "message": reply["id"],
    }


def test_every_object_of_another_workspace_is_404(
    app_client: TestClient, runtime: Runtime, other_cast: Cast, glasnet_objects: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {token_for(runtime, other_cast)}"}
    c, k, a, m = (glasnet_objects[n] for n in ("conversation", "contact", "account", "message"))
    attempts = [
        ("GET", f"/api/v1/conversations/{c}", None),
        ("POST", f"/api/v1/conversations/{c}/replies", {"text": "hack"}),
        ("POST", f"/api/v1/conversations/{c}/notes", {"text": "hack"}),
        ("POST", f"/api/v1/conversations/{c}/assign", {"assignee_id": None}),
        ("POST", f"/api/v1/conversations/{c}/status", {"status": "resolved"}),
        ("POST", f"/api/v1/conversations/{c}/priority", {"priority": "urgent"}),
        ("POST", f"/api/v1/conversations/{c}/labels", {"name": "factuur"}),
        ("DELETE", f"/api/v1/conversations/{c}/labels/factuur", None),
        ("POST", f"/api/v1/messages/{m}/retry", None),
        ("GET", f"/api/v1/contacts/{k}", None),
        ("PATCH", f"/api/v1/contacts/{k}", {"name": "hack"}),
        ("GET", f"/api/v1/channel-accounts/{a}", None),
        ("POST", f"/api/v1/channel-accounts/{a}/messages", payload("iso-2")),
        ("PATCH", f"/api/v1/channel-accounts/{a}/messages/iso-1", {"text": "hack"}),
        ("DELETE", f"/api/v1/channel-accounts/{a}/messages/iso-1", None),
    ]
    for method, url, body in attempts:
        response = app_client.request(method, url, json=body, headers=headers)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"] == "not_found"


def test_lists_show_only_the_own_workspace(
    app_client: TestClient, runtime: Runtime, other_cast: Cast, glasnet_objects: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {token_for(runtime, other_cast)}"}
    assert app_client.get("/api/v1/conversations", headers=headers).json()["items"] == []
    assert app_client.get("/api/v1/contacts", headers=headers).json()["items"] == []
    assert app_client.get("/api/v1/conversations?q=storing", headers=headers).json()["total"] == 0
    own_accounts = {
        a["handle"] for a in app_client.get("/api/v1/channel-accounts", headers=headers).json()
    }
    assert "glasnet-app" in own_accounts  # the Spoorweg cast has its own accounts of that name
    ids = {a["id"] for a in app_client.get("/api/v1/channel-accounts", headers=headers).json()}
    assert glasnet_objects["account"] not in ids


def test_untouched_after_foreign_attempts(
    api: TestClient,
    app_client: TestClient,
    runtime: Runtime,
    other_cast: Cast,
    glasnet_objects: dict[str, Any],
) -> None:
    headers = {"Authorization": f"Bearer {token_for(runtime, other_cast)}"}
    c = glasnet_objects["conversation"]
    app_client.post(
        f"/api/v1/conversations/{c}/status", json={"status": "resolved"}, headers=headers
    )
    detail = api.get(f"/api/v1/conversations/{c}").json()
    assert detail["status"] == "open"
    assert detail["labels"] == ["factuur"]
