"""Sending replies through a real SMTP server (aiosmtpd): threading headers, retries, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.connectors.email.conftest import PASSWORD, USER
from tests.connectors.email.servers import (
    Dovecot,
    SmtpServer,
    free_port,
    needs_dovecot,
    smtp_server,
)
from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    TransientError,
)
from webcare.connectors.email.check import EmailChecker
from webcare.connectors.email.smtp import SmtpSender, reply_subject

#: Our local SMTP server takes AUTH without TLS (a test on 127.0.0.1), which aiosmtpd warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CUSTOMER = "anna@example.nl"


def channel(
    port: int, credentials: dict[str, Any] | None = None, **settings: Any
) -> ChannelContext:
    return ChannelContext(
        channel_account_id=3,
        handle=USER,
        settings={
            "address": USER,
            "from_name": "Glasnet Klantenservice",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            **settings,
        },
        credentials=credentials or {},
    )


def reply(key: str = "auto_abc123", **changes: Any) -> OutboundReply:
    fields: dict[str, Any] = {
        "text": "Beste Anna,\n\nWe hebben uw modem opnieuw gestart. Lukt het nu?\n\nGroet, Lars",
        "visibility": MessageVisibility.PRIVATE,
        "idempotency_key": key,
        "conversation_id": 1,
        "recipient_platform_user_id": CUSTOMER,
        "reply_to_external_id": "<CAF1x9a-storing-001@mail.example.nl>",
        "subject": "Storing in Utrecht",
    }
    fields.update(changes)
    return OutboundReply(**fields)


def test_a_reply_is_a_threaded_utf8_mail_to_the_customer(smtp: SmtpServer) -> None:
    result = SmtpSender(clock=lambda: NOW).send_reply(channel(smtp.port), reply(text="Café ✓"))

    (got,) = smtp.recorder.received
    mail = got.message
    assert got.sender == USER
    assert got.recipients == [CUSTOMER]
    assert mail["From"] == f"Glasnet Klantenservice <{USER}>"
    assert mail["To"] == CUSTOMER
    assert mail["Subject"] == "Re: Storing in Utrecht"
    assert mail["In-Reply-To"] == "<CAF1x9a-storing-001@mail.example.nl>"
    assert mail["References"] == "<CAF1x9a-storing-001@mail.example.nl>"
    assert mail["Message-ID"] == result.external_id
    assert result.external_id.endswith("@glasnet.nl>")
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().strip() == "Café ✓"


def test_a_retry_of_the_same_reply_sends_the_same_message_id(smtp: SmtpServer) -> None:
    sender = SmtpSender()
    first = sender.send_reply(channel(smtp.port), reply("auto_same"))
    again = sender.send_reply(channel(smtp.port), reply("auto_same"))
    other = sender.send_reply(channel(smtp.port), reply("auto_other"))

    sent_ids = [r.message["Message-ID"] for r in smtp.recorder.received]
    assert first.external_id == again.external_id != other.external_id
    assert sent_ids == [first.external_id, first.external_id, other.external_id]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Storing", "Re: Storing"),
        ("Re: Storing", "Re: Storing"),
        ("RE: re: Storing", "Re: Storing"),
        ("Antw: Storing", "Re: Storing"),
        ("AW: Störung", "Re: Störung"),
        ("Regeling", "Re: Regeling"),
        (None, "Re: your message"),
        ("Storing\r\nBcc: victim@example.com", "Re: Storing Bcc: victim@example.com"),
    ],
)
def test_the_subject_gets_one_re_and_never_a_line_break(subject: str | None, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_a_refused_recipient_fails_for_good_with_the_servers_words(smtp: SmtpServer) -> None:
    smtp.recorder.refuse[CUSTOMER] = "550 5.1.1 <anna@example.nl>: Recipient address rejected"

    with pytest.raises(PermanentError, match=r"550 5\.1\.1 .*Recipient address rejected"):
        SmtpSender().send_reply(channel(smtp.port), reply())
    assert smtp.recorder.received == []


def test_a_temporary_refusal_is_retried_later(smtp: SmtpServer) -> None:
    smtp.recorder.refuse[CUSTOMER] = "450 4.2.1 Mailbox busy, try again later"

    with pytest.raises(TransientError, match="450"):
        SmtpSender().send_reply(channel(smtp.port), reply())


def test_a_server_that_is_down_is_a_transient_error() -> None:
    with pytest.raises(TransientError, match="could not reach SMTP server"):
        SmtpSender().send_reply(channel(free_port()), reply())


def test_a_reply_without_a_customer_address_is_refused_before_connecting() -> None:
    with pytest.raises(PermanentError, match="no e-mail address"):
        SmtpSender().send_reply(channel(free_port()), reply(recipient_platform_user_id=None))


def test_smtp_login_with_the_right_password_sends_and_a_wrong_one_is_auth_failed() -> None:
    with smtp_server(users={USER: PASSWORD}) as server:
        good = channel(server.port, {"username": USER, "password": PASSWORD})
        bad = channel(server.port, {"username": USER, "password": "nope-nope"})
        anonymous = channel(server.port)

        SmtpSender().send_reply(good, reply())
        with pytest.raises(AuthFailed) as caught:
            SmtpSender().send_reply(bad, reply())
        with pytest.raises(AuthFailed):  # the server demands AUTH: 530
            SmtpSender().send_reply(anonymous, reply())

        assert len(server.recorder.received) == 1
        assert "nope-nope" not in caught.value.reason


@needs_dovecot
def test_test_connection_logs_in_to_both_servers(imap_server: Dovecot) -> None:
    with smtp_server(users={USER: PASSWORD}) as server:
        settings = {"imap_host": "127.0.0.1", "imap_port": imap_server.port, "imap_ssl": False}
        good = channel(server.port, {"username": USER, "password": PASSWORD}, **settings)
        bad = channel(server.port, {"username": USER, "password": "wrong"}, **settings)

        assert EmailChecker().check(good) == f"Connected as {USER}"
        with pytest.raises(AuthFailed):
            EmailChecker().check(bad)


def test_starttls_against_a_server_without_it_is_a_setting_to_fix(smtp: SmtpServer) -> None:
    with pytest.raises(PermanentError, match="does not support"):
        SmtpSender().send_reply(channel(smtp.port, smtp_starttls=True), reply())
    assert smtp.recorder.received == []
