"""A synthetic multi-agency population with ground truth, for measuring identity resolution.

`generate(n, seed=...)` returns exactly n agency records (record ids 1..n, in shuffled order) and the
true person behind each one. The population is built household by household in a synthetic Gwent
(hafan.demo.names): siblings share a surname, an address, a postcode and a home phone; 3% of
households with two or more children have twins (same date of birth, different first names). Each
child then appears in 1 to 6 records held by police, health, a council's social care, a council's
education service or the charity, and each kind of agency has its own habits (table `HABITS`):

- names: the child's "known as" name (Dai for Dafydd, Reece for Rhys), the other language's form of
  the name (David for Dafydd, Tomos for Thomas), accents dropped (Sian for Siân), surnames in capitals,
  one-character typos and the usual misspellings of Welsh surnames (Pritchard -> Prichard);
- double-barrelled surnames recorded whole, without the hyphen, or as one part only;
- a surname change part way through (a parent's new partner for the household, or an adoption), which
  records made later carry and some agencies never pick up; the old full name sometimes in other_names;
- moves: each record carries the address the household had when the record was made, and agencies
  with stale systems (health above all) keep an older one;
- dates of birth missing, or with day and month swapped, two adjacent digits transposed, or one digit
  wrong;
- identifiers only where that agency keeps them (the NHS number mostly in health records, the UPN in
  education records, sometimes either in police or council records), and now and then mistyped: one
  digit changed, which always breaks the check digit.

Every identifier is synthetic: NHS numbers come from the 999 range the NHS reserves for testing (the
typo never touches the 999 prefix), UPNs use the Welsh local-authority codes with invented
establishments, phone numbers come from Ofcom's ranges reserved for TV and radio drama, and email
addresses use the reserved example.org domain.

Pure Python, no Django. Deterministic for a seed. About 17 s and 0.8 GB for 1M records (2 cores).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
import unicodedata
from dataclasses import dataclass, field

from hafan.demo.names import (
    FEMALE_GIVEN_NAMES,
    MALE_GIVEN_NAMES,
    NICKNAMES,
    POSTCODE_UNIT_LETTERS,
    STREET_NAMES,
    SURNAME_MISSPELLINGS,
    SURNAMES,
    TOWNS,
    UPN_LA_CODES,
    Town,
)
from hafan.linkage.records import LinkRecord
from hafan.people.identifiers import nhs_check_digit, synthetic_upn

# The reference date: children are born in the 18 years before it.
TODAY = datetime.date(2026, 11, 26)
_OLDEST = datetime.date(2009, 1, 1)
_ELDEST_BORN_BY = datetime.date(2019, 12, 31)  # the eldest child in a household is at least 6
_YOUNGEST = datetime.date(2026, 9, 1)

# The other language's form of a name, both ways. Kept apart from the demo's NICKNAMES so a model that
# only knows NICKNAMES is tested on forms it has not been told about.
WELSH_ENGLISH_FORMS: dict[str, list[str]] = {
    "Dafydd": ["David"],
    "Ioan": ["Evan", "John"],
    "Ieuan": ["Evan"],
    "Evan": ["Ieuan", "Ioan"],
    "Siôn": ["John"],
    "Rhys": ["Reece"],
    "Gruffydd": ["Griffith"],
    "Owain": ["Owen"],
    "Tomos": ["Thomas"],
    "Thomas": ["Tomos"],
    "Iwan": ["Ewan"],
    "Harri": ["Harry"],
    "Elis": ["Ellis"],
    "Steffan": ["Stephen"],
    "Trystan": ["Tristan"],
    "Jac": ["Jack"],
    "Catrin": ["Catherine"],
    "Efa": ["Eva"],
    "Alys": ["Alice"],
    "Elizabeth": ["Elisabeth"],
    "Sophie": ["Soffi"],
}

AGENCY_KINDS = ("police", "health", "council", "education", "charity")
POLICE_AGENCY = "GWP"
HEALTH_AGENCY = "ABUHB"
CHARITY_AGENCY = "LLAMAU"
EDUCATION_SUFFIX = "-EDU"  # a council's education service: "NCC-EDU"

# Records per child (1..6) and the kind of agency behind each record.
_RECORDS_PER_CHILD = (0.25, 0.25, 0.20, 0.15, 0.10, 0.05)
_KIND_WEIGHTS = (0.27, 0.25, 0.20, 0.20, 0.08)
_CHILDREN_PER_HOUSEHOLD = (0.40, 0.30, 0.18, 0.08, 0.04)
TWIN_SHARE = 0.03  # of households with two or more children
HOUSEHOLD_SURNAME_CHANGE = 0.04  # a parent's new partner: every child's surname changes
ADOPTION = 0.01  # one child's surname changes
DOUBLE_BARRELLED = 0.06
MOVES = (0.62, 0.30, 0.08)  # households that never move, move once, move twice

# Ofcom's numbers reserved for drama (never allocated to a real line): 20 ranges of 1,000.
_DRAMA_PHONE_PREFIXES = (
    "07700 900",
    "01632 960",
    "029 2018 0",
    "0113 496 0",
    "0114 496 0",
    "0115 496 0",
    "0116 496 0",
    "0117 496 0",
    "0118 496 0",
    "0121 496 0",
    "0131 496 0",
    "0141 496 0",
    "0151 496 0",
    "0161 496 0",
    "0191 498 0",
    "020 7946 0",
    "028 9649 6",
    "0306 999 0",
    "0808 157 0",
    "0909 879 0",
)


@dataclass(frozen=True, slots=True)
class Habits:
    """How often one kind of agency does each thing when it records a child (probabilities)."""

    known_as: float  # writes the child's known-as name as the given name
    other_form: float  # writes the other language's form of the registered name
    notes_other_names: float  # keeps the known-as name / former name in other_names
    strip_accents: float
    upper_surname: float
    typo_given: float
    typo_family: float
    part_of_double_barrel: float  # records one part of a double-barrelled surname
    keeps_old_surname: float  # never picked up a surname change
    dob_missing: float
    dob_error: float
    sex_unknown: float
    stale_address: float  # keeps the address before the household's last move
    address_missing: float
    postcode_missing: float
    postcode_untidy: float  # "np204ab"
    nhs: float
    upn: float
    identifier_typo: float
    phone: float
    email: float


# One column per kind of agency, in AGENCY_KINDS order.
# fmt: off
_HABIT_TABLE: dict[str, tuple[float, float, float, float, float]] = {
    #                       police health council education charity
    "known_as":             (0.45,  0.03,  0.15,   0.30,     0.60),
    "other_form":           (0.04,  0.06,  0.03,   0.08,     0.05),
    "notes_other_names":    (0.40,  0.05,  0.60,   0.30,     0.20),
    "strip_accents":        (0.80,  0.40,  0.50,   0.60,     0.80),
    "upper_surname":        (0.40,  0.00,  0.00,   0.00,     0.00),
    "typo_given":           (0.03,  0.01,  0.015,  0.01,     0.05),
    "typo_family":          (0.03,  0.01,  0.015,  0.01,     0.05),
    "part_of_double_barrel": (0.50, 0.30,  0.30,   0.40,     0.60),
    "keeps_old_surname":    (0.15,  0.30,  0.10,   0.05,     0.20),
    "dob_missing":          (0.04,  0.005, 0.02,   0.01,     0.25),
    "dob_error":            (0.03,  0.005, 0.01,   0.01,     0.04),
    "sex_unknown":          (0.02,  0.005, 0.01,   0.01,     0.10),
    "stale_address":        (0.10,  0.25,  0.10,   0.05,     0.10),
    "address_missing":      (0.03,  0.01,  0.02,   0.02,     0.35),
    "postcode_missing":     (0.05,  0.01,  0.02,   0.02,     0.30),
    "postcode_untidy":      (0.10,  0.00,  0.02,   0.02,     0.05),
    "nhs":                  (0.10,  0.97,  0.35,   0.05,     0.00),
    "upn":                  (0.05,  0.00,  0.25,   0.97,     0.00),
    "identifier_typo":      (0.02,  0.005, 0.01,   0.01,     0.00),
    "phone":                (0.50,  0.40,  0.50,   0.40,     0.70),
    "email":                (0.10,  0.05,  0.05,   0.05,     0.25),
}
# fmt: on
HABITS: dict[str, Habits] = {
    kind: Habits(**{name: column[i] for name, column in _HABIT_TABLE.items()})
    for i, kind in enumerate(AGENCY_KINDS)
}


@dataclass(slots=True)
class Person:
    """One synthetic child: the facts as they really are (agencies record them imperfectly)."""

    key: str
    household: int
    given_name: str
    sex: str
    date_of_birth: datetime.date
    surname: str  # at the start
    new_surname: str = ""  # after `surname_changed_at`, if it changed
    surname_changed_at: float = 2.0
    known_as: str = ""
    nhs_number: str = ""
    upn: str = ""
    phone: str = ""
    email: str = ""
    twin_of: str = ""
    council: str = ""


@dataclass(slots=True)
class _Address:
    town: Town
    line: str  # "12 Heol y Bryn, Bettws, Newport"
    short_line: str  # "12 Heol y Bryn, Newport"
    postcode: str
    council: str


@dataclass(slots=True)
class _Household:
    addresses: list[_Address]
    moved_at: list[float]  # addresses[i + 1] from moved_at[i] on (times in [0, 1))
    phone: str


@dataclass
class Population:
    """What `generate_population` makes: records, truth, and the people and households behind them."""

    records: list[LinkRecord]
    truth: dict[int, str]  # record_id -> Person.key
    people: dict[str, Person] = field(default_factory=dict)
    households: int = 0


def generate(n_records: int, *, seed: int) -> tuple[list[LinkRecord], dict[int, str]]:
    """Exactly n_records agency records (ids 1..n_records) and record_id -> true person key."""
    population = generate_population(n_records, seed=seed)
    return population.records, population.truth


def generate_population(n_records: int, *, seed: int) -> Population:
    if n_records < 0:
        raise ValueError("n_records must not be negative")
    return _Generator(seed).run(n_records)


# Helpers


def _cumulative(weights: list[float] | tuple[float, ...]) -> list[float]:
    return list(itertools.accumulate(weights))


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_character_edit(text: str, rng: random.Random) -> str:
    """A typo: one letter substituted, dropped, doubled-in or swapped with its neighbour."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))  # keep the first letter: people rarely mistype that one
    op = rng.random()
    if op < 0.35:
        letter = rng.choice(_LETTERS)
        if text[i].isupper():
            letter = letter.upper()
        out = text[:i] + letter + text[i + 1 :]
    elif op < 0.6:
        out = text[:i] + text[i + 1 :]
    elif op < 0.8:
        out = text[:i] + text[i] + text[i:]
    else:
        i = min(i, len(text) - 2)
        out = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return out if out != text else text[:i] + text[i + 1 :]


