"""Background upkeep of logins."""

from __future__ import annotations

from webcare.auth import service
from webcare.worker.registry import JobContext, periodic


@periodic("auth.delete_expired_sessions", every_seconds=3600)
def delete_expired_sessions(ctx: JobContext) -> None:
    """Expired browser sessions are useless; drop them so the table stays small."""
    service.delete_expired_sessions(ctx.session)
