"""Pydantic shapes of the auth API. Token hashes never appear in any of them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from webcare.workspace.models import Role


class MeUser(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str | None
    locale: str


class MeWorkspace(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str


class Me(BaseModel):
    """Who the caller is. ``user`` is None for a token that acts for the workspace itself;
    ``csrf_token`` is set only for a browser session (scripts in the UI send it back)."""

    user: MeUser | None
    workspace: MeWorkspace
    role: Role
    scopes: list[str]
    auth: Literal["session", "token"]
    signature: str | None = None
    csrf_token: str | None = None


class ApiTokenCreate(BaseModel):
    """``user_id`` ties the token to a member, so it never exceeds their role and dies with
    their membership; leave it out for a token of the workspace itself (an integration)."""

    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1)
    user_id: int | None = None


class ApiToken(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    scopes: list[str]
    user_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiToken):
    token: str = Field(description="The raw token. Shown only in this response: store it now.")
