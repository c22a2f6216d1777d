"""The places map in a real Chromium (issue 7, item 6): with no tile source configured the markers still show,
on a blank map with the area's outline, and the page asks nothing of any other server; axe-core passes."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hafan.core.vocabulary import FactCategory
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.people.services import PersonDetails, fact_add
from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.browser


def _police_place(child: Any, police: Any, summary: str) -> None:
    fact_add(
        child=child,
        agency=police,
        category=FactCategory.PLACE,
        summary=summary,
        recorded_on=timezone.localdate(),
        source="Niche RMS",
        actor=None,
    )


@pytest.mark.parametrize("language", ["", "/cy"])
def test_the_map_shows_markers_with_no_tiles_and_asks_no_other_server(
    live_server: Any,
    transactional_db: Any,
    partnership: dict[str, Any],
    staff: dict[str, Any],
    report_missing: Callable[..., Episode],
    new_page: Any,
    settings: Any,
    language: str,
) -> None:
    settings.HAFAN_MAP_TILE_URL = ""
    base = live_server.url
    episode = report_missing()
    episode_record_return(
        episode=episode,
        recorded_by=staff["coordinator"],
        returned_at=timezone.now() - datetime.timedelta(minutes=30),
        found_where="Newport bus station",
        found_by="police",
        harm_suffered=False,
    )
    other = report_missing(
        child_details=PersonDetails(
            given_name="Osian", family_name="Pritchard", date_of_birth=datetime.date(2010, 2, 3), sex="male"
        )
    )
    police = partnership["GWP"]
    _police_place(other.child, police, "Seen at Newport bus station")
    _police_place(other.child, police, "Caerphilly Castle grounds")
    _police_place(other.child, police, "Cwmbrân Stadium car park")

    page = new_page()
    sign_in(page, base, "coordinator", PERSONA_PASSWORD)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base}{language}/patterns/places/")

    the_map = page.get_by_test_id("places-map")
    expect(the_map).to_be_visible()
    markers = the_map.locator("path.hafan-places-map__marker")
    expect(markers).to_have_count(3)
    # No tiles: no tile pane images at all.
    expect(the_map.locator(".leaflet-tile")).to_have_count(0)
    # A marker opens a popup with the place, its counts and a link to its mentions.
    markers.first.click(force=True)
    popup = the_map.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("2")
    link = popup.get_by_role("link")
    assert "/patterns/places/newport-bus-station/?" in (link.get_attribute("href") or "")

    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    server = urlsplit(base).netloc
    elsewhere = [url for url in requested if not url.startswith("data:") and urlsplit(url).netloc != server]
    assert elsewhere == [], elsewhere
    # The drill-down the popup links to works too, and passes axe.
    with page.expect_navigation():
        link.click()
    expect(page.get_by_test_id("mention-row")).to_have_count(2)
    assert axe_violations(page) == []
