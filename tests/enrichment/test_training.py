"""Training is reproducible, and a workspace's corrections change what its own model says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from webcare.enrichment.evaluate import main as evaluate_main
from webcare.enrichment.linear import FeatureSettings, LinearModel
from webcare.enrichment.pipeline import enrich, load_models
from webcare.enrichment.train import (
    Correction,
    Example,
    TrainingData,
    fit,
    load_base_data,
    load_held_out_data,
    save_models,
    train_for_workspace,
)

SMALL = FeatureSettings(bucket_bits=12)

SENTIMENT = [
    ("bedankt voor de hulp", "positive"),
    ("super service, top!", "positive"),
    ("thanks, great help", "positive"),
    ("geen internet, slecht", "negative"),
    ("waardeloze service", "negative"),
    ("terrible, still broken", "negative"),
    ("wat kost een simkaart", "neutral"),
    ("how much is roaming", "neutral"),
]
INTENT = [
    ("is er een storing?", "question"),
    ("how much is roaming?", "question"),
    ("al dagen geen internet, slecht", "complaint"),
    ("terrible, still broken", "complaint"),
    ("bedankt voor de hulp", "compliment"),
    ("thanks, great help", "compliment"),
    ("kunnen jullie me terugbellen", "request"),
    ("please cancel my order", "request"),
    ("haha ik ook", "other"),
    ("win a free phone", "other"),
]


def base() -> TrainingData:
    return TrainingData(
        {
            "sentiment": [Example(t, label, "", "test") for t, label in SENTIMENT],
            "intent": [Example(t, label, "", "test") for t, label in INTENT],
        }
    )


def test_a_tiny_model_learns_its_examples_and_training_is_deterministic(tmp_path) -> None:
    first = fit("sentiment", base().examples["sentiment"], settings=SMALL)
    second = fit("sentiment", base().examples["sentiment"], settings=SMALL)
    assert np.array_equal(first.weights, second.weights)
    assert first.version == second.version
    assert first.predict("bedankt voor de hulp").label == "positive"
    assert first.predict("waardeloze service").label == "negative"

    first.save(tmp_path)
    loaded = LinearModel.load(tmp_path, "sentiment")
    assert loaded.labels == first.labels
    assert loaded.predict("super service").label == first.predict("super service").label
    assert loaded.meta["training_examples"]


def test_training_needs_two_classes() -> None:
    with pytest.raises(ValueError, match="two classes"):
        fit("intent", [Example("a", "other", "", "test")], settings=SMALL)


def test_workspace_corrections_change_the_corrected_prediction_and_report_before_after() -> None:
    data = base()
    current = {task: fit(task, data.examples[task], settings=SMALL) for task in data.examples}
    text = "mijn glasvezelkastje knippert oranje"
    corrections = [
        Correction(f"{text} {suffix}", "intent", "complaint")
        for suffix in ("", "alweer", "sinds gisteren", "de hele dag", "nog steeds", "vandaag")
    ] + [Correction("bedankt", "sentiment", "positive"), Correction("x", "intent", "not-a-label")]

    result = train_for_workspace(data, corrections, current=current, settings=SMALL)

    assert result.models["intent"].predict(text).label == "complaint"
    assert result.models["intent"].meta["workspace_corrections"] == 6
    report = result.report["intent"]
    assert report["corrections"] == 6
    if report["held_out"] and report["held_out"] < 6:
        assert set(report["before"]) == {"n", "accuracy", "macro_f1"}
        assert report["after"]["accuracy"] >= report["before"]["accuracy"]
    assert "sentiment" in result.report


def test_a_saved_workspace_model_serves_that_workspace(tmp_path) -> None:
    data = base()
    current = {task: fit(task, data.examples[task], settings=SMALL) for task in data.examples}
    text = "de router van de buren stoort mijn wifi"
    corrections = [Correction(text, "intent", "complaint")] * 4
    result = train_for_workspace(data, corrections, current=current, settings=SMALL)
    save_models(result.models, tmp_path)

    workspace = enrich(text, models=load_models(tmp_path))
    assert workspace.intent == "complaint"
    assert workspace.versions["intent"] == result.models["intent"].version
    assert enrich(text).versions["intent"] != workspace.versions["intent"]  # shipped model


def test_a_task_without_corrections_keeps_its_model() -> None:
    data = base()
    current = {task: fit(task, data.examples[task], settings=SMALL) for task in data.examples}
    result = train_for_workspace(data, [], current=current, settings=SMALL)
    assert result.models["intent"] is current["intent"]
    assert result.report == {}


def _write_labels(folder) -> None:
    labels = folder / "labels"
    labels.mkdir(parents=True)
    rows = [
        ("1", "t1", "Al dagen geen internet, slecht", "nl", "negative", "complaint"),
        ("2", "t1", "Nog steeds niets", "nl", "negative", "complaint"),
        ("3", "t2", "Bedankt voor de hulp!", "nl", "positive", "compliment"),
        ("4", "t3", "Is er een storing?", "nl", "neutral", "question"),
        ("5", "t4", "My order is late, terrible", "en", "negative", "complaint"),
        ("6", "t5", "Thanks, great help!", "en", "positive", "compliment"),
        ("7", "t6", "Where is my parcel?", "en", "neutral", "question"),
        ("8", "t7", "Please call me back", "en", "neutral", "request"),
    ]
    with (labels / "nl-orange.jsonl").open("w", encoding="utf-8") as f:
        for i, thread, text, lang, sentiment, intent in rows:
            line = {"id": i, "thread": thread, "text": text, "lang": lang}
            line |= {"sentiment": sentiment, "intent": intent, "source": "test"}
            f.write(json.dumps(line) + "\n")
    (labels / "splits.json").write_text(json.dumps({"test_threads": ["t1", "t5"]}))


def test_held_out_threads_never_train_and_evaluation_prints_a_table(tmp_path, capsys) -> None:
    _write_labels(tmp_path)
    train_texts = {e.text for e in load_base_data(tmp_path).examples["intent"]}
    test_texts = {e.text for e in load_held_out_data(tmp_path).examples["intent"]}
    assert test_texts == {
        "Al dagen geen internet, slecht",
        "Nog steeds niets",
        "Thanks, great help!",
    }
    assert not train_texts & test_texts

    assert evaluate_main(["--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["task", "lang"]
    summary = json.loads(out[-1])
    tasks = {(r["task"], r["lang"]) for r in summary["results"]}
    assert {("sentiment", "nl"), ("intent", "en"), ("language", "nl")} <= tasks
    sentiment_nl = next(
        r for r in summary["results"] if r["task"] == "sentiment" and r["lang"] == "nl"
    )
    assert sentiment_nl["baseline"]["name"] == "textblob-nl"
    assert sentiment_nl["model"]["n"] == 2
