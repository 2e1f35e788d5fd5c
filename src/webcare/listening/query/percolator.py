"""Match each message against all saved queries at once, with an anchor pre-filter.

Every query is reduced to a set of *anchors*: literal keys such that any document the query
matches contains at least one of them. Anchors are words (in the :class:`Form` the query
compares them in), wildcard stems (their first :data:`PREFIX_LENGTH` letters at most) and
``(field, value)`` pairs. The rules, which keep the invariant by construction:

- a word, a wildcard, an equality field: itself;
- a phrase or NEAR: every part is required, so the anchors of its most selective part;
- AND: likewise, the most selective child that has anchors (a NOT child never has any);
- OR: the union of its children's, but only if every child has anchors;
- NOT, ranges, ``url:`` and ``title:``: none.

A query without anchors (``NOT x``, ``rating:[1 TO 2]``) is evaluated for every document.
For a document, the candidates are the queries indexed under its tokens, the stems of its
tokens and its field keys: set intersections of the index's keys with the document's keys,
done in C, so the work per message grows with the document and the number of candidates,
not with the number of queries. Only candidates go through the reference evaluator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from webcare.listening.query.ast import (
    And,
    FieldMatch,
    Form,
    Near,
    Node,
    Or,
    Phrase,
    Wildcard,
    Word,
)
from webcare.listening.query.document import Document, PreparedDocument, prepare
from webcare.listening.query.evaluate import evaluate

#: Wildcards are indexed by at most this many letters of their stem (the parser guarantees
#: at least two), so a document needs at most this many look-ups per token and form.
PREFIX_LENGTH = 3


@dataclass(frozen=True, slots=True)
class Anchor:
    """One key of the pre-filter: a word, a wildcard stem, or a field's value."""

    kind: str  # "word" | "stem" | "field"
    form: Form
    value: str
    field: str = ""


def anchors(node: Node) -> frozenset[Anchor] | None:
    """Keys of which every matching document has at least one; None when there are none."""
    if isinstance(node, Word):
        return frozenset({Anchor("word", node.form, node.value)})
    if isinstance(node, Wildcard):
        return frozenset({Anchor("stem", node.form, node.prefix[:PREFIX_LENGTH])})
    if isinstance(node, FieldMatch):
        return frozenset({Anchor("field", Form.FOLD, node.value, node.field)})
    if isinstance(node, Phrase):
        return _best(anchors(word) for word in node.words)
    if isinstance(node, Near):
        return _best((anchors(node.left), anchors(node.right)))
    if isinstance(node, And):
        return _best(anchors(child) for child in node.children)
    if isinstance(node, Or):
        found = [anchors(child) for child in node.children]
        if any(a is None for a in found):
            return None
        return frozenset().union(*(a for a in found if a is not None))
    return None


#: How unselective one key of each kind is: a field value (``language:nl``) is shared by a
#: large share of all messages, a wildcard stem by many words, a word by few.
_WEIGHT = {"word": 1, "stem": 4, "field": 50}


def _best(options: Iterable[frozenset[Anchor] | None]) -> frozenset[Anchor] | None:
    """The most selective option: lowest weighted key count, then the longest values."""
    usable = [a for a in options if a]
    if not usable:
        return None
    return min(usable, key=_cost)


def _cost(keys: frozenset[Anchor]) -> tuple[int, int]:
    return sum(_WEIGHT[a.kind] for a in keys), -min(len(a.value) for a in keys)


class Percolator:
    """All saved queries, compiled and indexed; kept current with :meth:`add` and :meth:`remove`.

    Query ids are global (queries of all workspaces share one percolator); the caller maps
    matched ids back to workspaces. Not thread-safe: one percolator per worker process.
    """

    def __init__(self) -> None:
        self._nodes: dict[int, Node] = {}
        self._anchors: dict[int, frozenset[Anchor] | None] = {}
        self._words: list[dict[str, set[int]]] = [{} for _ in Form]
        self._stems: list[list[dict[str, set[int]]]] = [
            [{} for _ in range(PREFIX_LENGTH + 1)] for _ in Form
        ]
        self._fields: dict[tuple[str, str], set[int]] = {}
        self._always: set[int] = set()

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, query_id: object) -> bool:
        return query_id in self._nodes

    def add(self, query_id: int, node: Node) -> None:
        """Add a query, or replace the query with this id (an edited saved query)."""
        if query_id in self._nodes:
            self.remove(query_id)
        keys = anchors(node)
        self._nodes[query_id] = node
        self._anchors[query_id] = keys
        if keys is None:
            self._always.add(query_id)
            return
        for key in keys:
            self._bucket(key).add(query_id)

    update = add

    def remove(self, query_id: int) -> None:
        """Forget a query; unknown ids are ignored (a delete may be delivered twice)."""
        if self._nodes.pop(query_id, None) is None:
            return
        keys = self._anchors.pop(query_id)
        if keys is None:
            self._always.discard(query_id)
            return
        for key in keys:
            bucket = self._bucket(key)
            bucket.discard(query_id)
            if not bucket:
                self._drop(key)

    def match(self, document: Document | PreparedDocument) -> set[int]:
        """The ids of all queries that match ``document``."""
        doc = document if isinstance(document, PreparedDocument) else prepare(document)
        nodes = self._nodes
        return {q for q in self.candidates(doc) if evaluate(nodes[q], doc)}

    def candidates(self, doc: PreparedDocument) -> set[int]:
        """The queries the pre-filter cannot rule out for ``doc`` (a superset of the matches)."""
        found = set(self._always)
        for bucket in self._buckets(doc):
            found |= bucket
        return found

    def _buckets(self, doc: PreparedDocument) -> Iterator[set[int]]:
        tokens = doc.tokens
        for form in Form:
            words, stems = self._words[form], self._stems[form]
            if not words and not any(stems):
                continue
            values = tokens.values(form)
            for value in words.keys() & values:
                yield words[value]
            for length in range(1, PREFIX_LENGTH + 1):
                by_stem = stems[length]
                if by_stem:
                    for stem in by_stem.keys() & {v[:length] for v in values}:
                        yield by_stem[stem]
        fields = self._fields
        if fields:
            for key in fields.keys() & doc.field_keys:
                yield fields[key]

    def _bucket(self, key: Anchor) -> set[int]:
        if key.kind == "word":
            return self._words[key.form].setdefault(key.value, set())
        if key.kind == "stem":
            return self._stems[key.form][len(key.value)].setdefault(key.value, set())
        return self._fields.setdefault((key.field, key.value), set())

    def _drop(self, key: Anchor) -> None:
        if key.kind == "word":
            del self._words[key.form][key.value]
        elif key.kind == "stem":
            del self._stems[key.form][len(key.value)][key.value]
        else:
            del self._fields[(key.field, key.value)]
