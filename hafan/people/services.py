"""Writes about children: matching a report to a hub identity, agency records, facts and response plans."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.core.crypto import nhs_number_key, upn_key
from hafan.core.errors import NotPermitted
from hafan.core.vocabulary import AgencyKind, FactCategory, Handling, Purpose, RiskGrade, ShareBasis
from hafan.linkage.records import LinkRecord
from hafan.linkage.services import blocking_keys_refresh
from hafan.people.identifiers import nhs_number_is_valid, normalise_nhs_number, normalise_upn, upn_is_valid
from hafan.people.lookup import child_ids_by_identifier
from hafan.people.models import Allocation, AllocationKind, Child, Fact, ResponsePlan, Sex, SourceRecord
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


@dataclass(frozen=True)
class PersonDetails:
    """A person as an agency or a reporter describes them."""

    given_name: str
    family_name: str
    date_of_birth: datetime.date | None = None
    sex: str = Sex.UNKNOWN
    other_names: str = ""
    address: str = ""
    postcode: str = ""
    nhs_number: str = ""
    upn: str = ""

    def as_link_record(self, *, record_id: int = 0, agency: str = "") -> LinkRecord:
        return LinkRecord(
            record_id=record_id,
            agency=agency,
            given_name=self.given_name,
            family_name=self.family_name,
            other_names=self.other_names,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            postcode=self.postcode,
            address=self.address,
            nhs_number=self.nhs_number,
            upn=self.upn,
        )

    def cleaned(self) -> PersonDetails:
        errors: dict[str, str] = {}
        given, family = self.given_name.strip(), self.family_name.strip()
        if not given:
            errors["given_name"] = _("Enter the child's given name.")
        if not family:
            errors["family_name"] = _("Enter the child's family name.")
        nhs = normalise_nhs_number(self.nhs_number)
        if nhs and not nhs_number_is_valid(nhs):
            errors["nhs_number"] = _("The NHS number is not valid: check all 10 digits.")
        upn = normalise_upn(self.upn)
        if upn and not upn_is_valid(upn):
            errors["upn"] = _("The unique pupil number is not valid: check all 13 characters.")
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = _("The date of birth must be in the past.")
        if self.sex not in Sex.values:
            errors["sex"] = _("Choose a valid sex.")
        if errors:
            raise ValidationError(errors)
        return PersonDetails(
            given_name=given,
            family_name=family,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            other_names=self.other_names.strip(),
            address=self.address.strip(),
            postcode=self.postcode.strip().upper(),
            nhs_number=nhs,
            upn=upn,
        )


def child_find_match(details: PersonDetails) -> Child | None:
    """Interim matching until identity resolution lands: a valid identifier, else exact name + date of birth.

    Returns None when no child matches, or when the evidence points at more than one child (a false merge
    is worse than a miss).
    """
    # Identifiers are compared through their keyed hashes (people/lookup.py), never as plaintext in SQL.
    for field in ("nhs_number", "upn"):
        value = getattr(details, field)
        if value:
            ids = child_ids_by_identifier(**{field: value})
            if len(ids) == 1:
                return Child.objects.get(pk=ids.pop())
            if len(ids) > 1:
                return None
    if details.date_of_birth is None:
        return None
    ids = set(
        SourceRecord.objects.filter(
            given_name__iexact=details.given_name,
            family_name__iexact=details.family_name,
            date_of_birth=details.date_of_birth,
        ).values_list("child_id", flat=True)
    )
    ids |= set(
        Child.objects.filter(
            given_name__iexact=details.given_name,
            family_name__iexact=details.family_name,
            date_of_birth=details.date_of_birth,
        ).values_list("id", flat=True)
    )
    # Two valid identifiers that disagree mean two different children, however alike their names.
    for field, key in (
        ("nhs_number_key", nhs_number_key(details.nhs_number)),
        ("upn_key", upn_key(details.upn)),
    ):
        if key:
            conflicting = (
                SourceRecord.objects.filter(child_id__in=ids).exclude(**{field: ""}).exclude(**{field: key})
            )
            ids -= set(conflicting.values_list("child_id", flat=True))
    return Child.objects.get(pk=ids.pop()) if len(ids) == 1 else None


@transaction.atomic
def child_create(
    *, details: PersonDetails, actor: Any, purpose: Purpose, responsible_council: Agency | None = None
) -> Child:
    details = details.cleaned()
    child = Child.objects.create(
        given_name=details.given_name,
        family_name=details.family_name,
        date_of_birth=details.date_of_birth,
        sex=details.sex,
        responsible_council=responsible_council,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        purpose=purpose,
        target_type="child",
        target_id=child.public_id,
        child_public_id=child.public_id,
    )
    return child


@transaction.atomic
def source_record_upsert(
    *,
    child: Child,
    agency: Agency,
    system: str,
    local_id: str,
    details: PersonDetails,
    recorded_on: datetime.date,
    actor: Any,
    purpose: Purpose = Purpose.AGENCY_FEED,
) -> SourceRecord:
    """Creates or refreshes what `agency` holds about `child` under its own local id."""
    details = details.cleaned()
    if not system.strip() or not local_id.strip():
        raise ValidationError({"local_id": _("A source record needs its system and local id.")})
    values = {
        "child": child,
        "given_name": details.given_name,
        "family_name": details.family_name,
        "other_names": details.other_names,
        "date_of_birth": details.date_of_birth,
        "sex": details.sex,
        "address": details.address,
        "postcode": details.postcode,
        "nhs_number": details.nhs_number,
        "upn": details.upn,
        "nhs_number_key": nhs_number_key(details.nhs_number),
        "upn_key": upn_key(details.upn),
        "recorded_on": recorded_on,
    }
    record, created = SourceRecord.objects.update_or_create(
        agency=agency, system=system.strip(), local_id=local_id.strip(), defaults=values
    )
    blocking_keys_refresh(record=record)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        purpose=purpose,
        target_type="source_record",
        target_id=record.public_id,
        child_public_id=child.public_id,
        detail={"agency": agency.code, "system": record.system, "local_id": record.local_id},
    )
    return record


@transaction.atomic
def fact_add(
    *,
    child: Child,
    agency: Agency,
    category: FactCategory,
    summary: str,
    recorded_on: datetime.date,
    source: str,
    actor: Any,
    purpose: Purpose = Purpose.AGENCY_FEED,
    source_record: SourceRecord | None = None,
    debrief: Any = None,
    share_basis: ShareBasis = ShareBasis.NONE,
    handling: Handling | None = None,
) -> Fact:
    if category not in FactCategory.values:
        raise ValidationError({"category": _("Unknown fact category %(value)s.") % {"value": category}})
    if not summary.strip():
        raise ValidationError({"summary": _("A fact needs a summary.")})
    if not source.strip():
        raise ValidationError({"source": _("Every fact records who supplied it.")})
    data_category = policy.data_category_for(
        source_agency_kind=AgencyKind(agency.kind),
        category=FactCategory(category),
        from_debrief=debrief is not None,
    )
    fact = Fact.objects.create(
        child=child,
        agency=agency,
        category=category,
        data_category=data_category,
        handling=handling or policy.default_handling(data_category),
        share_basis=share_basis,
        summary=summary.strip(),
        recorded_on=recorded_on,
        source=source.strip(),
        source_record=source_record,
        debrief=debrief,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        purpose=purpose,
        target_type="fact",
        target_id=fact.public_id,
        child_public_id=child.public_id,
        detail={"category": category, "agency": agency.code, "data_category": data_category},
    )
    return fact


@transaction.atomic
def response_plan_agree(
    *,
    child: Child,
    agreed_by: Any,
    plan: str,
    treat_as_grade: RiskGrade | str = "",
    social_worker_agreed: bool,
    review_due: datetime.date,
    agreed_at: datetime.datetime | None = None,
) -> ResponsePlan:
    if not policy.can_agree_response_plan(actor_for(agreed_by)):
        raise NotPermitted(_("Only hub police staff and social workers agree response plans."))
    if not plan.strip():
        raise ValidationError({"plan": _("Describe the response plan.")})
    if treat_as_grade and treat_as_grade not in RiskGrade.values:
        raise ValidationError({"treat_as_grade": _("Choose a valid risk grade.")})
    response_plan = ResponsePlan.objects.create(
        child=child,
        plan=plan.strip(),
        treat_as_grade=treat_as_grade,
        agreed_by=agreed_by,
        agreed_at=agreed_at or timezone.now(),
        social_worker_agreed=social_worker_agreed,
        review_due=review_due,
    )
    audit_record(
        actor=agreed_by,
        action=AuditAction.CREATE,
        purpose=Purpose.PLANNING,
        target_type="response_plan",
        target_id=response_plan.public_id,
        child_public_id=child.public_id,
    )
    return response_plan


# Allocations and fact handling (docs/adr/0005-information-governance.md)


@transaction.atomic
def allocation_start(
    *,
    child: Child,
    user: Any,
    kind: AllocationKind | str,
    allocated_by: Any,
    now: datetime.datetime | None = None,
) -> Allocation:
    """Allocates a worker to the child: they see the child's record from their next request, in or out of
    the hub team."""
    if not policy.can_allocate(actor_for(allocated_by)):
        raise NotPermitted
    if kind not in AllocationKind.values:
        raise ValidationError({"kind": _("Choose what the worker is to the child.")})
    if not (user.is_active and policy.is_casework(actor_for(user))):
        raise ValidationError(
            {"user": _("Only an active member of casework staff in a partner agency can be allocated.")}
        )
    if Allocation.objects.filter(child=child, user=user, ended_at__isnull=True).exists():
        raise ValidationError({"user": _("That worker is already allocated to this child.")})
    allocation = Allocation.objects.create(
        child=child, user=user, kind=kind, started_at=now or timezone.now(), allocated_by=allocated_by
    )
    audit_record(
        actor=allocated_by,
        action=AuditAction.CREATE,
        purpose=Purpose.PLANNING,
        target_type="allocation",
        target_id=allocation.public_id,
        child_public_id=child.public_id,
        detail={"kind": str(kind), "user": user.username},
    )
    return allocation


@transaction.atomic
def allocation_end(
    *, allocation: Allocation, ended_by: Any, now: datetime.datetime | None = None
) -> Allocation:
    """Ends an allocation: the worker's access through it stops on their next request."""
    if not policy.can_allocate(actor_for(ended_by)):
        raise NotPermitted
    if allocation.ended_at is not None:
        raise ValidationError({"allocation": _("That allocation has already ended.")})
    allocation.ended_at = now or timezone.now()
    allocation.save(update_fields=["ended_at", "updated_at"])
    audit_record(
        actor=ended_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.PLANNING,
        target_type="allocation",
        target_id=allocation.public_id,
        child_public_id=allocation.child.public_id,
        detail={"ended": True},
    )
    return allocation


def _fact_restriction_set(
    *, fact: Fact, user: Any, restricted_at: datetime.datetime | None, reason: str
) -> Fact:
    if not policy.can_restrict_fact(actor_for(user), source_agency_code=fact.agency.code):
        raise NotPermitted
    fact.restricted_at = restricted_at
    fact.restricted_reason = reason
    fact.save(update_fields=["restricted_at", "restricted_reason", "updated_at"])
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.PLANNING,
        target_type="fact",
        target_id=fact.public_id,
        child_public_id=fact.child.public_id,
        detail={"restricted": restricted_at is not None},
    )
    return fact


@transaction.atomic
def fact_restrict(*, fact: Fact, user: Any, reason: str) -> Fact:
    """The agency that supplied a fact restricts it to its own staff; nobody else sees it from then on."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the item is restricted.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("The reason must be 200 characters or fewer.")})
    return _fact_restriction_set(fact=fact, user=user, restricted_at=timezone.now(), reason=reason)


@transaction.atomic
def fact_lift_restriction(*, fact: Fact, user: Any) -> Fact:
    """Shares the fact again under its handling rule."""
    return _fact_restriction_set(fact=fact, user=user, restricted_at=None, reason="")
