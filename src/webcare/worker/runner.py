"""The worker: claims due jobs, runs their tasks, records what happened.

Guarantees (docs/decisions/0002-job-table.md):

* A job is claimed in its own short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  workers never wait on or double-claim each other; SQLite serialises writers anyway). The claim
  commits before the task runs, so no row lock is held across a task's network I/O.
* A claim is a lease: ``locked_until``. A worker that dies mid-job loses it when the lease runs
  out and another worker runs the job again, as a new attempt.
* The task's writes and the job's "done" mark commit in one transaction, and only while this
  worker still owns the job (same ``locked_by`` and attempt). So database effects land exactly
  once even when a lease was lost; effects outside the database (an HTTP call) can repeat and
  must carry an idempotency key. Tasks must finish well within ``lease_seconds``.
* A failed attempt rolls back the task's writes, then records ``last_error`` and either
  reschedules the job (exponential backoff, or ``RetryLater.retry_after``) or marks it dead.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import webcare.models  # noqa: F401 - a worker runs tasks of every domain: map every table
from webcare.events.relay import start_relay
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.worker.errors import PermanentJobError, RetryLater
from webcare.worker.models import Job, JobStatus
from webcare.worker.registry import (
    JobContext,
    get_task,
    import_task_modules,
    periodic_schedule,
)
from webcare.worker.service import backoff_seconds, enqueue, subscribe_wakeup

log = logging.getLogger(__name__)

#: ``last_error`` keeps this many characters of an exception message.
ERROR_TEXT_LIMIT = 2000
#: How long stopping the embedded worker waits for the job in hand.
EMBEDDED_STOP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class _Outcome:
    """What a failed attempt does to its job."""

    status: str
    run_at: datetime | None
    error: str


class Worker:
    """Runs due jobs from the database; any number may run against one database."""

    def __init__(
        self, runtime: Runtime, worker_id: str | None = None, lease_seconds: float = 300
    ) -> None:
        self.runtime = runtime
        self.worker_id = worker_id or _default_worker_id()
        self.lease_seconds = lease_seconds
        self._wakeup = threading.Event()
        self._next_periodic_check = 0.0

    def wake(self) -> None:
        """End an idle wait now (a job was enqueued, or the worker is asked to stop)."""
        self._wakeup.set()

    # -- claiming -------------------------------------------------------------------------

    def claim(self) -> Job | None:
        """Take the next due job (or one whose worker's lease ran out) and commit the claim.

        Returns the job detached from its session, already ``running`` under this worker
        with ``attempts`` counting this run, or None when nothing is due.
        """
        while True:
            with unit_of_work(self.runtime.session_factory) as session:
                now = utc_now()
                job = _next_due(session, now)
                if job is None:
                    return None
                if job.status == JobStatus.RUNNING and job.attempts >= job.max_attempts:
                    _bury_abandoned(job, now)
                    continue
                self._take(job, now)
                return job

    def _take(self, job: Job, now: datetime) -> None:
        if job.status == JobStatus.RUNNING:
            log.warning(
                "job %s (%s): lease of %s expired during attempt %d; running it again",
                job.id,
                job.name,
                job.locked_by,
                job.attempts,
            )
            job.last_error = f"worker {job.locked_by} stopped during attempt {job.attempts}"
        job.status = JobStatus.RUNNING.value
        job.attempts += 1
        job.locked_by = self.worker_id
        job.locked_until = now + timedelta(seconds=self.lease_seconds)

    # -- running --------------------------------------------------------------------------

    def execute(self, job: Job) -> None:
        """Run a job this worker claimed and record the outcome; never raises for task errors."""
        try:
            self._run_task(job)
        except Exception as exc:
            self._record_failure(job, exc)

    def _run_task(self, job: Job) -> None:
        """Run the task and mark the job done in one transaction, the task's own."""
        with self.runtime.session_factory() as session:
            try:
                task = get_task(job.name)
                task(self._context(session, job))
                if not self._mark_done(session, job):
                    session.rollback()
                    _log_lost_lease(job)
                    return
                session.commit()
            except BaseException:
                session.rollback()
                raise
        log.debug("job %s (%s) done on attempt %d", job.id, job.name, job.attempts)

    def _context(self, session: Session, job: Job) -> JobContext:
        return JobContext(
            session=session,
            runtime=self.runtime,
            job_id=job.id,
            name=job.name,
            payload=dict(job.payload),
            attempt=job.attempts,
            workspace_id=job.workspace_id,
        )

    def _mark_done(self, session: Session, job: Job) -> bool:
        values = {"status": JobStatus.DONE.value, "finished_at": utc_now()}
        return self._update_owned(session, job, values)

    def _record_failure(self, job: Job, exc: Exception) -> None:
        """Record a failed attempt in a fresh transaction (the task's was rolled back)."""
        outcome = _outcome_of_failure(job, exc, utc_now())
        values: dict[str, Any] = {"status": outcome.status, "last_error": outcome.error}
        if outcome.status == JobStatus.DEAD:
            values["finished_at"] = utc_now()
        else:
            values["run_at"] = outcome.run_at
        with unit_of_work(self.runtime.session_factory) as session:
            if not self._update_owned(session, job, values):
                _log_lost_lease(job)
                return
        _log_failure(job, exc, outcome)

    def _update_owned(self, session: Session, job: Job, values: dict[str, Any]) -> bool:
        """Apply ``values`` and release the lease, only if this worker still owns this attempt."""
        stmt = (
            sa.update(Job)
            .where(
                Job.id == job.id,
                Job.status == JobStatus.RUNNING.value,
                Job.locked_by == self.worker_id,
                Job.attempts == job.attempts,
            )
            .values(locked_by=None, locked_until=None, **values)
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
        return session.execute(stmt).scalar_one_or_none() is not None

    # -- loops ----------------------------------------------------------------------------

    def run_once(self) -> bool:
        """Claim and run one job; False when none was due."""
        job = self.claim()
        if job is None:
            return False
        self.execute(job)
        return True

    def drain(self, max_jobs: int = 1000) -> int:
        """Run jobs until none is due (or ``max_jobs`` ran); returns how many ran.

        Jobs rescheduled into the future are not waited for. Tests use this to run jobs inline.
        """
        ran = 0
        while ran < max_jobs and self.run_once():
            ran += 1
        return ran

    def run_forever(self, stop: threading.Event) -> None:
        """Run jobs until ``stop`` is set, finishing the job in hand first.

        Idle, it sleeps until a commit in this process enqueues a job or until the poll
        interval passes (jobs from other processes, retries coming due). A database error
        is logged and retried after the poll interval instead of ending the loop.
        """
        unsubscribe = subscribe_wakeup(self.wake)
        poll = self.runtime.settings.worker_poll_seconds
        log.info("worker %s started", self.worker_id)
        try:
            while not stop.is_set():
                self._wakeup.clear()
                self._schedule_periodic()
                if not self._step():
                    self._wakeup.wait(poll)
        finally:
            unsubscribe()
            log.info("worker %s stopped", self.worker_id)

    def _schedule_periodic(self) -> None:
        """Enqueue periodic upkeep whose time slot has come (at most one check a second)."""
        now = time.time()
        if now < self._next_periodic_check:
            return
        self._next_periodic_check = now + 1.0
        try:
            enqueue_due_periodic(self.runtime, now)
        except Exception:
            log.exception("worker %s: scheduling periodic jobs failed", self.worker_id)

    def _step(self) -> bool:
        try:
            return self.run_once()
        except Exception:
            log.exception("worker %s: claiming or recording a job failed", self.worker_id)
            return False


def enqueue_due_periodic(runtime: Runtime, now: float) -> int:
    """Enqueue each periodic task once for the current slot; returns how many were added."""
    added = 0
    for name, every in periodic_schedule().items():
        key = f"periodic:{name}:{int(now // every)}"
        with unit_of_work(runtime.session_factory) as session:
            if session.scalar(sa.select(Job.id).where(Job.dedupe_key == key)) is None:
                enqueue(session, name, {}, dedupe_key=key)
                added += 1
    return added


def _next_due(session: Session, now: datetime) -> Job | None:
    """Lock the next due job: queued and due, or running with an expired lease.

    SKIP LOCKED lets concurrent PostgreSQL workers pass over each other's claims; SQLite
    ignores FOR UPDATE and needs none, as BEGIN IMMEDIATE serialises writers.
    """
    due = sa.or_(
        sa.and_(Job.status == JobStatus.QUEUED.value, Job.run_at <= now),
        sa.and_(Job.status == JobStatus.RUNNING.value, Job.locked_until < now),
    )
    query = (
        sa.select(Job)
        .where(due)
        .order_by(Job.run_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).one_or_none()


def _bury_abandoned(job: Job, now: datetime) -> None:
    """A worker died during the last allowed attempt: the job is dead, not run again."""
    log.error("job %s (%s): worker %s died on the last attempt", job.id, job.name, job.locked_by)
    job.status = JobStatus.DEAD.value
    job.last_error = f"worker {job.locked_by} stopped during the last attempt ({job.attempts})"
    job.finished_at = now
    job.locked_by = None
    job.locked_until = None


def _outcome_of_failure(job: Job, exc: Exception, now: datetime) -> _Outcome:
    error = describe_error(exc)
    if isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts:
        return _Outcome(JobStatus.DEAD.value, None, error)
    delay = exc.retry_after if isinstance(exc, RetryLater) else backoff_seconds(job.attempts)
    return _Outcome(JobStatus.QUEUED.value, now + timedelta(seconds=delay), error)


def describe_error(exc: BaseException) -> str:
    """``Type: message`` for ``last_error``: no traceback, no locals, no payload."""
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if isinstance(exc, RetryLater):
        text += f" (retry after {exc.retry_after:g}s)"
    return text[:ERROR_TEXT_LIMIT]


def _log_failure(job: Job, exc: Exception, outcome: _Outcome) -> None:
    if outcome.status == JobStatus.DEAD:
        log.error(
            "job %s (%s) is dead after attempt %d: %s",
            job.id,
            job.name,
            job.attempts,
            outcome.error,
            exc_info=not isinstance(exc, PermanentJobError),
        )
        return
    log.warning(
        "job %s (%s) failed attempt %d of %d, retry at %s: %s",
        job.id,
        job.name,
        job.attempts,
        job.max_attempts,
        outcome.run_at,
        outcome.error,
        exc_info=not isinstance(exc, RetryLater),
    )


def _log_lost_lease(job: Job) -> None:
    log.warning(
        "job %s (%s): lease lost during attempt %d (another worker took it over); "
        "this attempt's writes were rolled back",
        job.id,
        job.name,
        job.attempts,
    )


def _default_worker_id() -> str:
    """Unique per Worker object, readable in ``locked_by``: host, process, random suffix."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{secrets.token_hex(4)}"


def start_embedded_worker(runtime: Runtime) -> Callable[[], None]:
    """Run a worker in a daemon thread of this process; returns the function that stops it.

    Stopping waits for the job in hand (up to ``EMBEDDED_STOP_TIMEOUT_SECONDS``); a job cut off
    by process exit is run again by any worker once its lease expires.
    """
    import_task_modules()
    worker = Worker(runtime)
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run_forever, args=(stop,), name="webcare-worker", daemon=True
    )
    thread.start()

    def stop_worker() -> None:
        stop.set()
        worker.wake()
        thread.join(EMBEDDED_STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            log.warning(
                "embedded worker still busy after %ss; leaving it to the process exit",
                EMBEDDED_STOP_TIMEOUT_SECONDS,
            )

    return stop_worker


def run_worker_process(runtime: Runtime) -> None:
    """``webcare worker``: run jobs until SIGINT or SIGTERM, then stop after the current job.

    A second signal gets the default behaviour (stop at once); the interrupted job is run
    again after its lease expires.
    """
    names = import_task_modules()
    log.info("task modules: %s", ", ".join(names) or "none")
    worker = Worker(runtime)
    stop = threading.Event()
    previous: dict[int, Any] = {}

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping after the current job", signum)
        _restore_signals(previous)
        stop.set()
        worker.wake()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, request_stop)
    # Replies this worker marks sent or failed must reach browsers served by other processes.
    stop_relay = start_relay(runtime.engine)
    try:
        worker.run_forever(stop)
    finally:
        stop_relay()
        _restore_signals(previous)


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
