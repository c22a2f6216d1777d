from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Purpose
from hafan.referrals.models import Referral, ReferralStatus, Service
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


@transaction.atomic
def referral_send(
    *,
    child: Any,
    service: Service,
    referred_by: Any,
    reason: str,
    consent_given: bool,
    episode: Any = None,
    debrief: Any = None,
    referred_at: datetime.datetime | None = None,
) -> Referral:
    if not policy.can_make_referral(actor_for(referred_by)):
        raise NotPermitted(_("You cannot make referrals."))
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = _("Say why the child is being referred.")
    if service.needs_consent and not consent_given:
        errors["consent_given"] = _("This service needs the child's or family's consent before a referral.")
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        child=child,
        service=service,
        episode=episode,
        debrief=debrief,
        referred_by=referred_by,
        referred_at=referred_at or timezone.now(),
        reason=reason.strip(),
        consent_given=consent_given,
    )
    audit_record(
        actor=referred_by,
        action=AuditAction.CREATE,
        purpose=Purpose.REFERRAL,
        target_type="referral",
        target_id=referral.public_id,
        child_public_id=child.public_id,
        detail={"service": service.name_en},
    )
    return referral


@transaction.atomic
def referral_update(
    *, referral: Referral, actor: Any, status: str, outcome: str = "", at: datetime.datetime | None = None
) -> Referral:
    if not policy.can_make_referral(actor_for(actor)):
        raise NotPermitted(_("You cannot update referrals."))
    if status not in ReferralStatus.values or status == ReferralStatus.SENT:
        raise ValidationError({"status": _("Choose the referral's new status.")})
    if referral.status in {ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN, ReferralStatus.DECLINED}:
        raise InvalidAction(_("This referral is finished."))
    if status in {ReferralStatus.COMPLETED, ReferralStatus.DECLINED} and not outcome.strip():
        raise ValidationError({"outcome": _("Record the outcome.")})
    before = referral.status
    referral.status = status
    referral.outcome = outcome.strip()
    referral.outcome_at = at or timezone.now()
    referral.save(update_fields=["status", "outcome", "outcome_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        purpose=Purpose.REFERRAL,
        target_type="referral",
        target_id=referral.public_id,
        child_public_id=referral.child.public_id,
        detail={"status": [before, status]},
    )
    return referral
