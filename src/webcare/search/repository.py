"""The search query on each backend. Always scoped to one workspace."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from webcare.conversation.models import Message
from webcare.search.text import query_terms


def matching_conversation_ids(session: Session, workspace_id: int, query: str) -> sa.Select[int]:
    """A subquery of ids of the workspace's conversations with a message matching every term.

    Returns a SELECT to embed (``Conversation.id.in_(...)``) so list queries stay one round
    trip. An empty query matches nothing rather than everything.
    """
    terms = query_terms(query)
    if not terms:
        return sa.select(Message.conversation_id).where(sa.false())
    if session.get_bind().dialect.name == "postgresql":
        in_workspace: ColumnElement[bool] = Message.workspace_id == workspace_id
        condition = _postgres_condition(terms)
    else:
        # The unary + keeps SQLite from walking the (workspace_id, ...) indexes of all messages:
        # it must start from the full-text hits (bench/inbox.py: 260 ms -> 18 ms at 1M rows).
        in_workspace = sa.literal_column("+messages.workspace_id") == workspace_id
        condition = _sqlite_condition(terms)
    return sa.select(Message.conversation_id).where(condition, in_workspace)


def _sqlite_condition(terms: list[str]) -> ColumnElement[bool]:
    match = " AND ".join(f'"{t.rstrip("*")}"*' if t.endswith("*") else f'"{t}"' for t in terms)
    fts = sa.table("message_fts", sa.column("rowid"), sa.column("message_fts"))
    sub = sa.select(fts.c.rowid).where(fts.c.message_fts.op("MATCH")(match))
    return Message.id.in_(sub)


def _postgres_condition(terms: list[str]) -> ColumnElement[bool]:
    """One ``@@`` against one tsquery: every term (&&), each in any of the configs (||).

    A single match lets the GIN index answer the whole query, instead of one index scan per
    term and configuration OR-ed together.
    """
    vector: sa.ColumnElement[str] = sa.literal_column("messages.search_vector")
    query: ColumnElement[str] | None = None
    for term in terms:
        word = term.rstrip("*")
        suffix = ":*" if term.endswith("*") else ""
        alternatives = [
            sa.func.to_tsquery(sa.literal_column(f"'{config}'::regconfig"), _quote(word) + suffix)
            for config in ("simple", "dutch", "english")
        ]
        any_config = alternatives[0].op("||")(alternatives[1]).op("||")(alternatives[2])
        grouped = any_config.self_group()
        query = grouped if query is None else query.op("&&")(grouped)
    assert query is not None
    return vector.op("@@")(query)


def _quote(word: str) -> str:
    """A single tsquery lexeme, quoted so user text can never inject tsquery operators."""
    return "'" + word.replace("'", "''").replace("\\", "") + "'"
