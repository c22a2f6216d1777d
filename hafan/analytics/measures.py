"""The performance measures (issue 8), computed from the analytics store with aggregate queries.

Everything here is figures: no child is named or identified. `suppress()` hides small counts in anything that
leaves the hub (CSV, spreadsheets, PDFs)."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Count, Exists, FloatField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from hafan.analytics.filters import Filters
from hafan.analytics.models import CUBE_DIMENSIONS, EpisodeFact, MonthlyCount
from hafan.analytics.summaries import (
    COUNTS,
    FOUND_BY_CODES,
    SAMPLE_EVERY,
    children_by,
    children_counts,
    counts_by,
    counts_by_each,
    monthly_children,
    split,
    summaries_ready,
)
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


_MEDIANS = (
    ("duration_median_hours", "duration_hours", 0.5),
    ("duration_p90_hours", "duration_hours", 0.9),
    ("debrief_median_hours", "hours_to_debrief", 0.5),
    ("info_answer_median_minutes", "info_answer_minutes", 0.5),
)


def _percentiles(rows: QuerySet[EpisodeFact]) -> dict[str, float | None]:
    """The medians and 90th percentile of the rows (NULLs ignored), in one query on PostgreSQL."""
    if connection.vendor == "postgresql":  # exact, in the database, at any scale
        return rows.aggregate(**{name: _PercentileCont(column, q) for name, column, q in _MEDIANS})
    # SQLite (the demo and development) has no percentile function: read the columns back.
    columns = sorted({column for _, column, _ in _MEDIANS})
    values: dict[str, list[float]] = {column: [] for column in columns}
    for row in rows.values_list(*columns):
        for column, value in zip(columns, row, strict=True):
            if value is not None:
                values[column].append(float(value))
    return {name: percentile(values[column], q) for name, column, q in _MEDIANS}


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
    # 0 when the medians are exact; otherwise 1 in how many episodes they were estimated from (periods of more
    # than settings.HAFAN_ANALYTICS_EXACT_MEDIANS_UP_TO episodes, where sorting every value would be too slow).
    medians_sampled_one_in: int = 0


def facts_for(filters: Filters) -> QuerySet[EpisodeFact]:
    return EpisodeFact.objects.filter(**filters.orm())


def _dimension_filters(filters: Filters) -> dict[str, object]:
    """The filters without the period (for "now" figures: open episodes, plans in force)."""
    return {k: v for k, v in filters.orm().items() if not k.startswith("reported_on")}


def _single_value(dimensions: dict[str, object]) -> tuple[str, str] | None:
    """(dimension, value) when the filters choose one value of one summarised dimension."""
    if len(dimensions) != 1:
        return None
    ((lookup, values),) = dimensions.items()
    name = lookup.removesuffix("__in")
    if name in CUBE_DIMENSIONS and isinstance(values, list) and len(values) == 1:
        return name, str(values[0])
    return None


def _found_by(counts: dict[str, int]) -> dict[str, int]:
    return {code: counts[f"found_by_{code}"] for code in sorted(FOUND_BY_CODES) if counts[f"found_by_{code}"]}


def measures_for(
    filters: Filters, *, now: datetime.datetime | None = None, summaries: bool | None = None
) -> Measures:
    """Every measure of the dashboard for these filters. Whole months come from the monthly summaries when they
    are current (`summaries=False` reads everything from the facts, as the tests compare), part months and
    school filters from the facts."""
    now = now or timezone.now()
    rows = facts_for(filters)
    use = summaries_ready() if summaries is None else summaries
    part = split(filters) if use else None
    dimensions = _dimension_filters(filters)

    # The additive counts: the summaries' whole months and the facts' part months, or the facts alone.
    counts = counts_by(filters, summaries=use).get((), dict.fromkeys(COUNTS, 0))

    result = Measures(filters=filters)
    result.episodes = counts["episodes"]
    result.repeat_episodes = counts["repeat_episodes"]
    result.still_missing = counts["still_missing"]
    result.returned = counts["returned"]
    result.duration_bands = {name: counts[f"band_{i}"] for i, (name, _, _) in enumerate(DURATION_BANDS)}
    result.harm = counts["harm"]
    result.harm_known = counts["harm_known"]
    result.harm_rate = rate(result.harm, result.harm_known)
    for name in ("due", "offered", "accepted", "held", "held_in_time"):
        setattr(result, f"debriefs_{name}", counts[f"debriefs_{name}"])
    result.referrals = counts["referrals"]
    result.plan_in_force_at_report = counts["plan_in_force"]
    result.found_home_council = counts["found_home"]
    result.found_elsewhere = counts["found_known"] - counts["found_home"]
    result.found_unknown = counts["found_unknown"]
    result.found_by = _found_by(counts)

    # Distinct children: counted from the summaries for all councils together; with other filters, from the facts.
    if part is not None and not dimensions:
        children = children_counts(part)
        result.children = children[MonthlyCount.CHILDREN]
        result.repeat_children = children[MonthlyCount.REPEAT_CHILDREN]
        result.repeat_children_in_period = children[MonthlyCount.WINDOW_CHILDREN]
    else:
        single = _single_value(dimensions)
        if part is not None and single is not None:  # e.g. one council, or looked-after children
            (
                result.children,
                result.repeat_children,
                result.repeat_children_in_period,
            ) = children_by(part, [single[0]])[single[0]].get(single[1], (0, 0, 0))
        else:
            distinct = rows.aggregate(
                children=Count("child_key", distinct=True),
                repeat=Count("child_key", distinct=True, filter=Q(repeat=True)),
                window=Count("child_key", distinct=True, filter=Q(window_start_on__gte=filters.since)),
            )
            result.children = distinct["children"]
            result.repeat_children = distinct["repeat"]
            result.repeat_children_in_period = distinct["window"]
    result.found_council = {
        code: figures["found_known"]
        for (code,), figures in sorted(
            counts_by(filters, ("found_council",), ("found_known",), summaries=use).items()
        )
        if code and figures["found_known"]
    }
    result.episodes_per_child = round(result.episodes / result.children, 2) if result.children else None

    due = result.debriefs_due
    result.debriefs_offered_rate = rate(result.debriefs_offered, due)
    result.debriefs_accepted_rate = rate(result.debriefs_accepted, result.debriefs_offered)
    result.debriefs_held_rate = rate(result.debriefs_held, due)
    result.debriefs_held_in_time_rate = rate(result.debriefs_held_in_time, due)
    result.plan_in_force_at_report_rate = rate(result.plan_in_force_at_report, result.episodes)

    # Medians: exact up to a size, then estimated from the 1-in-16 sample (stated on the page).
    medians_from = rows
    if result.episodes > settings.HAFAN_ANALYTICS_EXACT_MEDIANS_UP_TO:
        medians_from = rows.filter(sampled=True)
        result.medians_sampled_one_in = SAMPLE_EVERY
    for name, value in _percentiles(medians_from).items():
        setattr(result, name, value)

    linked = rows.filter(episode__isnull=False).values("episode_id")
    referrals = Referral.objects.filter(Q(episode_id__in=linked) | Q(debrief__episode_id__in=linked))
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

    # "Now" figures start from the few open episodes and plans in force, and ask whether the filters admit them.
    latest_review = Subquery(
        RiskAssessment.objects.filter(episode=OuterRef("pk"))
        .order_by("-assessed_at", "-id")
        .values("next_review_due")[:1]
    )
    result.overdue_reviews_now = (
        Episode.objects.filter(status=EpisodeStatus.MISSING)
        .filter(Exists(EpisodeFact.objects.filter(episode_id=OuterRef("pk"), **dimensions)))
        .annotate(review_due=latest_review)
        .filter(Q(review_due__lt=now) | Q(review_due__isnull=True))
        .count()
    )
    result.plans_in_force_now = (
        ResponsePlan.objects.filter(status=PlanStatus.IN_FORCE)
        .filter(Exists(EpisodeFact.objects.filter(child_key=OuterRef("child_id"), **dimensions)))
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


def breakdown(filters: Filters, by: str, *, summaries: bool | None = None) -> list[BreakdownRow]:
    """The main counts per value of one dimension (council, grade, age band, sex, care status...)."""
    return breakdowns(filters, [by], summaries=summaries)[by]


def breakdowns(
    filters: Filters, bys: Sequence[str], *, summaries: bool | None = None
) -> dict[str, list[BreakdownRow]]:
    """`breakdown` for several dimensions at once (the dashboard's tables share their reads of the summaries)."""
    for by in bys:
        if by not in BREAKDOWNS:
            raise ValueError(f"Cannot break down by {by!r}: choose one of {', '.join(BREAKDOWNS)}.")
    use = summaries_ready() if summaries is None else summaries
    dimensions = _dimension_filters(filters)
    where = _single_value(dimensions)  # e.g. looked-after children: counted by pair of dimensions
    part = split(filters) if use and (not dimensions or where is not None) else None
    summarised = [by for by in bys if by in CUBE_DIMENSIONS] if part is not None else []
    children = children_by(part, summarised, where=where) if part is not None and summarised else {}
    out: dict[str, list[BreakdownRow]] = {}
    names = ("episodes", "harm", "debriefs_due", "debriefs_held_in_time")
    each = counts_by_each(part, summarised, names) if part is not None and summarised else {}
    for by in bys:
        if by in summarised:
            out[by] = [
                BreakdownRow(
                    value=value or "",
                    episodes=figures["episodes"],
                    children=children[by].get(value, (0, 0, 0))[0],
                    repeat_children=children[by].get(value, (0, 0, 0))[1],
                    harm=figures["harm"],
                    debriefs_due=figures["debriefs_due"],
                    debriefs_held_in_time=figures["debriefs_held_in_time"],
                )
                for value, figures in sorted(each[by].items(), key=lambda item: item[0] or "")
                if figures["episodes"]
            ]
        else:
            out[by] = _breakdown_from_facts(filters, by)
    return out


def _breakdown_from_facts(filters: Filters, by: str) -> list[BreakdownRow]:
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
        .order_by()
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
        for r in sorted(rows, key=lambda r: r[by] or "")
    ]


