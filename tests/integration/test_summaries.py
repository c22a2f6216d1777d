"""The analytics store's monthly summaries (issue 8, national scale): every measure read through them equals the
same measure read from the facts alone, for any period and filters; the sequence columns they rest on follow the
rule by hand, in the refresh and in the benchmark's generator; the refresh keeps them current."""

from __future__ import annotations

import dataclasses
import datetime
import random
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hafan.analytics import refresh
from hafan.analytics.filters import Filters
from hafan.analytics.measures import breakdown, breakdowns, measures_for, percentile, trend
from hafan.analytics.models import CUBE_DIMENSIONS, EpisodeFact, MonthCube, MonthlyCount
from hafan.analytics.refresh import analytics_refresh, episode_facts_refresh
from hafan.analytics.summaries import (
    SAMPLE_EVERY,
    SEQUENCE_KEYS,
    counts_by,
    sequence_columns,
    sequence_refresh,
    summaries_full_rebuild,
    summaries_ready,
)
from hafan.analytics.synthetic import SAMPLE_EVERY as SYNTHETIC_SAMPLE_EVERY
from hafan.analytics.synthetic import SEQUENCE_DIMENSIONS, episode_fact_chunks
from hafan.analytics.synthetic import SEQUENCE_KEYS as SYNTHETIC_SEQUENCE_KEYS
from hafan.episodes.services import episode_record_return
from hafan.people.services import PersonDetails

D = datetime.date


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


def test_the_sequence_columns_by_hand() -> None:
    days = [D(2026, 1, 1), D(2026, 1, 10), D(2026, 1, 25), D(2026, 3, 1), D(2026, 3, 5), D(2026, 3, 6)]
    repeat = [False, False, True, False, False, True]
    councils = ["NCC", "TCBC", "NCC", "NCC", "TCBC", "TCBC"]
    got = sequence_columns(
        [
            (_at(d), d, r, [c, "none", "14-15", "female", "high", "home"])
            for d, r, c in zip(days, repeat, councils, strict=True)
        ],
        episodes=3,
        days=30,
    )
    assert [c.prev_reported_on for c in got] == [None, *days[:-1]]
    assert [c.prev_repeat_on for c in got] == [
        None,
        None,
        None,
        D(2026, 1, 25),
        D(2026, 1, 25),
        D(2026, 1, 25),
    ]
    # Windows of 3 reports within 30 days: 1-25 Jan, then 1-6 Mar (25 Jan - 5 Mar is 39 days).
    assert [c.window_start_on for c in got] == [None, None, D(2026, 1, 1), None, None, D(2026, 3, 1)]
    assert [c.prev_window_on for c in got] == [None, None, None, D(2026, 1, 1), D(2026, 1, 1), D(2026, 1, 1)]
    # By council: Newport's previous Newport report, Torfaen's previous Torfaen report.
    assert [c.prev_same["council"] for c in got] == [
        None,
        None,
        D(2026, 1, 1),
        D(2026, 1, 25),
        D(2026, 1, 10),
        D(2026, 3, 5),
    ]
    assert [c.prev_repeat_same["council"] for c in got] == [None, None, None, D(2026, 1, 25), None, None]
    assert [c.prev_same["sex"] for c in got] == [c.prev_reported_on for c in got]  # always the same value
    # Pairs: every report here is graded high, so council and grade together follow the council.
    assert [c.prev_same["council,grade"] for c in got] == [c.prev_same["council"] for c in got]
    assert [c.prev_repeat_same["council,grade"] for c in got] == [c.prev_repeat_same["council"] for c in got]
    # The window ending 25 Jan (Newport) is the previous Newport window for 1 Mar; Torfaen's first ends 6 Mar.
    assert [c.prev_window_same["council"] for c in got] == [None, None, None, D(2026, 1, 1), None, None]


