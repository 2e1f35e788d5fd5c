"""What a simulator remembers: the replies webcare sent and the faults it should answer with.

In memory and per simulator process on purpose: the simulator plays a platform, which is not
part of webcare's own state.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Sent:
    """One thing webcare made the platform do (a reply, a DM, a like, a hidden comment)."""

    platform: str
    kind: str
    external_id: str
    text: str | None = None
    recipient: str | None = None
    in_reply_to: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Fault:
    """An error answer to give instead of the next successful one."""

    status: int
    retry_after: float | None = None
    message: str | None = None


class SimState:
    """Shared by every platform router of one simulator app; safe across request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[Sent] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._ids = itertools.count(1)
        #: Platform-specific content a platform serves on read (e.g. mentions, reviews),
        #: keyed by platform then by whatever that platform's router chooses.
        self.data: dict[str, dict[str, Any]] = {}

    def next_id(self, prefix: str = "") -> str:
        with self._lock:
            return f"{prefix}{next(self._ids)}"

    def record(self, sent: Sent) -> Sent:
        with self._lock:
            self._sent.append(sent)
        return sent

    def sent(self, platform: str | None = None) -> list[Sent]:
        with self._lock:
            return [s for s in self._sent if platform is None or s.platform == platform]

    def add_fault(self, platform: str, fault: Fault, count: int = 1) -> None:
        with self._lock:
            self._faults.setdefault(platform, deque()).extend([fault] * count)

    def take_fault(self, platform: str) -> Fault | None:
        """The fault to answer the next request with, if one is queued for ``platform``."""
        with self._lock:
            queue = self._faults.get(platform)
            return queue.popleft() if queue else None

    def platform_data(self, platform: str) -> dict[str, Any]:
        with self._lock:
            return self.data.setdefault(platform, {})
