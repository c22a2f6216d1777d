"""Reads for the information-governance officer's rights pages. Everyone else gets 404, as for any
record they may not see; each read of a child's identity is audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.people.models import Child
from hafan.rights.holdings import surviving_identity
from hafan.rights.models import RectificationNotice, SubjectAccessRequest
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction, LegalHold


def may_handle_rights(user: Any) -> bool:
    actor = actor_for(user)
    return policy.can_handle_subject_access(actor) or policy.can_manage_legal_holds(actor)


def _require_subject_access(user: Any) -> None:
    if not policy.can_handle_subject_access(actor_for(user)):
        raise NotFoundOrNoAccess


def _require_legal_holds(user: Any) -> None:
    if not policy.can_manage_legal_holds(actor_for(user)):
        raise NotFoundOrNoAccess


def child_get_for_rights(*, user: Any, public_id: uuid.UUID | str) -> Child:
    """The child a request or a hold is about, by hub identifier; a merged-in identifier answers with the
    identity it was merged into. 404 for anyone but the information-governance officer. Audited."""
    if not may_handle_rights(user):
        raise NotFoundOrNoAccess
    try:
        child = surviving_identity(Child.objects.get(public_id=public_id))
    except (Child.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.AUDIT,
        target_type="child",
        target_id=child.public_id,
        child_public_id=child.public_id,
        detail={"for": "rights"},
    )
    return child


def subject_access_requests_for(*, user: Any) -> QuerySet[SubjectAccessRequest]:
    _require_subject_access(user)
    return SubjectAccessRequest.objects.select_related("child", "handled_by").order_by(
        "status", "due_on", "id"
    )


def subject_access_request_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> SubjectAccessRequest:
    _require_subject_access(user)
    try:
        sar = SubjectAccessRequest.objects.select_related("child", "handled_by").get(public_id=public_id)
    except (SubjectAccessRequest.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.AUDIT,
        target_type="subject_access_request",
        target_id=sar.public_id,
        child_public_id=sar.child.public_id,
    )
    return sar


def open_rectification_notices_for(*, user: Any) -> QuerySet[RectificationNotice]:
    _require_subject_access(user)
    return (
        RectificationNotice.objects.filter(sent_at__isnull=True)
        .select_related("rectification", "rectification__child", "to_agency")
        .order_by("created_at", "id")
    )


def rectification_notice_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> RectificationNotice:
    _require_subject_access(user)
    try:
        return RectificationNotice.objects.select_related("rectification__child", "to_agency").get(
            public_id=public_id
        )
    except (RectificationNotice.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc


def active_legal_holds_for(*, user: Any) -> QuerySet[LegalHold]:
    _require_legal_holds(user)
    return LegalHold.objects.filter(lifted_at__isnull=True).select_related("child", "placed_by")


def legal_hold_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> LegalHold:
    _require_legal_holds(user)
    try:
        return LegalHold.objects.select_related("child").get(public_id=public_id)
    except (LegalHold.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
