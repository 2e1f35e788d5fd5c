"""Who is acting, in which workspace, with which rights. Built per request by auth.dependencies.

Every service takes the acting principal (or at least its ``workspace_id``); repositories filter
by that workspace on every query, so an object of another workspace is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webcare.kit.errors import Forbidden
from webcare.workspace.models import Role


class Scope:
    """API token scopes. A session user gets the scopes of their role."""

    CONVERSATIONS_READ = "conversations:read"
    CONVERSATIONS_WRITE = "conversations:write"
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    CHANNELS_READ = "channels:read"
    CHANNELS_ADMIN = "channels:admin"
    INBOUND_WRITE = "inbound:write"
    LISTENING_READ = "listening:read"
    LISTENING_WRITE = "listening:write"
    ADMIN = "admin"

    ALL: frozenset[str] = frozenset(
        {
            CONVERSATIONS_READ,
            CONVERSATIONS_WRITE,
            CONTACTS_READ,
            CONTACTS_WRITE,
            CHANNELS_READ,
            CHANNELS_ADMIN,
            INBOUND_WRITE,
            LISTENING_READ,
            LISTENING_WRITE,
            ADMIN,
        }
    )


_READ = frozenset(
    {Scope.CONVERSATIONS_READ, Scope.CONTACTS_READ, Scope.CHANNELS_READ, Scope.LISTENING_READ}
)
_WORK = _READ | {Scope.CONVERSATIONS_WRITE, Scope.CONTACTS_WRITE}

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.VIEWER: _READ,
    Role.AGENT: _WORK,
    Role.LEAD: _WORK | {Scope.LISTENING_WRITE},
    Role.ADMIN: Scope.ALL,
}


@dataclass(frozen=True)
class Principal:
    """The acting user or token. ``user_id`` is None for a token not tied to a user."""

    workspace_id: int
    user_id: int | None
    role: Role
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: int | None = None

    def require(self, scope: str) -> None:
        """Raise 403 unless this principal holds ``scope``."""
        if scope not in self.scopes:
            raise Forbidden(f"this action needs the '{scope}' scope")

    @classmethod
    def system(cls, workspace_id: int) -> Principal:
        """Webcare itself acting (ingestion, jobs, the demo seeder)."""
        return cls(workspace_id=workspace_id, user_id=None, role=Role.ADMIN, scopes=Scope.ALL)