@dataclass
class TrendRow:
    month: datetime.date
    episodes: int
    children: int
    repeat_children: int


def trend(filters: Filters, by_month: bool = True, *, summaries: bool | None = None) -> list[TrendRow]:
    """Monthly episodes, distinct children and children with repeat episodes; every month of the period,
    zero where there were none. For all councils together (or one value of one dimension), whole months come from
    the monthly summaries."""
    if not by_month:
        raise ValueError("Only monthly trends are available.")
    rows = facts_for(filters)
    use = summaries_ready() if summaries is None else summaries
    dimensions = _dimension_filters(filters)
    where = _single_value(dimensions)
    part = split(filters) if use and (not dimensions or where is not None) else None
    if part is not None:
        found = monthly_children(part, where=where)
        rows = rows.filter(part.edges)
    else:
        found = {}
    for r in (
        rows.values("month")
        .annotate(
            # COUNT(*), not COUNT(id): with an index on (month, child_key) including repeat and reported_on,
            # PostgreSQL answers from the index alone.
            episodes=Count("*"),
            children=Count("child_key", distinct=True),
            repeat_children=Count("child_key", distinct=True, filter=Q(repeat=True)),
        )
        .order_by()
    ):
        found[r["month"]] = (r["episodes"], r["children"], r["repeat_children"])
    return [TrendRow(month, *found.get(month, (0, 0, 0))) for month in filters.months]


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
