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
_URL = r"(?:https?://|www\.)[^\s<>\"']+"
_TAG = r"(?<!\w)[#@]\w+"
_WORD = r"\w+(?:'\w+)*"
_EMOJI = (
    rf"{_EMOJI_CHAR}[\ufe0f\U0001f3fb-\U0001f3ff]*"
    rf"(?:\u200d{_EMOJI_CHAR}[\ufe0f\U0001f3fb-\U0001f3ff]*)*"
)
_TOKEN = re.compile(f"{_URL}|{_TAG}|{_WORD}|{_EMOJI}")
_HAS_EMOJI = re.compile(_EMOJI_CHAR).search


def _variant(url: bool, tag: bool, emoji: bool) -> re.Pattern[str]:
    parts = [_URL] if url else []
    parts += [_TAG] if tag else []
    parts += [_WORD, _EMOJI] if emoji else [_WORD]
    return re.compile("|".join(parts))


#: :data:`_TOKEN` without the alternatives a text cannot match anywhere (no ``://``/``www.``,
#: no ``#``/``@``, no character from the emoji ranges): the same tokens, found faster, as each
#: remaining alternative keeps its order. Indexed ``[url][tag][emoji]``.
_VARIANTS = [
    [[_variant(url, tag, emoji) for emoji in (False, True)] for tag in (False, True)]
    for url in (False, True)
]
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
    return _split(text)[0]


def _split(text: str) -> tuple[list[str], str]:
    """:func:`split`, and the normalised text it was split from."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\ufe0f", "")
    url = "://" in text or "www." in text  # else no token is a URL (only URLs hold these)
    tag = "#" in text or "@" in text
    emoji = not text.isascii() and _HAS_EMOJI(text) is not None
    tokens = _VARIANTS[url][tag][emoji].findall(text)
    if url:
        for i, token in enumerate(tokens):
            if token[-1] in _URL_TRAILING and is_url(token):
                tokens[i] = token.rstrip(_URL_TRAILING)
    return tokens, text


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

    For ASCII text folding changes nothing, so ``FOLD`` shares ``LOWER``'s work and ``RAW_FOLD``
    shares ``RAW``'s; a text without ``#`` has no hashtag to add the bare word of.
    """

    __slots__ = (
        "_alias",
        "_hashtags",
        "_positions",
        "_sorted",
        "_spelled",
        "_values",
        "memo",
        "raw",
        "urls",
    )

    def __init__(self, text: str) -> None:
        raw, normalised = _split(text)
        self.raw: list[str] = raw
        self.urls: list[str] = (
            [t for t in raw if is_url(t)] if "://" in normalised or "www." in normalised else []
        )
        self._hashtags = "#" in normalised
        self._alias = _ASCII_ALIAS if normalised.isascii() else _SAME
        self._spelled: list[list[str] | None] = [None, None, None, raw]
        self._values: list[frozenset[str] | None] = [None, None, None, None]
        self._positions: list[dict[str, list[int]] | None] = [None, None, None, None]
        #: Answers a matcher may cache per text (the same wildcard recurs in many queries).
        self.memo: dict[object, bool] = {}
        self._sorted: list[list[str] | None] = [None, None, None, None]

    def __len__(self) -> int:
        return len(self.raw)

    def spelled(self, form: Form) -> list[str]:
        """Every token spelled for ``form``, in text order."""
        form = self._alias[form]
        cached = self._spelled[form]
        if cached is None:
            if form is Form.LOWER:
                cached = _lower_all(self.raw)
            elif form is Form.RAW_FOLD:
                cached = _fold_all(self.raw)
            else:
                cached = _fold_all(self.spelled(Form.LOWER))
            self._spelled[form] = cached
        return cached

    def values(self, form: Form) -> frozenset[str]:
        """The distinct tokens in ``form``, plus the bare word of every hashtag."""
        form = self._alias[form]
        cached = self._values[form]
        if cached is None:
            spelled = self.spelled(form)
            cached = frozenset(spelled)
            if self._hashtags:
                cached = cached.union([t[1:] for t in spelled if t[0] == "#"])
            self._values[form] = cached
        return cached

    def sorted_values(self, form: Form) -> list[str]:
        """``values(form)`` sorted: the values with one prefix are a run (for wildcards)."""
        form = self._alias[form]
        cached = self._sorted[form]
        if cached is None:
            cached = self._sorted[form] = sorted(self.values(form))
        return cached

    def positions(self, form: Form) -> dict[str, list[int]]:
        """Token → positions in ``form``; a hashtag's position also counts for its bare word."""
        form = self._alias[form]
        cached = self._positions[form]
        if cached is None:
            cached = {}
            for i, token in enumerate(self.spelled(form)):
                if token in cached:
                    cached[token].append(i)
                else:
                    cached[token] = [i]
            if self._hashtags:
                for i, token in enumerate(self.spelled(form)):
                    if token[0] == "#":
                        cached.setdefault(token[1:], []).append(i)
                for ps in cached.values():
                    ps.sort()
            self._positions[form] = cached
        return cached


#: The form whose spelling a form shares: for ASCII text, folding is the identity.
_SAME = (Form.FOLD, Form.LOWER, Form.RAW_FOLD, Form.RAW)
_ASCII_ALIAS = (Form.LOWER, Form.LOWER, Form.RAW, Form.RAW)


def _fold_all(tokens: list[str]) -> list[str]:
    """``[fold(t) for t in tokens]``, with the ASCII tokens (most of them) passed through."""
    return [t if t.isascii() else _fold_cached(t) for t in tokens]


def _lower_all(tokens: list[str]) -> list[str]:
    """``[t.lower() for t in tokens]``, in one call for ASCII tokens (no token holds a newline)."""
    if not tokens:
        return []
    joined = "\n".join(tokens)
    if joined.isascii():
        return joined.lower().split("\n")
    return [t.lower() for t in tokens]
