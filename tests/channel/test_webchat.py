"""The web chat widget's public API: a visitor chats, the inbox answers, nothing leaks.

Every request here is what the widget script sends from a shop's page; the agent side goes
through the real reply API and the send job (``drain_jobs``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs, token_for
from webcare.channel.models import ChannelAccount
from webcare.channel.webchat import live
from webcare.channel.webchat import service as webchat
from webcare.contact.models import Contact
from webcare.conversation.events import MessageReceived
from webcare.conversation.models import Conversation, Message, Note
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.presence import service as presence
from webcare.runtime import Runtime

SHOP = "https://shop.glasnet.nl"


# Helpers ----------------------------------------------------------------------------------


def configure(runtime: Runtime, cast: Cast, **settings: Any) -> str:
    """Set the demo widget's settings; returns its public key."""
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, cast.accounts["webchat"].id)
        assert account is not None
        account.settings = {**account.settings, **settings}
        return account.webhook_token


class Visitor:
    """One browser on the shop's site: a widget key, a token, and the shop's Origin."""

    def __init__(self, client: TestClient, key: str, origin: str | None = SHOP) -> None:
        self.client = client
        self.key = key
        self.origin = origin
        self.token: str | None = None
        self._ids = iter(range(1, 10_000))

    def headers(self) -> dict[str, str]:
        headers = {"Origin": self.origin} if self.origin else {}
        if self.token:
            headers["X-Visitor-Token"] = self.token
        return headers

    def start(self) -> Visitor:
        body = {"visitor_token": self.token} if self.token else {}
        response = self.client.post(
            f"/widget/{self.key}/session", json=body, headers=self.headers()
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["visitor_token"]
        return self

    def say(self, text: str, client_id: str | None = None) -> Any:
        client_id = client_id or f"msg-{next(self._ids):06d}"
        return self.client.post(
            f"/widget/{self.key}/messages",
            json={"client_id": client_id, "text": text},
            headers=self.headers(),
        )

    def messages(self, after: int = 0) -> Any:
        return self.client.get(f"/widget/{self.key}/messages?after={after}", headers=self.headers())


@pytest.fixture
def key(runtime: Runtime, cast: Cast) -> str:
    return configure(runtime, cast, allowed_origins=[SHOP])


@pytest.fixture
def visitor(app_client: TestClient, key: str) -> Visitor:
    return Visitor(app_client, key).start()


def agent_client(app_client: TestClient, runtime: Runtime, cast: Cast) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(runtime, cast, user='anna')}"}


def count(runtime: Runtime, model: type[Any]) -> int:
    with runtime.session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# Sessions ---------------------------------------------------------------------------------


def test_a_new_visitor_gets_a_token_and_a_returning_one_keeps_it(
    app_client: TestClient, key: str
) -> None:
    first = app_client.post(f"/widget/{key}/session", json={}).json()
    again = app_client.post(
        f"/widget/{key}/session", json={"visitor_token": first["visitor_token"]}
    ).json()
    assert first["resumed"] is False
    assert again == {"visitor_token": first["visitor_token"], "resumed": True}


def test_a_forged_or_missing_visitor_token_is_refused(
    app_client: TestClient, key: str, visitor: Visitor
) -> None:
    assert visitor.token is not None
    visitor_id, signature = visitor.token.split(".")
    forged = f"{visitor_id}.{'0' * 64}"
    someone_else = f"v_{'A' * 22}.{signature}"
    for token in (forged, someone_else, "nonsense"):
        refused = app_client.post(f"/widget/{key}/session", json={"visitor_token": token})
        assert refused.status_code == 401
        assert refused.json()["error"] == "bad_visitor_token"
        posted = app_client.post(
            f"/widget/{key}/messages",
            json={"client_id": "abcdefgh", "text": "hoi"},
            headers={"X-Visitor-Token": token},
        )
        assert posted.status_code == 401
    assert app_client.get(f"/widget/{key}/messages").status_code == 401


