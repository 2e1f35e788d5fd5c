"""How fast the inbox reads: the list, a filtered list, a search and a conversation page.

For each backend (SQLite always, PostgreSQL when a URL is configured) a fresh, migrated
database is filled with a year of Glasnet's inbox (:mod:`bench.inbox_seed`: 100,000
conversations and 1,000,000 messages, or 5,000 and 50,000 with ``--quick``; not timed), then
each read the web UI makes is timed server side: the Python functions the HTTP endpoint calls
(:mod:`webcare.conversation.endpoints`), in a fresh session and transaction per request as
``get_db`` opens one, without HTTP, authentication or JSON encoding:

- **list**: the team's queue, open conversations longest-waiting first, 25 a page:
  ``service.list_page`` then ``views.list_items`` on its rows;
- **filtered**: four views an agent or lead picks from the sidebar, in turn (open on X
  labelled "storing"; my open ones; unassigned open or pending public ones; every
  "factuur" conversation, newest first);
- **search**: the ``q`` filter over all conversations, newest first, in turn with
  :data:`SEARCH_QUERIES` and a few words drawn from the corpus;
- **conversation**: ``service.get_or_raise`` then ``views.detail`` (messages with revisions,
  notes, activity) on conversations drawn at random (10 messages on average);
- **history** and **history deep**: every conversation newest first, the first page and page
  :data:`DEEP_PAGE` reached through the keyset cursor (``next_cursor`` of the page before).

The list endpoint also returns ``total`` (``service.count``, the view's live count), so for the
list kinds the count is timed in the same request right after the page and reported apart:
``*_count_*`` is the count alone, ``*_total_*`` the whole request as the endpoint makes it.

Baseline, side by side in the same run: the list page assembled N+1, the way
:mod:`webcare.conversation.views` exists to avoid. The same ``list_page`` rows, then
``views.list_items``' own loaders (channel account, contact, identities, labels, last message)
called for one row at a time: five statements per row instead of five per page, the same
queries and the same items (checked). Calling the real loaders per row, rather than
hand-written per-row queries, keeps the comparison about batching alone. It is timed in the
same rounds as the list, on every :data:`BASELINE_EVERY`-th round of a full run (it is slow),
and printed with the ratio (``naive_ratio_*``: N+1 time over list time; above 1, batching
pays). N+1 was chosen over OFFSET paging because the list is what every
agent loads all day; paging deep through the cursor is reported on its own (history deep).

Goals, printed next to the figures and not asserted (benchmarks are noisy): p95 under 50 ms
for the lists and the conversation page, under 200 ms for search. Operations run round-robin
(one request of each per round), so a slower spell of a busy machine hits all of them alike.
PostgreSQL is vacuumed and analysed after seeding, as autovacuum would have done; SQLite is
not analysed, as webcare never runs ANALYZE on it. The last line printed is the JSON summary
that ``bench/run_all.py`` collects.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.common import add_postgres_option, positive, postgres_url_from
from bench.corpus import DEFAULT_SEED
from bench.inbox_seed import CastIds, Seeded, Seeder, Shape, TextPool, fresh_database
from webcare.conversation import service, views
from webcare.conversation.filters import ConversationFilter, Sort
from webcare.conversation.models import Conversation
from webcare.conversation.schemas import ConversationListItem
from webcare.kit.db import make_session_factory, unit_of_work

QUICK = Shape(conversations=5_000, messages=50_000)
FULL = Shape(conversations=100_000, messages=1_000_000)
#: Corpus messages drawn on for customer texts (see :class:`bench.inbox_seed.TextPool`).
QUICK_POOL = 10_000
FULL_POOL = 60_000
QUICK_SAMPLES = 25
FULL_SAMPLES = 300
QUICK_WARMUP = 3
FULL_WARMUP = 10
#: The N+1 baseline runs on every n-th round of a full run only: it can take a second a page.
BASELINE_EVERY = 4
PAGE_SIZE = 25
DEEP_PAGE = 40
#: What agents search for: topics, a phrase, a hashtag, a prefix, a place, an English phrase.
SEARCH_QUERIES = (
    "storing",
    "factuur hoger",
    "modem knippert",
    "#storing",
    "verhuiz*",
    "monteur",
    "roaming spanje",
    "Utrecht",
    "wifi evening",
)
#: Words drawn from the corpus (five letters or more) added to the searches, common or rare.
RANDOM_QUERIES = 3
#: p95 goals in ms; operations without one are reported only.
GOALS_MS = {
    "list": 50.0,
    "filtered": 50.0,
    "conversation": 50.0,
    "history": 50.0,
    "history_deep": 50.0,
    "search": 200.0,
}


class SanityError(Exception):
    """The baseline did not build the same page: the ratio would mean nothing."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    shape = Shape(
        args.conversations or (QUICK.conversations if args.quick else FULL.conversations),
        args.messages or (QUICK.messages if args.quick else FULL.messages),
    )
    samples = args.samples or (QUICK_SAMPLES if args.quick else FULL_SAMPLES)
    warmup = QUICK_WARMUP if args.quick else FULL_WARMUP
    baseline_every = 1 if args.quick else BASELINE_EVERY
    postgres_url = postgres_url_from(args.postgres_url)
    pool = TextPool(QUICK_POOL if args.quick else FULL_POOL, args.seed)
    results: dict[str, dict[str, Any] | None] = {"sqlite": None, "postgresql": None}
    try:
        settings = (shape, pool, samples, warmup, args.seed, baseline_every)
        results["sqlite"] = run_backend("sqlite", None, *settings)
        if postgres_url:
            results["postgresql"] = run_backend("postgresql", postgres_url, *settings)
        else:
            print("inbox postgresql: skipped (set WEBCARE_BENCH_POSTGRES_URL or --postgres-url)")
    except SanityError as exc:
        print(f"inbox: FAILED sanity check: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"bench": "inbox", **results}))
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK.conversations:,} conversations / {QUICK.messages:,} messages and"
        f" {QUICK_SAMPLES} requests per operation instead of {FULL.conversations:,} /"
        f" {FULL.messages:,} and {FULL_SAMPLES}",
    )
    parser.add_argument("--conversations", type=positive, help="overrides --quick")
    parser.add_argument("--messages", type=positive, help="overrides --quick")
    parser.add_argument("--samples", type=positive, help="timed requests per operation")
    add_postgres_option(parser)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="data seed")
    return parser.parse_args(argv)


