"""A year of Glasnet's webcare inbox, written straight into a migrated database (bench/inbox.py).

Why not the ingestion service: it only knows what customers send, so everything it makes is
open, unanswered, unassigned and unlabelled, and a million messages through it take many
minutes (``bench/ingest.py``). An inbox read benchmark needs the state a team leaves behind:
mostly resolved conversations with agent replies, assignees, teams, labels, notes and an
activity trail, and a backlog that is still open. So every row is worked out here in Python
(ids, threading, clocks, statuses) and inserted with SQLAlchemy Core ``insert(table)``
executemany into the real schema (:func:`webcare.migrations.runner.upgrade`), indexes and
full-text index included: on SQLite the FTS5 triggers index each message, on PostgreSQL the
generated tsvector column and its GIN index do; ``search_text`` is filled with
:func:`webcare.search.text.index_text` as ingestion fills it.

What the data looks like (the choices that decide how much the read queries have to do):

- the Glasnet cast (:func:`webcare.demo.cast.create_cast`) owns everything: its eight channel
  accounts, four agents and a lead, two teams and fifteen labels;
- :data:`CONVERSATIONS_PER_DAY` new conversations a day, so 100,000 span about eleven months;
  channels and kinds in :data:`PLATFORM_MIX`; repeat customers (a skewed pick from a pool of
  contacts per platform, a tenth of them with a second identity);
- conversation sizes average ``messages / conversations`` (10 for the full run), reviews 1-2,
  the rest a long-tailed spread capped at :data:`MAX_SIZE`; customer turns of one to a few
  messages alternate with agent replies, with realistic gaps;
- status follows age: most of the last day is open, most older conversations are resolved, and
  a thin backlog of old open, pending and snoozed ones remains (about 1.3 % open in the full
  run); ``waiting_since``, ``first_response_at`` and friends follow the messages the way
  :mod:`webcare.conversation.service` sets them (``sla_due_at`` too, where the schema has it);
- customer texts come from :mod:`bench.corpus` (a pool of generated messages: mentions and
  replies for public threads, DMs for private threads, e-mail and chat, reviews with their
  rating and the raw webhook payload), agent replies from :data:`AGENT_REPLIES`; labels follow
  the words of the first message;
- message ids increase with ``platform_time`` across conversations, as they do when messages
  arrive live, so a conversation's messages are spread over the table, not stored together.

Generation is deterministic for a given size and seed, except that times are relative to the
moment of seeding (snoozes must end in the future).
"""

from __future__ import annotations

import heapq
import itertools
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.common import add_cast, throwaway_database
from bench.corpus import iter_messages, phrases
from webcare.demo.cast import MEMBERS
from webcare.kit.db import make_session_factory, unit_of_work
from webcare.models import metadata
from webcare.search.text import index_text

CONVERSATIONS_PER_DAY = 300
MAX_SIZE = 60
#: Customers per conversation on a platform: most customers write once a year, some often.
CONTACTS_PER_CONVERSATION = 0.6
#: Messages per transaction while seeding (the other rows go with the messages they precede).
SEED_BATCH = 10_000
DAY = 86_400.0

