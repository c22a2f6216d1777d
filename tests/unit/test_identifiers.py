"""NHS numbers and Unique Pupil Numbers: the check-digit rules, as properties and worked examples."""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hafan.people.identifiers import (
    WELSH_LA_CODES,
    format_nhs_number,
    nhs_check_digit,
    nhs_number_is_valid,
    normalise_nhs_number,
    normalise_upn,
    synthetic_nhs_number,
    synthetic_upn,
    upn_check_letter,
    upn_is_valid,
)

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
seeds = st.integers(min_value=0, max_value=2**32)
digits = st.sampled_from("0123456789")


# NHS number


@st.composite
def valid_nhs_numbers(draw: st.DrawFn) -> str:
    """Any checksum-valid NHS number, not only the 999 test range."""
    first_nine = "".join(draw(st.lists(digits, min_size=9, max_size=9)))
    check = nhs_check_digit(first_nine)
    assume(check is not None)
    return first_nine + str(check)


@given(seed=seeds)
def test_synthetic_nhs_number_is_valid_and_in_the_test_range(seed: int) -> None:
    number = synthetic_nhs_number(random.Random(seed))
    assert len(number) == 10
    assert number.isdigit()
    assert number.startswith("999")
    assert nhs_number_is_valid(number)


@given(number=valid_nhs_numbers(), position=st.integers(min_value=0, max_value=9), digit=digits)
def test_changing_any_single_digit_invalidates_an_nhs_number(number: str, position: int, digit: str) -> None:
    assume(number[position] != digit)
    changed = number[:position] + digit + number[position + 1 :]
    assert not nhs_number_is_valid(changed)


@given(seed=seeds, position=st.integers(min_value=0, max_value=9), digit=digits)
def test_changing_any_single_digit_invalidates_a_synthetic_nhs_number(
    seed: int, position: int, digit: str
) -> None:
    number = synthetic_nhs_number(random.Random(seed))
    assume(number[position] != digit)
    assert not nhs_number_is_valid(number[:position] + digit + number[position + 1 :])


def test_known_nhs_numbers() -> None:
    # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9.
    assert nhs_number_is_valid("9434765919")
    assert not nhs_number_is_valid("9434765918")


def test_a_remainder_of_one_means_no_valid_number() -> None:
    # 1*10 + 1*2 = 12; 12 mod 11 = 1; 11 - 1 = 10, which no single digit can carry.
    assert nhs_check_digit("100000001") is None
    assert not any(nhs_number_is_valid("100000001" + str(d)) for d in range(10))


def test_a_total_divisible_by_eleven_gives_check_digit_zero() -> None:
    assert nhs_check_digit("000000000") == 0
    assert nhs_number_is_valid("0000000000")


@pytest.mark.parametrize(
    "value", ["", "943476591", "94347659190", "943476591X", "abcdefghij", "9434 76591 9 9"]
)
def test_malformed_nhs_numbers_are_invalid(value: str) -> None:
    assert not nhs_number_is_valid(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9434765919", "943 476 5919"),
        ("943 476 5919", "943 476 5919"),
        ("943-476-5919", "943 476 5919"),
        (" 9434765919 ", "943 476 5919"),
    ],
)
def test_format_nhs_number_is_three_three_four(value: str, expected: str) -> None:
    assert format_nhs_number(value) == expected


def test_format_leaves_a_value_of_the_wrong_length_alone() -> None:
    assert format_nhs_number("12345") == "12345"


@given(number=valid_nhs_numbers(), data=st.data())
def test_normalise_strips_spaces_and_dashes(number: str, data: st.DataObject) -> None:
    separators = st.text(alphabet=" -\t", max_size=2)
    noisy = "".join(data.draw(separators) + ch for ch in number) + data.draw(separators)
    assert normalise_nhs_number(noisy) == number
    assert nhs_number_is_valid(noisy)


@given(number=valid_nhs_numbers())
def test_format_then_normalise_round_trips(number: str) -> None:
    formatted = format_nhs_number(number)
    assert [len(part) for part in formatted.split(" ")] == [3, 3, 4]
    assert normalise_nhs_number(formatted) == number


# Unique Pupil Number


