"""Writes about children: matching a report to a hub identity, agency records, facts and response plans."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.core.crypto import nhs_number_key, upn_key
from hafan.core.errors import EditConflict, InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, FactCategory, Handling, Purpose, RiskGrade, Role, ShareBasis
from hafan.linkage.records import LinkRecord
from hafan.linkage.services import blocking_keys_refresh
from hafan.notifications.models import NotificationKind
from hafan.notifications.services import notify
from hafan.people.identifiers import nhs_number_is_valid, normalise_nhs_number, normalise_upn, upn_is_valid
from hafan.people.lookup import child_ids_by_identifier
from hafan.people.models import (
    Allocation,
    AllocationKind,
    Child,
    ChildProfile,
    Fact,
    MatrixLevel,
    PlanStatus,
    ResponsePlan,
    Sex,
    SourceRecord,
)
from hafan.people.photos import photo_clean
from hafan.sharing import policy
from hafan.sharing.access import actor_for, forget_relations, relation_to
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
    information_request: Any = None,
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
        information_request=information_request,
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


# Response plans (issue 6, item 3): the hub proposes, the child's case-holding social worker agrees. Only a plan
# in force sets the risk floor and opens the next report; a proposal waits, and a refusal leaves the old plan.

RESPONSE_PLAN_FIELDS = (
    "plan",
    "treat_as_grade",
    "likelihood",
    "harm",
    "places_first",
    "police_deploy_after_hours",
    "review_due",
)
# A week: longer than any sensible wait before police deploy, short enough to catch a typo.
MAX_DEPLOY_AFTER_HOURS = 168


def _case_holder(child: Child) -> Any:
    """The child's active case-holding social worker, or None."""
    allocation = (
        Allocation.objects.filter(child=child, kind=AllocationKind.CASE_HOLDER, ended_at__isnull=True)
        .select_related("user", "user__agency")
        .order_by("-started_at", "-id")
        .first()
    )
    return allocation.user if allocation is not None else None


def may_decide_response_plan(user: Any, *, child: Child, named_id: int | None) -> bool:
    """Whether `user` agrees or refuses a proposal for `child`: the social worker named on it (`named_id`) or,
    when it names nobody, a social worker of the child's responsible council. The decide page asks this too."""
    same_council = (
        named_id is None
        and child.responsible_council_id is not None
        and getattr(user, "agency_id", None) == child.responsible_council_id
    )
    return policy.can_decide_response_plan(
        actor_for(user),
        is_named_worker=named_id is not None and named_id == user.pk,
        same_council=same_council,
    )


def _response_plan_fields_cleaned(fields: dict[str, Any], *, today: datetime.date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    plan = str(fields.get("plan") or "").strip()
    if not plan:
        errors["plan"] = _("Describe the response plan.")
    grade = fields.get("treat_as_grade") or ""
    if grade and grade not in RiskGrade.values:
        errors["treat_as_grade"] = _("Choose a valid risk grade.")
    likelihood, harm = fields.get("likelihood") or "", fields.get("harm") or ""
    if likelihood and likelihood not in MatrixLevel.values:
        errors["likelihood"] = _("Choose how likely the child is to go missing again.")
    if harm and harm not in MatrixLevel.values:
        errors["harm"] = _("Choose how much harm is likely if they do.")
    if likelihood and not harm and "harm" not in errors:
        errors["harm"] = _("Choose how much harm is likely if they do.")
    if harm and not likelihood and "likelihood" not in errors:
        errors["likelihood"] = _("Choose how likely the child is to go missing again.")
    hours = fields.get("police_deploy_after_hours")
    if hours is not None and not (isinstance(hours, int) and 0 <= hours <= MAX_DEPLOY_AFTER_HOURS):
        errors["police_deploy_after_hours"] = _("Enter a whole number of hours from 0 to %(max)s.") % {
            "max": MAX_DEPLOY_AFTER_HOURS
        }
    review_due = fields.get("review_due")
    if not isinstance(review_due, datetime.date):
        errors["review_due"] = _("Enter when the plan is to be reviewed.")
    elif review_due < today:
        errors["review_due"] = _("The review date must be today or later.")
    if errors:
        raise ValidationError(errors)
    return {
        "plan": plan,
        "treat_as_grade": grade,
        "likelihood": likelihood,
        "harm": harm,
        "places_first": str(fields.get("places_first") or "").strip(),
        "police_deploy_after_hours": hours,
        "review_due": review_due,
    }


def _supersede_plans_in_force(*, plan: ResponsePlan, actor: Any) -> None:
    for old in ResponsePlan.objects.filter(child=plan.child, status=PlanStatus.IN_FORCE).exclude(pk=plan.pk):
        old.status = PlanStatus.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            purpose=Purpose.PLANNING,
            target_type="response_plan",
            target_id=old.public_id,
            child_public_id=plan.child.public_id,
            detail={"status": PlanStatus.SUPERSEDED, "superseded_by": str(plan.public_id)},
        )


