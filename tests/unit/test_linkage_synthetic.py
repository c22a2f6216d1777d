"""The synthetic multi-agency generator behind the linkage benchmark: exact, seeded, and realistic in the
ways the model has to cope with (twins, known-as names, surname changes, mistyped identifiers)."""

from __future__ import annotations

import datetime
import itertools
import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hafan.linkage.records import LinkRecord
from hafan.linkage.synthetic import (
    Population,
    dob_error,
    generate,
    generate_population,
    mistype_identifier,
    one_character_edit,
)
from hafan.people.identifiers import (
    nhs_number_is_valid,
    synthetic_nhs_number,
    synthetic_upn,
    upn_is_valid,
)

N = 20_000


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(N, seed=7)


def by_person(population: Population) -> dict[str, list[LinkRecord]]:
    out: dict[str, list[LinkRecord]] = defaultdict(list)
    for record in population.records:
        out[population.truth[record.record_id]].append(record)
    return out


@pytest.mark.parametrize("n", [0, 1, 17, 2_000])
def test_size_is_exact_and_ids_run_from_one(n: int) -> None:
    records, truth = generate(n, seed=3)
    assert len(records) == n
    assert [r.record_id for r in records] == list(range(1, n + 1))
    assert set(truth) == set(range(1, n + 1))


def test_same_seed_same_output_and_another_seed_differs() -> None:
    first = generate(3_000, seed=11)
    assert generate(3_000, seed=11) == first
    assert generate(3_000, seed=12) != first


def test_every_truth_key_is_a_person_and_people_have_one_to_six_records(population: Population) -> None:
    records_per_person = Counter(population.truth.values())
    assert set(records_per_person) == set(population.people)
    assert set(records_per_person.values()) <= set(range(1, 7))
    assert {1, 6} <= set(records_per_person.values())
    assert 2.0 < N / len(population.people) < 3.5


def test_record_order_does_not_give_the_people_away(population: Population) -> None:
    """Ids are shuffled: a person's records are not neighbours in id order."""
    keys = [population.truth[r.record_id] for r in population.records]
    neighbours_same = sum(a == b for a, b in itertools.pairwise(keys))
    assert neighbours_same < N * 0.01


def test_twins_share_surname_birthday_and_home_but_not_first_name(population: Population) -> None:
    twins = [p for p in population.people.values() if p.twin_of and p.twin_of in population.people]
    assert len(twins) >= 20
    for person in twins:
        twin = population.people[person.twin_of]
        assert twin.twin_of == person.key
        assert twin.key != person.key
        assert twin.household == person.household
        assert twin.date_of_birth == person.date_of_birth
        assert twin.surname == person.surname
        assert twin.given_name != person.given_name
        assert twin.given_name != person.known_as


def test_twins_look_alike_in_the_records(population: Population) -> None:
    """At least some twin pairs have health records that agree on surname, date of birth and postcode:
    the case the model must not merge."""
    records = by_person(population)
    hard_cases = 0
    for person in population.people.values():
        if not person.twin_of or person.twin_of not in population.people or person.key > person.twin_of:
            continue
        mine = {(r.family_name.lower(), r.date_of_birth, r.postcode) for r in records[person.key]}
        theirs = {(r.family_name.lower(), r.date_of_birth, r.postcode) for r in records[person.twin_of]}
        hard_cases += bool(mine & theirs)
    assert hard_cases >= 5


def test_siblings_share_a_home(population: Population) -> None:
    households = Counter(p.household for p in population.people.values())
    assert sum(1 for n in households.values() if n >= 2) > len(households) * 0.3


def test_identifiers_are_synthetic_and_agree_with_the_truth(population: Population) -> None:
    owner_of_nhs: dict[str, str] = {}
    owner_of_upn: dict[str, str] = {}
    invalid_nhs = invalid_upn = 0
    for record in population.records:
        key = population.truth[record.record_id]
        if record.nhs_number:
            assert record.nhs_number.startswith("999") and len(record.nhs_number) == 10
            if nhs_number_is_valid(record.nhs_number):
                assert record.nhs_number == population.people[key].nhs_number
                assert owner_of_nhs.setdefault(record.nhs_number, key) == key
            else:
                invalid_nhs += 1
        if record.upn:
            if upn_is_valid(record.upn):
                assert record.upn == population.people[key].upn
                assert owner_of_upn.setdefault(record.upn, key) == key
            else:
                invalid_upn += 1
    assert len(owner_of_nhs) > 1_000
    assert len(owner_of_upn) > 500
    assert 0 < invalid_nhs < len(owner_of_nhs) * 0.05
    assert 0 < invalid_upn < len(owner_of_upn) * 0.05
    people = population.people.values()
    assert len({p.nhs_number for p in people if p.nhs_number}) == sum(1 for p in people if p.nhs_number)


