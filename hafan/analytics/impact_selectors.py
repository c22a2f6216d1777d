"""The impact evaluation's data (issue 8, item 3): read from the analytics store (EpisodeFact) and the intervention
dates, handed to the pure statistics in `impact.py`. Figures only: no child is named or identified.

Speed: the matched comparison reads a handful of columns of the episodes in the period (plus the year before
and the follow-up after); when that is more than MAX_EPISODES rows (national scale) it reads a sample of
children instead, every m-th hub identity by its internal number, so each sampled child's history stays whole.
The time series is one GROUP BY month."""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, FloatField, Func
from django.db.models.functions import Coalesce, Mod
from django.utils import timezone

from hafan.analytics import impact
from hafan.analytics.filters import month_start
from hafan.analytics.models import EpisodeFact
from hafan.core.errors import NotFoundOrNoAccess
from hafan.people.models import Child, PlanStatus, ResponsePlan
from hafan.referrals.models import Referral
from hafan.sharing import policy
from hafan.sharing.access import actor_for

Intervention = Literal["debrief", "plan", "referral"]
INTERVENTIONS: tuple[Intervention, ...] = ("debrief", "plan", "referral")
FOLLOW_UP_CHOICES = (90, 180, 365)
DEFAULT_FOLLOW_UP = 180
# Above this many episode rows the comparison reads a sample of children (stated on the page).
MAX_EPISODES = 60_000


def _require(user: Any) -> None:
    if not policy.can_view_dashboard(actor_for(user)):
        raise NotFoundOrNoAccess


@dataclass
class MatchedEvaluation:
    intervention: Intervention
    since: datetime.date
    until: datetime.date  # may be earlier than asked: the follow-up must have ended
    asked_until: datetime.date
    follow_up_days: int
    sample_every: int  # 1 = every child
    result: impact.MatchedResult | None  # None when no child received the intervention in the period


def _aware(day: datetime.date, *, end: bool = False) -> datetime.datetime:
    at = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
    return timezone.make_aware(at)


def _naive_utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)


def _survivors() -> dict[int, int]:
    merged = dict(Child.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))

    def surviving(child_id: int) -> int:
        seen = set()
        while child_id in merged and child_id not in seen:
            seen.add(child_id)
            child_id = merged[child_id]
        return child_id

    return {child_id: surviving(child_id) for child_id in merged}


class _Epoch(Func):
    """A timestamp as whole seconds since 1970 (UTC), computed by the database: reading 100,000 numbers is much
    faster than reading 100,000 timezone-aware datetimes."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday, not strftime('%s'): the backend would read that %s as a query parameter.
        template = "ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _as_datetimes(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds.astype(float), unit="s")


def _episodes(rows: Any) -> pd.DataFrame:
    """The episode rows the comparison needs (naive UTC times), with each held debrief's time."""
    values = rows.annotate(_reported=_Epoch("reported_at"), _returned=_Epoch("returned_at")).values_list(
        "child_key", "_reported", "_returned", "council", "care_status", "age_band", "debrief_held",
        "hours_to_debrief",
    )  # fmt: skip
    # Straight from the cursor: Django's per-row converters would cost more than the query at national scale.
    sql, params = values.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    frame = pd.DataFrame(
        fetched,
        columns=[
            "child_key",
            "reported_at",
            "returned_at",
            *impact.STRATA,
            "debrief_held",
            "hours_to_debrief",
        ],
    )
    frame["reported_at"] = _as_datetimes(frame["reported_at"])
    frame["returned_at"] = _as_datetimes(frame["returned_at"])
    return frame


def _treatments(
    intervention: Intervention, episodes: pd.DataFrame, start: datetime.datetime, end: datetime.datetime
) -> pd.DataFrame:
    """(child_key, at) for every time a child received the intervention between start and end (naive UTC): the
    whole window read, so that children who received it in the year before or during the follow-up are not
    taken as controls."""
    if intervention == "debrief":
        # Held time = return + hours to the debrief, both on the analytics row (so the benchmark's rows work too).
        held = episodes[episodes["debrief_held"].astype(bool) & episodes["returned_at"].notna()]
        frame = pd.DataFrame(
            {
                "child_key": held["child_key"],
                "at": held["returned_at"] + pd.to_timedelta(held["hours_to_debrief"].fillna(0), unit="h"),
            }
        )
    else:
        if intervention == "plan":
            plans = ResponsePlan.objects.filter(
                status__in=[PlanStatus.IN_FORCE, PlanStatus.SUPERSEDED]
            ).annotate(at=Coalesce(F("social_worker_decided_at"), F("agreed_at")))
            raw = list(plans.filter(at__gte=start, at__lte=end).values_list("child_id", "at"))
        else:
            raw = list(
                Referral.objects.filter(completed_at__gte=start, completed_at__lte=end).values_list(
                    "child_id", "completed_at"
                )
            )
        survivors = _survivors()
        frame = pd.DataFrame(
            [(survivors.get(child_id, child_id), at) for child_id, at in raw], columns=["child_key", "at"]
        )
        if len(frame):
            frame["at"] = _naive_utc(frame["at"])
    return frame.reset_index(drop=True)


