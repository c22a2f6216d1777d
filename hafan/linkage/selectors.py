"""Reads for identity resolution: the review queue and the records behind a hub identity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.linkage.models import DecisionStatus, IdentityChange, MatchDecision
from hafan.people.models import Child, SourceRecord
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

REVIEWABLE = [DecisionStatus.PENDING, DecisionStatus.NOT_SURE]


def review_queue_for(user: Any) -> QuerySet[MatchDecision]:
    """Pairs waiting for a person, most likely first. Only staff who may decide see the queue."""
    if not policy.can_manage_identities(actor_for(user)):
        return MatchDecision.objects.none()
    return (
        MatchDecision.objects.filter(status__in=REVIEWABLE)
        .select_related("left__agency", "right__agency", "left__child", "right__child", "model_version")
        .order_by("-probability", "id")
    )


def decision_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> MatchDecision:
    """One pair with both records: two children's details, so only staff who may decide open it. Audited."""
    if not policy.can_manage_identities(actor_for(user)):
        raise NotFoundOrNoAccess
    try:
        decision = MatchDecision.objects.select_related(
            "left__agency", "right__agency", "left__child", "right__child", "model_version", "decided_by"
        ).get(public_id=public_id)
    except (MatchDecision.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    for record in (decision.left, decision.right):
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            purpose=Purpose.MISSING_EPISODE,
            target_type="match_decision",
            target_id=decision.public_id,
            child_public_id=record.child.public_id,
        )
    return decision


@dataclass
class IdentityRecords:
    child: Child
    records: list[SourceRecord]
    history: list[IdentityChange]
    possible_matches: list[MatchDecision]


def identity_records_for(*, user: Any, child: Child) -> IdentityRecords:
    """The source records behind a hub identity, its merge/split history and its open possible matches.
    The caller fetched the child through a permission-checked getter."""
    if not policy.can_view_child_record(actor_for(user), relation=relation_to(user, child)):
        raise NotFoundOrNoAccess
    records = list(
        SourceRecord.objects.filter(child=child)
        .select_related("agency")
        .order_by("agency__name_en", "system", "local_id")
    )
    ids = [r.pk for r in records]
    return IdentityRecords(
        child=child,
        records=records,
        history=list(
            IdentityChange.objects.filter(to_child=child).select_related("from_child", "changed_by")
            | IdentityChange.objects.filter(from_child=child).select_related("to_child", "changed_by")
        ),
        possible_matches=list(
            (MatchDecision.objects.filter(left_id__in=ids) | MatchDecision.objects.filter(right_id__in=ids))
            .filter(status__in=REVIEWABLE)
            .select_related("left__child", "right__child")
            .order_by("-probability")
        ),
    )
