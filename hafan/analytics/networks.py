"""Co-missing networks: children who go missing together. Pure: no database, no clock.

Two children are linked by evidence of three kinds:
- missing together: both missing at the same time, and reported within `window` of each other
  (HAFAN_CO_MISSING_WINDOW_HOURS);
- found together: found at the same place (compared folded: case, accents and punctuation ignored), returned
  within FOUND_TOGETHER_WITHIN of each other;
- a shared associate: both children's records name the same associate (persons.associate_key).

An occasion is one pair of episodes (one of each child's): two children missing together and found together
on the same night is one occasion with two kinds of evidence. A pair RECURS when it has at least
`min_occasions` separate occasions (HAFAN_CO_MISSING_MIN_OCCASIONS) and either was found together on that many
or had more occasions than coincidence explains (two children who each go missing every week are reported
on the same evening now and then without knowing each other: `Pair.chance`, a Poisson tail, must be at most
CHANCE, the expected count measured over the spell both children were going missing: `expected_coincidences`);
or when it has one occasion and a shared associate (an associate in common makes a single night together more
than chance). Groups are the connected components of the recurring pairs, largest first, then the most recent;
a group's occasions count the events its members shared (three children missing together one night is one
occasion, not three).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hafan.analytics.persons import associate_key, fold

FOUND_TOGETHER_WITHIN = datetime.timedelta(hours=3)
# Occasions missing together count only when coincidence would explain them less than once in a thousand
# pairs: a hub of a few hundred reports a month has many coincidences.
CHANCE = 0.001
COINCIDENCE_SPAN_MIN = datetime.timedelta(days=90)


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    term, below = math.exp(-mean), 0.0
    for i in range(k):
        below += term
        term *= mean / (i + 1)
    return max(0.0, 1.0 - below)


class EvidenceKind(StrEnum):
    MISSING_TOGETHER = "missing_together"
    FOUND_TOGETHER = "found_together"
    SHARED_ASSOCIATE = "shared_associate"


@dataclass(frozen=True)
class EpisodeSpan:
    episode_id: int
    child_id: int
    reported_at: datetime.datetime
    returned_at: datetime.datetime | None  # None: still missing
    found_where: str = ""


@dataclass(frozen=True)
class AssociateMention:
    child_id: int
    text: str
    fact_id: int = 0


@dataclass
class Occasion:
    """One pair of episodes, one of each child's, with the evidence that links them."""

    episodes: tuple[int, int]
    at: datetime.datetime  # the later of the two reports
    kinds: set[EvidenceKind] = field(default_factory=set)
    place: str = ""  # where they were found together, as recorded


@dataclass
class Pair:
    a: int  # child ids, a < b
    b: int
    occasions: dict[tuple[int, int], Occasion] = field(default_factory=dict)
    associates: dict[str, str] = field(default_factory=dict)  # key -> the text as one child's record has it
    associate_facts: set[int] = field(default_factory=set)
    # How many times the two would be reported missing within the window of each other by chance alone, from
    # how often each goes missing in the period (see `chance`).
    expected: float = 0.0

    @property
    def occasion_count(self) -> int:
        return len(self.occasions)

    @property
    def missing_together(self) -> int:
        return sum(1 for o in self.occasions.values() if EvidenceKind.MISSING_TOGETHER in o.kinds)

    @property
    def found_together(self) -> int:
        return sum(1 for o in self.occasions.values() if EvidenceKind.FOUND_TOGETHER in o.kinds)

    @property
    def kinds(self) -> list[EvidenceKind]:
        found = {k for o in self.occasions.values() for k in o.kinds}
        if self.associates:
            found.add(EvidenceKind.SHARED_ASSOCIATE)
        return [k for k in EvidenceKind if k in found]

    @property
    def first_occasion(self) -> datetime.datetime | None:
        return min((o.at for o in self.occasions.values()), default=None)

    @property
    def last_occasion(self) -> datetime.datetime | None:
        return max((o.at for o in self.occasions.values()), default=None)

    @property
    def places(self) -> list[str]:
        return sorted({o.place for o in self.occasions.values() if o.place})

    @property
    def chance(self) -> float:
        """The probability of at least this many occasions by coincidence (Poisson, mean `expected`)."""
        return poisson_tail(self.occasion_count, self.expected)

    def recurs(self, *, min_occasions: int) -> bool:
        if self.associates and self.occasion_count >= 1:
            return True
        if self.occasion_count < min_occasions:
            return False
        # Found together at one place within hours is rarely chance, and recurs on its own; two children who each
        # go missing every week are reported missing on the same evening now and then without knowing each other,
        # so occasions missing together count only beyond what coincidence explains.
        return self.found_together >= min_occasions or self.chance <= CHANCE


