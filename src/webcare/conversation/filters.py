"""The inbox's filter and sort vocabulary, free of HTTP and SQL."""

from __future__ import annotations

import base64
import binascii
import enum
import json
from dataclasses import dataclass
from datetime import datetime

from webcare.kit.errors import Invalid


class Sort(enum.StrEnum):
    WAITING = "waiting"  # longest-waiting customer first: how webcare teams work a queue
    NEWEST = "newest"  # most recent activity first
    PRIORITY = "priority"  # urgent first, then longest waiting
    SLA = "sla"  # first response due soonest first (overdue at the top)
    URGENCY = "urgency"  # highest escalation risk first (webcare.triage), unscored last


@dataclass(frozen=True)
class ConversationFilter:
    """What the agent asked for. ``assignee_id`` 0 means unassigned."""

    statuses: tuple[str, ...] = ()
    channel_account_id: int | None = None
    platform: str | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    label: str | None = None
    visibility: str | None = None
    contact_id: int | None = None
    text: str | None = None
    sentiment: str | None = None
    sort: Sort = Sort.WAITING


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: the sort value and id of its last row."""

    sort_value: str
    last_id: int

    def encode(self) -> str:
        raw = json.dumps([self.sort_value, self.last_id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            value, last_id = json.loads(base64.urlsafe_b64decode(padded))
            if not isinstance(value, str) or not isinstance(last_id, int):
                raise ValueError
            return cls(value, last_id)
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
            raise Invalid("cursor is not valid; start again without it") from exc


PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def sort_value_of(value: datetime | int) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
