"""Every page of the journey, in English and in Welsh, passes axe-core's WCAG 2.2 A and AA rules.

The pages are filled with a realistic case first (agency facts, a response plan, a risk grade, earlier
episodes, a debrief shared back, referrals) so that axe checks the markup people actually see, not
empty states. Each page is checked as the persona who uses it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hafan.core.vocabulary import FactCategory
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.feedback.services import feedback_link_create
from hafan.people.services import PersonDetails, fact_add, response_plan_propose
from hafan.referrals.models import Service, ServiceKind
from hafan.referrals.services import referral_send
from hafan.risk.services import risk_grade_record
from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.browser

LANGUAGES = {"en": "", "cy": "/cy"}


@dataclass(frozen=True)
class Scene:
    briefing: (
        str  # Cerys: missing now, graded, with a plan, facts, earlier episodes and a debrief shared back
    )
    debrief: str  # Dylan: returned three hours ago, his debrief awaiting an offer
    referral: str  # Cerys's referral to the exploitation service
    feedback: str  # the one-time feedback link for Cerys's held debrief


def _returned(episode: Episode, by: Any, after: datetime.timedelta, where: str = "Newport Market") -> Episode:
    return episode_record_return(
        episode=episode,
        recorded_by=by,
        returned_at=episode.reported_at + after,
        found_where=where,
        found_by="carer",
        harm_suffered=False,
    )


@pytest.fixture
def scene(
    transactional_db: Any,
    partnership: dict[str, Any],
    staff: dict[str, Any],
    report_missing: Callable[..., Episode],
) -> Scene:
    coordinator, debrief_worker = staff["coordinator"], staff["debrief"]
    now = timezone.now()

    # Cerys has been missing twice before in the last month; the first debrief shared a place.
    for days_ago in (25, 10):
        earlier = _returned(
            report_missing(
                reported_at=now - datetime.timedelta(days=days_ago),
                last_seen_at=now - datetime.timedelta(days=days_ago, hours=2),
            ),
            coordinator,
            datetime.timedelta(hours=9),
        )
    debrief_record(
        debrief=earlier.debrief,
        worker=debrief_worker,
        status="held",
        offered_at=earlier.returned_at + datetime.timedelta(hours=1),
        held_at=earlier.returned_at + datetime.timedelta(hours=20),
        indicators=["cce"],
        share_basis="consent",
        places_to_share="Flat above the chip shop, Commercial Road",
        associates_to_share="'Jay', about 19",
    )
    current = report_missing()
    child = current.child
    for code, category, summary in (
        ("GWP", FactCategory.WARNING_MARKER, "Warning marker: associates with a county lines group"),
        ("NCC", FactCategory.LOOKED_AFTER, "Looked after since 2022, placed with foster carers in Bettws"),
        ("ABUHB", FactCategory.HEALTH_NEED, "Takes sertraline daily; missed a CAMHS appointment"),
        ("CCBC", FactCategory.ATTENDANCE, "Attendance 61% this term"),
    ):
        fact_add(
            child=child,
            agency=partnership[code],
            category=category,
            summary=summary,
            recorded_on=timezone.localdate() - datetime.timedelta(days=30),
            source=f"{code} case system",
            actor=coordinator,
        )
    response_plan_propose(
        child=child,
        proposed_by=staff["socialworker"],
        plan="Always treat as high risk. Carer to search Pill and the bus station first.",
        treat_as_grade="high",
        likelihood="high",
        harm="high",
        review_due=timezone.localdate() + datetime.timedelta(days=60),
        based_on=None,
    )
    risk_grade_record(
        episode=current,
        author=coordinator,
        grade="high",
        factors=["cce", "repeat"],
        rationale="Third episode this month; county lines concern.",
        next_review_due=now + datetime.timedelta(hours=1),
    )
    _link, token = feedback_link_create(debrief=earlier.debrief, actor=debrief_worker)
    referral = referral_send(
        child=child,
        service=Service.objects.get(kind=ServiceKind.EXPLOITATION),
        referred_by=staff["socialworker"],
        reason="County lines concern",
        consent_given=True,
        episode=current,
    )

    # Dylan came home three hours ago; his debrief has a referral already.
    dylan = _returned(
        report_missing(
            child_details=PersonDetails(
                given_name="Dylan", family_name="Morgan", date_of_birth=datetime.date(2010, 1, 2), sex="male"
            ),
            reported_at=now - datetime.timedelta(hours=8),
            last_seen_at=now - datetime.timedelta(hours=9),
        ),
        coordinator,
        datetime.timedelta(hours=5),
        where="Cwmbran bus station",
    )
    referral_send(
        child=dylan.child,
        service=Service.objects.get(kind=ServiceKind.PEER_MENTORING),
        referred_by=debrief_worker,
        reason="Wants someone to talk to",
        consent_given=True,
        episode=dylan,
        debrief=dylan.debrief,
    )
    return Scene(
        briefing=f"/episodes/{current.public_id}/",
        debrief=f"/debriefs/{dylan.debrief.public_id}/",
        referral=f"/referrals/{referral.public_id}/",
        feedback=f"/feedback/{token}/",
    )


# page name -> (persona signed in, or None; path in the scene)
PAGES: dict[str, tuple[str | None, Callable[[Scene], str]]] = {
    "login": (None, lambda s: "/accounts/login/"),
    "home": ("coordinator", lambda s: "/"),
    "report": ("coordinator", lambda s: "/episodes/report/"),
    "report-with-errors": ("coordinator", lambda s: "/episodes/report/"),
    "briefing": ("coordinator", lambda s: s.briefing),
    "risk": ("coordinator", lambda s: f"{s.briefing}risk/"),
    "return": ("coordinator", lambda s: f"{s.briefing}return/"),
    "debrief-queue": ("debrief", lambda s: "/debriefs/"),
    "debrief-detail": ("debrief", lambda s: s.debrief),
    "dashboard": ("coordinator", lambda s: "/dashboard/"),  # the casework view also lists children
    # Issue 7: referrals, patterns across children, the young person's feedback.
    "referral": ("socialworker", lambda s: s.referral),
    "referrals-sent": ("socialworker", lambda s: "/referrals/sent/"),
    "service-directory": ("debrief", lambda s: "/referrals/services/"),
    "patterns": ("coordinator", lambda s: "/patterns/"),
    "places": ("coordinator", lambda s: "/patterns/places/"),
    "co-missing": ("coordinator", lambda s: "/patterns/co-missing/"),
    "persons-of-concern": ("coordinator", lambda s: "/patterns/persons/"),
    "feedback-results": ("debrief", lambda s: "/feedback/results/"),
    "feedback-form": (None, lambda s: s.feedback),
    # Issue 8: impact, charts and reports (the analyst's view).
    "impact": ("analyst", lambda s: "/dashboard/impact/"),
    "impact-trend": ("analyst", lambda s: "/dashboard/impact/trend/"),
    "charts": ("analyst", lambda s: "/dashboard/charts/"),
    "reports": ("analyst", lambda s: "/dashboard/reports/"),
    "audit-trail": ("auditor", lambda s: "/audit/"),
}


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_wcag_violations(
    live_server: Any, scene: Scene, new_page: Callable[[], Any], name: str, language: str
) -> None:
    persona, path_of = PAGES[name]
    page = new_page()
    if persona:
        sign_in(page, live_server.url, persona, PERSONA_PASSWORD)
    url = f"{live_server.url}{LANGUAGES[language]}{path_of(scene)}"
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, f"{url} answered {response.status}"
    expect(page.locator("html")).to_have_attribute("lang", language)
    if name == "report-with-errors":
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()

    violations = axe_violations(page)

    assert violations == [], f"{name} ({language}, {page.url}):\n" + json.dumps(
        violations, indent=2, ensure_ascii=False
    )
