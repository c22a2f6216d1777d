"""Writes about information governance: sharing agreements and their parties, emergency (break-glass)
access to a child's record and its review, and what the disclosure log records about telling the child.

Every function is keyword-only, runs in one transaction and writes its own audit row; access decisions
come from hafan.sharing.policy. Audit details hold ids and codes only, never what someone typed.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, DataCategory, Purpose
from hafan.people.lookup import child_by_identifier, surviving_child
from hafan.people.models import Child
from hafan.sharing import policy
from hafan.sharing.access import actor_for, forget_relations
from hafan.sharing.audit import audit_record
from hafan.sharing.models import (
    AgreementParty,
    AgreementStatus,
    AuditAction,
    AuditEvent,
    BreakGlassGrant,
    BreakGlassReason,
    Disclosure,
    LawfulBasis,
    SharingAgreement,
    SubjectTold,
)

MIN_JUSTIFICATION = 20
# Wrong passwords on the emergency access form before it refuses even the right one, for the cool-off time.
BREAK_GLASS_PASSWORD_LIMIT = 5

# Which status an agreement may move to from each status. An ended agreement stays ended: a renewed
# protocol is a new agreement with its own reference, so the disclosure log keeps pointing at the old one.
STATUS_MOVES: dict[str, frozenset[str]] = {
    AgreementStatus.DRAFT: frozenset({AgreementStatus.ACTIVE, AgreementStatus.ENDED}),
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.SUSPENDED, AgreementStatus.ENDED}),
    AgreementStatus.SUSPENDED: frozenset({AgreementStatus.ACTIVE, AgreementStatus.ENDED}),
    AgreementStatus.ENDED: frozenset(),
}


def _require_manager(actor: Any) -> None:
    if not policy.can_manage_agreements(actor_for(actor)):
        raise NotPermitted(_("Only the information-governance officer maintains sharing agreements."))


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


# Sharing agreements


@dataclass(frozen=True)
class AgreementDetails:
    """What an information-governance officer writes about an agreement (everything but its parties)."""

    title_en: str
    title_cy: str
    purpose: str
    data_categories: list[str]
    starts_on: datetime.date
    review_on: datetime.date
    ends_on: datetime.date | None = None


def _check_details(details: AgreementDetails) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not details.title_en.strip():
        errors["title_en"] = [_("Enter the agreement's title in English.")]
    if not details.title_cy.strip():
        errors["title_cy"] = [_("Enter the agreement's title in Welsh.")]
    if not details.purpose.strip():
        errors["purpose"] = [_("Say what the sharing is for.")]
    unknown = [c for c in details.data_categories if c not in DataCategory.values]
    if unknown:
        errors["data_categories"] = [_("Unknown data categories: %(items)s.") % {"items": ", ".join(unknown)}]
    if details.review_on <= details.starts_on:
        errors["review_on"] = [_("The review date must be after the start date.")]
    if details.ends_on is not None and details.ends_on < details.starts_on:
        errors["ends_on"] = [_("The end date cannot be before the start date.")]
    return errors


def _activation_errors(agreement: SharingAgreement, today: datetime.date) -> dict[str, list[str]]:
    """Why this agreement cannot be (or stay) active: nothing is shared under a half-made agreement."""
    errors: dict[str, list[str]] = {}
    parties = list(agreement.parties.all())
    if len(parties) < 2:
        errors["parties"] = [_("An active agreement needs at least two parties.")]
    elif any(p.lawful_basis not in LawfulBasis.values for p in parties):
        errors["parties"] = [_("Record the lawful basis of every party.")]
    elif not any(p.provides for p in parties) or not any(p.receives for p in parties):
        errors["parties"] = [_("At least one party must provide information and one receive it.")]
    if not agreement.categories():
        errors["data_categories"] = [_("Choose at least one data category shared under the agreement.")]
    if agreement.review_on <= today:
        errors["review_on"] = [_("The review date has passed: review the agreement and set a new date.")]
    if agreement.ends_on is not None and agreement.ends_on < today:
        errors["ends_on"] = [_("The agreement's end date has passed.")]
    return errors


def _agreement_audit(
    *, actor: Any, action: AuditAction, agreement: SharingAgreement, detail: dict[str, Any]
) -> None:
    audit_record(
        actor=actor,
        action=action,
        purpose=Purpose.ADMINISTRATION,
        target_type="sharing_agreement",
        target_id=agreement.public_id,
        detail={"reference": agreement.reference, **detail},
    )


@transaction.atomic
def agreement_create(*, actor: Any, reference: str, details: AgreementDetails) -> SharingAgreement:
    """A new agreement, always a draft: parties are added next, then it is activated."""
    _require_manager(actor)
    reference = reference.strip().upper()
    errors = _check_details(details)
    if not reference:
        errors["reference"] = [_("Enter the protocol's reference.")]
    elif SharingAgreement.objects.filter(reference__iexact=reference).exists():
        errors["reference"] = [_("An agreement with this reference already exists.")]
    if errors:
        raise ValidationError(errors)
    agreement = SharingAgreement.objects.create(
        reference=reference,
        title_en=details.title_en.strip(),
        title_cy=details.title_cy.strip(),
        purpose=details.purpose.strip(),
        data_categories=sorted(set(details.data_categories)),
        status=AgreementStatus.DRAFT,
        starts_on=details.starts_on,
        review_on=details.review_on,
        ends_on=details.ends_on,
        maintained_by=actor,
    )
    _agreement_audit(
        actor=actor,
        action=AuditAction.CREATE,
        agreement=agreement,
        detail={"status": agreement.status, "data_categories": agreement.data_categories},
    )
    return agreement


@transaction.atomic
def agreement_update(
    *, agreement: SharingAgreement, actor: Any, details: AgreementDetails, today: datetime.date | None = None
) -> SharingAgreement:
    """Changes an agreement's terms. An active agreement must still meet the conditions for being active."""
    _require_manager(actor)
    agreement = SharingAgreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status == AgreementStatus.ENDED:
        raise InvalidAction(_("An ended agreement cannot be changed."))
    errors = _check_details(details)
    if errors:
        raise ValidationError(errors)
    new = {
        "title_en": details.title_en.strip(),
        "title_cy": details.title_cy.strip(),
        "purpose": details.purpose.strip(),
        "data_categories": sorted(set(details.data_categories)),
        "starts_on": details.starts_on,
        "review_on": details.review_on,
        "ends_on": details.ends_on,
    }
    changed = sorted(name for name, value in new.items() if getattr(agreement, name) != value)
    for name, value in new.items():
        setattr(agreement, name, value)
    if agreement.status == AgreementStatus.ACTIVE:
        errors = _activation_errors(agreement, _today(today))
        if errors:
            raise ValidationError(errors)
    agreement.maintained_by = actor
    agreement.save()
    _agreement_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        agreement=agreement,
        detail={"changed": changed, "data_categories": agreement.data_categories},
    )
    return agreement


