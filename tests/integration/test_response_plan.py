"""The child's risk matrix and response plan (issue 6, items 3 and 8): proposed by the hub, in force only once the
case-holding social worker agrees it, first thing on the next briefing, and never silently overwritten."""

from __future__ import annotations

import datetime
import html
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.services import staff_create
from hafan.core.errors import EditConflict, NotPermitted
from hafan.core.vocabulary import Role
from hafan.episodes.models import Episode
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.models import AllocationKind, PlanStatus, ResponsePlan
from hafan.people.selectors import response_plan_in_force, response_plan_waiting
from hafan.people.services import (
    allocation_start,
    response_plan_decide,
    response_plan_edit,
    response_plan_propose,
)
from hafan.risk.models import RiskAssessment
from hafan.risk.services import risk_grade_record
from hafan.sharing.models import AuditAction, AuditEvent
from tests.conftest import PERSONA_PASSWORD, TwoFactorClient
from tests.integration.form_data import report_form_data

REVIEW = timezone.localdate() + datetime.timedelta(days=90)


def _client(user: Any) -> Client:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _propose(child: Any, by: Any, text: str = "Carer to ring her phone first.", **kw: Any) -> ResponsePlan:
    fields: dict[str, Any] = {
        "plan": text,
        "treat_as_grade": "high",
        "likelihood": "high",
        "harm": "high",
        "places_first": "Newport bus station\nTredegar Park",
        "police_deploy_after_hours": 2,
        "review_due": REVIEW,
        "based_on": response_plan_in_force(child),
    }
    fields.update(kw)
    return response_plan_propose(child=child, proposed_by=by, **fields)


def _form(text: str, **overrides: Any) -> dict[str, str]:
    data = {
        "likelihood": "high",
        "harm": "medium",
        "treat_as_grade": "high",
        "plan": text,
        "places_first": "Pill\nNewport bus station",
        "police_deploy_after_hours": "2",
        "review_due": REVIEW.isoformat(),
        "based_on": "",
        "editing": "",
        "version": "",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def _grade(episode: Episode, author: Any, grade: str, **kw: Any) -> RiskAssessment:
    return risk_grade_record(
        episode=episode,
        author=author,
        grade=grade,
        factors=[],
        rationale="Known to stay with her aunt.",
        next_review_due=timezone.now() + datetime.timedelta(hours=12),
        **kw,
    )


@pytest.fixture
def caseworker(staff: dict[str, Any]) -> Any:
    """Nia Bowen, Caerphilly social worker outside the hub team."""
    return staff["caseworker"]


@pytest.fixture
def ccbc_episode(
    report_missing: Any, partnership: dict[str, Any], caseworker: Any, supervisor: Any
) -> Episode:
    """A Caerphilly child whose case is held by the caseworker outside the hub."""
    episode = report_missing(council=partnership["CCBC"])
    allocation_start(
        child=episode.child, user=caseworker, kind=AllocationKind.CASE_HOLDER, allocated_by=supervisor
    )
    return episode


def _decide_url(episode: Episode, plan: ResponsePlan) -> str:
    return reverse("episodes:response_plan_decide", args=[episode.public_id, plan.public_id])


# Sign-off: a proposal is not in force until the case holder agrees it


def test_a_coordinators_proposal_waits_for_the_case_holder_and_sets_no_floor(
    ccbc_episode: Episode, coordinator: Any, caseworker: Any
) -> None:
    episode = ccbc_episode
    url = reverse("episodes:response_plan", args=[episode.public_id])
    response = _client(coordinator).post(url, _form("Always treat as high risk; carer checks Pill first."))
    assert response.status_code == 302

    plan = ResponsePlan.objects.get(child=episode.child)
    assert (plan.status, plan.social_worker, plan.social_worker_agreed) == (
        PlanStatus.PROPOSED,
        caseworker,
        False,
    )
    assert response_plan_in_force(episode.child) is None
    # The proposal sets no floor: a low grade needs no departure from the plan.
    assert _grade(episode, coordinator, "low").departs_from_plan is False

    page = _client(coordinator).get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert 'data-testid="plan-on-top"' not in page
    assert "A new plan is waiting for Nia Bowen" in page
    assert _decide_url(episode, plan) not in page  # the coordinator may not agree it

    notice = Notification.objects.get(recipient=caseworker)
    assert notice.kind == NotificationKind.PLAN_TO_AGREE
    assert notice.url == _decide_url(episode, plan)
    assert notice.params == {"reference": episode.reference}
    assert notice.dedupe_key == f"plan-to-agree:{plan.public_id}"
    assert not Notification.objects.exclude(recipient=caseworker).filter(kind=NotificationKind.PLAN_TO_AGREE)

    # The case holder, outside the hub, reaches the decide page through the allocation and agrees.
    as_caseworker = _client(caseworker)
    briefing = as_caseworker.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert _decide_url(episode, plan) in briefing
    decide_page = as_caseworker.get(_decide_url(episode, plan))
    assert decide_page.status_code == 200
    assert "Always treat as high risk; carer checks Pill first." in decide_page.content.decode()
    response = as_caseworker.post(_decide_url(episode, plan), {"decision": "agree", "note": ""})
    assert response.status_code == 302

    plan.refresh_from_db()
    assert (plan.status, plan.social_worker_agreed) == (PlanStatus.IN_FORCE, True)
    assert plan.social_worker_decided_at is not None
    assert response_plan_in_force(episode.child) == plan
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE,
        target_type="response_plan",
        target_id=str(plan.public_id),
        actor=caseworker,
    ).exists()
    # Now the plan is in force, grading below it is refused unless departing from it is explicit.
    with pytest.raises(ValidationError) as exc:
        _grade(episode, coordinator, "low")
    assert "grade" in exc.value.message_dict


