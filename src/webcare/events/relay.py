"""Events across processes on PostgreSQL: NOTIFY what this process committed, LISTEN for the rest.

Several ``webcare serve`` and ``webcare worker`` processes share one database. An agent's browser
is connected to one server, but the change it must see may be committed by another server or by
a worker (a reply marked sent). Each process therefore runs a relay with two threads:

- the *sender* hears this process's committed events (after commit, so never a rolled-back
  change) and sends each as ``pg_notify('webcare_events', json)`` on its own connection;
- the *listener* ``LISTEN``s on that channel and hands events from other processes to the local
  listeners (``bus.deliver_remote``). Its own notifications carry this process's origin id and
  are skipped: local listeners already had them.

Delivery is at most once, like the in-process bus: live updates are a convenience on top of
durable data, and a browser that reconnects reloads what it shows. A lost database connection is
retried with backoff; events that arrive meanwhile are dropped, never queued without bound.
SQLite has no such channel: there, one server process (with its embedded worker) is the
supported deployment for live updates (see ARCHITECTURE.md).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy.engine import Engine

from webcare.events.bus import DomainEvent, deliver_remote, event_from_json, subscribe

log = logging.getLogger(__name__)

CHANNEL = "webcare_events"
#: Identifies this process's notifications, so its listener skips them.
ORIGIN = uuid.uuid4().hex
MAX_PAYLOAD = 7_900  # PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more
QUEUE_LIMIT = 10_000
RECONNECT_SECONDS = (0.5, 1, 2, 5)


def start_relay(engine: Engine) -> Callable[[], None]:
    """Start relaying if ``engine`` is PostgreSQL; returns the function that stops it."""
    if engine.dialect.name != "postgresql":
        return lambda: None
    relay = PostgresRelay(engine.url.set(drivername="postgresql").render_as_string(False))
    relay.start()
    return relay.stop


class PostgresRelay:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._outgoing: queue.Queue[DomainEvent] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] = lambda: None

    def start(self) -> None:
        self._unsubscribe = subscribe(self._offer, also_remote=False)
        for target, name in ((self._send_loop, "sender"), (self._listen_loop, "listener")):
            thread = threading.Thread(target=target, name=f"event-relay-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait_listening(self, timeout: float) -> bool:
        """True once the listener is subscribed (tests wait for this before notifying)."""
        return self._listening.wait(timeout)

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    # sending -----------------------------------------------------------------------------

    def _offer(self, event: DomainEvent) -> None:
        try:
            self._outgoing.put_nowait(event)
        except queue.Full:
            log.warning("event relay is behind; dropped %s", event.name)

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    self._send_until_stopped(conn)
            except psycopg.Error as exc:
                log.warning("event relay sender lost the database (%s); reconnecting", exc)
                self._stop.wait(RECONNECT_SECONDS[-1])

    def _send_until_stopped(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            try:
                event = self._outgoing.get(timeout=0.5)
            except queue.Empty:
                continue
            payload = json.dumps({"origin": ORIGIN, **event.as_json()}, default=str)
            if len(payload.encode()) > MAX_PAYLOAD:
                log.warning("event %s too large to relay; skipped", event.name)
                continue
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))

    # listening ---------------------------------------------------------------------------

    def _listen_loop(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    attempt = 0
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=0.5):
                            self._received(notify.payload)
            except psycopg.Error as exc:
                self._listening.clear()
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                attempt += 1
                log.warning("event relay listener lost the database (%s); retry in %ss", exc, delay)
                self._stop.wait(delay)

    def _received(self, raw: str) -> None:
        try:
            payload = json.loads(raw)
        except ValueError:
            log.warning("event relay: ignored a payload that is not JSON")
            return
        if not isinstance(payload, dict) or payload.get("origin") == ORIGIN:
            return
        try:
            event = event_from_json(payload)
        except TypeError:
            log.warning("event relay: ignored a malformed %s", payload.get("event"))
            return
        if event is not None:
            deliver_remote(event)
