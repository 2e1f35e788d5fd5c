"""One detector per kind of personal data: a precompiled regex finds candidates, a check keeps
only the real ones.

Each detector is tuned against the texts a webcare inbox sees (prices, dates, order numbers,
tracking codes, tweet ids, hashtags), because a warning on every other message would teach
agents to ignore it. The regexes are anchored on boundaries that keep them from starting or
ending inside a longer number or word, and are linear: no nested quantifiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers

from webcare.enrichment.pii.checks import IBAN_LENGTHS, bsn_passes_eleven_test, iban_is_valid
from webcare.enrichment.pii.findings import (
    PersonalDataFinding,
    PersonalDataKind,
    mask_email,
    mask_iban,
    mask_keeping,
    mask_phone,
    mask_postcode,
)

# --- e-mail ---------------------------------------------------------------------------------

# The local part may not follow a word character or "@", so "@GlasnetHelpt" handles and
# fediverse handles ("@jan@mastodon.social") are not read as addresses; a domain needs a dot.
_EMAIL_RE = re.compile(
    r"(?<![\w.%+@-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,24})(?![\w-])"
)
# "logo@2x.png" is a retina image name, not an address.
_FILE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp"})


def find_emails(text: str) -> Iterator[PersonalDataFinding]:
    """E-mail addresses with a local part, an "@" and a dotted domain."""
    for match in _EMAIL_RE.finditer(text):
        if match["tld"].lower() not in _FILE_EXTENSIONS:
            yield _finding(PersonalDataKind.EMAIL, match, mask_email(match[0]))


# --- IBAN -----------------------------------------------------------------------------------


def _iban_regex() -> re.Pattern[str]:
    """One alternation per BBAN length, so a candidate is exactly as long as its country needs.

    Single spaces may separate any two characters ("NL91 ABNA 0417 1643 00"); because the
    length is fixed, a following word is never swallowed.
    """
    by_length: dict[int, list[str]] = {}
    for country, length in sorted(IBAN_LENGTHS.items()):
        by_length.setdefault(length - 4, []).append(country)
    alternatives = [
        f"(?:{'|'.join(countries)})\\d\\d(?:[ \\u00a0]?[A-Z0-9]){{{bban}}}"
        for bban, countries in sorted(by_length.items())
    ]
    return re.compile(
        f"(?<![A-Za-z0-9])(?:{'|'.join(alternatives)})(?![A-Za-z0-9])", re.IGNORECASE | re.ASCII
    )


_IBAN_RE = _iban_regex()
# Two letters then two digits at a word start: without it there is no IBAN, and this is far
# cheaper to look for than the full per-country alternation.
_IBAN_HINT_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d\d")


def find_ibans(text: str) -> Iterator[PersonalDataFinding]:
    """IBANs of SEPA countries that have their country's length and pass the mod-97 check."""
    if not _IBAN_HINT_RE.search(text):
        return
    for match in _IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", match[0]).upper()
        if iban_is_valid(compact):
            yield _finding(PersonalDataKind.IBAN, match, mask_iban(compact))


# --- phone numbers --------------------------------------------------------------------------

# Not inside a word, hashtag, handle, query string, or a number joined by punctuation.
_PHONE_START = r"(?<![\w+#@=])(?<!\d[.,/:-])"
_PHONE_END = r"(?!\w)(?![.,:/-]?\d)"
# "+31 (0)6 12345678", "0032 470 12 34 56": a country code, an optional "(0)", then digits.
_PHONE_INTERNATIONAL = r"(?:\+|00)[1-9](?:[ \-.\u00a0]?(?:\(0\)[ \-.\u00a0]?)?\d){6,16}"
# "06-12345678", "010 123 4567", "(020) 123 4567", "0470/12.34.56": one separator at most.
_PHONE_NATIONAL = r"(?:\(0\d{1,3}\)|0[1-9])(?:[ \-./\u00a0]?\d){6,10}"
_PHONE_RE = re.compile(
    f"{_PHONE_START}(?:{_PHONE_INTERNATIONAL}|{_PHONE_NATIONAL}){_PHONE_END}", re.ASCII
)
# "03-11-2026", "2026/11/03": one separator used twice, so "0470/12.34.56" is still a number.
_DATE_PREFIX_RE = re.compile(
    r"\d{1,2}(?P<s>[-/.])\d{1,2}(?P=s)\d{2,4}(?!\d)|(?:19|20)\d\d(?P<t>[-/.])\d{1,2}(?P=t)\d{1,2}"
)
_NOT_PERSONAL = frozenset(
    {
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
    }
)


def find_phone_numbers(
    text: str, *, taken: Sequence[tuple[int, int]] = ()
) -> Iterator[PersonalDataFinding]:
    """Valid phone numbers: international with "+" or "00", national Dutch or Belgian.

    Candidates are validated by ``phonenumbers`` (number plans per country), so an order number
    that starts with 0 fails unless it is a dialable number. Service numbers (0800, 0900, 088
    company numbers...) belong to companies, not customers, and are not flagged. Candidates inside a
    ``taken`` span (an IBAN's account digits) are skipped before the costly validation.
    """
    for match in _PHONE_RE.finditer(text):
        if _inside_any(match, taken) or _DATE_PREFIX_RE.match(match[0]):
            continue
        number = _parse_phone(match[0])
        if number is not None:
            national = str(number.national_number)
            preview = mask_phone(number.country_code or 0, national)
            yield _finding(PersonalDataKind.PHONE, match, preview)


