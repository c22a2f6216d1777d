"""The Imports pages: the history with the upload form, one run with its error report, and the report as CSV.

Only an agency's administrators upload its files and see the rejected values; the IG auditor sees every
agency's history without them; everyone else gets 404. Data is set up through the real services
(hafan.ingest.services.import_run) or the upload form itself.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from hafan.accounts.services import staff_create
from hafan.agencies.models import Agency
from hafan.core.vocabulary import Role
from hafan.ingest.models import ImportChannel, ImportRun, ImportStatus
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, code_mappings_seed, import_run
from hafan.ingest.vocabularies import PARTNER_CODES
from hafan.people.models import Child, SourceRecord
from hafan.sharing.models import AuditAction, AuditEvent
from tests.conftest import PERSONA_PASSWORD, TwoFactorClient
from tests.integration.test_ingest import FIXTURES
from tests.integration.test_pages_oversight import _parse

pytestmark = pytest.mark.django_db

ERRORS_FIXTURE = "police/occurrences_errors.csv"
FORMULA = "=cmd|' /C calc'!A0"
# Values from occurrences_errors.csv that its rows were rejected for: personal data, for GWP's eyes only.
REJECTED_VALUES = ["31/02/2010", "9991588133", FORMULA]
CASEWORK_AND_OTHERS = ["coordinator", "socialworker", "nurse", "debrief", "analyst", "outsider"]


@pytest.fixture
def agencies(partnership: dict[str, Agency]) -> dict[str, Agency]:
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(partnership[code], mappings)
    return partnership


def _client(user: Any) -> Client:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _upload(name: str, *, as_name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(as_name or Path(name).name, (FIXTURES / name).read_bytes())


def _import(
    user: Any, fmt: str, *files: str, progress: Callable[[ImportRun], None] | None = None
) -> ImportRun:
    """An import made on the upload page's behalf, through the service the page calls."""
    return import_run(
        ImportRequest(
            format=fmt,
            sources=[Source.from_path(str(FIXTURES / f)) for f in files],
            agency=user.agency,
            actor=user,
            channel=ImportChannel.PAGE,
        ),
        progress=progress,
    )


@pytest.fixture
def errors_run(agencies: dict[str, Agency], administrator: Any) -> ImportRun:
    run = _import(administrator, "police-csv", ERRORS_FIXTURE)
    assert run.records_rejected > 0
    return run


def _csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


# The administrator


