"""Queries compiled once into plain functions, for the percolator's hot loop.

:func:`compile_query` turns an AST into a function ``PreparedDocument -> bool`` that answers
exactly what :func:`evaluate.evaluate` answers (the property test holds the percolator, and
so this module, to the reference evaluator), but faster:

- the tree is walked once, at compile time, not on every check;
- AND and OR test their cheap children first (set look-ups before wildcards, phrases and
  NEAR), and words of one form are tested together with one set operation;
- a phrase, NEAR or title query first checks that every part it needs occurs at all, and
  only then computes positions (with the reference evaluator's :func:`evaluate.spans`).

Reordering children is safe because evaluation has no side effects (token forms are cached
lazily, but that changes no answer).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

from webcare.listening.query.ast import (
    And,
    FieldMatch,
    FieldRange,
    Form,
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
from webcare.listening.query.evaluate import spans
from webcare.listening.query.text import Tokens

Check = Callable[[PreparedDocument], bool]
TokensCheck = Callable[[Tokens], bool]


def compile_query(node: Node) -> Check:
    """A function answering ``evaluate(node, doc)`` for any prepared ``doc``."""
    if isinstance(node, Word):
        value, form = node.value, node.form
        return lambda doc: value in doc.tokens.values(form)
    if isinstance(node, Wildcard):
        wildcard = _wildcard(node)
        return lambda doc: wildcard(doc.tokens)
    if isinstance(node, And):
        return _and(node.children)
    if isinstance(node, Or):
        return _or(node.children)
    if isinstance(node, Not):
        child = compile_query(node.child)
        return lambda doc: not child(doc)
    if isinstance(node, Phrase | Near):
        positional = _positional(node)
        return lambda doc: positional(doc.tokens)
    if isinstance(node, FieldMatch):
        key = (node.field, node.value)
        return lambda doc: doc.has_key(key)
    if isinstance(node, UrlPrefix):
        prefix = node.prefix
        return lambda doc: doc.url is not None and doc.url.startswith(prefix)
    if isinstance(node, FieldRange):
        return _range(node)
    if isinstance(node, TitleMatch):
        return _title(node)
    raise TypeError(f"cannot compile {type(node).__name__}")


def cost(node: Node) -> int:
    """A rough relative cost of checking ``node``: children are checked cheapest first."""
    if isinstance(node, Word | FieldMatch):
        return 1
    if isinstance(node, UrlPrefix | FieldRange):
        return 2
    if isinstance(node, Wildcard):
        return 6
    if isinstance(node, Not):
        return cost(node.child) + 1
    if isinstance(node, And | Or):
        return sum(cost(child) for child in node.children)
    if isinstance(node, Phrase):
        return 10 + sum(cost(word) for word in node.words)
    if isinstance(node, Near):
        return 20 + cost(node.left) + cost(node.right)
    return 30  # title: tokenises the title on first use


def _words_by_form(
    children: tuple[Node, ...],
) -> tuple[list[tuple[Form, frozenset[str]]], list[Node]]:
    """Split ``children`` into plain words (grouped by form) and the rest, cheapest first."""
    grouped: dict[Form, set[str]] = {}
    rest: list[Node] = []
    for child in children:
        if isinstance(child, Word):
            grouped.setdefault(child.form, set()).add(child.value)
        else:
            rest.append(child)
    rest.sort(key=cost)
    return [(form, frozenset(values)) for form, values in grouped.items()], rest


def _and(children: tuple[Node, ...]) -> Check:
    words, rest = _words_by_form(children)
    checks = [compile_query(child) for child in rest]
    if len(words) == 1 and not checks:
        form, required = words[0]
        return lambda doc: required <= doc.tokens.values(form)

    def check(doc: PreparedDocument) -> bool:
        tokens = doc.tokens
        for form, required in words:
            if not required <= tokens.values(form):
                return False
        return all(child(doc) for child in checks)

    return check


def _or(children: tuple[Node, ...]) -> Check:
    words, rest = _words_by_form(children)
    checks = [compile_query(child) for child in rest]
    if len(words) == 1 and not checks:
        form, wanted = words[0]
        return lambda doc: not wanted.isdisjoint(doc.tokens.values(form))

    def check(doc: PreparedDocument) -> bool:
        tokens = doc.tokens
        for form, wanted in words:
            if not wanted.isdisjoint(tokens.values(form)):
                return True
        return any(child(doc) for child in checks)

    return check


def _wildcard(node: Wildcard) -> TokensCheck:
    """Whether a token matches; remembered per text, as many queries share a wildcard."""
    prefix, fullmatch, form = node.prefix, node.regex.fullmatch, node.form
    key = ("wildcard", form, prefix, node.regex.pattern, node.regex.flags)

    def check(tokens: Tokens) -> bool:
        memo = tokens.memo
        found = memo.get(key)
        if found is None:
            found = False
            values = tokens.sorted_values(form)
            for i in range(bisect_left(values, prefix), len(values)):
                value = values[i]
                if not value.startswith(prefix):
                    break  # the values starting with ``prefix`` are one run in sorted order
                if fullmatch(value):
                    found = True
                    break
            memo[key] = found
        return found

    return check


def _present(node: Node) -> TokensCheck:
    """A necessary condition for ``spans(node, tokens)`` to be non-empty: every part occurs."""
    if isinstance(node, Word):
        value, form = node.value, node.form
        return lambda tokens: value in tokens.values(form)
    if isinstance(node, Wildcard):
        return _wildcard(node)
    if isinstance(node, Phrase):
        parts = [_present(word) for word in node.words]
        return lambda tokens: all(part(tokens) for part in parts)
    if isinstance(node, Or):
        options = [_present(child) for child in node.children]
        return lambda tokens: any(option(tokens) for option in options)
    if isinstance(node, Near):
        left, right = _present(node.left), _present(node.right)
        return lambda tokens: left(tokens) and right(tokens)
    raise TypeError(f"{type(node).__name__} has no position in the text")


def _positional(node: Phrase | Near) -> TokensCheck:
    """``bool(spans(node, tokens))``, skipping the positions when a part does not occur."""
    present = _present(node)
    return lambda tokens: present(tokens) and bool(spans(node, tokens))


def _range(node: FieldRange) -> Check:
    low, high, followers = node.low, node.high, node.field == "authorfollowers"

    def check(doc: PreparedDocument) -> bool:
        document = doc.document
        value = document.author_followers if followers else document.rating
        if value is None:
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    return check


def _title(node: TitleMatch) -> Check:
    query = node.query
    if isinstance(query, Word):
        value, form = query.value, query.form
        return lambda doc: value in doc.title.values(form)
    if isinstance(query, Wildcard):
        wildcard = _wildcard(query)
        return lambda doc: wildcard(doc.title)
    positional = _positional(query)
    return lambda doc: positional(doc.title)
