"""Ingestion through the generic API channel: idempotent, threaded, validated, isolated."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.ingestion.helpers import payload
from webcare.contact.models import Contact, ContactIdentity
from webcare.conversation.models import Conversation, Message
from webcare.demo.cast import Cast
from webcare.runtime import Runtime


def _post(api: TestClient, cast: Cast, body: dict[str, Any]) -> Any:
    return api.post(f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages", json=body)


def _count(runtime: Runtime, model: type) -> int:
    with runtime.session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_duplicate_delivery_creates_one_message(
    api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    first = _post(api, cast, payload("m-1"))
    second = _post(api, cast, payload("m-1"))
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == {**first.json(), "duplicate": True}
    assert _count(runtime, Message) == 1
    assert _count(runtime, Conversation) == 1


def test_private_messages_of_one_customer_join_their_open_conversation(
    api: TestClient, cast: Cast
) -> None:
    a = _post(api, cast, payload("dm-1", "Hoi, mijn factuur klopt niet", minutes_ago=10)).json()
    b = _post(api, cast, payload("dm-2", "Ik ben 20 euro te veel kwijt", minutes_ago=9)).json()
    other = _post(api, cast, payload("dm-3", "Andere klant hier", author="klant-2")).json()
    assert a["conversation_id"] == b["conversation_id"]
    assert other["conversation_id"] != a["conversation_id"]


def test_public_reply_joins_its_parents_conversation(api: TestClient, cast: Cast) -> None:
    root = _post(api, cast, payload("t-1", kind="public_thread", minutes_ago=20)).json()
    reply = _post(
        api,
        cast,
        payload("t-2", "Nog steeds niks", kind="public_thread", reply_to="t-1", minutes_ago=3),
    ).json()
    new_thread = _post(api, cast, payload("t-3", "Nieuw onderwerp", kind="public_thread")).json()
    assert reply["conversation_id"] == root["conversation_id"]
    assert new_thread["conversation_id"] != root["conversation_id"]


def test_reply_that_arrives_before_its_parent_is_relinked(
    api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    early = _post(
        api,
        cast,
        payload(
            "c-2",
            "@GlasnetHelpt dit is mijn reactie",
            kind="public_thread",
            reply_to="c-1",
            minutes_ago=2,
        ),
    ).json()
    parent = _post(
        api, cast, payload("c-1", "De originele post", kind="public_thread", minutes_ago=8)
    ).json()
    assert (
        parent["conversation_id"] == early["conversation_id"] or _count(runtime, Conversation) == 1
    )
    detail = api.get(f"/api/v1/conversations/{parent['conversation_id']}").json()
    assert [m["external_id"] for m in detail["messages"]] == ["c-1", "c-2"]
    assert _count(runtime, Conversation) == 1


def test_orphan_in_the_middle_of_a_thread_is_pulled_into_the_thread(
    api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    root = _post(api, cast, payload("r-1", kind="public_thread", minutes_ago=30)).json()
    _post(
        api,
        cast,
        payload("r-3", "antwoord op r-2", kind="public_thread", reply_to="r-2", minutes_ago=5),
    )
    assert _count(runtime, Conversation) == 2
    _post(
        api,
        cast,
        payload("r-2", "antwoord op r-1", kind="public_thread", reply_to="r-1", minutes_ago=10),
    )
    assert _count(runtime, Conversation) == 1
    detail = api.get(f"/api/v1/conversations/{root['conversation_id']}").json()
    assert [m["external_id"] for m in detail["messages"]] == ["r-1", "r-2", "r-3"]
    assert any(a["action"] == "conversation.merged" for a in detail["activity"])


def test_customer_writing_after_resolution_reopens_within_window(
    api: TestClient, cast: Cast
) -> None:
    first = _post(api, cast, payload("w-1", minutes_ago=60)).json()
    api.post(
        f"/api/v1/conversations/{first['conversation_id']}/status", json={"status": "resolved"}
    )
    again = _post(api, cast, payload("w-2", "Toch nog een vraag", minutes_ago=1)).json()
    assert again["conversation_id"] == first["conversation_id"]
    detail = api.get(f"/api/v1/conversations/{first['conversation_id']}").json()
    assert detail["status"] == "open"
    assert any(a["action"] == "conversation.reopened" for a in detail["activity"])


def test_customer_writing_long_after_resolution_starts_a_new_conversation(
    api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    first = _post(api, cast, payload("o-1", minutes_ago=60 * 24 * 30)).json()
    api.post(
        f"/api/v1/conversations/{first['conversation_id']}/status", json={"status": "resolved"}
    )
    with runtime.session_factory() as session, session.begin():
        conversation = session.get(Conversation, first["conversation_id"])
        assert conversation is not None
        conversation.resolved_at = (
            conversation.resolved_at.replace(year=2020) if conversation.resolved_at else None
        )
    again = _post(api, cast, payload("o-2", "Ik heb weer een probleem")).json()
    assert again["conversation_id"] != first["conversation_id"]
    old = api.get(f"/api/v1/conversations/{first['conversation_id']}").json()
    assert old["status"] == "resolved"
    contact = api.get(f"/api/v1/contacts/{old['contact']['id']}").json()
    assert {c["id"] for c in contact["conversations"]} == {
        first["conversation_id"],
        again["conversation_id"],
    }


def test_contact_is_resolved_by_identity_and_kept_up_to_date(
    api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    _post(api, cast, payload("p-1", minutes_ago=10))
    renamed = payload("p-2", minutes_ago=1)
    renamed["author"].update({"handle": "sophie_nieuw", "name": "Sophie V.", "followers": 48_000})
    result = _post(api, cast, renamed).json()
    assert _count(runtime, Contact) == 1
    assert _count(runtime, ContactIdentity) == 1
    detail = api.get(f"/api/v1/conversations/{result['conversation_id']}").json()
    (identity,) = detail["contact"]["identities"]
    assert (identity["handle"], identity["name"], identity["follower_count"]) == (
        "sophie_nieuw",
        "Sophie V.",
        48_000,
    )


def test_edit_keeps_history_and_delete_marks_message(api: TestClient, cast: Cast) -> None:
    created = _post(api, cast, payload("e-1", "Mijn klantnummer is 123")).json()
    base = f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages/e-1"
    assert api.patch(base, json={"text": "Sorry, verkeerde info"}).status_code == 200
    assert (
        api.patch(base, json={"text": "Sorry, verkeerde info"}).status_code == 200
    )  # repeat: no-op
    assert api.delete(base).status_code == 200
    (message,) = api.get(f"/api/v1/conversations/{created['conversation_id']}").json()["messages"]
    assert message["text"] == "Sorry, verkeerde info"
    assert [r["text"] for r in message["revisions"]] == ["Mijn klantnummer is 123"]
    assert message["edited_at"] is not None
    assert message["deleted_at"] is not None


def test_edit_of_unknown_message_is_404(api: TestClient, cast: Cast) -> None:
    response = api.patch(
        f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages/nope", json={"text": "x"}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"sent_at": "2026-11-23T10:00:00"}, "time zone"),
        ({"text": "   "}, "needs text"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 300}, "external_id"),
        ({"author": {"handle": "zonder-id"}}, "author.id"),
        ({"rating": 9}, "rating"),
        ({"surprise": True}, "surprise"),
        ({"attachments": [{"kind": "image", "url": "javascript:alert(1)"}]}, "url"),
        ({"kind": "fax"}, "kind"),
    ],
)
def test_malformed_input_is_refused_clearly_and_stores_nothing(
    api: TestClient, cast: Cast, runtime: Runtime, change: dict[str, Any], fragment: str
) -> None:
    body = payload("bad-1")
    body.update(change)
    response = _post(api, cast, body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["error"] == "invalid"
    assert fragment in problem["detail"]
    assert _count(runtime, Message) == 0
    assert _count(runtime, Contact) == 0
    assert _count(runtime, Conversation) == 0


def test_broken_json_is_a_clear_4xx(api: TestClient, cast: Cast) -> None:
    response = api.post(
        f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages",
        content=b'{"external_id": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"


def test_platform_accounts_do_not_take_generic_api_messages(api: TestClient, cast: Cast) -> None:
    response = api.post(
        f"/api/v1/channel-accounts/{cast.accounts['x'].id}/messages", json=payload("x-1")
    )
    assert response.status_code == 409
    assert "webhook" in response.json()["detail"]
