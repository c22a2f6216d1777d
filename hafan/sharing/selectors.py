from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import Head, audit_record, chain_head
from hafan.sharing.models import AuditAction, AuditEvent


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` where the hub is (settings.TIME_ZONE), as an aware time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_trail_for(
    *,
    user: Any,
    child_public_id: str | None = None,
    username: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    action: str | None = None,
    purpose: str | None = None,
    agency_code: str | None = None,
    request_id: str | None = None,
    export: bool = False,
) -> QuerySet[AuditEvent]:
    """The audit trail, for the information-governance auditor only, newest first. Looking at it is itself
    audited (as an export when `export`), with the filters' codes and never their personal values.

    `since` and `until` are days in the hub's time zone, both included."""
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
    if since:
        qs = qs.filter(at__gte=_start_of(since))
    if until:
        qs = qs.filter(at__lt=_start_of(until + datetime.timedelta(days=1)))
    if action:
        qs = qs.filter(action=action)
    if purpose:
        qs = qs.filter(purpose=purpose)
    if agency_code:
        qs = qs.filter(agency_code=agency_code)
    if request_id:
        qs = qs.filter(request_id=request_id)
    codes = {
        "from": since.isoformat() if since else None,
        "to": until.isoformat() if until else None,
        "action": action,
        "purpose": purpose,
        "agency": agency_code,
        "request_id": request_id,
    }
    audit_record(
        actor=user,
        action=AuditAction.EXPORT if export else AuditAction.VIEW,
        purpose=Purpose.AUDIT,
        target_type="audit_trail",
        target_id=child_public_id or username or "all",
        detail={key: value for key, value in codes.items() if value},
    )
    return qs.order_by("-seq")


def audit_chain_head_for(*, user: Any) -> Head:
    """The newest entry's place and hash, to compare with `hafan audit_verify` and the checkpoints."""
    if not policy.can_view_audit_trail(actor_for(user)):
        raise NotFoundOrNoAccess
    return chain_head()


def audit_agency_choices() -> list[tuple[str, str]]:
    """Every agency that can appear on the trail, as (code, name) for the auditor's filter."""
    return [(a.code, f"{a.name} ({a.code})") for a in Agency.objects.order_by("code")]
