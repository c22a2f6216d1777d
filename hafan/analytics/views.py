"""The oversight dashboard: figures for managers and analysts; casework staff also see which children.

The live panel (this month, from the episodes) is `selectors.dashboard_for`; the filtered measures (issue 8)
come from the analytics store (`measures.py`), with H1b's charts, and download as CSV with small numbers
suppressed (the file leaves the hub)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.agencies.selectors import agencies_by_code, partner_councils
from hafan.analytics import measures as m
from hafan.analytics.filters import Filters
from hafan.analytics.forms import (
    AGE_BAND_LABELS,
    CARE_STATUS_LABELS,
    PLACEMENT_LABELS,
    SEX_LABELS,
    DashboardFilterForm,
)
from hafan.analytics.selectors import dashboard_for
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import RiskGrade
from hafan.episodes.models import FoundBy
from hafan.referrals.models import REFERRAL_OUTCOMES, ReferralStatus, ServiceKind
from hafan.sharing import policy
from hafan.sharing.access import actor_for

BREAKDOWN_TABLES = ("council", "grade", "age_band", "sex", "care_status", "placement_type")


def _percentage(part: int, whole: int) -> int | None:
    """None when there is nothing to measure against, so the page says so rather than claiming 0%."""
    return round(100 * part / whole) if whole else None


def _council_labels() -> dict[str, str]:
    labels = {code: agency.name for code, agency in agencies_by_code().items()}
    labels[""] = _("No council recorded")
    return labels


def _labels(by: str) -> dict[str, str]:
    """The readable label of each value of a dimension (the value itself when unknown)."""
    if by == "council":
        return _council_labels()
    if by == "grade":
        return {**{str(g): str(g.label) for g in RiskGrade}, "": _("Not graded")}
    if by == "found_by":
        return {**{str(f): str(f.label) for f in FoundBy}, "unknown": _("Not recorded")}
    table: dict[str, Any] = {
        "age_band": AGE_BAND_LABELS,
        "sex": SEX_LABELS,
        "care_status": CARE_STATUS_LABELS,
        "placement_type": PLACEMENT_LABELS,
    }.get(by, {})
    return {k: str(v) for k, v in table.items()}


def _duration_labels() -> dict[str, str]:
    return {
        "under_24h": _("Under 24 hours"),
        "1_3_days": _("1 to 3 days"),
        "over_3_days": _("Over 3 days"),
    }


def _referral_labels() -> tuple[dict[str, str], dict[str, str]]:
    services = {str(k): str(k.label) for k in ServiceKind}
    outcomes = {str(s): str(s.label) for s in ReferralStatus}
    outcomes.update({code: str(label) for code, label in REFERRAL_OUTCOMES})
    return services, outcomes


def _filter_form(request: HttpRequest) -> DashboardFilterForm:
    councils = [(c.code, c.name) for c in partner_councils()]
    return DashboardFilterForm(request.GET or None, today=timezone.localdate(), councils=councils)


def _labelled(counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, int]]:
    return [(labels.get(key, key), n) for key, n in counts.items()]


def _charts(filters: Filters) -> list[Any]:
    """H1b's charts for these filters (none when the module is not there)."""
    try:
        from hafan.analytics import charts
    except ImportError:
        return []
    return list(charts.all_charts(filters))


def dashboard_queries(filters: Filters) -> dict[str, Any]:
    """Every figure the dashboard shows for these filters (what the benchmark times as one page)."""
    return {
        "measures": m.measures_for(filters),
        "comparison": m.repeat_comparison(filters),
        "breakdowns": m.breakdowns(filters, BREAKDOWN_TABLES),
        "charts": _charts(filters),
    }


def _query_without_quarter(filters: Filters) -> str:
    """The GET parameters of these filters (the charts and the CSV take the same)."""
    pairs: list[tuple[str, str]] = [
        ("since", filters.since.isoformat()),
        ("until", filters.until.isoformat()),
    ]
    for name, values in (
        ("council", filters.councils),
        ("school", filters.schools),
        ("placement_type", filters.placement_types),
        ("grade", filters.grades),
        ("age_band", filters.age_bands),
        ("sex", filters.sexes),
        ("care_status", filters.care_statuses),
    ):
        pairs.extend((name, v) for v in values)
    return urlencode(pairs)


