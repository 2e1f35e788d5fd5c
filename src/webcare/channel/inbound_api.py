"""Turning the generic API channel's JSON into the connector-neutral inbound dataclasses."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webcare.channel import service
from webcare.channel.models import ChannelAccount, Platform
from webcare.channel.ports import (
    Attachment,
    Author,
    ConversationKind,
    InboundDeletion,
    InboundEdit,
    InboundMessage,
    MessageVisibility,
)
from webcare.channel.schemas import InboundEditIn, InboundMessageIn, IngestOut
from webcare.ingestion import service as ingestion
from webcare.kit.errors import Conflict, Invalid
from webcare.kit.time import utc_now

_PUBLIC_KINDS = {ConversationKind.PUBLIC_THREAD, ConversationKind.REVIEW}


def api_account(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    account = service.get_or_raise(session, workspace_id, account_id)
    if account.platform != Platform.API.value:
        raise Conflict(
            f"channel account {account_id} is a {account.platform} account; "
            "its messages arrive through the platform's webhook"
        )
    return account


def to_inbound(body: InboundMessageIn) -> InboundMessage:
    if body.sent_at.tzinfo is None:
        raise Invalid("sent_at must include a time zone, e.g. 2026-11-23T09:15:00Z")
    visibility = body.visibility or (
        MessageVisibility.PUBLIC if body.kind in _PUBLIC_KINDS else MessageVisibility.PRIVATE
    )
    return InboundMessage(
        external_id=body.external_id,
        author=Author(
            platform_user_id=body.author.id,
            handle=body.author.handle,
            name=body.author.name,
            follower_count=body.author.followers,
            verified=body.author.verified,
        ),
        text=body.text,
        platform_time=body.sent_at,
        kind=body.kind,
        visibility=visibility,
        reply_to_external_id=body.reply_to,
        thread_external_id=body.thread_id,
        subject=body.subject,
        rating=body.rating,
        attachments=tuple(
            Attachment(kind=a.kind, url=str(a.url), mime_type=a.mime_type, name=a.name)
            for a in body.attachments
        ),
        raw=body.model_dump(mode="json"),
    )


def ingest(
    session: Session, account: ChannelAccount, body: InboundMessageIn, reopen_window_hours: float
) -> IngestOut:
    """Store one generic-API message (REST or webhook); a duplicate answers ``duplicate``."""
    result = ingestion.ingest(
        session, account, to_inbound(body), reopen_window=timedelta(hours=reopen_window_hours)
    )
    return IngestOut(
        message_id=result.message_id,
        conversation_id=result.conversation_id,
        duplicate=result.duplicate,
    )


def to_edit(external_id: str, body: InboundEditIn) -> InboundEdit:
    edited_at = body.edited_at or utc_now()
    if edited_at.tzinfo is None:
        raise Invalid("edited_at must include a time zone")
    return InboundEdit(
        external_id=external_id,
        text=body.text,
        edited_at=edited_at,
        raw=body.model_dump(mode="json"),
    )


def to_deletion(external_id: str, at: datetime) -> InboundDeletion:
    return InboundDeletion(external_id=external_id, deleted_at=at)
