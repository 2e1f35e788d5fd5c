"""Assembling API views of conversations with a fixed number of queries per page (no N+1)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.channel import service as channels
from webcare.contact import service as contacts
from webcare.conversation import repository
from webcare.conversation.models import Conversation, Message
from webcare.conversation.schemas import (
    ActivityOut,
    ChannelRef,
    ContactRef,
    ConversationDetail,
    ConversationListItem,
    IdentityOut,
    MessageOut,
    MessagePreview,
    NoteOut,
    RevisionOut,
)

PREVIEW_LENGTH = 160


def list_items(
    session: Session, workspace_id: int, rows: list[Conversation]
) -> list[ConversationListItem]:
    ids = [c.id for c in rows]
    accounts = channels.accounts_by_id(session, workspace_id, {c.channel_account_id for c in rows})
    contact_rows = {
        c.id: c for c in contacts.by_ids(session, workspace_id, {c.contact_id for c in rows})
    }
    identities = contacts.identities(session, workspace_id, list(contact_rows))
    labels = repository.labels_by_conversation(session, ids)
    last = repository.last_messages(session, ids)
    items = []
    for c in rows:
        account = accounts[c.channel_account_id]
        contact = contact_rows[c.contact_id]
        items.append(
            ConversationListItem(
                id=c.id,
                kind=c.kind,
                status=c.status,
                priority=c.priority,
                subject=c.subject,
                channel=ChannelRef(
                    id=account.id,
                    platform=account.platform,
                    handle=account.handle,
                    display_name=account.display_name,
                ),
                contact=ContactRef(
                    id=contact.id,
                    name=contact.name,
                    identities=[IdentityOut.model_validate(i) for i in identities[contact.id]],
                ),
                assignee_id=c.assignee_id,
                team_id=c.team_id,
                labels=labels[c.id],
                urgency=c.urgency,
                sentiment=c.sentiment,
                waiting_since=c.waiting_since,
                snoozed_until=c.snoozed_until,
                first_inbound_at=c.first_inbound_at,
                first_response_at=c.first_response_at,
                last_activity_at=c.last_activity_at,
                last_message=_preview(last.get(c.id)),
            )
        )
    return items


def _preview(message: Message | None) -> MessagePreview | None:
    if message is None:
        return None
    return MessagePreview(
        text=message.text[:PREVIEW_LENGTH], direction=message.direction, at=message.platform_time
    )


def detail(session: Session, workspace_id: int, conversation: Conversation) -> ConversationDetail:
    """Everything an agent needs to answer: messages with history, notes, activity."""
    (item,) = list_items(session, workspace_id, [conversation])
    messages = repository.messages_of(session, conversation.id)
    revisions: dict[int, list[RevisionOut]] = {m.id: [] for m in messages}
    for revision in repository.revisions_of(session, [m.id for m in messages]):
        revisions[revision.message_id].append(
            RevisionOut(text=revision.text, replaced_at=revision.replaced_at)
        )
    return ConversationDetail(
        **item.model_dump(),
        messages=[_message_out(m, revisions[m.id]) for m in messages],
        notes=[NoteOut.model_validate(n) for n in repository.notes_of(session, conversation.id)],
        activity=[
            ActivityOut.model_validate(a)
            for a in audit.trail(session, workspace_id, "conversation", conversation.id)
        ],
    )


def message_out(message: Message) -> MessageOut:
    return _message_out(message, [])


def _message_out(message: Message, revisions: list[RevisionOut]) -> MessageOut:
    return MessageOut(
        id=message.id,
        external_id=message.external_id,
        direction=message.direction,
        visibility=message.visibility,
        author_identity_id=message.author_identity_id,
        author_user_id=message.author_user_id,
        text=message.text,
        attachments=message.attachments,
        rating=message.rating,
        reply_to_external_id=message.reply_to_external_id,
        platform_time=message.platform_time,
        received_at=message.received_at,
        delivery_status=message.delivery_status,
        delivery_error=message.delivery_error,
        edited_at=message.edited_at,
        deleted_at=message.deleted_at,
        hidden_at=message.hidden_at,
        liked_at=message.liked_at,
        revisions=revisions,
    )
