"""Reads of episodes and the briefing, through the permission-checked path. Every read is audited."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Channel, Purpose
from hafan.episodes.models import (
    Episode,
    EpisodeStatus,
    InformationRequest,
    InformationRequestStatus,
    InformationService,
)
from hafan.people.models import Child, Fact, ResponsePlan
from hafan.people.selectors import facts_visible_to, response_plan_in_force, response_plan_waiting
from hafan.risk.models import RiskAssessment
from hafan.risk.rules import is_repeat_missing
from hafan.sharing import policy
from hafan.sharing.access import actor_for, child_ids_related_to, relation_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def episodes_visible_to(user: Any) -> QuerySet[Episode]:
    actor = actor_for(user)
    qs = Episode.objects.select_related("child", "council")
    if policy.sees_every_child(actor):
        return qs
    if policy.is_casework(actor):
        return qs.filter(child_id__in=child_ids_related_to(user))
    if policy.is_debrief_worker(actor):
        return qs.filter(debrief__provider__code=actor.agency_code)
    return qs.none()


def episode_get_for_user(*, user: Any, public_id: uuid.UUID | str, purpose: Purpose) -> Episode:
    """The episode, or 404 when it does not exist or the user may not see it. Audited."""
    try:
        episode = episodes_visible_to(user).get(public_id=public_id)
    except (Episode.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=purpose,
        target_type="episode",
        target_id=episode.public_id,
        child_public_id=episode.child.public_id,
    )
    return episode


def current_risk(episode: Episode) -> RiskAssessment | None:
    return episode.risk_assessments.select_related("author", "confirmed_by").first()


@dataclass
class EarlierEpisodes:
    count: int
    in_last_period: int
    median_hours: float | None
    longest_hours: float | None
    found_places: list[tuple[str, int]]
    found_by: list[tuple[str, int]]
    episodes: list[Episode]


@dataclass
class Briefing:
    """Everything the hub knows about a missing child that this user may see, assembled for one episode."""

    episode: Episode
    child: Child
    facts_by_agency: OrderedDict[str, list[Fact]]
    learnt_in_debriefs: list[Fact]
    earlier: EarlierEpisodes
    response_plan: ResponsePlan | None
    risk: RiskAssessment | None
    risk_history: list[RiskAssessment] = field(default_factory=list)
    repeat_missing: bool = False
    source_record_count: int = 0
    # Issue 6: the proposal waiting for the social worker's agreement (response_plan is the plan in force).
    response_plan_waiting: ResponsePlan | None = None


def _hours(delta: datetime.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def earlier_episodes(child: Child, *, before: Episode) -> EarlierEpisodes:
    earlier = list(
        Episode.objects.filter(child=child, reported_at__lt=before.reported_at)
        .exclude(pk=before.pk)
        .order_by("-reported_at")
    )
    durations = sorted(_hours(e.duration) for e in earlier if e.duration is not None)
    median = None
    if durations:
        mid = len(durations) // 2
        median = durations[mid] if len(durations) % 2 else round((durations[mid - 1] + durations[mid]) / 2, 1)
    places: dict[str, int] = {}
    finders: dict[str, int] = {}
    for e in earlier:
        if e.found_where:
            places[e.found_where] = places.get(e.found_where, 0) + 1
        if e.found_by:
            label = str(e.get_found_by_display())
            finders[label] = finders.get(label, 0) + 1
    since = before.reported_at - datetime.timedelta(days=settings.HAFAN_REPEAT_MISSING_DAYS)
    return EarlierEpisodes(
        count=len(earlier),
        in_last_period=sum(1 for e in earlier if e.reported_at >= since),
        median_hours=median,
        longest_hours=durations[-1] if durations else None,
        found_places=sorted(places.items(), key=lambda kv: (-kv[1], kv[0]))[:5],
        found_by=sorted(finders.items(), key=lambda kv: (-kv[1], kv[0])),
        episodes=earlier[:10],
    )


def briefing_for(*, user: Any, episode: Episode, channel: Channel = Channel.PAGE) -> Briefing:
    """Assemble the briefing. Only casework staff get one: the caller has fetched the episode via
    episode_get_for_user, and this refuses anyone the policy does not let see the child's record."""
    actor = actor_for(user)
    child = episode.child
    relation = relation_to(user, child)
    if not policy.can_view_child_record(actor, relation=relation):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.MISSING_EPISODE,
        target_type="briefing",
        target_id=episode.public_id,
        child_public_id=child.public_id,
    )
    facts = facts_visible_to(
        user=user,
        child=child,
        channel=channel,
        target_type="briefing",
        target_id=str(episode.public_id),
        relation=relation,
    )
    by_agency: OrderedDict[str, list[Fact]] = OrderedDict()
    learnt: list[Fact] = []
    for f in facts:
        if f.debrief_id is not None:
            learnt.append(f)
        else:
            by_agency.setdefault(f.agency.name, []).append(f)
    history = list(episode.risk_assessments.select_related("author", "confirmed_by"))
    report_times = list(Episode.objects.filter(child=child).values_list("reported_at", flat=True))
    return Briefing(
        episode=episode,
        child=child,
        facts_by_agency=by_agency,
        learnt_in_debriefs=learnt,
        earlier=earlier_episodes(child, before=episode),
        response_plan=response_plan_in_force(child),
        response_plan_waiting=response_plan_waiting(child),
        risk=history[0] if history else None,
        risk_history=history,
        repeat_missing=is_repeat_missing(
            report_times,
            now=episode.reported_at,
            episodes=settings.HAFAN_REPEAT_MISSING_EPISODES,
            days=settings.HAFAN_REPEAT_MISSING_DAYS,
        ),
        source_record_count=child.source_records.count(),
    )


