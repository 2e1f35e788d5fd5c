"""The bulk path of :func:`webcare.ingestion.service.ingest_batch`.

Why: ingesting message by message costs about ten ORM statements per message (duplicate check,
savepoint, identity lock, parent lookups, orphan lookup, conversation insert and update). A
webhook or queue worker usually holds many messages at once, so this module stores a whole run
with a fixed number of statements: one lookup of stored messages (duplicates and parents), one
orphan probe, one identity lookup (locked), one conversation lookup, batched inserts of new
contacts, identities and conversations, one flush of conversation updates and one executemany
of the messages.

The outcome must be exactly what :func:`~webcare.ingestion.service.ingest` called per message
in order would leave behind, so the threading rules are replayed in memory on the loaded (and
new) conversation rows, with the same services (``note_inbound`` mirrors ``record_inbound``).
A run that would need an orphan adopted (a reply stored before its parent) is rare and is
handed back (``None``) for the one-by-one path, which merges conversations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webcare.channel.models import ChannelAccount
from webcare.channel.ports import InboundMessage
from webcare.contact import service as contacts
from webcare.contact.models import ContactIdentity
from webcare.conversation import service as conversations
from webcare.conversation.events import MessageReceived
from webcare.conversation.models import Conversation, Direction
from webcare.events.bus import publish
from webcare.ingestion.threading import JOINS_LATEST_PRIVATE, may_continue
from webcare.kit.time import utc_now
from webcare.search.text import index_text

#: Ranks a not-yet-inserted conversation after every stored one (its id will be larger).
_PENDING_RANK = 1 << 62

_Stored = dict[str, tuple[int, int]]
_Candidates = dict[tuple[int, str], list[Conversation]]


@dataclass(frozen=True)
class Outcome:
    """One delivery's message id, conversation id and whether it was stored before."""

    message_id: int
    conversation_id: int
    duplicate: bool


@dataclass
class _Placement:
    """Where a message to be stored goes, and whether it opened that conversation."""

    index: int
    identity: ContactIdentity
    conversation: Conversation
    created: bool


def store_in_bulk(
    session: Session,
    account: ChannelAccount,
    inbounds: Sequence[InboundMessage],
    reopen_window: timedelta,
) -> list[Outcome] | None:
    """Store ``inbounds`` as the one-by-one path would; None when it needs that path instead.

    Run inside a savepoint: an IntegrityError means a concurrent delivery won a race.
    """
    refs = {r for m in inbounds for r in (m.reply_to_external_id, m.thread_external_id) if r}
    stored = conversations.messages_by_external_ids(
        session, account.id, {m.external_id for m in inbounds} | refs
    )
    fresh = _first_deliveries(inbounds, stored)
    if _needs_adoption(session, account, inbounds, fresh):
        return None
    identities = contacts.resolve_identities(
        session, account.workspace_id, account.platform, [inbounds[i].author for i in fresh]
    )
    placements = _thread(session, account, inbounds, fresh, stored, identities, reopen_window)
    session.flush()
    message_ids = _insert_messages(session, account, inbounds, placements)
    _publish(session, account, placements, message_ids)
    return _outcomes(inbounds, stored, placements, message_ids)


def _first_deliveries(inbounds: Sequence[InboundMessage], stored: _Stored) -> list[int]:
    """Indexes of messages to store: not stored yet, and not repeated earlier in the batch."""
    seen: set[str] = set()
    fresh: list[int] = []
    for index, inbound in enumerate(inbounds):
        if inbound.external_id not in stored and inbound.external_id not in seen:
            fresh.append(index)
        seen.add(inbound.external_id)
    return fresh


def _needs_adoption(
    session: Session, account: ChannelAccount, inbounds: Sequence[InboundMessage], fresh: list[int]
) -> bool:
    """True when a reply precedes its parent (in the batch, or stored already)."""
    position = {inbounds[i].external_id: k for k, i in enumerate(fresh)}
    for k, i in enumerate(fresh):
        parent = inbounds[i].reply_to_external_id
        if parent is not None and position.get(parent, -1) > k:
            return True
    return conversations.has_replies_to(session, account.id, set(position))


def _thread(
    session: Session,
    account: ChannelAccount,
    inbounds: Sequence[InboundMessage],
    fresh: list[int],
    stored: _Stored,
    identities: dict[str, ContactIdentity],
    reopen_window: timedelta,
) -> list[_Placement]:
    """Replay the threading rules message by message on in-memory conversation rows."""
    now = utc_now()
    by_id, candidates = _load_candidates(session, account, inbounds, fresh, stored, identities)
    placed: dict[str, Conversation] = {}
    placements: list[_Placement] = []
    for index in fresh:
        inbound = inbounds[index]
        identity = identities[inbound.author.platform_user_id]
        found = _existing(inbound, identity.contact_id, placed, stored, by_id, candidates)
        created = found is None or not may_continue(found, now, reopen_window)
        if found is None or created:
            found = conversations.new_conversation(
                session,
                workspace_id=account.workspace_id,
                channel_account_id=account.id,
                contact_id=identity.contact_id,
                kind=inbound.kind.value,
                subject=inbound.subject,
                started_at=inbound.platform_time,
            )
            candidates.setdefault((identity.contact_id, inbound.kind.value), []).append(found)
        conversations.note_inbound(session, found, inbound.platform_time)
        placed[inbound.external_id] = found
        placements.append(_Placement(index, identity, found, created))
    return placements


