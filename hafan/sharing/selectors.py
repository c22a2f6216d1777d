from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction, AuditEvent


def audit_trail_for(
    *, user: Any, child_public_id: str | None = None, username: str | None = None
) -> QuerySet[AuditEvent]:
    """The audit trail, for the information-governance auditor only. Looking at it is itself audited."""
    if not policy.can_view_audit_trail(actor_for(user)):
        raise NotFoundOrNoAccess
    qs = AuditEvent.objects.all()
    if child_public_id:
        try:
            child_uuid = uuid.UUID(str(child_public_id))
        except ValueError as exc:
            raise NotFoundOrNoAccess from exc
        qs = qs.filter(child_public_id=child_uuid)
    if username:
        qs = qs.filter(actor_username=username)
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.AUDIT,
        target_type="audit_trail",
        target_id=child_public_id or username or "all",
    )
    return qs