def open_episodes_for(user: Any) -> QuerySet[Episode]:
    return episodes_visible_to(user).filter(status=EpisodeStatus.MISSING).order_by("-reported_at")


def _repeat_missing(now: datetime.datetime) -> QuerySet[Child]:
    since = now - datetime.timedelta(days=settings.HAFAN_REPEAT_MISSING_DAYS)
    return (
        Child.objects.annotate(
            recent=Count(
                "episodes", filter=Q(episodes__reported_at__gte=since, episodes__reported_at__lte=now)
            )
        )
        .filter(recent__gte=settings.HAFAN_REPEAT_MISSING_EPISODES)
        .order_by("-recent", "family_name", "given_name")
    )


def repeat_missing_count(*, now: datetime.datetime | None = None) -> int:
    """How many children meet the strategy-meeting rule: a figure, with no names."""
    return _repeat_missing(now or timezone.now()).count()


def children_repeatedly_missing(
    user: Any, *, now: datetime.datetime | None = None
) -> list[tuple[Child, int]]:
    """Children with at least N episodes in the last D days (settings): each needs a strategy meeting.
    Names are part of the child's record, so only casework staff get them."""
    if not policy.sees_every_child(actor_for(user)):
        return []
    return [(c, c.recent) for c in _repeat_missing(now or timezone.now())]  # type: ignore[attr-defined]


# --- Assignment (issue 6, item 6)


def assignable_officers() -> list[Any]:
    """The staff an episode can be assigned to: active hub police coordinators and supervisors (the policy's
    can_assign_episode decides; the query only narrows the candidates)."""
    from django.contrib.auth import get_user_model

    from hafan.core.vocabulary import AgencyKind, Role

    candidates = (
        get_user_model()
        .objects.filter(
            is_active=True,
            hub_member=True,
            role__in=[Role.POLICE_COORDINATOR, Role.POLICE_SUPERVISOR],
            agency__kind=AgencyKind.POLICE,
            agency__in_partnership=True,
        )
        .select_related("agency")
        .order_by("last_name", "first_name", "username")
    )
    return [user for user in candidates if policy.can_assign_episode(actor_for(user))]


# The information call (issue 6)


def information_requests_of(episode: Episode) -> list[InformationRequest]:
    """The episode's information requests, for a caller who already fetched the episode through its getter."""
    return list(
        InformationRequest.objects.filter(episode=episode)
        .select_related("agency", "answered_by")
        .order_by("due_at", "agency__code", "service")
    )


@dataclass
class InformationCallRow:
    request: InformationRequest
    # The items the agency's worker gave, as far as this viewer may see them (facts_visible_to).
    items: list[Fact]
    overdue: bool


@dataclass
class InformationCallPanel:
    episode: Episode
    rows: list[InformationCallRow]
    poll_seconds: int
    # While a request is still open the panel keeps asking for news; once all are answered it stops.
    live: bool
    # What the panel showed, as a fingerprint: a poll that finds it unchanged gets "nothing new" (204).
    version: str = ""


