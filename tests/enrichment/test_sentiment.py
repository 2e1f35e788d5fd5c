"""Sentiment that an agent would agree with: complaints are negative, thanks are positive,
plain questions are neutral, in Dutch and English, and nothing breaks on odd text."""

from __future__ import annotations

import pytest

from webcare.enrichment.sentiment import LABELS, analyse_sentiment


@pytest.mark.parametrize(
    "text",
    [
        "Al drie dagen geen internet en niemand die iets laat weten, echt belachelijk",
        "@OrangeBENL jullie klantendienst is waardeloos, van het kastje naar de muur gestuurd",
        "Wat een slechte service, ik ben het helemaal beu",
        "Voor de derde keer deze week plat. Schandalig.",
        "My order never arrived and customer service keeps ignoring me. Terrible.",
        "Worst experience ever, the app keeps crashing and nobody helps",
    ],
)
def test_clear_complaints_are_negative(text: str) -> None:
    result = analyse_sentiment(text)
    assert result.label == "negative"
    assert result.score < 0


@pytest.mark.parametrize(
    "text",
    [
        "bedankt voor de snelle hulp!",
        "Super vriendelijk geholpen in de winkel, dikke merci!",
        "Top, het werkt weer! Dank jullie wel 👍",
        "Thanks a lot, the issue is solved now!",
        "Great service, thank you so much 😊",
    ],
)
def test_thanks_and_praise_are_positive(text: str) -> None:
    result = analyse_sentiment(text)
    assert result.label == "positive"
    assert result.score > 0


@pytest.mark.parametrize(
    "text",
    [
        "Kost het extra om vanuit België naar Nederland te bellen?",
        "Wat zijn de openingsuren van de winkel in Hasselt?",
        "What are the opening hours of your store on Sunday?",
    ],
)
def test_plain_questions_are_not_positive(text: str) -> None:
    assert analyse_sentiment(text).label in {"neutral", "negative"}
    assert analyse_sentiment(text).label != "positive"


def test_negation_flips_the_meaning() -> None:
    assert (
        analyse_sentiment("Ik ben heel tevreden").score
        > analyse_sentiment("Ik ben helemaal niet tevreden").score
    )
    assert (
        analyse_sentiment("I am happy with it").score
        > analyse_sentiment("I am not happy with it").score
    )


def test_angry_emoji_only_is_negative_and_hearts_are_positive() -> None:
    assert analyse_sentiment("😡😡").label == "negative"
    assert analyse_sentiment("👍😊").label == "positive"


@pytest.mark.parametrize(
    "text", ["", " ", "\n\t", "🤔", "\x00", "\ud800", "a" * 100_000, "؟؟؟", "@klant_1234"]
)
def test_odd_text_gets_a_valid_answer(text: str) -> None:
    result = analyse_sentiment(text)
    assert result.label in LABELS
    assert -1.0 <= result.score <= 1.0
    assert 0.0 <= result.confidence <= 1.0
