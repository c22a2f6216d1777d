"""The quarterly partnership report (issue 8, item 4): figures against hand-computed values on seeded analytics
rows, the statutory counts per council, small numbers withheld in the PDF, CSV and XLSX, the Welsh PDF, access
and the audit. Synthetic rows only: child_key numbers name nobody."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from hafan.agencies.models import Agency
from hafan.analytics.exports import report_csv
from hafan.analytics.models import EpisodeFact
from hafan.analytics.refresh import episode_facts_refresh
from hafan.analytics.reports import Quarter, quarterly_report, suppress
from hafan.referrals.directory import service_directory_seed
from hafan.referrals.models import Service
from hafan.referrals.services import referral_send
from hafan.sharing.models import AuditEvent

pytestmark = pytest.mark.django_db

QUARTER = Quarter(2026, 2)  # April to June 2026, and April to June 2025 a year before
_keys = iter(range(1, 10_000))
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _fact(
    council: str,
    on: datetime.date,
    child: int,
    *,
    care: str = "none",
    category: str = "missing_from_home",
    repeat: bool = False,
    duration: float | None = None,
    offered: bool = False,
    held: bool = False,
    in_time: bool = False,
    harm: bool | None = None,
    found_by: str = "",
) -> EpisodeFact:
    at = timezone.make_aware(datetime.datetime.combine(on, datetime.time(12)))
    return EpisodeFact(
        episode_key=next(_keys),
        child_key=child,
        reported_at=at,
        reported_on=on,
        month=on.replace(day=1),
        returned_at=at + datetime.timedelta(hours=duration) if duration is not None else None,
        duration_hours=duration,
        category=category,
        council=council,
        care_status=care,
        sex="female",
        age_years=14,
        age_band="14-15",
        repeat=repeat,
        debrief_offered=offered,
        debrief_held=held,
        debrief_held_in_time=in_time,
        harm=harm,
        found_by=found_by,
        refreshed_at=at,
    )


@pytest.fixture
def facts(partnership: dict[str, Agency]) -> None:
    """This quarter: Newport 12 episodes (6 children, 2 each; children 1 and 2 repeat), Caerphilly 3, Torfaen 7.
    A year before: Newport 9, Caerphilly 6. Plus one episode outside both quarters, which must not count."""
    rows = []
    april, may, june = datetime.date(2026, 4, 10), datetime.date(2026, 5, 5), datetime.date(2026, 6, 20)
    # Newport: 8 looked after (children 1-4), 4 not (children 5-6); 6 from home, 4 from care, 2 away.
    categories = ["missing_from_home"] * 6 + ["missing_from_care"] * 4 + ["away_from_placement"] * 2
    durations = [1.0, 2.0, 3.0, 4.0, 10.0] + [None] * 7
    for i in range(12):
        child = i // 2 + 1
        rows.append(
            _fact(
                "NCC",
                [april, may, june][i % 3],
                child,
                care="looked_after" if child <= 4 else "none",
                category=categories[i],
                repeat=child in (1, 2),
                duration=durations[i],
                offered=i < 6,
                held=i < 4,
                in_time=i < 3,
                harm=i == 0,
                found_by="police" if i < 7 else "carer",
            )
        )
    # Caerphilly: 3 children, one looked after.
    for i in range(3):
        rows.append(_fact("CCBC", may, 10 + i, care="looked_after" if i == 0 else "child_in_need"))
    # Torfaen: 7 children, none in care; 5 from home, 2 away from placement.
    for i in range(7):
        rows.append(
            _fact("TCBC", june, 20 + i, category="away_from_placement" if i < 2 else "missing_from_home")
        )
    # A year before.
    rows += [_fact("NCC", datetime.date(2025, 5, 1), 100 + i) for i in range(9)]
    rows += [_fact("CCBC", datetime.date(2025, 6, 30), 200 + i) for i in range(6)]
    # Outside both periods.
    rows.append(_fact("NCC", datetime.date(2026, 7, 1), 300))
    EpisodeFact.objects.bulk_create(rows)


def _rows(report: Any, key: str) -> dict[str, list[int]]:
    return dict(report.table(key).rows)


def test_key_measures_against_hand_computed_values(facts: None) -> None:
    report = quarterly_report(QUARTER)
    key = _rows(report, "key_measures")
    assert key["Episodes"] == [22, 15]
    assert key["Children"] == [16, 15]
    assert key["Children with repeat episodes"] == [2, 0]
    assert key["Episodes of children missing repeatedly"] == [4, 0]
    assert key["Episodes with harm recorded"] == [1, 0]
    assert key["Debriefs offered"] == [6, 0]
    assert key["Debriefs held"] == [4, 0]
    assert key["Debriefs held within 72 hours of the return"] == [3, 0]
    assert key["Children found or returned"] == [5, 0]
    median = next(d for d in report.durations if d.label.startswith("Median time missing"))
    assert (median.this, median.this_n, median.last) == (3.0, 5, None)
    assert report.period_label == "April to June 2026"
    assert report.last_year_label == "April to June 2025"

    by_council = _rows(report, "episodes_by_council")
    assert by_council["Newport City Council"] == [12, 9]
    assert by_council["Caerphilly County Borough Council"] == [3, 6]
    assert by_council["Torfaen County Borough Council"] == [7, 0]
    assert by_council["Monmouthshire County Council"] == [0, 0]
    children = _rows(report, "children_by_council")
    assert children["Newport City Council"] == [6, 2]
    assert children["Torfaen County Borough Council"] == [7, 0]
    months = _rows(report, "episodes_by_month")
    assert months == {"April 2026": [4, 0], "May 2026": [7, 9], "June 2026": [11, 6]}
    found = _rows(report, "found_by")
    assert found["Police"] == [7] and found["Parent or carer"] == [5]
    trend = _rows(report, "episodes_trend")
    assert list(trend) == [f"{m} {y}" for y, ms in ((2025, MONTHS[6:]), (2026, MONTHS[:6])) for m in ms]
    assert trend["June 2026"] == [11] and trend["July 2025"] == [0]


def test_statutory_counts_per_council(facts: None) -> None:
    report = quarterly_report(QUARTER)
    care = _rows(report, "statutory_care_status")
    assert care["Newport City Council"] == [8, 4]  # looked after, not
    assert care["Caerphilly County Borough Council"] == [1, 2]
    assert care["Torfaen County Borough Council"] == [0, 7]
    away = _rows(report, "statutory_missing_or_away")
    assert report.table("statutory_missing_or_away").columns == [
        "Missing from home",
        "Missing from care",
        "Away from placement without authorisation",
    ]
    assert away["Newport City Council"] == [6, 4, 2]
    assert away["Caerphilly County Borough Council"] == [3, 0, 0]
    assert away["Torfaen County Borough Council"] == [5, 0, 2]


def test_a_council_with_three_episodes_is_withheld_and_its_total_gives_nothing_away(facts: None) -> None:
    shown = suppress(quarterly_report(QUARTER).table("episodes_by_council"), threshold=5)
    figures = {label: values for label, values, _total in shown.rows}
    assert figures["Caerphilly County Borough Council"][0] is None
    assert shown.totals is not None and shown.totals[0] == 22  # the total stays ...
    # ... so another figure of the column goes too: 22 - 12 - 0 - 0 no longer tells anyone Caerphilly's 3.
    assert figures["Torfaen County Borough Council"][0] is None
    assert figures["Newport City Council"][0] == 12
    # The statutory table has row and column totals: every row and column has 0 or at least 2 withheld.
    care = suppress(quarterly_report(QUARTER).table("statutory_care_status"), threshold=5)
    for _label, values, total in care.rows:
        assert [*values, total].count(None) != 1
    assert care.totals is not None
    for c in range(2):
        assert [row[1][c] for row in care.rows].count(None) + (care.totals[c] is None) != 1


def test_csv_withholds_small_numbers(facts: None) -> None:
    text = report_csv(quarterly_report(QUARTER))
    rows = list(csv.DictReader(io.StringIO(text)))
    cell = {(r["table"], r["row"], r["column"]): r["value"] for r in rows}
    assert cell[("episodes_by_council", "Caerphilly County Borough Council", "April to June 2026")] == "<5"
    assert cell[("episodes_by_council", "Torfaen County Borough Council", "April to June 2026")] == "<5"
    assert cell[("episodes_by_council", "Newport City Council", "April to June 2026")] == "12"
    assert cell[("episodes_by_council", "Total", "April to June 2026")] == "22"
    assert cell[("statutory_care_status", "Caerphilly County Borough Council", "Looked after")] == "<5"
    assert cell[("statutory_care_status", "Caerphilly County Borough Council", "Total")] == "<5"
    # No figure from 1 to 4 anywhere in the export.
    assert not [r for r in rows if r["value"] in {"1", "2", "3", "4"}]
    assert all(r["period"] == "2026-q2" for r in rows)


def test_figures_printed_in_two_tables_are_withheld_in_both(facts: None) -> None:
    """Torfaen's 7 is withheld beside Caerphilly's 3 in the council table; were it shown as the row total of a
    statutory table, 22 - 12 - 7 would give the 3 away. Likewise the quarter's months in the 12-month trend."""
    rows = list(csv.DictReader(io.StringIO(report_csv(quarterly_report(QUARTER)))))
    cell = {(r["table"], r["row"], r["column"]): r["value"] for r in rows}
    for council in ("Caerphilly County Borough Council", "Torfaen County Borough Council"):
        assert cell[("episodes_by_council", council, "April to June 2026")] == "<5"
        assert cell[("statutory_care_status", council, "Total")] == "<5"
        assert cell[("statutory_missing_or_away", council, "Total")] == "<5"
    assert cell[("statutory_care_status", "Newport City Council", "Total")] == "12"
    for month in ("April 2026", "May 2026", "June 2026"):
        assert cell[("episodes_by_month", month, "This year")] == cell[("episodes_trend", month, "Episodes")]
    assert cell[("episodes_by_month", "May 2026", "This year")] == "<5"  # 7, withheld beside April's 4
    # Torfaen's 7 children would say its withheld episodes are at least 7.
    assert cell[("children_by_council", "Torfaen County Borough Council", "Children")] == "<5"
    assert cell[("children_by_council", "Newport City Council", "Children")] == "6"
    # Each council's episodes: the same figure, or the same withholding, wherever it is printed.
    for council in ("Newport City Council", "Monmouthshire County Council"):
        values = {
            cell[("episodes_by_council", council, "April to June 2026")],
            cell[("statutory_care_status", council, "Total")],
            cell[("statutory_missing_or_away", council, "Total")],
        }
        assert len(values) == 1, (council, values)


