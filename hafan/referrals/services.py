"""Writes about referrals: sending one, each step of its lifecycle, NRM decisions and the reminders.

Every step writes a ReferralEvent (the referral's visible history) and an audit row in one transaction.
The lifecycle (models.TRANSITIONS): sent -> accepted | declined (with a reason) | withdrawn;
accepted -> started | withdrawn; started -> completed (with an outcome code and text) | withdrawn.
Who answers for the service: policy.can_respond_to_referral; who withdraws: policy.can_withdraw_referral.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Purpose, Role
from hafan.referrals.models import (
    NRM_DECISIONS,
    OPEN_STATUSES,
    REFERRAL_OUTCOMES,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    Service,
    ServiceKind,
)
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

ADULT_AGE = 18
RESPONSES = frozenset(
    {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.STARTED, ReferralStatus.COMPLETED}
)
CONCLUSIVE = {"cg_positive", "cg_negative"}
NRM_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]*")


def _event(
    referral: Referral,
    *,
    at: datetime.datetime,
    kind: str,
    status: str = "",
    note: str = "",
    actor: Any = None,
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        at=at,
        kind=kind,
        status=status,
        note=note,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _audit(referral: Referral, *, actor: Any, action: AuditAction, detail: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=action,
        purpose=Purpose.REFERRAL,
        target_type="referral",
        target_id=referral.public_id,
        child_public_id=referral.child.public_id,
        detail=detail,
    )


def _provider_code(referral: Referral) -> str | None:
    agency = referral.service.provider_agency
    return agency.code if agency else None


def _referrer_code(referral: Referral) -> str | None:
    agency = referral.referred_by.agency
    return agency.code if agency else None


def needs_consent(*, service: Service, child: Any, on: datetime.date) -> bool:
    """Most services need the child's or family's consent. The NRM needs none for a child under 18, but does
    for someone 18 or over on the day of the referral (a date of birth not known: treated as a child, since
    the hub only holds children)."""
    if service.kind == ServiceKind.NRM:
        age = child.age_on(on)
        return age is not None and age >= ADULT_AGE
    return service.needs_consent


@transaction.atomic
def referral_send(
    *,
    child: Any,
    service: Service,
    referred_by: Any,
    reason: str,
    consent_given: bool,
    episode: Any = None,
    debrief: Any = None,
    referred_at: datetime.datetime | None = None,
) -> Referral:
    """Sends a referral. Sending the same one again (same child, service and reason, still open) changes
    nothing and returns the first."""
    if not policy.can_make_referral(actor_for(referred_by)):
        raise NotPermitted(_("You cannot make referrals."))
    referred_at = referred_at or timezone.now()
    errors: dict[str, str] = {}
    council = getattr(child.responsible_council, "code", None)
    if not service.active:
        errors["service"] = _("This service no longer takes referrals: choose another.")
    elif not service.covers(council):
        errors["service"] = _("This service does not work in the child's council area: choose another.")
    if not reason.strip():
        errors["reason"] = _("Say why the child is being referred.")
    if (
        needs_consent(service=service, child=child, on=timezone.localtime(referred_at).date())
        and not consent_given
    ):
        if service.kind == ServiceKind.NRM:
            errors["consent_given"] = _(
                "This young person was 18 or over on the day of the referral: an NRM referral needs their consent."
            )
        else:
            errors["consent_given"] = _(
                "This service needs the child's or family's consent before a referral."
            )
    if errors:
        raise ValidationError(errors)
    existing = Referral.objects.filter(
        child=child, service=service, reason=reason.strip(), status__in=OPEN_STATUSES
    ).first()
    if existing is not None:
        return existing
    referral = Referral.objects.create(
        child=child,
        service=service,
        episode=episode,
        debrief=debrief,
        referred_by=referred_by,
        referred_at=referred_at,
        reason=reason.strip(),
        consent_given=consent_given,
    )
    _event(
        referral, at=referred_at, kind=ReferralEventKind.STATUS, status=ReferralStatus.SENT, actor=referred_by
    )
    audit_record(
        actor=referred_by,
        action=AuditAction.CREATE,
        purpose=Purpose.REFERRAL,
        target_type="referral",
        target_id=referral.public_id,
        child_public_id=child.public_id,
        detail={"service": service.name_en},
    )
    return referral


def may_respond(referral: Referral, *, user: Any) -> bool:
    return policy.can_respond_to_referral(
        actor_for(user),
        service_provider_code=_provider_code(referral),
        referrer_agency_code=_referrer_code(referral),
    )


def may_withdraw(referral: Referral, *, user: Any) -> bool:
    return policy.can_withdraw_referral(actor_for(user), referrer_agency_code=_referrer_code(referral))


def _transition_error(referral: Referral, status: str) -> InvalidAction:
    allowed = sorted(referral.next_statuses)
    values = {
        "current": ReferralStatus(referral.status).label,
        "new": ReferralStatus(status).label,
        "allowed": ", ".join(str(ReferralStatus(s).label) for s in allowed),
    }
    if not allowed:
        return InvalidAction(_("This referral is finished (%(current)s) and cannot be changed.") % values)
    return InvalidAction(
        _("A referral that is “%(current)s” cannot become “%(new)s”; next it can be: %(allowed)s.") % values
    )


@transaction.atomic
def referral_update(
    *,
    referral: Referral,
    actor: Any,
    status: str,
    outcome: str = "",
    outcome_code: str = "",
    reason: str = "",
    at: datetime.datetime | None = None,
) -> Referral:
    """One step of the lifecycle. Accepting, declining, starting and completing are the service's answers
    (policy.can_respond_to_referral); withdrawing is the referring side's (policy.can_withdraw_referral).
    A decline needs a reason (`reason`, or `outcome` as older callers sent it); a completion an outcome code
    and what came of it. Asking for the status the referral already has changes nothing."""
    if status not in ReferralStatus.values or status == ReferralStatus.SENT:
        raise ValidationError({"status": _("Choose the referral's new status.")})
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("service__provider_agency", "referred_by__agency", "child")
        .get(pk=referral.pk)
    )
    if status == referral.status:
        return referral  # already done: a second click or a retried request
    allowed = (
        may_withdraw(referral, user=actor)
        if status == ReferralStatus.WITHDRAWN
        else may_respond(referral, user=actor)
    )
    if not allowed:
        if status == ReferralStatus.WITHDRAWN:
            raise NotPermitted(_("Only the referring agency or the hub can withdraw this referral."))
        raise NotPermitted(_("Only the service's own staff can record its answer to this referral."))
    if status not in referral.next_statuses:
        raise _transition_error(referral, status)
    at = at or timezone.now()
    errors: dict[str, str] = {}
    reason = (reason or (outcome if status == ReferralStatus.DECLINED else "")).strip()
    outcome = outcome.strip()
    if at < referral.referred_at:
        errors["at"] = _("The date cannot be before the referral was sent.")
    if at > timezone.now() + datetime.timedelta(minutes=5):
        errors["at"] = _("The date cannot be in the future.")
    if status == ReferralStatus.DECLINED and not reason:
        errors["reason"] = _("Say why the service declined the referral.")
    if status == ReferralStatus.COMPLETED:
        if outcome_code not in dict(REFERRAL_OUTCOMES):
            errors["outcome_code"] = _("Choose the outcome.")
        if not outcome:
            errors["outcome"] = _("Record the outcome.")
    if errors:
        raise ValidationError(errors)
    before = referral.status
    referral.status = status
    fields = ["status", "updated_at"]
    note = ""
    if status in {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}:
        referral.responded_at = at
        fields.append("responded_at")
    if status == ReferralStatus.DECLINED:
        referral.declined_reason = reason
        referral.outcome_at = at
        fields += ["declined_reason", "outcome_at"]
        note = reason
    elif status == ReferralStatus.STARTED:
        referral.started_at = at
        fields.append("started_at")
        note = outcome
    elif status == ReferralStatus.COMPLETED:
        referral.completed_at = referral.outcome_at = at
        referral.outcome_code = outcome_code
        referral.outcome = outcome
        fields += ["completed_at", "outcome_at", "outcome_code", "outcome"]
        note = outcome
    elif status == ReferralStatus.WITHDRAWN:
        referral.outcome_at = at
        fields.append("outcome_at")
        note = reason or outcome
    else:
        note = outcome or reason
    referral.save(update_fields=fields)
    _event(referral, at=at, kind=ReferralEventKind.STATUS, status=status, note=note, actor=actor)
    detail: dict[str, Any] = {"status": [before, status]}
    if outcome_code:
        detail["outcome_code"] = outcome_code
    _audit(referral, actor=actor, action=AuditAction.UPDATE, detail=detail)
    return referral


def referral_accept(*, referral: Referral, actor: Any, at: datetime.datetime | None = None) -> Referral:
    return referral_update(referral=referral, actor=actor, status=ReferralStatus.ACCEPTED, at=at)


def referral_decline(
    *, referral: Referral, actor: Any, reason: str, at: datetime.datetime | None = None
) -> Referral:
    return referral_update(
        referral=referral, actor=actor, status=ReferralStatus.DECLINED, reason=reason, at=at
    )


def referral_start(*, referral: Referral, actor: Any, at: datetime.datetime | None = None) -> Referral:
    return referral_update(referral=referral, actor=actor, status=ReferralStatus.STARTED, at=at)


def referral_complete(
    *, referral: Referral, actor: Any, outcome_code: str, outcome: str, at: datetime.datetime | None = None
) -> Referral:
    return referral_update(
        referral=referral,
        actor=actor,
        status=ReferralStatus.COMPLETED,
        outcome_code=outcome_code,
        outcome=outcome,
        at=at,
    )


def referral_withdraw(
    *, referral: Referral, actor: Any, reason: str = "", at: datetime.datetime | None = None
) -> Referral:
    return referral_update(
        referral=referral, actor=actor, status=ReferralStatus.WITHDRAWN, reason=reason, at=at
    )


@transaction.atomic
def referral_nrm_record(
    *,
    referral: Referral,
    actor: Any,
    reference: str,
    decision: str = "",
    decided_on: datetime.date | None = None,
    at: datetime.datetime | None = None,
) -> Referral:
    """The NRM's reference for the referral and its decisions: reasonable grounds first, then conclusive
    grounds (only after a positive reasonable grounds decision), each with its date. Recorded by whoever
    answers for the service (policy.can_respond_to_referral). Recording what is already recorded changes
    nothing."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("service__provider_agency", "referred_by__agency", "child")
        .get(pk=referral.pk)
    )
    if referral.service.kind != ServiceKind.NRM:
        raise InvalidAction(
            _("Only a National Referral Mechanism referral has an NRM reference and decisions.")
        )
    if not may_respond(referral, user=actor):
        raise NotPermitted(_("Only the referring agency or the hub can record the NRM's decisions."))
    reference = reference.strip()
    decision = decision or ("awaiting" if not referral.nrm_decision else referral.nrm_decision)
    errors: dict[str, str] = {}
    if not reference:
        errors["nrm_reference"] = _("Enter the NRM reference.")
    elif len(reference) > 40:
        errors["nrm_reference"] = _("The NRM reference must be 40 characters or fewer.")
    elif not NRM_REFERENCE.fullmatch(reference):
        errors["nrm_reference"] = _(
            "The NRM reference has only letters, digits and hyphens or slashes, for example NRM-2026-01234."
        )
    if decision not in dict(NRM_DECISIONS):
        errors["nrm_decision"] = _("Choose the decision.")
    elif decision != "awaiting":
        if decided_on is None:
            errors["nrm_decision_on"] = _("Enter the date of the decision.")
        elif decided_on > timezone.localdate():
            errors["nrm_decision_on"] = _("The date of the decision cannot be in the future.")
        elif decided_on < timezone.localtime(referral.referred_at).date():
            errors["nrm_decision_on"] = _("The decision cannot be before the referral was sent.")
        elif (
            referral.nrm_decision_on
            and decided_on < referral.nrm_decision_on
            and decision != referral.nrm_decision
        ):
            errors["nrm_decision_on"] = _("A later decision cannot be dated before the one already recorded.")
        if decision in CONCLUSIVE and referral.nrm_decision not in {"rg_positive", *CONCLUSIVE}:
            errors["nrm_decision"] = _(
                "A conclusive grounds decision follows a positive reasonable grounds decision: record that first."
            )
        if decision.startswith("rg_") and referral.nrm_decision in CONCLUSIVE:
            errors["nrm_decision"] = _("A conclusive grounds decision is already recorded.")
    else:
        decided_on = None
    if errors:
        raise ValidationError(errors)
    before = (referral.nrm_reference, referral.nrm_decision, referral.nrm_decision_on)
    after = (reference, decision, decided_on)
    if before == after:
        return referral
    referral.nrm_reference, referral.nrm_decision, referral.nrm_decision_on = after
    referral.save(update_fields=["nrm_reference", "nrm_decision", "nrm_decision_on", "updated_at"])
    # Codes, not words: the history shows the decision in the reader's language (views.timeline).
    note = " ".join(filter(None, [reference, decision, decided_on.isoformat() if decided_on else ""]))
    _event(referral, at=at or timezone.now(), kind=ReferralEventKind.NRM_DECISION, note=note, actor=actor)
    _audit(
        referral,
        actor=actor,
        action=AuditAction.UPDATE,
        detail={
            "nrm_reference": [before[0], reference],
            "nrm_decision": [before[1], decision],
            "nrm_decision_on": decided_on.isoformat() if decided_on else None,
        },
    )
    return referral