def test_the_administrator_sees_the_upload_form_and_an_empty_history(
    agencies: dict[str, Agency], administrator: Any
) -> None:
    response = _client(administrator).get(reverse("ingest:imports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-form"' in html
    assert 'enctype="multipart/form-data"' in html
    for name in ("format", "upload", "mapping", "dry_run", "full_refresh"):
        assert f'name="{name}"' in html
    assert "Import a file for Gwent Police" in html
    assert 'data-testid="no-imports"' in html
    # The navigation leads here.
    assert f'href="{reverse("ingest:imports")}"' in html


def test_uploading_a_file_shows_the_run_with_its_counts_and_errors(
    agencies: dict[str, Agency], administrator: Any
) -> None:
    client = _client(administrator)
    response = client.post(
        reverse("ingest:imports"), {"format": "police-csv", "upload": _upload(ERRORS_FIXTURE)}
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ingest:detail", args=[run.public_id])
    assert run.channel == ImportChannel.PAGE and run.imported_by == administrator
    assert run.status == ImportStatus.SUCCEEDED
    assert run.records_new > 0 and run.records_rejected > 0
    assert SourceRecord.objects.count() == run.records_new

    page = client.get(response["Location"])
    assert page.status_code == 200
    parsed = _parse(page.content.decode())
    summary = parsed.summaries["import-summary"]
    assert summary["New records"] == str(run.records_new)
    assert summary["Rejected rows"] == str(run.records_rejected)
    assert summary["Unchanged records"] == "0"
    assert summary["Imported by"] == "Ioan Parry (Upload page)"
    rows = parsed.tables["import-errors"]
    assert rows[0] == ["Where", "Field", "Reason", "Value"]
    assert len(rows) - 1 == run.row_errors.count()
    assert [
        "line 3",
        "date_of_birth",
        "is not a date in the form DD/MM/YYYY or YYYY-MM-DD",
        "31/02/2010",
    ] in rows
    assert any(r[1] == "given_name" and r[3] == FORMULA for r in rows)

    # The history lists it.
    history = _parse(client.get(reverse("ingest:imports")).content.decode()).tables["import-history"]
    assert len(history) == 2
    assert history[1][1:5] == ["GWP", "occurrences_errors.csv", "Ioan Parry", "Imported"]
    assert history[1][5] == str(run.records_new)
    assert history[1][8] == str(run.records_rejected)


def test_uploading_the_same_file_again_changes_nothing(
    agencies: dict[str, Agency], administrator: Any
) -> None:
    client = _client(administrator)
    for _ in range(2):
        client.post(
            reverse("ingest:imports"), {"format": "police-csv", "upload": _upload("police/occurrences.csv")}
        )
    first, second = ImportRun.objects.order_by("id")
    assert (first.records_new, second.records_new, second.records_unchanged) == (12, 0, 12)
    assert SourceRecord.objects.count() == 12


def test_a_dry_run_through_the_form_writes_nothing(agencies: dict[str, Agency], administrator: Any) -> None:
    response = _client(administrator).post(
        reverse("ingest:imports"),
        {"format": "police-csv", "upload": _upload("police/occurrences.csv"), "dry_run": "on"},
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert run.status == ImportStatus.DRY_RUN and run.records_new == 12
    assert SourceRecord.objects.count() == Child.objects.count() == 0


def test_a_mapped_format_takes_its_mapping_file_and_several_tables_at_once(
    agencies: dict[str, Agency], staff: dict[str, Any]
) -> None:
    council = staff_create(
        username="admin-ncc", password=PERSONA_PASSWORD, role=Role.ADMINISTRATOR, agency=agencies["NCC"]
    )
    client = _client(council)
    response = client.post(
        reverse("ingest:imports"),
        {
            "format": "caselist",
            "upload": _upload("caselist/caselist.csv"),
            "mapping": _upload("caselist/caselist.toml"),
        },
    )
    assert response.status_code == 302
    tables = [_upload(f"ssda903/{n}") for n in ("header.csv", "episodes.csv", "missing.csv")]
    response = client.post(
        reverse("ingest:imports"), {"format": "ssda903", "upload": tables, "full_refresh": "on"}
    )
    assert response.status_code == 302
    caselist, ssda903 = ImportRun.objects.order_by("id")
    assert caselist.status == ssda903.status == ImportStatus.SUCCEEDED, ssda903.rejection_reason
    assert caselist.records_new > 0 and ssda903.records_new > 0
    assert ssda903.file_name == "header.csv, episodes.csv, missing.csv" and ssda903.full_refresh
    assert not SourceRecord.objects.exclude(agency__code="NCC").exists()


def test_a_rejected_file_lands_on_its_page_with_the_reason(
    agencies: dict[str, Agency], administrator: Any
) -> None:
    client = _client(administrator)
    response = client.post(
        reverse("ingest:imports"), {"format": "generic", "upload": _upload("generic/people.csv")}
    )
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REJECTED
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="rejection"' in page
    assert "needs a mapping file" in page
    assert SourceRecord.objects.count() == 0
    report = _csv(client.get(reverse("ingest:errors", args=[run.public_id])))
    assert report[1][0] == "people.csv" and "mapping" in report[1][2]


def test_the_form_says_what_is_missing(agencies: dict[str, Agency], administrator: Any) -> None:
    client = _client(administrator)
    for data in ({"format": "police-csv"}, {}):
        response = client.post(reverse("ingest:imports"), data)
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is a problem" in html
        assert "Choose the file to import." in html
    response = client.post(
        reverse("ingest:imports"), {"format": "spreadsheet", "upload": _upload("police/occurrences.csv")}
    )
    assert response.status_code == 200 and "govuk-error-message" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_a_mapping_file_that_is_not_utf8_is_a_form_error(
    agencies: dict[str, Agency], staff: dict[str, Any]
) -> None:
    council = staff_create(
        username="admin-tcbc", password=PERSONA_PASSWORD, role=Role.ADMINISTRATOR, agency=agencies["TCBC"]
    )
    response = _client(council).post(
        reverse("ingest:imports"),
        {
            "format": "generic",
            "upload": _upload("generic/people.csv"),
            "mapping": SimpleUploadedFile("m.toml", b"\xff\xfe\x00"),
        },
    )
    assert response.status_code == 200
    assert "The mapping file must be UTF-8 text." in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_an_oversized_upload_is_a_form_error_not_a_500(
    agencies: dict[str, Agency], administrator: Any, settings: Any
) -> None:
    settings.HAFAN_IMPORT_API_MAX_BYTES = 100
    response = _client(administrator).post(
        reverse("ingest:imports"), {"format": "police-csv", "upload": _upload("police/occurrences.csv")}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The upload is larger than" in html
    assert "command line" in html
    assert ImportRun.objects.count() == 0
    assert SourceRecord.objects.count() == 0


def test_a_page_import_with_new_records_queues_identity_resolution(
    agencies: dict[str, Agency], administrator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _client(administrator).post(
            reverse("ingest:imports"), {"format": "police-csv", "upload": _upload("police/occurrences.csv")}
        )
    assert DBTaskResult.objects.filter(task_path="hafan.ingest.tasks.link_new_records").count() == 1


# The error report as CSV


def test_the_error_report_downloads_with_formulas_neutralised(
    client: Client, administrator: Any, errors_run: ImportRun
) -> None:
    client.force_login(administrator)
    response = client.get(reverse("ingest:errors", args=[errors_run.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="import-{errors_run.public_id}-errors.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["location", "field", "reason", "value"]
    assert len(rows) - 1 == errors_run.row_errors.count()
    assert [
        "line 3",
        "date_of_birth",
        "is not a date in the form DD/MM/YYYY or YYYY-MM-DD",
        "31/02/2010",
    ] in rows
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    formula = next(r for r in rows if r[1] == "given_name")
    # Still there for the agency to correct, but inert.
    assert formula[3].startswith("'=cmd"), formula


# The auditor


def test_the_auditor_sees_the_history_and_the_run_but_no_form_and_no_values(
    auditor: Any, errors_run: ImportRun
) -> None:
    client = _client(auditor)
    response = client.get(reverse("ingest:imports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-form"' not in html and 'name="upload"' not in html
    history = _parse(html).tables["import-history"]
    assert [row[2] for row in history[1:]] == ["occurrences_errors.csv"]

    page = client.get(reverse("ingest:detail", args=[errors_run.public_id]))
    assert page.status_code == 200
    detail = page.content.decode()
    parsed = _parse(detail)
    assert parsed.summaries["import-summary"]["Rejected rows"] == str(errors_run.records_rejected)
    rows = parsed.tables["import-errors"]
    assert rows[0] == ["Where", "Field", "Reason"]
    assert len(rows) - 1 == errors_run.row_errors.count()
    for value in REJECTED_VALUES:
        assert value not in detail

    report = _csv(client.get(reverse("ingest:errors", args=[errors_run.public_id])))
    assert report[0] == ["location", "field", "reason", "value"]
    assert len(report) - 1 == errors_run.row_errors.count()
    assert all(row[0] and row[2] for row in report[1:])
    assert [row[3] for row in report[1:]] == [""] * (len(report) - 1)


def test_the_auditor_sees_every_agencys_history_but_cannot_upload(
    agencies: dict[str, Agency], staff: dict[str, Any], auditor: Any, errors_run: ImportRun
) -> None:
    council = staff_create(
        username="admin-ncc", password=PERSONA_PASSWORD, role=Role.ADMINISTRATOR, agency=agencies["NCC"]
    )
    _import(council, "ctf", "ctf/pupils.xml")
    client = _client(auditor)
    history = _parse(client.get(reverse("ingest:imports")).content.decode()).tables["import-history"]
    assert sorted(row[1] for row in history[1:]) == ["GWP", "NCC"]
    response = client.post(
        reverse("ingest:imports"), {"format": "fhir", "upload": _upload("fhir/bundle.json")}
    )
    assert response.status_code == 404
    assert ImportRun.objects.count() == 2
    # The GWP administrator sees only GWP's imports, and not NCC's run.
    admin = _client(staff["admin"])
    history = _parse(admin.get(reverse("ingest:imports")).content.decode()).tables["import-history"]
    assert [row[1] for row in history[1:]] == ["GWP"]
    ncc_run = ImportRun.objects.get(agency__code="NCC")
    assert admin.get(reverse("ingest:detail", args=[ncc_run.public_id])).status_code == 404


# Everyone else


@pytest.mark.parametrize("persona", CASEWORK_AND_OTHERS)
def test_everyone_else_gets_404_for_all_three_pages(
    staff: dict[str, Any], errors_run: ImportRun, persona: str
) -> None:
    client = _client(staff[persona])
    for url in (
        reverse("ingest:imports"),
        reverse("ingest:detail", args=[errors_run.public_id]),
        reverse("ingest:errors", args=[errors_run.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"occurrences_errors" not in b"".join(
            getattr(response, "streaming_content", [response.content])
        )
    response = client.post(
        reverse("ingest:imports"), {"format": "police-csv", "upload": _upload("police/occurrences.csv")}
    )
    assert response.status_code == 404
    assert ImportRun.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(errors_run: ImportRun) -> None:
    for url in (reverse("ingest:imports"), reverse("ingest:detail", args=[errors_run.public_id])):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", str(uuid.uuid4())])
def test_a_malformed_or_unknown_run_id_is_404(administrator: Any, errors_run: ImportRun, bad_id: str) -> None:
    client = _client(administrator)
    assert client.get(reverse("ingest:detail", args=[bad_id])).status_code == 404
    assert client.get(reverse("ingest:errors", args=[bad_id])).status_code == 404


# A run in progress


def test_a_running_import_polls_and_its_progress_refreshes_the_page_once_finished(
    agencies: dict[str, Agency], administrator: Any, settings: Any
) -> None:
    settings.HAFAN_IMPORT_BATCH_SIZE = 5
    client = _client(administrator)
    seen: list[dict[str, Any]] = []

    def look_while_it_runs(run: ImportRun) -> None:
        """Called between batches: the page as an administrator would see it in another tab."""
        if seen:
            return
        url = reverse("ingest:detail", args=[run.public_id])
        page = client.get(url).content.decode()
        partial = client.get(url, {"part": "progress"}, HTTP_HX_REQUEST="true")
        seen.append({"page": page, "partial": partial, "url": url})

    run = _import(administrator, "police-csv", "police/occurrences.csv", progress=look_while_it_runs)
    assert run.status == ImportStatus.SUCCEEDED
    (while_running,) = seen
    assert 'hx-get="?part=progress"' in while_running["page"]
    assert 'hx-trigger="every 2s"' in while_running["page"]
    assert "5 of 12 records written (42%)" in while_running["page"]
    assert while_running["partial"].status_code == 200
    assert "HX-Refresh" not in while_running["partial"]
    assert "<html" not in while_running["partial"].content.decode()
    assert 'hx-get="?part=progress"' in while_running["partial"].content.decode()

    done = client.get(while_running["url"], {"part": "progress"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    assert done["HX-Refresh"] == "true"
    assert "hx-get" not in done.content.decode()
    finished = client.get(while_running["url"]).content.decode()
    # Only the notification bell still polls: the progress panel has stopped.
    assert "?part=progress" not in finished


def test_without_htmx_the_progress_part_is_the_whole_page(administrator: Any, errors_run: ImportRun) -> None:
    response = _client(administrator).get(
        reverse("ingest:detail", args=[errors_run.public_id]), {"part": "progress"}
    )
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "HX-Refresh" not in response


# Audit and language


def test_every_view_of_a_run_is_audited(administrator: Any, auditor: Any, errors_run: ImportRun) -> None:
    def views(user: Any) -> int:
        return AuditEvent.objects.filter(
            action=AuditAction.VIEW, target_type="import_run", target_id=str(errors_run.public_id), actor=user
        ).count()

    client = _client(administrator)
    assert views(administrator) == 0
    client.get(reverse("ingest:detail", args=[errors_run.public_id]))
    assert views(administrator) == 1
    client.get(reverse("ingest:detail", args=[errors_run.public_id]))
    b"".join(client.get(reverse("ingest:errors", args=[errors_run.public_id])).streaming_content)
    assert views(administrator) == 3
    _client(auditor).get(reverse("ingest:detail", args=[errors_run.public_id]))
    assert views(auditor) == 1
    event = AuditEvent.objects.filter(actor=auditor, target_type="import_run").get()
    assert event.purpose == "administration"


def test_the_imports_page_renders_in_welsh(administrator: Any, errors_run: ImportRun) -> None:
    client = _client(administrator)
    response = client.get("/cy/imports/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="cy"' in html
    assert 'data-testid="import-form"' in html and 'data-testid="import-history"' in html
    detail = client.get(f"/cy/imports/{errors_run.public_id}/")
    assert detail.status_code == 200
    assert '<html lang="cy"' in detail.content.decode()
