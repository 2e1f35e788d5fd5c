"""X recent search as a monitored source: posts about the brand that do not tag it.

A source names a search query and the X account whose token runs it. A periodic job asks X
(``GET /2/tweets/search/recent`` through :func:`webcare.connectors.x.polling.recent_search`)
for posts newer than the source's ``since_id`` and stores them as mentions, so they are
percolated like every other item. A query that routes to the inbox opens the conversation on
that X account, with the post's own id, so the agent's answer is a reply on X and a post
that also reaches us by webhook is never a second conversation.

Claiming works like the feeds: due sources are marked polled and committed before the network
call, so two workers never search the same source at once and no lock is held while X answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.channel import service as channels
from webcare.channel.models import Health, Platform
from webcare.channel.ports import AuthFailed, ChannelContext, ConnectorError, InboundMessage
from webcare.connectors.x.polling import MAX_QUERY_LENGTH, recent_search
from webcare.kit.crypto import SecretBox
from webcare.kit.db import unit_of_work
from webcare.kit.errors import Conflict, Invalid
from webcare.listening import mentions
from webcare.listening.models import ListeningSource, SourceKind

POLL_INTERVAL = timedelta(minutes=5)
MAX_PER_RUN = 10


@dataclass(frozen=True)
class Due:
    source_id: int
    workspace_id: int
    query: str
    since_id: str | None
    channel: ChannelContext


def add_search(
    session: Session, actor: Principal, *, name: str, channel_account_id: int, query: str
) -> ListeningSource:
    """Monitor an X search; the account must be one of this workspace's X accounts."""
    clean_name = name.strip()
    if not clean_name or len(clean_name) > 200:
        raise Invalid("a source needs a name of 1 to 200 characters")
    clean_query = query.strip()
    if not clean_query or len(clean_query) > MAX_QUERY_LENGTH:
        raise Invalid(f"an X search query needs 1 to {MAX_QUERY_LENGTH} characters")
    account = channels.get_or_raise(session, actor.workspace_id, channel_account_id)
    if account.platform != Platform.X.value:
        raise Invalid("X search runs through an X account; choose one of your X channels")
    taken = session.scalar(
        sa.select(ListeningSource.id).where(
            ListeningSource.workspace_id == actor.workspace_id,
            ListeningSource.name == clean_name,
        )
    )
    if taken is not None:
        raise Conflict(f"a source named '{clean_name}' already exists")
    source = ListeningSource(
        workspace_id=actor.workspace_id,
        kind=SourceKind.X_SEARCH.value,
        name=clean_name,
        search_query=clean_query,
        channel_account_id=account.id,
    )
    session.add(source)
    session.flush()
    audit.record(
        session,
        actor,
        "listening.source_added",
        "listening_source",
        source.id,
        {"kind": SourceKind.X_SEARCH.value, "query": clean_query},
    )
    return source


def claim_due(session: Session, box: SecretBox, now: datetime) -> list[Due]:
    """X searches not run for :data:`POLL_INTERVAL`, marked as run now (commit before
    searching)."""
    stmt = (
        sa.select(ListeningSource)
        .where(
            ListeningSource.kind == SourceKind.X_SEARCH.value,
            sa.or_(
                ListeningSource.last_polled_at.is_(None),
                ListeningSource.last_polled_at <= now - POLL_INTERVAL,
            ),
        )
        .order_by(ListeningSource.last_polled_at.is_not(None), ListeningSource.last_polled_at)
        .limit(MAX_PER_RUN)
        .with_for_update(skip_locked=True)
    )
    due: list[Due] = []
    for source in session.scalars(stmt):
        source.last_polled_at = now
        if source.channel_account_id is None or not source.search_query:
            continue
        account = channels.get_or_raise(session, source.workspace_id, source.channel_account_id)
        if account.health == Health.NEEDS_REAUTH.value:
            source.last_error = "the X account needs re-authorisation"
            continue
        due.append(
            Due(
                source.id,
                source.workspace_id,
                source.search_query,
                source.since_id,
                channels.context(account, box),
            )
        )
    session.flush()
    return due


def poll(
    factory: sessionmaker[Session],
    session: Session,
    box: SecretBox,
    client: httpx.Client,
    now: datetime,
) -> int:
    """One round: claim (committed at once), search without holding a lock, then record the
    results in ``session`` (the caller commits). Returns how many new mentions were stored."""
    with unit_of_work(factory) as claim_session:
        due = claim_due(claim_session, box, now)
    created = 0
    for item in due:
        try:
            found, since_id = recent_search(client, item.channel, item.query, item.since_id)
        except ConnectorError as exc:
            _record_failure(session, item, exc)
            continue
        created += _record(session, item, found, since_id)
    return created


def _record(session: Session, item: Due, found: list[InboundMessage], since_id: str | None) -> int:
    source = session.get(ListeningSource, item.source_id)
    if source is None:
        return 0  # deleted while X answered
    created = mentions.store(session, source, [_mention(post) for post in found])
    source.since_id = since_id
    source.last_error = None
    session.flush()
    return len(created)


def _record_failure(session: Session, item: Due, exc: ConnectorError) -> None:
    source = session.get(ListeningSource, item.source_id)
    if source is not None:
        source.last_error = exc.reason
    if isinstance(exc, AuthFailed):
        account = channels.get_or_raise(session, item.workspace_id, item.channel.channel_account_id)
        channels.mark_health(account, Health.NEEDS_REAUTH, exc.reason)
    session.flush()


def _mention(post: InboundMessage) -> mentions.MentionIn:
    handle = post.author.handle
    url = f"https://x.com/{handle}/status/{post.external_id}" if handle else None
    return mentions.MentionIn(
        external_id=post.external_id,
        published_at=post.platform_time,
        text=post.text,
        url=url,
        author=f"@{handle}" if handle else post.author.name,
        author_id=post.author.platform_user_id,
        reach=post.author.follower_count,
    )
