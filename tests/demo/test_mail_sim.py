"""The demo's mail simulator: webcare's real e-mail connector polls its IMAP INBOX and sends
through its SMTP sink, and the demo streams e-mail customers like the other platforms.

The connector's own classes (``ImapPoller``, ``EmailChecker``, ``SmtpSender``) talk to the
simulator over real sockets, so these tests fail when the simulator speaks a dialect the
connector does not understand.
"""

from __future__ import annotations

import imaplib
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.demo import test_traffic
from tests.demo.test_traffic import Demo, _message, _reply, _thread
from webcare.channel import polling
from webcare.channel.models import ChannelAccount
from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    ConversationKind,
    InboundMessage,
    MessageVisibility,
    OutboundReply,
)
from webcare.connectors.email.check import EmailChecker
from webcare.connectors.email.imap import ImapPoller
from webcare.connectors.email.smtp import SmtpSender
from webcare.demo.traffic import load_traffic
from webcare.kit.db import unit_of_work
from webcare.simulator import customer_view, mail
from webcare.simulator.serving import link_demo_mailbox
from webcare.simulator.state import SimState

demo = test_traffic.demo  # the live webcare + simulator pair of the traffic tests

CUSTOMER = "klant@example.nl"


@pytest.fixture
def sim() -> Iterator[tuple[SimState, mail.MailServers]]:
    state = SimState()
    mail.configure_mailbox(state, username=mail.DEMO_USERNAME, password=mail.DEMO_PASSWORD)
    servers = mail.start_mail_servers(state)
    try:
        yield state, servers
    finally:
        servers.stop()


def _channel(servers: mail.MailServers, password: str = mail.DEMO_PASSWORD) -> ChannelContext:
    return ChannelContext(
        channel_account_id=1,
        handle=mail.DEMO_USERNAME,
        settings={
            "address": mail.DEMO_USERNAME,
            "imap_host": servers.host,
            "imap_port": servers.imap_port,
            "imap_ssl": False,
            "smtp_host": servers.host,
            "smtp_port": servers.smtp_port,
            "smtp_starttls": False,
        },
        credentials={"username": mail.DEMO_USERNAME, "password": password},
    )


def _customer_mail(message_id: str, text: str, **headers: str) -> bytes:
    return mail.compose(
        sender=("Klaas Klant", CUSTOMER),
        to=mail.DEMO_USERNAME,
        subject=headers.pop("subject", "Storing"),
        text=text,
        message_id=message_id,
        in_reply_to=headers.pop("in_reply_to", None),
        references=headers.pop("references", "").split() or None,
    )


def test_the_poller_gets_a_delivered_mail_once_and_then_only_newer_ones(
    sim: tuple[SimState, mail.MailServers],
) -> None:
    state, servers = sim
    channel = _channel(servers)
    poller = ImapPoller()
    assert poller.poll(channel, {}).events == ()  # an empty INBOX is fine

    mail.deliver_mail(state, _customer_mail("<m1@example.nl>", "Mijn internet doet het niet."))
    first = poller.poll(channel, {})
    (message,) = first.events
    assert isinstance(message, InboundMessage)
    assert message.external_id == "<m1@example.nl>"
    assert message.text == "Mijn internet doet het niet."
    assert message.author.platform_user_id == CUSTOMER
    assert message.kind == ConversationKind.EMAIL

    assert poller.poll(channel, first.cursor).events == ()  # nothing new: nothing twice

    mail.deliver_mail(state, _customer_mail("<m2@example.nl>", "Nog steeds niet."))
    second = poller.poll(channel, first.cursor)
    assert [m.external_id for m in second.events] == ["<m2@example.nl>"]
    assert second.cursor["last_uid"] == 2
    assert second.cursor["uidvalidity"] == first.cursor["uidvalidity"]


