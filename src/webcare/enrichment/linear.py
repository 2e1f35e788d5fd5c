"""A small, fast linear text classifier: hashed features and multinomial logistic weights.

Why not a library pipeline? Inference has to run thousands of messages a second on one core,
inside any process (web, worker, benchmark), without scikit-learn. So features are hashed here
with a fixed, documented hash (CRC-32 for words, a multiplicative hash for character n-grams),
and a model is just a weight matrix ``W[bucket, class]`` and a bias, stored as numpy arrays.
Training (:mod:`webcare.enrichment.train`) fits those weights with scikit-learn on exactly the
features computed here, so training and inference cannot drift apart.

Features of a message (after :func:`webcare.enrichment.textprep.clean`):

- word unigrams and bigrams; a word after a negator ("niet", "geen", "nooit", "not", "no",
  "never", "n't" …) and before the next punctuation is marked ``!word``, so "niet blij" and
  "blij" teach different things;
- ``?`` and ``!`` as tokens, and every emoji as a token of its own;
- one ``zzlexpos`` / ``zzlexneg`` token (``!``-marked when negated) per word found in the
  sentiment word lists (:class:`Lexicon`: Pattern's Dutch adjectives, VADER's English words).
  These two features are shared by both languages, so what English tweets teach about
  "a negative word" also helps with Dutch words the labelled Dutch messages never contained;
- character 3- to 5-grams of the words joined by spaces (so word starts and ends show), which
  carry typos, Flemish spelling and Dutch compounds ("internetstoring") to words seen in
  training.

All features of a message have the same value ``1/sqrt(n)``, so long and short messages give
logits of similar size.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from webcare.enrichment.textprep import clean, is_emoji

FEATURES_VERSION = "f2"
LEXICON_FILE = Path(__file__).resolve().parent / "artefacts" / "lexicon.json"
POSITIVE_WORD, NEGATIVE_WORD = "zzlexpos", "zzlexneg"

NEGATORS = frozenset(
    {
        # Dutch
        "niet", "geen", "nooit", "niets", "niks", "nergens", "noch", "zonder",
        # English (contractions are split into "not" first)
        "not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot",
    }
)  # fmt: skip
_NEGATION_SCOPE = 3
_NT_RE = re.compile(r"n[’']t\b")
_TOKEN_RE = re.compile(r"[^\W_]+(?:[’'][^\W\d_]+)?|[?!]|[^\w\s]", re.UNICODE)
_MULT = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(1_000_003)
#: Stands for "no features" in a batch (see :func:`feature_index_batch`); maps to bucket 0.
_EMPTY_MARK = np.array([np.iinfo(np.uint64).max], dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Folded words that signal a positive or a negative feeling (``artefacts/lexicon.json``)."""

    positive: frozenset[str] = frozenset()
    negative: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path = LEXICON_FILE) -> Lexicon:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(frozenset(data["positive"]), frozenset(data["negative"]))

    def save(self, path: Path) -> None:
        data = {"positive": sorted(self.positive), "negative": sorted(self.negative)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")

    def tokens(self, toks: Sequence[str]) -> list[str]:
        """A marker token for every listed word in ``toks`` (negated words keep their ``!``)."""
        out = []
        for tok in toks:
            neg = tok[0] == "!"
            word = tok[1:] if neg else tok
            if word in self.negative:
                out.append("!" + NEGATIVE_WORD if neg else NEGATIVE_WORD)
            elif word in self.positive:
                out.append("!" + POSITIVE_WORD if neg else POSITIVE_WORD)
        return out


_lexicon: list[Lexicon] = []


def lexicon() -> Lexicon:
    """The shipped word lists, read once per process."""
    if not _lexicon:
        _lexicon.append(Lexicon.load())
    return _lexicon[0]


def use_lexicon(words: Lexicon) -> None:
    """Make ``words`` the lexicon of this process (training builds it before it writes it)."""
    _lexicon[:] = [words]


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """How text becomes feature indices; stored with every model so a model and its features
    always match."""

    bucket_bits: int = 18
    char_ngrams: tuple[int, ...] = (3, 4, 5)
    #: How many times a word-list token counts: a word list's verdict should weigh more than
    #: any single n-gram of a word the labelled data never contained.
    lexicon_weight: int = 3
    version: str = FEATURES_VERSION

    @property
    def buckets(self) -> int:
        return 1 << self.bucket_bits

    def to_json(self) -> dict[str, Any]:
        return {
            "bucket_bits": self.bucket_bits,
            "char_ngrams": list(self.char_ngrams),
            "lexicon_weight": self.lexicon_weight,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSettings:
        return cls(
            bucket_bits=int(data["bucket_bits"]),
            char_ngrams=tuple(int(n) for n in data["char_ngrams"]),
            lexicon_weight=int(data.get("lexicon_weight", 1)),
            version=str(data["version"]),
        )


def tokens(text: str) -> list[str]:
    """The word, punctuation and emoji tokens of a cleaned text, with negation marks."""
    text = _NT_RE.sub(" not", text)
    out: list[str] = []
    negated = 0
    for tok in _TOKEN_RE.findall(text):
        if tok[0].isalnum():
            if negated:
                out.append("!" + tok)
                negated -= 1
            else:
                out.append(tok)
            if tok in NEGATORS:
                negated = _NEGATION_SCOPE
        elif tok in "?!":
            out.append(tok)
            negated = 0
        elif is_emoji(tok):
            out.append(tok)
        else:
            negated = 0  # other punctuation ends a negation's scope
    return out


def _word_hashes(toks: Sequence[str]) -> list[int]:
    crc = zlib.crc32
    hashes = [crc(t.encode("utf-8", "surrogatepass")) for t in toks]
    hashes.extend(
        crc(f"{a} {b}".encode("utf-8", "surrogatepass")) for a, b in itertools.pairwise(toks)
    )
    return hashes


def _char_grams(codes: npt.NDArray[np.uint64], n: int) -> npt.NDArray[np.uint64]:
    """Hashes of every ``n``-gram of the code points ``codes``, vectorised: a polynomial hash of
    the code points, plus ``n`` so that sizes differ."""
    h = codes[: len(codes) - n + 1].copy()
    for k in range(1, n):
        h *= _PRIME
        h += codes[k : len(codes) - n + 1 + k]
    h += np.uint64(n)
    return h


def _word_part(text: str, settings: FeatureSettings) -> tuple[list[int], str]:
    """Word, bigram and word-list hashes of ``text``, and its words joined for char n-grams."""
    toks = tokens(clean(text))
    words = [t.lstrip("!") for t in toks if t[0].isalnum() or (t[0] == "!" and len(t) > 1)]
    hashes = _word_hashes(toks)
    for marker in lexicon().tokens(toks):
        hashes.extend([zlib.crc32(marker.encode())] * settings.lexicon_weight)
    return hashes, (" " + " ".join(words) + " " if words else "")


def feature_indices(text: str, settings: FeatureSettings) -> npt.NDArray[np.intp]:
    """The hashed feature indices of ``text`` (a raw message), duplicates kept; a text with
    nothing to read gets bucket 0."""
    return feature_index_batch([text], settings)[0]


def feature_index_batch(
    texts: Sequence[str], settings: FeatureSettings
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """:func:`feature_indices` of many texts at once: all indices end to end, and how many
    belong to each text (the same indices, in the same order, as one call per text).

    Character n-grams are hashed over all texts' words in one pass, which saves the per-call
    cost of a dozen numpy operations per message.
    """
    parts = [_word_part(text, settings) for text in texts]
    joined = "".join(words for _, words in parts)
    encoded = joined.encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(encoded, dtype=np.uint32).astype(np.uint64)
    grams = {n: _char_grams(codes, n) for n in settings.char_ngrams if len(codes) >= n}
    pieces: list[npt.NDArray[np.uint64]] = []
    lengths: list[int] = []
    start = 0
    for hashes, words in parts:
        end = start + len(words)
        count = len(hashes)
        pieces.append(np.array(hashes, dtype=np.uint64))
        for n in settings.char_ngrams:
            if end - start >= n:
                pieces.append(grams[n][start : end - n + 1])
                count += end - start - n + 1
        if not count:
            pieces.append(_EMPTY_MARK)
            count = 1
        lengths.append(count)
        start = end
    flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)
    mixed = ((flat * _MULT) >> np.uint64(64 - settings.bucket_bits)).astype(np.intp)
    mixed[flat == _EMPTY_MARK[0]] = 0
    return mixed, np.array(lengths, dtype=np.intp)


@dataclass(frozen=True, slots=True)
class Prediction:
    """A class label with the model's probability for it."""

    label: str
    confidence: float
    probabilities: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LinearModel:
    """Multinomial logistic regression over hashed features.

    ``weights`` has shape ``(buckets, classes)`` and is float32 in memory (stored as float16).
    """

    name: str
    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    settings: FeatureSettings
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unknown"))

    def logits(self, indices: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        scale = np.float32(1.0 / math.sqrt(len(indices)))
        result: npt.NDArray[np.float32] = self.weights[indices].sum(axis=0) * scale + self.bias
        return result

    def predict_indices(self, indices: npt.NDArray[np.intp]) -> Prediction:
        z = self.logits(indices)
        z = np.exp(z - z.max())
        p = z / z.sum()
        best = int(p.argmax())
        probs = {label: float(v) for label, v in zip(self.labels, p.tolist(), strict=True)}
        return Prediction(self.labels[best], float(p[best]), probs)

    def predict(self, text: str) -> Prediction:
        return self.predict_indices(feature_indices(text, self.settings))

    def save(self, directory: Path) -> None:
        """Write ``<name>.npz`` (float16 weights, compressed) and ``<name>.json``."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / f"{self.name}.npz",
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
        )
        meta = {**self.meta, "labels": list(self.labels), "features": self.settings.to_json()}
        (directory / f"{self.name}.json").write_text(
            json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, name: str) -> LinearModel:
        meta = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        with np.load(directory / f"{name}.npz") as arrays:
            weights = arrays["weights"].astype(np.float32)
            bias = arrays["bias"].astype(np.float32)
        settings = FeatureSettings.from_json(meta["features"])
        labels = tuple(str(label) for label in meta["labels"])
        if weights.shape != (settings.buckets, len(labels)) or bias.shape != (len(labels),):
            raise ValueError(f"artefact {name} in {directory} does not match its metadata")
        return cls(name, labels, weights, bias, settings, meta)
