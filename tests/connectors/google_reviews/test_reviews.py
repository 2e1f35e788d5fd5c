"""Google reviews connector: reviews to messages, the poller's cursor, replies and errors.

Google is a platform we cannot reach from tests: ``httpx.MockTransport`` answers with the
assembled payloads in ``fixtures/`` (see SOURCE.md) and Google's error format, and the
simulator plays the API where the behaviour across several calls matters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    ConversationKind,
    InboundEdit,
    InboundMessage,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    RateLimited,
    TransientError,
)
from webcare.connectors.google_reviews import normalize
from webcare.connectors.google_reviews.client import (
    GoogleChecker,
    GoogleReviewsPoller,
    GoogleReviewsSender,
)
from webcare.kit.errors import Invalid
from webcare.simulator.app import create_simulator_app
from webcare.simulator.platforms import google as sim_google
from webcare.simulator.state import Fault, SimState

FIXTURES = Path(__file__).parent / "fixtures"
LOCATION = "accounts/112233445566778899/locations/9988776655443322110"
OTHER_LOCATION = "accounts/112233445566778899/locations/1111111111111111111"
REVIEW_1 = f"{LOCATION}/reviews/AbFvOqmGm4ExampleReviewId1"
CHANNEL = ChannelContext(
    channel_account_id=9,
    handle="glasnet-winkels",
    settings={"locations": [LOCATION]},
    credentials={"access_token": "ya29.user-token"},
)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


class FakeGoogle:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[Callable[[httpx.Request], httpx.Response]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            return self.answers.pop(0)(request)
        return httpx.Response(200, json={})

    def queue(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.answers.append(lambda request: httpx.Response(status, json=body, headers=headers))

    def error(self, status: int, code: str, message: str, **headers: str) -> None:
        self.queue(status, {"error": {"code": status, "message": message, "status": code}}, headers)


@pytest.fixture
def fake() -> FakeGoogle:
    return FakeGoogle()


@pytest.fixture
def client(fake: FakeGoogle) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(fake)) as http:
        yield http


def _reply(text: str = "Wat vervelend, Marieke. We bellen je vandaag.") -> OutboundReply:
    return OutboundReply(
        text=text,
        visibility=MessageVisibility.PUBLIC,
        idempotency_key="auto_4f1c",
        conversation_id=3,
        recipient_platform_user_id=None,
        reply_to_external_id=REVIEW_1,
    )


# --- normalising ----------------------------------------------------------------------------


def _events() -> list[InboundMessage | InboundEdit]:
    events: list[InboundMessage | InboundEdit] = []
    for review in _load("reviews_list_response")["reviews"]:
        events += normalize.review_events(review, LOCATION)
    return events


def test_a_review_becomes_a_review_message_named_after_the_review() -> None:
    message = _events()[0]

    assert isinstance(message, InboundMessage)
    assert message.external_id == REVIEW_1
    assert message.thread_external_id == REVIEW_1
    assert message.kind is ConversationKind.REVIEW
    assert message.visibility is MessageVisibility.PUBLIC
    assert message.rating == 1
    assert message.text.startswith("Twee keer gebeld")
    assert message.author.name == "Marieke van Dijk"
    assert message.platform_time == datetime(2026, 11, 20, 9, 12, 44, 123456, tzinfo=UTC)


def test_anonymous_reviewers_get_googles_anonymous_name() -> None:
    message = _events()[1]

    assert isinstance(message, InboundMessage)
    assert message.rating == 5
    assert message.author.name == "A Google User"
    assert message.author.platform_user_id == "google:112233445566778899:anonymous"


def test_a_review_changed_after_it_was_written_also_reports_its_current_text() -> None:
    message, edit = _events()[1:3]

    assert isinstance(edit, InboundEdit)
    assert edit.external_id == message.external_id
    assert edit.text == message.text
    assert edit.edited_at == datetime(2026, 11, 19, 8, 0, tzinfo=UTC)


def test_a_rating_only_review_still_lands_as_its_stars() -> None:
    message = _events()[-1]

    assert isinstance(message, InboundMessage)
    assert message.rating == 3
    assert message.text == "★★★☆☆"
    assert len(_events()) == 4  # three reviews, one of them edited


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"name": "reviews/../../accounts"}, "name like"),
        ({"createTime": "gisteren"}, "createTime"),
        ({"createTime": None}, "createTime"),
    ],
)
def test_a_broken_review_is_refused_with_its_field(change: dict[str, Any], error: str) -> None:
    review = {**_load("reviews_list_response")["reviews"][0], **change}

    with pytest.raises(Invalid, match=error):
        normalize.review_events(review, LOCATION)


# --- polling --------------------------------------------------------------------------------


def test_reviews_are_listed_newest_change_first_with_the_token(
    client: httpx.Client, fake: FakeGoogle
) -> None:
    fake.queue(200, _load("reviews_list_response"))

    result = GoogleReviewsPoller(client).poll(CHANNEL, {})

    request = fake.requests[0]
    assert request.url.path == f"/v4/{LOCATION}/reviews"
    assert dict(request.url.params) == {"pageSize": "50", "orderBy": "updateTime desc"}
    assert request.headers["Authorization"] == "Bearer ya29.user-token"
    assert len(fake.requests) == 1  # a first poll reads one page, despite nextPageToken
    times = [
        e.platform_time if isinstance(e, InboundMessage) else e.edited_at for e in result.events
    ]
    assert times == sorted(times)  # oldest change first
    assert result.cursor == {"locations": {LOCATION: "2026-11-20T09:12:44.123456Z"}}


def test_later_polls_page_back_only_to_the_last_change_seen(
    client: httpx.Client, fake: FakeGoogle
) -> None:
    page = _load("reviews_list_response")
    first_page = {**page, "reviews": page["reviews"][:1]}
    second_page = {k: v for k, v in page.items() if k != "nextPageToken"}
    second_page["reviews"] = page["reviews"][1:]
    fake.queue(200, first_page)
    fake.queue(200, second_page)

    result = GoogleReviewsPoller(client).poll(
        CHANNEL, {"locations": {LOCATION: "2026-11-18T00:00:00Z"}}
    )

    assert fake.requests[1].url.params["pageToken"] == "CiAKGDEyMzQ1Njc4OTAxMjM0NTY3ODkwEgQIARAB"
    names = {e.external_id for e in result.events}
    assert names == {REVIEW_1, f"{LOCATION}/reviews/AbFvOqmGm4ExampleReviewId2"}  # not the old one
    assert result.cursor["locations"][LOCATION] == "2026-11-20T09:12:44.123456Z"


def test_nothing_new_keeps_the_cursor(client: httpx.Client, fake: FakeGoogle) -> None:
    fake.queue(200, _load("reviews_list_response"))
    cursor = {"locations": {LOCATION: "2026-11-20T09:12:44.123456Z"}}

    result = GoogleReviewsPoller(client).poll(CHANNEL, cursor)

    assert result.events == ()
    assert result.cursor == cursor
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("locations", "error"),
    [(None, "no locations"), ([], "no locations"), (["locations/1/../../x"], "not a location")],
)
def test_locations_must_be_configured_and_well_formed(
    client: httpx.Client, fake: FakeGoogle, locations: Any, error: str
) -> None:
    channel = ChannelContext(9, "glasnet", {"locations": locations}, CHANNEL.credentials)

    with pytest.raises(PermanentError, match=error):
        GoogleReviewsPoller(client).poll(channel, {})
    assert fake.requests == []


# --- replying -------------------------------------------------------------------------------


def test_reply_puts_the_comment_on_the_review(client: httpx.Client, fake: FakeGoogle) -> None:
    recorded = _load("review_reply_request")
    fake.queue(200, recorded["response"])

    result = GoogleReviewsSender(client).send_reply(CHANNEL, _reply(recorded["body"]["comment"]))

    request = fake.requests[0]
    assert request.method == "PUT"
    assert str(request.url) == recorded["url"]
    assert json.loads(request.content) == recorded["body"]
    assert result.external_id == f"{REVIEW_1}/reply/auto_4f1c"  # unique per sent message


def test_reply_may_be_4096_bytes_and_not_one_more(client: httpx.Client, fake: FakeGoogle) -> None:
    fake.queue(200, {"comment": "x", "updateTime": "2026-11-20T10:00:00Z"})
    GoogleReviewsSender(client).send_reply(CHANNEL, _reply("€" * 1365))  # 4095 bytes

    with pytest.raises(PermanentError, match="at most 4096 bytes"):
        GoogleReviewsSender(client).send_reply(CHANNEL, _reply("€" * 1366))
    assert len(fake.requests) == 1


def test_review_reply_cannot_be_private_or_aimed_elsewhere(
    client: httpx.Client, fake: FakeGoogle
) -> None:
    private = OutboundReply(**{**_reply().__dict__, "visibility": MessageVisibility.PRIVATE})
    elsewhere = OutboundReply(**{**_reply().__dict__, "reply_to_external_id": "../../accounts"})

    with pytest.raises(PermanentError, match="publicly"):
        GoogleReviewsSender(client).send_reply(CHANNEL, private)
    with pytest.raises(PermanentError, match="needs the review"):
        GoogleReviewsSender(client).send_reply(CHANNEL, elsewhere)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("status", "code", "headers", "error", "reason"),
    [
        (401, "UNAUTHENTICATED", {}, AuthFailed, "invalid authentication"),
        (403, "PERMISSION_DENIED", {}, AuthFailed, "invalid authentication"),
        (429, "RESOURCE_EXHAUSTED", {"Retry-After": "30"}, RateLimited, "slow down"),
        (404, "NOT_FOUND", {}, PermanentError, "invalid authentication"),
        (400, "FAILED_PRECONDITION", {}, PermanentError, "FAILED_PRECONDITION"),
        (503, "UNAVAILABLE", {}, TransientError, "HTTP 503"),
    ],
)
def test_googles_errors_map_onto_the_connector_tree(
    client: httpx.Client,
    fake: FakeGoogle,
    status: int,
    code: str,
    headers: dict[str, str],
    error: type[Exception],
    reason: str,
) -> None:
    fake.error(status, code, "Request had invalid authentication credentials.", **headers)

    with pytest.raises(error, match=reason) as caught:
        GoogleReviewsSender(client).send_reply(CHANNEL, _reply())

    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 30.0


def test_quota_exhausted_without_retry_after_waits_a_minute(
    client: httpx.Client, fake: FakeGoogle
) -> None:
    fake.error(403, "RESOURCE_EXHAUSTED", "Quota exceeded")

    with pytest.raises(RateLimited) as caught:
        GoogleReviewsPoller(client).poll(CHANNEL, {})

    assert caught.value.retry_after == 60.0


def test_missing_token_needs_reauthorisation_without_a_request(
    client: httpx.Client, fake: FakeGoogle
) -> None:
    channel = ChannelContext(9, "glasnet", CHANNEL.settings, {})

    with pytest.raises(AuthFailed, match="no access token"):
        GoogleReviewsPoller(client).poll(channel, {})
    assert fake.requests == []


def test_network_failure_is_transient(fake: FakeGoogle) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow")

    fake.answers.append(fail)
    with (
        httpx.Client(transport=httpx.MockTransport(fake)) as client,
        pytest.raises(TransientError, match="could not reach Google"),
    ):
        GoogleReviewsSender(client).send_reply(CHANNEL, _reply())


def test_a_reply_without_an_answer_is_retried_because_it_replaces(fake: FakeGoogle) -> None:
    """A review reply is a PUT: sending it twice leaves one reply, so retrying is safe."""

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    fake.answers.append(slow)
    with (
        httpx.Client(transport=httpx.MockTransport(fake)) as client,
        pytest.raises(TransientError, match="in time"),
    ):
        GoogleReviewsSender(client).send_reply(CHANNEL, _reply())


# --- against the simulator ------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[tuple[SimState, TestClient]]:
    state = SimState()
    with TestClient(create_simulator_app(state)) as http:
        yield state, http


def _sim_channel(token: str = sim_google.DEFAULT_TOKEN) -> ChannelContext:
    settings = {"locations": [LOCATION, OTHER_LOCATION], "api_base": "http://testserver/google"}
    return ChannelContext(9, "glasnet", settings, {"access_token": token})


def test_simulated_reviews_are_polled_across_pages_and_locations(
    sim: tuple[SimState, TestClient],
) -> None:
    state, http = sim
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(3):
        sim_google.add_review(state, LOCATION, reviewer=f"Klant {n}", stars=4, comment=f"ok {n}")
    sim_google.add_review(state, OTHER_LOCATION, stars=2, anonymous=True, created_at=start)
    poller = GoogleReviewsPoller(http)
    result = poller.poll(_sim_channel(), {})
    assert len(result.events) == 4

    later = [sim_google.add_review(state, LOCATION, stars=5, comment=f"top {n}") for n in range(60)]
    result = poller.poll(_sim_channel(), result.cursor)

    assert [e.external_id for e in result.events] == [r["name"] for r in later]
    assert poller.poll(_sim_channel(), result.cursor).events == ()


def test_simulated_edit_comes_back_as_an_edit(sim: tuple[SimState, TestClient]) -> None:
    state, http = sim
    sim_google.add_location(state, OTHER_LOCATION)
    review = sim_google.add_review(state, LOCATION, stars=1, comment="Slecht")
    poller = GoogleReviewsPoller(http)
    cursor = poller.poll(_sim_channel(), {}).cursor

    sim_google.update_review(
        state,
        review["name"],
        comment="Toch nog opgelost, dank!",
        stars=4,
        updated_at=datetime.now(UTC) + timedelta(seconds=1),
    )
    events = poller.poll(_sim_channel(), cursor).events

    assert [type(e) for e in events] == [InboundMessage, InboundEdit]
    assert events[1].text == "Toch nog opgelost, dank!"


def test_simulated_reply_then_update_replaces_the_public_answer(
    sim: tuple[SimState, TestClient],
) -> None:
    state, http = sim
    review = sim_google.add_review(state, LOCATION, stars=2, comment="Traag")
    sender = GoogleReviewsSender(http)
    first = OutboundReply(**{**_reply("Sorry!").__dict__, "reply_to_external_id": review["name"]})
    second = OutboundReply(
        **{**first.__dict__, "text": "Sorry, opgelost!", "idempotency_key": "auto_2"}
    )

    one = sender.send_reply(_sim_channel(), first)
    two = sender.send_reply(_sim_channel(), second)

    assert one.external_id != two.external_id
    assert [s.kind for s in state.sent("google_reviews")] == ["reply", "reply_updated"]
    assert sim_google.find_review(state, review["name"])["reviewReply"]["comment"] == (  # type: ignore[index]
        "Sorry, opgelost!"
    )


def test_simulator_checks_the_token_and_honours_faults(sim: tuple[SimState, TestClient]) -> None:
    state, http = sim
    sim_google.add_review(state, LOCATION, stars=3)
    sim_google.add_review(state, OTHER_LOCATION, stars=4)

    with pytest.raises(AuthFailed, match="UNAUTHENTICATED"):
        GoogleChecker(http).check(_sim_channel("expired"))
    state.add_fault("google", Fault(429, retry_after=12))
    with pytest.raises(RateLimited) as caught:
        GoogleChecker(http).check(_sim_channel())
    assert caught.value.retry_after == 12.0
    assert GoogleChecker(http).check(_sim_channel()) == "2 locations reachable, 2 reviews in all"


def test_simulator_lists_accounts_and_refuses_unknown_locations(
    sim: tuple[SimState, TestClient],
) -> None:
    state, http = sim
    sim_google.add_review(state, LOCATION, stars=3)
    auth = {"Authorization": f"Bearer {sim_google.DEFAULT_TOKEN}"}

    accounts = http.get("/google/v4/accounts", headers=auth).json()
    missing = http.get("/google/v4/accounts/1/locations/2/reviews", headers=auth)

    assert accounts["accounts"][0]["name"] == "accounts/112233445566778899"
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"
