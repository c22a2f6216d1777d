"""The impact statistics on synthetic data with known answers (seeded generators, no database)."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from hafan.analytics import impact

FOLLOW_UP = 180


def _utc(year: int, month: int, day: int) -> datetime.datetime:
    """The statistics take naive UTC times (the selectors convert)."""
    return datetime.datetime(year, month, day, tzinfo=datetime.UTC).replace(tzinfo=None)


START = _utc(2024, 1, 1)


def _children(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Children with a latent rate of going missing (episodes a year) and their history in the year before t,
    split into the follow-up-length window just before t and the rest of the year."""
    rate = rng.gamma(shape=1.2, scale=2.5, size=n)
    before = rng.poisson(rate * FOLLOW_UP / 365)
    rest = rng.poisson(rate * (365 - FOLLOW_UP) / 365)
    return pd.DataFrame(
        {
            "council": rng.choice(["NCC", "CCBC", "TCBC"], size=n),
            "care_status": rng.choice(["looked_after", "none"], size=n),
            "age_band": rng.choice(["14-15", "16-17"], size=n),
            "t": [START + datetime.timedelta(days=int(d)) for d in rng.integers(0, 365, size=n)],
            "rate": rate,
            "before": before,
            "prior": before + rest,
        }
    )


def _scenario(seed: int, effect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Children are picked for the intervention after a run of recent episodes (the more in the window just
    before, the likelier); afterwards each child's episodes follow their own rate, times `effect` if treated."""
    rng = np.random.default_rng(seed)
    children = _children(rng, 12000)
    chance = np.clip(0.04 * children["before"].to_numpy(), 0, 0.6)
    picked = rng.random(len(children)) < chance
    multiplier = np.where(picked, effect, 1.0)
    children["outcome"] = rng.poisson(children["rate"].to_numpy() * FOLLOW_UP / 365 * multiplier)
    columns = ["council", "care_status", "age_band", "t", "prior", "before", "outcome"]
    return children[picked][columns], children[~picked][columns]


def test_a_planted_effect_is_recovered_within_its_interval() -> None:
    treated, controls = _scenario(seed=1, effect=0.6)
    result = impact.matched_comparison(treated, controls, follow_up_days=FOLLOW_UP, caliper=0)
    assert result.rate_ratio is not None and result.difference is not None
    assert result.rate_ratio.low <= 0.6 <= result.rate_ratio.high
    assert result.rate_ratio.high < 1
    assert result.difference.high < 0
    assert result.verdict == "fewer"
    assert result.n_matched > 500
    assert abs(result.smd_after or 0) < 0.05 < abs(result.smd_before or 0)


def test_regression_to_the_mean_alone_is_not_reported_as_an_effect() -> None:
    treated, controls = _scenario(seed=2, effect=1.0)
    result = impact.matched_comparison(treated, controls, follow_up_days=FOLLOW_UP, caliper=0)
    assert result.difference is not None
    assert result.difference.low <= 0 <= result.difference.high
    assert result.verdict == "no_clear_difference"
    # The scenario does have regression to the mean: a naive before/after shows a big fall.
    assert result.naive_change < -0.5
    assert result.naive_after < 0.8 * result.naive_before  # a fall of over a fifth


def test_the_bootstrap_is_reproducible() -> None:
    treated, controls = _scenario(seed=3, effect=0.8)
    first = impact.matched_comparison(treated, controls, follow_up_days=FOLLOW_UP)
    second = impact.matched_comparison(treated, controls, follow_up_days=FOLLOW_UP)
    assert first.difference == second.difference


def test_too_few_matched_children_give_no_estimate() -> None:
    treated, controls = _scenario(seed=4, effect=0.6)
    result = impact.matched_comparison(treated.head(5), controls, follow_up_days=FOLLOW_UP)
    assert result.difference is None and result.verdict == "too_few"


def test_the_caliper_and_the_strata_limit_the_matches() -> None:
    row = {
        "council": "NCC",
        "care_status": "none",
        "age_band": "14-15",
        "t": START,
        "before": 0,
        "outcome": 0,
    }
    treated = pd.DataFrame([{**row, "prior": 6}, {**row, "prior": 2, "council": "CCBC"}])
    controls = pd.DataFrame([{**row, "prior": 2}, {**row, "prior": 4}])
    result = impact.matched_comparison(treated, controls, follow_up_days=FOLLOW_UP, caliper=1)
    assert result.n_matched == 0
    result = impact.matched_comparison(treated, controls, follow_up_days=FOLLOW_UP, caliper=2)
    assert result.n_matched == 1 and result.n_controls_used == 1


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (-0.5, -0.1, "fewer"),
        (0.1, 0.4, "more"),
        (-0.2, 0.3, "no_clear_difference"),
        (-0.2, 0.0, "no_clear_difference"),
    ],
)
def test_the_verdict_follows_the_interval(low: float, high: float, verdict: str) -> None:
    assert impact.verdict_for(impact.Interval((low + high) / 2, low, high)) == verdict


