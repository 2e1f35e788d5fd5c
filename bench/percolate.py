"""How fast the percolator matches messages against many saved queries, and how it scales.

Messages come from :mod:`bench.corpus` (Glasnet's webcare traffic). Queries are generated in
the shapes users write (QUERY_LANGUAGE.md): a brand with its handle and product names, OR
lists of synonyms and wildcards, NOT lists, NEAR, and field filters. The platform is
multi-tenant, so the queries name many brands: ten concern Glasnet, the corpus' brand,
the rest the brands of other workspaces (whose words mostly do not occur in this corpus, as
in real traffic, where one message concerns few of the platform's brands).

Two matchers are timed on the same messages, both including tokenisation:

- **percolator**: :meth:`Percolator.match` (anchor pre-filter, then the evaluator);
- **naive**: tokenise the message once, then evaluate every query on it.

The naive matcher is timed on a sample (:data:`NAIVE_SAMPLE`), since at 10,000 queries it
would need tens of minutes for the full corpus; its rate per message does not depend on
which messages are sampled beyond their length, and the sample is the corpus' first ones.
The last line printed is the JSON summary that ``bench/run_all.py`` collects.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import iter_messages
from webcare.channel.ports import InboundMessage
from webcare.listening.query import Document, Percolator, parse, prepare
from webcare.listening.query.ast import Node
from webcare.listening.query.evaluate import evaluate

FULL_MESSAGES = 100_000
QUICK_MESSAGES = 3_000
QUERY_COUNTS = (100, 1_000, 10_000)
NAIVE_SAMPLE = {100: 5_000, 1_000: 2_000, 10_000: 300}
QUICK_NAIVE_SAMPLE = {100: 1_000, 1_000: 500, 10_000: 100}
GOALS = {1_000: 20_000, 10_000: 10_000}
GOAL_RATIO_AT_10000 = 10.0
SEED = 20261124
#: Glasnet's workspace has this many saved queries; the other queries belong to other tenants.
GLASNET_QUERIES = 10

_SYLLABLES = (
    "ka", "ve", "lo", "ra", "zi", "mo", "to", "bri", "xa", "nu", "pe", "sto", "fle", "qu", "dor",
    "vin", "ga", "lux", "ter", "mi", "zo", "pra", "kel", "tri", "wa", "jo", "ne", "sa", "ul", "ber",
)  # fmt: skip
_PRODUCTS = ("app", "box", "pakket", "abonnement", "modem", "pas", "card", "plus", "go", "tv")
_TOPICS = (
    "storing", "vertraging", "factuur", "opzeggen", "klantenservice", "kapot", "traag",
    "terugbetaling", "bezorging", "wachttijd", "klacht", "outage", "refund", "cancel",
    "monteur", "verhuizen", "wifi", "internet", "roaming", "abonnement", "bundel",
)  # fmt: skip
_TOPIC_WILDCARDS = ("stor*", "vertrag*", "factu*", "opzeg*", "klach*", "bezorg*", "refund*")
_SPAM = ("vacature", "winactie", "giveaway", "sponsored", "korting", "aandelen", "koers")
_LANGUAGES = ("language:nl", "language:en")


def brand_names(count: int, rng: random.Random) -> list[str]:
    """Distinct made-up brand names (two or three syllables), plus Glasnet first."""
    names = {"glasnet"}
    while len(names) < count:
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))))
    return ["glasnet", *sorted(names - {"glasnet"})]


def generate_queries(count: int, seed: int = SEED) -> list[str]:
    """``count`` queries of realistic shape; the first :data:`GLASNET_QUERIES` name Glasnet."""
    rng = random.Random(seed)
    brands = brand_names(max(50, count // 5), rng)
    shapes = (_brand_and_topic, _brand_near_topic, _proximity, _case_and_followers, _rating)
    out = []
    for i in range(count):
        brand = "glasnet" if i < GLASNET_QUERIES else rng.choice(brands[1:])
        out.append(rng.choice(shapes)(brand, rng))
    return out


def _brand_group(brand: str, rng: random.Random) -> str:
    product = rng.choice(_PRODUCTS)
    return f'({brand} OR @{brand}helpt OR "{brand} {product}")'


def _topics(rng: random.Random, size: int) -> str:
    words = rng.sample(_TOPICS, size) + rng.sample(_TOPIC_WILDCARDS, 1)
    quoted = ['"' + w + '"' if rng.random() < 0.1 else w for w in words]
    return "(" + " OR ".join(quoted) + ")"


def _brand_and_topic(brand: str, rng: random.Random) -> str:
    spam = " OR ".join(rng.sample(_SPAM, rng.randint(2, 5)))
    return f"{_brand_group(brand, rng)} AND {_topics(rng, 3)} NOT ({spam}) NOT site:{brand}.nl"


def _brand_near_topic(brand: str, rng: random.Random) -> str:
    near = rng.choice(("NEAR/5", "NEAR/3f", "NEAR/8"))
    return f"({brand} OR @{brand}helpt) {near} {_topics(rng, 2)} {rng.choice(_LANGUAGES)}"


def _proximity(brand: str, rng: random.Random) -> str:
    return f'"{brand}"~3 "{rng.choice(_TOPICS)}" NOT author:{brand}webcare'


def _case_and_followers(brand: str, rng: random.Random) -> str:
    topic = rng.choice(_TOPICS)
    return f'{{{brand.upper()}}} AND ({topic} OR "klantenservice") authorFollowers:[1000 TO *]'


def _rating(brand: str, rng: random.Random) -> str:
    return f"{brand} AND rating:[1 TO 2] NOT {rng.choice(_SPAM)}"


def to_document(message: InboundMessage, index: int) -> Document:
    """A corpus message as listening sees it (language and channel are assigned round-robin)."""
    author = message.author
    return Document(
        text=message.text,
        author=author.handle or author.name,
        site="twitter.com" if message.kind.value != "review" else "google.com",
        language="nl" if index % 5 else "en",
        country="nld",
        author_followers=author.follower_count,
        author_verified=author.verified,
        engagement_type="REPLY" if message.reply_to_external_id else None,
        rating=message.rating,
        channel_id=str(index % 7),
    )


def rate(documents: Sequence[Document], match: Callable[[Document], object]) -> float:
    """Messages per second of ``match`` over ``documents`` (one pass, wall clock)."""
    start = time.perf_counter()
    for document in documents:
        match(document)
    return len(documents) / (time.perf_counter() - start)


def naive_matcher(nodes: list[tuple[int, Node]]) -> Callable[[Document], set[int]]:
    """Tokenise once, then evaluate every query: the straightforward way."""

    def match(document: Document) -> set[int]:
        doc = prepare(document)
        return {query_id for query_id, node in nodes if evaluate(node, doc)}

    return match


def run(message_count: int, naive_sample: dict[int, int]) -> dict[str, object]:
    documents = [to_document(m, i) for i, m in enumerate(iter_messages(message_count))]
    summary: dict[str, object] = {"bench": "percolate", "messages": message_count}
    for count in QUERY_COUNTS:
        nodes = [(i, parse(q).node) for i, q in enumerate(generate_queries(count))]
        percolator = Percolator()
        for query_id, node in nodes:
            percolator.add(query_id, node)
        naive = naive_matcher(nodes)
        sample = documents[: naive_sample[count]]
        assert all(percolator.match(d) == naive(d) for d in sample[:200]), "matchers disagree"
        per_s = rate(documents, percolator.match)
        naive_per_s = rate(sample, naive)
        hits = sum(len(percolator.match(d)) for d in documents[:2000]) / min(2000, len(documents))
        summary[f"queries_{count}"] = {
            "per_s": round(per_s),
            "naive_per_s": round(naive_per_s),
            "ratio": round(per_s / naive_per_s, 1),
        }
        print(
            f"{count:>6} queries: percolator {per_s:>9,.0f} msg/s, naive {naive_per_s:>8,.0f} "
            f"msg/s ({len(sample)} msgs), ratio {per_s / naive_per_s:6.1f}x, "
            f"{hits:.2f} matches/msg"
        )
    _report(summary)
    return summary


def _report(summary: dict[str, object]) -> None:
    rates = {c: summary[f"queries_{c}"]["per_s"] for c in QUERY_COUNTS}  # type: ignore[index]
    base = rates[QUERY_COUNTS[0]]
    for count in QUERY_COUNTS[1:]:
        print(
            f"throughput at {count} queries: {rates[count] / base:.0%} of that at {QUERY_COUNTS[0]}"
        )
    for count, goal in GOALS.items():
        verdict = "ok" if rates[count] >= goal else "BELOW GOAL"
        print(f"goal {goal:,} msg/s at {count:,} queries: {verdict}")
    ratio = summary["queries_10000"]["ratio"]  # type: ignore[index]
    verdict = "ok" if ratio >= GOAL_RATIO_AT_10000 else "BELOW GOAL"
    print(f"goal {GOAL_RATIO_AT_10000}x naive at 10,000: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    args = parser.parse_args()
    if args.quick:
        summary = run(QUICK_MESSAGES, QUICK_NAIVE_SAMPLE)
    else:
        summary = run(FULL_MESSAGES, NAIVE_SAMPLE)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
