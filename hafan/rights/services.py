"""Writes for data subjects' rights and retention: subject-access requests and exports, rectification
with its notices to recipients, legal holds, and the retention run (docs/adr/0006-retention.md)."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Purpose
from hafan.people.models import Child, Fact
from hafan.people.services import fact_add
from hafan.rights.export import export_document, export_zip
from hafan.rights.holdings import holdings_delete, holdings_for, surviving_identity
from hafan.rights.models import (
    Rectification,
    RectificationKind,
    RectificationNotice,
    RequestStatus,
    SubjectAccessRequest,
)
from hafan.rights.retention import protected_child_pks, retention_plan, schedule, schedules_due
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction, Disclosure, LegalHold

# UK GDPR Article 12(3): one month, extendable by two further months for complex or numerous requests.
MAX_EXTENSION_MONTHS = 3


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _require_ig(user: Any, check: Any, message: str) -> None:
    if not check(actor_for(user)):
        raise NotPermitted(message)


# Subject access


@transaction.atomic
def subject_access_request_create(
    *, child: Child, reference: str, received_on: datetime.date, user: Any
) -> SubjectAccessRequest:
    _require_ig(
        user,
        policy.can_handle_subject_access,
        _("Only the information-governance officer handles subject-access requests."),
    )
    reference = reference.strip()
    errors: dict[str, str] = {}
    if not reference:
        errors["reference"] = _("Enter the request's reference.")
    elif SubjectAccessRequest.objects.filter(reference=reference).exists():
        errors["reference"] = _("A request with this reference already exists.")
    if received_on > timezone.localdate():
        errors["received_on"] = _("The date received cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    child = surviving_identity(child)
    sar = SubjectAccessRequest.objects.create(
        reference=reference,
        child=child,
        received_on=received_on,
        due_on=received_on + datetime.timedelta(days=settings.HAFAN_SAR_DAYS),
        handled_by=user,
    )
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        purpose=Purpose.AUDIT,
        target_type="subject_access_request",
        target_id=sar.public_id,
        child_public_id=child.public_id,
        detail={"due_on": sar.due_on.isoformat()},
    )
    return sar


@transaction.atomic
def subject_access_request_extend(
    *, sar: SubjectAccessRequest, extended_to: datetime.date, reason: str, user: Any
) -> SubjectAccessRequest:
    _require_ig(
        user,
        policy.can_handle_subject_access,
        _("Only the information-governance officer handles subject-access requests."),
    )
    if sar.status == RequestStatus.CLOSED:
        raise InvalidAction(_("This request is closed."))
    latest = add_months(sar.received_on, MAX_EXTENSION_MONTHS)
    errors: dict[str, str] = {}
    if extended_to <= sar.due_on:
        errors["extended_to"] = _("The new due date must be after the current one.")
    elif extended_to > latest:
        errors["extended_to"] = _("A request can be extended to at most three months after it was received.")
    if not reason.strip():
        errors["extension_reason"] = _("Say why the request needs more time (it is complex or one of many).")
    if errors:
        raise ValidationError(errors)
    sar.extended_to = extended_to
    sar.extension_reason = reason.strip()[:300]
    sar.save(update_fields=["extended_to", "extension_reason", "updated_at"])
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.AUDIT,
        target_type="subject_access_request",
        target_id=sar.public_id,
        child_public_id=sar.child.public_id,
        detail={"extended_to": extended_to.isoformat()},
    )
    return sar


@transaction.atomic
def subject_access_request_close(*, sar: SubjectAccessRequest, user: Any) -> SubjectAccessRequest:
    """The response has been sent (after redaction review): the request no longer holds back retention."""
    _require_ig(
        user,
        policy.can_handle_subject_access,
        _("Only the information-governance officer handles subject-access requests."),
    )
    if sar.status == RequestStatus.CLOSED:
        raise InvalidAction(_("This request is already closed."))
    sar.status = RequestStatus.CLOSED
    sar.closed_at = timezone.now()
    sar.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.AUDIT,
        target_type="subject_access_request",
        target_id=sar.public_id,
        child_public_id=sar.child.public_id,
        detail={"status": RequestStatus.CLOSED.value},
    )
    return sar


@transaction.atomic
def subject_access_export(*, request: SubjectAccessRequest, user: Any) -> bytes:
    """A ZIP (export.json and a bilingual README.txt) of everything the hub holds about the request's
    child and the identities merged into it, each item marked for redaction review where it needs it.
    For the information-governance officer's review only. Each export is audited."""
    _require_ig(
        user,
        policy.can_handle_subject_access,
        _("Only the information-governance officer downloads subject-access exports."),
    )
    sar = SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)
    child = surviving_identity(sar.child)
    holdings = holdings_for(child)
    now = timezone.now()
    document = export_document(
        holdings=holdings,
        request={
            "reference": sar.reference,
            "child": str(child.public_id),
            "received_on": sar.received_on.isoformat(),
            "due_on": sar.deadline.isoformat(),
            "extended": sar.extended_to is not None,
        },
        generated={"at": now.isoformat(), "by": user.get_username()},
    )
    if sar.status == RequestStatus.OPEN:
        sar.status = RequestStatus.EXPORTED
    sar.exported_at = now
    sar.save(update_fields=["status", "exported_at", "updated_at"])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        purpose=Purpose.AUDIT,
        target_type="subject_access_request",
        target_id=sar.public_id,
        child_public_id=child.public_id,
        detail={
            "items": document["summary"]["items"],
            "for_redaction_review": document["summary"]["for_redaction_review"],
            "identities": len(holdings.rows.get(Child, ())),
        },
    )
    return export_zip(document)


