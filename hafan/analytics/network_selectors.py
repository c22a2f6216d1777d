"""Reads for the co-missing network and persons of concern: only what the viewer may see, audited, and the facts
shown from other agencies written to the disclosure log. The pure work is in networks.py and persons.py."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from hafan.analytics.networks import (
    AssociateMention,
    Drawing,
    EpisodeSpan,
    Group,
    Pair,
    find_pairs,
    layout,
    recurring_groups,
)
from hafan.analytics.persons import Mention, Person, persons_of_concern
from hafan.core.crypto import lookup_key_bytes
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Channel, FactCategory, Purpose, Relation
from hafan.episodes.models import Episode
from hafan.people.models import Child, Fact
from hafan.people.selectors import fact_label
from hafan.sharing import policy
from hafan.sharing.access import actor_for, child_ids_related_to, relation_to, share_graph
from hafan.sharing.audit import audit_record
from hafan.sharing.disclosures import disclosure_record
from hafan.sharing.models import AuditAction

PURPOSE = Purpose.PLANNING
# The pairs table lists this many pairs at most (a busy hub has hundreds of single coincidences a year).
PAIRS_LISTED = 100


@dataclass(frozen=True)
class ChildInfo:
    id: int
    public_id: str
    full_name: str
    initials: str
    age: int | None
    linkable: bool = True  # the viewer may open the child's record


def _initials(child: Child) -> str:
    return "".join(part[:1].upper() for part in (child.given_name, child.family_name) if part)


def _children(
    ids: Iterable[int], *, today: datetime.date, linkable: set[int] | None = None
) -> dict[int, ChildInfo]:
    return {
        c.pk: ChildInfo(
            id=c.pk,
            public_id=str(c.public_id),
            full_name=c.full_name,
            initials=_initials(c),
            age=c.age_on(today),
            linkable=linkable is None or c.pk in linkable,
        )
        for c in Child.objects.filter(pk__in=set(ids))
    }


def _associate_facts(child_ids: Iterable[int] | None = None) -> list[Fact]:
    facts = (
        Fact.objects.filter(category=FactCategory.ASSOCIATE, withdrawn_at__isnull=True)
        .exclude(source_record__withdrawn_at__isnull=False)
        .select_related("agency", "child")
        .order_by("recorded_on", "pk")
    )
    if child_ids is not None:
        facts = facts.filter(child_id__in=list(child_ids))
    return list(facts)


def _visible(user: Any, facts: list[Fact], shares: Any) -> list[Fact]:
    """The facts this viewer may see for planning. Hub members are related to every child as hub members (an
    allocation only adds need-to-know facts, which patterns across children leave out); anyone else is related
    to the children allocated to them or opened in an emergency, and to no other (their own agency's facts
    stay visible to them: can_view_fact)."""
    actor = actor_for(user)
    relations: dict[int, Relation] = {}
    if not policy.sees_every_child(actor):
        related = set(child_ids_related_to(user).values_list("pk", flat=True))
        relations = {child.pk: relation_to(user, child) for child in Child.objects.filter(pk__in=related)}

    def relation(fact: Fact) -> Relation:
        if policy.sees_every_child(actor):
            return Relation.HUB_MEMBER
        return relations.get(fact.child_id, Relation.NONE)

    return [
        f
        for f in facts
        if policy.can_view_fact(
            actor, fact=fact_label(f), relation=relation(f), shares=shares, purpose=PURPOSE
        )
    ]


def _disclose(*, user: Any, facts: Iterable[Fact], shares: Any, target_type: str, target_id: str) -> None:
    by_child: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_child[fact.child_id].append(fact)
    for child_facts in by_child.values():
        disclosure_record(
            user=user,
            child=child_facts[0].child,
            facts=child_facts,
            channel=Channel.PAGE,
            purpose=PURPOSE,
            target_type=target_type,
            target_id=target_id,
            shares=shares,
        )


# Co-missing


@dataclass
class CoMissing:
    start: datetime.date
    end: datetime.date
    window_hours: int
    min_occasions: int
    groups: list[Group]
    pairs: list[Pair]  # the PAIRS_LISTED most linked: recurring first, then by occasions
    all_pairs: int
    children: dict[int, ChildInfo]
    drawing: Drawing
    episodes: int


def co_missing_for(
    *, user: Any, start: datetime.date, end: datetime.date, now: datetime.datetime | None = None
) -> CoMissing:
    """Children missing together, found together or naming the same associate, among the episodes reported
    from `start` to `end` (inclusive). Hub casework staff only; audited with the children listed."""
    if not policy.can_view_patterns(actor_for(user)):
        raise NotFoundOrNoAccess
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    spans = [
        EpisodeSpan(
            episode_id=pk, child_id=child_id, reported_at=reported, returned_at=returned, found_where=where
        )
        for pk, child_id, reported, returned, where in Episode.objects.filter(
            reported_at__gte=since, reported_at__lt=until
        ).values_list("pk", "child_id", "reported_at", "returned_at", "found_where")
    ]
    shares = share_graph()
    facts = _visible(user, _associate_facts({s.child_id for s in spans}), shares)
    window = settings.HAFAN_CO_MISSING_WINDOW_HOURS
    min_occasions = settings.HAFAN_CO_MISSING_MIN_OCCASIONS
    pairs = find_pairs(
        spans,
        [AssociateMention(child_id=f.child_id, text=f.summary, fact_id=f.pk) for f in facts],
        window=datetime.timedelta(hours=window),
        now=now,
        period=until - since,
    )
    groups = recurring_groups(pairs, min_occasions=min_occasions)
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    listed = sorted(
        pairs,
        key=lambda p: (
            not p.recurs(min_occasions=min_occasions),
            -p.occasion_count,
            -len(p.associates),
            -(p.last_occasion or epoch).timestamp(),
            p.a,
            p.b,
        ),
    )[:PAIRS_LISTED]
    in_groups = {c for g in groups for c in g.members}
    children = _children(in_groups | {c for p in listed for c in (p.a, p.b)}, today=timezone.localdate(now))
    shown = {fid for p in listed for fid in p.associate_facts} | {
        fid for g in groups for p in g.pairs for fid in p.associate_facts
    }
    _disclose(
        user=user,
        facts=[f for f in facts if f.pk in shown],
        shares=shares,
        target_type="co_missing",
        target_id=f"{start.isoformat()}/{end.isoformat()}",
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=PURPOSE,
        target_type="co_missing",
        target_id=f"{start.isoformat()}/{end.isoformat()}",
        detail={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "children": sorted(c.public_id for c in children.values()),
            "groups": len(groups),
        },
    )
    return CoMissing(
        start=start,
        end=end,
        window_hours=window,
        min_occasions=min_occasions,
        groups=groups,
        pairs=listed,
        all_pairs=len(pairs),
        children=children,
        drawing=layout(groups),
        episodes=len(spans),
    )


# Persons of concern


def person_key(group_key: str) -> str:
    """The person's key in URLs: a keyed hash, so that an adult's name never appears in an address or a log."""
    digest = hmac.new(lookup_key_bytes(), f"person:{group_key}".encode(), hashlib.sha256).hexdigest()
    return digest[:24]


@dataclass
class PersonRow:
    key: str
    person: Person


@dataclass
class PersonMention:
    fact: Fact
    child: ChildInfo
    text: str
    from_debrief: bool


@dataclass
class PersonsOfConcern:
    rows: list[PersonRow]
    min_children: int
    facts: dict[int, Fact]
    children: dict[int, ChildInfo]


def _persons(user: Any, shares: Any) -> PersonsOfConcern:
    if not policy.can_view_persons_of_concern(actor_for(user)):
        raise NotFoundOrNoAccess
    facts = _visible(user, _associate_facts(), shares)
    by_id = {f.pk: f for f in facts}
    mentions = [
        Mention(
            child_id=f.child_id,
            fact_id=f.pk,
            text=f.summary,
            recorded_on=f.recorded_on,
            agency=f.agency.name_en,
            from_debrief=f.debrief_id is not None,
        )
        for f in facts
    ]
    min_children = settings.HAFAN_PERSON_OF_CONCERN_MIN_CHILDREN
    people = persons_of_concern(mentions, min_children=min_children)
    actor = actor_for(user)
    ids = {c for p in people for c in p.child_ids}
    linkable = None
    if not policy.sees_every_child(actor):
        linkable = set(child_ids_related_to(user).values_list("pk", flat=True))
    children = _children(ids, today=timezone.localdate(), linkable=linkable)
    return PersonsOfConcern(
        rows=[PersonRow(key=person_key(p.key), person=p) for p in people],
        min_children=min_children,
        facts=by_id,
        children=children,
    )


def persons_of_concern_for(*, user: Any) -> PersonsOfConcern:
    """The adults named in connection with several children, from the associate facts the viewer may see
    (agencies' records, and what children agreed or needed to share in debriefs: never a debrief's own notes).
    Police and hub members only; audited, and the names shown disclosed per child."""
    shares = share_graph()
    found = _persons(user, shares)
    _disclose(
        user=user,
        facts=[found.facts[m.fact_id] for row in found.rows for m, _p in row.person.mentions],
        shares=shares,
        target_type="persons_of_concern",
        target_id="list",
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=PURPOSE,
        target_type="persons_of_concern",
        target_id="list",
        detail={
            "persons": [row.key for row in found.rows],
            "children": sorted(c.public_id for c in found.children.values()),
        },
    )
    return found


@dataclass
class PersonDetail:
    key: str
    person: Person
    mentions: list[PersonMention]


def person_of_concern_get_for_user(*, user: Any, key: str) -> PersonDetail:
    """One person of concern with every mention traceable to its source, or 404 (no such person, or not one
    the viewer may see). Audited, and each child's facts shown recorded in the disclosure log."""
    shares = share_graph()
    found = _persons(user, shares)
    row = next((r for r in found.rows if hmac.compare_digest(r.key, str(key))), None)
    if row is None:
        raise NotFoundOrNoAccess
    mentions = [
        PersonMention(
            fact=found.facts[m.fact_id],
            child=found.children[m.child_id],
            text=m.text,
            from_debrief=m.from_debrief,
        )
        for m, _p in sorted(
            row.person.mentions, key=lambda mp: (mp[0].recorded_on, mp[0].fact_id), reverse=True
        )
    ]
    _disclose(
        user=user,
        facts=[m.fact for m in mentions],
        shares=shares,
        target_type="person_of_concern",
        target_id=row.key,
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=PURPOSE,
        target_type="person_of_concern",
        target_id=row.key,
        detail={
            "children": sorted({m.child.public_id for m in mentions}),
            "facts": sorted(str(m.fact.public_id) for m in mentions),
        },
    )
    return PersonDetail(key=row.key, person=row.person, mentions=mentions)
