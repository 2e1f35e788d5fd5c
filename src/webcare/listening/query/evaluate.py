"""The reference evaluator: does one query match one prepared document?

Written for clarity rather than speed; the percolator calls it only for the few queries its
pre-filter cannot rule out, and the property test holds the percolator to its answers.

Positions: a word-like node (word, wildcard, phrase, OR of those, NEAR) matches at *spans*
``(first, last)`` token positions; NEAR compares the spans of its two sides. Two sides never
share a token (``a NEAR/3 a`` needs two ``a``), and ``NEAR/n`` allows at most ``n`` words
between them (``NEAR/0f`` is "adjacent, in this order").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import product
from typing import Any

from webcare.listening.query.ast import (
    And,
    FieldMatch,
    FieldRange,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    TitleMatch,
    UrlPrefix,
    Wildcard,
    Word,
)
from webcare.listening.query.document import PreparedDocument
from webcare.listening.query.text import Tokens

Span = tuple[int, int]


def evaluate(node: Node, doc: PreparedDocument) -> bool:
    """Whether ``node`` matches ``doc``."""
    return _EVALUATORS[type(node)](node, doc)


def _word(node: Word, doc: PreparedDocument) -> bool:
    return node.value in doc.tokens.values(node.form)


def _wildcard(node: Wildcard, doc: PreparedDocument) -> bool:
    return _wildcard_in(node, doc.tokens)


def _wildcard_in(node: Wildcard, tokens: Tokens) -> bool:
    prefix, fullmatch = node.prefix, node.regex.fullmatch
    return any(v.startswith(prefix) and fullmatch(v) for v in tokens.values(node.form))


def _and(node: And, doc: PreparedDocument) -> bool:
    return all(evaluate(child, doc) for child in node.children)


def _or(node: Or, doc: PreparedDocument) -> bool:
    return any(evaluate(child, doc) for child in node.children)


def _not(node: Not, doc: PreparedDocument) -> bool:
    return not evaluate(node.child, doc)


def _phrase(node: Phrase, doc: PreparedDocument) -> bool:
    return bool(spans(node, doc.tokens))


def _near(node: Near, doc: PreparedDocument) -> bool:
    return bool(spans(node, doc.tokens))


def _field(node: FieldMatch, doc: PreparedDocument) -> bool:
    return (node.field, node.value) in doc.field_keys


def _url(node: UrlPrefix, doc: PreparedDocument) -> bool:
    return doc.url is not None and doc.url.startswith(node.prefix)


def _range(node: FieldRange, doc: PreparedDocument) -> bool:
    document = doc.document
    value = document.author_followers if node.field == "authorfollowers" else document.rating
    if value is None:
        return False
    return (node.low is None or value >= node.low) and (node.high is None or value <= node.high)


def _title(node: TitleMatch, doc: PreparedDocument) -> bool:
    query = node.query
    if isinstance(query, Word):
        return query.value in doc.title.values(query.form)
    if isinstance(query, Wildcard):
        return _wildcard_in(query, doc.title)
    return bool(spans(query, doc.title))


_EVALUATORS: dict[type, Callable[[Any, PreparedDocument], bool]] = {
    Word: _word,
    Wildcard: _wildcard,
    And: _and,
    Or: _or,
    Not: _not,
    Phrase: _phrase,
    Near: _near,
    FieldMatch: _field,
    UrlPrefix: _url,
    FieldRange: _range,
    TitleMatch: _title,
}


def spans(node: Node, tokens: Tokens) -> list[Span]:
    """Where a word-like node matches in ``tokens``; other nodes have no position."""
    if isinstance(node, Word | Wildcard):
        return [(p, p) for p in _positions(node, tokens)]
    if isinstance(node, Phrase):
        return _phrase_spans(node, tokens)
    if isinstance(node, Or):
        return [span for child in node.children for span in spans(child, tokens)]
    if isinstance(node, Near):
        return _near_spans(node, tokens)
    raise TypeError(f"{type(node).__name__} has no position in the text")


def _positions(node: Word | Wildcard, tokens: Tokens) -> list[int]:
    index = tokens.positions(node.form)
    if isinstance(node, Word):
        return index.get(node.value, [])
    prefix, fullmatch = node.prefix, node.regex.fullmatch
    return sorted(
        p
        for value, ps in index.items()
        if value.startswith(prefix) and fullmatch(value)
        for p in ps
    )


def _phrase_spans(node: Phrase, tokens: Tokens) -> list[Span]:
    lists = [_positions(word, tokens) for word in node.words]
    if not all(lists):
        return []
    if node.slop is None:
        later = [set(ps) for ps in lists[1:]]
        last = len(node.words) - 1
        return [
            (s, s + last) for s in lists[0] if all(s + i + 1 in ps for i, ps in enumerate(later))
        ]
    return _proximity_spans(lists, node.slop)


def _proximity_spans(lists: Sequence[Sequence[int]], slop: int) -> list[Span]:
    """Spans where every word has its own position and at most ``slop`` other words fit."""
    width = slop + len(lists) - 1
    found: set[Span] = set()
    for combo in product(*lists):
        if len(set(combo)) == len(combo):
            low, high = min(combo), max(combo)
            if high - low <= width:
                found.add((low, high))
    return sorted(found)


def _near_spans(node: Near, tokens: Tokens) -> list[Span]:
    right = spans(node.right, tokens)
    if not right:
        return []
    found: set[Span] = set()
    for a in spans(node.left, tokens):
        for b in right:
            if _near_ok(a, b, node.distance, node.ordered):
                found.add((min(a[0], b[0]), max(a[1], b[1])))
    return sorted(found)


def _near_ok(a: Span, b: Span, distance: int, ordered: bool) -> bool:
    if a[1] < b[0]:
        return b[0] - a[1] - 1 <= distance
    if not ordered and b[1] < a[0]:
        return a[0] - b[1] - 1 <= distance
    return False


def matching(nodes: Iterable[tuple[int, Node]], doc: PreparedDocument) -> set[int]:
    """The ids of the queries that match: the straightforward way, every query in turn."""
    return {query_id for query_id, node in nodes if evaluate(node, doc)}
