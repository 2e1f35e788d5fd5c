"""Train the sentiment and intent models: ``python -m webcare.enrichment.train``.

The artefacts in ``enrichment/artefacts/`` are the output of this script and nothing else;
``make install`` runs it with ``--if-missing``. Everything is deterministic (fixed seed, sorted
inputs, a deterministic solver), so the same data gives the same weights.

**Data** (all in the repository under ``data/triage/``, so training needs nothing else):

- ``labels/nl-orange.jsonl`` and ``labels/en-twcs.jsonl``: Dutch (Orange Belgium) and English
  (TWCS) webcare messages labelled with sentiment and intent by ``docs/labelling/guidelines.md``.
- ``tweeteval/sentiment/``: English tweets with sentiment labels (see its ``SOURCE.md``).
- ``lexicons/``: Dutch and English sentiment word lists (see its ``SOURCE.md``), turned into
  ``artefacts/lexicon.json`` here and used as two shared features by both models.
- ``seed/handwritten.jsonl``: a few dozen short texts written by us for what the corpora
  barely hold (empty, link-only and emoji-only messages, bare "Ok"/"Bedankt!", spam, common
  request phrasings); always training data, never evaluated.

**Split** (documented, fixed): a webcare message is *test* when its thread is listed in
``labels/splits.json`` (``test_threads``; whole threads are held out, so no reply leaks its
conversation into training); without that file, a thread is test when the first byte of
SHA-256 of its id is below 20 % of 256. TweetEval's ``val`` file is held out; its ``test`` file
trains. :func:`load_base_data` returns the training part, :func:`load_held_out_data` the rest.

**Weighting**: webcare messages weigh :data:`WEBCARE_WEIGHT`, tweets :data:`TWEET_WEIGHT`
(they teach general English sentiment vocabulary, but webcare's own rules, such as "a reported
fault is negative", must win), and within each task classes are balanced so macro-F1 and the
rare classes (compliments, positive messages) are not sacrificed to the majority.

scikit-learn is needed here only; inference (:mod:`webcare.enrichment.linear`) is numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from webcare.enrichment.linear import (
    FeatureSettings,
    Lexicon,
    LinearModel,
    feature_indices,
    tokens,
    use_lexicon,
)
from webcare.enrichment.metrics import scores
from webcare.enrichment.textprep import clean

SEED = 20261123
REPO_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = REPO_ROOT / "data" / "triage"
ARTEFACTS_DIR = Path(__file__).resolve().parent / "artefacts"
TASKS = ("sentiment", "intent")
SENTIMENTS = ("negative", "neutral", "positive")
INTENTS = ("complaint", "compliment", "other", "question", "request")
LABEL_FILES = ("nl-orange.jsonl", "en-twcs.jsonl")
SEED_FILE = "seed/handwritten.jsonl"
TEST_SHARE_WITHOUT_SPLITS = 0.2
WEBCARE_WEIGHT = 1.0
TWEET_WEIGHT = 0.25
CORRECTION_WEIGHT = 5.0
#: Inverse regularisation strength of the logistic regression (chosen on a development split
#: of the training threads; see data/triage/README.md).
C = {"sentiment": 4.0, "intent": 8.0}


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text for one task."""

    text: str
    label: str
    lang: str
    source: str
    thread: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class TrainingData:
    """Examples per task, and the SHA-256 of every file they came from (for the artefact)."""

    examples: dict[str, list[Example]]
    hashes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Correction:
    """A team member's label for a message: "this is a ``complaint``, not a ``question``"."""

    text: str
    task: str
    label: str


LEXICON_FILES = ("nl-pattern.tsv", "en-vader.tsv")
NL_LEXICON_MIN_POLARITY = 0.3
EN_LEXICON_MIN_VALENCE = 1.0


