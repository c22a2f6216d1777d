"""The dashboard's charts (issue 8, item 2): each a Vega-Lite spec with its data inline, the same figures as a
table beside it, and a CSV download of them.

Two layers: the queries (`chart_*`) count `EpisodeFact` rows with one aggregate query each (GROUP BY on the
indexed `month` / `council` columns, nothing per row in Python), and the pure spec builders (`line_spec`,
`stacked_bar_spec`, `grouped_bar_spec`) turn a chart's rows into a spec, so they are tested without a database.

The CSV leaves the hub, so counts from 1 to HAFAN_SMALL_NUMBER_THRESHOLD - 1 are written as `[c]` (withheld, the
statistical convention); the table and chart on screen stay exact. No chart names or counts a child: every figure
is a count of episodes or of distinct children.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hafan.agencies.selectors import partner_councils
from hafan.analytics.filters import AGE_BANDS, Filters
from hafan.analytics.measures import trend
from hafan.analytics.summaries import counts_by
from hafan.core.vocabulary import RISK_GRADE_ORDER, RiskGrade

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WITHHELD = "[c]"
NOT_GRADED = "not_graded"
NO_COUNCIL = "none"

# GOV.UK's accessible palette, in order: blue, orange, turquoise, pink, green, purple.
PALETTE = ["#1d70b8", "#f47738", "#28a197", "#d53880", "#00703c", "#4c2c92", "#505a5f"]

# Very low to high, then not graded: green, blue, orange, red, grey (GOV.UK colours).
GRADE_COLOURS = ["#00703c", "#1d70b8", "#f47738", "#d4351c", "#b1b4b6"]

SEX_LABELS = {
    "female": gettext_lazy("Female"),
    "male": gettext_lazy("Male"),
    "unknown": gettext_lazy("Not known"),
}

# The same words as the dashboard's filter form (analytics/forms.py).
AGE_BAND_LABELS = {
    "0-10": gettext_lazy("10 or under"),
    "11-13": gettext_lazy("11 to 13"),
    "14-15": gettext_lazy("14 to 15"),
    "16-17": gettext_lazy("16 to 17"),
    "18+": gettext_lazy("18 or over"),
    "unknown": gettext_lazy("Age not known"),
}

# The filter parameters a chart URL carries (the dashboard form's names): query name -> Filters field.
# Multi-valued (?council=A&council=B).
FILTER_PARAMETERS = {
    "council": "councils",
    "school": "schools",
    "placement_type": "placement_types",
    "grade": "grades",
    "age_band": "age_bands",
    "sex": "sexes",
    "care_status": "care_statuses",
}


@dataclass
class Chart:
    """One chart: the spec drawn by charts.js, and the same figures as a table (`columns` heads it; each row is
    a label followed by one count per remaining column)."""

    id: str
    title: str
    description: str
    spec: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]]
    csv_url: str
    summary: str = ""


# --- Filters as a query string (the dashboard's form, analytics/forms.py, parses them back)


def query_string(filters: Filters) -> str:
    """The GET parameters that give these filters back through the dashboard's filter form (an explicit period:
    a preset quarter comes back as its dates)."""
    pairs: list[tuple[str, str]] = [
        ("since", filters.since.isoformat()),
        ("until", filters.until.isoformat()),
    ]
    for name, field in FILTER_PARAMETERS.items():
        pairs.extend((name, value) for value in getattr(filters, field))
    return urlencode(pairs)


# --- Small numbers


def withheld(value: Any, *, threshold: int) -> Any:
    """A count as written to a file that leaves the hub: 1 to threshold - 1 becomes WITHHELD; zero stays."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold:
        return WITHHELD
    return value


def csv_rows(chart: Chart, *, threshold: int) -> list[list[Any]]:
    """The chart's table as CSV rows (heading first), small counts withheld."""
    return [
        list(chart.columns),
        *([row[0], *(withheld(v, threshold=threshold) for v in row[1:])] for row in chart.rows),
    ]