# Reminders


RESPONDER_ROLES = [*policy.CASEWORK_ROLES, Role.DEBRIEF_WORKER]


def _provider_staff(referral: Referral) -> list[Any]:
    """The partner agency's staff who may answer this referral (none for a service outside the partnership:
    the referrer chases it)."""
    agency = referral.service.provider_agency
    if agency is None:
        return []
    users = (
        get_user_model()
        .objects.filter(agency=agency, is_active=True, role__in=RESPONDER_ROLES)
        .order_by("pk")
    )
    return [u for u in users.select_related("agency") if may_respond(referral, user=u)]


def _due(referral: Referral, *, now: datetime.datetime) -> str:
    """ "response" or "outcome" when a reminder is due now, else ""."""
    interval = datetime.timedelta(days=settings.HAFAN_REFERRAL_REMINDER_DAYS)
    last = referral.last_reminded_at
    if referral.status == ReferralStatus.SENT:
        since = max(referral.referred_at, last) if last else referral.referred_at
        return "response" if now - since >= interval else ""
    if referral.status == ReferralStatus.STARTED and referral.started_at is not None:
        first = referral.started_at + datetime.timedelta(days=settings.HAFAN_REFERRAL_OUTCOME_DAYS)
        if now < first:
            return ""
        if last is None or last < first:
            return "outcome"
        return "outcome" if now - last >= interval else ""
    return ""


