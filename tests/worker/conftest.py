"""Test tasks and a small harness for the job system, on the real database of each backend.

The tasks record their side effect in ``test_job_effects``, a table of this test package only
(created once per test database, emptied after each test), keyed by job id: a job whose effect
committed twice would break the primary key, so "exactly once" is checked by the database itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from webcare.kit.db import create_db_engine, unit_of_work
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.worker import service
from webcare.worker.errors import PermanentJobError, RetryLater
from webcare.worker.models import Job
from webcare.worker.registry import JobContext, task
from webcare.worker.runner import Worker
from webcare.workspace.models import Workspace

effects_metadata = sa.MetaData()
effects = sa.Table(
    "test_job_effects",
    effects_metadata,
    sa.Column("job_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("attempt", sa.Integer, nullable=False),
)


def _record(ctx: JobContext) -> None:
    ctx.session.execute(effects.insert().values(job_id=ctx.job_id, attempt=ctx.attempt))


@task("test.record")
def record(ctx: JobContext) -> None:
    """Succeeds, leaving one row in test_job_effects."""
    _record(ctx)


@task("test.record_then_fail")
def record_then_fail(ctx: JobContext) -> None:
    """Writes, then fails: the write must roll back with the attempt."""
    _record(ctx)
    raise RuntimeError("boom after writing")


@task("test.rate_limited")
def rate_limited(ctx: JobContext) -> None:
    raise RetryLater("platform rate limit", retry_after=ctx.payload["retry_after"])


@task("test.permanent")
def permanent(ctx: JobContext) -> None:
    raise PermanentJobError("conversation was deleted")


@dataclass
class Jobs:
    """Enqueue, inspect and nudge jobs as separate committed transactions, like production."""

    runtime: Runtime

    def enqueue(self, name: str, payload: dict[str, Any] | None = None, **kwargs: Any) -> int:
        with unit_of_work(self.runtime.session_factory) as session:
            return service.enqueue(session, name, payload or {}, **kwargs).id

    def get(self, job_id: int) -> Job:
        with self.runtime.session_factory() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job

    def worker(self, **kwargs: Any) -> Worker:
        return Worker(self.runtime, **kwargs)

    def recorded(self) -> list[tuple[int, int]]:
        """(job id, attempt) of every committed task effect."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(sa.select(effects.c.job_id, effects.c.attempt).order_by("job_id"))
            return [(row.job_id, row.attempt) for row in rows]

    def make_due(self, job_id: int) -> None:
        """Skip a retry's wait instead of sleeping through it."""
        self._update(job_id, run_at=utc_now() - timedelta(seconds=1))

    def expire_lease(self, job_id: int) -> None:
        """What time does to the lease of a worker that died."""
        self._update(job_id, locked_until=utc_now() - timedelta(seconds=1))

    def workspace(self, slug: str) -> int:
        with unit_of_work(self.runtime.session_factory) as session:
            workspace = Workspace(slug=slug, name=slug.title())
            session.add(workspace)
            session.flush()
            return workspace.id

    def _update(self, job_id: int, **values: Any) -> None:
        with unit_of_work(self.runtime.session_factory) as session:
            session.execute(sa.update(Job).where(Job.id == job_id).values(**values))


@pytest.fixture(scope="session")
def effects_table(database_url: str) -> str:
    """Create test_job_effects once per test database (the database itself is temporary)."""
    engine = create_db_engine(database_url)
    effects_metadata.create_all(engine)
    engine.dispose()
    return effects.name


@pytest.fixture
def jobs(runtime: Runtime, effects_table: str) -> Iterator[Jobs]:
    try:
        yield Jobs(runtime)
    finally:
        with runtime.engine.begin() as conn:
            conn.execute(effects.delete())
