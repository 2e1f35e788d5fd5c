"""Workspaces, memberships and teams.

Invariant: every query on memberships and teams filters by ``workspace_id``, so an id from
another workspace behaves exactly like an id that does not exist. Functions flush, never commit:
the request, job or command that calls them owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.auth.models import User
from webcare.kit.errors import Invalid
from webcare.workspace.errors import NotAMember, TeamNameTaken, TeamNotFound, WorkspaceSlugTaken
from webcare.workspace.models import Membership, Role, Team, TeamMember, Workspace

#: Lowercase letters, digits and dashes, not starting or ending with a dash: safe in URLs.
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
SLUG_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
TEAM_NAME_MAX_LENGTH = 100
SIGNATURE_MAX_LENGTH = 100


def create_workspace(session: Session, slug: str, name: str) -> Workspace:
    """Create a tenant. Raises :class:`Invalid` for a bad slug or name and
    :class:`WorkspaceSlugTaken` when the slug is in use."""
    check_slug(slug)
    name = _required_text(name, "workspace name", NAME_MAX_LENGTH)
    if get_workspace_by_slug(session, slug) is not None:
        raise WorkspaceSlugTaken(f"a workspace with slug '{slug}' already exists")
    workspace = Workspace(slug=slug, name=name, settings={})
    session.add(workspace)
    session.flush()
    return workspace


def get_workspace(session: Session, workspace_id: int) -> Workspace | None:
    return session.get(Workspace, workspace_id)


def get_workspace_by_slug(session: Session, slug: str) -> Workspace | None:
    return session.scalar(sa.select(Workspace).where(Workspace.slug == slug))


def add_member(
    session: Session,
    workspace_id: int,
    user_id: int,
    role: Role,
    signature: str | None = None,
) -> Membership:
    """Give a user a role in a workspace; calling it again changes the role (idempotent).

    ``signature`` (e.g. "^AV", appended to public replies) is kept as it was when None is
    passed for an existing member, so changing a role never wipes a signature; pass "" to
    remove it.
    """
    role = Role(role)
    if signature is not None:
        signature = _optional_text(signature, "signature", SIGNATURE_MAX_LENGTH)
    membership = get_membership(session, workspace_id, user_id)
    if membership is None:
        membership = Membership(workspace_id=workspace_id, user_id=user_id, role=role.value)
        session.add(membership)
    membership.role = role.value
    if signature is not None:
        membership.signature = signature or None
    session.flush()
    return membership


def get_membership(session: Session, workspace_id: int, user_id: int) -> Membership | None:
    return session.scalar(
        sa.select(Membership).where(
            Membership.workspace_id == workspace_id, Membership.user_id == user_id
        )
    )


def get_membership_or_raise(session: Session, workspace_id: int, user_id: int) -> Membership:
    membership = get_membership(session, workspace_id, user_id)
    if membership is None:
        raise NotAMember(f"user {user_id} is not a member of this workspace")
    return membership


def list_members(session: Session, workspace_id: int) -> list[Membership]:
    """Members in the order they joined."""
    query = (
        sa.select(Membership).where(Membership.workspace_id == workspace_id).order_by(Membership.id)
    )
    return list(session.scalars(query))


def member_ids_by_username(
    session: Session, workspace_id: int, usernames: Iterable[str]
) -> list[int]:
    """User ids of this workspace's members among ``usernames`` (e.g. @mentions in a note).

    Case-insensitive like login; unknown names and users of other workspaces are skipped, so
    a mention can never reach outside the workspace. Ids come in first-mention order, once.
    """
    wanted = list(dict.fromkeys(name.lower() for name in usernames))
    if not wanted:
        return []
    query = (
        sa.select(sa.func.lower(User.username), User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, sa.func.lower(User.username).in_(wanted))
    )
    found: dict[str, int] = dict(session.execute(query).all())
    return [found[name] for name in wanted if name in found]


def create_team(session: Session, workspace_id: int, name: str) -> Team:
    """Create a team; the name must be unique within the workspace."""
    name = _required_text(name, "team name", TEAM_NAME_MAX_LENGTH)
    duplicate = session.scalar(
        sa.select(Team.id).where(Team.workspace_id == workspace_id, Team.name == name)
    )
    if duplicate is not None:
        raise TeamNameTaken(f"a team named '{name}' already exists")
    team = Team(workspace_id=workspace_id, name=name)
    session.add(team)
    session.flush()
    return team


def add_team_member(session: Session, workspace_id: int, team_id: int, user_id: int) -> TeamMember:
    """Put a workspace member in a team of the same workspace (idempotent).

    Both checks go through ``workspace_id``: a team or user of another workspace is not found.
    """
    team = get_team_or_raise(session, workspace_id, team_id)
    get_membership_or_raise(session, workspace_id, user_id)
    existing = session.get(TeamMember, (team.id, user_id))
    if existing is not None:
        return existing
    member = TeamMember(team_id=team.id, user_id=user_id)
    session.add(member)
    session.flush()
    return member


def list_teams(session: Session, workspace_id: int) -> list[Team]:
    """Teams of the workspace by name."""
    query = sa.select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name)
    return list(session.scalars(query))


def list_team_member_ids(session: Session, workspace_id: int, team_id: int) -> list[int]:
    """User ids in a team of this workspace."""
    team = get_team_or_raise(session, workspace_id, team_id)
    query = (
        sa.select(TeamMember.user_id)
        .where(TeamMember.team_id == team.id)
        .order_by(TeamMember.user_id)
    )
    return list(session.scalars(query))


def get_team_or_raise(session: Session, workspace_id: int, team_id: int) -> Team:
    team = session.scalar(
        sa.select(Team).where(Team.workspace_id == workspace_id, Team.id == team_id)
    )
    if team is None:
        raise TeamNotFound(f"team {team_id} not found")
    return team


def check_slug(slug: str) -> None:
    """Raise :class:`Invalid` unless ``slug`` is URL-safe; pure, so forms can check early."""
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > SLUG_MAX_LENGTH:
        raise Invalid(
            f"a workspace slug is 1-{SLUG_MAX_LENGTH} lowercase letters, digits and dashes "
            "(no dash at the start or end), e.g. 'acme-energie'"
        )


def _required_text(value: str, what: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        raise Invalid(f"the {what} must not be empty")
    if len(value) > max_length:
        raise Invalid(f"the {what} must be at most {max_length} characters")
    return value


def _optional_text(value: str, what: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise Invalid(f"the {what} must be at most {max_length} characters")
    return value
