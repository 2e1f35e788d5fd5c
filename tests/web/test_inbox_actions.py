"""What an agent does in the inbox: reply, note, assign, label, snooze, resolve, bulk, views."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.web.conftest import OpenAs
from tests.web.ui import htmx, ingest
from webcare.conversation.models import Conversation, Message
from webcare.demo.cast import Cast
from webcare.notification.models import Notification
from webcare.runtime import Runtime


def _replies(runtime: Runtime, conversation_id: int) -> list[Message]:
    with runtime.session_factory() as session:
        stmt = sa.select(Message).where(
            Message.conversation_id == conversation_id, Message.direction == "outbound"
        )
        return list(session.scalars(stmt.order_by(Message.id)))


def _conversation(runtime: Runtime, conversation_id: int) -> Conversation:
    with runtime.session_factory() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def _form(client: TestClient, conversation_id: int) -> dict[str, str]:
    """The hidden fields of the reply form as rendered (idempotency key, seen_up_to)."""
    page = client.get(f"/inbox/c/{conversation_id}").text
    return dict(re.findall(r'name="(idempotency_key|seen_up_to)" value="([^"]*)"', page))


def test_reply_is_signed_queued_and_shown_pending(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Wanneer komt de monteur?")
    client, csrf = agent("anna")
    form = _form(client, conversation)

    response = client.post(
        f"/inbox/c/{conversation}/reply",
        data={**form, "text": "Morgen tussen 8 en 12 uur!"},
        headers=htmx(csrf, "conversation"),
    )

    assert response.status_code == 200
    assert "Sending…" in response.text
    assert "webcare:sent" in response.headers["HX-Trigger"]
    (reply,) = _replies(runtime, conversation)
    assert reply.text == "Morgen tussen 8 en 12 uur! ^AV"
    assert reply.delivery_status == "pending"
    assert _conversation(runtime, conversation).waiting_since is None


def test_double_submit_of_one_composer_sends_one_reply(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo?")
    client, csrf = agent("anna")
    form = {**_form(client, conversation), "text": "Goedemiddag, waarmee kan ik helpen?"}

    first = client.post(f"/inbox/c/{conversation}/reply", data=form, headers=htmx(csrf))
    second = client.post(f"/inbox/c/{conversation}/reply", data=form, headers=htmx(csrf))

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(_replies(runtime, conversation)) == 1


def test_colleague_replied_meanwhile_asks_for_confirmation(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Is er een storing in Zwolle?")
    anna, anna_csrf = agent("anna")
    lars, lars_csrf = agent("lars")
    anna_form = _form(anna, conversation)
    lars_form = _form(lars, conversation)
    lars.post(
        f"/inbox/c/{conversation}/reply",
        data={**lars_form, "text": "Ja, we werken eraan."},
        headers=htmx(lars_csrf),
    )

    blocked = anna.post(
        f"/inbox/c/{conversation}/reply",
        data={**anna_form, "text": "Nee hoor, alles werkt."},
        headers=htmx(anna_csrf),
    )

    assert blocked.status_code == 409
    assert blocked.headers["HX-Retarget"] == f"#collision-{conversation}"
    assert "Lars Bakker" in blocked.text
    assert "Ja, we werken eraan." in blocked.text
    assert [r.text for r in _replies(runtime, conversation)] == ["Ja, we werken eraan. ^LB"]
    newest = re.search(r'name="confirm_seen" value="(\d+)"', blocked.text)
    assert newest
    confirmed = anna.post(
        f"/inbox/c/{conversation}/reply",
        data={**anna_form, "text": "Aanvulling: in Zwolle-Zuid.", "confirm_seen": newest.group(1)},
        headers=htmx(anna_csrf),
    )
    assert confirmed.status_code == 200
    assert len(_replies(runtime, conversation)) == 2


def test_reply_over_the_platform_limit_is_refused_before_sending(
    agent: OpenAs, cast: Cast, runtime: Runtime, api: TestClient
) -> None:
    conversation = ingest(api, cast, "m1", "Hoi")
    account_settings = {"signature_template": "{text} {signature}"}
    with runtime.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE channel_accounts SET platform='x', settings=:s WHERE id=:id"),
            {"s": __import__("json").dumps(account_settings), "id": cast.accounts["api"].id},
        )
    client, csrf = agent("anna")

    response = client.post(
        f"/inbox/c/{conversation}/reply",
        data={**_form(client, conversation), "text": "x" * 278, "visibility": "public"},
        headers=htmx(csrf),
    )

    assert response.status_code == 422
    assert "X allows at most 280 characters in this reply; it has 282" in response.text
    assert response.headers["HX-Retarget"] == "#toasts"
    assert _replies(runtime, conversation) == []


def test_failed_reply_shows_the_reason_and_can_be_retried(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    client, csrf = agent("anna")
    client.post(
        f"/inbox/c/{conversation}/reply",
        data={**_form(client, conversation), "text": "Dag!"},
        headers=htmx(csrf),
    )
    drain_jobs(runtime)  # the demo API account has no reply URL: delivery fails for good

    page = client.get(f"/inbox/c/{conversation}").text
    (reply,) = _replies(runtime, conversation)
    assert reply.delivery_status == "failed"
    assert "Not sent:" in page
    retried = client.post(
        f"/inbox/c/{conversation}/messages/{reply.id}/retry", headers=htmx(csrf, "conversation")
    )
    assert retried.status_code == 200
    assert _replies(runtime, conversation)[0].delivery_status == "pending"


def test_note_with_mention_notifies_the_colleague(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Mijn factuur is te hoog")
    anna, csrf = agent("anna")

    response = anna.post(
        f"/inbox/c/{conversation}/note",
        data={"text": "@lars kun jij hiernaar kijken?"},
        headers=htmx(csrf, "conversation"),
    )

    assert response.status_code == 200
    assert "Notified: Lars Bakker" in response.text
    lars, _ = agent("lars")
    notifications = lars.get("/notifications").text
    assert "Anna de Vries mentioned you in a note" in notifications
    lars.get(f"/inbox/c/{conversation}")
    with runtime.session_factory() as session:
        (row,) = session.scalars(sa.select(Notification)).all()
        assert row.user_id == cast.users["lars"]
        assert row.read_at is not None


def test_assign_label_priority_snooze_and_resolve(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Mijn tv-ontvanger doet raar")
    client, csrf = agent("lars")
    url = f"/inbox/c/{conversation}"

    steps = [
        client.post(
            f"{url}/assign",
            data={"assignee": str(cast.users["anna"]), "team": str(cast.teams["Webcare"])},
            headers=htmx(csrf),
        ),
        client.post(f"{url}/labels", data={"label": "tv"}, headers=htmx(csrf)),
        client.post(f"{url}/priority", data={"priority": "high"}, headers=htmx(csrf)),
        client.post(f"{url}/status", data={"snooze": "tomorrow"}, headers=htmx(csrf)),
    ]

    assert [s.status_code for s in steps] == [200, 200, 200, 200]
    found = _conversation(runtime, conversation)
    assert (found.assignee_id, found.team_id, found.priority, found.status) == (
        cast.users["anna"],
        cast.teams["Webcare"],
        "high",
        "snoozed",
    )
    assert found.snoozed_until is not None
    page = client.get(url).text
    assert "snoozed the conversation" in page
    assert "assigned the conversation" in page
    until_reply = client.post(f"{url}/status", data={"snooze": "reply"}, headers=htmx(csrf))
    assert until_reply.status_code == 200
    assert "until the customer replies" in until_reply.text
    resolved = client.post(f"{url}/status", data={"status": "resolved"}, headers=htmx(csrf))
    assert resolved.status_code == 200
    assert _conversation(runtime, conversation).status == "resolved"
    anna, _ = agent("anna")
    assert "Lars Bakker assigned a conversation to you" in anna.get("/notifications").text


def test_plain_form_posts_work_without_javascript(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    client, csrf = agent("anna")

    response = client.post(
        f"/inbox/c/{conversation}/status",
        data={"status": "pending", "csrf_token": csrf},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/inbox/c/{conversation}"
    assert _conversation(runtime, conversation).status == "pending"


def test_actions_need_csrf_and_write_rights(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    client, _ = agent("anna")

    no_csrf = client.post(f"/inbox/c/{conversation}/status", data={"status": "resolved"})

    assert no_csrf.status_code == 403
    assert "CSRF" in no_csrf.text
    assert _conversation(runtime, conversation).status == "open"


def test_bad_input_is_a_toast_and_changes_nothing(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    conversation = ingest(api, cast, "m1", "Hallo")
    client, csrf = agent("anna")
    url = f"/inbox/c/{conversation}"

    responses = [
        client.post(f"{url}/status", data={"status": "gone"}, headers=htmx(csrf)),
        client.post(
            f"{url}/status",
            data={"snooze": "custom", "snooze_until": "gisteren"},
            headers=htmx(csrf),
        ),
        client.post(f"{url}/labels", data={"label": "bestaat-niet"}, headers=htmx(csrf)),
        client.post(f"{url}/assign", data={"assignee": "99999"}, headers=htmx(csrf)),
        client.post(f"{url}/reply", data={"text": "   "}, headers=htmx(csrf)),
        client.post("/inbox/c/999999/note", data={"text": "x"}, headers=htmx(csrf)),
    ]

    assert [r.status_code for r in responses] == [422, 422, 404, 422, 422, 404]
    assert all(r.headers["HX-Retarget"] == "#toasts" for r in responses)
    assert 'role="alert"' in responses[0].text
    found = _conversation(runtime, conversation)
    assert (found.status, found.assignee_id) == ("open", None)


def test_bulk_resolve_is_all_or_nothing(
    agent: OpenAs, api: TestClient, cast: Cast, runtime: Runtime, other_cast: Cast
) -> None:
    ours = [ingest(api, cast, f"m{i}", f"Vraag {i}", author=f"k{i}") for i in range(3)]
    client, csrf = agent("anna")

    done = client.post(
        "/inbox/bulk",
        data={"ids": [str(i) for i in ours[:2]], "action": "resolve"},
        headers=htmx(csrf),
    )
    failed = client.post(
        "/inbox/bulk",
        data={"ids": [str(ours[2]), "999999"], "action": "resolve"},
        headers=htmx(csrf),
    )

    assert done.status_code == 204
    assert failed.status_code == 404
    assert [_conversation(runtime, i).status for i in ours] == ["resolved", "resolved", "open"]


def test_saved_view_is_personal(agent: OpenAs, api: TestClient, cast: Cast) -> None:
    mine = ingest(api, cast, "m1", "Storing! #storing", author="a")
    ingest(api, cast, "m2", "Factuur", author="b")
    anna, csrf = agent("anna")

    saved = anna.post(
        "/inbox/views",
        data={
            "name": "Storingen",
            "query": "view=open&q=%23storing&cursor=abc",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    target = saved.headers["location"]
    page = anna.get(target).text
    duplicate = anna.post(
        "/inbox/views", data={"name": "storingen", "query": "view=open", "csrf_token": csrf}
    )
    lars, _ = agent("lars")

    assert target.startswith("/inbox?view=saved:")
    assert re.findall(r'data-id="(\d+)"', page) == [str(mine)]
    assert "Storingen" in page
    assert duplicate.status_code == 409
    assert lars.get(target).status_code == 404


def test_bulk_with_an_id_too_large_for_the_database_is_a_readable_422(
    agent: OpenAs, runtime: Runtime
) -> None:
    client, csrf = agent("anna")

    response = client.post(
        "/inbox/bulk", data={"ids": ["9" * 30], "action": "resolve"}, headers=htmx(csrf)
    )

    assert response.status_code == 422
    assert "conversation must be a number" in response.text
