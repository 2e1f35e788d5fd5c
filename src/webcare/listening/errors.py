"""Errors of the listening domain, each with the status an API client sees."""

from __future__ import annotations

from webcare.kit.errors import Invalid, NotFound
from webcare.listening.query import QueryError


class QueryNotFound(NotFound):
    def __init__(self, query_id: int) -> None:
        super().__init__(f"listening query {query_id} not found")


class SourceNotFound(NotFound):
    def __init__(self, source_id: int) -> None:
        super().__init__(f"listening source {source_id} not found")


class BackfillNotFound(NotFound):
    def __init__(self, backfill_id: int) -> None:
        super().__init__(f"backfill {backfill_id} not found")


class InvalidQuery(Invalid):
    """Query text that does not parse: a 422 naming the character and the problem.

    The body carries ``position`` (0-based character offset), ``problem`` (what is wrong)
    and ``caret`` (the query with a ``^`` under the character) so a form can point at it.
    """

    def __init__(self, query: str, error: QueryError) -> None:
        super().__init__(
            f"the query has an error at character {error.position + 1}: {error.message}",
            extra={
                "position": error.position,
                "problem": error.message,
                "caret": error.caret(query),
            },
        )