@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = dashboard_for(user=request.user)
    column_totals = [
        sum(column) for column in zip(*(row.by_grade for row in figures.by_council), strict=True)
    ]
    form = _filter_form(request)
    filters = form.filters()
    panels = dashboard_queries(filters)
    measures, comparison = panels["measures"], panels["comparison"]
    councils = _council_labels()
    services, outcomes = _referral_labels()
    breakdowns = []
    for by, title in zip(
        BREAKDOWN_TABLES,
        (
            _("By council"),
            _("By highest risk grade"),
            _("By age when reported"),
            _("By sex"),
            _("By care status when reported"),
            _("By placement type"),
        ),
        strict=True,
    ):
        labels = _labels(by)
        rows = [(labels.get(r.value, r.value), r) for r in panels["breakdowns"][by]]
        breakdowns.append({"id": by.replace("_", "-"), "title": title, "rows": rows})
    return render(
        request,
        "analytics/dashboard.html",
        {
            "dashboard": figures,
            "column_totals": column_totals or [0] * len(figures.grade_labels),
            "held_in_time_percentage": _percentage(figures.debriefs_held_in_time, figures.debriefs_due),
            "deadline_hours": settings.HAFAN_DEBRIEF_DEADLINE_HOURS,
            "repeat_episodes": settings.HAFAN_REPEAT_MISSING_EPISODES,
            "repeat_days": settings.HAFAN_REPEAT_MISSING_DAYS,
            "can_view_feedback": policy.can_view_feedback_results(actor_for(request.user)),
            "form": form,
            "filters": filters,
            "measures": measures,
            "comparison": comparison,
            "comparison_rows": [(councils.get(r.council, r.council), r) for r in comparison.rows],
            "duration_bands": _labelled(measures.duration_bands, _duration_labels()),
            "found_by": _labelled(measures.found_by, _labels("found_by")),
            "found_council": _labelled(measures.found_council, councils),
            "referrals_by_service": _labelled(measures.referrals_by_service, services),
            "referrals_by_outcome": _labelled(measures.referrals_by_outcome, outcomes),
            "breakdowns": breakdowns,
            "charts": panels["charts"],
            "query": _query_without_quarter(filters),
            "threshold": settings.HAFAN_SMALL_NUMBER_THRESHOLD,
        },
    )


# --- The CSV download (leaves the hub: small numbers suppressed)


def _small(n: int | None) -> bool:
    return n is not None and 0 < n < settings.HAFAN_SMALL_NUMBER_THRESHOLD


def _rate_cell(part: int, whole: int, value: float | None) -> str:
    """A rate is withheld when either of its counts is: it would give them back."""
    if value is None:
        return ""
    if _small(part) or _small(whole):
        return _("withheld")
    return f"{value}"


def _figure_cell(value: float | None, base: int) -> str:
    """A median or percentile over fewer episodes than the threshold could be one child's own figure."""
    if value is None:
        return ""
    return _("withheld") if _small(base) else f"{round(value, 1)}"


