"""The linkage engine: Splink 5 on its embedded DuckDB backend. The only module in Hafan that imports
splink or duckdb; it speaks LinkRecord / PairScore / TrainedModel (hafan.linkage.records) and nothing
Django.

The model
---------
Fellegi-Sunter over nine comparisons (records.COMPARISONS). Each Splink comparison level carries its
plain-word level key in `label_for_charts` ("exact", "both_valid_different", ...); where one key
needs two Splink levels the label is "key | detail" and the key is the part before " | ". No level
uses term-frequency adjustments, so a level's match weight is a constant of the trained model:
that is what lets `score_candidates` score one record against ~50 candidates in a few milliseconds
with exactly Splink's SQL (the CASE expressions Splink generates) and Splink's weights.

Safety choices (a false merge is worse than a miss), all in the settings JSON where a reviewer can
see them:
* NHS number / UPN: only a checksum-valid identifier is used; an invalid or missing one is the
  null level "other" (weight 0), never evidence against. Two different valid ones: m fixed at
  FIXED_M_DIFFERENT_IDENTIFIER (EM does not move it), so about -13 bits.
* Given name "different" (not equal, not another form in names.py, not Jaro-Winkler >= 0.9 or one
  edit apart, not one of the other side's other names): m fixed at FIXED_M_DIFFERENT_GIVEN_NAME
  (about -16 bits). It is what separates twins and siblings, who share every household field and
  (twins) the date of birth; a child whose first name really changed needs an identifier to link.
* A home is counted once: "address similar", "address different" and "phone/email same" each
  have a second Splink level for "... and the postcode says the same" (for the phone: same home),
  whose m and u are set after training to the conditional probabilities (joint / condition), e.g.
  P(address similar | same postcode) for matches and for non-matches. So siblings' shared home
  counts once, not three times, and a move counts once against, not twice.
* EM's m estimates are floored at MIN_LEARNED_M, so a level EM never saw among matches is not a
  veto; levels it could not estimate keep their starting values (listed in TrainedModel.notes).
* A surname change (adoption, a parent's new partner) costs only what EM learns for "different",
  so it can be outweighed by a valid NHS number, date of birth and given name.

Reproducibility: u by seeded random sampling, m by EM on fixed blocking rules, and estimated
probabilities rounded to 12 significant figures (DuckDB's parallel float sums may differ in the
last bits). The same records and seed give identical settings JSON.

Blocking (PREDICTION_BLOCKING_RULES, mirrored by `blocking_keys`): same valid NHS number; same
valid UPN; same date of birth and canonical given name (surname changed); same date of birth,
surname and first initial (first name mistyped); canonical given name + a shared surname part +
any of four views of the date of birth that survive one wrong part (year-month, year-day,
month-day, year with day and month sorted); canonical given name + surname part + postcode (date
of birth missing); same postcode and birth year. Bare "same date of birth" or "same name and
birth year" rules would be quadratic at national scale (tens of millions of pairs at 1M records).

Threads and memory: `score_candidates` keeps one in-memory DuckDB connection per thread (never
shared; a small lock-protected cache of compiled models, keyed by a hash of the settings JSON).
`train_model` and `predict_pairs` open their own connection and close it; at 1M records they
use ~2 GB beyond the caller's records. For 20k+ records, `train_model` keeps its prepared Arrow
table (~330 MB at 1M) for the next `predict_pairs` on the same records, which takes it (one slot).
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import hashlib
import itertools
import json
import logging
import math
import re
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll  # noqa: TID251 - this is the engine
from splink import DuckDBAPI, Linker, SettingsCreator  # noqa: TID251 - this is the engine
from splink.blocking_rule_library import CustomRule  # noqa: TID251 - this is the engine
from splink.comparison_library import CustomComparison  # noqa: TID251 - this is the engine

from hafan.linkage import names
from hafan.linkage.records import COMPARISONS, FieldEvidence, LinkRecord, PairScore, TrainedModel
from hafan.people.identifiers import nhs_number_is_valid, normalise_nhs_number, normalise_upn, upn_is_valid

logger = logging.getLogger(__name__)

SQL_DIALECT = "duckdb"
LINKER_UID = "hafan"  # fixed, so that settings JSON does not carry a random id
MIN_TRAINING_RECORDS = 50  # below this, train_model returns the untrained default model
DEFAULT_PRIOR = 1e-4  # probability_two_random_records_match of the untrained model
PRIOR_RULES_RECALL = 0.7  # assumed recall of the deterministic rules used to estimate the prior
U_MAX_PAIRS = 5e6  # record pairs sampled to estimate u
EM_MAX_PAIRS = 2e6  # cap on the blocked pairs each EM session uses (deterministic hash sample)
FIXED_M_DIFFERENT_IDENTIFIER = 1e-4  # P(two different valid NHS numbers / UPNs | same child)
# P(unexplained different given name | same child), fixed far below what EM would learn: see the
# module docstring. 2**-16, so "different first names" weighs about -16 bits.
FIXED_M_DIFFERENT_GIVEN_NAME = 2.0**-16
MIN_LEARNED_M = 1e-3  # floor for EM's m estimates: a level EM never saw for matches is not a veto
MIN_LEARNED_U = 1e-7
ROUND_SIGNIFICANT = 12
LEVEL_KEY_SEPARATOR = " | "


# --------------------------------------------------------------------------------------------
# Preparing a record: the engine's row
# --------------------------------------------------------------------------------------------

ROW_SCHEMA = pa.schema(
    [
        ("unique_id", pa.int64()),
        ("given_name", pa.string()),
        ("given_canonical", pa.string()),
        ("given_initial", pa.string()),
        ("given_forms", pa.list_(pa.string())),
        ("other_names", pa.list_(pa.string())),
        ("family_name", pa.string()),
        ("family_parts", pa.list_(pa.string())),
        ("dob", pa.string()),
        ("dob_year", pa.int32()),
        ("dob_month", pa.int32()),
        ("dob_day", pa.int32()),
        ("sex", pa.string()),
        ("postcode", pa.string()),
        ("postcode_district", pa.string()),
        ("postcode_area", pa.string()),
        ("address", pa.string()),
        ("address_number", pa.string()),
        ("address_key", pa.string()),
        ("nhs_valid", pa.string()),
        ("upn_valid", pa.string()),
        ("phone", pa.string()),
        ("email", pa.string()),
        ("name_keys", pa.list_(pa.string())),
    ]
)
ROW_COLUMNS: tuple[str, ...] = tuple(ROW_SCHEMA.names)

_ADDRESS_ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "cl": "close",
    "ln": "lane",
    "dr": "drive",
    "cres": "crescent",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "ter": "terrace",
    "terr": "terrace",
    "gdns": "gardens",
    "gr": "grove",
    "fl": "flat",
    "apt": "flat",
    "apartment": "flat",
    "hse": "house",
}
_ADDRESS_STOPWORDS = frozenset(
    {
        "flat",
        "house",
        "the",
        "road",
        "street",
        "avenue",
        "close",
        "lane",
        "drive",
        "crescent",
        "court",
        "place",
        "square",
        "terrace",
        "gardens",
        "grove",
        "way",
        "heol",
        "stryd",
        "ffordd",
        "lon",
        "y",
        "yr",
        "r",
    }
)
_POSTCODE_CLEAN = re.compile(r"[^A-Z0-9]")
_LEADING_LETTERS = re.compile(r"^[A-Z]+")


def _none_if_empty(value: str) -> str | None:
    return value or None


def normalise_postcode(value: str | None) -> tuple[str | None, str | None, str | None]:
    """(full postcode without space, district = outward code, area = its letters). A partial
    postcode (outward code only) gives (None, district, area)."""
    pc = _POSTCODE_CLEAN.sub("", (value or "").upper())
    if len(pc) < 2:
        return None, None, None
    if len(pc) >= 5:
        full: str | None = pc
        district = pc[:-3]
    else:
        full, district = None, pc
    area_match = _LEADING_LETTERS.match(district)
    return full, district, area_match.group(0) if area_match else None


_HAS_DIGIT = re.compile(r"\d")


def clean_address(
    value: str | None, postcode: str | None = None
) -> tuple[str | None, str | None, str | None]:
    """(cleaned address, house numbers, number|street key). Abbreviations expanded, a trailing
    postcode removed; the key is the sorted house/flat numbers plus the first street word."""
    text = names.normalise_name(value)
    if not text:
        return None, None, None
    tokens = [_ADDRESS_ABBREVIATIONS.get(t, t) for t in text.split()]
    if postcode and len(tokens) >= 2:
        compact = postcode.lower()
        # drop the postcode if it was typed into the address ("np20 1aa" or "np201aa")
        if tokens[-2] + tokens[-1] == compact:
            tokens = tokens[:-2]
        elif tokens[-1] == compact:
            tokens = tokens[:-1]
    if not tokens:
        return None, None, None
    numbers = sorted(t for t in tokens if _HAS_DIGIT.search(t))
    street = next((t for t in tokens if t.isalpha() and t not in _ADDRESS_STOPWORDS), None)
    number = " ".join(numbers) or None
    key = f"{number or ''}|{street}" if street else None
    return " ".join(tokens), number, key


def normalise_phone(value: str | None) -> str | None:
    """Digits only, UK international prefix turned into the national 0 ('+44 (0)7700 900123' ->
    '07700900123')."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and len(digits) >= 12:
        digits = digits[2:]
    else:
        return digits if len(digits) >= 6 else None
    return digits if digits.startswith("0") else "0" + digits