# One backend -------------------------------------------------------------------------------


def run_backend(
    backend: str,
    postgres_url: str | None,
    shape: Shape,
    pool: TextPool,
    samples: int,
    warmup: int,
    seed: int,
    baseline_every: int,
) -> dict[str, Any]:
    """Seed a fresh database of one backend, time every operation, print and return figures."""
    print(
        f"inbox {backend}: seeding {shape.conversations:,} conversations /"
        f" {shape.messages:,} messages (not timed)",
        flush=True,
    )
    with fresh_database(backend, postgres_url) as (engine, cast):
        seeded = Seeder(engine, cast, shape, pool, seed).run()
        _settle(engine)
        statuses = seeded.statuses
        print(
            f"  seeded in {seeded.seconds:.1f} s: "
            + ", ".join(f"{statuses[s]:,} {s}" for s in ("open", "pending", "snoozed", "resolved"))
            + f"; {seeded.contacts:,} contacts, {seeded.rows['audit_events']:,} audit events",
            flush=True,
        )
        bench = _InboxBench(engine, cast, seeded, pool, seed)
        figures = bench.run(samples, warmup, baseline_every)
    return {
        "conversations": shape.conversations,
        "messages": shape.messages,
        "open": statuses["open"],
        "seed_seconds": round(seeded.seconds, 1),
        "samples": samples,
        **figures,
    }


