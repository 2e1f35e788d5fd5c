"""XSender against a stand-in for the X API v2 that answers as the OpenAPI spec documents.

X is a platform we cannot reach from tests, so ``httpx.MockTransport`` plays it: 201 with
``{"data": {...}}`` on success, Problem objects on refusal, 429 with ``x-rate-limit-reset``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    RateLimited,
    TransientError,
)
from webcare.connectors.x.client import XSender, weighted_length

NOW = 1_795_342_000.0
CHANNEL = ChannelContext(
    channel_account_id=7,
    handle="VoorbeeldShop",
    settings={"user_id": "1234567890"},
    credentials={"access_token": "user-token"},
)


class FakeX:
    """Records requests and answers each with the next queued response (default: success)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[Callable[[httpx.Request], httpx.Response]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            return self.answers.pop(0)(request)
        return _success(request)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def _success(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/2/tweets":
        text = json.loads(request.content)["text"]
        return httpx.Response(201, json={"data": {"id": "1992200000000000777", "text": text}})
    if path.startswith("/2/dm_conversations/with/"):
        data = {"dm_conversation_id": "1234567890-9876543210", "dm_event_id": "1992200000000000888"}
        return httpx.Response(201, json={"data": data})
    if path.endswith("/likes"):
        return httpx.Response(200, json={"data": {"liked": True}})
    return httpx.Response(404, json={"title": "Not Found Error", "detail": "no such path"})


@pytest.fixture
def fake_x() -> FakeX:
    return FakeX()


@pytest.fixture
def sender(fake_x: FakeX) -> Iterator[XSender]:
    with httpx.Client(transport=httpx.MockTransport(fake_x)) as client:
        yield XSender(client, clock=lambda: NOW)


def _public(text: str = "Sorry Pieter, we zoeken het uit!") -> OutboundReply:
    return OutboundReply(
        text=text,
        visibility=MessageVisibility.PUBLIC,
        idempotency_key="reply-1",
        conversation_id=1,
        recipient_platform_user_id="9876543210",
        reply_to_external_id="1992200000000000001",
    )


def _private(text: str = "Stuur je ordernummer?") -> OutboundReply:
    return OutboundReply(
        text=text,
        visibility=MessageVisibility.PRIVATE,
        idempotency_key="reply-2",
        conversation_id=2,
        recipient_platform_user_id="9876543210",
        reply_to_external_id="1992200000000000099",
    )


def test_public_reply_is_posted_as_a_reply_tweet(sender: XSender, fake_x: FakeX) -> None:
    result = sender.send_reply(CHANNEL, _public())

    request = fake_x.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.x.com/2/tweets"
    assert request.headers["Authorization"] == "Bearer user-token"
    assert fake_x.body() == {
        "text": "Sorry Pieter, we zoeken het uit!",
        "reply": {"in_reply_to_tweet_id": "1992200000000000001"},
    }
    assert result.external_id == "1992200000000000777"
    assert result.raw == {"id": "1992200000000000777", "text": "Sorry Pieter, we zoeken het uit!"}


def test_private_reply_is_sent_as_a_direct_message(sender: XSender, fake_x: FakeX) -> None:
    result = sender.send_reply(CHANNEL, _private())

    request = fake_x.requests[0]
    assert str(request.url) == "https://api.x.com/2/dm_conversations/with/9876543210/messages"
    assert fake_x.body() == {"text": "Stuur je ordernummer?"}
    assert result.external_id == "1992200000000000888"


def test_api_base_setting_points_at_a_simulator(fake_x: FakeX) -> None:
    channel = ChannelContext(
        7, "VoorbeeldShop", {"api_base": "http://localhost:8765/"}, {"access_token": "t"}
    )
    with httpx.Client(transport=httpx.MockTransport(fake_x)) as client:
        XSender(client).send_reply(channel, _public())

    assert str(fake_x.requests[0].url) == "http://localhost:8765/2/tweets"


def test_like_posts_the_tweet_id_for_our_user(sender: XSender, fake_x: FakeX) -> None:
    sender.like(CHANNEL, "1992200000000000001")

    assert str(fake_x.requests[0].url) == "https://api.x.com/2/users/1234567890/likes"
    assert fake_x.body() == {"tweet_id": "1992200000000000001"}


def test_281_character_post_is_refused_without_a_request(sender: XSender, fake_x: FakeX) -> None:
    with pytest.raises(PermanentError, match="280"):
        sender.send_reply(CHANNEL, _public("a" * 281))

    assert fake_x.requests == []


def test_280_characters_with_a_long_link_still_fit(sender: XSender, fake_x: FakeX) -> None:
    text = "a" * 256 + " https://voorbeeldshop.nl/" + "x" * 100

    assert weighted_length(text) == 280
    sender.send_reply(CHANNEL, _public(text))
    assert len(fake_x.requests) == 1


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hallo", 5),
        ("zie https://t.co/abc en http://x.com/a/b", 4 + 23 + 4 + 23),
        ("日本", 4),
        ("é", 1),
    ],
)
def test_weighted_length_counts_like_x(text: str, length: int) -> None:
    assert weighted_length(text) == length


