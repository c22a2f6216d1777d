"""The dashboard's charts (issue 8, item 2): every chart on one page, and each chart's figures as a CSV download.
Only those who may open the dashboard (`policy.can_view_dashboard`); everyone else gets 404.

The CSV leaves the hub, so small counts are withheld in it (charts.csv_rows); the page, inside the hub, shows
them exactly. The charts are drawn by hafan/static/hafan/charts.js from each chart's spec in the page
(json_script): without JavaScript the tables alone show."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from hafan.agencies.selectors import partner_councils
from hafan.analytics.charts import CHARTS, all_charts, csv_rows
from hafan.analytics.forms import DashboardFilterForm
from hafan.core.errors import NotFoundOrNoAccess
from hafan.sharing import policy
from hafan.sharing.access import actor_for


def _require_dashboard(request: HttpRequest) -> None:
    if not policy.can_view_dashboard(actor_for(request.user)):
        raise NotFoundOrNoAccess


def _filter_form(request: HttpRequest) -> DashboardFilterForm:
    """The dashboard's own filter form, so a chart and its CSV count exactly what the dashboard does (no
    parameters: this quarter to date)."""
    councils = [(c.code, c.name) for c in partner_councils()]
    return DashboardFilterForm(request.GET or None, today=timezone.localdate(), councils=councils)


def _errors(form: DashboardFilterForm) -> list[str]:
    if not form.is_bound or form.is_valid():
        return []
    return [str(message) for messages in form.errors.values() for message in messages]


@require_http_methods(["GET"])
def charts(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    form = _filter_form(request)
    errors = _errors(form)
    filters = form.filters()  # this quarter to date when the parameters are not valid (the page says why)
    return render(
        request,
        "analytics/charts.html",
        {
            "charts": all_charts(filters),
            "filters": filters,
            "errors": errors,
            "largest_withheld": settings.HAFAN_SMALL_NUMBER_THRESHOLD - 1,
        },
    )


@require_http_methods(["GET"])
def chart_csv(request: HttpRequest, chart_id: str) -> HttpResponse:
    _require_dashboard(request)
    build = CHARTS.get(chart_id)
    if build is None:
        raise NotFoundOrNoAccess
    form = _filter_form(request)
    if errors := _errors(form):
        return HttpResponseBadRequest("\n".join(errors).encode(), content_type="text/plain; charset=utf-8")
    filters = form.filters()
    chart = build(filters)
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(chart, threshold=settings.HAFAN_SMALL_NUMBER_THRESHOLD))
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = f"hafan-{chart_id}-{filters.since.isoformat()}-to-{filters.until.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
