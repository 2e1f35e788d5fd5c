"""Enqueueing and managing jobs: what services and admins call.

A job is a row written in the caller's transaction (docs/decisions/0002-job-table.md): a rollback
discards it, a commit makes it durable before anything runs it, and in-process workers are woken
only once the commit has landed. Nothing here commits.

``dedupe_key`` holds while a job is queued or running. A finished (done or dead) job keeps its
key, for the record, until a new job asks for the same key; then the old row lets go of it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.kit.db import after_commit
from webcare.kit.errors import Conflict, NotFound
from webcare.kit.time import utc_now
from webcare.worker.models import Job, JobStatus

log = logging.getLogger(__name__)

#: Retries never wait longer than this.
BACKOFF_CAP_SECONDS = 3600.0
_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
_FINISHED = (JobStatus.DONE.value, JobStatus.DEAD.value)

WakeupListener = Callable[[], None]
_wakeup_listeners: list[WakeupListener] = []


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    workspace_id: int | None = None,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add a job to the caller's transaction; it runs after that transaction commits.

    With ``dedupe_key``, a queued or running job with the same key is returned instead of a
    second one. ``max_attempts`` defaults to the column default (8). Flushes, never commits.
    """
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    job = Job(
        name=name,
        payload=dict(payload),
        workspace_id=workspace_id,
        status=JobStatus.QUEUED.value,
        attempts=0,
        run_at=run_at or utc_now(),
        dedupe_key=dedupe_key,
    )
    if max_attempts is not None:
        job.max_attempts = max_attempts
    job = _add(session, job) if dedupe_key is None else _add_deduplicated(session, job, dedupe_key)
    after_commit(session, wake_workers)
    return job


def _add(session: Session, job: Job) -> Job:
    session.add(job)
    session.flush()
    return job


def _add_deduplicated(session: Session, job: Job, key: str) -> Job:
    """Insert ``job`` unless an active job holds ``key``; return whichever job holds it.

    Checking first covers the common case. The insert runs in a SAVEPOINT because a concurrent
    transaction may insert the same key between our check and our insert: PostgreSQL then fails
    our INSERT on the unique constraint, which would abort the whole transaction without one.
    """
    existing = _active_with_key(session, key)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            _release_finished_key(session, key)
            return _add(session, job)
    except IntegrityError:
        winner = _active_with_key(session, key)
        if winner is None:
            raise
        return winner


def _active_with_key(session: Session, key: str) -> Job | None:
    query = sa.select(Job).where(Job.dedupe_key == key, Job.status.in_(_ACTIVE))
    return session.scalars(query).one_or_none()


def _release_finished_key(session: Session, key: str) -> None:
    """Take the key off a done or dead job so a new job can hold it (the key is unique)."""
    session.execute(
        sa.update(Job)
        .where(Job.dedupe_key == key, Job.status.in_(_FINISHED))
        .values(dedupe_key=None)
    )


def list_jobs(
    session: Session,
    workspace_id: int,
    status: str | None = None,
    limit: int = 100,
) -> list[Job]:
    """The workspace's jobs, newest first; ``status`` narrows to queued/running/done/dead.

    System jobs (``workspace_id`` None) belong to no workspace and are never listed here.
    """
    query = sa.select(Job).where(Job.workspace_id == workspace_id)
    if status is not None:
        query = query.where(Job.status == JobStatus(status).value)
    query = query.order_by(Job.id.desc()).limit(limit)
    return list(session.scalars(query))


def retry_job(session: Session, workspace_id: int, job_id: int) -> Job:
    """Give a dead job a fresh set of attempts, due now.

    Raises ``NotFound`` for a missing job or another workspace's, ``Conflict`` unless dead.
    ``last_error`` is kept so the admin still sees why it died until it runs again.
    """
    query = sa.select(Job).where(Job.id == job_id, Job.workspace_id == workspace_id)
    job = session.scalars(query.with_for_update()).one_or_none()
    if job is None:
        raise NotFound(f"job {job_id} not found")
    if job.status != JobStatus.DEAD:
        raise Conflict(f"only dead jobs can be retried; job {job_id} is {job.status}")
    job.status = JobStatus.QUEUED.value
    job.attempts = 0
    job.run_at = utc_now()
    job.finished_at = None
    job.locked_by = None
    job.locked_until = None
    session.flush()
    after_commit(session, wake_workers)
    log.info("job %s (%s) requeued by an admin", job.id, job.name)
    return job


def backoff_seconds(attempt: int) -> float:
    """Delay before retrying after failed attempt ``attempt`` (1-based): about 2**attempt s.

    Capped at an hour. Up to 10% is taken off at random so jobs that failed together (a
    platform outage) do not all retry in the same second; the delay still grows per attempt.
    """
    base = min(2.0 ** min(max(attempt, 0), 12), BACKOFF_CAP_SECONDS)
    return base * random.uniform(0.9, 1.0)


def subscribe_wakeup(listener: WakeupListener) -> Callable[[], None]:
    """Call ``listener`` after every commit that enqueued or requeued a job in this process.

    Returns the unsubscribe function. Workers use it to start at once instead of at their next
    poll; the poll remains the fallback for jobs enqueued by other processes.
    """
    _wakeup_listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _wakeup_listeners:
            _wakeup_listeners.remove(listener)

    return unsubscribe


def wake_workers() -> None:
    """Tell in-process workers that jobs may be due. Never raises (runs after a commit)."""
    for listener in list(_wakeup_listeners):
        try:
            listener()
        except Exception:
            log.exception("job wake-up listener failed")