# --- Pure spec builders


def _long_values(
    rows: Sequence[Sequence[Any]],
    *,
    category: str,
    series: Sequence[str],
    value: str,
    keys: Sequence[Any] = (),
) -> list[dict[str, Any]]:
    """Wide rows (label, n1, n2, ...) as the long records Vega-Lite wants: one per label and series. `keys`
    (one per row) replace the label as the category value, e.g. an ISO month for a temporal axis."""
    out = []
    for index, row in enumerate(rows):
        for name, n in zip(series, row[1:], strict=True):
            out.append({category: keys[index] if keys else row[0], "series": name, value: n})
    return out


def _base(description: str) -> dict[str, Any]:
    """No title: the page's heading above the chart names it."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": description,
        "width": "container",
        "height": 260,
        "config": {
            "font": "arial, sans-serif",
            "axis": {"labelFontSize": 12, "titleFontSize": 13},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "bottom", "labelLimit": 0},
            "range": {"category": PALETTE},
        },
    }


def _monthly_data(
    rows: Sequence[Sequence[Any]], months: Sequence[datetime.date], series: Sequence[str]
) -> dict[str, Any]:
    """A monthly chart's data: one record per (month, series), keyed by the month's first day."""
    return {
        "values": _long_values(
            rows, category="month", series=series, value="count", keys=[m.isoformat() for m in months]
        )
    }


def line_spec(
    *,
    description: str,
    rows: Sequence[Sequence[Any]],
    months: Sequence[datetime.date],
    series: Sequence[str],
    x_title: str,
    y_title: str,
) -> dict[str, Any]:
    """Monthly lines, one per series: rows are (month label, n per series), months the matching first days."""
    spec = _base(description)
    spec["data"] = _monthly_data(rows, months, series)
    spec["mark"] = {"type": "line", "point": True}
    spec["encoding"] = {
        "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": x_title},
        "y": {"field": "count", "type": "quantitative", "title": y_title, "axis": {"tickMinStep": 1}},
        "color": {"field": "series", "type": "nominal", "title": None, "sort": list(series)},
    }
    return spec


def stacked_bar_spec(
    *,
    description: str,
    rows: Sequence[Sequence[Any]],
    series: Sequence[str],
    x_title: str,
    y_title: str,
    colour_title: str,
    horizontal: bool = False,
    colours: Sequence[str] = (),
) -> dict[str, Any]:
    """Bars per category (the first cell of each row), stacked by series; `horizontal` for long category names
    (one bar per line, names in full); `colours` one per series (else the palette)."""
    spec = _base(description)
    spec["data"] = {"values": _long_values(rows, category="category", series=series, value="count")}
    spec["mark"] = {"type": "bar"}
    category = {
        "field": "category",
        "type": "nominal",
        "title": x_title,
        "sort": [row[0] for row in rows],
        "axis": {"labelLimit": 0},
    }
    count = {
        "field": "count",
        "type": "quantitative",
        "title": y_title,
        "stack": "zero",
        "axis": {"tickMinStep": 1},
    }
    colour: dict[str, Any] = {
        "field": "series",
        "type": "nominal",
        "title": colour_title,
        "sort": list(series),
    }
    if colours:
        colour["scale"] = {"domain": list(series), "range": list(colours)}
    spec["encoding"] = {
        "x": count if horizontal else category,
        "y": category if horizontal else count,
        "color": colour,
        "order": {"field": "series_order", "type": "ordinal"},
    }
    if horizontal:
        spec["height"] = {"step": 28}
    order = {name: index for index, name in enumerate(series)}
    for record in spec["data"]["values"]:
        record["series_order"] = order[record["series"]]
    return spec


def grouped_bar_spec(
    *,
    description: str,
    rows: Sequence[Sequence[Any]],
    months: Sequence[datetime.date],
    series: Sequence[str],
    x_title: str,
    y_title: str,
) -> dict[str, Any]:
    """Monthly bars side by side, one per series."""
    spec = _base(description)
    spec["data"] = _monthly_data(rows, months, series)
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": {"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "title": x_title},
        "xOffset": {"field": "series", "type": "nominal", "sort": list(series)},
        "y": {"field": "count", "type": "quantitative", "title": y_title, "axis": {"tickMinStep": 1}},
        "color": {"field": "series", "type": "nominal", "title": None, "sort": list(series)},
    }
    return spec


# --- The charts (one aggregate query each)


def _month_label(month: datetime.date) -> str:
    return date_format(month, "F Y")


def _csv_url(chart_id: str, filters: Filters) -> str:
    return f"{reverse('analytics:chart_csv', args=[chart_id])}?{query_string(filters)}"


def _period(filters: Filters) -> str:
    return _("from %(since)s to %(until)s") % {
        "since": date_format(filters.since, "j F Y"),
        "until": date_format(filters.until, "j F Y"),
    }


def _monthly_chart(
    chart_id: str,
    spec_builder: Callable[..., dict[str, Any]],
    filters: Filters,
    *,
    title: str,
    description: str,
    rows: list[list[Any]],
    months: list[Any],
    series: list[str],
    total: str,
) -> Chart:
    """A chart of figures per month reported: the spec, the table beside it and its CSV."""
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        spec=spec_builder(
            description=description,
            rows=rows,
            months=months,
            series=series,
            x_title=_("Month reported"),
            y_title=_("Number"),
        ),
        columns=[_("Month"), *series],
        rows=rows,
        csv_url=_csv_url(chart_id, filters),
        summary=f"{description} {total}",
    )


def chart_trend(filters: Filters) -> Chart:
    """Each month: episodes reported, distinct children reported, and children with an episode that made them
    repeatedly missing (N in D days when reported)."""
    months = filters.months
    rows: list[list[Any]] = [
        [_month_label(r.month), r.episodes, r.children, r.repeat_children] for r in trend(filters)
    ]
    series = [
        _("Episodes"),
        _("Children"),
        _("Children missing repeatedly (%(n)s in %(d)s days)")
        % {"n": settings.HAFAN_REPEAT_MISSING_EPISODES, "d": settings.HAFAN_REPEAT_MISSING_DAYS},
    ]
    title = _("Episodes and children each month")
    description = _(
        "Episodes reported each month, the children they were about, and the children missing repeatedly, %(period)s."
    ) % {"period": _period(filters)}
    return _monthly_chart(
        "trend",
        line_spec,
        filters,
        title=title,
        description=description,
        rows=rows,
        months=months,
        series=series,
        total=_("%(n)s episodes in all.") % {"n": sum(row[1] for row in rows)},
    )


def chart_by_council_and_grade(filters: Filters) -> Chart:
    """Episodes by responsible council, stacked by the highest risk grade of the episode."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for (council, grade), figures in counts_by(filters, ("council", "grade"), ("episodes",)).items():
        counts[council or NO_COUNCIL, grade or NOT_GRADED] += figures["episodes"]
    grades = [*(str(g) for g in RISK_GRADE_ORDER), NOT_GRADED]
    grade_labels = [*(str(RiskGrade(g).label) for g in RISK_GRADE_ORDER), _("Not graded")]
    councils: list[tuple[str, str]] = [(c.code, c.name) for c in partner_councils()]
    known = {code for code, _name in councils}
    # Councils outside the partnership (a child placed from elsewhere) and episodes with none recorded.
    for code in sorted({council for council, _grade in counts} - known - {NO_COUNCIL}):
        councils.append((code, code))
    if any(council == NO_COUNCIL for council, _grade in counts):
        councils.append((NO_COUNCIL, _("No council recorded")))
    rows: list[list[Any]] = [[name, *(counts.get((code, g), 0) for g in grades)] for code, name in councils]
    title = _("Episodes by council and risk grade")
    description = _(
        "Episodes reported %(period)s by the child's responsible council, stacked by the highest risk grade "
        "the episode reached."
    ) % {"period": _period(filters)}
    return Chart(
        id="council-grade",
        title=title,
        description=description,
        spec=stacked_bar_spec(
            description=description,
            rows=rows,
            series=grade_labels,
            x_title=_("Council"),
            y_title=_("Episodes"),
            colour_title=_("Risk grade"),
            horizontal=True,
            colours=GRADE_COLOURS,
        ),
        columns=[_("Council"), *grade_labels],
        rows=rows,
        csv_url=_csv_url("council-grade", filters),
        summary=f"{description} " + _("%(n)s episodes in all.") % {"n": sum(sum(row[1:]) for row in rows)},
    )