def test_the_generator_works_the_sequence_columns_out_by_the_same_rule() -> None:
    assert SYNTHETIC_SAMPLE_EVERY == SAMPLE_EVERY
    assert SEQUENCE_DIMENSIONS == CUBE_DIMENSIONS
    assert SYNTHETIC_SEQUENCE_KEYS == SEQUENCE_KEYS
    (chunk,) = list(episode_fact_chunks(3000, end=D(2026, 11, 26), chunk_size=3000, repeat_episodes=3))
    by_child: dict[int, list[int]] = defaultdict(list)
    for i, child in enumerate(chunk["child_key"]):
        by_child[int(child)].append(i)
    checked = 0
    for rows in by_child.values():
        facts = [
            (
                chunk["reported_at"][i].astype("datetime64[s]").astype(datetime.datetime),
                chunk["reported_on"][i].astype(datetime.date),
                bool(chunk["repeat"][i]),
                [str(chunk[name][i]) for name in CUBE_DIMENSIONS],
            )
            for i in rows
        ]
        assert [f[0] for f in facts] == sorted(f[0] for f in facts)
        expected = sequence_columns(facts, episodes=3, days=90)
        for i, columns in zip(rows, expected, strict=True):
            for name, wanted in columns.as_fields().items():
                value = chunk[name][i]
                assert (None if np.isnat(value) else value.astype(datetime.date)) == wanted, name
            checked += 1
    assert checked == 3000
    assert int(chunk["window_start_on"].size - np.isnat(chunk["window_start_on"]).sum()) > 50
    assert int(chunk["prev_same_grade_on"].size - np.isnat(chunk["prev_same_grade_on"]).sum()) > 50
    assert (
        int(chunk["prev_window_same_council_on"].size - np.isnat(chunk["prev_window_same_council_on"]).sum())
        > 10
    )
    assert chunk["sampled"].sum() == pytest.approx(3000 / SAMPLE_EVERY, abs=2)


# --- Summaries against facts


COUNCILS = ("NCC", "TCBC", "CCBC")
FIRST = D(2025, 9, 1)


def _random_facts(seed: int = 8, children: int = 70) -> list[EpisodeFact]:
    """Facts over ten months in three councils, children with up to nine episodes close together."""
    rng = random.Random(seed)
    now = timezone.now()
    out, key = [], 0
    for child in range(1, children + 1):
        day = FIRST + datetime.timedelta(days=rng.randrange(0, 290))
        for _ in range(rng.choice([1, 1, 1, 2, 3, 5, 9])):
            if day > D(2026, 6, 30):
                break
            key += 1
            at = _at(day, rng.randrange(0, 24))
            hours = rng.choice([None, 2.0, 7.5, 30.0, 80.0, rng.uniform(1, 200)])
            council = rng.choice(COUNCILS)
            found_council = "" if hours is None else rng.choice([council, council, "MCC", ""])
            status = rng.choice(["", "not_offered", "offered", "accepted", "declined", "held"])
            out.append(
                EpisodeFact(
                    episode_key=key,
                    child_key=child,
                    reported_at=at,
                    reported_on=day,
                    month=day.replace(day=1),
                    returned_at=at + datetime.timedelta(hours=hours) if hours is not None else None,
                    duration_hours=hours,
                    category="missing_from_home",
                    council=council,
                    placement_type=rng.choice(["home", "foster_care"]),
                    care_status=rng.choice(["looked_after", "none"]),
                    sex=rng.choice(["female", "male"]),
                    age_band=rng.choice(["11-13", "14-15"]),
                    grade=rng.choice(["low", "medium", "high"]),
                    found_by="" if hours is None else rng.choice(["police", "self", "carer", ""]),
                    found_council=found_council,
                    harm=None if hours is None else rng.random() < 0.2,
                    repeat=rng.random() < 0.4,
                    plan_in_force=rng.random() < 0.2,
                    debrief_status=status,
                    debrief_offered=status in ("offered", "accepted", "declined", "held"),
                    debrief_held=status == "held",
                    debrief_held_in_time=status == "held" and rng.random() < 0.6,
                    hours_to_debrief=rng.uniform(5, 120) if status == "held" else None,
                    info_answer_minutes=rng.choice([None, rng.uniform(5, 90)]),
                    referrals=rng.choice([0, 0, 1, 2]),
                    refreshed_at=now,
                )
            )
            day += datetime.timedelta(days=rng.choice([0, 1, 4, 12, 25, 40, 70]))
    return out