def information_call_version(episode_id: int) -> str:
    """A fingerprint of the call's state (statuses, deadlines, answers' times, escalations; no child data), so
    a poll can tell "nothing new" without reading the child's record."""
    rows = InformationRequest.objects.filter(episode_id=episode_id).order_by("pk")
    state = [
        (r.pk, r.status, r.due_at, r.answered_at, r.escalated_at, r.facts_found)
        for r in rows.only("pk", "status", "due_at", "answered_at", "escalated_at", "facts_found")
    ]
    status = Episode.objects.filter(pk=episode_id).values_list("status", flat=True).first()
    return hashlib.sha256(repr((status, state)).encode()).hexdigest()[:16]


def information_call_unchanged(*, user: Any, public_id: uuid.UUID | str, since: str) -> bool:
    """For the panel's poll: True when the user may see the episode's briefing and the call is as it was at
    `since`. Permission-checked like the briefing; it reads no part of the child's record (ids and statuses
    only), so it is not an audited read: any change is then read, and audited, through the getter."""
    try:
        episode = episodes_visible_to(user).get(public_id=public_id)
    except (Episode.DoesNotExist, ValueError, ValidationError):
        return False
    if not policy.can_view_child_record(actor_for(user), relation=relation_to(user, episode.child)):
        return False
    return bool(since) and information_call_version(episode.pk) == since


def information_call_panel(
    *,
    user: Any,
    episode: Episode,
    visible_facts: list[Fact] | None = None,
    now: datetime.datetime | None = None,
) -> InformationCallPanel:
    """The information call as the briefing shows it: same access as the briefing. The items workers gave are
    read through facts_visible_to (or `visible_facts`, the briefing's own read of it), so every access rule
    holds for them as for any other fact."""
    child = episode.child
    relation = relation_to(user, child)
    if not policy.can_view_child_record(actor_for(user), relation=relation):
        raise NotFoundOrNoAccess
    now = now or timezone.now()
    requests = information_requests_of(episode)
    from_workers = {r.pk for r in requests if r.facts_found and not r.answered_automatically}
    items: dict[int, list[Fact]] = {}
    if from_workers:
        if visible_facts is None:
            visible_facts = facts_visible_to(
                user=user,
                child=child,
                target_type="information_call",
                target_id=str(episode.public_id),
                relation=relation,
            )
        for fact in visible_facts:
            if fact.information_request_id in from_workers:
                items.setdefault(fact.information_request_id, []).append(fact)
    open_status = InformationRequestStatus.OPEN
    return InformationCallPanel(
        episode=episode,
        rows=[
            InformationCallRow(
                request=r, items=items.get(r.pk, []), overdue=r.status == open_status and r.due_at < now
            )
            for r in requests
        ],
        poll_seconds=settings.HAFAN_LIVE_POLL_SECONDS,
        live=episode.status == EpisodeStatus.MISSING and any(r.status == open_status for r in requests),
        version=information_call_version(episode.pk),
    )


def information_services_answered_by(user: Any) -> list[InformationService]:
    """The services whose requests to the user's own agency the user answers (none for most roles)."""
    actor = actor_for(user)
    if actor.agency_code is None:
        return []
    return [
        service
        for service in InformationService
        if policy.can_answer_information_request(actor, agency_code=actor.agency_code, service=service.value)
    ]


def information_requests_to_answer(user: Any) -> QuerySet[InformationRequest]:
    """The open requests the user's agency and role must answer, soonest deadline first: only while the child is
    still missing (once they are found the call has done its job; the answer form stays open by its link)."""
    services = information_services_answered_by(user)
    if not services:
        return InformationRequest.objects.none()
    return (
        InformationRequest.objects.filter(
            status=InformationRequestStatus.OPEN,
            agency__code=actor_for(user).agency_code,
            service__in=[s.value for s in services],
        )
        .filter(episode__status=EpisodeStatus.MISSING)
        .select_related("episode__child", "agency")
        .order_by("due_at", "id")
    )


def information_request_get_for_answerer(*, user: Any, public_id: uuid.UUID | str) -> InformationRequest:
    """One request, for the worker who answers it: 404 for anyone else. Audited. The answerer's page shows only
    what they need to look the child up: name, date of birth, the episode and what is asked by when."""
    try:
        request = InformationRequest.objects.select_related("episode__child", "agency", "answered_by").get(
            public_id=public_id
        )
    except (InformationRequest.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    if not policy.can_answer_information_request(
        actor_for(user), agency_code=request.agency.code, service=request.service
    ):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.MISSING_EPISODE,
        target_type="information_request",
        target_id=request.public_id,
        child_public_id=request.episode.child.public_id,
    )
    return request
