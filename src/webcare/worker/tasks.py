"""Upkeep of the job table itself."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from webcare.kit.time import utc_now
from webcare.worker.models import Job, JobStatus
from webcare.worker.registry import JobContext, periodic

KEEP_FINISHED = timedelta(days=7)


@periodic("worker.prune_finished_jobs", every_seconds=3600)
def prune_finished_jobs(ctx: JobContext) -> None:
    """Done jobs are kept a week for inspection, then deleted (dead ones stay for admins)."""
    cutoff = utc_now() - KEEP_FINISHED
    ctx.session.execute(
        sa.delete(Job).where(Job.status == JobStatus.DONE.value, Job.finished_at < cutoff)
    )
