"""API shapes of the conversation domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from webcare.conversation.models import Priority, Status, Visibility


class ChannelRef(BaseModel):
    id: int
    platform: str
    handle: str
    display_name: str


class IdentityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: str
    platform_user_id: str
    handle: str | None
    name: str | None
    follower_count: int | None
    verified: bool


class ContactRef(BaseModel):
    id: int
    name: str
    identities: list[IdentityOut]


class MessagePreview(BaseModel):
    text: str
    direction: str
    at: datetime


class ConversationListItem(BaseModel):
    id: int
    kind: str
    status: str
    priority: str
    subject: str | None
    channel: ChannelRef
    contact: ContactRef
    assignee_id: int | None
    team_id: int | None
    labels: list[str]
    urgency: int | None = Field(
        default=None, description="Escalation risk of the latest customer message, 0-100."
    )
    sentiment: str | None = None
    waiting_since: datetime | None
    snoozed_until: datetime | None
    first_inbound_at: datetime | None
    first_response_at: datetime | None
    last_activity_at: datetime
    last_message: MessagePreview | None


class ConversationPage(BaseModel):
    items: list[ConversationListItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    total: int


class RevisionOut(BaseModel):
    text: str
    replaced_at: datetime


class MessageOut(BaseModel):
    id: int
    external_id: str | None
    direction: str
    visibility: str
    author_identity_id: int | None
    author_user_id: int | None
    text: str
    attachments: list[dict[str, Any]]
    rating: int | None
    reply_to_external_id: str | None
    platform_time: datetime
    received_at: datetime
    delivery_status: str | None
    delivery_error: str | None
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None = Field(
        default=None, description="When an agent hid this comment on the platform."
    )
    liked_at: datetime | None = None
    revisions: list[RevisionOut]


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author_user_id: int | None
    text: str
    mentions: list[int]
    created_at: datetime


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    actor_user_id: int | None
    data: dict[str, Any]
    created_at: datetime


class ConversationDetail(ConversationListItem):
    messages: list[MessageOut]
    notes: list[NoteOut]
    activity: list[ActivityOut]


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    visibility: Visibility | None = Field(
        default=None,
        description="Defaults to the conversation's own: public for threads and reviews.",
    )
    sign: bool = Field(
        default=False, description="Add the agent's signature the way the channel wants it."
    )
    seen_up_to_message_id: int | None = Field(
        default=None,
        description="The newest message the agent had seen. If a colleague replied after it, "
        "the answer is 409 reply_collision with their reply; send again with its id to confirm.",
    )


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class AssignIn(BaseModel):
    assignee_id: int | None = None
    team_id: int | None = None


class StatusIn(BaseModel):
    status: Status
    snoozed_until: datetime | None = None


class PriorityIn(BaseModel):
    priority: Priority


class LabelIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class LabelCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class LabelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    color: str
