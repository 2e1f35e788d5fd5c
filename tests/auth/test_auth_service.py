"""Users, sessions and API tokens at the service level, against the real database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from webcare.auth import passwords
from webcare.auth import service as auth_service
from webcare.auth.models import ApiToken, User, UserSession
from webcare.kit.crypto import sha256_hex
from webcare.kit.db import unit_of_work
from webcare.kit.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.workspace import service as workspace_service
from webcare.workspace.models import Role

from .cast import PASSWORD, database_text, make_member, make_token, make_workspace


def test_stored_password_is_argon2_and_plain_password_is_nowhere_in_the_database(
    runtime: Runtime,
) -> None:
    anna = make_member(runtime, make_workspace(runtime), "anna")

    with unit_of_work(runtime.session_factory) as db:
        user = db.get(User, anna.user_id)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in database_text(runtime)


@pytest.mark.parametrize("username", ["a", "x" * 65, "anna smit", "anna@acme", "änna", ""])
def test_invalid_usernames_are_refused(username: str) -> None:
    with pytest.raises(Invalid, match="username"):
        auth_service.check_username(username)


@pytest.mark.parametrize("username", ["ab", "anna.smit", "anna_s-2", "x" * 64])
def test_valid_usernames_are_accepted(username: str) -> None:
    auth_service.check_username(username)


def test_usernames_differing_only_in_case_clash(runtime: Runtime) -> None:
    make_member(runtime, make_workspace(runtime), "anna")

    with unit_of_work(runtime.session_factory) as db, pytest.raises(Conflict):
        auth_service.create_user(db, username="Anna", password=PASSWORD, display_name="A")


def test_short_password_is_refused_when_creating_a_user(runtime: Runtime) -> None:
    with unit_of_work(runtime.session_factory) as db, pytest.raises(Invalid, match="at least 8"):
        auth_service.create_user(db, username="anna", password="short", display_name="Anna")


@pytest.mark.parametrize(
    ("username", "password"), [("anna", "wrong-password"), ("nobody", PASSWORD)]
)
def test_wrong_password_and_unknown_user_fail_the_same_way(
    runtime: Runtime, username: str, password: str
) -> None:
    make_member(runtime, make_workspace(runtime), "anna")

    with unit_of_work(runtime.session_factory) as db, pytest.raises(Unauthorized) as caught:
        auth_service.authenticate(db, username, password)
    assert caught.value.detail == "wrong username or password"


def test_deactivated_user_cannot_log_in(runtime: Runtime) -> None:
    anna = make_member(runtime, make_workspace(runtime), "anna")
    with unit_of_work(runtime.session_factory) as db:
        db.execute(sa.update(User).where(User.id == anna.user_id).values(is_active=False))

    with unit_of_work(runtime.session_factory) as db, pytest.raises(Unauthorized):
        auth_service.authenticate(db, "anna", PASSWORD)


def test_login_upgrades_a_hash_made_with_weaker_parameters(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = make_member(runtime, make_workspace(runtime), "anna")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", stronger)

    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.authenticate(db, "ANNA", PASSWORD)
        assert user.id == anna.user_id

    with unit_of_work(runtime.session_factory) as db:
        stored = db.get(User, anna.user_id)
        assert stored is not None
        assert "m=2048,t=2,p=1" in stored.password_hash
        assert passwords.verify_password(stored.password_hash, PASSWORD)


def test_session_stores_only_the_hash_and_resolves_with_the_membership(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)
    anna = make_member(runtime, workspace_id, "anna", signature="^AV")

    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.authenticate(db, "anna", PASSWORD)
        raw, created = auth_service.start_session(db, user, workspace_id, 3600)

    assert created.token_hash == sha256_hex(raw)
    assert raw not in database_text(runtime)
    with unit_of_work(runtime.session_factory) as db:
        resolved = auth_service.resolve_session(db, raw)
        assert resolved is not None
        assert resolved[1].user_id == anna.user_id
        assert resolved[1].signature == "^AV"
        assert auth_service.resolve_session(db, raw + "x") is None


def test_expired_session_is_refused(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)
    make_member(runtime, workspace_id, "anna")
    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.authenticate(db, "anna", PASSWORD)
        raw, created = auth_service.start_session(db, user, workspace_id, 3600)
        created.expires_at = utc_now() - timedelta(seconds=1)

    with unit_of_work(runtime.session_factory) as db:
        assert auth_service.resolve_session(db, raw) is None
        assert auth_service.delete_expired_sessions(db) == 1


def test_session_ends_when_the_user_leaves_the_workspace_or_logs_out(runtime: Runtime) -> None:
    acme = make_workspace(runtime, "acme")
    make_member(runtime, acme, "anna")
    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.authenticate(db, "anna", PASSWORD)
        raw, _ = auth_service.start_session(db, user, acme, 3600)
        auth_service.end_session(db, raw)
        assert auth_service.resolve_session(db, raw) is None
        assert db.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_session_in_a_workspace_the_user_is_not_in_is_refused(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    make_member(runtime, acme, "anna")

    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.authenticate(db, "anna", PASSWORD)
        with pytest.raises(Forbidden):
            auth_service.start_session(db, user, other, 3600)


def test_only_the_api_token_hash_is_stored(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)

    raw, token_id = make_token(runtime, workspace_id, ["conversations:read"])

    assert raw.startswith("wc_")
    assert raw not in database_text(runtime)
    with unit_of_work(runtime.session_factory) as db:
        token = db.get(ApiToken, token_id)
        assert token is not None
        assert token.token_hash == sha256_hex(raw)
        assert token.prefix == raw[:8]


def test_unknown_scope_is_refused_with_the_valid_ones_listed(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)

    with unit_of_work(runtime.session_factory) as db, pytest.raises(Invalid) as caught:
        auth_service.create_api_token(db, workspace_id, "ci", ["conversations:read", "root"])
    assert "root" in caught.value.detail
    assert "conversations:write" in caught.value.detail


def test_revoked_or_unknown_token_does_not_resolve(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)
    raw, token_id = make_token(runtime, workspace_id, ["admin"])

    with unit_of_work(runtime.session_factory) as db:
        assert auth_service.resolve_api_token(db, raw) is not None
        auth_service.revoke_api_token(db, workspace_id, token_id)
        assert auth_service.resolve_api_token(db, raw) is None
        assert auth_service.resolve_api_token(db, "wc_unknown") is None
        assert auth_service.resolve_api_token(db, "no-prefix") is None


def test_last_used_at_is_written_at_most_once_a_minute(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)
    raw, token_id = make_token(runtime, workspace_id, ["admin"])

    def stored() -> datetime | None:
        with runtime.session_factory() as db:
            token = db.get(ApiToken, token_id)
            assert token is not None
            return token.last_used_at

    with unit_of_work(runtime.session_factory) as db:
        assert auth_service.resolve_api_token(db, raw) is not None
    first_used = stored()
    assert first_used is not None  # stamped after the request committed
    with unit_of_work(runtime.session_factory) as db:
        assert auth_service.resolve_api_token(db, raw) is not None
    assert stored() == first_used  # within the minute: no second write
    with unit_of_work(runtime.session_factory) as db:
        token = db.get(ApiToken, token_id)
        assert token is not None
        token.last_used_at = first_used - timedelta(minutes=2)
    with unit_of_work(runtime.session_factory) as db:
        assert auth_service.resolve_api_token(db, raw) is not None
    later = stored()
    assert later is not None
    assert later > first_used - timedelta(minutes=2)


def test_token_for_a_user_outside_the_workspace_is_refused(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    bert = make_member(runtime, other, "bert")

    with unit_of_work(runtime.session_factory) as db, pytest.raises(NotFound, match="not a member"):
        auth_service.create_api_token(db, acme, "ci", ["admin"], user_id=bert.user_id)


def test_first_membership_is_the_oldest(runtime: Runtime) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    anna = make_member(runtime, acme, "anna")
    with unit_of_work(runtime.session_factory) as db:
        workspace_service.add_member(db, other, anna.user_id, Role.VIEWER)

    with unit_of_work(runtime.session_factory) as db:
        membership = auth_service.first_membership(db, anna.user_id)
        assert membership is not None
        assert membership.workspace_id == acme


def test_user_is_found_by_username_regardless_of_case(runtime: Runtime) -> None:
    anna = make_member(runtime, make_workspace(runtime), "anna")

    with unit_of_work(runtime.session_factory) as db:
        found = auth_service.get_user_by_username(db, "ANNA")
        assert found is not None
        assert found.id == anna.user_id
        assert auth_service.get_user_by_username(db, "nobody") is None


def test_changing_the_password_ends_all_sessions(runtime: Runtime) -> None:
    workspace_id = make_workspace(runtime)
    make_member(runtime, workspace_id, "anna")
    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.authenticate(db, "anna", PASSWORD)
        raw, _ = auth_service.start_session(db, user, workspace_id, 3600)
        auth_service.set_password(db, user, "a brand new passphrase")

    with unit_of_work(runtime.session_factory) as db:
        assert auth_service.resolve_session(db, raw) is None
        assert auth_service.authenticate(db, "anna", "a brand new passphrase").id == user.id
