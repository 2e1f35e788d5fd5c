"""What the admin jobs API shows of a job.

The payload is left out on purpose: it can hold customer data, and admins need the name,
state and error to decide whether to retry.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from webcare.worker.models import JobStatus


class Job(BaseModel):
    """One job as admins see it: where it stands and why it last failed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class JobList(BaseModel):
    """A page of jobs, newest first (an object, so paging fields can be added later)."""

    items: list[Job]