def normalise_email(value: str | None) -> str | None:
    text = (value or "").strip().casefold()
    return text if "@" in text else None


def _valid_nhs(value: str) -> str | None:
    number = normalise_nhs_number(value)
    return number if number and nhs_number_is_valid(number) else None


def _valid_upn(value: str) -> str | None:
    upn = normalise_upn(value)
    return upn if upn and upn_is_valid(upn) else None


_SEXES = {"female": "female", "f": "female", "girl": "female", "male": "male", "m": "male", "boy": "male"}


def _prepare_values(record: LinkRecord) -> tuple[Any, ...]:
    """The row as a tuple in ROW_COLUMNS order (the bulk path builds Arrow columns from these)."""
    given = names.normalise_name(record.given_name)
    first = given.split(" ", 1)[0]
    given_canonical = names.canonical_token(first) if first else ""
    family = names.normalise_name(record.family_name)
    family_parts = names.surname_parts(family)
    dob = record.date_of_birth
    postcode, district, area = normalise_postcode(record.postcode)
    address, address_number, address_key = clean_address(record.address, postcode)
    return (
        int(record.record_id),
        given or None,
        given_canonical or None,
        given[:1] or None,
        sorted({f for f in (given, first, given_canonical) if f}),
        names.other_name_forms(record.other_names, record.given_name),
        family or None,
        family_parts,
        dob.isoformat() if dob else None,
        dob.year if dob else None,
        dob.month if dob else None,
        dob.day if dob else None,
        _SEXES.get(record.sex.strip().casefold()) if record.sex else None,
        postcode,
        district,
        area,
        address,
        address_number,
        address_key,
        _valid_nhs(record.nhs_number) if record.nhs_number else None,
        _valid_upn(record.upn) if record.upn else None,
        normalise_phone(record.phone) if record.phone else None,
        normalise_email(record.email) if record.email else None,
        _name_keys(given_canonical, family_parts, dob),
    )


def prepare(record: LinkRecord) -> dict[str, Any]:
    """The engine's row for one record (the columns of ROW_SCHEMA). Empty values are None, lists
    are lists (possibly empty)."""
    return dict(zip(ROW_COLUMNS, _prepare_values(record), strict=True))


