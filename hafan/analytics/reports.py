"""The quarterly partnership report as data (issue 8, item 4): the key measures for a quarter against the same
quarter a year before, the figures by council and month, the statutory-style counts a council needs (episodes of
children in care or not; missing from home, missing from care, away from placement), referrals by outcome, and
the impact estimates when the impact evaluation offers them.

Everything is counted from analytics.EpisodeFact with aggregate queries (a handful per report, each over one
quarter's rows through the (month, council) and reported_on indexes), so the report stays fast at national scale.
No child is named or numbered: the tables hold counts, and `suppressed()` withholds the small ones (and what
would give them away) before anything leaves the hub (hafan.analytics.suppression).

Read-only: no writes here, and no services (the import contract says so). The caller checks who may see it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.agencies.selectors import partner_councils
from hafan.analytics import impact, impact_selectors
from hafan.analytics.filters import Filters
from hafan.analytics.models import EpisodeFact
from hafan.analytics.suppression import Grid, suppress_table
from hafan.episodes.models import EpisodeCategory, FoundBy
from hafan.referrals.models import Referral, ReferralStatus

LOOKED_AFTER = "looked_after"
NO_COUNCIL = ""
_QUARTER = re.compile(r"^(?P<year>[0-9]{4})-q(?P<number>[1-4])$")
# Reports go back to the year the first hubs opened; anything earlier is a mistyped address.
FIRST_YEAR = 2010


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """`2026-q3` -> Quarter(2026, 3); ValueError for anything else."""
        match = _QUARTER.match(text or "")
        if match is None:
            raise ValueError(f"not a quarter: {text!r}")
        return cls(int(match["year"]), int(match["number"]))

    @classmethod
    def containing(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def slug(self) -> str:
        return f"{self.year}-q{self.number}"

    @property
    def since(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def until(self) -> datetime.date:
        if self.number == 4:
            return datetime.date(self.year, 12, 31)
        return datetime.date(self.year, 3 * self.number + 1, 1) - datetime.timedelta(days=1)

    @property
    def months(self) -> list[datetime.date]:
        return [datetime.date(self.year, 3 * self.number - 2 + i, 1) for i in range(3)]

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def same_quarter_last_year(self) -> Quarter:
        return Quarter(self.year - 1, self.number)

    def label(self) -> str:
        """ "July to September 2026", in the active language."""
        first, last = self.months[0], self.months[-1]
        return _("%(first)s to %(last)s %(year)s") % {
            "first": formats.date_format(first, "F"),
            "last": formats.date_format(last, "F"),
            "year": self.year,
        }

    def short_label(self) -> str:
        return _("Q%(number)s %(year)s") % {"number": self.number, "year": self.year}


def quarter_is_reportable(quarter: Quarter, *, today: datetime.date | None = None) -> bool:
    """From FIRST_YEAR up to the quarter in progress (a report on it says "to date")."""
    today = today or timezone.localdate()
    return quarter.year >= FIRST_YEAR and quarter <= Quarter.containing(today)


def recent_quarters(*, count: int = 8, today: datetime.date | None = None) -> list[Quarter]:
    """The quarter in progress and the ones before it, newest first."""
    quarter = Quarter.containing(today or timezone.localdate())
    out = []
    for _i in range(count):
        out.append(quarter)
        quarter = quarter.previous
    return out


def _a_year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def months_before(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - count
    return datetime.date(index // 12, index % 12 + 1, 1)


def filters_for_quarter(quarter: Quarter, base: Filters | None = None) -> Filters:
    if base is None:
        return Filters(since=quarter.since, until=quarter.until)
    return replace(base, since=quarter.since, until=quarter.until)


def a_year_earlier(filters: Filters) -> Filters:
    return replace(filters, since=_a_year_earlier(filters.since), until=_a_year_earlier(filters.until))


# The report


@dataclass
class CountTable:
    """A table of counts: `rows` are (label, figures), one figure per column. `row_totals` adds a total column,
    `column_totals` a total row; both are computed by the suppression, never stored here."""

    key: str  # names the CSV rows and the XLSX sheet
    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[int]]]
    row_totals: bool = False
    column_totals: bool = False
    note: str = ""


@dataclass
class Duration:
    """A time measure (hours), this quarter and a year before, and how many episodes it is measured over."""

    label: str
    this: float | None
    this_n: int
    last: float | None
    last_n: int


@dataclass
class ImpactSection:
    available: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


@dataclass
class Report:
    quarter: Quarter | None
    filters: Filters
    last_year: Filters
    period_label: str
    last_year_label: str
    partnership: str
    in_progress: bool
    tables: list[CountTable]
    durations: list[Duration]
    impact: ImpactSection
    generated_at: datetime.datetime

    def table(self, key: str) -> CountTable:
        return next(t for t in self.tables if t.key == key)


def _counting(filters: Filters) -> QuerySet[EpisodeFact]:
    """The period's rows for a count by month or council. A period of whole months is asked for by `month`, so
    that PostgreSQL counts from the (month, council) index alone, without reading the table."""
    kwargs = filters.orm()
    next_day = filters.until + datetime.timedelta(days=1)
    if filters.since.day == 1 and next_day.day == 1:
        del kwargs["reported_on__gte"], kwargs["reported_on__lte"]
        kwargs |= {"month__gte": filters.since, "month__lte": filters.until.replace(day=1)}
    return EpisodeFact.objects.filter(**kwargs)


def _council_names(codes: set[str]) -> dict[str, str]:
    names = {agency.code: agency.name for agency in partner_councils()}
    unknown = codes - set(names) - {NO_COUNCIL}
    if unknown:
        names.update({a.code: a.name for a in Agency.objects.filter(code__in=unknown)})
    return names


def _council_rows(filters: Filters, present: set[str]) -> list[tuple[str, str]]:
    """(code, label) for each council row: the partner councils (or the ones the filter keeps), then any other
    council with episodes, then episodes with no council recorded."""
    names = _council_names(present)
    wanted = list(filters.councils) if filters.councils else [a.code for a in partner_councils()]
    codes = [*wanted, *sorted(c for c in present if c not in wanted and c != NO_COUNCIL)]
    rows = [(code, names.get(code, code)) for code in codes]
    if NO_COUNCIL in present and NO_COUNCIL not in wanted:
        rows.append((NO_COUNCIL, _("No council recorded")))
    return rows


class _Median(Aggregate):
    """PostgreSQL's exact median (percentile_cont), computed where the rows are."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


