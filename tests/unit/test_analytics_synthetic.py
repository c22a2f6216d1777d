"""The synthetic national analytics store the benchmark loads (hafan.analytics.synthetic)."""

from __future__ import annotations

import datetime
import zoneinfo

import numpy as np
import pytest

from hafan.analytics.filters import AGE_BANDS, age_band
from hafan.analytics.synthetic import COLUMNS, COUNCILS, age_bands, episode_fact_chunks, month_weights

END = datetime.date(2026, 11, 26)


def _all(episodes: int, **kwargs: object) -> dict[str, np.ndarray]:
    chunks = list(episode_fact_chunks(episodes, end=END, **kwargs))  # type: ignore[arg-type]
    return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in COLUMNS}


@pytest.fixture(scope="module")
def facts() -> dict[str, np.ndarray]:
    return _all(60_000, chunk_size=20_000, years=10)


def test_exact_size_in_chunks_with_unique_keys() -> None:
    chunks = list(episode_fact_chunks(25_001, end=END, chunk_size=10_000))
    assert [len(chunk["episode_key"]) for chunk in chunks] == [10_000, 10_000, 5_001]
    assert all(set(chunk) == set(COLUMNS) for chunk in chunks)
    keys = np.concatenate([chunk["episode_key"] for chunk in chunks])
    assert len(np.unique(keys)) == 25_001
    # A child's episodes are all in one chunk: no child key in two chunks.
    children = [set(chunk["child_key"].tolist()) for chunk in chunks]
    assert not children[0] & children[1] and not children[1] & children[2]


def test_deterministic_from_the_seed() -> None:
    a, b, c = _all(3_000, seed=1), _all(3_000, seed=1), _all(3_000, seed=2)
    for name in ("reported_at", "council", "grade", "prior_episodes_365", "hours_to_debrief"):
        assert np.array_equal(a[name], b[name], equal_nan=name == "hours_to_debrief")
    assert not np.array_equal(a["reported_at"], c["reported_at"])


def test_zero_episodes_and_bad_arguments() -> None:
    assert list(episode_fact_chunks(0, end=END)) == []
    with pytest.raises(ValueError):
        list(episode_fact_chunks(10, end=END, chunk_size=0))


def test_period_dates_and_local_days(facts: dict[str, np.ndarray]) -> None:
    reported = facts["reported_at"]
    assert reported.min() >= np.datetime64("2016-10-31T23:00")
    assert reported.max() < np.datetime64("2026-11-27T00:00")
    london = zoneinfo.ZoneInfo("Europe/London")
    sample = np.random.default_rng(0).choice(len(reported), 500, replace=False)
    for i in sample:
        at = reported[i].astype(datetime.datetime).replace(tzinfo=datetime.UTC)
        local_day = at.astimezone(london).date()
        # The synthetic clock change is at 02:00 local rather than 01:00 UTC: allow the odd hour either side.
        assert abs((local_day - facts["reported_on"][i].astype(datetime.date)).days) <= 1
    assert np.all(facts["month"] == facts["reported_on"].astype("datetime64[M]").astype("datetime64[D]"))


def test_heavy_tail_of_repeat_children(facts: dict[str, np.ndarray]) -> None:
    _, per_child = np.unique(facts["child_key"], return_counts=True)
    assert 0.5 < (per_child == 1).mean() < 0.8  # most children go missing once
    assert (per_child >= 10).sum() > 50  # some ten times or more
    assert per_child.max() >= 30


def test_prior_episodes_follow_each_childs_history(facts: dict[str, np.ndarray]) -> None:
    order = np.lexsort((facts["reported_at"], facts["child_key"]))
    child, at, prior = (
        facts["child_key"][order],
        facts["reported_at"][order],
        facts["prior_episodes_365"][order],
    )
    first = np.r_[True, child[1:] != child[:-1]]
    later = ~first
    # A later episode of a child has at least the earlier one within a year when it is that close.
    gap = (at[1:] - at[:-1]) / np.timedelta64(1, "D")
    close = later[1:] & (gap < 364)
    assert np.all(prior[1:][close] >= 1)
    # And prior counts only grow by one at most from one episode to the next of the same child.
    assert np.all(prior[1:][later[1:]] <= prior[:-1][later[1:]] + 1)
    # A child's first episode in the window can have a history from before it (the burn-in), but most don't.
    assert (prior[first] == 0).mean() > 0.7


def test_repeat_flag_matches_the_rule(facts: dict[str, np.ndarray]) -> None:
    # With 3 in 90 days, a repeat episode has at least two earlier ones within the year.
    assert np.all(facts["prior_episodes_365"][facts["repeat"]] >= 2)
    assert 0.1 < facts["repeat"].mean() < 0.7


def test_shares_look_national(facts: dict[str, np.ndarray]) -> None:
    assert set(facts["council"]) <= set(COUNCILS) and len(set(facts["council"])) == 22
    looked_after = (facts["care_status"] == "looked_after").mean()
    assert 0.35 < looked_after < 0.65
    ages = facts["age_years"]
    assert ((ages >= 11) & (ages <= 17)).mean() > 0.75
    assert set(facts["age_band"]) <= set(AGE_BANDS)
    # Looked-after children go missing from care or are away from placement; others go missing from home.
    care = facts["care_status"] == "looked_after"
    assert set(facts["category"][care]) == {"missing_from_care", "away_from_placement"}
    assert set(facts["category"][~care]) == {"missing_from_home"}
    assert set(facts["placement_type"][~care]) == {""}
    assert set(facts["grade"]) == {"", "very_low", "low", "medium", "high"}


def test_durations_and_debriefs(facts: dict[str, np.ndarray]) -> None:
    hours = facts["duration_hours"]
    returned = ~np.isnat(facts["returned_at"])
    assert np.array_equal(returned, ~np.isnan(hours))
    assert 4 < np.nanmedian(hours) < 20 and np.nanmax(hours) > 100  # log-normal: long right tail
    offered, held, in_time = facts["debrief_offered"], facts["debrief_held"], facts["debrief_held_in_time"]
    assert np.all(offered[held]) and np.all(held[in_time])
    assert 0.7 < offered.mean() < 0.95
    assert 0.4 < held.sum() / offered.sum() < 0.8
    assert np.all(facts["hours_to_debrief"][in_time] <= 72)
    assert np.all(np.isnan(facts["hours_to_debrief"][~held]))
    assert set(facts["debrief_status"][held]) == {"held"}


def test_summer_has_more_episodes_than_winter(facts: dict[str, np.ndarray]) -> None:
    calendar_month = facts["month"].astype("datetime64[M]").astype(int) % 12
    summer = np.isin(calendar_month, [5, 6, 7]).sum()
    winter = np.isin(calendar_month, [11, 0, 1]).sum()
    assert summer > 1.08 * winter


def test_month_weights_trend_season_and_step() -> None:
    weights = month_weights(120, first_calendar_month=0, launch_month=60)
    assert weights.sum() == pytest.approx(1)
    assert weights[6] > weights[0]  # July above January
    assert weights[60] < weights[59] * 0.95  # the launch's step down
    assert weights[48] > weights[0]  # the upward trend (same calendar month, four years on)


@pytest.mark.parametrize("age", [None, 0, 10, 11, 13, 14, 15, 16, 17, 18, 25])
def test_age_bands_match_the_filters(age: int | None) -> None:
    if age is None:
        return
    assert age_bands(np.array([age]))[0] == age_band(age)
