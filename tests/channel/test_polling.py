"""Generic polling: scheduling, one poll at a time per account, cursor stored with the messages,
and the connector error tree (rate limit, expired credentials, outages) seen by the admin.

A scripted poller stands in for a platform here (the connectors' own tests cover the real
ones against the simulator); everything else, database and worker included, is real.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import drain_jobs
from webcare.channel import polling, registry
from webcare.channel.models import ChannelAccount, Health
from webcare.channel.poll_models import ChannelPollState
from webcare.channel.ports import (
    AuthFailed,
    Author,
    ChannelContext,
    ConversationKind,
    InboundMessage,
    MessageVisibility,
    PermanentError,
    PollResult,
    RateLimited,
    TransientError,
)
from webcare.conversation.models import Message
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.runtime import Runtime
from webcare.worker.models import Job, JobStatus
from webcare.worker.registry import import_task_modules
from webcare.worker.runner import Worker, enqueue_due_periodic

Outcome = PollResult | Exception


class ScriptedPoller:
    """Answers each poll with the next scripted outcome and remembers the cursors it got."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.cursors: list[dict[str, Any]] = []

    def factory(self, _client: httpx.Client) -> ScriptedPoller:
        return self

    def poll(self, channel: ChannelContext, cursor: dict[str, Any]) -> PollResult:
        self.cursors.append(dict(cursor))
        outcome = self.outcomes.pop(0) if self.outcomes else PollResult((), dict(cursor))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def poller(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedPoller]:
    """The only poller: for X (the cast's other accounts are not polled in these tests)."""
    fake = ScriptedPoller()
    monkeypatch.setattr(registry, "POLLERS", {"x": fake.factory})
    return fake


def _mention(number: int, text: str = "waar blijft mijn pakket?") -> InboundMessage:
    return InboundMessage(
        external_id=str(1992200000000000000 + number),
        author=Author(platform_user_id="9876543210", handle="pieterk", name="Pieter K."),
        text=f"@GlasnetHelpt {text} ({number})",
        platform_time=datetime(2026, 11, 22, 10, number, tzinfo=UTC),
        kind=ConversationKind.PUBLIC_THREAD,
        visibility=MessageVisibility.PUBLIC,
    )


def _found(*numbers: int) -> PollResult:
    newest = str(1992200000000000000 + max(numbers))
    return PollResult(tuple(_mention(n) for n in numbers), {"since_id": newest})


def _schedule(runtime: Runtime, now: datetime | None = None) -> list[int]:
    with unit_of_work(runtime.session_factory) as session:
        return polling.schedule_due_polls(session, now)


def _poll_jobs(runtime: Runtime) -> list[Job]:
    with runtime.session_factory() as session:
        query = sa.select(Job).where(Job.name == polling.POLL_JOB).order_by(Job.id)
        return list(session.scalars(query))


def _state(runtime: Runtime, account_id: int) -> ChannelPollState | None:
    with runtime.session_factory() as session:
        return session.get(ChannelPollState, account_id)


def _account(runtime: Runtime, account_id: int) -> ChannelAccount:
    with runtime.session_factory() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        return account


def _texts(runtime: Runtime) -> list[str]:
    with runtime.session_factory() as session:
        return list(session.scalars(sa.select(Message.text).order_by(Message.platform_time)))


def _update(runtime: Runtime, model: type[Any], key: int, **values: Any) -> None:
    with unit_of_work(runtime.session_factory) as session:
        row = session.get(model, key)
        for name, value in values.items():
            setattr(row, name, value)


def _poll_now(runtime: Runtime, cast: Cast) -> None:
    """Queue a poll of the X account (as the scheduler would) and run due jobs."""
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, cast.accounts["x"].id)
        assert account is not None
        polling.enqueue_poll(session, account)
    drain_jobs(runtime)


def _make_due(runtime: Runtime) -> None:
    """Bring retries forward to now instead of waiting out their backoff."""
    with unit_of_work(runtime.session_factory) as session:
        session.execute(
            sa.update(Job).where(Job.status == JobStatus.QUEUED.value).values(run_at=utc_now())
        )


# --- scheduling -----------------------------------------------------------------------------


