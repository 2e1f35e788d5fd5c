"""Platforms retry and fan out: simultaneous deliveries must still store each message once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import sqlalchemy as sa

from tests.conftest import token_for
from tests.ingestion.helpers import payload
from tests.live import live_server
from webcare.contact.models import ContactIdentity
from webcare.conversation.models import Conversation, Message
from webcare.demo.cast import Cast
from webcare.runtime import Runtime

PARALLEL = 8


def _fire(base: str, token: str, account_id: int, bodies: list[dict[str, Any]]) -> list[int]:
    """POST every body at the same moment from its own thread; returns the status codes."""
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> int:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            barrier.wait()
            return client.post(
                f"/api/v1/channel-accounts/{account_id}/messages", json=body
            ).status_code

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, bodies))


def _count(runtime: Runtime, model: type) -> int:
    with runtime.session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_simultaneous_duplicate_deliveries_store_one_message(runtime: Runtime, cast: Cast) -> None:
    token = token_for(runtime, cast)
    with live_server(runtime) as base:
        codes = _fire(base, token, cast.accounts["api"].id, [payload("same-1")] * PARALLEL)
    assert sorted(codes) == [200] * (PARALLEL - 1) + [201]
    assert _count(runtime, Message) == 1
    assert _count(runtime, Conversation) == 1


def test_simultaneous_first_messages_of_a_new_customer_make_one_contact_and_conversation(
    runtime: Runtime, cast: Cast
) -> None:
    token = token_for(runtime, cast)
    bodies = [
        payload(f"burst-{i}", f"Bericht {i}", author="nieuwe-klant", minutes_ago=10 - i)
        for i in range(PARALLEL)
    ]
    with live_server(runtime) as base:
        codes = _fire(base, token, cast.accounts["api"].id, bodies)
    assert codes == [201] * PARALLEL
    assert _count(runtime, Message) == PARALLEL
    assert _count(runtime, ContactIdentity) == 1
    assert _count(runtime, Conversation) == 1