def test_index_points_count_prior_and_follow_up_episodes() -> None:
    day = datetime.timedelta(days=1)
    at = _utc(2024, 3, 1)
    dims = {"council": "NCC", "care_status": "none", "age_band": "14-15"}
    episodes = pd.DataFrame(
        [
            # child 1: treated on 2024-03-02, two episodes in the year before, one after within 180 days
            {"child_key": 1, "reported_at": at - 200 * day, "returned_at": at - 199 * day, **dims},
            {"child_key": 1, "reported_at": at, "returned_at": at + day / 2, **dims},
            {"child_key": 1, "reported_at": at + 100 * day, "returned_at": None, **dims},
            # child 2: never treated; its return on 2024-03-01 12:00 is a control index point
            {"child_key": 2, "reported_at": at, "returned_at": at + day / 2, **dims},
            {"child_key": 2, "reported_at": at + 10 * day, "returned_at": None, **dims},
            {"child_key": 2, "reported_at": at + 190 * day, "returned_at": None, **dims},
        ]
    )
    episodes = pd.concat(
        [
            episodes,
            # child 3 had a debrief 100 days before: neither a new recipient nor a control
            pd.DataFrame([{"child_key": 3, "reported_at": at, "returned_at": at + day / 2, **dims}]),
        ],
        ignore_index=True,
    )
    treatments = pd.DataFrame(
        [
            {"child_key": 1, "at": at + day},
            {"child_key": 3, "at": at - 100 * day},
            {"child_key": 3, "at": at + day},
        ]
    )
    treated, controls = impact.index_points(
        episodes,
        treatments,
        since=_utc(2024, 1, 1),
        until=_utc(2024, 6, 30),
        follow_up_days=180,
    )
    assert treated[["prior", "before", "outcome"]].values.tolist() == [[2, 1, 1]]
    # child 1's own return is not a control (treated within the window); child 2's is
    assert controls[["prior", "before", "outcome"]].values.tolist() == [[1, 1, 1]]


def _monthly(seed: int, drop: float) -> list[tuple[datetime.date, int]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(60):
        month = datetime.date(2019 + i // 12, i % 12 + 1, 1)
        seasonal = 1 + 0.3 * np.sin(2 * np.pi * month.month / 12)
        level = drop if i >= 36 else 1.0
        out.append((month, int(rng.poisson(200 * seasonal * (1 + 0.002 * i) * level))))
    return out


def test_the_time_series_recovers_a_planted_level_drop() -> None:
    result = impact.interrupted_time_series(_monthly(seed=5, drop=0.7), datetime.date(2022, 1, 1))
    assert result.level_change.low <= 0.7 <= result.level_change.high
    assert result.level_change.high < 1
    assert result.verdict == "fewer"
    assert result.n_before == 36 and result.n_after == 24
    # the counterfactual continues the trend without the drop
    assert result.counterfactual[-1] > result.fitted[-1]


def test_the_time_series_finds_no_change_in_seasonality_alone() -> None:
    result = impact.interrupted_time_series(_monthly(seed=6, drop=1.0), datetime.date(2022, 1, 1))
    assert result.level_change.low <= 1 <= result.level_change.high
    assert result.slope_change.low <= 1 <= result.slope_change.high
    assert result.verdict == "no_clear_difference"


def test_the_time_series_uses_a_negative_binomial_when_over_dispersed() -> None:
    rng = np.random.default_rng(7)
    series = [
        (datetime.date(2019 + i // 12, i % 12 + 1, 1), int(rng.negative_binomial(5, 5 / (5 + 100))))
        for i in range(48)
    ]
    result = impact.interrupted_time_series(series, datetime.date(2022, 1, 1))
    assert result.family == "negative_binomial"
    assert result.dispersion > impact.OVERDISPERSION


def test_the_time_series_needs_enough_months() -> None:
    with pytest.raises(impact.InsufficientData):
        impact.interrupted_time_series(_monthly(seed=8, drop=1.0)[:20], datetime.date(2019, 6, 1))
