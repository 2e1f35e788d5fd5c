"""Accuracy and macro-F1, the two figures every triage evaluation reports.

Macro-F1 averages the F1 of every class that occurs in the gold labels or the predictions, so a
model that never predicts the rare class (compliments, positive tweets) is not rewarded for
getting the common one right.
"""

from __future__ import annotations

from collections.abc import Sequence


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of predictions equal to the gold label (0.0 for no examples)."""
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean F1 over the classes present in ``gold`` or ``predicted``."""
    classes = sorted(set(gold) | set(predicted))
    if not classes:
        return 0.0
    scores = []
    for cls in classes:
        tp = sum(g == cls and p == cls for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != cls and p == cls for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == cls and p != cls for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """``{"n", "accuracy", "macro_f1"}`` rounded for reports."""
    return {
        "n": len(gold),
        "accuracy": round(accuracy(gold, predicted), 4),
        "macro_f1": round(macro_f1(gold, predicted), 4),
    }
