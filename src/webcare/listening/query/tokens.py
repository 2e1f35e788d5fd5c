"""The query lexer: query text → a list of :class:`Token`, each with its character position.

Operators are recognised only in capitals (``AND``, ``OR``, ``NOT``, ``NEAR/5``, ``NEAR/5f``,
``ONEAR/5``), as in Brandwatch; lower-case ``and`` is a keyword and the parser warns about it.
Comments ``<<<…>>>`` are dropped here, so the parser never sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from webcare.listening.query.errors import QueryError

#: Field names as users write them → the canonical (lower-case) name used internally.
FIELDS = {
    name.lower(): name.lower()
    for name in (
        "author",
        "site",
        "url",
        "links",
        "language",
        "country",
        "authorFollowers",
        "authorVerified",
        "engagementType",
        "rating",
        "channelId",
        "title",
    )
}
_FIELD = re.compile(r"([A-Za-z]+):")
_NEAR = re.compile(r"(O?)NEAR/(\d+)(f?)")
_SLOP = re.compile(r"~(\d+)")
_RUN = re.compile(r"[^\s()\"{}]+")
_NOT_AFTER_MINUS = frozenset(" \t\r\n)")


class Kind(Enum):
    """What a token is."""

    LPAREN = "("
    RPAREN = ")"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    MINUS = "-"
    NEAR = "NEAR"
    TERM = "term"
    PHRASE = "phrase"
    CASE = "{…}"
    FIELD = "field"
    END = "end of query"


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme. ``text`` is the term, phrase or field value without quotes or braces.

    ``number`` is a NEAR distance or a phrase's ``~n``; ``ordered`` marks ``NEAR/nf``;
    ``field`` names a field token, and ``quoted`` says its value was in quotes.
    """

    kind: Kind
    position: int
    text: str = ""
    number: int | None = None
    ordered: bool = False
    field: str = ""
    quoted: bool = False


def lex(query: str) -> list[Token]:
    """Split ``query`` into tokens; raises :class:`QueryError` at the offending position."""
    return _Lexer(query).run()


class _Lexer:
    def __init__(self, query: str) -> None:
        self.query = query
        self.i = 0
        self.out: list[Token] = []

    def run(self) -> list[Token]:
        query = self.query
        while self.i < len(query):
            char = query[self.i]
            if char.isspace():
                self.i += 1
            elif query.startswith("<<<", self.i):
                self._comment()
            elif char in "()":
                kind = Kind.LPAREN if char == "(" else Kind.RPAREN
                self.out.append(Token(kind, self.i))
                self.i += 1
            elif char == '"':
                self._phrase()
            elif char == "{":
                self._case()
            elif char == "}":
                raise QueryError("'}' without a matching '{'", self.i)
            elif (
                char == "-"
                and self.i + 1 < len(query)
                and query[self.i + 1] not in _NOT_AFTER_MINUS
            ):
                self.out.append(Token(Kind.MINUS, self.i))
                self.i += 1
            else:
                self._run()
        self.out.append(Token(Kind.END, len(query)))
        return self.out

    def _comment(self) -> None:
        end = self.query.find(">>>", self.i + 3)
        if end < 0:
            raise QueryError("comment '<<<' is never closed with '>>>'", self.i)
        self.i = end + 3

    def _quoted(self) -> tuple[str, int]:
        """The text between a quote at ``self.i`` and its closing quote; moves past it."""
        start = self.i
        end = self.query.find('"', start + 1)
        if end < 0:
            raise QueryError("quote '\"' is never closed", start)
        self.i = end + 1
        return self.query[start + 1 : end], start

    def _phrase(self) -> None:
        text, start = self._quoted()
        slop = None
        if self.i < len(self.query) and self.query[self.i] == "~":
            match = _SLOP.match(self.query, self.i)
            if match is None:
                raise QueryError("'~' after a phrase needs a number of words, e.g. ~5", self.i)
            slop = int(match.group(1))
            self.i = match.end()
        self.out.append(Token(Kind.PHRASE, start, text, number=slop))

    def _case(self) -> None:
        start = self.i
        end = self.query.find("}", start + 1)
        if end < 0:
            raise QueryError("'{' is never closed with '}'", start)
        self.i = end + 1
        self.out.append(Token(Kind.CASE, start, self.query[start + 1 : end]))

    def _run(self) -> None:
        start = self.i
        field = _FIELD.match(self.query, start)
        if field is not None:
            self._field(field.group(1), field.end())
            return
        match = _RUN.match(self.query, start)
        assert match is not None  # the caller saw a character that starts a run
        text = match.group(0)
        self.i = match.end()
        self.out.append(_word_token(text, start))

    def _field(self, name: str, value_start: int) -> None:
        start = self.i
        canonical = FIELDS.get(name.lower())
        if canonical is None:
            known = ", ".join(sorted(FIELDS))
            raise QueryError(f"unknown field '{name}:'; known fields are {known}", start)
        self.i = value_start
        query = self.query
        if query.startswith('"', value_start):
            text, _ = self._quoted()
            self.out.append(Token(Kind.FIELD, start, text, field=canonical, quoted=True))
            return
        if query.startswith("[", value_start):
            end = query.find("]", value_start)
            if end < 0:
                raise QueryError(f"range after '{name}:' is never closed with ']'", value_start)
            self.i = end + 1
            self.out.append(Token(Kind.FIELD, start, query[value_start : end + 1], field=canonical))
            return
        match = _RUN.match(query, value_start)
        if match is None:
            raise QueryError(f"'{name}:' needs a value, e.g. {name}:something", start)
        self.i = match.end()
        self.out.append(Token(Kind.FIELD, start, match.group(0), field=canonical))


def _word_token(text: str, start: int) -> Token:
    if text in ("AND", "OR", "NOT"):
        return Token(Kind[text], start, text)
    if text in ("NEAR", "ONEAR") or text.startswith(("NEAR/", "ONEAR/")):
        near = _NEAR.fullmatch(text)
        if near is None:
            raise QueryError(
                f"'{text}': NEAR needs a whole number of words, e.g. NEAR/5 or NEAR/5f", start
            )
        ordered = bool(near.group(1) or near.group(3))
        return Token(Kind.NEAR, start, text, number=int(near.group(2)), ordered=ordered)
    return Token(Kind.TERM, start, text)