#: platform (= the cast's account key), share of conversations, kinds with their shares.
PLATFORM_MIX: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    ("x", 0.30, (("public_thread", 0.6), ("private_thread", 0.4))),
    ("facebook", 0.15, (("public_thread", 0.55), ("private_thread", 0.45))),
    ("instagram", 0.10, (("public_thread", 0.5), ("private_thread", 0.5))),
    ("whatsapp", 0.20, (("private_thread", 1.0),)),
    ("google_reviews", 0.05, (("review", 1.0),)),
    ("email", 0.10, (("email", 1.0),)),
    ("webchat", 0.07, (("chat", 1.0),)),
    ("api", 0.03, (("private_thread", 1.0),)),
)
PUBLIC_KINDS = frozenset({"public_thread", "review"})
#: (status, probability) by the age of a conversation: younger than a day, a week, older.
STATUS_BY_AGE: tuple[tuple[float, tuple[tuple[str, float], ...]], ...] = (
    (1.0, (("open", 0.55), ("pending", 0.15), ("snoozed", 0.05), ("resolved", 0.25))),
    (7.0, (("open", 0.12), ("pending", 0.08), ("snoozed", 0.03), ("resolved", 0.77))),
    (1e9, (("open", 0.01), ("pending", 0.005), ("snoozed", 0.002), ("resolved", 0.983))),
)
PRIORITIES = (("normal", 0.85), ("high", 0.10), ("urgent", 0.02), ("low", 0.03))
AGENTS = (("anna", 0.32), ("sanne", 0.32), ("youssef", 0.28), ("lars", 0.08))
#: A label goes on a conversation whose first message contains one of its words (folded).
LABEL_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("storing", ("storing", "outage", "ligt er", "geen internet", " down", "geen 4g")),
    ("factuur", ("factuur", "bill", "afgeschreven", "charged", "betalen")),
    ("verhuizing", ("verhuis", "moving")),
    ("opzeggen", ("opzeg", "cancel")),
    ("installatie", ("monteur", "engineer", "installatie", "aansluiting", "glasvezel")),
    ("modem", ("modem", "router", "wifi", "knippert", "blinking")),
    ("tv", ("tv-ontvanger", "#tv")),
    ("mobiel", ("4g", "mobiel")),
    ("roaming", ("roaming",)),
    ("compliment", ("top service", "great service", "super geholpen", "prima provider")),
    ("prijzen", ("prijs", "prices", "hoger")),
)
EMAIL_SUBJECTS = (
    "Vraag over mijn factuur",
    "Storing internet",
    "Verhuizing doorgeven",
    "Opzegging abonnement",
    "Klacht over monteur",
    "Question about my bill",
    "Re: uw afspraak met de monteur",
    "Wijziging bankrekening",
)
AGENT_REPLIES = (
    "Hoi {first}, wat vervelend! Stuur je ons je postcode en huisnummer via DM? {sig}",
    "Dank voor je geduld. Er is inderdaad een storing in {city}, onze monteurs zijn ermee"
    " bezig. We verwachten dat het rond {time} is opgelost. {sig}",
    "Ik heb je factuur bekeken: het verschil komt door de jaarlijkse prijsaanpassing. Ik heb"
    " €{amount} gecrediteerd. {sig}",
    "Je verhuizing naar {city} is doorgegeven, de monteur komt {when}. {sig}",
    "Graag gedaan {first}, fijne dag nog! {sig}",
    "Wil je het modem 30 seconden van de stroom halen en opnieuw opstarten? Laat je weten of"
    " het helpt? {sig}",
    "Je roamingbundel stond nog niet aan, dat is nu geregeld. Wil je je telefoon even"
    " herstarten? {sig}",
    "Bedankt voor je review! We hebben je bericht doorgestuurd naar de winkel in {city}. {sig}",
    "Sorry voor het lange wachten. Ik heb een monteur voor je ingepland, {when} tussen 8 en 12."
    " {sig}",
    "Je opzegging is verwerkt, de bevestiging krijg je per e-mail. {sig}",
    "Ik kijk even met je mee. Welke lampjes branden er op het modem? {sig}",
    "Hi {first}, sorry to hear that! Could you DM us your postcode and house number? {sig}",
    "There is an outage in {city}, our engineers are on it. Expected fix around {time}. {sig}",
    "You're welcome {first}, have a nice day! {sig}",
    "I've credited €{amount} to your account for the inconvenience. {sig}",
)
NOTE_TEXTS = (
    "@lars kun jij hier even naar kijken? Klant belt al voor de derde keer.",
    "Monteur ingepland, ticket staat in het storingssysteem.",
    "Klant wil compensatie, @lars akkoord met een maand korting?",
    "Let op: klant heeft ook een open DM, die is samengevoegd.",
)
_TABLES_WITH_IDS = (
    "contacts",
    "contact_identities",
    "conversations",
    "messages",
    "notes",
    "audit_events",
)


@dataclass(frozen=True)
class CastIds:
    """The ids of the Glasnet cast that the seeded rows point at."""

    workspace_id: int
    users: dict[str, int]
    teams: dict[str, int]
    #: channel account id by platform (the cast has one account per platform)
    accounts: dict[str, int]
    labels: dict[str, int]


@dataclass(frozen=True)
class Shape:
    """How big an inbox to seed."""

    conversations: int
    messages: int


