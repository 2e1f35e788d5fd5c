"""A process killed at the worst moment loses no job and runs none twice.

The child processes (crash_script.py) use the same database as the test and die by SIGKILL.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webcare.worker.models import JobStatus

from .conftest import Jobs

SCRIPT = Path(__file__).with_name("crash_script.py")

pytestmark = pytest.mark.slow


def run_and_kill(mode: str, database_url: str, data_dir: Path) -> int:
    """Run the child until it SIGKILLs itself; returns the job id it printed."""
    child = subprocess.run(
        [sys.executable, str(SCRIPT), mode, database_url, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    return int(child.stdout.strip())


def test_job_committed_by_a_process_killed_before_running_it_runs_exactly_once(
    jobs: Jobs, database_url: str, tmp_path: Path
) -> None:
    job_id = run_and_kill("enqueue", database_url, tmp_path)
    assert jobs.get(job_id).status == JobStatus.QUEUED

    worker = jobs.worker()
    assert worker.drain() == 1
    assert worker.drain() == 0

    assert jobs.get(job_id).status == JobStatus.DONE
    assert jobs.recorded() == [(job_id, 1)]


def test_job_whose_worker_process_was_killed_mid_task_runs_again_exactly_once(
    jobs: Jobs, database_url: str, tmp_path: Path
) -> None:
    job_id = jobs.enqueue("test.record")

    assert run_and_kill("work", database_url, tmp_path) == job_id
    job = jobs.get(job_id)
    assert (job.status, job.locked_by, job.attempts) == (JobStatus.RUNNING, "doomed", 1)
    assert jobs.recorded() == []  # the dead worker's uncommitted write is gone

    worker = jobs.worker()
    deadline = time.monotonic() + 10
    while not worker.run_once():  # waits out the dead worker's real lease
        assert time.monotonic() < deadline, "the abandoned job was never reclaimed"
        time.sleep(0.05)

    job = jobs.get(job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert jobs.recorded() == [(job_id, 2)]
    assert worker.drain() == 0


def test_worker_process_stops_gracefully_on_sigterm(
    jobs: Jobs, database_url: str, tmp_path: Path
) -> None:
    job_id = jobs.enqueue("test.record")
    child = subprocess.Popen(
        [sys.executable, str(SCRIPT), "serve", database_url, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while jobs.get(job_id).status != JobStatus.DONE:
            assert time.monotonic() < deadline, "the worker process ran no job"
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=10)
    finally:
        child.kill()
        child.wait()
    assert (child.returncode, out.strip()) == (0, "stopped")
    assert jobs.recorded() == [(job_id, 1)]
