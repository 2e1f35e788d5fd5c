"""The shape every connector shares: what it hands to ingestion and how it sends.

Connectors import only this module and ``webcare.kit``. They turn a platform's payload into
:class:`InboundMessage` / :class:`InboundEdit` / :class:`InboundDeletion`, and send replies
described by :class:`OutboundReply`, raising only from the error tree below.

Error tree (what the send job does with each)::

    ConnectorError                 base; never raised itself
    ├── AuthFailed                 credentials rejected: channel flagged "needs re-authorisation",
    │                              the reply is marked failed (the agent retries after an admin
    │                              re-connects the channel)
    ├── RateLimited(retry_after)   the platform said slow down: retry after that many seconds
    ├── TransientError             timeouts, 5xx, connection resets: retried with backoff
    │                              (both end as failed, with the reason, after the last attempt)
    └── PermanentError             the platform refused this message for good: the message is
                                   marked failed with ``reason`` shown to the agent
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from webcare.kit.errors import Invalid

MAX_TEXT_LENGTH = 100_000
MAX_ID_LENGTH = 255


class ConversationKind(enum.StrEnum):
    """Where a message lives; decides how it is threaded."""

    PUBLIC_THREAD = "public_thread"
    PRIVATE_THREAD = "private_thread"
    REVIEW = "review"
    EMAIL = "email"
    CHAT = "chat"


class MessageVisibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True)
class Author:
    """The platform identity that wrote an inbound message."""

    platform_user_id: str
    handle: str | None = None
    name: str | None = None
    follower_count: int | None = None
    verified: bool = False

    def __post_init__(self) -> None:
        _require_id("author.platform_user_id", self.platform_user_id)
        if self.follower_count is not None and self.follower_count < 0:
            raise Invalid("author.follower_count must not be negative")


@dataclass(frozen=True)
class Attachment:
    """A file the customer sent: shown in the inbox, never executed."""

    kind: str
    url: str
    mime_type: str | None = None
    name: str | None = None
    #: The file itself when the platform has no URL for it (an e-mail part): stored by
    #: ``channel.attachments.keep`` and served at ``url``; never part of ``as_json``.
    content: bytes | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "mime_type": self.mime_type, "name": self.name}


@dataclass(frozen=True)
class InboundMessage:
    """A message as every connector produces it: the one input of ingestion.

    ``thread_external_id`` names a platform thread when the platform has one (an e-mail's
    first Message-ID, a review id); ``reply_to_external_id`` names the message this answers.
    """

    external_id: str
    author: Author
    text: str
    platform_time: datetime
    kind: ConversationKind
    visibility: MessageVisibility
    reply_to_external_id: str | None = None
    thread_external_id: str | None = None
    subject: str | None = None
    rating: int | None = None
    attachments: tuple[Attachment, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_id("external_id", self.external_id)
        for name in ("reply_to_external_id", "thread_external_id"):
            value = getattr(self, name)
            if value is not None:
                _require_id(name, value)
        if self.platform_time.tzinfo is None:
            raise Invalid("platform_time must include a time zone")
        if len(self.text) > MAX_TEXT_LENGTH:
            raise Invalid(f"text is longer than {MAX_TEXT_LENGTH} characters")
        if not self.text.strip() and not self.attachments:
            raise Invalid("a message needs text or at least one attachment")
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise Invalid("rating must be between 1 and 5")


@dataclass(frozen=True)
class InboundEdit:
    """The platform reports that the author changed a message's text."""

    external_id: str
    text: str
    edited_at: datetime
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_id("external_id", self.external_id)
        if self.edited_at.tzinfo is None:
            raise Invalid("edited_at must include a time zone")
        if len(self.text) > MAX_TEXT_LENGTH:
            raise Invalid(f"text is longer than {MAX_TEXT_LENGTH} characters")


@dataclass(frozen=True)
class InboundDeletion:
    """The platform reports that the author deleted a message."""

    external_id: str
    deleted_at: datetime
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_id("external_id", self.external_id)
        if self.deleted_at.tzinfo is None:
            raise Invalid("deleted_at must include a time zone")


InboundEvent = InboundMessage | InboundEdit | InboundDeletion


@dataclass(frozen=True)
class OutboundReply:
    """A reply to send. ``idempotency_key`` is stable across retries of the same message."""

    text: str
    visibility: MessageVisibility
    idempotency_key: str
    conversation_id: int
    recipient_platform_user_id: str | None
    reply_to_external_id: str | None
    subject: str | None = None
    #: When the customer last wrote in this conversation: Messenger, Instagram and WhatsApp
    #: allow free-form private replies only within 24 hours of it.
    customer_last_message_at: datetime | None = None
    #: A pre-approved message template to send instead of free text (WhatsApp:
    #: ``{"name", "language": {"code"}, "components"}``); allowed outside the 24-hour window.
    template: dict[str, Any] | None = None


@dataclass(frozen=True)
class SendResult:
    """What the platform answered: at least the id it gave the sent message."""

    external_id: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelContext:
    """What a connector may know about the account it acts for."""

    channel_account_id: int
    handle: str
    settings: dict[str, Any]
    credentials: dict[str, Any]


class Sender(Protocol):
    """The outbound half of a connector."""

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult: ...


class Action(enum.StrEnum):
    """Things an agent can make the platform do to a customer's message."""

    LIKE = "like"
    HIDE = "hide"
    UNHIDE = "unhide"


class Actor(Protocol):
    """Performs :class:`Action` s on a platform; raises from the error tree like a sender."""

    def supported_actions(self) -> frozenset[Action]: ...

    def perform(self, channel: ChannelContext, action: Action, target_external_id: str) -> None: ...


@dataclass(frozen=True)
class PollResult:
    """What one poll found, and the cursor to hand to the next poll of the same account.

    The cursor is the connector's own JSON (``since_id``, an IMAP UID, a page token ...); the
    caller stores it only in the transaction that stores ``events``, so a crash re-polls rather
    than skips.
    """

    events: tuple[InboundEvent, ...]
    cursor: dict[str, Any]


class Poller(Protocol):
    """For platforms (or fallbacks) without push: fetch what arrived since ``cursor``."""

    def poll(self, channel: ChannelContext, cursor: dict[str, Any]) -> PollResult: ...


class ConnectionChecker(Protocol):
    """ "Test connection": one cheap authenticated call; returns a line for the admin to read
    (e.g. the page name the token belongs to) or raises from the error tree."""

    def check(self, channel: ChannelContext) -> str: ...


class ConnectorError(Exception):
    """Base of the connector error tree (see the module docstring)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AuthFailed(ConnectorError):
    """The platform rejected our credentials."""


class RateLimited(ConnectorError):
    """The platform asked us to wait ``retry_after`` seconds."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """Worth retrying later."""


class PermanentError(ConnectorError):
    """Retrying will not help; ``reason`` is shown to the agent."""


def _require_id(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name} must be a non-empty string")
    if len(value) > MAX_ID_LENGTH:
        raise Invalid(f"{name} is longer than {MAX_ID_LENGTH} characters")
