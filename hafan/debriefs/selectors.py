from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.debriefs.models import Debrief, OfferStatus
from hafan.sharing import policy
from hafan.sharing.access import actor_for, child_ids_related_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

OPEN_STATUSES = [OfferStatus.AWAITING, OfferStatus.OFFERED, OfferStatus.ACCEPTED]


def debriefs_visible_to(user: Any) -> QuerySet[Debrief]:
    """Debrief workers see their own agency's debriefs; casework staff see every debrief's status."""
    actor = actor_for(user)
    qs = Debrief.objects.select_related("episode", "episode__child", "provider", "worker")
    if policy.is_debrief_worker(actor):
        return qs.filter(provider__code=actor.agency_code)
    if policy.sees_every_child(actor):
        return qs
    if policy.is_casework(actor):
        return qs.filter(episode__child_id__in=child_ids_related_to(user))
    return qs.none()


def debrief_queue_for(user: Any) -> list[Debrief]:
    """The debrief worker's queue: open offers, soonest deadline first. It names children, so it is audited."""
    actor = actor_for(user)
    if not policy.is_debrief_worker(actor):
        return []
    queue = list(debriefs_visible_to(user).filter(status__in=OPEN_STATUSES).order_by("due_by"))
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.DEBRIEF,
        target_type="debrief_queue",
        target_id=actor.agency_code or "",
        detail={"debriefs": [str(d.public_id) for d in queue]},
    )
    return queue


def debrief_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Debrief:
    """Only the provider's own workers open a debrief's content; anyone else gets 404. Audited."""
    actor = actor_for(user)
    try:
        debrief = debriefs_visible_to(user).get(public_id=public_id)
    except (Debrief.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    if not policy.can_view_debrief_content(actor, provider_code=debrief.provider.code):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.DEBRIEF,
        target_type="debrief",
        target_id=debrief.public_id,
        child_public_id=debrief.episode.child.public_id,
    )
    return debrief
