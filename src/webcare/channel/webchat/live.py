"""Live delivery to widgets: the event bus wakes a visitor's stream, the database feeds it.

Events carry ids, not text, and may come from another process (the PostgreSQL relay), so a
stream never trusts an event for content: an event about one of the visitor's conversations
only *wakes* the stream, which then reads the visible messages after the last one it sent
(:func:`.service.catch_up`). Several wake-ups collapse into one read; a reconnecting widget
sends the last id it has (``Last-Event-ID`` or ``?after=``) and misses nothing. The hub
listens to the bus only while at least one widget stream is open in this process, so it needs
no wiring in the application's lifespan.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from webcare.events.bus import DomainEvent, subscribe

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000
#: Events that may change what a visitor sees: a new message, a reply marked sent, a merge.
WAKING_EVENTS = frozenset(
    {"message.received", "message.deleted", "reply.delivery_changed", "conversation.merged"}
)


@dataclass(eq=False)
class WidgetStream:
    """One open widget stream: which workspace and conversations it is about."""

    workspace_id: int
    conversation_ids: set[int]
    loop: asyncio.AbstractEventLoop
    woken: asyncio.Event = field(default_factory=asyncio.Event)

    def concerns(self, event: DomainEvent) -> bool:
        if event.workspace_id != self.workspace_id or event.name not in WAKING_EVENTS:
            return False
        ids = {getattr(event, "conversation_id", None), getattr(event, "merged_from_id", None)}
        return bool(ids & self.conversation_ids)


class WidgetHub:
    def __init__(self) -> None:
        self._streams: set[WidgetStream] = set()
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    def open(self, workspace_id: int, conversation_ids: set[int]) -> WidgetStream:
        stream = WidgetStream(workspace_id, set(conversation_ids), asyncio.get_running_loop())
        with self._lock:
            self._streams.add(stream)
            if self._unsubscribe is None:
                self._unsubscribe = subscribe(self.deliver)
        return stream

    def close(self, stream: WidgetStream) -> None:
        with self._lock:
            self._streams.discard(stream)
            if not self._streams and self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None

    def deliver(self, event: DomainEvent) -> None:
        """Called on the committing thread (or the relay's): only wakes streams."""
        with self._lock:
            targets = [s for s in self._streams if s.concerns(event)]
        for stream in targets:
            try:
                stream.loop.call_soon_threadsafe(stream.woken.set)
            except RuntimeError:  # the stream's loop has closed; it is being torn down
                self.close(stream)


HUB = WidgetHub()

#: Reads what the visitor may see after a message id: (messages as JSON, conversation ids).
Load = Callable[[int], Awaitable[tuple[list[dict[str, Any]], list[int]]]]


async def stream(
    hub: WidgetHub,
    widget_stream: WidgetStream,
    load: Load,
    after: int,
    is_disconnected: Callable[[], Awaitable[bool]],
    page_size: int,
    keepalive: float = KEEPALIVE_SECONDS,
) -> AsyncGenerator[str, None]:
    """The SSE byte stream of one widget: everything after ``after``, then what comes."""
    try:
        yield f"retry: {RETRY_MS}\n\n"
        messages, conversation_ids = await load(after)
        widget_stream.conversation_ids = set(conversation_ids)
        yield f"event: hello\ndata: {json.dumps({'conversation_ids': conversation_ids})}\n\n"
        while True:
            for message in messages:
                after = max(after, int(message["id"]))
                yield _frame("message", message, event_id=after)
            if len(messages) >= page_size:
                widget_stream.woken.set()  # a full page: there may be more to read at once
            while not widget_stream.woken.is_set():
                if await is_disconnected():
                    return
                try:
                    await asyncio.wait_for(widget_stream.woken.wait(), timeout=keepalive)
                except TimeoutError:
                    yield ": keepalive\n\n"
            widget_stream.woken.clear()
            messages, conversation_ids = await load(after)
            widget_stream.conversation_ids = set(conversation_ids)
    finally:
        hub.close(widget_stream)


def _frame(name: str, data: dict[str, Any], event_id: int) -> str:
    return f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
