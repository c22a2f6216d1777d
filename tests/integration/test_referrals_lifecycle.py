"""Referrals followed through (issue 7, item 4): the lifecycle as services, who may answer, NRM rules, the
directory's areas and load, and the reminders the scheduler sends."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.management.commands.scheduler import JOBS, Command
from hafan.episodes.models import Episode
from hafan.notifications.messages import notice_text
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.services import PersonDetails
from hafan.referrals.directory import service_directory_seed, service_for
from hafan.referrals.models import Referral, ReferralEvent, ReferralStatus, Service, ServiceKind
from hafan.referrals.selectors import directory_for_user
from hafan.referrals.services import (
    referral_accept,
    referral_complete,
    referral_decline,
    referral_nrm_record,
    referral_reminders_send,
    referral_send,
    referral_start,
    referral_update,
    referral_withdraw,
)
from hafan.sharing.models import AuditAction, AuditEvent

DAY = datetime.timedelta(days=1)


@pytest.fixture
def episode(report_missing: Callable[..., Episode]) -> Episode:
    return report_missing()  # a Newport child, aged 15


def _service(kind: ServiceKind, council: str | None = "NCC") -> Service:
    return service_for(kind=kind, council_code=council)


def _refer(episode: Episode, by: Any, kind: ServiceKind, *, days_ago: float = 0, **kw: Any) -> Referral:
    return referral_send(
        child=episode.child,
        service=kw.pop("service", None) or _service(kind),
        referred_by=by,
        reason=kw.pop("reason", "Low mood and not sleeping since the last episode."),
        consent_given=kw.pop("consent_given", True),
        episode=episode,
        referred_at=timezone.now() - datetime.timedelta(days=days_ago),
        **kw,
    )


def _events(referral: Referral) -> list[tuple[str, str]]:
    return list(
        ReferralEvent.objects.filter(referral=referral).order_by("at", "id").values_list("kind", "status")
    )


# The lifecycle


def test_a_referral_goes_from_sent_to_completed_each_step_an_event_and_an_audit_row(
    episode: Episode, social_worker: Any, nurse: Any
) -> None:
    referral = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=20)
    referral_accept(referral=referral, actor=nurse, at=timezone.now() - 15 * DAY)
    referral_start(referral=referral, actor=nurse, at=timezone.now() - 10 * DAY)
    referral = referral_complete(
        referral=referral, actor=nurse, outcome_code="partly_met", outcome="Eight sessions; sleeping better."
    )

    assert referral.status == ReferralStatus.COMPLETED
    assert (referral.outcome_code, referral.outcome) == ("partly_met", "Eight sessions; sleeping better.")
    assert referral.responded_at is not None and referral.started_at is not None
    assert referral.completed_at is not None and referral.completed_at > referral.started_at
    assert _events(referral) == [
        ("status", "sent"),
        ("status", "accepted"),
        ("status", "started"),
        ("status", "completed"),
    ]
    updates = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, target_type="referral", target_id=str(referral.public_id)
    ).order_by("at", "id")
    assert [e.detail["status"] for e in updates] == [
        ["sent", "accepted"],
        ["accepted", "started"],
        ["started", "completed"],
    ]
    assert {e.actor_username for e in updates} == {nurse.username}


@pytest.mark.parametrize(
    ("path", "refused", "message"),
    [
        ([], ReferralStatus.STARTED, "next it can be"),
        ([], ReferralStatus.COMPLETED, "next it can be"),
        ([ReferralStatus.ACCEPTED], ReferralStatus.DECLINED, "next it can be"),
        ([ReferralStatus.ACCEPTED], ReferralStatus.COMPLETED, "next it can be"),
        ([ReferralStatus.ACCEPTED, ReferralStatus.STARTED], ReferralStatus.ACCEPTED, "next it can be"),
        ([ReferralStatus.WITHDRAWN], ReferralStatus.ACCEPTED, "finished"),
    ],
)
def test_steps_out_of_order_are_refused_with_a_clear_error_and_write_nothing(
    episode: Episode, social_worker: Any, path: list[str], refused: str, message: str
) -> None:
    # The CSE/CCE service is outside the partnership: the referring agency records its answers.
    referral = _refer(episode, social_worker, ServiceKind.EXPLOITATION, days_ago=3)
    for step in path:
        referral_update(referral=referral, actor=social_worker, status=step, reason="Moved away")
    events = _events(referral)
    with pytest.raises(InvalidAction) as exc:
        referral_update(
            referral=referral,
            actor=social_worker,
            status=refused,
            reason="x",
            outcome_code="goals_met",
            outcome="x",
        )
    assert message in str(exc.value)
    assert _events(referral) == events
    referral.refresh_from_db()
    assert referral.status == (path[-1] if path else ReferralStatus.SENT)


def test_a_decline_needs_a_reason(episode: Episode, social_worker: Any, nurse: Any) -> None:
    referral = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=2)
    with pytest.raises(ValidationError) as exc:
        referral_decline(referral=referral, actor=nurse, reason="  ")
    assert "reason" in exc.value.message_dict
    referral = referral_decline(
        referral=referral, actor=nurse, reason="Threshold not met; school counsellor."
    )
    assert referral.status == ReferralStatus.DECLINED
    assert referral.declined_reason == "Threshold not met; school counsellor."
    assert referral.responded_at is not None


def test_completing_needs_an_outcome_code_and_what_came_of_it(
    episode: Episode, social_worker: Any, nurse: Any
) -> None:
    referral = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=30)
    referral_accept(referral=referral, actor=nurse)
    referral_start(referral=referral, actor=nurse)
    with pytest.raises(ValidationError) as exc:
        referral_update(referral=referral, actor=nurse, status=ReferralStatus.COMPLETED, outcome_code="lost")
    assert set(exc.value.message_dict) == {"outcome_code", "outcome"}
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.STARTED


def test_a_partner_run_service_is_answered_only_by_its_own_staff(
    episode: Episode, social_worker: Any, nurse: Any, education_worker: Any, debrief_worker: Any
) -> None:
    referral = _refer(episode, social_worker, ServiceKind.CAMHS)
    for user in (social_worker, education_worker, debrief_worker):
        with pytest.raises(NotPermitted):
            referral_accept(referral=referral, actor=user)
    assert referral_accept(referral=referral, actor=nurse).status == ReferralStatus.ACCEPTED


def test_a_service_outside_the_partnership_is_answered_by_the_referring_agency_or_the_hub(
    episode: Episode, debrief_worker: Any, coordinator: Any, analyst: Any, outsider: Any
) -> None:
    referral = _refer(episode, debrief_worker, ServiceKind.SUBSTANCE_MISUSE)
    for user in (analyst, outsider):
        with pytest.raises(NotPermitted):
            referral_accept(referral=referral, actor=user)
    referral_accept(referral=referral, actor=debrief_worker)
    assert referral_start(referral=referral, actor=coordinator).status == ReferralStatus.STARTED


def test_withdrawing_is_for_the_referring_side(
    episode: Episode, social_worker: Any, debrief_worker: Any
) -> None:
    # Peer mentoring is Llamau's: its worker answers it, but does not withdraw the council's referral.
    referral = _refer(episode, social_worker, ServiceKind.PEER_MENTORING)
    with pytest.raises(NotPermitted):
        referral_withdraw(referral=referral, actor=debrief_worker)
    referral_accept(referral=referral, actor=debrief_worker)
    referral = referral_withdraw(referral=referral, actor=social_worker, reason="Family moved to Cardiff.")
    assert referral.status == ReferralStatus.WITHDRAWN
    assert _events(referral)[-1] == ("status", "withdrawn")


def test_repeating_a_step_or_a_referral_changes_nothing(
    episode: Episode, social_worker: Any, nurse: Any
) -> None:
    referral = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=1)
    again = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=1)
    assert again.pk == referral.pk
    assert Referral.objects.count() == 1
    referral_accept(referral=referral, actor=nurse)
    referral_accept(referral=referral, actor=nurse)
    assert _events(referral) == [("status", "sent"), ("status", "accepted")]


def test_only_services_covering_the_childs_council_take_the_referral(
    episode: Episode, social_worker: Any
) -> None:
    caerphilly = _service(ServiceKind.EDUCATION_SUPPORT, "CCBC")
    with pytest.raises(ValidationError) as exc:
        _refer(episode, social_worker, ServiceKind.EDUCATION_SUPPORT, service=caerphilly)
    assert "service" in exc.value.message_dict
    newport = _refer(episode, social_worker, ServiceKind.EDUCATION_SUPPORT)
    assert newport.service.provider_agency.code == "NCC"  # type: ignore[union-attr]


# The National Referral Mechanism


def test_an_nrm_referral_of_a_child_needs_no_consent_but_an_adults_does(
    report_missing: Callable[..., Episode], social_worker: Any
) -> None:
    child_episode = report_missing()
    referral = _refer(child_episode, social_worker, ServiceKind.NRM, consent_given=False)
    assert referral.consent_given is False

    eighteen = timezone.localdate().replace(year=timezone.localdate().year - 18) - DAY
    adult_episode = report_missing(
        child_details=PersonDetails(
            given_name="Rhys", family_name="Pritchard", date_of_birth=eighteen, sex="male"
        )
    )
    with pytest.raises(ValidationError) as exc:
        _refer(adult_episode, social_worker, ServiceKind.NRM, consent_given=False)
    assert "18 or over" in exc.value.message_dict["consent_given"][0]
    assert _refer(adult_episode, social_worker, ServiceKind.NRM, consent_given=True).consent_given


def test_nrm_reference_and_decisions_in_order(episode: Episode, social_worker: Any, outsider: Any) -> None:
    referral = _refer(episode, social_worker, ServiceKind.NRM, consent_given=False, days_ago=60)
    today = timezone.localdate()
    referral = referral_nrm_record(referral=referral, actor=social_worker, reference="NRM-2026-01234")
    assert (referral.nrm_reference, referral.nrm_decision) == ("NRM-2026-01234", "awaiting")

    with pytest.raises(ValidationError) as exc:
        referral_nrm_record(
            referral=referral,
            actor=social_worker,
            reference="NRM-2026-01234",
            decision="cg_positive",
            decided_on=today,
        )
    assert "nrm_decision" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        referral_nrm_record(
            referral=referral, actor=social_worker, reference="NRM-2026-01234", decision="rg_positive"
        )
    assert "nrm_decision_on" in exc.value.message_dict
    with pytest.raises(NotPermitted):
        referral_nrm_record(referral=referral, actor=outsider, reference="NRM-2026-09999")
    with pytest.raises(ValidationError) as exc:
        referral_nrm_record(referral=referral, actor=social_worker, reference="NRM 2026 01234")
    assert "nrm_reference" in exc.value.message_dict

    referral_nrm_record(
        referral=referral,
        actor=social_worker,
        reference="NRM-2026-01234",
        decision="rg_positive",
        decided_on=today - 50 * DAY,
    )
    referral = referral_nrm_record(
        referral=referral,
        actor=social_worker,
        reference="NRM-2026-01234",
        decision="cg_positive",
        decided_on=today - 5 * DAY,
    )
    assert (referral.nrm_decision, referral.nrm_decision_on) == ("cg_positive", today - 5 * DAY)
    # Recording the same again changes nothing.
    referral_nrm_record(
        referral=referral,
        actor=social_worker,
        reference="NRM-2026-01234",
        decision="cg_positive",
        decided_on=today - 5 * DAY,
    )
    assert [k for k, _s in _events(referral)].count("nrm_decision") == 3


def test_only_an_nrm_referral_has_nrm_decisions(episode: Episode, social_worker: Any) -> None:
    referral = _refer(episode, social_worker, ServiceKind.EXPLOITATION)
    with pytest.raises(InvalidAction):
        referral_nrm_record(referral=referral, actor=social_worker, reference="NRM-2026-00001")


# The directory


def test_the_directory_covers_every_kind_with_provider_areas_contact_and_capacity(partnership: Any) -> None:
    service_directory_seed()  # a second run changes nothing
    services = Service.objects.filter(active=True)
    assert {s.kind for s in services} == set(ServiceKind.values)
    assert Service.objects.filter(kind=ServiceKind.EDUCATION_SUPPORT).count() == 5
    for service in services:
        assert service.provider_name and service.contact_email.endswith(".invalid")
        assert service.contact_phone.startswith(("029 2018 0", "01632 960"))
    assert Service.objects.get(kind=ServiceKind.CAMHS).provider_agency.code == "ABUHB"  # type: ignore[union-attr]
    assert Service.objects.get(kind=ServiceKind.PEER_MENTORING).provider_agency.code == "LLAMAU"  # type: ignore[union-attr]
    assert Service.objects.get(kind=ServiceKind.NRM).needs_consent is False


def test_the_directory_filters_by_area_and_shows_the_load(
    episode: Episode, social_worker: Any, nurse: Any, analyst: Any
) -> None:
    referral = _refer(episode, social_worker, ServiceKind.CAMHS)
    _refer(episode, social_worker, ServiceKind.FAMILY_MEDIATION)
    referral_accept(referral=referral, actor=nurse)

    caerphilly = {e.service.name_en for e in directory_for_user(user=nurse, council_code="CCBC")}
    assert "Education inclusion support: Caerphilly" in caerphilly
    assert "Education inclusion support: Newport" not in caerphilly
    assert "Detached youth work: west Gwent" in caerphilly
    assert "Detached youth work: east Gwent" not in caerphilly
    assert "National Referral Mechanism" in caerphilly  # all of Gwent

    entries = {e.service.kind: e for e in directory_for_user(user=nurse, kind=ServiceKind.CAMHS)}
    assert list(entries) == [ServiceKind.CAMHS]
    assert (entries[ServiceKind.CAMHS].working, entries[ServiceKind.CAMHS].waiting) == (1, 0)
    mediation = directory_for_user(user=nurse, kind=ServiceKind.FAMILY_MEDIATION)[0]
    assert (mediation.working, mediation.waiting, mediation.service.capacity) == (0, 1, 18)

    from hafan.core.errors import NotFoundOrNoAccess

    with pytest.raises(NotFoundOrNoAccess):
        directory_for_user(user=analyst)


# Reminders


def test_a_referral_with_no_answer_is_reminded_once_per_interval(
    episode: Episode, social_worker: Any, nurse: Any, auditor: Any, settings: Any
) -> None:
    settings.HAFAN_REFERRAL_REMINDER_DAYS = 7
    now = timezone.now()
    referral = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=8)

    assert referral_reminders_send(now=now) == 1
    notices = Notification.objects.filter(kind=NotificationKind.REFERRAL_REMINDER)
    # The referrer and the health board's staff who answer it (not its IG officer, who answers no referral).
    assert {n.recipient for n in notices} == {social_worker, nurse}
    assert auditor.agency.code == "ABUHB"
    text = notice_text(kind=NotificationKind.REFERRAL_REMINDER, params=notices[0].params, language="en")
    assert "Mental health" in text.title or "CAMHS" in text.title
    assert "Cerys" not in text.title + text.body and "Jones" not in text.title + text.body
    assert notices[0].url == f"/referrals/{referral.public_id}/"

    assert referral_reminders_send(now=now + DAY) == 0  # not twice in one interval
    assert referral_reminders_send(now=now + 7 * DAY) == 1  # again after another interval
    referral.refresh_from_db()
    assert (referral.reminders_sent, referral.status) == (2, ReferralStatus.SENT)
    assert [k for k, _s in _events(referral)].count("reminder") == 2
    assert Notification.objects.filter(kind=NotificationKind.REFERRAL_REMINDER).count() == 4


def test_an_answered_referral_is_not_reminded(episode: Episode, social_worker: Any, nurse: Any) -> None:
    recent = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=3)
    old = _refer(episode, social_worker, ServiceKind.EXPLOITATION, days_ago=20)
    referral_accept(referral=old, actor=social_worker, at=timezone.now() - 19 * DAY)
    assert referral_reminders_send() == 0
    assert not Notification.objects.filter(kind=NotificationKind.REFERRAL_REMINDER).exists()
    for referral in (recent, old):
        referral.refresh_from_db()
        assert referral.reminders_sent == 0


def test_started_work_with_no_outcome_is_reminded_after_the_outcome_interval(
    episode: Episode, social_worker: Any, settings: Any
) -> None:
    settings.HAFAN_REFERRAL_OUTCOME_DAYS = 90
    referral = _refer(episode, social_worker, ServiceKind.BEREAVEMENT, days_ago=120)
    referral_accept(referral=referral, actor=social_worker, at=timezone.now() - 110 * DAY)
    referral_start(referral=referral, actor=social_worker, at=timezone.now() - 100 * DAY)
    assert referral_reminders_send() == 1
    notice = Notification.objects.get(kind=NotificationKind.REFERRAL_REMINDER)
    assert notice.recipient == social_worker and notice.params["stage"] == "outcome"
    assert "no outcome" in notice_text(kind=notice.kind, params=notice.params, language="en").title
    assert referral_reminders_send() == 0


def test_the_scheduler_runs_the_reminders(episode: Episode, social_worker: Any) -> None:
    referral = _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=30)
    job = next(j for j in JOBS if j.name == "referral_reminders_send")
    assert Command().run_job(job, now=timezone.now()) is True
    assert ReferralEvent.objects.filter(referral=referral, kind="reminder").count() == 1


# Rights


def test_a_referrals_history_is_part_of_the_childs_data(
    episode: Episode, social_worker: Any, nurse: Any
) -> None:
    from hafan.rights.export import SECTIONS
    from hafan.rights.holdings import holdings_for

    referral = _refer(episode, social_worker, ServiceKind.CAMHS)
    referral_accept(referral=referral, actor=nurse)
    holdings = holdings_for(episode.child)
    assert holdings.rows[ReferralEvent] == set(
        ReferralEvent.objects.filter(referral=referral).values_list("pk", flat=True)
    )
    assert len(holdings.rows[ReferralEvent]) == 2
    assert SECTIONS["referrals.ReferralEvent"] == "referral_events"
