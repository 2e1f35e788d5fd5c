"""A deterministic stream of realistic webcare traffic, shared by the benchmarks.

Why generated instead of a recorded data set: a benchmark must run anywhere without a download,
at any size, and see the same messages on every run so figures compare between commits. The mix
follows what a Dutch provider's webcare team (Glasnet, the demo cast) gets on a busy channel:

- about 50 % public posts: a mention opens a thread, and about 40 % of the public messages are
  replies to an earlier message of the same thread (by the customer or by bystanders);
- about 40 % private messages: customers send several DMs, which join their open conversation;
- about 10 % reviews with a star rating.

Authors come from a pool of one per :data:`MESSAGES_PER_AUTHOR` messages, drawn with a skew (a
few customers write a lot), so most messages come from a contact that already exists. Each
message carries a ``raw`` payload shaped like a webhook body (450-700 bytes of JSON, median 530).

Invariants the benchmarks rely on:

- the same ``count`` and ``seed`` give the same messages, in the same order (a smaller count is
  not a prefix of a larger one: the author pool grows with the count);
- external ids are unique and ``platform_time`` strictly increases, so a reply always comes
  after its parent (no orphans: the corpus measures the common path, not reordering);
- an author's handle, name and follower count never change, so ingestion finds nothing to
  update on a known identity.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bench.corpus import phrases
from webcare.channel.ports import (
    Attachment,
    Author,
    ConversationKind,
    InboundMessage,
    MessageVisibility,
)

DEFAULT_SEED = 20261123
#: Size of the author pool relative to the message count (200,000 messages: 20,000 authors).
MESSAGES_PER_AUTHOR = 10
PUBLIC_SHARE = 0.5
PRIVATE_SHARE = 0.4
#: Share of public messages that answer an earlier message of their thread.
REPLY_SHARE = 0.4
#: Chance that a private message continues a recent DM session instead of starting one.
DM_CONTINUE = 0.65
START = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
#: Mean gap between two messages: 200,000 messages span about a month.
MEAN_GAP_SECONDS = 13.0
BRAND_HANDLE = "@GlasnetHelpt"

T = TypeVar("T")


@dataclass(frozen=True)
class _Persona:
    """An author and the language they write in (a customer sticks to one)."""

    author: Author
    dutch: bool


@dataclass
class _Thread:
    """A public thread: its messages' external ids and the people who wrote in it."""

    root_author: int
    message_ids: list[str] = field(default_factory=list)
    message_authors: list[int] = field(default_factory=list)


