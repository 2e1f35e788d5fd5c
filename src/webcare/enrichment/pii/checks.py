"""Check-digit rules that separate real identifiers from numbers that merely look like them.

Both checks are cheap arithmetic and run only on candidates a regex has already found.
"""

from __future__ import annotations

# Total IBAN length per country for the SEPA area (ISO 13616 registry). A candidate of any other
# length cannot be an IBAN of that country, whatever its check digits say.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AL": 28, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21,
    "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MD": 24, "ME": 22, "MK": 19, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip

_BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def iban_is_valid(compact: str) -> bool:
    """ISO 13616: known country, its exact length, and ``mod 97 == 1`` over the rearranged IBAN.

    ``compact`` is upper-case without spaces. Letters count as 10..35, as the standard says.
    """
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def bsn_passes_eleven_test(digits: str) -> bool:
    """The BSN "11-proef": weights 9..2 and -1; the sum must be a non-zero multiple of 11.

    Eight-digit numbers are checked with a leading zero, as old numbers were issued that way.
    A zero sum (``000000000``) passes the arithmetic but is never a real number.
    """
    padded = digits.zfill(9)
    if len(padded) != 9 or not padded.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(padded, _BSN_WEIGHTS, strict=True))
    return total != 0 and total % 11 == 0
