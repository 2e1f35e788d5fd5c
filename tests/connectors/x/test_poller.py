"""X mentions polling, recent search, likes/hiding and the connection check.

Request shapes are checked against ``httpx.MockTransport`` answering with the assembled
payloads in ``fixtures/`` (see SOURCE.md); behaviour end to end runs against the X simulator,
the last tests through the real poll and send jobs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.connectors.x.helpers import load
from tests.live import live_simulator
from webcare.channel import polling
from webcare.channel.models import ChannelAccount, Health
from webcare.channel.ports import (
    Action,
    AuthFailed,
    ChannelContext,
    ConversationKind,
    InboundMessage,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    RateLimited,
)
from webcare.connectors.x.client import XActor, XChecker, XSender
from webcare.connectors.x.polling import MAX_PAGES, XMentionsPoller, recent_search
from webcare.conversation.models import Message
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.simulator.app import create_simulator_app
from webcare.simulator.platforms import x as sim_x
from webcare.simulator.state import Fault, SimState

NOW = 1_795_342_000.0
OWN_ID = "1234567890"
CHANNEL = ChannelContext(
    channel_account_id=7,
    handle="VoorbeeldShop",
    settings={"user_id": OWN_ID},
    credentials={"access_token": "user-token"},
)
PIETER = {"id": "9876543210", "username": "pieterk", "name": "Pieter K.", "followers_count": 120}


class FakeX:
    """Answers each request with the next queued payload and records the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[Callable[[httpx.Request], httpx.Response]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            return self.answers.pop(0)(request)
        return httpx.Response(200, json={"meta": {"result_count": 0}})

    def params(self, index: int = -1) -> dict[str, str]:
        return dict(self.requests[index].url.params)

    def queue(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.answers.append(lambda request: httpx.Response(status, json=body, headers=headers))


@pytest.fixture
def fake_x() -> FakeX:
    return FakeX()


@pytest.fixture
def client(fake_x: FakeX) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(fake_x)) as http:
        yield http


def _page(next_token: str | None = None, ids: tuple[int, int] = (11, 10)) -> dict[str, Any]:
    """The recorded mentions page, renumbered, with or without a ``next_token``."""
    page = load("v2_users_mentions")
    for post, number in zip(page["data"], ids, strict=True):
        post["id"] = str(1992200000000000000 + number)
    page["meta"]["newest_id"] = page["data"][0]["id"]
    page["meta"]["oldest_id"] = page["data"][-1]["id"]
    if next_token:
        page["meta"]["next_token"] = next_token
    return page


# --- mentions -------------------------------------------------------------------------------


def test_mentions_are_requested_with_the_fields_normalisation_needs(
    client: httpx.Client, fake_x: FakeX
) -> None:
    fake_x.queue(200, _page())

    XMentionsPoller(client).poll(CHANNEL, {"since_id": "1992200000000000005"})

    request = fake_x.requests[0]
    assert request.url.path == f"/2/users/{OWN_ID}/mentions"
    assert request.headers["Authorization"] == "Bearer user-token"
    assert fake_x.params() == {
        "since_id": "1992200000000000005",
        "max_results": "100",
        "tweet.fields": "created_at,author_id,conversation_id,in_reply_to_user_id,"
        "referenced_tweets,public_metrics",
        "expansions": "author_id,referenced_tweets.id",
        "user.fields": "username,name,public_metrics,verified",
    }


def test_replies_and_quote_posts_become_public_messages_oldest_first(
    client: httpx.Client, fake_x: FakeX
) -> None:
    fake_x.queue(200, load("v2_users_mentions"))

    result = XMentionsPoller(client).poll(CHANNEL, {})

    quote, reply = result.events
    assert isinstance(quote, InboundMessage)
    assert isinstance(reply, InboundMessage)
    assert [quote.external_id, reply.external_id] == ["1992200000000000010", "1992200000000000011"]
    assert reply.reply_to_external_id == "1992200000000000002"
    assert "[quote] https://x.com/i/web/status/1992200000000000050" in quote.text
    assert quote.kind is ConversationKind.PUBLIC_THREAD
    assert quote.visibility is MessageVisibility.PUBLIC
    assert quote.author.follower_count == 48000
    assert result.cursor == {"since_id": "1992200000000000011"}


def test_first_poll_reads_one_page_so_connecting_does_not_flood_the_inbox(
    client: httpx.Client, fake_x: FakeX
) -> None:
    fake_x.queue(200, _page(next_token="older"))

    result = XMentionsPoller(client).poll(CHANNEL, {})

    assert len(fake_x.requests) == 1
    assert "since_id" not in fake_x.params()
    assert len(result.events) == 2


def test_later_polls_follow_next_token_until_caught_up(client: httpx.Client, fake_x: FakeX) -> None:
    fake_x.queue(200, _page(next_token="page-2", ids=(14, 13)))
    fake_x.queue(200, _page(ids=(12, 11)))

    result = XMentionsPoller(client).poll(CHANNEL, {"since_id": "1992200000000000010"})

    assert fake_x.params(1)["pagination_token"] == "page-2"
    assert fake_x.params(1)["since_id"] == "1992200000000000010"
    assert [e.external_id for e in result.events] == [
        f"19922000000000000{n}" for n in (11, 12, 13, 14)
    ]
    assert result.cursor == {"since_id": "1992200000000000014"}  # the newest, from page one


def test_paging_is_bounded(client: httpx.Client, fake_x: FakeX) -> None:
    for number in range(MAX_PAGES + 5):
        fake_x.queue(200, _page(next_token=f"p{number}", ids=(90 - 2 * number, 89 - 2 * number)))

    XMentionsPoller(client).poll(CHANNEL, {"since_id": "1992200000000000001"})

    assert len(fake_x.requests) == MAX_PAGES


def test_nothing_new_keeps_the_cursor(client: httpx.Client, fake_x: FakeX) -> None:
    fake_x.queue(200, {"meta": {"result_count": 0}})

    result = XMentionsPoller(client).poll(CHANNEL, {"since_id": "1992200000000000011"})

    assert result.events == ()
    assert result.cursor == {"since_id": "1992200000000000011"}


def test_own_posts_and_retweets_are_not_customer_messages(
    client: httpx.Client, fake_x: FakeX
) -> None:
    page = load("v2_users_mentions")
    page["data"][0]["author_id"] = OWN_ID
    page["data"][1]["referenced_tweets"] = [{"type": "retweeted", "id": "1992200000000000050"}]
    fake_x.queue(200, page)

    assert XMentionsPoller(client).poll(CHANNEL, {}).events == ()


def test_a_broken_cursor_starts_afresh_instead_of_failing(
    client: httpx.Client, fake_x: FakeX
) -> None:
    XMentionsPoller(client).poll(CHANNEL, {"since_id": "../../2/tweets"})

    assert "since_id" not in fake_x.params()


def test_without_its_own_user_id_the_channel_cannot_poll(
    client: httpx.Client, fake_x: FakeX
) -> None:
    channel = ChannelContext(7, "VoorbeeldShop", {}, {"access_token": "user-token"})

    with pytest.raises(PermanentError, match="own user id"):
        XMentionsPoller(client).poll(channel, {})
    assert fake_x.requests == []


def test_mentions_rate_limit_waits_until_the_reset(client: httpx.Client, fake_x: FakeX) -> None:
    body = {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}
    fake_x.queue(429, body, {"x-rate-limit-reset": str(int(NOW) + 75)})

    with pytest.raises(RateLimited) as caught:
        XMentionsPoller(client, clock=lambda: NOW).poll(CHANNEL, {})

    assert caught.value.retry_after == 75.0


# --- recent search --------------------------------------------------------------------------


def test_recent_search_returns_matches_oldest_first_and_the_next_since_id(
    client: httpx.Client, fake_x: FakeX
) -> None:
    fake_x.queue(200, load("v2_search_recent"))
    fake_x.queue(200, {"meta": {"result_count": 0}})

    messages, since_id = recent_search(client, CHANNEL, "#glasvezel storing", "1992200000000000001")

    assert fake_x.requests[0].url.path == "/2/tweets/search/recent"
    assert fake_x.params(0)["query"] == "#glasvezel storing"
    assert fake_x.params(0)["since_id"] == "1992200000000000001"
    assert fake_x.params(1)["next_token"] == "b26v89c19zqg8o3fpzbkk7xjklq4byqjpw28fe2b1ejnh"
    assert [m.author.handle for m in messages] == ["utrechtnieuws", "sannebakker"]
    assert messages[0].author.verified is True
    assert since_id == "1992200000000000021"


def test_recent_search_without_news_keeps_the_since_id(client: httpx.Client) -> None:
    assert recent_search(client, CHANNEL, "storing", "1992200000000000021") == (
        [],
        "1992200000000000021",
    )


@pytest.mark.parametrize("query", ["", "   ", "x" * 4097])
def test_recent_search_refuses_an_empty_or_overlong_query(
    client: httpx.Client, fake_x: FakeX, query: str
) -> None:
    with pytest.raises(PermanentError, match="search query"):
        recent_search(client, CHANNEL, query, None)
    assert fake_x.requests == []


# --- actions and connection check -----------------------------------------------------------


def test_like_hide_and_unhide_use_xs_endpoints(client: httpx.Client, fake_x: FakeX) -> None:
    fake_x.queue(200, {"data": {"liked": True}})
    fake_x.queue(200, {"data": {"hidden": True}})
    fake_x.queue(200, {"data": {"hidden": False}})
    actor = XActor(client)

    assert actor.supported_actions() == {Action.LIKE, Action.HIDE, Action.UNHIDE}
    actor.perform(CHANNEL, Action.LIKE, "1992200000000000011")
    actor.perform(CHANNEL, Action.HIDE, "1992200000000000011")
    actor.perform(CHANNEL, Action.UNHIDE, "1992200000000000011")

    calls = [(r.method, r.url.path, json.loads(r.content)) for r in fake_x.requests]
    assert calls == [
        ("POST", f"/2/users/{OWN_ID}/likes", {"tweet_id": "1992200000000000011"}),
        ("PUT", "/2/tweets/1992200000000000011/hidden", {"hidden": True}),
        ("PUT", "/2/tweets/1992200000000000011/hidden", {"hidden": False}),
    ]


def test_actions_refuse_a_target_that_is_not_a_post_id(client: httpx.Client, fake_x: FakeX) -> None:
    with pytest.raises(PermanentError, match="not an X post id"):
        XActor(client).perform(CHANNEL, Action.HIDE, "../users/me")
    assert fake_x.requests == []


def test_connection_check_names_the_account(client: httpx.Client, fake_x: FakeX) -> None:
    fake_x.queue(200, load("v2_users_me"))

    assert XChecker(client).check(CHANNEL) == "connected as @VoorbeeldShop"
    assert fake_x.requests[0].url.path == "/2/users/me"


def test_connection_check_notices_a_token_of_another_account(
    client: httpx.Client, fake_x: FakeX
) -> None:
    me = load("v2_users_me")
    me["data"]["id"] = "5555555555"
    fake_x.queue(200, me)

    with pytest.raises(PermanentError, match="not to the account"):
        XChecker(client).check(CHANNEL)


# --- against the simulator ------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[tuple[SimState, TestClient]]:
    state = SimState()
    with TestClient(create_simulator_app(state)) as http:
        yield state, http


def _sim_channel(token: str = sim_x.DEFAULT_TOKEN) -> ChannelContext:
    settings = {"user_id": OWN_ID, "api_base": "http://testserver/x"}
    return ChannelContext(7, "GlasnetHelpt", settings, {"access_token": token})


def test_simulated_mentions_are_polled_page_by_page_without_gaps(
    sim: tuple[SimState, TestClient],
) -> None:
    state, http = sim
    poller = XMentionsPoller(http)
    first = [sim_x.add_mention(state, f"@GlasnetHelpt vraag {n}", PIETER) for n in range(3)]
    result = poller.poll(_sim_channel(), {})
    assert [e.external_id for e in result.events] == [p["id"] for p in first]

    later = [sim_x.add_mention(state, f"@GlasnetHelpt nog een {n}", PIETER) for n in range(150)]
    result = poller.poll(_sim_channel(), result.cursor)

    assert [e.external_id for e in result.events] == [p["id"] for p in later]
    assert result.cursor == {"since_id": later[-1]["id"]}
    assert poller.poll(_sim_channel(), result.cursor).events == ()


def test_simulated_search_matches_words_and_skips_our_own_posts(
    sim: tuple[SimState, TestClient],
) -> None:
    state, http = sim
    sim_x.add_post(state, "Storing in Utrecht?", PIETER)
    sim_x.add_post(state, "Mooi weer vandaag", PIETER)
    sim_x.add_post(state, "We kijken naar de storing", {"id": OWN_ID, "username": "GlasnetHelpt"})

    messages, since_id = recent_search(http, _sim_channel(), "storing", None)

    assert [m.text for m in messages] == ["Storing in Utrecht?"]
    assert since_id is not None
    assert recent_search(http, _sim_channel(), "storing", since_id) == ([], since_id)


def test_simulator_refuses_a_wrong_token_like_x(sim: tuple[SimState, TestClient]) -> None:
    _state, http = sim

    with pytest.raises(AuthFailed, match="HTTP 401"):
        XMentionsPoller(http).poll(_sim_channel("expired"), {})


def test_simulator_rate_limit_carries_the_reset_time(sim: tuple[SimState, TestClient]) -> None:
    state, http = sim
    state.add_fault("x", Fault(429, retry_after=600))

    with pytest.raises(RateLimited) as caught:
        XChecker(http).check(_sim_channel())

    assert 590 <= caught.value.retry_after <= 600


def test_too_long_post_is_refused_for_good_not_taken_for_bad_credentials(
    sim: tuple[SimState, TestClient],
) -> None:
    _state, http = sim
    reply = OutboundReply(
        text="a" * 281,
        visibility=MessageVisibility.PUBLIC,
        idempotency_key="k1",
        conversation_id=1,
        recipient_platform_user_id=PIETER["id"],
        reply_to_external_id="1992200000000000011",
    )
    response = http.post(
        "/x/2/tweets",
        json={"text": reply.text},
        headers={"Authorization": f"Bearer {sim_x.DEFAULT_TOKEN}"},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Your Tweet text is too long."

    with pytest.raises(PermanentError, match="at most 280"):
        XSender(http).send_reply(_sim_channel(), reply)


def test_simulated_actions_are_recorded(sim: tuple[SimState, TestClient]) -> None:
    state, http = sim
    actor = XActor(http)
    actor.perform(_sim_channel(), Action.LIKE, "1992200000000000011")
    actor.perform(_sim_channel(), Action.HIDE, "1992200000000000011")

    assert [(s.kind, s.external_id) for s in state.sent("x")] == [
        ("like", "1992200000000000011"),
        ("hide", "1992200000000000011"),
    ]
    assert XChecker(http).check(_sim_channel()) == "connected as @GlasnetHelpt"


# --- in webcare: webhooks from the simulator, and the poll job end to end --------------------


def test_simulated_account_activity_deliveries_land_in_the_inbox(
    api: TestClient, runtime: Runtime
) -> None:
    secret = "sim-consumer-secret"
    channel = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": "x",
            "handle": "GlasnetHelpt",
            "credentials": {"consumer_secret": secret},
        },
    ).json()
    url = str(channel["webhook_url"]).removeprefix("http://testserver")

    mention = sim_x.deliver_mention(
        api,
        url,
        secret,
        for_user_id=OWN_ID,
        text="@GlasnetHelpt internet ligt eruit",
        author=PIETER,
    )
    dm = sim_x.deliver_dm(
        api, url, secret, for_user_id=OWN_ID, text="Mijn klantnummer is 12345", author=PIETER
    )
    forged = sim_x.deliver_dm(api, url, "wrong", for_user_id=OWN_ID, text="nep", author=PIETER)

    assert mention.status_code == 200
    assert dm.status_code == 200
    assert forged.status_code == 401
    with runtime.session_factory() as session:
        stored = {m.text: m.visibility for m in session.scalars(sa.select(Message))}
    assert stored == {
        "@GlasnetHelpt internet ligt eruit": "public",
        "Mijn klantnummer is 12345": "private",
    }