def _name_keys(given_canonical: str, family_parts: list[str], dob: datetime.date | None) -> list[str]:
    """Canonical given name x each surname part x four views of the date of birth that survive one
    change each: a wrong day (year-month), a wrong month (year-day), a wrong year (month-day), and
    day and month swapped (year + the two numbers sorted)."""
    if not given_canonical or not family_parts or dob is None:
        return []
    year, month, day = dob.year, dob.month, dob.day
    low, high = (day, month) if day < month else (month, day)
    views = (
        f"ym{year}-{month:02d}",
        f"yd{year}-{day:02d}",
        f"md{month:02d}-{day:02d}",
        f"ys{year}-{low:02d}-{high:02d}",
    )
    return [f"{given_canonical}|{part}|{view}" for part in family_parts for view in views]


def _batch(rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
    columns = zip(*rows, strict=True)
    return pa.RecordBatch.from_arrays(
        [pa.array(col, type=field.type) for col, field in zip(columns, ROW_SCHEMA, strict=True)],
        schema=ROW_SCHEMA,
    )


def _records_to_arrow(records: Iterable[LinkRecord], batch_size: int = 50_000) -> pa.Table:
    """Prepared rows as an Arrow table, built in batches so that 1M records never exist as 1M
    Python rows at once."""
    batches: list[pa.RecordBatch] = []
    buffer: list[tuple[Any, ...]] = []
    # The rows are short-lived and hold no cycles; with a million LinkRecords alive, the cyclic
    # collector's full passes would otherwise cost about a third of the time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for record in records:
            buffer.append(_prepare_values(record))
            if len(buffer) >= batch_size:
                batches.append(_batch(buffer))
                buffer = []
        if buffer:
            batches.append(_batch(buffer))
    finally:
        if gc_was_enabled:
            gc.enable()
    return pa.Table.from_batches(batches, schema=ROW_SCHEMA)


# train_model hands its prepared table to the predict_pairs call that usually follows it on the same
# records (preparing 1M records takes ~20 s of Python). One slot, used once, only for big inputs;
# matched on the record count and a hash of the (frozen, hashable) records themselves.
HANDOFF_MIN_RECORDS = 20_000
_handoff_lock = threading.Lock()
_handoff: tuple[int, int, pa.Table] | None = None


def _records_table(records: Sequence[LinkRecord], *, keep_for_predict: bool) -> pa.Table:
    global _handoff
    n = len(records)
    if n < HANDOFF_MIN_RECORDS:
        return _records_to_arrow(records)
    fingerprint = hash(tuple(records))
    with _handoff_lock:
        cached, _handoff = _handoff, None
    if cached is not None and cached[0] == n and cached[1] == fingerprint:
        table = cached[2]
    else:
        del cached
        table = _records_to_arrow(records)
    if keep_for_predict:
        with _handoff_lock:
            _handoff = (n, fingerprint, table)
    return table


# --------------------------------------------------------------------------------------------
# Blocking: Splink rules and the matching string keys for indexed candidate lookup
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BlockingRule:
    """Equality on every column; an "exploded" list column matches when the lists share an item.
    The same spec gives the Splink rule and the string key, so the two cannot drift apart."""

    name: str
    columns: tuple[str, ...]
    exploded: str | None = None  # list column in `columns` that Splink explodes
    purpose: str = ""

    @property
    def sql(self) -> str:
        return " AND ".join(f"l.{c} = r.{c}" for c in self.columns)


# Chosen to keep pairs near-linear at national scale (a plain "same date of birth" rule would give
# ~100M pairs at 1M records, a plain "same name" rule tens of millions) and still catch the changes
# the model is built for: each rule tolerates one kind of change that the others do not.
PREDICTION_BLOCKING_RULES: tuple[_BlockingRule, ...] = (
    _BlockingRule("nhs", ("nhs_valid",), purpose="same valid NHS number"),
    _BlockingRule("upn", ("upn_valid",), purpose="same valid UPN"),
    _BlockingRule("dob", ("dob", "given_canonical"), purpose="surname changed"),
    _BlockingRule(
        "dobfam",
        ("dob", "family_name", "given_initial"),
        purpose="first name mistyped or in a form the name table does not know",
    ),
    _BlockingRule(
        "name",
        ("name_keys",),
        exploded="name_keys",
        purpose="one part of the date of birth wrong, or day and month swapped; double-barrelled surnames",
    ),
    _BlockingRule(
        "namepc",
        ("given_canonical", "family_parts", "postcode"),
        exploded="family_parts",
        purpose="date of birth missing",
    ),
    _BlockingRule(
        "addr",
        ("given_canonical", "address_key"),
        purpose="date of birth and postcode missing; surname changed or mistyped",
    ),
    _BlockingRule("pc", ("postcode", "dob_year"), purpose="names changed, same home"),
)

# EM sessions: each leaves some comparisons out (those whose columns the rule uses), and between
# them every comparison gets an m estimate.
TRAINING_BLOCKING_RULES: tuple[str, ...] = (
    "l.dob = r.dob",
    "l.given_canonical = r.given_canonical AND l.family_name = r.family_name",
    "l.postcode = r.postcode",
)

# Rules that admit almost no false positives: used with PRIOR_RULES_RECALL to estimate the prior.
PRIOR_DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.nhs_valid = r.nhs_valid",
    "l.upn_valid = r.upn_valid",
    "l.given_name = r.given_name AND l.family_name = r.family_name AND l.dob = r.dob",
)