@dataclass
class Seeded:
    """What was written, for the benchmark to pick its samples from."""

    shape: Shape
    seconds: float
    first_conversation_id: int
    #: message count of each conversation, by ``id - first_conversation_id``
    sizes: list[int]
    statuses: Counter[str]
    contacts: int
    rows: Counter[str] = field(default_factory=Counter)

    @property
    def conversation_ids(self) -> range:
        return range(self.first_conversation_id, self.first_conversation_id + len(self.sizes))


# Databases ---------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, postgres_url: str | None) -> Iterator[tuple[Engine, CastIds]]:
    """A new, migrated database holding the Glasnet cast; removed afterwards."""
    with throwaway_database(backend, postgres_url) as engine:
        yield engine, _prepare(engine)


def _prepare(engine: Engine) -> CastIds:
    cast = add_cast(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        labels = metadata.tables["labels"]
        label_ids = {
            name: label_id
            for label_id, name in session.execute(
                sa.select(labels.c.id, labels.c.name).where(
                    labels.c.workspace_id == cast.workspace.id
                )
            )
        }
        return CastIds(
            workspace_id=cast.workspace.id,
            users=dict(cast.users),
            teams=dict(cast.teams),
            accounts={key: account.id for key, account in cast.accounts.items()},
            labels=label_ids,
        )


# The text pool -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """A message text with what storing it needs, worked out once and reused."""

    text: str
    search_text: str
    raw: dict[str, Any] | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    rating: int | None = None


class TextPool:
    """Customer texts from :mod:`bench.corpus` by what they are, and agent replies.

    A pool much smaller than the seeded messages is enough: the corpus is made of templates
    with slots, so drawing from a pool gives the same word frequencies as generating every
    message, at a fraction of the cost (``index_text`` runs once per pool entry).
    """

    def __init__(self, size: int, seed: int) -> None:
        self.roots: list[_Text] = []
        self.replies: list[_Text] = []
        self.dms: list[_Text] = []
        self.reviews: list[_Text] = []
        pools = {
            "mention": self.roots,
            "reply": self.replies,
            "direct_message": self.dms,
            "review": self.reviews,
        }
        for message in iter_messages(size, seed=seed):
            raw = message.raw or {}
            pools[str(raw.get("type"))].append(
                _Text(
                    message.text,
                    index_text(message.text),
                    raw,
                    tuple(a.as_json() for a in message.attachments),
                    message.rating,
                )
            )
        rng = random.Random(f"agent-{seed}")
        signatures = [m[3] for m in MEMBERS if m[3]]
        self.agent: list[_Text] = []
        for _ in range(400):
            text = rng.choice(AGENT_REPLIES).format(
                first=rng.choice(phrases.FIRST),
                city=rng.choice(phrases.CITIES),
                time=f"{rng.randrange(8, 23)}:{rng.choice(('00', '15', '30', '45'))}",
                amount=f"{rng.randrange(5, 60)},{rng.randrange(100):02d}",
                when=rng.choice(phrases.WHEN_NL),
                sig=rng.choice(signatures),
            )
            self.agent.append(_Text(text, index_text(text)))

    def words(self) -> list[str]:
        """Every distinct word of five letters or more in the customer texts (for searches)."""
        seen: set[str] = set()
        for pool in (self.roots, self.replies, self.dms, self.reviews):
            for entry in pool:
                seen.update(w for w in entry.search_text.split() if len(w) >= 5 and w.isalpha())
        return sorted(seen)


# The seeder --------------------------------------------------------------------------------


@dataclass
class _Contact:
    id: int
    identity_id: int
    first_name: str


class _Writer:
    """Buffers rows per table and inserts them with executemany, parents before children."""

    ORDER = (
        "contacts",
        "contact_identities",
        "conversations",
        "conversation_labels",
        "notes",
        "audit_events",
        "messages",
    )

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in self.ORDER}
        self.statements = {t: sa.insert(metadata.tables[t]) for t in self.ORDER}
        self.written: Counter[str] = Counter()

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        with self.engine.begin() as conn:
            for table in self.ORDER:
                rows = self.rows[table]
                if rows:
                    conn.execute(self.statements[table], rows)
                    self.written[table] += len(rows)
                    rows.clear()


