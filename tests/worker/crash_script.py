"""Child process for test_crash.py: does its part of the job system, then dies by SIGKILL.

SIGKILL is what a power cut or the OOM killer does: no ``finally``, no atexit, no rollback;
whatever was not committed is simply gone.

    python crash_script.py enqueue DATABASE_URL DATA_DIR   commit a job, print its id, die
    python crash_script.py work DATABASE_URL DATA_DIR      claim a job, write, die mid-task
    python crash_script.py serve DATABASE_URL DATA_DIR     `webcare worker` until SIGTERM
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import sqlalchemy as sa

import webcare.models  # noqa: F401 - like any server process, map every table
from webcare.config import Settings
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime, build_runtime
from webcare.worker import service
from webcare.worker.registry import JobContext, task
from webcare.worker.runner import Worker, run_worker_process

#: The lease the dying worker takes, short so the test need not wait long for it to expire.
LEASE_SECONDS = 0.2


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def record(ctx: JobContext) -> None:
    """The test task's effect, as in conftest.py, in SQL so this script needs no test code."""
    ctx.session.execute(
        sa.text("INSERT INTO test_job_effects (job_id, attempt) VALUES (:job_id, :attempt)"),
        {"job_id": ctx.job_id, "attempt": ctx.attempt},
    )


def record_then_die(ctx: JobContext) -> None:
    """The dying worker's version of the test task: it writes its effect, then the power goes."""
    record(ctx)
    print(ctx.job_id, flush=True)
    die()


def enqueue_then_die(runtime: Runtime) -> None:
    with unit_of_work(runtime.session_factory) as session:
        job = service.enqueue(session, "test.record", {})
    print(job.id, flush=True)
    die()


def work_then_die(runtime: Runtime) -> None:
    task("test.record")(record_then_die)
    Worker(runtime, worker_id="doomed", lease_seconds=LEASE_SECONDS).run_once()
    raise SystemExit("no job was due")


def serve(runtime: Runtime) -> None:
    task("test.record")(record)
    run_worker_process(runtime)
    print("stopped", flush=True)


def main(mode: str, database_url: str, data_dir: str) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=Path(data_dir),
        secret_key="test-secret-key-not-for-production",
        embedded_worker=False,
    )
    runtime = build_runtime(settings)
    modes = {"enqueue": enqueue_then_die, "work": work_then_die, "serve": serve}
    modes[mode](runtime)


if __name__ == "__main__":
    main(*sys.argv[1:])
