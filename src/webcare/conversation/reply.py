"""Replies: stored as ``pending`` with a send job in the same transaction, then delivered once.

State machine of an outbound message: ``pending -> sent`` (platform id recorded) or
``pending -> failed`` (reason for the agent); ``failed -> pending`` only by an explicit retry.
Platforms that report delivery (WhatsApp) then move a sent message forward to ``delivered``
and ``read``, or to ``failed`` when delivery failed after all (:func:`record_platform_status`).
A retried POST with the same Idempotency-Key returns the first reply instead of a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth import service as users
from webcare.auth.principal import Principal
from webcare.channel import composing
from webcare.channel import service as channels
from webcare.conversation import repository
from webcare.conversation.errors import (
    IdempotencyKeyReused,
    MessageNotFound,
    NotRetryable,
    ReplyCollision,
    ReplyTooLong,
)
from webcare.conversation.events import ReplyDelivered, ReplyQueued
from webcare.conversation.models import Conversation, Delivery, Direction, Message, Visibility
from webcare.conversation.service import get_or_raise, record_outbound
from webcare.events.bus import publish
from webcare.kit.crypto import new_token
from webcare.kit.db import lock_row
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.search.text import index_text
from webcare.worker import service as jobs
from webcare.workspace import service as workspaces

SEND_JOB = "channel.send_reply"
MAX_REPLY_LENGTH = 10_000


@dataclass(frozen=True)
class ReplyResult:
    message: Message
    created: bool


def reply(
    session: Session,
    actor: Principal,
    conversation_id: int,
    *,
    text: str,
    visibility: Visibility | None,
    idempotency_key: str | None,
    sign: bool = False,
    seen_up_to: int | None = None,
) -> ReplyResult:
    """Queue a reply for sending. With a repeated idempotency key, return the first reply.

    ``sign`` adds the agent's signature the way the channel account wants it. With
    ``seen_up_to`` (the newest message id the agent had on screen) a reply that a colleague
    queued after that raises :class:`ReplyCollision` instead of a second answer to the same
    customer; the agent confirms by sending again with the colleague's message id.
    """
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    text = text.strip()
    if not text:
        raise Invalid("a reply needs text")
    account = channels.get_or_raise(session, actor.workspace_id, conversation.channel_account_id)
    if sign:
        text = _signed(session, actor, account.platform, account.settings or {}, text)
    chosen = visibility or _default_visibility(conversation)
    limit = min(composing.max_length(account.platform, chosen.value), MAX_REPLY_LENGTH)
    if len(text) > limit:
        raise ReplyTooLong(composing.platform_name(account.platform), limit, len(text))
    key = idempotency_key or new_token("auto_", 16)
    fingerprint = _fingerprint(conversation_id, text, visibility)
    existing = _existing(session, actor.workspace_id, key, fingerprint)
    if existing is not None:
        return ReplyResult(existing, created=False)
    if seen_up_to is not None:
        newer = repository.replies_after(session, conversation.id, seen_up_to, actor.user_id)
        if newer:
            raise ReplyCollision([(m.id, m.author_user_id, m.text) for m in newer])
    try:
        with session.begin_nested():
            message = _queue(session, actor, conversation, text, visibility, key, fingerprint)
    except IntegrityError:
        # The same key was used by a concurrent request that committed first.
        winner = _existing(session, actor.workspace_id, key, fingerprint)
        if winner is None:
            raise
        return ReplyResult(winner, created=False)
    return ReplyResult(message, created=True)


def _signed(
    session: Session, actor: Principal, platform: str, settings: dict[str, object], text: str
) -> str:
    if actor.user_id is None:
        return text
    membership = workspaces.get_membership(session, actor.workspace_id, actor.user_id)
    user = users.get_user(session, actor.user_id)
    template = composing.template_for(platform, settings)
    return composing.sign(
        text,
        template,
        signature=membership.signature if membership else None,
        name=user.display_name if user else "",
    )


def _existing(session: Session, workspace_id: int, key: str, fingerprint: str) -> Message | None:
    message = repository.message_by_idempotency_key(session, workspace_id, key)
    if message is not None and (message.raw or {}).get("request_fingerprint") != fingerprint:
        raise IdempotencyKeyReused()
    return message


def _fingerprint(conversation_id: int, text: str, visibility: Visibility | None) -> str:
    material = f"{conversation_id}\x00{visibility}\x00{text}".encode()
    return hashlib.sha256(material).hexdigest()


def _default_visibility(conversation: Conversation) -> Visibility:
    public = conversation.kind in repository.PUBLIC_KINDS
    return Visibility.PUBLIC if public else Visibility.PRIVATE


def _queue(
    session: Session,
    actor: Principal,
    conversation: Conversation,
    text: str,
    visibility: Visibility | None,
    key: str,
    fingerprint: str,
) -> Message:
    now = utc_now()
    parent = repository.last_inbound(session, conversation.id)
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        channel_account_id=conversation.channel_account_id,
        external_id=None,
        direction=Direction.OUTBOUND.value,
        visibility=(visibility or _default_visibility(conversation)).value,
        author_user_id=actor.user_id,
        text=text,
        search_text=index_text(text),
        attachments=[],
        reply_to_external_id=parent.external_id if parent else None,
        platform_time=now,
        received_at=now,
        raw={"request_fingerprint": fingerprint},
        delivery_status=Delivery.PENDING.value,
        idempotency_key=key,
    )
    session.add(message)
    session.flush()
    record_outbound(conversation, now)
    jobs.enqueue(
        session,
        SEND_JOB,
        {"message_id": message.id},
        workspace_id=conversation.workspace_id,
        dedupe_key=f"send:{message.id}:{message.delivery_attempts}",
    )
    audit.record(
        session, actor, "reply.queued", "conversation", conversation.id, {"message_id": message.id}
    )
    publish(
        session,
        ReplyQueued(
            workspace_id=actor.workspace_id,
            actor_user_id=actor.user_id,
            conversation_id=conversation.id,
            message_id=message.id,
        ),
    )
    return message


def mark_sent(session: Session, message: Message, external_id: str) -> bool:
    """Record the platform's id. Returns False (and changes nothing) unless still pending."""
    if message.delivery_status != Delivery.PENDING.value:
        return False
    message.delivery_status = Delivery.SENT.value
    message.external_id = external_id
    message.delivery_error = None
    _delivered(session, message)
    return True


