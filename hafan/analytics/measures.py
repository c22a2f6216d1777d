"""The performance measures (issue 8), computed from the analytics store with aggregate queries.

Everything here is figures: no child is named or identified. `suppress()` hides small counts in anything that
leaves the hub (CSV, spreadsheets, PDFs)."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from hafan.analytics.filters import Filters
from hafan.analytics.models import EpisodeFact
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.people.models import PlanStatus, ResponsePlan
from hafan.referrals.models import Referral
from hafan.risk.models import RiskAssessment

DURATION_BANDS = [("under_24h", 0, 24), ("1_3_days", 24, 72), ("over_3_days", 72, None)]
BREAKDOWNS = ("council", "grade", "age_band", "sex", "care_status", "placement_type", "school", "found_by")
ACCEPTED_STATUSES = ("accepted", "held")


def suppress(n: int | None, *, threshold: int | None = None) -> str:
    """A count fit to leave the hub: "<5" (the threshold from settings) for 1 to threshold - 1; 0 stays 0."""
    if n is None:
        return ""
    limit = settings.HAFAN_SMALL_NUMBER_THRESHOLD if threshold is None else threshold
    return f"<{limit}" if 0 < n < limit else str(n)


def rate(part: int | None, whole: int | None) -> float | None:
    """A percentage to one decimal place, or None when there is nothing to measure against."""
    return round(100 * part / whole, 1) if part is not None and whole else None


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks: the same as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _PercentileCont(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(%(quantile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, quantile: float, **extra: Any) -> None:
        super().__init__(expression, quantile=float(quantile), **extra)


def _percentiles(rows: QuerySet[EpisodeFact], column: str, qs: tuple[float, ...]) -> list[float | None]:
    present = rows.filter(**{f"{column}__isnull": False})
    if connection.vendor == "postgresql":  # exact, in the database, at any scale
        result = present.aggregate(**{f"p{i}": _PercentileCont(column, q) for i, q in enumerate(qs)})
        return [result[f"p{i}"] for i in range(len(qs))]
    # SQLite (the demo and development) has no percentile function: read the one column back.
    values = [float(v) for v in present.values_list(column, flat=True)]
    return [percentile(values, q) for q in qs]


@dataclass
class Measures:
    filters: Filters
    episodes: int = 0
    children: int = 0
    episodes_per_child: float | None = None
    repeat_episodes: int = 0
    repeat_children: int = 0  # the repeat flag (N in D days when reported, settings)
    repeat_children_in_period: int = 0  # N episodes within D days, all inside the period
    duration_median_hours: float | None = None
    duration_p90_hours: float | None = None
    duration_bands: dict[str, int] = field(default_factory=dict)
    still_missing: int = 0
    returned: int = 0
    found_home_council: int = 0
    found_elsewhere: int = 0
    found_unknown: int = 0
    found_by: dict[str, int] = field(default_factory=dict)
    found_council: dict[str, int] = field(default_factory=dict)
    harm: int = 0
    harm_known: int = 0
    harm_rate: float | None = None
    debriefs_due: int = 0
    debriefs_offered: int = 0
    debriefs_accepted: int = 0
    debriefs_held: int = 0
    debriefs_held_in_time: int = 0
    debriefs_offered_rate: float | None = None
    debriefs_accepted_rate: float | None = None
    debriefs_held_rate: float | None = None
    debriefs_held_in_time_rate: float | None = None
    debrief_median_hours: float | None = None
    referrals: int = 0
    referrals_by_service: dict[str, int] = field(default_factory=dict)
    referrals_by_outcome: dict[str, int] = field(default_factory=dict)
    overdue_reviews_now: int = 0
    info_answer_median_minutes: float | None = None
    plan_in_force_at_report: int = 0
    plan_in_force_at_report_rate: float | None = None
    plans_in_force_now: int = 0


def facts_for(filters: Filters) -> QuerySet[EpisodeFact]:
    return EpisodeFact.objects.filter(**filters.orm())


def _dimension_filters(filters: Filters) -> dict[str, object]:
    """The filters without the period (for "now" figures: open episodes, plans in force)."""
    return {k: v for k, v in filters.orm().items() if not k.startswith("reported_on")}


def repeat_children_within(rows: QuerySet[EpisodeFact], *, episodes: int, days: int) -> int:
    """Children with `episodes` reports within `days` days of each other, all inside the rows given. Only the
    children with enough reports in the rows are read back, so this stays small."""
    candidates = rows.values("child_key").annotate(n=Count("id")).filter(n__gte=episodes).values("child_key")
    times: dict[int, list[datetime.datetime]] = defaultdict(list)
    for child_key, reported_at in rows.filter(child_key__in=Subquery(candidates)).values_list(
        "child_key", "reported_at"
    ):
        times[child_key].append(reported_at)
    window = datetime.timedelta(days=days)
    count = 0
    for reports in times.values():
        reports.sort()
        if any(reports[i + episodes - 1] - reports[i] <= window for i in range(len(reports) - episodes + 1)):
            count += 1
    return count


def measures_for(filters: Filters, *, now: datetime.datetime | None = None) -> Measures:
    now = now or timezone.now()
    rows = facts_for(filters)
    result = Measures(filters=filters)
    totals = rows.aggregate(
        n_episodes=Count("id"),
        n_children=Count("child_key", distinct=True),
        n_repeat_episodes=Count("id", filter=Q(repeat=True)),
        n_repeat_children=Count("child_key", distinct=True, filter=Q(repeat=True)),
        n_still_missing=Count("id", filter=Q(returned_at__isnull=True)),
        n_returned=Count("id", filter=Q(returned_at__isnull=False)),
        n_band_0=Count("id", filter=Q(duration_hours__lt=24)),
        n_band_1=Count("id", filter=Q(duration_hours__gte=24, duration_hours__lte=72)),
        n_band_2=Count("id", filter=Q(duration_hours__gt=72)),
        n_harm=Count("id", filter=Q(harm=True)),
        n_harm_known=Count("id", filter=Q(harm__isnull=False)),
        n_debriefs_due=Count("id", filter=~Q(debrief_status="")),
        n_debriefs_offered=Count("id", filter=Q(debrief_offered=True)),
        n_debriefs_accepted=Count("id", filter=Q(debrief_status__in=ACCEPTED_STATUSES)),
        n_debriefs_held=Count("id", filter=Q(debrief_held=True)),
        n_debriefs_held_in_time=Count("id", filter=Q(debrief_held_in_time=True)),
        n_referrals=Sum("referrals"),
        n_plan_in_force=Count("id", filter=Q(plan_in_force=True)),
        n_found_unknown=Count("id", filter=Q(returned_at__isnull=False, found_council="")),
    )
    result.episodes = totals["n_episodes"]
    result.children = totals["n_children"]
    result.episodes_per_child = round(result.episodes / result.children, 2) if result.children else None
    result.repeat_episodes = totals["n_repeat_episodes"]
    result.repeat_children = totals["n_repeat_children"]
    result.repeat_children_in_period = repeat_children_within(
        rows, episodes=settings.HAFAN_REPEAT_MISSING_EPISODES, days=settings.HAFAN_REPEAT_MISSING_DAYS
    )
    result.still_missing = totals["n_still_missing"]
    result.returned = totals["n_returned"]
    result.duration_bands = {name: totals[f"n_band_{i}"] for i, (name, _, _) in enumerate(DURATION_BANDS)}
    result.duration_median_hours, result.duration_p90_hours = _percentiles(rows, "duration_hours", (0.5, 0.9))
    result.harm, result.harm_known = totals["n_harm"], totals["n_harm_known"]
    result.harm_rate = rate(result.harm, result.harm_known)
    for name in ("due", "offered", "accepted", "held", "held_in_time"):
        setattr(result, f"debriefs_{name}", totals[f"n_debriefs_{name}"])
    due = result.debriefs_due
    result.debriefs_offered_rate = rate(result.debriefs_offered, due)
    result.debriefs_accepted_rate = rate(result.debriefs_accepted, result.debriefs_offered)
    result.debriefs_held_rate = rate(result.debriefs_held, due)
    result.debriefs_held_in_time_rate = rate(result.debriefs_held_in_time, due)
    (result.debrief_median_hours,) = _percentiles(rows, "hours_to_debrief", (0.5,))
    (result.info_answer_median_minutes,) = _percentiles(rows, "info_answer_minutes", (0.5,))
    result.referrals = totals["n_referrals"] or 0
    result.plan_in_force_at_report = totals["n_plan_in_force"]
    result.plan_in_force_at_report_rate = rate(result.plan_in_force_at_report, result.episodes)

    returned = rows.filter(returned_at__isnull=False).exclude(found_council="")
    found = returned.aggregate(
        home=Count("id", filter=Q(found_council=F("council"))),
        total=Count("id"),
    )
    result.found_home_council = found["home"]
    result.found_elsewhere = found["total"] - found["home"]
    result.found_unknown = totals["n_found_unknown"]
    result.found_by = {
        r["found_by"] or "unknown": r["n"]
        for r in rows.filter(returned_at__isnull=False)
        .values("found_by")
        .annotate(n=Count("id"))
        .order_by("found_by")
    }
    result.found_council = {
        r["found_council"]: r["n"]
        for r in returned.values("found_council").annotate(n=Count("id")).order_by("found_council")
    }

    referrals = Referral.objects.filter(
        Q(episode_id__in=rows.filter(episode__isnull=False).values("episode_id"))
        | Q(debrief__episode_id__in=rows.filter(episode__isnull=False).values("episode_id"))
    )
    result.referrals_by_service = {
        r["service__kind"]: r["n"]
        for r in referrals.values("service__kind")
        .annotate(n=Count("id", distinct=True))
        .order_by("service__kind")
    }
    result.referrals_by_outcome = {
        (r["outcome_code"] or r["status"]): r["n"]
        for r in referrals.values("status", "outcome_code")
        .annotate(n=Count("id", distinct=True))
        .order_by("status", "outcome_code")
    }

    in_scope = EpisodeFact.objects.filter(**_dimension_filters(filters))
    latest_review = Subquery(
        RiskAssessment.objects.filter(episode=OuterRef("pk"))
        .order_by("-assessed_at", "-id")
        .values("next_review_due")[:1]
    )
    result.overdue_reviews_now = (
        Episode.objects.filter(status=EpisodeStatus.MISSING, id__in=in_scope.values("episode_id"))
        .annotate(review_due=latest_review)
        .filter(Q(review_due__lt=now) | Q(review_due__isnull=True))
        .count()
    )
    result.plans_in_force_now = (
        ResponsePlan.objects.filter(status=PlanStatus.IN_FORCE, child_id__in=in_scope.values("child_key"))
        .values("child_id")
        .distinct()
        .count()
    )
    return result


@dataclass
class BreakdownRow:
    value: str
    episodes: int
    children: int
    repeat_children: int
    harm: int
    debriefs_due: int
    debriefs_held_in_time: int

    @property
    def held_in_time_rate(self) -> float | None:
        return rate(self.debriefs_held_in_time, self.debriefs_due)


def breakdown(filters: Filters, by: str) -> list[BreakdownRow]:
    """The main counts per value of one dimension (council, grade, age band, sex, care status...)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"Cannot break down by {by!r}: choose one of {', '.join(BREAKDOWNS)}.")
    rows = (
        facts_for(filters)
        .values(by)
        .annotate(
            episodes=Count("id"),
            children=Count("child_key", distinct=True),
            repeat_children=Count("child_key", distinct=True, filter=Q(repeat=True)),
            n_harm=Count("id", filter=Q(harm=True)),
            debriefs_due=Count("id", filter=~Q(debrief_status="")),
            n_held_in_time=Count("id", filter=Q(debrief_held_in_time=True)),
        )
        .order_by(by)
    )
    return [
        BreakdownRow(
            value=r[by] or "",
            episodes=r["episodes"],
            children=r["children"],
            repeat_children=r["repeat_children"],
            harm=r["n_harm"],
            debriefs_due=r["debriefs_due"],
            debriefs_held_in_time=r["n_held_in_time"],
        )
        for r in rows
    ]


