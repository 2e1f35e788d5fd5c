"""The e-mail channel end to end, on both databases: a customer's mail in a real Dovecot is
polled into the inbox, the agent's reply goes out through a real SMTP server, and the
customer's answer to it lands in the same conversation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs, token_for
from tests.connectors.email.conftest import PASSWORD, USER
from tests.connectors.email.mails import customer_mail
from tests.connectors.email.servers import (
    Dovecot,
    SmtpServer,
    free_port,
    needs_dovecot,
    smtp_server,
)
from webcare.channel import attachments, polling
from webcare.channel.models import ChannelAccount
from webcare.channel.ports import ChannelContext
from webcare.connectors.email.imap import ImapPoller
from webcare.conversation.models import Message
from webcare.demo.cast import Cast
from webcare.ingestion import service as ingestion
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.worker.models import Job

pytestmark = needs_dovecot

CUSTOMER = "anna@example.nl"


def connect_mailbox(
    runtime: Runtime,
    cast: Cast,
    imap: Dovecot,
    mailbox: str,
    smtp_port: int,
    password: str = PASSWORD,
) -> int:
    """Point the cast's e-mail account at the test servers, as an admin would connect it."""
    account_id = cast.accounts["email"].id
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        account.settings = {
            "address": USER,
            "from_name": "Glasnet Klantenservice",
            "imap_host": "127.0.0.1",
            "imap_port": imap.port,
            "imap_ssl": False,
            "mailbox": mailbox,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_starttls": False,
        }
        credentials = {"username": USER, "password": password}
        account.credentials_encrypted = runtime.secret_box.encrypt(json.dumps(credentials))
    return account_id


def poll(runtime: Runtime, account_id: int) -> None:
    """What the scheduler does when the account is due: queue its poll, a worker runs it."""
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        polling.enqueue_poll(session, account)
    drain_jobs(runtime)


def message(runtime: Runtime, external_id: str) -> Message:
    with runtime.session_factory() as session:
        found = session.scalars(sa.select(Message).where(Message.external_id == external_id))
        return found.one()


def thread(api: TestClient, conversation_id: int) -> dict[str, Any]:
    response = api.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def reply(api: TestClient, conversation_id: int, text: str) -> dict[str, Any]:
    response = api.post(f"/api/v1/conversations/{conversation_id}/replies", json={"text": text})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_mail_in_reply_out_and_the_customers_answer_stays_in_one_conversation(
    runtime: Runtime,
    cast: Cast,
    api: TestClient,
    imap_server: Dovecot,
    mailbox: str,
    smtp: SmtpServer,
) -> None:
    account_id = connect_mailbox(runtime, cast, imap_server, mailbox, smtp.port)
    imap_server.deliver(
        USER,
        customer_mail("<first@example.nl>", "Mijn internet doet het niet.", subject="Storing"),
        mailbox,
    )

    poll(runtime, account_id)
    poll(runtime, account_id)  # nothing new: nothing stored twice
    conversation_id = message(runtime, "<first@example.nl>").conversation_id
    sent = reply(api, conversation_id, "We kijken ernaar, Anna.")
    drain_jobs(runtime)

    (got,) = smtp.recorder.received
    our_id = got.message["Message-ID"]
    assert got.recipients == [CUSTOMER]
    assert got.message["Subject"] == "Re: Storing"
    assert got.message["In-Reply-To"] == "<first@example.nl>"
    assert message(runtime, our_id).id == sent["id"]
    imap_server.deliver(
        USER,
        customer_mail(
            "<second@example.nl>",
            "Het werkt weer, dank!\n\nOp 23 nov 2026 schreef Glasnet:\n> We kijken ernaar, Anna.",
            subject="Re: Storing",
            in_reply_to=our_id,
            references=["<first@example.nl>", our_id],
            # A Date header has whole seconds: the answer comes a minute after our reply.
            date=datetime.now(UTC) + timedelta(minutes=1),
        ),
        mailbox,
    )
    poll(runtime, account_id)

    detail = thread(api, conversation_id)
    messages = [(m["direction"], m["text"], m["delivery_status"]) for m in detail["messages"]]
    assert messages == [
        ("inbound", "Mijn internet doet het niet.", None),
        ("outbound", "We kijken ernaar, Anna.", "sent"),
        ("inbound", "Het werkt weer, dank!", None),
    ]
    assert detail["subject"] == "Storing"


def test_a_recipient_the_server_refuses_marks_the_reply_failed_with_its_reason(
    runtime: Runtime,
    cast: Cast,
    api: TestClient,
    imap_server: Dovecot,
    mailbox: str,
    smtp: SmtpServer,
) -> None:
    account_id = connect_mailbox(runtime, cast, imap_server, mailbox, smtp.port)
    imap_server.deliver(USER, customer_mail("<refused@example.nl>"), mailbox)
    poll(runtime, account_id)
    smtp.recorder.refuse[CUSTOMER] = "550 5.1.1 User unknown"

    sent = reply(api, message(runtime, "<refused@example.nl>").conversation_id, "Hallo?")
    drain_jobs(runtime)

    with runtime.session_factory() as session:
        stored = session.get(Message, sent["id"])
        assert stored is not None
        assert stored.delivery_status == "failed"
        assert "550 5.1.1 User unknown" in (stored.delivery_error or "")
    assert smtp.recorder.received == []


