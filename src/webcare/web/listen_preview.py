"""The live preview of a listening query as the form shows it, on ``listening.preview``.

While an agent types, the form asks for a preview: the parser's verdict (an error with its
position, or warnings) and, for a query that parses, what it would have found among the
workspace's recent messages and mentions (``listening.preview``: the same documents and
compiled matcher the percolator uses), with a count per top-level clause, so a user sees
which part of ``(storing OR vertraging) AND NS`` narrows the query down. Nothing is stored.

This module only turns the domain's answer into what the template needs: the error's line
and column for the caret, and whether the clauses are ANDed or ORed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from webcare.kit.errors import Invalid
from webcare.listening import preview as domain
from webcare.listening.errors import InvalidQuery
from webcare.listening.query import QueryError, QueryWarning, parse
from webcare.listening.query.ast import And, Or

#: Hits shown under the form (the counts cover all of them).
SHOWN_HITS = 10
#: How far back the preview looks.
DAYS = 7


@dataclass(frozen=True)
class Problem:
    """Why the text cannot be used; ``line``/``column`` place a caret when there is a position."""

    message: str
    position: int | None = None
    line: str = ""
    column: int = 0


@dataclass(frozen=True)
class Preview:
    query: str
    problem: Problem | None = None
    warnings: tuple[QueryWarning, ...] = ()
    scanned: int = 0
    total: int = 0
    #: "and" or "or" when the query's top is one of those (and clauses are counted), else "".
    operator: str = ""
    clauses: tuple[domain.ClauseCount, ...] = ()
    hits: tuple[domain.PreviewItem, ...] = ()
    days: int = DAYS


def problem_of(text: str, error: QueryError) -> Problem:
    """The line of ``text`` holding the error and the error's column in it."""
    position = max(0, min(error.position, len(text)))
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : end if end >= 0 else len(text)]
    return Problem(message=error.message, position=position, line=line, column=position - start)


def preview(session: Session, workspace_id: int, text: str) -> Preview:
    """The form's preview of ``text``: a problem to point at, or hits and clause counts."""
    if not text.strip():
        return Preview(query=text)
    try:
        result = domain.preview(session, workspace_id, text, days=DAYS)
    except InvalidQuery:
        try:
            parse(text)
        except QueryError as error:
            return Preview(query=text, problem=problem_of(text, error))
        raise  # the service refused text the parser accepts: not ours to explain
    except Invalid as refused:  # empty or too long: no position to point at
        return Preview(query=text, problem=Problem(message=refused.detail))
    node = parse(text).node
    operator = "and" if isinstance(node, And) else "or" if isinstance(node, Or) else ""
    return Preview(
        query=text,
        warnings=result.warnings,
        scanned=result.scanned,
        total=result.hits,
        operator=operator,
        clauses=tuple(result.clauses) if operator else (),
        hits=tuple(result.examples[:SHOWN_HITS]),
    )
