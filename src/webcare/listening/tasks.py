"""Listening's background jobs: percolation, feed polling, X searches, spike checks,
backfills."""

from __future__ import annotations

import httpx

from webcare.channel import service as channels
from webcare.kit.db import unit_of_work
from webcare.kit.time import utc_now
from webcare.listening import backfill, feeds, percolation, spikes, x_search
from webcare.worker import service as jobs
from webcare.worker.registry import JobContext, periodic, task

PERCOLATE = "listening.percolate"


@periodic(PERCOLATE, every_seconds=30)
def percolate(ctx: JobContext) -> None:
    """Match new messages and mentions against the saved queries (see percolation.py).

    A backlog larger than one run's batches is continued by a follow-up job at once.
    """
    outcome = percolation.run(ctx.session, ctx.runtime.secret_box)
    if outcome.more:
        jobs.enqueue(ctx.session, PERCOLATE, {}, dedupe_key=f"{PERCOLATE}:more")


@periodic("listening.poll_feeds", every_seconds=60)
def poll_feeds(ctx: JobContext) -> None:
    """Fetch the feeds that are due (each at most every 15 minutes); see feeds.py."""
    allow = ctx.runtime.settings.allow_private_feed_hosts
    with feeds.http_client(allow_private_hosts=allow) as client:
        feeds.poll(ctx.runtime.session_factory, ctx.session, client, utc_now())


@periodic("listening.search_x", every_seconds=60)
def search_x(ctx: JobContext) -> None:
    """Run the X searches that are due (each at most every 5 minutes); see x_search.py."""
    with channels.http_client() as client:
        x_search.poll(
            ctx.runtime.session_factory, ctx.session, ctx.runtime.secret_box, client, utc_now()
        )


@periodic("listening.detect_spikes", every_seconds=300)
def detect_spikes(ctx: JobContext) -> None:
    """Raise alerts for queries whose hourly volume surged (see spikes.py)."""
    spikes.detect(ctx.session)


@task("listening.send_alert")
def send_alert(ctx: JobContext) -> None:
    """POST a spike alert to its query's webhook, signed; retried with backoff on failure.

    The alert is read in its own short transaction, so no lock is held during the POST.
    """
    with unit_of_work(ctx.runtime.session_factory) as session:
        item = spikes.delivery(session, ctx.runtime.secret_box, int(ctx.payload["alert_id"]))
    if item is None:
        return
    with httpx.Client(timeout=spikes.WEBHOOK_TIMEOUT, follow_redirects=False) as client:
        spikes.post(client, item)


@task(backfill.TASK)
def run_backfill(ctx: JobContext) -> None:
    """One batch of a backfill; the next batch is queued as its own job (see backfill.py)."""
    backfill.step(ctx.session, int(ctx.payload["backfill_id"]))
