"""The chart spec builders, the filters a chart URL carries, and small-number suppression (issue 8, item 2).
Pure: no database."""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict

from hafan.analytics.charts import (
    VEGA_LITE_SCHEMA,
    WITHHELD,
    Chart,
    csv_rows,
    grouped_bar_spec,
    line_spec,
    query_string,
    stacked_bar_spec,
    withheld,
)
from hafan.analytics.filters import Filters
from hafan.analytics.forms import DashboardFilterForm

MONTHS = [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)]
ROWS = [["January 2026", 4, 3, 1], ["February 2026", 0, 0, 0], ["March 2026", 7, 5, 2]]
SERIES = ["Episodes", "Children", "Repeat"]


def _wide(values: list[dict], category: str, series: list[str]) -> dict[object, list[int]]:
    """Long Vega-Lite records back to {category: [n per series]}."""
    out: dict[object, list[int]] = {}
    for record in values:
        out.setdefault(record[category], [0] * len(series))[series.index(record["series"])] = record["count"]
    return out


def test_the_line_spec_is_vega_lite_with_one_record_per_month_and_series() -> None:
    spec = line_spec(
        description="D", rows=ROWS, months=MONTHS, series=SERIES, x_title="Month", y_title="Number"
    )
    assert spec["$schema"] == VEGA_LITE_SCHEMA
    assert spec["mark"] == {"type": "line", "point": True}
    assert spec["encoding"]["x"] == {
        "field": "month",
        "type": "temporal",
        "timeUnit": "yearmonth",
        "title": "Month",
    }
    assert spec["encoding"]["y"]["field"] == "count"
    assert spec["encoding"]["color"]["sort"] == SERIES
    values = spec["data"]["values"]
    assert len(values) == len(ROWS) * len(SERIES)
    assert _wide(values, "month", SERIES) == {
        "2026-01-01": [4, 3, 1],
        "2026-02-01": [0, 0, 0],
        "2026-03-01": [7, 5, 2],
    }
    # The page's heading names the chart; the spec carries its description (the accessible summary) only.
    assert "title" not in spec and spec["description"] == "D"
    # Nothing is loaded from anywhere: the data is inline, never a URL.
    assert "url" not in spec["data"]


def test_the_stacked_bar_spec_stacks_each_series_on_its_category() -> None:
    rows = [["Newport", 1, 2, 0, 3, 0], ["Torfaen", 0, 0, 5, 1, 2]]
    grades = ["Very low", "Low", "Medium", "High", "Not graded"]
    spec = stacked_bar_spec(
        description="D",
        rows=rows,
        series=grades,
        x_title="Council",
        y_title="Episodes",
        colour_title="Grade",
    )
    assert spec["mark"] == {"type": "bar"}
    assert spec["encoding"]["x"]["sort"] == ["Newport", "Torfaen"]
    assert spec["encoding"]["y"]["stack"] == "zero"
    assert spec["encoding"]["color"] == {
        "field": "series",
        "type": "nominal",
        "title": "Grade",
        "sort": grades,
    }
    assert _wide(spec["data"]["values"], "category", grades) == {
        "Newport": [1, 2, 0, 3, 0],
        "Torfaen": [0, 0, 5, 1, 2],
    }
    # The stacking order follows the grades, lowest at the bottom.
    assert {r["series"]: r["series_order"] for r in spec["data"]["values"]} == {
        g: i for i, g in enumerate(grades)
    }


def test_a_horizontal_stacked_bar_spec_swaps_the_axes_and_takes_colours() -> None:
    spec = stacked_bar_spec(
        description="D",
        rows=[["Newport City Council", 1, 2]],
        series=["High", "Not graded"],
        x_title="Council",
        y_title="Episodes",
        colour_title="Grade",
        horizontal=True,
        colours=["#d4351c", "#b1b4b6"],
    )
    assert spec["encoding"]["y"]["field"] == "category" and spec["encoding"]["x"]["field"] == "count"
    assert spec["encoding"]["y"]["axis"] == {"labelLimit": 0}  # council names in full
    assert spec["encoding"]["color"]["scale"] == {
        "domain": ["High", "Not graded"],
        "range": ["#d4351c", "#b1b4b6"],
    }


def test_the_grouped_bar_spec_puts_the_series_side_by_side() -> None:
    spec = grouped_bar_spec(
        description="D", rows=ROWS, months=MONTHS, series=SERIES, x_title="Month", y_title="Number"
    )
    assert spec["mark"] == {"type": "bar"}
    assert spec["encoding"]["xOffset"] == {"field": "series", "type": "nominal", "sort": SERIES}
    assert _wide(spec["data"]["values"], "month", SERIES)["2026-03-01"] == [7, 5, 2]


def test_a_row_with_the_wrong_number_of_counts_is_refused() -> None:
    with pytest.raises(ValueError):
        line_spec(
            description="D",
            rows=[["Jan", 1, 2]],
            months=MONTHS[:1],
            series=SERIES,
            x_title="",
            y_title="",
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (1, WITHHELD), (4, WITHHELD), (5, 5), (120, 120), ("Newport", "Newport"), (True, True)],
)
def test_counts_from_one_to_below_the_threshold_are_withheld(value: object, expected: object) -> None:
    assert withheld(value, threshold=5) == expected


def test_the_csv_rows_keep_labels_and_withhold_small_counts() -> None:
    chart = Chart(
        id="trend", title="T", description="D", spec={}, columns=["Month", *SERIES], rows=ROWS, csv_url="/x"
    )
    assert csv_rows(chart, threshold=5) == [
        ["Month", *SERIES],
        ["January 2026", WITHHELD, WITHHELD, WITHHELD],
        ["February 2026", 0, 0, 0],
        ["March 2026", 7, 5, WITHHELD],
    ]
    assert csv_rows(chart, threshold=1)[1] == ["January 2026", 4, 3, 1]
    # The chart itself keeps the exact figures (the page is inside the hub).
    assert chart.rows[0] == ["January 2026", 4, 3, 1]


def test_the_query_string_gives_the_same_filters_back_through_the_dashboard_form() -> None:
    filters = Filters(
        since=datetime.date(2026, 1, 1),
        until=datetime.date(2026, 3, 31),
        councils=("CCBC", "NCC"),
        schools=("Ysgol Gyfun Gwent",),
        placement_types=("foster_care",),
        grades=("high",),
        age_bands=("14-15",),
        sexes=("female",),
        care_statuses=("looked_after",),
    )
    query = QueryDict(query_string(filters))
    assert query.getlist("council") == ["CCBC", "NCC"]
    assert query["since"] == "2026-01-01" and query["until"] == "2026-03-31"
    form = DashboardFilterForm(
        query,
        today=datetime.date(2026, 11, 26),
        councils=[("CCBC", "Caerphilly"), ("NCC", "Newport")],
    )
    assert form.is_valid(), form.errors
    assert form.filters() == filters


def test_no_dimension_means_only_the_period_in_the_query() -> None:
    filters = Filters(since=datetime.date(2026, 4, 1), until=datetime.date(2026, 6, 30))
    assert query_string(filters) == "since=2026-04-01&until=2026-06-30"
