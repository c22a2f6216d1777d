"""The linkage engine (Splink 5 + DuckDB) on synthetic records: no database needed.

The synthetic world: households of 1-4 children (some twins) sharing a surname, address, postcode
and phone; each child has 1-4 agency records with nicknames, Welsh/English forms, dropped accents,
typos, surname changes, moves, missing or mistyped dates of birth, and identifiers only in some
agencies' records (occasionally mistyped, which makes them invalid).
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import json
import random
import statistics
import time
from collections import defaultdict

import pytest

from hafan.linkage import engine, names
from hafan.linkage.records import COMPARISONS, FieldEvidence, LinkRecord, PairScore, TrainedModel
from hafan.people.identifiers import nhs_number_is_valid, synthetic_nhs_number

# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------

GIRLS = [
    "Cerys", "Ffion", "Siân", "Megan", "Catrin", "Elin", "Lowri", "Seren", "Nia", "Alys", "Mali",
    "Sioned", "Bethan", "Angharad", "Eleri", "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace",
    "Sophie", "Chloe", "Emily", "Jessica", "Ruby", "Lily", "Evie", "Poppy", "Hannah", "Lucy",
    "Elizabeth", "Rebecca", "Abigail", "Katie", "Leah", "Caitlin", "Niamh", "Tegan", "Erin",
]  # fmt: skip
BOYS = [
    "Dafydd", "Rhys", "Ieuan", "Gwilym", "Tomos", "Osian", "Iwan", "Gethin", "Llywelyn", "Dylan",
    "Aled", "Owain", "Huw", "Gruffudd", "Emyr", "Oliver", "Jack", "Harry", "George", "Noah",
    "Charlie", "Jacob", "Alfie", "Freddie", "Oscar", "Leo", "Logan", "Ethan", "James", "William",
    "Thomas", "David", "Daniel", "Samuel", "Joseph", "Matthew", "Callum", "Connor", "Kieran", "Evan",
]  # fmt: skip
SURNAMES = [
    ("Jones", 12), ("Williams", 9), ("Davies", 8), ("Evans", 6), ("Thomas", 6), ("Roberts", 4),
    ("Hughes", 4), ("Lewis", 4), ("Morgan", 3), ("Griffiths", 3), ("Price", 3), ("Edwards", 3),
    ("Smith", 3), ("Rees", 2), ("Jenkins", 2), ("Owen", 2), ("Phillips", 2), ("James", 2),
    ("Powell", 1), ("Pritchard", 1), ("Watkins", 1), ("Parry", 1), ("Lloyd", 1), ("Bowen", 1),
    ("Harris", 1), ("Walker", 1), ("Taylor", 1), ("Brown", 1), ("Wilson", 1), ("O'Brien", 1),
    ("ap Rhys", 1), ("Llewellyn", 1), ("Vaughan", 1), ("Prosser", 1), ("Kowalski", 1), ("Ahmed", 1),
]  # fmt: skip
STREETS = [
    "High Street", "Heol y Bryn", "Commercial Road", "Station Road", "Church Street", "Park Avenue",
    "Bryn Glas", "Ffordd Las", "Maes y Coed", "Victoria Road", "Chepstow Road", "Cardiff Road",
    "Stow Hill", "Caerleon Road", "Heol Hir", "Llys Derwen", "Clos y Wern", "Mill Street",
]  # fmt: skip
TOWNS = [("Newport", "NP"), ("Cardiff", "CF"), ("Swansea", "SA"), ("Wrexham", "LL"), ("Llandrindod", "LD")]
ABBREVIATIONS = {"Street": "St", "Road": "Rd", "Avenue": "Ave"}
AGENCIES = ["GWP", "NHS", "EDU", "CSC", "CHR"]
NICKNAMES = {
    "Dafydd": ["Dai", "David", "Dave"], "David": ["Dave", "Dai", "Dafydd"], "Rhys": ["Reece", "Rees"],
    "Siân": ["Sian", "Shan"], "Elizabeth": ["Lizzie", "Beth"], "Thomas": ["Tom", "Tomos"],
    "Tomos": ["Tom", "Thomas"], "Gwilym": ["William", "Will"], "William": ["Will", "Bill"],
    "Ieuan": ["Evan", "Ifan"], "Evan": ["Ieuan"], "Catrin": ["Cadi", "Kate"], "Rebecca": ["Becky"],
    "Abigail": ["Abbie"], "Jessica": ["Jess"], "Samuel": ["Sam"], "Joseph": ["Joe"],
    "Matthew": ["Matt"], "Daniel": ["Dan", "Danny"], "James": ["Jamie"], "Oliver": ["Ollie"],
    "Llywelyn": ["Llew"], "Gruffudd": ["Griff", "Gruff"], "Owain": ["Owen"], "Huw": ["Hugh"],
    "Harry": ["Harri"], "Freddie": ["Fred"], "Charlie": ["Charles"], "Katie": ["Kate"],
}  # fmt: skip


@dataclasses.dataclass
class Child:
    key: str
    given: str
    sex: str
    family: str
    dob: datetime.date
    nhs: str
    upn: str
    address: str
    postcode: str
    phone: str
    mobile: str
    email: str


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.4:
        return text[:i] + text[i + 1 :]  # drop a letter
    if kind < 0.7:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # swap two letters
    return text[:i] + rng.choice("aeiounrst") + text[i + 1 :]


def _synthetic_upn(rng: random.Random) -> str:
    from hafan.people.identifiers import upn_check_letter

    body = f"{rng.randint(660, 681)}{rng.randint(1000, 9999)}{rng.randint(10, 24)}{rng.randint(100, 999)}"
    return upn_check_letter(body) + body


def _postcode(rng: random.Random, area: str) -> str:
    return f"{area}{rng.randint(1, 44)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _address(rng: random.Random) -> tuple[str, str]:
    town, area = rng.choice(TOWNS)
    return f"{rng.randint(1, 180)} {rng.choice(STREETS)}, {town}", _postcode(rng, area)


def _child(rng: random.Random, key: str, family: str, dob: datetime.date, home: tuple[str, str], phone: str):
    sex = rng.choice(["female", "male"])
    return Child(
        key=key,
        given=rng.choice(GIRLS if sex == "female" else BOYS),
        sex=sex,
        family=family,
        dob=dob,
        nhs=synthetic_nhs_number(rng),
        upn=_synthetic_upn(rng),
        address=home[0],
        postcode=home[1],
        phone=phone,
        mobile=f"07800 {rng.randint(100000, 999999)}" if rng.random() < 0.5 else "",
        email=f"{key}@example.org" if rng.random() < 0.3 else "",
    )


def _dob(rng: random.Random) -> datetime.date:
    return datetime.date(2006, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 12))


def make_household(rng: random.Random, hid: int, n_children: int, twins: bool = False) -> list[Child]:
    family = rng.choices([s for s, _ in SURNAMES], weights=[w for _, w in SURNAMES])[0]
    home = _address(rng)
    phone = f"07700 9{rng.randint(10000, 99999)}" if rng.random() < 0.6 else ""
    children: list[Child] = []
    first_dob = _dob(rng)
    for i in range(n_children):
        if i == 0 or not (twins and i == 1):
            dob = first_dob if i == 0 else first_dob + datetime.timedelta(days=rng.randint(330, 2500))
        else:
            dob = first_dob
        child = _child(rng, f"h{hid}c{i}", family, dob, home, phone)
        while any(
            names.canonical_given_name(c.given) == names.canonical_given_name(child.given) for c in children
        ):
            child.given = rng.choice(GIRLS if child.sex == "female" else BOYS)
        children.append(child)
    return children


def agency_record(rng: random.Random, record_id: int, child: Child, agency: str) -> LinkRecord:
    given = child.given
    other_names = ""
    r = rng.random()
    if r < 0.15 and given in NICKNAMES:
        given = rng.choice(NICKNAMES[given])
    elif r < 0.20:
        given = _typo(rng, given)
    elif r < 0.25 and given in NICKNAMES:
        other_names = rng.choice(NICKNAMES[given])
    given = names.strip_accents(given) if rng.random() < 0.3 else given
    family = child.family
    r = rng.random()
    if r < 0.04:
        family = _typo(rng, family)
    elif r < 0.08:
        family = f"{family}-{rng.choice(['Price', 'Morgan', 'Hughes', 'Bevan'])}"
    family = family.upper() if rng.random() < 0.2 else family
    dob: datetime.date | None = child.dob
    r = rng.random()
    if r < 0.05:
        dob = None
    elif r < 0.07 and child.dob.day <= 12:
        dob = datetime.date(child.dob.year, child.dob.day, child.dob.month)
    elif r < 0.10:
        dob = child.dob + datetime.timedelta(days=rng.choice([-10, -1, 1, 10]))
    address, postcode = child.address, child.postcode
    r = rng.random()
    if r < 0.12:
        address, postcode = _address(rng)  # an old or new address
    elif r < 0.20:
        postcode = ""
    for long, short in ABBREVIATIONS.items():
        if rng.random() < 0.5:
            address = address.replace(long, short)
    nhs = child.nhs if (agency == "NHS" and rng.random() < 0.95) or rng.random() < 0.3 else ""
    if nhs and rng.random() < 0.04:
        nhs = nhs[:4] + str((int(nhs[4]) + 1) % 10) + nhs[5:]  # a typo: fails the checksum
    upn = child.upn if (agency == "EDU" and rng.random() < 0.95) or rng.random() < 0.1 else ""
    return LinkRecord(
        record_id=record_id,
        agency=agency,
        given_name=given,
        family_name=family,
        other_names=other_names,
        date_of_birth=dob,
        sex=child.sex if rng.random() < 0.95 else "unknown",
        postcode=postcode,
        address=address if rng.random() < 0.9 else "",
        nhs_number=nhs,
        upn=upn,
        phone=_phone(rng, child),
        email=child.email if rng.random() < 0.5 else "",
    )


def _phone(rng: random.Random, child: Child) -> str:
    r = rng.random()
    if r < 0.35:
        return child.phone  # the household's number (may be "")
    if r < 0.5:
        return child.mobile
    if r < 0.6:
        return f"07900 {rng.randint(100000, 999999)}"  # a parent's other number, a carer's
    return ""


def synthetic_world(
    seed: int, n_households: int, start_id: int = 1
) -> tuple[list[LinkRecord], dict[int, str]]:
    """Records and the truth (record_id -> child key)."""
    rng = random.Random(seed)
    records: list[LinkRecord] = []
    truth: dict[int, str] = {}
    next_id = start_id
    for hid in range(n_households):
        n_children = rng.choices([1, 2, 3, 4], weights=[45, 30, 17, 8])[0]
        twins = n_children >= 2 and rng.random() < 0.1
        for child in make_household(rng, hid, n_children, twins):
            for agency in rng.sample(AGENCIES, rng.choices([1, 2, 3, 4], weights=[20, 35, 30, 15])[0]):
                records.append(agency_record(rng, next_id, child, agency))
                truth[next_id] = child.key
                next_id += 1
    return records, truth


def pairwise_scores(clusters: list[set[int]], truth: dict[int, str]) -> tuple[float, float]:
    predicted = {frozenset(p) for c in clusters for p in itertools.combinations(sorted(c), 2)}
    by_child: dict[str, list[int]] = defaultdict(list)
    for rid, key in truth.items():
        by_child[key].append(rid)
    actual = {frozenset(p) for ids in by_child.values() for p in itertools.combinations(sorted(ids), 2)}
    tp = len(predicted & actual)
    return (tp / len(predicted) if predicted else 1.0), (tp / len(actual) if actual else 1.0)


# --------------------------------------------------------------------------------------------
# The Jones household: twins Cerys and Ffion, their brother Dafydd, their sister Siân
# --------------------------------------------------------------------------------------------

HOME = {"address": "12 Heol y Bryn, Newport", "postcode": "NP20 4AB", "phone": "07700 900111"}
TWINS_DOB = datetime.date(2011, 3, 4)
NHS = {key: synthetic_nhs_number(random.Random(key)) for key in ("cerys", "ffion", "dafydd", "sian")}


def jones_household(start_id: int) -> tuple[list[LinkRecord], dict[int, str]]:
    specs = [
        # Cerys: her surname changed to her mother's new partner's, same NHS number
        ("cerys", "GWP", "Cerys", "Jones", TWINS_DOB, "", HOME),
        ("cerys", "NHS", "Cerys", "Jones", TWINS_DOB, NHS["cerys"], HOME),
        ("cerys", "CSC", "Cerys", "Price", TWINS_DOB, NHS["cerys"], HOME),
        # Ffion: her twin, same surname, address, postcode, phone and date of birth
        ("ffion", "GWP", "Ffion", "Jones", TWINS_DOB, "", HOME),
        ("ffion", "NHS", "Ffion", "Jones", TWINS_DOB, NHS["ffion"], HOME),
        ("ffion", "EDU", "Ffion", "JONES", TWINS_DOB, "", {**HOME, "phone": ""}),
        # Dafydd, two years younger: "Dai" to the police, "Dafydd" to health, "David" to school
        ("dafydd", "GWP", "Dai", "Jones", datetime.date(2013, 7, 21), "", HOME),
        ("dafydd", "NHS", "Dafydd", "Jones", datetime.date(2013, 7, 21), NHS["dafydd"], HOME),
        ("dafydd", "EDU", "David", "Jones", datetime.date(2013, 7, 21), "", {**HOME, "postcode": ""}),
        # Siân, the eldest: the accent is lost in one system
        ("sian", "NHS", "Siân", "Jones", datetime.date(2008, 11, 30), NHS["sian"], HOME),
        ("sian", "CSC", "Sian", "Jones", datetime.date(2008, 11, 30), "", HOME),
    ]
    records: list[LinkRecord] = []
    truth: dict[int, str] = {}
    for offset, (key, agency, given, family, dob, nhs, home) in enumerate(specs):
        rid = start_id + offset
        records.append(
            LinkRecord(
                record_id=rid,
                agency=agency,
                given_name=given,
                family_name=family,
                date_of_birth=dob,
                sex="male" if key == "dafydd" else "female",
                nhs_number=nhs,
                **home,
            )
        )
        truth[rid] = f"jones-{key}"
    return records, truth


@dataclasses.dataclass
class TrainedWorld:
    records: list[LinkRecord]
    truth: dict[int, str]
    model: TrainedModel
    pairs: list[PairScore]
    train_seconds: float
    predict_seconds: float


@pytest.fixture(scope="module")
def world() -> TrainedWorld:
    records, truth = synthetic_world(seed=20, n_households=300)
    household, household_truth = jones_household(start_id=100_000)
    records += household
    truth |= household_truth
    started = time.perf_counter()
    model = engine.train_model(records, seed=2013)
    trained = time.perf_counter()
    pairs = engine.predict_pairs(model, records, threshold=0.01)
    predicted = time.perf_counter()
    print(
        f"\n{len(records)} records: train {trained - started:.2f}s, predict {predicted - trained:.2f}s, "
        f"{len(pairs)} pairs >= 0.01"
    )
    return TrainedWorld(records, truth, model, pairs, trained - started, predicted - trained)


def _record(world: TrainedWorld, record_id: int) -> LinkRecord:
    return next(r for r in world.records if r.record_id == record_id)


def _evidence(score: PairScore, comparison: str) -> FieldEvidence:
    return next(e for e in score.evidence if e.comparison == comparison)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_twins_in_one_household_are_not_merged(world: TrainedWorld) -> None:
    assert world.model.notes["trained"] is True
    clusters = engine.cluster(world.pairs, threshold=0.99, record_ids=[r.record_id for r in world.records])
    jones_ids = {rid for rid, key in world.truth.items() if key.startswith("jones-")}
    for c in clusters:
        children = {world.truth[rid] for rid in c & jones_ids}
        assert len(children) <= 1, f"siblings merged: {sorted(children)}"
    for child in ("jones-cerys", "jones-ffion", "jones-dafydd", "jones-sian"):
        own = {rid for rid, key in world.truth.items() if key == child}
        assert any(own <= c for c in clusters), f"{child}'s records were not gathered into one identity"
    # and the synthetic world as a whole: no false merge across households at this threshold
    precision, recall = pairwise_scores(clusters, world.truth)
    print(f"synthetic world at 0.99: pairwise precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.99


def test_twin_pair_carries_evidence_against(world: TrainedWorld) -> None:
    cerys, ffion = _record(world, 100_000), _record(world, 100_003)
    (score,) = engine.score_candidates(world.model, cerys, [ffion])
    assert _evidence(score, "given_name").level == "different"
    assert _evidence(score, "given_name").match_weight < -10
    assert _evidence(score, "date_of_birth").level == "exact"
    assert score.probability < 0.5


def test_same_valid_nhs_number_is_strong_evidence_for(world: TrainedWorld) -> None:
    a, b = _record(world, 100_001), _record(world, 100_002)  # Cerys Jones and Cerys Price
    (score,) = engine.score_candidates(world.model, a, [b])
    nhs = _evidence(score, "nhs_number")
    assert (nhs.level, nhs.match_weight > 5) == ("both_valid_same", True)
    assert _evidence(score, "family_name").level == "different"
    assert score.probability > 0.99


def test_two_different_valid_nhs_numbers_are_never_linked(world: TrainedWorld) -> None:
    base = LinkRecord(
        record_id=900_001,
        agency="NHS",
        given_name="Gethin",
        family_name="Morgan",
        date_of_birth=datetime.date(2010, 6, 1),
        sex="male",
        postcode="CF10 3NQ",
        address="1 Stryd y Castell, Caerdydd",
        nhs_number=synthetic_nhs_number(random.Random(1)),
    )
    other = dataclasses.replace(base, record_id=900_002, nhs_number=synthetic_nhs_number(random.Random(2)))
    assert base.nhs_number != other.nhs_number and nhs_number_is_valid(other.nhs_number)
    (score,) = engine.score_candidates(world.model, base, [other])
    nhs = _evidence(score, "nhs_number")
    assert nhs.level == "both_valid_different"
    assert nhs.match_weight < -10
    pairs = engine.predict_pairs(world.model, [base, other], threshold=0.0)
    assert len(pairs) == 1 and _evidence(pairs[0], "nhs_number").level == "both_valid_different"
    clusters = engine.cluster(pairs, threshold=0.0, record_ids=[900_001, 900_002])
    assert clusters == [{900_001}, {900_002}]


def test_an_invalid_nhs_number_is_not_evidence_against(world: TrainedWorld) -> None:
    a = _record(world, 100_001)  # Cerys, valid NHS number
    typo = a.nhs_number[:3] + str((int(a.nhs_number[3]) + 1) % 10) + a.nhs_number[4:]
    assert not nhs_number_is_valid(typo)
    b = dataclasses.replace(a, record_id=900_010, agency="CHR", nhs_number=typo)
    (score,) = engine.score_candidates(world.model, a, [b])
    nhs = _evidence(score, "nhs_number")
    assert (nhs.level, nhs.match_weight) == ("other", 0.0)
    assert score.probability > 0.99


def test_welsh_and_english_name_forms() -> None:
    assert {names.canonical_given_name(n) for n in ("Dafydd", "David", "Dai", "Dave", "DEWI")} == {"david"}
    assert {names.canonical_given_name(n) for n in ("Siân", "Sian", "Shân", "SIÂN")} == {"sian"}
    assert {names.canonical_given_name(n) for n in ("Rhys", "Reece", "Rees")} == {"rhys"}
    assert names.canonical_given_name("Gwilym") == names.canonical_given_name("Bill") == "william"
    assert names.canonical_given_name("Ioan") == names.canonical_given_name("Evan") == "evan"
    assert names.canonical_given_name("Cerys") != names.canonical_given_name("Ffion")
    assert names.canonical_given_name("Unlisted") == "unlisted"
    assert len(names.NAME_GROUPS) >= 60
    a = engine.prepare(LinkRecord(1, "GWP", "Siân", "Jones-Price", other_names="Shan; Sianny"))
    b = engine.prepare(LinkRecord(2, "NHS", "Sian", "Price"))
    assert a["given_name"] == b["given_name"] == "sian"
    assert a["family_parts"] == ["jones", "price"] and set(a["family_parts"]) & set(b["family_parts"]) == {
        "price"
    }
    assert names.surname_parts("O'Brien") == ["obrien"] and names.surname_parts("ap Rhys") == ["rhys"]


def test_name_forms_in_the_model(world: TrainedWorld) -> None:
    def level(a: LinkRecord, b: LinkRecord, comparison: str) -> str:
        (score,) = engine.score_candidates(world.model, a, [b])
        return _evidence(score, comparison).level

    dafydd = LinkRecord(1, "NHS", "Dafydd", "Jones-Price", date_of_birth=TWINS_DOB)
    assert level(dafydd, dataclasses.replace(dafydd, record_id=2, given_name="David"), "given_name") == (
        "same_name_other_form"
    )
    assert (
        level(dafydd, dataclasses.replace(dafydd, record_id=2, given_name="Dafyd"), "given_name") == "similar"
    )
    assert level(dafydd, dataclasses.replace(dafydd, record_id=2, family_name="Price"), "family_name") == (
        "shares_a_surname_part"
    )
    known_as = dataclasses.replace(dafydd, record_id=2, given_name="Bryn", other_names="Dafydd")
    assert level(dafydd, known_as, "given_name") == "other_name_matches"
    swapped = dataclasses.replace(dafydd, record_id=2, date_of_birth=datetime.date(2011, 4, 3))
    assert level(dafydd, swapped, "date_of_birth") == "day_month_swapped"
    typo = dataclasses.replace(dafydd, record_id=2, date_of_birth=datetime.date(2011, 3, 14))
    assert level(dafydd, typo, "date_of_birth") == "one_digit_different"
    no_dob = dataclasses.replace(dafydd, record_id=2, date_of_birth=None)
    (score,) = engine.score_candidates(world.model, dafydd, [no_dob])
    assert _evidence(score, "date_of_birth") == FieldEvidence("date_of_birth", "missing", 0.0)


def test_training_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    records, _ = synthetic_world(seed=5, n_households=150)
    monkeypatch.setattr(
        engine, "U_MAX_PAIRS", 30_000
    )  # well under the ~250k possible pairs: sampling matters
    first = engine.train_model(records, seed=7)
    second = engine.train_model(records, seed=7)
    other_seed = engine.train_model(records, seed=8)
    dump = json.dumps(first.settings, sort_keys=True)
    assert dump == json.dumps(second.settings, sort_keys=True)
    assert dump != json.dumps(other_seed.settings, sort_keys=True)
    assert (first.seed, first.trained_on_records, first.splink_version) == (7, len(records), "5.0.0")


def test_tiny_data_gives_a_valid_untrained_model() -> None:
    records, _ = synthetic_world(seed=3, n_households=4)
    assert len(records) < engine.MIN_TRAINING_RECORDS
    model = engine.train_model(records)
    assert model.notes["trained"] is False
    assert {c["output_column_name"] for c in model.settings["comparisons"]} == set(COMPARISONS)
    pairs = engine.predict_pairs(model, records, threshold=0.0)
    assert all(p.left_id < p.right_id and len(p.evidence) == len(COMPARISONS) for p in pairs)
    assert engine.train_model([]).trained_on_records == 0


def test_evidence_reports_every_comparison_with_known_level_keys(world: TrainedWorld) -> None:
    for pair in world.pairs[:200]:
        assert pair.left_id < pair.right_id
        assert [e.comparison for e in pair.evidence] == list(COMPARISONS)
        for e in pair.evidence:
            assert e.level in COMPARISONS[e.comparison]
            if e.level in ("missing", "other"):
                assert e.match_weight == 0.0


def test_blocking_keys_cover_every_predicted_pair(world: TrainedWorld) -> None:
    every_blocked_pair = engine.predict_pairs(world.model, world.records, threshold=0.0)
    assert len(every_blocked_pair) < 20 * len(world.records)  # near-linear
    keys = {r.record_id: engine.blocking_keys(r) for r in world.records}
    for pair in every_blocked_pair:
        assert keys[pair.left_id] & keys[pair.right_id], (pair.left_id, pair.right_id)
    assert "nhs:" + NHS["cerys"] in keys[100_001]
    assert "dob:2011-03-04|cerys" in keys[100_000]


def test_score_candidates_agrees_with_predict_pairs(world: TrainedWorld) -> None:
    by_left: dict[int, list[PairScore]] = defaultdict(list)
    for pair in world.pairs:
        by_left[pair.left_id].append(pair)
    checked = 0
    for left_id, group in itertools.islice(by_left.items(), 0, None, 7):
        scores = engine.score_candidates(
            world.model, _record(world, left_id), [_record(world, p.right_id) for p in group]
        )
        assert [s.probability for s in scores] == sorted((s.probability for s in scores), reverse=True)
        by_pair = {(s.left_id, s.right_id): s for s in scores}
        for expected in group:
            got = by_pair[(expected.left_id, expected.right_id)]
            assert got.probability == pytest.approx(expected.probability, abs=1e-6)
            assert got.match_weight == pytest.approx(expected.match_weight, abs=1e-6)
            assert got.evidence == expected.evidence
            checked += 1
    assert checked > 100

    # Time one record against 50 candidates (printed, not asserted)
    rng = random.Random(1)
    timings = []
    for _ in range(60):
        probe, *candidates = rng.sample(world.records, 51)
        started = time.perf_counter()
        engine.score_candidates(world.model, probe, candidates)
        timings.append(time.perf_counter() - started)
    timings = timings[10:]
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(
        f"\nscore_candidates, 50 candidates: median {statistics.median(timings) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )


def test_cluster_never_joins_a_cannot_link_pair() -> None:
    def pair(a: int, b: int, p: float, nhs: str = "other") -> PairScore:
        return PairScore(a, b, p, 10.0, (FieldEvidence("nhs_number", nhs, 0.0),))

    chain = [pair(1, 2, 0.999), pair(2, 3, 0.998), pair(3, 4, 0.997), pair(5, 6, 0.5)]
    assert engine.cluster(chain, threshold=0.9, record_ids=range(1, 8)) == [{1, 2, 3, 4}, {5}, {6}, {7}]
    split = engine.cluster(chain, threshold=0.9, cannot_link={(4, 1)}, record_ids=range(1, 5))
    assert split == [{1, 2, 3}, {4}]
    assert not any({1, 4} <= c for c in split)
    # two different valid NHS numbers: that pair is never joined, directly or through others
    conflicting = [pair(1, 2, 0.999), pair(2, 3, 0.995), pair(1, 3, 0.99, nhs="both_valid_different")]
    clusters = engine.cluster(conflicting, threshold=0.9)
    assert not any({1, 3} <= c for c in clusters)
    assert {1, 2} in clusters


def test_cluster_invariants_on_random_graphs() -> None:
    rng = random.Random(3)
    for _ in range(500):
        n = rng.randint(2, 30)
        pairs = []
        for _ in range(rng.randint(0, 60)):
            a, b = sorted(rng.sample(range(n), 2))
            level = "both_valid_different" if rng.random() < 0.1 else "other"
            pairs.append(PairScore(a, b, rng.random(), 0.0, (FieldEvidence("upn", level, 0.0),)))
        rejected = {tuple(sorted(rng.sample(range(n), 2))) for _ in range(rng.randint(0, 6))}
        threshold = rng.random()
        clusters = engine.cluster(pairs, threshold=threshold, cannot_link=rejected, record_ids=range(n))
        where = {rid: i for i, c in enumerate(clusters) for rid in c}
        assert sorted(where) == list(range(n)) and sum(map(len, clusters)) == n  # a partition
        conflicts = {(p.left_id, p.right_id) for p in pairs if p.evidence[0].level == "both_valid_different"}
        for a, b in rejected | conflicts:
            assert where[a] != where[b]
        for c in clusters:  # every cluster is held together by pairs at or above the threshold
            if len(c) > 1:
                assert all(
                    any(p.probability >= threshold and rid in (p.left_id, p.right_id) for p in pairs)
                    for rid in c
                )


def test_describe_in_plain_english() -> None:
    assert (
        engine.describe(FieldEvidence("date_of_birth", "exact", 9.6))
        == "same date of birth: strong evidence for"
    )
    assert engine.describe(FieldEvidence("given_name", "different", -16.0)) == (
        "different first names: very strong evidence against"
    )
    assert engine.describe(FieldEvidence("nhs_number", "other", 0.0)).endswith("no evidence either way")


def test_prepare_normalises_fields() -> None:
    row = engine.prepare(
        LinkRecord(
            7,
            "GWP",
            "  Siân ",
            "O'Brien-Jones",
            date_of_birth=datetime.date(2011, 3, 4),
            sex="female",
            postcode="np20 1aa",
            address="12 High St., Newport NP20 1AA",
            nhs_number="943 476 5919",
            upn="A123",
            phone="+44 (0)7700 900 123",
            email=" Sian@Example.ORG ",
        )
    )
    assert row["given_name"] == "sian" and row["family_parts"] == ["obrien", "jones"]
    assert (row["dob"], row["dob_year"], row["dob_month"], row["dob_day"]) == ("2011-03-04", 2011, 3, 4)
    assert (row["postcode"], row["postcode_district"], row["postcode_area"]) == ("NP201AA", "NP20", "NP")
    assert row["address"] == "12 high street newport" and row["address_key"] == "12|high"
    assert (row["nhs_valid"], row["upn_valid"]) == ("9434765919", None)
    assert (row["phone"], row["email"]) == ("07700900123", "sian@example.org")
