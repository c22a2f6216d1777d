"""Reads of episodes and the briefing, through the permission-checked path. Every read is audited."""

from __future__ import annotations

import datetime
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Channel, FactCategory, Purpose
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.people.models import Child, Fact, ResponsePlan
from hafan.people.selectors import facts_visible_to
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
        learnt_in_debriefs=[
            f
            for f in learnt
            if f.category in {FactCategory.PLACE, FactCategory.ASSOCIATE, FactCategory.EXPLOITATION}
        ],
        earlier=earlier_episodes(child, before=episode),
        response_plan=child.response_plans.select_related("agreed_by").first(),
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
