"""Batch ingestion must leave exactly what ingesting message by message leaves behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from bench.corpus import iter_messages

from webcare.audit.models import AuditEvent
from webcare.auth.principal import Principal
from webcare.channel.models import ChannelAccount
from webcare.channel.ports import Author, ConversationKind, InboundMessage, MessageVisibility
from webcare.contact.models import Contact, ContactIdentity
from webcare.conversation import service as conversations
from webcare.conversation.models import Conversation, Message, Status
from webcare.demo.cast import Cast, create_cast
from webcare.events.bus import DomainEvent, subscribe
from webcare.ingestion import batch as batch_module
from webcare.ingestion import service as ingestion_service
from webcare.ingestion.service import IngestResult, ingest, ingest_batch
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.runtime import Runtime

WEEK = timedelta(days=7)
T0 = utc_now().replace(microsecond=0)


def _msg(
    external_id: str,
    author: str,
    at: datetime,
    *,
    kind: ConversationKind = ConversationKind.PRIVATE_THREAD,
    reply_to: str | None = None,
    followers: int = 100,
    name: str = "Edge Klant",
) -> InboundMessage:
    private = kind is ConversationKind.PRIVATE_THREAD
    return InboundMessage(
        external_id=external_id,
        author=Author(author, handle=f"{author}_nl", name=name, follower_count=followers),
        text=f"Bericht {external_id} #storing",
        platform_time=at,
        kind=kind,
        visibility=MessageVisibility.PRIVATE if private else MessageVisibility.PUBLIC,
        reply_to_external_id=reply_to,
    )


def _public(external_id: str, at: datetime, reply_to: str | None = None) -> InboundMessage:
    return _msg(external_id, "edge-pub", at, kind=ConversationKind.PUBLIC_THREAD, reply_to=reply_to)


@dataclass(frozen=True)
class Phase:
    """Messages delivered under one reopen window, after resolving ``resolve_first``'s thread."""

    messages: list[InboundMessage]
    window: timedelta
    resolve_first: str | None = None


def _phases() -> list[Phase]:
    corpus = list(iter_messages(300, seed=7))
    first = corpus[:150]
    edges = {
        20: _msg("dm-1", "edge-dm", T0 + timedelta(hours=1)),
        40: _public("orph-r1", T0 + timedelta(hours=2), reply_to="orph-p1"),
        60: _public("orph-r2", T0 + timedelta(hours=2), reply_to="orph-p2"),
        62: _public("orph-p2", T0 + timedelta(hours=1)),
        90: _public("orph-p1", T0 + timedelta(hours=1)),
        120: corpus[10],
        121: corpus[11],
        140: _msg("dm-2", "edge-dm", T0 + timedelta(hours=3), followers=250, name="Nieuwe Naam"),
    }
    for position in sorted(edges, reverse=True):
        first.insert(position, edges[position])
    return [
        Phase(first, WEEK),
        Phase(
            [_msg("dm-3", "edge-dm", T0 + timedelta(hours=4)), *corpus[150:200]],
            WEEK,
            resolve_first="dm-1",
        ),
        Phase(
            [
                *corpus[200:220],
                _msg("dm-4", "edge-dm", T0 + timedelta(hours=5)),
                _msg("dm-5", "edge-dm", T0 + timedelta(hours=6), followers=300),
                _public("orph-r3", T0 + timedelta(hours=2), reply_to="orph-p3"),
                _msg("dm-2", "edge-dm", T0 + timedelta(hours=3)),
                *corpus[220:250],
            ],
            timedelta(0),
            resolve_first="dm-1",
        ),
        Phase(
            [
                *corpus[250:300],
                _public("orph-p3", T0 + timedelta(hours=1)),
                _public("late-reply", T0 + timedelta(hours=7), reply_to="orph-p1"),
                corpus[0],
            ],
            WEEK,
        ),
    ]


def _resolve(runtime: Runtime, account: ChannelAccount, external_id: str) -> None:
    with unit_of_work(runtime.session_factory) as session:
        message = conversations.message_by_external_id(session, account.id, external_id)
        assert message is not None
        conversations.set_status(
            session,
            Principal.system(account.workspace_id),
            message.conversation_id,
            Status.RESOLVED,
        )


def _deliver(
    runtime: Runtime, account: ChannelAccount, phases: list[Phase], size: int | None
) -> list[IngestResult]:
    """One by one (``size`` None) or in batches of ``size``; one transaction per batch."""
    results: list[IngestResult] = []
    for phase in phases:
        if phase.resolve_first:
            _resolve(runtime, account, phase.resolve_first)
        if size is None:
            with unit_of_work(runtime.session_factory) as session:
                for m in phase.messages:
                    results.append(ingest(session, account, m, reopen_window=phase.window))
            continue
        for start in range(0, len(phase.messages), size):
            chunk = phase.messages[start : start + size]
            with unit_of_work(runtime.session_factory) as session:
                results += ingest_batch(session, account, chunk, reopen_window=phase.window)
    return results


