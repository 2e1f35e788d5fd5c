"""Live updates across processes on PostgreSQL: what one process commits reaches the others."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator

import psycopg
import pytest

from webcare.conversation.events import MessageReceived
from webcare.events.bus import DomainEvent, event_from_json, publish, subscribe
from webcare.events.relay import CHANNEL, ORIGIN, PostgresRelay, start_relay
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime


@pytest.fixture
def dsn(runtime: Runtime, backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("the relay uses PostgreSQL's LISTEN/NOTIFY; SQLite has no equivalent")
    return runtime.engine.url.set(drivername="postgresql").render_as_string(False)


@pytest.fixture
def relay(dsn: str) -> Iterator[PostgresRelay]:
    relay = PostgresRelay(dsn)
    relay.start()
    assert relay.wait_listening(10)
    yield relay
    relay.stop()


def test_an_event_committed_here_is_notified_to_other_processes(
    runtime: Runtime, dsn: str, relay: PostgresRelay
) -> None:
    with psycopg.connect(dsn, autocommit=True) as other_process:
        other_process.execute(f"LISTEN {CHANNEL}")
        with unit_of_work(runtime.session_factory) as session:
            publish(
                session,
                MessageReceived(
                    workspace_id=7, actor_user_id=None, conversation_id=11, message_id=13
                ),
            )
        received = [json.loads(n.payload) for n in other_process.notifies(timeout=5, stop_after=1)]

    assert received == [
        {
            "origin": ORIGIN,
            "event": "message.received",
            "workspace_id": 7,
            "actor_user_id": None,
            "conversation_id": 11,
            "message_id": 13,
        }
    ]


def test_a_rolled_back_change_is_never_notified(
    runtime: Runtime, dsn: str, relay: PostgresRelay
) -> None:
    with psycopg.connect(dsn, autocommit=True) as other_process:
        other_process.execute(f"LISTEN {CHANNEL}")
        with pytest.raises(RuntimeError):
            _publish_then_fail(runtime)
        assert list(other_process.notifies(timeout=1, stop_after=1)) == []


def _publish_then_fail(runtime: Runtime) -> None:
    with unit_of_work(runtime.session_factory) as session:
        event = MessageReceived(workspace_id=7, actor_user_id=None, conversation_id=1, message_id=1)
        publish(session, event)
        raise RuntimeError("the request failed")


def test_events_from_another_process_reach_local_listeners_once(
    dsn: str, relay: PostgresRelay
) -> None:
    heard: queue.Queue[DomainEvent] = queue.Queue()
    unsubscribe = subscribe(heard.put)
    try:
        with psycopg.connect(dsn, autocommit=True) as other_process:
            for origin, message_id in (("another-process", 5), (ORIGIN, 6)):
                payload = {
                    "origin": origin,
                    "event": "message.received",
                    "workspace_id": 3,
                    "actor_user_id": None,
                    "conversation_id": 4,
                    "message_id": message_id,
                }
                other_process.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(payload)))
            other_process.execute("SELECT pg_notify(%s, %s)", (CHANNEL, "not json"))
        event = heard.get(timeout=5)
        with pytest.raises(queue.Empty):
            heard.get(timeout=1)
    finally:
        unsubscribe()

    assert event == MessageReceived(
        workspace_id=3, actor_user_id=None, conversation_id=4, message_id=5
    )


def test_event_round_trip_and_sqlite_has_no_relay(runtime: Runtime, backend: str) -> None:
    event = MessageReceived(workspace_id=1, actor_user_id=2, conversation_id=3, message_id=4)

    assert event_from_json(event.as_json()) == event
    assert event_from_json({"event": "no.such.event"}) is None
    if backend == "sqlite":
        stop = start_relay(runtime.engine)
        stop()  # a no-op: nothing was started
