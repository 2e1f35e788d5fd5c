"""The query AST: small frozen dataclasses, so a parsed query can be shared and hashed.

Literal values are stored already normalised for the :class:`Form` they are compared in, so
evaluation never lower-cases or folds a query term again: it only looks values up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum


class Form(IntEnum):
    """Which spelling of a message token a query term is compared with.

    A plain term matches case-insensitively and, when it has no accents, accent-insensitively
    (``cafe`` matches ``Café``); an accented term matches only accented text (``café`` does not
    match ``cafe``); ``{KPN}`` matches case-sensitively with the same accent rule.
    """

    FOLD = 0  # lower-cased, accents removed
    LOWER = 1  # lower-cased, accents kept
    RAW_FOLD = 2  # case kept, accents removed
    RAW = 3  # as written


@dataclass(frozen=True, slots=True)
class Word:
    """One literal token, e.g. ``storing``, ``#storing``, ``@ns_online`` or an emoji."""

    value: str
    form: Form = Form.FOLD


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A token pattern with ``*`` (any characters) and ``?`` (one character), never leading.

    ``prefix`` is the literal text before the first wildcard: the percolator indexes on it.
    """

    pattern: str
    form: Form
    prefix: str
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in order and adjacent (``slop`` None), or within ``slop`` words in any order."""

    words: tuple[Word | Wildcard, ...]
    slop: int | None = None


@dataclass(frozen=True, slots=True)
class And:
    """All children match."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not match."""

    child: Node


@dataclass(frozen=True, slots=True)
class Near:
    """A left and a right match with at most ``distance`` words between them.

    ``ordered`` (``NEAR/nf``, ``ONEAR/n``) also requires the left one to come first. Both sides
    are word-like (words, wildcards, phrases, OR groups of those, nested NEARs): the parser
    rejects AND, NOT and fields inside NEAR, because they have no position in the text.
    """

    left: Node
    right: Node
    distance: int
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """A metadata field equals a value (``language:nl``), or ends in a domain (``site:``)."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class UrlPrefix:
    """``url:"nu.nl/economie"``: the message's URL, without scheme and ``www.``, starts so."""

    prefix: str


@dataclass(frozen=True, slots=True)
class FieldRange:
    """``authorFollowers:[1000 TO 100000]``: inclusive; None is an open end (``*``)."""

    field: str
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """``title:"storing"``: the words or phrase occur in the title (news, blogs)."""

    query: Word | Wildcard | Phrase


Node = (
    Word
    | Wildcard
    | Phrase
    | And
    | Or
    | Not
    | Near
    | FieldMatch
    | UrlPrefix
    | FieldRange
    | TitleMatch
)
