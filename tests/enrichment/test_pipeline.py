"""``enrich``: one call gives language, sentiment, intent, personal data and model versions,
for any string, and batches give the same answers as single calls."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webcare.enrichment.pii import CustomerNumberPattern, PersonalDataKind
from webcare.enrichment.pipeline import (
    DEFAULT_ARTEFACTS,
    Enrichment,
    enrich,
    enrich_many,
    load_models,
)


def test_a_dutch_complaint_with_a_phone_number_is_fully_enriched() -> None:
    text = "@OrangeBENL al 3 dagen geen internet, dit is echt belachelijk. Bel me op 0470 12 34 56"
    result = enrich(text)
    assert result.language == "nl"
    assert result.sentiment == "negative"
    assert result.sentiment_score < 0
    assert [f.kind for f in result.personal_data] == [PersonalDataKind.PHONE]
    assert "12 34" not in result.personal_data[0].preview  # masked
    assert set(result.versions) == {"language", "sentiment", "intent"}


def test_english_thanks_is_positive_compliment() -> None:
    result = enrich("Thank you so much for the quick help, it works perfectly now!")
    assert (result.language, result.sentiment, result.intent) == ("en", "positive", "compliment")


def test_workspace_customer_number_patterns_are_used() -> None:
    pattern = CustomerNumberPattern(name="klantnummer", regex=r"GL-\d{6}")
    result = enrich(
        "Mijn klantnummer is GL-123456, kunnen jullie kijken?", customer_patterns=[pattern]
    )
    assert [f.kind for f in result.personal_data] == [PersonalDataKind.CUSTOMER_NUMBER]


def test_personal_data_at_the_end_of_a_very_long_message_is_found() -> None:
    text = "bla " * 10_000 + "mail me op jan.jansen@example.nl"
    result = enrich(text)
    assert [f.kind for f in result.personal_data] == [PersonalDataKind.EMAIL]
    assert (
        text[result.personal_data[0].start : result.personal_data[0].end] == "jan.jansen@example.nl"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "👍",
        "😡" * 3,
        "\ud800\udfff\ud800",
        "\x00" * 10,
        "x" * 100_000,
        "#️⃣🏳️‍🌈👩🏽‍💻",
        " \n " * 500,
    ],
)
def test_edge_case_text_never_raises(text: str) -> None:
    result = enrich(text)
    assert isinstance(result, Enrichment)
    assert -1.0 <= result.sentiment_score <= 1.0


def test_empty_message_is_undetermined_neutral_other() -> None:
    result = enrich("")
    assert (result.language, result.sentiment, result.intent) == ("und", "neutral", "other")
    assert result.personal_data == ()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_string_is_enriched(text: str) -> None:
    result = enrich(text)
    assert result.sentiment in {"negative", "neutral", "positive"}
    assert result.intent in {"question", "complaint", "compliment", "request", "other"}


def test_batches_agree_with_single_calls() -> None:
    texts = [
        "Hoeveel kost roaming in Turkije?",
        "",
        "bedankt voor de snelle hulp!",
        "My package is lost, please help",
        "🙄",
        "Bel me op 0612345678",
    ]
    assert enrich_many(texts) == [enrich(t) for t in texts]
    assert enrich_many([]) == []


def test_a_workspace_artefact_directory_is_loaded_and_reloaded_when_retrained(
    tmp_path: Path,
) -> None:
    for name in ("sentiment", "intent"):
        for ext in (".npz", ".json"):
            shutil.copy(DEFAULT_ARTEFACTS / f"{name}{ext}", tmp_path / f"{name}{ext}")
    first = load_models(tmp_path)
    assert load_models(tmp_path) is first
    result = enrich("Is er een storing?", models=first)
    assert result.versions == first.versions

    meta = tmp_path / "intent.json"
    meta.write_text(meta.read_text().replace('"version": "intent-', '"version": "ws-intent-'))
    import os

    stat = meta.stat()
    os.utime(meta, (stat.st_atime, stat.st_mtime + 10))
    second = load_models(tmp_path)
    assert second is not first
    assert second.versions["intent"].startswith("ws-")
