"""Sentiment of a customer message: ``negative``, ``neutral`` or ``positive``, with a score.

The model is the trained linear classifier in ``artefacts/sentiment.*`` (see
:mod:`webcare.enrichment.train` for its data and :mod:`webcare.enrichment.linear` for its
features). Labels follow ``docs/labelling/guidelines.md``: a reported fault is negative even
when politely worded, thanks are positive, a plain question is neutral.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcare.enrichment.pipeline import TriageModels, default_models

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """``score`` runs from -1 (surely negative) to +1 (surely positive)."""

    label: str
    score: float
    confidence: float


def analyse_sentiment(text: str, *, models: TriageModels | None = None) -> Sentiment:
    """The sentiment of one message; for many messages use ``pipeline.enrich_many``."""
    prediction = (models or default_models()).sentiment.predict(text)
    probs = prediction.probabilities
    score = probs.get("positive", 0.0) - probs.get("negative", 0.0)
    return Sentiment(prediction.label, round(score, 4), round(prediction.confidence, 4))