def _notify_plan_to_agree(*, plan: ResponsePlan, episode: Any) -> None:
    """Tells the named social worker (or, when nobody holds the case, the hub's social workers of the child's
    responsible council) that a plan waits for them. The link leads to the decide page, under the access rules."""
    child = plan.child
    episode = episode or child.episodes.order_by("-reported_at", "-id").first()
    if plan.social_worker is not None:
        recipients: list[Any] = [plan.social_worker]
    elif child.responsible_council_id is not None:
        recipients = list(
            get_user_model().objects.filter(
                role=Role.SOCIAL_WORKER,
                agency_id=child.responsible_council_id,
                is_active=True,
                hub_member=True,
            )
        )
    else:
        recipients = []
    url = (
        reverse("episodes:response_plan_decide", args=[episode.public_id, plan.public_id])
        if episode is not None
        else reverse("people:child", args=[child.public_id])
    )
    notify(
        recipients=recipients,
        kind=NotificationKind.PLAN_TO_AGREE,
        params={"reference": episode.reference if episode is not None else ""},
        url=url,
        dedupe_key=f"plan-to-agree:{plan.public_id}",
    )


@transaction.atomic
def response_plan_propose(
    *,
    child: Child,
    proposed_by: Any,
    plan: str,
    treat_as_grade: RiskGrade | str = "",
    likelihood: str = "",
    harm: str = "",
    places_first: str = "",
    police_deploy_after_hours: int | None = None,
    review_due: datetime.date,
    based_on: ResponsePlan | None,
    episode: Any = None,
    at: datetime.datetime | None = None,
) -> ResponsePlan:
    """Proposes the child's next response plan. It waits for the case-holding social worker's agreement, unless
    the proposer is that worker (or, when nobody holds the case, a social worker of the child's responsible
    council): then it is in force at once and replaces the plan in force.

    `based_on` is the plan in force when the proposer opened the form: if it has changed since, or another
    proposal is already waiting, nothing is written and EditConflict carries the plan to compare with."""
    if not policy.can_agree_response_plan(actor_for(proposed_by)):
        raise NotPermitted(_("Only hub police staff and social workers propose response plans."))
    at = at or timezone.now()
    cleaned = _response_plan_fields_cleaned(
        {
            "plan": plan,
            "treat_as_grade": treat_as_grade,
            "likelihood": likelihood,
            "harm": harm,
            "places_first": places_first,
            "police_deploy_after_hours": police_deploy_after_hours,
            "review_due": review_due,
        },
        today=timezone.localtime(at).date(),
    )
    # One proposal at a time per child: the lock makes two simultaneous proposals queue, and the second conflicts.
    child = (
        Child.objects.select_for_update(of=("self",)).select_related("responsible_council").get(pk=child.pk)
    )
    waiting = (
        ResponsePlan.objects.filter(child=child, status=PlanStatus.PROPOSED).order_by("-agreed_at").first()
    )
    if waiting is not None:
        raise EditConflict(
            _("Another plan for this child is already waiting for the social worker's agreement."),
            current=waiting,
        )
    in_force = (
        ResponsePlan.objects.filter(child=child, status=PlanStatus.IN_FORCE)
        .order_by("-social_worker_decided_at", "-agreed_at", "-id")
        .first()
    )
    if (in_force.pk if in_force else None) != (based_on.pk if based_on else None):
        raise EditConflict(
            _("The child's response plan has changed since you opened this page."), current=in_force
        )
    holder = _case_holder(child)
    agreed_now = may_decide_response_plan(proposed_by, child=child, named_id=holder.pk if holder else None)
    response_plan = ResponsePlan.objects.create(
        child=child,
        **cleaned,
        agreed_by=proposed_by,
        agreed_at=at,
        status=PlanStatus.IN_FORCE if agreed_now else PlanStatus.PROPOSED,
        social_worker=holder or (proposed_by if agreed_now else None),
        social_worker_agreed=agreed_now,
        social_worker_decided_at=at if agreed_now else None,
        supersedes=in_force,
    )
    audit_record(
        actor=proposed_by,
        action=AuditAction.CREATE,
        purpose=Purpose.PLANNING,
        target_type="response_plan",
        target_id=response_plan.public_id,
        child_public_id=child.public_id,
        detail={"status": response_plan.status, "treat_as_grade": response_plan.treat_as_grade},
    )
    if agreed_now:
        _supersede_plans_in_force(plan=response_plan, actor=proposed_by)
    else:
        _notify_plan_to_agree(plan=response_plan, episode=episode)
    return response_plan