def test_identifiers_sit_mostly_with_their_agencies(population: Population) -> None:
    health = [r for r in population.records if r.agency == "ABUHB"]
    education = [r for r in population.records if r.agency.endswith("-EDU")]
    charity = [r for r in population.records if r.agency == "LLAMAU"]
    assert sum(bool(r.nhs_number) for r in health) > 0.9 * len(health)
    assert sum(bool(r.upn) for r in education) > 0.9 * len(education)
    assert not any(r.nhs_number or r.upn for r in charity)
    police = [r for r in population.records if r.agency == "GWP"]
    assert 0 < sum(bool(r.nhs_number) for r in police) < 0.2 * len(police)


def test_agencies_record_people_imperfectly(population: Population) -> None:
    records = population.records
    people = population.people
    truth = population.truth
    known_as = sum(r.given_name == people[truth[r.record_id]].known_as != "" for r in records)
    missing_dob = sum(r.date_of_birth is None for r in records)
    wrong_dob = sum(
        r.date_of_birth is not None and r.date_of_birth != people[truth[r.record_id]].date_of_birth
        for r in records
    )
    changed_surname = sum(bool(p.new_surname) for p in people.values())
    hyphenated = sum("-" in p.surname for p in people.values())
    upper = sum(r.family_name.isupper() for r in records)
    assert known_as > N * 0.05
    assert N * 0.01 < missing_dob < N * 0.1
    assert N * 0.002 < wrong_dob < N * 0.03
    assert changed_surname > len(people) * 0.02
    assert hyphenated > len(people) * 0.02
    assert upper > N * 0.05
    assert any(r.given_name == "David" for r in records)  # Dafydd's English form
    assert any(r.given_name == "Sian" for r in records)  # Siân without the accent


def test_moves_leave_old_addresses_behind(population: Population) -> None:
    postcodes_per_person = [
        len({r.postcode.replace(" ", "").upper() for r in rs if r.postcode})
        for rs in by_person(population).values()
    ]
    assert sum(n >= 2 for n in postcodes_per_person) > len(postcodes_per_person) * 0.05


# The corruptions


@given(st.integers(min_value=0, max_value=2**32))
def test_a_mistyped_nhs_number_fails_its_check_digit_and_stays_in_the_test_range(seed: int) -> None:
    rng = random.Random(seed)
    number = synthetic_nhs_number(rng)
    typo = mistype_identifier(number, rng, start=3)
    assert typo != number and typo.startswith("999")
    assert not nhs_number_is_valid(typo)


@given(st.integers(min_value=0, max_value=2**32))
def test_a_mistyped_upn_fails_its_check_letter(seed: int) -> None:
    rng = random.Random(seed)
    upn = synthetic_upn(rng, la_code=680, year=2015)
    typo = mistype_identifier(upn, rng, start=1)
    assert typo != upn
    assert not upn_is_valid(typo)


@given(
    st.dates(min_value=datetime.date(2009, 1, 1), max_value=datetime.date(2026, 9, 1)), st.integers(0, 2**16)
)
def test_a_date_of_birth_error_is_a_different_real_date(dob: datetime.date, seed: int) -> None:
    wrong = dob_error(dob, random.Random(seed))
    assert wrong != dob
    assert abs(wrong.year - dob.year) <= 90


@given(st.sampled_from(["Cerys", "Gruffydd", "Pritchard", "O'Brien", "Ng"]), st.integers(0, 2**16))
def test_a_typo_is_one_edit_and_keeps_the_first_letter(name: str, seed: int) -> None:
    typo = one_character_edit(name, random.Random(seed))
    if len(name) < 3:
        assert typo == name
    else:
        assert typo != name and typo[0] == name[0]
        assert abs(len(typo) - len(name)) <= 1
