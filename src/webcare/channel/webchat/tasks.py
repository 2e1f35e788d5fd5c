"""Upkeep of the web chat's rate counters."""

from __future__ import annotations

from datetime import timedelta

from webcare.channel.webchat import service
from webcare.kit.time import utc_now
from webcare.worker.registry import JobContext, periodic


@periodic("webchat.forget_rate_windows", every_seconds=600)
def forget_rate_windows(ctx: JobContext) -> None:
    """Delete counters of windows that have ended (visitors who never came back)."""
    service.forget_rate_windows(
        ctx.session, utc_now() - timedelta(seconds=2 * service.RATE_WINDOW_SECONDS)
    )
