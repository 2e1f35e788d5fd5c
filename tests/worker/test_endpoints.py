"""The admin jobs API: admins of a workspace see and retry its dead jobs, nobody else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from webcare import routers
from webcare.app import create_app
from webcare.auth import service as auth_service
from webcare.auth.principal import Scope
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.worker import endpoints
from webcare.workspace import service as workspace_service
from webcare.workspace.models import Role

from .conftest import Jobs

JOBS_URL = "/api/v1/admin/jobs"


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The real app serving only the jobs routes, independent of the app's router list."""
    monkeypatch.setattr(routers, "ROUTERS", [endpoints.router])
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


def make_workspace(runtime: Runtime, slug: str) -> int:
    with unit_of_work(runtime.session_factory) as db:
        return workspace_service.create_workspace(db, slug, slug.title()).id


def admin_token(runtime: Runtime, workspace_id: int) -> dict[str, str]:
    with unit_of_work(runtime.session_factory) as db:
        raw, _ = auth_service.create_api_token(db, workspace_id, "ops", [Scope.ADMIN])
    return {"Authorization": f"Bearer {raw}"}


def agent_token(runtime: Runtime, workspace_id: int) -> dict[str, str]:
    """An agent's own token: even asking for the admin scope gives an agent no admin rights."""
    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.create_user(
            db, username="agent", password="correct horse battery staple", display_name="Agent"
        )
        workspace_service.add_member(db, workspace_id, user.id, Role.AGENT)
        raw, _ = auth_service.create_api_token(db, workspace_id, "mine", [Scope.ADMIN], user.id)
    return {"Authorization": f"Bearer {raw}"}


def dead_job(jobs: Jobs, workspace_id: int) -> int:
    job_id = jobs.enqueue("test.permanent", workspace_id=workspace_id)
    jobs.worker().drain()
    return job_id


def test_admin_sees_dead_jobs_and_can_retry_them(jobs: Jobs, client: TestClient) -> None:
    workspace_id = make_workspace(jobs.runtime, "acme")
    headers = admin_token(jobs.runtime, workspace_id)
    job_id = dead_job(jobs, workspace_id)

    listed = client.get(JOBS_URL, params={"status": "dead"}, headers=headers)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["id"], item["name"], item["status"]) == (job_id, "test.permanent", "dead")
    assert item["last_error"] == "PermanentJobError: conversation was deleted"
    assert "payload" not in item

    retried = client.post(f"{JOBS_URL}/{job_id}/retry", headers=headers)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    queued = client.get(JOBS_URL, params={"status": "queued"}, headers=headers).json()
    assert [job["id"] for job in queued["items"]] == [job_id]


def test_agent_can_neither_list_nor_retry_jobs(jobs: Jobs, client: TestClient) -> None:
    workspace_id = make_workspace(jobs.runtime, "acme")
    headers = agent_token(jobs.runtime, workspace_id)
    job_id = dead_job(jobs, workspace_id)

    assert client.get(JOBS_URL, headers=headers).status_code == 403
    assert client.post(f"{JOBS_URL}/{job_id}/retry", headers=headers).status_code == 403


def test_another_workspaces_job_is_not_found(jobs: Jobs, client: TestClient) -> None:
    mine = make_workspace(jobs.runtime, "mine")
    theirs = make_workspace(jobs.runtime, "theirs")
    headers = admin_token(jobs.runtime, mine)
    their_job = dead_job(jobs, theirs)

    assert client.get(JOBS_URL, headers=headers).json() == {"items": []}
    response = client.post(f"{JOBS_URL}/{their_job}/retry", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_retrying_a_job_that_is_not_dead_is_a_conflict(jobs: Jobs, client: TestClient) -> None:
    workspace_id = make_workspace(jobs.runtime, "acme")
    job_id = jobs.enqueue("test.record", workspace_id=workspace_id)

    headers = admin_token(jobs.runtime, workspace_id)
    response = client.post(f"{JOBS_URL}/{job_id}/retry", headers=headers)

    assert response.status_code == 409


def test_unknown_status_filter_is_rejected(jobs: Jobs, client: TestClient) -> None:
    headers = admin_token(jobs.runtime, make_workspace(jobs.runtime, "acme"))

    assert client.get(JOBS_URL, params={"status": "lost"}, headers=headers).status_code == 422


def test_jobs_api_needs_credentials(client: TestClient) -> None:
    assert client.get(JOBS_URL).status_code == 401
