"""The monthly summaries of the analytics store (issue 8, "pre-aggregate where needed"): what keeps the dashboard
under a second at national scale (about 200,000 episodes a year for ten years).

- `MonthCube`: the additive counts (episodes, repeats, durations by band, harm, debriefs, referrals, plans, where
  and by whom found) by month and every filter dimension but the school.
- `MonthlyCount`: for all councils together, the counts that are not additive: distinct children, children with
  the repeat flag and children with N episodes in D days inside the period (see below), and where returned
  children were found.
- `SummaryState`: when they were built and from how many facts.

Distinct children without a table of children: each fact carries the date of the same child's previous fact
(`sequence_columns`), so "children with an episode in [since, until]" is "facts in [since, until] whose previous
fact is before `since`" (each child's first in the period), and that is a count by (month, month of the previous
fact), whatever the period. The same holds for the repeat flag (the previous flagged fact) and for windows of N
episodes in D days (the window's start must be in the period, the previous window's start before it).

`measures_for` reads whole months from here and part months from the facts; `summaries_ready()` says whether
they are current. The refresh (and the benchmark's loader) are the only writers of facts, and both rebuild the
months they touched."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from hafan.analytics.filters import Filters, month_start
from hafan.analytics.models import (
    CUBE_DIMENSIONS,
    CUBE_LEVELS,
    CUBE_PAIRS,
    EpisodeFact,
    MonthCube,
    MonthlyCount,
    SummaryState,
)

SAMPLE_EVERY = 16  # EpisodeFact.sampled: one episode in 16
_BATCH = 5000
_CHILDREN_AT_A_TIME = 500
_RETURNED = Q(returned_at__isnull=False)

# Each additive count: its MonthCube column and how it is counted from the facts (the cube is built with these
# expressions, and a period's part months are counted with them, so the two can never disagree).
COUNTS: dict[str, Count | Sum] = {
    "episodes": Count("id"),
    "repeat_episodes": Count("id", filter=Q(repeat=True)),
    "still_missing": Count("id", filter=Q(returned_at__isnull=True)),
    "returned": Count("id", filter=_RETURNED),
    "band_0": Count("id", filter=Q(duration_hours__lt=24)),
    "band_1": Count("id", filter=Q(duration_hours__gte=24, duration_hours__lte=72)),
    "band_2": Count("id", filter=Q(duration_hours__gt=72)),
    "harm": Count("id", filter=Q(harm=True)),
    "harm_known": Count("id", filter=Q(harm__isnull=False)),
    "debriefs_due": Count("id", filter=~Q(debrief_status="")),
    "debriefs_offered": Count("id", filter=Q(debrief_offered=True)),
    "debriefs_accepted": Count("id", filter=Q(debrief_status__in=("accepted", "held"))),
    "debriefs_held": Count("id", filter=Q(debrief_held=True)),
    "debriefs_held_in_time": Count("id", filter=Q(debrief_held_in_time=True)),
    "referrals": Coalesce(Sum("referrals"), 0),  # type: ignore[dict-item]
    "plan_in_force": Count("id", filter=Q(plan_in_force=True)),
    "found_home": Count("id", filter=_RETURNED & ~Q(found_council="") & Q(found_council=F("council"))),
    "found_known": Count("id", filter=_RETURNED & ~Q(found_council="")),
    "found_unknown": Count("id", filter=_RETURNED & Q(found_council="")),
    "found_by_police": Count("id", filter=_RETURNED & Q(found_by="police")),
    "found_by_carer": Count("id", filter=_RETURNED & Q(found_by="carer")),
    "found_by_self": Count("id", filter=_RETURNED & Q(found_by="self")),
    "found_by_agency": Count("id", filter=_RETURNED & Q(found_by="agency")),
    "found_by_public": Count("id", filter=_RETURNED & Q(found_by="public")),
    "found_by_unknown": Count(
        "id", filter=_RETURNED & ~Q(found_by__in=("police", "carer", "self", "agency", "public"))
    ),
}
FOUND_BY_CODES = ("police", "carer", "self", "agency", "public", "unknown")


def count_facts(rows: QuerySet[EpisodeFact]) -> dict[str, int]:
    """Every additive count of these facts (the aggregates are named apart from the columns they count)."""
    totals = rows.aggregate(**{f"n_{name}": expression for name, expression in COUNTS.items()})
    return {name: int(totals[f"n_{name}"] or 0) for name in COUNTS}


# --- Each child's sequence (pure)


# Each child's sequence is followed by every dimension alone and by every pair of them (see CUBE_PAIRS).
SEQUENCE_KEYS: tuple[tuple[str, ...], ...] = (*((d,) for d in CUBE_DIMENSIONS), *CUBE_PAIRS)


def key_name(key: Sequence[str]) -> str:
    """A key as MonthlyCount kinds and MonthCube levels name it: "council", "council,grade"."""
    return ",".join(key)


def key_column(kind: str, key: Sequence[str]) -> str:
    """EpisodeFact's column: prev_same_council_on, prev_repeat_same_council_and_grade_on..."""
    return f"prev_{kind}_{'_and_'.join(key)}_on"


