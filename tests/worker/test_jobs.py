"""The job lifecycle on each database: enqueue in a transaction, run after commit, retry, die."""

from __future__ import annotations

from datetime import timedelta

import pytest

from webcare.kit.db import unit_of_work
from webcare.kit.errors import Conflict, NotFound
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.worker import service
from webcare.worker.models import Job, JobStatus
from webcare.worker.registry import import_task_modules, task

from .conftest import Jobs


def test_job_enqueued_in_a_transaction_that_rolls_back_never_runs(jobs: Jobs) -> None:
    wakeups: list[str] = []
    unsubscribe = service.subscribe_wakeup(lambda: wakeups.append("woken"))
    try:
        with jobs.runtime.session_factory() as session:
            service.enqueue(session, "test.record", {})
            session.rollback()
        assert jobs.worker().drain() == 0
    finally:
        unsubscribe()
    assert jobs.recorded() == []
    assert wakeups == []


def test_commit_of_an_enqueue_wakes_in_process_workers(jobs: Jobs) -> None:
    wakeups: list[str] = []
    unsubscribe = service.subscribe_wakeup(lambda: wakeups.append("woken"))
    try:
        with jobs.runtime.session_factory() as session:
            service.enqueue(session, "test.record", {})
            assert wakeups == []
            session.commit()
    finally:
        unsubscribe()
    assert wakeups == ["woken"]


