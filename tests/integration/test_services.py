"""The write path: every service validates, checks the policy, writes in one transaction and audits.

Data is set up through the services and the personas in tests/conftest.py, never raw ORM writes.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import FactCategory, Purpose, RiskGrade
from hafan.debriefs.models import Debrief, OfferStatus, ShareBasis
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.selectors import briefing_for
from hafan.episodes.services import episode_record_return
from hafan.people.models import Child, Fact, ResponsePlan, SourceRecord
from hafan.people.services import PersonDetails, child_create, response_plan_propose
from hafan.referrals.models import Referral, ReferralStatus, Service, ServiceKind
from hafan.referrals.services import referral_send, referral_update
from hafan.risk.models import RiskAssessment
from hafan.risk.rules import default_next_review
from hafan.risk.services import risk_grade_confirm, risk_grade_record
from hafan.sharing.models import AuditAction, AuditEvent

NHS = "9434765919"
OTHER_NHS = "9999999999"  # 9*(10+9+...+2) = 486; 486 mod 11 = 2; 11 - 2 = 9: valid, and in the test range
DOB = datetime.date(2011, 3, 4)
CERYS = PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=DOB, sex="female")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Ten personas per test: the production hasher's cost would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _counts() -> dict[str, int]:
    models = (Child, Episode, SourceRecord, Fact, RiskAssessment, Debrief, Referral, ResponsePlan, AuditEvent)
    return {m.__name__: m.objects.count() for m in models}


def assert_audited(
    *, action: AuditAction, target_type: str, target_id: Any, actor: Any, child_public_id: uuid.UUID | None
) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action, target_type=target_type, target_id=str(target_id)))
    assert len(events) == 1, (
        f"expected one {action} audit row for {target_type} {target_id}, found {len(events)}"
    )
    event = events[0]
    assert event.actor_username == actor.username
    assert event.role == actor.role
    assert event.agency_code == actor.agency.code
    assert event.child_public_id == child_public_id
    return event


def _hours_ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


@pytest.fixture
def episode(report_missing: Callable[..., Episode]) -> Episode:
    return report_missing(reported_at=_hours_ago(6), last_seen_at=_hours_ago(8))


def _return(episode: Episode, by: Any, **overrides: Any) -> Episode:
    kwargs: dict[str, Any] = {
        "episode": episode,
        "recorded_by": by,
        "returned_at": _hours_ago(3),
        "found_where": "Grandmother's house, Caerleon",
        "found_by": "carer",
        "harm_suffered": False,
    }
    kwargs.update(overrides)
    return episode_record_return(**kwargs)


@pytest.fixture
def returned(episode: Episode, coordinator: Any) -> Episode:
    return _return(episode, coordinator)


def _grade(episode: Episode, author: Any, grade: str = "medium", **overrides: Any) -> RiskAssessment:
    assessed_at = overrides.pop("assessed_at", timezone.now())
    kwargs: dict[str, Any] = {
        "episode": episode,
        "author": author,
        "grade": grade,
        "factors": ["cse", "repeat"],
        "rationale": "Known to associate with older males; third episode this month.",
        "next_review_due": default_next_review(RiskGrade(grade), assessed_at),
        "assessed_at": assessed_at,
    }
    kwargs.update(overrides)
    return risk_grade_record(**kwargs)


# Reporting a child missing


def test_report_opens_an_episode_for_a_new_child_and_audits_every_write(
    report_missing: Callable[..., Episode], coordinator: Any
) -> None:
    before = _counts()
    episode = report_missing()
    after = _counts()
    assert episode.status == EpisodeStatus.MISSING
    assert episode.reported_by == coordinator
    assert episode.council is not None and episode.council.code == "NCC"
    assert (after["Child"], after["Episode"], after["SourceRecord"]) == (
        before["Child"] + 1,
        before["Episode"] + 1,
        before["SourceRecord"] + 1,
    )
    child_id = episode.child.public_id
    assert_audited(
        action=AuditAction.CREATE,
        target_type="child",
        target_id=child_id,
        actor=coordinator,
        child_public_id=child_id,
    )
    record = episode.child.source_records.get()
    assert (record.agency.code, record.system, record.local_id) == ("GWP", "Hafan", episode.reference)
    assert_audited(
        action=AuditAction.CREATE,
        target_type="source_record",
        target_id=record.public_id,
        actor=coordinator,
        child_public_id=child_id,
    )
    event = assert_audited(
        action=AuditAction.CREATE,
        target_type="episode",
        target_id=episode.public_id,
        actor=coordinator,
        child_public_id=child_id,
    )
    assert event.purpose == Purpose.MISSING_EPISODE
    assert event.detail["matched_existing"] is False


def test_a_social_worker_can_report(report_missing: Callable[..., Episode], social_worker: Any) -> None:
    episode = report_missing(reported_by=social_worker)
    assert_audited(
        action=AuditAction.CREATE,
        target_type="episode",
        target_id=episode.public_id,
        actor=social_worker,
        child_public_id=episode.child.public_id,
    )


@pytest.mark.parametrize("nhs_as_given", ["943 476 5919", "943-476-5919", NHS])
def test_report_matches_an_existing_child_on_a_valid_nhs_number(
    report_missing: Callable[..., Episode], nhs_as_given: str
) -> None:
    first = report_missing(
        child_details=PersonDetails(
            given_name="Cerys", family_name="Jones", date_of_birth=DOB, nhs_number=NHS
        )
    )
    # Spelt differently and with another date of birth: the NHS number is the stronger evidence.
    second = report_missing(
        child_details=PersonDetails(
            given_name="Ceri",
            family_name="Jonas",
            date_of_birth=datetime.date(2011, 4, 3),
            nhs_number=nhs_as_given,
        )
    )
    assert second.child == first.child
    assert Child.objects.count() == 1
    assert (
        AuditEvent.objects.get(target_type="episode", target_id=str(second.public_id)).detail[
            "matched_existing"
        ]
        is True
    )


def test_report_matches_on_exact_name_and_date_of_birth_case_insensitively(
    report_missing: Callable[..., Episode],
) -> None:
    first = report_missing(child_details=CERYS)
    second = report_missing(
        child_details=PersonDetails(given_name="  CERYS ", family_name="jones", date_of_birth=DOB)
    )
    assert second.child == first.child
    assert Child.objects.count() == 1


def test_report_with_another_date_of_birth_is_another_child(report_missing: Callable[..., Episode]) -> None:
    first = report_missing(child_details=CERYS)
    second = report_missing(
        child_details=PersonDetails(
            given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 3, 5)
        )
    )
    assert second.child != first.child


def test_report_does_not_match_when_two_children_share_name_and_date_of_birth(
    report_missing: Callable[..., Episode], coordinator: Any
) -> None:
    twins = {
        child_create(details=CERYS, actor=coordinator, purpose=Purpose.MISSING_EPISODE).pk,
        child_create(details=CERYS, actor=coordinator, purpose=Purpose.MISSING_EPISODE).pk,
    }
    episode = report_missing(child_details=CERYS)
    # A false merge is worse than a miss: a new identity is made for the coordinator to resolve.
    assert episode.child.pk not in twins
    assert Child.objects.count() == 3


def test_report_does_not_match_on_name_and_date_of_birth_when_nhs_numbers_conflict(
    report_missing: Callable[..., Episode],
) -> None:
    first = report_missing(
        child_details=PersonDetails(
            given_name="Cerys", family_name="Jones", date_of_birth=DOB, nhs_number=NHS
        )
    )
    # Same name and birthday, but a different valid NHS number: two children, not one.
    second = report_missing(
        child_details=PersonDetails(
            given_name="Cerys", family_name="Jones", date_of_birth=DOB, nhs_number=OTHER_NHS
        )
    )
    assert second.child != first.child


def test_report_with_an_invalid_nhs_number_is_refused_and_writes_nothing(
    report_missing: Callable[..., Episode], coordinator: Any
) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        report_missing(
            child_details=PersonDetails(
                given_name="Cerys", family_name="Jones", date_of_birth=DOB, nhs_number="9434765918"
            )
        )
    assert "nhs_number" in exc.value.message_dict
    assert _counts() == before


def test_report_last_seen_after_the_report_is_refused(report_missing: Callable[..., Episode]) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        report_missing(reported_at=_hours_ago(2), last_seen_at=_hours_ago(1))
    assert "last_seen_at" in exc.value.message_dict
    assert _counts() == before


def test_report_in_the_future_is_refused(report_missing: Callable[..., Episode]) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        report_missing(reported_at=timezone.now() + datetime.timedelta(hours=1), last_seen_at=_hours_ago(1))
    assert "reported_at" in exc.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize(
    "persona",
    ["nurse", "education_worker", "debrief_worker", "analyst", "auditor", "administrator", "outsider"],
)
def test_only_police_and_social_workers_report(
    report_missing: Callable[..., Episode], persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    before = _counts()
    with pytest.raises(NotPermitted):
        report_missing(reported_by=user)
    assert _counts() == before


def test_references_are_sequential_within_the_year(report_missing: Callable[..., Episode]) -> None:
    reported_at = _hours_ago(1)
    year = timezone.localtime(reported_at).year
    first = report_missing(reported_at=reported_at)
    second = report_missing(
        reported_at=reported_at,
        child_details=PersonDetails(given_name="Dylan", family_name="Morgan", date_of_birth=DOB),
    )
    assert first.reference == f"MIS-{year}-000001"
    assert second.reference == f"MIS-{year}-000002"


# Risk


def test_every_grade_change_is_kept_as_history(episode: Episode, coordinator: Any, supervisor: Any) -> None:
    first = _grade(episode, coordinator, "medium", assessed_at=_hours_ago(5))
    second = _grade(
        episode, supervisor, "high", assessed_at=_hours_ago(2), rationale="Seen with a known exploiter."
    )
    briefing = briefing_for(user=coordinator, episode=episode)
    assert [a.pk for a in briefing.risk_history] == [second.pk, first.pk]
    assert briefing.risk == second
    assert RiskAssessment.objects.get(pk=first.pk).grade == "medium"  # the earlier grade is untouched
    child_id = episode.child.public_id
    event = assert_audited(
        action=AuditAction.CREATE,
        target_type="risk_assessment",
        target_id=first.public_id,
        actor=coordinator,
        child_public_id=child_id,
    )
    assert event.detail["grade"] == "medium"
    assert_audited(
        action=AuditAction.CREATE,
        target_type="risk_assessment",
        target_id=second.public_id,
        actor=supervisor,
        child_public_id=child_id,
    )


@pytest.mark.parametrize(
    "persona", ["social_worker", "nurse", "education_worker", "debrief_worker", "analyst", "outsider"]
)
def test_only_police_grade_risk(episode: Episode, persona: str, request: pytest.FixtureRequest) -> None:
    before = _counts()
    with pytest.raises(NotPermitted):
        _grade(episode, request.getfixturevalue(persona))
    assert _counts() == before


def test_a_grade_needs_a_rationale_and_a_later_review(episode: Episode, coordinator: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        _grade(episode, coordinator, rationale="  ", next_review_due=_hours_ago(1))
    assert {"rationale", "next_review_due"} <= set(exc.value.message_dict)


def test_supervisor_confirms_a_grade(episode: Episode, coordinator: Any, supervisor: Any) -> None:
    assessment = _grade(episode, coordinator)
    risk_grade_confirm(assessment=assessment, supervisor=supervisor)
    assessment.refresh_from_db()
    assert assessment.confirmed_by == supervisor
    assert assessment.confirmed_at is not None
    assert_audited(
        action=AuditAction.UPDATE,
        target_type="risk_assessment",
        target_id=assessment.public_id,
        actor=supervisor,
        child_public_id=episode.child.public_id,
    )


def test_supervisor_cannot_confirm_their_own_grading(episode: Episode, supervisor: Any) -> None:
    assessment = _grade(episode, supervisor)
    with pytest.raises(InvalidAction):
        risk_grade_confirm(assessment=assessment, supervisor=supervisor)
    assessment.refresh_from_db()
    assert assessment.confirmed_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE, target_type="risk_assessment").exists()


def test_coordinator_cannot_confirm(episode: Episode, coordinator: Any, supervisor: Any) -> None:
    assessment = _grade(episode, supervisor)
    with pytest.raises(NotPermitted):
        risk_grade_confirm(assessment=assessment, supervisor=coordinator)
    assessment.refresh_from_db()
    assert assessment.confirmed_at is None


def test_a_grade_is_confirmed_once(episode: Episode, coordinator: Any, supervisor: Any) -> None:
    assessment = _grade(episode, coordinator)
    risk_grade_confirm(assessment=assessment, supervisor=supervisor)
    with pytest.raises(InvalidAction):
        risk_grade_confirm(assessment=assessment, supervisor=supervisor)


def test_a_response_plan_sets_the_lowest_grade_unless_the_rationale_says_why_not(
    episode: Episode, coordinator: Any, social_worker: Any
) -> None:
    plan = response_plan_propose(
        child=episode.child,
        proposed_by=social_worker,
        plan="Always treat as high risk; carer to check Tredegar Park first.",
        treat_as_grade=RiskGrade.HIGH,
        review_due=timezone.localdate() + datetime.timedelta(days=90),
        based_on=None,
    )
    assert_audited(
        action=AuditAction.CREATE,
        target_type="response_plan",
        target_id=plan.public_id,
        actor=social_worker,
        child_public_id=episode.child.public_id,
    )
    with pytest.raises(ValidationError) as exc:
        _grade(episode, coordinator, "low", rationale="Usually home by midnight.")
    assert "grade" in exc.value.message_dict
    assert not RiskAssessment.objects.exists()

    high = _grade(episode, coordinator, "high")
    with pytest.raises(ValidationError):
        # Mentioning the plan is not enough: departing from it is an explicit, recorded decision.
        _grade(
            episode, coordinator, "low", rationale="Response plan does not apply: she rang from her aunt's."
        )
    low = _grade(
        episode,
        coordinator,
        "low",
        rationale="The child rang from her aunt's house and is safe there.",
        departs_from_plan=True,
    )
    assert (high.grade, low.grade) == ("high", "low")
    assert (high.departs_from_plan, low.departs_from_plan) == (False, True)


@pytest.mark.parametrize("persona", ["nurse", "debrief_worker", "analyst"])
def test_only_police_and_social_workers_agree_response_plans(
    episode: Episode, persona: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(NotPermitted):
        response_plan_propose(
            child=episode.child,
            proposed_by=request.getfixturevalue(persona),
            plan="Treat as high risk.",
            treat_as_grade=RiskGrade.HIGH,
            review_due=timezone.localdate(),
            based_on=None,
        )
    assert not ResponsePlan.objects.exists()


# Return


def test_a_return_opens_a_debrief_due_72_hours_later(episode: Episode, coordinator: Any) -> None:
    returned_at = _hours_ago(3)
    result = _return(episode, coordinator, returned_at=returned_at)
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.RETURNED
    assert episode.returned_at == returned_at
    debrief = Debrief.objects.get(episode=episode)
    assert debrief.due_by == returned_at + datetime.timedelta(hours=72)
    assert debrief.status == OfferStatus.AWAITING
    assert debrief.provider.code == "LLAMAU"
    assert result.debrief == debrief
    child_id = episode.child.public_id
    assert_audited(
        action=AuditAction.UPDATE,
        target_type="episode",
        target_id=episode.public_id,
        actor=coordinator,
        child_public_id=child_id,
    )
    assert_audited(
        action=AuditAction.CREATE,
        target_type="debrief",
        target_id=debrief.public_id,
        actor=coordinator,
        child_public_id=child_id,
    )


def test_a_return_is_recorded_once(returned: Episode, coordinator: Any) -> None:
    before = _counts()
    with pytest.raises(InvalidAction):
        _return(returned, coordinator, returned_at=_hours_ago(2))
    assert _counts() == before


def test_harm_suffered_needs_details(episode: Episode, coordinator: Any) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _return(episode, coordinator, harm_suffered=True, harm_details=" ")
    assert "harm_details" in exc.value.message_dict
    assert _counts() == before
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.MISSING


@pytest.mark.parametrize("persona", ["social_worker", "nurse", "debrief_worker", "outsider"])
def test_only_police_record_a_return(episode: Episode, persona: str, request: pytest.FixtureRequest) -> None:
    before = _counts()
    with pytest.raises(NotPermitted):
        _return(episode, request.getfixturevalue(persona))
    assert _counts() == before


# Debriefs


def test_not_offered_needs_a_reason(returned: Episode, debrief_worker: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        debrief_record(debrief=returned.debrief, worker=debrief_worker, status=OfferStatus.NOT_OFFERED)
    assert "not_offered_reason" in exc.value.message_dict

    debrief = debrief_record(
        debrief=returned.debrief,
        worker=debrief_worker,
        status=OfferStatus.NOT_OFFERED,
        not_offered_reason="Child moved out of area the same day.",
    )
    debrief.refresh_from_db()
    assert debrief.status == OfferStatus.NOT_OFFERED
    event = assert_audited(
        action=AuditAction.UPDATE,
        target_type="debrief",
        target_id=debrief.public_id,
        actor=debrief_worker,
        child_public_id=returned.child.public_id,
    )
    assert event.detail["status"] == [OfferStatus.AWAITING, OfferStatus.NOT_OFFERED]


def test_held_needs_held_at(returned: Episode, debrief_worker: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        debrief_record(
            debrief=returned.debrief, worker=debrief_worker, status=OfferStatus.HELD, offered_at=_hours_ago(2)
        )
    assert "held_at" in exc.value.message_dict
    returned.debrief.refresh_from_db()
    assert returned.debrief.status == OfferStatus.AWAITING


def test_places_shared_with_consent_become_facts_from_the_provider(
    returned: Episode, debrief_worker: Any
) -> None:
    held_at = _hours_ago(1)
    debrief = debrief_record(
        debrief=returned.debrief,
        worker=debrief_worker,
        status=OfferStatus.HELD,
        offered_at=_hours_ago(2),
        held_at=held_at,
        where_went="A flat above the chip shop",
        share_basis=ShareBasis.CONSENT,
        places_to_share="Flat above the chip shop, Commercial Street\n\n  Tredegar Park skate ramp  ",
    )
    # Summaries are encrypted at rest: sorted in Python, not by the database.
    facts = sorted(Fact.objects.filter(debrief=debrief), key=lambda f: f.summary)
    assert [f.summary for f in facts] == [
        "Flat above the chip shop, Commercial Street",
        "Tredegar Park skate ramp",
    ]
    for fact in facts:
        assert fact.category == FactCategory.PLACE
        assert fact.agency.code == "LLAMAU"
        assert fact.child == returned.child
        assert returned.reference in fact.source
        assert fact.recorded_on == timezone.localdate(held_at)
        event = assert_audited(
            action=AuditAction.CREATE,
            target_type="fact",
            target_id=fact.public_id,
            actor=debrief_worker,
            child_public_id=returned.child.public_id,
        )
        assert event.purpose == Purpose.DEBRIEF


def test_exploitation_indicators_shared_on_safeguarding_basis_become_a_concern(
    returned: Episode, debrief_worker: Any
) -> None:
    debrief = debrief_record(
        debrief=returned.debrief,
        worker=debrief_worker,
        status=OfferStatus.HELD,
        offered_at=_hours_ago(2),
        held_at=_hours_ago(1),
        indicators=["cse", "substances"],
        share_basis=ShareBasis.SAFEGUARDING,
    )
    concern = Fact.objects.get(debrief=debrief)
    assert concern.category == FactCategory.EXPLOITATION
    assert "sexual exploitation" in concern.summary.lower()


def test_sharing_without_a_basis_is_refused(returned: Episode, debrief_worker: Any) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        debrief_record(
            debrief=returned.debrief,
            worker=debrief_worker,
            status=OfferStatus.HELD,
            offered_at=_hours_ago(2),
            held_at=_hours_ago(1),
            places_to_share="Newport market",
        )
    assert "share_basis" in exc.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize("persona", ["nurse", "coordinator", "social_worker", "outsider"])
def test_only_the_providers_workers_record_debriefs(
    returned: Episode, persona: str, request: pytest.FixtureRequest
) -> None:
    before = _counts()
    with pytest.raises(NotPermitted):
        debrief_record(
            debrief=returned.debrief,
            worker=request.getfixturevalue(persona),
            status=OfferStatus.NOT_OFFERED,
            not_offered_reason="Not needed.",
        )
    assert _counts() == before


# Referrals


def _service(kind: ServiceKind) -> Service:
    return Service.objects.get(kind=kind)


def test_an_nrm_referral_needs_no_consent(returned: Episode, debrief_worker: Any) -> None:
    referral = referral_send(
        child=returned.child,
        service=_service(ServiceKind.NRM),
        referred_by=debrief_worker,
        reason="Signs of being moved between towns to sell drugs.",
        consent_given=False,
        episode=returned,
        debrief=returned.debrief,
    )
    assert referral.status == ReferralStatus.SENT
    assert_audited(
        action=AuditAction.CREATE,
        target_type="referral",
        target_id=referral.public_id,
        actor=debrief_worker,
        child_public_id=returned.child.public_id,
    )


def test_peer_mentoring_needs_consent(returned: Episode, debrief_worker: Any) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        referral_send(
            child=returned.child,
            service=_service(ServiceKind.PEER_MENTORING),
            referred_by=debrief_worker,
            reason="Would like someone to talk to.",
            consent_given=False,
        )
    assert "consent_given" in exc.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize("persona", ["analyst", "auditor", "administrator", "outsider"])
def test_only_casework_and_debrief_workers_refer(
    returned: Episode, persona: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(NotPermitted):
        referral_send(
            child=returned.child,
            service=_service(ServiceKind.NRM),
            referred_by=request.getfixturevalue(persona),
            reason="Trafficking concern.",
            consent_given=False,
        )
    assert not Referral.objects.exists()


def test_referral_update_flow(returned: Episode, social_worker: Any, debrief_worker: Any) -> None:
    referral = referral_send(
        child=returned.child,
        service=_service(ServiceKind.FAMILY_MEDIATION),
        referred_by=social_worker,
        reason="Arguments at home are the main push factor.",
        consent_given=True,
    )
    with pytest.raises(ValidationError):
        referral_update(referral=referral, actor=social_worker, status=ReferralStatus.SENT)
    with pytest.raises(ValidationError):
        referral_update(referral=referral, actor=social_worker, status="lost")

    # Issue 7: family mediation is run by Llamau, so Llamau's staff answer it, not the referrer.
    with pytest.raises(NotPermitted):
        referral_update(referral=referral, actor=social_worker, status=ReferralStatus.ACCEPTED)
    referral_update(referral=referral, actor=debrief_worker, status=ReferralStatus.ACCEPTED)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    referral_update(referral=referral, actor=debrief_worker, status=ReferralStatus.STARTED)

    with pytest.raises(ValidationError) as exc:
        referral_update(referral=referral, actor=debrief_worker, status=ReferralStatus.COMPLETED)
    assert "outcome" in exc.value.message_dict

    referral_update(
        referral=referral,
        actor=debrief_worker,
        status=ReferralStatus.COMPLETED,
        outcome_code="goals_met",
        outcome="Six sessions; calmer at home.",
    )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.COMPLETED, "Six sessions; calmer at home.")
    assert referral.outcome_at is not None

    with pytest.raises(InvalidAction):
        referral_update(referral=referral, actor=social_worker, status=ReferralStatus.WITHDRAWN)

    updates = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, target_type="referral", target_id=str(referral.public_id)
    ).order_by("at", "id")
    assert [(e.actor_username, e.detail["status"]) for e in updates] == [
        (debrief_worker.username, ["sent", "accepted"]),
        (debrief_worker.username, ["accepted", "started"]),
        (debrief_worker.username, ["started", "completed"]),
    ]
    assert {e.child_public_id for e in updates} == {returned.child.public_id}


# The audit trail


def test_every_domain_row_written_by_a_service_has_a_create_audit_row(
    returned: Episode, coordinator: Any, supervisor: Any, social_worker: Any, debrief_worker: Any
) -> None:
    _grade(returned, coordinator, "high")
    response_plan_propose(
        child=returned.child,
        proposed_by=social_worker,
        plan="Treat as high risk.",
        treat_as_grade="high",
        review_due=timezone.localdate(),
        based_on=None,
    )
    debrief_record(
        debrief=returned.debrief,
        worker=debrief_worker,
        status=OfferStatus.HELD,
        offered_at=_hours_ago(2),
        held_at=_hours_ago(1),
        share_basis=ShareBasis.CONSENT,
        associates_to_share="Older male known as 'Dex'",
    )
    referral_send(
        child=returned.child,
        service=_service(ServiceKind.NRM),
        referred_by=debrief_worker,
        reason="Trafficking concern.",
        consent_given=False,
    )
    targets = {
        "child": Child,
        "episode": Episode,
        "source_record": SourceRecord,
        "fact": Fact,
        "risk_assessment": RiskAssessment,
        "debrief": Debrief,
        "response_plan": ResponsePlan,
        "referral": Referral,
    }
    for target_type, model in targets.items():
        rows = list(model.objects.all())
        assert rows, target_type
        for row in rows:
            assert AuditEvent.objects.filter(
                action=AuditAction.CREATE, target_type=target_type, target_id=str(row.public_id)
            ).exists(), f"{target_type} {row.public_id} has no audit row"


def test_an_audit_row_cannot_be_changed(episode: Episode) -> None:
    event = AuditEvent.objects.filter(target_type="episode").get()
    event.actor_username = "someone-else"
    with pytest.raises(RuntimeError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).actor_username == "coordinator"


def test_an_audit_row_cannot_be_deleted(episode: Episode) -> None:
    event = AuditEvent.objects.filter(target_type="episode").get()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_rows_cannot_be_changed_in_bulk(episode: Episode) -> None:
    with pytest.raises(RuntimeError):
        AuditEvent.objects.filter(target_type="episode").update(actor_username="someone-else")
    assert AuditEvent.objects.get(target_type="episode").actor_username == "coordinator"


def test_audit_rows_cannot_be_deleted_in_bulk(episode: Episode) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        AuditEvent.objects.filter(target_type="episode").delete()
    assert AuditEvent.objects.count() == before