@dataclass(frozen=True)
class SequenceColumns:
    prev_reported_on: datetime.date | None
    prev_repeat_on: datetime.date | None
    window_start_on: datetime.date | None
    prev_window_on: datetime.date | None
    # By key (a dimension, or a pair: key_name): the previous fact with the same value(s), and the previous
    # flagged fact; by dimension alone, the start of the previous window completed with the same value.
    prev_same: dict[str, datetime.date | None] = field(default_factory=dict)
    prev_repeat_same: dict[str, datetime.date | None] = field(default_factory=dict)
    prev_window_same: dict[str, datetime.date | None] = field(default_factory=dict)

    def as_fields(self) -> dict[str, datetime.date | None]:
        """EpisodeFact's column names and values."""
        out = {
            "prev_reported_on": self.prev_reported_on,
            "prev_repeat_on": self.prev_repeat_on,
            "window_start_on": self.window_start_on,
            "prev_window_on": self.prev_window_on,
        }
        for key in SEQUENCE_KEYS:
            out[key_column("same", key)] = self.prev_same.get(key_name(key))
            out[key_column("repeat_same", key)] = self.prev_repeat_same.get(key_name(key))
            if len(key) == 1:
                out[key_column("window_same", key)] = self.prev_window_same.get(key_name(key))
        return out


SEQUENCE_FIELDS = [*SequenceColumns(None, None, None, None).as_fields(), "sampled"]
_POSITIONS = [(key_name(key), [CUBE_DIMENSIONS.index(d) for d in key]) for key in SEQUENCE_KEYS]


def sequence_columns(
    facts: Sequence[tuple[datetime.datetime, datetime.date, bool, Sequence[str]]], *, episodes: int, days: int
) -> list[SequenceColumns]:
    """For one child's facts as (reported_at, reported_on, repeat flag, values of CUBE_DIMENSIONS) in report
    order: the date of the previous fact, of the previous flagged fact, the start of the window of `episodes`
    reports within `days` days that ends with this one (None when there is none), the previous such window's
    start, and for each key (a dimension or a pair) the previous fact (flagged fact; for a dimension, window
    start) with the same value(s)."""
    out: list[SequenceColumns] = []
    last_repeat: datetime.date | None = None
    last_window: datetime.date | None = None
    last_same: dict[tuple[str, tuple[str, ...]], datetime.date] = {}
    last_repeat_same: dict[tuple[str, tuple[str, ...]], datetime.date] = {}
    last_window_same: dict[tuple[str, tuple[str, ...]], datetime.date] = {}
    span = datetime.timedelta(days=days)
    for i, (reported_at, reported_on, repeat, values) in enumerate(facts):
        first = i - (episodes - 1)
        window = facts[first][1] if first >= 0 and reported_at - facts[first][0] <= span else None
        keys = [(name, tuple(values[p] for p in positions)) for name, positions in _POSITIONS]
        out.append(
            SequenceColumns(
                prev_reported_on=facts[i - 1][1] if i else None,
                prev_repeat_on=last_repeat,
                window_start_on=window,
                prev_window_on=last_window,
                prev_same={name: last_same.get((name, v)) for name, v in keys},
                prev_repeat_same={name: last_repeat_same.get((name, v)) for name, v in keys},
                prev_window_same={name: last_window_same.get((name, v)) for name, v in keys if len(v) == 1},
            )
        )
        for key in keys:
            last_same[key] = reported_on
            if repeat:
                last_repeat_same[key] = reported_on
            if window is not None and len(key[1]) == 1:
                last_window_same[key] = window
        if repeat:
            last_repeat = reported_on
        if window is not None:
            last_window = window
    return out