def _keys_for_row(row: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for rule in PREDICTION_BLOCKING_RULES:
        values: list[list[str]] = []
        for column in rule.columns:
            value = row[column]
            items = (
                [str(v) for v in value] if column == rule.exploded else [] if value is None else [str(value)]
            )
            if not items:
                break
            values.append(items)
        else:
            for combination in itertools.product(*values):
                keys.add(f"{rule.name}:" + "|".join(combination))
    return keys


def blocking_keys(record: LinkRecord) -> set[str]:
    """String keys mirroring PREDICTION_BLOCKING_RULES: two records that any rule would pair share
    at least one key, so the Django side can find candidates with an indexed lookup."""
    return _keys_for_row(prepare(record))


# --------------------------------------------------------------------------------------------
# Comparisons and settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Level:
    key: str
    sql: str
    m: float | None = None  # starting / untrained m and u; None for a null level
    u: float | None = None
    null: bool = False
    fix_m: bool = False
    detail: str = ""  # when two Splink levels share one key

    @property
    def label(self) -> str:
        return f"{self.key}{LEVEL_KEY_SEPARATOR}{self.detail}" if self.detail else self.key


def _identifier_levels(col: str) -> tuple[_Level, ...]:
    return (
        _Level("other", f"{col}_l IS NULL OR {col}_r IS NULL", null=True),
        _Level("both_valid_same", f"{col}_l = {col}_r", m=1 - FIXED_M_DIFFERENT_IDENTIFIER, u=1e-5),
        _Level("both_valid_different", "ELSE", m=FIXED_M_DIFFERENT_IDENTIFIER, u=1 - 1e-5, fix_m=True),
    )


# Household evidence is counted once: the "... | same home" levels are set after training to
# conditional probabilities (see _condition_on_household).
_ADDRESS_SIMILAR = (
    "(address_l = address_r OR address_key_l = address_key_r OR "
    "(coalesce(address_number_l, '') = coalesce(address_number_r, '') "
    "AND {jw}(address_l, address_r) >= 0.9))"
)
_SAME_HOME = f"(postcode_l = postcode_r OR {_ADDRESS_SIMILAR})"
_PHONE_OR_EMAIL_SAME = "(phone_l = phone_r OR email_l = email_r)"
ADDRESS_AND_POSTCODE = "postcode also the same"
ADDRESS_AND_POSTCODE_DIFFERENT = "postcode also different"
CONTACT_AND_HOME = "same home too"

_LEVEL_TEMPLATES: dict[str, tuple[_Level, ...]] = {
    "nhs_number": _identifier_levels("nhs_valid"),
    "upn": _identifier_levels("upn_valid"),
    "given_name": (
        _Level("missing", "given_name_l IS NULL OR given_name_r IS NULL", null=True),
        _Level("exact", "given_name_l = given_name_r", m=0.80, u=0.01),
        _Level("same_name_other_form", "given_canonical_l = given_canonical_r", m=0.08, u=0.002),
        _Level(
            "similar",
            "{jw}(given_name_l, given_name_r) >= 0.9 OR "
            "({dl}(given_name_l, given_name_r) <= 1 AND least(length(given_name_l), length(given_name_r)) >= 4)",
            m=0.07,
            u=0.01,
        ),
        _Level(
            "other_name_matches",
            "{overlap}(other_names_l, given_forms_r) OR {overlap}(other_names_r, given_forms_l)",
            m=0.03,
            u=0.001,
        ),
        _Level("different", "ELSE", m=FIXED_M_DIFFERENT_GIVEN_NAME, u=0.977, fix_m=True),
    ),
    "family_name": (
        _Level("missing", "family_name_l IS NULL OR family_name_r IS NULL", null=True),
        _Level("exact", "family_name_l = family_name_r", m=0.85, u=0.01),
        _Level("shares_a_surname_part", "{overlap}(family_parts_l, family_parts_r)", m=0.04, u=0.001),
        _Level("similar", "{jw}(family_name_l, family_name_r) >= 0.9", m=0.04, u=0.01),
        _Level("different", "ELSE", m=0.07, u=0.979),
    ),
    "date_of_birth": (
        _Level("missing", "dob_l IS NULL OR dob_r IS NULL", null=True),
        _Level("exact", "dob_l = dob_r", m=0.90, u=0.0005),
        _Level(
            "day_month_swapped",
            "dob_year_l = dob_year_r AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r",
            m=0.01,
            u=0.00005,
        ),
        _Level("one_digit_different", "{dl}(dob_l, dob_r) <= 1", m=0.05, u=0.006),
        _Level("same_year", "dob_year_l = dob_year_r", m=0.02, u=0.06),
        _Level("different", "ELSE", m=0.02, u=0.9335),
    ),
    "sex": (
        _Level("missing", "sex_l IS NULL OR sex_r IS NULL", null=True),
        _Level("same", "sex_l = sex_r", m=0.98, u=0.5),
        _Level("different", "ELSE", m=0.02, u=0.5),
    ),
    "postcode": (
        _Level(
            "missing",
            "(postcode_l IS NULL AND postcode_district_l IS NULL) OR (postcode_r IS NULL AND postcode_district_r IS NULL)",
            null=True,
        ),
        _Level("exact", "postcode_l = postcode_r", m=0.60, u=0.001),
        _Level("same_district", "postcode_district_l = postcode_district_r", m=0.15, u=0.02),
        _Level("same_area", "postcode_area_l = postcode_area_r", m=0.10, u=0.2),
        _Level("different", "ELSE", m=0.15, u=0.779),
    ),
    "address": (
        _Level("missing", "address_l IS NULL OR address_r IS NULL", null=True),
        _Level(
            "similar",
            f"{_ADDRESS_SIMILAR} AND postcode_l = postcode_r",
            m=0.55,  # joint starting values; _condition_on_household divides by postcode exact
            u=0.0008,
            detail=ADDRESS_AND_POSTCODE,
        ),
        _Level("similar", _ADDRESS_SIMILAR, m=0.15, u=0.0004),
        _Level(
            "different",
            "postcode_l <> postcode_r",
            m=0.25,  # joint starting values; _condition_on_household divides by postcode not exact
            u=0.95,
            detail=ADDRESS_AND_POSTCODE_DIFFERENT,
        ),
        _Level("different", "ELSE", m=0.05, u=0.0488),
    ),
    "phone_or_email": (
        _Level(
            "missing",
            "(phone_l IS NULL OR phone_r IS NULL) AND (email_l IS NULL OR email_r IS NULL)",
            null=True,
        ),
        _Level(
            "same",
            f"{_PHONE_OR_EMAIL_SAME} AND {_SAME_HOME}",
            m=0.45,  # joint starting values; _condition_on_household divides by P(same home)
            u=0.0004,
            detail=CONTACT_AND_HOME,
        ),
        _Level("same", _PHONE_OR_EMAIL_SAME, m=0.15, u=0.0001),
        _Level("different", "ELSE", m=0.4, u=0.9995),
    ),
}

# DuckDB's names for the three non-standard functions the levels use (hafan.linkage.spark
# translates them for Spark, with a DuckDB-exact Jaro-Winkler).
SQL_FUNCTIONS = {"jw": "jaro_winkler_similarity", "dl": "damerau_levenshtein", "overlap": "list_has_any"}

COMPARISON_LEVELS: dict[str, tuple[_Level, ...]] = {
    name: tuple(dataclasses.replace(level, sql=level.sql.format(**SQL_FUNCTIONS)) for level in levels)
    for name, levels in _LEVEL_TEMPLATES.items()
}

assert set(COMPARISON_LEVELS) == set(COMPARISONS), "engine comparisons must match records.COMPARISONS"
for _name, _levels in COMPARISON_LEVELS.items():
    assert {lv.key for lv in _levels} == set(COMPARISONS[_name]), f"level keys of {_name} differ"


def _level_creator(level: _Level) -> Any:
    creator = (
        cll.ElseLevel() if level.sql == "ELSE" else cll.CustomLevel(level.sql, base_dialect_str=SQL_DIALECT)
    )
    if level.null:
        return creator.configure(is_null_level=True, label_for_charts=level.label)
    return creator.configure(
        m_probability=level.m,
        u_probability=level.u,
        label_for_charts=level.label,
        fix_m_probability=level.fix_m,
    )


def settings_for_training(probability_two_random_records_match: float = DEFAULT_PRIOR) -> SettingsCreator:
    """Splink settings for this model (DuckDB SQL), with starting m/u values, which are also the
    untrained model's."""
    comparisons: list[Any] = [
        CustomComparison(
            comparison_levels=[_level_creator(level) for level in levels],
            output_column_name=name,
            comparison_description=name,
        )
        for name, levels in COMPARISON_LEVELS.items()
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            CustomRule(rule.sql, arrays_to_explode=[rule.exploded] if rule.exploded else None)
            for rule in PREDICTION_BLOCKING_RULES
        ],
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        em_convergence=0.0001,
        max_iterations=25,
        linker_uid=LINKER_UID,
    )


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def _round_sig(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{ROUND_SIGNIFICANT}g}")