@pytest.fixture
def store(db: Any, settings: Any) -> None:
    settings.HAFAN_REPEAT_MISSING_EPISODES = 3
    settings.HAFAN_REPEAT_MISSING_DAYS = 30
    EpisodeFact.objects.bulk_create(_random_facts())
    summaries_full_rebuild()


def _figures(filters: Filters, *, summaries: bool) -> dict[str, Any]:
    figures = dataclasses.asdict(measures_for(filters, summaries=summaries))
    figures.pop("filters")
    return figures


periods = st.tuples(st.integers(0, 320), st.integers(0, 320)).map(
    lambda days: tuple(FIRST - datetime.timedelta(days=10) + datetime.timedelta(days=d) for d in sorted(days))
)
dimensions = st.fixed_dictionaries(
    {},
    optional={
        "councils": st.sets(st.sampled_from(COUNCILS), min_size=1).map(lambda s: tuple(sorted(s))),
        "care_statuses": st.just(("looked_after",)),
        "grades": st.sets(st.sampled_from(["low", "medium", "high"]), min_size=1).map(
            lambda s: tuple(sorted(s))
        ),
        "sexes": st.just(("female",)),
    },
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(period=periods, chosen=dimensions)
def test_the_summaries_give_the_same_figures_as_the_facts(
    store: None, period: tuple[datetime.date, datetime.date], chosen: dict[str, tuple[str, ...]]
) -> None:
    filters = Filters(since=period[0], until=period[1], **chosen)
    assert _figures(filters, summaries=True) == _figures(filters, summaries=False)
    assert trend(filters, summaries=True) == trend(filters, summaries=False)
    bys = ("council", "grade", "care_status", "sex")
    together = breakdowns(filters, bys, summaries=True)
    for by in bys:
        assert (
            together[by] == breakdown(filters, by, summaries=True) == breakdown(filters, by, summaries=False)
        )
    for group in (("council", "grade"), ("age_band", "sex"), ("month",)):
        assert counts_by(filters, group, summaries=True) == counts_by(filters, group, summaries=False)


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (D(2025, 9, 1), D(2026, 6, 30)),  # whole months only
        (D(2025, 9, 17), D(2026, 6, 30)),  # starts in a part month
        (D(2025, 10, 3), D(2026, 2, 11)),  # both ends part months
        (D(2026, 1, 31), D(2026, 3, 1)),  # a day either side of one whole month
    ],
)
def test_children_for_all_councils_are_counted_from_the_summaries_exactly(
    store: None, since: datetime.date, until: datetime.date
) -> None:
    filters = Filters(since=since, until=until)
    through = measures_for(filters, summaries=True)
    rows = EpisodeFact.objects.filter(reported_on__gte=since, reported_on__lte=until)
    assert through.children == len(set(rows.values_list("child_key", flat=True))) > 0
    assert through.repeat_children == len(set(rows.filter(repeat=True).values_list("child_key", flat=True)))
    # Windows entirely inside the period, worked out from the raw report times here.
    times: dict[int, list[datetime.datetime]] = defaultdict(list)
    for child, at in EpisodeFact.objects.order_by("reported_at").values_list("child_key", "reported_at"):
        times[child].append(at)
    inside = {
        child
        for child, ats in times.items()
        for i in range(len(ats) - 2)
        if ats[i + 2] - ats[i] <= datetime.timedelta(days=30)
        and since <= ats[i].date()
        and ats[i + 2].date() <= until
    }
    assert through.repeat_children_in_period == len(inside)


def test_medians_over_very_many_episodes_are_estimated_from_the_sample(store: None, settings: Any) -> None:
    filters = Filters(since=D(2025, 9, 1), until=D(2026, 6, 30))
    exact = measures_for(filters)
    assert exact.medians_sampled_one_in == 0
    durations = list(
        EpisodeFact.objects.filter(duration_hours__isnull=False).values_list("duration_hours", flat=True)
    )
    assert exact.duration_median_hours == pytest.approx(percentile(durations, 0.5))

    settings.HAFAN_ANALYTICS_EXACT_MEDIANS_UP_TO = 10
    estimated = measures_for(filters)
    assert estimated.medians_sampled_one_in == SAMPLE_EVERY
    sampled = [
        v
        for key, v in EpisodeFact.objects.filter(duration_hours__isnull=False).values_list(
            "episode_key", "duration_hours"
        )
        if key % SAMPLE_EVERY == 0
    ]
    assert sampled and estimated.duration_median_hours == pytest.approx(percentile(sampled, 0.5))
    assert estimated.episodes == exact.episodes  # the counts are never estimated


