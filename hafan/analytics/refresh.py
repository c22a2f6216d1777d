"""Rebuilds the analytics store (`EpisodeFact`, one row per episode) from the episodes (issue 8).

Read-only towards the casework tables: it reads episodes, risk assessments, debriefs, information calls,
referrals, facts and response plans, and writes only `EpisodeFact` rows. Idempotent (an upsert on
`episode_key`), in batches, with a constant number of queries per batch. Every dimension is taken as it was
when the episode was reported (care status, school, placement, age, plan in force, repeat rule)."""

from __future__ import annotations

import datetime
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from hafan.analytics.filters import age_band, month_start
from hafan.analytics.models import EpisodeFact
from hafan.analytics.summaries import summaries_refresh
from hafan.core.vocabulary import RISK_GRADE_ORDER, FactCategory
from hafan.debriefs.models import Debrief, OfferStatus
from hafan.episodes.models import Episode, EpisodeCategory, InformationRequest
from hafan.people.models import Child, Fact, PlanStatus, ResponsePlan
from hafan.referrals.models import Referral
from hafan.risk.models import RiskAssessment
from hafan.risk.rules import is_repeat_missing

BATCH_SIZE = 500
CARE_UNKNOWN = "care (unknown type)"
HOME = "home"
# An incremental refresh looks a little further back than the last one, so a change written while the last
# refresh ran is never missed (refreshing an episode twice changes nothing).
OVERLAP = datetime.timedelta(minutes=5)

_SCHOOL = re.compile(r"(?:On roll at|Left) (?P<school>.+?)(?: \(|;| in summer|\.$|$)")
# SSDA903 facts say "placement: <label> from dd/mm/yyyy"; demo facts say "Placed at ...".
_PLACEMENT_903 = re.compile(r"placement: (?P<label>.+?) from ")
_PLACEMENT_LABELS = {
    "foster care": "foster_care",
    "foster care with relatives or friends": "kinship_care",
    "children's home": "residential",
    "secure accommodation": "secure",
    "supported or independent living": "independent_living",
    "placed with parents": "with_parents",
    "placed for adoption": "adoption",
    "other placement": "other",
}
_OFFERED = {OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.HELD}


def school_from(summary: str) -> str:
    """The school's name from a SCHOOL fact ("On roll at X (Year 9)", CTF "On roll at X (LA ...)")."""
    match = _SCHOOL.search(summary)
    return match.group("school").strip()[:100] if match else ""


def placement_from(summary: str) -> str:
    """The placement type from a LOOKED_AFTER fact, or "" when it does not say."""
    match = _PLACEMENT_903.search(summary)
    if match:
        return _PLACEMENT_LABELS.get(match.group("label").strip().lower(), "other")
    lowered = summary.lower()
    if "placed at" in lowered or "placement" in lowered:
        if "children's home" in lowered or "residential" in lowered:
            return "residential"
        if "foster" in lowered:
            return "foster_care" if "kinship" not in lowered else "kinship_care"
    return ""


@dataclass
class _FactRow:
    category: str
    recorded_on: datetime.date
    withdrawn_at: datetime.datetime | None
    summary: str


def _surviving(child_id: int, merged: dict[int, int]) -> int:
    seen = set()
    while child_id in merged and child_id not in seen:
        seen.add(child_id)
        child_id = merged[child_id]
    return child_id


def _as_of(facts: list[_FactRow], category: str, at: datetime.datetime) -> _FactRow | None:
    """The newest fact of the category recorded on or before the report and not withdrawn by then."""
    day = timezone.localdate(at)
    current = [
        f
        for f in facts
        if f.category == category and f.recorded_on <= day and (f.withdrawn_at is None or f.withdrawn_at > at)
    ]
    return max(current, key=lambda f: f.recorded_on) if current else None


def _plan_in_force(plans: list[ResponsePlan], at: datetime.datetime) -> bool:
    started = sorted(
        (p for p in plans if (p.social_worker_decided_at or p.agreed_at) <= at),
        key=lambda p: (p.social_worker_decided_at or p.agreed_at, p.pk),
    )
    if not started:
        return False
    latest = started[-1]
    if latest.status == PlanStatus.IN_FORCE:
        return True
    # Superseded: it was still in force if whatever replaced it came after the report.
    return latest.updated_at > at


def _grade(grades: Iterable[str]) -> str:
    order = [str(g) for g in RISK_GRADE_ORDER]
    ranked = [order.index(g) for g in grades if g in order]
    return order[max(ranked)] if ranked else ""


