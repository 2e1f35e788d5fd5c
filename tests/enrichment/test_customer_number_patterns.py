"""Workspace patterns are refused up front when they are broken, empty-matching or slow."""

from __future__ import annotations

import pytest

from webcare.enrichment.pii import CustomerNumberPattern
from webcare.enrichment.pii.customer_numbers import has_nested_quantifier


@pytest.mark.parametrize(
    ("regex", "message"),
    [
        (r"KL-(\d{6}", "not a valid regex"),
        (r"[", "not a valid regex"),
        ("", "1-200 characters"),
        ("x" * 201, "1-200 characters"),
        (r"\d*", "empty string"),
        (r"(KL)?", "empty string"),
        (r"^", "empty string"),
        (r"\b", "empty string"),
        (r"(?=KL)", "empty string"),
        (r"(a+)+", "repeats a group"),
        (r"(\d+-?)*X", "repeats a group"),
        (r"(?:KL-\d{2,6})+", "repeats a group"),
        (r"((a*)b)+", "repeats a group"),
        (r"(?P<n>\w+)+$", "repeats a group"),
    ],
)
def test_bad_patterns_raise_a_value_error_naming_the_pattern(regex: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        CustomerNumberPattern("klantnummer", regex)
    assert "'klantnummer'" in str(caught.value)


@pytest.mark.parametrize("name", ["", "   ", "n" * 61])
def test_a_pattern_needs_a_sensible_name(name: str) -> None:
    with pytest.raises(ValueError, match="needs a name"):
        CustomerNumberPattern(name, r"KL-\d{6}")


@pytest.mark.parametrize(
    "regex",
    [
        r"\bKL-\d{6}\b",
        r"(?i)\bklant(?:nummer)?[: ]*\d{5,8}\b",
        r"C\d{8}",
        r"(?:NL|BE)-\d{4}-[A-Z]{2}",
        r"(\d{3}-){2}\d{3}",
        r"[(+*?]\d{4}",
        r"\d{4}\{x\}",
        r"(?:AB|CD){2}\d+",
    ],
)
def test_ordinary_patterns_are_accepted(regex: str) -> None:
    pattern = CustomerNumberPattern("klantnummer", regex)
    assert pattern.regex == regex
    assert "compiled" not in repr(pattern)


@pytest.mark.parametrize(
    ("regex", "nested"),
    [
        (r"(a+)+", True),
        (r"(a*)*", True),
        (r"(a?){2,}", True),
        (r"(?:a|b+){3,5}", True),
        (r"(a+)", False),
        (r"(a{3})+", False),
        (r"(ab)+c*", False),
        (r"[(a+)]+", False),
        (r"\(a+\)+", False),
        (r"(a+)?", False),
    ],
)
def test_nested_quantifier_check(regex: str, nested: bool) -> None:
    assert has_nested_quantifier(regex) is nested


def test_zero_width_matches_are_never_reported() -> None:
    pattern = CustomerNumberPattern("klantnummer", r"KL-\d{6}")
    assert list(pattern.find("KL-123456 en KL-654321")) == [(0, 9), (13, 22)]