def referral_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """For the scheduler: a referral still waiting for the service's answer after HAFAN_REFERRAL_REMINDER_DAYS
    (and again after each further interval), or started with no outcome after HAFAN_REFERRAL_OUTCOME_DAYS, is
    reminded to the referrer and, for a partner's service, to the staff who answer it. Each reminder is a
    ReferralEvent; a run that finds nothing due does nothing. Returns how many referrals were reminded."""
    from hafan.notifications.models import NotificationKind
    from hafan.notifications.services import notify

    now = now or timezone.now()
    reminded = 0
    candidates = Referral.objects.filter(
        status__in=[ReferralStatus.SENT, ReferralStatus.STARTED]
    ).select_related("service__provider_agency", "referred_by__agency", "child", "episode")
    for referral in candidates.order_by("referred_at", "pk"):
        stage = _due(referral, now=now)
        if not stage:
            continue
        with transaction.atomic():
            locked = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
            if locked.last_reminded_at != referral.last_reminded_at or locked.status != referral.status:
                continue  # another run got there first
            since = referral.referred_at if stage == "response" else referral.started_at
            assert since is not None
            number = referral.reminders_sent + 1
            with translation.override(settings.LANGUAGE_CODE):
                url = reverse("referrals:detail", args=[referral.public_id])
            notify(
                recipients=[referral.referred_by, *_provider_staff(referral)],
                kind=NotificationKind.REFERRAL_REMINDER,
                params={
                    "stage": stage,
                    "service_en": referral.service.name_en,
                    "service_cy": referral.service.name_cy,
                    "since": since.isoformat(),
                    "days": (now - since).days,
                    "reference": referral.episode.reference if referral.episode else "",
                },
                url=url,
                dedupe_key=f"referral-reminder:{referral.public_id}:{number}",
            )
            Referral.objects.filter(pk=referral.pk).update(
                reminders_sent=number, last_reminded_at=now, updated_at=now
            )
            _event(
                referral,
                at=now,
                kind=ReferralEventKind.REMINDER,
                status=referral.status,
                note="no_response" if stage == "response" else "no_outcome",
            )
            _audit(
                referral,
                actor=None,
                action=AuditAction.UPDATE,
                detail={"reminder": number, "stage": stage},
            )
            reminded += 1
    return reminded
