"""Ingest normalised inbound events from any connector.

Guarantees:
- Idempotent: ``(channel account, external id)`` is stored once, also when the same delivery
  arrives twice at the same moment (the unique constraint decides; the loser returns the
  winner's message).
- Atomic: a message, its contact, its conversation and its follow-up jobs land together or not
  at all.
- Threaded by the rules in :mod:`webcare.ingestion.threading`; a reply that arrived before its
  parent is pulled into the parent's conversation when the parent arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.channel.models import ChannelAccount
from webcare.channel.ports import InboundDeletion, InboundEdit, InboundMessage
from webcare.contact import service as contacts
from webcare.contact.models import ContactIdentity
from webcare.conversation import service as conversations
from webcare.conversation.errors import MessageNotFound
from webcare.conversation.events import MessageDeleted, MessageEdited, MessageReceived
from webcare.conversation.models import Conversation, Direction, Message
from webcare.events.bus import publish
from webcare.ingestion.batch import store_in_bulk
from webcare.ingestion.threading import JOINS_LATEST_PRIVATE, may_continue
from webcare.kit.time import utc_now
from webcare.search.text import index_text
from webcare.triage.tasks import request_enrichment

log = logging.getLogger(__name__)

_MAX_RACE_RETRIES = 3
#: Messages per bulk attempt; longer runs are split (same outcome, see ingest_batch).
_MAX_BATCH = 1000


@dataclass(frozen=True)
class IngestResult:
    """What happened to one delivery. ``duplicate`` is True when it was already stored."""

    message_id: int
    conversation_id: int
    duplicate: bool


def ingest(
    session: Session,
    account: ChannelAccount,
    inbound: InboundMessage,
    *,
    reopen_window: timedelta,
) -> IngestResult:
    """Store one inbound message exactly once and thread it. The caller commits."""
    for _ in range(_MAX_RACE_RETRIES):
        existing = conversations.message_by_external_id(session, account.id, inbound.external_id)
        if existing is not None:
            return IngestResult(existing.id, existing.conversation_id, duplicate=True)
        try:
            with session.begin_nested():
                result = _store(session, account, inbound, reopen_window)
        except IntegrityError:
            # A concurrent delivery of the same message (or the same new author) won the race;
            # its row is visible now, so the next round returns it or threads against it.
            log.info("concurrent delivery of %s on account %s", inbound.external_id, account.id)
            continue
        request_enrichment(session, account.workspace_id)
        return result
    raise RuntimeError(f"could not store message {inbound.external_id} after retries")


def ingest_batch(
    session: Session,
    account: ChannelAccount,
    inbounds: Sequence[InboundMessage],
    *,
    reopen_window: timedelta,
) -> list[IngestResult]:
    """:func:`ingest` for many messages, with the same outcome as calling it for each in order.

    Why: a fixed number of statements per batch instead of about ten per message (see
    :mod:`webcare.ingestion.batch`). When the batch needs an orphan adopted, or a concurrent
    delivery wins a race (IntegrityError), the bulk attempt is rolled back and every message
    goes through :func:`ingest`. The caller commits.
    """
    if len(inbounds) > _MAX_BATCH:
        # Keeps every IN list of the bulk path far below SQLite's bound-parameter limit.
        return [
            result
            for start in range(0, len(inbounds), _MAX_BATCH)
            for result in ingest_batch(
                session, account, inbounds[start : start + _MAX_BATCH], reopen_window=reopen_window
            )
        ]
    if not inbounds:
        return []
    session.flush()
    outcomes = None
    try:
        with session.begin_nested():
            outcomes = store_in_bulk(session, account, inbounds, reopen_window)
    except IntegrityError:
        log.info("concurrent delivery on account %s; ingesting one by one", account.id)
    if outcomes is None:
        return [ingest(session, account, m, reopen_window=reopen_window) for m in inbounds]
    if not all(o.duplicate for o in outcomes):
        request_enrichment(session, account.workspace_id)
    return [IngestResult(o.message_id, o.conversation_id, o.duplicate) for o in outcomes]


def _store(
    session: Session, account: ChannelAccount, inbound: InboundMessage, reopen_window: timedelta
) -> IngestResult:
    identity = contacts.resolve_identity(
        session, account.workspace_id, account.platform, inbound.author
    )
    conversation = _conversation_for(session, account, inbound, identity, reopen_window)
    message = Message(
        workspace_id=account.workspace_id,
        conversation_id=conversation.id,
        channel_account_id=account.id,
        external_id=inbound.external_id,
        direction=Direction.INBOUND.value,
        visibility=inbound.visibility.value,
        author_identity_id=identity.id,
        text=inbound.text,
        search_text=index_text(inbound.text),
        attachments=[a.as_json() for a in inbound.attachments],
        rating=inbound.rating,
        reply_to_external_id=inbound.reply_to_external_id,
        platform_time=inbound.platform_time,
        received_at=utc_now(),
        raw=inbound.raw,
    )
    session.add(message)
    session.flush()
    conversations.record_inbound(session, conversation, inbound.platform_time)
    _adopt_orphans(session, account, message, conversation)
    publish(
        session,
        MessageReceived(
            workspace_id=account.workspace_id,
            actor_user_id=None,
            conversation_id=message.conversation_id,
            message_id=message.id,
        ),
    )
    return IngestResult(message.id, message.conversation_id, duplicate=False)


def _conversation_for(
    session: Session,
    account: ChannelAccount,
    inbound: InboundMessage,
    identity: ContactIdentity,
    reopen_window: timedelta,
) -> Conversation:
    found = _existing_conversation(session, account, inbound, identity)
    if found is not None and may_continue(found, utc_now(), reopen_window):
        return found
    return conversations.start(
        session,
        workspace_id=account.workspace_id,
        channel_account_id=account.id,
        contact_id=identity.contact_id,
        kind=inbound.kind.value,
        subject=inbound.subject,
        started_at=inbound.platform_time,
    )


def _existing_conversation(
    session: Session, account: ChannelAccount, inbound: InboundMessage, identity: ContactIdentity
) -> Conversation | None:
    for ref in (inbound.reply_to_external_id, inbound.thread_external_id):
        if ref is None:
            continue
        parent = conversations.message_by_external_id(session, account.id, ref)
        if parent is not None:
            return conversations.get(session, account.workspace_id, parent.conversation_id)
    if inbound.kind in JOINS_LATEST_PRIVATE:
        return conversations.latest_private_conversation(
            session, account.id, identity.contact_id, inbound.kind.value
        )
    return None


def _adopt_orphans(
    session: Session, account: ChannelAccount, parent: Message, conversation: Conversation
) -> None:
    """Pull replies that arrived before ``parent`` into its conversation."""
    assert parent.external_id is not None
    for orphan in conversations.orphan_replies_to(session, account.id, parent.external_id):
        if orphan.conversation_id != conversation.id:
            conversations.merge(
                session,
                Principal.system(account.workspace_id),
                source_id=orphan.conversation_id,
                target=conversation,
            )


def apply_edit(session: Session, account: ChannelAccount, edit: InboundEdit) -> Message:
    """Record the author's new text; the old one is kept as a revision. Repeats are no-ops."""
    message = _message_or_raise(session, account, edit.external_id)
    if message.text == edit.text:
        return message
    conversations.revise_text(session, message, edit.text, edit.edited_at)
    message.search_text = index_text(edit.text)
    publish(
        session,
        MessageEdited(
            workspace_id=account.workspace_id,
            actor_user_id=None,
            conversation_id=message.conversation_id,
            message_id=message.id,
        ),
    )
    return message