def test_a_new_simulator_inbox_is_read_from_the_start_despite_an_old_cursor() -> None:
    """A restarted demo keeps webcare's cursor but its INBOX starts at UID 1 again."""
    cursors: list[dict[str, Any]] = []
    for validity in (7, 8):
        state = SimState()
        mail.configure_mailbox(
            state, username=mail.DEMO_USERNAME, password=mail.DEMO_PASSWORD, uidvalidity=validity
        )
        for n in range(validity - 5):  # 2 mails, then 3
            mail.deliver_mail(state, _customer_mail(f"<v{validity}-{n}@example.nl>", "Hallo"))
        servers = mail.start_mail_servers(state)
        try:
            result = ImapPoller().poll(_channel(servers), cursors[-1] if cursors else {})
        finally:
            servers.stop()
        cursors.append(result.cursor)
        assert [m.external_id for m in result.events] == [
            f"<v{validity}-{n}@example.nl>" for n in range(validity - 5)
        ]
    assert cursors == [{"uidvalidity": 7, "last_uid": 2}, {"uidvalidity": 8, "last_uid": 3}]


def test_a_mail_with_dots_and_non_ascii_arrives_byte_for_byte(
    sim: tuple[SimState, mail.MailServers],
) -> None:
    state, servers = sim
    raw = _customer_mail("<m3@example.nl>", "Één vraag:\n.punt aan het begin\n\nGroet")
    mail.deliver_mail(state, raw)
    with imaplib.IMAP4(servers.host, servers.imap_port) as imap:
        imap.login(mail.DEMO_USERNAME, mail.DEMO_PASSWORD)
        imap.select("INBOX", readonly=True)
        status, data = imap.uid("FETCH", "1", "(UID RFC822.SIZE BODY.PEEK[])")
    assert status == "OK"
    head, body = data[0]
    assert isinstance(head, bytes)
    assert isinstance(body, bytes)
    assert body == raw
    assert f"RFC822.SIZE {len(raw)}".encode() in head


def test_the_connection_check_says_connected_and_a_wrong_password_is_refused(
    sim: tuple[SimState, mail.MailServers],
) -> None:
    _, servers = sim
    assert EmailChecker().check(_channel(servers)) == f"Connected as {mail.DEMO_USERNAME}"
    with pytest.raises(AuthFailed, match="refused the login"):
        EmailChecker().check(_channel(servers, password="wrong"))
    with pytest.raises(AuthFailed, match="refused the login"):
        SmtpSender().send_reply(_channel(servers, password="wrong"), _outbound("hoi"))


def _outbound(text: str) -> OutboundReply:
    return OutboundReply(
        text=text,
        visibility=MessageVisibility.PRIVATE,
        idempotency_key="reply-1",
        conversation_id=1,
        recipient_platform_user_id=CUSTOMER,
        reply_to_external_id="<m1@example.nl>",
        subject="Storing",
    )


def test_a_reply_reaches_the_sink_with_its_threading_headers(
    sim: tuple[SimState, mail.MailServers],
) -> None:
    state, servers = sim
    text = "Beste Klaas,\n.hierboven een punt\n\nGroet, Glasnet"
    result = SmtpSender().send_reply(_channel(servers), _outbound(text))

    (sent,) = state.sent("email")
    assert sent.kind == "email"
    assert sent.external_id == result.external_id
    assert sent.recipient == CUSTOMER
    assert sent.in_reply_to == "<m1@example.nl>"
    assert sent.request["subject"] == "Re: Storing"
    assert sent.request["references"] == "<m1@example.nl>"
    assert sent.text == text  # dot-stuffed on the wire, unstuffed by the sink


def test_the_sink_refuses_commands_out_of_order_and_keeps_nothing(
    sim: tuple[SimState, mail.MailServers],
) -> None:
    state, servers = sim
    with smtplib.SMTP(servers.host, servers.smtp_port) as smtp:
        smtp.ehlo()
        assert smtp.docmd("RCPT", "TO:<a@example.nl>")[0] == 503
        assert smtp.docmd("DATA")[0] == 503
        assert smtp.docmd("AUTH", "PLAIN !!notbase64")[0] == 501
        assert smtp.docmd("VRFY", "a@example.nl")[0] == 502
        assert smtp.noop()[0] == 250
    assert state.sent("email") == []


