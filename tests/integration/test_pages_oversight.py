"""The dashboard and the audit trail: who sees which figures, and whether the figures are right."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from hafan.core.vocabulary import Purpose
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.selectors import episode_get_for_user
from hafan.episodes.services import episode_record_return
from hafan.people.services import PersonDetails
from hafan.risk.services import risk_grade_record


@pytest.fixture(autouse=True)
def _english() -> Any:
    """A request to a /cy/ page leaves Welsh active in the test thread; start each test in English."""
    translation.activate("en")
    yield
    translation.activate("en")


class _Tables(HTMLParser):
    """Collects each table (by data-testid) as rows of cell texts, and each summary list as {key: value}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.summaries: dict[str, dict[str, str]] = {}
        self._table: str | None = None
        self._summary: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs).get("data-testid")
        if tag == "table" and named:
            self._table = named
            self.tables[named] = []
        elif tag == "dl" and named:
            self._summary = named
            self.summaries[named] = {}
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in {"td", "th", "dt", "dd"} and (self._table or self._summary):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "dt" and self._summary and self._cell is not None:
            self._key = " ".join("".join(self._cell).split())
            self._cell = None
        elif tag == "dd" and self._summary and self._cell is not None and self._key is not None:
            self.summaries[self._summary][self._key] = " ".join("".join(self._cell).split())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "dl":
            self._summary = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def _child(given: str, family: str) -> PersonDetails:
    return PersonDetails(
        given_name=given, family_name=family, date_of_birth=datetime.date(2010, 5, 6), sex="unknown"
    )


@pytest.fixture
def month(
    report_missing: Any, coordinator: Any, debrief_worker: Any, partnership: dict[str, Any]
) -> dict[str, Episode]:
    """A small, known month. This month: two Newport episodes (one graded high), one in Torfaen still
    missing and never graded, one in Caerphilly. Cerys Jones was also missing twice last month, so she
    is repeatedly missing. Two children returned this month; one debrief held within 72 hours."""
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # Inside this month, before now, however early in the month the test runs.
    start = max(now - datetime.timedelta(hours=3), month_start)
    span = now - start

    def at(fraction: float) -> datetime.datetime:
        return start + span * fraction

    cerys = _child("Cerys", "Jones")
    for days in (10, 5):
        earlier = report_missing(
            child_details=cerys,
            reported_at=month_start - datetime.timedelta(days=days),
            last_seen_at=month_start - datetime.timedelta(days=days, hours=1),
        )
        episode_record_return(
            episode=earlier,
            recorded_by=coordinator,
            returned_at=month_start - datetime.timedelta(days=days) + datetime.timedelta(hours=4),
            found_where="Home",
            found_by="carer",
            harm_suffered=False,
        )
    high = report_missing(
        child_details=cerys, reported_at=at(0.1), last_seen_at=at(0.1) - datetime.timedelta(hours=1)
    )
    risk_grade_record(
        episode=high,
        author=coordinator,
        grade="high",
        factors=["repeat"],
        rationale="Third episode in weeks; CSE concern.",
        assessed_at=at(0.15),
        next_review_due=now + datetime.timedelta(hours=1),
    )
    returned = report_missing(
        child_details=_child("Dylan", "Morgan"),
        reported_at=at(0.1),
        last_seen_at=at(0.1) - datetime.timedelta(hours=1),
    )
    episode_record_return(
        episode=returned,
        recorded_by=coordinator,
        returned_at=at(0.3),
        found_where="Newport",
        found_by="self",
        harm_suffered=False,
    )
    debrief_record(
        debrief=returned.debrief, worker=debrief_worker, status="held", offered_at=at(0.4), held_at=at(0.5)
    )
    not_offered = report_missing(
        child_details=_child("Nia", "Price"),
        council=partnership["CCBC"],
        reported_at=at(0.1),
        last_seen_at=at(0.1) - datetime.timedelta(hours=1),
    )
    episode_record_return(
        episode=not_offered,
        recorded_by=coordinator,
        returned_at=at(0.3),
        found_where="Caerphilly",
        found_by="police",
        harm_suffered=False,
    )
    debrief_record(
        debrief=not_offered.debrief,
        worker=debrief_worker,
        status="not_offered",
        not_offered_reason="Moved out of area",
    )
    overdue = report_missing(
        child_details=_child("Efa", "Rowlands"),
        council=partnership["TCBC"],
        reported_at=at(0.2),
        last_seen_at=at(0.2) - datetime.timedelta(hours=1),
    )
    return {"high": high, "returned": returned, "not_offered": not_offered, "overdue": overdue}


def _row(table: list[list[str]], council: str) -> list[str]:
    return next(row for row in table if row[0] == council)


@pytest.mark.parametrize("persona", ["analyst", "coordinator"])
def test_dashboard_figures_for_a_known_month(
    client: Any, staff: dict[str, Any], month: dict[str, Episode], persona: str
) -> None:
    client.force_login(staff[persona])
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 200
    page = _parse(response.content.decode())
    table = page.tables["episodes-by-council"]
    assert table[0] == ["Council", "High", "Medium", "Low", "Very low", "Not graded", "Total"]
    assert _row(table, "Newport City Council")[1:] == ["1", "0", "0", "0", "1", "2"]
    assert _row(table, "Torfaen County Borough Council")[1:] == ["0", "0", "0", "0", "1", "1"]
    assert _row(table, "Caerphilly County Borough Council")[1:] == ["0", "0", "0", "0", "1", "1"]
    assert _row(table, "Monmouthshire County Council")[1:] == ["0", "0", "0", "0", "0", "0"]
    assert _row(table, "All councils")[1:] == ["1", "0", "0", "0", "3", "4"]

    debriefs = page.summaries["debrief-summary"]
    assert debriefs["Children returned this month"] == "2"
    assert debriefs["Debriefs offered"] == "1"
    assert debriefs["Debriefs held"] == "1"
    assert debriefs["Debriefs held within 72 hours of the return"] == "1 (50% of returns)"
    assert list(page.summaries["repeat-summary"].values()) == ["1"]
    assert list(page.summaries["overdue-summary"].values()) == ["1"]


