"""WhatsAppSender and WhatsAppChecker against the simulator and against recorded error bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    ConnectorError,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    RateLimited,
    TransientError,
)
from webcare.connectors.whatsapp.client import WhatsAppChecker, WhatsAppSender
from webcare.simulator.app import create_simulator_app
from webcare.simulator.state import Fault, SimState

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = json.loads((FIXTURES / "send_message_examples.json").read_text())
WA_ID = "31612345678"
PHONE_NUMBER_ID = "106540352242922"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TEMPLATE = {
    "name": "parcel_tomorrow",
    "language": {"code": "nl"},
    "components": [{"type": "body", "parameters": [{"type": "text", "text": "Anna"}]}],
}


@pytest.fixture
def state() -> SimState:
    return SimState()


@pytest.fixture
def sim(state: SimState) -> Iterator[TestClient]:
    with TestClient(create_simulator_app(state)) as client:
        yield client


def _channel(token: str = "sim-wa-token") -> ChannelContext:  # noqa: S107 - the simulator's
    return ChannelContext(
        channel_account_id=1,
        handle="+31208081234",
        settings={"phone_number_id": PHONE_NUMBER_ID, "api_base": "http://testserver/whatsapp"},
        credentials={"access_token": token},
    )


def _reply(
    last_message: datetime | None = NOW - timedelta(hours=1),
    template: dict[str, Any] | None = None,
    reply_to: str | None = "wamid.customer1",
) -> OutboundReply:
    return OutboundReply(
        text="Uw pakket komt morgen.",
        visibility=MessageVisibility.PRIVATE,
        idempotency_key="k1",
        conversation_id=1,
        recipient_platform_user_id=WA_ID,
        reply_to_external_id=reply_to,
        customer_last_message_at=last_message,
        template=template,
    )


def _sender(client: httpx.Client) -> WhatsAppSender:
    return WhatsAppSender(client, clock=lambda: NOW)


def _open_window(state: SimState, at: datetime) -> None:
    state.platform_data("whatsapp").setdefault("last_inbound", {})[WA_ID] = at


def test_reply_in_window_quotes_the_customer_message(sim: TestClient, state: SimState) -> None:
    _open_window(state, datetime.now(UTC) - timedelta(hours=1))
    result = _sender(sim).send_reply(_channel(), _reply())
    (sent,) = state.sent("whatsapp")
    assert result.external_id == sent.external_id
    assert result.external_id.startswith("wamid.")
    assert (sent.kind, sent.text, sent.recipient, sent.in_reply_to) == (
        "text",
        "Uw pakket komt morgen.",
        WA_ID,
        "wamid.customer1",
    )
    spec = EXAMPLES["requests"]["Send Reply to Text Message"]
    assert set(sent.request) == set(spec)
    assert sent.request["text"] == {"body": "Uw pakket komt morgen.", "preview_url": False}
    assert set(result.raw) == set(EXAMPLES["response"])


def _counting_client() -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    return httpx.Client(transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize(
    ("last_message", "words"),
    [
        (NOW - timedelta(hours=24, minutes=1), "more than 24 hours"),
        (None, "has not written"),
    ],
)
def test_free_text_outside_the_window_is_refused_before_any_request(
    last_message: datetime | None, words: str
) -> None:
    client, seen = _counting_client()
    with pytest.raises(PermanentError) as refused:
        _sender(client).send_reply(_channel(), _reply(last_message=last_message))
    assert words in refused.value.reason
    assert "template" in refused.value.reason
    assert seen == []


def test_a_template_goes_out_any_time(sim: TestClient, state: SimState) -> None:
    result = _sender(sim).send_reply(_channel(), _reply(last_message=None, template=TEMPLATE))
    (sent,) = state.sent("whatsapp")
    assert (sent.kind, sent.text, result.external_id) == (
        "template",
        "parcel_tomorrow",
        sent.external_id,
    )
    assert sent.request["template"] == TEMPLATE
    assert set(sent.request) == set(EXAMPLES["requests"]["Send Message Template Text"])


def test_platform_refusing_outside_the_window_reads_clearly(sim: TestClient) -> None:
    # Our clock says the window is open, WhatsApp (the simulator) never saw the customer.
    with pytest.raises(PermanentError) as refused:
        _sender(sim).send_reply(_channel(), _reply())
    assert "only accepts an approved template" in refused.value.reason


def test_rate_limit_carries_retry_after(sim: TestClient, state: SimState) -> None:
    state.add_fault("whatsapp", Fault(429, retry_after=7))
    with pytest.raises(RateLimited) as limited:
        _sender(sim).send_reply(_channel(), _reply(template=TEMPLATE))
    assert limited.value.retry_after == 7
    assert "130429" in limited.value.reason


def test_expired_token_is_auth_failed(sim: TestClient) -> None:
    with pytest.raises(AuthFailed):
        _sender(sim).send_reply(_channel("expired"), _reply(template=TEMPLATE))


def _graph_error(status: int, code: int, message: str = "boom") -> httpx.Client:
    body = {"error": {"message": message, "type": "OAuthException", "code": code}}
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    return httpx.Client(transport=transport)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, 131047, PermanentError),
        (400, 131026, PermanentError),
        (400, 130429, RateLimited),
        (400, 131056, RateLimited),
        (400, 80007, RateLimited),
        (429, 4, RateLimited),
        (401, 190, AuthFailed),
        (400, 190, AuthFailed),
        (403, 200, AuthFailed),
        (500, 131000, TransientError),
        (503, 1, TransientError),
        (400, 100, PermanentError),
        (404, 132001, PermanentError),
    ],
)
def test_cloud_api_errors_map_onto_the_error_tree(
    status: int, code: int, error: type[ConnectorError]
) -> None:
    with pytest.raises(ConnectorError) as raised:
        _sender(_graph_error(status, code)).send_reply(_channel(), _reply(template=TEMPLATE))
    assert type(raised.value) is error


def test_undeliverable_number_reads_clearly() -> None:
    with pytest.raises(PermanentError) as refused:
        _sender(_graph_error(400, 131026)).send_reply(_channel(), _reply(template=TEMPLATE))
    assert "could not deliver to this number" in refused.value.reason


def test_network_failure_is_transient() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(fail))
    with pytest.raises(TransientError):
        _sender(client).send_reply(_channel(), _reply(template=TEMPLATE))


def test_missing_settings_and_credentials_are_explained() -> None:
    client, seen = _counting_client()
    no_token = ChannelContext(1, "x", {"phone_number_id": "1"}, {})
    with pytest.raises(AuthFailed):
        _sender(client).send_reply(no_token, _reply(template=TEMPLATE))
    no_number = ChannelContext(1, "x", {}, {"access_token": "t"})
    with pytest.raises(PermanentError, match="phone number id"):
        _sender(client).send_reply(no_number, _reply(template=TEMPLATE))
    assert seen == []


def test_check_names_the_number_and_business(sim: TestClient) -> None:
    assert WhatsAppChecker(sim).check(_channel()) == "Connected: +31 20 808 1234 (Glasnet)"
    with pytest.raises(AuthFailed):
        WhatsAppChecker(sim).check(_channel("wrong"))
