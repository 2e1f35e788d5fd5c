"""Backfill: run one query over the messages and mentions stored before it was saved.

:func:`start` records the range to cover (every item up to the newest id at that moment;
later items are percolated live) and queues the ``listening.run_backfill`` job. Each run of
the job handles one batch of :data:`BATCH_SIZE` items under the backfill's row lock, stores
the hits (the hits table ignores ones the live job already found), stores its progress and
queues the next batch, so progress is readable at any time (:func:`get_or_raise`) and a
crashed worker's batch is simply done again.

Backfilled hits are not routed to the inbox: old posts do not become proactive conversations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.kit.db import lock_row
from webcare.kit.time import utc_now
from webcare.listening import percolation, repository, service
from webcare.listening.errors import BackfillNotFound
from webcare.listening.models import Backfill, BackfillStatus
from webcare.listening.query import prepare
from webcare.worker import service as jobs

BATCH_SIZE = 500
TASK = "listening.run_backfill"


def start(session: Session, actor: Principal, query_id: int) -> Backfill:
    """Queue a backfill of ``query_id`` over everything stored so far."""
    query = service.get_or_raise(session, actor.workspace_id, query_id)
    max_message, max_mention = repository.max_ids(session, actor.workspace_id)
    backfill = Backfill(
        workspace_id=actor.workspace_id,
        query_id=query.id,
        status=BackfillStatus.QUEUED.value,
        total=repository.count_items(session, actor.workspace_id, max_message, max_mention),
        done=0,
        hits=0,
        max_message_id=max_message,
        max_mention_id=max_mention,
        last_message_id=0,
        last_mention_id=0,
        created_by=actor.user_id,
        created_at=utc_now(),
    )
    session.add(backfill)
    session.flush()
    _enqueue_next(session, backfill)
    return backfill


def get_or_raise(session: Session, workspace_id: int, backfill_id: int) -> Backfill:
    """A backfill with its progress (``total``, ``done``, ``hits``, ``status``)."""
    backfill = session.get(Backfill, backfill_id)
    if backfill is None or backfill.workspace_id != workspace_id:
        raise BackfillNotFound(backfill_id)
    return backfill


def step(session: Session, backfill_id: int, batch_size: int | None = None) -> bool:
    """Process the next batch; True when more batches follow (the next job is queued)."""
    batch_size = batch_size or BATCH_SIZE
    backfill = lock_row(session, Backfill, backfill_id)
    if backfill is None or backfill.status in (BackfillStatus.DONE, BackfillStatus.FAILED):
        return False
    query = repository.get_query(session, backfill.workspace_id, backfill.query_id)
    if query is None:
        return False
    backfill.status = BackfillStatus.RUNNING.value
    compiled = percolation.build([query])
    rows: list[dict[str, Any]] = []
    messages = repository.messages_after(
        session,
        backfill.last_message_id,
        batch_size,
        workspace_id=backfill.workspace_id,
        up_to=backfill.max_message_id,
    )
    if messages:
        for row in messages:
            if not percolation.is_listened(row):
                continue
            document = percolation.message_document(row, detect=compiled.needs_language)
            if compiled.percolator.match(prepare(document)):
                rows.append(
                    percolation.hit_row(row.workspace_id, query.id, row.platform_time, row, None)
                )
        backfill.last_message_id = messages[-1].id
        backfill.done += len(messages)
    else:
        found = repository.mentions_after(
            session,
            backfill.last_mention_id,
            batch_size,
            workspace_id=backfill.workspace_id,
            up_to=backfill.max_mention_id,
        )
        for mention in found:
            if compiled.percolator.match(prepare(percolation.mention_document(mention))):
                rows.append(
                    percolation.hit_row(
                        mention.workspace_id, query.id, mention.published_at, None, mention
                    )
                )
        if found:
            backfill.last_mention_id = found[-1].id
            backfill.done += len(found)
        else:
            backfill.status = BackfillStatus.DONE.value
            backfill.done = max(backfill.done, backfill.total)
            backfill.finished_at = utc_now()
    backfill.hits += len(repository.insert_hits(session, rows))
    session.flush()
    if backfill.status == BackfillStatus.DONE.value:
        return False
    _enqueue_next(session, backfill)
    return True


def _enqueue_next(session: Session, backfill: Backfill) -> None:
    jobs.enqueue(
        session,
        TASK,
        {"backfill_id": backfill.id},
        workspace_id=backfill.workspace_id,
        dedupe_key=(f"{TASK}:{backfill.id}:{backfill.last_message_id}:{backfill.last_mention_id}"),
    )
