"""The quarterly partnership report: pick a quarter, then download it as a PDF (English or Welsh), CSV or XLSX.

Who may: whoever may open the dashboard (policy.can_view_dashboard); everyone else gets the same 404 as for a
quarter that does not exist. Each download is audited (purpose: oversight) and names no child.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from hafan.analytics.exports import report_csv, report_xlsx
from hafan.analytics.report_pdf import report_pdf_build
from hafan.analytics.reports import (
    Quarter,
    Report,
    quarter_is_reportable,
    quarterly_report,
    recent_quarters,
    small_number_threshold,
)
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _allowed(request: HttpRequest) -> None:
    if not policy.can_view_dashboard(actor_for(request.user)):
        raise NotFoundOrNoAccess


def _quarter(text: str) -> Quarter:
    try:
        quarter = Quarter.parse(text)
    except ValueError:
        raise NotFoundOrNoAccess from None
    if not quarter_is_reportable(quarter):
        raise NotFoundOrNoAccess
    return quarter


def _links(quarter: Quarter) -> dict[str, str]:
    links = {}
    for language in ("en", "cy"):
        with translation.override(language):
            links[f"pdf_{language}"] = reverse("analytics:report_pdf", args=[quarter.slug])
    links["csv"] = reverse("analytics:report_csv", args=[quarter.slug])
    links["xlsx"] = reverse("analytics:report_xlsx", args=[quarter.slug])
    return links


@require_http_methods(["GET"])
def reports(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    quarters = recent_quarters()
    chosen_text = request.GET.get("quarter", "")
    error = ""
    chosen = quarters[1] if len(quarters) > 1 else quarters[0]  # the last whole quarter
    if chosen_text:
        try:
            chosen = _quarter(chosen_text)
        except NotFoundOrNoAccess:
            error = translation.gettext("Choose a quarter from the list")
    return render(
        request,
        "analytics/report_index.html",
        {
            "quarters": quarters,
            "chosen": chosen,
            "downloads": _links(chosen),
            "error": error,
            "threshold": small_number_threshold(),
        },
    )


def _audited(request: HttpRequest, report: Report, *, fmt: str) -> None:
    assert report.quarter is not None
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        purpose=Purpose.OVERSIGHT,
        target_type="quarterly_report",
        target_id=report.quarter.slug,
        detail={"format": fmt, "language": translation.get_language(), "threshold": small_number_threshold()},
    )


def _download(
    content: bytes | str, *, content_type: str, filename: str, inline: bool = False
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET"])
def report_pdf(request: HttpRequest, quarter: str) -> HttpResponse:
    _allowed(request)
    report = quarterly_report(_quarter(quarter), user=request.user)
    pdf = report_pdf_build(report)
    _audited(request, report, fmt="pdf")
    language = translation.get_language() or "en"
    return _download(
        pdf,
        content_type="application/pdf",
        filename=f"partnership-report-{report.quarter.slug if report.quarter else quarter}-{language}.pdf",
        inline=True,
    )


@require_http_methods(["GET"])
def report_csv_download(request: HttpRequest, quarter: str) -> HttpResponse:
    _allowed(request)
    chosen = _quarter(quarter)
    report = quarterly_report(chosen)  # the figures only: the impact estimates are in the PDF
    content = report_csv(report)
    _audited(request, report, fmt="csv")
    return _download(
        content.encode("utf-8-sig"),  # with a byte-order mark, so that Excel reads Welsh letters right
        content_type="text/csv; charset=utf-8",
        filename=f"partnership-report-{chosen.slug}.csv",
    )


@require_http_methods(["GET"])
def report_xlsx_download(request: HttpRequest, quarter: str) -> HttpResponse:
    _allowed(request)
    chosen = _quarter(quarter)
    report = quarterly_report(chosen)  # the figures only: the impact estimates are in the PDF
    content = report_xlsx(report)
    _audited(request, report, fmt="xlsx")
    return _download(content, content_type=XLSX, filename=f"partnership-report-{chosen.slug}.xlsx")