def _parse_phone(raw: str) -> phonenumbers.PhoneNumber | None:
    """The first valid personal reading of ``raw``: as written if international, else NL or BE."""
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    attempts: list[tuple[str, str | None]]
    if raw.startswith("+"):
        attempts = [("+" + digits, None)]
    elif raw.startswith("00"):
        attempts = [("+" + digits[2:], None)]
    else:
        attempts = [(digits, "NL"), (digits, "BE")]
    for reading, region in attempts:
        try:
            number = phonenumbers.parse(reading, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) and (
            phonenumbers.number_type(number) not in _NOT_PERSONAL
        ):
            return number
    return None


# --- BSN ------------------------------------------------------------------------------------

# Nine digits (or eight, an old number without its leading zero), plain or in the official
# "1234.56.789" or the spoken "123 456 789" grouping; never part of a longer number, a price,
# a percentage, a hashtag, a handle or a URL path.
_BSN_RE = re.compile(
    r"(?<![\w+#@=/€$£])(?<!\d[.,:/-])(?<!€ )"
    r"(?:\d{8,9}|\d{4}\.\d{2}\.\d{3}|(?<!\d )\d{3} \d{3} \d{3}(?! \d))"
    r"(?![\w%€])(?![.,:/-]\d)",
    re.ASCII,
)


def find_bsns(text: str) -> Iterator[PersonalDataFinding]:
    """Citizen service numbers that pass the 11-proef and are not an eight-digit date."""
    for match in _BSN_RE.finditer(text):
        digits = re.sub(r"\D", "", match[0])
        if len(digits) == 8 and _looks_like_date(digits):
            continue
        if bsn_passes_eleven_test(digits):
            preview = mask_keeping(digits.zfill(9), head=0, tail=2)
            yield _finding(PersonalDataKind.BSN, match, preview)


def _looks_like_date(digits: str) -> bool:
    """``20261123`` or ``23112026``: eight digits that read as a date of this or last century."""
    for year, month, day in (
        (digits[:4], digits[4:6], digits[6:]),
        (digits[4:], digits[2:4], digits[:2]),
    ):
        if 1900 <= int(year) <= 2099 and 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            return True
    return False


# --- postcode + house number ----------------------------------------------------------------

# "1234 AB" / "1234AB" in capitals, or "1234ab" written together; never SA, SD or SS (not
# issued). Lower case with a space is refused: "2024 en 3" is a sentence, not an address.
_POSTCODE = r"(?P<pc>[1-9]\d{3})(?:[ \u00a0]?(?!SA|SD|SS)[A-Z]{2}|(?!sa|sd|ss)[a-z]{2})(?![A-Za-z])"
_HOUSE_NUMBER = r"[1-9]\d{0,4}(?:[ -]?[A-Za-z](?![A-Za-z])|[-/]\d{1,4})?"
_POSTCODE_THEN_NUMBER = (
    r"(?<![\w.,-])" + _POSTCODE + r"(?:\s*,\s*|\s*)(?:nr\.?\s*)?" + _HOUSE_NUMBER
)
_STREET_THEN_POSTCODE = r"(?<![\w-])[^\W\d_][\w'.-]*[^\W\d_.]\.?\s+" + _HOUSE_NUMBER + r",?\s+"
_POSTCODE_RE = re.compile(
    r"(?:"
    + _POSTCODE_THEN_NUMBER
    + r"(?!\w)(?![.,:]\d)|"
    + _STREET_THEN_POSTCODE
    + _POSTCODE.replace("?P<pc>", "?P<pc2>")
    + r")"
)


_POSTCODE_HINT_RE = re.compile(r"[1-9]\d{3}[ \u00a0]?[A-Za-z]{2}")


def find_postcodes_with_house_number(text: str) -> Iterator[PersonalDataFinding]:
    """A Dutch postcode with its house number, after it or before it with the street name.

    A bare postcode narrows an address down to a street and is not flagged on its own. The
    street form is costly to try at every word, so a cheap postcode hint gates the search.
    """
    if not _POSTCODE_HINT_RE.search(text):
        return
    for match in _POSTCODE_RE.finditer(text):
        digits = match["pc"] or match["pc2"]
        yield _finding(PersonalDataKind.POSTCODE_HOUSE_NUMBER, match, mask_postcode(digits))


def _inside_any(match: re.Match[str], spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < match.end() and match.start() < end for start, end in spans)


def _finding(kind: PersonalDataKind, match: re.Match[str], preview: str) -> PersonalDataFinding:
    return PersonalDataFinding(kind=kind, start=match.start(), end=match.end(), preview=preview)
