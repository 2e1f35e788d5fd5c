"""Triage jobs: enrich new customer messages, re-run over history, and a safety sweep."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.conversation.models import Message
from webcare.triage import service
from webcare.triage.models import TriageCursor
from webcare.worker.registry import JobContext, periodic, task
from webcare.worker.service import enqueue
from webcare.workspace.models import Workspace

ENRICH_JOB = "triage.enrich_new"
#: One job works through at most this many batches, then hands over to a fresh job, so a
#: backlog of a million messages never holds one job past its lease.
BATCHES_PER_JOB = 10


def request_enrichment(session: Session, workspace_id: int) -> None:
    """Called in the transaction that stored customer messages: make sure a job will look.

    The dedupe key lets a burst of webhooks (and the messages of one transaction) share one
    queued job.
    """
    enqueue(
        session,
        ENRICH_JOB,
        {},
        workspace_id=workspace_id,
        dedupe_key=f"{ENRICH_JOB}:{workspace_id}",
    )


@task(ENRICH_JOB)
def enrich_new(ctx: JobContext) -> None:
    workspace_id = int(ctx.workspace_id or 0)
    for _ in range(BATCHES_PER_JOB):
        if service.enrich_new(ctx.session, workspace_id) < service.BATCH_SIZE:
            return
    # More is waiting: a new job (after this one's commit) carries on.
    enqueue(ctx.session, ENRICH_JOB, {"continued": True}, workspace_id=workspace_id)


@task(service.RERUN_JOB)
def rerun(ctx: JobContext) -> None:
    workspace_id = int(ctx.workspace_id or 0)
    run_id = int(ctx.payload["run_id"])
    for _ in range(BATCHES_PER_JOB):
        if not service.advance_rerun(ctx.session, workspace_id, run_id):
            return
    enqueue(ctx.session, service.RERUN_JOB, {"run_id": run_id}, workspace_id=workspace_id)


@periodic("triage.sweep", every_seconds=60)
def sweep(ctx: JobContext) -> None:
    """Catch messages whose trigger was absorbed by a job that had already looked (a message
    stored in the last instant of a running job): queue a job for every workspace behind."""
    cursors = dict(
        ctx.session.execute(
            sa.select(TriageCursor.workspace_id, TriageCursor.last_message_id)
        ).all()
    )
    for workspace_id in ctx.session.scalars(sa.select(Workspace.id)):
        # A range scan on the primary key from the cursor: cheap when nearly caught up.
        waiting = ctx.session.scalar(
            sa.select(Message.id)
            .where(
                Message.id > cursors.get(workspace_id, 0),
                Message.workspace_id == workspace_id,
                Message.direction == "inbound",
            )
            .limit(1)
        )
        if waiting is not None:
            request_enrichment(ctx.session, workspace_id)
