"""Polling: fetching what arrived on platforms (or mailboxes) that do not push to us.

A connector implements :class:`~webcare.channel.ports.Poller` and registers it in
``channel.registry.POLLERS`` under its platform; this module does the rest, the same way for
every platform:

* **Schedule.** The periodic job ``channel.schedule_polls`` (``poll_tasks.py``) enqueues one
  ``channel.poll_account`` job per due account: its platform has a poller, it does not need
  re-authorisation, and its interval (``settings["poll_interval_seconds"]``, 60 by default,
  at least 15; 0 or less switches polling off) has passed since ``polled_at``.
* **One at a time.** The poll job's dedupe key ``poll:{account_id}`` holds while the job is
  queued or running, so however many workers schedule, one poll of an account runs at a time,
  and a poll waiting out a rate limit is not overtaken by a fresh one.
* **Never skip.** The cursor (the connector's own JSON) is stored in the transaction that
  stores what the poll found; a crash in between re-polls from the old cursor, and ingestion
  counts the re-fetched messages as duplicates.
* **Visible.** ``channel_poll_states`` keeps ``polled_at`` and ``poll_error`` per account; a
  failure that needs an admin also shows as the account's health (``needs_reauth`` on
  rejected credentials, ``error`` for a refusal or after the last retry), and the next
  successful poll sets an ``error`` health back to ``ok``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.channel import registry
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount, Health
from webcare.channel.poll_models import ChannelPollState
from webcare.channel.ports import Poller, PollResult
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.worker import service as jobs
from webcare.worker.models import Job

POLL_JOB = "channel.poll_account"
SCHEDULE_JOB = "channel.schedule_polls"
#: How often workers look for due accounts; an account's own interval is never shorter.
SCHEDULE_EVERY_SECONDS = 15.0
INTERVAL_SETTING = "poll_interval_seconds"
DEFAULT_INTERVAL_SECONDS = 60.0
MIN_INTERVAL_SECONDS = 15.0
#: Few attempts: the next scheduled poll starts afresh anyway once this job gives up.
POLL_MAX_ATTEMPTS = 5
ERROR_TEXT_LIMIT = 1000


def poll_interval(account: ChannelAccount) -> float | None:
    """Seconds between polls of ``account``; None when polling is switched off for it."""
    value = (account.settings or {}).get(INTERVAL_SETTING, DEFAULT_INTERVAL_SECONDS)
    if isinstance(value, bool) or not isinstance(value, int | float):
        value = DEFAULT_INTERVAL_SECONDS
    if value <= 0:
        return None
    return max(float(value), MIN_INTERVAL_SECONDS)


def is_polled(account: ChannelAccount) -> bool:
    """Whether ``account`` is polled at all: a poller exists, polling is on, credentials work."""
    return (
        account.platform in registry.POLLERS
        and poll_interval(account) is not None
        and account.health != Health.NEEDS_REAUTH.value
    )


def is_due(account: ChannelAccount, state: ChannelPollState | None, now: datetime) -> bool:
    if not is_polled(account):
        return False
    if state is None or state.polled_at is None:
        return True
    interval = poll_interval(account) or DEFAULT_INTERVAL_SECONDS
    return state.polled_at + timedelta(seconds=interval) <= now


def poll_dedupe_key(account_id: int) -> str:
    return f"poll:{account_id}"


def enqueue_poll(session: Session, account: ChannelAccount) -> Job:
    """Queue a poll of ``account`` (e.g. "poll now"); returns the active one if already queued."""
    return jobs.enqueue(
        session,
        POLL_JOB,
        {"channel_account_id": account.id},
        workspace_id=account.workspace_id,
        dedupe_key=poll_dedupe_key(account.id),
        max_attempts=POLL_MAX_ATTEMPTS,
    )


def schedule_due_polls(session: Session, now: datetime | None = None) -> list[int]:
    """Enqueue a poll for every due account of every workspace; returns their ids.

    Safe to run from several workers at once: the dedupe key lets one job per account through.
    """
    now = now or utc_now()
    platforms = sorted(registry.POLLERS)
    if not platforms:
        return []
    stmt = (
        sa.select(ChannelAccount, ChannelPollState)
        .outerjoin(ChannelPollState, ChannelPollState.channel_account_id == ChannelAccount.id)
        .where(
            ChannelAccount.platform.in_(platforms),
            ChannelAccount.health != Health.NEEDS_REAUTH.value,
        )
        .order_by(ChannelAccount.id)
    )
    due = [account for account, state in session.execute(stmt).all() if is_due(account, state, now)]
    for account in due:
        enqueue_poll(session, account)
    return [account.id for account in due]


def states(session: Session, account_ids: Iterable[int]) -> dict[int, ChannelPollState]:
    """Poll states of several accounts in one query (for the admin's channel list)."""
    ids = set(account_ids)
    if not ids:
        return {}
    query = sa.select(ChannelPollState).where(ChannelPollState.channel_account_id.in_(ids))
    return {state.channel_account_id: state for state in session.scalars(query)}


def state_for(session: Session, account_id: int) -> ChannelPollState:
    """The account's poll state, created (empty cursor, never polled) on first use."""
    state = session.get(ChannelPollState, account_id)
    if state is None:
        state = ChannelPollState(channel_account_id=account_id, cursor={})
        session.add(state)
        session.flush()
    return state


def poller_for(platform: str, client: httpx.Client) -> Poller:
    """The connector that polls ``platform`` (see ``channel.registry``)."""
    factory = registry.POLLERS.get(platform)
    if factory is None:
        raise Invalid(f"polling {platform} is not supported")
    return factory(client)


def record_polled(session: Session, account: ChannelAccount, result: PollResult) -> None:
    """Store the new cursor after a successful poll: call in the transaction that stored
    ``result.events``. A poll that worked proves the connection, so ``error`` health clears."""
    state = state_for(session, account.id)
    state.cursor = dict(result.cursor)
    state.polled_at = utc_now()
    state.poll_error = None
    if account.health == Health.ERROR.value:
        channels.mark_health(account, Health.OK, None)
    session.flush()


def record_failure(
    session: Session, account: ChannelAccount, reason: str, health: Health | None = None
) -> None:
    """Note why a poll failed (the cursor stays); ``health`` also flags the account for admins.

    ``reason`` comes from the connector error tree, which never carries secrets.
    """
    state = state_for(session, account.id)
    state.polled_at = utc_now()
    state.poll_error = reason[:ERROR_TEXT_LIMIT]
    if health is not None:
        channels.mark_health(account, health, reason[:ERROR_TEXT_LIMIT])
    session.flush()
