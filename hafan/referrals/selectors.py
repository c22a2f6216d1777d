from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import AgencyKind, Purpose
from hafan.referrals.models import (
    NRM_DECISIONS,
    OPEN_STATUSES,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    Service,
)
from hafan.sharing import policy
from hafan.sharing.access import actor_for, child_ids_related_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def service_directory() -> QuerySet[Service]:
    return Service.objects.filter(active=True).select_related("provider_agency")


def services_for_child(child: Any) -> list[Service]:
    """The active services that work in the child's responsible council's area (all of them when the
    council is not known)."""
    council = getattr(child.responsible_council, "code", None) if child is not None else None
    return [s for s in service_directory() if s.covers(council)]


@dataclass(frozen=True)
class DirectoryEntry:
    service: Service
    waiting: int  # sent, no answer yet
    working: int  # accepted or started: the service's current load
    area_names: tuple[str, ...] = ()  # empty: all of Gwent

    @property
    def over_capacity(self) -> bool:
        return self.service.capacity is not None and self.working >= self.service.capacity


def directory_for_user(*, user: Any, kind: str = "", council_code: str = "") -> list[DirectoryEntry]:
    """The directory with each service's load (open referrals against capacity), filtered by kind and the
    council area covered. Figures only: no child is named. 404 for anyone who neither makes nor answers
    referrals."""
    if not policy.can_view_service_directory(actor_for(user)):
        raise NotFoundOrNoAccess
    services = service_directory().annotate(
        waiting=Count("referrals", filter=Q(referrals__status=ReferralStatus.SENT)),
        working=Count(
            "referrals",
            filter=Q(referrals__status__in=[ReferralStatus.ACCEPTED, ReferralStatus.STARTED]),
        ),
    )
    if kind:
        services = services.filter(kind=kind)
    councils = {a.code: a.name for a in Agency.objects.filter(kind=AgencyKind.COUNCIL)}
    return [
        DirectoryEntry(
            service=s,
            waiting=s.waiting,  # type: ignore[attr-defined]
            working=s.working,  # type: ignore[attr-defined]
            area_names=tuple(councils.get(code, code) for code in s.areas),
        )
        for s in services
        if not council_code or s.covers(council_code)
    ]


def runs_services(*, user: Any) -> bool:
    """Whether the user's agency runs a service in the directory (so referrals come to it)."""
    agency_id = getattr(user, "agency_id", None)
    return (
        agency_id is not None and Service.objects.filter(provider_agency_id=agency_id, active=True).exists()
    )


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    """Scoped by policy.can_view_referral: all for hub casework staff, their children's for casework staff
    outside the hub; the referrals to a service their agency runs, and the ones they sent, for everyone who
    makes referrals; a debrief provider's own debriefs' referrals."""
    actor = actor_for(user)
    qs = Referral.objects.select_related(
        "child",
        "child__responsible_council",
        "service",
        "service__provider_agency",
        "episode",
        "debrief",
        "debrief__provider",
        "referred_by",
        "referred_by__agency",
    )
    if not policy.can_make_referral(actor):
        return qs.none()
    if policy.is_casework(actor) and policy.sees_every_child(actor):
        return qs
    scope = Q(referred_by=user) | Q(service__provider_agency__code=actor.agency_code)
    if policy.is_casework(actor):
        scope |= Q(child_id__in=child_ids_related_to(user))  # casework outside the hub: their children
    if policy.is_debrief_worker(actor):
        scope |= Q(debrief__provider__code=actor.agency_code)
    return qs.filter(scope)


def referrals_for_child_visible_to(*, user: Any, child: Any) -> QuerySet[Referral]:
    return referrals_visible_to(user).filter(child=child)


def referrals_sent_by(*, user: Any, status: str = "") -> QuerySet[Referral]:
    """ "Referrals I sent": 404 for anyone who does not make referrals."""
    if not policy.can_make_referral(actor_for(user)):
        raise NotFoundOrNoAccess
    return _by_status(referrals_visible_to(user).filter(referred_by=user), status)


def referrals_received_by(*, user: Any, status: str = "") -> QuerySet[Referral]:
    """ "Referrals to my service": the referrals to the services the user's agency runs."""
    actor = actor_for(user)
    if not policy.can_make_referral(actor):
        raise NotFoundOrNoAccess
    return _by_status(
        referrals_visible_to(user).filter(service__provider_agency__code=actor.agency_code), status
    )


def _by_status(qs: QuerySet[Referral], status: str) -> QuerySet[Referral]:
    if status == "open":
        return qs.filter(status__in=OPEN_STATUSES)
    return qs.filter(status=status) if status in ReferralStatus.values else qs


def referral_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Referral:
    """The referral, or 404 unless the user may see it (policy.can_view_referral). Audited."""
    try:
        referral = referrals_visible_to(user).get(public_id=public_id)
    except (Referral.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    if not policy.can_view_referral(actor_for(user), **referral_labels(referral, user=user)):
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


def referral_labels(referral: Referral, *, user: Any) -> dict[str, Any]:
    """What policy.can_view_referral needs to know about one referral."""
    return {
        "debrief_provider_code": referral.debrief.provider.code if referral.debrief else None,
        "service_provider_code": referral.service.provider_agency.code
        if referral.service.provider_agency
        else None,
        "is_referrer": referral.referred_by_id == getattr(user, "pk", None),
    }


def days_waiting(referral: Referral, *, now: datetime.datetime | None = None) -> int:
    """Days since the referral was sent, while it waits for an answer; since it was accepted, while the work
    has not started; 0 once it has started or finished."""
    now = now or timezone.now()
    if referral.status == ReferralStatus.SENT:
        return (now - referral.referred_at).days
    if referral.status == ReferralStatus.ACCEPTED and referral.responded_at:
        return (now - referral.responded_at).days
    return 0


@dataclass(frozen=True)
class TimelineEntry:
    event: ReferralEvent
    nrm_reference: str = ""
    nrm_decision: str = ""  # the label, in the reader's language
    nrm_decided_on: datetime.date | None = None


def referral_timeline(referral: Referral) -> list[TimelineEntry]:
    """The referral's history; an NRM decision's note ("reference decision [date]") read into its parts."""
    decisions = dict(NRM_DECISIONS)
    entries = []
    for event in referral.events.select_related("actor", "actor__agency"):
        if event.kind != ReferralEventKind.NRM_DECISION:
            entries.append(TimelineEntry(event))
            continue
        parts = event.note.split()
        reference = parts[0] if parts else ""
        code = parts[1] if len(parts) > 1 else ""
        try:
            decided_on = datetime.date.fromisoformat(parts[2]) if len(parts) > 2 else None
        except ValueError:
            decided_on = None
        entries.append(TimelineEntry(event, reference, str(decisions.get(code, code)), decided_on))
    return entries
