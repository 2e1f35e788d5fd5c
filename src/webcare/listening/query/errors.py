"""Errors and warnings about query text, each with the character position it is about."""

from __future__ import annotations

from dataclasses import dataclass


class QueryError(ValueError):
    """A query that cannot be parsed. ``position`` is a 0-based character offset.

    Not a ``WebcareError``: this package is pure code; the service that saves queries turns it
    into a 422 with the message and position.
    """

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position

    def caret(self, query: str) -> str:
        """The query with a ``^`` under the offending character, for a monospace display."""
        return f"{query}\n{' ' * self.position}^ {self.message}"


@dataclass(frozen=True, slots=True)
class QueryWarning:
    """Something that parses but is probably not what the user meant, or is expensive."""

    message: str
    position: int
