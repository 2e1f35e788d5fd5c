"""Events the conversation domain publishes (wire names are stable: see docs/events.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from webcare.events.bus import DomainEvent


@dataclass(frozen=True)
class MessageReceived(DomainEvent):
    name: ClassVar[str] = "message.received"
    conversation_id: int
    message_id: int


@dataclass(frozen=True)
class MessageEdited(DomainEvent):
    name: ClassVar[str] = "message.edited"
    conversation_id: int
    message_id: int


@dataclass(frozen=True)
class MessageDeleted(DomainEvent):
    name: ClassVar[str] = "message.deleted"
    conversation_id: int
    message_id: int


@dataclass(frozen=True)
class ReplyQueued(DomainEvent):
    name: ClassVar[str] = "reply.queued"
    conversation_id: int
    message_id: int


@dataclass(frozen=True)
class ReplyDelivered(DomainEvent):
    """The platform accepted the reply (``status`` sent) or refused it for good (failed)."""

    name: ClassVar[str] = "reply.delivery_changed"
    conversation_id: int
    message_id: int
    status: str


@dataclass(frozen=True)
class ConversationCreated(DomainEvent):
    name: ClassVar[str] = "conversation.created"
    conversation_id: int


@dataclass(frozen=True)
class ConversationChanged(DomainEvent):
    """Assignment, team, status, priority or labels changed; ``change`` says which."""

    name: ClassVar[str] = "conversation.changed"
    conversation_id: int
    change: str


@dataclass(frozen=True)
class ConversationMerged(DomainEvent):
    name: ClassVar[str] = "conversation.merged"
    conversation_id: int
    merged_from_id: int


@dataclass(frozen=True)
class NoteAdded(DomainEvent):
    name: ClassVar[str] = "note.added"
    conversation_id: int
    note_id: int
    mentioned_user_ids: tuple[int, ...]
