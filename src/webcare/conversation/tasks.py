"""Background upkeep of conversations."""

from __future__ import annotations

from webcare.conversation import service
from webcare.kit.time import utc_now
from webcare.worker.registry import JobContext, periodic


@periodic("conversation.wake_snoozed", every_seconds=60)
def wake_snoozed(ctx: JobContext) -> None:
    """Snoozed conversations whose time has come go back to the open queue."""
    service.wake_snoozed(ctx.session, utc_now())