def _rows_in(rows: Any) -> int:
    """How many rows the window holds, roughly: PostgreSQL's planner estimate (its statistics are kept by
    ANALYZE; counting half a million rows exactly would cost more than the comparison), elsewhere a count."""
    if connection.vendor == "postgresql":
        try:
            plan = json.loads(rows.explain(format="json"))
            return int(plan[0]["Plan"]["Plan Rows"])
        except (ValueError, KeyError, IndexError, TypeError):  # pragma: no cover - fall back to counting
            pass
    return int(rows.count())


def matched_evaluation_for(
    *,
    user: Any,
    intervention: Intervention,
    since: datetime.date,
    until: datetime.date,
    follow_up_days: int = DEFAULT_FOLLOW_UP,
    today: datetime.date | None = None,
) -> MatchedEvaluation:
    """Children who received the intervention in [since, until] against matched children who did not."""
    _require(user)
    if intervention not in INTERVENTIONS:
        raise ValueError(intervention)
    today = today or timezone.localdate()
    asked_until = until
    until = min(until, today - datetime.timedelta(days=follow_up_days))
    evaluation = MatchedEvaluation(
        intervention=intervention,
        since=since,
        until=until,
        asked_until=asked_until,
        follow_up_days=follow_up_days,
        sample_every=1,
        result=None,
    )
    if until < since:
        return evaluation
    start, end = _aware(since), _aware(until, end=True)
    window_start = start - datetime.timedelta(days=impact.PRIOR_DAYS)
    window_end = end + datetime.timedelta(days=follow_up_days)
    # On the indexed local date, a day wider each side: the statistics only need the window covered.
    window = EpisodeFact.objects.filter(
        reported_on__gte=window_start.date() - datetime.timedelta(days=1),
        reported_on__lte=window_end.date() + datetime.timedelta(days=1),
    )
    total = _rows_in(window)
    if total > MAX_EPISODES:
        evaluation.sample_every = math.ceil(total / MAX_EPISODES)
        window = window.annotate(_sample=Mod("child_key", evaluation.sample_every)).filter(_sample=0)
    episodes = _episodes(window)
    treatments = _treatments(intervention, episodes, window_start, window_end)
    if evaluation.sample_every > 1 and len(treatments):
        treatments = treatments[treatments["child_key"] % evaluation.sample_every == 0]
    if not len(treatments) or not len(episodes):
        return evaluation
    treated, controls = impact.index_points(
        episodes,
        treatments,
        since=start.astimezone(datetime.UTC).replace(tzinfo=None),
        until=end.astimezone(datetime.UTC).replace(tzinfo=None),
        follow_up_days=follow_up_days,
    )
    if not len(treated):
        return evaluation
    evaluation.result = impact.matched_comparison(
        treated, controls, follow_up_days=follow_up_days, sampled=evaluation.sample_every > 1
    )
    return evaluation


# Interrupted time series


@dataclass
class TimeSeriesEvaluation:
    start_month: datetime.date
    first_month: datetime.date | None
    last_month: datetime.date | None  # the last whole month
    council: str
    result: impact.TimeSeriesResult | None
    problem: str = ""  # why there is no result (impact.InsufficientData's message)


def monthly_counts(*, council: str = "", today: datetime.date) -> list[tuple[datetime.date, int]]:
    """Episodes per month from the first month with data to the last whole month, months without any as 0."""
    rows = EpisodeFact.objects.filter(month__lt=month_start(today))
    if council:
        rows = rows.filter(council=council)
    counts = dict(rows.values_list("month").annotate(n=Count("id")).values_list("month", "n"))
    if not counts:
        return []
    out, month = [], min(counts)
    last = max(counts)
    while month <= last:
        out.append((month, counts.get(month, 0)))
        month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return out


def default_start_month(first_month: datetime.date | None, today: datetime.date) -> datetime.date:
    """settings.HAFAN_LAUNCH_DATE's month, or twelve months after the first month with data."""
    launch: datetime.date | None = getattr(settings, "HAFAN_LAUNCH_DATE", None)
    if launch:
        return month_start(launch)
    base = first_month or month_start(today)
    return base.replace(year=base.year + 1)


def councils_with_data() -> list[str]:
    return sorted(c for c in EpisodeFact.objects.values_list("council", flat=True).distinct() if c)


def time_series_for(
    *,
    user: Any,
    start_month: datetime.date | None = None,
    council: str = "",
    today: datetime.date | None = None,
) -> TimeSeriesEvaluation:
    _require(user)
    today = today or timezone.localdate()
    series = monthly_counts(council=council, today=today)
    first = series[0][0] if series else None
    last = series[-1][0] if series else None
    start = month_start(start_month) if start_month else default_start_month(first, today)
    evaluation = TimeSeriesEvaluation(
        start_month=start, first_month=first, last_month=last, council=council, result=None
    )
    try:
        evaluation.result = impact.interrupted_time_series(series, start)
    except impact.InsufficientData as error:
        evaluation.problem = str(error)
    return evaluation