def dob_error(dob: datetime.date, rng: random.Random) -> datetime.date:
    """A date of birth as a tired keyboard records it: day and month swapped, two adjacent digits of
    DDMMYYYY transposed, or one digit wrong. Always a real date, different from the true one where
    such a date exists."""
    kind = rng.random()
    if kind < 0.4 and dob.day <= 12 and dob.day != dob.month:
        return datetime.date(dob.year, dob.day, dob.month)
    digits = f"{dob.day:02d}{dob.month:02d}{dob.year:04d}"
    for _ in range(12):
        chars = list(digits)
        if kind < 0.7:
            i = rng.choice((0, 2, 6))  # within the day, within the month, the last two of the year
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            i = rng.choice((0, 1, 3, 7))
            chars[i] = str(rng.randrange(10))
        candidate = "".join(chars)
        try:
            wrong = datetime.date(int(candidate[4:]), int(candidate[2:4]), int(candidate[:2]))
        except ValueError:
            continue
        if wrong != dob and _OLDEST.year - 2 <= wrong.year <= TODAY.year:
            return wrong
    return dob + datetime.timedelta(days=1) if dob.day < 28 else dob - datetime.timedelta(days=1)


def mistype_identifier(value: str, rng: random.Random, *, start: int) -> str:
    """One character from `start` on changed to another digit: the check digit or letter then fails
    (both NHS numbers and UPNs are built to catch every single-digit error)."""
    positions = [i for i in range(start, len(value)) if value[i].isdigit()]
    i = rng.choice(positions)
    digit = str((int(value[i]) + rng.randrange(1, 10)) % 10)
    return value[:i] + digit + value[i + 1 :]


