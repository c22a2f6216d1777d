"""Places across children, pure: mentions of places (where a child was found, where they said they went,
what an agency records they frequent) put on the gazetteer, clustered, and counted over time.

No database and no Django here: the selector (place_selectors.py) gathers the mentions a viewer may see and
hands them to `place_patterns`; everything below is a function of its arguments, so it is tested directly.

Clustering is greedy and deterministic: the gazetteer places mentioned are taken most-mentioned first (ties
by id); each joins the first cluster whose centre is within the radius, or starts a new cluster centred on
itself. So a cluster's centre and key are those of its most-mentioned place, every member is within the
radius of the centre, and the centres of two clusters are always more than the radius apart.
"""

from __future__ import annotations

import datetime
import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hafan.analytics.gazetteer import GazetteerEntry, locate, normalise

EARTH_RADIUS_METRES = 6_371_008.8
UNLOCATED_PREFIX = "u-"


class MentionKind(StrEnum):
    FOUND = "found"  # where the child was found (the episode's return)
    SAID = "said"  # where the child said they went (a fact learnt in a debrief)
    AGENCY = "agency"  # an agency's record of a place the child frequents


@dataclass(frozen=True)
class Mention:
    """One place named for one child. `child` and `source` are opaque to this module (the selector passes
    what the drill-down needs); only `child_key` is compared, to count distinct children."""

    text: str
    kind: MentionKind
    on: datetime.date
    child_key: Any
    child: Any = None
    source: Any = None


@dataclass(frozen=True)
class Period:
    start: datetime.date  # first day
    end: datetime.date  # last day
    label: str  # e.g. "2026-03" or "2026 Q1"; the page formats it


@dataclass
class PlaceGroup:
    """A cluster of located places, or the unlocated mentions of one normalised text."""

    key: str
    label: str
    entry: GazetteerEntry | None  # the anchor of a located cluster; None when unlocated
    lat: float | None
    lon: float | None
    mentions: list[Mention] = field(default_factory=list)
    members: list[GazetteerEntry] = field(default_factory=list)
    counts_by_period: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.mentions)

    @property
    def children(self) -> int:
        return len({m.child_key for m in self.mentions})

    @property
    def by_kind(self) -> dict[str, int]:
        counts = Counter(m.kind.value for m in self.mentions)
        return {kind.value: counts.get(kind.value, 0) for kind in MentionKind}

    @property
    def latest(self) -> datetime.date | None:
        return max((m.on for m in self.mentions), default=None)


@dataclass
class PlacePatternsResult:
    clusters: list[PlaceGroup]
    unlocated: list[PlaceGroup]
    periods: list[Period]


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a)))


