"""Proactive webcare: hits of a ``route_to_inbox`` query reach the inbox, never twice.

- A hit on a message of the brand's own channels: the message is in the inbox already, so
  its conversation only gets the query's label, its team (when it has none yet) and its
  priority (when that is higher). No second conversation.
- A hit on a post found by X search: the post becomes a conversation on the X account that
  found it, with the post's own id (a reply goes out on X; the same post arriving by webhook
  joins it).
- A hit on any other mention (a news article, a forum post): it becomes a conversation on
  the workspace's "Monitored sources" channel account (platform ``web``, created on first
  use), marked ``proactive``, with the query's team, label and priority. It goes through
  :func:`ingestion.service.ingest` with external id ``mention:<id>``, so two queries matching
  the same mention share one conversation. Nothing is sent: the agent decides.

Everything acts as webcare itself (:meth:`Principal.system`) and is audited as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount, Platform
from webcare.channel.ports import Author, ConversationKind, InboundMessage, MessageVisibility
from webcare.conversation import service as conversations
from webcare.conversation.models import Priority
from webcare.ingestion import service as ingestion
from webcare.kit.crypto import SecretBox
from webcare.listening.models import ListeningSource, Mention, SourceKind
from webcare.listening.query.text import domain_of

#: What the lazily created account is called in the inbox.
WEB_ACCOUNT_NAME = "Monitored sources"
#: Mentions never thread onto each other (each has its own external id and no reply-to), so
#: the reopen window ingestion asks for never applies; any value gives the same result.
_REOPEN_WINDOW = timedelta(hours=168)
_RANK = {p.value: i for i, p in enumerate(Priority)}
_MAX_TEXT = 100_000


@dataclass(frozen=True, slots=True)
class Route:
    """What a query does with its hits: a snapshot taken when its percolator was built."""

    query_id: int
    route_to_inbox: bool
    team_id: int | None
    label_id: int | None
    priority: str | None


def route_message_hits(
    session: Session,
    workspace_id: int,
    hits: Iterable[tuple[Route, int]],
    conversation_of: dict[int, int],
) -> None:
    """Label, team and prioritise the conversations of own-channel messages that were hit."""
    actor = Principal.system(workspace_id)
    for route, message_id in hits:
        conversation_id = conversation_of.get(message_id)
        if route.route_to_inbox and conversation_id is not None:
            _apply(session, actor, conversation_id, route)


def route_mention_hits(
    session: Session, box: SecretBox, workspace_id: int, hits: Iterable[tuple[Route, Mention]]
) -> list[int]:
    """Open (or join) the proactive conversation of each routed mention; returns their ids."""
    actor = Principal.system(workspace_id)
    web: ChannelAccount | None = None
    opened: list[int] = []
    for route, mention in hits:
        if not route.route_to_inbox:
            continue
        x_account = _x_account_of(session, workspace_id, mention)
        if x_account is not None:
            account, inbound = x_account, _x_post(mention)
        else:
            web = web or web_account(session, box, workspace_id)
            account, inbound = web, _inbound(mention)
        result = ingestion.ingest(session, account, inbound, reopen_window=_REOPEN_WINDOW)
        conversation = conversations.get_or_raise(session, workspace_id, result.conversation_id)
        conversation.proactive = True
        _apply(session, actor, conversation.id, route)
        if result.conversation_id not in opened:
            opened.append(result.conversation_id)
    session.flush()
    return opened


def web_account(session: Session, box: SecretBox, workspace_id: int) -> ChannelAccount:
    """The workspace's "Monitored sources" account, created on first use (it has no sender)."""
    for account in channels.list_accounts(session, workspace_id):
        if account.platform == Platform.WEB.value:
            return account
    return channels.create_account(
        session,
        Principal.system(workspace_id),
        box,
        platform=Platform.WEB,
        handle="monitored-sources",
        display_name=WEB_ACCOUNT_NAME,
        credentials={},
        settings={},
    )


def _apply(session: Session, actor: Principal, conversation_id: int, route: Route) -> None:
    conversation = conversations.get_or_raise(session, actor.workspace_id, conversation_id)
    if route.label_id is not None:
        label = conversations.label_by_id_or_raise(session, actor.workspace_id, route.label_id)
        conversations.add_label(session, actor, conversation.id, label.name)
    if route.team_id is not None and conversation.team_id is None:
        conversations.assign(
            session,
            actor,
            conversation.id,
            assignee_id=conversation.assignee_id,
            team_id=route.team_id,
        )
    if route.priority is not None and _RANK[route.priority] > _RANK.get(conversation.priority, 0):
        conversations.set_priority(session, actor, conversation.id, Priority(route.priority))


def _x_account_of(session: Session, workspace_id: int, mention: Mention) -> ChannelAccount | None:
    """The X account an X-search mention was found through (its replies go out there)."""
    source = session.get(ListeningSource, mention.source_id)
    if source is None or source.kind != SourceKind.X_SEARCH.value or not mention.author_id:
        return None
    if source.channel_account_id is None:
        return None
    return channels.get_or_raise(session, workspace_id, source.channel_account_id)


def _x_post(mention: Mention) -> InboundMessage:
    """An X post found by search, as the X connector would have delivered it: same id, so a
    webhook delivery of the same post joins this conversation instead of opening another."""
    assert mention.author_id is not None
    handle = (mention.author or "").removeprefix("@") or None
    return InboundMessage(
        external_id=mention.external_id,
        author=Author(
            platform_user_id=mention.author_id,
            handle=handle,
            follower_count=mention.reach if mention.reach is None or mention.reach >= 0 else None,
        ),
        text=mention.text[:_MAX_TEXT] or f"post {mention.external_id}",
        platform_time=mention.published_at,
        kind=ConversationKind.PUBLIC_THREAD,
        visibility=MessageVisibility.PUBLIC,
        raw={"mention_id": mention.id, "url": mention.url, "source_id": mention.source_id},
    )


def _inbound(mention: Mention) -> InboundMessage:
    site = domain_of(mention.url) if mention.url else ""
    author_id = (mention.author or site or f"source-{mention.source_id}")[:200]
    text = "\n\n".join(part for part in (mention.title, mention.text, mention.url) if part)
    return InboundMessage(
        external_id=f"mention:{mention.id}",
        author=Author(
            platform_user_id=author_id,
            handle=mention.author or site or None,
            name=mention.author,
            follower_count=mention.reach if mention.reach is None or mention.reach >= 0 else None,
        ),
        text=text[:_MAX_TEXT] or f"mention {mention.id}",
        platform_time=mention.published_at,
        kind=ConversationKind.PUBLIC_THREAD,
        visibility=MessageVisibility.PUBLIC,
        subject=(mention.title or "")[:500] or None,
        raw={"mention_id": mention.id, "url": mention.url, "source_id": mention.source_id},
    )
