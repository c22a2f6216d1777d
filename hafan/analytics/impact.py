"""The impact evaluation's statistics (issue 8): pure functions on numpy, pandas and statsmodels, no Django.

Two methods, each giving an estimate with a 95% confidence interval rather than a bare percentage:

- `matched_comparison`: children who received an intervention at time t against similar children who did not,
  matched exactly on council, care status and age band and by nearest neighbour (with replacement, within a
  caliper) on their episodes in the year before. Both groups are selected on the same prior history, so the fall
  that follows any run of episodes (regression to the mean) shows in both and cancels out of the difference.
- `interrupted_time_series`: a segmented Poisson regression (negative binomial when the counts are
  over-dispersed) of monthly episode counts with a level change and a slope change at a start month and
  month-of-year seasonality (two Fourier harmonics).

`index_points` turns episode rows and intervention dates into the rows the matched comparison takes."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm

STRATA = ["council", "care_status", "age_band"]
PRIOR_DAYS = 365
DEFAULT_CALIPER = 1.0
DEFAULT_BOOTSTRAP = 1000
DEFAULT_SEED = 20130601
BOOTSTRAP_CHUNK = 100
# Controls averaged per treated child among the equally near ones, nearest in time first.
CONTROLS_PER_TREATED = 5
# A control's own episode must not have led to the intervention: none within this many days of its return.
CONTROL_GRACE_DAYS = 7
# Fewer matched children than this and the page says there are too few to estimate anything.
MINIMUM_MATCHED = 10
OVERDISPERSION = 1.5

Verdict = Literal["fewer", "more", "no_clear_difference", "too_few"]


class InsufficientData(ValueError):
    """Too few rows (children or months) for the method to say anything."""


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def excludes(self, value: float) -> bool:
        return self.low > value or self.high < value


@dataclass
class MatchedResult:
    n_treated: int
    n_matched: int
    n_control_pool: int
    n_controls_used: int
    follow_up_days: int
    treated_rate: float  # mean episodes per child in the follow-up window
    control_rate: float
    difference: Interval | None  # treated minus matched controls, episodes per child in the window
    rate_ratio: Interval | None
    smd_before: float | None  # standardised mean difference of prior episodes, treated vs the whole pool
    smd_after: float | None  # ... treated vs their matched controls
    naive_before: float  # the treated children's episodes in the same window before t
    naive_after: float
    verdict: Verdict
    method: str
    sampled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def naive_change(self) -> float:
        """The before/after change a press release would quote: negative is a fall."""
        return self.naive_after - self.naive_before


def standardised_mean_difference(a: np.ndarray, b: np.ndarray, weights_b: np.ndarray | None = None) -> float:
    """(mean a - mean b) / sqrt((var a + var b) / 2); 0 when both are constant and equal."""
    if len(a) == 0 or len(b) == 0:
        return math.nan
    w = np.ones(len(b)) if weights_b is None else weights_b
    mean_b = float(np.average(b, weights=w))
    var_b = float(np.average((b - mean_b) ** 2, weights=w))
    mean_a, var_a = float(np.mean(a)), float(np.var(a))
    pooled = math.sqrt((var_a + var_b) / 2)
    if pooled == 0:
        return 0.0 if mean_a == mean_b else math.inf
    return (mean_a - mean_b) / pooled


def verdict_for(difference: Interval | None) -> Verdict:
    """The rule the page's sentence follows: only an interval that excludes no effect claims one."""
    if difference is None:
        return "too_few"
    if difference.high < 0:
        return "fewer"
    if difference.low > 0:
        return "more"
    return "no_clear_difference"


def _seconds(values: pd.Series | np.ndarray) -> np.ndarray:
    """Naive UTC datetimes as int64 seconds."""
    return np.asarray(values, dtype="datetime64[s]").astype(np.int64)


