"""A Facebook Page or Instagram account in webcare, pointed at a running Meta simulator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.live import live_simulator
from webcare.conversation.models import Message
from webcare.runtime import Runtime
from webcare.simulator.state import SimState
from webcare.worker.models import Job

APP_SECRET = "glasnet-meta-app-secret"
PAGE_ID = "104839221234567"
IG_USER_ID = "17841401234567890"
TOKEN = "sim-page-token"


@dataclass
class Sim:
    url: str
    state: SimState


@pytest.fixture
def sim() -> Iterator[Sim]:
    with live_simulator() as (url, state):
        yield Sim(url, state)


def connect(api: TestClient, sim: Sim, platform: str, token: str = TOKEN) -> dict[str, Any]:
    """Connect a Meta account through the API, as an admin would."""
    created = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": platform,
            "handle": "glasnet",
            "credentials": {
                "app_secret": APP_SECRET,
                "verify_token": "glasnet-verify",
                "page_access_token": token,
            },
            "settings": {
                "page_id": PAGE_ID,
                "ig_user_id": IG_USER_ID,
                "api_base": f"{sim.url}/meta",
            },
        },
    )
    assert created.status_code == 201, created.text
    account: dict[str, Any] = created.json()
    return account


def webhook_path(account: dict[str, Any]) -> str:
    return str(account["webhook_url"]).removeprefix("http://testserver")


def inbound(runtime: Runtime, external_id: str) -> Message:
    with runtime.session_factory() as session:
        message = session.scalars(
            sa.select(Message).where(Message.external_id == external_id)
        ).one()
        session.expunge(message)
        return message


def message(runtime: Runtime, message_id: int) -> Message:
    with runtime.session_factory() as session:
        found = session.get(Message, message_id)
        assert found is not None
        session.expunge(found)
        return found


def make_jobs_due(runtime: Runtime) -> None:
    """As if the wait a job was rescheduled for (rate limit, backoff) had passed."""
    with runtime.session_factory() as session, session.begin():
        for job in session.scalars(sa.select(Job).where(Job.status == "queued")):
            job.run_at = job.created_at
