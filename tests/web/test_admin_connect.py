"""Connecting a channel from the admin pages and the API: fields checked, secrets encrypted and
shown once, the connection tested against the platform simulator, re-authorisation."""

from __future__ import annotations

import json
import re

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.live import live_simulator
from tests.web.ui import log_in
from webcare.channel.models import ChannelAccount
from webcare.demo.cast import Cast
from webcare.runtime import Runtime


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _stored(runtime: Runtime, handle: str) -> ChannelAccount:
    with runtime.session_factory() as session:
        account = session.scalars(
            sa.select(ChannelAccount).where(ChannelAccount.handle == handle)
        ).one()
        session.expunge(account)
        return account


def test_admin_connects_a_facebook_page_and_sees_the_verify_token_once(
    app_client: TestClient, runtime: Runtime, cast: Cast
) -> None:
    log_in(app_client, "beheer")
    form = app_client.get("/admin/channels/new?platform=facebook")
    assert form.status_code == 200
    assert 'name="page_access_token"' in form.text
    assert 'type="password"' in form.text
    page = app_client.post(
        "/admin/channels",
        data={
            "csrf_token": _csrf(form.text),
            "platform": "facebook",
            "handle": "GlasnetNL",
            "name": "Glasnet op Facebook",
            "page_id": " 1234567890 ",
            "page_access_token": "EAAB-secret-page-token",
            "app_secret": "app-secret-value",
            "verify_token": "",
        },
    )
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    account = _stored(runtime, "GlasnetNL")
    assert account.settings == {"page_id": "1234567890"}
    # Secrets are encrypted at rest: none of them appears in the stored row.
    assert account.credentials_encrypted is not None
    assert "EAAB-secret-page-token" not in account.credentials_encrypted
    credentials = json.loads(runtime.secret_box.decrypt(account.credentials_encrypted))
    token = credentials["verify_token"]
    assert len(token) >= 20
    assert token in page.text
    assert f"/webhooks/facebook/{account.webhook_token}" in page.text
    listing = app_client.get("/admin/channels")
    assert token not in listing.text
    assert "EAAB-secret-page-token" not in listing.text
    assert "1234567890" in listing.text  # settings are readable back


def test_missing_required_field_is_refused_and_nothing_is_stored(
    app_client: TestClient, runtime: Runtime, cast: Cast
) -> None:
    log_in(app_client, "beheer")
    form = app_client.get("/admin/channels/new?platform=whatsapp")
    page = app_client.post(
        "/admin/channels",
        data={
            "csrf_token": _csrf(form.text),
            "platform": "whatsapp",
            "handle": "GlasnetWA",
            "access_token": "tok",
            "app_secret": "s",
        },
    )
    assert page.status_code == 422
    assert "Phone number id is required" in page.text
    with runtime.session_factory() as session:
        assert (
            session.scalar(sa.select(sa.func.count()).where(ChannelAccount.handle == "GlasnetWA"))
            == 0
        )


def test_api_connect_refuses_unknown_fields_and_bad_ports(api: TestClient) -> None:
    unknown = api.post(
        "/api/v1/channel-accounts",
        json={"platform": "x", "handle": "h", "values": {"user_id": "1", "acces_token": "t"}},
    )
    assert unknown.status_code == 422
    assert "acces_token" in unknown.json()["detail"]
    port = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": "email",
            "handle": "service@glasnet.example",
            "values": {
                "address": "service@glasnet.example",
                "imap_host": "127.0.0.1",
                "imap_port": "99999",
                "smtp_host": "127.0.0.1",
                "username": "u",
                "password": "p",
            },
        },
    )
    assert port.status_code == 422
    assert "between 1 and 65535" in port.json()["detail"]
    fields = api.get("/api/v1/channel-platforms/google_reviews/fields").json()
    assert [f["name"] for f in fields] == ["locations", "access_token", "api_base"]
    assert api.get("/api/v1/channel-platforms/myspace/fields").status_code == 422


def test_testing_a_channel_without_a_platform_login_says_so(api: TestClient) -> None:
    created = api.post(
        "/api/v1/channel-accounts",
        json={"platform": "api", "handle": "shop", "values": {}},
    ).json()
    assert created["signing_secret"]  # made for the API channel, shown once
    result = api.post(f"/api/v1/channel-accounts/{created['id']}/test").json()
    assert result == {
        "ok": True,
        "detail": "nothing to test: this channel needs no platform login",
        "health": "ok",
    }
    assert api.get(f"/api/v1/channel-accounts/{created['id']}").json()["signing_secret"] is None


def test_reauthorising_replaces_only_the_given_secret_and_clears_the_flag(
    api: TestClient, runtime: Runtime
) -> None:
    created = api.post(
        "/api/v1/channel-accounts",
        json={
            "platform": "x",
            "handle": "GlasnetZorg",
            "values": {"user_id": "42", "consumer_secret": "cs", "access_token": "old"},
        },
    ).json()
    with runtime.session_factory() as session:
        account = session.get(ChannelAccount, created["id"])
        assert account is not None
        account.health = "needs_reauth"
        session.commit()
    updated = api.patch(
        f"/api/v1/channel-accounts/{created['id']}/credentials",
        json={"values": {"access_token": "new"}},
    )
    assert updated.status_code == 200
    assert updated.json()["health"] == "ok"
    account = _stored(runtime, "GlasnetZorg")
    assert account.credentials_encrypted is not None
    credentials = json.loads(runtime.secret_box.decrypt(account.credentials_encrypted))
    assert credentials == {"consumer_secret": "cs", "access_token": "new"}
    empty = api.patch(f"/api/v1/channel-accounts/{created['id']}/credentials", json={"values": {}})
    assert empty.status_code == 422


def test_test_connection_asks_the_platform_and_records_health(api: TestClient) -> None:
    with live_simulator() as (sim_url, _state):
        me = httpx.get(
            f"{sim_url}/x/2/users/me", headers={"Authorization": "Bearer sim-x-token"}
        ).json()["data"]
        created = api.post(
            "/api/v1/channel-accounts",
            json={
                "platform": "x",
                "handle": "SimAccount",
                "values": {
                    "user_id": me["id"],
                    "consumer_secret": "cs",
                    "access_token": "sim-x-token",
                    "api_base": f"{sim_url}/x",
                },
            },
        ).json()
        good = api.post(f"/api/v1/channel-accounts/{created['id']}/test").json()
        assert good == {"ok": True, "detail": f"connected as @{me['username']}", "health": "ok"}
        api.patch(
            f"/api/v1/channel-accounts/{created['id']}/credentials",
            json={"values": {"access_token": "expired-token"}},
        )
        bad = api.post(f"/api/v1/channel-accounts/{created['id']}/test").json()
        assert bad["ok"] is False
        assert bad["health"] == "needs_reauth"
        listed = api.get(f"/api/v1/channel-accounts/{created['id']}").json()
        assert listed["health"] == "needs_reauth"
        assert "expired-token" not in str(listed)