def is_sampled(episode_key: int) -> bool:
    return episode_key % SAMPLE_EVERY == 0


def sequence_refresh(child_keys: Iterable[int] | None = None) -> set[datetime.date]:
    """Works out the sequence columns of these children's facts (all when None) and saves those that changed;
    returns the months of the facts changed."""
    n, days = settings.HAFAN_REPEAT_MISSING_EPISODES, settings.HAFAN_REPEAT_MISSING_DAYS
    if child_keys is None:
        keys = list(EpisodeFact.objects.order_by("child_key").values_list("child_key", flat=True).distinct())
    else:
        keys = sorted(set(child_keys))
    months: set[datetime.date] = set()
    fields = [
        "id",
        "child_key",
        "episode_key",
        "reported_at",
        "reported_on",
        "month",
        "repeat",
        *CUBE_DIMENSIONS,
        *SEQUENCE_FIELDS,
    ]
    # A few hundred children at a time: a national full refresh never holds two million rows in memory.
    for start in range(0, len(keys), _CHILDREN_AT_A_TIME):
        facts: dict[int, list[EpisodeFact]] = defaultdict(list)
        for fact in (
            EpisodeFact.objects.filter(child_key__in=keys[start : start + _CHILDREN_AT_A_TIME])
            .order_by("child_key", "reported_at", "id")
            .only(*fields)
        ):
            facts[fact.child_key].append(fact)
        changed: list[EpisodeFact] = []
        for child in facts.values():
            derived = sequence_columns(
                [
                    (f.reported_at, f.reported_on, f.repeat, [getattr(f, d) for d in CUBE_DIMENSIONS])
                    for f in child
                ],
                episodes=n,
                days=days,
            )
            for fact, columns in zip(child, derived, strict=True):
                new = {**columns.as_fields(), "sampled": is_sampled(fact.episode_key)}
                if any(getattr(fact, name) != value for name, value in new.items()):
                    for name, value in new.items():
                        setattr(fact, name, value)
                    changed.append(fact)
                    months.add(fact.month)
        EpisodeFact.objects.bulk_update(changed, SEQUENCE_FIELDS, batch_size=500)
    return months


# --- Building the summaries


