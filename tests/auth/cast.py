"""Test data for auth tests, created through the services (never raw SQL)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from fastapi.testclient import TestClient

from webcare.auth import service as auth_service
from webcare.kit.db import unit_of_work
from webcare.models import metadata
from webcare.runtime import Runtime
from webcare.workspace import service as workspace_service
from webcare.workspace.models import Role

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Member:
    user_id: int
    workspace_id: int
    username: str
    password: str = PASSWORD


def make_workspace(runtime: Runtime, slug: str = "acme") -> int:
    with unit_of_work(runtime.session_factory) as db:
        return workspace_service.create_workspace(db, slug, slug.title()).id


def make_member(
    runtime: Runtime,
    workspace_id: int,
    username: str,
    role: Role = Role.AGENT,
    *,
    password: str = PASSWORD,
    signature: str | None = None,
) -> Member:
    with unit_of_work(runtime.session_factory) as db:
        user = auth_service.create_user(
            db, username=username, password=password, display_name=username.title()
        )
        workspace_service.add_member(db, workspace_id, user.id, role, signature)
        return Member(user.id, workspace_id, username, password)


def make_token(
    runtime: Runtime, workspace_id: int, scopes: list[str], user_id: int | None = None
) -> tuple[str, int]:
    with unit_of_work(runtime.session_factory) as db:
        raw, token = auth_service.create_api_token(db, workspace_id, "test", scopes, user_id)
        return raw, token.id


def log_in(client: TestClient, member: Member, workspace: str = "") -> str:
    """Log in through the form and return the session's CSRF token."""
    response = client.post(
        "/login",
        data={"username": member.username, "password": member.password, "workspace": workspace},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    csrf: str = client.get("/api/v1/me").json()["csrf_token"]
    return csrf


def bearer(raw_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw_token}"}


def database_text(runtime: Runtime) -> str:
    """Every row of every table as text, to prove a secret is stored nowhere."""
    parts: list[str] = []
    with runtime.engine.connect() as conn:
        for table in metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in conn.execute(sa.select(table)))
    return "\n".join(parts)
