"""How close ingestion comes to the database's own speed: the service against a bare floor.

For each backend (SQLite always, PostgreSQL when a URL is configured) the same corpus
(:mod:`bench.corpus`) is written twice, each time into a fresh, migrated database with the
Glasnet cast:

- **service**: every message goes through :func:`webcare.ingestion.service.ingest_batch`, the
  code a webhook worker runs, one call and one transaction per :data:`BATCH_SIZE` messages (a
  worker draining a queue commits in batches like this; one transaction per message would
  measure fsyncs);
- **floor**: the same contacts, identities, conversations and messages are inserted with
  SQLAlchemy Core ``insert(table)`` executemany, in transactions of the same size, into the
  same tables, indexes, constraints and full-text index (the FTS5 triggers on SQLite, the
  generated tsvector column and its GIN index on PostgreSQL). Ids and threading are worked out
  in Python before the clock starts; timed are only ``index_text`` (the column needs it) and
  the inserts. No lookups, no locks, no savepoints, no updates: each row is written once, a
  conversation with the clocks of its first message.

The ratio service/floor says how much of the database's capacity ingestion leaves unused; the
goal is at least 0.25. Figures are wall-clock and noisy on a busy machine: compare runs on the
same machine only. Corpus generation, database setup and the statistics refresh that autovacuum
would do in production (`_analyze`) are never timed.

The last line printed is the JSON summary that ``bench/run_all.py`` collects.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.common import (
    add_cast,
    add_postgres_option,
    positive,
    postgres_url_from,
    throwaway_database,
)
from bench.corpus import DEFAULT_SEED, batched, iter_messages
from webcare.channel.models import ChannelAccount
from webcare.channel.ports import InboundMessage
from webcare.conversation.models import Direction, Priority, Status
from webcare.ingestion.service import ingest_batch
from webcare.kit.db import make_session_factory, unit_of_work
from webcare.kit.time import utc_now
from webcare.models import metadata
from webcare.search.text import index_text

#: With batch ingestion (~1,000 msg/s SQLite, ~600 msg/s PostgreSQL on a busy 2-core machine)
#: 5,000 messages on both backends, floors included, stays well under a minute.
QUICK_MESSAGES = 5_000
FULL_MESSAGES = 200_000
#: Messages per transaction in both runs.
BATCH_SIZE = 500
REOPEN_WINDOW = timedelta(days=7)
GOAL_RATIO = 0.25
#: Statistics are refreshed whenever the data grew by this share (autovacuum's default).
ANALYZE_GROWTH = 0.1
ACCOUNT = "api"
COUNTED_TABLES = ("contacts", "contact_identities", "conversations", "messages")


@dataclass(frozen=True)
class BackendResult:
    """One backend's figures: messages per second of both runs and their ratio."""

    messages: int
    service_seconds: float
    floor_seconds: float

    @property
    def service_per_s(self) -> float:
        return self.messages / self.service_seconds

    @property
    def floor_per_s(self) -> float:
        return self.messages / self.floor_seconds

    @property
    def ratio(self) -> float:
        return self.service_per_s / self.floor_per_s

    def as_json(self) -> dict[str, float]:
        return {
            "service_per_s": round(self.service_per_s, 1),
            "floor_per_s": round(self.floor_per_s, 1),
            "ratio": round(self.ratio, 3),
        }


