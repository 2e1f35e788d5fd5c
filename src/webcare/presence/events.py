"""Events of the presence domain (wire names: docs/events.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from webcare.events.bus import DomainEvent


@dataclass(frozen=True)
class PresenceChanged(DomainEvent):
    """``actor_user_id`` started viewing or typing in, or left, a conversation."""

    name: ClassVar[str] = "presence.changed"
    conversation_id: int
    state: str
