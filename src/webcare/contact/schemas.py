"""API shapes of contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from webcare.conversation.schemas import IdentityOut


class ContactConversation(BaseModel):
    id: int
    channel_account_id: int
    platform: str
    kind: str
    status: str
    subject: str | None
    last_activity_at: datetime


class ContactOut(BaseModel):
    id: int
    name: str
    attributes: dict[str, Any]
    identities: list[IdentityOut]
    created_at: datetime


class ContactDetail(ContactOut):
    conversations: list[ContactConversation] = Field(
        description="Every conversation with this contact, on every channel, newest first."
    )


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None


class ContactUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    attributes: dict[str, Any] | None = Field(
        default=None, description="Merged into the existing attributes; null removes a key."
    )
