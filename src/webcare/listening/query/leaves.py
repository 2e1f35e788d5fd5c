"""Turning the text of a term, phrase or field value into AST leaves.

Query words go through the same tokeniser as messages (:func:`text.split`), so whatever a
message tokenises to, the same words in a query match it: ``tv-ontvanger`` in a query becomes
the phrase ``tv ontvanger``, exactly the tokens a message with that word has.
"""

from __future__ import annotations

import re

from webcare.listening.query.ast import (
    FieldMatch,
    FieldRange,
    Form,
    Node,
    Phrase,
    TitleMatch,
    UrlPrefix,
    Wildcard,
    Word,
)
from webcare.listening.query.errors import QueryError, QueryWarning
from webcare.listening.query.text import domain_of, fold, in_form, split, strip_url

#: A wildcard needs this many letters before its first ``*``/``?``; fewer is an error.
MIN_WILDCARD_STEM = 2
#: Stems shorter than this are allowed but warned about: they can match very many words.
SHORT_WILDCARD_STEM = 3
_WILDCARD_SHAPE = re.compile(r"[#@]?[\w*?']+")
_NUMBER = r"\*|-?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"\[\s*({_NUMBER})\s+TO\s+({_NUMBER})\s*\]")
_ENGAGEMENT_TYPES = frozenset({"comment", "reply", "retweet", "quote"})
_BOOLEAN = {"true": "true", "false": "false"}

Leaf = Word | Wildcard | Phrase


def form_for(text: str, case_sensitive: bool) -> Form:
    """The :class:`Form` a query word is compared in: accents and ``{…}`` decide."""
    accented = fold(text) != text
    if case_sensitive:
        return Form.RAW if accented else Form.RAW_FOLD
    return Form.LOWER if accented else Form.FOLD


def words(
    text: str, position: int, warnings: list[QueryWarning], *, case_sensitive: bool = False
) -> list[Word | Wildcard]:
    """The words of a term or phrase, each a :class:`Word` or :class:`Wildcard`."""
    out: list[Word | Wildcard] = []
    for piece in text.split():
        if "*" in piece or "?" in piece:
            out.append(wildcard(piece, position, warnings, case_sensitive=case_sensitive))
            continue
        for token in split(piece):
            form = form_for(token, case_sensitive)
            out.append(Word(in_form(token, form), form))
    return out


def leaf(
    text: str,
    position: int,
    warnings: list[QueryWarning],
    *,
    case_sensitive: bool = False,
    slop: int | None = None,
) -> Leaf:
    """A single word, or a phrase when ``text`` has several words."""
    found = words(text, position, warnings, case_sensitive=case_sensitive)
    if not found:
        raise QueryError(f"'{text}' has no letters, digits or emoji to search for", position)
    if len(found) == 1:
        return found[0]
    return Phrase(tuple(found), slop)


def wildcard(
    piece: str, position: int, warnings: list[QueryWarning], *, case_sensitive: bool
) -> Wildcard:
    """A wildcard word; leading wildcards are refused because they cannot be indexed."""
    body = piece.lstrip("#@")
    if body[:1] in ("*", "?"):
        raise QueryError(
            f"a wildcard cannot start a word ('{piece}'): write its stem first", position
        )
    if _WILDCARD_SHAPE.fullmatch(piece) is None:
        raise QueryError(
            f"wildcard word '{piece}' may contain only letters, digits, '*' and '?'", position
        )
    stem = re.split(r"[*?]", body, maxsplit=1)[0]
    if len(stem) < MIN_WILDCARD_STEM:
        raise QueryError(
            f"wildcard '{piece}' needs at least {MIN_WILDCARD_STEM} letters before '*' or '?'",
            position,
        )
    if len(stem) < SHORT_WILDCARD_STEM:
        warnings.append(
            QueryWarning(
                f"wildcard '{piece}' has a short stem and can match very many words; "
                f"use at least {SHORT_WILDCARD_STEM} letters",
                position,
            )
        )
    form = form_for(piece, case_sensitive)
    spelled = in_form(piece, form)
    prefix = re.split(r"[*?]", spelled, maxsplit=1)[0]
    pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in spelled)
    return Wildcard(spelled, form, prefix, re.compile(pattern, re.DOTALL))


def field(name: str, value: str, position: int, warnings: list[QueryWarning]) -> Node:
    """The node for ``name:value``; ``name`` is canonical (lower-case)."""
    if name in ("authorfollowers", "rating"):
        return _range(name, value, position)
    if name == "title":
        return TitleMatch(leaf(value, position, warnings))
    if name == "url":
        return UrlPrefix(strip_url(value))
    if name in ("site", "links"):
        return FieldMatch(name, domain_of(value))
    lowered = value.lower()
    if name == "authorverified" and lowered not in _BOOLEAN:
        raise QueryError("authorVerified: takes true or false", position)
    if name == "engagementtype" and lowered not in _ENGAGEMENT_TYPES:
        known = ", ".join(sorted(t.upper() for t in _ENGAGEMENT_TYPES))
        raise QueryError(f"engagementType: takes one of {known}", position)
    if name == "author":
        lowered = lowered.removeprefix("@")
    return FieldMatch(name, lowered)


def _range(name: str, value: str, position: int) -> FieldRange:
    match = _RANGE.fullmatch(value)
    if match is None:
        try:
            number = float(value)
        except ValueError:
            raise QueryError(
                f"'{value}' is not a number or a range like [1000 TO 100000]", position
            ) from None
        return FieldRange(name, number, number)
    low, high = (None if g == "*" else float(g) for g in match.groups())
    if low is not None and high is not None and low > high:
        raise QueryError(f"range {value} is empty: the lower bound is above the upper", position)
    return FieldRange(name, low, high)
