"""Synthetic agency files for the ingest benchmark and the demo: valid-looking, entirely invented.

Names come from the demo's name lists; NHS numbers are synthetic (the 999 range, with valid check
digits); addresses are invented streets in real Gwent postcode districts. No real person is described.
"""

from __future__ import annotations

import csv
import datetime
import random
from typing import IO

from hafan.demo.names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, STREET_NAMES, SURNAMES, TOWNS
from hafan.people.identifiers import synthetic_nhs_number

POLICE_COLUMNS = [
    "occurrence_number",
    "reported_at",
    "person_id",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "nhs_number",
    "missing_type",
    "risk_grade",
    "last_seen_at",
    "last_seen_place",
    "reporter",
    "circumstances",
    "found_at",
    "found_where",
    "found_by",
    "warning_markers",
    "associates",
    "locations",
    "updated_at",
]
GENERIC_COLUMNS = [
    "Ref",
    "First name",
    "Last name",
    "Known as",
    "Born",
    "Gender",
    "Street",
    "Post code",
    "NHS",
]
GENERIC_MAPPING = """\
[source]
system = "Youth service register"
id_column = "Ref"
date_formats = ["%d/%m/%Y"]

[columns]
given_name = "First name"
family_name = "Last name"
other_names = "Known as"
date_of_birth = "Born"
sex = "Gender"
address = "Street"
postcode = "Post code"
nhs_number = "NHS"
"""
_RISK = ["Low", "Medium", "Medium", "High", "No apparent risk"]
_MISSING = ["home", "home", "care", "away"]
_FOUND_BY = ["Police", "Carer", "Self", "Public"]
_MARKERS = ["", "", "", "SH", "DR", "SH;MH", "VI"]


class _Person:
    __slots__ = ("address", "dob", "family", "given", "nhs", "postcode", "ref", "sex")

    def __init__(self, rng: random.Random, index: int) -> None:
        female = rng.random() < 0.5
        self.given = rng.choice(FEMALE_GIVEN_NAMES if female else MALE_GIVEN_NAMES)
        self.family = rng.choice(SURNAMES)
        self.sex = "F" if female else "M"
        self.dob = datetime.date(2008, 1, 1) + datetime.timedelta(days=rng.randrange(0, 9 * 365))
        town = rng.choice(TOWNS)
        self.address = f"{rng.randrange(1, 200)} {rng.choice(STREET_NAMES)}, {town.name}"
        self.postcode = f"{rng.choice(town.outcodes)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        self.nhs = synthetic_nhs_number(rng) if rng.random() < 0.7 else ""
        self.ref = f"PER-{index:08d}"


def write_police_csv(out: IO[str], rows: int, *, seed: int = 11, today: datetime.date | None = None) -> None:
    """`rows` occurrences of about rows * 0.6 people (so some have several), in the police-csv format."""
    rng = random.Random(seed)
    today = today or datetime.datetime.now(tz=datetime.UTC).date()
    people = max(1, int(rows * 0.6))
    cache: dict[int, _Person] = {}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(POLICE_COLUMNS)
    start = datetime.datetime.combine(today - datetime.timedelta(days=720), datetime.time(0, 0))
    for i in range(rows):
        index = rng.randrange(people)
        person = cache.get(index)
        if person is None:
            person = _Person(random.Random(seed * 1_000_003 + index), index)
            if len(cache) < 200_000:  # keep memory bounded however large the file
                cache[index] = person
        reported = start + datetime.timedelta(minutes=rng.randrange(0, 700 * 24 * 60))
        last_seen = reported - datetime.timedelta(minutes=rng.randrange(30, 600))
        found = (
            reported + datetime.timedelta(minutes=rng.randrange(60, 4000)) if rng.random() < 0.97 else None
        )
        fmt = "%d/%m/%Y %H:%M"
        writer.writerow(
            [
                f"MP-{i:09d}",
                reported.strftime(fmt),
                person.ref,
                person.given,
                person.family,
                "",
                person.dob.strftime("%d/%m/%Y"),
                person.sex,
                person.address,
                person.postcode,
                person.nhs,
                rng.choice(_MISSING),
                rng.choice(_RISK),
                last_seen.strftime(fmt),
                "Newport bus station",
                "Carer",
                "",
                found.strftime(fmt) if found else "",
                "Friars Walk, Newport" if found else "",
                rng.choice(_FOUND_BY) if found else "",
                rng.choice(_MARKERS),
                "",
                "Newport bus station" if rng.random() < 0.3 else "",
                "",
            ]
        )


def write_generic_csv(out: IO[str], rows: int, *, seed: int = 13) -> None:
    """`rows` distinct people in the generic format, read with GENERIC_MAPPING."""
    rng = random.Random(seed)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GENERIC_COLUMNS)
    for i in range(rows):
        person = _Person(rng, i)
        writer.writerow(
            [
                f"YS{i:09d}",
                person.given,
                person.family,
                "",
                person.dob.strftime("%d/%m/%Y"),
                person.sex,
                person.address,
                person.postcode,
                person.nhs,
            ]
        )
