"""Workspaces, memberships and teams: rules and workspace scoping."""

from __future__ import annotations

import pytest

from webcare.kit.db import unit_of_work
from webcare.kit.errors import Conflict, Invalid, NotFound
from webcare.runtime import Runtime
from webcare.workspace import service
from webcare.workspace.models import Role

from .cast import make_member, make_workspace


@pytest.mark.parametrize("slug", ["acme", "acme-energie", "a1", "2025-webcare", "a--b", "a" * 64])
def test_valid_slugs_are_accepted(slug: str) -> None:
    service.check_slug(slug)


@pytest.mark.parametrize(
    "slug", ["", "Acme", "acme energie", "-acme", "acme-", "a_b", "é", "a" * 65]
)
def test_invalid_slugs_are_refused(slug: str) -> None:
    with pytest.raises(Invalid, match="slug"):
        service.check_slug(slug)


def test_create_workspace_checks_the_slug_and_finds_it_again(runtime: Runtime) -> None:
    with unit_of_work(runtime.session_factory) as db:
        workspace = service.create_workspace(db, "acme-energie", " Acme Energie ")
        with pytest.raises(Invalid):
            service.create_workspace(db, "Acme Energie", "Acme")

        assert service.get_workspace_by_slug(db, "acme-energie") == workspace
        assert workspace.name == "Acme Energie"


def test_duplicate_slug_is_a_conflict(runtime: Runtime) -> None:
    make_workspace(runtime, "acme")

    with unit_of_work(runtime.session_factory) as db, pytest.raises(Conflict):
        service.create_workspace(db, "acme", "Another Acme")


def test_add_member_twice_updates_role_and_keeps_signature(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)
    anna = make_member(runtime, workspace_id, "anna", Role.AGENT, signature="^AV")

    with unit_of_work(runtime.session_factory) as db:
        service.add_member(db, workspace_id, anna.user_id, Role.LEAD)
        members = service.list_members(db, workspace_id)

    assert [(m.user_id, m.role, m.signature) for m in members] == [(anna.user_id, "lead", "^AV")]


def test_members_are_listed_per_workspace(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    anna = make_member(runtime, acme, "anna")
    make_member(runtime, other, "bert")

    with unit_of_work(runtime.session_factory) as db:
        assert [m.user_id for m in service.list_members(db, acme)] == [anna.user_id]
        assert service.get_membership(db, other, anna.user_id) is None


def test_duplicate_team_name_is_a_conflict_only_within_a_workspace(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")

    with unit_of_work(runtime.session_factory) as db:
        service.create_team(db, acme, "Storingen")
        service.create_team(db, other, "Storingen")
        with pytest.raises(Conflict):
            service.create_team(db, acme, "Storingen")


def test_team_of_another_workspace_is_not_found(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    with unit_of_work(runtime.session_factory) as db:
        team_id = service.create_team(db, other, "Storingen").id

    with unit_of_work(runtime.session_factory) as db, pytest.raises(NotFound):
        service.get_team_or_raise(db, acme, team_id)


def test_team_members_must_belong_to_the_workspace(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    anna = make_member(runtime, acme, "anna")
    bert = make_member(runtime, other, "bert")

    with unit_of_work(runtime.session_factory) as db:
        team = service.create_team(db, acme, "Storingen")
        service.add_team_member(db, acme, team.id, anna.user_id)
        service.add_team_member(db, acme, team.id, anna.user_id)
        with pytest.raises(NotFound):
            service.add_team_member(db, acme, team.id, bert.user_id)

        assert service.list_team_member_ids(db, acme, team.id) == [anna.user_id]
        assert [t.name for t in service.list_teams(db, acme)] == ["Storingen"]
        assert service.list_teams(db, other) == []


def test_mentions_resolve_to_members_of_this_workspace_only(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    anna = make_member(runtime, acme, "anna")
    lars = make_member(runtime, acme, "lars")
    make_member(runtime, other, "bert")

    with unit_of_work(runtime.session_factory) as db:
        ids = service.member_ids_by_username(db, acme, ["lars", "Anna", "bert", "nobody", "lars"])

        assert ids == [lars.user_id, anna.user_id]
        assert service.member_ids_by_username(db, acme, []) == []
