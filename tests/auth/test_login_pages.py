"""The login form, the session cookie and logout."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from webcare import routers
from webcare.app import create_app
from webcare.auth import endpoints
from webcare.auth.models import UserSession
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.workspace.models import Role

from .cast import PASSWORD, Member, log_in, make_member, make_workspace


@pytest.fixture
def anna(runtime: Runtime) -> Member:
    return make_member(runtime, make_workspace(runtime, "acme"), "anna", Role.LEAD)


def test_login_sets_an_http_only_cookie_and_home_shows_the_user(
    client: TestClient, anna: Member
) -> None:
    response = client.post(
        "/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("webcare_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "anna"


def test_cookie_is_secure_when_configured(
    runtime: Runtime, anna: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    secure = dataclasses.replace(
        runtime, settings=runtime.settings.model_copy(update={"cookie_secure": True})
    )
    monkeypatch.setattr(routers, "ROUTERS", [endpoints.router])
    with TestClient(create_app(runtime=secure), base_url="https://testserver") as client:
        response = client.post(
            "/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False
        )

    assert "Secure" in response.headers["set-cookie"]


def test_login_page_is_a_plain_form(client: TestClient) -> None:
    response = client.get("/login")

    assert response.status_code == 200
    assert '<form method="post" action="/login">' in response.text
    assert 'type="password"' in response.text


@pytest.mark.parametrize(
    ("username", "password"), [("anna", "not-the-password"), ("nobody", PASSWORD)]
)
def test_wrong_password_and_unknown_user_both_get_401_with_the_same_message(
    client: TestClient, anna: Member, username: str, password: str
) -> None:
    response = client.post("/login", data={"username": username, "password": password})

    assert response.status_code == 401
    assert "wrong username or password" in response.text
    assert "Traceback" not in response.text
    assert password not in response.text
    assert "set-cookie" not in response.headers


def test_login_page_and_failures_never_echo_the_password(client: TestClient, anna: Member) -> None:
    secret = "<b>my-Secret-guess</b>"

    failed = client.post("/login", data={"username": "anna", "password": secret})

    assert secret not in failed.text
    assert "my-Secret-guess" not in failed.text
    assert 'value="anna"' in failed.text


def test_username_is_escaped_when_the_form_is_shown_again(client: TestClient) -> None:
    response = client.post("/login", data={"username": '"><script>x</script>', "password": "p"})

    assert "<script>x</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_login_to_a_workspace_the_user_is_not_in_is_refused(
    runtime: Runtime, client: TestClient, anna: Member
) -> None:
    make_workspace(runtime, "other")

    for slug in ("other", "does-not-exist"):
        response = client.post(
            "/login", data={"username": "anna", "password": PASSWORD, "workspace": slug}
        )
        assert response.status_code == 403
        assert f"no access to workspace &#x27;{slug}&#x27;" in response.text


def test_login_picks_the_asked_workspace(runtime: Runtime, client: TestClient) -> None:
    acme, other = make_workspace(runtime, "acme"), make_workspace(runtime, "other")
    anna = make_member(runtime, acme, "anna")
    make_member(runtime, other, "anna2")

    log_in(client, anna, workspace="acme")

    assert client.get("/api/v1/me").json()["workspace"]["slug"] == "acme"


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(
    runtime: Runtime, client: TestClient, anna: Member
) -> None:
    log_in(client, anna)

    response = client.post("/logout", follow_redirects=False)

    assert response.status_code == 403
    assert response.json()["detail"] == "CSRF token missing or invalid"
    assert client.get("/api/v1/me").status_code == 200


def test_logout_with_the_form_csrf_token_ends_the_session(
    runtime: Runtime, client: TestClient, anna: Member
) -> None:
    csrf = log_in(client, anna)

    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401
    with runtime.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_expired_session_cookie_is_refused(
    runtime: Runtime, client: TestClient, anna: Member
) -> None:
    log_in(client, anna)
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(UserSession).values(expires_at=utc_now() - timedelta(seconds=1)))

    assert client.get("/api/v1/me").status_code == 401
    assert "Log in" in client.get("/login").text