@transaction.atomic
def agreement_set_status(
    *, agreement: SharingAgreement, actor: Any, status: str, today: datetime.date | None = None
) -> SharingAgreement:
    """draft -> active -> suspended or ended (suspended -> active again). Activating checks the agreement is
    complete: two or more parties, each with a lawful basis, a data category, a review date to come."""
    _require_manager(actor)
    agreement = SharingAgreement.objects.select_for_update().get(pk=agreement.pk)
    today = _today(today)
    if status not in AgreementStatus.values:
        raise ValidationError({"status": [_("Choose the agreement's new status.")]})
    if status not in STATUS_MOVES[agreement.status]:
        raise ValidationError(
            {
                "status": [
                    _("An agreement that is %(now)s cannot become %(new)s.")
                    % {
                        "now": AgreementStatus(agreement.status).label.lower(),
                        "new": AgreementStatus(status).label.lower(),
                    }
                ]
            }
        )
    if status == AgreementStatus.ACTIVE:
        errors = _activation_errors(agreement, today)
        if errors:
            raise ValidationError(errors)
    previous = agreement.status
    agreement.status = status
    if status == AgreementStatus.ENDED and (agreement.ends_on is None or agreement.ends_on > today):
        agreement.ends_on = today
    agreement.maintained_by = actor
    agreement.save()
    _agreement_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        agreement=agreement,
        detail={"status": status, "previous_status": previous},
    )
    return agreement