MEDIAN_COLUMNS = ("duration_hours", "hours_to_debrief", "info_answer_minutes")


Medians = dict[str, tuple[float | None, int]]


def _sorted_medians(qs: QuerySet[EpisodeFact]) -> Medians:
    """SQLite (the demo, development) has no median function: read each column back."""
    out: Medians = {}
    for column in MEDIAN_COLUMNS:
        values = sorted(
            float(v) for v in qs.filter(**{f"{column}__isnull": False}).values_list(column, flat=True)
        )
        n = len(values)
        if n == 0:
            out[column] = (None, 0)
        elif n % 2:
            out[column] = (values[n // 2], n)
        else:
            out[column] = ((values[n // 2 - 1] + values[n // 2]) / 2, n)
    return out


def _key_measures(qs: QuerySet[EpisodeFact]) -> tuple[dict[str, int], Medians]:
    """The period's key counts and medians, in one pass over its rows on PostgreSQL."""
    postgres = connection.vendor == "postgresql"
    medians: dict[str, Any] = {}
    if postgres:
        medians = {f"{c}_median": _Median(c) for c in MEDIAN_COLUMNS} | {
            f"{c}_n": Count(c) for c in MEDIAN_COLUMNS
        }
    figures = qs.aggregate(
        episodes=Count("id"),
        children=Count("child_key", distinct=True),
        repeat_children=Count("child_key", distinct=True, filter=Q(repeat=True)),
        repeat_episodes=Count("id", filter=Q(repeat=True)),
        harm=Count("id", filter=Q(harm=True)),
        plan=Count("id", filter=Q(plan_in_force=True)),
        offered=Count("id", filter=Q(debrief_offered=True)),
        held=Count("id", filter=Q(debrief_held=True)),
        held_in_time=Count("id", filter=Q(debrief_held_in_time=True)),
        returned=Count("id", filter=Q(returned_at__isnull=False)),
        referrals=Sum("referrals"),
        **medians,
    )
    counts = {key: int(value or 0) for key, value in figures.items() if key not in medians}
    if postgres:
        return counts, {c: (figures[f"{c}_median"], int(figures[f"{c}_n"] or 0)) for c in MEDIAN_COLUMNS}
    return counts, _sorted_medians(qs)


def _referrals_by_status(filters: Filters) -> dict[str, int]:
    episodes = EpisodeFact.objects.filter(**filters.orm(), episode__isnull=False).values("episode_id")
    rows = Referral.objects.filter(episode_id__in=episodes).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


IMPACT_FOLLOW_UP_DAYS = 90


def _interval(value: impact.Interval, fmt: str) -> tuple[str, str]:
    return fmt.format(value.estimate), _("%(low)s to %(high)s") % {
        "low": fmt.format(value.low),
        "high": fmt.format(value.high),
    }


def _impact_section(filters: Filters, *, user: Any) -> ImpactSection:
    """The impact evaluation's estimates (hafan.analytics.impact_selectors): for each intervention given in the
    twelve months to the period's end, matched children's episodes in the 90 days after against similar children
    without it; and the interrupted time series of monthly episodes. Each with its method and 95% interval; an
    estimate over fewer children than the small-number threshold is not given at all."""
    if user is None:
        return ImpactSection(
            available=False,
            note=_(
                "Impact estimates are not in this copy of the report. See the impact pages of the dashboard, "
                "where each estimate is given with its method, a confidence interval and its caveats."
            ),
        )
    threshold = small_number_threshold()
    since = months_before(filters.until.replace(day=1), 11)
    labels = {
        "debrief": _("Debriefs held"),
        "plan": _("Response plans agreed"),
        "referral": _("Referrals to a service"),
    }
    rows: list[dict[str, Any]] = []
    for intervention in impact_selectors.INTERVENTIONS:
        evaluation = impact_selectors.matched_evaluation_for(
            user=user,
            intervention=intervention,
            since=since,
            until=filters.until,
            follow_up_days=IMPACT_FOLLOW_UP_DAYS,
        )
        result = evaluation.result
        row: dict[str, Any] = {
            "label": _("%(intervention)s: episodes per child in the %(days)s days after")
            % {
                "intervention": labels[intervention],
                "days": IMPACT_FOLLOW_UP_DAYS,
            },
            "method": _(
                "Matched comparison with similar children who did not have it (episodes in the year before, "
                "age band, care status and council), %(since)s to %(until)s."
            )
            % {
                "since": formats.date_format(evaluation.since, "F Y"),
                "until": formats.date_format(evaluation.until, "F Y"),
            },
            "estimate": _("not enough children to estimate"),
            "interval": "",
            "caveat": "",
        }
        if result is not None and result.difference is not None and result.n_matched >= threshold:
            row["estimate"], row["interval"] = _interval(result.difference, "{:+.2f}")
            row["caveat"] = _(
                "%(n)s children matched. A difference whose interval includes zero is no clear difference."
            ) % {"n": result.n_matched}
        rows.append(row)
    series = impact_selectors.time_series_for(user=user, today=filters.until + datetime.timedelta(days=1))
    trend: dict[str, Any] = {
        "label": _("Monthly episodes after %(start)s, against the trend before it")
        % {"start": formats.date_format(series.start_month, "F Y")},
        "method": _(
            "Interrupted time series: a regression of monthly counts with the seasons, before and after the "
            "start; the change in level as a rate ratio (below 1 is a fall)."
        ),
        "estimate": _("not enough months to estimate"),
        "interval": "",
        "caveat": "",
    }
    if series.result is not None:
        trend["estimate"], trend["interval"] = _interval(series.result.level_change, "{:.2f}")
    rows.append(trend)
    return ImpactSection(
        available=True,
        rows=rows,
        note=_(
            "An estimate comes with a 95% confidence interval: the range of effects the data are consistent "
            "with. Matching on earlier episodes guards against regression to the mean, but not against "
            "differences nobody recorded."
        ),
    )


def quarterly_report(
    period: Quarter | Filters, *, user: Any = None, now: datetime.datetime | None = None
) -> Report:
    """The report for a quarter (or for a Filters' period and dimension filters), with the same period a year
    before. Counts are exact here: pass the tables through `suppressed()` before they leave the hub. The impact
    estimates are read for `user` (they check the user may see the dashboard); without one, the report says
    where to find them."""
    if isinstance(period, Quarter):
        quarter: Quarter | None = period
        filters = filters_for_quarter(period)
    else:
        filters = period
        candidate = Quarter.containing(filters.since)
        is_quarter = (candidate.since, candidate.until) == (filters.since, filters.until)
        quarter = candidate if is_quarter else None
    last_year = a_year_earlier(filters)
    now = now or timezone.now()
    this_qs = EpisodeFact.objects.filter(**filters.orm())
    last_qs = EpisodeFact.objects.filter(**last_year.orm())

    if quarter is not None:
        period_label = quarter.label()
        last_year_label = quarter.same_quarter_last_year.label()
    else:
        period_label = _("%(since)s to %(until)s") % {
            "since": formats.date_format(filters.since, "j F Y"),
            "until": formats.date_format(filters.until, "j F Y"),
        }
        last_year_label = _("%(since)s to %(until)s") % {
            "since": formats.date_format(last_year.since, "j F Y"),
            "until": formats.date_format(last_year.until, "j F Y"),
        }
    deadline = settings.HAFAN_DEBRIEF_DEADLINE_HOURS

    (this_key, this_medians), (last_key, last_medians) = _key_measures(this_qs), _key_measures(last_qs)
    key_rows = [
        (_("Episodes"), "episodes"),
        (_("Children"), "children"),
        (_("Children with repeat episodes"), "repeat_children"),
        (_("Episodes of children missing repeatedly"), "repeat_episodes"),
        (_("Episodes with harm recorded"), "harm"),
        (_("Episodes with a response plan in force"), "plan"),
        (_("Children found or returned"), "returned"),
        (_("Debriefs offered"), "offered"),
        (_("Debriefs held"), "held"),
        (_("Debriefs held within %(hours)s hours of the return") % {"hours": deadline}, "held_in_time"),
        (_("Referrals made"), "referrals"),
    ]
    tables = [
        CountTable(
            key="key_measures",
            title=_("Key measures"),
            row_header=_("Measure"),
            columns=[period_label, last_year_label],
            rows=[(label, [this_key[k], last_key[k]]) for label, k in key_rows],
            note=_(
                "A child with repeat episodes had %(episodes)s or more episodes in %(days)s days when one of "
                "these was reported."
            )
            % {
                "episodes": settings.HAFAN_REPEAT_MISSING_EPISODES,
                "days": settings.HAFAN_REPEAT_MISSING_DAYS,
            },
        )
    ]

    by_council: dict[str, dict[str, Any]] = {
        row["council"]: dict(row)
        for row in this_qs.values("council").annotate(
            episodes=Count("id"),
            children=Count("child_key", distinct=True),
            repeat_children=Count("child_key", distinct=True, filter=Q(repeat=True)),
            looked_after=Count("id", filter=Q(care_status=LOOKED_AFTER)),
            from_home=Count("id", filter=Q(category=EpisodeCategory.MISSING_FROM_HOME)),
            from_care=Count("id", filter=Q(category=EpisodeCategory.MISSING_FROM_CARE)),
            away=Count("id", filter=Q(category=EpisodeCategory.AWAY_FROM_PLACEMENT)),
            absent=Count("id", filter=Q(category=EpisodeCategory.ABSENT_LEGACY)),
        )
    }
    # A year before: by council and by month from one GROUP BY.
    last_by_council: dict[str, int] = {}
    last_months: dict[datetime.date, int] = {}
    for row in _counting(last_year).values("council", "month").annotate(n=Count("id")):
        last_by_council[row["council"]] = last_by_council.get(row["council"], 0) + row["n"]
        last_months[row["month"]] = last_months.get(row["month"], 0) + row["n"]
    councils = _council_rows(filters, set(by_council) | set(last_by_council))

    def council_figure(code: str, name: str) -> int:
        row = by_council.get(code) or {}
        return int(row.get(name, 0))

    tables.append(
        CountTable(
            key="episodes_by_council",
            title=_("Episodes by responsible council"),
            row_header=_("Council"),
            columns=[period_label, last_year_label],
            rows=[
                (label, [council_figure(code, "episodes"), last_by_council.get(code, 0)])
                for code, label in councils
            ],
            column_totals=True,
        )
    )
    tables.append(
        CountTable(
            key="children_by_council",
            title=_("Children by responsible council"),
            row_header=_("Council"),
            columns=[_("Children"), _("Children with repeat episodes")],
            rows=[
                (label, [council_figure(code, "children"), council_figure(code, "repeat_children")])
                for code, label in councils
            ],
            note=_(
                "A child can be counted under more than one council in a quarter, so these figures are not "
                "added up."
            ),
        )
    )

    months = filters.months
    trend_since = months_before(months[-1], 11)
    trend_filters = replace(filters, since=trend_since, until=filters.until)
    trend = {
        row["month"]: row["n"] for row in _counting(trend_filters).values("month").annotate(n=Count("id"))
    }
    if filters.since.day == 1 and trend_since <= filters.since:
        this_months = trend  # the period's whole months are among the trend's
    else:
        this_months = {row["month"]: row["n"] for row in this_qs.values("month").annotate(n=Count("id"))}
    tables.append(
        CountTable(
            key="episodes_by_month",
            title=_("Episodes by month"),
            row_header=_("Month"),
            columns=[_("This year"), _("A year before")],
            rows=[
                (
                    formats.date_format(month, "F Y"),
                    [this_months.get(month, 0), last_months.get(months_before(month, 12), 0)],
                )
                for month in months
            ],
            column_totals=True,
        )
    )

    tables.append(
        CountTable(
            key="episodes_trend",
            title=_("Episodes in each of the last 12 months"),
            row_header=_("Month"),
            columns=[_("Episodes")],
            rows=[
                (formats.date_format(month, "F Y"), [trend.get(month, 0)]) for month in trend_filters.months
            ],
        )
    )

    tables.append(
        CountTable(
            key="statutory_care_status",
            title=_("Episodes of children in care (looked after) and not, by council"),
            row_header=_("Council"),
            columns=[_("Looked after"), _("Not looked after")],
            rows=[
                (
                    label,
                    [
                        council_figure(code, "looked_after"),
                        council_figure(code, "episodes") - council_figure(code, "looked_after"),
                    ],
                )
                for code, label in councils
            ],
            row_totals=True,
            column_totals=True,
            note=_("Care status when the episode was reported."),
        )
    )
    category_columns = [
        (str(EpisodeCategory.MISSING_FROM_HOME.label), "from_home"),
        (str(EpisodeCategory.MISSING_FROM_CARE.label), "from_care"),
        (str(EpisodeCategory.AWAY_FROM_PLACEMENT.label), "away"),
    ]
    if any(row["absent"] for row in by_council.values()):
        category_columns.append((str(EpisodeCategory.ABSENT_LEGACY.label), "absent"))
    tables.append(
        CountTable(
            key="statutory_missing_or_away",
            title=_("Missing and away from placement, by council"),
            row_header=_("Council"),
            columns=[label for label, _key in category_columns],
            rows=[
                (label, [council_figure(code, key) for _label, key in category_columns])
                for code, label in councils
            ],
            row_totals=True,
            column_totals=True,
            note=_(
                "Away from placement without authorisation: the child's whereabouts were known, but they were "
                "not where they should have been."
            ),
        )
    )

    found = {row["found_by"]: row["n"] for row in this_qs.values("found_by").annotate(n=Count("id"))}
    found_rows = [(str(choice.label), found.get(choice.value, 0)) for choice in FoundBy]
    found_rows.append((_("Not recorded or still missing"), found.get("", 0)))
    tables.append(
        CountTable(
            key="found_by",
            title=_("Who found the child or brought them back"),
            row_header=_("Found by"),
            columns=[_("Episodes")],
            rows=[(label, [n]) for label, n in found_rows],
            column_totals=True,
        )
    )

    referrals = _referrals_by_status(filters)
    tables.append(
        CountTable(
            key="referrals_by_outcome",
            title=_("Referrals from these episodes, by where they stand"),
            row_header=_("Status"),
            columns=[_("Referrals")],
            rows=[(str(status.label), [referrals.get(status.value, 0)]) for status in ReferralStatus],
            column_totals=True,
        )
    )

    durations = [
        Duration(
            label=label,
            this=this_medians[column][0],
            this_n=this_medians[column][1],
            last=last_medians[column][0],
            last_n=last_medians[column][1],
        )
        for label, column in (
            (_("Median time missing (hours)"), "duration_hours"),
            (_("Median time from return to debrief (hours)"), "hours_to_debrief"),
            (_("Median time agencies took to answer the information call (minutes)"), "info_answer_minutes"),
        )
    ]

    return Report(
        quarter=quarter,
        filters=filters,
        last_year=last_year,
        period_label=period_label,
        last_year_label=last_year_label,
        partnership=settings.HAFAN_PARTNERSHIP_NAME,
        in_progress=filters.until >= timezone.localdate(now),
        tables=tables,
        durations=durations,
        impact=_impact_section(filters, user=user),
        generated_at=now,
    )


# Suppression: what leaves the hub


def small_number_threshold() -> int:
    return int(settings.HAFAN_SMALL_NUMBER_THRESHOLD)


@dataclass
class ShownTable:
    """A CountTable as it may leave the hub: each figure an int, or None when withheld."""

    table: CountTable
    rows: list[
        tuple[str, list[int | None], int | None]
    ]  # label, figures, row total (None when no total column)
    totals: list[int | None] | None  # the total row, when there is one
    grand_total: int | None
    has_row_totals: bool
    has_column_totals: bool


def _shown(value: int, hidden: bool) -> int | None:
    return None if hidden else value


def suppress(
    table: CountTable,
    *,
    threshold: int | None = None,
    force_cells: Collection[tuple[int, int]] = (),
    force_row_totals: Collection[int] = (),
    force_grand_total: bool = False,
) -> ShownTable:
    """One table as it may leave the hub. The `force_*` arguments are for `suppressed`, which keeps the figures
    that several tables share withheld in all of them."""
    threshold = small_number_threshold() if threshold is None else threshold
    grid: Grid = suppress_table(
        [figures for _label, figures in table.rows],
        threshold=threshold,
        row_totals=table.row_totals,
        column_totals=table.column_totals,
        force_cells=force_cells,
        force_row_totals=force_row_totals,
        force_column_totals=[0] if force_grand_total and not table.row_totals else [],
        force_grand_total=force_grand_total,
    )
    rows = []
    for r, (label, figures) in enumerate(table.rows):
        shown = [_shown(v, grid.hidden[r][c]) for c, v in enumerate(figures)]
        total = None
        if grid.row_totals is not None and grid.row_totals_hidden is not None:
            total = _shown(grid.row_totals[r], grid.row_totals_hidden[r])
        rows.append((label, shown, total))
    totals = None
    if grid.column_totals is not None and grid.column_totals_hidden is not None:
        totals = [_shown(v, h) for v, h in zip(grid.column_totals, grid.column_totals_hidden, strict=True)]
    grand = None
    if grid.grand_total is not None:
        grand = _shown(grid.grand_total, grid.grand_total_hidden)
    return ShownTable(
        table=table,
        rows=rows,
        totals=totals,
        grand_total=grand,
        has_row_totals=table.row_totals,
        has_column_totals=table.column_totals,
    )


@dataclass
class ShownDuration:
    label: str
    this: float | None
    last: float | None


def suppress_durations(durations: list[Duration], *, threshold: int | None = None) -> list[ShownDuration]:
    """A median over fewer episodes than the threshold is withheld: over one or two it is nearly a child's own."""
    threshold = small_number_threshold() if threshold is None else threshold
    return [
        ShownDuration(
            label=d.label,
            this=round(d.this, 1) if d.this is not None and d.this_n >= threshold else None,
            last=round(d.last, 1) if d.last is not None and d.last_n >= threshold else None,
        )
        for d in durations
    ]


# Tables that print the same figures: each council's episodes this quarter are a row of "episodes_by_council"
# (first column) and the row totals of the two statutory tables; the quarter's months are rows of
# "episodes_by_month" (first column) and of "episodes_trend".
COUNCIL_EPISODES = "episodes_by_council"
COUNCIL_SPLITS = ("statutory_care_status", "statutory_missing_or_away")
COUNCIL_CHILDREN = "children_by_council"
QUARTER_MONTHS = "episodes_by_month"
TREND = "episodes_trend"


def _hidden_rows(shown: ShownTable, *, totals: bool) -> set[int]:
    if totals:
        return {r for r, (_label, _figures, total) in enumerate(shown.rows) if total is None}
    return {r for r, (_label, figures, _total) in enumerate(shown.rows) if figures[0] is None}


def _total_hidden(shown: ShownTable, *, grand: bool) -> bool:
    if grand:
        return shown.grand_total is None
    return shown.totals is not None and shown.totals[0] is None


def suppressed(report: Report, *, threshold: int | None = None) -> list[ShownTable]:
    """Every table as it may leave the hub. A figure that two tables share is withheld in both when either
    withholds it (otherwise Torfaen's 7, withheld beside Caerphilly's 3 in one table, would stand in another's
    total and give the 3 away); this repeats until the tables agree."""
    tables = {table.key: table for table in report.tables}
    shown = {key: suppress(table, threshold=threshold) for key, table in tables.items()}
    linked = [key for key in (COUNCIL_EPISODES, *COUNCIL_SPLITS) if key in tables]
    if COUNCIL_EPISODES in tables:
        rows: set[int] = set()
        grand = False
        while True:
            new_rows = _hidden_rows(shown[COUNCIL_EPISODES], totals=False)
            new_grand = _total_hidden(shown[COUNCIL_EPISODES], grand=False)
            for key in linked[1:]:
                new_rows |= _hidden_rows(shown[key], totals=True)
                new_grand |= _total_hidden(shown[key], grand=True)
            if new_rows == rows and new_grand == grand:
                break
            rows, grand = new_rows, new_grand
            shown[COUNCIL_EPISODES] = suppress(
                tables[COUNCIL_EPISODES],
                threshold=threshold,
                force_cells=[(r, 0) for r in rows],
                force_grand_total=grand,
            )
            for key in linked[1:]:
                shown[key] = suppress(
                    tables[key], threshold=threshold, force_row_totals=rows, force_grand_total=grand
                )
    if COUNCIL_EPISODES in tables and COUNCIL_CHILDREN in tables:
        # A council's children are never more than its episodes: shown beside withheld episodes, they would
        # bound them (and so the small figure the episodes were withheld to protect).
        hidden = _hidden_rows(shown[COUNCIL_EPISODES], totals=False)
        shown[COUNCIL_CHILDREN] = suppress(
            tables[COUNCIL_CHILDREN],
            threshold=threshold,
            force_cells=[(r, c) for r in hidden for c in range(len(tables[COUNCIL_CHILDREN].columns))],
        )
    if QUARTER_MONTHS in tables and TREND in tables:
        months = {label for label, figures, _total in shown[QUARTER_MONTHS].rows if figures[0] is None}
        trend_rows = [r for r, (label, _figures) in enumerate(tables[TREND].rows) if label in months]
        shown[TREND] = suppress(tables[TREND], threshold=threshold, force_cells=[(r, 0) for r in trend_rows])
    return [shown[table.key] for table in report.tables]
