"""The information call in a real browser: the coordinator has the briefing open; the health board's nurse, in
her own Chromium context, answers the hub's request on her page; the coordinator's briefing shows the answer
without being reloaded (the panel asks for itself every HAFAN_LIVE_POLL_SECONDS, here 1 second)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from hafan.episodes.models import Episode
from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.browser

ASTHMA = "Asthma: carries a blue inhaler, attacks when stressed"


def test_an_answer_reaches_the_open_briefing_without_a_reload(
    live_server: Any,
    transactional_db: Any,
    staff: dict[str, Any],
    report_missing: Callable[..., Episode],
    new_page: Any,
    settings: Any,
) -> None:
    settings.HAFAN_LIVE_POLL_SECONDS = 1
    base = live_server.url
    episode = report_missing()

    coordinator = new_page()
    sign_in(coordinator, base, "coordinator", PERSONA_PASSWORD)
    coordinator.goto(f"{base}/episodes/{episode.public_id}/")
    panel = coordinator.get_by_test_id("information-call")
    health = panel.locator('[data-testid="information-request"][data-agency="ABUHB"]')
    expect(health.get_by_test_id("information-status")).to_have_text("Waiting for an answer")
    # Anything the page holds in memory survives only if the page is never reloaded.
    coordinator.evaluate("() => { window.hafanNotReloaded = true; }")

    nurse = new_page()
    sign_in(nurse, base, "nurse", PERSONA_PASSWORD)
    nurse.goto(f"{base}/episodes/information-requests/")
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Information requests for your agency")
    nurse.get_by_test_id("information-requests").get_by_role("link", name="Cerys Jones").click()
    expect(nurse.get_by_test_id("information-request-summary")).to_contain_text(episode.reference)
    assert axe_violations(nurse) == []
    nurse.select_option("#id_category_1", label="Health needs")
    nurse.fill("#id_summary_1", ASTHMA)
    nurse.get_by_role("button", name="Send the answer").click()
    expect(nurse.locator(".govuk-notification-banner--success")).to_contain_text(episode.reference)
    expect(nurse.get_by_test_id("information-requests-empty")).to_be_visible()

    # The coordinator's open briefing catches up on its own.
    health = coordinator.get_by_test_id("information-call").locator(
        '[data-testid="information-request"][data-agency="ABUHB"]'
    )
    expect(health.get_by_test_id("information-status")).to_have_text("Answered", timeout=10_000)
    expect(health.get_by_test_id("information-answer")).to_contain_text(ASTHMA)
    expect(health.get_by_test_id("information-answer")).to_contain_text("Answered by Delyth Rees")
    assert coordinator.evaluate("() => window.hafanNotReloaded === true")
    assert axe_violations(coordinator) == []
