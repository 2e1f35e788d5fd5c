"""What a personal-data finding looks like, and how its value is masked.

A finding never carries the matched value itself: only its kind, its offsets in the text and a
masked preview. The offsets let the UI highlight the text the agent already sees, while logs,
reprs and job payloads can hold findings without leaking the personal data they point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MASK = "•"


class PersonalDataKind(StrEnum):
    """The kinds of personal data we look for; values are stable wire names."""

    EMAIL = "email"
    PHONE = "phone"
    IBAN = "iban"
    POSTCODE_HOUSE_NUMBER = "postcode_house_number"
    BSN = "bsn"
    CUSTOMER_NUMBER = "customer_number"


@dataclass(frozen=True, slots=True)
class PersonalDataFinding:
    """One piece of personal data found at ``text[start:end]``.

    Invariant: ``preview`` is always masked (built by the helpers below), so printing or logging
    a finding is safe. ``pattern_name`` names the workspace pattern for customer numbers only.
    """

    kind: PersonalDataKind
    start: int
    end: int
    preview: str
    pattern_name: str | None = None


def mask_keeping(value: str, *, head: int, tail: int) -> str:
    """Mask ``value`` except ``head`` leading and ``tail`` trailing characters.

    Short values keep less, so at least half of a value (and at least three characters) is
    always hidden; a preview can never spell out the whole value.
    """
    keep = max(0, min(head + tail, (len(value) - 3), len(value) // 2))
    head = min(head, keep)
    tail = min(tail, keep - head)
    hidden = len(value) - head - tail
    return value[:head] + MASK * max(hidden, 3) + (value[len(value) - tail :] if tail else "")


def mask_iban(compact: str) -> str:
    """``NL91ABNA0417164300`` -> ``NL91 •••• •••• •••• 00``: country, check digits, last two."""
    masked = compact[:4] + MASK * (len(compact) - 6) + compact[-2:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def mask_email(address: str) -> str:
    """``jan.jansen@example.nl`` -> ``j•••@•••.nl``: enough to recognise, not to write to."""
    local, _, domain = address.rpartition("@")
    tld = domain.rsplit(".", 1)[-1]
    return f"{local[:1]}{MASK * 3}@{MASK * 3}.{tld}"


def mask_phone(country_code: int, national_number: str) -> str:
    """``+31 612345678`` -> ``+31 •••••••78``: the country and the last two digits."""
    return f"+{country_code} " + mask_keeping(national_number, head=0, tail=2)


def mask_postcode(postcode_digits: str) -> str:
    """``1234 AB 12a`` -> ``12•• •• ••``: only the region (first two digits) stays visible."""
    return f"{postcode_digits[:2]}{MASK * 2} {MASK * 2} {MASK * 2}"