def test_committed_job_runs_once_and_is_done(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.record")

    worker = jobs.worker()
    assert worker.drain() == 1
    assert worker.drain() == 0

    job = jobs.get(job_id)
    assert job.status == JobStatus.DONE
    assert job.attempts == 1
    assert job.finished_at is not None
    assert (job.locked_by, job.locked_until) == (None, None)
    assert jobs.recorded() == [(job_id, 1)]


def test_job_due_later_does_not_run_before_run_at(jobs: Jobs) -> None:
    jobs.enqueue("test.record", run_at=utc_now() + timedelta(minutes=5))

    assert jobs.worker().drain() == 0


def test_failed_attempt_rolls_back_task_writes_and_requeues_with_backoff(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.record_then_fail")
    before = utc_now()

    assert jobs.worker().drain() == 1

    job = jobs.get(job_id)
    assert jobs.recorded() == []
    assert job.status == JobStatus.QUEUED
    assert job.attempts == 1
    assert job.last_error == "RuntimeError: boom after writing"
    assert before + timedelta(seconds=1.7) <= job.run_at <= utc_now() + timedelta(seconds=2)
    assert (job.locked_by, job.locked_until, job.finished_at) == (None, None, None)


def test_backoff_grows_exponentially_and_is_capped_at_an_hour() -> None:
    delays = [service.backoff_seconds(attempt) for attempt in range(1, 13)]

    assert delays == sorted(delays)
    assert len(set(delays)) == len(delays)
    assert 1.8 <= delays[0] <= 2
    assert 0.9 * 2**5 <= delays[4] <= 2**5
    assert 0.9 * 3600 <= service.backoff_seconds(50) <= 3600


def test_job_is_dead_after_max_attempts_and_admin_retry_requeues_it(jobs: Jobs) -> None:
    workspace_id = jobs.workspace("acme")
    job_id = jobs.enqueue("test.record_then_fail", workspace_id=workspace_id, max_attempts=2)
    worker = jobs.worker()
    worker.drain()
    jobs.make_due(job_id)
    worker.drain()

    with unit_of_work(jobs.runtime.session_factory) as session:
        dead = service.list_jobs(session, workspace_id, status="dead")
        assert [(j.id, j.attempts) for j in dead] == [(job_id, 2)]
        assert service.list_jobs(session, workspace_id, status="queued") == []
        retried = service.retry_job(session, workspace_id, job_id)
    assert retried.status == JobStatus.QUEUED
    assert (retried.attempts, retried.finished_at) == (0, None)
    assert retried.last_error == "RuntimeError: boom after writing"

    assert worker.drain() == 1
    assert jobs.get(job_id).attempts == 1


def test_retrying_a_job_that_is_not_dead_conflicts(jobs: Jobs) -> None:
    workspace_id = jobs.workspace("acme")
    job_id = jobs.enqueue("test.record", workspace_id=workspace_id)

    with unit_of_work(jobs.runtime.session_factory) as session, pytest.raises(Conflict):
        service.retry_job(session, workspace_id, job_id)


def test_permanent_error_kills_the_job_at_once(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.permanent", max_attempts=5)

    jobs.worker().drain()

    job = jobs.get(job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert job.last_error == "PermanentJobError: conversation was deleted"
    assert job.finished_at is not None


def test_job_of_an_unknown_task_goes_dead_with_a_clear_error(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.no_such_task")

    jobs.worker().drain()

    job = jobs.get(job_id)
    assert job.status == JobStatus.DEAD
    assert job.last_error is not None
    assert "no task is registered as 'test.no_such_task'" in job.last_error


def test_retry_later_reschedules_at_retry_after_and_counts_as_an_attempt(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.rate_limited", {"retry_after": 120}, max_attempts=2)
    before = utc_now()

    jobs.worker().drain()

    job = jobs.get(job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert before + timedelta(seconds=120) <= job.run_at <= utc_now() + timedelta(seconds=120)
    assert job.last_error == "RetryLater: platform rate limit (retry after 120s)"


def test_retry_later_kills_only_at_max_attempts(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.rate_limited", {"retry_after": 1}, max_attempts=3)
    worker = jobs.worker()

    statuses = []
    for _ in range(3):
        jobs.make_due(job_id)
        worker.drain()
        statuses.append(jobs.get(job_id).status)

    assert statuses == [JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.DEAD]


def test_job_of_a_worker_that_died_mid_run_is_reclaimed_by_another_worker(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.record")
    died = jobs.worker(worker_id="died")
    assert died.claim() is not None
    survivor = jobs.worker(worker_id="survivor")
    assert survivor.claim() is None  # the lease still holds

    jobs.expire_lease(job_id)
    assert survivor.drain() == 1

    job = jobs.get(job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert job.last_error == "worker died stopped during attempt 1"
    assert jobs.recorded() == [(job_id, 2)]


def test_worker_that_lost_its_lease_cannot_commit_the_task_again(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.record")
    slow = jobs.worker(worker_id="slow")
    stale = slow.claim()
    assert stale is not None
    jobs.expire_lease(job_id)
    fast = jobs.worker(worker_id="fast")
    taken_over = fast.claim()
    assert taken_over is not None

    slow.execute(stale)  # finishes late: its writes must not land
    fast.execute(taken_over)

    assert jobs.recorded() == [(job_id, 2)]
    assert (jobs.get(job_id).status, jobs.get(job_id).attempts) == (JobStatus.DONE, 2)


def test_job_whose_worker_died_on_the_last_attempt_goes_dead(jobs: Jobs) -> None:
    job_id = jobs.enqueue("test.record", max_attempts=1)
    assert jobs.worker(worker_id="died").claim() is not None
    jobs.expire_lease(job_id)

    assert jobs.worker().drain() == 0

    job = jobs.get(job_id)
    assert job.status == JobStatus.DEAD
    assert job.last_error == "worker died stopped during the last attempt (1)"
    assert jobs.recorded() == []


def test_dedupe_key_gives_one_active_job(jobs: Jobs) -> None:
    with unit_of_work(jobs.runtime.session_factory) as session:
        first = service.enqueue(session, "test.record", {}, dedupe_key="reply:1")
        same_transaction = service.enqueue(session, "test.record", {}, dedupe_key="reply:1")
    later_transaction = jobs.enqueue("test.record", dedupe_key="reply:1")

    assert first.id == same_transaction.id == later_transaction
    assert jobs.worker().drain() == 1
    assert jobs.recorded() == [(first.id, 1)]


def test_dedupe_key_of_a_finished_job_can_be_used_again(jobs: Jobs) -> None:
    first = jobs.enqueue("test.record", dedupe_key="enrich:7")
    jobs.worker().drain()

    second = jobs.enqueue("test.record", dedupe_key="enrich:7")

    assert second != first
    assert jobs.get(first).dedupe_key is None
    assert jobs.get(second).dedupe_key == "enrich:7"


def test_list_and_retry_only_see_the_callers_workspace(jobs: Jobs) -> None:
    mine = jobs.workspace("mine")
    theirs = jobs.workspace("theirs")
    their_job = jobs.enqueue("test.permanent", workspace_id=theirs)
    jobs.worker().drain()

    with unit_of_work(jobs.runtime.session_factory) as session:
        assert service.list_jobs(session, mine) == []
        assert [j.id for j in service.list_jobs(session, theirs, status="dead")] == [their_job]
        with pytest.raises(NotFound):
            service.retry_job(session, mine, their_job)
        with pytest.raises(NotFound):
            service.retry_job(session, mine, their_job + 1000)


def test_enqueue_accepts_a_run_at_and_an_explicit_max_attempts(jobs: Jobs) -> None:
    run_at = utc_now() + timedelta(hours=1)

    job = jobs.get(jobs.enqueue("test.record", run_at=run_at, max_attempts=3))

    assert (job.run_at, job.max_attempts, job.status) == (run_at, 3, JobStatus.QUEUED)


def test_registering_another_function_under_a_taken_name_fails() -> None:
    with pytest.raises(ValueError, match="already used"):

        @task("test.record")
        def impostor(_ctx: object) -> None:
            """Never registered."""


def test_import_task_modules_finds_only_tasks_modules() -> None:
    assert all(name.endswith(".tasks") for name in import_task_modules())


def test_jobs_default_to_eight_attempts(runtime: Runtime) -> None:
    with unit_of_work(runtime.session_factory) as session:
        job: Job = service.enqueue(session, "test.record", {})
        assert job.max_attempts == 8