# Rectification


def _notices(rectification: Rectification, disclosures: list[Disclosure]) -> list[RectificationNotice]:
    per_agency: dict[int, int] = {}
    for d in disclosures:
        if d.to_agency_id is not None:
            per_agency[d.to_agency_id] = per_agency.get(d.to_agency_id, 0) + 1
    return [
        RectificationNotice.objects.create(rectification=rectification, to_agency_id=agency_id, disclosures=n)
        for agency_id, n in sorted(per_agency.items())
    ]


@transaction.atomic
def fact_rectify(*, fact: Fact, corrected_summary: str, reason: str, user: Any) -> Fact:
    """Corrects an inaccurate fact (UK GDPR Article 16). The correction is a new fact with the same child,
    agency, category and handling; the old one is withdrawn and points at it, so briefings show only the
    correction. Every agency that was shown information from the fact's agency about the child since the
    fact was recorded gets a notice to send (Article 19)."""
    fact = Fact.objects.select_for_update().select_related("agency", "child").get(pk=fact.pk)
    if not policy.can_rectify_fact(actor_for(user), source_agency_code=fact.agency.code):
        raise NotPermitted(
            _("Only the agency that supplied a fact, or the information-governance officer, corrects it.")
        )
    if fact.superseded_by_id is not None or fact.withdrawn_at is not None:
        raise InvalidAction(_("This fact has already been corrected or withdrawn."))
    errors: dict[str, str] = {}
    if not corrected_summary.strip():
        errors["corrected_summary"] = _("Enter the corrected information.")
    elif corrected_summary.strip() == fact.summary.strip():
        errors["corrected_summary"] = _("The correction is the same as the fact it corrects.")
    if not reason.strip():
        errors["reason"] = _("Say why the fact was inaccurate.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    corrected = fact_add(
        child=fact.child,
        agency=fact.agency,
        category=fact.category,  # type: ignore[arg-type]
        summary=corrected_summary,
        # What the source recorded, and when, corrected: not new activity for the retention clock.
        recorded_on=fact.recorded_on,
        source=fact.source,
        actor=user,
        purpose=Purpose.ADMINISTRATION,
        # Not tied to the agency record: a refresh of that record must not withdraw the correction.
        source_record=None,
        debrief=fact.debrief,
        share_basis=fact.share_basis,  # type: ignore[arg-type]
        handling=fact.handling,  # type: ignore[arg-type]
    )
    carried = ["data_category", "restricted_at", "restricted_reason"]
    for name in carried:
        setattr(corrected, name, getattr(fact, name))
    corrected.save(update_fields=[*carried, "updated_at"])
    fact.superseded_by = corrected
    fact.withdrawn_at = now
    fact.save(update_fields=["superseded_by", "withdrawn_at", "updated_at"])
    rectification = Rectification.objects.create(
        kind=RectificationKind.FACT,
        child=fact.child,
        old_fact=fact,
        new_fact=corrected,
        reason=reason.strip(),
        rectified_by=user,
        rectified_at=now,
    )
    recipients = [
        d
        for d in Disclosure.objects.filter(
            child=fact.child, from_agency=fact.agency, to_agency__isnull=False, at__gte=fact.created_at
        ).exclude(to_agency=fact.agency)
        # A disclosure that lists its kinds of information and not this one did not carry the fact.
        if not d.data_categories or fact.data_category in d.data_categories
    ]
    notices = _notices(rectification, recipients)
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="fact",
        target_id=fact.public_id,
        child_public_id=fact.child.public_id,
        detail={
            "rectified_by": str(corrected.public_id),
            "rectification": str(rectification.public_id),
            "notices": [n.to_agency.code for n in notices],
        },
    )
    return corrected


IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth")


@transaction.atomic
def child_rectify(
    *,
    child: Child,
    given_name: str | None = None,
    family_name: str | None = None,
    date_of_birth: datetime.date | None = None,
    reason: str,
    user: Any,
) -> Child:
    """Corrects the hub identity. Agencies that were shown anything about the child get a notice."""
    if not policy.can_rectify_child_identity(actor_for(user)):
        raise NotPermitted(_("You cannot correct a child's hub identity."))
    child = Child.objects.select_for_update().get(pk=surviving_identity(child).pk)
    wanted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in (("given_name", given_name), ("family_name", family_name)):
        if value is not None:
            if not value.strip():
                errors[name] = _("A name cannot be empty.")
            elif value.strip() != getattr(child, name):
                wanted[name] = value.strip()
    if date_of_birth is not None:
        if date_of_birth > timezone.localdate():
            errors["date_of_birth"] = _("The date of birth must be in the past.")
        elif date_of_birth != child.date_of_birth:
            wanted["date_of_birth"] = date_of_birth
    if not reason.strip():
        errors["reason"] = _("Say why the identity was inaccurate.")
    if not errors and not wanted:
        errors["__all__"] = _("Nothing to correct: the values are the same as the hub identity's.")
    if errors:
        raise ValidationError(errors)
    previous = {
        name: (v.isoformat() if isinstance(v, datetime.date) else v)
        for name in wanted
        for v in [getattr(child, name)]
    }
    for name, value in wanted.items():
        setattr(child, name, value)
    child.save(update_fields=[*wanted, "updated_at"])
    rectification = Rectification.objects.create(
        kind=RectificationKind.IDENTITY,
        child=child,
        changed_fields=sorted(wanted),
        previous_values=previous,
        reason=reason.strip(),
        rectified_by=user,
        rectified_at=timezone.now(),
    )
    notices = _notices(rectification, list(Disclosure.objects.filter(child=child, to_agency__isnull=False)))
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.ADMINISTRATION,
        target_type="child",
        target_id=child.public_id,
        child_public_id=child.public_id,
        detail={
            "fields": sorted(wanted),
            "rectification": str(rectification.public_id),
            "notices": [n.to_agency.code for n in notices],
        },
    )
    return child


@transaction.atomic
def rectification_notice_mark_sent(*, notice: RectificationNotice, user: Any) -> RectificationNotice:
    _require_ig(
        user,
        policy.can_handle_subject_access,
        _("Only the information-governance officer records rectification notices as sent."),
    )
    notice = (
        RectificationNotice.objects.select_for_update()
        .select_related("rectification__child")
        .get(pk=notice.pk)
    )
    if notice.sent_at is not None:
        raise InvalidAction(_("This notice has already been sent."))
    notice.sent_at = timezone.now()
    notice.sent_by = user
    notice.save(update_fields=["sent_at", "sent_by", "updated_at"])
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.AUDIT,
        target_type="rectification_notice",
        target_id=notice.public_id,
        child_public_id=notice.rectification.child.public_id,
        detail={"to_agency": notice.to_agency.code, "sent": True},
    )
    return notice


# Legal holds


@transaction.atomic
def legal_hold_place(*, child: Child, reason: str, user: Any) -> LegalHold:
    """Keeps everything about the child past its retention period until the hold is lifted."""
    _require_ig(
        user, policy.can_manage_legal_holds, _("Only the information-governance officer places legal holds.")
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the child's record must be kept (the case or inquiry).")})
    child = surviving_identity(child)
    hold = LegalHold.objects.create(
        child=child, reason=reason.strip()[:300], placed_by=user, placed_at=timezone.now()
    )
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        purpose=Purpose.AUDIT,
        target_type="legal_hold",
        target_id=hold.public_id,
        child_public_id=child.public_id,
    )
    return hold


