"""Live demo traffic: the simulator plays Glasnet's customers through real, signed webhooks, and
its customer view shows what they see of the agents' replies.

webcare and the simulator both run under uvicorn (``tests.live``), as in ``webcare demo``; the
streamer's own :meth:`~webcare.demo.traffic.TrafficStreamer.deliver_next` is called by hand
instead of its timer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.live import free_port, live_server, live_simulator
from webcare.channel import polling
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount
from webcare.conversation.models import Conversation, Message
from webcare.demo import simulated
from webcare.demo.cast import Cast
from webcare.demo.runner import DemoInfo
from webcare.demo.traffic import Customer, Thread, TrafficStreamer, Turn, load_traffic
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.simulator import customer_view
from webcare.simulator.serving import link_demo_accounts, start_demo_simulation
from webcare.simulator.state import Sent, SimState
from webcare.simulator.traffic import SimulatedTraffic, configure_state

EXPECTED_KIND = {
    ("x", "mention"): "public_thread",
    ("x", "dm"): "private_thread",
    ("facebook", "comment"): "public_thread",
    ("facebook", "message"): "private_thread",
    ("instagram", "comment"): "public_thread",
    ("instagram", "dm"): "private_thread",
    ("whatsapp", "message"): "private_thread",
    ("google_reviews", "review"): "review",
}


@dataclass
class Demo:
    runtime: Runtime
    cast: Cast
    sim_url: str
    app_url: str
    state: SimState
    client: httpx.Client
    channel: SimulatedTraffic

    def streamer(self, threads: list[Thread]) -> TrafficStreamer:
        return TrafficStreamer(threads, self.channel)

    def page(self, path: str = "/") -> str:
        response = self.client.get(f"{self.sim_url}{path}")
        assert response.status_code == 200
        return response.text


@pytest.fixture
def demo(runtime: Runtime, cast: Cast) -> Iterator[Demo]:
    with live_simulator() as (sim_url, state), live_server(runtime) as app_url:
        configure_state(state)
        with httpx.Client(timeout=10) as client:
            channel = link_demo_accounts(runtime, state, sim_url, app_url, client)
            yield Demo(runtime, cast, sim_url, app_url, state, client, channel)


def _thread(platform: str, kind: str) -> Thread:
    return next(t for t in load_traffic() if (t.platform, t.kind) == (platform, kind))


def _poll_google(demo: Demo) -> None:
    with unit_of_work(demo.runtime.session_factory) as session:
        account = session.get(ChannelAccount, demo.cast.accounts["google_reviews"].id)
        assert account is not None
        polling.enqueue_poll(session, account)
    drain_jobs(demo.runtime)


def _message(runtime: Runtime, account_id: int, text: str) -> tuple[Message, Conversation]:
    with runtime.session_factory() as session:
        row = session.execute(
            sa.select(Message, Conversation)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.channel_account_id == account_id, Message.text == text)
        ).one()
        session.expunge_all()
        return row[0], row[1]


def _reply(api: TestClient, conversation_id: int, text: str) -> dict[str, Any]:
    response = api.post(f"/api/v1/conversations/{conversation_id}/replies", json={"text": text})
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_one_turn_of_every_platform_lands_on_its_account_as_the_right_conversation(
    demo: Demo,
) -> None:
    threads = [_thread(platform, kind) for platform, kind in EXPECTED_KIND]
    streamer = demo.streamer(threads)

    played = [streamer.deliver_next() for _ in threads]
    _poll_google(demo)  # reviews are not pushed: the poll job finds them

    assert all(item is not None for item in played)
    assert streamer.failed == 0
    for thread in threads:
        account_id = demo.cast.accounts[thread.platform].id
        message, conversation = _message(demo.runtime, account_id, thread.turns[0].text)
        assert message.direction == "inbound"
        assert conversation.kind == EXPECTED_KIND[(thread.platform, thread.kind)], thread.key
    review, _ = _message(
        demo.runtime, demo.cast.accounts["google_reviews"].id, threads[-1].turns[0].text
    )
    assert review.rating == threads[-1].turns[0].stars


def test_agent_reply_reaches_the_customer_view_and_the_customer_answers_in_the_same_thread(
    demo: Demo, api: TestClient
) -> None:
    thread = _thread("x", "mention")
    assert thread.turns[1].after_reply
    other = _thread("whatsapp", "message")
    streamer = demo.streamer([thread, other])
    streamer.deliver_next()
    account_id = demo.cast.accounts["x"].id
    _, conversation = _message(demo.runtime, account_id, thread.turns[0].text)

    # Until Glasnet answers, the customer's follow-up waits and new threads come instead.
    second = streamer.deliver_next()
    assert second is not None
    assert second.thread.key == other.key

    _reply(api, conversation.id, "@bramvanloon_ Klopt, er is een storing in Nieuwegein. ^AV")
    drain_jobs(demo.runtime)

    (sent,) = demo.state.sent("x")
    assert sent.kind == "post"
    assert "storing in Nieuwegein" in (sent.text or "")
    page = demo.page("/customer/x")
    assert thread.customer.name in page
    assert "er is een storing in Nieuwegein" in page

    follow_up = streamer.deliver_next()
    assert follow_up is not None
    assert follow_up.thread.key == thread.key
    message, joined = _message(demo.runtime, account_id, thread.turns[1].text)
    assert joined.id == conversation.id  # replying to our reply threads into the conversation
    assert message.reply_to_external_id == sent.external_id


def test_whatsapp_reply_shows_ticks_as_the_customers_phone_reports_them(
    demo: Demo, api: TestClient
) -> None:
    thread = _thread("whatsapp", "message")
    streamer = demo.streamer([thread])
    streamer.deliver_next()
    _, conversation = _message(
        demo.runtime, demo.cast.accounts["whatsapp"].id, thread.turns[0].text
    )
    reply = _reply(api, conversation.id, "Hoi Fatima, dat is de huur van je tweede tv-box.")
    drain_jobs(demo.runtime)
    assert "✓ sent" in " ".join(demo.page("/customer/whatsapp").split())

    streamer.tick()  # the phone reports delivered ...
    assert "✓✓ delivered" in " ".join(demo.page("/customer/whatsapp").split())
    streamer.tick()  # ... and read; the tick also lets the customer answer
    page = " ".join(demo.page("/customer/whatsapp").split())
    assert "✓✓ read" in page
    assert thread.turns[1].text in page
    with demo.runtime.session_factory() as session:
        stored = session.get(Message, reply["id"])
        assert stored is not None
        assert stored.delivery_status == "read"


def test_customer_view_escapes_hostile_text_and_marks_hidden_comments(demo: Demo) -> None:
    hostile = Thread(
        key="hostile",
        platform="instagram",
        kind="dm",
        customer=Customer(id="1780000000009999", name='<img src=x onerror="alert(1)">'),
        turns=(Turn(text="<script>alert('pwned')</script> & more"),),
    )
    streamer = demo.streamer([hostile, _thread("facebook", "comment")])
    streamer.deliver_next()
    comment = streamer.deliver_next()
    assert comment is not None
    (delivered,) = customer_view.delivered(demo.state, "facebook")
    demo.state.record(Sent(platform="facebook", kind="hide", external_id=delivered.external_id))

    page = demo.page()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; more" in page
    assert "hidden by Glasnet" in demo.page("/customer/facebook")
    assert demo.client.get(f"{demo.sim_url}/customer/myspace").status_code == 404


def test_while_webcare_is_down_the_turn_is_logged_and_delivered_once_it_is_back(
    demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there: webcare is down
    with unit_of_work(demo.runtime.session_factory) as session:
        account = session.get(ChannelAccount, demo.cast.accounts["whatsapp"].id)
        assert account is not None
        dead = channels.webhook_url(down, account)
    channel = SimulatedTraffic(demo.state, demo.client, {"whatsapp": dead})
    thread = _thread("whatsapp", "message")
    streamer = TrafficStreamer([thread], channel)

    with caplog.at_level(logging.WARNING, logger="webcare.demo.traffic"):
        assert streamer.deliver_next() is None
    (record,) = caplog.records
    assert "webcare unreachable" in record.getMessage()
    assert account.webhook_token not in record.getMessage()  # the URL's token stays out of logs

    channel.webhooks["whatsapp"] = demo.channel.webhooks["whatsapp"]  # webcare is back
    item = streamer.deliver_next()
    assert item is not None
    assert (item.thread.key, item.index) == (thread.key, 0)
    assert (streamer.failed, streamer.delivered) == (1, 1)
    _message(demo.runtime, demo.cast.accounts["whatsapp"].id, thread.turns[0].text)


def test_a_refused_delivery_is_logged_and_the_stream_goes_on_with_the_next_thread(
    demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    webhooks = dict(demo.channel.webhooks)
    webhooks["x"] = f"{demo.app_url}/webhooks/x/no-such-token"  # webcare answers 404
    channel = SimulatedTraffic(demo.state, demo.client, webhooks)
    refused, fine = _thread("x", "mention"), _thread("facebook", "message")
    streamer = TrafficStreamer([refused, fine], channel)

    with caplog.at_level(logging.WARNING, logger="webcare.demo.traffic"):
        assert streamer.deliver_next() is None
        item = streamer.deliver_next()

    assert item is not None
    assert item.thread.key == fine.key
    (record,) = caplog.records
    assert "x-mention-storing#0" in record.getMessage()
    assert "404" in record.getMessage()
    _message(demo.runtime, demo.cast.accounts["facebook"].id, fine.turns[0].text)
    assert customer_view.delivered(demo.state, "x") == []  # nothing half-remembered


def test_the_background_stream_delivers_without_being_called(demo: Demo) -> None:
    streamer = TrafficStreamer([_thread("facebook", "message")], demo.channel, interval=0.5)
    streamer.start()
    try:
        deadline = time.monotonic() + 20
        while streamer.delivered == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        streamer.stop()
    assert streamer.delivered >= 1


def test_webcare_demo_serves_the_simulator_and_points_the_cast_at_it(
    runtime: Runtime, cast: Cast
) -> None:
    with live_server(runtime) as app_url:
        simulation = start_demo_simulation(
            runtime, host="127.0.0.1", port=free_port(), webcare_url=app_url, interval=60
        )
        try:
            page = httpx.get(simulation.customer_view_url, timeout=10)
            assert page.status_code == 200
            assert "No customer has written here yet." in page.text
            with unit_of_work(runtime.session_factory) as session:
                account = session.get(ChannelAccount, cast.accounts["whatsapp"].id)
                assert account is not None
                assert account.settings["api_base"] == f"{simulation.url}/whatsapp"
                context = channels.context(account, runtime.secret_box)
                assert context.credentials["access_token"] == simulated.WA_ACCESS_TOKEN
                assert simulated.WA_ACCESS_TOKEN not in str(account.credentials_encrypted)
                email = session.get(ChannelAccount, cast.accounts["email"].id)
                assert email is not None
                assert email.settings["imap_port"] == simulation.mail.imap_port
            assert simulation.streamer.deliver_next() is not None
        finally:
            simulation.stop()
    banner = DemoInfo("wc_token", 0).banner("127.0.0.1", 8000, simulation.customer_view_url)
    assert f"customers   {simulation.customer_view_url}" in banner


def test_a_busy_simulator_port_is_a_clear_error(runtime: Runtime, cast: Cast) -> None:
    with live_simulator() as (sim_url, _state):
        port = int(sim_url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError, match=f"could not listen on 127.0.0.1:{port}"):
            start_demo_simulation(
                runtime, host="127.0.0.1", port=port, webcare_url=sim_url, interval=60
            )


def test_every_thread_of_the_demo_traffic_is_playable() -> None:
    threads = load_traffic()
    assert {(t.platform, t.kind) for t in threads} == {*EXPECTED_KIND, ("email", "email")}
    assert all(not t.turns[0].after_reply for t in threads)


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"key": "a", "platform": "x", "kind": "review"}, "x has no 'review' traffic"),
        ({"key": "a", "platform": "facebook", "kind": "comment"}, "needs a facebook post"),
        ({"key": "a", "platform": "google_reviews", "kind": "review"}, "needs stars"),
    ],
)
def test_a_broken_traffic_file_fails_on_start_with_a_reason(
    spec: dict[str, Any], error: str
) -> None:
    thread = {"customer": {"name": "Test"}, "turns": [{"text": "hoi"}], **spec}
    with pytest.raises(ValueError, match=error):
        load_traffic({"threads": [thread]})


def test_simulated_values_are_valid_connect_form_values() -> None:
    from webcare.channel.connect_forms import split_values

    for key in simulated.SIMULATED_KEYS:
        _credentials, settings, generated = split_values(
            key, simulated.connect_values(key, "http://sim")
        )
        assert settings["api_base"].startswith("http://sim/")
        assert not generated