def test_decline_needs_a_reason_and_keeps_the_old_plan(
    report_missing: Any, coordinator: Any, social_worker: Any
) -> None:
    episode = report_missing()  # Newport child, nobody holds the case
    old = _propose(episode.child, social_worker, "Old plan: treat as high risk.")
    assert old.status == PlanStatus.IN_FORCE  # a Newport social worker proposed it: agreed at once

    new = _propose(episode.child, coordinator, "New plan: medium is enough.", treat_as_grade="medium")
    assert (new.status, new.social_worker, new.supersedes) == (PlanStatus.PROPOSED, None, old)
    # Nobody named: the hub's social workers of the child's council are told.
    assert Notification.objects.filter(recipient=social_worker, kind=NotificationKind.PLAN_TO_AGREE).exists()

    client = _client(social_worker)
    refused = client.post(_decide_url(episode, new), {"decision": "decline", "note": ""})
    assert refused.status_code == 200
    assert "Say why you do not agree the plan." in refused.content.decode()
    new.refresh_from_db()
    assert new.status == PlanStatus.PROPOSED

    response = client.post(
        _decide_url(episode, new), {"decision": "decline", "note": "She was graded high last week."}
    )
    assert response.status_code == 302
    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.status, new.social_worker_agreed, new.social_worker_note) == (
        PlanStatus.DECLINED,
        False,
        "She was graded high last week.",
    )
    assert old.status == PlanStatus.IN_FORCE
    assert response_plan_in_force(episode.child) == old
    assert response_plan_waiting(episode.child) is None
    page = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Old plan: treat as high risk." in page
    assert "New plan: medium is enough." not in page
    # The coordinator who proposed it is told, and the reasons wait on the plan page for the next proposal.
    told = Notification.objects.get(recipient=coordinator, kind=NotificationKind.PLAN_DECIDED)
    assert told.params["agreed"] is False and told.url == reverse(
        "episodes:response_plan", args=[episode.public_id]
    )
    plan_page = _client(coordinator).get(told.url).content.decode()
    assert 'data-testid="plan-declined"' in plan_page and "She was graded high last week." in plan_page


def test_agreeing_supersedes_the_plan_in_force(
    report_missing: Any, coordinator: Any, social_worker: Any
) -> None:
    episode = report_missing()
    old = _propose(episode.child, social_worker, "Old plan.")
    new = _propose(episode.child, coordinator, "New plan.")
    response_plan_decide(plan=new, social_worker=social_worker, agree=True, note="")
    old.refresh_from_db()
    assert old.status == PlanStatus.SUPERSEDED
    told = Notification.objects.get(recipient=coordinator, kind=NotificationKind.PLAN_DECIDED)
    assert told.params["agreed"] is True
    assert response_plan_in_force(episode.child) == ResponsePlan.objects.get(pk=new.pk)


