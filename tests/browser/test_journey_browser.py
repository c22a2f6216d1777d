"""The journey in a real browser: each person in their own Chromium context, clicking through the pages.

The coordinator reports a child and grades the risk; a supervisor confirms; the coordinator records the
return; Llamau's debrief worker holds the debrief and shares a place with the child's consent; the
coordinator then finds the place on the briefing and reads it in Welsh.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hafan.episodes.models import Episode
from tests.browser.conftest import sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
BRIEFING_URL = re.compile(r"/episodes/[0-9a-f-]{36}/$")
PLACE = "Flat above the chip shop, Commercial Road"


def _local(moment: datetime.datetime) -> str:
    """The value a datetime-local input takes, in the hub's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _signed_in(new_page: Any, base_url: str, username: str) -> Any:
    page = new_page()
    sign_in(page, base_url, username, PERSONA_PASSWORD)
    return page


def test_the_journey_in_chromium(
    live_server: Any, transactional_db: Any, staff: dict[str, Any], new_page: Any
) -> None:
    base = live_server.url
    now = timezone.now()

    # The coordinator reports Cerys missing from the start page.
    coordinator = _signed_in(new_page, base, "coordinator")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Children missing now")
    coordinator.get_by_role("button", name="Report a missing child").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Report a missing child")
    coordinator.fill("#id_given_name", "Cerys")
    coordinator.fill("#id_family_name", "Jones")
    coordinator.fill("#id_date_of_birth", "2011-03-04")
    coordinator.get_by_label("Female", exact=True).check()
    coordinator.fill("#id_nhs_number", "943 476 5919")
    coordinator.select_option("#id_council", label="Newport City Council")
    coordinator.get_by_label("Missing from home", exact=True).check()
    coordinator.fill("#id_reported_at", _local(now))
    coordinator.fill("#id_reporter_name", "Sian Jones (mother)")
    coordinator.fill("#id_last_seen_at", _local(now - datetime.timedelta(hours=3)))
    coordinator.fill("#id_last_seen_place", "Newport bus station")
    coordinator.fill("#id_circumstances", "Left after an argument; phone switched off.")
    coordinator.fill("#id_clothing", "Green parka, white trainers")
    coordinator.get_by_role("button", name="Report the child missing").click()

    expect(coordinator).to_have_url(BRIEFING_URL)
    briefing_url = coordinator.url
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("Cerys Jones")
    expect(coordinator.locator(".govuk-notification-banner--success")).to_contain_text("opened")
    expect(coordinator.get_by_test_id("current-risk")).to_have_text("This episode has not been graded yet.")

    # ... and grades the risk.
    coordinator.get_by_role("button", name="Record a risk grade").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Record a risk grade")
    coordinator.get_by_label("High", exact=True).check()
    coordinator.get_by_label("Child sexual exploitation concern").check()
    coordinator.fill("#id_rationale", "Seen getting into a car with older men; phone off.")
    coordinator.fill("#id_next_review_due", "")  # blank: the review interval for the grade
    coordinator.get_by_role("button", name="Record the grade").click()
    expect(coordinator).to_have_url(briefing_url)
    risk = coordinator.get_by_test_id("current-risk")
    expect(risk).to_contain_text("High")
    expect(risk).to_contain_text("Awaiting supervisor confirmation")
    coordinator.get_by_test_id("sign-out").click()
    expect(coordinator).to_have_url(re.compile(r"/accounts/login/"))

    # The supervisor finds the episode on the start page and confirms the grade.
    supervisor = _signed_in(new_page, base, "supervisor")
    reference = Episode.objects.get().reference
    supervisor.get_by_test_id("episode-table").get_by_role("link", name=reference).click()
    expect(supervisor).to_have_url(briefing_url)
    supervisor.get_by_role("button", name="Confirm this grade").click()
    expect(supervisor).to_have_url(briefing_url)
    expect(supervisor.get_by_test_id("current-risk")).to_contain_text("Confirmed by Bethan Morgan")
    expect(supervisor.get_by_role("button", name="Confirm this grade")).to_have_count(0)

    # Cerys comes home: the coordinator records the return.
    coordinator = _signed_in(new_page, base, "coordinator")
    coordinator.goto(briefing_url)
    coordinator.get_by_role("button", name="Record found or returned").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(
        "Record that the child is found or has returned"
    )
    coordinator.fill("#id_found_where", "Friend's flat, Pill")
    coordinator.get_by_label("Police", exact=True).check()
    coordinator.get_by_label("No", exact=True).check()
    coordinator.get_by_role("button", name="Record the return").click()
    expect(coordinator).to_have_url(briefing_url)
    expect(coordinator.locator(".govuk-notification-banner--success")).to_contain_text(
        "A debrief offer was sent to Llamau"
    )
    expect(coordinator.get_by_test_id("debrief-status")).to_contain_text("Awaiting an offer")

    # Llamau's debrief worker lands on the queue, opens the debrief and records it held.
    debrief = _signed_in(new_page, base, "debrief")
    expect(debrief.get_by_role("heading", level=1)).to_have_text("Debrief workspace")
    debrief.get_by_test_id("debrief-queue").get_by_role("link", name="Cerys Jones").click()
    expect(debrief.get_by_role("heading", level=1)).to_have_text("Debrief for Cerys Jones")
    held = _local(timezone.now())
    debrief.get_by_label("Held", exact=True).check()
    debrief.fill("#id_offered_at", held)
    debrief.fill("#id_held_at", held)
    debrief.fill("#id_where_went", "A flat above a shop in Pill")
    debrief.fill("#id_who_with", "An older lad called Jay")
    # Each finding carries its own sharing decision: this place, the child agreed to share.
    debrief.select_option("#id_findings-0-kind", "place")
    debrief.fill("#id_findings-0-text", PLACE)
    debrief.locator("#id_findings-0-share_0").check()
    debrief.get_by_role("button", name="Save the debrief").click()
    expect(debrief).to_have_url(re.compile(r"/debriefs/$"))
    expect(debrief.locator(".govuk-notification-banner--success")).to_contain_text("recorded")
    expect(debrief.get_by_test_id("queue-empty")).to_be_visible()

    # The coordinator sees what Cerys agreed to share on the briefing, then reads it in Welsh.
    coordinator = _signed_in(new_page, base, "coordinator")
    coordinator.goto(briefing_url)
    learnt = coordinator.get_by_test_id("learnt-in-debriefs")
    expect(learnt).to_contain_text(PLACE)
    expect(learnt).to_contain_text("Llamau debrief")
    expect(coordinator.get_by_test_id("debrief-status")).to_contain_text("Held")
    SCREENSHOTS.mkdir(exist_ok=True)
    coordinator.screenshot(path=str(SCREENSHOTS / "journey-briefing-en.png"), full_page=True)
    coordinator.get_by_role("link", name="Cymraeg").click()
    expect(coordinator).to_have_url(re.compile(r"/cy/episodes/[0-9a-f-]{36}/$"))
    expect(coordinator.locator("html")).to_have_attribute("lang", "cy")
    expect(coordinator.get_by_test_id("learnt-in-debriefs")).to_contain_text(PLACE)
    expect(coordinator.get_by_role("link", name="English")).to_be_visible()
    coordinator.screenshot(path=str(SCREENSHOTS / "journey-briefing-cy.png"), full_page=True)