def test_a_reply_while_the_smtp_server_is_down_is_retried_and_then_sent(
    runtime: Runtime, cast: Cast, api: TestClient, imap_server: Dovecot, mailbox: str
) -> None:
    port = free_port()
    account_id = connect_mailbox(runtime, cast, imap_server, mailbox, port)
    imap_server.deliver(USER, customer_mail("<down@example.nl>"), mailbox)
    poll(runtime, account_id)

    sent = reply(api, message(runtime, "<down@example.nl>").conversation_id, "Even geduld.")
    drain_jobs(runtime)
    with runtime.session_factory() as session:
        stored = session.get(Message, sent["id"])
        assert stored is not None
        assert stored.delivery_status == "pending"
        job = session.scalars(sa.select(Job).where(Job.name == "channel.send_reply")).one()
        assert job.attempts == 1
        assert "could not reach SMTP server" in (job.last_error or "")

    with smtp_server(port=port) as server:
        with unit_of_work(runtime.session_factory) as session:  # the backoff has passed
            session.execute(sa.update(Job).where(Job.id == job.id).values(run_at=sa.func.now()))
        drain_jobs(runtime)

    (got,) = server.recorder.received
    assert got.message.get_content().strip() == "Even geduld."
    assert message(runtime, got.message["Message-ID"]).delivery_status == "sent"


def test_a_wrong_mailbox_password_flags_the_account_for_reconnecting(
    runtime: Runtime, cast: Cast, imap_server: Dovecot, mailbox: str
) -> None:
    account_id = connect_mailbox(
        runtime, cast, imap_server, mailbox, free_port(), password="not-the-password"
    )

    poll(runtime, account_id)

    with runtime.session_factory() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        assert account.health == "needs_reauth"
        assert "refused the login" in (account.health_detail or "")
        assert "not-the-password" not in (account.health_detail or "")
        assert not polling.is_polled(account)


def test_attachments_are_kept_once_and_served_only_to_the_workspace(
    runtime: Runtime,
    cast: Cast,
    other_cast: Cast,
    api: TestClient,
    imap_server: Dovecot,
    mailbox: str,
) -> None:
    account_id = connect_mailbox(runtime, cast, imap_server, mailbox, free_port())
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    imap_server.deliver(
        USER,
        customer_mail("<photo@example.nl>", attachment=("modem.png", "image/png", png)),
        mailbox,
    )
    imap_server.deliver(
        USER,
        customer_mail(
            "<page@example.nl>", attachment=("x.html", "text/html", b"<script>1</script>")
        ),
        mailbox,
    )
    with runtime.session_factory() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        credentials = {"username": USER, "password": PASSWORD}
        channel = ChannelContext(account.id, account.handle, dict(account.settings), credentials)
    result = ImapPoller().poll(channel, {})

    # What the poll job does with a poll's events (see the report: one line there).
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        assert attachments.keep(session, account, result.events) == 2
        assert attachments.keep(session, account, result.events) == 0  # polled again: kept once
        ingestion.ingest_events(session, account, result.events, reopen_window=timedelta(days=7))

    photo = message(runtime, "<photo@example.nl>").attachments[0]
    page = message(runtime, "<page@example.nl>").attachments[0]
    assert "content" not in photo

    shown = api.get(photo["url"])
    assert shown.status_code == 200
    assert shown.content == png
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["x-content-type-options"] == "nosniff"
    downloaded = api.get(page["url"])
    assert downloaded.headers["content-type"] == "application/octet-stream"
    assert downloaded.headers["content-disposition"].startswith("attachment;")

    api.headers["Authorization"] = f"Bearer {token_for(runtime, other_cast)}"
    assert api.get(photo["url"]).status_code == 404
    del api.headers["Authorization"]
    assert api.get(photo["url"]).status_code == 401
    assert api.get("/attachments/does-not-exist").status_code == 401


def test_an_admin_tests_the_mailbox_connection(
    runtime: Runtime,
    cast: Cast,
    api: TestClient,
    imap_server: Dovecot,
    mailbox: str,
    smtp: SmtpServer,
) -> None:
    good = connect_mailbox(runtime, cast, imap_server, mailbox, smtp.port)
    assert api.post(f"/api/v1/channel-accounts/{good}/test").json() == {
        "ok": True,
        "detail": f"Connected as {USER}",
        "health": "ok",
    }

    connect_mailbox(runtime, cast, imap_server, mailbox, smtp.port, password="typo")
    failed = api.post(f"/api/v1/channel-accounts/{good}/test").json()

    assert failed["ok"] is False
    assert failed["health"] == "needs_reauth"
    assert "refused the login" in failed["detail"]
    assert "typo" not in failed["detail"]