# agency, given, family, other names, date of birth, sex, postcode, address, NHS, UPN, phone, email, person key
_Row = tuple[str, str, str, str, datetime.date | None, str, str, str, str, str, str, str, str]


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data wants a seeded, non-cryptographic PRNG
        self.used_nhs: set[int] = set()
        self.used_upn: set[str] = set()
        self.used_email: set[str] = set()
        # Surnames by rough Welsh frequency: the list is in that order, so a Zipf-like weight.
        self.surname_cum = _cumulative([1 / (rank + 1) ** 0.8 for rank in range(len(SURNAMES))])
        self.name_forms: dict[str, list[str]] = {}
        for name in {*FEMALE_GIVEN_NAMES, *MALE_GIVEN_NAMES}:
            forms = [*NICKNAMES.get(name, []), *WELSH_ENGLISH_FORMS.get(name, [])]
            self.name_forms[name] = [f for f in dict.fromkeys(forms) if f not in (name, _strip_accents(name))]
        self.welsh_english = WELSH_ENGLISH_FORMS
        self.town_cum = _cumulative([len(t.areas) for t in TOWNS])
        self.records_cum = _cumulative(_RECORDS_PER_CHILD)
        self.kind_cum = _cumulative(_KIND_WEIGHTS)
        self.children_cum = _cumulative(_CHILDREN_PER_HOUSEHOLD)
        self.moves_cum = _cumulative(MOVES)
        self.accentless: dict[str, str] = {}

    # Population

    def surname(self) -> str:
        rng = self.rng
        return SURNAMES[bisect.bisect(self.surname_cum, rng.random() * self.surname_cum[-1])]

    def town(self) -> Town:
        return TOWNS[bisect.bisect(self.town_cum, self.rng.random() * self.town_cum[-1])]

    def address(self, town: Town | None = None) -> _Address:
        rng = self.rng
        town = town or self.town()
        area = rng.choice(town.areas)
        street = rng.choice(STREET_NAMES)
        number = rng.randint(1, 120)
        outcode = rng.choice(town.outcodes)
        unit = f"{rng.randint(1, 9)}{rng.choice(POSTCODE_UNIT_LETTERS)}{rng.choice(POSTCODE_UNIT_LETTERS)}"
        return _Address(
            town=town,
            line=f"{number} {street}, {area}, {town.name}",
            short_line=f"{number} {street}, {town.name}",
            postcode=f"{outcode} {unit}",
            council=town.council,
        )

    def phone(self) -> str:
        rng = self.rng
        prefix = rng.choice(_DRAMA_PHONE_PREFIXES)
        return prefix + f"{rng.randrange(1000):03d}"  # every prefix has 8 of the 11 digits

    def nhs_number(self) -> str:
        rng = self.rng
        if len(self.used_nhs) > 800_000:  # the 999 range holds ~909,000 valid numbers
            return ""  # not registered with a GP (beyond ~2M records the pool runs dry)
        while True:
            body = rng.randrange(1_000_000)
            if body in self.used_nhs:
                continue
            first_nine = f"999{body:06d}"
            check = nhs_check_digit(first_nine)
            if check is None:
                continue
            self.used_nhs.add(body)
            return first_nine + str(check)

    def upn(self, council: str, dob: datetime.date) -> str:
        if dob > datetime.date(TODAY.year - 4, 8, 31):
            return ""  # not of school age yet
        entry_year = dob.year + 4 if dob.month < 9 else dob.year + 5
        while True:
            upn = synthetic_upn(self.rng, la_code=UPN_LA_CODES[council], year=entry_year)
            if upn not in self.used_upn:
                self.used_upn.add(upn)
                return upn

    def email(self, given: str, family: str) -> str:
        rng = self.rng
        base = f"{self.plain(given).lower()}.{self.plain(family).lower().replace(' ', '').replace("'", '')}"
        while True:
            email = f"{base}{rng.randint(1, 9999)}@example.org"
            if email not in self.used_email:
                self.used_email.add(email)
                return email

    def plain(self, text: str) -> str:
        out = self.accentless.get(text)
        if out is None:
            out = self.accentless[text] = _strip_accents(text)
        return out

    def household(
        self, number: int, people: dict[str, Person], next_key: int
    ) -> tuple[_Household, list[Person]]:
        rng = self.rng
        first = self.address()
        addresses = [first]
        moves = bisect.bisect(self.moves_cum, rng.random() * self.moves_cum[-1])
        moved_at = sorted(rng.random() for _ in range(moves))
        for _ in range(moves):
            addresses.append(self.address(addresses[-1].town if rng.random() < 0.7 else None))
        house = _Household(addresses=addresses, moved_at=moved_at, phone=self.phone())

        surname = self.surname()
        if rng.random() < DOUBLE_BARRELLED:
            other = self.surname()
            if other != surname:
                surname = f"{surname}-{other}"
        new_surname, changed_at = "", 2.0
        if rng.random() < HOUSEHOLD_SURNAME_CHANGE:
            partner = self.surname()
            if partner != surname:
                new_surname = f"{surname}-{partner}" if rng.random() < 0.3 else partner
                changed_at = rng.uniform(0.2, 0.9)

        n_children = bisect.bisect(self.children_cum, rng.random() * self.children_cum[-1]) + 1
        span = (_ELDEST_BORN_BY - _OLDEST).days
        eldest = _OLDEST + datetime.timedelta(days=rng.randrange(span))
        dobs = [eldest]
        for _ in range(n_children - 1):
            nxt = dobs[-1] + datetime.timedelta(days=rng.randint(330, 1900))
            if nxt > _YOUNGEST:
                break
            dobs.append(nxt)
        twins = len(dobs) >= 2 and rng.random() < TWIN_SHARE
        if twins:
            dobs.insert(rng.randrange(len(dobs)), dobs[rng.randrange(len(dobs))])
            dobs.sort()
            dobs = dobs[:5]

        children: list[Person] = []
        taken: set[str] = set()
        for dob in dobs:
            sex = "female" if rng.random() < 0.5 else "male"
            names = FEMALE_GIVEN_NAMES if sex == "female" else MALE_GIVEN_NAMES
            while True:
                given = rng.choice(names)
                # Brothers and sisters never share a name, nor a form of each other's names.
                if given not in taken and not taken.intersection(self.name_forms[given]):
                    break
            taken.add(given)
            taken.update(self.name_forms[given])
            key = f"P{next_key:07d}"
            next_key += 1
            person = Person(
                key=key, household=number, given_name=given, sex=sex, date_of_birth=dob, surname=surname
            )
            person.new_surname, person.surname_changed_at = new_surname, changed_at
            if not new_surname and rng.random() < ADOPTION:
                adopted = self.surname()
                if adopted != surname:
                    person.new_surname, person.surname_changed_at = adopted, rng.uniform(0.1, 0.9)
            if self.name_forms[given] and rng.random() < 0.5:
                person.known_as = rng.choice(self.name_forms[given])
            person.council = first.council
            person.nhs_number = self.nhs_number()
            person.upn = self.upn(first.council, dob)
            age = (TODAY - dob).days / 365.25
            if age >= 11 and rng.random() < 0.6:
                person.phone = self.phone()
            if age >= 13 and rng.random() < 0.3:
                person.email = self.email(person.known_as or given, surname)
            children.append(person)
            people[key] = person
        if twins:
            for a, b in itertools.pairwise(children):
                if a.date_of_birth == b.date_of_birth:
                    a.twin_of, b.twin_of = b.key, a.key
        return house, children

    # Records

    def record(self, person: Person, house: _Household, kind: str) -> _Row:
        rng = self.rng
        rand = rng.random
        habits = HABITS[kind]
        t = rand()

        # Where the household lived when the record was made, or an older address the agency kept.
        where = bisect.bisect(house.moved_at, t)
        if where and rand() < habits.stale_address:
            where -= 1
        home = house.addresses[where]

        if kind == "police":
            agency = POLICE_AGENCY
        elif kind == "health":
            agency = HEALTH_AGENCY
        elif kind == "charity":
            agency = CHARITY_AGENCY
        elif kind == "council":
            agency = home.council
        else:
            agency = home.council + EDUCATION_SUFFIX

        # Given name.
        other_names: list[str] = []
        given = person.given_name
        if person.known_as and rand() < habits.known_as:
            given = person.known_as
            if rand() < habits.notes_other_names:
                other_names.append(person.given_name)
        else:
            forms = self.welsh_english.get(given)
            if forms and rand() < habits.other_form:
                given = rng.choice(forms)
            if person.known_as and rand() < habits.notes_other_names:
                other_names.append(person.known_as)
        if rand() < habits.strip_accents:
            given = self.plain(given)
        if rand() < habits.typo_given:
            given = one_character_edit(given, rng)

        # Family name.
        family = person.surname
        if person.new_surname and t >= person.surname_changed_at and rand() >= habits.keeps_old_surname:
            family = person.new_surname
            if rand() < habits.notes_other_names * 0.5:
                other_names.append(f"{person.given_name} {person.surname}")
        if "-" in family:
            r = rand()
            if r < habits.part_of_double_barrel:
                parts = family.split("-")
                family = parts[0] if rand() < 0.5 else parts[-1]
            elif r < habits.part_of_double_barrel + 0.15:
                family = family.replace("-", " ")
        if rand() < habits.typo_family:
            misspellings = SURNAME_MISSPELLINGS.get(family)
            family = (
                rng.choice(misspellings) if misspellings and rand() < 0.6 else one_character_edit(family, rng)
            )
        if rand() < habits.upper_surname:
            family = family.upper()

        # Date of birth and sex.
        dob: datetime.date | None = person.date_of_birth
        if rand() < habits.dob_missing:
            dob = None
        elif rand() < habits.dob_error:
            dob = dob_error(person.date_of_birth, rng)
        sex = "unknown" if rand() < habits.sex_unknown else person.sex

        # Address and postcode.
        if rand() < habits.address_missing:
            address = ""
        else:
            address = home.short_line if kind == "health" else home.line
            if kind == "health" and rand() < 0.5:
                address = address.upper()
        if rand() < habits.postcode_missing:
            postcode = ""
        elif rand() < habits.postcode_untidy:
            postcode = home.postcode.replace(" ", "").lower()
        else:
            postcode = home.postcode

        # Identifiers.
        nhs = ""
        if person.nhs_number and rand() < habits.nhs:
            nhs = person.nhs_number
            if rand() < habits.identifier_typo:
                nhs = mistype_identifier(nhs, rng, start=3)  # keep the 999 test range
        upn = ""
        if person.upn and rand() < habits.upn:
            upn = person.upn
            if rand() < habits.identifier_typo:
                upn = mistype_identifier(upn, rng, start=1)

        phone = ""
        if rand() < habits.phone:
            phone = person.phone if person.phone and kind in ("police", "charity") else house.phone
        email = person.email if person.email and rand() < habits.email else ""

        return (
            agency,
            given,
            family,
            ", ".join(other_names),
            dob,
            sex,
            postcode,
            address,
            nhs,
            upn,
            phone,
            email,
            person.key,
        )

    def kind_for(self, person: Person) -> str:
        rng = self.rng
        kind = AGENCY_KINDS[bisect.bisect(self.kind_cum, rng.random() * self.kind_cum[-1])]
        age = (TODAY - person.date_of_birth).days / 365.25
        if kind == "education" and not person.upn:
            kind = "health"
        elif kind in ("police", "charity") and age < 8 and rng.random() < 0.8:
            kind = "health" if rng.random() < 0.5 else "council"
        return kind

    def run(self, n_records: int) -> Population:
        rng = self.rng
        people: dict[str, Person] = {}
        rows: list[_Row] = []
        households = 0
        while len(rows) < n_records:
            house, children = self.household(households, people, len(people) + 1)
            households += 1
            for person in children:
                n = bisect.bisect(self.records_cum, rng.random() * self.records_cum[-1]) + 1
                for _ in range(n):
                    rows.append(self.record(person, house, self.kind_for(person)))
        del rows[n_records:]
        rng.shuffle(rows)
        records: list[LinkRecord] = []
        truth: dict[int, str] = {}
        append = records.append
        for record_id, row in enumerate(rows, start=1):
            (agency, given, family, other, dob, sex, postcode, address, nhs, upn, phone, email, key) = row
            append(
                LinkRecord(
                    record_id=record_id,
                    agency=agency,
                    given_name=given,
                    family_name=family,
                    other_names=other,
                    date_of_birth=dob,
                    sex=sex,
                    postcode=postcode,
                    address=address,
                    nhs_number=nhs,
                    upn=upn,
                    phone=phone,
                    email=email,
                )
            )
            truth[record_id] = key
        present = set(truth.values())
        people = {k: p for k, p in people.items() if k in present}
        return Population(records=records, truth=truth, people=people, households=households)
