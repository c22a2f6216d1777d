"""Each comparison's contribution to a match, in plain words for the review page (translatable)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PHRASES: dict[tuple[str, str], Promise] = {
    ("nhs_number", "both_valid_same"): _("same NHS number"),
    ("nhs_number", "both_valid_different"): _("different NHS numbers"),
    ("nhs_number", "other"): _("no valid NHS number on both records"),
    ("upn", "both_valid_same"): _("same unique pupil number"),
    ("upn", "both_valid_different"): _("different unique pupil numbers"),
    ("upn", "other"): _("no valid pupil number on both records"),
    ("given_name", "exact"): _("same first name"),
    ("given_name", "same_name_other_form"): _(
        "the same first name in another form (a nickname, or Welsh and English)"
    ),
    ("given_name", "similar"): _("similar first names"),
    ("given_name", "other_name_matches"): _("first name matches another name the child uses"),
    ("given_name", "different"): _("different first names"),
    ("given_name", "missing"): _("first name missing"),
    ("family_name", "exact"): _("same family name"),
    ("family_name", "shares_a_surname_part"): _("family names share a part"),
    ("family_name", "similar"): _("similar family names"),
    ("family_name", "different"): _("different family names"),
    ("family_name", "missing"): _("family name missing"),
    ("date_of_birth", "exact"): _("same date of birth"),
    ("date_of_birth", "day_month_swapped"): _("day and month of birth swapped"),
    ("date_of_birth", "one_digit_different"): _("dates of birth one digit apart"),
    ("date_of_birth", "same_year"): _("same year of birth only"),
    ("date_of_birth", "different"): _("different dates of birth"),
    ("date_of_birth", "missing"): _("date of birth missing"),
    ("sex", "same"): _("same sex"),
    ("sex", "different"): _("different sex"),
    ("sex", "missing"): _("sex not recorded on both"),
    ("postcode", "exact"): _("same postcode"),
    ("postcode", "same_district"): _("postcodes in the same district"),
    ("postcode", "same_area"): _("postcodes in the same area"),
    ("postcode", "different"): _("different postcodes"),
    ("postcode", "missing"): _("postcode missing"),
    ("address", "similar"): _("similar addresses"),
    ("address", "different"): _("different addresses"),
    ("address", "missing"): _("address missing"),
    ("phone_or_email", "same"): _("same phone number or email"),
    ("phone_or_email", "different"): _("different phone numbers and emails"),
    ("phone_or_email", "missing"): _("no phone number or email on both"),
}

STRONG_FOR = _("strong evidence for")
SOME_FOR = _("some evidence for")
NEITHER = _("little evidence either way")
SOME_AGAINST = _("some evidence against")
STRONG_AGAINST = _("strong evidence against")


def strength(match_weight: float) -> tuple[Promise, str]:
    """The evidence's strength in words, and a tag colour for it. Weights are log2 Bayes factors."""
    if match_weight >= 4:
        return STRONG_FOR, "green"
    if match_weight >= 1:
        return SOME_FOR, "turquoise"
    if match_weight > -1:
        return NEITHER, "grey"
    if match_weight > -4:
        return SOME_AGAINST, "orange"
    return STRONG_AGAINST, "red"


@dataclass(frozen=True)
class Explained:
    comparison: str
    phrase: str
    strength: str
    colour: str
    match_weight: float


def explain(evidence: Iterable[list[object] | tuple[object, ...]]) -> list[Explained]:
    """[comparison, level, weight] rows (as stored on MatchDecision.evidence), strongest first."""
    rows = []
    for comparison, level, weight in evidence:
        words, colour = strength(float(weight))  # type: ignore[arg-type]
        phrase = PHRASES.get((str(comparison), str(level)), f"{comparison}: {level}")
        rows.append(Explained(str(comparison), str(phrase), str(words), colour, float(weight)))  # type: ignore[arg-type]
    return sorted(rows, key=lambda r: -abs(r.match_weight))
