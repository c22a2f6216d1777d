from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.referrals.models import Referral, Service
from hafan.sharing import policy
from hafan.sharing.access import actor_for, child_ids_related_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def service_directory() -> QuerySet[Service]:
    return Service.objects.all()


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    """Scoped by policy.can_view_referral: all for casework staff, a debrief provider's own otherwise."""
    actor = actor_for(user)
    qs = Referral.objects.select_related(
        "child", "service", "episode", "debrief", "debrief__provider", "referred_by"
    )
    if policy.can_view_referral(actor, debrief_provider_code=None):
        if policy.sees_every_child(actor):
            return qs
        return qs.filter(child_id__in=child_ids_related_to(user))  # casework outside the hub: their children
    if policy.is_debrief_worker(actor):
        return qs.filter(debrief__provider__code=actor.agency_code)
    return qs.none()


def referrals_for_child_visible_to(*, user: Any, child: Any) -> QuerySet[Referral]:
    return referrals_visible_to(user).filter(child=child)


def referral_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Referral:
    """The referral, or 404 unless the user may see it (policy.can_view_referral). Audited."""
    try:
        referral = referrals_visible_to(user).get(public_id=public_id)
    except (Referral.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    provider = referral.debrief.provider.code if referral.debrief else None
    if not policy.can_view_referral(actor_for(user), debrief_provider_code=provider):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.REFERRAL,
        target_type="referral",
        target_id=referral.public_id,
        child_public_id=referral.child.public_id,
    )
    return referral
