"""The web chat's rules: visitor sessions, posting, reading back, availability, e-mail capture.

Visitors are anonymous: :mod:`.visitor` issues and checks their signed id, and the contact
identity (platform ``webchat``, ``platform_user_id`` = visitor id) exists from their first
message on, so a returning visitor continues the same conversation. Messages go through
``ingestion.ingest`` like any customer's, as private chat messages; the widget generates an id
per message so a retried post is stored once. The external id is prefixed with the visitor id,
so one visitor can never collide with (or read back) another visitor's message.

Services flush, never commit; the request commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount, Platform
from webcare.channel.ports import Author, ConversationKind, InboundMessage, MessageVisibility
from webcare.channel.webchat import repository, visitor, widget
from webcare.channel.webchat.errors import TooManyMessages, WidgetNotFound
from webcare.contact import service as contacts
from webcare.conversation import service as conversations
from webcare.conversation.models import Direction
from webcare.ingestion import service as ingestion
from webcare.kit.errors import Invalid, NotFound
from webcare.kit.time import utc_now

PLATFORM = Platform.WEBCHAT.value
MAX_TEXT_LENGTH = 2_000
MAX_EMAIL_LENGTH = 254
PAGE_SIZE = 200
#: Fixed windows: a visitor may post this many messages a minute, a widget (all visitors) more.
RATE_WINDOW_SECONDS = 60
VISITOR_POSTS_PER_WINDOW = 20
WIDGET_POSTS_PER_WINDOW = 600

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class VisitorSession:
    visitor_id: str
    token: str
    resumed: bool


@dataclass(frozen=True)
class VisibleMessage:
    """A message as the widget shows it: never an internal detail beyond these fields."""

    id: int
    conversation_id: int
    author: str  # "visitor" or "agent"
    text: str
    sent_at: datetime
    agent_name: str | None
    client_id: str | None


@dataclass(frozen=True)
class Posted:
    message_id: int
    conversation_id: int
    duplicate: bool


@dataclass(frozen=True)
class Catchup:
    messages: list[VisibleMessage]
    conversation_ids: list[int]


def widget_account(session: Session, widget_key: str) -> ChannelAccount:
    """The widget a public key names; 404 for any other key (also other platforms' tokens)."""
    try:
        return channels.by_webhook_token(session, Platform.WEBCHAT, widget_key)
    except NotFound as exc:
        raise WidgetNotFound("no chat widget with this key") from exc


def start_session(secret_key: str, account: ChannelAccount, token: str | None) -> VisitorSession:
    """Resume the visitor of ``token`` (401 if we did not sign it) or issue a new visitor."""
    if token:
        visitor_id = visitor.verify(secret_key, account.id, token)
        return VisitorSession(visitor_id, token, resumed=True)
    visitor_id = visitor.new_visitor_id()
    return VisitorSession(visitor_id, visitor.issue(secret_key, account.id, visitor_id), False)


def visitor_of(secret_key: str, account: ChannelAccount, token: str | None) -> str:
    """The visitor a request's token names; 401 for a missing or forged token."""
    return visitor.verify(secret_key, account.id, token)


def demo_widget(session: Session, workspace_id: int) -> ChannelAccount | None:
    """The first chat widget of a workspace (the demo shop page embeds the demo's)."""
    return next(
        (a for a in channels.list_accounts(session, workspace_id) if a.platform == PLATFORM),
        None,
    )


def is_online(session: Session, account: ChannelAccount, now: datetime | None = None) -> bool:
    """Whether to offer live chat or the e-mail form (see :mod:`.widget` for the rule)."""
    settings = widget.read(account.settings)
    if settings.availability != "auto":
        return settings.availability == "online"
    since = (now or utc_now()) - timedelta(minutes=settings.online_window_minutes)
    return repository.agent_active_since(session, account.workspace_id, since)


def post_message(
    session: Session,
    account: ChannelAccount,
    visitor_id: str,
    client_id: str,
    text: str,
    *,
    reopen_window: timedelta,
) -> Posted:
    """Store the visitor's message once (a retry with the same ``client_id`` is a duplicate)."""
    text = check_text(text)
    if not _CLIENT_ID.match(client_id):
        raise Invalid("client_id must be 8-64 letters, digits, '-' or '_'")
    _count_post(session, account, visitor_id)
    inbound = InboundMessage(
        external_id=f"{visitor_id}:{client_id}",
        author=Author(platform_user_id=visitor_id),
        text=text,
        platform_time=utc_now(),
        kind=ConversationKind.CHAT,
        visibility=MessageVisibility.PRIVATE,
    )
    result = ingestion.ingest(session, account, inbound, reopen_window=reopen_window)
    return Posted(result.message_id, result.conversation_id, result.duplicate)


def catch_up(
    session: Session, account: ChannelAccount, visitor_id: str, after_id: int = 0
) -> Catchup:
    """The visitor's visible messages after ``after_id`` (at most a page), and their
    conversations on this widget; nothing at all before their first message."""
    identity = repository.identity(session, account.workspace_id, PLATFORM, visitor_id)
    if identity is None:
        return Catchup([], [])
    rows = repository.visible_messages(
        session, account.id, identity.contact_id, max(after_id, 0), PAGE_SIZE
    )
    prefix = f"{visitor_id}:"
    messages = [
        VisibleMessage(
            id=message.id,
            conversation_id=message.conversation_id,
            author="visitor" if message.direction == Direction.INBOUND.value else "agent",
            text=message.text,
            sent_at=message.platform_time,
            agent_name=_first_name(agent) if message.direction != Direction.INBOUND.value else None,
            client_id=(message.external_id or "").removeprefix(prefix)
            if (message.external_id or "").startswith(prefix)
            else None,
        )
        for message, agent in rows
    ]
    ids = repository.conversation_ids(session, account.id, identity.contact_id)
    return Catchup(messages, ids)


def leave_email(
    session: Session,
    account: ChannelAccount,
    visitor_id: str,
    email: str,
    *,
    text: str | None,
    client_id: str | None,
    reopen_window: timedelta,
) -> int:
    """Offline: keep the visitor's address (contact attribute ``email``) so the team can
    answer later, with a note in the conversation; the question, if given, is posted first.
    Returns the conversation's id."""
    email = check_email(email)
    if text and text.strip():
        post_message(
            session,
            account,
            visitor_id,
            client_id or "",
            text,
            reopen_window=reopen_window,
        )
    else:
        _count_post(session, account, visitor_id)
    identity = repository.identity(session, account.workspace_id, PLATFORM, visitor_id)
    ids = (
        []
        if identity is None
        else repository.conversation_ids(session, account.id, identity.contact_id)
    )
    if identity is None or not ids:
        raise Invalid("write your question too, so the team knows what to answer")
    contacts.update_attributes(
        session, account.workspace_id, identity.contact_id, None, {"email": email}
    )
    conversations.add_note(
        session,
        Principal.system(account.workspace_id),
        ids[-1],
        f"The visitor left an e-mail address for a reply: {email}",
    )
    return ids[-1]


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise Invalid("a message needs text")
    if len(text) > MAX_TEXT_LENGTH:
        raise Invalid(f"a message may have at most {MAX_TEXT_LENGTH} characters")
    return text


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise Invalid("this is not an e-mail address")
    return email


def forget_rate_windows(session: Session, cutoff: datetime) -> int:
    """Delete rate counters of windows that started before ``cutoff`` (run periodically)."""
    return repository.forget_windows_before(session, cutoff)


def _count_post(session: Session, account: ChannelAccount, visitor_id: str) -> None:
    now = utc_now()
    start = int(now.timestamp()) // RATE_WINDOW_SECONDS * RATE_WINDOW_SECONDS
    window_start = datetime.fromtimestamp(start, tz=now.tzinfo)
    retry_after = max(1, start + RATE_WINDOW_SECONDS - int(now.timestamp()))
    limits = (
        (f"webchat:{account.id}:{visitor_id}", VISITOR_POSTS_PER_WINDOW, "you"),
        (f"webchat:{account.id}", WIDGET_POSTS_PER_WINDOW, "this chat"),
    )
    for key, limit, who in limits:
        if repository.count_hit(session, key, window_start) > limit:
            raise TooManyMessages(
                f"{who} sent too many messages; try again in {retry_after} seconds", retry_after
            )


def _first_name(display_name: str | None) -> str | None:
    """Agents sign chat replies with their first name only."""
    if not display_name:
        return None
    return display_name.split()[0]
