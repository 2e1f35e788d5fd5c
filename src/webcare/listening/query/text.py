"""Message tokenisation for matching: Unicode words, hashtags, mentions, URLs and emoji.

Rules (the parser tokenises query terms with the same function, so both sides agree):

- words are runs of Unicode letters, digits and ``_``; an apostrophe inside a word stays
  (``doesn't``), a hyphen splits (``tv-ontvanger`` is ``tv`` ``ontvanger``, and a query for
  ``tv-ontvanger`` becomes that phrase);
- ``#tag`` and ``@handle`` are one token with their sigil; a hashtag also counts as its bare
  word (``storing`` matches ``#storing``), a mention does not (``klm`` does not match ``@KLM``:
  users write ``klm OR @KLM`` when they want both);
- URLs stay whole, so their words do not match keywords; their domains feed ``links:``;
- each emoji (with its modifiers and ZWJ sequence) is a token; U+FE0F is dropped so ``❤️``
  and ``❤`` are the same token.

Speed matters (the percolator tokenises every message once): a single regex pass, and the
lower-cased and accent-folded forms are computed lazily and only when the text needs them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from webcare.listening.query.ast import Form

_EMOJI_CHAR = "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]"
_TOKEN = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|(?<!\w)[#@]\w+"
    r"|\w+(?:'\w+)*"
    rf"|{_EMOJI_CHAR}[\ufe0f\U0001f3fb-\U0001f3ff]*(?:\u200d{_EMOJI_CHAR}[\ufe0f\U0001f3fb-\U0001f3ff]*)*"
)
_URL_TRAILING = ".,!?;:)]}"


def fold(text: str) -> str:
    """Remove accents (``Café`` → ``Cafe``); ASCII text is returned as it is, quickly."""
    if text.isascii():
        return text
    return _fold_cached(text)


@lru_cache(maxsize=65536)
def _fold_cached(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def in_form(value: str, form: Form) -> str:
    """``value`` spelled the way tokens of ``form`` are spelled."""
    if form is Form.FOLD:
        return fold(value.lower())
    if form is Form.LOWER:
        return value.lower()
    if form is Form.RAW_FOLD:
        return fold(value)
    return value


def split(text: str) -> list[str]:
    """The tokens of ``text`` as written (NFC, curly apostrophes straightened, URLs trimmed)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\ufe0f", "")
    tokens = _TOKEN.findall(text)
    for i, token in enumerate(tokens):
        if token[-1] in _URL_TRAILING and is_url(token):
            tokens[i] = token.rstrip(_URL_TRAILING)
    return tokens


def is_url(token: str) -> bool:
    """Whether a token from :func:`split` is a URL."""
    return token.startswith(("http://", "https://", "www."))


def domain_of(url: str) -> str:
    """The host of a URL or bare domain, lower-cased, without ``www.`` and port."""
    rest = url.lower().split("://", 1)[-1]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    host = host.split(":", 1)[0]
    return host.removeprefix("www.")


def strip_url(url: str) -> str:
    """A URL without scheme and ``www.``, lower-cased: what ``url:`` prefixes compare with."""
    return url.lower().split("://", 1)[-1].removeprefix("www.")


class Tokens:
    """A tokenised text with each :class:`Form` computed on first use.

    Invariant: ``values(form)`` is exactly the key set of ``positions(form)``; the percolator's
    pre-filter looks at the first and the evaluator at both, so they must never disagree.
    """

    __slots__ = ("_positions", "_values", "raw")

    def __init__(self, text: str) -> None:
        self.raw: list[str] = split(text)
        self._values: list[frozenset[str] | None] = [None, None, None, None]
        self._positions: list[dict[str, list[int]] | None] = [None, None, None, None]

    def __len__(self) -> int:
        return len(self.raw)

    def spelled(self, form: Form) -> list[str]:
        """Every token spelled for ``form``, in text order."""
        raw = self.raw
        if form is Form.RAW:
            return raw
        if form is Form.RAW_FOLD:
            return [fold(t) for t in raw]
        lower = [t.lower() for t in raw]
        return lower if form is Form.LOWER else [fold(t) for t in lower]

    def values(self, form: Form) -> frozenset[str]:
        """The distinct tokens in ``form``, plus the bare word of every hashtag."""
        cached = self._values[form]
        if cached is None:
            spelled = self.spelled(form)
            cached = frozenset(spelled).union([t[1:] for t in spelled if t[0] == "#"])
            self._values[form] = cached
        return cached

    def positions(self, form: Form) -> dict[str, list[int]]:
        """Token → positions in ``form``; a hashtag's position also counts for its bare word."""
        cached = self._positions[form]
        if cached is None:
            cached = {}
            for i, token in enumerate(self.spelled(form)):
                cached.setdefault(token, []).append(i)
                if token[0] == "#":
                    cached.setdefault(token[1:], []).append(i)
            self._positions[form] = cached
        return cached