def _point_at_simulator(runtime: Runtime, account_id: int, url: str) -> None:
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        account.settings = {"user_id": OWN_ID, "api_base": f"{url}/x"}
        credentials = {"access_token": sim_x.DEFAULT_TOKEN}
        account.credentials_encrypted = runtime.secret_box.encrypt(json.dumps(credentials))
        polling.enqueue_poll(session, account)


def _conversation_of(runtime: Runtime, external_id: str) -> int:
    with runtime.session_factory() as session:
        query = sa.select(Message.conversation_id).where(Message.external_id == external_id)
        return int(session.scalars(query).one())


def test_mentions_poll_end_to_end_and_the_reply_goes_back_to_x(
    api: TestClient, runtime: Runtime, cast: Cast
) -> None:
    account_id = cast.accounts["x"].id
    with live_simulator() as (url, state):
        mention = sim_x.add_mention(state, "@GlasnetHelpt al 3 dagen geen internet", PIETER)
        _point_at_simulator(runtime, account_id, url)
        drain_jobs(runtime)

        conversation_id = _conversation_of(runtime, mention["id"])
        reply = api.post(
            f"/api/v1/conversations/{conversation_id}/replies",
            json={"text": "Vervelend! Stuur ons je postcode via DM?"},
        )
        assert reply.status_code == 201
        drain_jobs(runtime)

        (sent,) = state.sent("x")
    assert sent.kind == "post"
    assert sent.in_reply_to == mention["id"]
    assert sent.text is not None
    assert sent.text.startswith("Vervelend!")


def test_expired_token_on_a_poll_flags_the_channel(runtime: Runtime, cast: Cast) -> None:
    account_id = cast.accounts["x"].id
    with live_simulator() as (url, state):
        state.platform_data("x")["access_token"] = "a-newer-token"
        _point_at_simulator(runtime, account_id, url)
        drain_jobs(runtime)

    with runtime.session_factory() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        assert account.health == Health.NEEDS_REAUTH
        assert "HTTP 401" in (account.health_detail or "")
