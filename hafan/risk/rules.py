"""Pure rules about risk: no database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hafan.core.vocabulary import RISK_GRADE_ORDER, RiskGrade


def review_interval_hours(grade: RiskGrade | str) -> int:
    """How soon a grade must be reviewed again (hours), from settings.HAFAN_REVIEW_HOURS (by grade value).
    High risk is reviewed most often."""
    from django.conf import settings

    return int(settings.HAFAN_REVIEW_HOURS[RiskGrade(grade).value])


def default_next_review(grade: RiskGrade, assessed_at: datetime.datetime) -> datetime.datetime:
    return assessed_at + datetime.timedelta(hours=review_interval_hours(grade))


def grade_at_least(grade: RiskGrade, floor: RiskGrade | str) -> bool:
    if not floor:
        return True
    return RISK_GRADE_ORDER.index(RiskGrade(grade)) >= RISK_GRADE_ORDER.index(RiskGrade(floor))


def is_repeat_missing(
    report_times: list[datetime.datetime], *, now: datetime.datetime, episodes: int, days: int
) -> bool:
    """At least `episodes` reports in the `days` up to `now`: the trigger for a strategy meeting."""
    since = now - datetime.timedelta(days=days)
    return sum(1 for t in report_times if since <= t <= now) >= episodes


# --- Issue 6 / triggers, hub tasks and screening


def repeat_count(report_times: list[datetime.datetime], *, now: datetime.datetime, days: int) -> int:
    """How many reports fall in the `days` up to `now` (the figure the repeat rule compares)."""
    since = now - datetime.timedelta(days=days)
    return sum(1 for t in report_times if since <= t <= now)


@dataclass(frozen=True)
class ScreeningIndicator:
    """One indicator on the SERAF-style exploitation screening, with its weight (1 to 3)."""

    code: str
    label: Promise
    weight: int


SCREENING_INDICATORS: tuple[ScreeningIndicator, ...] = (
    ScreeningIndicator("older_associates", _("Associates with older young people or adults"), 2),
    ScreeningIndicator("unexplained_items", _("Unexplained money, gifts, clothes or phones"), 2),
    ScreeningIndicator("returns_injured", _("Goes missing and returns with injuries or marks"), 3),
    ScreeningIndicator("substances", _("Drug or alcohol use"), 1),
    ScreeningIndicator("sexual_health", _("Sexual health concerns (infections, pregnancy, termination)"), 3),
    ScreeningIndicator("found_out_of_area", _("Found out of their home area"), 2),
    ScreeningIndicator("new_peer_group", _("A new peer group, or dropping old friends"), 1),
    ScreeningIndicator("school_exclusion", _("Excluded from school, or often absent"), 1),
    ScreeningIndicator("online_contact", _("Online contact with adults they do not know"), 2),
    ScreeningIndicator("carries_weapon", _("Carries a weapon"), 3),
    ScreeningIndicator("self_harm", _("Self-harm or thoughts of suicide"), 2),
    ScreeningIndicator("gang_places", _("Seen at places linked with gangs or county lines"), 3),
)
SCREENING_WEIGHTS: dict[str, int] = {i.code: i.weight for i in SCREENING_INDICATORS}
SCREENING_MEDIUM_FROM = 3
SCREENING_BANDS: dict[str, Promise] = {
    "low": _("Low"),
    "medium": _("Medium"),
    "high": _("High: exploitation review needed"),
}


def screening_score(answers: dict[str, bool], *, high_from: int) -> tuple[int, str]:
    """The weighted score of the indicators answered yes, and its band: low below SCREENING_MEDIUM_FROM,
    high from `high_from` (settings.HAFAN_SCREENING_REVIEW_SCORE), medium in between. Unknown codes count
    nothing (the service refuses them before scoring)."""
    score = sum(SCREENING_WEIGHTS.get(code, 0) for code, yes in answers.items() if yes)
    if score >= high_from:
        return score, "high"
    if score >= SCREENING_MEDIUM_FROM:
        return score, "medium"
    return score, "low"


# The child's risk matrix (issue 6): likelihood of going missing again x likely harm, each low / medium / high
# (people.MatrixLevel values). Scored 1 / 2 / 3 and multiplied, the usual 3 x 3 banding:
#
#                      harm low   harm medium   harm high
#   likelihood low       low         low         medium
#   likelihood medium    low        medium        high
#   likelihood high     medium       high         high
#
# i.e. a product of 1-2 is low, 3-4 medium, 6-9 high. High harm with even a low likelihood is never "low".
MATRIX_LEVEL_SCORE = {"low": 1, "medium": 2, "high": 3}


def matrix_rating(likelihood: str, harm: str) -> str:
    """The matrix cell's rating ("low", "medium" or "high"); "" until both levels are known."""
    if not likelihood or not harm:
        return ""
    if likelihood not in MATRIX_LEVEL_SCORE or harm not in MATRIX_LEVEL_SCORE:
        raise ValueError(f"unknown matrix level: {likelihood!r} x {harm!r}")
    score = MATRIX_LEVEL_SCORE[likelihood] * MATRIX_LEVEL_SCORE[harm]
    if score >= 6:
        return "high"
    if score >= 3:
        return "medium"
    return "low"


def suggested_floor(rating: str) -> RiskGrade | str:
    """The "treat as at least" grade the matrix suggests for the response plan: high -> high risk, medium ->
    medium risk, low (or not rated) -> no floor. A suggestion only: the plan's author chooses."""
    return {"high": RiskGrade.HIGH, "medium": RiskGrade.MEDIUM}.get(rating, "")