class SanityError(Exception):
    """The service and the floor did not write the same rows: the ratio would mean nothing."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    count = args.messages or (QUICK_MESSAGES if args.quick else FULL_MESSAGES)
    postgres_url = postgres_url_from(args.postgres_url)
    results: dict[str, BackendResult | None] = {"sqlite": None, "postgresql": None}
    try:
        results["sqlite"] = run_backend("sqlite", None, count, args.seed, args.profile)
        if postgres_url:
            results["postgresql"] = run_backend(
                "postgresql", postgres_url, count, args.seed, args.profile
            )
        else:
            print("ingest postgresql: skipped (set WEBCARE_BENCH_POSTGRES_URL or --postgres-url)")
    except SanityError as exc:
        print(f"ingest: FAILED sanity check: {exc}", file=sys.stderr)
        return 1
    summary = {
        "bench": "ingest",
        **{name: (r.as_json() if r else None) for name, r in results.items()},
    }
    print(json.dumps(summary))
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_MESSAGES:,} messages instead of {FULL_MESSAGES:,}",
    )
    parser.add_argument("--messages", type=positive, help="number of messages (overrides --quick)")
    add_postgres_option(parser)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed")
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a cProfile of each service run to this folder and print its top functions",
    )
    return parser.parse_args(argv)


def run_backend(
    backend: str, postgres_url: str | None, count: int, seed: int, profile: Path | None
) -> BackendResult:
    """Both runs on fresh databases of one backend; raises SanityError when their rows differ."""
    print(
        f"ingest {backend}: {count:,} messages, one transaction per {BATCH_SIZE} messages"
        " (service: one ingest_batch call per transaction)"
    )
    with fresh_database(backend, postgres_url) as service_engine:
        service_seconds, distinct = _timed_service(service_engine, count, seed, backend, profile)
        service_rows = _row_counts(service_engine)
    with fresh_database(backend, postgres_url) as floor_engine:
        floor_seconds = _timed_floor(floor_engine, count, seed)
        floor_rows = _row_counts(floor_engine)
    result = BackendResult(count, service_seconds, floor_seconds)
    print(f"  service {result.service_per_s:>10,.0f} msg/s  ({service_seconds:.2f} s)")
    print(f"  floor   {result.floor_per_s:>10,.0f} msg/s  ({floor_seconds:.2f} s)")
    verdict = "meets" if result.ratio >= GOAL_RATIO else "below"
    print(f"  ratio   {result.ratio:>10.3f}  ({verdict} the goal of {GOAL_RATIO})")
    print("  rows    " + ", ".join(f"{n:,} {t}" for t, n in service_rows.items()))
    same = "the same rows" if service_rows == floor_rows else "DIFFERENT rows"
    print(
        f"  check   {service_rows['messages']:,} messages stored for {distinct:,} distinct"
        f" ingested; the floor wrote {same}"
    )
    if service_rows["messages"] != distinct:
        raise SanityError(
            f"{backend}: {service_rows['messages']:,} messages stored, {distinct:,} ingested"
        )
    if service_rows != floor_rows:
        raise SanityError(f"{backend}: service wrote {service_rows}, floor wrote {floor_rows}")
    return result


# Databases ---------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, postgres_url: str | None) -> Iterator[Engine]:
    """A new, migrated database holding the Glasnet cast; removed afterwards."""
    with throwaway_database(backend, postgres_url) as engine:
        add_cast(engine)
        yield engine


def _account(engine: Engine) -> ChannelAccount:
    """The cast's API channel account, loaded and detached (the service reads only its ids)."""
    with unit_of_work(make_session_factory(engine)) as session:
        stmt = sa.select(ChannelAccount).where(ChannelAccount.platform == ACCOUNT)
        return session.scalars(stmt).one()


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in COUNTED_TABLES
        }


# The service run ---------------------------------------------------------------------------


def _timed_service(
    engine: Engine, count: int, seed: int, backend: str, profile: Path | None
) -> tuple[float, int]:
    """Seconds spent ingesting (generation excluded) and the number of distinct external ids."""
    account = _account(engine)
    factory = make_session_factory(engine)
    profiler = cProfile.Profile() if profile else None
    seen: set[str] = set()
    elapsed = 0.0
    analyzed_at = 0
    for batch in batched(iter_messages(count, seed=seed), BATCH_SIZE):
        seen.update(m.external_id for m in batch)
        if len(seen) > max(2 * BATCH_SIZE, analyzed_at * (1 + ANALYZE_GROWTH)):
            _analyze(engine)
            analyzed_at = len(seen)
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        with unit_of_work(factory) as session:
            ingest_batch(session, account, batch, reopen_window=REOPEN_WINDOW)
        if profiler:
            profiler.disable()
        elapsed += time.perf_counter() - started
        _progress("service", len(seen), count, elapsed)
    if profiler and profile:
        _report_profile(profiler, profile / f"ingest-{backend}.prof")
    return elapsed, len(seen)


def _analyze(engine: Engine) -> None:
    """Refresh planner statistics, untimed, as autovacuum would in production.

    PostgreSQL's autovacuum analyzes a table once it grew by 10 % (the default
    ``autovacuum_analyze_scale_factor``); a server with autovacuum off (as on some CI machines)
    would otherwise plan every lookup for an empty table. The floor needs no lookups and no
    statistics. On SQLite ``PRAGMA optimize`` plays the same part.
    """
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("PRAGMA optimize")