def test_the_case_holders_own_proposal_is_in_force_at_once(ccbc_episode: Episode, caseworker: Any) -> None:
    plan = _propose(ccbc_episode.child, caseworker)
    assert (plan.status, plan.social_worker, plan.social_worker_agreed) == (
        PlanStatus.IN_FORCE,
        caseworker,
        True,
    )
    assert not Notification.objects.filter(kind=NotificationKind.PLAN_TO_AGREE).exists()


def test_a_hub_social_worker_who_does_not_hold_the_case_only_proposes(
    ccbc_episode: Episode, social_worker: Any, caseworker: Any
) -> None:
    plan = _propose(ccbc_episode.child, social_worker)
    assert (plan.status, plan.social_worker) == (PlanStatus.PROPOSED, caseworker)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("social_worker", 403),  # a hub social worker, not the case holder
        ("coordinator", 403),
        ("supervisor", 403),
        ("nurse", 403),
        ("education_worker", 403),
        ("debrief_worker", 404),
        ("analyst", 404),
        ("auditor", 404),
        ("administrator", 404),
        ("outsider", 404),
    ],
)
def test_only_the_case_holder_reaches_the_decide_page(
    ccbc_episode: Episode, coordinator: Any, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    plan = _propose(ccbc_episode.child, coordinator)
    client = _client(request.getfixturevalue(persona))
    assert client.get(_decide_url(ccbc_episode, plan)).status_code == status
    assert client.post(_decide_url(ccbc_episode, plan), {"decision": "agree"}).status_code == status
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


def test_a_social_worker_outside_the_hub_without_the_case_gets_404(
    ccbc_episode: Episode, coordinator: Any, partnership: dict[str, Any]
) -> None:
    stranger = staff_create(
        username="ccbc-sw-2",
        password=PERSONA_PASSWORD,
        role=Role.SOCIAL_WORKER,
        agency=partnership["CCBC"],
        first_name="Owain",
        last_name="Price",
        hub_member=False,
    )
    plan = _propose(ccbc_episode.child, coordinator)
    assert _client(stranger).get(_decide_url(ccbc_episode, plan)).status_code == 404
    with pytest.raises(NotPermitted):
        response_plan_decide(plan=plan, social_worker=stranger, agree=True, note="")


def test_the_service_refuses_the_wrong_social_worker(
    ccbc_episode: Episode, coordinator: Any, social_worker: Any
) -> None:
    plan = _propose(ccbc_episode.child, coordinator)
    with pytest.raises(NotPermitted):
        response_plan_decide(plan=plan, social_worker=social_worker, agree=True, note="")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


def test_the_matrix_needs_both_levels(report_missing: Any, coordinator: Any) -> None:
    episode = report_missing()
    with pytest.raises(ValidationError) as exc:
        _propose(episode.child, coordinator, likelihood="high", harm="")
    assert "harm" in exc.value.message_dict
    page = _client(coordinator).post(
        reverse("episodes:response_plan", args=[episode.public_id]), _form("Plan.", likelihood="")
    )
    assert page.status_code == 200
    assert "Choose how likely the child is to go missing again." in page.content.decode()
    assert not ResponsePlan.objects.exists()


def test_the_rating_updates_as_the_matrix_is_chosen(report_missing: Any, coordinator: Any) -> None:
    episode = report_missing()
    url = reverse("episodes:response_plan", args=[episode.public_id])
    response = _client(coordinator).get(
        url, {"rating": "1", "likelihood": "high", "harm": "medium"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="matrix-rating"' in response.content.decode()
    assert "High" in response.content.decode()
    assert "<html" not in response.content.decode()


# Concurrent editing: the second save shows both versions and writes nothing


def test_two_proposals_at_once_the_second_sees_both_versions(
    report_missing: Any, coordinator: Any, supervisor: Any
) -> None:
    episode = report_missing()
    url = reverse("episodes:response_plan", args=[episode.public_id])
    first, second = _client(coordinator), _client(supervisor)
    assert first.get(url).status_code == 200
    assert second.get(url).status_code == 200  # both open the form with no plan in force

    assert first.post(url, _form("Alun's plan: search Pill first.")).status_code == 302
    response = second.post(url, _form("Bethan's plan: search Bettws first."))

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert 'data-testid="plan-conflict"' in page
    assert "Alun's plan: search Pill first." in page  # theirs, saved
    assert "Saved by Alun Price" in page
    assert "Bethan's plan: search Bettws first." in page  # yours, kept
    assert ResponsePlan.objects.count() == 1
    saved = ResponsePlan.objects.get()
    assert saved.plan == "Alun's plan: search Pill first."
    # The form now edits what the supervisor has seen: saving again is a deliberate change of the proposal.
    assert f'value="{saved.public_id}"' in page
    again = second.post(url, _form("Bethan's plan: search Bettws first.", editing=saved.public_id, version=1))
    assert again.status_code == 302
    saved.refresh_from_db()
    assert (saved.plan, saved.version) == ("Bethan's plan: search Bettws first.", 2)


def test_a_proposal_against_an_old_plan_in_force_conflicts(
    report_missing: Any, coordinator: Any, social_worker: Any
) -> None:
    episode = report_missing()
    old = _propose(episode.child, social_worker, "First plan.")
    newer = _propose(episode.child, social_worker, "Second plan.", based_on=old)
    with pytest.raises(EditConflict) as exc:
        _propose(episode.child, coordinator, "Based on the first plan.", based_on=old)
    assert exc.value.current == newer
    assert ResponsePlan.objects.count() == 2


def test_concurrent_edits_of_a_proposal_conflict_and_write_nothing(
    report_missing: Any, coordinator: Any, supervisor: Any
) -> None:
    episode = report_missing()
    plan = _propose(episode.child, coordinator, "Version one.")
    response_plan_edit(plan=plan, edited_by=coordinator, version=1, text="Version two by Alun.")
    with pytest.raises(EditConflict) as exc:
        response_plan_edit(plan=plan, edited_by=supervisor, version=1, text="Version two by Bethan.")
    current = exc.value.current
    assert isinstance(current, ResponsePlan)
    assert (current.plan, current.version) == ("Version two by Alun.", 2)
    plan.refresh_from_db()
    assert (plan.plan, plan.version) == ("Version two by Alun.", 2)

    # On the page: the supervisor opened version 1, the coordinator saved version 2 meanwhile.
    url = reverse("episodes:response_plan", args=[episode.public_id])
    response = _client(supervisor).post(url, _form("Bethan's edit.", editing=plan.public_id, version=1))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="plan-conflict"' in page
    assert "Version two by Alun." in page
    plan.refresh_from_db()
    assert plan.plan == "Version two by Alun."


def test_a_decided_proposal_cannot_be_edited(
    report_missing: Any, coordinator: Any, social_worker: Any
) -> None:
    episode = report_missing()
    plan = _propose(episode.child, coordinator)
    response_plan_decide(plan=plan, social_worker=social_worker, agree=True, note="")
    with pytest.raises(EditConflict):  # the decision moved the version on
        response_plan_edit(plan=plan, edited_by=coordinator, version=1, text="Too late.")


# The next report opens with the plan on top


def test_the_next_report_opens_with_the_plan_on_top(
    report_missing: Any, coordinator: Any, social_worker: Any
) -> None:
    first = report_missing()
    _propose(first.child, social_worker, "Always treat as high risk.")

    response = _client(coordinator).post(
        reverse("episodes:report"),
        report_form_data(existing_child=first.child.public_id, council=first.council_id),
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This child has an agreed response plan: see the top of the briefing." in page
    again = Episode.objects.exclude(pk=first.pk).get()
    assert again.child == first.child
    on_top = page.index('data-testid="plan-on-top"')
    assert on_top < page.index('id="response-plan"')
    assert "treat as at least HIGH risk" in page
    assert "Newport bus station" in page
    assert "Police deploy after 2 hours." in page
    assert "Agreed by Ceri Hughes on" in page


def test_no_plan_message_without_a_plan_in_force(report_missing: Any, coordinator: Any) -> None:
    first = report_missing()
    _propose(first.child, coordinator, "Only proposed.")
    response = _client(coordinator).post(
        reverse("episodes:report"),
        report_form_data(existing_child=first.child.public_id, council=first.council_id),
        follow=True,
    )
    page = response.content.decode()
    assert "This child has an agreed response plan" not in page
    assert 'data-testid="plan-on-top"' not in page
    assert 'data-testid="plan-waiting"' in page
