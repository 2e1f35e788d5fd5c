"""A live preview of query text before it is saved: what it would have found lately.

Users expect to see a query's hits over the last days, with counts per clause, while they
write it (QUERY_LANGUAGE.md). :func:`preview` parses the text (a 422 with the position when
it does not parse), runs it over the workspace's newest listened messages and mentions of
the last ``days`` (at most :data:`MAX_SCANNED` of each) and counts, for each top-level
clause of an AND or OR, how many of those items that clause alone matches: a clause that
matches nothing, or everything, stands out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.listening import percolation, repository, service
from webcare.listening.query import PreparedDocument, QueryWarning, parse, prepare
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
from webcare.listening.query.compiled import compile_query

MAX_SCANNED = 5000
MAX_DAYS = 30
EXAMPLES = 20


@dataclass(frozen=True)
class PreviewItem:
    message_id: int | None
    mention_id: int | None
    item_time: datetime
    author: str | None
    text: str
    url: str | None


@dataclass(frozen=True)
class ClauseCount:
    #: The clause written out again (normalised: lower case, canonical operators).
    clause: str
    hits: int


@dataclass(frozen=True)
class Preview:
    scanned: int
    hits: int
    examples: list[PreviewItem]
    clauses: list[ClauseCount]
    warnings: tuple[QueryWarning, ...]


def preview(session: Session, workspace_id: int, text: str, *, days: int = 7) -> Preview:
    """What ``text`` would have matched in the workspace over the last ``days``."""
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days must be between 1 and {MAX_DAYS}")
    warnings = service.check(text)
    node = parse(text).node
    check = compile_query(node)
    parts = _clauses(node)
    part_checks = [compile_query(p) for p in parts]
    part_hits = [0] * len(parts)
    needs_language = percolation.uses_language(node)
    since = utc_now() - timedelta(days=days)
    items: list[tuple[PreparedDocument, PreviewItem]] = []
    for row in repository.recent_messages(session, workspace_id, since, MAX_SCANNED):
        if percolation.is_listened(row):
            doc = prepare(percolation.message_document(row, detect=needs_language))
            author = row.author_handle or row.author_name
            items.append(
                (doc, PreviewItem(row.id, None, row.platform_time, author, row.text, None))
            )
    for mention in repository.recent_mentions(session, workspace_id, since, MAX_SCANNED):
        doc = prepare(percolation.mention_document(mention))
        items.append(
            (
                doc,
                PreviewItem(
                    None,
                    mention.id,
                    mention.published_at,
                    mention.author,
                    doc.document.text,
                    mention.url,
                ),
            )
        )
    matched: list[PreviewItem] = []
    for doc, item in items:
        if check(doc):
            matched.append(item)
        for i, part in enumerate(part_checks):
            if part(doc):
                part_hits[i] += 1
    matched.sort(key=lambda i: i.item_time, reverse=True)
    return Preview(
        scanned=len(items),
        hits=len(matched),
        examples=matched[:EXAMPLES],
        clauses=[ClauseCount(render(p), n) for p, n in zip(parts, part_hits, strict=True)],
        warnings=warnings,
    )


def _clauses(node: Node) -> list[Node]:
    if isinstance(node, And | Or):
        return list(node.children)
    return [node]


def render(node: Node) -> str:
    """A node as query text (normalised values; the same meaning as what the user wrote)."""
    if isinstance(node, Word):
        return node.value
    if isinstance(node, Wildcard):
        return node.pattern
    if isinstance(node, Phrase):
        words = " ".join(render(w) for w in node.words)
        return f'"{words}"' + (f"~{node.slop}" if node.slop is not None else "")
    if isinstance(node, And):
        return " AND ".join(_grouped(c) for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(_grouped(c) for c in node.children)
    if isinstance(node, Not):
        return f"NOT {_grouped(node.child)}"
    if isinstance(node, Near):
        suffix = "f" if node.ordered else ""
        return f"{_grouped(node.left)} NEAR/{node.distance}{suffix} {_grouped(node.right)}"
    if isinstance(node, FieldMatch):
        return f"{node.field}:{node.value}"
    if isinstance(node, UrlPrefix):
        return f'url:"{node.prefix}"'
    if isinstance(node, FieldRange):
        low = "*" if node.low is None else f"{node.low:g}"
        high = "*" if node.high is None else f"{node.high:g}"
        return f"{node.field}:[{low} TO {high}]"
    if isinstance(node, TitleMatch):
        return f"title:{render(node.query)}"
    return type(node).__name__


def _grouped(node: Node) -> str:
    text = render(node)
    return f"({text})" if isinstance(node, And | Or | Near) else text