def measure_rows(measures: m.Measures) -> list[tuple[str, str, str]]:
    """The measures as (section, measure, value) rows for a file that leaves the hub."""
    s = m.suppress
    services, outcomes = _referral_labels()
    rows: list[tuple[str, str, str]] = [
        (_("Episodes"), _("Episodes"), s(measures.episodes)),
        (_("Episodes"), _("Children"), s(measures.children)),
        (
            _("Episodes"),
            _("Episodes per child"),
            _figure_cell(measures.episodes_per_child, measures.children),
        ),
        (_("Repeat missing"), _("Episodes with the repeat flag"), s(measures.repeat_episodes)),
        (_("Repeat missing"), _("Children with repeat episodes"), s(measures.repeat_children)),
        (
            _("Repeat missing"),
            _("Children with %(n)s episodes in %(d)s days within the period")
            % {"n": settings.HAFAN_REPEAT_MISSING_EPISODES, "d": settings.HAFAN_REPEAT_MISSING_DAYS},
            s(measures.repeat_children_in_period),
        ),
        (_("Duration"), _("Returned"), s(measures.returned)),
        (_("Duration"), _("Still missing"), s(measures.still_missing)),
        (
            _("Duration"),
            _("Median hours missing"),
            _figure_cell(measures.duration_median_hours, measures.returned),
        ),
        (
            _("Duration"),
            _("90th percentile hours missing"),
            _figure_cell(measures.duration_p90_hours, measures.returned),
        ),
        *(
            (_("Duration"), label, s(n))
            for label, n in _labelled(measures.duration_bands, _duration_labels())
        ),
        (_("Where found"), _("In the responsible council's area"), s(measures.found_home_council)),
        (_("Where found"), _("In another council's area"), s(measures.found_elsewhere)),
        (_("Where found"), _("Area not recorded"), s(measures.found_unknown)),
        *((_("Found by"), label, s(n)) for label, n in _labelled(measures.found_by, _labels("found_by"))),
        (_("Harm"), _("Episodes with harm recorded"), s(measures.harm)),
        (_("Harm"), _("Harm rate (%)"), _rate_cell(measures.harm, measures.harm_known, measures.harm_rate)),
        (_("Debriefs"), _("Returns needing a debrief decision"), s(measures.debriefs_due)),
        (_("Debriefs"), _("Offered"), s(measures.debriefs_offered)),
        (_("Debriefs"), _("Accepted"), s(measures.debriefs_accepted)),
        (_("Debriefs"), _("Held"), s(measures.debriefs_held)),
        (
            _("Debriefs"),
            _("Held within %(hours)s hours") % {"hours": settings.HAFAN_DEBRIEF_DEADLINE_HOURS},
            s(measures.debriefs_held_in_time),
        ),
        (
            _("Debriefs"),
            _("Offered (%)"),
            _rate_cell(measures.debriefs_offered, measures.debriefs_due, measures.debriefs_offered_rate),
        ),
        (
            _("Debriefs"),
            _("Held within the deadline (%)"),
            _rate_cell(
                measures.debriefs_held_in_time, measures.debriefs_due, measures.debriefs_held_in_time_rate
            ),
        ),
        (
            _("Debriefs"),
            _("Median hours from return to debrief"),
            _figure_cell(measures.debrief_median_hours, measures.debriefs_held),
        ),
        (_("Referrals"), _("Referrals"), s(measures.referrals)),
        *(
            (_("Referrals by service"), label, s(n))
            for label, n in _labelled(measures.referrals_by_service, services)
        ),
        *(
            (_("Referrals by outcome"), label, s(n))
            for label, n in _labelled(measures.referrals_by_outcome, outcomes)
        ),
        (_("Now"), _("Open episodes with reviews overdue"), s(measures.overdue_reviews_now)),
        (_("Now"), _("Children with a response plan in force"), s(measures.plans_in_force_now)),
        (
            _("Information calls"),
            _("Median minutes to answer"),
            _figure_cell(measures.info_answer_median_minutes, measures.episodes),
        ),
        (
            _("Response plans"),
            _("Episodes with a plan in force when reported"),
            s(measures.plan_in_force_at_report),
        ),
    ]
    if measures.medians_sampled_one_in:
        rows.append(
            (
                _("Duration"),
                _("Medians estimated from a fixed sample: 1 in this many episodes"),
                str(measures.medians_sampled_one_in),
            )
        )
    return rows


@require_http_methods(["GET"])
def measures_csv(request: HttpRequest) -> HttpResponse:
    if not policy.can_view_dashboard(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form = _filter_form(request)
    filters = form.filters()
    measures = m.measures_for(filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Section"), _("Measure"), _("Value")])
    writer.writerow(
        [
            _("Period"),
            _("Episodes reported"),
            f"{filters.since.isoformat()} to {filters.until.isoformat()}",
        ]
    )
    for section, label, value in measure_rows(measures):
        writer.writerow([section, label, value])
    writer.writerow(
        [
            _("Note"),
            _("Small numbers"),
            _("Counts from 1 to %(n)s are shown as <%(t)s so that no child can be recognised.")
            % {"n": settings.HAFAN_SMALL_NUMBER_THRESHOLD - 1, "t": settings.HAFAN_SMALL_NUMBER_THRESHOLD},
        ]
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="hafan-measures-{stamp}.csv"'
    return response