class Seeder:
    """Plans conversations one by one in order of their start and writes them in batches.

    Each conversation's messages go on a heap keyed by their time, and are taken off (and
    given their ids) only once every conversation that started before them exists, so message
    ids follow time across conversations. Only the conversations still running are in memory.
    """

    def __init__(
        self, engine: Engine, cast: CastIds, shape: Shape, pool: TextPool, seed: int
    ) -> None:
        if shape.messages < shape.conversations:
            raise ValueError("need at least one message per conversation")
        self.engine = engine
        self.cast = cast
        self.shape = shape
        self.pool = pool
        self.rng = random.Random(seed)
        self.now = float(int(time.time()))
        self.writer = _Writer(engine)
        self.next_id = self._next_ids()
        self.first_conversation_id = self.next_id["conversations"]
        self.heap: list[tuple[float, int, dict[str, Any]]] = []
        self.tiebreak = 0
        self.pending_messages = 0
        self.statuses: Counter[str] = Counter()
        self.contact_pools: dict[str, list[_Contact | None]] = {
            platform: [None] * max(1, int(shape.conversations * share * CONTACTS_PER_CONVERSATION))
            for platform, share, _kinds in PLATFORM_MIX
        }
        self.contacts = 0
        self.sla_due_at = _sla_clock()

    def run(self) -> Seeded:
        started = time.perf_counter()
        rng = self.rng
        n = self.shape.conversations
        span = n / CONVERSATIONS_PER_DAY * DAY
        starts = sorted(self.now - 300.0 - span * rng.random() for _ in range(n))
        platforms = rng.choices(
            [p[0] for p in PLATFORM_MIX], weights=[p[1] for p in PLATFORM_MIX], k=n
        )
        kinds_of = {p[0]: p[2] for p in PLATFORM_MIX}
        kinds = [_pick(rng, kinds_of[platform]) for platform in platforms]
        sizes = _sizes(rng, kinds, self.shape.messages)
        for index in range(n):
            self._emit_until(starts[index])
            self._conversation(starts[index], platforms[index], kinds[index], sizes[index])
            if self.pending_messages >= SEED_BATCH:
                self.writer.flush()
                self.pending_messages = 0
                self._progress(started)
        self._emit_until(float("inf"))
        self.writer.flush()
        return Seeded(
            shape=self.shape,
            seconds=time.perf_counter() - started,
            first_conversation_id=self.first_conversation_id,
            sizes=sizes,
            statuses=self.statuses,
            contacts=self.contacts,
            rows=self.writer.written,
        )

    def _progress(self, started: float) -> None:
        """A line on stderr at every tenth of a big seeding, so a long run shows it is alive."""
        done = self.writer.written["messages"]
        step = self.shape.messages // 10
        if step >= SEED_BATCH and done // step != (done - SEED_BATCH) // step:
            elapsed = time.perf_counter() - started
            print(
                f"  seeding {done:>9,}/{self.shape.messages:,} messages, {elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    def _next_ids(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                t: conn.execute(sa.text(f"SELECT coalesce(max(id), 0) + 1 FROM {t}")).scalar_one()
                for t in _TABLES_WITH_IDS
            }

    def _take(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    # One conversation ----------------------------------------------------------------------

    def _conversation(self, start: float, platform: str, kind: str, size: int) -> None:
        rng = self.rng
        age_days = (self.now - start) / DAY
        status = _pick(rng, next(p for limit, p in STATUS_BY_AGE if age_days < limit))
        # Open ones mostly wait for us; a few were answered and wait for the customer.
        waiting = status == "open" and rng.random() < 0.8
        if size == 1 and status != "resolved":
            # Nobody answered yet: it can only be open and waiting.
            status, waiting = "open", True
        ends_inbound = waiting or (status == "resolved" and rng.random() < 0.15)
        directions = _directions(rng, size, kind, ends_inbound)
        times = self._times(rng, start, directions)
        self.statuses[status] += 1

        conversation_id = self._take("conversations")
        contact = self._contact(platform)
        first_text = self._inbound_text(kind, 0)
        labels = _labels(rng, first_text, status)
        has_outbound = "out" in directions
        assignee: str | None = None
        if has_outbound or status != "open" or rng.random() < 0.55:
            assignee = _pick(rng, AGENTS)
        team: str | None = None
        if assignee is not None or rng.random() < 0.5:
            team = "Storingen" if "storing" in labels and rng.random() < 0.7 else "Webcare"

        inbound = [t for t, d in zip(times, directions, strict=True) if d == "in"]
        outbound = [t for t, d in zip(times, directions, strict=True) if d == "out"]
        last_out = outbound[-1] if outbound else None
        unanswered = [t for t in inbound if last_out is None or t > last_out]
        last = times[-1]
        changed_at = min(self.now - 1, last + rng.uniform(120, 7200))
        resolved_at = changed_at if status == "resolved" else None
        snoozed_until = self.now + rng.uniform(3600, 72 * 3600) if status == "snoozed" else None
        assigned_at = (outbound[0] - rng.uniform(30, 600)) if outbound else start + 60
        assigned_at = max(start + 1, min(assigned_at, self.now - 1))
        last_activity = max(last, changed_at if status != "open" else last, assigned_at)
        waiting_since = _dt(unanswered[0] if unanswered else None)
        row = {
            "id": conversation_id,
            "workspace_id": self.cast.workspace_id,
            "channel_account_id": self.cast.accounts[platform],
            "contact_id": contact.id,
            "kind": kind,
            "status": status,
            "priority": _pick(rng, PRIORITIES),
            "assignee_id": self.cast.users[assignee] if assignee else None,
            "team_id": self.cast.teams[team] if team else None,
            "subject": rng.choice(EMAIL_SUBJECTS) if kind == "email" else None,
            "snoozed_until": _dt(snoozed_until),
            "first_inbound_at": _dt(inbound[0]),
            "first_response_at": _dt(outbound[0] if outbound else None),
            "last_inbound_at": _dt(inbound[-1]),
            "last_activity_at": _dt(last_activity),
            "waiting_since": waiting_since,
            "resolved_at": _dt(resolved_at),
            "created_at": _dt(start),
        }
        if self.sla_due_at is not None:
            row["sla_due_at"] = self.sla_due_at(kind, waiting_since)
        self.writer.add("conversations", row)
        for label in labels:
            self.writer.add(
                "conversation_labels",
                {"conversation_id": conversation_id, "label_id": self.cast.labels[label]},
            )
        self._activity(
            conversation_id, assignee, team, labels, status, assigned_at, changed_at, snoozed_until
        )
        self._messages(
            conversation_id, platform, kind, contact, assignee, directions, times, first_text
        )

    def _contact(self, platform: str) -> _Contact:
        """A returning customer or a new one, from the platform's pool (skewed: a few write
        often)."""
        pool = self.contact_pools[platform]
        index = int(len(pool) * self.rng.random() ** 1.6)
        known = pool[index]
        if known is not None:
            return known
        rng = self.rng
        first, last = rng.choice(phrases.FIRST), rng.choice(phrases.LAST)
        name = f"{first} {last}"
        contact = _Contact(self._take("contacts"), self._take("contact_identities"), first)
        at = _dt(self.now - 400 * DAY)
        self.writer.add(
            "contacts",
            {
                "id": contact.id,
                "workspace_id": self.cast.workspace_id,
                "name": name,
                "attributes": {},
                "created_at": at,
                "updated_at": at,
            },
        )
        self._identity(contact, platform, f"{platform}-{index}", name)
        if rng.random() < 0.1:
            other = "whatsapp" if platform != "whatsapp" else "email"
            second = self._take("contact_identities")
            self._identity(contact, other, f"{other}-c{contact.id}", name, second)
        pool[index] = contact
        self.contacts += 1
        return contact

    def _identity(
        self,
        contact: _Contact,
        platform: str,
        platform_user_id: str,
        name: str,
        identity_id: int | None = None,
    ) -> None:
        compact = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())
        social = platform in ("x", "instagram", "facebook")
        self.writer.add(
            "contact_identities",
            {
                "id": identity_id or contact.identity_id,
                "workspace_id": self.cast.workspace_id,
                "contact_id": contact.id,
                "platform": platform,
                "platform_user_id": platform_user_id,
                "handle": f"{compact}{contact.id}",
                "name": name,
                "follower_count": int(self.rng.lognormvariate(4.5, 1.5)) if social else None,
                "verified": False,
                "updated_at": _dt(self.now - 30 * DAY),
            },
        )

    def _times(self, rng: random.Random, start: float, directions: list[str]) -> list[float]:
        """Message times: quick customer follow-ups, agents answering within the hour or so,
        customers coming back hours later; squeezed to end before now."""
        times = [start]
        for previous, current in itertools.pairwise(directions):
            if previous == "in":
                median = 120.0 if current == "in" else 1500.0
            else:
                median = 5400.0 if current == "in" else 60.0
            times.append(times[-1] + rng.lognormvariate(0, 1.0) * median)
        latest = self.now - 60.0
        if times[-1] > latest:
            scale = (latest - start) / (times[-1] - start)
            times = [start + (t - start) * scale for t in times]
        return times

    def _inbound_text(self, kind: str, position: int) -> _Text:
        pool = self.pool
        if kind == "review":
            return self.rng.choice(pool.reviews)
        if kind == "public_thread":
            return self.rng.choice(pool.roots if position == 0 else pool.replies)
        return self.rng.choice(pool.dms)

    def _activity(
        self,
        conversation_id: int,
        assignee: str | None,
        team: str | None,
        labels: list[str],
        status: str,
        assigned_at: float,
        changed_at: float,
        snoozed_until: float | None,
    ) -> None:
        """The audit trail and notes the conversation page shows, as the service writes them."""
        rng = self.rng
        users = self.cast.users
        actor = users["lars"] if rng.random() < 0.3 else (users[assignee] if assignee else None)

        def audit(action: str, at: float, data: dict[str, Any], by: int | None = actor) -> None:
            self.writer.add(
                "audit_events",
                {
                    "id": self._take("audit_events"),
                    "workspace_id": self.cast.workspace_id,
                    "actor_user_id": by,
                    "actor_token_id": None,
                    "action": action,
                    "object_type": "conversation",
                    "object_id": conversation_id,
                    "data": data,
                    "created_at": _dt(at),
                },
            )

        if assignee is not None or team is not None:
            audit(
                "conversation.assigned",
                assigned_at,
                {
                    "assignee_id": users[assignee] if assignee else None,
                    "team_id": self.cast.teams[team] if team else None,
                },
            )
        for offset, label in enumerate(labels):
            audit("conversation.labelled", assigned_at + 20 + offset, {"label": label})
        if status != "open":
            until = _dt(snoozed_until)
            data = {"from": "open", "snoozed_until": until.isoformat() if until else None}
            audit(f"conversation.status.{status}", changed_at, data)
        if assignee is not None and rng.random() < 0.04:
            note_id = self._take("notes")
            at = assigned_at + rng.uniform(60, 3600)
            self.writer.add(
                "notes",
                {
                    "id": note_id,
                    "workspace_id": self.cast.workspace_id,
                    "conversation_id": conversation_id,
                    "author_user_id": users[assignee],
                    "text": (text := rng.choice(NOTE_TEXTS)),
                    "mentions": [users["lars"]] if "@lars" in text else [],
                    "created_at": _dt(at),
                },
            )
            audit("note.added", at, {"note_id": note_id}, users[assignee])

    def _messages(
        self,
        conversation_id: int,
        platform: str,
        kind: str,
        contact: _Contact,
        assignee: str | None,
        directions: list[str],
        times: list[float],
        first_text: _Text,
    ) -> None:
        """Queue the conversation's messages on the heap; ids are given when they come off."""
        account_id = self.cast.accounts[platform]
        visibility = "public" if kind in PUBLIC_KINDS else "private"
        threaded = kind in PUBLIC_KINDS
        replier = self.cast.users[assignee or "anna"]
        previous_external: str | None = None
        for position, (direction, at) in enumerate(zip(directions, times, strict=True)):
            inbound = direction == "in"
            if inbound:
                entry = first_text if position == 0 else self._inbound_text(kind, position)
                external_id = f"{platform}-{conversation_id}-{position}"
            else:
                entry = self.rng.choice(self.pool.agent)
                external_id = f"{platform}-r{conversation_id}-{position}"
            row: dict[str, Any] = {
                "workspace_id": self.cast.workspace_id,
                "conversation_id": conversation_id,
                "channel_account_id": account_id,
                "external_id": external_id,
                "direction": "inbound" if inbound else "outbound",
                "visibility": visibility,
                "author_identity_id": contact.identity_id if inbound else None,
                "author_user_id": None if inbound else replier,
                "text": entry.text,
                "search_text": entry.search_text,
                "attachments": list(entry.attachments),
                "rating": entry.rating,
                "reply_to_external_id": previous_external if threaded else None,
                "platform_time": _dt(at),
                "received_at": _dt(at + (1.5 if inbound else 0.0)),
                "raw": entry.raw,
                "delivery_status": None if inbound else "sent",
                "delivery_error": None,
                "delivery_attempts": 0 if inbound else 1,
                "idempotency_key": None if inbound else f"auto_{conversation_id}_{position}",
            }
            previous_external = external_id
            self.tiebreak += 1
            heapq.heappush(self.heap, (at, self.tiebreak, row))

    def _emit_until(self, until: float) -> None:
        heap = self.heap
        while heap and heap[0][0] <= until:
            _at, _tie, row = heapq.heappop(heap)
            row["id"] = self._take("messages")
            self.writer.add("messages", row)
            self.pending_messages += 1