def _levels_by_label(settings: dict[str, Any], comparison: str) -> dict[str, dict[str, Any]]:
    for comp in settings["comparisons"]:
        if comp["output_column_name"] == comparison:
            return {lv.get("label_for_charts", ""): lv for lv in comp["comparison_levels"]}
    raise KeyError(comparison)


def _condition_on_household(settings: dict[str, Any], notes: dict[str, Any]) -> None:
    """Count a home once, shared or not.

    Siblings and twins share a postcode, an address and often a phone, and the model's independence
    assumption would add all three up; a child who moved has a different postcode AND a different
    address, which it would count twice against. EM and random sampling estimate the JOINT m and u
    of "address similar AND postcode exact", "address different AND postcode different" and
    "phone/email same AND same home" (postcode exact or address similar). Dividing by the m and u
    of the condition gives P(address similar | same postcode), P(address different | different
    postcode) and P(phone same | same home), for matches and non-matches, which we fix in the
    settings: what the address or phone adds beyond what the postcode already said.
    """
    address = _levels_by_label(settings, "address")
    postcode = _levels_by_label(settings, "postcode")
    contact = _levels_by_label(settings, "phone_or_email")
    pc_exact = postcode["exact"]
    pc_not_exact = (postcode["same_district"], postcode["same_area"], postcode["different"])
    sep = LEVEL_KEY_SEPARATOR
    conditioned: dict[str, Any] = {}
    for level, denominators in (
        (address[f"similar{sep}{ADDRESS_AND_POSTCODE}"], (pc_exact,)),
        (address[f"different{sep}{ADDRESS_AND_POSTCODE_DIFFERENT}"], pc_not_exact),
        (contact[f"same{sep}{CONTACT_AND_HOME}"], (pc_exact, address["similar"])),
    ):
        probs = {}
        for prob in ("m_probability", "u_probability"):
            denominator = sum(float(d[prob]) for d in denominators)
            probs[prob] = min(1.0, float(level[prob]) / denominator) if denominator > 0 else None
        if not all(probs.values()):
            continue
        level.update(probs)
        level["fix_m_probability"] = True
        level["fix_u_probability"] = True
        conditioned[level["label_for_charts"]] = {k[0]: _round_sig(v) for k, v in probs.items() if v}
    notes["household_conditioned"] = conditioned


