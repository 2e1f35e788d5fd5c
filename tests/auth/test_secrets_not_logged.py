"""Passwords and raw tokens must never reach a log, at any level."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from webcare.runtime import Runtime
from webcare.workspace.models import Role

from .cast import PASSWORD, bearer, make_member, make_workspace


def test_password_and_raw_tokens_never_appear_in_logs(
    runtime: Runtime, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    make_member(runtime, make_workspace(runtime), "anna", Role.ADMIN)
    caplog.set_level(logging.DEBUG)

    failed = client.post("/login", data={"username": "anna", "password": PASSWORD + "-typo"})
    login = client.post(
        "/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False
    )
    session_token = client.cookies["webcare_session"]
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    created = client.post(
        "/api/v1/tokens",
        json={"name": "ci", "scopes": ["admin"]},
        headers={"X-CSRF-Token": csrf},
    )
    raw = created.json()["token"]
    me = client.get("/api/v1/me", headers=bearer(raw))

    assert (failed.status_code, login.status_code, created.status_code, me.status_code) == (
        401,
        303,
        201,
        200,
    )
    assert caplog.records, "expected the flow to log something at DEBUG"
    logged = "\n".join(_record_text(record) for record in caplog.records)
    for secret in (PASSWORD, session_token, raw, csrf):
        assert secret not in logged


def _record_text(record: logging.LogRecord) -> str:
    return f"{record.getMessage()} {record.args!r} {record.__dict__!r}"
