"""Publishing domain events.

Only services publish. An event is delivered to in-process listeners (live updates) after the
transaction commits, never for a change that rolled back. Work that must survive a crash
(notifications, outgoing webhooks, enrichment) is enqueued as a job by the publishing service in
the same transaction, not hung on a listener. Every event is listed in docs/events.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from webcare.kit.db import after_commit

log = logging.getLogger(__name__)

Listener = Callable[["DomainEvent"], None]
_listeners: list[Listener] = []


@dataclass(frozen=True)
class DomainEvent:
    """Base: every event names its workspace and the acting user (None for the system)."""

    name: ClassVar[str] = ""
    workspace_id: int
    actor_user_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {"event": self.name, **asdict(self)}


def subscribe(listener: Listener) -> Callable[[], None]:
    """Listen to every event of this process; returns an unsubscribe function."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def publish(session: Session, event: DomainEvent) -> None:
    """Deliver ``event`` to listeners once the session's transaction commits."""
    after_commit(session, lambda: _deliver(event))


def _deliver(event: DomainEvent) -> None:
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:
            # A broken live-update listener must not undo or block a committed change.
            log.exception("event listener failed for %s", event.name)


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
