"""Workspaces, memberships and teams.

Invariant: every query on memberships and teams filters by ``workspace_id``, so an id from
another workspace behaves exactly like an id that does not exist. Functions flush, never commit:
the request, job or command that calls them owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.models import User
from webcare.auth.principal import Principal
from webcare.kit.errors import Conflict, Invalid
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


def all_workspaces(session: Session) -> list[Workspace]:
    return list(session.scalars(sa.select(Workspace).order_by(Workspace.id)))


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


@dataclass(frozen=True)
class Member:
    """A member as the UI lists them: user and membership together."""

    user_id: int
    username: str
    display_name: str
    role: str
    signature: str | None
    is_active: bool


def members(session: Session, workspace_id: int) -> list[Member]:
    """Every member with their user's names, by display name (one query)."""
    query = (
        sa.select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(sa.func.lower(User.display_name), User.id)
    )
    return [
        Member(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=membership.role,
            signature=membership.signature,
            is_active=user.is_active,
        )
        for membership, user in session.execute(query)
    ]


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


def set_signature(
    session: Session, workspace_id: int, user_id: int, signature: str | None
) -> Membership:
    """The member's reply signature in this workspace (e.g. ``^AV``); empty removes it."""
    membership = get_membership_or_raise(session, workspace_id, user_id)
    membership.signature = (
        _optional_text(signature or "", "signature", SIGNATURE_MAX_LENGTH) or None
    )
    session.flush()
    return membership


# Administration (the admin pages): actor-scoped and audited ---------------------------------

LAST_ADMIN = "a workspace needs at least one active admin"


def parse_role(value: str) -> Role:
    """A role from form input; an unknown one is the caller's mistake (422), not a crash."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise Invalid(f"unknown role '{value}'; choose one of: {names}") from None


def active_admin_ids(session: Session, workspace_id: int, *, lock: bool = False) -> list[int]:
    """User ids of the workspace's admins whose account is active.

    With ``lock`` the admin memberships stay locked until the transaction ends (``FOR UPDATE``
    on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so two admins
    demoting each other at the same moment cannot both succeed and leave nobody in charge.
    """
    query = (
        sa.select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.workspace_id == workspace_id,
            Membership.role == Role.ADMIN.value,
            User.is_active.is_(True),
        )
        .order_by(Membership.user_id)
    )
    if lock:
        query = query.with_for_update(of=Membership)
    return list(session.scalars(query))


def check_keeps_an_admin(session: Session, actor: Principal, user_id: int) -> None:
    """Refuse a change that takes admin rights away from ``user_id`` if it would lock the
    workspace out: an admin may not do it to themselves (they would lose this page halfway
    through), and the last active admin cannot go at all."""
    if user_id == actor.user_id:
        raise Conflict("you cannot take away your own admin rights; ask another admin")
    admins = active_admin_ids(session, actor.workspace_id, lock=True)
    if admins == [user_id]:
        raise Conflict(LAST_ADMIN)


def change_role(session: Session, actor: Principal, user_id: int, role: Role) -> Membership:
    """Give a member another role; a no-op when it is already theirs."""
    role = Role(role)
    membership = get_membership_or_raise(session, actor.workspace_id, user_id)
    previous = membership.role
    if previous == role.value:
        return membership
    if previous == Role.ADMIN.value:
        check_keeps_an_admin(session, actor, user_id)
    membership.role = role.value
    session.flush()
    audit.record(
        session,
        actor,
        "member.role_changed",
        "user",
        user_id,
        {"from": previous, "to": role.value},
    )
    return membership


def change_signature(
    session: Session, actor: Principal, user_id: int, signature: str | None
) -> Membership:
    """An admin setting someone's reply signature; audited, unlike the member's own change,
    because it puts words under someone else's replies."""
    membership = get_membership_or_raise(session, actor.workspace_id, user_id)
    previous = membership.signature
    set_signature(session, actor.workspace_id, user_id, signature)
    if membership.signature != previous:
        audit.record(
            session,
            actor,
            "member.signature_changed",
            "user",
            user_id,
            {"from": previous, "to": membership.signature},
        )
    return membership


@dataclass(frozen=True)
class TeamOverview:
    """A team with its members, as the admin page lists them."""

    id: int
    name: str
    members: list[Member]


def team_overview(session: Session, workspace_id: int) -> list[TeamOverview]:
    """Every team with its members by display name (two queries, however many teams)."""
    teams = list_teams(session, workspace_id)
    by_user = {member.user_id: member for member in members(session, workspace_id)}
    rows = session.execute(
        sa.select(TeamMember.team_id, TeamMember.user_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.workspace_id == workspace_id)
    )
    member_ids: dict[int, set[int]] = {team.id: set() for team in teams}
    for team_id, user_id in rows:
        member_ids[team_id].add(user_id)
    order = {user_id: position for position, user_id in enumerate(by_user)}
    return [
        TeamOverview(
            id=team.id,
            name=team.name,
            members=[
                by_user[user_id]
                for user_id in sorted(member_ids[team.id], key=lambda uid: order.get(uid, 0))
                if user_id in by_user
            ],
        )
        for team in teams
    ]


def create_team_as(session: Session, actor: Principal, name: str) -> Team:
    """:func:`create_team` on behalf of an admin, audited (the CLI and demo have no actor)."""
    team = create_team(session, actor.workspace_id, name)
    audit.record(session, actor, "team.created", "team", team.id, {"name": team.name})
    return team


def add_team_member_as(session: Session, actor: Principal, team_id: int, user_id: int) -> None:
    """:func:`add_team_member` on behalf of an admin, audited only when it changes something."""
    already = session.get(TeamMember, (team_id, user_id)) is not None
    add_team_member(session, actor.workspace_id, team_id, user_id)  # 404s for foreign ids
    if not already:
        audit.record(session, actor, "team.member_added", "team", team_id, {"user_id": user_id})


def remove_team_member(session: Session, actor: Principal, team_id: int, user_id: int) -> None:
    """Take a member out of a team (idempotent); team and user must be of the actor's
    workspace, or it is a 404 like any other foreign id."""
    team = get_team_or_raise(session, actor.workspace_id, team_id)
    removed = session.execute(
        sa.delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    )
    session.flush()
    if not getattr(removed, "rowcount", 0):
        # Nothing to remove: fine for a member (a repeated click), 404 for anyone else.
        get_membership_or_raise(session, actor.workspace_id, user_id)
        return
    audit.record(session, actor, "team.member_removed", "team", team.id, {"user_id": user_id})