def _facts_for_batch(
    episodes: list[Episode], merged: dict[int, int], now: datetime.datetime
) -> list[EpisodeFact]:
    child_ids = {e.child_id for e in episodes}
    keys = {_surviving(c, merged) for c in child_ids}
    group = set(keys) | {c for c, target in merged.items() if _surviving(target, merged) in keys}
    survivors = {c.pk: c for c in Child.objects.filter(pk__in=keys)}
    times: dict[int, list[datetime.datetime]] = defaultdict(list)
    for child_id, reported_at in Episode.objects.filter(child_id__in=group).values_list(
        "child_id", "reported_at"
    ):
        times[_surviving(child_id, merged)].append(reported_at)
    facts: dict[int, list[_FactRow]] = defaultdict(list)
    for fact in Fact.objects.filter(
        child_id__in=group,
        category__in=[FactCategory.LOOKED_AFTER, FactCategory.CHILD_PROTECTION, FactCategory.SCHOOL],
        superseded_by__isnull=True,
    ).only("child_id", "category", "recorded_on", "withdrawn_at", "summary"):
        facts[_surviving(fact.child_id, merged)].append(
            _FactRow(fact.category, fact.recorded_on, fact.withdrawn_at, fact.summary)
        )
    plans: dict[int, list[ResponsePlan]] = defaultdict(list)
    for plan in ResponsePlan.objects.filter(
        child_id__in=group, status__in=[PlanStatus.IN_FORCE, PlanStatus.SUPERSEDED]
    ).only("child_id", "status", "agreed_at", "social_worker_decided_at", "updated_at"):
        plans[_surviving(plan.child_id, merged)].append(plan)
    ids = [e.pk for e in episodes]
    grades: dict[int, list[str]] = defaultdict(list)
    for episode_id, grade in RiskAssessment.objects.filter(episode_id__in=ids).values_list(
        "episode_id", "grade"
    ):
        grades[episode_id].append(grade)
    answers: dict[int, list[float]] = defaultdict(list)
    for episode_id, asked_at, answered_at in InformationRequest.objects.filter(
        episode_id__in=ids, answered_at__isnull=False
    ).values_list("episode_id", "asked_at", "answered_at"):
        if answered_at is not None:
            answers[episode_id].append((answered_at - asked_at).total_seconds() / 60)
    referrals: dict[int, int] = defaultdict(int)
    for direct, via_debrief in Referral.objects.filter(
        Q(episode_id__in=ids) | Q(debrief__episode_id__in=ids)
    ).values_list("episode_id", "debrief__episode_id"):
        referrals[direct or via_debrief] += 1
    debriefs = {d.episode_id: d for d in Debrief.objects.filter(episode_id__in=ids)}

    deadline = datetime.timedelta(hours=settings.HAFAN_DEBRIEF_DEADLINE_HOURS)
    repeat_n, repeat_days = settings.HAFAN_REPEAT_MISSING_EPISODES, settings.HAFAN_REPEAT_MISSING_DAYS
    rows = []
    for episode in episodes:
        key = _surviving(episode.child_id, merged)
        child = survivors.get(key) or episode.child
        at = episode.reported_at
        reported_on = timezone.localdate(at)
        child_facts = facts[key]
        looked_after = _as_of(child_facts, FactCategory.LOOKED_AFTER, at)
        if looked_after is not None:
            care_status = "looked_after"
        elif _as_of(child_facts, FactCategory.CHILD_PROTECTION, at) is not None:
            care_status = "child_protection"
        else:
            care_status = "none"
        school_fact = _as_of(child_facts, FactCategory.SCHOOL, at)
        if school_fact is None:  # only recorded after the report: the best the hub knows
            later = [f for f in child_facts if f.category == FactCategory.SCHOOL and f.withdrawn_at is None]
            school_fact = min(later, key=lambda f: f.recorded_on) if later else None
        placement = placement_from(looked_after.summary) if looked_after else ""
        if not placement:
            in_care = looked_after is not None or episode.category in (
                EpisodeCategory.MISSING_FROM_CARE,
                EpisodeCategory.AWAY_FROM_PLACEMENT,
            )
            placement = CARE_UNKNOWN if in_care else HOME
        child_times = times[key]
        age = child.age_on(reported_on)
        debrief = debriefs.get(episode.pk)
        held = bool(debrief and debrief.status == OfferStatus.HELD and debrief.held_at)
        hours_to_debrief = (
            (debrief.held_at - episode.returned_at).total_seconds() / 3600
            if held and debrief and debrief.held_at and episode.returned_at
            else None
        )
        duration = episode.duration
        minutes = answers.get(episode.pk)
        rows.append(
            EpisodeFact(
                episode_id=episode.pk,
                episode_key=episode.pk,
                child_key=key,
                reported_at=at,
                reported_on=reported_on,
                month=month_start(reported_on),
                returned_at=episode.returned_at,
                duration_hours=duration.total_seconds() / 3600 if duration is not None else None,
                category=episode.category,
                council=episode.council.code if episode.council else "",
                school=school_from(school_fact.summary) if school_fact else "",
                placement_type=placement,
                care_status=care_status,
                sex=child.sex or "unknown",
                age_years=age,
                age_band=age_band(age),
                grade=_grade(grades[episode.pk]) or _grade([episode.recorded_risk_grade]),
                found_by=episode.found_by,
                found_council=episode.found_council.code if episode.found_council else "",
                harm=episode.harm_suffered,
                prior_episodes_365=min(
                    sum(1 for t in child_times if at - datetime.timedelta(days=365) <= t < at), 32767
                ),
                repeat=is_repeat_missing(child_times, now=at, episodes=repeat_n, days=repeat_days),
                plan_in_force=_plan_in_force(plans[key], at),
                debrief_status=debrief.status if debrief else "",
                debrief_offered=bool(debrief and (debrief.offered_at or debrief.status in _OFFERED)),
                debrief_held=held,
                debrief_held_in_time=hours_to_debrief is not None
                and hours_to_debrief * 3600 <= deadline.total_seconds(),
                hours_to_debrief=hours_to_debrief,
                info_answer_minutes=statistics.median(minutes) if minutes else None,
                referrals=referrals.get(episode.pk, 0),
                refreshed_at=now,
            )
        )
    return rows


