"""The live preview of a listening query: what it would find among recent messages.

While an agent types, the form asks for a preview: the parser's verdict (an error with its
position, or warnings) and, for a query that parses, its hits among the workspace's newest
:data:`SAMPLE_SIZE` messages, with a count per top-level clause, so a user sees which part
of ``(storing OR vertraging) AND NS`` narrows the query down.

Matching uses the compiled query (``listening.query.compiled``), the code the percolator
runs, on the documents the percolation job builds (``percolation.message_document``), so the
preview finds what the saved query will find. Nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.conversation.models import Message
from webcare.listening import percolation, repository
from webcare.listening.query import PreparedDocument, QueryError, QueryWarning, parse, prepare
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
from webcare.listening.query.compiled import compile_query

#: How many of the workspace's newest messages a preview looks at.
SAMPLE_SIZE = 2000
#: Hits shown under the form (the counts cover all of them).
SHOWN_HITS = 10
MAX_CLAUSES = 12


@dataclass(frozen=True)
class Problem:
    """A parse error, ready to show: the query's line with a caret under the character."""

    message: str
    position: int
    line: str
    column: int


@dataclass(frozen=True)
class Clause:
    text: str
    hits: int


@dataclass(frozen=True)
class SampleHit:
    message_id: int
    conversation_id: int
    author: str | None
    text: str
    at: Any


@dataclass(frozen=True)
class Preview:
    query: str
    problem: Problem | None = None
    warnings: tuple[QueryWarning, ...] = ()
    sampled: int = 0
    total: int = 0
    #: "and" or "or" when the query's top is one of those, else "".
    operator: str = ""
    clauses: tuple[Clause, ...] = ()
    hits: tuple[SampleHit, ...] = ()


def problem_of(text: str, error: QueryError) -> Problem:
    """The line of ``text`` holding the error and the error's column in it."""
    position = max(0, min(error.position, len(text)))
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : end if end >= 0 else len(text)]
    return Problem(message=error.message, position=position, line=line, column=position - start)


def preview(session: Session, workspace_id: int, text: str) -> Preview:
    """Parse ``text`` and, when it parses, count its hits among the newest messages."""
    if not text.strip():
        return Preview(query=text)
    try:
        parsed = parse(text)
    except QueryError as error:
        return Preview(query=text, problem=problem_of(text, error))
    documents = recent_documents(session, workspace_id)
    node = parsed.node
    matcher = compile_query(node)
    hits = [(row, doc) for row, doc in documents if matcher(doc)]
    operator, children = _top(node)
    clauses = tuple(
        Clause(text=describe(child), hits=_count(child, documents))
        for child in children[:MAX_CLAUSES]
    )
    return Preview(
        query=text,
        warnings=parsed.warnings,
        sampled=len(documents),
        total=len(hits),
        operator=operator,
        clauses=clauses,
        hits=tuple(_sample_hit(row) for row, _doc in reversed(hits[-SHOWN_HITS:])),
    )


def recent_documents(session: Session, workspace_id: int) -> list[tuple[Any, PreparedDocument]]:
    """The listened-to messages among the workspace's newest :data:`SAMPLE_SIZE`, prepared.

    ``listening.repository`` reads messages oldest first after an id; the one query here
    finds the id to start from, so the rows (and what counts as listened to) are exactly
    what the percolation job sees.
    """
    oldest = session.scalar(
        sa.select(Message.id)
        .where(Message.workspace_id == workspace_id)
        .order_by(Message.id.desc())
        .offset(SAMPLE_SIZE - 1)
        .limit(1)
    )
    after = int(oldest) - 1 if oldest is not None else 0
    rows = repository.messages_after(session, after, SAMPLE_SIZE, workspace_id=workspace_id)
    return [
        (row, prepare(percolation.message_document(row)))
        for row in rows
        if percolation.is_listened(row)
    ]


def _top(node: Node) -> tuple[str, tuple[Node, ...]]:
    if isinstance(node, And):
        return "and", node.children
    if isinstance(node, Or):
        return "or", node.children
    return "", ()


def _count(node: Node, documents: list[tuple[Any, PreparedDocument]]) -> int:
    matcher = compile_query(node)
    return sum(1 for _row, doc in documents if matcher(doc))


def _sample_hit(row: Any) -> SampleHit:
    return SampleHit(
        message_id=row.id,
        conversation_id=row.conversation_id,
        author=row.author_handle or row.author_name,
        text=row.text or "",
        at=row.platform_time,
    )


def describe(node: Node) -> str:
    """A clause written back in the query language (normalised: lower case, brackets)."""
    if isinstance(node, Word):
        return f"{{{node.value}}}" if node.form in (Form.RAW, Form.RAW_FOLD) else node.value
    if isinstance(node, Wildcard):
        return node.pattern
    if isinstance(node, Phrase):
        inner = " ".join(describe(w) for w in node.words)
        return f'"{inner}"' + (f"~{node.slop}" if node.slop is not None else "")
    if isinstance(node, And | Or):
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(describe(child) for child in node.children) + ")"
    if isinstance(node, Not):
        return f"NOT {describe(node.child)}"
    if isinstance(node, Near):
        operator = f"NEAR/{node.distance}" + ("f" if node.ordered else "")
        return f"{describe(node.left)} {operator} {describe(node.right)}"
    if isinstance(node, FieldMatch):
        return f"{node.field}:{node.value}"
    if isinstance(node, UrlPrefix):
        return f'url:"{node.prefix}"'
    if isinstance(node, FieldRange):
        low = "*" if node.low is None else f"{node.low:g}"
        high = "*" if node.high is None else f"{node.high:g}"
        return f"{node.field}:[{low} TO {high}]"
    if isinstance(node, TitleMatch):
        return f"title:{describe(node.query)}"
    return type(node).__name__
