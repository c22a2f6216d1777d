from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.risk.models import RiskAssessment
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def risk_assessment_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> RiskAssessment:
    """One risk assessment, for staff who may see risk grading; 404 otherwise. Audited."""
    if not policy.can_view_risk_assessment(actor_for(user)):
        raise NotFoundOrNoAccess
    try:
        assessment = RiskAssessment.objects.select_related("episode__child", "author", "confirmed_by").get(
            public_id=public_id
        )
    except (RiskAssessment.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    # Grading is part of the child's record: only for staff who may see this child.
    if not policy.can_view_child_record(
        actor_for(user), relation=relation_to(user, assessment.episode.child)
    ):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.MISSING_EPISODE,
        target_type="risk_assessment",
        target_id=assessment.public_id,
        child_public_id=assessment.episode.child.public_id,
    )
    return assessment