# Helpers -----------------------------------------------------------------------------------


def _sla_clock() -> Callable[[str, datetime | None], datetime | None] | None:
    """The service's first-response clock when the schema has ``sla_due_at`` (migration 0003),
    so the SLA sort sees what ingestion would have written; None on an older schema."""
    if "sla_due_at" not in metadata.tables["conversations"].c:
        return None
    from webcare.conversation.sla import due_at

    return due_at


def _pick(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    roll = rng.random() * sum(weight for _name, weight in options)
    for name, weight in options:
        roll -= weight
        if roll < 0:
            return name
    return options[-1][0]


def _dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _sizes(rng: random.Random, kinds: list[str], total: int) -> list[int]:
    """Messages per conversation, exactly ``total`` in all: reviews 1-2, the rest long-tailed."""
    sizes = [
        (1 if rng.random() < 0.6 else 2)
        if kind == "review"
        else min(MAX_SIZE, 1 + int(rng.lognormvariate(2.0, 0.6)))
        for kind in kinds
    ]
    free = [i for i, kind in enumerate(kinds) if kind != "review"]
    fixed = sum(sizes) - sum(sizes[i] for i in free)
    if free:
        factor = (total - fixed) / max(1, sum(sizes[i] for i in free))
        for i in free:
            sizes[i] = max(1, min(MAX_SIZE, round(sizes[i] * factor)))
    # Settle the rounding one message at a time, on random conversations that can take it.
    candidates = free or list(range(len(sizes)))
    difference = total - sum(sizes)
    while difference:
        i = rng.choice(candidates)
        step = 1 if difference > 0 else -1
        if 1 <= sizes[i] + step <= MAX_SIZE:
            sizes[i] += step
            difference -= step
    return sizes


def _directions(rng: random.Random, size: int, kind: str, ends_inbound: bool) -> list[str]:
    """Who wrote each message: customer turns of one or more messages, then an agent."""
    if kind == "review":
        return ["in", "out"][:size]
    directions = ["in"]
    while len(directions) < size:
        if directions[-1] == "in":
            directions.append("in" if rng.random() < 0.35 else "out")
        else:
            directions.append("in" if rng.random() < 0.85 else "out")
    if size > 1:
        directions[-1] = "in" if ends_inbound else "out"
    return directions


def _labels(rng: random.Random, first: _Text, status: str) -> list[str]:
    """Labels an agent would give, from the words of the first message (none yet on many new
    conversations)."""
    if status == "open" and rng.random() < 0.5:
        return []
    text = first.search_text
    labels = [name for name, words in LABEL_RULES if any(w in text for w in words)][:3]
    if first.rating is not None and first.rating <= 2:
        labels.append("klacht")
    if rng.random() < 0.02:
        labels.append(rng.choice(("privacy", "spam")))
    if not labels and rng.random() < 0.5:
        labels.append("vraag")
    return labels
