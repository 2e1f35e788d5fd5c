"""Upkeep of presence rows."""

from __future__ import annotations

from datetime import timedelta

from webcare.kit.time import utc_now
from webcare.presence import service
from webcare.worker.registry import JobContext, periodic

#: Long past every state's lifetime: these rows no longer show anyone, they only take space.
STALE_AFTER = timedelta(minutes=10)


@periodic("presence.forget_stale", every_seconds=600)
def forget_stale(ctx: JobContext) -> None:
    """Delete presence rows of browsers that stopped sending heartbeats (closed laptops)."""
    service.forget_before(ctx.session, utc_now() - STALE_AFTER)
