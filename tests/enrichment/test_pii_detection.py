"""Each kind of personal data is found in the formats customers write, and look-alikes are not."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webcare.enrichment.pii import CustomerNumberPattern, PersonalDataKind, detect_personal_data

EMAIL = PersonalDataKind.EMAIL
PHONE = PersonalDataKind.PHONE
IBAN = PersonalDataKind.IBAN
POSTCODE = PersonalDataKind.POSTCODE_HOUSE_NUMBER
BSN = PersonalDataKind.BSN
CUSTOMER = PersonalDataKind.CUSTOMER_NUMBER


def found(text: str) -> list[tuple[PersonalDataKind, str]]:
    return [(f.kind, text[f.start : f.end]) for f in detect_personal_data(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        # e-mail
        ("Stuur het naar jan.jansen@example.nl aub", EMAIL, "jan.jansen@example.nl"),
        ("mail: J.de-Vries+glasnet@sub.mail.co.uk.", EMAIL, "J.de-Vries+glasnet@sub.mail.co.uk"),
        ("(info@bakkerij-smit.nl)", EMAIL, "info@bakkerij-smit.nl"),
        ("mailto:piet@x.be", EMAIL, "piet@x.be"),
        # IBAN, with and without spaces, several SEPA countries
        ("Mijn IBAN is NL91 ABNA 0417 1643 00, graag terug", IBAN, "NL91 ABNA 0417 1643 00"),
        ("NL91ABNA0417164300", IBAN, "NL91ABNA0417164300"),
        ("rekening nl91abna0417164300 klopt", IBAN, "nl91abna0417164300"),
        ("BE68 5390 0754 7034", IBAN, "BE68 5390 0754 7034"),
        ("DE89 3704 0044 0532 0130 00", IBAN, "DE89 3704 0044 0532 0130 00"),
        ("FR14 2004 1010 0505 0001 3M02 606", IBAN, "FR14 2004 1010 0505 0001 3M02 606"),
        ("GB29NWBK60161331926819 thanks", IBAN, "GB29NWBK60161331926819"),
        # Dutch phone numbers
        ("Bel me op 06-12345678 aub", PHONE, "06-12345678"),
        ("06 1234 5678", PHONE, "06 1234 5678"),
        ("0612345678", PHONE, "0612345678"),
        ("+31 6 12345678", PHONE, "+31 6 12345678"),
        ("+31 (0)6 12345678", PHONE, "+31 (0)6 12345678"),
        ("0031 6 12345678", PHONE, "0031 6 12345678"),
        ("tel:0612345678", PHONE, "0612345678"),
        ("vast: 020-1234567.", PHONE, "020-1234567"),
        ("010 123 4567", PHONE, "010 123 4567"),
        ("(020) 123 4567", PHONE, "(020) 123 4567"),
        # Belgian and international
        ("+32 470 12 34 56", PHONE, "+32 470 12 34 56"),
        ("0470/12.34.56", PHONE, "0470/12.34.56"),
        ("0470 12 34 56", PHONE, "0470 12 34 56"),
        ("02 234 56 78", PHONE, "02 234 56 78"),
        ("call +44 20 7946 0958", PHONE, "+44 20 7946 0958"),
        ("+4915123456789", PHONE, "+4915123456789"),
        # postcode with house number
        ("1234 AB 12a", POSTCODE, "1234 AB 12a"),
        ("1234AB, 12-3", POSTCODE, "1234AB, 12-3"),
        ("postcode 3511 CE 7", POSTCODE, "3511 CE 7"),
        ("1234ab 5", POSTCODE, "1234ab 5"),
        ("Kerkstraat 12, 1234 AB Utrecht", POSTCODE, "Kerkstraat 12, 1234 AB"),
        ("Dorpsstraat 5a 9876 ZX", POSTCODE, "Dorpsstraat 5a 9876 ZX"),
        # BSN (passes the 11-proef)
        ("mijn bsn is 123456782", BSN, "123456782"),
        ("BSN: 1234.56.782", BSN, "1234.56.782"),
        ("bsn 123 456 782 graag", BSN, "123 456 782"),
        ("oud nummer 12345672", BSN, "12345672"),
    ],
)
def test_each_kind_is_found_in_its_usual_formats(
    text: str, kind: PersonalDataKind, value: str
) -> None:
    assert found(text) == [(kind, value)]


@pytest.mark.parametrize(
    "text",
    [
        # prices, amounts
        "Ik betaal € 12,50 per maand",
        "Totaal 1.234,56 euro",
        "€ 123456782 is wel veel",
        "€123456782",
        "1000 euro betaald",
        # dates and times
        "Sinds 23-11-2026 geen internet",
        "Sinds 2026-11-23 geen internet",
        "Afspraak 03-11-2026 10:00",
        "06-11-2026",
        "Monteur komt 20261123",
        "Open 08:30 - 17:00 en 09.30-17.30 uur",
        # order numbers, tracking codes, ids
        "Mijn ordernummer is 123456789",
        "bestelling 987654321 niet ontvangen",
        "Track & trace 3SGLAS1234567",
        "code JVGL0612345678 werkt niet",
        "tweet 1859876543210987654 en 185987654321098765",
        "#0612345678 en @0612345678",
        "order #123456782",
        "12345678-9 is geen bsn",
        "versie 1.123456782",
        # years, speeds, versions, counts
        "Sinds 2019 klant",
        "500 Mbit maar ik haal 50",
        "App versie 2.13.0 crasht",
        "06",
        "Bel 06",
        "24/7 bereikbaar",
        "Utrecht 3500",
        "3500 Utrecht",
        "In 2024 en 2025 ging het mis",
        "2024 en 3 andere jaren",
        # handles, hashtags, URLs, fragments
        "@GlasnetHelpt help!",
        "schrijf naar user@",
        "@jan@mastodon.social",
        "logo@2x.png",
        "jan@glasnet",
        "#storing #glasnet2026",
        "Zie https://glasnet.nl/storingen/2026/11/23?id=123456782",
        "www.glasnet.nl/klant/0612345678",
        # IBAN look-alikes: wrong check digits, wrong length
        "NL91ABNA0417164301",
        "NL91 ABNA 0417 1643 0",
        "BE68 5390 0754 7035",
        # service numbers are the company's, not the customer's
        "Bel 0800-0123 of 0900-1234567",
        # a bare postcode without a house number
        "Ik woon in 1234 AB",
        "postcode 3511CE",
        "Postcode 1234 SS 12",
        "0123 AB 12",
        "",
        "   ",
        "😡😡😡 al 3 dagen geen tv!!! 🙄",
    ],
)
def test_look_alikes_are_not_flagged(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("digits", ["123456789", "111111111", "987654321", "000000000", "12345678"])
def test_nine_digit_numbers_failing_the_eleven_test_are_not_a_bsn(digits: str) -> None:
    assert found(f"nummer {digits}") == []


def test_digits_of_an_iban_are_not_also_a_phone_number_or_bsn() -> None:
    assert found("NL91 ABNA 0417 1643 00") == [(IBAN, "NL91 ABNA 0417 1643 00")]


def test_several_findings_come_back_in_text_order() -> None:
    text = "Bel 0612345678 of mail a.b@c.nl, IBAN NL91ABNA0417164300, bsn 123456782, 1234 AB 1"
    assert [kind for kind, _ in found(text)] == [PHONE, EMAIL, IBAN, BSN, POSTCODE]


def test_emoji_and_accents_around_data_keep_offsets_right() -> None:
    text = "Hé 👋🏽 café-eigenaar hier, 📞 06-12345678 🙏"
    assert found(text) == [(PHONE, "06-12345678")]


def test_data_deep_in_a_long_message_is_found() -> None:
    text = "bla " * 5_000 + "mail jan@example.nl" + " bla" * 5_000
    assert found(text) == [(EMAIL, "jan@example.nl")]


def test_a_huge_message_stays_fast_and_finds_nothing_spurious() -> None:
    text = "1234 5678 € 12,50 06 24/7 @x #y " * 10_000
    assert found(text) == []


def test_customer_numbers_use_the_workspace_patterns() -> None:
    patterns = [
        CustomerNumberPattern("klantnummer", r"\bKL-\d{6}\b"),
        CustomerNumberPattern("contract", r"\bC\d{8}\b"),
    ]
    text = "Klant KL-123456, contract C12345678, geen KL-12"
    findings = detect_personal_data(text, customer_number_patterns=patterns)
    assert [(f.kind, text[f.start : f.end], f.pattern_name) for f in findings] == [
        (CUSTOMER, "KL-123456", "klantnummer"),
        (CUSTOMER, "C12345678", "contract"),
    ]


def test_customer_numbers_are_only_searched_in_the_first_ten_thousand_chars() -> None:
    pattern = CustomerNumberPattern("klantnummer", r"KL-\d{6}")
    text = "x" * 10_000 + " KL-123456"
    assert detect_personal_data(text, customer_number_patterns=[pattern]) == []


def test_a_customer_pattern_wins_over_a_generic_kind_on_the_same_digits() -> None:
    pattern = CustomerNumberPattern("klantnummer", r"\b\d{9}\b")
    findings = detect_personal_data("klant 123456782", customer_number_patterns=[pattern])
    assert [f.kind for f in findings] == [CUSTOMER]


_ALPHABET = "0123456789 +-./,:@#()€abcdefNLBEKL\u00a0😡é"


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_findings_are_ordered_in_bounds_non_overlapping_and_masked(text: str) -> None:
    findings = detect_personal_data(text)
    for finding, following in pairwise(findings):
        assert finding.end <= following.start
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert finding.preview != text[finding.start : finding.end]
