"""Family mediation (issue 7, item 3): sessions planned from a debrief and recorded as held, cancelled or not
attended; only the provider's workers see them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hafan.core.errors import NotFoundOrNoAccess, NotPermitted
from hafan.debriefs.models import Debrief, MediationSession, MediationStatus
from hafan.debriefs.selectors import mediation_session_get_for_user
from hafan.debriefs.services import mediation_session_plan, mediation_session_record
from hafan.episodes.services import episode_record_return
from hafan.sharing.models import AuditAction, AuditEvent


def _ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


@pytest.fixture
def debrief(report_missing: Any, coordinator: Any) -> Debrief:
    episode = report_missing(reported_at=_ago(60), last_seen_at=_ago(62))
    episode = episode_record_return(
        episode=episode, recorded_by=coordinator, returned_at=_ago(48), found_where="Pill", found_by="police",
        harm_suffered=False,
    )  # fmt: skip
    return Debrief.objects.select_related("episode__child", "provider").get(episode=episode)


@pytest.fixture
def session(debrief: Debrief, debrief_worker: Any) -> MediationSession:
    return mediation_session_plan(
        debrief=debrief, planned_by=debrief_worker, scheduled_for=_ago(2), attendees="Mum, the child"
    )


def test_a_session_is_planned_for_the_debriefs_child_once(debrief: Debrief, debrief_worker: Any) -> None:
    when = _ago(-48)
    session = mediation_session_plan(debrief=debrief, planned_by=debrief_worker, scheduled_for=when)
    again = mediation_session_plan(debrief=debrief, planned_by=debrief_worker, scheduled_for=when)
    assert session.pk == again.pk
    assert (session.child, session.provider, session.facilitator, session.status) == (
        debrief.episode.child, debrief.provider, debrief_worker, MediationStatus.PLANNED,
    )  # fmt: skip
    assert AuditEvent.objects.filter(target_type="mediation_session", action=AuditAction.CREATE).count() == 1


def test_planning_checks_the_time_and_the_worker(
    debrief: Debrief, debrief_worker: Any, coordinator: Any
) -> None:
    with pytest.raises(ValidationError) as exc:
        mediation_session_plan(debrief=debrief, planned_by=debrief_worker, scheduled_for=None)
    assert "scheduled_for" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        mediation_session_plan(debrief=debrief, planned_by=debrief_worker, scheduled_for=_ago(72))
    assert "scheduled_for" in exc.value.message_dict
    with pytest.raises(NotPermitted):
        mediation_session_plan(debrief=debrief, planned_by=coordinator, scheduled_for=_ago(-24))
    assert not MediationSession.objects.exists()


def test_a_held_session_records_who_took_part_the_summary_and_what_was_agreed(
    session: MediationSession, debrief_worker: Any
) -> None:
    with pytest.raises(ValidationError) as exc:
        mediation_session_record(session=session, recorded_by=debrief_worker, status="held")
    assert {"summary", "attendees"} <= set(exc.value.message_dict)
    next_on = timezone.localdate() + datetime.timedelta(days=14)
    session = mediation_session_record(
        session=session, recorded_by=debrief_worker, status="held", attendees="Mum, stepdad, the child",
        summary="Talked about rows over curfew.", agreed_actions="10pm curfew on school nights.",
        next_session_on=next_on,
    )  # fmt: skip
    session.refresh_from_db()
    assert (session.status, session.summary, session.next_session_on) == (
        "held", "Talked about rows over curfew.", next_on,
    )  # fmt: skip


@pytest.mark.parametrize("status", ["cancelled", "did_not_attend"])
def test_cancelled_or_not_attended_needs_no_summary(
    session: MediationSession, debrief_worker: Any, status: str
) -> None:
    session = mediation_session_record(session=session, recorded_by=debrief_worker, status=status)
    assert session.status == status


def test_bad_outcomes_are_refused(debrief: Debrief, session: MediationSession, debrief_worker: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        mediation_session_record(session=session, recorded_by=debrief_worker, status="planned")
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        mediation_session_record(
            session=session, recorded_by=debrief_worker, status="cancelled",
            next_session_on=timezone.localdate() - datetime.timedelta(days=5),
        )  # fmt: skip
    assert "next_session_on" in exc.value.message_dict
    future = mediation_session_plan(debrief=debrief, planned_by=debrief_worker, scheduled_for=_ago(-24))
    with pytest.raises(ValidationError) as exc:
        mediation_session_record(
            session=future, recorded_by=debrief_worker, status="held", attendees="Mum", summary="Early."
        )
    assert "status" in exc.value.message_dict
    session.refresh_from_db()
    assert session.status == MediationStatus.PLANNED


@pytest.mark.parametrize(
    "persona",
    ["coordinator", "supervisor", "social_worker", "nurse", "education_worker", "analyst", "outsider"],
)
def test_only_the_providers_workers_see_a_session(
    client: Any, session: MediationSession, persona: str, request: Any
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(NotFoundOrNoAccess):
        mediation_session_get_for_user(user=user, public_id=session.public_id)
    with pytest.raises(NotPermitted):
        mediation_session_record(session=session, recorded_by=user, status="cancelled")
    client.force_login(user)
    url = reverse("debriefs:mediation", args=[session.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"status": "cancelled"}).status_code == 404


def test_the_worker_reads_a_session_and_it_is_audited(session: MediationSession, debrief_worker: Any) -> None:
    assert mediation_session_get_for_user(user=debrief_worker, public_id=session.public_id) == session
    assert AuditEvent.objects.filter(
        target_type="mediation_session", action=AuditAction.VIEW, target_id=str(session.public_id)
    ).exists()
    with pytest.raises(NotFoundOrNoAccess):
        mediation_session_get_for_user(user=debrief_worker, public_id="not-a-uuid")


def test_the_pages_plan_and_record_a_session_linked_from_the_debrief(
    client: Any, debrief: Debrief, debrief_worker: Any
) -> None:
    client.force_login(debrief_worker)
    new_url = reverse("debriefs:mediation_new", args=[debrief.public_id])
    assert client.post(new_url, {}).status_code == 200  # errors shown
    when = timezone.localtime(_ago(3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(new_url, {"scheduled_for": when, "attendees": "Mum"})
    assert response.status_code == 302
    session = MediationSession.objects.get(debrief=debrief)
    assert response["Location"] == reverse("debriefs:mediation", args=[session.public_id])
    detail = client.get(reverse("debriefs:detail", args=[debrief.public_id])).content.decode()
    assert reverse("debriefs:mediation", args=[session.public_id]) in detail
    page = client.post(response["Location"], {"status": "held"})
    assert page.status_code == 200 and "Summarise the session." in page.content.decode()
    done = client.post(
        response["Location"],
        {
            "status": "held",
            "attendees": "Mum, the child",
            "summary": "Went well.",
            "agreed_actions": "Meet again.",
        },
    )
    assert done.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.summary) == ("held", "Went well.")
