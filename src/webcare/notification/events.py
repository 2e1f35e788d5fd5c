"""Events of the notification domain (wire names: docs/events.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from webcare.events.bus import DomainEvent


@dataclass(frozen=True)
class NotificationCreated(DomainEvent):
    """``user_id`` has a new notification; live updates deliver it to that user only."""

    name: ClassVar[str] = "notification.created"
    user_id: int
    notification_id: int
    conversation_id: int | None
    reason: str