def _load_candidates(
    session: Session,
    account: ChannelAccount,
    inbounds: Sequence[InboundMessage],
    fresh: list[int],
    stored: _Stored,
    identities: dict[str, ContactIdentity],
) -> tuple[dict[int, Conversation], _Candidates]:
    """Parents' conversations by id, and private conversations by (contact, kind), one query."""
    private = [inbounds[i] for i in fresh if inbounds[i].kind in JOINS_LATEST_PRIVATE]
    contact_ids = {identities[m.author.platform_user_id].contact_id for m in private}
    kinds = {m.kind.value for m in private}
    loaded = conversations.threading_candidates(
        session,
        account.workspace_id,
        account.id,
        {conversation_id for _, conversation_id in stored.values()},
        contact_ids,
        kinds,
    )
    candidates: _Candidates = {}
    for conversation in sorted(loaded, key=lambda c: c.id):
        if (
            conversation.channel_account_id == account.id
            and conversation.contact_id in contact_ids
            and conversation.kind in kinds
        ):
            key = (conversation.contact_id, conversation.kind)
            candidates.setdefault(key, []).append(conversation)
    return {c.id: c for c in loaded}, candidates


def _existing(
    inbound: InboundMessage,
    contact_id: int,
    placed: dict[str, Conversation],
    stored: _Stored,
    by_id: dict[int, Conversation],
    candidates: _Candidates,
) -> Conversation | None:
    """``service._existing_conversation`` against the batch's state instead of the database."""
    for ref in (inbound.reply_to_external_id, inbound.thread_external_id):
        if ref is None:
            continue
        if ref in placed:
            return placed[ref]
        if ref in stored:
            return by_id.get(stored[ref][1])
    if inbound.kind in JOINS_LATEST_PRIVATE:
        return _latest(candidates.get((contact_id, inbound.kind.value), []))
    return None


def _latest(options: list[Conversation]) -> Conversation | None:
    """Newest by (last_activity_at, id), as ``latest_private_conversation`` orders them."""

    def rank(item: tuple[int, Conversation]) -> tuple[datetime, int]:
        position, conversation = item
        ident = conversation.id if conversation.id is not None else _PENDING_RANK + position
        return conversation.last_activity_at, ident

    if not options:
        return None
    return max(enumerate(options), key=rank)[1]


def _insert_messages(
    session: Session,
    account: ChannelAccount,
    inbounds: Sequence[InboundMessage],
    placements: list[_Placement],
) -> list[int]:
    """One executemany INSERT of the messages (their conversations have ids by now)."""
    received_at = utc_now()
    rows: list[dict[str, object]] = []
    for placement in placements:
        inbound = inbounds[placement.index]
        rows.append(
            {
                "workspace_id": account.workspace_id,
                "conversation_id": placement.conversation.id,
                "channel_account_id": account.id,
                "external_id": inbound.external_id,
                "direction": Direction.INBOUND.value,
                "visibility": inbound.visibility.value,
                "author_identity_id": placement.identity.id,
                "text": inbound.text,
                "search_text": index_text(inbound.text),
                "attachments": [a.as_json() for a in inbound.attachments],
                "rating": inbound.rating,
                "reply_to_external_id": inbound.reply_to_external_id,
                "platform_time": inbound.platform_time,
                "received_at": received_at,
                "raw": inbound.raw,
                "delivery_attempts": 0,
            }
        )
    return conversations.insert_messages(session, rows)


def _publish(
    session: Session,
    account: ChannelAccount,
    placements: list[_Placement],
    message_ids: list[int],
) -> None:
    """The events the one-by-one path publishes, in its order."""
    for placement, message_id in zip(placements, message_ids, strict=True):
        if placement.created:
            conversations.announce_created(session, placement.conversation)
        publish(
            session,
            MessageReceived(
                workspace_id=account.workspace_id,
                actor_user_id=None,
                conversation_id=placement.conversation.id,
                message_id=message_id,
            ),
        )


def _outcomes(
    inbounds: Sequence[InboundMessage],
    stored: _Stored,
    placements: list[_Placement],
    message_ids: list[int],
) -> list[Outcome]:
    """One outcome per delivery; a repeat inside the batch is a duplicate of its first copy."""
    new = {
        inbounds[p.index].external_id: (message_id, p.conversation.id)
        for p, message_id in zip(placements, message_ids, strict=True)
    }
    fresh_indexes = {p.index for p in placements}
    outcomes: list[Outcome] = []
    for index, inbound in enumerate(inbounds):
        if index in fresh_indexes:
            message_id, conversation_id = new[inbound.external_id]
            outcomes.append(Outcome(message_id, conversation_id, duplicate=False))
        else:
            message_id, conversation_id = (
                stored.get(inbound.external_id) or new[inbound.external_id]
            )
            outcomes.append(Outcome(message_id, conversation_id, duplicate=True))
    return outcomes
