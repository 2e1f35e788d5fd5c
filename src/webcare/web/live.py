"""Live updates: domain events pushed to agents' browsers over Server-Sent Events.

Each server process has one :class:`LiveHub`. It listens to the event bus (events arrive after
their transaction committed, on whatever thread committed) and hands each event to the open
``/live`` streams of the same workspace; notifications only to the user they are for. A
browser that falls behind gets a ``resync`` event and reloads what it shows, so a slow client
never holds memory or other clients back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from webcare.events.bus import DomainEvent, subscribe

log = logging.getLogger(__name__)

QUEUE_SIZE = 200
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000


@dataclass(eq=False)
class Subscriber:
    workspace_id: int
    user_id: int
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    overflowed: bool = False

    def offer(self, payload: dict[str, Any]) -> None:
        """Runs on the subscriber's event loop."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.overflowed = True


class LiveHub:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()

    def attach(self) -> Callable[[], None]:
        """Start listening to this process's events; returns the function that stops it."""
        return subscribe(self.deliver)

    def open(self, workspace_id: int, user_id: int) -> Subscriber:
        subscriber = Subscriber(workspace_id, user_id, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(subscriber)
        return subscriber

    def close(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def deliver(self, event: DomainEvent) -> None:
        payload = event.as_json()
        only_for = payload.get("user_id") if event.name.startswith("notification.") else None
        with self._lock:
            targets = [
                s
                for s in self._subscribers
                if s.workspace_id == event.workspace_id and only_for in (None, s.user_id)
            ]
        for subscriber in targets:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.offer, payload)
            except RuntimeError:  # the stream's loop has closed; it is being torn down
                self.close(subscriber)


async def stream(
    hub: LiveHub,
    subscriber: Subscriber,
    is_disconnected: Callable[[], Any],
    keepalive: float = KEEPALIVE_SECONDS,
) -> AsyncIterator[str]:
    """The SSE byte stream of one browser tab."""
    try:
        yield f"retry: {RETRY_MS}\n\n"
        yield _frame("hello", {"user_id": subscriber.user_id})
        while True:
            if await is_disconnected():
                return
            if subscriber.overflowed:
                subscriber.overflowed = False
                while not subscriber.queue.empty():
                    subscriber.queue.get_nowait()
                yield _frame("resync", {})
                continue
            try:
                payload = await asyncio.wait_for(subscriber.queue.get(), timeout=keepalive)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            yield _frame(str(payload.get("event", "message")), payload)
    finally:
        hub.close(subscriber)


def _frame(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n"