def periods_between(since: datetime.date, until: datetime.date) -> list[Period]:
    """Calendar months when the span is at most twelve months, else calendar quarters; the first and last
    may be partial (clipped to since and until)."""
    if until < since:
        return []
    months = (until.year - since.year) * 12 + (until.month - since.month) + 1
    step = 1 if months <= 12 else 3
    year, month = since.year, since.month
    if step == 3:
        month = 3 * ((month - 1) // 3) + 1
    result = []
    while datetime.date(year, month, 1) <= until:
        start = datetime.date(year, month, 1)
        next_year, next_month = (year + 1, month + step - 12) if month + step > 12 else (year, month + step)
        end = datetime.date(next_year, next_month, 1) - datetime.timedelta(days=1)
        label = f"{year}-{month:02d}" if step == 1 else f"{year} Q{(month - 1) // 3 + 1}"
        result.append(Period(start=max(start, since), end=min(end, until), label=label))
        year, month = next_year, next_month
    return result


def unlocated_key(text: str) -> str:
    """A stable key for the unlocated mentions of one text: a hash of its normalised form (the text itself
    never goes in a URL)."""
    return UNLOCATED_PREFIX + hashlib.sha256(normalise(text).encode()).hexdigest()[:16]


def cluster_entries(
    counts: dict[GazetteerEntry, int], *, radius_metres: float
) -> list[tuple[GazetteerEntry, list[GazetteerEntry]]]:
    """Greedy clustering of gazetteer places by how often each is mentioned: (anchor, members) pairs, the
    anchor first among its members, clusters in the order they were started (most mentioned first)."""
    clusters: list[tuple[GazetteerEntry, list[GazetteerEntry]]] = []
    for entry in sorted(counts, key=lambda e: (-counts[e], e.id)):
        for anchor, members in clusters:
            if distance_metres(anchor.lat, anchor.lon, entry.lat, entry.lon) <= radius_metres:
                members.append(entry)
                break
        else:
            clusters.append((entry, [entry]))
    return clusters


def _count_by_period(mentions: Iterable[Mention], periods: Sequence[Period]) -> list[int]:
    counts = [0] * len(periods)
    for m in mentions:
        for i, p in enumerate(periods):
            if p.start <= m.on <= p.end:
                counts[i] += 1
                break
    return counts


def place_patterns(
    mentions: Iterable[Mention],
    *,
    radius_metres: float,
    since: datetime.date,
    until: datetime.date,
    language: str = "en",
) -> PlacePatternsResult:
    """Clusters of located mentions (most mentioned first) and the unlocated mentions grouped by their
    normalised text (most mentioned first), each counted per period between since and until."""
    periods = periods_between(since, until)
    located: dict[GazetteerEntry, list[Mention]] = {}
    unlocated: dict[str, list[Mention]] = {}
    for mention in mentions:
        entry = locate(mention.text)
        if entry is not None:
            located.setdefault(entry, []).append(mention)
        elif normalise(mention.text):
            unlocated.setdefault(unlocated_key(mention.text), []).append(mention)

    clusters = []
    for anchor, members in cluster_entries(
        {e: len(ms) for e, ms in located.items()}, radius_metres=radius_metres
    ):
        group_mentions = sorted(
            (m for e in members for m in located[e]), key=lambda m: (m.on, m.kind.value, m.text), reverse=True
        )
        clusters.append(
            PlaceGroup(
                key=anchor.id,
                label=anchor.name(language),
                entry=anchor,
                lat=anchor.lat,
                lon=anchor.lon,
                mentions=group_mentions,
                members=members,
                counts_by_period=_count_by_period(group_mentions, periods),
            )
        )

    groups = []
    for key, group_mentions in unlocated.items():
        texts = Counter(m.text.strip() for m in group_mentions)
        label = sorted(texts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        ordered = sorted(group_mentions, key=lambda m: (m.on, m.kind.value, m.text), reverse=True)
        groups.append(
            PlaceGroup(
                key=key,
                label=label,
                entry=None,
                lat=None,
                lon=None,
                mentions=ordered,
                counts_by_period=_count_by_period(ordered, periods),
            )
        )
    groups.sort(key=lambda g: (-g.count, g.label.casefold(), g.key))
    return PlacePatternsResult(clusters=clusters, unlocated=groups, periods=periods)


def find_group(result: PlacePatternsResult, key: str) -> PlaceGroup | None:
    """The cluster or unlocated group with this key; a gazetteer place that joined another place's cluster
    finds that cluster (so a link made under other filters still lands somewhere sensible)."""
    for group in [*result.clusters, *result.unlocated]:
        if group.key == key:
            return group
    for group in result.clusters:
        if any(member.id == key for member in group.members):
            return group
    return None


SORTS = {
    "count": lambda g: (-g.count, -g.children, g.label.casefold()),
    "children": lambda g: (-g.children, -g.count, g.label.casefold()),
    "label": lambda g: (g.label.casefold(), -g.count),
    "latest": lambda g: (-(g.latest or datetime.date.min).toordinal(), -g.count, g.label.casefold()),
}


def sort_groups(groups: Sequence[PlaceGroup], sort: str) -> list[PlaceGroup]:
    """Server-side sort of the table: count (default), children, label or latest (most recent first)."""
    return sorted(groups, key=SORTS.get(sort, SORTS["count"]))
