"""MetaSender against the Meta simulator (Graph v23.0 shapes) and against Graph's error bodies.

The simulator (``webcare.simulator.platforms.meta``) answers as the Graph docs show; error
bodies the simulator cannot produce on demand (window subcodes, business use case headers)
come from ``httpx.MockTransport`` with the body Graph's "Handling Errors" page documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    RateLimited,
    TransientError,
)
from webcare.connectors.meta.client import MetaSender
from webcare.simulator.app import create_simulator_app
from webcare.simulator.state import Fault, SimState

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PAGE_ID = "104839221234567"
IG_USER_ID = "17841401234567890"
SETTINGS = {"page_id": PAGE_ID, "ig_user_id": IG_USER_ID, "api_base": "http://testserver/meta"}
CHANNEL = ChannelContext(7, "glasnet", SETTINGS, {"page_access_token": "sim-page-token"})
FB_COMMENT = "987654321098765_1122334455667788"
IG_COMMENT = "17865799348089039"


@pytest.fixture
def state() -> SimState:
    return SimState()


@pytest.fixture
def sim(state: SimState) -> Iterator[TestClient]:
    with TestClient(create_simulator_app(state)) as client:
        yield client


def _sender(client: httpx.Client, platform: str = "facebook") -> MetaSender:
    return MetaSender(client, platform, clock=lambda: NOW)


def _reply(
    text: str = "Wat vervelend, we zoeken het uit! ^AV",
    *,
    visibility: MessageVisibility = MessageVisibility.PUBLIC,
    reply_to: str | None = FB_COMMENT,
    recipient: str | None = "7012345678901234",
    last: timedelta | None = timedelta(hours=1),
) -> OutboundReply:
    return OutboundReply(
        text=text,
        visibility=visibility,
        idempotency_key="auto_1",
        conversation_id=1,
        recipient_platform_user_id=recipient,
        reply_to_external_id=reply_to,
        customer_last_message_at=NOW - last if last is not None else None,
    )


def _dm(
    last: timedelta | None = timedelta(hours=1), recipient: str | None = "6791234567890123"
) -> OutboundReply:
    return _reply(
        visibility=MessageVisibility.PRIVATE,
        reply_to="m_AG5Hz2Uq7qDJpE4Kx1v0Zk8",
        recipient=recipient,
        last=last,
    )


def test_facebook_public_reply_is_a_comment_on_the_comment(
    sim: TestClient, state: SimState
) -> None:
    result = _sender(sim).send_reply(CHANNEL, _reply())

    (sent,) = state.sent("facebook")
    assert (sent.kind, sent.in_reply_to, sent.text) == (
        "comment",
        FB_COMMENT,
        "Wat vervelend, we zoeken het uit! ^AV",
    )
    assert result.external_id == sent.external_id
    assert result.raw == {"id": sent.external_id}


def test_facebook_private_reply_to_a_comment_uses_the_comment_id(
    sim: TestClient, state: SimState
) -> None:
    result = _sender(sim).send_reply(CHANNEL, _reply(visibility=MessageVisibility.PRIVATE))

    (sent,) = state.sent("facebook")
    assert (sent.kind, sent.recipient) == ("private_reply", FB_COMMENT)
    assert sent.request["recipient"] == {"comment_id": FB_COMMENT}
    assert sent.request["messaging_type"] == "RESPONSE"
    assert result.external_id == sent.external_id
    assert set(result.raw) == {"recipient_id", "message_id"}


def test_private_reply_to_a_visitor_post_names_the_post(sim: TestClient, state: SimState) -> None:
    post = f"{PAGE_ID}_2883179105104617"
    _sender(sim).send_reply(CHANNEL, _reply(visibility=MessageVisibility.PRIVATE, reply_to=post))

    (sent,) = state.sent("facebook")
    assert sent.request["recipient"] == {"post_id": post}


def test_messenger_reply_within_24_hours_is_a_response(sim: TestClient, state: SimState) -> None:
    _sender(sim).send_reply(CHANNEL, _dm(timedelta(hours=23)))

    (sent,) = state.sent("facebook")
    assert sent.kind == "message"
    assert sent.request["recipient"] == {"id": "6791234567890123"}
    assert sent.request["messaging_type"] == "RESPONSE"
    assert "tag" not in sent.request
    assert sent.request["message"] == {"text": "Wat vervelend, we zoeken het uit! ^AV"}


def test_messenger_reply_after_24_hours_carries_the_human_agent_tag(
    sim: TestClient, state: SimState
) -> None:
    _sender(sim).send_reply(CHANNEL, _dm(timedelta(days=3)))

    (sent,) = state.sent("facebook")
    assert (sent.request["messaging_type"], sent.request["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_messenger_reply_after_7_days_is_refused_before_any_request(
    sim: TestClient, state: SimState
) -> None:
    with pytest.raises(PermanentError, match="within 7 days") as refused:
        _sender(sim).send_reply(CHANNEL, _dm(timedelta(days=8)))

    assert "8 days" in refused.value.reason
    assert state.sent() == []


def test_instagram_public_reply_goes_to_the_comment_replies_edge(
    sim: TestClient, state: SimState
) -> None:
    result = _sender(sim, "instagram").send_reply(CHANNEL, _reply(reply_to=IG_COMMENT))

    (sent,) = state.sent("instagram")
    assert (sent.kind, sent.in_reply_to) == ("comment", IG_COMMENT)
    assert result.external_id == sent.external_id


def test_instagram_private_reply_to_a_comment(sim: TestClient, state: SimState) -> None:
    reply = _reply(visibility=MessageVisibility.PRIVATE, reply_to=IG_COMMENT)
    _sender(sim, "instagram").send_reply(CHANNEL, reply)

    (sent,) = state.sent("instagram")
    assert (sent.kind, sent.recipient) == ("private_reply", IG_COMMENT)
    assert sent.request["recipient"] == {"comment_id": IG_COMMENT}


def test_instagram_dm_goes_to_the_customer_igsid(sim: TestClient, state: SimState) -> None:
    reply = _reply(
        visibility=MessageVisibility.PRIVATE,
        reply_to="aWdfZAG1faXRlbToxOklHTWVzc2FnZA",
        recipient="5438123456789012",
        last=timedelta(days=2),
    )
    _sender(sim, "instagram").send_reply(CHANNEL, reply)

    (sent,) = state.sent("instagram")
    assert (sent.kind, sent.recipient) == ("message", "5438123456789012")
    assert sent.request["tag"] == "HUMAN_AGENT"


def test_private_reply_to_a_comment_older_than_7_days_is_refused(
    sim: TestClient, state: SimState
) -> None:
    reply = _reply(visibility=MessageVisibility.PRIVATE, last=timedelta(days=9))
    with pytest.raises(PermanentError, match="Answer publicly instead"):
        _sender(sim).send_reply(CHANNEL, reply)
    assert state.sent() == []


@pytest.mark.parametrize(
    ("platform", "visibility", "limit"),
    [
        ("facebook", MessageVisibility.PRIVATE, 2000),
        ("instagram", MessageVisibility.PRIVATE, 1000),
        ("facebook", MessageVisibility.PUBLIC, 8000),
    ],
)
def test_too_long_text_is_refused_before_any_request(
    sim: TestClient, state: SimState, platform: str, visibility: MessageVisibility, limit: int
) -> None:
    reply = _reply("a" * (limit + 1), visibility=visibility, reply_to="m_mid")
    with pytest.raises(PermanentError, match=str(limit)):
        _sender(sim, platform).send_reply(CHANNEL, reply)
    assert state.sent() == []


def test_expired_token_is_auth_failed(sim: TestClient, state: SimState) -> None:
    channel = ChannelContext(7, "glasnet", SETTINGS, {"page_access_token": "expired"})
    with pytest.raises(AuthFailed, match="190"):
        _sender(sim).send_reply(channel, _reply())
    assert state.sent() == []


def test_missing_token_is_auth_failed_without_a_request(sim: TestClient, state: SimState) -> None:
    with pytest.raises(AuthFailed, match="no Page access token"):
        _sender(sim).send_reply(ChannelContext(7, "glasnet", SETTINGS, {}), _reply())


def test_rate_limit_carries_retry_after(sim: TestClient, state: SimState) -> None:
    state.add_fault("meta", Fault(429, retry_after=42))
    with pytest.raises(RateLimited) as limited:
        _sender(sim).send_reply(CHANNEL, _reply())
    assert limited.value.retry_after == 42
    assert state.sent() == []


def test_server_error_is_transient(sim: TestClient, state: SimState) -> None:
    state.add_fault("meta", Fault(503))
    with pytest.raises(TransientError):
        _sender(sim).send_reply(CHANNEL, _reply())


def test_token_travels_in_the_header_never_in_the_url() -> None:
    seen: list[httpx.Request] = []

    def graph(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "1_2"})

    channel = ChannelContext(7, "glasnet", {"page_id": PAGE_ID}, {"page_access_token": "tok"})
    with httpx.Client(transport=httpx.MockTransport(graph)) as client:
        _sender(client).send_reply(channel, _reply())

    (request,) = seen
    assert str(request.url) == f"https://graph.facebook.com/v23.0/{FB_COMMENT}/comments"
    assert request.headers["Authorization"] == "Bearer tok"
    assert "tok" not in str(request.url)
    assert json.loads(request.content) == {"message": "Wat vervelend, we zoeken het uit! ^AV"}


def _graph_error(
    status: int, error: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Client:
    body = {"error": {"type": "OAuthException", "fbtrace_id": "Ax1", **error}}
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json=body, headers=headers))
    return httpx.Client(transport=transport)


_ERRORS: list[tuple[int, dict[str, Any], type[Exception], str]] = [
    (400, {"code": 190, "error_subcode": 463, "message": "Session has expired"}, AuthFailed, "190"),
    (400, {"code": 4, "message": "(#4) Application request limit"}, RateLimited, "slow down"),
    (400, {"code": 32, "message": "Page request limit reached"}, RateLimited, "slow down"),
    (400, {"code": 613, "message": "Calls exceeded"}, RateLimited, "slow down"),
    (400, {"code": 80001, "message": "Too many calls to this Page"}, RateLimited, "slow down"),
    (500, {"code": 2, "message": "Service temporarily unavailable"}, TransientError, "for now"),
    (400, {"code": 1, "message": "Unknown error", "is_transient": True}, TransientError, "for now"),
    (
        400,
        {"code": 10, "error_subcode": 2018278, "message": "outside of allowed window"},
        PermanentError,
        "window has closed",
    ),
    (
        400,
        {"code": 10, "error_subcode": 2534022, "message": "outside of allowed window"},
        PermanentError,
        "window has closed",
    ),
    (400, {"code": 551, "message": "This person isn't available"}, PermanentError, "cannot be"),
    (403, {"code": 200, "message": "(#200) Permissions error"}, PermanentError, "lacks a perm"),
    (400, {"code": 100, "message": "(#100) Invalid parameter"}, PermanentError, "invalid"),
]


@pytest.mark.parametrize(("status", "error", "expected", "words"), _ERRORS)
def test_graph_errors_map_onto_the_connector_error_tree(
    status: int, error: dict[str, Any], expected: type[Exception], words: str
) -> None:
    with _graph_error(status, error) as client, pytest.raises(expected) as raised:
        _sender(client).send_reply(CHANNEL, _dm())
    reason = str(raised.value)
    assert words in reason
    assert error["message"] in reason
    assert "Ax1" in reason  # fbtrace_id, for Meta's support


def test_business_use_case_header_gives_the_wait_in_minutes() -> None:
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
    error = {"code": 80001, "message": "There have been too many calls to this Page account"}
    with _graph_error(400, error, headers) as client, pytest.raises(RateLimited) as limited:
        _sender(client).send_reply(CHANNEL, _reply())
    assert limited.value.retry_after == 7 * 60


def test_a_reply_without_an_answer_is_not_sent_again_blindly() -> None:
    """Graph may have published it and takes no idempotency key: the agent checks first."""

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(slow)) as client,
        pytest.raises(PermanentError, match="may have gone through"),
    ):
        _sender(client).send_reply(CHANNEL, _reply())


def test_a_reply_that_never_reached_graph_is_retried() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(down)) as client,
        pytest.raises(TransientError, match="could not reach"),
    ):
        _sender(client).send_reply(CHANNEL, _reply())


def test_dm_without_a_known_customer_is_refused() -> None:
    with httpx.Client() as client, pytest.raises(PermanentError, match="customer's id"):
        _sender(client).send_reply(CHANNEL, _dm(recipient=None))
