"""The polling jobs: find due accounts, and poll one account (see ``channel.polling``).

Like the send job, a poll commits its read before the network call (no database lock across
network I/O), then stores what it found and the new cursor in one transaction together with
the job's "done" mark. Errors follow the connector error tree:

* ``AuthFailed``: the account is flagged ``needs_reauth`` and no longer scheduled until an
  admin updates its credentials;
* ``RateLimited``: the job waits exactly as long as the platform asked (``RetryLater``);
* ``TransientError`` (and connector bugs): retried with backoff; after the last attempt the
  account's health shows ``error`` with the reason, and the next scheduled poll tries again;
* ``PermanentError`` or a payload we cannot read: health ``error``, tried again next interval.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from webcare.channel import attachments, polling
from webcare.channel import service as channels
from webcare.channel.errors import ChannelAccountNotFound
from webcare.channel.models import ChannelAccount, Health
from webcare.channel.ports import (
    AuthFailed,
    ConnectorError,
    PollResult,
    RateLimited,
    TransientError,
)
from webcare.ingestion import service as ingestion
from webcare.kit.errors import Invalid
from webcare.worker.errors import RetryLater
from webcare.worker.models import Job
from webcare.worker.registry import JobContext, periodic, task

log = logging.getLogger(__name__)


@periodic(polling.SCHEDULE_JOB, every_seconds=polling.SCHEDULE_EVERY_SECONDS)
def schedule_polls(ctx: JobContext) -> None:
    """Enqueue ``channel.poll_account`` for every account whose interval has passed."""
    polling.schedule_due_polls(ctx.session)


@task(polling.POLL_JOB)
def poll_account(ctx: JobContext) -> None:
    account = _account(ctx)
    if account is None or not polling.is_polled(account):
        return  # deleted, switched off or waiting for new credentials since it was queued
    cursor = dict(polling.state_for(ctx.session, account.id).cursor)
    channel = channels.context(account, ctx.runtime.secret_box)
    platform = account.platform
    ctx.session.commit()  # release locks before talking to the platform
    try:
        with channels.http_client() as client:
            result = polling.poller_for(platform, client).poll(channel, cursor)
    except ConnectorError as exc:
        _handle_failure(ctx, exc)
        return
    except Invalid as exc:  # the platform sent something we cannot read
        _fail(ctx, f"unreadable answer: {exc.detail}", Health.ERROR)
        return
    except Exception as exc:
        log.exception("polling channel account %s failed", channel.channel_account_id)
        _handle_failure(ctx, TransientError(f"unexpected {exc.__class__.__name__}"))
        return
    _store(ctx, result)


def _account(ctx: JobContext) -> ChannelAccount | None:
    try:
        return channels.get_or_raise(
            ctx.session, int(ctx.workspace_id or 0), int(ctx.payload["channel_account_id"])
        )
    except ChannelAccountNotFound:
        return None


def _store(ctx: JobContext, result: PollResult) -> None:
    account = _account(ctx)
    if account is None:
        return
    window = timedelta(hours=ctx.runtime.settings.reopen_window_hours)
    attachments.keep(ctx.session, account, result.events)  # e-mail files: bytes we must hold
    counts = ingestion.ingest_events(ctx.session, account, result.events, reopen_window=window)
    polling.record_polled(ctx.session, account, result)
    log.info("polled channel account %s: %s", account.id, counts)


def _handle_failure(ctx: JobContext, exc: ConnectorError) -> None:
    if isinstance(exc, RateLimited):
        _fail(ctx, f"rate limited, retrying in {exc.retry_after:g}s: {exc.reason}", None)
        ctx.session.commit()  # keep the note; raising rolls back the job's transaction
        raise RetryLater(exc.reason, retry_after=exc.retry_after) from exc
    if isinstance(exc, TransientError):
        job = ctx.session.get(Job, ctx.job_id)
        if job is not None and ctx.attempt < job.max_attempts:
            _fail(ctx, f"attempt {ctx.attempt} failed, will retry: {exc.reason}", None)
            ctx.session.commit()
            raise exc
        _fail(ctx, f"gave up after {ctx.attempt} attempts: {exc.reason}", Health.ERROR)
        return
    if isinstance(exc, AuthFailed):
        _fail(ctx, exc.reason, Health.NEEDS_REAUTH)
        return
    _fail(ctx, exc.reason, Health.ERROR)


def _fail(ctx: JobContext, reason: str, health: Health | None) -> None:
    account = _account(ctx)
    if account is not None:
        polling.record_failure(ctx.session, account, reason, health)
        log.info("polling channel account %s failed: %s", account.id, reason)