def mark_failed(session: Session, message: Message, reason: str) -> bool:
    """Record why the platform refused the reply, for the agent. Only from pending."""
    if message.delivery_status != Delivery.PENDING.value:
        return False
    message.delivery_status = Delivery.FAILED.value
    message.delivery_error = reason
    _delivered(session, message)
    return True


def _delivered(session: Session, message: Message) -> None:
    message.delivery_attempts += 1
    session.flush()
    _publish_delivery(session, message)


def _publish_delivery(session: Session, message: Message) -> None:
    publish(
        session,
        ReplyDelivered(
            workspace_id=message.workspace_id,
            actor_user_id=None,
            conversation_id=message.conversation_id,
            message_id=message.id,
            status=message.delivery_status or "",
        ),
    )


#: How far an outbound message has come; a platform's delivery report only moves it forward.
_PROGRESS = {Delivery.SENT.value: 1, Delivery.DELIVERED.value: 2, Delivery.READ.value: 3}


def record_platform_status(
    session: Session,
    channel_account_id: int,
    external_id: str,
    status: Delivery,
    at: datetime,
    reason: str | None = None,
) -> Message | None:
    """Apply a platform's delivery report (WhatsApp: sent, delivered, read, failed).

    Reports come late, twice and out of order, so the state only moves forward
    (``sent -> delivered -> read``): a "sent" after "read" changes nothing. "failed" after
    ``sent``/``delivered`` marks the message failed with ``reason``; a read or failed message
    stays as it is. The row is locked first, so two reports for one message apply one after
    the other. Returns the message when something changed (and publishes
    ``reply.delivery_changed`` so the inbox updates live), else None.
    """
    found = repository.message_by_external_id(session, channel_account_id, external_id)
    if found is None or found.direction != Direction.OUTBOUND.value:
        return None
    message = lock_row(session, Message, found.id)
    assert message is not None
    session.refresh(message)
    current = message.delivery_status or ""
    if status is Delivery.FAILED:
        if current not in (Delivery.SENT.value, Delivery.DELIVERED.value):
            return None
        message.delivery_error = reason or "the platform could not deliver the message"
    elif status.value not in _PROGRESS or _PROGRESS[status.value] <= _PROGRESS.get(current, 99):
        return None
    message.delivery_status = status.value
    if status in (Delivery.DELIVERED, Delivery.READ) and message.delivered_at is None:
        message.delivered_at = at
    if status is Delivery.READ:
        message.read_at = at
    session.flush()
    _publish_delivery(session, message)
    return message


def retry(session: Session, actor: Principal, message_id: int) -> Message:
    """Send a failed reply again (the agent pressed retry)."""
    message = repository.get_message(session, actor.workspace_id, message_id)
    if message is None or message.direction != Direction.OUTBOUND.value:
        raise MessageNotFound(message_id)
    if message.delivery_status != Delivery.FAILED.value:
        raise NotRetryable(message.delivery_status)
    message.delivery_status = Delivery.PENDING.value
    message.delivery_error = None
    session.flush()
    jobs.enqueue(
        session,
        SEND_JOB,
        {"message_id": message.id},
        workspace_id=message.workspace_id,
        dedupe_key=f"send:{message.id}:{message.delivery_attempts}",
    )
    audit.record(
        session,
        actor,
        "reply.retried",
        "conversation",
        message.conversation_id,
        {"message_id": message.id},
    )
    return message


def pending_message(session: Session, workspace_id: int, message_id: int) -> Message | None:
    """The outbound message a send job is about, or None if it no longer needs sending."""
    message = repository.get_message(session, workspace_id, message_id)
    if message is None or message.delivery_status != Delivery.PENDING.value:
        return None
    return message


def record_external_reply(
    session: Session,
    actor: Principal,
    conversation_id: int,
    *,
    text: str,
    external_id: str,
    sent_at: datetime,
    visibility: Visibility,
) -> Message:
    """Store a reply that was already delivered elsewhere (sent natively on the platform, or
    imported history): it is ``sent`` at once and no send job is queued."""
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        channel_account_id=conversation.channel_account_id,
        external_id=external_id,
        direction=Direction.OUTBOUND.value,
        visibility=visibility.value,
        author_user_id=actor.user_id,
        text=text,
        search_text=index_text(text),
        attachments=[],
        platform_time=sent_at,
        received_at=sent_at,
        delivery_status=Delivery.SENT.value,
        delivery_attempts=1,
    )
    session.add(message)
    session.flush()
    record_outbound(conversation, sent_at)
    return message