def test_an_unknown_widget_key_or_another_platforms_token_is_not_found(
    app_client: TestClient, cast: Cast
) -> None:
    assert app_client.post("/widget/no-such-widget/session", json={}).status_code == 404
    x_token = cast.accounts["x"].webhook_token
    assert app_client.get(f"/widget/{x_token}/config").status_code == 404


# Messages ---------------------------------------------------------------------------------


def test_a_visitors_message_lands_in_the_inbox_as_a_private_chat(
    visitor: Visitor, runtime: Runtime, cast: Cast
) -> None:
    posted = visitor.say("Mijn bestelling is niet aangekomen")
    assert posted.status_code == 201, posted.text
    with runtime.session_factory() as session:
        conversation = session.get(Conversation, posted.json()["conversation_id"])
        message = session.get(Message, posted.json()["message_id"])
        assert conversation is not None
        assert message is not None
        assert conversation.kind == "chat"
        assert conversation.status == "open"
        assert conversation.channel_account_id == cast.accounts["webchat"].id
        assert (message.visibility, message.direction) == ("private", "inbound")
        assert message.text == "Mijn bestelling is niet aangekomen"


def test_a_retried_post_with_the_same_client_id_is_stored_once(
    visitor: Visitor, runtime: Runtime
) -> None:
    first = visitor.say("Hallo?", client_id="retry-me-1")
    again = visitor.say("Hallo?", client_id="retry-me-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    assert count(runtime, Message) == 1


def test_two_visitors_with_the_same_client_id_get_their_own_messages(
    app_client: TestClient, key: str, runtime: Runtime
) -> None:
    anna = Visitor(app_client, key).start()
    bram = Visitor(app_client, key).start()
    a = anna.say("Vraag van Anna", client_id="same-id-1").json()
    b = bram.say("Vraag van Bram", client_id="same-id-1").json()
    assert (a["duplicate"], b["duplicate"]) == (False, False)
    assert a["conversation_id"] != b["conversation_id"]
    assert [m["text"] for m in bram.messages().json()["messages"]] == ["Vraag van Bram"]


def test_a_returning_visitor_continues_the_same_conversation(
    app_client: TestClient, key: str
) -> None:
    visitor = Visitor(app_client, key).start()
    first = visitor.say("Eerste vraag").json()
    later = Visitor(app_client, key)
    later.token = visitor.token  # the widget's localStorage on the next page view
    second = later.start().say("Nog een vraag", client_id="next-page-1").json()
    assert second["conversation_id"] == first["conversation_id"]
    texts = [m["text"] for m in later.messages().json()["messages"]]
    assert texts == ["Eerste vraag", "Nog een vraag"]


def test_the_agents_reply_appears_for_the_visitor_once_it_is_sent(
    app_client: TestClient, visitor: Visitor, runtime: Runtime, cast: Cast
) -> None:
    posted = visitor.say("Wanneer komt de monteur?").json()
    last = visitor.messages().json()["messages"][-1]
    assert (last["client_id"], last["author"]) == ("msg-000001", "visitor")

    reply = app_client.post(
        f"/api/v1/conversations/{posted['conversation_id']}/replies",
        json={"text": "Morgen tussen 8 en 12 uur."},
        headers=agent_client(app_client, runtime, cast),
    )
    assert reply.status_code == 201, reply.text
    assert visitor.messages(after=last["id"]).json()["messages"] == []  # still pending

    drain_jobs(runtime)

    new = visitor.messages(after=last["id"]).json()["messages"]
    assert [(m["author"], m["text"], m["agent_name"]) for m in new] == [
        ("agent", "Morgen tussen 8 en 12 uur.", "Anna")
    ]
    with runtime.session_factory() as session:
        sent = session.get(Message, new[0]["id"])
        assert sent is not None
        assert sent.delivery_status == "sent"
        assert (sent.external_id or "").startswith("webchat-")


def test_notes_never_reach_the_visitor(
    app_client: TestClient, visitor: Visitor, runtime: Runtime, cast: Cast
) -> None:
    posted = visitor.say("Is er een storing?").json()
    app_client.post(
        f"/api/v1/conversations/{posted['conversation_id']}/notes",
        json={"text": "Klant is boos, voorzichtig"},
        headers=agent_client(app_client, runtime, cast),
    )
    texts = [m["text"] for m in visitor.messages().json()["messages"]]
    assert texts == ["Is er een storing?"]


def test_another_workspaces_widget_never_shows_or_accepts_this_visitor(
    app_client: TestClient, runtime: Runtime, cast: Cast, other_cast: Cast, visitor: Visitor
) -> None:
    visitor.say("Geheime vraag van een Glasnet-klant")
    other_key = other_cast.accounts["webchat"].webhook_token
    stranger = Visitor(app_client, other_key, origin=None)
    stranger.token = visitor.token  # a Glasnet visitor's token on Spoorweg's widget
    assert stranger.messages().status_code == 401
    assert stranger.say("hoi").status_code == 401
    own = Visitor(app_client, other_key, origin=None).start()
    assert own.messages().json() == {"messages": [], "conversation_ids": []}


def test_too_long_or_empty_text_is_refused_and_nothing_is_stored(
    visitor: Visitor, runtime: Runtime
) -> None:
    too_long = visitor.say("x" * (webchat.MAX_TEXT_LENGTH + 1))
    assert too_long.status_code == 422
    assert "2000" in too_long.json()["detail"]
    assert visitor.say("   ").status_code == 422
    assert visitor.say("ok", client_id="bad id!").status_code == 422
    assert count(runtime, Message) == 0


def test_an_oversized_body_is_refused(visitor: Visitor) -> None:
    response = visitor.client.post(
        f"/widget/{visitor.key}/messages",
        content=b'{"client_id": "abcdefgh", "text": "' + b"x" * 70_000 + b'"}',
        headers={**visitor.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    chunked = visitor.client.post(  # no Content-Length: counted while read
        f"/widget/{visitor.key}/messages",
        content=iter([b'{"client_id": "abcdefgh", "text": "', b"x" * 70_000, b'"}']),
        headers={**visitor.headers(), "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413


def test_hostile_text_is_kept_as_text(visitor: Visitor) -> None:
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    visitor.say(hostile)
    assert visitor.messages().json()["messages"][0]["text"] == hostile


# Rate limits ------------------------------------------------------------------------------


@pytest.fixture
def frozen_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """All posts in one rate window, however slow the machine (no timing in tests)."""
    moment = datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)
    monkeypatch.setattr(webchat, "utc_now", lambda: moment)
    monkeypatch.setattr(webchat, "VISITOR_POSTS_PER_WINDOW", 3)


@pytest.mark.usefixtures("frozen_window")
def test_a_visitor_posting_too_fast_gets_429_with_retry_after(
    visitor: Visitor, app_client: TestClient, key: str, runtime: Runtime
) -> None:
    assert [visitor.say(f"bericht {i}").status_code for i in range(3)] == [201, 201, 201]
    refused = visitor.say("nog een")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP  # the widget can read it
    assert refused.json()["error"] == "rate_limited"
    assert count(runtime, Message) == 3
    # Another visitor on the same widget is not held back by this one.
    assert Visitor(app_client, key).start().say("hallo").status_code == 201


@pytest.mark.usefixtures("frozen_window")
def test_a_widget_flooded_by_many_visitors_gets_429(
    app_client: TestClient, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webchat, "WIDGET_POSTS_PER_WINDOW", 2)
    codes = [Visitor(app_client, key).start().say("spam").status_code for _ in range(3)]
    assert codes == [201, 201, 429]


# CORS -------------------------------------------------------------------------------------


def test_cors_is_answered_only_for_allowed_origins(app_client: TestClient, key: str) -> None:
    allowed = app_client.get(f"/widget/{key}/config", headers={"Origin": SHOP})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP

    preflight = app_client.options(
        f"/widget/{key}/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-visitor-token",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SHOP
    assert "X-Visitor-Token" in preflight.headers["Access-Control-Allow-Headers"]

    for origin in ("https://evil.example", "https://shop.glasnet.nl.evil.example", "null"):
        refused = app_client.post(f"/widget/{key}/session", json={}, headers={"Origin": origin})
        assert refused.status_code == 403
        assert "Access-Control-Allow-Origin" not in refused.headers
        blocked = app_client.options(
            f"/widget/{key}/session",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert "Access-Control-Allow-Origin" not in blocked.headers

    # Webcare's own pages (the demo shop) and non-browser clients need no configuration.
    assert app_client.get(
        f"/widget/{key}/config", headers={"Origin": "http://testserver"}
    ).is_success
    assert app_client.get(f"/widget/{key}/config").is_success


# Availability and e-mail capture ----------------------------------------------------------


def test_the_widget_is_offline_until_an_agent_is_active(
    app_client: TestClient, key: str, visitor: Visitor, runtime: Runtime, cast: Cast
) -> None:
    config = app_client.get(f"/widget/{key}/config?lang=en-GB").json()
    assert config["online"] is False
    assert config["language"] == "en"
    assert config["name"] == "Chat op glasnet.nl"
    assert "e-mail" in config["offline_message"]

    conversation_id = visitor.say("Iemand daar?").json()["conversation_id"]
    with unit_of_work(runtime.session_factory) as session:
        presence.touch(session, cast.actor("anna"), conversation_id, "viewing")
    assert app_client.get(f"/widget/{key}/config").json()["online"] is True

    configure(runtime, cast, availability="offline", greeting={"nl": "Welkom bij Glasnet!"})
    config = app_client.get(f"/widget/{key}/config?lang=nl").json()
    assert (config["online"], config["greeting"]) == (False, "Welkom bij Glasnet!")


def test_an_offline_visitor_leaves_an_email_address_for_a_later_answer(
    app_client: TestClient, visitor: Visitor, runtime: Runtime
) -> None:
    left = app_client.post(
        f"/widget/{visitor.key}/email",
        json={
            "email": "sophie@example.nl",
            "text": "Kan ik mijn abonnement pauzeren?",
            "client_id": "offline-01",
        },
        headers=visitor.headers(),
    )
    assert left.status_code == 200, left.text
    conversation_id = left.json()["conversation_id"]
    with runtime.session_factory() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
        assert contact is not None
        assert contact.attributes["email"] == "sophie@example.nl"
        notes = session.scalars(sa.select(Note.text).where(Note.conversation_id == conversation_id))
        assert any("sophie@example.nl" in note for note in notes)
    texts = [m["text"] for m in visitor.messages().json()["messages"]]
    assert texts == ["Kan ik mijn abonnement pauzeren?"]


def test_a_bad_email_address_is_refused_and_nothing_is_stored(
    app_client: TestClient, visitor: Visitor, runtime: Runtime
) -> None:
    for email in ("sophie", "sophie@", "<script>@x.nl", "a b@example.nl", "x" * 300 + "@a.nl"):
        refused = app_client.post(
            f"/widget/{visitor.key}/email",
            json={"email": email, "text": "Bel me", "client_id": "offline-02"},
            headers=visitor.headers(),
        )
        assert refused.status_code == 422, email
    no_question = app_client.post(
        f"/widget/{visitor.key}/email",
        json={"email": "sophie@example.nl"},
        headers=visitor.headers(),
    )
    assert no_question.status_code == 422
    assert (count(runtime, Message), count(runtime, Note), count(runtime, Contact)) == (0, 0, 0)


# Live delivery ----------------------------------------------------------------------------


def test_the_stream_catches_up_after_the_last_seen_id(
    app_client: TestClient, visitor: Visitor
) -> None:
    first = visitor.say("een").json()["message_id"]
    visitor.say("twee")
    url = f"/widget/{visitor.key}/stream?token={visitor.token}"
    with app_client.stream("GET", url, headers={"Last-Event-ID": str(first)}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = _frames_until_message(response.iter_lines())
    assert frames[0][0] == "hello"
    assert [(name, data["text"]) for name, data in frames[1:]] == [("message", "twee")]


def _frames_until_message(lines: Iterator[str]) -> list[tuple[str, dict[str, Any]]]:
    import json

    frames: list[tuple[str, dict[str, Any]]] = []
    name = ""
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            frames.append((name, json.loads(line.removeprefix("data: "))))
            if name == "message":
                return frames
    return frames


def test_an_event_about_the_visitors_conversation_wakes_the_stream_and_others_do_not() -> None:
    """The hub with a fake reader: only the visitor's own conversations cause a read."""

    async def scenario() -> list[str]:
        hub = live.WidgetHub()
        reads: list[int] = []
        backlog: list[list[dict[str, Any]]] = [[], [{"id": 7, "text": "antwoord"}]]

        async def load(after: int) -> tuple[list[dict[str, Any]], list[int]]:
            reads.append(after)
            return (backlog.pop(0) if backlog else []), [42]

        async def connected() -> bool:
            return False

        opened = hub.open(workspace_id=1, conversation_ids=set())
        frames = live.stream(hub, opened, load, 0, connected, page_size=200, keepalive=5)
        out = [await anext(frames), await anext(frames)]  # retry, hello (first read)
        pending = asyncio.ensure_future(anext(frames))
        await asyncio.sleep(0)
        for other in (
            MessageReceived(workspace_id=2, actor_user_id=None, conversation_id=42, message_id=1),
            MessageReceived(workspace_id=1, actor_user_id=None, conversation_id=99, message_id=1),
        ):
            hub.deliver(other)
        await asyncio.sleep(0.01)
        assert reads == [0]  # neither another workspace nor another conversation woke it
        hub.deliver(
            MessageReceived(workspace_id=1, actor_user_id=None, conversation_id=42, message_id=7)
        )
        out.append(await asyncio.wait_for(pending, timeout=5))
        await frames.aclose()
        assert reads == [0, 0]
        return out

    # Its own thread and loop: a browser test's Playwright may own this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        frames = pool.submit(asyncio.run, scenario()).result()
    assert frames[1].startswith("event: hello")
    assert frames[2].startswith("id: 7\nevent: message")


# Upkeep and the demo page -----------------------------------------------------------------


@pytest.mark.usefixtures("frozen_window")
def test_ended_rate_windows_are_forgotten(visitor: Visitor, runtime: Runtime) -> None:
    visitor.say("hallo")
    with unit_of_work(runtime.session_factory) as session:
        assert webchat.forget_rate_windows(session, datetime(2026, 11, 23, 12, 0, tzinfo=UTC)) == 0
        assert webchat.forget_rate_windows(session, datetime(2026, 11, 23, 12, 2, tzinfo=UTC)) == 2
    assert visitor.say("weer hallo").status_code == 201


def test_the_demo_shop_page_embeds_the_demo_widget(app_client: TestClient, cast: Cast) -> None:
    page = app_client.get("/widget-demo")
    assert page.status_code == 200
    assert "Glasnet webshop" in page.text
    key = cast.accounts["webchat"].webhook_token
    assert f'src="/static/widget.js" data-widget-key="{key}"' in page.text
    assert app_client.get("/static/widget.js").status_code == 200


def test_without_the_demo_workspace_there_is_no_demo_page(app_client: TestClient) -> None:
    assert app_client.get("/widget-demo").status_code == 404