def summaries_rebuild(
    months: Iterable[datetime.date] | None = None, *, now: datetime.datetime | None = None
) -> int:
    """Rebuilds the summaries of these months (all when None) from the facts; returns the MonthCube rows written."""
    wanted = None if months is None else sorted(set(months))
    facts = EpisodeFact.objects.all()
    cubes = MonthCube.objects.all()
    counts = MonthlyCount.objects.all()
    if wanted is not None:
        if not wanted:
            return 0
        facts, cubes, counts = (
            facts.filter(month__in=wanted),
            cubes.filter(month__in=wanted),
            counts.filter(month__in=wanted),
        )
    written = 0
    with transaction.atomic():
        cubes.delete()
        counts.delete()
        batch: list[MonthCube] = []
        aggregates = {f"n_{name}": expression for name, expression in COUNTS.items()}
        for level, dimensions in (
            ("", CUBE_DIMENSIONS),
            *((lv, _level_dimensions(lv)) for lv in CUBE_LEVELS),
        ):
            grouped = facts.values("month", *dimensions).annotate(**aggregates).order_by()
            for row in grouped.iterator(chunk_size=_BATCH):
                batch.append(
                    MonthCube(level=level, **{name.removeprefix("n_"): value for name, value in row.items()})
                )
                if len(batch) >= _BATCH:
                    MonthCube.objects.bulk_create(batch)
                    written += len(batch)
                    batch = []
        MonthCube.objects.bulk_create(batch)
        written += len(batch)
        pending: list[MonthlyCount] = []
        for count in _monthly_counts(facts):
            pending.append(count)
            if len(pending) >= _BATCH:
                MonthlyCount.objects.bulk_create(pending)
                pending = []
        MonthlyCount.objects.bulk_create(pending)
        SummaryState.objects.update_or_create(
            pk=1, defaults={"built_at": now or timezone.now(), "facts": EpisodeFact.objects.count()}
        )
    return written


def _monthly_counts(facts: QuerySet[EpisodeFact]) -> Iterator[MonthlyCount]:
    repeat = facts.filter(repeat=True)
    windows = facts.filter(window_start_on__isnull=False)
    # (kind, facts, previous-date column, window-start column, the key's dimensions)
    groupings: list[tuple[str, QuerySet[EpisodeFact], str, str | None, tuple[str, ...]]] = [
        (MonthlyCount.CHILDREN, facts, "prev_reported_on", None, ()),
        (MonthlyCount.REPEAT_CHILDREN, repeat, "prev_repeat_on", None, ()),
        (MonthlyCount.WINDOW_CHILDREN, windows, "prev_window_on", "window_start_on", ()),
    ]
    for key in SEQUENCE_KEYS:
        groupings.append((children_kind(key), facts, key_column("same", key), None, key))
        groupings.append((repeat_kind(key), repeat, key_column("repeat_same", key), None, key))
        if len(key) == 1:
            groupings.append(
                (window_kind(key), windows, key_column("window_same", key), "window_start_on", key)
            )
    for kind, rows, before, start, key in groupings:
        grouped = rows.annotate(before_month=TruncMonth(before))
        keys = ["month", "before_month", *key]
        if start:
            grouped = grouped.annotate(from_month=TruncMonth(start))
            keys.append("from_month")
        for row in grouped.values(*keys).annotate(n=Count("id")).order_by().iterator(chunk_size=_BATCH):
            yield MonthlyCount(
                kind=kind,
                month=row["month"],
                before_month=row["before_month"],
                from_month=row.get("from_month"),
                label=row[key[0]] if key else "",
                label2=row[key[1]] if len(key) > 1 else "",
                n=row["n"],
            )


def children_kind(key: Sequence[str]) -> str:
    return f"{MonthlyCount.CHILDREN}:{key_name(key)}"


def repeat_kind(key: Sequence[str]) -> str:
    return f"{MonthlyCount.REPEAT_CHILDREN}:{key_name(key)}"


def window_kind(key: Sequence[str]) -> str:
    return f"{MonthlyCount.WINDOW_CHILDREN}:{key_name(key)}"


def _level_dimensions(level: str) -> tuple[str, ...]:
    return () if level == "total" else tuple(level.split(","))


def summaries_full_rebuild(*, now: datetime.datetime | None = None) -> int:
    """Every fact's sequence columns, then every month's summaries (after facts were written in bulk)."""
    sequence_refresh()
    return summaries_rebuild(now=now)


def summaries_ready() -> bool:
    return SummaryState.objects.filter(pk=1).exists()


