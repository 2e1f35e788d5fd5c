"""``enrich``: language, sentiment, intent and personal data of one message, in one pass.

This is the pure core the enrichment job calls for each inbound message. It never raises on a
string, whatever the string (empty, emoji only, lone surrogates, 100,000 characters): models
read a capped, cleaned copy (:data:`webcare.enrichment.textprep.MAX_ANALYSED_CHARS`), and the
personal-data detectors have their own cap.

Sentiment and intent read the same hashed features, so a message is tokenised once, and both
models' weights sit side by side in one matrix (:class:`TriageModels`): one gather serves both.
Models are loaded once per process and directory (:func:`load_models`); a workspace with its
own trained models (``webcare train``) passes its artefact directory, and a retrained directory
is picked up because the cache key includes the artefacts' modification times.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from webcare.enrichment import language
from webcare.enrichment.linear import LinearModel, feature_index_batch, feature_indices
from webcare.enrichment.pii import (
    CustomerNumberPattern,
    PersonalDataFinding,
    detect_personal_data,
)
from webcare.enrichment.textprep import MAX_ANALYSED_CHARS

DEFAULT_ARTEFACTS = Path(__file__).resolve().parent / "artefacts"


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What triage knows about a message.

    ``sentiment_score`` runs from -1 (surely negative) to +1 (surely positive): the positive
    minus the negative probability, so it also ranks messages within a label. Confidences are
    the model's probability for the label given. ``versions`` names the model behind each field,
    so stored results can be recomputed when a model changes.
    """

    language: str
    language_confidence: float
    sentiment: str
    sentiment_score: float
    sentiment_confidence: float
    intent: str
    intent_confidence: float
    personal_data: tuple[PersonalDataFinding, ...]
    versions: Mapping[str, str]


@dataclass(frozen=True)
class TriageModels:
    """The sentiment and intent models of one artefact directory, weights side by side."""

    sentiment: LinearModel
    intent: LinearModel
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    versions: Mapping[str, str]

    @classmethod
    def from_models(cls, sentiment: LinearModel, intent: LinearModel) -> TriageModels:
        if sentiment.settings != intent.settings:
            raise ValueError("sentiment and intent models were trained on different features")
        return cls(
            sentiment,
            intent,
            np.ascontiguousarray(np.hstack([sentiment.weights, intent.weights])),
            np.concatenate([sentiment.bias, intent.bias]),
            {
                "language": language.VERSION,
                "sentiment": sentiment.version,
                "intent": intent.version,
            },
        )


_cache: dict[tuple[str, float], TriageModels] = {}
_cache_lock = threading.Lock()
_default: list[TriageModels] = []


def default_models() -> TriageModels:
    """The shipped models, loaded on first use and then kept (no file checks per message)."""
    if not _default:
        _default.append(load_models(DEFAULT_ARTEFACTS))
    return _default[0]


def load_models(directory: Path | None = None) -> TriageModels:
    """The models in ``directory`` (default: the shipped ones), cached per process.

    Each call checks the files' modification times, so call it once per batch, not per message.
    """
    directory = (directory or DEFAULT_ARTEFACTS).resolve()
    stamp = max(
        (directory / f"{task}{ext}").stat().st_mtime
        for task in ("sentiment", "intent")
        for ext in (".json", ".npz")
    )
    key = (str(directory), stamp)
    with _cache_lock:
        models = _cache.get(key)
        if models is None:
            models = TriageModels.from_models(
                LinearModel.load(directory, "sentiment"), LinearModel.load(directory, "intent")
            )
            for old in [k for k in _cache if k[0] == key[0]]:
                del _cache[old]
            _cache[key] = models
        return models


def _safe(text: str) -> str:
    """``text`` capped, with anything UTF-8 cannot carry (lone surrogates) replaced."""
    text = text[: MAX_ANALYSED_CHARS * 2]
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _softmax(z: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    e = np.exp(z - z.max())
    result: npt.NDArray[np.float32] = e / e.sum()
    return result


def _result(
    text: str,
    logits: npt.NDArray[np.float32],
    models: TriageModels,
    patterns: Sequence[CustomerNumberPattern],
) -> Enrichment:
    s_labels, i_labels = models.sentiment.labels, models.intent.labels
    ps = _softmax(logits[: len(s_labels)])
    pi = _softmax(logits[len(s_labels) :])
    s_best, i_best = int(ps.argmax()), int(pi.argmax())
    prob = dict(zip(s_labels, ps.tolist(), strict=True))
    lang = language.detect_language(text)
    return Enrichment(
        language=lang.code,
        language_confidence=round(lang.confidence, 4),
        sentiment=s_labels[s_best],
        sentiment_score=round(prob.get("positive", 0.0) - prob.get("negative", 0.0), 4),
        sentiment_confidence=round(float(ps[s_best]), 4),
        intent=i_labels[i_best],
        intent_confidence=round(float(pi[i_best]), 4),
        personal_data=tuple(detect_personal_data(text, customer_number_patterns=patterns)),
        versions=models.versions,
    )


def enrich(
    text: str,
    *,
    customer_patterns: Sequence[CustomerNumberPattern] = (),
    models: TriageModels | None = None,
) -> Enrichment:
    """Everything triage knows about one message (see :class:`Enrichment`)."""
    models = models or default_models()
    safe = _safe(text)
    idx = feature_indices(safe, models.sentiment.settings)
    logits = models.weights[idx].sum(axis=0) * np.float32(1.0 / math.sqrt(len(idx))) + models.bias
    return _result(_pii_text(text, safe), logits, models, customer_patterns)


def enrich_many(
    texts: Sequence[str],
    *,
    customer_patterns: Sequence[CustomerNumberPattern] = (),
    models: TriageModels | None = None,
) -> list[Enrichment]:
    """:func:`enrich` for many messages, with one weight gather for the whole batch."""
    if not texts:
        return []
    models = models or default_models()
    safe = [_safe(t) for t in texts]
    flat, lengths = feature_index_batch(safe, models.sentiment.settings)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sums = np.add.reduceat(models.weights[flat], starts, axis=0)
    logits = sums / np.sqrt(lengths)[:, None].astype(np.float32) + models.bias
    return [
        _result(_pii_text(text, s), row, models, customer_patterns)
        for text, s, row in zip(texts, safe, logits.astype(np.float32), strict=True)
    ]


def _pii_text(original: str, safe: str) -> str:
    """Personal data is looked for in the whole message (the detectors cap it themselves), so
    a phone number at the end of a long e-mail is still found; surrogates are replaced."""
    if len(original) <= len(safe):
        return safe
    if original.isascii():
        return original
    return original.encode("utf-8", "replace").decode("utf-8")
