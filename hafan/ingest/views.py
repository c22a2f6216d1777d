"""Import pages: the history of imports with an upload form, one run with its error report, and the
report as CSV. Reads go through hafan.ingest.selectors (404 for anyone not entitled); the import itself
goes through hafan.ingest.services, as the command and the API do."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from defusedcsv import csv as defused_csv
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import NotFoundOrNoAccess
from hafan.ingest.forms import FORMAT_LABELS, ImportForm
from hafan.ingest.models import ImportChannel, ImportStatus
from hafan.ingest.reading import Source
from hafan.ingest.selectors import (
    can_see_rejected_values,
    import_run_get_for_user,
    import_runs_visible_to,
    importable_agencies_for,
    may_open_imports,
)
from hafan.ingest.services import ImportRequest, error_report_rows, import_link_later, import_run

RUNS_PER_PAGE = 50
ERRORS_PER_PAGE = 100


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    runs = import_runs_visible_to(request.user)
    agencies = importable_agencies_for(request.user)
    if not may_open_imports(request.user):
        raise NotFoundOrNoAccess
    form = None
    if agencies:
        # Bound on every POST, even one with no fields: `request.POST or None` would leave it unbound, and
        # an unbound form is never valid and shows no errors.
        form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST":
        if form is None:
            raise NotFoundOrNoAccess
        if form.is_valid():
            run = _import_upload(request, form, agencies[0])
            if run is not None:
                return redirect("ingest:detail", public_id=run.public_id)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ingest/imports.html",
        {"form": form, "page": page, "agency": agencies[0] if agencies else None, "formats": FORMAT_LABELS},
    )


def _import_upload(request: HttpRequest, form: ImportForm, agency: Any) -> Any:
    limit = settings.HAFAN_IMPORT_API_MAX_BYTES
    files = form.cleaned_data["upload"]
    if sum(f.size for f in files) > limit:
        form.add_error(
            "upload",
            _("The upload is larger than %(limit)s MB: import it with the command line instead.")
            % {"limit": limit // (1024 * 1024)},
        )
        return None
    mapping_text = None
    if form.cleaned_data["mapping"] is not None:
        try:
            mapping_text = form.cleaned_data["mapping"].read(1024 * 1024).decode("utf-8")
        except UnicodeDecodeError:
            form.add_error("mapping", _("The mapping file must be UTF-8 text."))
            return None
    run = import_run(
        ImportRequest(
            format=form.cleaned_data["format"],
            sources=[Source.from_bytes(f.name, f.read()) for f in files],
            agency=agency,
            actor=request.user,
            channel=ImportChannel.PAGE,
            mapping_text=mapping_text,
            dry_run=form.cleaned_data["dry_run"],
            full_refresh=form.cleaned_data["full_refresh"],
        )
    )
    if run.status == ImportStatus.SUCCEEDED and (run.records_new or run.records_changed):
        # As after an API push: new and changed records go to identity resolution in the background.
        import_link_later()
    return run


@require_http_methods(["GET"])
def detail(request: HttpRequest, public_id: str) -> HttpResponse:
    run = import_run_get_for_user(user=request.user, public_id=public_id)
    if request.htmx and request.GET.get("part") == "progress":  # type: ignore[attr-defined]
        response = render(request, "ingest/_progress.html", {"run": run})
        if not run.is_running:
            response["HX-Refresh"] = "true"  # the finished run's page shows its counts and report
        return response
    errors = Paginator(run.row_errors.all(), ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ingest/detail.html",
        {
            "run": run,
            "errors": errors,
            "show_values": can_see_rejected_values(user=request.user, run=run),
            "format_label": FORMAT_LABELS.get(run.format, run.format),
            "ImportStatus": ImportStatus,
        },
    )


@require_http_methods(["GET"])
def error_report(request: HttpRequest, public_id: str) -> StreamingHttpResponse:
    run = import_run_get_for_user(user=request.user, public_id=public_id)
    show_values = can_see_rejected_values(user=request.user, run=run)
    writer = defused_csv.writer(_Echo(), quoting=csv.QUOTE_MINIMAL)

    def rows() -> Iterator[str]:
        for index, row in enumerate(error_report_rows(run)):
            if index and not show_values:  # every row but the header: the value may be personal data
                row = [*row[:3], ""]
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.public_id}-errors.csv"'
    return response
