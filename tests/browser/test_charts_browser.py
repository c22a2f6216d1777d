"""The dashboard's charts in a real Chromium (issue 8, item 2): Vega draws an SVG for every chart under the site's
own CSP (no 'unsafe-eval', no inline script or style: the expression interpreter is used), nothing is asked of any
other server, and axe-core passes. Without JavaScript the tables alone show."""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hafan.analytics.models import EpisodeFact
from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.browser

QUERY = "?since=2026-01-01&until=2026-06-30"
CHART_IDS = ["trend", "council-grade", "debriefs", "age-sex"]


def _seed() -> None:
    rows = []
    for key in range(1, 41):
        day = datetime.date(2026, 1 + key % 6, 1 + key % 27)
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        rows.append(
            EpisodeFact(
                episode_key=key,
                child_key=1000 + key % 13,
                reported_at=at,
                reported_on=day,
                month=day.replace(day=1),
                returned_at=at + datetime.timedelta(hours=5) if key % 3 else None,
                category="missing",
                council=["NCC", "CCBC", "TCBC", ""][key % 4],
                care_status="looked_after" if key % 2 else "none",
                sex=["female", "male", "unknown"][key % 3],
                age_years=11 + key % 7,
                age_band=["11-13", "14-15", "16-17"][key % 3],
                grade=["high", "medium", "low", "very_low", ""][key % 5],
                repeat=key % 7 == 0,
                debrief_held=key % 3 == 1,
                debrief_held_in_time=key % 6 == 1,
                refreshed_at=at,
            )
        )
    EpisodeFact.objects.bulk_create(rows)


@pytest.mark.parametrize("language", ["", "/cy"])
def test_every_chart_is_drawn_under_the_csp_and_asks_no_other_server(
    live_server: Any,
    transactional_db: Any,
    partnership: dict[str, Any],
    staff: dict[str, Any],
    new_page: Any,
    language: str,
) -> None:
    _seed()
    base = live_server.url
    page = new_page()
    sign_in(page, base, "coordinator", PERSONA_PASSWORD)
    requested: list[str] = []
    console: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}{language}/dashboard/charts/{QUERY}")

    for chart_id in CHART_IDS:
        figure = page.get_by_test_id(f"chart-{chart_id}")
        canvas = figure.get_by_test_id("chart-canvas")
        expect(canvas).to_have_attribute("data-chart-drawn", "true")
        expect(canvas).to_be_visible()
        expect(canvas.locator("svg")).to_have_count(1)
        # Marks were drawn (lines or bars), not an empty frame.
        assert canvas.locator("svg path, svg rect").count() > 3, chart_id
        assert canvas.get_attribute("role") == "img"
        assert (canvas.get_attribute("aria-label") or "").strip()
        expect(figure.get_by_test_id("chart-table")).to_be_visible()
    # No actions menu linking to the online editor, no stylesheet injected.
    assert page.locator(".vega-actions, .vega-embed details").count() == 0
    assert page.locator("style").count() == 0

    csp = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert csp == [], csp
    assert errors == [], errors
    assert [line for line in console if line.startswith("error")] == [], console
    server = urlsplit(base).netloc
    elsewhere = [url for url in requested if not url.startswith("data:") and urlsplit(url).netloc != server]
    assert elsewhere == [], elsewhere

    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)

    # The CSV link downloads the figures from this server.
    with page.expect_download() as download:
        page.get_by_test_id("chart-trend").get_by_test_id("chart-csv").click()
    assert download.value.suggested_filename == "hafan-trend-2026-01-01-to-2026-06-30.csv"


def test_without_javascript_the_tables_show(
    live_server: Any, transactional_db: Any, partnership: dict[str, Any], staff: dict[str, Any], chromium: Any
) -> None:
    _seed()
    base = live_server.url
    signed_in = chromium.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = signed_in.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base, "coordinator", PERSONA_PASSWORD)
        state = signed_in.storage_state()
    finally:
        signed_in.close()
    context = chromium.new_context(java_script_enabled=False, storage_state=state)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base}/dashboard/charts/{QUERY}")
        expect(page.get_by_test_id("chart-table")).to_have_count(len(CHART_IDS))
        for chart_id in CHART_IDS:
            figure = page.get_by_test_id(f"chart-{chart_id}")
            expect(figure.get_by_test_id("chart-table")).to_be_visible()
            expect(figure.get_by_test_id("chart-canvas")).to_be_hidden()
            expect(figure.get_by_test_id("chart-csv")).to_be_visible()
    finally:
        context.close()
