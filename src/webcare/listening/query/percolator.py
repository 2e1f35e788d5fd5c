"""Match each message against all saved queries at once, with an anchor pre-filter.

Every query is reduced to a set of *anchors*: literal keys such that any document the query
matches contains at least one of them. Anchors are words (in the :class:`Form` the query
compares them in), wildcard stems (their first :data:`PREFIX_LENGTH` letters at most) and
``(field, value)`` pairs. The rules, which keep the invariant by construction:

- a word, a wildcard, an equality field: itself;
- a phrase or NEAR: every part is required, so the anchors of any one part;
- AND: likewise, the anchors of any one child that has some (a NOT child never has any);
- OR: the union of one anchor set of each child, but only if every child has anchors;
- NOT, ranges, ``url:`` and ``title:``: none.

A query without anchors (``NOT x``, ``rating:[1 TO 2]``) is evaluated for every document.
For a document, the candidates are the queries indexed under its tokens, the stems of its
tokens and its field keys: set intersections of the index's keys with the document's keys,
done in C, so the work per message grows with the document and the number of candidates,
not with the number of queries. Only candidates are checked, each with its query compiled
once (:mod:`compiled`), which answers exactly what the reference evaluator answers.
"""

from __future__ import annotations

from collections.abc import Iterable
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
from webcare.listening.query.compiled import Check, compile_query
from webcare.listening.query.document import Document, PreparedDocument, prepare

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


Clause = frozenset[Anchor]


def clauses(node: Node) -> list[Clause]:
    """Key sets such that every matching document has at least one key of *each* of them.

    Empty when no key is required (``NOT x``, ranges). Every clause alone is a valid anchor
    set; the percolator indexes a query under one of them (:func:`anchors` picks statically,
    :meth:`Percolator.add` also weighs how many queries already share a key).
    """
    if isinstance(node, Word):
        return [frozenset({Anchor("word", node.form, node.value)})]
    if isinstance(node, Wildcard):
        return [frozenset({Anchor("stem", node.form, node.prefix[:PREFIX_LENGTH])})]
    if isinstance(node, FieldMatch):
        return [frozenset({Anchor("field", Form.FOLD, node.value, node.field)})]
    if isinstance(node, Phrase):
        return _distinct(c for word in node.words for c in clauses(word))
    if isinstance(node, Near):
        return _distinct([*clauses(node.left), *clauses(node.right)])
    if isinstance(node, And):
        return _distinct(c for child in node.children for c in clauses(child))
    if isinstance(node, Or):
        found = [clauses(child) for child in node.children]
        if not all(found):
            return []
        union: set[Anchor] = set()
        # Children with a single option first; a child with several takes one that adds no
        # new key when it can (``kpn OR "kpn box"`` is anchored by ``kpn`` alone).
        for options in sorted(found, key=len):
            covered = [c for c in options if c <= union]
            chosen: Clause = covered[0] if covered else min(options, key=_cost)
            union.update(chosen)
        return [frozenset(union)]
    return []


def anchors(node: Node) -> frozenset[Anchor] | None:
    """Keys of which every matching document has at least one; None when there are none."""
    return _best(clauses(node))


def _distinct(found: Iterable[Clause]) -> list[Clause]:
    return list(dict.fromkeys(found))


#: How unselective one key of each kind is: a field value (``language:nl``) is shared by a
#: large share of all messages, a wildcard stem by many words, a word by few.
_WEIGHT = {"word": 1, "stem": 4, "field": 50}


def _best(options: Iterable[Clause]) -> Clause | None:
    """The most selective option: lowest weighted key count, then the longest values."""
    usable = [a for a in options if a]
    if not usable:
        return None
    return min(usable, key=_cost)


def _cost(keys: Clause) -> tuple[int, int]:
    return sum(_WEIGHT[a.kind] for a in keys), -min(len(a.value) for a in keys)


_FormPlan = tuple[Form, dict[str, set[int]], list[tuple[int, dict[str, set[int]]]]]


class Percolator:
    """All saved queries, compiled and indexed; kept current with :meth:`add` and :meth:`remove`.

    Query ids are global (queries of all workspaces share one percolator); the caller maps
    matched ids back to workspaces. Not thread-safe: one percolator per worker process.
    """

    def __init__(self) -> None:
        self._nodes: dict[int, Node] = {}
        self._checks: dict[int, Check] = {}
        self._anchors: dict[int, frozenset[Anchor] | None] = {}
        self._words: list[dict[str, set[int]]] = [{} for _ in Form]
        self._stems: list[list[dict[str, set[int]]]] = [
            [{} for _ in range(PREFIX_LENGTH + 1)] for _ in Form
        ]
        self._fields: dict[tuple[str, str], set[int]] = {}
        self._always: set[int] = set()
        #: The forms and stem lengths :meth:`candidates` looks up; None after a change.
        self._plan: list[_FormPlan] | None = None

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, query_id: object) -> bool:
        return query_id in self._nodes

    def add(self, query_id: int, node: Node) -> None:
        """Add a query, or replace the query with this id (an edited saved query)."""
        if query_id in self._nodes:
            self.remove(query_id)
        keys = self._choose(clauses(node))
        self._plan = None
        self._nodes[query_id] = node
        self._checks[query_id] = compile_query(node)
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
        del self._checks[query_id]
        self._plan = None
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
        checks = self._checks
        return {q for q in self.candidates(doc) if checks[q](doc)}

    def candidates(self, doc: PreparedDocument) -> set[int]:
        """The queries the pre-filter cannot rule out for ``doc`` (a superset of the matches)."""
        found = set(self._always)
        tokens = doc.tokens
        for form, words, stem_levels in self._plan or self._make_plan():
            values = tokens.values(form)
            if words:
                for value in words.keys() & values:
                    found |= words[value]
            for length, by_stem in stem_levels:
                for stem in by_stem.keys() & {v[:length] for v in values}:
                    found |= by_stem[stem]
        fields = self._fields
        if fields:
            for key in fields.keys() & doc.field_keys:
                found |= fields[key]
        return found

    def _make_plan(self) -> list[_FormPlan]:
        """Which forms and stem lengths have queries at all (recomputed after add/remove)."""
        plan: list[_FormPlan] = []
        for form in Form:
            words, stems = self._words[form], self._stems[form]
            levels = [(length, stems[length]) for length in range(1, len(stems)) if stems[length]]
            if words or levels:
                plan.append((form, words, levels))
        self._plan = plan
        return plan

    def _choose(self, options: list[Clause]) -> Clause | None:
        """The clause to index under: lowest weight, then the keys fewest queries share yet.

        A key many saved queries use (a topic word such as ``internet``) is usually frequent
        in messages too, while a brand name is not: preferring the rarer key among clauses of
        equal weight keeps the candidates per message few. Any clause keeps the invariant.
        """
        if not options:
            return None
        return min(options, key=lambda keys: (_cost(keys)[0], self._shared(keys), _cost(keys)))

    def _shared(self, keys: Clause) -> int:
        """How many indexed queries already use the keys of ``keys``."""
        return sum(len(self._peek(key)) for key in keys)

    def _peek(self, key: Anchor) -> set[int] | frozenset[int]:
        if key.kind == "word":
            return self._words[key.form].get(key.value, frozenset())
        if key.kind == "stem":
            return self._stems[key.form][len(key.value)].get(key.value, frozenset())
        return self._fields.get((key.field, key.value), frozenset())

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
