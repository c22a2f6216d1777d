"""Emergency (break-glass) access: re-authentication, a reason, a time limit, and the officer's review."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
import time_machine
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from hafan.accounts.services import staff_create
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Relation, Role
from hafan.linkage.services import child_merge
from hafan.people.identifiers import format_nhs_number, synthetic_nhs_number
from hafan.people.models import Child
from hafan.people.services import PersonDetails
from hafan.sharing.access import relation_to
from hafan.sharing.models import AuditAction, AuditEvent, BreakGlassGrant, BreakGlassReason
from hafan.sharing.services import BREAK_GLASS_PASSWORD_LIMIT, break_glass_open, break_glass_review
from tests.conftest import PERSONA_PASSWORD

JUSTIFICATION = "Found in a car with an adult known to police, at 02:00; no allocated worker on duty."
REASON = BreakGlassReason.IMMEDIATE_RISK


@pytest.fixture(autouse=True)
def _english() -> Any:
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def nhs_number() -> str:
    return synthetic_nhs_number(random.Random(5))


@pytest.fixture
def child(report_missing: Any, nhs_number: str) -> Child:
    details = PersonDetails(
        given_name="Nia",
        family_name="Bowen",
        date_of_birth=datetime.date(2010, 6, 1),
        sex="female",
        nhs_number=nhs_number,
    )
    return report_missing(child_details=details).child


@pytest.fixture
def outside_worker(partnership: dict[str, Any]) -> Any:
    """A Torfaen social worker outside the hub team: sees only the children allocated to them."""
    return staff_create(
        username="torfaen-sw",
        password=PERSONA_PASSWORD,
        role=Role.SOCIAL_WORKER,
        agency=partnership["TCBC"],
        first_name="Osian",
        last_name="Lewis",
        hub_member=False,
    )


def _open(user: Any, child: Child | None, **overrides: Any) -> BreakGlassGrant:
    kwargs: dict[str, Any] = {
        "user": user,
        "child": child,
        "reason": REASON,
        "justification": JUSTIFICATION,
        "password": PERSONA_PASSWORD,
    }
    kwargs.update(overrides)
    return break_glass_open(**kwargs)


def _denials() -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=AuditAction.DENIED, target_type="break_glass").order_by("id")
    )


# Refusals


def test_a_wrong_password_is_refused_and_audited(child: Child, social_worker: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        _open(social_worker, child, password="not-my-password")
    assert set(refused.value.message_dict) == {"password"}
    assert not BreakGlassGrant.objects.exists()
    (denial,) = _denials()
    assert denial.actor == social_worker
    assert denial.child_public_id == child.public_id
    assert denial.detail == {"refused": ["password"]}


def test_repeated_wrong_passwords_lock_the_form_for_the_cool_off_time(
    child: Child, social_worker: Any, settings: Any
) -> None:
    start = datetime.datetime(2026, 5, 2, 3, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for _attempt in range(BREAK_GLASS_PASSWORD_LIMIT):
            with pytest.raises(ValidationError):
                _open(social_worker, child, password="guess")
        with pytest.raises(ValidationError) as locked:
            _open(social_worker, child)
    assert "Too many wrong passwords" in locked.value.message_dict["password"][0]
    assert _denials()[-1].detail == {"refused": ["locked"]}
    assert not BreakGlassGrant.objects.exists()

    cooled = start + datetime.timedelta(minutes=settings.HAFAN_LOGIN_COOLOFF_MINUTES, seconds=1)
    with time_machine.travel(cooled, tick=False):
        assert _open(social_worker, child).child == child


def test_a_short_justification_or_an_unknown_reason_is_refused(child: Child, nurse: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        _open(nurse, child, justification="  urgent, sorry      ", reason="curious")
    assert set(refused.value.message_dict) == {"justification", "reason"}
    assert not BreakGlassGrant.objects.exists()
    assert [d.detail["refused"] for d in _denials()] == [["reason", "justification"]]
    assert "urgent" not in str(_denials()[0].detail), "what was typed never reaches the audit trail"


def test_an_unknown_child_is_reported_only_once_the_password_is_right(coordinator: Any) -> None:
    with pytest.raises(ValidationError) as wrong_password:
        _open(coordinator, None, password="guessing")
    assert set(wrong_password.value.message_dict) == {"password"}, (
        "nothing about the child without re-authenticating"
    )

    with pytest.raises(ValidationError) as unknown:
        _open(coordinator, None)
    assert unknown.value.message_dict == {"identifier": ["No record found with those details."]}
    assert [d.detail["refused"] for d in _denials()] == [["password"], ["not_found"]]


@pytest.mark.parametrize("persona", ["debrief", "analyst", "auditor", "admin", "outsider"])
def test_roles_without_casework_cannot_break_glass(child: Child, staff: dict[str, Any], persona: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _open(staff[persona], child)
    assert NON_FIELD_ERRORS in refused.value.message_dict
    assert not BreakGlassGrant.objects.exists()
    assert [d.detail["refused"] for d in _denials()] == [["not_permitted"]]


# The grant and its expiry


@pytest.mark.parametrize("minutes", [240, 30])
def test_access_lasts_exactly_the_configured_minutes(
    child: Child, outside_worker: Any, settings: Any, minutes: int
) -> None:
    settings.HAFAN_BREAK_GLASS_MINUTES = minutes
    opened = datetime.datetime(2026, 3, 14, 1, 59, 30, tzinfo=datetime.UTC)
    expires = opened + datetime.timedelta(minutes=minutes)
    assert relation_to(outside_worker, child, now=opened) == Relation.NONE
    with time_machine.travel(opened, tick=False):
        grant = _open(outside_worker, child)
    assert grant.granted_at == opened
    assert grant.expires_at == expires
    assert relation_to(outside_worker, child, now=opened) == Relation.BREAK_GLASS
    assert (
        relation_to(outside_worker, child, now=expires - datetime.timedelta(seconds=1))
        == Relation.BREAK_GLASS
    )
    assert relation_to(outside_worker, child, now=expires) == Relation.NONE

    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert event.child_public_id == child.public_id
    assert event.target_id == str(grant.public_id)
    assert event.detail == {
        "reason": REASON.value,
        "grant": str(grant.public_id),
        "expires": expires.isoformat(),
    }
    assert "adult known to police" not in str(event.detail)
    assert grant.justification == JUSTIFICATION


def test_opening_again_makes_a_new_grant_to_review(child: Child, nurse: Any) -> None:
    first = _open(nurse, child)
    second = _open(nurse, child)
    assert first.pk != second.pk
    assert BreakGlassGrant.objects.filter(reviewed_at__isnull=True).count() == 2
    assert BreakGlassGrant.objects.get(pk=first.pk).expires_at == first.expires_at


def test_a_merged_identity_opens_the_surviving_child(
    child: Child, coordinator: Any, report_missing: Any
) -> None:
    other = report_missing(
        child_details=PersonDetails(
            given_name="Zac", family_name="Price", date_of_birth=datetime.date(2009, 1, 1), sex="male"
        )
    ).child
    child_merge(keep=child, merge=other, actor=coordinator, reason="Same child")
    other.refresh_from_db()
    assert _open(coordinator, other).child == child


# The pages


def test_the_page_opens_the_record_for_a_worker_outside_the_hub_until_it_expires(
    client: Any, child: Child, outside_worker: Any, nhs_number: str
) -> None:
    child_url = reverse("people:child", kwargs={"public_id": child.public_id})
    client.force_login(outside_worker)
    assert client.get(child_url).status_code == 404, "not allocated, not in the hub: no access"

    opened = timezone.now().replace(microsecond=0)
    with time_machine.travel(opened, tick=False):
        response = client.post(
            reverse("governance:emergency_access"),
            {
                "identifier": format_nhs_number(nhs_number),
                "reason": REASON,
                "justification": JUSTIFICATION,
                "password": PERSONA_PASSWORD,
            },
        )
        assert response.status_code == 302
        assert response["Location"] == child_url
        page = client.get(child_url)
        assert page.status_code == 200
        until = timezone.localtime(opened + datetime.timedelta(minutes=240)).strftime("%H:%M")
        assert f"Emergency access until {until}" in page.content.decode()

    with time_machine.travel(opened + datetime.timedelta(minutes=240), tick=False):
        client.force_login(outside_worker)  # a fresh sign-in: the old session has timed out by now
        assert client.get(child_url).status_code == 404, "the grant has expired"


def test_the_page_finds_the_child_by_hub_identifier(client: Any, child: Child, coordinator: Any) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("governance:emergency_access"),
        {
            "identifier": str(child.public_id),
            "reason": BreakGlassReason.CHILD_MISSING_OUT_OF_HOURS,
            "justification": JUSTIFICATION,
            "password": PERSONA_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert BreakGlassGrant.objects.get().child == child


def test_the_page_says_the_same_for_an_unknown_child_and_checks_the_password_first(
    client: Any, child: Child, coordinator: Any
) -> None:
    client.force_login(coordinator)
    url = reverse("governance:emergency_access")
    unknown = synthetic_nhs_number(random.Random(99))
    payload = {"reason": REASON, "justification": JUSTIFICATION, "identifier": unknown}

    wrong = client.post(url, {**payload, "password": "wrong"}).content.decode()
    assert "Your password is not right" in wrong and "No record found" not in wrong
    assert "govuk-error-summary" in wrong

    right = client.post(url, {**payload, "password": PERSONA_PASSWORD}).content.decode()
    assert "No record found with those details." in right
    assert not BreakGlassGrant.objects.exists()
    assert [d.detail["refused"] for d in _denials()] == [["password"], ["not_found"]]


def test_the_page_checks_the_form(client: Any, coordinator: Any, partnership: dict[str, Any]) -> None:
    client.force_login(coordinator)
    html = client.post(
        reverse("governance:emergency_access"),
        {"identifier": "not an id", "justification": "short", "password": PERSONA_PASSWORD},
    ).content.decode()
    assert "Enter an NHS number (10 digits), a UPN (13 characters) or a hub identifier." in html
    assert "Choose the reason for emergency access." in html
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("persona", ["debrief", "analyst", "auditor", "admin", "outsider"])
def test_only_casework_roles_see_the_emergency_access_page(
    client: Any, staff: dict[str, Any], child: Child, persona: str
) -> None:
    client.force_login(staff[persona])
    url = reverse("governance:emergency_access")
    assert client.get(url).status_code == 404
    response = client.post(
        url,
        {
            "identifier": str(child.public_id),
            "reason": REASON,
            "justification": JUSTIFICATION,
            "password": PERSONA_PASSWORD,
        },
    )
    assert response.status_code == 404
    assert not BreakGlassGrant.objects.exists()
    landing = client.get("/", follow=True)
    assert landing.status_code == 200 and "Sign out" in landing.content.decode()
    assert 'href="/governance/emergency-access/"' not in landing.content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "socialworker", "nurse", "education"])
def test_casework_roles_have_the_page_in_english_and_welsh(
    client: Any, staff: dict[str, Any], partnership: dict[str, Any], persona: str
) -> None:
    client.force_login(staff[persona])
    assert 'href="/governance/emergency-access/"' in client.get("/", follow=True).content.decode()
    assert client.get(reverse("governance:emergency_access")).status_code == 200
    welsh = client.get("/cy/governance/emergency-access/")
    assert welsh.status_code == 200
    assert '<html lang="cy"' in welsh.content.decode()


# The review


def test_the_officer_sees_and_reviews_each_grant(
    client: Any, child: Child, nurse: Any, coordinator: Any, auditor: Any
) -> None:
    first = _open(nurse, child)
    second = _open(coordinator, child, justification="Child reported at risk of exploitation tonight.")
    client.force_login(auditor)
    home = client.get("/", follow=True).content.decode()
    assert "Emergency access reviews" in home
    assert '<strong class="govuk-tag govuk-tag--red">2' in home

    listing = client.get(reverse("governance:break_glass_reviews")).content.decode()
    assert JUSTIFICATION in listing
    assert "Child reported at risk of exploitation tonight." in listing
    assert "Delyth Rees" in listing and str(Role.HEALTH_NURSE.label) in listing
    assert "Aneurin Bevan University Health Board" in listing
    assert listing.count('data-reviewed="no"') == 2
    assert AuditEvent.objects.filter(target_type="break_glass_reviews", actor=auditor).exists()

    review_url = reverse("governance:break_glass_review", kwargs={"public_id": first.public_id})
    prefix = f"g-{first.public_id}"
    missing_note = client.post(review_url, {f"{prefix}-upheld": "no", f"{prefix}-note": ""})
    assert missing_note.status_code == 200
    assert "Say why the emergency access was not justified." in missing_note.content.decode()

    done = client.post(
        review_url, {f"{prefix}-upheld": "no", f"{prefix}-note": "Allocated worker was on duty."}
    )
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.review_upheld is False
    assert first.reviewed_by == auditor
    assert first.review_note == "Allocated worker was on duty."
    event = AuditEvent.objects.get(target_type="break_glass", action=AuditAction.UPDATE)
    assert event.detail == {"review_upheld": False}
    assert event.child_public_id == child.public_id

    listing = client.get(reverse("governance:break_glass_reviews")).content.decode()
    assert listing.count('data-reviewed="no"') == 1
    assert listing.index(str(second.public_id)) < listing.index("Allocated worker was on duty.")
    assert '<strong class="govuk-tag govuk-tag--red">1' in listing
    welsh = client.get("/cy/governance/emergency-access/reviews/")
    assert welsh.status_code == 200

    with pytest.raises(InvalidAction):
        break_glass_review(grant=first, reviewer=auditor, upheld=True, note="")


@pytest.mark.parametrize("persona", ["coordinator", "nurse", "debrief", "analyst", "admin", "outsider"])
def test_only_the_officer_reviews(client: Any, child: Child, staff: dict[str, Any], persona: str) -> None:
    grant = _open(staff["socialworker"], child)
    with pytest.raises(NotPermitted):
        break_glass_review(grant=grant, reviewer=staff[persona], upheld=True, note="")
    client.force_login(staff[persona])
    assert client.get(reverse("governance:break_glass_reviews")).status_code == 404
    response = client.post(
        reverse("governance:break_glass_review", kwargs={"public_id": grant.public_id}),
        {f"g-{grant.public_id}-upheld": "yes"},
    )
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.reviewed_at is None