def test_imap_refuses_what_it_does_not_know_and_unknown_mailboxes() -> None:
    state = SimState()  # no login configured: nobody gets in
    servers = mail.start_mail_servers(state)
    try:
        with (
            imaplib.IMAP4(servers.host, servers.imap_port) as imap,
            pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"),
        ):
            imap.login(mail.DEMO_USERNAME, mail.DEMO_PASSWORD)
        mail.configure_mailbox(state, username=mail.DEMO_USERNAME, password=mail.DEMO_PASSWORD)
        with imaplib.IMAP4(servers.host, servers.imap_port) as imap:
            imap.login(mail.DEMO_USERNAME, mail.DEMO_PASSWORD)
            assert imap.select('"Archief"', readonly=True)[0] == "NO"
            imap.select("INBOX")
            with pytest.raises(imaplib.IMAP4.error, match="only SEARCH ALL"):
                imap.uid("SEARCH", "FROM x")
            assert imap.uid("SEARCH", "UID 1:*") == ("OK", [b""])
    finally:
        servers.stop()


# --- the demo --------------------------------------------------------------------------------


@pytest.fixture
def mail_demo(demo: Demo) -> Iterator[Demo]:
    """The traffic tests' live pair plus the mail servers, the e-mail account pointed at them."""
    servers = mail.start_mail_servers(demo.state)
    try:
        link_demo_mailbox(demo.runtime, servers)
        yield demo
    finally:
        servers.stop()


def _poll_mailbox(demo: Demo) -> None:
    with unit_of_work(demo.runtime.session_factory) as session:
        account = session.get(ChannelAccount, demo.cast.accounts["email"].id)
        assert account is not None
        assert account.settings["poll_interval_seconds"] == 15
        polling.enqueue_poll(session, account)
    drain_jobs(demo.runtime)


def test_a_streamed_mail_becomes_an_email_conversation_and_the_reply_reaches_the_customer(
    mail_demo: Demo, api: TestClient
) -> None:
    demo = mail_demo
    thread = _thread("email", "email")
    assert thread.turns[1].after_reply
    streamer = demo.streamer([thread])
    assert streamer.deliver_next() is not None
    _poll_mailbox(demo)

    account_id = demo.cast.accounts["email"].id
    message, conversation = _message(demo.runtime, account_id, thread.turns[0].text)
    assert conversation.kind == "email"
    assert message.direction == "inbound"
    (delivered,) = customer_view.delivered(demo.state, "email")
    assert message.external_id == delivered.external_id

    _reply(api, conversation.id, "Beste Marieke, we storten het dubbele bedrag terug.")
    drain_jobs(demo.runtime)

    (sent,) = demo.state.sent("email")
    assert sent.recipient == thread.customer.handle
    assert sent.in_reply_to == delivered.external_id
    assert sent.request["subject"] == f"Re: {thread.subject}"
    page = demo.page("/customer/email")
    assert thread.customer.name in page
    assert f"Subject: {thread.subject}" in page
    assert "we storten het dubbele bedrag terug" in page

    # The customer answers Glasnet's mail; it threads into the same conversation.
    follow_up = streamer.deliver_next()
    assert follow_up is not None
    assert (follow_up.thread.key, follow_up.index) == (thread.key, 1)
    _poll_mailbox(demo)
    answer, joined = _message(demo.runtime, account_id, thread.turns[1].text)
    assert joined.id == conversation.id
    assert answer.reply_to_external_id == sent.external_id
    _poll_mailbox(demo)  # polling again stores nothing twice
    _message(demo.runtime, account_id, thread.turns[1].text)


def test_an_email_thread_without_an_address_fails_on_start() -> None:
    thread = {"key": "m", "platform": "email", "kind": "email", "customer": {"name": "Anna"}}
    with pytest.raises(ValueError, match="needs an address as handle"):
        load_traffic({"threads": [{**thread, "turns": [{"text": "hoi"}]}]})