def _get(client: Any, user: Any, name: str, quarter: str = QUARTER.slug, language: str = "en") -> Any:
    client.force_login(user)
    with translation.override(language):
        url = reverse(name, args=[quarter]) if name != "analytics:reports" else reverse(name)
    return client.get(url)


def test_xlsx_has_a_sheet_per_table_and_withholds_small_numbers(
    client: Any, analyst: Any, facts: None
) -> None:
    response = _get(client, analyst, "analytics:report_xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert {
        "key_measures",
        "episodes_by_council",
        "statutory_care_status",
        "statutory_missing_or_away",
    } <= set(book.sheetnames)
    sheet = book["episodes_by_council"]
    assert sheet["A1"].value == "OFFICIAL-SENSITIVE"
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=5, values_only=True) if row and row[0]}
    assert rows["Caerphilly County Borough Council"][0] == "<5"
    assert rows["Newport City Council"][0] == 12
    assert rows["Total"][0] == 22
    # Every count sheet (the durations sheet holds medians in hours, not counts).
    counts = [ws for ws in book.worksheets if ws.title != "durations"]
    values = [v for ws in counts for row in ws.iter_rows(values_only=True) for v in row]
    assert not [v for v in values if isinstance(v, int) and 0 < v < 5]


def _pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_in_english(client: Any, analyst: Any, facts: None) -> None:
    response = _get(client, analyst, "analytics:report_pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader, text = _pdf_text(response.content)
    page = reader.pages[0].mediabox
    assert (round(float(page.width)), round(float(page.height))) == (595, 842)  # A4 in points
    assert "OFFICIAL-SENSITIVE" in text
    assert "Quarterly partnership report" in text
    assert "April to June 2026" in text
    assert "Gwent" in text  # the partnership's name
    assert "Caerphilly County Borough Council fewer than 5" in text
    assert "What these figures can and cannot show" in text
    assert "regression to the mean" in text
    assert "Missing and away from placement, by council" in text
    # The impact section, read for the analyst: each estimate with its method (too few children here).
    assert "Matched comparison with similar children" in text
    assert "Interrupted time series" in text


def test_the_pdf_in_welsh(client: Any, coordinator: Any, facts: None) -> None:
    response = _get(client, coordinator, "analytics:report_pdf", language="cy")
    assert response.status_code == 200
    assert response.wsgi_request.path.startswith("/cy/")
    assert response["Content-Disposition"].endswith('-cy.pdf"')
    reader, text = _pdf_text(response.content)
    assert reader.trailer["/Root"]["/Lang"] == "cy"
    # Month names come from Django's own Welsh catalogue; council names from the agencies' Welsh names.
    assert "Ebrill" in text and "Mehefin" in text
    assert "April" not in text
    assert "Cyngor Dinas Casnewydd" in text


def test_downloads_are_audited_without_children(client: Any, analyst: Any, facts: None) -> None:
    for name in ("analytics:report_pdf", "analytics:report_csv", "analytics:report_xlsx"):
        assert _get(client, analyst, name).status_code == 200
    events = AuditEvent.objects.filter(target_type="quarterly_report").order_by("seq")
    assert [e.detail["format"] for e in events] == ["pdf", "csv", "xlsx"]
    assert {(e.purpose, e.action, e.target_id) for e in events} == {("oversight", "export", "2026-q2")}
    assert all(e.child_public_id is None for e in events)


def test_the_reports_page_offers_every_download(client: Any, analyst: Any) -> None:
    client.force_login(analyst)
    response = client.get(reverse("analytics:reports"), {"quarter": "2026-q2"})
    assert response.status_code == 200
    body = response.content.decode()
    for url in (
        "/dashboard/reports/2026-q2.pdf",
        "/cy/dashboard/reports/2026-q2.pdf",
        "/dashboard/reports/2026-q2.csv",
        "/dashboard/reports/2026-q2.xlsx",
    ):
        assert f'href="{url}"' in body
    bad = client.get(reverse("analytics:reports"), {"quarter": "2026-q9"})
    assert bad.status_code == 200
    assert "govuk-error-summary" in bad.content.decode()


@pytest.mark.parametrize("persona", ["debrief_worker", "auditor", "administrator", "outsider"])
def test_others_get_404(client: Any, persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    for name in (
        "analytics:reports",
        "analytics:report_pdf",
        "analytics:report_csv",
        "analytics:report_xlsx",
    ):
        assert _get(client, user, name).status_code == 404, name
    assert not AuditEvent.objects.filter(target_type="quarterly_report").exists()


def test_a_quarter_that_is_not_one_or_not_yet_is_404(client: Any, analyst: Any) -> None:
    future = Quarter.containing(timezone.localdate()).slug.replace(
        str(timezone.localdate().year), str(timezone.localdate().year + 1)
    )
    for quarter in ("2026-q5", "2026-Q2", "26-q1", "1999-q1", future):
        assert _get(client, analyst, "analytics:report_csv", quarter=quarter).status_code == 404, quarter


def test_a_real_episode_and_its_referral_reach_the_report(
    report_missing: Any, social_worker: Any, partnership: dict[str, Agency]
) -> None:
    """Through the real services and the refresh: the current quarter, to date, with one referral sent."""
    service_directory_seed()
    episode = report_missing()
    referral_send(
        child=episode.child,
        service=Service.objects.order_by("pk").first(),  # type: ignore[arg-type]
        referred_by=social_worker,
        reason="Support after going missing.",
        consent_given=True,
        episode=episode,
    )
    episode_facts_refresh()
    report = quarterly_report(Quarter.containing(timezone.localdate()))
    assert report.in_progress
    assert _rows(report, "key_measures")["Episodes"][0] == 1
    assert _rows(report, "episodes_by_council")["Newport City Council"][0] == 1
    referrals = _rows(report, "referrals_by_outcome")
    assert referrals["Sent"] == [1]
    assert sum(v[0] for v in referrals.values()) == 1
    # One episode: withheld wherever it would leave the hub.
    shown = suppress(report.table("referrals_by_outcome"), threshold=5)
    assert shown.totals == [None]
