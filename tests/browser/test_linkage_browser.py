"""The review queue and splitting an identity, walked in Chromium."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from hafan.core.vocabulary import Purpose
from hafan.linkage.models import DecisionStatus
from hafan.linkage.records import FieldEvidence, PairScore
from hafan.linkage.services import decision_upsert
from hafan.people.models import Child, SourceRecord
from hafan.people.services import PersonDetails, child_create, source_record_upsert
from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.browser


def _identity(partnership: dict[str, Any], code: str, local_id: str, details: PersonDetails) -> SourceRecord:
    child = child_create(details=details, actor=None, purpose=Purpose.AGENCY_FEED)
    return source_record_upsert(
        child=child,
        agency=partnership[code],
        system="Test",
        local_id=local_id,
        details=details,
        recorded_on=datetime.date(2026, 10, 1),
        actor=None,
    )


def test_review_a_possible_match_then_split_the_identity(
    live_server: Any, transactional_db: Any, staff: dict[str, Any], partnership: dict[str, Any], new_page: Any
) -> None:
    dob = datetime.date(2011, 6, 2)
    police = _identity(
        partnership,
        "GWP",
        "P-1",
        PersonDetails(given_name="Dai", family_name="Rees", date_of_birth=dob, postcode="NP20 1AA"),
    )
    school = _identity(
        partnership,
        "CCBC",
        "S-1",
        PersonDetails(given_name="Dafydd", family_name="Rees", date_of_birth=dob, postcode="NP20 1AB"),
    )
    left, right = sorted((police, school), key=lambda r: r.pk)
    decision_upsert(
        score=PairScore(
            left_id=left.pk,
            right_id=right.pk,
            probability=0.91,
            match_weight=3.3,
            evidence=(
                FieldEvidence("date_of_birth", "exact", 7.1),
                FieldEvidence("given_name", "same_name_other_form", 4.2),
                FieldEvidence("postcode", "same_district", 1.5),
            ),
        ),
        model_version=None,
        status=DecisionStatus.PENDING,
    )

    page = new_page()
    sign_in(page, live_server.url, "coordinator", PERSONA_PASSWORD)
    page.get_by_role("link", name="Possible matches").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible matches to review")
    page.locator("main a[href*='/linkage/review/']").first.click()
    evidence = page.get_by_test_id("evidence")
    expect(evidence).to_contain_text("Same date of birth")
    expect(evidence).to_contain_text("The same first name in another form")
    expect(evidence).to_contain_text("strong evidence for")
    assert axe_violations(page) == []
    page.get_by_label("Yes, the same child").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Records linked")
    police.refresh_from_db()
    school.refresh_from_db()
    assert police.child_id == school.child_id

    # The merge was wrong after all: split the school's record back out.
    survivor = Child.objects.get(pk=police.child_id)
    page.goto(f"{live_server.url}/linkage/children/{survivor.public_id}/")
    page.get_by_label(re.compile(r"S-1")).check()
    page.fill(
        "#id_reason", "Different children: the school confirmed Dafydd Rees is in year 11, Dai in year 8."
    )
    page.get_by_role("button", name="Split into a new identity").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Identity split")
    school.refresh_from_db()
    police.refresh_from_db()
    assert school.child_id != police.child_id
    assert axe_violations(page) == []
