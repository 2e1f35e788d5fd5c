"""``detect_personal_data``: run every detector over a message and settle overlaps.

Cheap pre-checks skip whole detectors: without an "@" there is no e-mail address, and without
two adjacent digits there is no phone number, IBAN, BSN or postcode. Most messages therefore
cost one or two substring scans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from webcare.enrichment.pii.customer_numbers import CustomerNumberPattern
from webcare.enrichment.pii.detectors import (
    find_bsns,
    find_emails,
    find_ibans,
    find_phone_numbers,
    find_postcodes_with_house_number,
)
from webcare.enrichment.pii.findings import PersonalDataFinding, PersonalDataKind, mask_keeping

# Built-in detectors read at most this much of a message: their regexes are linear, so this only
# bounds the number of phone-number validations a pathological text can trigger.
MAX_TEXT_CHARS = 100_000

# When two findings overlap, the earlier kind wins: an IBAN's digits are not also a BSN, and a
# workspace's own customer-number pattern knows its numbers better than a generic phone rule.
_PRIORITY = (
    PersonalDataKind.IBAN,
    PersonalDataKind.EMAIL,
    PersonalDataKind.CUSTOMER_NUMBER,
    PersonalDataKind.PHONE,
    PersonalDataKind.BSN,
    PersonalDataKind.POSTCODE_HOUSE_NUMBER,
)
_RANK = {kind: rank for rank, kind in enumerate(_PRIORITY)}
_TWO_DIGITS_RE = re.compile(r"\d\d")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def detect_personal_data(
    text: str, *, customer_number_patterns: Sequence[CustomerNumberPattern] = ()
) -> list[PersonalDataFinding]:
    """Personal data in ``text``, ordered by position, with no two findings overlapping.

    Numbers inside URLs are link ids, not personal data, and are ignored (an e-mail address in a
    link still counts).
    """
    text = text[:MAX_TEXT_CHARS]
    findings: list[PersonalDataFinding] = []
    if "@" in text:
        findings.extend(find_emails(text))
    if _TWO_DIGITS_RE.search(text):
        findings.extend(find_ibans(text))
        taken = [(f.start, f.end) for f in findings]
        findings.extend(find_phone_numbers(text, taken=taken))
        findings.extend(find_bsns(text))
        findings.extend(find_postcodes_with_house_number(text))
    for pattern in customer_number_patterns:
        findings.extend(_customer_numbers(text, pattern))
    return _without_overlaps(_outside_urls(text, findings))


def _customer_numbers(text: str, pattern: CustomerNumberPattern) -> list[PersonalDataFinding]:
    return [
        PersonalDataFinding(
            kind=PersonalDataKind.CUSTOMER_NUMBER,
            start=start,
            end=end,
            preview=mask_keeping(text[start:end], head=0, tail=2),
            pattern_name=pattern.name,
        )
        for start, end in pattern.find(text)
    ]


def _outside_urls(text: str, findings: list[PersonalDataFinding]) -> list[PersonalDataFinding]:
    if not findings or ("://" not in text and "www." not in text.lower()):
        return findings
    urls = [(m.start(), m.end()) for m in _URL_RE.finditer(text)]
    return [
        f
        for f in findings
        if f.kind is PersonalDataKind.EMAIL or not any(_overlaps(f, span) for span in urls)
    ]


def _without_overlaps(findings: Iterable[PersonalDataFinding]) -> list[PersonalDataFinding]:
    """Keep the higher-priority (then the longer, then the earlier) of overlapping findings."""
    kept: list[PersonalDataFinding] = []
    for finding in sorted(findings, key=lambda f: (_RANK[f.kind], f.start - f.end, f.start)):
        if not any(_overlaps(finding, (other.start, other.end)) for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


def _overlaps(finding: PersonalDataFinding, span: tuple[int, int]) -> bool:
    return finding.start < span[1] and span[0] < finding.end
