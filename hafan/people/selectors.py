"""Reads of children's records: the one permission-checked, audited path."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import AgencyKind, Channel, DataCategory, Handling, Purpose, Relation, ShareBasis
from hafan.people.models import Child, Fact
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