def test_due_account_gets_one_poll_job_however_often_workers_schedule(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    account_id = cast.accounts["x"].id

    assert _schedule(runtime) == [account_id]
    _schedule(runtime)
    _schedule(runtime)

    jobs = _poll_jobs(runtime)
    assert len(jobs) == 1
    assert jobs[0].dedupe_key == f"poll:{account_id}"
    assert jobs[0].workspace_id == cast.workspace.id
    assert jobs[0].payload == {"channel_account_id": account_id}


def test_a_running_poll_is_never_joined_by_a_second_one(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    import_task_modules()
    _schedule(runtime)
    worker = Worker(runtime)
    running = worker.claim()
    assert running is not None
    assert running.status == JobStatus.RUNNING

    _schedule(runtime)  # the account is still due: its poll has not finished
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, cast.accounts["x"].id)
        assert account is not None
        again = polling.enqueue_poll(session, account)
        assert again.id == running.id

    assert [j.id for j in _poll_jobs(runtime)] == [running.id]
    poller.outcomes.append(_found(1))
    worker.execute(running)
    assert _texts(runtime) == ["@GlasnetHelpt waar blijft mijn pakket? (1)"]
    assert _schedule(runtime) == []  # just polled: not due until the interval has passed


def test_the_interval_setting_decides_when_the_next_poll_is_due(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    account_id = cast.accounts["x"].id
    _update(runtime, ChannelAccount, account_id, settings={"poll_interval_seconds": 300})
    _poll_now(runtime, cast)
    state = _state(runtime, account_id)
    assert state is not None
    assert state.polled_at is not None

    assert _schedule(runtime, state.polled_at + timedelta(seconds=299)) == []
    assert _schedule(runtime, state.polled_at + timedelta(seconds=300)) == [account_id]


@pytest.mark.parametrize(
    ("value", "interval"),
    [(None, 60.0), (300, 300.0), (1, 15.0), ("soon", 60.0), (True, 60.0), (0, None), (-5, None)],
)
def test_poll_interval_has_a_default_a_floor_and_an_off_switch(
    value: object, interval: float | None
) -> None:
    settings = {} if value is None else {"poll_interval_seconds": value}
    account = ChannelAccount(platform="x", settings=settings)
    assert polling.poll_interval(account) == interval


def test_switched_off_accounts_are_not_polled(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    _update(runtime, ChannelAccount, cast.accounts["x"].id, settings={"poll_interval_seconds": 0})

    assert _schedule(runtime) == []
    assert _poll_jobs(runtime) == []


def test_the_periodic_job_finds_due_accounts_and_polls_them(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    import_task_modules()
    poller.outcomes.append(_found(1, 2))

    enqueue_due_periodic(runtime, time.time())
    drain_jobs(runtime)

    assert poller.cursors == [{}]
    assert len(_texts(runtime)) == 2


# --- storing --------------------------------------------------------------------------------


def test_poll_stores_messages_and_then_continues_from_the_new_cursor(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    account_id = cast.accounts["x"].id
    poller.outcomes += [_found(1, 2), _found(3)]

    _poll_now(runtime, cast)
    state = _state(runtime, account_id)
    assert state is not None
    assert state.cursor == {"since_id": "1992200000000000002"}
    assert state.polled_at is not None
    assert state.poll_error is None

    _poll_now(runtime, cast)
    assert poller.cursors == [{}, {"since_id": "1992200000000000002"}]
    assert len(_texts(runtime)) == 3
    state = _state(runtime, account_id)
    assert state is not None
    assert state.cursor == {"since_id": "1992200000000000003"}


def test_a_crash_before_commit_repolls_from_the_old_cursor_and_stores_nothing_twice(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller, monkeypatch: pytest.MonkeyPatch
) -> None:
    account_id = cast.accounts["x"].id
    real_record = polling.record_polled

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker died while storing")

    monkeypatch.setattr(polling, "record_polled", crash)
    poller.outcomes.append(_found(1, 2))
    _poll_now(runtime, cast)

    assert _texts(runtime) == []  # the messages went with the failed transaction ...
    state = _state(runtime, account_id)
    assert state is None or state.cursor == {}  # ... and so did the cursor

    monkeypatch.setattr(polling, "record_polled", real_record)
    poller.outcomes.append(_found(1, 2, 3))  # the platform answers the old cursor again
    _make_due(runtime)
    drain_jobs(runtime)

    assert poller.cursors == [{}, {}]
    assert len(_texts(runtime)) == 3
    poller.outcomes.append(_found(2, 3))  # an overlapping page is harmless too
    _poll_now(runtime, cast)
    assert len(_texts(runtime)) == 3


# --- errors ---------------------------------------------------------------------------------


def test_rate_limit_waits_exactly_as_long_as_the_platform_asked(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    account_id = cast.accounts["x"].id
    poller.outcomes.append(RateLimited("X asked us to slow down", retry_after=42))
    before = utc_now()

    _poll_now(runtime, cast)

    (job,) = _poll_jobs(runtime)
    assert job.status == JobStatus.QUEUED
    assert before + timedelta(seconds=41) <= job.run_at <= utc_now() + timedelta(seconds=42)
    assert "retry after 42s" in (job.last_error or "")
    state = _state(runtime, account_id)
    assert state is not None
    assert "rate limited" in (state.poll_error or "")
    assert state.cursor == {}
    assert _account(runtime, account_id).health == Health.OK
    assert _schedule(runtime, utc_now() + timedelta(minutes=5)) == [account_id]
    assert len(_poll_jobs(runtime)) == 1  # the waiting poll is not overtaken


def test_expired_credentials_flag_the_account_and_stop_its_polling(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    account_id = cast.accounts["x"].id
    poller.outcomes.append(AuthFailed("X refused our credentials (HTTP 401): Unauthorized"))

    _poll_now(runtime, cast)

    account = _account(runtime, account_id)
    assert account.health == Health.NEEDS_REAUTH
    assert "HTTP 401" in (account.health_detail or "")
    (job,) = _poll_jobs(runtime)
    assert job.status == JobStatus.DONE  # retrying with the same token cannot help
    state = _state(runtime, account_id)
    assert state is not None
    assert "HTTP 401" in (state.poll_error or "")
    assert _schedule(runtime, utc_now() + timedelta(hours=1)) == []


def test_outage_is_retried_then_shown_on_the_account_until_a_poll_works(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    account_id = cast.accounts["x"].id
    poller.outcomes += [
        TransientError("X failed (HTTP 503)"),
        TransientError("X failed (HTTP 503)"),
    ]

    _poll_now(runtime, cast)
    (job,) = _poll_jobs(runtime)
    assert job.status == JobStatus.QUEUED
    assert job.attempts == 1
    assert _account(runtime, account_id).health == Health.OK  # one hiccup is no alarm
    state = _state(runtime, account_id)
    assert state is not None
    assert "HTTP 503" in (state.poll_error or "")

    _update(runtime, Job, job.id, max_attempts=2)
    _make_due(runtime)
    drain_jobs(runtime)
    account = _account(runtime, account_id)
    assert account.health == Health.ERROR
    assert "gave up after 2 attempts" in (account.health_detail or "")

    poller.outcomes.append(_found(1))
    _poll_now(runtime, cast)
    account = _account(runtime, account_id)
    assert account.health == Health.OK
    state = _state(runtime, account_id)
    assert state is not None
    assert state.poll_error is None


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("this X channel does not know its own user id"),
        Invalid("data must be a list"),
    ],
    ids=["refused", "unreadable"],
)
def test_a_poll_that_cannot_work_shows_why_and_keeps_the_cursor(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller, error: Exception
) -> None:
    account_id = cast.accounts["x"].id
    poller.outcomes += [_found(1), error]
    _poll_now(runtime, cast)
    _poll_now(runtime, cast)

    account = _account(runtime, account_id)
    assert account.health == Health.ERROR
    state = _state(runtime, account_id)
    assert state is not None
    assert state.cursor == {"since_id": "1992200000000000001"}
    assert state.poll_error is not None
    assert state.poll_error in (account.health_detail or "")
    assert _poll_jobs(runtime)[-1].status == JobStatus.DONE


def test_a_poll_queued_for_a_deleted_account_does_nothing(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    _schedule(runtime)
    with unit_of_work(runtime.session_factory) as session:
        session.execute(sa.delete(ChannelPollState))
        session.execute(sa.delete(Message))
        session.execute(sa.text("DELETE FROM conversations"))
        session.execute(sa.delete(ChannelAccount).where(ChannelAccount.id == cast.accounts["x"].id))

    drain_jobs(runtime)

    assert poller.cursors == []
    assert _poll_jobs(runtime)[0].status == JobStatus.DONE


def test_admins_can_read_when_each_account_was_polled_and_why_it_failed(
    runtime: Runtime, cast: Cast, poller: ScriptedPoller
) -> None:
    poller.outcomes.append(TransientError("X failed (HTTP 502)"))
    _poll_now(runtime, cast)
    ids = [account.id for account in cast.accounts.values()]

    with runtime.session_factory() as session:
        found = polling.states(session, ids)

    assert list(found) == [cast.accounts["x"].id]  # only polled accounts have a state
    assert found[cast.accounts["x"].id].polled_at is not None
    assert "HTTP 502" in (found[cast.accounts["x"].id].poll_error or "")