def build_lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """The positive and negative words of ``lexicons/*.tsv`` past their thresholds, folded."""
    positive: set[str] = set()
    negative: set[str] = set()
    thresholds = (NL_LEXICON_MIN_POLARITY, EN_LEXICON_MIN_VALENCE)
    for name, threshold in zip(LEXICON_FILES, thresholds, strict=True):
        path = data_dir / "lexicons" / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, value = line.partition("\t")
            toks = tokens(clean(word))
            if len(toks) != 1 or not toks[0][0].isalnum():
                continue  # emoticons and phrases: emoji tokens and bigrams cover them
            forms = {toks[0]}
            if name.startswith("nl") and toks[0][-1] not in "aeiou":
                # Dutch adjectives inflect: slecht -> slechte, snel -> snelle.
                forms |= {toks[0] + "e", toks[0] + toks[0][-1] + "e"}
            if float(value) >= threshold:
                positive |= forms
            elif float(value) <= -threshold:
                negative |= forms
    return Lexicon(frozenset(positive - negative), frozenset(negative - positive))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def held_out_threads(data_dir: Path = DATA_DIR) -> frozenset[str]:
    """The held-out threads named in ``labels/splits.json`` (empty if it does not exist)."""
    path = data_dir / "labels" / "splits.json"
    if not path.exists():
        return frozenset()
    return frozenset(str(t) for t in json.loads(path.read_text(encoding="utf-8"))["test_threads"])


def is_test_thread(thread: str, listed: frozenset[str]) -> bool:
    """Whether a webcare thread is held out (see the module docstring for the rule)."""
    if listed:
        return thread in listed
    return hashlib.sha256(thread.encode()).digest()[0] < 256 * TEST_SHARE_WITHOUT_SPLITS


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _webcare_rows(data_dir: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    rows: list[dict[str, Any]] = []
    hashes: dict[str, str] = {}
    for name in LABEL_FILES:
        path = data_dir / "labels" / name
        if not path.exists():
            continue
        hashes[f"labels/{name}"] = _sha256(path)
        rows.extend(_read_jsonl(path))
    splits = data_dir / "labels" / "splits.json"
    if splits.exists():
        hashes["labels/splits.json"] = _sha256(splits)
    return rows, hashes


def _tweets(data_dir: Path, part: str) -> tuple[list[Example], dict[str, str]]:
    folder = data_dir / "tweeteval" / "sentiment"
    text_path, label_path = folder / f"{part}_text.txt", folder / f"{part}_labels.txt"
    if not text_path.exists():
        return [], {}
    texts = text_path.read_text(encoding="utf-8").splitlines()
    labels = label_path.read_text(encoding="utf-8").split()
    examples = [
        Example(text, SENTIMENTS[int(label)], "en", "tweeteval", weight=TWEET_WEIGHT)
        for text, label in zip(texts, labels, strict=True)
    ]
    hashes = {
        f"tweeteval/sentiment/{part}_text.txt": _sha256(text_path),
        f"tweeteval/sentiment/{part}_labels.txt": _sha256(label_path),
    }
    return examples, hashes


def _load(data_dir: Path, *, test: bool) -> TrainingData:
    rows, hashes = _webcare_rows(data_dir)
    listed = held_out_threads(data_dir)
    examples: dict[str, list[Example]] = {task: [] for task in TASKS}
    if not test:
        for name in LEXICON_FILES:
            if (data_dir / "lexicons" / name).exists():
                hashes[f"lexicons/{name}"] = _sha256(data_dir / "lexicons" / name)
    seed_path = data_dir / SEED_FILE
    if seed_path.exists() and not test:
        hashes[SEED_FILE] = _sha256(seed_path)
        rows = [*rows, *_read_jsonl(seed_path)]
    for row in rows:
        thread = str(row.get("thread") or row["id"])
        if row.get("source") != "handwritten" and is_test_thread(thread, listed) != test:
            continue
        for task, allowed in (("sentiment", SENTIMENTS), ("intent", INTENTS)):
            label = row.get(task)
            if label in allowed:
                examples[task].append(
                    Example(
                        str(row["text"]),
                        str(label),
                        str(row.get("lang", "")),
                        str(row.get("source", "webcare")),
                        thread,
                        WEBCARE_WEIGHT,
                    )
                )
    tweets, tweet_hashes = _tweets(data_dir, "val" if test else "test")
    examples["sentiment"].extend(tweets)
    return TrainingData(examples, {**hashes, **tweet_hashes})


def load_base_data(data_dir: Path = DATA_DIR) -> TrainingData:
    """The training split of every data set (what the shipped models learn from)."""
    return _load(data_dir, test=False)


def load_held_out_data(data_dir: Path = DATA_DIR) -> TrainingData:
    """The held-out split: test threads of the webcare labels and TweetEval's ``val`` tweets."""
    return _load(data_dir, test=True)


def _matrix(texts: Sequence[str], settings: FeatureSettings) -> Any:
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    indptr = [0]
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for text in texts:
        idx = feature_indices(text, settings)
        indices.append(idx)
        values.append(np.full(len(idx), 1.0 / np.sqrt(len(idx)), dtype=np.float64))
        indptr.append(indptr[-1] + len(idx))
    matrix = csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.array(indptr)),
        shape=(len(texts), settings.buckets),
    )
    matrix.sum_duplicates()
    return matrix


