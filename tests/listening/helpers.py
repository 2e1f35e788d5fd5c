"""Shared steps of the listening tests: customers posting on a channel, the percolation job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from webcare.channel.models import ChannelAccount
from webcare.channel.ports import Author, ConversationKind, InboundMessage, MessageVisibility
from webcare.ingestion.service import IngestResult, ingest
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import percolation
from webcare.runtime import Runtime

_counter = iter(range(1, 10**9))


def post(
    runtime: Runtime,
    account: ChannelAccount,
    text: str,
    *,
    author: str = "klant",
    followers: int | None = 100,
    verified: bool = False,
    at: datetime | None = None,
    visibility: MessageVisibility = MessageVisibility.PUBLIC,
    kind: ConversationKind | None = None,
    **extra: Any,
) -> IngestResult:
    """A customer's public post on one of the brand's channels, stored as ingestion does."""
    inbound = InboundMessage(
        external_id=f"post-{next(_counter)}",
        author=Author(
            platform_user_id=f"id-{author}",
            handle=author,
            name=author.title(),
            follower_count=followers,
            verified=verified,
        ),
        text=text,
        platform_time=at or utc_now() - timedelta(minutes=1),
        kind=kind
        or (
            ConversationKind.PUBLIC_THREAD
            if visibility is MessageVisibility.PUBLIC
            else ConversationKind.PRIVATE_THREAD
        ),
        visibility=visibility,
        **extra,
    )
    with unit_of_work(runtime.session_factory) as session:
        account = session.merge(account)
        return ingest(session, account, inbound, reopen_window=timedelta(hours=168))


def percolate(runtime: Runtime) -> percolation.Outcome:
    """Run the percolation job over everything stored so far (no settle delay)."""
    with unit_of_work(runtime.session_factory) as session:
        return percolation.run(session, runtime.secret_box, until=utc_now() + timedelta(minutes=1))
