"""First-response targets: when a waiting customer should have had an answer.

Webcare teams promise faster answers on public and live channels than on e-mail or reviews
(see WEBCARE_PRACTICE: public messages within the hour, chat within minutes). These defaults
drive the inbox's "SLA due" sort; per-workspace targets and business hours come with the
workflow settings and only change :func:`due_at`'s table, not its callers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from webcare.conversation.models import Kind

FIRST_RESPONSE_TARGETS: dict[str, timedelta] = {
    Kind.CHAT.value: timedelta(minutes=5),
    Kind.PUBLIC_THREAD.value: timedelta(hours=1),
    Kind.PRIVATE_THREAD.value: timedelta(hours=1),
    Kind.EMAIL.value: timedelta(hours=8),
    Kind.REVIEW.value: timedelta(hours=24),
}
DEFAULT_TARGET = timedelta(hours=1)


def due_at(kind: str, waiting_since: datetime | None) -> datetime | None:
    """When the answer is due, or None when nobody is waiting."""
    if waiting_since is None:
        return None
    return waiting_since + FIRST_RESPONSE_TARGETS.get(kind, DEFAULT_TARGET)
