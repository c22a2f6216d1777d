"""The shapes that cross between Hafan and the linkage engine. Plain data: no Django, no Splink.

The engine (hafan/linkage/engine.py, the only module that imports Splink) takes LinkRecords and
returns PairScores; the Django side (services.py) turns those into decisions and hub identities.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LinkRecord:
    """One agency's record of a person, as the engine sees it."""

    record_id: int  # SourceRecord primary key; the engine's unique_id
    agency: str  # agency code, e.g. "GWP"
    given_name: str
    family_name: str
    other_names: str = ""  # nicknames and other names, comma-separated
    date_of_birth: datetime.date | None = None
    sex: str = "unknown"  # "female" | "male" | "unknown"
    postcode: str = ""
    address: str = ""
    nhs_number: str = ""  # digits only; may be invalid (a typo) or empty
    upn: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class FieldEvidence:
    """How one comparison moved the match weight, in terms the review page can put into plain words.

    `comparison` is one of COMPARISONS below; `level` is one of that comparison's LEVELS keys.
    """

    comparison: str
    level: str
    match_weight: float  # log2 Bayes factor of this comparison level (0 for a null level)


@dataclass(frozen=True)
class PairScore:
    left_id: int  # always left_id < right_id
    right_id: int
    probability: float
    match_weight: float
    evidence: tuple[FieldEvidence, ...] = ()


@dataclass
class TrainedModel:
    """A trained model: Splink's settings JSON (with the estimated m and u values) and how it was made."""

    settings: dict[str, Any]
    seed: int
    trained_on_records: int
    splink_version: str
    notes: dict[str, Any] = field(default_factory=dict)


# The comparisons the engine makes, and the levels each can report (plain-word keys for the review page).
COMPARISONS: dict[str, tuple[str, ...]] = {
    "nhs_number": ("both_valid_same", "both_valid_different", "other"),
    "upn": ("both_valid_same", "both_valid_different", "other"),
    "given_name": ("exact", "same_name_other_form", "similar", "other_name_matches", "different", "missing"),
    "family_name": ("exact", "shares_a_surname_part", "similar", "different", "missing"),
    "date_of_birth": (
        "exact",
        "day_month_swapped",
        "one_digit_different",
        "same_year",
        "different",
        "missing",
    ),
    "sex": ("same", "different", "missing"),
    "postcode": ("exact", "same_district", "same_area", "different", "missing"),
    "address": ("similar", "different", "missing"),
    "phone_or_email": ("same", "different", "missing"),
}