def test_known_upn() -> None:
    # Body 660123424001, weights 2..13: 12+18+0+5+12+21+32+18+40+0+0+13 = 171; 171 mod 23 = 10 -> "L".
    assert upn_check_letter("660123424001") == "L"
    assert upn_is_valid("L660123424001")


def test_known_temporary_upn() -> None:
    # A final "A" counts 0, so the total is 171 - 13 = 158; 158 mod 23 = 20 -> "X".
    assert upn_check_letter("66012342400A") == "X"
    assert upn_is_valid("X66012342400A")


@pytest.mark.parametrize("la_code", list(WELSH_LA_CODES))
@given(seed=seeds, year=st.integers(min_value=2000, max_value=2099))
def test_synthetic_upn_is_valid_for_every_welsh_council(la_code: int, seed: int, year: int) -> None:
    upn = synthetic_upn(random.Random(seed), la_code=la_code, year=year)
    assert len(upn) == 13
    assert upn[1:4] == f"{la_code:03d}"
    assert upn_is_valid(upn)


def test_welsh_council_codes_are_660_to_681() -> None:
    assert list(WELSH_LA_CODES) == list(range(660, 682))


@given(
    seed=seeds,
    la_code=st.integers(min_value=201, max_value=938),
    year=st.integers(min_value=2000, max_value=2099),
)
def test_synthetic_upn_is_valid_for_english_councils(seed: int, la_code: int, year: int) -> None:
    assert upn_is_valid(synthetic_upn(random.Random(seed), la_code=la_code, year=year))


@given(
    seed=seeds, la_code=st.sampled_from([*WELSH_LA_CODES, 201, 330, 938]), letter=st.sampled_from(UPN_LETTERS)
)
def test_changing_the_check_letter_invalidates_a_upn(seed: int, la_code: int, letter: str) -> None:
    upn = synthetic_upn(random.Random(seed), la_code=la_code, year=2011)
    assume(letter != upn[0])
    assert not upn_is_valid(letter + upn[1:])


@given(seed=seeds, position=st.integers(min_value=1, max_value=12), digit=digits)
def test_changing_any_digit_invalidates_a_upn(seed: int, position: int, digit: str) -> None:
    # Weights 2..13 are all non-zero mod 23 and 23 is prime, so a single substitution always moves the total.
    upn = synthetic_upn(random.Random(seed), la_code=670, year=2011)
    assume(upn[position] != digit)
    assert not upn_is_valid(upn[:position] + digit + upn[position + 1 :])


@pytest.mark.parametrize(
    "value",
    [
        "",
        "L66012342400",  # 12 characters
        "L6601234240011",  # 14 characters
        "660123424001L",  # letter at the wrong end
        "I660123424001",  # I, O and S are never used
        "O660123424001",
        "S660123424001",
        "X66012342400I",
        "X66012342400O",
        "X66012342400S",
        "L66012A424001",  # a letter in the middle
    ],
)
def test_malformed_upns_are_invalid(value: str) -> None:
    assert not upn_is_valid(value)


@pytest.mark.parametrize("la_code", [0, 100, 200, 939, 999])
def test_a_upn_with_an_unknown_council_code_is_invalid_even_with_the_right_check_letter(la_code: int) -> None:
    body = f"{la_code:03d}123424001"
    assert not upn_is_valid(upn_check_letter(body) + body)


@given(seed=seeds, la_code=st.sampled_from(list(WELSH_LA_CODES)), last=st.sampled_from(UPN_LETTERS))
def test_a_temporary_upn_is_validated_by_the_same_rule(seed: int, la_code: int, last: str) -> None:
    permanent = synthetic_upn(random.Random(seed), la_code=la_code, year=2012)
    body = permanent[1:12] + last
    temporary = upn_check_letter(body) + body
    assert upn_is_valid(temporary)
    for wrong in UPN_LETTERS.replace(temporary[0], ""):
        assert not upn_is_valid(wrong + body)


@given(seed=seeds)
def test_normalise_upn_uppercases_and_strips_whitespace(seed: int) -> None:
    upn = synthetic_upn(random.Random(seed), la_code=681, year=2013)
    noisy = f" {upn[:4].lower()} {upn[4:8]}\t{upn[8:]} "
    assert normalise_upn(noisy) == upn
    assert upn_is_valid(noisy)
