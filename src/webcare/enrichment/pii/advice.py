"""What to tell the agent when a public message contains personal data.

The advice is the same whatever was found: move the conversation to private, and hide the
public comment where the platform can. The message names the kinds so the agent knows what to
look for, without repeating any of the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from webcare.enrichment.pii.findings import PersonalDataFinding, PersonalDataKind

_NAMES_NL = {
    PersonalDataKind.EMAIL: "een e-mailadres",
    PersonalDataKind.PHONE: "een telefoonnummer",
    PersonalDataKind.IBAN: "een IBAN",
    PersonalDataKind.POSTCODE_HOUSE_NUMBER: "een postcode met huisnummer",
    PersonalDataKind.BSN: "een BSN",
    PersonalDataKind.CUSTOMER_NUMBER: "een klantnummer",
}
_NAMES_EN = {
    PersonalDataKind.EMAIL: "an e-mail address",
    PersonalDataKind.PHONE: "a phone number",
    PersonalDataKind.IBAN: "an IBAN",
    PersonalDataKind.POSTCODE_HOUSE_NUMBER: "a postcode with house number",
    PersonalDataKind.BSN: "a citizen service number (BSN)",
    PersonalDataKind.CUSTOMER_NUMBER: "a customer number",
}


@dataclass(frozen=True, slots=True)
class PrivacyAdvice:
    """The warning shown next to a message; ``flag`` False means show nothing."""

    flag: bool
    suggest_move_to_private: bool
    offer_hide: bool
    message_nl: str
    message_en: str


NO_ADVICE = PrivacyAdvice(
    flag=False, suggest_move_to_private=False, offer_hide=False, message_nl="", message_en=""
)


def advice_for(
    findings: Sequence[PersonalDataFinding], *, public: bool, platform_can_hide: bool
) -> PrivacyAdvice:
    """Advice for a message with ``findings``.

    Private messages (DMs, e-mail) are where customers should share such data, so they are never
    flagged. Hiding is offered only where the platform lets us hide a comment.
    """
    if not public or not findings:
        return NO_ADVICE
    kinds = list(dict.fromkeys(f.kind for f in findings))  # first-seen order, no repeats
    nl = f"Dit openbare bericht bevat {_join(kinds, _NAMES_NL, 'en')}. "
    nl += "Verplaats het gesprek naar privé"
    en = f"This public message contains {_join(kinds, _NAMES_EN, 'and')}. "
    en += "Move the conversation to private"
    if platform_can_hide:
        nl += " en verberg de reactie"
        en += " and hide the comment"
    return PrivacyAdvice(
        flag=True,
        suggest_move_to_private=True,
        offer_hide=platform_can_hide,
        message_nl=nl + ".",
        message_en=en + ".",
    )


def _join(kinds: Sequence[PersonalDataKind], names: dict[PersonalDataKind, str], word: str) -> str:
    """``a``, ``a en b``, ``a, b en c``: a plain-language list."""
    parts = [names[kind] for kind in kinds]
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {word} {parts[-1]}"
