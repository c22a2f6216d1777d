"""Pure rules about risk: no database."""

from __future__ import annotations

import datetime

from hafan.core.vocabulary import RISK_GRADE_ORDER, RiskGrade

# How soon a grade must be reviewed again (hours), by grade. High risk is reviewed most often.
REVIEW_INTERVAL_HOURS = {
    RiskGrade.HIGH: 1,
    RiskGrade.MEDIUM: 4,
    RiskGrade.LOW: 12,
    RiskGrade.VERY_LOW: 24,
}


def default_next_review(grade: RiskGrade, assessed_at: datetime.datetime) -> datetime.datetime:
    return assessed_at + datetime.timedelta(hours=REVIEW_INTERVAL_HOURS[RiskGrade(grade)])


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