def chart_debrief_timeliness(filters: Filters) -> Chart:
    """Each month (of the report): children returned, debriefs held, and debriefs held within the deadline."""
    names = ("returned", "debriefs_held", "debriefs_held_in_time")
    counts = {month: figures for (month,), figures in counts_by(filters, ("month",), names).items()}
    months = filters.months
    rows: list[list[Any]] = [
        [_month_label(m), *(counts.get(m, {}).get(key, 0) for key in names)] for m in months
    ]
    hours = settings.HAFAN_DEBRIEF_DEADLINE_HOURS
    series = [
        _("Children returned"),
        _("Debriefs held"),
        _("Held within %(hours)s hours") % {"hours": hours},
    ]
    title = _("Debrief timeliness")
    description = _(
        "For the episodes reported each month %(period)s: how many children returned, how many had a debrief, "
        "and how many had it within %(hours)s hours of their return."
    ) % {"period": _period(filters), "hours": hours}
    return _monthly_chart(
        "debriefs",
        grouped_bar_spec,
        filters,
        title=title,
        description=description,
        rows=rows,
        months=months,
        series=series,
        total=_("%(n)s children returned in all.") % {"n": sum(row[1] for row in rows)},
    )


def chart_age_and_sex(filters: Filters) -> Chart:
    """Episodes by the child's age band when reported, stacked by sex."""
    counts = {
        key: figures["episodes"]
        for key, figures in counts_by(filters, ("age_band", "sex"), ("episodes",)).items()
    }
    sexes = list(SEX_LABELS)
    sexes += sorted({sex for _band, sex in counts} - set(sexes))
    sex_labels = [str(SEX_LABELS.get(sex, sex)) for sex in sexes]
    bands = list(AGE_BANDS)
    rows: list[list[Any]] = [
        [str(AGE_BAND_LABELS.get(band, band)), *(counts.get((band, sex), 0) for sex in sexes)]
        for band in bands
    ]
    title = _("Episodes by age and sex")
    description = _("Episodes reported %(period)s by the child's age when reported, stacked by sex.") % {
        "period": _period(filters)
    }
    return Chart(
        id="age-sex",
        title=title,
        description=description,
        spec=stacked_bar_spec(
            description=description,
            rows=rows,
            series=sex_labels,
            x_title=_("Age when reported"),
            y_title=_("Episodes"),
            colour_title=_("Sex"),
        ),
        columns=[_("Age when reported"), *sex_labels],
        rows=rows,
        csv_url=_csv_url("age-sex", filters),
        summary=f"{description} " + _("%(n)s episodes in all.") % {"n": sum(sum(row[1:]) for row in rows)},
    )


CHARTS: dict[str, Callable[[Filters], Chart]] = {
    "trend": chart_trend,
    "council-grade": chart_by_council_and_grade,
    "debriefs": chart_debrief_timeliness,
    "age-sex": chart_age_and_sex,
}


def all_charts(filters: Filters) -> list[Chart]:
    """Every chart for these filters, in the order the dashboard shows them."""
    return [build(filters) for build in CHARTS.values()]
