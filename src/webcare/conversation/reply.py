"""Replies: stored as ``pending`` with a send job in the same transaction, then delivered once.

State machine of an outbound message: ``pending -> sent`` (platform id recorded) or
``pending -> failed`` (reason for the agent); ``failed -> pending`` only by an explicit retry.
A retried POST with the same Idempotency-Key returns the first reply instead of a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.conversation import repository
from webcare.conversation.errors import IdempotencyKeyReused, MessageNotFound, NotRetryable
from webcare.conversation.events import ReplyDelivered, ReplyQueued
from webcare.conversation.models import Conversation, Delivery, Direction, Message, Visibility
from webcare.conversation.service import get_or_raise, record_outbound
from webcare.events.bus import publish
from webcare.kit.crypto import new_token
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.search.text import index_text
from webcare.worker import service as jobs

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
) -> ReplyResult:
    """Queue a reply for sending. With a repeated idempotency key, return the first reply."""
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    text = text.strip()
    if not text:
        raise Invalid("a reply needs text")
    if len(text) > MAX_REPLY_LENGTH:
        raise Invalid(f"a reply may have at most {MAX_REPLY_LENGTH} characters")
    key = idempotency_key or new_token("auto_", 16)
    fingerprint = _fingerprint(conversation_id, text, visibility)
    existing = _existing(session, actor.workspace_id, key, fingerprint)
    if existing is not None:
        return ReplyResult(existing, created=False)
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
