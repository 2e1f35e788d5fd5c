"""Periodic upkeep: enqueued once per slot by any number of workers, and doing its job."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import drain_jobs
from tests.ingestion.helpers import payload
from webcare.conversation.models import Conversation
from webcare.demo.cast import Cast
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.worker.models import Job
from webcare.worker.registry import import_task_modules, periodic_schedule
from webcare.worker.runner import enqueue_due_periodic


def test_each_periodic_task_is_enqueued_once_per_slot(runtime: Runtime) -> None:
    import_task_modules()
    now = utc_now().timestamp()
    first = enqueue_due_periodic(runtime, now)
    again = enqueue_due_periodic(runtime, now + 0.5)  # another worker, same slot
    assert first == len(periodic_schedule()) >= 3
    assert again == 0
    with runtime.session_factory() as session:
        names = session.scalars(sa.select(Job.name)).all()
    assert sorted(names) == sorted(periodic_schedule())


def test_snoozed_conversation_wakes_when_its_time_has_come(
    api: TestClient, cast: Cast, runtime: Runtime
) -> None:
    url = f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages"
    conversation_id = api.post(url, json=payload("s-1")).json()["conversation_id"]
    later = (utc_now() + timedelta(hours=1)).isoformat()
    api.post(
        f"/api/v1/conversations/{conversation_id}/status",
        json={"status": "snoozed", "snoozed_until": later},
    )
    with runtime.session_factory() as session, session.begin():
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.snoozed_until = utc_now() - timedelta(minutes=1)  # time passes
    enqueue_due_periodic(runtime, utc_now().timestamp())
    drain_jobs(runtime)
    detail = api.get(f"/api/v1/conversations/{conversation_id}").json()
    assert detail["status"] == "open"
    assert detail["snoozed_until"] is None
    assert detail["activity"][-1]["data"] == {"reason": "snooze ended"}