def _report_profile(profiler: cProfile.Profile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    print(f"  profile written to {path}; top functions by own time:", file=sys.stderr)
    pstats.Stats(str(path), stream=sys.stderr).sort_stats("tottime").print_stats(25)


def _progress(run: str, done: int, count: int, elapsed: float) -> None:
    """A line on stderr at every tenth of a long run, so a slow run shows it is alive."""
    step = max(count // 10, BATCH_SIZE)
    if count >= 20 * BATCH_SIZE and done < count and done // step != (done - BATCH_SIZE) // step:
        print(f"  {run} {done:>9,}/{count:,}  {done / elapsed:,.0f} msg/s", file=sys.stderr)


# The floor run -----------------------------------------------------------------------------


@dataclass
class _Rows:
    """What one transaction of the floor inserts, in foreign-key order."""

    contacts: list[dict[str, Any]] = field(default_factory=list)
    identities: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


class _FloorPlan:
    """Ids and threading worked out in memory, before the clock starts.

    Mirrors the outcome of the service's rules for this corpus (which delivers parents before
    replies and resolves nothing): a reply joins its parent's conversation, a private message
    the author's one private conversation, anything else starts a conversation. The row counts
    of both runs are compared afterwards, so a drift between this and the service shows up.
    """

    def __init__(self, engine: Engine, account: ChannelAccount) -> None:
        self.workspace_id = account.workspace_id
        self.account_id = account.id
        self.platform = account.platform
        with engine.connect() as conn:
            self.next_id = {
                t: conn.execute(sa.text(f"SELECT coalesce(max(id), 0) + 1 FROM {t}")).scalar_one()
                for t in COUNTED_TABLES
            }
        self.identity_of: dict[str, tuple[int, int]] = {}
        self.private_conversation_of: dict[int, int] = {}
        self.conversation_of_message: dict[str, int] = {}

    def rows(self, batch: list[InboundMessage]) -> _Rows:
        rows = _Rows()
        now = utc_now()
        for message in batch:
            contact_id, identity_id = self._identity(message, rows, now)
            conversation_id = self._conversation(message, contact_id, rows, now)
            self.conversation_of_message[message.external_id] = conversation_id
            rows.messages.append(
                {
                    "id": self._take("messages"),
                    "workspace_id": self.workspace_id,
                    "conversation_id": conversation_id,
                    "channel_account_id": self.account_id,
                    "external_id": message.external_id,
                    "direction": Direction.INBOUND.value,
                    "visibility": message.visibility.value,
                    "author_identity_id": identity_id,
                    "text": message.text,
                    "attachments": [a.as_json() for a in message.attachments],
                    "rating": message.rating,
                    "reply_to_external_id": message.reply_to_external_id,
                    "platform_time": message.platform_time,
                    "received_at": now,
                    "raw": message.raw,
                    "delivery_attempts": 0,
                }
            )
        return rows

    def _identity(self, message: InboundMessage, rows: _Rows, now: datetime) -> tuple[int, int]:
        author = message.author
        known = self.identity_of.get(author.platform_user_id)
        if known is not None:
            return known
        contact_id, identity_id = self._take("contacts"), self._take("contact_identities")
        rows.contacts.append(
            {
                "id": contact_id,
                "workspace_id": self.workspace_id,
                "name": author.name or author.handle or "",
                "attributes": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        rows.identities.append(
            {
                "id": identity_id,
                "workspace_id": self.workspace_id,
                "contact_id": contact_id,
                "platform": self.platform,
                "platform_user_id": author.platform_user_id,
                "handle": author.handle,
                "name": author.name,
                "follower_count": author.follower_count,
                "verified": author.verified,
                "updated_at": now,
            }
        )
        self.identity_of[author.platform_user_id] = (contact_id, identity_id)
        return contact_id, identity_id

    def _conversation(
        self, message: InboundMessage, contact_id: int, rows: _Rows, now: datetime
    ) -> int:
        for ref in (message.reply_to_external_id, message.thread_external_id):
            if ref is not None and ref in self.conversation_of_message:
                return self.conversation_of_message[ref]
        private = message.kind.value == "private_thread"
        if private and contact_id in self.private_conversation_of:
            return self.private_conversation_of[contact_id]
        conversation_id = self._take("conversations")
        at = message.platform_time
        rows.conversations.append(
            {
                "id": conversation_id,
                "workspace_id": self.workspace_id,
                "channel_account_id": self.account_id,
                "contact_id": contact_id,
                "kind": message.kind.value,
                "status": Status.OPEN.value,
                "priority": Priority.NORMAL.value,
                "subject": message.subject,
                "first_inbound_at": at,
                "last_inbound_at": at,
                "last_activity_at": at,
                "waiting_since": at,
                "created_at": now,
            }
        )
        if private:
            self.private_conversation_of[contact_id] = conversation_id
        return conversation_id

    def _take(self, table: str) -> int:
        value: int = self.next_id[table]
        self.next_id[table] = value + 1
        return value


def _timed_floor(engine: Engine, count: int, seed: int) -> float:
    """Seconds spent in bare executemany inserts of the rows the service would write."""
    plan = _FloorPlan(engine, _account(engine))
    first_id = plan.next_id["messages"]
    tables = metadata.tables
    statements = [
        ("contacts", sa.insert(tables["contacts"])),
        ("identities", sa.insert(tables["contact_identities"])),
        ("conversations", sa.insert(tables["conversations"])),
        ("messages", sa.insert(tables["messages"])),
    ]
    elapsed = 0.0
    for batch in batched(iter_messages(count, seed=seed), BATCH_SIZE):
        rows = plan.rows(batch)
        started = time.perf_counter()
        for row in rows.messages:
            row["search_text"] = index_text(row["text"])
        with engine.begin() as conn:
            for attr, statement in statements:
                values: list[dict[str, Any]] = getattr(rows, attr)
                if values:
                    conn.execute(statement, values)
        elapsed += time.perf_counter() - started
        _progress("floor", plan.next_id["messages"] - first_id, count, elapsed)
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