def test_casework_sees_which_children_and_episodes(
    client: Any, coordinator: Any, month: dict[str, Episode]
) -> None:
    client.force_login(coordinator)
    html = client.get(reverse("analytics:dashboard")).content.decode()
    page = _parse(html)
    assert page.tables["repeat-children"][1:] == [["Cerys Jones", "3"]]
    assert month["overdue"].reference in html
    assert reverse("episodes:detail", args=[month["overdue"].public_id]) in html


def test_analyst_sees_figures_not_children(client: Any, analyst: Any, month: dict[str, Episode]) -> None:
    client.force_login(analyst)
    html = client.get(reverse("analytics:dashboard")).content.decode()
    for name in ("Cerys", "Jones", "Dylan", "Nia Price", "Efa Rowlands"):
        assert name not in html
    assert month["overdue"].reference not in html
    assert "repeat-children" not in html


def test_dashboard_with_no_returns_does_not_divide_by_zero(
    client: Any, analyst: Any, partnership: dict[str, Any]
) -> None:
    client.force_login(analyst)
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 200
    page = _parse(response.content.decode())
    assert page.summaries["debrief-summary"]["Children returned this month"] == "0"
    assert "%" not in page.summaries["debrief-summary"]["Debriefs held within 72 hours of the return"]
    assert _row(page.tables["episodes-by-council"], "All councils")[-1] == "0"


@pytest.mark.parametrize("persona", ["debrief", "auditor", "admin", "outsider"])
def test_others_get_404_on_the_dashboard(
    client: Any, staff: dict[str, Any], month: dict[str, Episode], persona: str
) -> None:
    client.force_login(staff[persona])
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 404
    assert "Cerys Jones" not in response.content.decode()


def test_welsh_dashboard(client: Any, analyst: Any, partnership: dict[str, Any]) -> None:
    client.force_login(analyst)
    response = client.get("/cy/dashboard/")
    assert response.status_code == 200
    assert '<html lang="cy"' in response.content.decode()


def test_auditor_sees_the_coordinators_read(
    client: Any, auditor: Any, coordinator: Any, report_missing: Any
) -> None:
    episode = report_missing()
    episode_get_for_user(user=coordinator, public_id=episode.public_id, purpose=Purpose.MISSING_EPISODE)
    client.force_login(auditor)
    response = client.get(reverse("sharing:audit"))
    assert response.status_code == 200
    rows = _parse(response.content.decode()).tables["audit-trail"]
    assert rows[0] == ["When", "Who", "Agency", "Role", "Action", "Purpose", "What", "Child"]
    read = [r for r in rows if r[1] == "coordinator" and r[4] == "Viewed" and str(episode.public_id) in r[6]]
    assert len(read) == 1
    assert read[0][2] == "GWP"
    assert read[0][3] == "Hub police coordinator"
    assert read[0][5] == "Responding to a missing episode"
    assert read[0][7] == str(episode.child.public_id)
    # Newest first: the auditor's own look at the trail heads the list.
    assert rows[1][1] == "auditor"


def test_audit_filters_by_user_and_child(
    client: Any, auditor: Any, coordinator: Any, social_worker: Any, report_missing: Any
) -> None:
    first = report_missing()
    second = report_missing(child_details=_child("Dylan", "Morgan"))
    episode_get_for_user(user=social_worker, public_id=first.public_id, purpose=Purpose.PLANNING)
    episode_get_for_user(user=coordinator, public_id=second.public_id, purpose=Purpose.MISSING_EPISODE)
    client.force_login(auditor)

    by_user = _parse(client.get(reverse("sharing:audit"), {"user": "socialworker"}).content.decode()).tables[
        "audit-trail"
    ][1:]
    assert by_user
    assert {r[1] for r in by_user} == {"socialworker"}

    by_child = _parse(
        client.get(reverse("sharing:audit"), {"child": str(second.child.public_id)}).content.decode()
    )
    rows = by_child.tables["audit-trail"][1:]
    assert rows
    assert {r[7] for r in rows} == {str(second.child.public_id)}

    bad = client.get(reverse("sharing:audit"), {"child": "not-an-id"})
    assert bad.status_code == 200
    assert "govuk-error-summary" in bad.content.decode()


def test_audit_is_paginated_100_a_page(
    client: Any, auditor: Any, coordinator: Any, report_missing: Any
) -> None:
    episode = report_missing()
    for _ in range(120):
        episode_get_for_user(user=coordinator, public_id=episode.public_id, purpose=Purpose.MISSING_EPISODE)
    client.force_login(auditor)
    first = client.get(reverse("sharing:audit"), {"user": "coordinator"}).content.decode()
    assert len(_parse(first).tables["audit-trail"]) == 1 + 100
    assert "govuk-pagination" in first
    assert "user=coordinator&amp;page=2" in first
    second = client.get(reverse("sharing:audit"), {"user": "coordinator", "page": 2}).content.decode()
    rows = _parse(second).tables["audit-trail"][1:]
    assert 20 <= len(rows) < 100


@pytest.mark.parametrize("persona", ["coordinator", "analyst", "debrief", "admin", "outsider"])
def test_only_the_auditor_sees_the_audit_trail(client: Any, staff: dict[str, Any], persona: str) -> None:
    client.force_login(staff[persona])
    assert client.get(reverse("sharing:audit")).status_code == 404
