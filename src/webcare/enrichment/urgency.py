"""Escalation risk: a 0-100 score and the plain reasons behind it (pure).

A webcare lead wants the message that may blow up handled first: an angry complaint from an
author many people follow, in a thread that is heating up, with words that mean churn or
legal trouble. The score adds up weighted signals and caps at 100; the reasons name each
signal that contributed, largest first, so an agent can see *why* and disagree. The weights
are deliberately simple and documented here rather than learned: there is no labelled
escalation data to learn them from, and a team must be able to predict the ordering.

Weights (points):
* sentiment: negative up to 30 (scaled by the model's confidence), positive -10;
* intent: complaint 15, request for action 12, question 5;
* reach: up to 25, logarithmic in followers (1k followers ~ 10, 100k ~ 21, 1M+ 25), +5 verified;
* velocity: the author's and others' messages in the conversation in the last 10 minutes,
  3 points each beyond the first, at most 15;
* workspace keywords: each matched keyword's own weight (default 15), at most 30 together;
* personal data in a public message: 10 (it must move to private now).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_KEYWORD_WEIGHT = 15
#: Dutch and English words that usually mean churn, legal steps or going public.
DEFAULT_KEYWORDS: tuple[tuple[str, int], ...] = (
    ("opzeggen", 15),
    ("opzegging", 15),
    ("overstappen", 12),
    ("advocaat", 15),
    ("rechtszaak", 15),
    ("consumentenbond", 12),
    ("ombudsman", 12),
    ("geschillencommissie", 12),
    ("cancel", 12),
    ("lawyer", 15),
    ("sue", 12),
    ("refund", 8),
    ("terugbetaling", 8),
)


@dataclass(frozen=True)
class UrgencySignals:
    """What urgency is computed from; everything optional, so partial data still scores."""

    text: str = ""
    sentiment: str | None = None
    #: 0 .. 1: how surely the message is negative (P(negative) - P(positive), floored at 0).
    negativity: float = 0.0
    intent: str | None = None
    follower_count: int | None = None
    verified: bool = False
    messages_last_10_minutes: int = 0
    public: bool = True
    has_personal_data: bool = False
    keywords: Sequence[tuple[str, int]] = DEFAULT_KEYWORDS


@dataclass(frozen=True)
class Urgency:
    score: int
    #: ``{"kind": ..., "points": ..., **details}``, largest contribution first; a UI turns
    #: them into sentences in the agent's language (see :func:`explain`).
    reasons: tuple[dict[str, Any], ...]


def urgency(signals: UrgencySignals) -> Urgency:
    reasons: list[dict[str, Any]] = []
    if signals.sentiment == "negative":
        points = round(10 + 20 * _clamp(signals.negativity))
        reasons.append({"kind": "negative", "points": points})
    elif signals.sentiment == "positive":
        reasons.append({"kind": "positive", "points": -10})
    intent_points = {"complaint": 15, "request": 12, "question": 5}.get(signals.intent or "", 0)
    if intent_points:
        reasons.append({"kind": "intent", "intent": signals.intent, "points": intent_points})
    followers = signals.follower_count or 0
    if followers >= 100:
        points = min(25, round(3.5 * math.log10(followers) - 0.5))
        reasons.append({"kind": "reach", "followers": followers, "points": points})
    if signals.verified:
        reasons.append({"kind": "verified", "points": 5})
    if signals.messages_last_10_minutes > 1:
        points = min(15, 3 * (signals.messages_last_10_minutes - 1))
        reasons.append(
            {"kind": "velocity", "messages": signals.messages_last_10_minutes, "points": points}
        )
    matched = matched_keywords(signals.text, signals.keywords)
    if matched:
        points = min(30, sum(weight for _, weight in matched))
        reasons.append({"kind": "keywords", "words": [w for w, _ in matched], "points": points})
    if signals.has_personal_data and signals.public:
        reasons.append({"kind": "personal_data", "points": 10})
    score = max(0, min(100, sum(int(r["points"]) for r in reasons)))
    ordered = sorted((r for r in reasons if r["points"] > 0), key=lambda r: -int(r["points"]))
    return Urgency(score, tuple(ordered))


def matched_keywords(text: str, keywords: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Keywords present as words, case- and accent-insensitive, each counted once.

    Keywords of six letters or more also match as a word's start ("opzeggen" in
    "opzeggingstermijn" would not, but "overstappen" matches "overstappend"); shorter ones
    only as whole words, so "sue" never matches "suede".
    """
    folded = _fold(text)
    found: list[tuple[str, int]] = []
    for word, weight in keywords:
        key = _fold(word).strip()
        end = "" if len(key) >= 6 else r"(?!\w)"
        if key and re.search(rf"(?<!\w){re.escape(key)}{end}", folded):
            found.append((word, weight))
    return found


def explain(reasons: Sequence[dict[str, Any]]) -> str:
    """The reasons as one English line, e.g. for the API, logs and alerts."""
    parts: list[str] = []
    for r in reasons:
        kind = r.get("kind")
        if kind == "negative":
            parts.append("negative sentiment")
        elif kind == "intent":
            parts.append(str(r.get("intent")))
        elif kind == "reach":
            parts.append(f"an author with {compact_number(int(r.get('followers', 0)))} followers")
        elif kind == "verified":
            parts.append("a verified account")
        elif kind == "velocity":
            parts.append(f"{r.get('messages')} messages in 10 minutes")
        elif kind == "keywords":
            words = ", ".join(f"'{w}'" for w in r.get("words", []))
            parts.append(f"mentions {words}")
        elif kind == "personal_data":
            parts.append("personal data in public")
    return ", ".join(parts)


def compact_number(value: int) -> str:
    """48000 -> "48k", 1200000 -> "1.2M": how follower counts are read aloud."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if value >= 1_000:
        return f"{value / 1_000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(value)


def parse_keywords(lines: str) -> list[tuple[str, int]]:
    """An admin's keyword list, one per line, optionally ``word = weight`` (1-50)."""
    keywords: list[tuple[str, int]] = []
    for raw in lines.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, weight_text = line.partition("=")
        word = word.strip()
        weight = DEFAULT_KEYWORD_WEIGHT
        if weight_text.strip():
            try:
                weight = int(weight_text.strip())
            except ValueError:
                raise ValueError(f"the weight of {word!r} must be a whole number") from None
            if not 1 <= weight <= 50:
                raise ValueError(f"the weight of {word!r} must be between 1 and 50")
        if len(word) > 60:
            raise ValueError("a keyword must be at most 60 characters")
        if word:
            keywords.append((word, weight))
    return keywords


def _clamp(value: float) -> float:
    return 0.0 if math.isnan(value) else max(0.0, min(1.0, value))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