@transaction.atomic
def agreement_party_set(
    *,
    agreement: SharingAgreement,
    actor: Any,
    agency: Agency,
    lawful_basis: str,
    provides: bool,
    receives: bool,
    today: datetime.date | None = None,
) -> AgreementParty:
    """Adds an agency to an agreement, or changes its lawful basis and what it provides and receives."""
    _require_manager(actor)
    agreement = SharingAgreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status == AgreementStatus.ENDED:
        raise InvalidAction(_("An ended agreement cannot be changed."))
    errors: dict[str, list[str]] = {}
    if not agency.in_partnership:
        errors["agency"] = [_("Only partner agencies can be parties to the hub's agreements.")]
    if lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = [_("Choose the lawful basis this agency relies on.")]
    if not provides and not receives:
        errors["provides"] = [_("A party provides information, receives it, or both.")]
    if errors:
        raise ValidationError(errors)
    party, created = AgreementParty.objects.update_or_create(
        agreement=agreement,
        agency=agency,
        defaults={"lawful_basis": lawful_basis, "provides": provides, "receives": receives},
    )
    if agreement.status == AgreementStatus.ACTIVE:
        errors = _activation_errors(agreement, _today(today))
        if "parties" in errors:
            raise ValidationError({NON_FIELD_ERRORS: errors["parties"]})
    _agreement_audit(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        agreement=agreement,
        detail={
            "party": agency.code,
            "lawful_basis": lawful_basis,
            "provides": provides,
            "receives": receives,
        },
    )
    return party


@transaction.atomic
def agreement_party_remove(*, agreement: SharingAgreement, actor: Any, agency: Agency) -> None:
    """Takes an agency out of an agreement. An active agreement keeps at least two parties."""
    _require_manager(actor)
    agreement = SharingAgreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status == AgreementStatus.ENDED:
        raise InvalidAction(_("An ended agreement cannot be changed."))
    party = AgreementParty.objects.filter(agreement=agreement, agency=agency).first()
    if party is None:
        raise ValidationError({"agency": [_("This agency is not a party to the agreement.")]})
    if agreement.status == AgreementStatus.ACTIVE and agreement.parties.count() <= 2:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _("An active agreement needs at least two parties: suspend or end it instead.")
                ]
            }
        )
    party.delete()
    _agreement_audit(
        actor=actor, action=AuditAction.DELETE, agreement=agreement, detail={"party": agency.code}
    )


HUB_AGREEMENT_REFERENCE = "GMCH-ISP-2026"
HUB_AGREEMENT_STARTS = datetime.date(2026, 1, 1)
HUB_BASIS_BY_KIND = {
    AgencyKind.POLICE: LawfulBasis.LAW_ENFORCEMENT,
    AgencyKind.HEALTH: LawfulBasis.HEALTH_SOCIAL_CARE,
    AgencyKind.COUNCIL: LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
    AgencyKind.CHARITY: LawfulBasis.LEGITIMATE_INTERESTS,
}


@transaction.atomic
def gwent_hub_agreement_seed(*, today: datetime.date | None = None) -> SharingAgreement:
    """The hub's own protocol, active, with every partner agency as a party. Idempotent: an existing
    agreement keeps whatever the information-governance officer has since changed; only partner agencies
    that are not yet parties are added."""
    today = _today(today)
    agreement, created = SharingAgreement.objects.get_or_create(
        reference=HUB_AGREEMENT_REFERENCE,
        defaults={
            "title_en": "Gwent Missing Children Hub information sharing protocol",
            "title_cy": "Protocol rhannu gwybodaeth Hyb Plant sy'n Mynd ar Goll Gwent",
            "purpose": (
                "Finding children who go missing in Gwent and keeping them safe: sharing what each partner "
                "knows about a missing child with the hub's police, social care, health and education "
                "staff, offering the child an independent debrief, and planning with the child and family "
                "to prevent it happening again (WASPI information sharing protocol)."
            ),
            "data_categories": sorted(DataCategory.values),
            "status": AgreementStatus.ACTIVE,
            # Never later than today, so a fresh database always starts with the agreement in force.
            "starts_on": min(HUB_AGREEMENT_STARTS, today),
            "review_on": today + datetime.timedelta(days=365),
        },
    )
    added = []
    for agency in Agency.objects.filter(in_partnership=True).order_by("code"):
        _party, party_created = AgreementParty.objects.get_or_create(
            agreement=agreement,
            agency=agency,
            defaults={"lawful_basis": HUB_BASIS_BY_KIND[AgencyKind(agency.kind)]},
        )
        if party_created:
            added.append(agency.code)
    if created or added:
        _agreement_audit(
            actor=None,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            agreement=agreement,
            detail={"status": agreement.status, "parties_added": added},
        )
    return agreement