def _settle(engine: Engine) -> None:
    """Leave the database as a running server would find it after a day of traffic."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return
    # Outside any transaction: webcare's engine opens every one with BEGIN IMMEDIATE.
    connection = engine.raw_connection()
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


# The operations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    """One request of a list kind: the filters of a view and, for a deep page, its cursor."""

    label: str
    filters: ConversationFilter
    cursor: str | None = None


@dataclass
class _Operation:
    """A kind of request, the calls it makes, and the times measured for it."""

    name: str
    title: str
    run: Callable[[Session, int], object]
    count: Callable[[Session, int], None] | None = None
    cases: Sequence[str] = ()
    #: runs on every n-th round only
    every: int = 1
    main: list[float] = field(default_factory=list)
    counts: list[float] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    by_case: dict[int, list[float]] = field(default_factory=dict)


class _InboxBench:
    def __init__(
        self, engine: Engine, cast: CastIds, seeded: Seeded, pool: TextPool, seed: int
    ) -> None:
        self.engine = engine
        self.factory: sessionmaker[Session] = make_session_factory(engine)
        self.workspace_id = cast.workspace_id
        self.cast = cast
        self.seeded = seeded
        self.rng = random.Random(seed)
        self.queries = self._queries(pool)
        #: statements one list page needs: (views.list_items, the N+1 baseline)
        self.statements = (0, 0)

    def run(self, samples: int, warmup: int, baseline_every: int) -> dict[str, Any]:
        ops = self._operations(samples + warmup, baseline_every)
        self._check_baseline()
        print(
            f"  timing {samples} requests per operation, round-robin, after {warmup} warm-up"
            " rounds; a fresh session and transaction per request",
            flush=True,
        )
        started = time.perf_counter()
        for round_ in range(-warmup, samples):
            for op in ops:
                if round_ % op.every == 0:
                    self._time(op, round_)
            if samples >= 100 and round_ > 0 and round_ % (samples // 5) == 0:
                print(
                    f"  ... {round_}/{samples} rounds, {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        return self._report(ops)

    # What is timed ---------------------------------------------------------------------------

    def _operations(self, rounds: int, baseline_every: int) -> list[_Operation]:
        anna = self.cast.users["anna"]
        open_waiting = _Case("open, longest waiting", ConversationFilter(statuses=("open",)))
        filtered = [
            _Case(
                "open on X, label storing",
                ConversationFilter(statuses=("open",), platform="x", label="storing"),
            ),
            _Case("open, mine (anna)", ConversationFilter(statuses=("open",), assignee_id=anna)),
            _Case(
                "open+pending, unassigned, public",
                ConversationFilter(
                    statuses=("open", "pending"), assignee_id=0, visibility="public"
                ),
            ),
            _Case(
                "label factuur, all, newest",
                ConversationFilter(label="factuur", sort=Sort.NEWEST),
            ),
        ]
        searches = [
            _Case(f"q={q!r}", ConversationFilter(text=q, sort=Sort.NEWEST)) for q in self.queries
        ]
        history = _Case("all, newest, page 1", ConversationFilter(sort=Sort.NEWEST))
        deep = self._deep(history)
        conversation_ids = [self.rng.choice(self.seeded.conversation_ids) for _ in range(rounds)]
        first = self.seeded.first_conversation_id
        sizes = [self.seeded.sizes[cid - first] for cid in conversation_ids]
        return [
            self._list_operation("list", "list: open, longest waiting", [open_waiting]),
            self._list_operation("filtered", "filtered: 4 views in turn", filtered),
            self._list_operation("search", f"search: {len(searches)} queries in turn", searches),
            _Operation(
                "conversation",
                f"conversation page ({statistics.fmean(sizes):.1f} messages on average)",
                lambda session, i: self._detail(session, conversation_ids[i % rounds]),
            ),
            self._list_operation("history", "history: all, newest, page 1", [history], count=False),
            self._list_operation("history_deep", f"history: {deep.label}", [deep], count=False),
            _Operation(
                "naive_list",
                "baseline: list done N+1",
                lambda session, _i: self._naive_page(session, open_waiting),
                every=baseline_every,
            ),
        ]

    def _list_operation(
        self, name: str, title: str, cases: list[_Case], *, count: bool = True
    ) -> _Operation:
        def run(session: Session, i: int) -> None:
            self._page(session, cases[i % len(cases)])

        def count_(session: Session, i: int) -> None:
            service.count(session, self.workspace_id, cases[i % len(cases)].filters)

        return _Operation(
            name, title, run, count_ if count else None, cases=[c.label for c in cases]
        )

    def _page(self, session: Session, case: _Case) -> list[ConversationListItem]:
        """What ``GET /api/v1/conversations`` does before its count."""
        page = service.list_page(session, self.workspace_id, case.filters, PAGE_SIZE, case.cursor)
        return views.list_items(session, self.workspace_id, page.items)

    def _naive_page(self, session: Session, case: _Case) -> list[ConversationListItem]:
        page = service.list_page(session, self.workspace_id, case.filters, PAGE_SIZE, case.cursor)
        return naive_list_items(session, self.workspace_id, page.items)

    def _detail(self, session: Session, conversation_id: int) -> None:
        """What ``GET /api/v1/conversations/{id}`` does."""
        conversation = service.get_or_raise(session, self.workspace_id, conversation_id)
        views.detail(session, self.workspace_id, conversation)

    def _deep(self, history: _Case) -> _Case:
        """The cursor of page :data:`DEEP_PAGE` of ``history``, found by paging (not timed)."""
        cursor: str | None = None
        page_number = 1
        with unit_of_work(self.factory) as session:
            while page_number < DEEP_PAGE:
                page = service.list_page(
                    session, self.workspace_id, history.filters, PAGE_SIZE, cursor
                )
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
                page_number += 1
        return _Case(f"page {page_number} via the cursor", history.filters, cursor)

    def _queries(self, pool: TextPool) -> list[str]:
        words = pool.words()
        return [*SEARCH_QUERIES, *random.Random(len(words)).sample(words, RANDOM_QUERIES)]

    def _check_baseline(self) -> None:
        """Both ways build the same page; print how many statements each needs."""
        case = _Case("open", ConversationFilter(statuses=("open",)))
        with self._statements() as ours, unit_of_work(self.factory) as session:
            expected = self._page(session, case)
        with self._statements() as naive, unit_of_work(self.factory) as session:
            got = self._naive_page(session, case)
        if got != expected:
            raise SanityError("the N+1 baseline built a different page than views.list_items")
        self.statements = (ours[0], naive[0])

    @contextmanager
    def _statements(self) -> Iterator[list[int]]:
        counter = [0]

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # SQLite's BEGIN IMMEDIATE (see webcare.kit.db) is not a query.
            if not statement.lstrip().upper().startswith("BEGIN"):
                counter[0] += 1

        event.listen(self.engine, "before_cursor_execute", count)
        try:
            yield counter
        finally:
            event.remove(self.engine, "before_cursor_execute", count)

    def _time(self, op: _Operation, round_: int) -> None:
        """One request: session, calls, commit, close; warm-up rounds (negative) not kept."""
        started = time.perf_counter()
        with unit_of_work(self.factory) as session:
            op.run(session, round_)
            listed = time.perf_counter()
            if op.count is not None:
                op.count(session, round_)
            counted = time.perf_counter()
        finished = time.perf_counter()
        if round_ < 0:
            return
        op.main.append((listed - started) * 1000)
        op.by_case.setdefault(round_ % max(1, len(op.cases)), []).append((listed - started) * 1000)
        if op.count is not None:
            op.counts.append((counted - listed) * 1000)
            op.totals.append((finished - started) * 1000)

    # Reporting -------------------------------------------------------------------------------

    def _report(self, ops: list[_Operation]) -> dict[str, Any]:
        figures: dict[str, Any] = {}
        print(f"  {'operation':<44}{'p50 ms':>9}{'p95 ms':>9}   goal for p95")
        by_name = {op.name: op for op in ops}
        for op in ops:
            p50, p95 = _p50(op.main), _p95(op.main)
            figures[f"{op.name}_p50_ms"] = round(p50, 2)
            figures[f"{op.name}_p95_ms"] = round(p95, 2)
            goal = GOALS_MS.get(op.name)
            verdict = "" if goal is None else f"< {goal:.0f} ms: {_verdict(p95, goal)}"
            print(f"  {op.title:<44}{p50:>9.2f}{p95:>9.2f}   {verdict}")
            if len(op.cases) > 1:
                for index, label in enumerate(op.cases):
                    times = op.by_case.get(index, [])
                    if times:
                        print(f"      {label:<40}{_p50(times):>9.2f}{_p95(times):>9.2f}")
            if op.counts:
                figures[f"{op.name}_count_p50_ms"] = round(_p50(op.counts), 2)
                figures[f"{op.name}_count_p95_ms"] = round(_p95(op.counts), 2)
                figures[f"{op.name}_total_p95_ms"] = round(_p95(op.totals), 2)
                print(
                    f"    {'+ the live count (service.count)':<42}"
                    f"{_p50(op.counts):>9.2f}{_p95(op.counts):>9.2f}"
                )
                print(
                    f"    {'= the whole endpoint call':<42}"
                    f"{_p50(op.totals):>9.2f}{_p95(op.totals):>9.2f}"
                )
        ours, naive = by_name["list"].main, by_name["naive_list"].main
        ratio_p50, ratio_p95 = _p50(naive) / _p50(ours), _p95(naive) / _p95(ours)
        figures["naive_ratio_p50"] = round(ratio_p50, 2)
        figures["naive_ratio_p95"] = round(ratio_p95, 2)
        figures["statements_per_page"], figures["naive_statements_per_page"] = self.statements
        print(
            f"  baseline: the N+1 list page takes {ratio_p50:.2f}x the time of views.list_items"
            f" at p50 and {ratio_p95:.2f}x at p95 ({self.statements[1]} statements a page"
            f" instead of {self.statements[0]}; above 1 means batching pays)"
        )
        return figures


def _verdict(p95: float, goal: float) -> str:
    return "meets" if p95 < goal else "ABOVE the goal"


def _p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def _p95(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


# The baseline ------------------------------------------------------------------------------


def naive_list_items(
    session: Session, workspace_id: int, rows: list[Conversation]
) -> list[ConversationListItem]:
    """The page assembled one row at a time: :func:`webcare.conversation.views.list_items`'s
    own loaders (account, contact, identities, labels, last message), called once per row
    instead of once per page. The same queries and the same items; only the batching differs."""
    return [item for c in rows for item in views.list_items(session, workspace_id, [c])]


if __name__ == "__main__":
    sys.exit(main())