def test_without_summaries_everything_comes_from_the_facts(db: Any) -> None:
    EpisodeFact.objects.bulk_create(_random_facts(children=10))
    sequence_refresh()
    assert not summaries_ready() and not MonthCube.objects.exists()
    assert (
        measures_for(Filters(since=D(2025, 9, 1), until=D(2026, 6, 30))).episodes
        == EpisodeFact.objects.count()
    )


# --- The refresh keeps them current


def _summaries() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    cube = sorted(tuple(row.values()) for row in MonthCube.objects.values().order_by())
    counts = sorted(
        (r["kind"], r["month"], r["label"], r["from_month"], r["before_month"], r["n"])
        for r in MonthlyCount.objects.values()
    )
    return [row[1:] for row in cube], counts


def _rebuilt() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    summaries_full_rebuild()
    return _summaries()


def test_the_refresh_keeps_the_summaries_as_a_full_rebuild_would(
    report_missing: Any,
    coordinator: Any,
    partnership: dict[str, Any],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.HAFAN_REPEAT_MISSING_EPISODES = 2
    settings.HAFAN_REPEAT_MISSING_DAYS = 30
    monkeypatch.setattr(refresh, "OVERLAP", datetime.timedelta(0))
    now = timezone.now()
    cerys = PersonDetails(given_name="Cerys", family_name="Jones", date_of_birth=D(2011, 3, 4), sex="female")
    first = report_missing(
        child_details=cerys,
        reported_at=now - datetime.timedelta(days=40),
        last_seen_at=now - datetime.timedelta(days=40, hours=1),
    )
    episode_record_return(
        episode=first,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(days=39),
        found_where="Newport bus station",
        found_by="police",
        harm_suffered=False,
        harm_details="",
        found_council=partnership["NCC"],
    )
    episode_facts_refresh()
    assert summaries_ready()
    assert _summaries() == _rebuilt()
    assert MonthCube.objects.filter(month=first.reported_at.date().replace(day=1)).exists()

    # A second report of the same child: the first's window and the children counts of its month change.
    second = report_missing(
        child_details=cerys,
        reported_at=now - datetime.timedelta(days=20),
        last_seen_at=now - datetime.timedelta(days=20, hours=1),
    )
    assert second.child_id == first.child_id
    analytics_refresh()
    after = _summaries()
    assert after == _rebuilt()
    fact = EpisodeFact.objects.get(episode_key=second.pk)
    assert fact.prev_reported_on == timezone.localdate(first.reported_at)

    # A fact gone without the refresh seeing it (as when an episode is erased and its fact cascades): the next
    # refresh notices the summaries no longer add up and rebuilds them.
    EpisodeFact.objects.filter(episode_key=second.pk).delete()
    analytics_refresh()
    assert _summaries() == _rebuilt()
    assert sum(row.episodes for row in MonthCube.objects.filter(level="")) == EpisodeFact.objects.count() == 1
    assert sum(row.episodes for row in MonthCube.objects.filter(level="total")) == 1


@pytest.mark.parametrize(
    "chosen",
    [
        {"care_statuses": ("looked_after",)},
        {"councils": ("TCBC",)},
        {"grades": ("high",)},
        {"sexes": ("female",)},
    ],
)
@pytest.mark.parametrize(
    ("since", "until"), [(D(2025, 9, 1), D(2026, 6, 30)), (D(2025, 10, 9), D(2026, 5, 17))]
)
def test_breakdowns_of_one_filtered_value_are_counted_by_pair_exactly(
    store: None, chosen: dict[str, tuple[str, ...]], since: datetime.date, until: datetime.date
) -> None:
    filters = Filters(since=since, until=until, **chosen)
    bys = ("council", "care_status", "age_band", "sex", "grade", "placement_type")
    through = breakdowns(filters, bys, summaries=True)
    assert through == {by: breakdown(filters, by, summaries=False) for by in bys}
    assert sum(row.children for row in through["council"]) > 0
