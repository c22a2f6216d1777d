"""A synthetic national analytics store for the benchmark (`make bench-analytics`, issue 8).

Pure numpy: no Django, no database. `episode_fact_chunks(...)` yields column arrays (one dict per chunk, the keys
are EpisodeFact's column names) for about 200,000 episodes a year for ten years, generated a chunk of children at
a time so that two million rows never become two million Python objects. The same seed, size and end date give
the same rows.

What makes the rows look national rather than uniform:
- 22 synthetic councils (codes W01-W14 Welsh-style, E01-E08 English-style) of different sizes;
- repeat children with a heavy tail: most children have one episode, a few have ten or more (looked-after children
  more often), and a child's episodes cluster in time;
- ages mostly 11-17; about half the episodes are of looked-after children (missing from care or away from
  placement); grades, log-normal durations, who found the child, harm;
- debriefs offered / accepted / held with realistic rates that improve slowly, and hours from return to debrief;
- seasonality (more episodes in summer), a slow upward trend and a 10% step down halfway (a "launch" the
  interrupted time series can find);
- prior_episodes_365 and the repeat flag computed from each child's own history.

No row names a child: `child_key` and `episode_key` are numbers from `key_base` upwards.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import numpy as np

SAMPLE_EVERY = 16  # as hafan.analytics.summaries (which this pure module does not import)

COUNCILS = [f"W{i:02d}" for i in range(1, 15)] + [f"E{i:02d}" for i in range(1, 9)]
SCHOOLS_PER_COUNCIL = 12
CARE_STATUSES = ["looked_after", "child_protection", "child_in_need", "none"]
CARE_WEIGHTS = [0.34, 0.14, 0.22, 0.30]  # of children; looked-after children also go missing more often
PLACEMENTS = ["foster_care", "kinship_care", "residential", "secure", "independent_living", "with_parents"]
PLACEMENT_WEIGHTS = [0.50, 0.10, 0.28, 0.01, 0.09, 0.02]
SEXES = ["female", "male", "unknown"]
SEX_WEIGHTS = [0.52, 0.47, 0.01]
GRADES = ["", "very_low", "low", "medium", "high"]
FOUND_BY = ["self", "carer", "police", "agency", "public"]
FOUND_BY_WEIGHTS = [0.45, 0.20, 0.25, 0.05, 0.05]
FIRST_AGES = np.arange(8, 19)
FIRST_AGE_WEIGHTS = np.array([1, 1, 2, 4, 7, 11, 15, 17, 16, 11, 3], dtype=float)
AGE_BAND_EDGES = [(10, "0-10"), (13, "11-13"), (15, "14-15"), (17, "16-17")]

# The dimensions children are counted by (hafan.analytics.models.CUBE_DIMENSIONS, which this pure module does not
# import).
SEQUENCE_DIMENSIONS = ("council", "care_status", "age_band", "sex", "grade", "placement_type")
SEQUENCE_KEYS = (
    *((d,) for d in SEQUENCE_DIMENSIONS),
    *((a, b) for i, a in enumerate(SEQUENCE_DIMENSIONS) for b in SEQUENCE_DIMENSIONS[i + 1 :]),
)


def _sequence_kinds(key: tuple[str, ...]) -> tuple[str, ...]:
    """Windows are followed by dimension alone; the rest by each dimension and each pair."""
    return ("same", "repeat_same", "window_same") if len(key) == 1 else ("same", "repeat_same")


# The columns `episode_fact_chunks` yields, in EpisodeFact's column names (COPY order for the benchmark).
COLUMNS = [
    "episode_key",
    "child_key",
    "reported_at",
    "reported_on",
    "month",
    "returned_at",
    "duration_hours",
    "category",
    "council",
    "school",
    "placement_type",
    "care_status",
    "sex",
    "age_years",
    "age_band",
    "grade",
    "found_by",
    "found_council",
    "harm",
    "prior_episodes_365",
    "repeat",
    "plan_in_force",
    "debrief_status",
    "debrief_offered",
    "debrief_held",
    "debrief_held_in_time",
    "hours_to_debrief",
    "info_answer_minutes",
    "referrals",
    "prev_reported_on",
    "prev_repeat_on",
    "window_start_on",
    "prev_window_on",
    *(f"prev_{kind}_{'_and_'.join(key)}_on" for key in SEQUENCE_KEYS for kind in _sequence_kinds(key)),
    "sampled",
    "refreshed_at",
]

DAY = np.timedelta64(1, "D")
ONE_MONTH = np.timedelta64(1, "M")
SECONDS_PER_DAY = 86400.0


def age_bands(ages: np.ndarray) -> np.ndarray:
    """hafan.analytics.filters.age_band, for an array of whole years."""
    out = np.full(ages.shape, "18+", dtype=object)
    for upper, label in reversed(AGE_BAND_EDGES):
        out[ages <= upper] = label
    return out


def month_weights(
    months: int, *, first_calendar_month: int = 0, launch_month: int | None = None
) -> np.ndarray:
    """Relative national volume for `months` consecutive months (the first is `first_calendar_month`, 0 =
    January): a slow upward trend (2% a year), a summer peak (July about 50% above January) and, from
    `launch_month` (an index; default halfway), 10% fewer episodes."""
    if launch_month is None:
        launch_month = months // 2
    index = np.arange(months)
    calendar_month = (first_calendar_month + index) % 12
    season = 1 + 0.2 * np.cos(2 * np.pi * (calendar_month - 6) / 12)
    trend = 1 + 0.02 * index / 12
    step = np.where(index >= launch_month, 0.9, 1.0)
    weights = season * trend * step
    return weights / weights.sum()


def _uk_offset_hours(local: np.ndarray) -> np.ndarray:
    """Hours Europe/London is ahead of UTC at naive local times: 1 from the last Sunday of March to the last Sunday
    of October (the 01:00 UTC switch is close enough for synthetic data), else 0."""
    years = local.astype("datetime64[Y]").astype(int) + 1970
    offset = np.zeros(local.shape, dtype=np.int64)
    for year in np.unique(years):
        begin = _last_sunday(int(year), 3)
        end = _last_sunday(int(year), 10)
        in_year = years == year
        summer = (local >= np.datetime64(f"{begin.isoformat()}T02:00")) & (
            local < np.datetime64(f"{end.isoformat()}T02:00")
        )
        offset[in_year & summer] = 1
    return offset


def _last_sunday(year: int, month: int) -> datetime.date:
    day = datetime.date(year + (month == 12), month % 12 + 1, 1) - datetime.timedelta(days=1)
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def _choice(rng: np.random.Generator, labels: list[str], weights: Any, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), size=size, p=p / p.sum())]


def _episode_counts(rng: np.random.Generator, looked_after: np.ndarray) -> np.ndarray:
    """Episodes per child, heavy-tailed: Zipf (exponent 1.9 for looked-after children, 2.4 otherwise), at most
    120. About 60% of children have one episode and a few percent ten or more."""
    counts = np.where(looked_after, rng.zipf(1.9, looked_after.size), rng.zipf(2.4, looked_after.size))
    return np.minimum(counts, 120)


BURN_IN_MONTHS = 36


def _children_and_times(
    rng: np.random.Generator,
    n_children: int,
    *,
    start64: np.datetime64,
    months: np.ndarray,
    month_days: np.ndarray,
    weights: np.ndarray,
    council_weights: np.ndarray,
) -> dict[str, np.ndarray]:
    """`n_children` children with their attributes, and their episodes' times in days from the window's start
    (negative before it): the first from the monthly weights, later ones after log-normal gaps (shorter for
    children with many episodes), reported mostly in the evening."""
    care = _choice(rng, CARE_STATUSES, CARE_WEIGHTS, n_children)
    counts = _episode_counts(rng, care == "looked_after")
    council_index = rng.choice(len(COUNCILS), n_children, p=council_weights / council_weights.sum())
    school_number = np.char.zfill(rng.integers(1, SCHOOLS_PER_COUNCIL + 1, n_children).astype(str), 2)
    placement = np.where(
        care == "looked_after", _choice(rng, PLACEMENTS, PLACEMENT_WEIGHTS, n_children), ""
    ).astype(object)
    child = np.repeat(np.arange(n_children), counts)
    first_index = np.cumsum(counts) - counts
    order_in_child = np.arange(child.size) - first_index[child]
    month_index = rng.choice(len(months), n_children, p=weights)
    first_day = (months[month_index].astype("datetime64[D]") - start64) / DAY + rng.random(n_children) * (
        month_days[month_index]
    )
    median_gap = 75.0 / np.sqrt(counts)
    gaps = np.where(order_in_child == 0, 0.0, rng.lognormal(np.log(median_gap[child]), 1.0))
    offsets = np.cumsum(gaps)
    offsets -= offsets[first_index][child]
    hour = np.clip(rng.normal(19.5, 4.0, child.size), 0, 23.99) / 24
    return {
        "care": care,
        "counts": counts,
        "council": np.asarray(COUNCILS, dtype=object)[council_index],
        "school": np.char.add(np.char.add(np.asarray(COUNCILS)[council_index], "-S"), school_number).astype(
            object
        ),
        "sex": _choice(rng, SEXES, SEX_WEIGHTS, n_children),
        "first_age": rng.choice(FIRST_AGES, n_children, p=FIRST_AGE_WEIGHTS / FIRST_AGE_WEIGHTS.sum()),
        "placement": placement,
        "risk": rng.normal(0, 1, n_children) + 0.15 * np.log(counts),  # propensity for high grades
        "child": child,
        "days": np.floor(first_day[child] + offsets) + hour,
    }


def episode_fact_chunks(
    episodes: int,
    *,
    seed: int = 8,
    end: datetime.date,
    years: int = 10,
    chunk_size: int = 100_000,
    repeat_episodes: int = 3,
    repeat_days: int = 90,
    deadline_hours: int = 72,
    key_base: int = 10**12,
) -> Iterator[dict[str, np.ndarray]]:
    """Yields EpisodeFact column arrays (see COLUMNS) for `episodes` rows reported between `years` years before
    `end` and `end`, `chunk_size` rows at a time (every child's episodes are in one chunk). Timestamps are
    numpy datetime64[s] in UTC, dates datetime64[D]; missing values are NaN (floats), NaT (times) or None
    (`harm`)."""
    if episodes < 0 or chunk_size < 1 or years < 1:
        raise ValueError("episodes must be >= 0, chunk_size and years >= 1")
    start = datetime.date(end.year - years, end.month, 1)
    start64 = np.datetime64(start.isoformat(), "D")
    end64 = np.datetime64(end.isoformat(), "D") + DAY  # exclusive
    first_month = np.datetime64(start.isoformat(), "M")
    months = np.arange(
        first_month - np.timedelta64(BURN_IN_MONTHS, "M"), np.datetime64(end.isoformat(), "M") + ONE_MONTH
    )
    weights = month_weights(
        len(months),
        first_calendar_month=int(months[0].astype(int) % 12),
        launch_month=BURN_IN_MONTHS + (len(months) - BURN_IN_MONTHS) // 2,
    )
    month_days = ((months + ONE_MONTH).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(int)
    span_days = float((end64 - start64) / DAY)
    refreshed_at = (end64.astype("datetime64[s]") - np.timedelta64(1, "s")).astype("datetime64[s]")
    # Council sizes: a fixed spread (the largest about six times the smallest), the same for every seed.
    council_weights = np.random.default_rng(2026).lognormal(0, 0.6, len(COUNCILS))

    produced, child_offset, chunk_index = 0, 0, 0
    while produced < episodes:
        rng = np.random.default_rng([seed, chunk_index])
        wanted = min(chunk_size, episodes - produced)
        chunk = _chunk(
            rng,
            wanted,
            start64=start64,
            end64=end64,
            span_days=span_days,
            months=months,
            month_days=month_days,
            weights=weights,
            council_weights=council_weights,
            repeat_episodes=repeat_episodes,
            repeat_days=repeat_days,
            deadline_hours=deadline_hours,
        )
        children = int(chunk.pop("_children")[0])
        chunk["episode_key"] = key_base + produced + np.arange(wanted, dtype=np.int64)
        chunk["sampled"] = chunk["episode_key"] % SAMPLE_EVERY == 0
        chunk["child_key"] = chunk["child_key"] + key_base + child_offset
        chunk["refreshed_at"] = np.full(wanted, refreshed_at)
        yield {name: chunk[name] for name in COLUMNS}
        produced += wanted
        child_offset += children
        chunk_index += 1


def _chunk(
    rng: np.random.Generator,
    wanted: int,
    *,
    start64: np.datetime64,
    end64: np.datetime64,
    span_days: float,
    months: np.ndarray,
    month_days: np.ndarray,
    weights: np.ndarray,
    council_weights: np.ndarray,
    repeat_episodes: int,
    repeat_days: int,
    deadline_hours: int,
) -> dict[str, np.ndarray]:
    # Children, drawn in batches until their episodes inside the window reach `wanted`. Episodes are generated
    # from BURN_IN_MONTHS before the window so that its first months look like any other (and the first
    # episodes have a history); those before the window, and after `end`, are then dropped.
    n_children = max(16, int(wanted / 2.0))
    while True:
        draw = _children_and_times(
            rng,
            n_children,
            start64=start64,
            months=months,
            month_days=month_days,
            weights=weights,
            council_weights=council_weights,
        )
        inside = (draw["days"] >= 0) & (draw["days"] < span_days)
        if inside.sum() >= wanted:
            break
        n_children = int(n_children * 1.5) + 16
    child, days = draw["child"], draw["days"]
    counts = draw["counts"]
    # Each child's episodes in time order, so the history counts are right (including episodes before the window).
    order = np.lexsort((days, child))
    child, days, inside = child[order], days[order], inside[order]
    key = child * (span_days + 10_000.0) + days
    index = np.arange(child.size)
    prior_all = index - np.searchsorted(key, key - 365.0, side="left")
    repeat_all = (index - np.searchsorted(key, key - repeat_days, side="right") + 1) >= repeat_episodes
    first_index = np.cumsum(counts) - counts
    first_of_child = days[first_index]
    age_all = draw["first_age"][child] + np.floor((days - first_of_child[child]) / 365.25).astype(int)
    # Keep the first `wanted` episodes inside the window (whole children, the last one cut).
    keep = np.flatnonzero(inside)[:wanted]
    child, days = child[keep], days[keep]
    prior_365, repeat = prior_all[keep], repeat_all[keep]
    age = np.minimum(age_all[keep], 18)
    used_children = int(child.max()) + 1 if child.size else 0
    care, council, school = draw["care"], draw["council"], draw["school"]
    sex, placement, risk = draw["sex"], draw["placement"], draw["risk"]

    local = start64.astype("datetime64[s]") + (days * SECONDS_PER_DAY).astype(np.int64).astype(
        "timedelta64[s]"
    )
    reported_at = local - _uk_offset_hours(local).astype("timedelta64[h]")
    reported_on = local.astype("datetime64[D]")
    month = local.astype("datetime64[M]").astype("datetime64[D]")
    c_care = care[child]
    looked_after = c_care == "looked_after"
    category = np.where(
        looked_after,
        np.where(rng.random(wanted) < 0.7, "missing_from_care", "away_from_placement"),
        "missing_from_home",
    ).astype(object)

    # Grades: higher for children with a higher propensity and a busier recent history.
    score = risk[child] + 0.25 * np.log1p(prior_365) + rng.normal(0, 0.6, wanted)
    grade_index = np.digitize(score, [-0.9, 0.5, 1.9]) + 1  # 1..4
    grade_index[rng.random(wanted) < 0.02] = 0  # not graded
    grade = np.asarray(GRADES, dtype=object)[grade_index]

    duration = rng.lognormal(np.log(9.0), 1.3, wanted)
    end_seconds = (end64 - start64) / DAY * SECONDS_PER_DAY
    still_missing = days * SECONDS_PER_DAY + duration * 3600 >= end_seconds
    returned_at = reported_at + (duration * 3600).astype(np.int64).astype("timedelta64[s]")
    returned_at[still_missing] = np.datetime64("NaT", "s")
    duration_hours = np.where(still_missing, np.nan, duration)

    found_by = _choice(rng, FOUND_BY, FOUND_BY_WEIGHTS, wanted)
    found_elsewhere = rng.random(wanted) < 0.15
    found_council = np.where(
        found_elsewhere, _choice(rng, COUNCILS, np.ones(len(COUNCILS)), wanted), council[child]
    ).astype(object)
    found_by[still_missing] = ""
    found_council[still_missing] = ""
    harm_draw = rng.random(wanted)
    harm = np.full(wanted, None, dtype=object)
    harm[harm_draw < 0.86] = False
    harm[harm_draw < 0.06] = True
    harm[still_missing] = None

    plan_in_force = rng.random(wanted) < 0.04 + 0.08 * np.minimum(prior_365, 5)

    # Debriefs: offered after most returns, more often (and sooner) in later years.
    progress = days / span_days  # 0 at the start, 1 at the end
    recent = (end_seconds - days * SECONDS_PER_DAY) < 3 * SECONDS_PER_DAY
    offered = ~still_missing & ~recent & (rng.random(wanted) < 0.75 + 0.15 * progress)
    accepted = offered & (rng.random(wanted) < 0.70)
    held = accepted & (rng.random(wanted) < 0.90)
    hours_to_debrief = np.where(held, rng.lognormal(np.log(60.0 - 25.0 * progress), 0.8), np.nan)
    held_in_time = held & (hours_to_debrief <= deadline_hours)
    status = np.full(wanted, "awaiting", dtype=object)
    status[~still_missing & ~recent] = "not_offered"
    status[offered] = "declined"
    status[offered & (rng.random(wanted) < 0.05)] = "offered"
    status[accepted] = "accepted"
    status[held] = "held"
    status[still_missing] = ""

    info_minutes = np.where(rng.random(wanted) < 0.7, rng.lognormal(np.log(45.0), 0.9, wanted), np.nan)
    referrals = rng.poisson(0.15 + 0.1 * np.minimum(prior_365, 4)).astype(np.int64)

    out = {
        "_children": np.array([used_children]),
        "child_key": child.astype(np.int64),
        "reported_at": reported_at,
        "reported_on": reported_on,
        "month": month,
        "returned_at": returned_at,
        "duration_hours": duration_hours,
        "category": category,
        "council": council[child],
        "school": school[child],
        "placement_type": placement[child],
        "care_status": c_care,
        "sex": sex[child],
        "age_years": age.astype(np.int64),
        "age_band": age_bands(age),
        "grade": grade,
        "found_by": found_by,
        "found_council": found_council,
        "harm": harm,
        "prior_episodes_365": prior_365.astype(np.int64),
        "repeat": repeat,
        "plan_in_force": plan_in_force,
        "debrief_status": status,
        "debrief_offered": offered,
        "debrief_held": held,
        "debrief_held_in_time": held_in_time,
        "hours_to_debrief": hours_to_debrief,
        "info_answer_minutes": info_minutes,
        "referrals": referrals,
    }
    values = {
        "council": council[child],
        "care_status": c_care,
        "age_band": age_bands(age),
        "sex": sex[child],
        "grade": grade,
        "placement_type": placement[child],
    }
    out.update(
        sequence_arrays(
            child, reported_at, reported_on, repeat, values, episodes=repeat_episodes, days=repeat_days
        )
    )
    return out


def _last_before(child: np.ndarray, marked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the index of the last marked row of the same child strictly before it, and whether there
    is one (rows in child, then time, order)."""
    index = np.arange(child.size)
    last = np.maximum.accumulate(np.where(marked, index, -1))
    before = np.concatenate([[-1], last[:-1]]) if child.size else last
    safe = before.clip(0)
    return safe, (before >= 0) & (child[safe] == child)


def sequence_arrays(
    child: np.ndarray,
    reported_at: np.ndarray,
    reported_on: np.ndarray,
    repeat: np.ndarray,
    values: dict[str, np.ndarray],
    *,
    episodes: int,
    days: int,
) -> dict[str, np.ndarray]:
    """EpisodeFact's sequence columns for rows in child, then report, order: the same as
    hafan.analytics.summaries.sequence_columns, a child at a time, vectorised."""
    nat = np.datetime64("NaT", "D")
    index = np.arange(child.size)
    previous, has_previous = _last_before(child, np.ones(child.size, dtype=bool))
    last_repeat, has_repeat = _last_before(child, repeat)
    first = (index - (episodes - 1)).clip(0)
    in_window = (
        (index - (episodes - 1) >= 0)
        & (child[first] == child)
        & (reported_at - reported_at[first] <= np.timedelta64(days * 86400, "s"))
    )
    window_start = np.where(in_window, reported_on[first], nat)
    last_window, has_window = _last_before(child, in_window)
    out = {
        "prev_reported_on": np.where(has_previous, reported_on[previous], nat),
        "prev_repeat_on": np.where(has_repeat, reported_on[last_repeat], nat),
        "window_start_on": window_start,
        "prev_window_on": np.where(has_window, window_start[last_window], nat),
    }
    codes = {}
    for name in SEQUENCE_DIMENSIONS:
        _, codes[name] = np.unique(values[name].astype(str), return_inverse=True)
    for key in SEQUENCE_KEYS:
        # Each (child, value(s)) group's rows together, still in time order, then the same as above within groups.
        combined = np.zeros(child.size, dtype=np.int64)
        for name in key:
            combined = combined * (int(codes[name].max(initial=0)) + 1) + codes[name]
        group = child.astype(np.int64) * (int(combined.max(initial=0)) + 1) + combined
        order = np.lexsort((index, group))
        sorted_group, sorted_on = group[order], reported_on[order]
        suffix = "_and_".join(key)
        for kind, marked, dates in (
            ("same", np.ones(child.size, dtype=bool), sorted_on),
            ("repeat_same", repeat[order], sorted_on),
            ("window_same", in_window[order], window_start[order]),
        ):
            if kind not in _sequence_kinds(key):
                continue
            last, has_last = _last_before(sorted_group, marked)
            column = np.full(child.size, nat)
            column[order] = np.where(has_last, dates[last], nat)
            out[f"prev_{kind}_{suffix}_on"] = column
    return out
