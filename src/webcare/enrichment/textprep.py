"""Cleaning customer text before a model reads it: handles, links, emoji, accents.

Social media text carries much that says nothing about its language or mood: ``@klant_1a2b``
handles, ``https://t.co/...`` links, hashtags glued together, emoji. Language identification
wants only the words (a Dutch tweet full of English brand handles is still Dutch), while the
sentiment and intent models want the words *and* the emoji and emoticons as tokens of their own.
Both start from :func:`clean`.
"""

from __future__ import annotations

import re
import unicodedata

#: Models read at most this much of a message: the opening of a message carries its language,
#: mood and ask, and a cap keeps a pasted 100,000-character text as cheap as a tweet.
MAX_ANALYSED_CHARS = 2_000

_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<![\w@])@\w+")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)

# Emoticons people type; each maps to the emoji token with the same meaning, so ":)" and "🙂"
# teach the model one thing. Order matters: longer ones first.
EMOTICONS: dict[str, str] = {
    ":-)": "🙂", ":)": "🙂", "(:": "🙂", ":-D": "😀", ":D": "😀", "xD": "😆", "XD": "😆",
    ";-)": "😉", ";)": "😉", ":-(": "🙁", ":(": "🙁", "):": "🙁", ":'(": "😢", ":-/": "😕",
    ":/": "😕", ":-P": "😛", ":P": "😛", ":p": "😛", "<3": "❤", ":@": "😠", ":-|": "😐",
    ":|": "😐", "-_-": "😑",
}  # fmt: skip
_EMOTICON_RE = re.compile(
    r"(?<![\w:/])(?:"
    + "|".join(re.escape(e) for e in sorted(EMOTICONS, key=len, reverse=True))
    + r")(?![\w/])"
)
_SKIN_TONES_AND_JOINERS = dict.fromkeys(
    [*range(0x1F3FB, 0x1F400), 0xFE0F, 0xFE0E, 0x200D, 0x20E3], None
)


def is_emoji(char: str) -> bool:
    """Whether ``char`` is an emoji or pictographic symbol (Unicode category So, or above BMP)."""
    return unicodedata.category(char) == "So" or (ord(char) >= 0x1F000 and char.isprintable())


def strip_noise(text: str) -> str:
    """``text`` without links and @handles; a hashtag keeps its words ("#NietBlij": "Niet Blij")."""
    text = _URL_RE.sub(" ", text)
    text = _MENTION_RE.sub(" ", text)
    if "#" in text:
        text = _HASHTAG_RE.sub(lambda m: " " + _CAMEL_RE.sub(" ", m.group(1)) + " ", text)
    return text


def letter_count(text: str) -> int:
    """How many letters (of any script) ``text`` has."""
    return len(_LETTER_RE.findall(text))


def fold(text: str) -> str:
    """Lower-case and strip accents from Latin letters (``Één`` -> ``een``).

    Customers write "cafe" and "café", "reëel" and "reeel" alike. Only combining marks are
    dropped, so Arabic, Turkish dotless ı and Polish ł keep their letters.
    """
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean(text: str) -> str:
    """The text a classifier reads: capped, links and handles replaced by marker words,
    emoticons turned into emoji, skin tones and joiners dropped, folded.

    Links and handles become ``zzurl`` / ``zzmention`` rather than vanishing, because "a link
    and nothing else" means something different from an empty message.
    """
    text = text[:MAX_ANALYSED_CHARS]
    if "://" in text or "www." in text.lower():
        text = _URL_RE.sub(" zzurl ", text)
    if "@" in text:
        text = _MENTION_RE.sub(" zzmention ", text)
    if "#" in text:
        text = _HASHTAG_RE.sub(lambda m: " " + _CAMEL_RE.sub(" ", m.group(1)) + " ", text)
    if any(c in text for c in ":;()<-xX"):
        text = _EMOTICON_RE.sub(lambda m: " " + EMOTICONS[m.group(0)] + " ", text)
    if not text.isascii():
        text = text.translate(_SKIN_TONES_AND_JOINERS)
    return fold(text)
