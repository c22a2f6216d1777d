"""Places across children (issue 7, item 6): the selector's counts on a seeded scenario, who may see the
pages, the drill-down's audit and disclosure log, and the map page with and without tiles."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.analytics.place_selectors import place_detail_for, place_patterns_for
from hafan.analytics.places import unlocated_key
from hafan.core.context_processors import hafan as hafan_context
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import FactCategory, Purpose, ShareBasis
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.people.services import PersonDetails, fact_add, fact_restrict
from hafan.sharing.models import AuditEvent, Disclosure

pytestmark = pytest.mark.django_db


def _place_fact(child: Any, agency: Agency, summary: str, **kwargs: Any) -> Any:
    return fact_add(
        child=child,
        agency=agency,
        category=FactCategory.PLACE,
        summary=summary,
        recorded_on=timezone.localdate(),
        source=kwargs.pop("source", "Niche RMS"),
        actor=kwargs.pop("actor", None),
        **kwargs,
    )


@pytest.fixture
def scenario(
    report_missing: Callable[..., Episode],
    partnership: dict[str, Agency],
    staff: dict[str, Any],
    coordinator: Any,
) -> dict[str, Any]:
    """Cerys (Newport) was found at Newport bus station, told the debrief she went to Friars Walk, and the
    police record her at the bus station; Rhys (Caerphilly) is recorded by the police at the bus station and
    at Caerphilly Castle, and at Pontypool Park in a fact the police restricted; both at "a friend's flat"."""
    now = timezone.now()
    cerys = report_missing()
    cerys = episode_record_return(
        episode=cerys,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(minutes=30),
        found_where="Newport bus station",
        found_by="police",
        harm_suffered=False,
        found_council=partnership["NCC"],
    )
    child = cerys.child
    said = _place_fact(
        child,
        partnership["LLAMAU"],
        "Friars Walk, Newport",
        source="Llamau debrief (consent)",
        actor=staff["debrief"],
        purpose=Purpose.DEBRIEF,
        debrief=cerys.debrief,
        share_basis=ShareBasis.CONSENT,
    )
    _place_fact(child, partnership["GWP"], "Place: Newport bus station")
    _place_fact(child, partnership["GWP"], "A friend's flat")
    rhys = report_missing(
        child_details=PersonDetails(
            given_name="Rhys", family_name="Pritchard", date_of_birth=datetime.date(2010, 5, 6), sex="male"
        ),
        council=partnership["CCBC"],
    )
    other = rhys.child
    _place_fact(other, partnership["GWP"], "Seen at Newport bus station")
    _place_fact(other, partnership["GWP"], "Caerphilly Castle grounds")
    _place_fact(other, partnership["GWP"], "a friend's flat")
    restricted = _place_fact(other, partnership["GWP"], "Pontypool Park")
    fact_restrict(fact=restricted, user=coordinator, reason="Live operation")
    # Out of the period: recorded two years ago.
    fact_add(
        child=other,
        agency=partnership["GWP"],
        category=FactCategory.PLACE,
        summary="Barry Island",
        recorded_on=timezone.localdate() - datetime.timedelta(days=730),
        source="Niche RMS",
        actor=None,
    )
    return {"cerys": cerys, "rhys": rhys, "said": said}


def _period() -> dict[str, datetime.date]:
    today = timezone.localdate()
    return {"since": today - datetime.timedelta(days=60), "until": today}


def _by_key(result: Any) -> dict[str, Any]:
    return {g.key: g for g in [*result.clusters, *result.unlocated]}


def test_counts_on_a_seeded_scenario(scenario: dict[str, Any], social_worker: Any) -> None:
    before = AuditEvent.objects.count()
    result = place_patterns_for(social_worker, **_period())
    groups = _by_key(result)
    newport = groups["newport-bus-station"]
    assert newport.count == 4 and newport.children == 2
    assert newport.by_kind == {"found": 1, "said": 1, "agency": 2}
    assert {m.id for m in newport.members} == {"newport-bus-station", "friars-walk"}
    assert groups["caerphilly-castle"].count == 1
    flat = groups[unlocated_key("A friend's flat")]
    assert flat.count == 2 and flat.children == 2 and flat.label
    # The police restricted Pontypool Park: a social worker's counts leave it out; out-of-period Barry too.
    assert "pontypool-park" not in groups
    assert "barry-island" not in groups
    # One audit row, with counts and no child.
    (event,) = AuditEvent.objects.order_by("pk")[before:]
    assert event.target_type == "place_patterns" and event.child_public_id is None
    assert event.detail["mentions"] == 7 and event.detail["clusters"] == 2


def test_the_owning_agency_still_counts_its_restricted_fact(
    scenario: dict[str, Any], coordinator: Any
) -> None:
    groups = _by_key(place_patterns_for(coordinator, **_period()))
    assert groups["pontypool-park"].count == 1


def test_council_filter(scenario: dict[str, Any], social_worker: Any) -> None:
    groups = _by_key(place_patterns_for(social_worker, council="CCBC", **_period()))
    assert groups["newport-bus-station"].count == 1 and groups["newport-bus-station"].children == 1
    assert groups["newport-bus-station"].by_kind == {"found": 0, "said": 0, "agency": 1}
    groups = _by_key(place_patterns_for(social_worker, council="NCC", **_period()))
    assert "caerphilly-castle" not in groups and groups["newport-bus-station"].count == 3


@pytest.mark.parametrize("persona", ["debrief_worker", "analyst", "outsider", "auditor", "administrator"])
def test_no_access_outside_hub_casework(scenario: dict[str, Any], persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(NotFoundOrNoAccess):
        place_patterns_for(user, **_period())
    with pytest.raises(NotFoundOrNoAccess):
        place_detail_for(user, key="newport-bus-station", **_period())


PAGES = ["/patterns/", "/patterns/places/", "/patterns/places/newport-bus-station/"]


@pytest.mark.parametrize("persona", ["debrief", "analyst", "outsider", "caseworker", "auditor", "admin"])
def test_pages_are_404_outside_hub_casework(
    scenario: dict[str, Any], client: Any, staff: dict[str, Any], persona: str
) -> None:
    client.force_login(staff[persona])
    for url in PAGES:
        assert client.get(url).status_code == 404, url
    request = RequestFactory().get("/")
    request.user = staff[persona]
    assert hafan_context(request)["nav"]["patterns"] is False


def test_landing_page_and_navigation(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)
    response = client.get("/patterns/")
    assert response.status_code == 200
    assert b'href="/patterns/places/"' in response.content
    assert b'data-testid="nav-patterns"' in response.content
    assert client.post("/patterns/places/").status_code == 405


def test_places_page_with_no_tiles(
    scenario: dict[str, Any], client: Any, social_worker: Any, settings: Any
) -> None:
    settings.HAFAN_MAP_TILE_URL = ""
    client.force_login(social_worker)
    response = client.get("/patterns/places/")
    assert response.status_code == 200
    html = response.content.decode()
    data = json.loads(
        re.search(r'<script id="places-map-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )  # type: ignore[index]
    assert data["tiles"] is None
    assert [c["key"] for c in data["clusters"]] == ["newport-bus-station", "caerphilly-castle"]
    assert data["clusters"][0]["count"] == 4
    assert data["clusters"][0]["url"].startswith("/patterns/places/newport-bus-station/?since=")
    # No tile image and no tile URL anywhere in the page.
    assert "<img" not in html
    assert "{z}" not in html and "tileLayer" not in html
    assert "<script>" not in html  # nothing inline
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"] + ";"
    rows = re.findall(r'data-testid="place-row" data-key="([^"]+)"', html)
    assert rows[:2] == ["newport-bus-station", "caerphilly-castle"]
    assert unlocated_key("A friend's flat") in rows
    assert 'aria-sort="descending"' in html


def test_places_page_with_tiles(
    scenario: dict[str, Any], client: Any, social_worker: Any, settings: Any
) -> None:
    settings.HAFAN_MAP_TILE_URL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    settings.HAFAN_MAP_TILE_ATTRIBUTION = "Example tiles"
    client.force_login(social_worker)
    response = client.get("/patterns/places/")
    html = response.content.decode()
    data = json.loads(
        re.search(r'<script id="places-map-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )  # type: ignore[index]
    assert data["tiles"] == {"url": settings.HAFAN_MAP_TILE_URL, "attribution": "Example tiles"}
    policy = response.headers["Content-Security-Policy"]
    img_src = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert "https://*.tiles.example.org" in img_src
    assert "tiles.example.org" not in next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    # Other pages do not allow the tile host.
    assert "tiles.example.org" not in client.get("/patterns/").headers["Content-Security-Policy"]


@pytest.mark.parametrize(("url", "tiles"), [("javascript:alert(1)", False), ("/tiles/{z}/{x}/{y}.png", True)])
def test_a_tile_url_that_is_not_absolute(
    scenario: dict[str, Any], client: Any, social_worker: Any, settings: Any, url: str, tiles: bool
) -> None:
    settings.HAFAN_MAP_TILE_URL = url
    client.force_login(social_worker)
    response = client.get("/patterns/places/")
    html = response.content.decode()
    data = json.loads(
        re.search(r'<script id="places-map-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )  # type: ignore[index]
    assert (data["tiles"] is not None) is tiles
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"] + ";"


def test_sorting_and_filters_on_the_page(scenario: dict[str, Any], client: Any, social_worker: Any) -> None:
    client.force_login(social_worker)
    html = client.get("/patterns/places/?sort=label").content.decode()
    rows = re.findall(r'data-testid="place-row" data-key="([^"]+)"', html)
    assert rows[:2] == ["caerphilly-castle", "newport-bus-station"]
    assert re.search(r'aria-sort="ascending"><a class="govuk-link" href="\?sort=label"', html)
    bad = client.get("/patterns/places/?since=2026-05-01&until=2026-01-01")
    assert bad.status_code == 200 and b"govuk-error-summary" in bad.content
    assert b'data-testid="place-row"' not in bad.content
    nonsense = client.get("/patterns/places/?since=not-a-date")
    assert nonsense.status_code == 200 and b"govuk-error-summary" in nonsense.content
    council = client.get("/patterns/places/?council=CCBC").content.decode()
    assert "caerphilly-castle" in council
    assert client.get("/patterns/places/?council=NOPE").status_code == 200


def test_drill_down_shows_each_mention_audits_and_logs_disclosures(
    scenario: dict[str, Any], client: Any, social_worker: Any
) -> None:
    client.force_login(social_worker)
    audits = AuditEvent.objects.count()
    disclosures = Disclosure.objects.count()
    response = client.get("/patterns/places/newport-bus-station/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="mention-row"') == 4
    for kind in ("Found here", "Said they went", "Agency record"):
        assert kind in html
    assert f'href="/children/{scenario["cerys"].child.public_id}/"' in html
    assert f'href="/children/{scenario["rhys"].child.public_id}/"' in html
    assert scenario["cerys"].reference in html and "Llamau debrief (consent)" in html
    events = list(AuditEvent.objects.order_by("pk")[audits:])
    viewed = {e.child_public_id for e in events if e.target_type == "place_pattern"}
    assert viewed == {scenario["cerys"].child.public_id, scenario["rhys"].child.public_id}
    logged = list(Disclosure.objects.order_by("pk")[disclosures:])
    assert {d.from_agency.code for d in logged} == {"GWP", "LLAMAU"}
    assert all(d.target_type == "place_pattern" and d.target_id == "newport-bus-station" for d in logged)
    # A member's key finds its cluster; an unknown key is 404 like any refusal.
    assert client.get("/patterns/places/friars-walk/").status_code == 200
    assert client.get("/patterns/places/nowhere-at-all/").status_code == 404
    unlocated = client.get(f"/patterns/places/{unlocated_key('a friends flat')}/")
    assert unlocated.status_code == 200 and unlocated.content.decode().count('data-testid="mention-row"') == 2


def test_restricted_fact_is_not_shown_in_the_drill_down(
    scenario: dict[str, Any], client: Any, social_worker: Any
) -> None:
    client.force_login(social_worker)
    assert client.get("/patterns/places/pontypool-park/").status_code == 404


def test_welsh_page(scenario: dict[str, Any], client: Any, social_worker: Any) -> None:
    client.force_login(social_worker)
    response = client.get("/cy/patterns/places/")
    assert response.status_code == 200
    assert "Gorsaf fysiau Casnewydd" in response.content.decode()