@dataclass
class TrendRow:
    month: datetime.date
    episodes: int
    children: int
    repeat_children: int


def trend(filters: Filters, by_month: bool = True) -> list[TrendRow]:
    """Monthly episodes, distinct children and children with repeat episodes; every month of the period,
    zero where there were none."""
    if not by_month:
        raise ValueError("Only monthly trends are available.")
    found = {
        r["month"]: r
        for r in facts_for(filters)
        .values("month")
        .annotate(
            episodes=Count("id"),
            children=Count("child_key", distinct=True),
            repeat_children=Count("child_key", distinct=True, filter=Q(repeat=True)),
        )
        .order_by("month")
    }
    return [
        TrendRow(
            month=month,
            episodes=found[month]["episodes"] if month in found else 0,
            children=found[month]["children"] if month in found else 0,
            repeat_children=found[month]["repeat_children"] if month in found else 0,
        )
        for month in filters.months
    ]


# --- "How many children went missing repeatedly this quarter, in which council, and is it falling?"


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _shift_quarters(start: datetime.date, quarters: int) -> datetime.date:
    months = start.year * 12 + start.month - 1 - 3 * quarters
    return datetime.date(months // 12, months % 12 + 1, 1)


@dataclass
class ComparisonRow:
    council: str
    this_period: int
    last_quarter: int
    last_year: int

    @property
    def change_on_last_quarter(self) -> int:
        return self.this_period - self.last_quarter

    @property
    def change_on_last_year(self) -> int:
        return self.this_period - self.last_year


@dataclass
class RepeatComparison:
    """Children with repeat episodes (the repeat flag) in the quarter of the period's end, to date, against
    the same days of the quarter before and of the same quarter a year earlier."""

    this_period: tuple[datetime.date, datetime.date]
    last_quarter: tuple[datetime.date, datetime.date]
    last_year: tuple[datetime.date, datetime.date]
    rows: list[ComparisonRow]
    total: ComparisonRow


def repeat_comparison(filters: Filters, *, today: datetime.date | None = None) -> RepeatComparison:
    today = today or timezone.localdate()
    start = _quarter_start(filters.until)
    end = min(_shift_quarters(start, -1) - datetime.timedelta(days=1), max(today, start))
    days = (end - start).days

    def same_days(first: datetime.date) -> tuple[datetime.date, datetime.date]:
        quarter_end = _shift_quarters(first, -1) - datetime.timedelta(days=1)
        return first, min(first + datetime.timedelta(days=days), quarter_end)

    periods = [(start, end), same_days(_shift_quarters(start, 1)), same_days(_shift_quarters(start, 4))]
    by_council: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    totals = [0, 0, 0]
    for i, (since, until) in enumerate(periods):
        shifted = Filters(
            since=since,
            until=until,
            councils=filters.councils,
            schools=filters.schools,
            placement_types=filters.placement_types,
            grades=filters.grades,
            age_bands=filters.age_bands,
            sexes=filters.sexes,
            care_statuses=filters.care_statuses,
        )
        repeat = facts_for(shifted).filter(repeat=True)
        for row in repeat.values("council").annotate(n=Count("child_key", distinct=True)).order_by("council"):
            by_council[row["council"] or ""][i] = row["n"]
        totals[i] = repeat.aggregate(n=Count("child_key", distinct=True))["n"]
    return RepeatComparison(
        this_period=periods[0],
        last_quarter=periods[1],
        last_year=periods[2],
        rows=[ComparisonRow(council, *values) for council, values in sorted(by_council.items())],
        total=ComparisonRow("", *totals),
    )
