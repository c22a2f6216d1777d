"""Reads of children's records: the one permission-checked, audited path."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import AgencyKind, FactCategory, Purpose
from hafan.people.models import Child, Fact
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def children_visible_to(user: Any) -> QuerySet[Child]:
    if not policy.can_view_child_record(actor_for(user)):
        return Child.objects.none()
    return Child.objects.all()


def child_get_for_user(*, user: Any, public_id: uuid.UUID | str, purpose: Purpose) -> Child:
    """The child, or 404 when it does not exist or the user may not see it. Audited."""
    try:
        child = children_visible_to(user).get(public_id=public_id)
    except (Child.DoesNotExist, ValueError, ValidationError) as exc:  # a malformed UUID is "not found" too
        raise NotFoundOrNoAccess from exc
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=purpose,
        target_type="child",
        target_id=child.public_id,
        child_public_id=child.public_id,
    )
    return child


def facts_visible_to(*, user: Any, child: Child) -> list[Fact]:
    """The child's facts that the user may see. The caller has already fetched (and audited) the child."""
    actor = actor_for(user)
    facts = (
        # Withdrawn facts (no longer stated by their source, or from a withdrawn record) are kept, not shown.
        Fact.objects.filter(child=child, withdrawn_at__isnull=True)
        .exclude(source_record__withdrawn_at__isnull=False)
        .select_related("agency")
        .order_by("agency__name_en", "category", "-recorded_on")
    )
    return [
        f
        for f in facts
        if policy.can_view_fact(
            actor,
            source_agency_code=f.agency.code,
            source_agency_kind=AgencyKind(f.agency.kind),
            category=FactCategory(f.category),
        )
    ]
