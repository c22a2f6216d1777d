"""Reads about debriefs. The charity's workers see their own agency's debriefs, and of each child only what
the debrief needs: the name and age, contact details from the responsible council's current records, the
episode's dates and the reason for referral. Never police intelligence; agency facts only as the sharing rules
allow (people.selectors.facts_visible_to with the debrief purpose)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Prefetch, QuerySet
from django.utils import timezone

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import AgencyKind, Purpose
from hafan.debriefs.models import ContactAttempt, Debrief, MediationSession, OfferStatus
from hafan.people.models import SourceRecord
from hafan.sharing import policy
from hafan.sharing.access import actor_for, child_ids_related_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

OPEN_STATUSES = [OfferStatus.AWAITING, OfferStatus.OFFERED, OfferStatus.ACCEPTED]
WORKSPACE_FILTERS = ("mine", "unassigned", "agency")


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


def _open_queue(user: Any) -> QuerySet[Debrief]:
    """Open offers, most urgent first: the furthest overdue, then the soonest deadline (due_by ascending
    puts both in that order)."""
    return (
        debriefs_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .annotate(attempt_count=Count("attempts"), last_attempt_at=Max("attempts__at"))
        .order_by("due_by", "id")
    )


def debrief_queue_for(user: Any, *, show: str = "agency") -> list[Debrief]:
    """The debrief worker's caseload: open offers ordered by the 72-hour clock from return (overdue first,
    then the soonest deadline), filtered to their own (`mine`), nobody's (`unassigned`) or their whole agency's
    (`agency`). It names children, so it is audited."""
    actor = actor_for(user)
    if not policy.is_debrief_worker(actor):
        return []
    qs = _open_queue(user)
    if show == "mine":
        qs = qs.filter(worker=user)
    elif show == "unassigned":
        qs = qs.filter(worker__isnull=True)
    queue = list(
        qs.prefetch_related(Prefetch("attempts", queryset=ContactAttempt.objects.order_by("-at", "-id")))
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.DEBRIEF,
        target_type="debrief_queue",
        target_id=actor.agency_code or "",
        detail={"show": show, "debriefs": [str(d.public_id) for d in queue]},
    )
    return queue


@dataclass(frozen=True)
class WeekSummary:
    """The agency's week (the last seven days): debriefs held, declined and not offered, and the open ones
    past their deadline. Counts only: no child is named."""

    since: datetime.datetime
    held: int
    declined: int
    not_offered: int
    overdue: int
    held_within_deadline: int


def debrief_week_summary(user: Any, *, now: datetime.datetime | None = None) -> WeekSummary | None:
    if not policy.is_debrief_worker(actor_for(user)):
        return None
    now = now or timezone.now()
    since = now - datetime.timedelta(days=7)
    visible = debriefs_visible_to(user)
    held = visible.filter(status=OfferStatus.HELD, held_at__gte=since)
    decided = visible.filter(decided_at__gte=since)
    return WeekSummary(
        since=since,
        held=held.count(),
        held_within_deadline=sum(
            1 for at, due in held.values_list("held_at", "due_by") if at is not None and at <= due
        ),
        declined=decided.filter(status=OfferStatus.DECLINED).count(),
        not_offered=decided.filter(status=OfferStatus.NOT_OFFERED).count(),
        overdue=visible.filter(status__in=OPEN_STATUSES, due_by__lt=now).count(),
    )


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


@dataclass(frozen=True)
class ContactDetails:
    """How to reach the child: from the current records of the council responsible for them."""

    addresses: list[tuple[str, str]] = field(default_factory=list)  # (address, postcode)
    phones: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def debrief_contact_details(*, user: Any, debrief: Debrief) -> ContactDetails:
    """The child's address, postcode and phone for the debrief worker, read from the responsible council's
    current (not withdrawn) source records, social care and schools alike, newest first; never from the
    police's or the health board's. The caller has already fetched (and audited) the debrief."""
    actor = actor_for(user)
    child = debrief.episode.child
    council = child.responsible_council
    records = (
        SourceRecord.objects.filter(child=child, withdrawn_at__isnull=True, agency__kind=AgencyKind.COUNCIL)
        .select_related("agency")
        .order_by("-recorded_on", "-id")
    )
    addresses: list[tuple[str, str]] = []
    phones: list[str] = []
    sources: list[str] = []
    for record in records:
        if not policy.debrief_contact_source(
            actor,
            provider_code=debrief.provider.code,
            source_agency_kind=AgencyKind(record.agency.kind),
            source_agency_code=record.agency.code,
            responsible_council_code=council.code if council else None,
        ):
            continue
        address = (record.address.strip(), record.postcode.strip())
        if any(address) and address not in addresses:
            addresses.append(address)
        if record.phone.strip() and record.phone.strip() not in phones:
            phones.append(record.phone.strip())
        if record.system not in sources:
            sources.append(record.system)
    return ContactDetails(addresses=addresses, phones=phones, sources=sources)


def mediation_sessions_for(*, user: Any, debrief: Debrief) -> list[MediationSession]:
    """The debrief's mediation sessions, for the provider's workers (the caller fetched the debrief)."""
    if not policy.can_view_debrief_content(actor_for(user), provider_code=debrief.provider.code):
        return []
    return list(debrief.mediation_sessions.select_related("facilitator").order_by("scheduled_for", "id"))


def mediation_session_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> MediationSession:
    """One mediation session: only the provider's own workers; anyone else gets 404. Audited."""
    actor = actor_for(user)
    try:
        session = MediationSession.objects.select_related("provider", "child", "debrief", "facilitator").get(
            public_id=public_id
        )
    except (MediationSession.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    if not policy.can_view_debrief_content(actor, provider_code=session.provider.code):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.DEBRIEF,
        target_type="mediation_session",
        target_id=session.public_id,
        child_public_id=session.child.public_id,
    )
    return session