def apply_deletion(session: Session, account: ChannelAccount, deletion: InboundDeletion) -> Message:
    """Mark the message deleted by its author; its text stays visible to the team as history."""
    message = _message_or_raise(session, account, deletion.external_id)
    if message.deleted_at is not None:
        return message
    message.deleted_at = deletion.deleted_at
    session.flush()
    publish(
        session,
        MessageDeleted(
            workspace_id=account.workspace_id,
            actor_user_id=None,
            conversation_id=message.conversation_id,
            message_id=message.id,
        ),
    )
    return message


def _message_or_raise(session: Session, account: ChannelAccount, external_id: str) -> Message:
    message = conversations.message_by_external_id(session, account.id, external_id)
    if message is None:
        raise MessageNotFound(external_id)
    return message


@dataclass(frozen=True)
class BatchResult:
    """What one platform delivery (often several events) changed."""

    stored: int
    duplicates: int
    edits: int
    deletions: int
    unknown: int


def ingest_events(
    session: Session,
    account: ChannelAccount,
    events: Sequence[InboundMessage | InboundEdit | InboundDeletion],
    *,
    reopen_window: timedelta,
) -> BatchResult:
    """Apply a webhook's events in order. An edit or deletion of a message we never stored is
    counted, not an error: platforms report those for posts that predate the connection."""
    counts = dict.fromkeys(("stored", "duplicates", "edits", "deletions", "unknown"), 0)
    run: list[InboundMessage] = []
    for event in [*events, None]:
        if isinstance(event, InboundMessage):
            run.append(event)
            continue
        # A run of new messages goes in one batch; edits and deletions keep their place.
        for result in ingest_batch(session, account, run, reopen_window=reopen_window):
            counts["duplicates" if result.duplicate else "stored"] += 1
        run = []
        if event is None:
            break
        try:
            if isinstance(event, InboundEdit):
                apply_edit(session, account, event)
                counts["edits"] += 1
            else:
                apply_deletion(session, account, event)
                counts["deletions"] += 1
        except MessageNotFound:
            counts["unknown"] += 1
    return BatchResult(**counts)
