"""The dashboard's performance measures (issue 8): the filters, the repeat-missing question by council against
the last quarter and last year, who sees what, and the CSV with small numbers suppressed."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from hafan.analytics.forms import quarter_bounds, quarter_of
from hafan.analytics.models import EpisodeFact
from hafan.analytics.refresh import episode_facts_refresh
from hafan.episodes.models import Episode
from hafan.people.services import PersonDetails
from tests.integration.test_pages_oversight import _parse

NAMES = ["Cerys Jones", "Dylan Price", "Alaw Rees"]


@pytest.fixture(autouse=True)
def _english() -> Any:
    translation.activate("en")
    yield
    translation.activate("en")


def _details(name: str) -> PersonDetails:
    given, family = name.split()
    return PersonDetails(
        given_name=given, family_name=family, date_of_birth=datetime.date(2011, 3, 4), sex="female"
    )


@pytest.fixture
def reported(report_missing: Any, partnership: dict[str, Any]) -> list[Episode]:
    """Three children reported missing an hour ago (two in Newport, one in Torfaen), in the store."""
    episodes = [
        report_missing(child_details=_details(NAMES[0])),
        report_missing(child_details=_details(NAMES[1])),
        report_missing(child_details=_details(NAMES[2]), council=partnership["TCBC"]),
    ]
    episode_facts_refresh()
    return episodes


def _seed(rows: list[tuple[datetime.date, int, str, bool]]) -> None:
    """Rows of (day, child, council, repeat) straight into the store."""
    now = timezone.now()
    EpisodeFact.objects.bulk_create(
        EpisodeFact(
            episode_key=10_000 + i,
            child_key=10_000 + child,
            reported_at=datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.UTC),
            reported_on=day,
            month=day.replace(day=1),
            category="missing_from_home",
            council=council,
            care_status="none",
            sex="female",
            age_band="14-15",
            repeat=repeat,
            refreshed_at=now,
        )
        for i, (day, child, council, repeat) in enumerate(rows)
    )


@pytest.mark.parametrize("persona", ["analyst", "coordinator"])
def test_the_measures_for_this_quarter(
    client: Any, staff: dict[str, Any], reported: list[Episode], persona: str
) -> None:
    client.force_login(staff[persona])
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 200
    page = _parse(response.content.decode())
    episodes = page.summaries["measures-episodes"]
    assert episodes["Episodes"] == "3"
    assert episodes["Children"] == "3"
    assert episodes["Episodes per child"] == "1.0"
    assert page.summaries["measures-durations"]["Still missing"] == "3"
    councils = {row[0]: row[1:3] for row in page.tables["breakdown-council"][1:]}
    assert councils == {"Newport City Council": ["2", "2"], "Torfaen County Borough Council": ["1", "1"]}
    assert page.summaries["measures-referrals"]["Open episodes with reviews overdue now"] == "3"


def test_the_analyst_sees_figures_and_no_children(client: Any, analyst: Any, reported: list[Episode]) -> None:
    client.force_login(analyst)
    html = client.get(reverse("analytics:dashboard")).content.decode()
    for name in NAMES:
        assert name not in html
    for episode in reported:
        assert episode.reference not in html
        assert str(episode.child.public_id) not in html


def test_filters_narrow_the_measures(client: Any, analyst: Any, reported: list[Episode]) -> None:
    client.force_login(analyst)
    response = client.get(reverse("analytics:dashboard"), {"council": "TCBC"})
    assert _parse(response.content.decode()).summaries["measures-episodes"]["Episodes"] == "1"
    response = client.get(reverse("analytics:dashboard"), {"grade": "high"})
    assert _parse(response.content.decode()).summaries["measures-episodes"]["Episodes"] == "0"
    response = client.get(reverse("analytics:dashboard"), {"age_band": "14-15", "sex": "female"})
    assert _parse(response.content.decode()).summaries["measures-episodes"]["Episodes"] == "3"
    response = client.get(reverse("analytics:dashboard"), {"care_status": "looked_after"})
    assert _parse(response.content.decode()).summaries["measures-episodes"]["Episodes"] == "0"


def test_a_preset_quarter_sets_the_period(client: Any, analyst: Any, partnership: dict[str, Any]) -> None:
    client.force_login(analyst)
    year, quarter = quarter_of(timezone.localdate())
    last = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    since, until = quarter_bounds(*last)
    html = client.get(reverse("analytics:dashboard"), {"quarter": f"{last[0]}-q{last[1]}"}).content.decode()
    assert f"Episodes reported from {since:%-d %B %Y} to {until:%-d %B %Y}." in html


def test_bad_dates_show_an_error_summary(client: Any, analyst: Any, partnership: dict[str, Any]) -> None:
    client.force_login(analyst)
    response = client.get(reverse("analytics:dashboard"), {"since": "2026-05-01", "until": "2026-04-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "The end of the period must be on or after its start." in html
    response = client.get(reverse("analytics:dashboard"), {"quarter": "1999-q9"})
    assert "Select a valid choice" in response.content.decode()


def test_repeat_children_this_quarter_against_last_quarter_and_last_year(
    client: Any, analyst: Any, partnership: dict[str, Any]
) -> None:
    today = timezone.localdate()
    start, _end = quarter_bounds(*quarter_of(today))
    last_start = quarter_bounds(
        *((start.year - 1, 4) if start.month == 1 else (start.year, (start.month + 2) // 3 - 1))
    )[0]
    year_ago = start.replace(year=start.year - 1)
    _seed(
        [
            (start, 1, "NCC", True),
            (start, 1, "NCC", True),  # the same child twice: one child
            (last_start, 2, "NCC", True),
            (last_start, 3, "NCC", True),
            (last_start, 4, "TCBC", False),  # not a repeat
            (year_ago, 5, "NCC", True),
            (year_ago, 6, "NCC", True),
            (year_ago, 7, "NCC", True),
            (year_ago, 8, "TCBC", True),
        ]
    )
    client.force_login(analyst)
    page = _parse(client.get(reverse("analytics:dashboard")).content.decode())
    table = page.tables["repeat-comparison"]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Newport City Council"] == ["1", "2", "3", "Down 1"]
    assert rows["Torfaen County Borough Council"] == ["0", "0", "1", "No change"]
    assert rows["All councils"] == ["1", "2", "4", "Down 1"]


def test_charts_are_on_the_dashboard(client: Any, analyst: Any, reported: list[Episode]) -> None:
    client.force_login(analyst)
    html = client.get(reverse("analytics:dashboard")).content.decode()
    assert 'data-testid="chart-table"' in html
    assert reverse("analytics:measures_csv") in html


@pytest.mark.parametrize("persona", ["debrief", "auditor", "admin", "outsider"])
def test_others_get_404_on_the_csv(
    client: Any, staff: dict[str, Any], reported: list[Episode], persona: str
) -> None:
    client.force_login(staff[persona])
    assert client.get(reverse("analytics:measures_csv")).status_code == 404


def _csv(client: Any, **query: str) -> dict[str, str]:
    response = client.get(reverse("analytics:measures_csv"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    for name in NAMES:
        assert name not in body
    return {row[1]: row[2] for row in csv.reader(io.StringIO(body)) if len(row) == 3}


def test_the_csv_suppresses_small_numbers(
    client: Any, coordinator: Any, reported: list[Episode], settings: Any
) -> None:
    client.force_login(coordinator)
    settings.HAFAN_SMALL_NUMBER_THRESHOLD = 5
    values = _csv(client)
    assert values["Episodes"] == "<5"
    assert values["Children"] == "<5"
    assert values["Episodes with the repeat flag"] == "0"  # zero stays zero
    assert values["Open episodes with reviews overdue"] == "<5"
    settings.HAFAN_SMALL_NUMBER_THRESHOLD = 2
    values = _csv(client)
    assert values["Episodes"] == "3"
    assert values["Children"] == "3"
    assert _csv(client, council="TCBC")["Episodes"] == "<2"


def test_the_page_says_when_its_medians_are_estimated(
    client: Any, analyst: Any, reported: list[Episode], settings: Any
) -> None:
    client.force_login(analyst)
    html = client.get(reverse("analytics:dashboard")).content.decode()
    assert 'data-testid="medians-sampled"' not in html
    settings.HAFAN_ANALYTICS_EXACT_MEDIANS_UP_TO = 2  # three episodes this quarter: more than that
    html = client.get(reverse("analytics:dashboard")).content.decode()
    assert 'data-testid="medians-sampled"' in html and "1 in 16 episodes" in html
    csv_text = client.get(reverse("analytics:measures_csv")).content.decode()
    assert "Medians estimated from a fixed sample" in csv_text