@transaction.atomic
def response_plan_edit(*, plan: ResponsePlan, edited_by: Any, version: int, **fields: Any) -> ResponsePlan:
    """Edits a proposal still waiting for agreement: `fields` are those of RESPONSE_PLAN_FIELDS to change, the
    plan's text given as `text` (`plan` is the plan itself). `version` is the one the editor opened: if anyone
    saved or decided the plan since, nothing is written and EditConflict carries the plan as it is now."""
    if not policy.can_agree_response_plan(actor_for(edited_by)):
        raise NotPermitted(_("Only hub police staff and social workers edit response plans."))
    if "text" in fields:
        fields["plan"] = fields.pop("text")
    unknown = set(fields) - set(RESPONSE_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"response_plan_edit got unknown fields: {sorted(unknown)}")
    locked = ResponsePlan.objects.select_for_update().select_related("child", "agreed_by").get(pk=plan.pk)
    if locked.version != version:
        raise EditConflict(_("Someone else saved this plan since you opened it."), current=locked)
    if locked.status != PlanStatus.PROPOSED:
        raise InvalidAction(_("Only a plan waiting for the social worker's agreement can be edited."))
    merged = {name: fields.get(name, getattr(locked, name)) for name in RESPONSE_PLAN_FIELDS}
    cleaned = _response_plan_fields_cleaned(merged, today=timezone.localdate())
    changed = sorted(name for name, value in cleaned.items() if getattr(locked, name) != value)
    for name, value in cleaned.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.save(update_fields=[*RESPONSE_PLAN_FIELDS, "version", "updated_at"])
    audit_record(
        actor=edited_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.PLANNING,
        target_type="response_plan",
        target_id=locked.public_id,
        child_public_id=locked.child.public_id,
        detail={"version": locked.version, "changed": changed},
    )
    return locked


@transaction.atomic
def response_plan_decide(
    *, plan: ResponsePlan, social_worker: Any, agree: bool, note: str, at: datetime.datetime | None = None
) -> ResponsePlan:
    """The case-holding social worker agrees the proposal (it comes into force and replaces the plan in force)
    or does not (with a reason; the plan in force stays)."""
    locked = (
        ResponsePlan.objects.select_for_update(of=("self",))
        .select_related("child", "social_worker")
        .get(pk=plan.pk)
    )
    if not may_decide_response_plan(social_worker, child=locked.child, named_id=locked.social_worker_id):
        raise NotPermitted(_("Only the child's case-holding social worker agrees a response plan."))
    if locked.status != PlanStatus.PROPOSED:
        raise InvalidAction(_("This plan has already been decided."))
    note = note.strip()
    if not agree and not note:
        raise ValidationError({"note": _("Say why you do not agree the plan.")})
    at = at or timezone.now()
    locked.status = PlanStatus.IN_FORCE if agree else PlanStatus.DECLINED
    locked.social_worker_agreed = agree
    locked.social_worker = locked.social_worker or social_worker
    locked.social_worker_decided_at = at
    locked.social_worker_note = note
    locked.version += 1
    locked.save(
        update_fields=[
            "status",
            "social_worker_agreed",
            "social_worker",
            "social_worker_decided_at",
            "social_worker_note",
            "version",
            "updated_at",
        ]
    )
    audit_record(
        actor=social_worker,
        action=AuditAction.UPDATE,
        purpose=Purpose.PLANNING,
        target_type="response_plan",
        target_id=locked.public_id,
        child_public_id=locked.child.public_id,
        detail={"status": locked.status, "version": locked.version},
    )
    if agree:
        _supersede_plans_in_force(plan=locked, actor=social_worker)
    _notify_plan_decided(plan=locked, decided_by=social_worker)
    return locked


def _notify_plan_decided(*, plan: ResponsePlan, decided_by: Any) -> None:
    """Tells whoever proposed the plan what the social worker decided (the reasons stay on the plan's page)."""
    child = plan.child
    episode = child.episodes.order_by("-reported_at", "-id").first()
    url = (
        reverse("episodes:response_plan", args=[episode.public_id])
        if episode is not None
        else reverse("people:child", args=[child.public_id])
    )
    if plan.agreed_by_id == decided_by.pk:
        return
    notify(
        recipients=[plan.agreed_by],
        kind=NotificationKind.PLAN_DECIDED,
        params={
            "reference": episode.reference if episode is not None else "",
            "agreed": plan.status == "in_force",
        },
        url=url,
        dedupe_key=f"plan-decided:{plan.public_id}",
    )


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
    forget_relations()
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
    forget_relations()
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


