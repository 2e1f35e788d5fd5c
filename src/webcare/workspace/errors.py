"""Errors of the workspace domain, each with the HTTP status a caller should see."""

from __future__ import annotations

from webcare.kit.errors import Conflict, NotFound


class WorkspaceNotFound(NotFound):
    """No workspace with that id or slug."""


class WorkspaceSlugTaken(Conflict):
    """Slugs are unique across the whole instance (they appear in URLs)."""


class TeamNotFound(NotFound):
    """No team with that id in this workspace (other workspaces' teams are never found)."""


class TeamNameTaken(Conflict):
    """Team names are unique within one workspace."""


class NotAMember(NotFound):
    """The user is not a member of this workspace, so for this workspace it does not exist."""