_UPDATE_FIELDS = [f.name for f in EpisodeFact._meta.concrete_fields if f.name not in ("id", "episode_key")]


def _changed_episode_ids(since: datetime.datetime) -> set[int]:
    ids: set[int] = set(Episode.objects.filter(updated_at__gte=since).values_list("id", flat=True))
    for model in (RiskAssessment, Debrief, InformationRequest):
        ids.update(
            model.objects.filter(Q(updated_at__gte=since) | Q(created_at__gte=since)).values_list(
                "episode_id", flat=True
            )
        )
    for episode_id, debrief_episode_id in Referral.objects.filter(updated_at__gte=since).values_list(
        "episode_id", "debrief__episode_id"
    ):
        ids.update(i for i in (episode_id, debrief_episode_id) if i)
    # A child's facts, plans or merge change the dimensions of all their episodes.
    children = set(Child.objects.filter(updated_at__gte=since).values_list("id", flat=True))
    children.update(Fact.objects.filter(updated_at__gte=since).values_list("child_id", flat=True))
    children.update(ResponsePlan.objects.filter(updated_at__gte=since).values_list("child_id", flat=True))
    children.update(Episode.objects.filter(id__in=ids).values_list("child_id", flat=True))
    if children:
        merged = dict(Child.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))
        survivors = {_surviving(c, merged) for c in children}
        related = survivors | {c for c in merged if _surviving(c, merged) in survivors}
        ids.update(Episode.objects.filter(child_id__in=related | children).values_list("id", flat=True))
    return ids


def episode_facts_refresh(
    *, since: datetime.datetime | None = None, now: datetime.datetime | None = None
) -> int:
    """Rebuilds the EpisodeFact rows of the episodes changed since `since` (all when None); returns how many
    rows were written. Rows of episodes that no longer exist go with them (CASCADE on `episode`); the
    benchmark's synthetic rows, which have no episode, are never touched."""
    now = now or timezone.now()
    merged = dict(Child.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))
    episodes = Episode.objects.select_related("child", "council", "found_council").order_by("id")
    if since is not None:
        episodes = episodes.filter(id__in=_changed_episode_ids(since))
    written = 0
    last_id = 0
    children: set[int] = set()
    months: set[datetime.date] = set()
    while True:
        batch = list(episodes.filter(id__gt=last_id)[:BATCH_SIZE])
        if not batch:
            break
        last_id = batch[-1].pk
        rows = _facts_for_batch(batch, merged, now)
        with transaction.atomic():
            # What these rows were before (a merge moves them to another child, an edit to another month).
            for child_key, month in EpisodeFact.objects.filter(
                episode_key__in=[r.episode_key for r in rows]
            ).values_list("child_key", "month"):
                children.add(child_key)
                months.add(month)
            EpisodeFact.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["episode_key"], update_fields=_UPDATE_FIELDS
            )
        children.update(r.child_key for r in rows)
        months.update(r.month for r in rows)
        written += len(rows)
    summaries_refresh(None if since is None else children, months)
    return written


def last_refreshed_at() -> datetime.datetime | None:
    return EpisodeFact.objects.filter(episode__isnull=False).aggregate(last=Max("refreshed_at"))["last"]


def analytics_refresh(*, now: datetime.datetime | None = None) -> int:
    """The scheduler's job: an incremental refresh since the last one (a full one the first time)."""
    last = last_refreshed_at()
    return episode_facts_refresh(since=last - OVERLAP if last else None, now=now)