def _match(
    treated: pd.DataFrame, controls: pd.DataFrame, caliper: float
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """For each treated row: the controls in the same stratum at the nearest prior count within the caliper
    (both sides when equally near), the CONTROLS_PER_TREATED of them nearest in time. Returns the matched treated
    positions, the mean control outcome for each and the control positions each used. Vectorised: controls are
    sorted into cells (stratum, prior) and, inside a cell, by time, so each lookup is a binary search."""
    k = CONTROLS_PER_TREATED
    empty: tuple[np.ndarray, np.ndarray, list[np.ndarray]] = (
        np.array([], dtype=int),
        np.array([], dtype=float),
        [],
    )
    if not len(treated) or not len(controls):
        return empty
    both = pd.concat([treated[STRATA], controls[STRATA]], ignore_index=True)
    codes = both.groupby(STRATA, sort=False, dropna=False).ngroup().to_numpy(dtype=np.int64)
    t_stratum, c_stratum = codes[: len(treated)], codes[len(treated) :]
    t_prior = treated["prior"].to_numpy(dtype=np.int64)
    c_prior = controls["prior"].to_numpy(dtype=np.int64)
    t_time, c_time = _seconds(treated["t"]), _seconds(controls["t"])
    cell_width = int(max(t_prior.max(), c_prior.max()) + caliper + 2)
    c_cell = c_stratum * cell_width + c_prior
    order = np.lexsort((c_time, c_cell))
    c_cell_sorted, c_time_sorted = c_cell[order], c_time[order]
    cells, cell_start = np.unique(c_cell_sorted, return_index=True)
    cell_end = np.append(cell_start[1:], len(c_cell_sorted))

    # The nearest cell on each side of the treated child's own (stratum, prior) cell, in the same stratum.
    t_cell = t_stratum * cell_width + t_prior
    right = np.searchsorted(cells, t_cell, side="left")
    left = right - 1
    right_at, left_at = np.minimum(right, len(cells) - 1), np.maximum(left, 0)
    far = np.iinfo(np.int64).max // 4
    right_ok = (right < len(cells)) & (cells[right_at] // cell_width == t_stratum)
    left_ok = (left >= 0) & (cells[left_at] // cell_width == t_stratum)
    d_right = np.where(right_ok, cells[right_at] - t_cell, far)
    d_left = np.where(left_ok, t_cell - cells[left_at], far)
    nearest = np.minimum(d_right, d_left)
    matched = np.flatnonzero(nearest <= caliper)
    if not len(matched):
        return empty

    # One global binary search: the sorted (cell rank, time) pairs as one int64 key.
    base = int(min(c_time_sorted.min(), t_time.min()))
    span = int(max(c_time_sorted.max(), t_time.max()) - base + 2)
    cell_rank_sorted = np.repeat(np.arange(len(cells), dtype=np.int64), cell_end - cell_start)
    composite = cell_rank_sorted * span + (c_time_sorted - base)
    times = t_time[matched]
    offsets = np.arange(-k, k)

    def window(cell_index: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The 2k positions (in sorted order) around t inside each chosen cell, and which of them are real."""
        cell_index = np.clip(cell_index, 0, len(cells) - 1)
        start, end = cell_start[cell_index], cell_end[cell_index]
        centre = np.searchsorted(composite, cell_index * span + (times - base), side="left")
        candidates = centre[:, None] + offsets[None, :]
        valid = use[:, None] & (candidates >= start[:, None]) & (candidates < end[:, None])
        return np.where(valid, candidates, 0), valid

    cand_l, valid_l = window(left[matched], d_left[matched] == nearest[matched])
    cand_r, valid_r = window(right[matched], d_right[matched] == nearest[matched])
    candidates = np.concatenate([cand_l, cand_r], axis=1)
    valid = np.concatenate([valid_l, valid_r], axis=1)
    gap = np.where(valid, np.abs(c_time_sorted[candidates] - times[:, None]), np.iinfo(np.int64).max)
    nearest_k = np.argsort(gap, axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(candidates, nearest_k, axis=1)
    chosen_valid = np.take_along_axis(valid, nearest_k, axis=1)
    c_outcome_sorted = controls["outcome"].to_numpy(dtype=float)[order]
    outcome_sum = np.where(chosen_valid, c_outcome_sorted[chosen], 0.0).sum(axis=1)
    used = [order[row[ok]] for row, ok in zip(chosen, chosen_valid, strict=True)]
    return matched, outcome_sum / chosen_valid.sum(axis=1), used


def matched_comparison(
    treated: pd.DataFrame,
    controls: pd.DataFrame,
    *,
    follow_up_days: int,
    caliper: float = DEFAULT_CALIPER,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
    sampled: bool = False,
) -> MatchedResult:
    """Treated vs matched controls. Both frames have one row per index point: council, care_status, age_band,
    t (the intervention time, or the comparable time for a control), prior (episodes in the year before t),
    before (episodes in the follow-up-length window before t, for the naive figure only) and outcome (episodes
    in the follow-up window after t).

    The 95% intervals come from a bootstrap over matched pairs (percentile method, fixed seed): each resample
    draws treated children with replacement, each keeping the average outcome of its matched controls."""
    treated = treated.reset_index(drop=True)
    controls = controls.reset_index(drop=True)
    matched, control_outcomes, used = _match(treated, controls, caliper)
    t_matched = treated.iloc[matched]
    y_t = t_matched["outcome"].to_numpy(dtype=float)
    y_c = np.asarray(control_outcomes, dtype=float)
    all_used = np.concatenate(used) if used else np.array([], dtype=int)
    # A control matched to k treated children counts k times in the balance check (weights), as in the estimate.
    weights = np.concatenate([np.full(len(u), 1 / len(u)) for u in used]) if used else np.array([])
    smd_before = standardised_mean_difference(
        treated["prior"].to_numpy(dtype=float), controls["prior"].to_numpy(dtype=float)
    )
    smd_after = (
        standardised_mean_difference(
            t_matched["prior"].to_numpy(dtype=float),
            controls["prior"].to_numpy(dtype=float)[all_used],
            weights,
        )
        if len(matched)
        else math.nan
    )
    difference = ratio = None
    if len(matched) >= MINIMUM_MATCHED:
        rng = np.random.default_rng(seed)
        mean_t, mean_c = np.empty(n_bootstrap), np.empty(n_bootstrap)
        for first in range(0, n_bootstrap, BOOTSTRAP_CHUNK):  # in chunks: national samples are large
            size = min(BOOTSTRAP_CHUNK, n_bootstrap - first)
            draws = rng.integers(0, len(matched), size=(size, len(matched)))
            mean_t[first : first + size] = y_t[draws].mean(axis=1)
            mean_c[first : first + size] = y_c[draws].mean(axis=1)
        diffs = mean_t - mean_c
        difference = Interval(
            float(y_t.mean() - y_c.mean()),
            float(np.percentile(diffs, 2.5)),
            float(np.percentile(diffs, 97.5)),
        )
        if y_c.mean() > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = np.where(mean_c > 0, mean_t / mean_c, np.inf)
            ratio = Interval(
                float(y_t.mean() / y_c.mean()),
                float(np.percentile(ratios, 2.5)),
                float(np.percentile(ratios, 97.5)),
            )
    method = (
        "Matched comparison of new recipients with children who had not received it in the year before, at the "
        "return from one of their episodes: exact on council, care status and age band; nearest neighbour with "
        f"replacement on episodes in the {PRIOR_DAYS} days before (caliper {caliper:g}, up to {CONTROLS_PER_TREATED} "
        f"equally near controls averaged, nearest in time first); outcome episodes in the {follow_up_days} "
        f"days after; 95% interval by bootstrap over matched children ({n_bootstrap} resamples, seed {seed})."
    )
    return MatchedResult(
        n_treated=len(treated),
        n_matched=len(matched),
        n_control_pool=len(controls),
        n_controls_used=len(np.unique(all_used)),
        follow_up_days=follow_up_days,
        treated_rate=float(y_t.mean()) if len(y_t) else math.nan,
        control_rate=float(y_c.mean()) if len(y_c) else math.nan,
        difference=difference,
        rate_ratio=ratio,
        smd_before=None if math.isnan(smd_before) else smd_before,
        smd_after=None if math.isnan(smd_after) else smd_after,
        naive_before=float(treated["before"].mean()) if len(treated) else math.nan,
        naive_after=float(treated["outcome"].mean()) if len(treated) else math.nan,
        verdict=verdict_for(difference),
        method=method,
        sampled=sampled,
    )


# Building the rows from episodes


class _Timelines:
    """Many children's sorted event times as one sorted int64 key (child rank, seconds), so that counting each
    child's events in a window, for thousands of windows at once, is two binary searches."""

    MARGIN = 20 * 366 * 86400  # queries reach at most a year and a follow-up beyond the events

    def __init__(self, keys: np.ndarray, seconds: np.ndarray) -> None:
        self.index = pd.Index(pd.unique(keys))
        rank = self.index.get_indexer(keys).astype(np.int64)
        self.base = (int(seconds.min()) if len(seconds) else 0) - self.MARGIN
        self.span = (int(seconds.max()) if len(seconds) else 0) - self.base + self.MARGIN
        self.keys = np.sort(rank * self.span + (seconds - self.base))

    def count(self, keys: np.ndarray, start: np.ndarray, end: np.ndarray, *, side: str) -> np.ndarray:
        """Events in [start, end) (side="left") or (start, end] (side="right") for each child key."""
        rank = self.index.get_indexer(keys).astype(np.int64)
        offset = rank * self.span

        def position(at: np.ndarray) -> np.ndarray:
            return np.searchsorted(self.keys, offset + np.clip(at - self.base, 0, self.span - 1), side=side)  # type: ignore[call-overload]

        return np.where(rank >= 0, position(end) - position(start), 0)


def index_points(
    episodes: pd.DataFrame,
    treatments: pd.DataFrame,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    follow_up_days: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The treated and control rows for `matched_comparison`.

    `episodes`: child_key, reported_at, returned_at (may be missing), council, care_status, age_band (naive UTC
    times), covering at least [since - 365 days, until + follow-up]. `treatments`: child_key, at (the
    intervention times).

    Treated: each child's first intervention in [since, until] with none in the year before it, described by
    their latest episode before it. Controls: each episode returned in [since, until] of a child with no
    intervention from 365 days before the return to CONTROL_GRACE_DAYS after it (so not for this episode), at the
    return (a comparable moment: just after an episode ended). A control may receive the intervention later, in
    its follow-up: excluding those would select controls on what happened afterwards (a child who goes missing
    again is the one who gets a debrief), and keeping them can only make a real effect look smaller. Prior and
    outcome counts are episodes reported in [t - 365 days, t) and (t, t + follow-up]; both groups count the
    episode that just ended in their prior history."""
    columns = ["council", "care_status", "age_band", "t", "prior", "before", "outcome"]
    follow, year = follow_up_days * 86400, PRIOR_DAYS * 86400
    episodes = episodes.assign(reported_at=np.asarray(episodes["reported_at"], dtype="datetime64[s]"))
    timeline = _Timelines(episodes["child_key"].to_numpy(dtype=np.int64), _seconds(episodes["reported_at"]))

    def counts(frame: pd.DataFrame) -> pd.DataFrame:
        keys, at = frame["child_key"].to_numpy(dtype=np.int64), _seconds(frame["t"])
        return frame.assign(
            prior=timeline.count(keys, at - year, at, side="left"),
            before=timeline.count(keys, at - follow, at, side="left"),
            outcome=timeline.count(keys, at, at + follow, side="right"),
        )

    since64, until64 = np.datetime64(since, "s"), np.datetime64(until, "s")
    treatments = treatments.assign(at=np.asarray(treatments["at"], dtype="datetime64[s]"))
    received = _Timelines(treatments["child_key"].to_numpy(dtype=np.int64), _seconds(treatments["at"]))
    in_period = treatments[(treatments["at"] >= since64) & (treatments["at"] <= until64)]
    # New recipients only: nothing received in the year before (the controls meet the same rule).
    fresh = (
        received.count(
            in_period["child_key"].to_numpy(dtype=np.int64),
            _seconds(in_period["at"]) - year,
            _seconds(in_period["at"]),
            side="left",
        )
        == 0
    )
    first = (
        in_period[fresh]
        .sort_values("at")
        .drop_duplicates("child_key")
        .rename(columns={"at": "t"})[["child_key", "t"]]
    )
    described = pd.merge_asof(
        first.sort_values("t"),
        episodes.sort_values("reported_at")[["child_key", "reported_at", *STRATA]],
        left_on="t",
        right_on="reported_at",
        by="child_key",
        direction="backward",
    ).dropna(subset=STRATA)
    treated = counts(described) if len(described) else pd.DataFrame(columns=["child_key", *columns])

    returned = episodes.dropna(subset=["returned_at"])
    returned = returned.assign(t=np.asarray(returned["returned_at"], dtype="datetime64[s]"))
    returned = returned[(returned["t"] >= since64) & (returned["t"] <= until64)]
    if len(returned):
        keys, at = returned["child_key"].to_numpy(dtype=np.int64), _seconds(returned["t"])
        grace = CONTROL_GRACE_DAYS * 86400
        returned = returned[received.count(keys, at - year, at + grace, side="left") == 0]
    controls = (
        counts(returned[["child_key", "t", *STRATA]]) if len(returned) else pd.DataFrame(columns=columns)
    )
    return treated[columns].reset_index(drop=True), controls[columns].reset_index(drop=True)


# Interrupted time series


@dataclass
class TimeSeriesResult:
    months: list[datetime.date]
    observed: list[int]
    fitted: list[float]
    counterfactual: list[float]  # the fitted model without the level and slope changes
    start_month: datetime.date
    level_change: Interval  # rate ratio at the start month
    slope_change: Interval  # rate ratio per month after the start
    family: Literal["poisson", "negative_binomial"]
    dispersion: float
    method: str
    n_before: int
    n_after: int

    @property
    def verdict(self) -> Literal["fewer", "more", "no_clear_difference"]:
        if self.level_change.high < 1:
            return "fewer"
        if self.level_change.low > 1:
            return "more"
        return "no_clear_difference"


MINIMUM_MONTHS_BEFORE = 12
MINIMUM_MONTHS_AFTER = 6


def _design(months: list[datetime.date], start: datetime.date) -> pd.DataFrame:
    index = np.arange(len(months), dtype=float)
    start_index = next(i for i, m in enumerate(months) if m >= start)
    post = (index >= start_index).astype(float)
    moy = np.array([m.month for m in months], dtype=float)
    frame = pd.DataFrame(
        {
            "const": 1.0,
            "time": index,
            "level": post,
            "slope": post * (index - start_index),
        }
    )
    for harmonic in (1, 2):
        frame[f"sin{harmonic}"] = np.sin(2 * np.pi * harmonic * moy / 12)
        frame[f"cos{harmonic}"] = np.cos(2 * np.pi * harmonic * moy / 12)
    return frame


def interrupted_time_series(
    monthly_counts: list[tuple[datetime.date, int]], start_month: datetime.date
) -> TimeSeriesResult:
    """Segmented regression of monthly counts: log(mu) = b0 + b1 t + b2 post + b3 (t - t0) post + seasonality.

    Poisson first; when the Pearson dispersion exceeds 1.5 the model is refitted as a negative binomial (its
    alpha by the method of moments). Intervals are Wald 95% intervals, shown as rate ratios."""
    series = sorted(monthly_counts)
    months = [m for m, _ in series]
    observed = np.array([c for _, c in series], dtype=float)
    start = start_month.replace(day=1)
    n_before = sum(1 for m in months if m < start)
    n_after = len(months) - n_before
    if n_before < MINIMUM_MONTHS_BEFORE or n_after < MINIMUM_MONTHS_AFTER:
        raise InsufficientData(
            f"need {MINIMUM_MONTHS_BEFORE} months before and {MINIMUM_MONTHS_AFTER} after the start"
        )
    design = _design(months, start)
    poisson = sm.GLM(observed, design, family=sm.families.Poisson()).fit()
    dispersion = float(poisson.pearson_chi2 / poisson.df_resid) if poisson.df_resid > 0 else 1.0
    family: Literal["poisson", "negative_binomial"] = "poisson"
    fit = poisson
    if dispersion > OVERDISPERSION:
        # alpha (var = mu + alpha mu^2) by the method of moments from the Poisson fit, refined once: stable for
        # the large national counts where maximum likelihood on alpha struggles to converge.
        alpha, fit = 0.0, poisson
        for _ in range(2):
            mu = fit.fittedvalues
            alpha = max(float(np.sum(((observed - mu) ** 2 - observed) / mu**2) / fit.df_resid), 1e-8)
            fit = sm.GLM(observed, design, family=sm.families.NegativeBinomial(alpha=alpha)).fit()
        family = "negative_binomial"
    params, bse = fit.params, fit.bse
    linear = design.to_numpy() @ params.to_numpy()
    without = design.assign(level=0.0, slope=0.0).to_numpy() @ params.to_numpy()

    def ratio(name: str) -> Interval:
        b, s = float(params[name]), float(bse[name])
        return Interval(math.exp(b), math.exp(b - 1.96 * s), math.exp(b + 1.96 * s))

    method = (
        "Segmented "
        + (
            "negative binomial (alpha by the method of moments)"
            if family == "negative_binomial"
            else "Poisson"
        )
        + " regression of monthly episode counts on time, a level change and a slope change at the start month, "
        "with month-of-year seasonality (two Fourier harmonics); Wald 95% intervals as rate ratios."
    )
    return TimeSeriesResult(
        months=months,
        observed=[int(c) for c in observed],
        fitted=[float(v) for v in np.exp(linear)],
        counterfactual=[float(v) for v in np.exp(without)],
        start_month=start,
        level_change=ratio("level"),
        slope_change=ratio("slope"),
        family=family,
        dispersion=dispersion,
        method=method,
        n_before=n_before,
        n_after=n_after,
    )
