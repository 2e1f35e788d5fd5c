"""Admin HTTP API over the job table: see what is queued or dead, retry the dead."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.dependencies import DbSession
from webcare.worker import schemas, service
from webcare.worker.models import JobStatus

router = APIRouter(prefix="/api/v1/admin/jobs", tags=["admin"])


@router.get("", response_model=schemas.JobList)
def list_jobs(
    principal: PrincipalDep,
    session: DbSession,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> schemas.JobList:
    """The workspace's jobs, newest first, optionally only those in one status."""
    principal.require(Scope.ADMIN)
    jobs = service.list_jobs(session, principal.workspace_id, status=status, limit=limit)
    return schemas.JobList(items=[schemas.Job.model_validate(job) for job in jobs])


@router.post("/{job_id}/retry", response_model=schemas.Job)
def retry_job(job_id: int, principal: PrincipalDep, session: DbSession) -> schemas.Job:
    """Requeue a dead job with fresh attempts; 409 unless it is dead."""
    principal.require(Scope.ADMIN)
    job = service.retry_job(session, principal.workspace_id, job_id)
    return schemas.Job.model_validate(job)
