"""Which language a customer wrote in, or ``und`` when the text is too short to tell.

``py3langid`` (a naive Bayes model over byte n-grams, 97 languages) is restricted to the
languages Dutch and Belgian brands actually hear from their customers (:data:`LANGUAGES`):
on a four-word tweet the full model happily answers Xhosa or Luxembourgish. Before detection,
links, @handles, hashtag marks and emoji are stripped (a Dutch tweet that tags ``@AppleSupport``
is still Dutch). The answer is ``und`` (ISO 639 "undetermined") when fewer than
:data:`MIN_LETTERS` letters remain or the best language is less than :data:`MIN_CONFIDENCE`
likely. Mixed-language text gets the language most of its words are in.

Most messages are plainly Dutch or English, and py3langid walks its byte automaton in Python
(~50 µs per 100 characters). So a fast path comes first: a vote of function words
(:data:`FUNCTION_WORDS`, words that are frequent in one language and rare in the others). When
one language has at least :data:`FAST_MIN_HITS` votes, three times as many as any other and
covers a quarter of the words, it is the answer; anything less clear-cut (mixed language, short
text, other languages) goes to py3langid. On the labelled Orange and TWCS messages the fast path
decides almost half of the messages and agrees with py3langid on them (see the tests).

The probabilities are weighted by a prior (:data:`PRIOR`): among equally plausible readings of
a short message, Dutch or English is the likelier truth for a Dutch or Belgian brand. A long
message's evidence outweighs the prior by far.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

from webcare.enrichment.textprep import letter_count, strip_noise

UNDETERMINED = "und"
#: Dutch, English, and the other languages common among Dutch and Belgian customers.
LANGUAGES = ("nl", "en", "fr", "de", "tr", "ar", "pl", "es", "it", "pt", "ro", "bg", "ru", "uk")
#: Relative prior weight per language (others 1.0).
PRIOR = {"nl": 4.0, "en": 3.0, "fr": 1.5, "de": 1.5}
MIN_LETTERS = 4
MIN_CONFIDENCE = 0.6
#: Detection reads at most this much of the cleaned text; the language does not change later on.
MAX_CHARS = 300
VERSION = "py3langid-restricted-2"
FAST_MIN_HITS = 3


def _vocab(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Frequent words that are rare in the other listed languages (after lower-casing).
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "nl": _vocab(
        "het een ik niet jullie mijn wij zijn wordt worden heb hebben nog geen dat deze dit"
        " voor met maar ook bij naar wat waarom hoe wanneer kan kunnen zou moet ben bent"
        " hier daar toch wel graag alvast bedankt heel echt van op uit nooit meer"
    ),
    "en": _vocab(
        "the and my you your are were have has not this that with for of it can could"
        " would why what when how please thanks thank our they but just been be does"
        " don't didn't can't won't from any there"
    ),
    "de": _vocab(
        "ich nicht und der das ist mit für mein meine sie wir auch kein keine bitte danke"
        " warum aber schon habe haben sind"
    ),
    "fr": _vocab(
        "je pas est et les pour mon vous nous une des avec merci mais sur cette depuis toujours"
    ),
}
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """An ISO 639-1 code (or ``und``) and its probability among :data:`LANGUAGES`."""

    code: str
    confidence: float


_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _model() -> LanguageIdentifier:
    """The restricted identifier, loaded once per process (the model takes ~0.5 s to load)."""
    global _identifier
    with _lock:
        if _identifier is None:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(LANGUAGES))
            _identifier = identifier
        return _identifier


def detect_language(text: str) -> LanguageGuess:
    """The language of ``text``; never raises, ``und`` for empty, emoji-only or tiny texts."""
    words = strip_noise(text[: MAX_CHARS * 4])[:MAX_CHARS]
    if letter_count(words) < MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0)
    fast = _function_word_vote(words)
    if fast is not None:
        return fast
    ranked = [(str(code), float(p) * PRIOR.get(code, 1.0)) for code, p in _model().rank(words)]
    total = sum(p for _, p in ranked)
    code, best = max(ranked, key=lambda pair: pair[1])
    confidence = best / total if total > 0.0 else 0.0
    if confidence < MIN_CONFIDENCE:
        return LanguageGuess(UNDETERMINED, confidence)
    return LanguageGuess(code, confidence)


def _function_word_vote(text: str) -> LanguageGuess | None:
    """The language of a clearly Dutch, English, German or French text, else ``None``."""
    words = _WORD_RE.findall(text.lower())
    if len(words) < FAST_MIN_HITS:
        return None
    votes = sorted(
        ((sum(w in vocab for w in words), code) for code, vocab in FUNCTION_WORDS.items()),
        reverse=True,
    )
    (best, code), (second, _) = votes[0], votes[1]
    if best >= FAST_MIN_HITS and best >= 3 * second and 4 * best >= len(words):
        return LanguageGuess(code, round(1.0 - (second + 1) / (best + 2), 4))
    return None
