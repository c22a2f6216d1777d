"""Reads of children's records: the one permission-checked, audited path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import AgencyKind, Channel, DataCategory, Handling, Purpose, Relation, ShareBasis
from hafan.episodes.models import EpisodeStatus
from hafan.people.models import Child, ChildProfile, Fact, PlanStatus, ResponsePlan
from hafan.sharing import policy
from hafan.sharing.access import actor_for, child_ids_related_to, relation_to, share_graph
from hafan.sharing.audit import audit_record
from hafan.sharing.disclosures import disclosure_record
from hafan.sharing.models import AuditAction


def children_visible_to(user: Any) -> QuerySet[Child]:
    """Hub casework staff: every child. Casework staff outside the hub: the children allocated to them or
    opened in an emergency. Everyone else: none."""
    actor = actor_for(user)
    if policy.sees_every_child(actor):
        return Child.objects.all()
    if policy.is_casework(actor):
        return Child.objects.filter(pk__in=child_ids_related_to(user))
    return Child.objects.none()


def child_get_for_user(*, user: Any, public_id: uuid.UUID | str, purpose: Purpose) -> Child:
    """The child, or 404 when it does not exist or the user may not see it. Audited."""
    try:
        child = children_visible_to(user).get(public_id=public_id)
    except (Child.DoesNotExist, ValueError, ValidationError) as exc:  # a malformed UUID is "not found" too
        raise NotFoundOrNoAccess from exc
    relation = relation_to(user, child)
    if not policy.can_view_child_record(actor_for(user), relation=relation):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.BREAK_GLASS if relation == Relation.BREAK_GLASS else AuditAction.VIEW,
        purpose=purpose,
        target_type="child",
        target_id=child.public_id,
        child_public_id=child.public_id,
    )
    return child


def fact_label(fact: Fact) -> policy.FactLabel:
    return policy.FactLabel(
        source_agency_code=fact.agency.code,
        source_agency_kind=AgencyKind(fact.agency.kind),
        data_category=DataCategory(fact.data_category),
        handling=Handling(fact.handling),
        share_basis=ShareBasis(fact.share_basis),
        restricted=fact.restricted_at is not None,
    )


def facts_visible_to(
    *,
    user: Any,
    child: Child,
    purpose: Purpose = Purpose.MISSING_EPISODE,
    channel: Channel = Channel.PAGE,
    target_type: str = "child",
    target_id: str = "",
    relation: Relation | None = None,
) -> list[Fact]:
    """The child's facts that the user may see, each decided by policy.can_view_fact. The caller has
    already fetched (and audited) the child. Facts shown from other agencies go in the disclosure log."""
    actor = actor_for(user)
    relation = relation if relation is not None else relation_to(user, child)
    shares = share_graph()
    facts = (
        # Withdrawn facts (no longer stated by their source, corrected, or from a withdrawn record) are kept,
        # not shown.
        Fact.objects.filter(child=child, withdrawn_at__isnull=True)
        .exclude(source_record__withdrawn_at__isnull=False)
        .select_related("agency")
        .order_by("agency__name_en", "category", "-recorded_on")
    )
    visible = [
        f
        for f in facts
        if policy.can_view_fact(actor, fact=fact_label(f), relation=relation, shares=shares, purpose=purpose)
    ]
    disclosure_record(
        user=user,
        child=child,
        facts=visible,
        channel=channel,
        purpose=purpose,
        target_type=target_type,
        target_id=target_id or str(child.public_id),
        shares=shares,
        break_glass=relation == Relation.BREAK_GLASS,
    )
    return visible


def fact_get_for_owner(*, user: Any, public_id: uuid.UUID | str) -> Fact:
    """A fact, for its owning agency's staff to restrict or lift a restriction: 404 for anyone else."""
    actor = actor_for(user)
    try:
        fact = Fact.objects.select_related("agency", "child").get(public_id=public_id)
    except (Fact.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    if not policy.can_restrict_fact(actor, source_agency_code=fact.agency.code):
        raise NotFoundOrNoAccess
    if not children_visible_to(user).filter(pk=fact.child_id).exists() and not policy.is_debrief_worker(
        actor
    ):
        raise NotFoundOrNoAccess
    return fact


def allocations_for(child: Child) -> list[Any]:
    """The child's current allocations, for a page that has already fetched the child through its getter."""
    from hafan.people.models import Allocation

    return list(
        Allocation.objects.filter(child=child, ended_at__isnull=True)
        .select_related("user", "user__agency")
        .order_by("started_at")
    )


# Issue 6 / child information profile (Philomena protocol)


@dataclass(frozen=True)
class ProfileAccess:
    """What the user may do with the child's information profile, and why they may see it."""

    can_view: bool
    can_prepare: bool
    child_missing: bool
    # Police see the profile only because the child is missing: the protocol's release, audited as such.
    released_to_police: bool
    relation: Relation


def child_is_missing(child: Child) -> bool:
    return child.episodes.filter(status=EpisodeStatus.MISSING).exists()


def child_profile_access(*, user: Any, child: Child) -> ProfileAccess:
    """The policy's answer for this user and child (no audit: nothing of the profile is read)."""
    actor = actor_for(user)
    relation = relation_to(user, child)
    missing = child_is_missing(child)
    can_view = policy.can_view_profile(actor, relation=relation, child_missing=missing)
    can_prepare = policy.can_prepare_profile(actor, relation=relation)
    return ProfileAccess(
        can_view=can_view,
        can_prepare=can_prepare,
        child_missing=missing,
        released_to_police=can_view and actor.role in policy.POLICE_ROLES,
        relation=relation,
    )


def _profile_audit(*, user: Any, profile: ChildProfile, access: ProfileAccess, purpose: Purpose) -> None:
    detail: dict[str, Any] = {"version": profile.version}
    if access.released_to_police:
        detail["released_to_police"] = True
    audit_record(
        actor=user,
        action=AuditAction.BREAK_GLASS if access.relation == Relation.BREAK_GLASS else AuditAction.VIEW,
        purpose=purpose,
        target_type="child_profile",
        target_id=profile.public_id,
        child_public_id=profile.child.public_id,
        detail=detail,
    )


def child_profile_get_for_user(
    *, user: Any, child: Child, version: int | None = None, purpose: Purpose = Purpose.PLANNING
) -> ChildProfile:
    """One version of the profile (the current one by default), or 404 when there is none or the user may not
    see it. The caller has fetched the child through child_get_for_user. Audited."""
    access = child_profile_access(user=user, child=child)
    if not access.can_view:
        raise NotFoundOrNoAccess
    profiles = ChildProfile.objects.filter(child=child).select_related(
        "child", "prepared_by", "prepared_by_agency"
    )
    profile = profiles.filter(version=version).first() if version is not None else profiles.first()
    if profile is None:
        raise NotFoundOrNoAccess
    _profile_audit(user=user, profile=profile, access=access, purpose=purpose)
    return profile


def child_profile_versions_for_user(*, user: Any, child: Child) -> list[ChildProfile]:
    """Every version, newest first, for the history list: who prepared it and when (not the photo)."""
    if not child_profile_access(user=user, child=child).can_view:
        raise NotFoundOrNoAccess
    return list(
        ChildProfile.objects.filter(child=child)
        .select_related("prepared_by", "prepared_by_agency")
        .defer("photo")
        .order_by("-version")
    )


def child_profile_for_briefing(
    *, user: Any, child: Child, purpose: Purpose = Purpose.MISSING_EPISODE
) -> ChildProfile | None:
    """The current profile for the briefing, or None when there is none or the user may not see it: the
    briefing shows the section only then. Audited when shown."""
    access = child_profile_access(user=user, child=child)
    if not access.can_view:
        return None
    profile = (
        ChildProfile.objects.filter(child=child)
        .select_related("child", "prepared_by", "prepared_by_agency")
        .first()
    )
    if profile is not None:
        _profile_audit(user=user, profile=profile, access=access, purpose=purpose)
    return profile


# Issue 6 / response plan. For pages that have already fetched the child (or episode) through its getter.


def response_plan_in_force(child: Child) -> ResponsePlan | None:
    """The child's response plan in force (agreed by the social worker), or None. Only this plan sets the risk
    floor and opens the next report: a proposal waiting for agreement never does."""
    return (
        ResponsePlan.objects.filter(child=child, status=PlanStatus.IN_FORCE)
        .select_related("agreed_by", "social_worker")
        .order_by("-social_worker_decided_at", "-agreed_at", "-id")
        .first()
    )


def response_plan_waiting(child: Child) -> ResponsePlan | None:
    """The proposal waiting for the social worker's agreement, or None (there is at most one)."""
    return (
        ResponsePlan.objects.filter(child=child, status=PlanStatus.PROPOSED)
        .select_related("agreed_by", "social_worker", "supersedes")
        .order_by("-agreed_at", "-id")
        .first()
    )


def response_plan_last_declined(child: Child) -> ResponsePlan | None:
    """The newest proposal the social worker did not agree, if it came after the plan in force (its reasons are
    for whoever proposes next)."""
    declined = (
        ResponsePlan.objects.filter(child=child, status=PlanStatus.DECLINED)
        .select_related("agreed_by", "social_worker")
        .order_by("-social_worker_decided_at", "-id")
        .first()
    )
    in_force = response_plan_in_force(child)
    if declined is None or (
        in_force is not None
        and (in_force.social_worker_decided_at or in_force.agreed_at)
        > (declined.social_worker_decided_at or declined.agreed_at)
    ):
        return None
    return declined


def response_plan_of_child(*, child: Child, public_id: uuid.UUID | str) -> ResponsePlan:
    """One of the child's plans by its public id, or 404."""
    try:
        return ResponsePlan.objects.select_related("agreed_by", "social_worker", "supersedes", "child").get(
            child=child, public_id=public_id
        )
    except (ResponsePlan.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
