"""Words of hits for a word cloud and for a spike's "what is this about": pure code.

Words are the listening tokens (:func:`query.text.split`), lower-cased, without URLs,
@handles, numbers, one-letter words and the Dutch and English stop words below (the
function words that top every count and say nothing). Hashtags are kept with their ``#``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from webcare.listening.query.text import is_url, split


def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS_EN = _word_list(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    i'm it's don't can't didn't isn't i've you're they're we're that's there's get got also
    still really via amp rt"""
)

STOP_WORDS_NL = _word_list(
    """aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus
    een eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets
    ik in is ja je jij jou jouw jullie kan kon kunnen maar me meer men met mij mijn moet na naar
    niet niets nog nu of om omdat onder ons ook op over reeds te tegen toch toen tot u uit uw van
    veel voor want waren was wat we wel werd wezen wie wil worden wordt zal ze zei zelf zich zij
    zijn zo zonder zou zoals nee hoor even gewoon echt heel weer wel nou dus weet gaat gaan
    graag mee al ben bent jullie ze m'n z'n d'r 't 'n"""
)

STOP_WORDS = STOP_WORDS_EN | STOP_WORDS_NL


def words(text: str) -> list[str]:
    """The countable words of ``text`` (see the module doc)."""
    found = []
    for token in split(text):
        if is_url(token) or token.startswith("@"):
            continue
        word = token.lower()
        bare = word.lstrip("#")
        if len(bare) < 2 or bare.isdigit() or word in STOP_WORDS:
            continue
        found.append(word)
    return found


def count(texts: Iterable[str]) -> Counter[str]:
    """How many of ``texts`` use each word (a word counts once per text)."""
    counter: Counter[str] = Counter()
    for text in texts:
        counter.update(set(words(text)))
    return counter


def over_represented(
    window: Counter[str], window_size: int, baseline: Counter[str], baseline_size: int, top: int
) -> list[str]:
    """Words far more common in the window than in the baseline, most telling first.

    Scored by the log ratio of their document frequencies with add-one smoothing, weighted
    by how often they occur in the window, so a word in one spike item is not "top".
    """
    if window_size == 0:
        return []
    scored = []
    for word, n in window.items():
        if n < 2 and window_size > 2:
            continue
        here = (n + 1) / (window_size + 2)
        before = (baseline.get(word, 0) + 1) / (baseline_size + 2)
        if here <= before:
            continue
        scored.append((math.log(here / before) * n, word))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [word for _score, word in scored[:top]]