def _finalise_settings(settings: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
    """Fill levels EM or sampling never observed with the starting values, condition the household
    level, and round estimates so that the JSON is reproducible."""
    filled: list[str] = []
    for comp in settings["comparisons"]:
        name = comp["output_column_name"]
        defaults = {lv.label: lv for lv in COMPARISON_LEVELS[name]}
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            default = defaults[level["label_for_charts"]]
            for prob, fallback in (("m_probability", default.m), ("u_probability", default.u)):
                value = level.get(prob)
                if not isinstance(value, (int, float)) or value <= 0:
                    level[prob] = fallback
                    filled.append(f"{name}.{level['label_for_charts']}.{prob[0]}")
            if not level.get("fix_m_probability"):
                level["m_probability"] = max(float(level["m_probability"]), MIN_LEARNED_M)
            if not level.get("fix_u_probability"):
                level["u_probability"] = max(float(level["u_probability"]), MIN_LEARNED_U)
    _condition_on_household(settings, notes)
    for comp in settings["comparisons"]:
        for level in comp["comparison_levels"]:
            for prob in ("m_probability", "u_probability"):
                if isinstance(level.get(prob), float):
                    level[prob] = _round_sig(level[prob])
    settings["probability_two_random_records_match"] = _round_sig(
        float(settings["probability_two_random_records_match"])
    )
    settings["linker_uid"] = LINKER_UID
    if filled:
        notes["filled_with_starting_values"] = filled
    return settings


def _splink_version() -> str:
    try:
        return metadata.version("splink")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _untrained_model(n: int, seed: int, reason: str) -> TrainedModel:
    notes: dict[str, Any] = {"trained": False, "reason": reason}
    settings = settings_for_training().get_settings(SQL_DIALECT).as_dict()
    return TrainedModel(
        settings=_finalise_settings(settings, notes),
        seed=seed,
        trained_on_records=n,
        splink_version=_splink_version(),
        notes=notes,
    )


def train_model(records: Sequence[LinkRecord], *, seed: int = 2013) -> TrainedModel:
    """Estimate the model from the hub's own records: the prior from deterministic rules, u by
    seeded random sampling, m by EM on TRAINING_BLOCKING_RULES.

    With fewer than MIN_TRAINING_RECORDS records (or no EM session able to run) this returns the
    untrained model: the starting m/u values in COMPARISON_LEVELS and DEFAULT_PRIOR, which are
    hand-set and conservative; notes["trained"] is False.
    """
    n = len(records)
    if n < MIN_TRAINING_RECORDS:
        return _untrained_model(n, seed, f"fewer than {MIN_TRAINING_RECORDS} records")
    notes: dict[str, Any] = {"trained": True, "em_sessions": []}
    con = duckdb.connect(":memory:")
    try:
        db_api = DuckDBAPI(connection=con)
        sdf = db_api.register(_records_table(records, keep_for_predict=True), table_name="hafan_records")
        linker = Linker(sdf, settings_for_training(), log_level=None)
        try:
            linker.training.estimate_probability_two_random_records_match(
                list(PRIOR_DETERMINISTIC_RULES), recall=PRIOR_RULES_RECALL
            )
        except ValueError as exc:  # more deterministic matches than the recall allows: keep default
            notes["prior_estimate_failed"] = str(exc)
        prior = linker._settings_obj._probability_two_random_records_match
        if not prior or prior <= 0:
            linker._settings_obj._probability_two_random_records_match = DEFAULT_PRIOR
        linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=seed)
        for rule in TRAINING_BLOCKING_RULES:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS
                )
                notes["em_sessions"].append(rule)
            except Exception as exc:  # a block with no pairs must not stop training
                logger.warning("EM session on %r failed: %s", rule, exc)
                notes.setdefault("em_failed", []).append(rule)
        settings = linker.misc.save_model_to_json(out_path=None)
    finally:
        con.close()
    if not notes["em_sessions"]:
        return _untrained_model(n, seed, "no EM session could run")
    return TrainedModel(
        settings=_finalise_settings(settings, notes),
        seed=seed,
        trained_on_records=n,
        splink_version=_splink_version(),
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Compiled model: level keys and weights per gamma value, and the CASE SQL (shared by
# predict_pairs for evidence and by score_candidates for scoring)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CompiledModel:
    comparisons: tuple[str, ...]
    gamma_columns: tuple[str, ...]
    # per comparison: gamma value -> FieldEvidence (shared instances) and match weight
    evidence: tuple[dict[int, FieldEvidence], ...]
    prior_weight: float
    case_sql: str  # select list of CASE ... END as gamma_x over columns *_l / *_r
    input_columns: tuple[str, ...]  # row columns the CASE SQL reads


def _settings_key(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def _compile(settings: dict[str, Any]) -> _CompiledModel:
    splink_settings = SettingsCreator.from_path_or_dict(settings).get_settings(SQL_DIALECT)
    comparisons = splink_settings.core_model_settings.comparisons
    names_: list[str] = []
    gammas: list[str] = []
    evidence: list[dict[int, FieldEvidence]] = []
    cases: list[str] = []
    for comp in comparisons:
        name = comp.output_column_name
        names_.append(name)
        gammas.append(comp._gamma_column_name)
        cases.append(comp._case_statement)
        by_gamma: dict[int, FieldEvidence] = {}
        for level in comp.comparison_levels:
            label = level.label_for_charts
            key = label.split(LEVEL_KEY_SEPARATOR)[0]
            weight = level._match_weight
            by_gamma[level.comparison_vector_value] = FieldEvidence(
                comparison=name, level=key, match_weight=0.0 if weight is None else float(weight)
            )
        evidence.append(by_gamma)
    prior = splink_settings.core_model_settings.probability_two_random_records_match
    case_sql = ",\n".join(cases)
    return _CompiledModel(
        comparisons=tuple(names_),
        gamma_columns=tuple(gammas),
        evidence=tuple(evidence),
        prior_weight=math.log2(prior / (1 - prior)),
        case_sql=case_sql,
        input_columns=tuple(c for c in ROW_COLUMNS if re.search(rf"\b{c}_l\b", case_sql)),
    )


_compiled_cache: dict[str, _CompiledModel] = {}
_model_keys: dict[int, tuple[weakref.ref[TrainedModel], str]] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 16


def _compiled_for(model: TrainedModel) -> _CompiledModel:
    """Compiled model, cached by a hash of the settings JSON (the hash itself is cached per model
    object, so do not mutate a TrainedModel's settings after scoring with it)."""
    with _cache_lock:
        entry = _model_keys.get(id(model))
        key = entry[1] if entry and entry[0]() is model else None
    if key is None:
        key = _settings_key(model.settings)
        with _cache_lock:
            if len(_model_keys) > 4 * _CACHE_LIMIT:
                _model_keys.clear()
            _model_keys[id(model)] = (weakref.ref(model), key)
    with _cache_lock:
        compiled = _compiled_cache.get(key)
    if compiled is None:
        compiled = _compile(model.settings)
        with _cache_lock:
            if len(_compiled_cache) >= _CACHE_LIMIT:
                _compiled_cache.clear()
            _compiled_cache[key] = compiled
    return compiled


def _weight_to_probability(weight: float) -> float:
    # the same expression as Splink's predict SQL
    if weight >= 0:
        return 1.0 / (1.0 + 2.0 ** (-weight))
    return 2.0**weight / (1.0 + 2.0**weight)


def _weight_and_evidence(
    compiled: _CompiledModel, gammas: Sequence[int]
) -> tuple[float, tuple[FieldEvidence, ...]]:
    """Sum the prior and the level weights in Splink's order, as its predict SQL does."""
    evidence = tuple(compiled.evidence[i][g] for i, g in enumerate(gammas))
    weight = compiled.prior_weight
    for item in evidence:
        weight += item.match_weight
    return weight, evidence


# --------------------------------------------------------------------------------------------
# Batch prediction
# --------------------------------------------------------------------------------------------


def predict_pairs(
    model: TrainedModel, records: Sequence[LinkRecord], *, threshold: float = 0.5
) -> list[PairScore]:
    """Every pair found by the prediction blocking rules with probability >= threshold, scored by
    Splink (DuckDB), left_id < right_id, sorted by (left_id, right_id), with one FieldEvidence per
    comparison. Pairs below the threshold never leave DuckDB."""
    if len(records) < 2:
        return []
    compiled = _compiled_for(model)
    evidence_cache: dict[tuple[int, ...], tuple[FieldEvidence, ...]] = {}
    out: list[PairScore] = []
    con = duckdb.connect(":memory:")
    try:
        db_api = DuckDBAPI(connection=con)
        sdf = db_api.register(_records_table(records, keep_for_predict=False), table_name="hafan_records")
        linker = Linker(sdf, model.settings, log_level=None, validate_settings=False)
        # tiny tolerance so that a pair exactly at the threshold is not lost to float rounding
        predictions = linker.inference.predict(
            threshold_match_probability=max(threshold - 1e-12, 0.0) if threshold > 0 else None,
            warning_mode="never",
        )
        gamma_sql = ", ".join(compiled.gamma_columns)
        cursor = con.execute(
            f"SELECT unique_id_l, unique_id_r, match_weight, match_probability, {gamma_sql} "  # noqa: S608 - names from settings
            f"FROM {predictions.physical_name} ORDER BY least(unique_id_l, unique_id_r), greatest(unique_id_l, unique_id_r)"
        )
        while batch := cursor.fetchmany(50_000):
            for row in batch:
                left, right, weight, probability = int(row[0]), int(row[1]), float(row[2]), float(row[3])
                if probability < threshold:
                    continue
                gammas = tuple(row[4:])
                evidence = evidence_cache.get(gammas)
                if evidence is None:
                    evidence = tuple(compiled.evidence[i][g] for i, g in enumerate(gammas))
                    evidence_cache[gammas] = evidence
                if left > right:
                    left, right = right, left
                out.append(PairScore(left, right, probability, weight, evidence))
        predictions.drop_table_from_database_and_remove_from_cache()
    finally:
        con.close()
    return out


# --------------------------------------------------------------------------------------------
# Incremental scoring: one record against candidates, Splink's SQL on a per-thread connection
# --------------------------------------------------------------------------------------------

_local = threading.local()


def _thread_connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:")
        con.execute("SET threads TO 1")  # 50 pairs: threads only add overhead
        _local.con = con
    return con


def score_candidates(
    model: TrainedModel, record: LinkRecord, candidates: Sequence[LinkRecord]
) -> list[PairScore]:
    """Score one record against candidates (found by blocking_keys) with the trained model, no
    training, sorted by probability descending. Evaluates the model's own comparison SQL (the CASE
    expressions Splink generates from the settings) in an in-process DuckDB connection held per
    thread, and sums the trained weights exactly as Splink's predict does; the result equals
    predict_pairs' for the same pair."""
    if not candidates:
        return []
    compiled = _compiled_for(model)
    new_row = prepare(record)
    columns = compiled.input_columns
    left_ids: list[int] = []
    right_ids: list[int] = []
    data: dict[str, list[Any]] = {f"{c}_{side}": [] for c in columns for side in ("l", "r")}
    for candidate in candidates:
        other = prepare(candidate)
        if other["unique_id"] == new_row["unique_id"]:
            continue
        lrow, rrow = (new_row, other) if new_row["unique_id"] < other["unique_id"] else (other, new_row)
        left_ids.append(lrow["unique_id"])
        right_ids.append(rrow["unique_id"])
        for c in columns:
            data[f"{c}_l"].append(lrow[c])
            data[f"{c}_r"].append(rrow[c])
    if not left_ids:
        return []
    schema = pa.schema(
        [pa.field(f"{c}_{side}", ROW_SCHEMA.field(c).type) for c in columns for side in ("l", "r")]
    )
    table = pa.Table.from_pydict(data, schema=schema)
    con = _thread_connection()
    con.register("hafan_pairs", table)
    try:
        gammas_rows = con.execute(f"SELECT {compiled.case_sql} FROM hafan_pairs").fetchall()  # noqa: S608
    finally:
        con.unregister("hafan_pairs")
    scores: list[PairScore] = []
    for left, right, gammas in zip(left_ids, right_ids, gammas_rows, strict=True):
        weight, evidence = _weight_and_evidence(compiled, gammas)
        scores.append(PairScore(left, right, _weight_to_probability(weight), weight, evidence))
    scores.sort(key=lambda s: (-s.probability, s.left_id, s.right_id))
    return scores


# --------------------------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------------------------

_IDENTIFIER_COMPARISONS = ("nhs_number", "upn")


def _identifiers_conflict(pair: PairScore) -> bool:
    return any(
        e.comparison in _IDENTIFIER_COMPARISONS and e.level == "both_valid_different" for e in pair.evidence
    )


def cluster(
    pairs: Iterable[PairScore],
    *,
    threshold: float,
    cannot_link: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
    record_ids: Iterable[int] = (),
) -> list[set[int]]:
    """Connected components of the pairs with probability >= threshold, joined in descending
    probability (ties by ids), never making a cluster that holds both ends of a cannot_link pair (a
    human rejection) or of any given pair whose evidence says two different valid NHS numbers or
    UPNs (such pairs count as cannot-link at any probability). Singletons for the other ids of the
    strong pairs and for record_ids. Clusters sorted by their smallest id."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small containers: the cyclic collector would dominate
    try:
        return _cluster(pairs, threshold, cannot_link, record_ids)
    finally:
        if gc_was_enabled:
            gc.enable()


def _cluster(
    pairs: Iterable[PairScore],
    threshold: float,
    cannot_link: set[tuple[int, int]] | frozenset[tuple[int, int]],
    record_ids: Iterable[int],
) -> list[set[int]]:
    forbidden: dict[int, set[int]] = {}  # symmetric
    for a, b in cannot_link:
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)
    strong: list[PairScore] = []
    seen: set[int] = set()  # every id of a pair at or above the threshold
    for pair in pairs:
        if _identifiers_conflict(pair):
            forbidden.setdefault(pair.left_id, set()).add(pair.right_id)
            forbidden.setdefault(pair.right_id, set()).add(pair.left_id)
            if pair.probability >= threshold:
                seen.add(pair.left_id)
                seen.add(pair.right_id)
        elif pair.probability >= threshold:
            strong.append(pair)
    strong.sort(key=lambda p: (-p.probability, p.left_id, p.right_id))

    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}  # root -> members, for clusters of two or more
    blocked: dict[int, set[int]] = {}  # root -> ids that may never join it (clusters of two or more)
    no_ids: frozenset[int] = frozenset()

    def find(x: int) -> int:
        root = x
        while (up := parent.get(root, root)) != root:
            root = up
        while x != root:
            parent[x], x = root, parent[x]
        return root

    for pair in strong:
        a, b = pair.left_id, pair.right_id
        seen.add(a)
        seen.add(b)
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        small, large, m_small, m_large = (ra, rb, ma, mb) if len(ma) <= len(mb) else (rb, ra, mb, ma)
        b_large = blocked.get(large) if large in members else forbidden.get(large, no_ids)
        if b_large and not b_large.isdisjoint(m_small):  # forbidden is symmetric: one side is enough
            continue
        b_small = blocked.pop(small, None) if small in members else forbidden.get(small, no_ids)
        parent[small] = large
        m_large.extend(m_small)  # m_large is members[large], or a new list for a singleton
        members[large] = m_large
        members.pop(small, None)
        if b_large or b_small:
            blocked[large] = set(b_large or ()) | set(b_small or ())
    clusters = [set(m) for m in members.values()]
    clustered = set().union(*clusters) if clusters else set()
    clusters.extend({x} for x in seen.union(int(r) for r in record_ids) if x not in clustered)
    clusters.sort(key=min)
    return clusters


# --------------------------------------------------------------------------------------------
# Plain English (debugging and the CLI; the review page translates separately)
# --------------------------------------------------------------------------------------------

_PHRASES: dict[tuple[str, str], str] = {
    ("nhs_number", "both_valid_same"): "same valid NHS number",
    ("nhs_number", "both_valid_different"): "two different valid NHS numbers",
    ("nhs_number", "other"): "NHS number missing or not valid on one record",
    ("upn", "both_valid_same"): "same valid Unique Pupil Number",
    ("upn", "both_valid_different"): "two different valid Unique Pupil Numbers",
    ("upn", "other"): "Unique Pupil Number missing or not valid on one record",
    ("given_name", "exact"): "same first name",
    ("given_name", "same_name_other_form"): "first name in another form (nickname or Welsh/English form)",
    ("given_name", "similar"): "similar first names",
    ("given_name", "other_name_matches"): "first name matches a name the other record knows them by",
    ("given_name", "different"): "different first names",
    ("given_name", "missing"): "first name missing on one record",
    ("family_name", "exact"): "same surname",
    ("family_name", "shares_a_surname_part"): "surnames share a part (double-barrelled or hyphenated)",
    ("family_name", "similar"): "similar surnames",
    ("family_name", "different"): "different surnames",
    ("family_name", "missing"): "surname missing on one record",
    ("date_of_birth", "exact"): "same date of birth",
    ("date_of_birth", "day_month_swapped"): "date of birth with day and month swapped",
    ("date_of_birth", "one_digit_different"): "dates of birth one digit apart",
    ("date_of_birth", "same_year"): "born in the same year",
    ("date_of_birth", "different"): "different dates of birth",
    ("date_of_birth", "missing"): "date of birth missing on one record",
    ("sex", "same"): "same sex",
    ("sex", "different"): "different sex recorded",
    ("sex", "missing"): "sex not recorded on one record",
    ("postcode", "exact"): "same postcode",
    ("postcode", "same_district"): "postcodes in the same district",
    ("postcode", "same_area"): "postcodes in the same area",
    ("postcode", "different"): "different postcodes",
    ("postcode", "missing"): "postcode missing on one record",
    ("address", "similar"): "same or similar address",
    ("address", "different"): "different addresses",
    ("address", "missing"): "address missing on one record",
    ("phone_or_email", "same"): "same phone number or email",
    ("phone_or_email", "different"): "different phone numbers or emails",
    ("phone_or_email", "missing"): "no phone or email to compare",
}


def _strength(weight: float) -> str:
    size = abs(weight)
    if size < 0.5:
        return "no evidence either way"
    if size < 2:
        word = "weak"
    elif size < 5:
        word = "moderate"
    elif size < 10:
        word = "strong"
    else:
        word = "very strong"
    return f"{word} evidence {'for' if weight > 0 else 'against'}"


def describe(evidence: FieldEvidence) -> str:
    """e.g. 'same date of birth: strong evidence for' (weights: <0.5 none, <2 weak, <5 moderate,
    <10 strong, else very strong)."""
    phrase = _PHRASES.get(
        (evidence.comparison, evidence.level), f"{evidence.comparison.replace('_', ' ')}: {evidence.level}"
    )
    return f"{phrase}: {_strength(evidence.match_weight)}"
