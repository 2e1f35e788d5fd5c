"""The search query on each backend. Always scoped to one workspace."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from webcare.conversation.models import Message
from webcare.search.text import query_terms


def matching_message_ids(session: Session, workspace_id: int, query: str) -> sa.Select[int]:
    """A subquery of message ids in the workspace whose text matches every term of ``query``.

    Returns a SELECT to embed (``Message.id.in_(...)``) so list queries stay one round trip.
    An empty query matches nothing rather than everything.
    """
    terms = query_terms(query)
    condition = _condition(session, terms)
    return sa.select(Message.id).where(Message.workspace_id == workspace_id, condition)


def _condition(session: Session, terms: list[str]) -> ColumnElement[bool]:
    if not terms:
        return sa.false()
    if session.get_bind().dialect.name == "postgresql":
        return _postgres_condition(terms)
    return _sqlite_condition(terms)


def _sqlite_condition(terms: list[str]) -> ColumnElement[bool]:
    match = " AND ".join(f'"{t.rstrip("*")}"*' if t.endswith("*") else f'"{t}"' for t in terms)
    fts = sa.table("message_fts", sa.column("rowid"), sa.column("message_fts"))
    sub = sa.select(fts.c.rowid).where(fts.c.message_fts.op("MATCH")(match))
    return Message.id.in_(sub)


def _postgres_condition(terms: list[str]) -> ColumnElement[bool]:
    vector: sa.ColumnElement[str] = sa.literal_column("messages.search_vector")
    parts: list[ColumnElement[bool]] = []
    for term in terms:
        word = term.rstrip("*")
        suffix = ":*" if term.endswith("*") else ""
        alternatives = [
            sa.func.to_tsquery(sa.literal_column(f"'{config}'::regconfig"), _quote(word) + suffix)
            for config in ("simple", "dutch", "english")
        ]
        parts.append(sa.or_(*(vector.op("@@")(q) for q in alternatives)))
    return sa.and_(*parts)


def _quote(word: str) -> str:
    """A single tsquery lexeme, quoted so user text can never inject tsquery operators."""
    return "'" + word.replace("'", "''").replace("\\", "") + "'"
