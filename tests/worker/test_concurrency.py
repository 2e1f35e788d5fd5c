"""Several workers on one database: every job runs exactly once, and promptly."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.runtime import Runtime, build_runtime
from webcare.worker import service
from webcare.worker.models import Job, JobStatus
from webcare.worker.runner import Worker, start_embedded_worker

from .conftest import Jobs

JOBS = 200
WORKERS = 4


def run_in_threads(targets: list[Callable[[], None]]) -> list[BaseException]:
    """Start all targets at the same moment; return whatever they raised."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target: Callable[[], None]) -> None:
        try:
            barrier.wait()
            target()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def drain_into(counts: list[int], worker: Worker) -> None:
    counts.append(worker.drain())


def test_concurrent_workers_run_every_job_exactly_once(jobs: Jobs) -> None:
    """On PostgreSQL SKIP LOCKED keeps claims apart; SQLite serialises them with BEGIN IMMEDIATE."""
    with unit_of_work(jobs.runtime.session_factory) as session:
        for _ in range(JOBS):
            service.enqueue(session, "test.record", {})
    ran: list[int] = []
    workers = [jobs.worker(worker_id=f"w{n}") for n in range(WORKERS)]

    errors = run_in_threads([functools.partial(drain_into, ran, w) for w in workers])

    assert errors == []
    assert sum(ran) == JOBS
    assert len(jobs.recorded()) == JOBS
    assert {attempt for _, attempt in jobs.recorded()} == {1}
    with jobs.runtime.session_factory() as session:
        statuses = {job.status for job in session.query(Job)}
    assert statuses == {JobStatus.DONE}


def test_embedded_worker_runs_a_job_as_soon_as_its_transaction_commits(
    jobs: Jobs, runtime: Runtime
) -> None:
    slow_poll = runtime.settings.model_copy(update={"worker_poll_seconds": 60.0})
    embedded = build_runtime(slow_poll)
    stop = start_embedded_worker(embedded)
    try:
        time.sleep(0.1)  # let it go idle, waiting on its wake-up
        job_id = jobs.enqueue("test.record")
        deadline = time.monotonic() + 10
        while jobs.get(job_id).status != JobStatus.DONE:
            assert time.monotonic() < deadline, "the worker was not woken by the commit"
            time.sleep(0.02)
    finally:
        started = utc_now()
        stop()
        embedded.dispose()
    assert (utc_now() - started).total_seconds() < 5  # stop wakes the idle worker
    assert jobs.recorded() == [(job_id, 1)]


def test_worker_is_a_plain_object_with_a_unique_default_id(runtime: Runtime) -> None:
    assert Worker(runtime).worker_id != Worker(runtime).worker_id


def test_concurrent_enqueues_with_the_same_dedupe_key_give_one_job(
    jobs: Jobs, backend: str
) -> None:
    """The second enqueue waits on the first's uncommitted row, then returns that job.

    On PostgreSQL it inserts, hits the unique key once the first commits, and recovers through
    its SAVEPOINT; on SQLite BEGIN IMMEDIATE makes it wait before it even looks.
    """
    second: list[int] = []

    def enqueue_second() -> None:
        second.append(jobs.enqueue("test.record", dedupe_key="send:42"))

    with jobs.runtime.session_factory() as session:
        first = service.enqueue(session, "test.record", {}, dedupe_key="send:42")
        thread = threading.Thread(target=enqueue_second)
        thread.start()
        wait_until_blocked(jobs.runtime, backend)
        session.commit()
    thread.join(10)

    assert second == [first.id]
    assert jobs.worker().drain() == 1


def wait_until_blocked(runtime: Runtime, backend: str) -> None:
    """Until another transaction waits on a lock (PostgreSQL shows it; on SQLite, just pause)."""
    if backend == "sqlite":
        time.sleep(0.2)
        return
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + 10
    with runtime.engine.connect() as conn:
        while not conn.execute(query).scalar():
            assert time.monotonic() < deadline, "the second enqueue never blocked"
            time.sleep(0.01)
            conn.rollback()
