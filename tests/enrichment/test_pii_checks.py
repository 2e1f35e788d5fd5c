"""The check-digit rules, on their own."""

from __future__ import annotations

import pytest

from webcare.enrichment.pii.checks import bsn_passes_eleven_test, iban_is_valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("BE68539007547034", True),
        ("DE89370400440532013000", True),
        ("FR1420041010050500013M02606", True),
        ("NL91ABNA0417164301", False),  # check digits wrong
        ("NL91ABNA041716430", False),  # one short for NL
        ("DE8937040044053201300", False),  # one short for DE
        ("US12345678901234", False),  # not a SEPA country
        ("NL91ABNA04171643٣0", False),  # a non-ASCII digit
    ],
)
def test_iban_mod_97_and_length(iban: str, valid: bool) -> None:
    assert iban_is_valid(iban) is valid


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("123456782", True),
        ("12345672", True),
        ("123456789", False),
        ("000000000", False),
        ("12345678a", False),
        ("1234567890", False),
    ],
)
def test_bsn_eleven_test(digits: str, valid: bool) -> None:
    assert bsn_passes_eleven_test(digits) is valid
