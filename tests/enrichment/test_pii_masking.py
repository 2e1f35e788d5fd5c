"""A finding never spells out the value it points at: not in its preview, repr or str."""

from __future__ import annotations

import re

import pytest

from webcare.enrichment.pii import CustomerNumberPattern, detect_personal_data
from webcare.enrichment.pii.findings import mask_keeping

_CUSTOMER = CustomerNumberPattern("klantnummer", r"\bKL-\d{6}\b")


@pytest.mark.parametrize(
    ("text", "preview"),
    [
        ("NL91 ABNA 0417 1643 00", "NL91 •••• •••• •••• 00"),
        ("BE68539007547034", "BE68 •••• •••• ••34"),
        ("jan.jansen@example.nl", "j•••@•••.nl"),
        ("06-12345678", "+31 •••••••78"),
        ("+32 470 12 34 56", "+32 •••••••56"),
        ("1234 AB 12a", "12•• •• ••"),
        ("123456782", "•••••••82"),
        ("12345672", "•••••••72"),
        ("KL-123456", "•••••••56"),
    ],
)
def test_preview_shows_only_a_recognisable_fragment(text: str, preview: str) -> None:
    [finding] = detect_personal_data(text, customer_number_patterns=[_CUSTOMER])
    assert finding.preview == preview


@pytest.mark.parametrize(
    "value",
    [
        "NL91ABNA0417164300",
        "jan.jansen@example.nl",
        "0612345678",
        "+31612345678",
        "1234 AB 12",
        "123456782",
        "KL-123456",
    ],
)
def test_repr_and_str_never_contain_the_value(value: str) -> None:
    [finding] = detect_personal_data(f"hier: {value}", customer_number_patterns=[_CUSTOMER])
    for rendered in (repr(finding), str(finding), finding.preview):
        assert value not in rendered
        assert value.replace(" ", "") not in rendered.replace(" ", "")
    digits = re.sub(r"\D", "", value)
    if digits:  # the preview never spells out the digits, whatever its punctuation
        assert digits not in re.sub(r"\D", "", finding.preview)


@pytest.mark.parametrize("value", ["", "a", "ab", "abc", "abcd", "abcdefghij"])
def test_short_values_are_masked_for_at_least_half(value: str) -> None:
    masked = mask_keeping(value, head=2, tail=2)
    visible = masked.replace("•", "")
    assert len(visible) <= len(value) // 2
    assert "•••" in masked
