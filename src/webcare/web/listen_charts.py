"""The Listen pages' charts as plain numbers: bar geometry, word sizes, sentiment shares.

Charts are drawn by the server as inline SVG or CSS widths (no charting script), so they
work without JavaScript and in every browser; the templates also print the numbers in a
table, which is what a screen reader reads. Everything here is pure arithmetic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

#: The SVG's own coordinate system; CSS scales it to the column's width.
WIDTH = 720
HEIGHT = 200
PLOT_TOP = 12
PLOT_BOTTOM = 24  # room for the first and last bucket's label
PLOT_LEFT = 36  # room for the axis numbers
SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Bar:
    at: datetime
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PLOT_LEFT
    top: int = PLOT_TOP
    bottom: float = HEIGHT - PLOT_BOTTOM


def bar_chart(points: Sequence[tuple[datetime, int]]) -> BarChart:
    """One bar per bucket, scaled to the highest count (an empty chart stays flat)."""
    peak = max((n for _at, n in points), default=0)
    plot_height = HEIGHT - PLOT_TOP - PLOT_BOTTOM
    slot = (WIDTH - PLOT_LEFT) / max(len(points), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    for i, (at, count) in enumerate(points):
        height = plot_height * count / peak if peak else 0.0
        bars.append(
            Bar(
                at=at,
                count=count,
                x=round(PLOT_LEFT + i * slot + gap / 2, 2),
                y=round(PLOT_TOP + plot_height - height, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(height, 2),
            )
        )
    return BarChart(bars=tuple(bars), peak=peak, total=sum(n for _at, n in points))


@dataclass(frozen=True)
class CloudWord:
    word: str
    count: int
    #: Font size in ``em``, 0.8 for the rarest to 2.4 for the most used word.
    size: float


def word_cloud(counts: Iterable[tuple[str, int]]) -> list[CloudWord]:
    """Words sized by the square root of their count, in alphabetical order."""
    pairs = [(w, n) for w, n in counts if n > 0]
    if not pairs:
        return []
    low = math.sqrt(min(n for _w, n in pairs))
    high = math.sqrt(max(n for _w, n in pairs))
    spread = high - low
    return [
        CloudWord(
            word=w,
            count=n,
            size=round(0.8 + 1.6 * ((math.sqrt(n) - low) / spread if spread else 0.5), 2),
        )
        for w, n in sorted(pairs)
    ]


@dataclass(frozen=True)
class SentimentSplit:
    analysed: int
    #: (sentiment, count, percent of the analysed) for positive, neutral, negative.
    parts: tuple[tuple[str, int, float], ...]


def sentiment_split(sentiments: Iterable[str]) -> SentimentSplit:
    """How many of the analysed hits were positive, neutral or negative."""
    counter = Counter(s for s in sentiments if s in SENTIMENTS)
    analysed = sum(counter.values())
    return SentimentSplit(
        analysed=analysed,
        parts=tuple(
            (s, counter[s], round(100 * counter[s] / analysed, 1) if analysed else 0.0)
            for s in SENTIMENTS
        ),
    )


def percent(share: float) -> float:
    """A share (0..1) as a percentage with one decimal, for bar widths and tables."""
    return round(100 * share, 1)