@dataclass
class Group:
    members: list[int]  # child ids, sorted
    pairs: list[Pair]
    occasions: int  # events the members shared (episodes linked by the pairs' occasions, joined up)
    last_occasion: datetime.datetime | None
    kinds: list[EvidenceKind]


def _interval_end(span: EpisodeSpan, now: datetime.datetime) -> datetime.datetime:
    return span.returned_at or now


def _pair(pairs: dict[tuple[int, int], Pair], x: int, y: int) -> Pair:
    a, b = min(x, y), max(x, y)
    if (a, b) not in pairs:
        pairs[(a, b)] = Pair(a=a, b=b)
    return pairs[(a, b)]


def _occasion(pair: Pair, first: EpisodeSpan, second: EpisodeSpan) -> Occasion:
    by_child = {first.child_id: first, second.child_id: second}
    key = (by_child[pair.a].episode_id, by_child[pair.b].episode_id)
    if key not in pair.occasions:
        pair.occasions[key] = Occasion(episodes=key, at=max(first.reported_at, second.reported_at))
    return pair.occasions[key]


def find_pairs(
    episodes: Iterable[EpisodeSpan],
    associates: Iterable[AssociateMention],
    *,
    window: datetime.timedelta,
    now: datetime.datetime,
    period: datetime.timedelta | None = None,
    found_within: datetime.timedelta = FOUND_TOGETHER_WITHIN,
) -> list[Pair]:
    """Every pair of children linked by any evidence, ordered by child ids. `period` is the length of time the
    episodes were taken from (by default, from the first report to the last), for the chance of coincidence."""
    spans = sorted(episodes, key=lambda s: (s.reported_at, s.episode_id))
    pairs: dict[tuple[int, int], Pair] = {}
    if period is None and spans:
        period = spans[-1].reported_at - spans[0].reported_at
    reports: dict[int, list[datetime.datetime]] = defaultdict(list)
    for span in spans:
        reports[span.child_id].append(span.reported_at)

    # Missing together: a sweep over reports in time order; only reports within the window can pair.
    for i, first in enumerate(spans):
        for second in spans[i + 1 :]:
            if second.reported_at - first.reported_at > window:
                break
            if second.child_id == first.child_id:
                continue
            overlap = second.reported_at < _interval_end(first, now) and first.reported_at < _interval_end(
                second, now
            )
            if overlap:
                pair = _pair(pairs, first.child_id, second.child_id)
                _occasion(pair, first, second).kinds.add(EvidenceKind.MISSING_TOGETHER)

    # Found together: the same place, returned within `found_within` of each other.
    by_place: dict[str, list[EpisodeSpan]] = defaultdict(list)
    for span in spans:
        if span.returned_at is not None and fold(span.found_where):
            by_place[fold(span.found_where)].append(span)
    for place_spans in by_place.values():
        place_spans.sort(key=lambda s: (s.returned_at, s.episode_id))
        for i, first in enumerate(place_spans):
            for second in place_spans[i + 1 :]:
                assert first.returned_at is not None and second.returned_at is not None
                if second.returned_at - first.returned_at > found_within:
                    break
                if second.child_id == first.child_id:
                    continue
                pair = _pair(pairs, first.child_id, second.child_id)
                occasion = _occasion(pair, first, second)
                occasion.kinds.add(EvidenceKind.FOUND_TOGETHER)
                occasion.place = first.found_where

    # Shared associates: the same associate on two children's records.
    named: dict[str, dict[int, AssociateMention]] = defaultdict(dict)
    for mention in associates:
        key = associate_key(mention.text)
        if key:
            named[key].setdefault(mention.child_id, mention)
    for key, by_child in named.items():
        children = sorted(by_child)
        for i, x in enumerate(children):
            for y in children[i + 1 :]:
                pair = _pair(pairs, x, y)
                pair.associates.setdefault(key, by_child[x].text)
                pair.associate_facts.update({by_child[x].fact_id, by_child[y].fact_id} - {0})

    for pair in pairs.values():
        pair.expected = expected_coincidences(reports[pair.a], reports[pair.b], window=window, period=period)
    return [pairs[k] for k in sorted(pairs)]