# Emergency access (break-glass)


def break_glass_find_child(
    *, nhs_number: str = "", upn: str = "", hub_id: uuid.UUID | None = None
) -> Child | None:
    """The child an emergency-access request names, or None. Reveals nothing by itself: break_glass_open
    says "no record found" only after the password has been checked."""
    if hub_id is not None:
        return Child.objects.filter(public_id=hub_id, merged_into__isnull=True).first()
    if nhs_number or upn:
        return child_by_identifier(nhs_number=nhs_number, upn=upn)
    return None


def _recent_wrong_passwords(user: Any, now: datetime.datetime) -> int:
    """Of the user's latest refusals on the emergency access form within the sign-in lockout's cool-off
    time, how many were for a wrong password (or while locked for them)."""
    since = now - datetime.timedelta(minutes=getattr(settings, "HAFAN_LOGIN_COOLOFF_MINUTES", 15))
    recent = (
        AuditEvent.objects.filter(
            actor=user, action=AuditAction.DENIED, target_type="break_glass", at__gte=since, at__lte=now
        )
        .order_by("-id")
        .values_list("detail", flat=True)[:BREAK_GLASS_PASSWORD_LIMIT]
    )
    # A refusal while locked counts too, so guessing on keeps the form locked.
    return sum(1 for detail in recent if {"password", "locked"} & set((detail or {}).get("refused", [])))


def _deny_break_glass(*, user: Any, child: Any | None, refused: list[str]) -> None:
    """The refusal's audit row, committed even though the caller's form round then shows errors."""
    audit_record(
        actor=user,
        action=AuditAction.DENIED,
        purpose=Purpose.MISSING_EPISODE,
        target_type="break_glass",
        target_id=child.public_id if child is not None else "",
        child_public_id=child.public_id if child is not None else None,
        detail={"refused": refused},
    )


def break_glass_open(
    *,
    user: Any,
    child: Any | None,
    reason: str,
    justification: str,
    password: str,
    now: datetime.datetime | None = None,
) -> BreakGlassGrant:
    """Opens one child's record to the user for HAFAN_BREAK_GLASS_MINUTES, after they re-enter their
    password and say why. `child` is None when the identifier they gave matched nobody: that is reported
    only once the password is right, so the form cannot be used to probe for children. Every refusal is
    audited; each grant is a new row the information-governance officer reviews (nothing is extended)."""
    refused: list[str] = []
    errors: dict[str, list[str]] = {}
    if not policy.can_break_glass(actor_for(user)):
        refused.append("not_permitted")
        errors[NON_FIELD_ERRORS] = [_("Your role cannot open records in an emergency.")]
    elif _recent_wrong_passwords(user, now or timezone.now()) >= BREAK_GLASS_PASSWORD_LIMIT:
        # Without this a stolen session could guess the password here, out of the sign-in lockout's sight.
        refused.append("locked")
        errors["password"] = [_("Too many wrong passwords. Try again later, or ask your hub supervisor.")]
    elif not password or not user.check_password(password):
        refused.append("password")
        errors["password"] = [_("Your password is not right. Enter the password you sign in with.")]
    else:
        if reason not in BreakGlassReason.values:
            refused.append("reason")
            errors["reason"] = [_("Choose the reason for emergency access.")]
        if len(justification.strip()) < MIN_JUSTIFICATION:
            refused.append("justification")
            errors["justification"] = [
                _("Explain the emergency in at least %(n)d characters.") % {"n": MIN_JUSTIFICATION}
            ]
        if child is None:
            refused.append("not_found")
            errors["identifier"] = [_("No record found with those details.")]
    if child is not None:
        child = surviving_child(child)
    if errors:
        with transaction.atomic():
            _deny_break_glass(user=user, child=child, refused=refused)
        raise ValidationError(errors)
    assert child is not None  # refused above when the identifier matched nobody
    with transaction.atomic():
        granted_at = now or timezone.now()
        grant = BreakGlassGrant.objects.create(
            user=user,
            child=child,
            reason=reason,
            justification=justification.strip(),
            granted_at=granted_at,
            expires_at=granted_at + datetime.timedelta(minutes=settings.HAFAN_BREAK_GLASS_MINUTES),
        )
        forget_relations()
        audit_record(
            actor=user,
            action=AuditAction.BREAK_GLASS,
            purpose=Purpose.MISSING_EPISODE,
            target_type="break_glass",
            target_id=grant.public_id,
            child_public_id=child.public_id,
            detail={
                "reason": reason,
                "grant": str(grant.public_id),
                "expires": grant.expires_at.isoformat(),
            },
        )
    return grant


