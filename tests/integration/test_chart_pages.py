"""The dashboard's charts (issue 8, item 2): each chart's figures against hand-counted EpisodeFact rows, the CSV
download (small numbers withheld: it leaves the hub), and who may see them (everyone else gets 404)."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from hafan.analytics.charts import (
    WITHHELD,
    chart_age_and_sex,
    chart_by_council_and_grade,
    chart_debrief_timeliness,
    chart_trend,
)
from hafan.analytics.filters import Filters
from hafan.analytics.models import EpisodeFact

PERIOD = Filters(since=datetime.date(2026, 1, 1), until=datetime.date(2026, 3, 31))
QUERY = "?since=2026-01-01&until=2026-03-31"
# The staff fixture's keys (as in policy/endpoints.csv).
ALLOWED = ["coordinator", "supervisor", "socialworker", "nurse", "education", "analyst"]
REFUSED = ["debrief", "auditor", "admin", "outsider"]


@pytest.fixture(autouse=True)
def _english() -> Any:
    translation.activate("en")
    yield
    translation.activate("en")


def _fact(key: int, child: int, day: datetime.date, **fields: Any) -> EpisodeFact:
    reported_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    returned = fields.pop("returned", False)
    values: dict[str, Any] = {
        "episode_key": key,
        "child_key": child,
        "reported_at": reported_at,
        "reported_on": day,
        "month": day.replace(day=1),
        "returned_at": reported_at + datetime.timedelta(hours=6) if returned else None,
        "category": "missing",
        "care_status": "none",
        "sex": "female",
        "age_years": 14,
        "age_band": "14-15",
        "refreshed_at": reported_at,
    }
    values.update(fields)
    return EpisodeFact(**values)


@pytest.fixture
def facts(db: Any) -> None:
    """Five children, seven episodes; one (December) outside the period."""
    EpisodeFact.objects.bulk_create(
        [
            _fact(
                1,
                101,
                datetime.date(2026, 1, 5),
                council="NCC",
                grade="high",
                returned=True,
                debrief_held=True,
                debrief_held_in_time=True,
            ),
            _fact(2, 101, datetime.date(2026, 1, 20), council="NCC", grade="medium", returned=True),
            _fact(
                3,
                101,
                datetime.date(2026, 2, 3),
                council="NCC",
                grade="high",
                repeat=True,
                returned=True,
                debrief_held=True,
            ),
            _fact(
                4,
                102,
                datetime.date(2026, 1, 10),
                council="CCBC",
                grade="low",
                sex="male",
                age_years=12,
                age_band="11-13",
            ),
            _fact(
                5,
                103,
                datetime.date(2026, 3, 1),
                council="",
                grade="",
                sex="unknown",
                age_years=None,
                age_band="unknown",
            ),
            _fact(6, 104, datetime.date(2025, 12, 30), council="NCC", grade="high", returned=True),
            _fact(
                7,
                105,
                datetime.date(2026, 2, 10),
                council="XYZ",
                grade="very_low",
                sex="male",
                age_years=17,
                age_band="16-17",
            ),
        ]
    )


def test_the_trend_counts_episodes_children_and_repeat_children_each_month(
    facts: None, partnership: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):  # whether the summaries are built, then one GROUP BY over the facts
        chart = chart_trend(PERIOD)
    assert chart.rows == [
        ["January 2026", 3, 2, 0],
        ["February 2026", 2, 2, 1],
        ["March 2026", 1, 1, 0],
    ]
    assert chart.columns[0] == "Month" and len(chart.columns) == 4
    # The spec draws exactly the table's figures.
    values = chart.spec["data"]["values"]
    assert sum(v["count"] for v in values) == sum(sum(row[1:]) for row in chart.rows)
    assert {(v["month"], v["series"]): v["count"] for v in values}[("2026-02-01", chart.columns[3])] == 1
    assert chart.csv_url == reverse("analytics:chart_csv", args=["trend"]) + QUERY
    assert "6 episodes in all" in chart.summary


def test_the_trend_follows_the_dimension_filters(facts: None, partnership: Any) -> None:
    newport = Filters(since=PERIOD.since, until=PERIOD.until, councils=("NCC",))
    assert chart_trend(newport).rows == [
        ["January 2026", 2, 1, 0],
        ["February 2026", 1, 1, 1],
        ["March 2026", 0, 0, 0],
    ]
    assert "council=NCC" in chart_trend(newport).csv_url


def test_episodes_by_council_and_grade(facts: None, partnership: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(3):  # whether the summaries are built, the councils, and one GROUP BY
        chart = chart_by_council_and_grade(PERIOD)
    assert chart.columns == ["Council", "Very low", "Low", "Medium", "High", "Not graded"]
    assert chart.rows == [
        ["Blaenau Gwent County Borough Council", 0, 0, 0, 0, 0],
        ["Caerphilly County Borough Council", 0, 1, 0, 0, 0],
        ["Monmouthshire County Council", 0, 0, 0, 0, 0],
        ["Newport City Council", 0, 0, 1, 2, 0],
        ["Torfaen County Borough Council", 0, 0, 0, 0, 0],
        ["XYZ", 1, 0, 0, 0, 0],
        ["No council recorded", 0, 0, 0, 0, 1],
    ]
    values = chart.spec["data"]["values"]
    assert {(v["category"], v["series"]): v["count"] for v in values}[("Newport City Council", "High")] == 2


def test_debrief_timeliness_each_month(facts: None, partnership: Any) -> None:
    chart = chart_debrief_timeliness(PERIOD)
    assert chart.columns == ["Month", "Children returned", "Debriefs held", "Held within 72 hours"]
    assert chart.rows == [
        ["January 2026", 2, 1, 1],
        ["February 2026", 1, 1, 0],
        ["March 2026", 0, 0, 0],
    ]
    assert chart.spec["encoding"]["xOffset"]["field"] == "series"


def test_episodes_by_age_and_sex(facts: None, partnership: Any) -> None:
    chart = chart_age_and_sex(PERIOD)
    assert chart.columns == ["Age when reported", "Female", "Male", "Not known"]
    assert chart.rows == [
        ["10 or under", 0, 0, 0],
        ["11 to 13", 0, 1, 0],
        ["14 to 15", 3, 0, 0],
        ["16 to 17", 0, 1, 0],
        ["18 or over", 0, 0, 0],
        ["Age not known", 0, 0, 1],
    ]


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_the_csv_withholds_small_counts(facts: None, client: Any, analyst: Any, settings: Any) -> None:
    settings.HAFAN_SMALL_NUMBER_THRESHOLD = 2
    client.force_login(analyst)
    response = client.get(reverse("analytics:chart_csv", args=["trend"]) + QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="hafan-trend-2026-01-01-to-2026-03-31.csv"'
    )
    rows = _csv(response)
    assert rows[0][0] == "Month"
    assert rows[1:] == [
        ["January 2026", "3", "2", "0"],
        ["February 2026", "2", "2", WITHHELD],
        ["March 2026", WITHHELD, WITHHELD, "0"],
    ]


def test_the_csv_at_the_default_threshold_shows_no_count_below_five(
    facts: None, client: Any, coordinator: Any
) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("analytics:chart_csv", args=["council-grade"]) + QUERY)
    rows = _csv(response)
    assert rows[0] == ["Council", "Very low", "Low", "Medium", "High", "Not graded"]
    cells = [cell for row in rows[1:] for cell in row[1:]]
    assert WITHHELD in cells
    assert all(cell in {"0", WITHHELD} for cell in cells)
    # ...and the same figures on the page are exact (it is inside the hub).
    page = client.get(reverse("analytics:charts") + QUERY).content.decode()
    assert WITHHELD not in page.split('data-testid="chart-council-grade"')[1].split("</table>")[0]


def test_the_csv_filters_like_the_dashboard(facts: None, client: Any, analyst: Any, settings: Any) -> None:
    settings.HAFAN_SMALL_NUMBER_THRESHOLD = 1
    client.force_login(analyst)
    response = client.get(reverse("analytics:chart_csv", args=["debriefs"]) + QUERY + "&council=CCBC")
    assert _csv(response)[1:] == [
        ["January 2026", "0", "0", "0"],
        ["February 2026", "0", "0", "0"],
        ["March 2026", "0", "0", "0"],
    ]


def test_a_bad_period_is_a_clear_400_and_an_unknown_chart_404(facts: None, client: Any, analyst: Any) -> None:
    client.force_login(analyst)
    response = client.get(
        reverse("analytics:chart_csv", args=["trend"]) + "?since=2026-03-01&until=2026-01-01"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "The end of the period must be on or after its start." in response.content.decode()
    assert client.get(reverse("analytics:chart_csv", args=["no-such-chart"])).status_code == 404
    page = client.get(reverse("analytics:charts") + "?since=yesterday")
    assert page.status_code == 200
    html = page.content.decode()
    assert "govuk-error-summary" in html and "this quarter so far instead" in html


def test_with_no_parameters_the_charts_show_this_quarter_so_far(client: Any, analyst: Any) -> None:
    client.force_login(analyst)
    today = timezone.localdate()
    first = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    response = client.get(reverse("analytics:chart_csv", args=["trend"]))
    assert response.status_code == 200
    assert f"hafan-trend-{first.isoformat()}-to-{today.isoformat()}.csv" in response["Content-Disposition"]
    assert len(_csv(response)) == 1 + (today.month - first.month + 1)


@pytest.mark.parametrize("persona", ALLOWED)
def test_those_who_may_open_the_dashboard_get_the_charts(
    persona: str, facts: None, client: Any, staff: dict[str, Any]
) -> None:
    client.force_login(staff[persona])
    page = client.get(reverse("analytics:charts") + QUERY)
    assert page.status_code == 200
    html = page.content.decode()
    for chart_id in ("trend", "council-grade", "debriefs", "age-sex"):
        assert f'data-testid="chart-{chart_id}"' in html
        assert f'id="chart-spec-{chart_id}"' in html
        assert reverse("analytics:chart_csv", args=[chart_id]) in html
        assert client.get(reverse("analytics:chart_csv", args=[chart_id]) + QUERY).status_code == 200


@pytest.mark.parametrize("persona", REFUSED)
def test_everyone_else_gets_404(persona: str, facts: None, client: Any, staff: dict[str, Any]) -> None:
    client.force_login(staff[persona])
    assert client.get(reverse("analytics:charts")).status_code == 404
    assert client.get(reverse("analytics:chart_csv", args=["trend"])).status_code == 404
    # The same 404 as a chart that does not exist: a refusal says nothing.
    assert client.get(reverse("analytics:chart_csv", args=["no-such-chart"])).status_code == 404


def test_signed_out_goes_to_sign_in(client: Any, db: Any) -> None:
    response = client.get(reverse("analytics:chart_csv", args=["trend"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_carries_each_spec_as_json_and_an_accessible_table(
    facts: None, client: Any, analyst: Any
) -> None:
    client.force_login(analyst)
    html = client.get(reverse("analytics:charts") + QUERY).content.decode()
    start = html.index('<script id="chart-spec-trend" type="application/json">') + len(
        '<script id="chart-spec-trend" type="application/json">'
    )
    spec = json.loads(html[start : html.index("</script>", start)])
    assert spec["mark"]["type"] == "line" and len(spec["data"]["values"]) == 9
    assert 'role="img"' in html and 'aria-label="Episodes reported each month' in html
    assert '<th scope="col" class="govuk-table__header">Month</th>' in html
    assert '<th scope="row" class="govuk-table__header">January 2026</th>' in html
    # No inline script runs: every <script> is either JSON data or a file from this server with the nonce.
    assert "<script>" not in html
    assert "vendor/vega/vega-embed-7.3.0.min.js" in html


def test_the_welsh_page_and_csv(facts: None, client: Any, analyst: Any) -> None:
    client.force_login(analyst)
    page = client.get("/cy" + reverse("analytics:charts") + QUERY)
    assert page.status_code == 200
    assert 'lang="cy"' in page.content.decode()
    assert "/cy/dashboard/charts/trend.csv?" in page.content.decode()
    assert client.get("/cy/dashboard/charts/trend.csv" + QUERY).status_code == 200
