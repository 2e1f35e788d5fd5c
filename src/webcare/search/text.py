"""Text normalisation shared by indexing and querying, identical on both databases.

Accent folding happens here in Python (``café`` -> ``cafe``) so SQLite and PostgreSQL index the
same words. Hashtags and @handles must be findable as such, but both backends' tokenizers drop
``#`` and ``@``; so the indexed text carries, next to the plain word, a marker token
(``#storing`` -> ``storing zzhtagstoring``) that only a hashtag query asks for.
"""

from __future__ import annotations

import re
import unicodedata

_HASHTAG_MARK = "zzhtag"
_MENTION_MARK = "zzmention"
_TAG_RE = re.compile(r"(?<![\w#@])([#@])(\w+)", re.UNICODE)
_WORD_RE = re.compile(r"[#@]?\w+\*?", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case and strip accents, keeping letters of every script."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _marker(sign: str, word: str) -> str:
    mark = _HASHTAG_MARK if sign == "#" else _MENTION_MARK
    return mark + re.sub(r"_", "", word)


def index_text(text: str) -> str:
    """What goes into ``messages.search_text`` for a message text."""
    folded = fold(text)
    markers = [_marker(sign, word) for sign, word in _TAG_RE.findall(folded)]
    return folded if not markers else folded + "\n" + " ".join(markers)


def query_terms(query: str) -> list[str]:
    """Split a user's search into folded terms; ``#tag``/``@handle`` become marker terms.

    A trailing ``*`` on a term asks for a prefix match. Punctuation is ignored, so a pasted
    sentence searches for its words.
    """
    terms: list[str] = []
    for raw in _WORD_RE.findall(fold(query)):
        prefix = raw.endswith("*")
        word = raw.rstrip("*")
        if word[:1] in "#@" and len(word) > 1:
            word = _marker(word[0], word[1:])
        word = word.lstrip("#@").replace("_", " ").strip()
        for part in word.split():
            terms.append(part + ("*" if prefix else ""))
    return terms
