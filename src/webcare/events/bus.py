"""Publishing domain events.

Only services publish. An event is delivered to in-process listeners (live updates) after the
transaction commits, never for a change that rolled back; on PostgreSQL the relay
(:mod:`webcare.events.relay`) passes it on to the other processes too. Work that must survive
a crash (notifications, outgoing webhooks, enrichment) is written by the publishing service in
the same transaction (a row, a job), not hung on a listener. Every event is listed in
docs/events.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from webcare.kit.db import after_commit

log = logging.getLogger(__name__)

Listener = Callable[["DomainEvent"], None]
#: (listener, also_remote): ``also_remote`` listeners also hear events relayed from other
#: processes (:mod:`webcare.events.relay`); the relay itself hears only this process's own.
_listeners: list[tuple[Listener, bool]] = []


@dataclass(frozen=True)
class DomainEvent:
    """Base: every event names its workspace and the acting user (None for the system)."""

    name: ClassVar[str] = ""
    workspace_id: int
    actor_user_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {"event": self.name, **asdict(self)}


def subscribe(listener: Listener, *, also_remote: bool = True) -> Callable[[], None]:
    """Listen to every event committed in this process and, with ``also_remote``, to those
    other processes relayed to it; returns an unsubscribe function."""
    entry = (listener, also_remote)
    _listeners.append(entry)
    return lambda: _listeners.remove(entry)


def publish(session: Session, event: DomainEvent) -> None:
    """Deliver ``event`` to listeners once the session's transaction commits."""
    after_commit(session, lambda: _deliver(event))


def deliver_remote(event: DomainEvent) -> None:
    """An event another process committed (called by the relay, never by services)."""
    _deliver(event, remote=True)


def _deliver(event: DomainEvent, *, remote: bool = False) -> None:
    for listener, also_remote in list(_listeners):
        if remote and not also_remote:
            continue
        try:
            listener(event)
        except Exception:
            # A broken live-update listener must not undo or block a committed change.
            log.exception("event listener failed for %s", event.name)


def event_from_json(payload: dict[str, Any]) -> DomainEvent | None:
    """Rebuild an event from :meth:`DomainEvent.as_json` (None for an unknown name)."""
    cls = next((c for c in all_event_types() if c.name == payload.get("event")), None)
    if cls is None:
        return None
    values: dict[str, Any] = {f.name: payload.get(f.name) for f in fields(cls)}
    return cls(**values)


def all_event_types() -> list[type[DomainEvent]]:
    """Every concrete event class (used to keep docs/events.md complete)."""
    found: list[type[DomainEvent]] = []
    pending = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.name:
            found.append(cls)
    return sorted(found, key=lambda c: c.name)
