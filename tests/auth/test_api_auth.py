"""Cookie sessions with CSRF, Bearer tokens, scopes and workspace isolation over HTTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from webcare.auth.models import ApiToken
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime
from webcare.workspace import service as workspace_service
from webcare.workspace.models import Role

from .cast import Member, bearer, database_text, log_in, make_member, make_token, make_workspace

NEW_TOKEN = {"name": "zapier", "scopes": ["conversations:read"]}


def _token_count(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(ApiToken)) or 0)


@pytest.fixture
def admin(runtime: Runtime) -> Member:
    return make_member(
        runtime, make_workspace(runtime, "acme"), "anna", Role.ADMIN, signature="^AV"
    )


def test_me_describes_a_cookie_session_with_its_csrf_token(
    client: TestClient, admin: Member
) -> None:
    csrf = log_in(client, admin)

    me = client.get("/api/v1/me").json()

    assert me["user"]["username"] == "anna"
    assert me["workspace"]["slug"] == "acme"
    assert me["role"] == "admin"
    assert me["signature"] == "^AV"
    assert me["auth"] == "session"
    assert "admin" in me["scopes"]
    assert me["csrf_token"] == csrf


def test_cookie_post_without_csrf_token_gets_403_and_changes_nothing(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    log_in(client, admin)

    missing = client.post("/api/v1/tokens", json=NEW_TOKEN)
    wrong = client.post("/api/v1/tokens", json=NEW_TOKEN, headers={"X-CSRF-Token": "guess"})

    assert missing.status_code == wrong.status_code == 403
    assert missing.json() == {"error": "forbidden", "detail": "CSRF token missing or invalid"}
    assert _token_count(runtime) == 0


def test_cookie_post_with_the_csrf_header_works(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    csrf = log_in(client, admin)

    response = client.post("/api/v1/tokens", json=NEW_TOKEN, headers={"X-CSRF-Token": csrf})

    assert response.status_code == 201
    assert response.json()["token"].startswith("wc_")
    assert _token_count(runtime) == 1


def test_csrf_token_of_another_session_is_refused(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    other_csrf = log_in(client, admin)
    log_in(client, admin)

    response = client.post("/api/v1/tokens", json=NEW_TOKEN, headers={"X-CSRF-Token": other_csrf})

    assert response.status_code == 403


def test_bearer_token_needs_no_csrf(runtime: Runtime, client: TestClient, admin: Member) -> None:
    raw, _ = make_token(runtime, admin.workspace_id, ["admin"])

    response = client.post("/api/v1/tokens", json=NEW_TOKEN, headers=bearer(raw))

    assert response.status_code == 201
    me = client.get("/api/v1/me", headers=bearer(raw)).json()
    assert me["auth"] == "token"
    assert me["role"] == "admin"
    assert me["user"] is None
    assert me["csrf_token"] is None


def test_token_without_the_admin_scope_gets_403(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    raw, _ = make_token(runtime, admin.workspace_id, ["conversations:read", "conversations:write"])

    listing = client.get("/api/v1/tokens", headers=bearer(raw))
    creating = client.post("/api/v1/tokens", json=NEW_TOKEN, headers=bearer(raw))

    assert listing.status_code == creating.status_code == 403
    assert listing.json()["detail"] == "this action needs the 'admin' scope"
    assert _token_count(runtime) == 1


def test_agent_session_gets_403_on_token_management(runtime: Runtime, client: TestClient) -> None:
    agent = make_member(runtime, make_workspace(runtime), "bert", Role.AGENT)
    log_in(client, agent)

    assert client.get("/api/v1/tokens").status_code == 403


def test_token_of_a_user_never_exceeds_the_users_role(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    viewer = make_member(runtime, admin.workspace_id, "vera", Role.VIEWER)
    raw, _ = make_token(
        runtime, admin.workspace_id, ["admin", "conversations:read"], viewer.user_id
    )

    me = client.get("/api/v1/me", headers=bearer(raw)).json()

    assert me["role"] == "viewer"
    assert me["scopes"] == ["conversations:read"]
    assert client.get("/api/v1/tokens", headers=bearer(raw)).status_code == 403


@pytest.mark.parametrize(
    "authorization", ["Bearer wc_unknown", "Bearer ", "Basic YW5uYTpwdw==", "Bearer not-a-token"]
)
def test_unknown_or_malformed_credentials_get_401(
    client: TestClient, admin: Member, authorization: str
) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_no_credentials_get_401(client: TestClient) -> None:
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_revoked_token_gets_401(runtime: Runtime, client: TestClient, admin: Member) -> None:
    raw, token_id = make_token(runtime, admin.workspace_id, ["admin"])

    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(raw)).status_code == 204

    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_token_of_a_user_who_left_the_workspace_gets_401(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    raw, _ = make_token(runtime, admin.workspace_id, ["conversations:read"], admin.user_id)
    with unit_of_work(runtime.session_factory) as db:
        membership = workspace_service.get_membership(db, admin.workspace_id, admin.user_id)
        db.delete(membership)

    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_created_token_is_shown_once_and_only_its_hash_is_stored(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    csrf = log_in(client, admin)

    created = client.post("/api/v1/tokens", json=NEW_TOKEN, headers={"X-CSRF-Token": csrf}).json()
    listed = client.get("/api/v1/tokens").json()

    raw = created["token"]
    assert raw not in database_text(runtime)
    assert [t["prefix"] for t in listed] == [raw[:8]]
    assert "token" not in listed[0]
    assert "token_hash" not in listed[0]
    assert client.get("/api/v1/me", headers=bearer(raw)).json()["scopes"] == ["conversations:read"]


def test_unknown_scope_is_a_422_listing_the_valid_ones(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    raw, _ = make_token(runtime, admin.workspace_id, ["admin"])

    response = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["everything"]}, headers=bearer(raw)
    )

    assert response.status_code == 422
    assert "valid scopes are:" in response.json()["detail"]


def test_workspace_a_cannot_see_or_revoke_workspace_b_tokens(
    runtime: Runtime, client: TestClient, admin: Member
) -> None:
    other = make_workspace(runtime, "other")
    raw_a, _ = make_token(runtime, admin.workspace_id, ["admin"])
    raw_b, token_b = make_token(runtime, other, ["admin"])

    by_token = client.delete(f"/api/v1/tokens/{token_b}", headers=bearer(raw_a))
    csrf = log_in(client, admin)
    by_user = client.delete(f"/api/v1/tokens/{token_b}", headers={"X-CSRF-Token": csrf})

    assert by_token.status_code == by_user.status_code == 404
    assert by_user.json()["error"] == "not_found"
    assert token_b not in [t["id"] for t in client.get("/api/v1/tokens").json()]
    assert client.get("/api/v1/me", headers=bearer(raw_b)).status_code == 200