def test_long_direct_message_is_allowed_up_to_10000(sender: XSender, fake_x: FakeX) -> None:
    sender.send_reply(CHANNEL, _private("a" * 281))
    with pytest.raises(PermanentError, match="10000"):
        sender.send_reply(CHANNEL, _private("a" * 10_001))

    assert len(fake_x.requests) == 1


def test_public_reply_without_parent_is_refused(sender: XSender, fake_x: FakeX) -> None:
    reply = OutboundReply("hoi", MessageVisibility.PUBLIC, "k", 1, None, None)

    with pytest.raises(PermanentError, match="needs the post"):
        sender.send_reply(CHANNEL, reply)
    assert fake_x.requests == []


def test_missing_token_needs_reauthorisation(fake_x: FakeX) -> None:
    channel = ChannelContext(7, "VoorbeeldShop", {}, {})
    with httpx.Client(transport=httpx.MockTransport(fake_x)) as client, pytest.raises(AuthFailed):
        XSender(client).send_reply(channel, _public())
    assert fake_x.requests == []


def _answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    return lambda request: httpx.Response(status, json=body, headers=headers)


def test_rate_limit_waits_until_the_reset(sender: XSender, fake_x: FakeX) -> None:
    body = {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}
    fake_x.answers.append(_answer(429, body, {"x-rate-limit-reset": str(int(NOW) + 90)}))

    with pytest.raises(RateLimited) as caught:
        sender.send_reply(CHANNEL, _public())

    assert caught.value.retry_after == 90.0


def test_rate_limit_falls_back_to_retry_after(sender: XSender, fake_x: FakeX) -> None:
    fake_x.answers.append(_answer(429, {"errors": [{"code": 88}]}, {"Retry-After": "12"}))

    with pytest.raises(RateLimited) as caught:
        sender.send_reply(CHANNEL, _private())

    assert caught.value.retry_after == 12.0


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_raise_auth_failed(
    sender: XSender, fake_x: FakeX, status: int
) -> None:
    body = {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": status,
        "detail": "Unauthorized",
    }
    fake_x.answers.append(_answer(status, body))

    with pytest.raises(AuthFailed, match=f"HTTP {status}"):
        sender.send_reply(CHANNEL, _public())


def test_forbidden_post_is_refused_for_good_without_flagging_the_credentials(
    sender: XSender, fake_x: FakeX
) -> None:
    body = {
        "title": "Forbidden",
        "type": "about:blank",
        "status": 403,
        "detail": "You are not allowed to create a Tweet with duplicate content.",
    }
    fake_x.answers.append(_answer(403, body))

    with pytest.raises(PermanentError, match="duplicate content"):
        sender.send_reply(CHANNEL, _public())


def test_refusal_carries_xs_detail(sender: XSender, fake_x: FakeX) -> None:
    body = {
        "title": "Invalid Request",
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "https://api.x.com/2/problems/invalid-request",
    }
    fake_x.answers.append(_answer(400, body))

    with pytest.raises(PermanentError, match="duplicate content") as caught:
        sender.send_reply(CHANNEL, _public())

    assert "HTTP 400" in caught.value.reason


def test_refusal_with_errors_list_uses_its_message(sender: XSender, fake_x: FakeX) -> None:
    fake_x.answers.append(_answer(404, {"errors": [{"code": 50, "message": "User not found."}]}))

    with pytest.raises(PermanentError, match="User not found"):
        sender.send_reply(CHANNEL, _private())


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(sender: XSender, fake_x: FakeX, status: int) -> None:
    fake_x.answers.append(_answer(status, {"title": "Service Unavailable"}))

    with pytest.raises(TransientError, match=f"HTTP {status}"):
        sender.send_reply(CHANNEL, _public())


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")], ids=["refused", "slow"]
)
def test_a_post_that_never_reached_x_is_retried(
    sender: XSender, fake_x: FakeX, error: httpx.HTTPError
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    fake_x.answers.append(fail)

    with pytest.raises(TransientError):
        sender.send_reply(CHANNEL, _public())


def test_a_post_without_an_answer_is_not_retried_blindly(sender: XSender, fake_x: FakeX) -> None:
    """X may have published it; a retry could post the reply twice, so the agent checks."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    fake_x.answers.append(fail)

    with pytest.raises(PermanentError, match="check on X before you retry"):
        sender.send_reply(CHANNEL, _public())


def test_success_without_data_is_not_taken_for_sent(sender: XSender, fake_x: FakeX) -> None:
    fake_x.answers.append(_answer(200, {"errors": [{"title": "Something odd"}]}))

    with pytest.raises(PermanentError, match="did not confirm"):
        sender.send_reply(CHANNEL, _public())