def _snapshot(runtime: Runtime, account: ChannelAccount, results: list[IngestResult]) -> Any:
    """Everything observable, with database ids replaced by the external ids they hold."""
    workspace_id = account.workspace_id
    with runtime.session_factory() as session:
        rows = session.execute(
            sa.select(Message.id, Message.external_id, Message.conversation_id).where(
                Message.channel_account_id == account.id
            )
        ).all()
        members: dict[int, set[str]] = {}
        for _, external_id, conversation_id in rows:
            members.setdefault(conversation_id, set()).add(external_id)
        key = {cid: frozenset(exts) for cid, exts in members.items()}
        threads = {}
        for c in session.scalars(
            sa.select(Conversation).where(Conversation.workspace_id == workspace_id)
        ):
            # Resolving stamps last_activity_at with the wall clock: not comparable between runs.
            activity = None if c.status == Status.RESOLVED.value else c.last_activity_at
            threads[key[c.id]] = (
                c.kind,
                c.status,
                c.first_inbound_at,
                c.last_inbound_at,
                c.waiting_since,
                activity,
            )
        people = {
            i.platform_user_id: (i.handle, i.name, i.follower_count, i.verified, name)
            for i, name in session.execute(
                sa.select(ContactIdentity, Contact.name)
                .join(Contact, Contact.id == ContactIdentity.contact_id)
                .where(ContactIdentity.workspace_id == workspace_id)
            )
        }
        audits = Counter(
            session.scalars(
                sa.select(AuditEvent.action).where(
                    AuditEvent.workspace_id == workspace_id,
                    AuditEvent.action.in_(("conversation.reopened", "conversation.merged")),
                )
            )
        )
        contacts = session.scalar(
            sa.select(sa.func.count())
            .select_from(Contact)
            .where(Contact.workspace_id == workspace_id)
        )
    external = {mid: ext for mid, ext, _ in rows}
    delivered = [(external[r.message_id], r.duplicate) for r in results]
    return {
        "threads": threads,
        "people": people,
        "audits": audits,
        "contacts": contacts,
        "messages": len(rows),
        "delivered": delivered,
    }


@pytest.fixture
def events() -> Iterator[list[DomainEvent]]:
    seen: list[DomainEvent] = []
    unsubscribe = subscribe(seen.append)
    yield seen
    unsubscribe()


def test_batches_of_any_size_leave_what_one_by_one_leaves(
    runtime: Runtime, cast: Cast, events: list[DomainEvent]
) -> None:
    phases = _phases()
    reference_account = cast.accounts["api"]
    reference = _snapshot(
        runtime, reference_account, _deliver(runtime, reference_account, phases, None)
    )
    assert reference["audits"]["conversation.reopened"] == 1
    assert reference["audits"]["conversation.merged"] >= 3
    assert sum(dup for _, dup in reference["delivered"]) == 4
    expected_events = Counter(e.name for e in events if e.workspace_id == cast.workspace.id)
    for size in (1, 7, 50, 1000):
        with unit_of_work(runtime.session_factory) as session:
            other = create_cast(session, runtime.secret_box, slug=f"other{size}", name="Other")
        account = other.accounts["api"]
        got = _snapshot(runtime, account, _deliver(runtime, account, phases, size))
        for part in reference:
            assert got[part] == reference[part], f"batches of {size}: {part} differ"
        published = Counter(e.name for e in events if e.workspace_id == other.workspace.id)
        assert published == expected_events, f"batches of {size}: events differ"


def test_a_batch_reports_messages_stored_before_as_duplicates(
    runtime: Runtime, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also across the pieces a long batch is cut into."""
    monkeypatch.setattr(ingestion_service, "_MAX_BATCH", 2)
    account = cast.accounts["api"]
    messages = [_msg(f"dm-{n}", "klant-9", T0 + timedelta(minutes=n)) for n in range(5)]
    with unit_of_work(runtime.session_factory) as session:
        first = ingest(session, account, messages[2], reopen_window=WEEK)
    with unit_of_work(runtime.session_factory) as session:
        results = ingest_batch(session, account, messages, reopen_window=WEEK)
    assert [r.duplicate for r in results] == [False, False, True, False, False]
    assert results[2].message_id == first.message_id
    assert len({r.conversation_id for r in results}) == 1


def test_a_batch_losing_a_race_falls_back_to_one_by_one(
    runtime: Runtime, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent delivery committed after the duplicate lookup: the insert conflicts, the
    savepoint rolls back and every message goes through ``ingest``."""
    account = cast.accounts["api"]
    messages = [_msg(f"race-{n}", f"klant-{n}", T0) for n in range(3)]
    with unit_of_work(runtime.session_factory) as session:
        winner = ingest(session, account, messages[1], reopen_window=WEEK)
    monkeypatch.setattr(batch_module.conversations, "messages_by_external_ids", lambda *a: {})
    with unit_of_work(runtime.session_factory) as session:
        results = ingest_batch(session, account, messages, reopen_window=WEEK)
    assert [r.duplicate for r in results] == [False, True, False]
    assert results[1].message_id == winner.message_id
    with runtime.session_factory() as session:
        stored = session.scalar(
            sa.select(sa.func.count())
            .select_from(Message)
            .where(Message.channel_account_id == account.id)
        )
        identities = session.scalar(sa.select(sa.func.count()).select_from(ContactIdentity))
    assert stored == 3
    assert identities == 3