def summaries_refresh(child_keys: Iterable[int] | None, months: Iterable[datetime.date]) -> None:
    """After the refresh wrote facts: their children's sequence columns, then the months touched. A full rebuild
    when facts went without the refresh knowing (an episode deleted, its fact with it), or when there were no
    summaries yet."""
    state = SummaryState.objects.filter(pk=1).first()
    if child_keys is None or state is None:
        summaries_full_rebuild()
        return
    touched = set(months) | sequence_refresh(child_keys)
    summaries_rebuild(touched)
    total = MonthCube.objects.filter(level="total").aggregate(n=Coalesce(Sum("episodes"), 0))["n"]
    if total != EpisodeFact.objects.count():
        summaries_full_rebuild()


# --- Reading a period from the summaries


@dataclass(frozen=True)
class Split:
    """A period cut into its whole months (read from the summaries) and the days either side (from the facts)."""

    filters: Filters
    first_month: datetime.date  # the first whole month
    last_month: datetime.date  # the last whole month

    @property
    def edges(self) -> Q:
        """The facts of the part months at either end."""
        head = Q(reported_on__gte=self.filters.since, reported_on__lt=self.first_month)
        tail = Q(reported_on__gt=_month_end(self.last_month), reported_on__lte=self.filters.until)
        return head | tail

    @property
    def whole(self) -> Q:
        return Q(month__gte=self.first_month, month__lte=self.last_month)


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def split(filters: Filters) -> Split | None:
    """The period's whole months, or None when it has none (or filters by school, which the summaries do not
    hold): then everything is read from the facts."""
    if filters.schools:
        return None
    first = month_start(filters.since)
    if first < filters.since:
        first = _month_end(first) + datetime.timedelta(days=1)
    last = month_start(filters.until)
    if _month_end(last) > filters.until:
        last = month_start(last - datetime.timedelta(days=1))
    if last < first:
        return None
    return Split(filters=filters, first_month=first, last_month=last)


def _dimensions(filters: Filters) -> dict[str, object]:
    return {k: v for k, v in filters.orm().items() if not k.startswith("reported_on")}


def _level_for(filters: Filters, group: Sequence[str]) -> str | None:
    """The MonthCube level that answers a grouping under these filters: the roll-up holding exactly the
    dimensions filtered and grouped by, else the full rows (""), else None (the summaries cannot answer)."""
    filtered = {lookup.removesuffix("__in") for lookup in _dimensions(filters)}
    wanted = filtered | {name for name in group if name != "month"}
    for level in CUBE_LEVELS:
        if set(_level_dimensions(level)) == wanted:
            return level
    return "" if wanted <= set(CUBE_DIMENSIONS) else None


def _whole_months(part: Split, level: str) -> QuerySet[MonthCube]:
    """The MonthCube rows of the period's whole months at a level, under the period's filters."""
    return MonthCube.objects.filter(part.whole, level=level, **_dimensions(part.filters))


def _grouped(
    rows: QuerySet[Any], group: Sequence[str], aggregates: dict[str, Any]
) -> Iterable[dict[str, Any]]:
    if not group:  # one row: values() with no fields would group by every row's id
        return [rows.aggregate(**aggregates)]
    return rows.values(*group).annotate(**aggregates).order_by()


