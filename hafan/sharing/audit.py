"""Writes the audit trail. Services call `audit_record` inside their own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from hafan.core.vocabulary import Purpose
from hafan.sharing.models import AuditAction, AuditEvent


def audit_record(
    *,
    actor: Any,
    action: AuditAction,
    purpose: Purpose,
    target_type: str,
    target_id: str | uuid.UUID,
    child_public_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    agency = getattr(actor, "agency", None) if authenticated else None
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "(system)",
        agency_code=agency.code if agency else "",
        role=getattr(actor, "role", "") if authenticated else "",
        action=action,
        purpose=purpose,
        target_type=target_type,
        target_id=str(target_id),
        child_public_id=child_public_id,
        detail=detail or {},
    )
