"""Intent: what the customer wants the brand to do with their message."""

from __future__ import annotations

import pytest

from webcare.enrichment.intent import LABELS, classify_intent


@pytest.mark.parametrize(
    "text",
    [
        "Is er een storing in regio Mechelen? Mijn tv doet het niet.",
        "Hoeveel kost een extra simkaart bij mijn abonnement?",
        "Waar vind ik mijn factuur in de app?",
        "How much does roaming in Turkey cost?",
        "Is there an outage in Brooklyn right now?",
    ],
)
def test_information_questions_are_questions(text: str) -> None:
    assert classify_intent(text).label == "question"


@pytest.mark.parametrize(
    "text",
    [
        "Kunnen jullie aub een technieker sturen? Al een week geen internet.",
        "Ik wil mijn abonnement opzeggen, graag zo snel mogelijk.",
        "Please refund my order, it never arrived.",
    ],
)
def test_asks_for_action_are_requests(text: str) -> None:
    assert classify_intent(text).label == "request"


@pytest.mark.parametrize(
    "text",
    [
        "Al de hele ochtend geen internet, alweer! Dit is de zoveelste keer.",
        "Jullie app crasht al de hele week. Waardeloos.",
        "Worst update ever, my battery is dead in two hours.",
    ],
)
def test_venting_is_a_complaint(text: str) -> None:
    assert classify_intent(text).label == "complaint"


@pytest.mark.parametrize(
    "text",
    ["bedankt voor de snelle hulp!", "Dankjewel, fijne avond nog!", "Thanks, you guys rock!"],
)
def test_thanks_are_compliments(text: str) -> None:
    assert classify_intent(text).label == "compliment"


@pytest.mark.parametrize("text", ["", "https://t.co/abc", "@klant_1a2b3c4d"])
def test_empty_and_link_only_messages_are_other(text: str) -> None:
    assert classify_intent(text).label == "other"


@pytest.mark.parametrize("text", ["\ud83d", "x" * 100_000, "🙂" * 5000, "?!?!" * 100])
def test_hostile_text_gets_a_probability_distribution(text: str) -> None:
    prediction = classify_intent(text)
    assert prediction.label in LABELS
    assert set(prediction.probabilities) == set(LABELS)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
