"""The send job: deliver one pending reply through its channel's connector.

Exactly-once towards the agent: the message moves ``pending -> sent | failed`` once; a job for
a message that is no longer pending does nothing. Towards the platform we send at least once
and pass a stable idempotency key, so a crash between the platform's answer and our commit
cannot make a platform that honours the key show the reply twice.

The job's transaction is committed before the network call: on SQLite a transaction holds the
database write lock, and no lock may be held across network I/O.

The action job (``channel.perform_action``: hide, unhide, like) works the same way and shares
the error handling (:func:`settle`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from webcare.channel import actions as message_actions
from webcare.channel import poll_tasks  # noqa: F401 - registers the polling jobs
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount, Health
from webcare.channel.ports import (
    Action,
    AuthFailed,
    ConnectorError,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    RateLimited,
    SendResult,
    TransientError,
)
from webcare.contact import service as contacts
from webcare.conversation import reply as replies
from webcare.conversation import service as conversations
from webcare.conversation.models import Message
from webcare.kit.errors import Invalid
from webcare.worker.errors import RetryLater
from webcare.worker.models import Job
from webcare.worker.registry import JobContext, task

log = logging.getLogger(__name__)


@task(replies.SEND_JOB)
def send_reply(ctx: JobContext) -> None:
    workspace_id = int(ctx.workspace_id or 0)
    message_id = int(ctx.payload["message_id"])
    message = replies.pending_message(ctx.session, workspace_id, message_id)
    if message is None:
        return  # already sent, failed or gone: never send twice
    account = channels.get_or_raise(ctx.session, workspace_id, message.channel_account_id)
    outbound = _outbound(ctx.session, message, account)
    channel_ctx = channels.context(account, ctx.runtime.secret_box)
    platform = account.platform
    ctx.session.commit()  # release locks before talking to the platform
    try:
        with channels.http_client() as client:
            result = channels.sender_for(platform, client).send_reply(channel_ctx, outbound)
    except ConnectorError as exc:
        _handle_failure(ctx, message_id, exc)
        return
    except Invalid as exc:  # no connector can send on this platform
        _fail(ctx.session, workspace_id, message_id, exc.detail)
        return
    except Exception as exc:
        # A bug in a connector: retried like a transient error, and never left pending forever.
        _handle_failure(ctx, message_id, TransientError(f"unexpected {exc.__class__.__name__}"))
        return
    _succeed(ctx.session, workspace_id, message_id, result)


def _outbound(session: Session, message: Message, account: ChannelAccount) -> OutboundReply:
    conversation = conversations.get_or_raise(
        session, message.workspace_id, message.conversation_id
    )
    recipients = contacts.identities(session, message.workspace_id, [conversation.contact_id])
    recipient = next(
        (
            i.platform_user_id
            for i in recipients[conversation.contact_id]
            if i.platform == account.platform
        ),
        None,
    )
    return OutboundReply(
        text=message.text,
        visibility=MessageVisibility(message.visibility),
        idempotency_key=message.idempotency_key or f"webcare-{message.id}",
        conversation_id=conversation.id,
        recipient_platform_user_id=recipient,
        reply_to_external_id=message.reply_to_external_id,
        subject=conversation.subject,
        customer_last_message_at=conversation.last_inbound_at,
        template=(message.raw or {}).get("template"),
    )


def _handle_failure(ctx: JobContext, message_id: int, exc: ConnectorError) -> None:
    workspace_id = int(ctx.workspace_id or 0)

    def account_id() -> int | None:
        message = replies.pending_message(ctx.session, workspace_id, message_id)
        return message.channel_account_id if message is not None else None

    settle(
        ctx,
        exc,
        account_id=account_id,
        give_up=lambda reason: _fail(ctx.session, workspace_id, message_id, reason),
    )


def settle(
    ctx: JobContext,
    exc: ConnectorError,
    *,
    account_id: Callable[[], int | None],
    give_up: Callable[[str], None],
) -> None:
    """What a platform job does with a connector error (the tree in ``channel.ports``).

    Rate limits wait for the platform's ``retry_after``; transient errors are retried with
    backoff until the last attempt; rejected credentials flag the account (``account_id()``,
    None to skip) as needing re-authorisation. Whatever cannot be retried ends in
    ``give_up(reason)`` with a reason the agent can read.
    """
    if isinstance(exc, RateLimited):
        raise RetryLater(exc.reason, retry_after=exc.retry_after) from exc
    if isinstance(exc, TransientError):
        if not _last_attempt(ctx):
            raise exc  # the worker retries with backoff
        give_up(f"gave up after {ctx.attempt} attempts: {exc.reason}")
        return
    if isinstance(exc, AuthFailed):
        found = account_id()
        if found is not None:
            account = channels.get_or_raise(ctx.session, int(ctx.workspace_id or 0), found)
            channels.mark_health(account, Health.NEEDS_REAUTH, exc.reason)
        give_up(f"the channel needs re-authorisation: {exc.reason}")
        return
    assert isinstance(exc, PermanentError)
    give_up(exc.reason)


@task(message_actions.ACTION_JOB)
def perform_action(ctx: JobContext) -> None:
    """Hide, unhide or like a customer's message on its platform (``channel/actions.py``)."""
    workspace_id = int(ctx.workspace_id or 0)
    message_id = int(ctx.payload["message_id"])
    action = Action(ctx.payload["action"])
    found = message_actions.target(ctx.session, workspace_id, message_id)
    if found is None:
        return  # the message is gone: nothing to act on
    message, account = found
    external_id, account_id = str(message.external_id), account.id
    channel_ctx = channels.context(account, ctx.runtime.secret_box)
    platform = account.platform
    ctx.session.commit()  # release locks before talking to the platform

    def give_up(reason: str) -> None:
        message_actions.record_failure(ctx.session, workspace_id, message_id, action, reason)

    try:
        with channels.http_client() as client:
            message_actions.actor_for(platform, client).perform(channel_ctx, action, external_id)
    except ConnectorError as exc:
        settle(ctx, exc, account_id=lambda: account_id, give_up=give_up)
        return
    except Invalid as exc:  # the platform lost its actor since the request
        give_up(exc.detail)
        return
    except Exception as exc:
        settle(
            ctx,
            TransientError(f"unexpected {exc.__class__.__name__}"),
            account_id=lambda: None,
            give_up=give_up,
        )
        return
    message_actions.record_done(ctx.session, workspace_id, message_id, action)


def _last_attempt(ctx: JobContext) -> bool:
    job = ctx.session.get(Job, ctx.job_id)
    return job is None or ctx.attempt >= job.max_attempts


def _fail(session: Session, workspace_id: int, message_id: int, reason: str) -> None:
    message = replies.pending_message(session, workspace_id, message_id)
    if message is not None:
        replies.mark_failed(session, message, reason)
        log.info("reply %s failed: %s", message_id, reason)


def _succeed(session: Session, workspace_id: int, message_id: int, result: SendResult) -> None:
    message = replies.pending_message(session, workspace_id, message_id)
    if message is None:
        log.warning("reply %s was sent but is no longer pending", message_id)
        return
    replies.mark_sent(session, message, result.external_id)
