"""Polling a real (private) Dovecot over IMAP: every mail arrives once, the mailbox is untouched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.connectors.email.conftest import PASSWORD, USER
from tests.connectors.email.mails import customer_mail
from tests.connectors.email.servers import Dovecot, free_port, needs_dovecot
from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    InboundMessage,
    PermanentError,
    TransientError,
)
from webcare.connectors.email import imap
from webcare.connectors.email.imap import ImapPoller

pytestmark = needs_dovecot


def channel(
    server: Dovecot, mailbox: str, password: str = PASSWORD, **settings: Any
) -> ChannelContext:
    return ChannelContext(
        channel_account_id=3,
        handle=USER,
        settings={
            "address": USER,
            "imap_host": "127.0.0.1",
            "imap_port": server.port,
            "imap_ssl": False,
            "mailbox": mailbox,
            **settings,
        },
        credentials={"username": USER, "password": password},
    )


def ids(events: tuple[object, ...]) -> list[str]:
    return [e.external_id for e in events if isinstance(e, InboundMessage)]


def test_new_mails_arrive_once_and_a_second_poll_finds_nothing(
    imap_server: Dovecot, mailbox: str
) -> None:
    ctx = channel(imap_server, mailbox)
    imap_server.deliver(USER, customer_mail("<m1@example.nl>"), mailbox)
    imap_server.deliver(USER, customer_mail("<m2@example.nl>"), mailbox)

    first = ImapPoller().poll(ctx, {})
    again = ImapPoller().poll(ctx, first.cursor)
    imap_server.deliver(USER, customer_mail("<m3@example.nl>"), mailbox)
    later = ImapPoller().poll(ctx, again.cursor)

    assert ids(first.events) == ["<m1@example.nl>", "<m2@example.nl>"]
    assert first.cursor["last_uid"] == 2
    assert again.events == ()
    assert again.cursor == first.cursor
    assert ids(later.events) == ["<m3@example.nl>"]
    assert later.cursor["last_uid"] == 3


def test_polling_leaves_mails_unread_for_the_people_who_share_the_mailbox(
    imap_server: Dovecot, mailbox: str
) -> None:
    imap_server.deliver(USER, customer_mail("<unread@example.nl>"), mailbox)

    ImapPoller().poll(channel(imap_server, mailbox), {})

    connection = imap_server.imap(USER)
    try:
        connection.select(mailbox, readonly=True)
        _, data = connection.uid("FETCH", "1", "(FLAGS)")
    finally:
        connection.logout()
    assert b"\\Seen" not in data[0]


def test_a_fresh_mailbox_starts_with_only_the_most_recent_mails(
    imap_server: Dovecot, mailbox: str
) -> None:
    for n in range(4):
        imap_server.deliver(USER, customer_mail(f"<old{n}@example.nl>"), mailbox)

    result = ImapPoller().poll(channel(imap_server, mailbox, initial_backlog=2), {})

    assert ids(result.events) == ["<old2@example.nl>", "<old3@example.nl>"]
    assert result.cursor["last_uid"] == 4


def test_a_backlog_of_zero_starts_with_the_next_new_mail(
    imap_server: Dovecot, mailbox: str
) -> None:
    ctx = channel(imap_server, mailbox, initial_backlog=0)
    for n in range(2):
        imap_server.deliver(USER, customer_mail(f"<before{n}@example.nl>"), mailbox)

    first = ImapPoller().poll(ctx, {})
    imap_server.deliver(USER, customer_mail("<after@example.nl>"), mailbox)
    second = ImapPoller().poll(ctx, first.cursor)

    assert first.events == ()
    assert ids(second.events) == ["<after@example.nl>"]


def test_a_big_backlog_is_fetched_in_bounded_batches_without_losing_any(
    imap_server: Dovecot, mailbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap, "BATCH_SIZE", 2)
    for n in range(5):
        imap_server.deliver(USER, customer_mail(f"<b{n}@example.nl>"), mailbox)
    ctx = channel(imap_server, mailbox)

    seen: list[str] = []
    cursor: dict[str, Any] = {}
    for _ in range(4):
        result = ImapPoller().poll(ctx, cursor)
        assert len(result.events) <= 2
        seen += ids(result.events)
        cursor = result.cursor

    assert seen == [f"<b{n}@example.nl>" for n in range(5)]


def test_a_new_uidvalidity_restarts_from_the_recent_mails(
    imap_server: Dovecot, mailbox: str
) -> None:
    ctx = channel(imap_server, mailbox)
    for n in range(3):
        imap_server.deliver(USER, customer_mail(f"<v{n}@example.nl>"), mailbox)
    before = ImapPoller().poll(ctx, {})

    imap_server.recreate(USER, mailbox)  # UIDs start again at 1 under a new UIDVALIDITY
    imap_server.deliver(USER, customer_mail("<after-move@example.nl>"), mailbox)
    after = ImapPoller().poll(ctx, before.cursor)

    assert after.cursor["uidvalidity"] != before.cursor["uidvalidity"]
    assert ids(after.events) == ["<after-move@example.nl>"]
    assert after.cursor["last_uid"] == 1


def test_auto_replies_our_own_mail_and_broken_mail_are_skipped_but_passed(
    imap_server: Dovecot, mailbox: str
) -> None:
    ctx = channel(imap_server, mailbox)
    imap_server.deliver(
        USER, customer_mail("<ooo@example.nl>", headers={"Auto-Submitted": "auto-replied"}), mailbox
    )
    imap_server.deliver(
        USER, customer_mail("<ours@glasnet.nl>", sender=f"Glasnet <{USER}>"), mailbox
    )
    imap_server.deliver(USER, b"Subject: no sender\r\n\r\nwho am I\r\n", mailbox)
    imap_server.deliver(USER, customer_mail("<real@example.nl>"), mailbox)

    result = ImapPoller().poll(ctx, {})

    assert ids(result.events) == ["<real@example.nl>"]
    assert result.cursor["last_uid"] == 4


def test_attachments_come_with_their_bytes(imap_server: Dovecot, mailbox: str) -> None:
    pdf = b"%PDF-1.4 factuur"
    imap_server.deliver(
        USER,
        customer_mail("<att@example.nl>", attachment=("factuur.pdf", "application/pdf", pdf)),
        mailbox,
    )

    (message,) = ImapPoller().poll(channel(imap_server, mailbox), {}).events

    assert isinstance(message, InboundMessage)
    (attachment,) = message.attachments
    assert (attachment.name, attachment.mime_type, attachment.content) == (
        "factuur.pdf",
        "application/pdf",
        pdf,
    )


def test_a_wrong_password_is_an_auth_failure_without_the_password_in_it(
    imap_server: Dovecot, mailbox: str
) -> None:
    with pytest.raises(AuthFailed) as caught:
        ImapPoller().poll(channel(imap_server, mailbox, password="wrong-guess-123"), {})

    assert USER in caught.value.reason
    assert "wrong-guess-123" not in caught.value.reason


def test_a_missing_mailbox_is_a_permanent_error(imap_server: Dovecot) -> None:
    with pytest.raises(PermanentError, match="Nergens"):
        ImapPoller().poll(channel(imap_server, "Nergens"), {})


def test_starttls_against_a_server_without_it_is_a_setting_to_fix(
    imap_server: Dovecot, mailbox: str
) -> None:
    with pytest.raises(PermanentError, match="does not offer STARTTLS"):
        ImapPoller().poll(channel(imap_server, mailbox, imap_starttls=True), {})


def test_a_server_that_is_down_is_a_transient_error(imap_server: Dovecot, mailbox: str) -> None:
    ctx = channel(imap_server, mailbox, imap_port=free_port())

    with pytest.raises(TransientError, match="could not reach IMAP server"):
        ImapPoller().poll(ctx, {})


def test_an_account_without_server_or_password_says_what_is_missing() -> None:
    bare = ChannelContext(channel_account_id=1, handle=USER, settings={}, credentials={})
    with pytest.raises(PermanentError, match="no IMAP server"):
        ImapPoller().poll(bare, {})
    with pytest.raises(AuthFailed, match="no password"):
        ImapPoller().poll(
            ChannelContext(1, USER, {"imap_host": "127.0.0.1", "imap_port": free_port()}, {}),
            {},
        )