# Issue 6 / child information profile (Philomena protocol)

PROFILE_TEXT_FIELDS = (
    "placement",
    "description",
    "nicknames",
    "marks",
    "associates",
    "places",
    "phones",
    "social_media",
    "transport",
    "medical_needs",
)
PROFILE_TEXT_MAX = 4000


def child_profile_latest(child: Child) -> ChildProfile | None:
    return child.profiles.select_related("prepared_by", "prepared_by_agency").order_by("-version").first()


@transaction.atomic
def child_profile_save(
    *,
    child: Child,
    prepared_by: Any,
    based_on_version: int | None,
    placement: str = "",
    description: str = "",
    nicknames: str = "",
    first_language: str = "",
    marks: str = "",
    associates: str = "",
    places: str = "",
    phones: str = "",
    social_media: str = "",
    transport: str = "",
    medical_needs: str = "",
    photo: bytes | None = None,
    photo_content_type: str = "",
    photo_taken_on: datetime.date | None = None,
    keep_photo: bool = True,
    now: datetime.datetime | None = None,
) -> ChildProfile:
    """Saves the child's information profile as a new version (the newest is current; none is ever changed).

    The profile belongs to the child, not a placement: a move is a new version with the new placement, and the
    profile goes with the child. `based_on_version` is the version the user started from: if someone saved a
    newer one since, nothing is written and EditConflict carries what is saved now. The previous photo is kept
    unless a new one replaces it or `keep_photo` is false. `photo_content_type` is what the browser claimed; the
    file's content decides."""
    if not policy.can_prepare_profile(actor_for(prepared_by), relation=relation_to(prepared_by, child)):
        raise NotPermitted(_("Only the child's social workers prepare the information profile."))
    # One writer at a time per child (PostgreSQL), so two saves cannot both become the same version.
    Child.objects.select_for_update().filter(pk=child.pk).first()
    latest = child_profile_latest(child)
    if (latest.version if latest else None) != based_on_version:
        raise EditConflict(
            _("Someone else saved the profile while you were editing it. Nothing has been overwritten."),
            current=latest,
        )
    texts = {
        "placement": placement,
        "description": description,
        "nicknames": nicknames,
        "marks": marks,
        "associates": associates,
        "places": places,
        "phones": phones,
        "social_media": social_media,
        "transport": transport,
        "medical_needs": medical_needs,
    }
    errors: dict[str, str] = {}
    cleaned = {name: value.strip() for name, value in texts.items()}
    for name, value in cleaned.items():
        if len(value) > PROFILE_TEXT_MAX:
            errors[name] = _("Use %(max)d characters or fewer.") % {"max": PROFILE_TEXT_MAX}
    if first_language not in {"", "en", "cy"}:
        errors["first_language"] = _("Choose English or Welsh, or leave it blank.")
    if photo_taken_on is not None and photo_taken_on > timezone.localdate():
        errors["photo_taken_on"] = _("The date the photo was taken must be in the past.")
    if not any(cleaned.values()) and photo is None and not (keep_photo and latest and latest.photo):
        errors["description"] = _("Describe the child, or add a photo.")
    if errors:
        raise ValidationError(errors)
    image: bytes | None = None
    content_type = ""
    taken_on = photo_taken_on
    if photo is not None:
        clean = photo_clean(photo)  # ValidationError on "photo": nothing is written
        image, content_type = clean.data, clean.content_type
    elif keep_photo and latest is not None and latest.photo:
        image, content_type = bytes(latest.photo), latest.photo_content_type
        taken_on = photo_taken_on or latest.photo_taken_on
    profile = ChildProfile.objects.create(
        child=child,
        version=(latest.version + 1) if latest else 1,
        prepared_by=prepared_by,
        prepared_by_agency=prepared_by.agency,
        prepared_at=now or timezone.now(),
        first_language=first_language,
        photo=image,
        photo_content_type=content_type,
        photo_taken_on=taken_on if image else None,
        **cleaned,
    )
    audit_record(
        actor=prepared_by,
        action=AuditAction.CREATE,
        purpose=Purpose.PLANNING,
        target_type="child_profile",
        target_id=profile.public_id,
        child_public_id=child.public_id,
        detail={
            "version": profile.version,
            "photo": "new" if photo is not None else ("kept" if image else "none"),
            "claimed_content_type": photo_content_type[:40] if photo is not None else "",
        },
    )
    return profile
