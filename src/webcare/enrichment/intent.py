"""What a customer wants: ``question``, ``complaint``, ``compliment``, ``request`` or ``other``.

Definitions and precedence (request > question > complaint > compliment > other) are those of
``docs/labelling/guidelines.md``; the model is the trained linear classifier in
``artefacts/intent.*`` (see :mod:`webcare.enrichment.train`).
"""

from __future__ import annotations

from webcare.enrichment.linear import Prediction
from webcare.enrichment.pipeline import TriageModels, default_models

LABELS = ("question", "complaint", "compliment", "request", "other")


def classify_intent(text: str, *, models: TriageModels | None = None) -> Prediction:
    """The intent of one message, with the model's probability for each intent."""
    return (models or default_models()).intent.predict(text)
