"""NHS number and Unique Pupil Number: validation and synthetic generation by the check-digit rules.

Pure functions. python-stdnum's UPN `validate` rejects Welsh local-authority codes (660-681), so the
UPN rules are written out here.
"""

from __future__ import annotations

import random
import re

_NHS_RE = re.compile(r"^\d{10}$")


def normalise_nhs_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus 11 with weights 10..2. None means the nine digits cannot carry a valid number."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_is_valid(value: str) -> bool:
    number = normalise_nhs_number(value)
    if not _NHS_RE.match(number):
        return False
    return nhs_check_digit(number[:9]) == int(number[9])


def format_nhs_number(value: str) -> str:
    n = normalise_nhs_number(value)
    return f"{n[:3]} {n[3:6]} {n[6:]}" if len(n) == 10 else value


def synthetic_nhs_number(rng: random.Random) -> str:
    """A checksum-valid number in the 999 range, which the NHS reserves for testing: never a real person's."""
    while True:
        first_nine = "999" + "".join(str(rng.randint(0, 9)) for _ in range(6))
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)


# Unique Pupil Number: check letter + LA (3) + establishment (4) + year (2) + serial (3); a temporary
# UPN ends in a letter instead of the last serial digit.
_UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_RE = re.compile(r"^[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]$")
WELSH_LA_CODES = range(660, 682)


def _upn_char_value(char: str) -> int:
    return int(char) if char.isdigit() else _UPN_ALPHABET.index(char)


def upn_check_letter(last_twelve: str) -> str:
    total = sum(weight * _upn_char_value(ch) for weight, ch in enumerate(last_twelve, start=2))
    return _UPN_ALPHABET[total % 23]


def normalise_upn(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def upn_is_valid(value: str) -> bool:
    upn = normalise_upn(value)
    if not _UPN_RE.match(upn):
        return False
    la_code = int(upn[1:4])
    if not (la_code in WELSH_LA_CODES or 201 <= la_code <= 938):
        return False
    return upn_check_letter(upn[1:]) == upn[0]


def synthetic_upn(rng: random.Random, *, la_code: int, year: int) -> str:
    body = f"{la_code:03d}{rng.randint(1000, 9999):04d}{year % 100:02d}{rng.randint(0, 999):03d}"
    return upn_check_letter(body) + body