@transaction.atomic
def break_glass_review(
    *,
    grant: BreakGlassGrant,
    reviewer: Any,
    upheld: bool,
    note: str,
    now: datetime.datetime | None = None,
) -> BreakGlassGrant:
    """The information-governance officer's finding on one emergency access: justified or not, and why."""
    if not policy.can_review_break_glass(actor_for(reviewer)):
        raise NotPermitted(_("Only the information-governance officer reviews emergency access."))
    grant = BreakGlassGrant.objects.select_for_update().select_related("child").get(pk=grant.pk)
    if grant.reviewed_at is not None:
        raise InvalidAction(_("This emergency access has already been reviewed."))
    if grant.user_id == reviewer.pk:
        raise NotPermitted(_("Nobody reviews their own emergency access."))
    if not upheld and not note.strip():
        raise ValidationError({"note": [_("Say why the emergency access was not justified.")]})
    grant.review_upheld = upheld
    grant.review_note = note.strip()
    grant.reviewed_by = reviewer
    grant.reviewed_at = now or timezone.now()
    grant.save(update_fields=["review_upheld", "review_note", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(
        actor=reviewer,
        action=AuditAction.UPDATE,
        purpose=Purpose.AUDIT,
        target_type="break_glass",
        target_id=grant.public_id,
        child_public_id=grant.child.public_id,
        detail={"review_upheld": upheld},
    )
    return grant


# The disclosure log


@transaction.atomic
def disclosure_mark_subject_told(
    *, disclosure: Disclosure, by: Any, subject_told: str, note: str
) -> Disclosure:
    """Records whether the child or family was told that this information was shared, and if not, why."""
    if not policy.can_view_disclosures(actor_for(by)):
        raise NotPermitted(_("Only the information-governance officer keeps the disclosure log."))
    disclosure = Disclosure.objects.select_for_update().select_related("child").get(pk=disclosure.pk)
    errors: dict[str, list[str]] = {}
    if subject_told not in SubjectTold.values:
        errors["subject_told"] = [_("Choose whether the child or family was told.")]
    note = note.strip()
    max_note = Disclosure._meta.get_field("subject_told_note").max_length or 300
    if len(note) > max_note:
        errors["note"] = [_("Keep the note to %(n)d characters or fewer.") % {"n": max_note}]
    if errors:
        raise ValidationError(errors)
    previous = disclosure.subject_told
    disclosure.subject_told = subject_told
    disclosure.subject_told_note = note
    disclosure.save(update_fields=["subject_told", "subject_told_note"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        purpose=Purpose.AUDIT,
        target_type="disclosure",
        target_id=str(disclosure.pk),
        child_public_id=disclosure.child.public_id,
        detail={"subject_told": subject_told, "previous": previous},
    )
    return disclosure