@transaction.atomic
def legal_hold_lift(*, hold: LegalHold, user: Any) -> LegalHold:
    _require_ig(
        user, policy.can_manage_legal_holds, _("Only the information-governance officer lifts legal holds.")
    )
    hold = LegalHold.objects.select_for_update().select_related("child").get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise InvalidAction(_("This legal hold has already been lifted."))
    hold.lifted_at = timezone.now()
    hold.lifted_by = user
    hold.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.AUDIT,
        target_type="legal_hold",
        target_id=hold.public_id,
        child_public_id=hold.child.public_id,
        detail={"lifted": True},
    )
    return hold


# Retention


@dataclass
class ChildDeletion:
    public_id: str
    last_activity: datetime.date
    rows: dict[str, int]


@dataclass
class ScheduleResult:
    name: str
    rule: str
    count: int


@dataclass
class RetentionReport:
    """What a retention run deleted, or with dry_run would delete: counts and public ids only."""

    now: datetime.datetime
    dry_run: bool
    activity_cutoff: datetime.date
    rules: dict[str, int]
    children: list[ChildDeletion] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    schedules: list[ScheduleResult] = field(default_factory=list)

    def rows_by_model(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for c in self.children:
            for label, n in c.rows.items():
                totals[label] = totals.get(label, 0) + n
        return dict(sorted(totals.items()))


def _child_delete(*, child_pk: int, last_activity: datetime.date, actor: Any) -> ChildDeletion | None:
    """Deletes one child's data in one transaction, unless a hold or a request arrived since the plan."""
    with transaction.atomic():
        child = Child.objects.select_for_update().filter(pk=child_pk).first()
        if child is None:
            return None
        holdings = holdings_for(child)
        group = holdings.rows[Child]
        held, requested = protected_child_pks()
        if group & (held | requested):
            return None
        public_id = str(child.public_id)
        merged = sorted(str(c.public_id) for c in holdings.children() if c.pk != child.pk)
        rows = holdings_delete(holdings)
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            purpose=Purpose.ADMINISTRATION,
            target_type="child",
            target_id=public_id,
            child_public_id=child.public_id,
            detail={
                "reason": "retention",
                "last_activity": last_activity.isoformat(),
                "rows": rows,
                "merged_identities": merged,
            },
        )
    return ChildDeletion(public_id=public_id, last_activity=last_activity, rows=rows)


def retention_run(
    *, now: datetime.datetime | None = None, dry_run: bool, actor: Any = None
) -> RetentionReport:
    """Applies the retention schedules (settings.HAFAN_RETENTION). Each child past retention is deleted,
    with everything that refers to it, in its own transaction with one audit entry; audit entries are
    never deleted, so the chain stays verifiable. With dry_run nothing is written."""
    now = now or timezone.now()
    plan = retention_plan(today=timezone.localdate(now))
    report = RetentionReport(
        now=now, dry_run=dry_run, activity_cutoff=plan.activity_cutoff, rules=schedule(), kept=plan.kept()
    )
    gone: set[int] = set()
    for decision in plan.due:
        if dry_run:
            holdings = holdings_for(Child.objects.get(pk=decision.child_pk))
            gone |= holdings.rows[Child]
            report.children.append(
                ChildDeletion(
                    public_id=decision.public_id, last_activity=decision.last_activity, rows=holdings.counts()
                )
            )
            continue
        deleted = _child_delete(child_pk=decision.child_pk, last_activity=decision.last_activity, actor=actor)
        if deleted is not None:
            report.children.append(deleted)
    for due in schedules_due(now=now, exclude_child_pks=gone | plan.protected_pks):
        if dry_run or not due.ids:
            report.schedules.append(ScheduleResult(name=due.name, rule=due.rule, count=len(due.ids)))
            continue
        with transaction.atomic():
            count = 0
            ids = sorted(due.ids)
            for start in range(0, len(ids), 500):
                _, per_model = due.model._base_manager.filter(pk__in=ids[start : start + 500]).delete()
                count += per_model.get(due.model._meta.label, 0)
            audit_record(
                actor=actor,
                action=AuditAction.DELETE,
                purpose=Purpose.ADMINISTRATION,
                target_type="retention_schedule",
                target_id=due.name,
                detail={"reason": "retention", "count": count},
            )
        report.schedules.append(ScheduleResult(name=due.name, rule=due.rule, count=count))
    return report
