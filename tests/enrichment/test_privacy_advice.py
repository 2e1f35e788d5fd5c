"""The agent is warned about personal data in public messages only, in Dutch and English."""

from __future__ import annotations

import pytest

from webcare.enrichment.pii import PrivacyAdvice, advice_for, detect_personal_data

_TEXT = "IBAN NL91 ABNA 0417 1643 00, bel 06-12345678 of 06-87654321"


def test_public_message_with_data_is_flagged_with_hide_where_possible() -> None:
    advice = advice_for(detect_personal_data(_TEXT), public=True, platform_can_hide=True)
    assert advice == PrivacyAdvice(
        flag=True,
        suggest_move_to_private=True,
        offer_hide=True,
        message_nl="Dit openbare bericht bevat een IBAN en een telefoonnummer. "
        "Verplaats het gesprek naar privé en verberg de reactie.",
        message_en="This public message contains an IBAN and a phone number. "
        "Move the conversation to private and hide the comment.",
    )


def test_hiding_is_not_offered_where_the_platform_cannot_hide() -> None:
    advice = advice_for(detect_personal_data(_TEXT), public=True, platform_can_hide=False)
    assert advice.flag
    assert advice.suggest_move_to_private
    assert not advice.offer_hide
    assert advice.message_nl.endswith("Verplaats het gesprek naar privé.")
    assert "hide" not in advice.message_en


def test_three_kinds_read_as_a_plain_list() -> None:
    findings = detect_personal_data("a@b.nl, 123456782, 1234 AB 5")
    advice = advice_for(findings, public=True, platform_can_hide=False)
    assert advice.message_nl.startswith(
        "Dit openbare bericht bevat een e-mailadres, een BSN en een postcode met huisnummer."
    )
    assert "an e-mail address, a citizen service number (BSN) and a postcode" in (advice.message_en)


@pytest.mark.parametrize(
    ("text", "public"),
    [(_TEXT, False), ("Geen gegevens hier, 24/7 € 12,50", True), ("", True)],
)
def test_private_or_clean_messages_are_not_flagged(text: str, public: bool) -> None:
    advice = advice_for(detect_personal_data(text), public=public, platform_can_hide=True)
    assert advice == PrivacyAdvice(
        flag=False, suggest_move_to_private=False, offer_hide=False, message_nl="", message_en=""
    )


def test_advice_never_repeats_the_values() -> None:
    advice = advice_for(detect_personal_data(_TEXT), public=True, platform_can_hide=True)
    for message in (advice.message_nl, advice.message_en, repr(advice)):
        assert "0417" not in message
        assert "12345678" not in message
