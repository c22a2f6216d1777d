"""The oversight dashboard: figures for managers and analysts; casework staff also see which children."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from hafan.analytics.selectors import dashboard_for
from hafan.sharing import policy
from hafan.sharing.access import actor_for


def _percentage(part: int, whole: int) -> int | None:
    """None when there is nothing to measure against, so the page says so rather than claiming 0%."""
    return round(100 * part / whole) if whole else None


@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = dashboard_for(user=request.user)
    column_totals = [
        sum(column) for column in zip(*(row.by_grade for row in figures.by_council), strict=True)
    ]
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
        },
    )