def iter_messages(count: int, *, seed: int = DEFAULT_SEED) -> Iterator[InboundMessage]:
    """``count`` messages in delivery order; the same arguments always give the same stream.

    A generator, so a benchmark can time batches without holding the whole corpus in memory.
    """
    return _Corpus(count, seed).messages()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter); Python 3.11 lacks one."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Corpus:
    """The generator's state: the clock, the author pool, open threads and DM sessions."""

    def __init__(self, count: int, seed: int) -> None:
        self.count = count
        self.rng = random.Random(seed)
        self.personas = _personas(max(1, count // MESSAGES_PER_AUTHOR), seed)
        self.clock = START
        self.threads: deque[_Thread] = deque(maxlen=400)
        self.dm_sessions: deque[int] = deque(maxlen=300)

    def messages(self) -> Iterator[InboundMessage]:
        for seq in range(self.count):
            self.clock += timedelta(seconds=0.001 + self.rng.expovariate(1 / MEAN_GAP_SECONDS))
            roll = self.rng.random()
            if roll < PUBLIC_SHARE:
                wants_reply = self.threads and self.rng.random() < REPLY_SHARE
                yield self._reply(seq) if wants_reply else self._root(seq)
            elif roll < PUBLIC_SHARE + PRIVATE_SHARE:
                yield self._dm(seq)
            else:
                yield self._review(seq)

    # Kinds of message ---------------------------------------------------------------------

    def _root(self, seq: int) -> InboundMessage:
        who = self._pick_author()
        persona = self.personas[who]
        template = self._choice(phrases.ROOTS_NL if persona.dutch else phrases.ROOTS_EN)
        text = self._decorate(self._fill(template), persona.dutch, public=True)
        external_id = self._tweet_id(seq)
        self.threads.append(_Thread(who, [external_id], [who]))
        return self._message(external_id, who, text, "mention", ConversationKind.PUBLIC_THREAD)

    def _reply(self, seq: int) -> InboundMessage:
        # Recent threads get most replies, as on a real timeline.
        thread = self.threads[
            len(self.threads) - 1 - int(len(self.threads) * self.rng.random() ** 3)
        ]
        at = len(thread.message_ids) - 1 if self.rng.random() < 0.5 else None
        index = self.rng.randrange(len(thread.message_ids)) if at is None else at
        parent_id, parent_author = thread.message_ids[index], thread.message_authors[index]
        roll = self.rng.random()
        if roll < 0.6:
            who = thread.root_author
        elif roll < 0.75:
            who = self._choice(thread.message_authors)
        else:
            who = self._pick_author()
        persona = self.personas[who]
        body = self._fill(self._choice(phrases.REPLIES_NL if persona.dutch else phrases.REPLIES_EN))
        handle = self.personas[parent_author].author.handle
        prefix = BRAND_HANDLE if parent_author == who else f"@{handle} {BRAND_HANDLE}"
        text = self._decorate(f"{prefix} {body}", persona.dutch, public=True)
        external_id = self._tweet_id(seq)
        thread.message_ids.append(external_id)
        thread.message_authors.append(who)
        return self._message(
            external_id,
            who,
            text,
            "reply",
            ConversationKind.PUBLIC_THREAD,
            reply_to=parent_id,
            thread=thread.message_ids[0],
        )

    def _dm(self, seq: int) -> InboundMessage:
        continuing = self.dm_sessions and self.rng.random() < DM_CONTINUE
        who = self._choice(self.dm_sessions) if continuing else self._pick_author()
        persona = self.personas[who]
        pool: Sequence[str]
        if continuing:
            pool = phrases.DM_MORE_NL if persona.dutch else phrases.DM_MORE_EN
        else:
            pool = phrases.DM_OPEN_NL if persona.dutch else phrases.DM_OPEN_EN
            self.dm_sessions.append(who)
        text = self._decorate(self._fill(self._choice(pool)), persona.dutch, public=False)
        external_id = f"dm-{1_880_000_000_000_000_000 + seq * 4096 + self.rng.randrange(4096)}"
        return self._message(
            external_id,
            who,
            text,
            "direct_message",
            ConversationKind.PRIVATE_THREAD,
            visibility=MessageVisibility.PRIVATE,
            photo=self.rng.random() < 0.08,
        )

    def _review(self, seq: int) -> InboundMessage:
        who = self._pick_author()
        persona = self.personas[who]
        rating = self.rng.choices(phrases.RATINGS, phrases.RATING_WEIGHTS)[0]
        pool = (phrases.REVIEWS_NL if persona.dutch else phrases.REVIEWS_EN)[rating]
        text = self._decorate(self._fill(self._choice(pool)), persona.dutch, public=False)
        external_id = f"rv-{seq:08d}{self.rng.getrandbits(40):010x}"
        return self._message(
            external_id, who, text, "review", ConversationKind.REVIEW, rating=rating, photo=False
        )

    # Building blocks -----------------------------------------------------------------------

    def _message(
        self,
        external_id: str,
        who: int,
        text: str,
        event: str,
        kind: ConversationKind,
        *,
        visibility: MessageVisibility = MessageVisibility.PUBLIC,
        reply_to: str | None = None,
        thread: str | None = None,
        rating: int | None = None,
        photo: bool | None = None,
    ) -> InboundMessage:
        persona = self.personas[who]
        has_photo = self.rng.random() < 0.04 if photo is None else photo
        attachments = (
            (
                Attachment(
                    kind="image",
                    url=f"https://media.glasnet-app.example/{external_id}/1.jpg",
                    mime_type="image/jpeg",
                    name=f"IMG_{self.rng.randrange(1000, 9999)}.jpg",
                ),
            )
            if has_photo
            else ()
        )
        raw = _payload(external_id, event, self.clock, persona, text, reply_to, thread, rating)
        raw["source"] = self._choice(phrases.SOURCES)
        raw["attachments"] = [a.as_json() for a in attachments]
        return InboundMessage(
            external_id=external_id,
            author=persona.author,
            text=text,
            platform_time=self.clock,
            kind=kind,
            visibility=visibility,
            reply_to_external_id=reply_to,
            thread_external_id=thread,
            rating=rating,
            attachments=attachments,
            raw=raw,
        )

    def _pick_author(self) -> int:
        # Skewed towards low indexes: a few customers write much more than most.
        return int(len(self.personas) * self.rng.random() ** 1.5)

    def _tweet_id(self, seq: int) -> str:
        return f"tw-{1_900_000_000_000_000_000 + seq * 4096 + self.rng.randrange(4096)}"

    def _choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def _letters(self, count: int) -> str:
        return "".join(chr(65 + self.rng.randrange(26)) for _ in range(count))

    def _fill(self, template: str) -> str:
        # Only the slots a template names are drawn: generating stays cheap next to ingesting.
        return template.format_map(_Slots(self))

    def _decorate(self, text: str, dutch: bool, *, public: bool) -> str:
        """Vary the length and add the emoji and hashtags people actually type."""
        rng = self.rng
        extras = rng.choices(phrases.EXTRA_COUNTS, phrases.EXTRA_WEIGHTS)[0]
        pool = phrases.EXTRA_NL if dutch else phrases.EXTRA_EN
        parts = [text, *rng.sample(pool, extras)]
        if rng.random() < 0.35:
            parts.append(self._choice(phrases.EMOJI) * rng.randrange(1, 4))
        if public and rng.random() < 0.3:
            parts.extend(self._choice(phrases.HASHTAGS) for _ in range(rng.randrange(1, 3)))
        return " ".join(parts)


class _Slots(dict[str, object]):
    """Template slots, each drawn from the corpus' random stream when a template names it."""

    def __init__(self, corpus: _Corpus) -> None:
        super().__init__()
        self.corpus = corpus

    def __missing__(self, key: str) -> object:
        value = self[key] = _SLOT_DRAWS[key](self.corpus)
        return value


_SLOT_DRAWS: dict[str, Callable[[_Corpus], object]] = {
    "brand": lambda c: BRAND_HANDLE,
    "city": lambda c: c._choice(phrases.CITIES),
    "duration": lambda c: c._choice(phrases.DURATIONS),
    "amount": lambda c: f"{c.rng.randrange(5, 80)},{c.rng.randrange(100):02d}",
    "when": lambda c: c._choice(phrases.WHEN_NL),
    "when_en": lambda c: c._choice(phrases.WHEN_EN),
    "country": lambda c: c._choice(phrases.COUNTRIES_NL),
    "country_en": lambda c: c._choice(phrases.COUNTRIES_EN),
    "modem": lambda c: c._choice(phrases.MODEMS),
    "agent": lambda c: c._choice(phrases.AGENTS),
    "code": lambda c: c.rng.randrange(100, 999),
    "time": lambda c: f"{c.rng.randrange(7, 23)}:{c.rng.randrange(60):02d}",
    "postcode": lambda c: f"{c.rng.randrange(1000, 9999)} {c._letters(2)}",
    "num": lambda c: c.rng.randrange(1, 250),
    "klantnr": lambda c: c.rng.randrange(10_000_000, 99_999_999),
    "minutes": lambda c: c.rng.randrange(10, 90),
    "month": lambda c: c._choice(phrases.MONTHS_NL),
    "month_en": lambda c: c._choice(phrases.MONTHS_EN),
    "speed": lambda c: c.rng.randrange(20, 300),
    "phone": lambda c: c.rng.randrange(10_000_000, 99_999_999),
}


def _personas(size: int, seed: int) -> list[_Persona]:
    """The author pool; its own random stream, so the pool does not shift the messages."""
    rng = random.Random(f"authors-{seed}")
    personas = []
    for index in range(size):
        first, last = rng.choice(phrases.FIRST), rng.choice(phrases.LAST)
        compact = "".join(ch for ch in f"{first}{last}".lower() if ch.isascii() and ch.isalnum())
        # The index keeps handles unique, as the platform does.
        handle = f"{compact}{index}" if rng.random() < 0.6 else f"{first.lower()}_{index}"
        author = Author(
            platform_user_id=str(40_000_000 + index * 7919),
            handle=handle,
            name=None if rng.random() < 0.1 else f"{first} {last}",
            follower_count=int(rng.lognormvariate(4.5, 1.5)),
            verified=rng.random() < 0.003,
        )
        personas.append(_Persona(author, dutch=rng.random() < 0.75))
    return personas


def _payload(
    external_id: str,
    event: str,
    at: datetime,
    persona: _Persona,
    text: str,
    reply_to: str | None,
    thread: str | None,
    rating: int | None,
) -> dict[str, Any]:
    """A webhook body like the ones the API channel receives (kept as ``messages.raw``)."""
    author = persona.author
    words = text.split()
    return {
        "id": external_id,
        "type": event,
        "created_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "lang": "nl" if persona.dutch else "en",
        "text": text,
        "user": {
            "id": author.platform_user_id,
            "screen_name": author.handle,
            "name": author.name,
            "followers_count": author.follower_count,
            "verified": author.verified,
        },
        "in_reply_to": reply_to,
        "conversation_id": thread,
        "rating": rating,
        "entities": {
            "hashtags": [w[1:] for w in words if w.startswith("#")],
            "mentions": [w[1:] for w in words if w.startswith("@")],
        },
    }
