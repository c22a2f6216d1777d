"""Places across children (issue 7, item 6): the read path. Hub casework staff only (policy.can_view_patterns);
everyone else gets 404.

Only what the viewer may see is counted: each place fact is decided by policy.can_view_fact as for a hub
member planning for the next episode, and where children were found comes from the episodes (which hub
casework staff see). The overview is audited as one row with counts; the drill-down shows children and their
facts, so it is audited per child and the facts it shows from other agencies go in the disclosure log.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

from hafan.analytics.places import (
    Mention,
    MentionKind,
    PlaceGroup,
    PlacePatternsResult,
    find_group,
    place_patterns,
)
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Channel, FactCategory, Purpose, Relation
from hafan.episodes.models import Episode
from hafan.people.models import Fact
from hafan.people.selectors import fact_label
from hafan.sharing import policy
from hafan.sharing.access import actor_for, share_graph
from hafan.sharing.audit import audit_record
from hafan.sharing.disclosures import disclosure_record
from hafan.sharing.models import AuditAction


@dataclass(frozen=True)
class MentionSource:
    """Where a mention came from, for the drill-down: a fact (with its agency and source) or an episode."""

    fact: Fact | None = None
    episode: Episode | None = None


def _mentions_visible_to(
    user: Any, *, since: datetime.date, until: datetime.date, council: str | None
) -> list[Mention]:
    actor = actor_for(user)
    shares = share_graph()
    facts = (
        Fact.objects.filter(
            category=FactCategory.PLACE,
            withdrawn_at__isnull=True,
            recorded_on__gte=since,
            recorded_on__lte=until,
        )
        .exclude(source_record__withdrawn_at__isnull=False)
        .select_related("agency", "child")
        .order_by("pk")
    )
    if council:
        facts = facts.filter(child__responsible_council__code=council)
    mentions = [
        Mention(
            text=f.summary,
            kind=MentionKind.SAID if f.debrief_id else MentionKind.AGENCY,
            on=f.recorded_on,
            child_key=f.child_id,
            child=f.child,
            source=MentionSource(fact=f),
        )
        for f in facts
        if policy.can_view_fact(
            actor,
            fact=fact_label(f),
            relation=Relation.HUB_MEMBER,
            shares=shares,
            purpose=Purpose.PLANNING,
        )
    ]
    # Days are the hub's local days, as on every page.
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min)
    )
    episodes = (
        Episode.objects.filter(returned_at__gte=start, returned_at__lt=end)
        .exclude(found_where="")
        .select_related("child", "found_council", "council")
        .order_by("pk")
    )
    if council:
        episodes = episodes.filter(council__code=council)
    for episode in episodes:
        day = timezone.localdate(episode.returned_at)
        mentions.append(
            Mention(
                text=episode.found_where,
                kind=MentionKind.FOUND,
                on=day,
                child_key=episode.child_id,
                child=episode.child,
                source=MentionSource(episode=episode),
            )
        )
    return mentions


def _patterns(
    user: Any, *, since: datetime.date, until: datetime.date, council: str | None
) -> PlacePatternsResult:
    if not policy.can_view_patterns(actor_for(user)):
        raise NotFoundOrNoAccess
    return place_patterns(
        _mentions_visible_to(user, since=since, until=until, council=council),
        radius_metres=settings.HAFAN_PLACE_CLUSTER_METRES,
        since=since,
        until=until,
        language=get_language() or "en",
    )


def place_patterns_for(
    user: Any, *, since: datetime.date, until: datetime.date, council: str | None = None
) -> PlacePatternsResult:
    """Clusters of places children were found or said they went (or agencies record them going), and the
    places that could not be put on the map, from what the user may see. 404 unless hub casework staff.
    Audited as one row with counts (no child is named)."""
    result = _patterns(user, since=since, until=until, council=council)
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.PLANNING,
        target_type="place_patterns",
        target_id="places",
        detail={
            "since": since.isoformat(),
            "until": until.isoformat(),
            "council": council or "",
            "clusters": len(result.clusters),
            "unlocated": len(result.unlocated),
            "mentions": sum(g.count for g in [*result.clusters, *result.unlocated]),
        },
    )
    return result


@dataclass
class PlaceDetail:
    group: PlaceGroup
    periods: list[Any]


def place_detail_for(
    user: Any, *, key: str, since: datetime.date, until: datetime.date, council: str | None = None
) -> PlaceDetail:
    """One cluster (or unlocated place) with each mention: which child, when, what kind, from where. 404
    when the key names nothing the user may see. Each child shown is audited, and the facts shown from
    other agencies are recorded in the disclosure log, per child."""
    result = _patterns(user, since=since, until=until, council=council)
    group = find_group(result, key)
    if group is None:
        raise NotFoundOrNoAccess
    shares = share_graph()
    by_child: dict[Any, tuple[Any, list[Fact], int]] = {}
    for mention in group.mentions:
        child, facts, count = by_child.get(mention.child_key, (mention.child, [], 0))
        source: MentionSource = mention.source
        if source.fact is not None:
            facts.append(source.fact)
        by_child[mention.child_key] = (child, facts, count + 1)
    for child, facts, count in by_child.values():
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            purpose=Purpose.PLANNING,
            target_type="place_pattern",
            target_id=group.key,
            child_public_id=child.public_id,
            detail={"mentions": count, "since": since.isoformat(), "until": until.isoformat()},
        )
        disclosure_record(
            user=user,
            child=child,
            facts=facts,
            channel=Channel.PAGE,
            purpose=Purpose.PLANNING,
            target_type="place_pattern",
            target_id=group.key,
            shares=shares,
        )
    return PlaceDetail(group=group, periods=result.periods)
