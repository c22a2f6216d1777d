"""The quarterly partnership report as a PDF (WeasyPrint), in the reader's language (the /cy/ address gives Welsh).

Only suppressed figures reach the page: the tables come from `reports.suppressed`, and the charts are drawn from
those same figures (a withheld figure is a gap in a line and a bar-less row saying "fewer than 5"). Charts are SVG
drawn here and in the template: no script runs in a PDF, and the renderer fetches nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from hafan.analytics.reports import (
    Report,
    ShownTable,
    months_before,
    small_number_threshold,
    suppress_durations,
    suppressed,
)

TEMPLATE = "analytics/report_pdf.html"

# The charts' drawing area, in SVG user units (the template scales them to the page's width).
BAR_WIDTH = 640
BAR_LABEL = 200
BAR_ROW = 22
LINE_WIDTH = 640
LINE_HEIGHT = 220
LINE_LEFT = 48
LINE_RIGHT = 12
LINE_TOP = 12
LINE_BOTTOM = 36


def fewer_than() -> str:
    return _("fewer than %(n)s") % {"n": small_number_threshold()}


@dataclass
class Bar:
    y: int
    text_y: int
    label: str
    width: float
    value_text: str
    value_x: float


@dataclass
class BarChart:
    title: str
    width: int
    height: int
    label_width: int
    bars: list[Bar]


@dataclass
class Point:
    x: float
    y: float
    label: str
    value_text: str


@dataclass
class Tick:
    y: float
    text: str


@dataclass
class LineChart:
    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    segments: list[str]  # SVG polyline points, one per run of shown months
    points: list[Point]
    ticks: list[Tick]


def _nice_max(value: int) -> int:
    """A round number at or above `value` for the axis (5, 10, 20, 50, 100, ...)."""
    step = 5
    while step < value:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if step >= value:
                break
    return max(step, 5)


def bar_chart(shown: ShownTable, *, column: int = 0, title: str = "") -> BarChart:
    """One horizontal bar per row of a suppressed table (its `column`th figure)."""
    values = [figures[column] for _label, figures, _total in shown.rows]
    top = _nice_max(max((v for v in values if v is not None), default=0))
    plot = BAR_WIDTH - BAR_LABEL - 70
    bars = []
    for i, (label, figures, _total) in enumerate(shown.rows):
        value = figures[column]
        width = 0.0 if value is None else plot * value / top
        bars.append(
            Bar(
                y=i * BAR_ROW + 3,
                text_y=i * BAR_ROW + 16,
                label=label,
                width=round(width, 1),
                value_text=fewer_than() if value is None else str(value),
                value_x=round(BAR_LABEL + width + 4, 1),
            )
        )
    return BarChart(
        title=title or shown.table.title,
        width=BAR_WIDTH,
        height=max(len(bars), 1) * BAR_ROW + 4,
        label_width=BAR_LABEL - 6,
        bars=bars,
    )


def line_chart(shown: ShownTable, *, short_labels: list[str], title: str = "") -> LineChart:
    """A line through a suppressed table's first column, one point per row; a withheld figure breaks the line."""
    values = [figures[0] for _label, figures, _total in shown.rows]
    top = _nice_max(max((v for v in values if v is not None), default=0))
    plot_w = LINE_WIDTH - LINE_LEFT - LINE_RIGHT
    plot_h = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    step = plot_w / max(len(values) - 1, 1)
    points: list[Point] = []
    segments: list[str] = []
    run: list[str] = []
    for i, value in enumerate(values):
        x = round(LINE_LEFT + i * step, 1)
        if value is None:
            if run:
                segments.append(" ".join(run))
            run = []
            points.append(Point(x=x, y=LINE_TOP + plot_h, label=short_labels[i], value_text=fewer_than()))
            continue
        y = round(LINE_TOP + plot_h - plot_h * value / top, 1)
        run.append(f"{x},{y}")
        points.append(Point(x=x, y=y, label=short_labels[i], value_text=str(value)))
    if run:
        segments.append(" ".join(run))
    ticks = [Tick(y=round(LINE_TOP + plot_h - plot_h * f, 1), text=str(int(top * f))) for f in (0, 0.5, 1)]
    return LineChart(
        title=title or shown.table.title,
        width=LINE_WIDTH,
        height=LINE_HEIGHT,
        left=LINE_LEFT,
        right=LINE_WIDTH - LINE_RIGHT,
        top=LINE_TOP,
        bottom=LINE_TOP + plot_h,
        segments=[s for s in segments if " " in s],
        points=points,
        ticks=ticks,
    )


def report_pdf_context(report: Report) -> dict[str, Any]:
    tables = {shown.table.key: shown for shown in suppressed(report)}
    trend = tables["episodes_trend"]
    # The trend's months, short ("Jul"), in the active language.
    trend_months = [formats.date_format(month, "M") for month in _months_of(report, len(trend.rows))]
    return {
        "report": report,
        "tables": tables,
        "ordered_tables": list(tables.values()),
        "durations": suppress_durations(report.durations),
        "fewer_than": fewer_than(),
        "threshold": small_number_threshold(),
        "council_chart": bar_chart(tables["episodes_by_council"], title=_("Episodes by responsible council")),
        "trend_chart": line_chart(trend, short_labels=trend_months),
        "language": translation.get_language(),
    }


def _months_of(report: Report, count: int) -> list[datetime.date]:
    last = report.filters.months[-1]
    return [months_before(last, count - 1 - i) for i in range(count)]


def report_pdf_build(report: Report) -> bytes:
    """The PDF, in the active language. The caller checks access and audits the download."""
    html = render_to_string(TEMPLATE, report_pdf_context(report))
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    return bytes(pdf)
