"""The charity's workspace (issue 7, item 1): the caseload against the 72-hour clock, contact attempts, the offer
and its outcomes, reassignment, language, and what the worker sees of the child."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.services import staff_create
from hafan.core.errors import NotPermitted
from hafan.core.vocabulary import FactCategory, Role
from hafan.debriefs.models import ContactAttempt, Debrief, OfferStatus
from hafan.debriefs.selectors import debrief_contact_details, debrief_queue_for, debrief_week_summary
from hafan.debriefs.services import (
    contact_attempt_record,
    debrief_assign,
    debrief_language_set,
    debrief_offer_decide,
)
from hafan.episodes.services import episode_record_return
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.models import Child
from hafan.people.services import PersonDetails, fact_add, source_record_upsert
from hafan.sharing.models import AuditAction, AuditEvent
from tests.conftest import PERSONA_PASSWORD

POLICE_SECRET = "CANARY police intelligence: linked to a county line"
HEALTH_SECRET = "CANARY health: prescribed sertraline"


def _ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


@pytest.fixture
def returned_child(report_missing: Any, coordinator: Any) -> Callable[..., Debrief]:
    """Reports a child missing and records their return `hours` ago; returns the debrief offer."""

    def _make(hours: float, *, given: str = "Cerys", family: str = "Jones", **child: Any) -> Debrief:
        details = PersonDetails(
            given_name=given, family_name=family, date_of_birth=datetime.date(2011, 3, 4), sex="female"
        )
        episode = report_missing(
            child_details=details,
            reported_at=_ago(hours + 10),
            last_seen_at=_ago(hours + 12),
        )
        if child:
            Child.objects.filter(pk=episode.child.pk).update(**child)
            episode.child.refresh_from_db()
        episode = episode_record_return(
            episode=episode,
            recorded_by=coordinator,
            returned_at=_ago(hours),
            found_where="Cwmbran bus station",
            found_by="police",
            harm_suffered=False,
        )
        return Debrief.objects.select_related("episode__child", "provider").get(episode=episode)

    return _make


@pytest.fixture
def colleague(debrief_worker: Any) -> Any:
    return staff_create(
        username="debrief2",
        password=PERSONA_PASSWORD,
        role=Role.DEBRIEF_WORKER,
        agency=debrief_worker.agency,
        first_name="Gethin",
        last_name="Pryce",
        hub_member=False,
    )


# The 72-hour clock


def test_the_caseload_puts_overdue_first_then_the_soonest_deadline(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    recent = returned_child(10, given="Alaw", family="Rees")  # 62 hours left
    nearly = returned_child(71, given="Bethan", family="Morgan")  # 1 hour left
    overdue = returned_child(80, given="Carys", family="Hughes")  # 8 hours overdue
    very_overdue = returned_child(100, given="Dylan", family="Price")  # 28 hours overdue
    queue = debrief_queue_for(debrief_worker)
    assert [d.pk for d in queue] == [very_overdue.pk, overdue.pk, nearly.pk, recent.pk]
    assert recent.due_by == recent.episode.returned_at + datetime.timedelta(hours=72)


def test_the_workspace_page_shows_the_clock_and_marks_overdue(
    client: Any, returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    returned_child(10, given="Alaw", family="Rees")
    returned_child(80, given="Carys", family="Hughes")
    client.force_login(debrief_worker)
    html = client.get(reverse("debriefs:queue")).content.decode()
    assert html.index("Carys Hughes") < html.index("Alaw Rees")
    assert "Overdue" in html and "by 8 hours" in html
    assert "61 hours left" in html or "62 hours left" in html
    assert 'data-testid="week-summary"' in html


def test_held_debriefs_leave_the_caseload(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    debrief = returned_child(5)
    debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="held", at=_ago(1))
    assert debrief_queue_for(debrief_worker) == []


def test_filters_mine_unassigned_and_the_agency(
    returned_child: Callable[..., Debrief], debrief_worker: Any, colleague: Any
) -> None:
    mine = returned_child(5, given="Alaw", family="Rees")
    theirs = returned_child(6, given="Bethan", family="Morgan")
    nobody = returned_child(7, given="Carys", family="Hughes")
    debrief_assign(debrief=mine, assigned_by=debrief_worker, worker=debrief_worker)
    debrief_assign(debrief=theirs, assigned_by=debrief_worker, worker=colleague)
    assert [d.pk for d in debrief_queue_for(debrief_worker, show="mine")] == [mine.pk]
    assert [d.pk for d in debrief_queue_for(debrief_worker, show="unassigned")] == [nobody.pk]
    assert {d.pk for d in debrief_queue_for(debrief_worker, show="agency")} == {mine.pk, theirs.pk, nobody.pk}
    assert [d.pk for d in debrief_queue_for(colleague, show="mine")] == [theirs.pk]


def test_the_week_summary_counts_held_declined_not_offered_and_overdue(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    held = returned_child(30, given="Alaw", family="Rees")
    declined = returned_child(20, given="Bethan", family="Morgan")
    not_offered = returned_child(10, given="Carys", family="Hughes")
    returned_child(90, given="Dylan", family="Price")  # open and overdue
    debrief_offer_decide(debrief=held, worker=debrief_worker, decision="held", at=_ago(2))
    debrief_offer_decide(
        debrief=declined, worker=debrief_worker, decision="declined", at=_ago(2), carer_seen=True
    )
    debrief_offer_decide(
        debrief=not_offered,
        worker=debrief_worker,
        decision="not_offered",
        at=_ago(2),
        reason="Moved to Cardiff.",
    )
    summary = debrief_week_summary(debrief_worker)
    assert summary is not None
    assert (summary.held, summary.declined, summary.not_offered, summary.overdue) == (1, 1, 1, 1)
    assert summary.held_within_deadline == 1


def test_only_the_debrief_worker_has_a_workspace(
    client: Any, coordinator: Any, social_worker: Any, nurse: Any, analyst: Any, outsider: Any
) -> None:
    for user in (coordinator, social_worker, nurse, analyst, outsider):
        client.force_login(user)
        assert client.get(reverse("debriefs:queue")).status_code == 404
        assert debrief_queue_for(user) == []
        assert debrief_week_summary(user) is None


# Language and the reason for referral


def test_the_debrief_is_offered_in_the_childs_recorded_language(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    welsh = returned_child(5, given="Gwenllian", family="Pugh", first_language="cy")
    english = returned_child(5, given="Alaw", family="Rees")
    assert (welsh.language, english.language) == ("cy", "en")
    debrief_language_set(debrief=welsh, worker=debrief_worker, language="en")
    welsh.refresh_from_db()
    assert welsh.language == "en"
    with pytest.raises(ValidationError) as exc:
        debrief_language_set(debrief=welsh, worker=debrief_worker, language="fr")
    assert "language" in exc.value.message_dict


def test_the_language_comes_from_the_childs_information_profile(
    report_missing: Any, coordinator: Any, social_worker: Any, supervisor: Any
) -> None:
    from hafan.people.services import allocation_start, child_profile_save

    episode = report_missing(reported_at=_ago(10), last_seen_at=_ago(12))
    allocation_start(child=episode.child, user=social_worker, kind="case_holder", allocated_by=supervisor)
    child_profile_save(
        child=episode.child, prepared_by=social_worker, based_on_version=None, description="Tall",
        first_language="cy",
    )  # fmt: skip
    episode = episode_record_return(
        episode=episode, recorded_by=coordinator, returned_at=_ago(2), found_where="Home", found_by="carer",
        harm_suffered=False,
    )  # fmt: skip
    assert Debrief.objects.get(episode=episode).language == "cy"


def test_the_reason_for_referral_names_the_episode_and_repeats_but_nothing_from_the_police(
    report_missing: Any, coordinator: Any, partnership: dict[str, Any]
) -> None:
    details = PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 3, 4))
    first = report_missing(child_details=details, reported_at=_ago(24 * 20), last_seen_at=_ago(24 * 20 + 2))
    episode_record_return(
        episode=first, recorded_by=coordinator, returned_at=_ago(24 * 19), found_where="Home", found_by="carer",
        harm_suffered=False,
    )  # fmt: skip
    fact_add(
        child=first.child, agency=partnership["GWP"], category=FactCategory.WARNING_MARKER, summary=POLICE_SECRET,
        recorded_on=timezone.localdate(), source="Niche RMS", actor=coordinator,
    )  # fmt: skip
    second = report_missing(child_details=details, reported_at=_ago(20), last_seen_at=_ago(22))
    assert second.child == first.child
    second = episode_record_return(
        episode=second, recorded_by=coordinator, returned_at=_ago(6), found_where="Pill", found_by="police",
        harm_suffered=False,
    )  # fmt: skip
    reason = Debrief.objects.get(episode=second).referral_reason
    assert second.reference in reason
    assert "missing for about 14 hours" in reason
    assert "2nd episode in 90 days" in reason
    assert "CANARY" not in reason and "county line" not in reason
    assert "episode in" not in Debrief.objects.get(episode=first).referral_reason


# What the worker sees


def test_the_worker_sees_contact_details_from_the_responsible_council_only(
    returned_child: Callable[..., Debrief], debrief_worker: Any, partnership: dict[str, Any]
) -> None:
    debrief = returned_child(5)
    child = debrief.episode.child
    for code, system, address, postcode in (
        ("NCC", "WCCIS", "12 Heol y Coed, Newport", "NP20 1AA"),
        ("NCC", "SIMS", "12 Heol y Coed, Newport", "NP20 1AA"),
        ("GWP", "Niche RMS", "CANARY police address", "NP1 9ZZ"),
        ("ABUHB", "Welsh PAS", "CANARY health address", "NP2 9ZZ"),
        ("TCBC", "WCCIS", "CANARY other council address", "NP4 9ZZ"),
    ):
        source_record_upsert(
            child=child, agency=partnership[code], system=system, local_id=f"{code}-1",
            details=PersonDetails(given_name="Cerys", family_name="Jones", address=address, postcode=postcode),
            recorded_on=timezone.localdate(), actor=None,
        )  # fmt: skip
    contact = debrief_contact_details(user=debrief_worker, debrief=debrief)
    assert contact.addresses == [("12 Heol y Coed, Newport", "NP20 1AA")]
    assert set(contact.sources) <= {"WCCIS", "SIMS", "Hafan"} and "Niche RMS" not in contact.sources


def test_the_debrief_pages_never_show_police_intelligence_or_health(
    client: Any, returned_child: Callable[..., Debrief], debrief_worker: Any, coordinator: Any,
    partnership: dict[str, Any],
) -> None:  # fmt: skip
    debrief = returned_child(5)
    child = debrief.episode.child
    fact_add(
        child=child, agency=partnership["GWP"], category=FactCategory.WARNING_MARKER, summary=POLICE_SECRET,
        recorded_on=timezone.localdate(), source="Niche RMS", actor=coordinator,
    )  # fmt: skip
    fact_add(
        child=child, agency=partnership["ABUHB"], category=FactCategory.HEALTH_NEED, summary=HEALTH_SECRET,
        recorded_on=timezone.localdate(), source="Welsh PAS", actor=None,
    )  # fmt: skip
    client.force_login(debrief_worker)
    pages = [
        reverse("debriefs:queue"),
        reverse("debriefs:detail", args=[debrief.public_id]),
        reverse("debriefs:attempt", args=[debrief.public_id]),
        reverse("debriefs:offer", args=[debrief.public_id]),
        reverse("debriefs:assign", args=[debrief.public_id]),
        reverse("debriefs:language", args=[debrief.public_id]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "CANARY" not in html, url
        assert "sertraline" not in html and "county line" not in html, url
    detail = client.get(pages[1]).content.decode()
    assert debrief.episode.reference in detail and "Cerys Jones" in detail
    assert 'data-testid="referral-reason"' in detail


@pytest.mark.parametrize(
    "persona", ["coordinator", "supervisor", "social_worker", "nurse", "analyst", "outsider"]
)
def test_every_debrief_page_is_404_to_anyone_but_the_providers_workers(
    client: Any, returned_child: Callable[..., Debrief], persona: str, request: Any
) -> None:
    debrief = returned_child(5)
    client.force_login(request.getfixturevalue(persona))
    for name in ("detail", "attempt", "offer", "assign", "language", "mediation_new"):
        url = reverse(f"debriefs:{name}", args=[debrief.public_id])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code == 404, name


# Contact attempts


def test_a_contact_attempt_is_recorded_once_and_audited(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    debrief = returned_child(5)
    at = _ago(3).replace(microsecond=0)
    first = contact_attempt_record(
        debrief=debrief, worker=debrief_worker, at=at, method="phone", outcome="no_answer"
    )
    again = contact_attempt_record(
        debrief=debrief, worker=debrief_worker, at=at, method="phone", outcome="no_answer"
    )
    assert first.pk == again.pk
    assert ContactAttempt.objects.filter(debrief=debrief).count() == 1
    assert AuditEvent.objects.filter(target_type="contact_attempt", action=AuditAction.CREATE).count() == 1
    contact_attempt_record(
        debrief=debrief, worker=debrief_worker, at=_ago(1), method="visit", outcome="reached"
    )
    row = next(r for r in debrief_queue_for(debrief_worker) if r.pk == debrief.pk)
    assert row.attempt_count == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"at": None}, "at"),
        ({"at": "before_return"}, "at"),
        ({"at": "future"}, "at"),
        ({"method": "carrier_pigeon"}, "method"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
def test_a_bad_contact_attempt_is_refused_and_nothing_is_written(
    returned_child: Callable[..., Debrief], debrief_worker: Any, fields: dict[str, Any], error: str
) -> None:
    debrief = returned_child(5)
    values: dict[str, Any] = {"at": _ago(1), "method": "phone", "outcome": "reached", **fields}
    if values["at"] == "before_return":
        values["at"] = _ago(6)
    elif values["at"] == "future":
        values["at"] = timezone.now() + datetime.timedelta(hours=2)
    with pytest.raises(ValidationError) as exc:
        contact_attempt_record(debrief=debrief, worker=debrief_worker, **values)
    assert error in exc.value.message_dict
    assert not ContactAttempt.objects.exists()


def test_only_the_providers_workers_record_attempts(
    returned_child: Callable[..., Debrief], coordinator: Any
) -> None:
    debrief = returned_child(5)
    with pytest.raises(NotPermitted):
        contact_attempt_record(
            debrief=debrief, worker=coordinator, at=_ago(1), method="phone", outcome="reached"
        )


def test_the_attempt_page_records_an_attempt(
    client: Any, returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    debrief = returned_child(5)
    client.force_login(debrief_worker)
    url = reverse("debriefs:attempt", args=[debrief.public_id])
    bad = client.post(url, {"method": "phone"})
    assert bad.status_code == 200 and "Enter when you tried to make contact." in bad.content.decode()
    at = timezone.localtime(_ago(2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"at": at, "method": "text", "outcome": "message_left", "note": "Texted mum"})
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get(debrief=debrief)
    assert (attempt.method, attempt.outcome, attempt.note) == ("text", "message_left", "Texted mum")
    queue = client.get(reverse("debriefs:queue")).content.decode()
    assert "1 contact attempt" in queue and "Left a message" in queue


# The offer


def test_the_offer_moves_through_offered_accepted_held(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    debrief = returned_child(8)
    debrief = debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="offered", at=_ago(6))
    assert (debrief.status, debrief.offered_at is not None, debrief.worker) == (
        "offered",
        True,
        debrief_worker,
    )
    offered_at = debrief.offered_at
    debrief = debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="accepted", at=_ago(5))
    assert debrief.status == "accepted" and debrief.offered_at == offered_at
    held_at = _ago(1)
    debrief = debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="held", at=held_at)
    assert (debrief.status, debrief.held_at) == ("held", held_at)
    # Deciding what is already recorded changes nothing.
    before = AuditEvent.objects.count()
    debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="held", at=_ago(0.5))
    debrief.refresh_from_db()
    assert debrief.held_at == held_at and AuditEvent.objects.count() == before


def test_offered_and_held_in_one_conversation(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    debrief = returned_child(8)
    at = _ago(2)
    debrief = debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="held", at=at)
    assert (debrief.offered_at, debrief.held_at) == (at, at)


def test_declined_records_whether_a_carer_was_seen(
    returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    debrief = returned_child(8)
    with pytest.raises(ValidationError) as exc:
        debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="declined", at=_ago(2))
    assert "carer_seen" in exc.value.message_dict
    debrief = debrief_offer_decide(
        debrief=debrief, worker=debrief_worker, decision="declined", at=_ago(2), reason="Did not want to talk.",
        carer_seen=True, carer_seen_note="Saw mum at home.",
    )  # fmt: skip
    debrief.refresh_from_db()
    assert (debrief.status, debrief.carer_seen, debrief.carer_seen_note, debrief.declined_reason) == (
        "declined", True, "Saw mum at home.", "Did not want to talk.",
    )  # fmt: skip
    # A child who declined may change their mind.
    debrief = debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="held", at=_ago(1))
    assert debrief.status == "held"


def test_not_offered_needs_a_reason(returned_child: Callable[..., Debrief], debrief_worker: Any) -> None:
    debrief = returned_child(8)
    with pytest.raises(ValidationError) as exc:
        debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="not_offered", at=_ago(2))
    assert "not_offered_reason" in exc.value.message_dict
    debrief.refresh_from_db()
    assert debrief.status == OfferStatus.AWAITING
    debrief = debrief_offer_decide(
        debrief=debrief,
        worker=debrief_worker,
        decision="not_offered",
        at=_ago(2),
        reason="Already has a worker.",
    )
    assert (debrief.status, debrief.not_offered_reason, debrief.offered_at) == (
        "not_offered", "Already has a worker.", None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "decision", "at_hours", "error"),
    [
        ([], "awaiting", 2, "status"),
        ([], "sent_to_the_moon", 2, "status"),
        ([("held", 2)], "offered", 1, "status"),  # a held debrief is finished
        ([("offered", 2)], "not_offered", 1, "status"),
        ([], "offered", 9, "at"),  # before the child returned
        ([], "offered", -2, "at"),  # in the future
        ([("offered", 2)], "accepted", 3, "at"),  # before the offer
    ],
)
def test_offer_transitions_and_times_are_checked(
    returned_child: Callable[..., Debrief],
    debrief_worker: Any,
    steps: list[tuple[str, float]],
    decision: str,
    at_hours: float,
    error: str,
) -> None:
    debrief = returned_child(8)
    for step, hours in steps:
        debrief = debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision=step, at=_ago(hours))
    status = debrief.status
    with pytest.raises(ValidationError) as exc:
        debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision=decision, at=_ago(at_hours))
    assert error in exc.value.message_dict
    debrief.refresh_from_db()
    assert debrief.status == status


def test_the_offer_page_shows_errors_and_records_the_decision(
    client: Any, returned_child: Callable[..., Debrief], debrief_worker: Any
) -> None:
    debrief = returned_child(8)
    client.force_login(debrief_worker)
    url = reverse("debriefs:offer", args=[debrief.public_id])
    at = timezone.localtime(_ago(2)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(url, {"decision": "not_offered", "at": at})
    assert bad.status_code == 200
    assert "Say why a debrief was not offered." in bad.content.decode()
    assert "govuk-error-summary" in bad.content.decode()
    ok = client.post(url, {"decision": "declined", "at": at, "carer_seen": "no"})
    assert ok.status_code == 302
    debrief.refresh_from_db()
    assert (debrief.status, debrief.carer_seen) == ("declined", False)


# Reassignment


def test_reassigning_tells_the_new_worker_once(
    returned_child: Callable[..., Debrief], debrief_worker: Any, colleague: Any
) -> None:
    debrief = returned_child(5)
    debrief = debrief_assign(debrief=debrief, assigned_by=debrief_worker, worker=colleague)
    assert debrief.worker == colleague and debrief.assigned_at is not None
    notice = Notification.objects.get(recipient=colleague)
    assert notice.kind == NotificationKind.DEBRIEF_ASSIGNED
    assert notice.params["reference"] == debrief.episode.reference
    assert notice.url == reverse("debriefs:detail", args=[debrief.public_id])
    assert "Cerys" not in str(notice.params)  # notices never carry a child's name
    debrief_assign(debrief=debrief, assigned_by=debrief_worker, worker=colleague)  # no change: no new notice
    assert Notification.objects.filter(recipient=colleague).count() == 1
    debrief_assign(debrief=debrief, assigned_by=colleague, worker=debrief_worker)
    assert (
        Notification.objects.filter(recipient=debrief_worker, kind=NotificationKind.DEBRIEF_ASSIGNED).count()
        == 1
    )
    assert AuditEvent.objects.filter(target_type="debrief", detail__worker__isnull=False).count() == 2


def test_a_debrief_is_assigned_only_to_the_providers_workers(
    returned_child: Callable[..., Debrief], debrief_worker: Any, coordinator: Any
) -> None:
    debrief = returned_child(5)
    with pytest.raises(ValidationError) as exc:
        debrief_assign(debrief=debrief, assigned_by=debrief_worker, worker=coordinator)
    assert "worker" in exc.value.message_dict
    with pytest.raises(NotPermitted):
        debrief_assign(debrief=debrief, assigned_by=coordinator, worker=debrief_worker)
    debrief.refresh_from_db()
    assert debrief.worker is None


def test_the_assign_page_lists_the_providers_workers(
    client: Any, returned_child: Callable[..., Debrief], debrief_worker: Any, colleague: Any
) -> None:
    debrief = returned_child(5)
    client.force_login(debrief_worker)
    url = reverse("debriefs:assign", args=[debrief.public_id])
    html = client.get(url).content.decode()
    assert "Gethin Pryce" in html
    assert not re.search(r"Hub police|coordinator", html.split('name="worker"')[1].split("</select>")[0])
    assert client.post(url, {"worker": str(colleague.pk)}).status_code == 302
    debrief.refresh_from_db()
    assert debrief.worker == colleague