def counts_by(
    filters: Filters,
    group: Sequence[str] = (),
    names: Sequence[str] = tuple(COUNTS),
    *,
    summaries: bool | None = None,
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Additive counts (COUNTS names) of the filtered facts grouped by these columns (e.g. ("council", "grade") or
    ("month",)): whole months from the MonthCube when the summaries are built, part months from the facts."""
    facts = EpisodeFact.objects.filter(**filters.orm())
    use = summaries_ready() if summaries is None else summaries
    part = split(filters) if use else None
    level = _level_for(filters, group) if part is not None else None
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))

    def add(rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            figures = out[tuple(row[name] for name in group)]
            for name in names:
                figures[name] += int(row[f"n_{name}"] or 0)

    if part is not None and level is not None:
        add(_grouped(_whole_months(part, level), group, {f"n_{name}": Sum(name) for name in names}))
        facts = facts.filter(part.edges)
    add(_grouped(facts, group, {f"n_{name}": COUNTS[name] for name in names}))
    return dict(out)


def counts_by_each(
    part: Split, dimensions: Sequence[str], names: Sequence[str]
) -> dict[str, dict[str, dict[str, int]]]:
    """`counts_by(part.filters, (d,), names)` for each dimension d (no filter, or one value of one dimension): each
    dimension's whole months from its roll-up, and the part months from one read of the facts for all of them."""
    out: dict[str, dict[str, dict[str, int]]] = {
        d: defaultdict(lambda: dict.fromkeys(names, 0)) for d in dimensions
    }
    for d in dimensions:
        level = _level_for(part.filters, (d,))
        if level is None:
            raise ValueError(f"The summaries hold no roll-up by {d} for these filters.")
        for row in _grouped(_whole_months(part, level), (d,), {f"n_{name}": Sum(name) for name in names}):
            for name in names:
                out[d][row[d]][name] += int(row[f"n_{name}"] or 0)
    for row in (
        EpisodeFact.objects.filter(part.edges, **part.filters.orm())
        .values(*dimensions)
        .annotate(**{f"n_{name}": COUNTS[name] for name in names})
        .order_by()
    ):
        for d in dimensions:
            for name in names:
                out[d][row[d]][name] += int(row[f"n_{name}"] or 0)
    return {d: dict(values) for d, values in out.items()}


# What makes a fact count for each kind of child, and the date that must be before the period for it to be the
# child's first such fact in the period.
_KINDS = {
    MonthlyCount.CHILDREN: (Q(), "prev_reported_on", None),
    MonthlyCount.REPEAT_CHILDREN: (Q(repeat=True), "prev_repeat_on", None),
    MonthlyCount.WINDOW_CHILDREN: (Q(window_start_on__isnull=False), "prev_window_on", "window_start_on"),
}


def _first_in_period(kind: str, since: datetime.date) -> Q:
    """Facts that are a child's first of this kind in a period starting `since` (given they are in it)."""
    counts, before, start = _KINDS[kind]
    q = counts & (Q(**{f"{before}__isnull": True}) | Q(**{f"{before}__lt": since}))
    if start:
        q &= Q(**{f"{start}__gte": since})
    return q


def children_counts(part: Split) -> dict[str, int]:
    """Distinct children (all, with the repeat flag, with N episodes in D days inside the period) for all councils
    together, exactly: each child counted at their first such fact in the period."""
    since = part.filters.since
    s0 = month_start(since)
    after_s0 = _month_end(s0) + datetime.timedelta(days=1)
    aligned = since == s0
    facts = EpisodeFact.objects.filter(reported_on__gte=since, reported_on__lte=part.filters.until)
    out: dict[str, int] = {}
    corrections: dict[str, Q] = {}
    for kind, (_, before, start) in _KINDS.items():
        # Whole months: decided by the month of the previous fact (and of the window's start), except where that
        # month is the part month the period starts in, which the facts decide to the day (below).
        sure = Q(before_month__isnull=True) | Q(before_month__lt=s0)
        if start:
            sure &= Q(from_month__gte=s0) if aligned else Q(from_month__gt=s0)
        out[kind] = int(
            MonthlyCount.objects.filter(sure, part.whole, kind=kind).aggregate(n=Coalesce(Sum("n"), 0))["n"]
        )
        in_s0 = Q(**{f"{before}__gte": s0, f"{before}__lt": after_s0})
        if start:
            in_s0 |= Q(**{f"{start}__gte": s0, f"{start}__lt": after_s0})
        corrections[kind] = in_s0
    # The part months at either end, all kinds in one read.
    edges = facts.filter(part.edges).aggregate(
        **{kind: Count("id", filter=_first_in_period(kind, since)) for kind in _KINDS}
    )
    for kind in _KINDS:
        out[kind] += edges[kind]
    if not aligned:
        either = Q()
        for in_s0 in corrections.values():
            either |= in_s0
        exact = (
            facts.filter(part.whole)
            .filter(either)
            .aggregate(
                **{
                    kind: Count("id", filter=corrections[kind] & _first_in_period(kind, since))
                    for kind in _KINDS
                }
            )
        )
        for kind in _KINDS:
            out[kind] += exact[kind]
    return out


def monthly_children(
    part: Split, *, where: tuple[str, str] | None = None
) -> dict[datetime.date, tuple[int, int, int]]:
    """For each whole month: episodes, distinct children and children with the repeat flag (a child counts in a
    month at their first fact of the month: the previous one is in an earlier month), for all councils together
    or, with `where` (dimension, value), among the facts with that one value."""
    first_in_month = Q(before_month__isnull=True) | Q(before_month__lt=F("month"))
    kinds = (MonthlyCount.CHILDREN, MonthlyCount.REPEAT_CHILDREN)
    counts = MonthlyCount.objects.filter(part.whole)
    if where:
        kinds = (children_kind((where[0],)), repeat_kind((where[0],)))
        counts = counts.filter(label=where[1])
    out: dict[datetime.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in (
        counts.filter(kind__in=kinds)
        .values("month", "kind")
        .annotate(all=Sum("n"), first=Sum("n", filter=first_in_month))
        .order_by()
    ):
        figures = out[row["month"]]
        if row["kind"] == kinds[0]:
            figures[0], figures[1] = row["all"], row["first"] or 0
        else:
            figures[2] = row["first"] or 0
    return {month: (a, b, c) for month, (a, b, c) in out.items()}


@dataclass(frozen=True)
class _Target:
    """How children by one dimension are read: its key (the dimension, or the pair with the filtered one), which
    MonthlyCount label holds its value, and which holds the filtered value."""

    dimension: str
    key: tuple[str, ...]
    value_label: str
    where_label: str | None

    @property
    def windows(self) -> bool:
        return len(self.key) == 1

    def columns(self) -> list[str]:
        kinds = ("same", "repeat_same", "window_same") if self.windows else ("same", "repeat_same")
        return [key_column(kind, self.key) for kind in kinds]


def _target(dimension: str, where: tuple[str, str] | None) -> _Target:
    if where is None or where[0] == dimension:
        return _Target(dimension, (dimension,), "label", "label" if where else None)
    first, second = sorted((where[0], dimension), key=CUBE_DIMENSIONS.index)
    return _Target(
        dimension,
        (first, second),
        "label" if dimension == first else "label2",
        "label" if where[0] == first else "label2",
    )


def children_by(
    part: Split, dimensions: Sequence[str], *, where: tuple[str, str] | None = None
) -> dict[str, dict[str, tuple[int, int, int]]]:
    """For each dimension, for each of its values: distinct children, children with the repeat flag, and children
    with N episodes in D days inside the period, for all councils together or, with `where` (dimension, value),
    among the facts with that one value (then by pair of dimensions, and without the windows: 0).

    From W1, the period's first whole month, a child counts at their first such fact with that value (the previous
    one with the same value is before W1, or for windows the previous window with that value started before W1):
    whole months from the summaries, the part month at the end from the facts. Before W1 (a period starting
    mid-month), the children of those days are read back with their facts in the period, and those not counted
    from W1 with the same value are added."""
    since, until, w1 = part.filters.since, part.filters.until, part.first_month
    targets = [_target(d, where) for d in dimensions]
    out: dict[str, dict[str, list[int]]] = {d: defaultdict(lambda: [0, 0, 0]) for d in dimensions}
    facts = EpisodeFact.objects.filter(**({where[0]: where[1]} if where else {}))
    for target in targets:
        kinds = {children_kind(target.key): 0, repeat_kind(target.key): 1}
        if target.windows:
            kinds[window_kind(target.key)] = 2
        counts = MonthlyCount.objects.filter(part.whole, kind__in=list(kinds)).filter(
            Q(before_month__isnull=True) | Q(before_month__lt=w1),
            Q(from_month__isnull=True) | Q(from_month__gte=w1),
        )
        if where and target.where_label:
            counts = counts.filter(**{target.where_label: where[1]})
        for kind, label, n in (
            counts.values("kind", target.value_label)
            .annotate(n=Sum("n"))
            .order_by()
            .values_list("kind", target.value_label, "n")
        ):
            out[target.dimension][label][kinds[kind]] += n
        first = [Q(**{f"{c}__isnull": True}) | Q(**{f"{c}__lt": w1}) for c in target.columns()]
        counted = {
            "c": Count("id", filter=first[0]),
            "r": Count("id", filter=Q(repeat=True) & first[1]),
        }
        if target.windows:
            counted["w"] = Count("id", filter=Q(window_start_on__gte=w1) & first[2])
        tail = facts.filter(reported_on__gt=_month_end(part.last_month), reported_on__lte=until)
        for row in tail.values(target.dimension).annotate(**counted).order_by():
            figures = out[target.dimension][row[target.dimension]]
            for i, name in enumerate(("c", "r", "w")):
                figures[i] += row.get(name, 0)
    if since < w1:
        _add_children_before(out, targets, facts, since, until, w1)
    if where:  # the filtered dimension's own table has the one value
        for target in targets:
            if target.dimension == where[0]:
                out[target.dimension] = defaultdict(
                    lambda: [0, 0, 0], {where[1]: out[target.dimension][where[1]]}
                )
    return {d: {label: (a, b, c) for label, (a, b, c) in values.items()} for d, values in out.items()}


def _add_children_before(
    out: dict[str, dict[str, list[int]]],
    targets: list[_Target],
    facts: QuerySet[EpisodeFact],
    since: datetime.date,
    until: datetime.date,
    w1: datetime.date,
) -> None:
    """The children of the days before W1 not already counted from W1 with the same value (see children_by).

    A (child, value) pair seen before W1 is counted from W1 too exactly when the child's first fact from W1 with
    that value (flagged fact; window starting from W1) has its previous one on or after `since`: so only the
    facts before W1 and those first facts are read back."""
    dimensions = [t.dimension for t in targets]
    previous = [c for t in targets for c in t.columns()]
    first_from_w1 = Q()
    for name in previous:
        first_from_w1 |= Q(**{f"{name}__gte": since, f"{name}__lt": w1})
    # The keys first (a few thousand): given as a list, PostgreSQL looks each child up in the (child, time) index
    # rather than scanning the table to join it.
    early = sorted(
        set(facts.filter(reported_on__gte=since, reported_on__lt=w1).values_list("child_key", flat=True))
    )
    rows: list[tuple[Any, ...]] = list(
        facts.filter(child_key__in=early, reported_on__gte=since, reported_on__lte=until)
        .filter(Q(reported_on__lt=w1) | Q(window_start_on__gte=since, window_start_on__lt=w1) | first_from_w1)
        .order_by()
        .values_list("child_key", "reported_on", "repeat", "window_start_on", *dimensions, *previous)
    )
    before = [r for r in rows if r[1] < w1]
    later = [r for r in rows if r[1] >= w1]

    def inside(day: datetime.date | None) -> bool:
        return day is not None and since <= day < w1

    column = 4 + len(dimensions)
    for j, target in enumerate(targets):
        v = 4 + j
        same, repeat_same = column, column + 1
        seen = [{(r[0], r[v]) for r in before}, {(r[0], r[v]) for r in before if r[2]}]
        counted = [
            {(r[0], r[v]) for r in later if inside(r[same])},
            {(r[0], r[v]) for r in later if r[2] and inside(r[repeat_same])},
        ]
        if target.windows:
            window_same = column + 2
            seen.append({(r[0], r[v]) for r in rows if inside(r[3])})
            counted.append(
                {(r[0], r[v]) for r in later if r[3] is not None and r[3] >= w1 and inside(r[window_same])}
            )
        column += len(target.columns())
        for i in range(len(seen)):
            for _child, value in seen[i] - counted[i]:
                out[target.dimension][value][i] += 1
