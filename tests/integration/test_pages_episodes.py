"""The episode pages: report form, briefing, risk grading, return, response plan, list and repeat missing.

Data is set up through the real services; the pages are driven with Django's test client.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hafan.core.vocabulary import FactCategory
from hafan.debriefs.models import Debrief
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.services import episode_record_return
from hafan.people.models import Child
from hafan.people.services import PersonDetails, fact_add, response_plan_propose
from hafan.risk.models import RiskAssessment
from hafan.risk.services import risk_grade_record
from hafan.sharing.models import AuditAction, AuditEvent
from tests.conftest import TwoFactorClient
from tests.integration.form_data import local_input as _local
from tests.integration.form_data import report_form_data as _report_form_data

POLICE_FACT = "Warning marker: known to carry a knife"
COUNCIL_FACT = "Looked after since 2022, placed with foster carers in Bettws"
HEALTH_FACT = "Takes sertraline daily; CAMHS appointment missed last week"
SCHOOL_FACT = "Attendance 61% this term; fixed-term exclusion in March"


def _client(user: Any) -> Client:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _add_facts(child: Child, partnership: dict[str, Any], actor: Any) -> None:
    today = timezone.localdate()
    for code, category, summary in (
        ("GWP", FactCategory.WARNING_MARKER, POLICE_FACT),
        ("NCC", FactCategory.LOOKED_AFTER, COUNCIL_FACT),
        ("ABUHB", FactCategory.HEALTH_NEED, HEALTH_FACT),
        ("CCBC", FactCategory.ATTENDANCE, SCHOOL_FACT),
    ):
        fact_add(
            child=child,
            agency=partnership[code],
            category=category,
            summary=summary,
            recorded_on=today,
            source=f"{code} system, ref 123",
            actor=actor,
        )


def _return_data(**overrides: Any) -> dict[str, str]:
    data = {
        "returned_at": _local(timezone.now() - datetime.timedelta(minutes=10)),
        "found_where": "Friend's flat, Pill",
        "found_by": "police",
        "harm_suffered": "no",
        "harm_details": "",
        "safe_and_well_at": "",
        "safe_and_well_by": "",
        "safe_and_well_notes": "",
    }
    data.update(overrides)
    return data


def _record_return(episode: Episode, by: Any) -> Episode:
    return episode_record_return(
        episode=episode,
        recorded_by=by,
        returned_at=timezone.now() - datetime.timedelta(minutes=30),
        found_where="Friend's flat, Pill",
        found_by="police",
        harm_suffered=False,
    )


def _grade(episode: Episode, author: Any, grade: str = "medium") -> RiskAssessment:
    return risk_grade_record(
        episode=episode,
        author=author,
        grade=grade,
        factors=["mental_health"],
        rationale="Missed medication; out of character.",
        next_review_due=timezone.now() + datetime.timedelta(hours=4),
    )


# Reporting


def test_coordinator_reports_through_the_form_and_sees_the_briefing(coordinator, partnership, report_missing):
    earlier = report_missing()
    fact_add(
        child=earlier.child,
        agency=partnership["NCC"],
        category=FactCategory.LOOKED_AFTER,
        summary=COUNCIL_FACT,
        recorded_on=timezone.localdate(),
        source="WCCIS, case 4411",
        actor=coordinator,
    )
    client = _client(coordinator)

    response = client.post(reverse("episodes:report"), _report_form_data(council=str(partnership["NCC"].pk)))

    assert response.status_code == 302
    episode = Episode.objects.exclude(pk=earlier.pk).get()
    assert response["Location"] == reverse("episodes:detail", args=[episode.public_id])
    assert episode.child == earlier.child
    assert episode.category == "missing_from_care"
    assert episode.reported_by == coordinator
    page = client.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert episode.reference in content
    assert COUNCIL_FACT in content
    assert f"Episode {episode.reference} opened" in content  # the success message


def test_invalid_nhs_number_rerenders_the_form_and_writes_nothing(coordinator):
    client = _client(coordinator)

    response = client.post(reverse("episodes:report"), _report_form_data(nhs_number="943 476 5918"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "The NHS number is not valid" in content
    assert 'href="#id_nhs_number"' in content
    assert Episode.objects.count() == 0
    assert Child.objects.count() == 0


def test_form_errors_say_what_to_do(coordinator):
    response = _client(coordinator).post(
        reverse("episodes:report"), _report_form_data(given_name="", category="absent_legacy", upn="X12")
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "Enter the child&#x27;s given name." in content
    assert "Choose missing from home, missing from care or away from placement." in content
    assert "The unique pupil number is not valid" in content  # the identity check, in the same round
    assert "This field is required" not in content
    assert Episode.objects.count() == 0


def test_service_errors_are_shown_on_the_form(coordinator):
    now = timezone.now()

    response = _client(coordinator).post(
        reverse("episodes:report"),
        _report_form_data(reported_at=_local(now - datetime.timedelta(hours=2)), last_seen_at=_local(now)),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "The child must have been last seen before the report was made." in content
    assert 'href="#id_last_seen_at"' in content
    assert "govuk-input--error" in content
    assert Episode.objects.count() == 0


def test_report_form_never_offers_absent(coordinator):
    response = _client(coordinator).get(reverse("episodes:report"))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'value="missing_from_care"' in content
    assert "absent_legacy" not in content
    assert "Absent" not in content


def test_report_form_offers_only_partner_councils(coordinator):
    content = _client(coordinator).get(reverse("episodes:report")).content.decode()

    assert "Newport City Council" in content
    assert "Dyfed-Powys Police" not in content
    assert "Llamau" not in content


@pytest.mark.parametrize("persona", ["nurse", "education_worker", "debrief_worker", "analyst", "outsider"])
def test_staff_who_cannot_report_get_404(persona, request):
    client = _client(request.getfixturevalue(persona))

    assert client.get(reverse("episodes:report")).status_code == 404
    assert client.post(reverse("episodes:report"), _report_form_data()).status_code == 404
    assert Episode.objects.count() == 0


# The briefing


@pytest.mark.parametrize("persona", ["nurse", "social_worker", "education_worker"])
def test_briefing_shows_every_agencys_facts_to_casework_staff(
    persona, request, coordinator, partnership, report_missing
):
    episode = report_missing()
    _add_facts(episode.child, partnership, coordinator)

    response = _client(request.getfixturevalue(persona)).get(
        reverse("episodes:detail", args=[episode.public_id])
    )

    content = response.content.decode()
    assert response.status_code == 200
    for fact in (POLICE_FACT, COUNCIL_FACT, HEALTH_FACT, SCHOOL_FACT):
        assert fact in content
    for agency in (
        "Gwent Police",
        "Newport City Council",
        "Aneurin Bevan University Health Board",
        "Caerphilly County Borough Council",
    ):
        assert agency in content
    assert "Source: GWP system, ref 123" in content


def test_debrief_worker_sees_only_the_minimal_page_and_only_after_return(
    debrief_worker, coordinator, partnership, report_missing
):
    episode = report_missing()
    _add_facts(episode.child, partnership, coordinator)
    _grade(episode, coordinator, "high")
    client = _client(debrief_worker)
    url = reverse("episodes:detail", args=[episode.public_id])

    assert client.get(url).status_code == 404

    _record_return(episode, coordinator)
    response = client.get(url)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Cerys Jones" in content
    assert episode.reference in content
    assert "Friend&#x27;s flat, Pill" in content
    assert reverse("debriefs:detail", args=[Debrief.objects.get(episode=episode).public_id]) in content
    for secret in (
        POLICE_FACT,
        COUNCIL_FACT,
        HEALTH_FACT,
        "Missed medication",
        "Left after an argument",
        "Black hoodie",
    ):
        assert secret not in content
    assert "Current risk" not in content


@pytest.mark.parametrize("persona", ["outsider", "analyst", "auditor", "administrator"])
@pytest.mark.parametrize("page", ["detail", "risk", "return", "response_plan"])
def test_staff_outside_casework_get_404(persona, page, request, report_missing):
    episode = report_missing()
    client = _client(request.getfixturevalue(persona))

    assert client.get(reverse(f"episodes:{page}", args=[episode.public_id])).status_code == 404


def test_unknown_episode_is_404(coordinator):
    assert _client(coordinator).get(reverse("episodes:detail", args=[uuid.uuid4()])).status_code == 404


def test_every_view_of_the_briefing_is_audited(coordinator, report_missing):
    episode = report_missing()
    client = _client(coordinator)
    url = reverse("episodes:detail", args=[episode.public_id])

    def views() -> int:
        return AuditEvent.objects.filter(
            action=AuditAction.VIEW,
            target_type="episode",
            target_id=str(episode.public_id),
            actor=coordinator,
        ).count()

    assert views() == 0
    client.get(url)
    assert views() == 1
    client.get(url)
    assert views() == 2


def test_briefing_renders_in_welsh(coordinator, report_missing):
    episode = report_missing()

    response = _client(coordinator).get(f"/cy/episodes/{episode.public_id}/")

    assert response.status_code == 200
    assert 'lang="cy"' in response.content.decode()
    assert episode.reference in response.content.decode()


def test_briefing_warns_when_the_child_is_repeatedly_missing(coordinator, report_missing, settings):
    settings.HAFAN_REPEAT_MISSING_EPISODES = 2
    first = report_missing(
        reported_at=timezone.now() - datetime.timedelta(days=3),
        last_seen_at=timezone.now() - datetime.timedelta(days=3, hours=2),
    )
    _record_return(first, coordinator)
    second = report_missing()
    client = _client(coordinator)

    latest = client.get(reverse("episodes:detail", args=[second.public_id])).content.decode()

    assert "Repeatedly missing: strategy meeting needed" in latest
    assert first.reference in latest  # the earlier episodes table
    assert (
        "Repeatedly missing: strategy meeting needed"
        not in client.get(reverse("episodes:detail", args=[first.public_id])).content.decode()
    )


def test_briefing_offers_actions_by_role(coordinator, nurse, social_worker, report_missing):
    episode = report_missing()
    url = reverse("episodes:detail", args=[episode.public_id])

    as_coordinator = _client(coordinator).get(url).content.decode()
    as_nurse = _client(nurse).get(url).content.decode()
    as_social_worker = _client(social_worker).get(url).content.decode()

    assert reverse("episodes:risk", args=[episode.public_id]) in as_coordinator
    assert reverse("episodes:return", args=[episode.public_id]) in as_coordinator
    assert reverse("referrals:new_for_episode", args=[episode.public_id]) in as_nurse
    assert reverse("episodes:risk", args=[episode.public_id]) not in as_nurse
    assert reverse("episodes:return", args=[episode.public_id]) not in as_nurse
    assert reverse("episodes:response_plan", args=[episode.public_id]) in as_social_worker
    assert reverse("episodes:response_plan", args=[episode.public_id]) not in as_nurse
    assert "No response plan agreed" in as_nurse


# Risk


def test_nurse_gets_403_on_the_risk_form(nurse, report_missing):
    episode = report_missing()
    client = _client(nurse)
    url = reverse("episodes:risk", args=[episode.public_id])

    assert client.get(url).status_code == 403
    assert client.post(url, {"grade": "low", "rationale": "x"}).status_code == 403
    assert not RiskAssessment.objects.exists()


def test_risk_form_records_a_grade_shown_on_the_briefing(coordinator, report_missing):
    episode = report_missing()
    client = _client(coordinator)
    form = client.get(reverse("episodes:risk", args=[episode.public_id]))
    assert form.status_code == 200
    assert 'name="next_review_due"' in form.content.decode()

    response = client.post(
        reverse("episodes:risk", args=[episode.public_id]),
        {
            "grade": "high",
            "factors": ["cse", "associates"],
            "rationale": "Seen getting into a car with older men.",
            "next_review_due": _local(timezone.now() + datetime.timedelta(hours=1)),
        },
    )

    assert response.status_code == 302
    assessment = RiskAssessment.objects.get(episode=episode)
    assert assessment.grade == "high"
    assert assessment.factors == ["associates", "cse"]
    content = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Seen getting into a car with older men." in content
    assert "hafan-risk-tag--high" in content
    assert "Child sexual exploitation concern" in content
    assert "Awaiting supervisor confirmation" in content


def test_risk_form_defaults_the_review_for_the_grade_when_left_blank(coordinator, report_missing):
    episode = report_missing()
    before = timezone.now()

    _client(coordinator).post(
        reverse("episodes:risk", args=[episode.public_id]),
        {"grade": "low", "rationale": "Known location.", "next_review_due": ""},
    )

    assessment = RiskAssessment.objects.get(episode=episode)
    assert assessment.next_review_due >= before + datetime.timedelta(hours=12)
    assert assessment.next_review_due <= timezone.now() + datetime.timedelta(hours=12)


def test_risk_form_shows_the_service_error_when_below_the_response_plan(
    coordinator, social_worker, report_missing
):
    episode = report_missing()
    response_plan_propose(
        child=episode.child,
        proposed_by=social_worker,
        plan="Always treat as high risk.",
        treat_as_grade="high",
        review_due=timezone.localdate() + datetime.timedelta(days=90),
        based_on=None,
    )
    client = _client(coordinator)
    url = reverse("episodes:risk", args=[episode.public_id])

    assert "treat them as at least High risk" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "grade": "low",
            "rationale": "Seems fine.",
            "next_review_due": _local(timezone.now() + datetime.timedelta(hours=12)),
        },
    )

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not RiskAssessment.objects.exists()


def test_supervisor_confirms_a_grade(supervisor, coordinator, report_missing):
    episode = report_missing()
    assessment = _grade(episode, coordinator)
    client = _client(supervisor)
    detail = reverse("episodes:detail", args=[episode.public_id])
    assert 'data-testid="confirm-risk"' in client.get(detail).content.decode()

    response = client.post(reverse("episodes:risk_confirm", args=[episode.public_id, assessment.public_id]))

    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.confirmed_by == supervisor
    assert assessment.confirmed_at is not None
    content = client.get(detail).content.decode()
    assert "Confirmed by Bethan Morgan" in content
    assert 'data-testid="confirm-risk"' not in content


def test_supervisor_cannot_confirm_their_own_grade(supervisor, report_missing):
    episode = report_missing()
    assessment = _grade(episode, supervisor)
    client = _client(supervisor)

    assert (
        'data-testid="confirm-risk"'
        not in client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    )
    response = client.post(
        reverse("episodes:risk_confirm", args=[episode.public_id, assessment.public_id]), follow=True
    )

    assert response.status_code == 200
    assert "cannot confirm their own grading" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.confirmed_at is None


def test_confirm_is_post_only_and_refused_to_others(coordinator, nurse, outsider, report_missing):
    episode = report_missing()
    assessment = _grade(episode, coordinator)
    url = reverse("episodes:risk_confirm", args=[episode.public_id, assessment.public_id])

    assert _client(coordinator).get(url).status_code == 405
    assert _client(coordinator).post(url).status_code == 403
    assert _client(nurse).post(url).status_code == 403
    assert _client(outsider).post(url).status_code == 404
    assessment.refresh_from_db()
    assert assessment.confirmed_at is None


def test_confirm_of_an_assessment_from_another_episode_is_404(supervisor, coordinator, report_missing):
    episode = report_missing()
    other = report_missing(
        child_details=PersonDetails(
            given_name="Osian", family_name="Bowen", date_of_birth=datetime.date(2010, 1, 2)
        )
    )
    assessment = _grade(other, coordinator)

    response = _client(supervisor).post(
        reverse("episodes:risk_confirm", args=[episode.public_id, assessment.public_id])
    )

    assert response.status_code == 404
    assessment.refresh_from_db()
    assert assessment.confirmed_at is None


# Return


def test_return_form_opens_a_debrief_due_72_hours_later(coordinator, report_missing):
    episode = report_missing()
    returned_at = (timezone.now() - datetime.timedelta(minutes=10)).replace(second=0, microsecond=0)
    client = _client(coordinator)

    response = client.post(
        reverse("episodes:return", args=[episode.public_id]),
        _return_data(returned_at=_local(returned_at)),
        follow=True,
    )

    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.RETURNED
    assert episode.returned_at == returned_at
    debrief = Debrief.objects.get(episode=episode)
    assert debrief.due_by == returned_at + datetime.timedelta(hours=72)
    content = response.content.decode()
    assert "A debrief offer was sent to Llamau, due by" in content
    assert 'data-testid="debrief-status"' in content
    assert "Awaiting an offer" in content
    assert "Record found or returned" not in content


def test_return_form_requires_harm_details_when_harm_suffered(coordinator, report_missing):
    episode = report_missing()

    response = _client(coordinator).post(
        reverse("episodes:return", args=[episode.public_id]), _return_data(harm_suffered="yes")
    )

    assert response.status_code == 200
    assert "Describe the harm the child suffered." in response.content.decode()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.MISSING
    assert not Debrief.objects.exists()


def test_return_cannot_be_recorded_twice(coordinator, report_missing):
    episode = report_missing()
    _record_return(episode, coordinator)

    response = _client(coordinator).get(reverse("episodes:return", args=[episode.public_id]))

    assert response.status_code == 302
    assert Debrief.objects.count() == 1


def test_social_worker_gets_403_on_the_return_form(social_worker, report_missing):
    episode = report_missing()

    assert _client(social_worker).get(reverse("episodes:return", args=[episode.public_id])).status_code == 403


# Response plan


def test_social_worker_agrees_a_response_plan(social_worker, report_missing):
    episode = report_missing()
    client = _client(social_worker)

    response = client.post(
        reverse("episodes:response_plan", args=[episode.public_id]),
        {
            "plan": "Carer to search Pill and the bus station first; police deploy after 2 hours.",
            "likelihood": "high",
            "harm": "medium",
            "treat_as_grade": "medium",
            "review_due": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
        },
    )

    assert response.status_code == 302
    plan = episode.child.response_plans.get()
    assert plan.treat_as_grade == "medium"
    assert plan.social_worker_agreed is True
    content = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Carer to search Pill and the bus station first" in content
    assert "No response plan agreed" not in content


def test_response_plan_with_no_minimum_grade(coordinator, report_missing):
    episode = report_missing()

    _client(coordinator).post(
        reverse("episodes:response_plan", args=[episode.public_id]),
        {
            "plan": "Phone the grandmother first.",
            "likelihood": "low",
            "harm": "low",
            "treat_as_grade": "",
            "review_due": timezone.localdate().isoformat(),
        },
    )

    assert episode.child.response_plans.get().treat_as_grade == ""


def test_nurse_gets_403_on_the_response_plan_form(nurse, report_missing):
    episode = report_missing()

    assert _client(nurse).get(reverse("episodes:response_plan", args=[episode.public_id])).status_code == 403


# List and repeat missing


def test_list_shows_open_episodes_first_and_filters_by_status(coordinator, report_missing):
    returned = report_missing(
        reported_at=timezone.now() - datetime.timedelta(minutes=30),
        last_seen_at=timezone.now() - datetime.timedelta(hours=2),
    )
    _record_return(returned, coordinator)
    missing = report_missing(
        child_details=PersonDetails(
            given_name="Osian", family_name="Bowen", date_of_birth=datetime.date(2010, 1, 2)
        ),
        reported_at=timezone.now() - datetime.timedelta(hours=5),
        last_seen_at=timezone.now() - datetime.timedelta(hours=6),
    )
    _grade(missing, coordinator, "high")
    client = _client(coordinator)

    everything = client.get(reverse("episodes:list")).content.decode()
    only_returned = client.get(reverse("episodes:list"), {"status": "returned"}).content.decode()

    assert everything.index(missing.reference) < everything.index(returned.reference)
    assert "hafan-risk-tag--high" in everything
    assert returned.reference in only_returned
    assert missing.reference not in only_returned


def test_list_is_empty_for_the_outsider(outsider, report_missing):
    episode = report_missing()

    response = _client(outsider).get(reverse("episodes:list"))

    assert response.status_code == 200
    assert episode.reference not in response.content.decode()


def test_debrief_worker_list_hides_risk(debrief_worker, coordinator, report_missing):
    episode = report_missing()
    _grade(episode, coordinator, "high")
    _record_return(episode, coordinator)

    content = _client(debrief_worker).get(reverse("episodes:list")).content.decode()

    assert episode.reference in content
    assert "hafan-risk-tag--high" not in content


def test_repeat_missing_page_lists_children_over_the_threshold(coordinator, report_missing, settings):
    settings.HAFAN_REPEAT_MISSING_EPISODES = 2
    first = report_missing(
        reported_at=timezone.now() - datetime.timedelta(days=2),
        last_seen_at=timezone.now() - datetime.timedelta(days=2, hours=1),
    )
    _record_return(first, coordinator)
    latest = report_missing()
    report_missing(
        child_details=PersonDetails(
            given_name="Osian", family_name="Bowen", date_of_birth=datetime.date(2010, 1, 2)
        )
    )

    response = _client(coordinator).get(reverse("episodes:repeat"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Cerys Jones" in content
    assert reverse("episodes:detail", args=[latest.public_id]) in content
    assert "Osian Bowen" not in content
    assert "2 or more times in the last 90 days" in content


@pytest.mark.parametrize("persona", ["debrief_worker", "analyst", "auditor", "outsider"])
def test_repeat_missing_page_is_casework_only(persona, request):
    assert _client(request.getfixturevalue(persona)).get(reverse("episodes:repeat")).status_code == 404


def test_home_page_lists_open_episodes_with_the_table_partial(coordinator, report_missing):
    episode = report_missing()

    content = _client(coordinator).get(reverse("core:home")).content.decode()

    assert reverse("episodes:detail", args=[episode.public_id]) in content
    assert "Not graded" in content