def expected_coincidences(
    a: Sequence[datetime.datetime],
    b: Sequence[datetime.datetime],
    *,
    window: datetime.timedelta,
    period: datetime.timedelta | None,
) -> float:
    """How many of two children's reports would fall within `window` of each other by chance. Children go
    missing in spells, so each pair is measured over the time both were going missing (the span their reports
    share), not the whole period: two children each missing twenty times in the same three months meet by
    chance far more often than a year's average says. The span is at least COINCIDENCE_SPAN_MIN (and at most
    the period), so that children missing only a few times are not taken to be always missing."""
    if not a or not b:
        return 0.0
    start, end = max(min(a), min(b)) - window, min(max(a), max(b)) + window
    span = max(end - start, COINCIDENCE_SPAN_MIN)
    if period is not None:
        span = min(span, max(period, 2 * window))
    n_a = sum(1 for t in a if start <= t <= end) or 1
    n_b = sum(1 for t in b if start <= t <= end) or 1
    return n_a * n_b * min(1.0, 2 * window / span)


class _Components:
    """Union-find over ids (children, or episodes)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def recurring_groups(pairs: Sequence[Pair], *, min_occasions: int) -> list[Group]:
    """The connected components of the recurring pairs: largest first, then the most recent occasion."""
    recurring = [p for p in pairs if p.recurs(min_occasions=min_occasions)]
    children = _Components()
    for pair in recurring:
        children.union(pair.a, pair.b)
    by_root: dict[int, list[Pair]] = defaultdict(list)
    for pair in recurring:
        by_root[children.find(pair.a)].append(pair)
    groups = []
    for group_pairs in by_root.values():
        members = sorted({c for p in group_pairs for c in (p.a, p.b)})
        events = _Components()
        for pair in group_pairs:
            for first, second in pair.occasions:
                events.union(first, second)
        roots = {events.find(e) for p in group_pairs for key in p.occasions for e in key}
        lasts = [p.last_occasion for p in group_pairs if p.last_occasion is not None]
        kinds = {k for p in group_pairs for k in p.kinds}
        groups.append(
            Group(
                members=members,
                pairs=sorted(group_pairs, key=lambda p: (p.a, p.b)),
                occasions=len(roots),
                last_occasion=max(lasts) if lasts else None,
                kinds=[k for k in EvidenceKind if k in kinds],
            )
        )
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(groups, key=lambda g: (-len(g.members), -(g.last_occasion or epoch).timestamp(), g.members))


# The drawing: a deterministic layout, drawn as SVG by the template (no script, no library).


@dataclass(frozen=True)
class Node:
    child_id: int
    x: float
    y: float
    group: int  # index into the groups, from 1


@dataclass(frozen=True)
class Edge:
    a: Node
    b: Node
    weight: int  # occasions
    width: float


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    labels: list[tuple[float, float, int]]  # where each group's number goes


CELL = 240
RADIUS = 78
COLUMNS = 3


def layout(groups: Sequence[Group], *, columns: int = COLUMNS) -> Drawing:
    """Each group on its own circle, groups in a grid in their order: the same groups always draw the same."""
    nodes: dict[int, Node] = {}
    labels = []
    columns = max(1, min(columns, len(groups)))
    for index, group in enumerate(groups):
        cx = CELL / 2 + (index % columns) * CELL
        cy = CELL / 2 + (index // columns) * CELL
        labels.append((cx - CELL / 2 + 12, cy - CELL / 2 + 20, index + 1))
        n = len(group.members)
        for k, child_id in enumerate(group.members):
            angle = -math.pi / 2 + 2 * math.pi * k / n
            nodes[child_id] = Node(
                child_id=child_id,
                x=round(cx + RADIUS * math.cos(angle), 1),
                y=round(cy + RADIUS * math.sin(angle), 1),
                group=index + 1,
            )
    edges = []
    for group in groups:
        for pair in group.pairs:
            weight = max(1, pair.occasion_count)
            edges.append(
                Edge(
                    a=nodes[pair.a],
                    b=nodes[pair.b],
                    weight=weight,
                    width=round(1.5 + 1.5 * min(weight, 6), 1),
                )
            )
    rows = math.ceil(len(groups) / columns) if groups else 0
    return Drawing(
        width=columns * CELL, height=rows * CELL, nodes=list(nodes.values()), edges=edges, labels=labels
    )
