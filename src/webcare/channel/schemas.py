"""API shapes of channel accounts and of the generic API channel's inbound messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from webcare.channel.models import Platform
from webcare.channel.ports import ConversationKind, MessageVisibility


class ChannelAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    handle: str = Field(min_length=1, max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    credentials: dict[str, Any] = Field(
        default_factory=dict, description="Stored encrypted; never returned by the API."
    )
    settings: dict[str, Any] = Field(default_factory=dict)
    reply_url: AnyHttpUrl | None = Field(
        default=None, description="API channel: where replies are POSTed (signed JSON)."
    )
    values: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The connect form's fields for this platform (see GET /api/v1/channel-platforms), "
            "checked and split into encrypted credentials and settings. When given, "
            "credentials, settings and reply_url must be left out."
        ),
    )


class CredentialsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[str, Any] = Field(description="The fields to replace; others are kept.")


class ConnectionTestOut(BaseModel):
    ok: bool
    detail: str
    health: str


class ConnectFieldOut(BaseModel):
    name: str
    label: str
    secret: bool
    required: bool
    kind: str
    help: str
    generated: bool


class ChannelAccountOut(BaseModel):
    id: int
    platform: str
    handle: str
    display_name: str
    health: str
    health_detail: str | None
    webhook_url: str
    settings: dict[str, Any]
    created_at: datetime
    signing_secret: str | None = Field(
        default=None, description="API channel: shown once, when the account is created."
    )
    generated: dict[str, str] | None = Field(
        default=None,
        description="Values made for you when connecting (e.g. a verify token), shown once.",
    )


class InboundAuthor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="The author's id on your side.")
    handle: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    followers: int | None = Field(default=None, ge=0)
    verified: bool = False


class InboundAttachment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(image|video|audio|file|sticker)$")
    url: AnyHttpUrl
    mime_type: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=255)


class InboundMessageIn(BaseModel):
    """A customer message for the generic API channel."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(
        min_length=1, max_length=255, description="Unique per channel account."
    )
    author: InboundAuthor
    text: str = Field(default="", max_length=100_000)
    sent_at: datetime = Field(description="When the customer sent it, with a time zone.")
    kind: ConversationKind = ConversationKind.PRIVATE_THREAD
    visibility: MessageVisibility | None = None
    reply_to: str | None = Field(default=None, max_length=255)
    thread_id: str | None = Field(default=None, max_length=255)
    subject: str | None = Field(default=None, max_length=500)
    rating: int | None = Field(default=None, ge=1, le=5)
    attachments: list[InboundAttachment] = Field(default_factory=list, max_length=20)


class InboundEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=100_000)
    edited_at: datetime | None = None


class IngestOut(BaseModel):
    message_id: int
    conversation_id: int
    duplicate: bool
