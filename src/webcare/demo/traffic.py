"""Live demo traffic: customers who keep writing to Glasnet while ``webcare demo`` runs.

``demo/data/traffic.json`` lists customer threads per platform. A :class:`TrafficStreamer`
hands out one turn at a time: first a follow-up whose thread Glasnet has answered meanwhile
(so a customer replies *after* the agent), then the next new thread; when every thread has
been played it starts again from the top with fresh message ids, so the demo never runs dry.

How a turn reaches webcare is the :class:`TrafficChannel`'s job (the simulator delivers it as
a signed platform webhook, see ``simulator/traffic.py``); this module only decides *what* comes
next and *when*, and never lets a failed delivery stop the stream or the server: it is logged,
the thread is dropped (or, when webcare is unreachable, the turn is kept for the next tick),
and the stream goes on.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import deque
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

log = logging.getLogger(__name__)

PLATFORM_KINDS: dict[str, frozenset[str]] = {
    "x": frozenset({"mention", "dm"}),
    "facebook": frozenset({"comment", "message"}),
    "instagram": frozenset({"comment", "dm"}),
    "whatsapp": frozenset({"message"}),
    "google_reviews": frozenset({"review"}),
    "email": frozenset({"email"}),
}
DEFAULT_INTERVAL_SECONDS = 8.0
DEFAULT_JITTER = 0.35


@dataclass(frozen=True)
class Customer:
    """The person behind a thread; ``id`` is their id on the platform (a phone for WhatsApp)."""

    id: str
    name: str
    handle: str | None = None
    followers: int = 0


@dataclass(frozen=True)
class Turn:
    text: str
    #: Wait until Glasnet has answered in this thread before this turn comes.
    after_reply: bool = False
    #: A review's rating (1-5); a later turn of a review is the reviewer editing it.
    stars: int | None = None


@dataclass(frozen=True)
class Post:
    """Our own post or media that a comment thread sits under."""

    platform: str
    id: str
    text: str


@dataclass(frozen=True)
class Thread:
    key: str
    platform: str
    kind: str
    customer: Customer
    turns: tuple[Turn, ...]
    post: Post | None = None
    #: An e-mail thread's subject (its customer's ``handle`` is their address).
    subject: str | None = None


@dataclass(frozen=True)
class TrafficItem:
    """One turn of one playing of a thread (``round`` counts how often the script restarted)."""

    thread: Thread
    index: int
    round: int = 0

    @property
    def turn(self) -> Turn:
        return self.thread.turns[self.index]

    @property
    def thread_id(self) -> str:
        """Names this playing of the thread, so a second round is a new thread on the platform."""
        return f"{self.thread.key}#{self.round}"

    @property
    def is_first(self) -> bool:
        return self.index == 0


class TryLater(Exception):
    """Raised by a channel when webcare cannot be reached: the turn is kept for the next tick
    (webcare may still be starting, or restarting), unlike a refusal, which drops the thread."""


class TrafficChannel(Protocol):
    """Delivers turns and tells whether Glasnet has answered a thread."""

    def deliver(self, item: TrafficItem) -> None:
        """Make the turn reach webcare; raise :class:`TryLater` if it is unreachable, any
        other exception when it refused the turn."""

    def answered(self, item: TrafficItem) -> bool:
        """Whether Glasnet replied in ``item``'s thread since the customer's last turn."""

    def housekeeping(self) -> None:
        """Anything the platforms do by themselves between turns (e.g. read receipts)."""


def load_traffic(data: dict[str, Any] | None = None) -> list[Thread]:
    """The threads of ``traffic.json`` (or of ``data``), checked so a typo fails on start."""
    if data is None:
        text = resources.files("webcare.demo").joinpath("data/traffic.json").read_text("utf-8")
        data = json.loads(text)
    posts = {
        key: Post(platform=str(p["platform"]), id=str(p["id"]), text=str(p["text"]))
        for key, p in data.get("posts", {}).items()
    }
    threads = [_thread(spec, posts) for spec in data["threads"]]
    keys = [t.key for t in threads]
    if len(set(keys)) != len(keys):
        raise ValueError("traffic.json: thread keys must be unique")
    return threads


def _thread(spec: dict[str, Any], posts: dict[str, Post]) -> Thread:
    key, platform, kind = str(spec["key"]), str(spec["platform"]), str(spec["kind"])
    if kind not in PLATFORM_KINDS.get(platform, frozenset()):
        raise ValueError(f"traffic.json: {key}: {platform} has no {kind!r} traffic")
    customer = spec["customer"]
    turns = tuple(
        Turn(
            text=str(t["text"]),
            after_reply=bool(t.get("after_reply", False)),
            stars=int(t["stars"]) if "stars" in t else None,
        )
        for t in spec["turns"]
    )
    if not turns:
        raise ValueError(f"traffic.json: {key} has no turns")
    if platform == "google_reviews" and any(t.stars is None for t in turns):
        raise ValueError(f"traffic.json: {key}: every review turn needs stars")
    if platform == "email" and "@" not in str(customer.get("handle") or ""):
        raise ValueError(f"traffic.json: {key}: an e-mail customer needs an address as handle")
    post = posts[spec["post"]] if spec.get("post") else None
    if kind == "comment" and (post is None or post.platform != platform):
        raise ValueError(f"traffic.json: {key}: a comment needs a {platform} post")
    return Thread(
        key=key,
        platform=platform,
        kind=kind,
        customer=Customer(
            id=str(customer.get("id") or key),
            name=str(customer["name"]),
            handle=customer.get("handle"),
            followers=int(customer.get("followers", 0)),
        ),
        turns=turns,
        post=post,
        subject=str(spec["subject"]) if spec.get("subject") else None,
    )


class TrafficStreamer:
    """Plays the threads through ``channel``: :meth:`deliver_next` by hand, or every
    ``interval`` seconds (± ``jitter`` of it) in a background thread after :meth:`start`."""

    def __init__(
        self,
        threads: list[Thread],
        channel: TrafficChannel,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        jitter: float = DEFAULT_JITTER,
        rng: random.Random | None = None,
    ) -> None:
        if not threads:
            raise ValueError("no demo traffic to stream")
        self._threads = threads
        self._channel = channel
        self._interval = interval
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._next_new = 0
        self._round = 0
        #: The next turn of every thread that has more to say, oldest thread first.
        self._waiting: deque[TrafficItem] = deque()
        #: A turn webcare could not be reached for; it goes first next time.
        self._retry: TrafficItem | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.failed = 0

    def next_item(self) -> TrafficItem:
        """Take the next turn: an answered thread's follow-up, else a new thread's opening."""
        with self._lock:
            if self._retry is not None:
                item, self._retry = self._retry, None
                return item
            for item in list(self._waiting):
                if not item.turn.after_reply or self._channel.answered(item):
                    self._waiting.remove(item)
                    return item
            thread = self._threads[self._next_new]
            item = TrafficItem(thread, 0, self._round)
            self._next_new += 1
            if self._next_new == len(self._threads):
                self._next_new, self._round = 0, self._round + 1
            return item

    def deliver_next(self) -> TrafficItem | None:
        """Deliver one turn; returns it, or None when the delivery failed (logged, not raised)."""
        item = self.next_item()
        try:
            self._channel.deliver(item)
        except TryLater as exc:
            self.failed += 1
            with self._lock:
                self._retry = item
            log.warning(
                "demo traffic: webcare unreachable (%s); %s turn %d waits for the next tick",
                _describe(exc),
                item.thread_id,
                item.index,
            )
            return None
        except Exception as exc:  # the demo goes on whatever one delivery does
            self.failed += 1
            log.warning(
                "demo traffic: delivering %s turn %d on %s failed (%s); dropping that thread",
                item.thread_id,
                item.index,
                item.thread.platform,
                _describe(exc),
            )
            return None
        self.delivered += 1
        if item.index + 1 < len(item.thread.turns):
            with self._lock:
                self._waiting.append(TrafficItem(item.thread, item.index + 1, item.round))
        return item

    def tick(self) -> None:
        """One beat of the stream: the platforms' own chores, then the next turn."""
        try:
            self._channel.housekeeping()
        except Exception as exc:  # same rule: log, carry on
            log.warning("demo traffic: platform housekeeping failed (%s)", _describe(exc))
        self.deliver_next()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="demo-traffic", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._pause()):
            try:
                self.tick()
            except Exception:  # a bug here must not end the demo's stream either
                log.exception("demo traffic: a tick failed; going on")

    def _pause(self) -> float:
        spread = self._interval * self._jitter
        return max(0.5, self._interval + self._rng.uniform(-spread, spread))


def _describe(exc: Exception) -> str:
    """A short reason for the log; never the URL (its token names the account)."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__
