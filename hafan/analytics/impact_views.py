"""The impact pages (issue 8, item 3): did an intervention change how often children go missing again, and did the
monthly count change after a start date? Each answer is an estimate with a 95% interval, the method, the numbers
behind it and a plain-language panel on what it can and cannot show. Figures only, never children: who may open
the dashboard (`policy.can_view_dashboard`) may open these; everyone else gets 404."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hafan.analytics import impact
from hafan.analytics.charts import PALETTE, VEGA_LITE_SCHEMA, Chart, withheld
from hafan.analytics.impact_selectors import (
    DEFAULT_FOLLOW_UP,
    FOLLOW_UP_CHOICES,
    TimeSeriesEvaluation,
    councils_with_data,
    matched_evaluation_for,
    time_series_for,
)
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.forms import DateInput, GovukFormMixin
from hafan.sharing import policy
from hafan.sharing.access import actor_for

LONGEST_PERIOD_DAYS = 3 * 366
INTERVENTION_CHOICES = [
    ("debrief", gettext_lazy("A debrief held")),
    ("plan", gettext_lazy("A response plan agreed")),
    ("referral", gettext_lazy("A referral completed")),
]


def _require_dashboard(request: HttpRequest) -> None:
    if not policy.can_view_dashboard(actor_for(request.user)):
        raise NotFoundOrNoAccess


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1) + datetime.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28) + datetime.timedelta(days=1)


def _days(days: int) -> str:
    return _("%(days)s days") % {"days": days}


_days_label = lazy(_days, str)


class MatchedForm(GovukFormMixin, forms.Form):
    intervention = forms.ChoiceField(
        label=gettext_lazy("Intervention"),
        choices=INTERVENTION_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    follow_up = forms.TypedChoiceField(
        label=gettext_lazy("Follow-up"),
        # Labels translated when shown, not when the module is imported (a lazy string's % would freeze English).
        choices=[(str(d), _days_label(d)) for d in FOLLOW_UP_CHOICES],
        coerce=int,
        required=False,
        initial=str(DEFAULT_FOLLOW_UP),
        help_text=gettext_lazy("Episodes are counted for this long after the intervention."),
    )
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Children who received the intervention on or after this day."),
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("... and on or before this day."),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["intervention"] = cleaned.get("intervention") or "debrief"
        follow_up = cleaned.get("follow_up") or DEFAULT_FOLLOW_UP
        cleaned["follow_up"] = follow_up
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        end = cleaned.get("end") or self.today - datetime.timedelta(days=follow_up)
        start = cleaned.get("start") or _year_before(end)
        if start > end:
            self.add_error("end", _("The end of the period must be on or after its start."))
        elif (end - start).days > LONGEST_PERIOD_DAYS:
            self.add_error("start", _("Choose a period of at most three years."))
        elif start > self.today:
            self.add_error("start", _("The start of the period must be today or earlier."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned


def _intervention_label(code: str) -> str:
    return str(dict(INTERVENTION_CHOICES)[code])


def _verdict_sentence(result: impact.MatchedResult | None, *, intervention: str, days: int) -> str:
    label = _intervention_label(intervention).lower()
    if result is None or result.difference is None:
        return _("Too few children to estimate anything: widen the period or choose a shorter follow-up.")
    if result.verdict == "fewer":
        return _(
            "Children who had %(what)s went missing fewer times in the next %(days)s days than similar children "
            "who did not."
        ) % {"what": label, "days": days}
    if result.verdict == "more":
        return _(
            "Children who had %(what)s went missing more times in the next %(days)s days than similar children "
            "who did not."
        ) % {"what": label, "days": days}
    return _(
        "No clear difference: children who had %(what)s and similar children who did not went missing about as "
        "often in the next %(days)s days (the interval includes no difference)."
    ) % {"what": label, "days": days}


@require_http_methods(["GET"])
def impact_page(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    today = timezone.localdate()
    form = MatchedForm(request.GET or None, today=today)
    evaluation = None
    if not request.GET or form.is_valid():
        if not request.GET:
            form.is_valid()  # unbound: use the defaults below
        cleaned = form.cleaned_data if form.is_bound else {}
        end = cleaned.get("end") or today - datetime.timedelta(days=DEFAULT_FOLLOW_UP)
        follow_up = cleaned.get("follow_up") or DEFAULT_FOLLOW_UP
        evaluation = matched_evaluation_for(
            user=request.user,
            intervention=cleaned.get("intervention") or "debrief",
            since=cleaned.get("start") or _year_before(end),
            until=end,
            follow_up_days=follow_up,
            today=today,
        )
    result = evaluation.result if evaluation else None
    return render(
        request,
        "analytics/impact.html",
        {
            "form": form,
            "evaluation": evaluation,
            "result": result,
            "intervention_label": _intervention_label(evaluation.intervention) if evaluation else "",
            "verdict": (
                _verdict_sentence(
                    result, intervention=evaluation.intervention, days=evaluation.follow_up_days
                )
                if evaluation
                else ""
            ),
            "caliper": impact.DEFAULT_CALIPER,
            "controls_per_treated": impact.CONTROLS_PER_TREATED,
            "bootstrap": impact.DEFAULT_BOOTSTRAP,
            "seed": impact.DEFAULT_SEED,
            "minimum_matched": impact.MINIMUM_MATCHED,
            "prior_days": impact.PRIOR_DAYS,
            "grace_days": impact.CONTROL_GRACE_DAYS,
            "threshold": settings.HAFAN_SMALL_NUMBER_THRESHOLD,
        },
    )


# The interrupted time series


class TrendForm(GovukFormMixin, forms.Form):
    start = forms.DateField(
        label=gettext_lazy("Start date"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy(
            "For example the hub's launch or a new service; the comparison starts from the first of its month."
        ),
    )
    council = forms.ChoiceField(label=gettext_lazy("Council"), required=False)

    def __init__(self, *args: Any, councils: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        council = self.fields["council"]
        assert isinstance(council, forms.ChoiceField)
        council.choices = [("", _("All councils")), *[(c, c) for c in councils]]
        self.fields["council"].widget.attrs["class"] = "govuk-select"


def _trend_spec(result: impact.TimeSeriesResult, *, series: list[str], description: str) -> dict[str, Any]:
    """The observed counts as points and a line, the model's fit as a line, the counterfactual dashed, and a rule
    at the start month (Vega-Lite, drawn by charts.js)."""
    values = [
        {"month": month.isoformat(), "series": name, "count": value}
        for month, observed, fitted, without in zip(
            result.months, result.observed, result.fitted, result.counterfactual, strict=True
        )
        for name, value in zip(series, (observed, round(fitted, 1), round(without, 1)), strict=True)
    ]
    x = {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": _("Month")}
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": description,
        "width": "container",
        "height": 260,
        "config": {
            "font": "arial, sans-serif",
            "axis": {"labelFontSize": 12, "titleFontSize": 13},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "bottom", "labelLimit": 0},
        },
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": x,
                    "y": {"field": "count", "type": "quantitative", "title": _("Episodes")},
                    "color": {
                        "field": "series",
                        "type": "nominal",
                        "title": None,
                        "sort": series,
                        "scale": {"domain": series, "range": PALETTE[: len(series)]},
                    },
                    "strokeDash": {
                        "field": "series",
                        "type": "nominal",
                        "sort": series,
                        "scale": {"domain": series, "range": [[1, 0], [1, 0], [6, 4]]},
                        "legend": None,
                    },
                },
            },
            {
                "data": {"values": [{"month": result.start_month.isoformat()}]},
                "mark": {"type": "rule", "color": "#0b0c0c", "strokeDash": [2, 2]},
                "encoding": {"x": x},
            },
        ],
    }


def _trend_chart(evaluation: TimeSeriesEvaluation, query: str) -> Chart | None:
    result = evaluation.result
    if result is None:
        return None
    series = [_("Episodes"), _("Model"), _("Without the change")]
    rows = [
        [month.strftime("%Y-%m"), observed, round(fitted, 1), round(without, 1)]
        for month, observed, fitted, without in zip(
            result.months, result.observed, result.fitted, result.counterfactual, strict=True
        )
    ]
    title = _("Episodes a month, before and after %(start)s") % {
        "start": result.start_month.strftime("%Y-%m")
    }
    description = _(
        "The episodes reported each month, the model's fitted line and what the model expects had nothing "
        "changed at the start month."
    )
    return Chart(
        id="impact-trend",
        title=title,
        description=description,
        spec=_trend_spec(result, series=series, description=description),
        columns=[_("Month"), *series],
        rows=rows,
        csv_url=reverse("analytics:impact_trend_csv") + (f"?{query}" if query else ""),
        summary=description,
    )


def _trend_evaluation(
    request: HttpRequest, today: datetime.date
) -> tuple[TrendForm, TimeSeriesEvaluation | None]:
    form = TrendForm(request.GET or None, councils=councils_with_data())
    if request.GET and not form.is_valid():
        return form, None
    cleaned = form.cleaned_data if form.is_bound else {}
    evaluation = time_series_for(
        user=request.user, start_month=cleaned.get("start"), council=cleaned.get("council") or "", today=today
    )
    return form, evaluation


@require_http_methods(["GET"])
def impact_trend(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    today = timezone.localdate()
    form, evaluation = _trend_evaluation(request, today)
    result = evaluation.result if evaluation else None
    verdict = ""
    if result is not None:
        verdict = {
            "fewer": _(
                "Fewer episodes a month from %(start)s than the trend and the seasons before it predicted."
            ),
            "more": _(
                "More episodes a month from %(start)s than the trend and the seasons before it predicted."
            ),
            "no_clear_difference": _(
                "No clear change in episodes a month at %(start)s: the interval includes no change."
            ),
        }[result.verdict] % {"start": date_format(result.start_month, "F Y")}
    return render(
        request,
        "analytics/impact_trend.html",
        {
            "form": form,
            "evaluation": evaluation,
            "result": result,
            "verdict": verdict,
            "chart": _trend_chart(evaluation, request.GET.urlencode()) if evaluation else None,
            "minimum_before": impact.MINIMUM_MONTHS_BEFORE,
            "minimum_after": impact.MINIMUM_MONTHS_AFTER,
            "launch_date": settings.HAFAN_LAUNCH_DATE,
        },
    )


@require_http_methods(["GET"])
def impact_trend_csv(request: HttpRequest) -> HttpResponse:
    """The monthly counts with the model's lines. It leaves the hub: small monthly counts are withheld."""
    _require_dashboard(request)
    form, evaluation = _trend_evaluation(request, timezone.localdate())
    if evaluation is None:
        messages = [str(m) for errors in form.errors.values() for m in errors]
        return HttpResponseBadRequest("\n".join(messages).encode(), content_type="text/plain; charset=utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Month"), _("Episodes"), _("Model"), _("Without the change")])
    result = evaluation.result
    if result is not None:
        for month, observed, fitted, without in zip(
            result.months, result.observed, result.fitted, result.counterfactual, strict=True
        ):
            writer.writerow(
                [
                    month.strftime("%Y-%m"),
                    withheld(observed, threshold=settings.HAFAN_SMALL_NUMBER_THRESHOLD),
                    round(fitted, 1),
                    round(without, 1),
                ]
            )
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hafan-impact-trend.csv"'
    return response