def fit(
    task: str,
    examples: Sequence[Example],
    *,
    settings: FeatureSettings | None = None,
    c: float | None = None,
    hashes: dict[str, str] | None = None,
    extra_meta: dict[str, Any] | None = None,
) -> LinearModel:
    """A :class:`LinearModel` for ``task`` fitted on ``examples`` (class-balanced, weighted)."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    settings = settings or FeatureSettings()
    if len({e.label for e in examples}) < 2:
        raise ValueError(f"{task}: training needs examples of at least two classes")
    counts = Counter(e.label for e in examples)
    balance = {label: len(examples) / (len(counts) * n) for label, n in counts.items()}
    weights = np.array([e.weight * balance[e.label] for e in examples])
    matrix = _matrix([e.text for e in examples], settings)
    model = LogisticRegression(C=c or C.get(task, 4.0), max_iter=1000, tol=1e-4, random_state=SEED)
    model.fit(matrix, [e.label for e in examples], sample_weight=weights)
    labels = tuple(str(label) for label in model.classes_)
    coef = np.asarray(model.coef_, dtype=np.float32)
    intercept = np.asarray(model.intercept_, dtype=np.float32)
    if len(labels) == 2:  # binary: scikit-learn keeps one row; make it a two-class softmax
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    digest = hashlib.sha256(json.dumps(sorted((hashes or {}).items())).encode())
    digest.update(np.asarray(coef, dtype=np.float16).tobytes())
    meta = {
        "task": task,
        "version": f"{task}-{settings.version}-{digest.hexdigest()[:10]}",
        "seed": SEED,
        "c": c or C.get(task, 4.0),
        "training_examples": dict(
            sorted(Counter(f"{e.source}:{e.label}" for e in examples).items())
        ),
        "training_data_sha256": dict(sorted((hashes or {}).items())),
        **(extra_meta or {}),
    }
    return LinearModel(task, labels, np.ascontiguousarray(coef.T), intercept, settings, meta)


def train(data: TrainingData, *, settings: FeatureSettings | None = None) -> dict[str, LinearModel]:
    """Both models from ``data``."""
    return {
        task: fit(task, data.examples[task], settings=settings, hashes=data.hashes)
        for task in TASKS
    }


def evaluate_model(model: LinearModel, examples: Sequence[Example]) -> dict[str, float]:
    """Accuracy and macro-F1 of ``model`` on ``examples``."""
    predicted = [model.predict(e.text).label for e in examples]
    return scores([e.label for e in examples], predicted)


@dataclass(frozen=True)
class WorkspaceTraining:
    """A workspace's retrained models and, per task, figures on its held-out corrections
    before (the models it used until now) and after (base data + the other corrections)."""

    models: dict[str, LinearModel]
    report: dict[str, dict[str, Any]]


def train_for_workspace(
    base: TrainingData,
    corrections: Sequence[Correction],
    *,
    current: Mapping[str, LinearModel],
    holdout_share: float = 0.2,
    settings: FeatureSettings | None = None,
) -> WorkspaceTraining:
    """Retrain with a workspace's corrections weighted up (:data:`CORRECTION_WEIGHT`).

    A fixed share of the corrections (chosen by a hash of their text, so the same corrections
    always split the same way) is held out to measure ``current`` against a model trained
    without it; the returned models are then trained on all corrections. A task without
    corrections keeps its current model.
    """
    models: dict[str, LinearModel] = {}
    report: dict[str, dict[str, Any]] = {}
    for task in TASKS:
        allowed = SENTIMENTS if task == "sentiment" else INTENTS
        mine = [c for c in corrections if c.task == task and c.label in allowed]
        if not mine:
            models[task] = current[task]
            continue
        as_examples = [
            Example(c.text, c.label, "", "correction", weight=CORRECTION_WEIGHT) for c in mine
        ]
        held = [
            e
            for e in as_examples
            if hashlib.sha256(e.text.encode()).digest()[0] < 256 * holdout_share
        ]
        kept = [e for e in as_examples if e not in held]
        entry: dict[str, Any] = {"corrections": len(mine), "held_out": len(held)}
        if held and kept:
            trial = fit(task, [*base.examples[task], *kept], settings=settings)
            entry["before"] = evaluate_model(current[task], held)
            entry["after"] = evaluate_model(trial, held)
        models[task] = fit(
            task,
            [*base.examples[task], *as_examples],
            settings=settings,
            hashes=base.hashes,
            extra_meta={"workspace_corrections": len(mine)},
        )
        report[task] = entry
    return WorkspaceTraining(models, report)


DEV_SHARE = 0.25


def development_split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """Training examples split for choosing hyper-parameters: a quarter of the webcare
    *training* threads (by a hash of ``"dev" + thread``) is the development set; tweets and
    hand-written examples always train. The test threads are never involved."""
    dev = [
        e
        for e in examples
        if e.source not in ("tweeteval", "handwritten")
        and hashlib.sha256(("dev" + e.thread).encode()).digest()[0] < 256 * DEV_SHARE
    ]
    chosen = {id(e) for e in dev}
    return [e for e in examples if id(e) not in chosen], dev


def tune(data: TrainingData, task: str, values: Sequence[float]) -> None:
    """Print development-set figures per language for each value of C."""
    train_part, dev = development_split(data.examples[task])
    for c in values:
        model = fit(task, train_part, c=c)
        figures = {
            lang: evaluate_model(model, [e for e in dev if e.lang == lang]) for lang in ("nl", "en")
        }
        print(json.dumps({"task": task, "c": c, "dev": figures}))


def save_models(models: Mapping[str, LinearModel], directory: Path) -> None:
    """Write models where :func:`webcare.enrichment.pipeline.load_models` finds them (a
    workspace's own directory, for example). The word lists stay shared: features always use
    the shipped ``lexicon.json``."""
    for model in models.values():
        model.save(directory)


def artefacts_present(directory: Path = ARTEFACTS_DIR) -> bool:
    models = all((directory / f"{t}{ext}").exists() for t in TASKS for ext in (".npz", ".json"))
    return models and (directory / "lexicon.json").exists()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=ARTEFACTS_DIR)
    parser.add_argument(
        "--if-missing", action="store_true", help="do nothing when the artefacts exist"
    )
    parser.add_argument(
        "--tune",
        metavar="TASK",
        choices=TASKS,
        help="print development-split figures for --c values instead of training",
    )
    parser.add_argument("--c", type=float, action="append", help="C values for --tune")
    args = parser.parse_args(argv)
    if args.tune:
        tune(load_base_data(args.data_dir), args.tune, args.c or [C[args.tune]])
        return 0
    if args.if_missing and artefacts_present(args.out):
        print(f"triage models present in {args.out}")
        return 0
    data = load_base_data(args.data_dir)
    if not data.examples["intent"]:
        print(f"no labelled data in {args.data_dir}; nothing trained", file=sys.stderr)
        return 1
    words = build_lexicon(args.data_dir)
    use_lexicon(words)
    words.save(args.out / "lexicon.json")
    print(f"lexicon: {len(words.positive)} positive, {len(words.negative)} negative words")
    for task, model in train(data).items():
        model.save(args.out)
        print(
            f"{task}: {model.version} from {sum(model.meta['training_examples'].values())} examples"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
