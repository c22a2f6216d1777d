"""Pure risk rules: review intervals, grade ordering and the repeat-missing trigger."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hafan.core.vocabulary import RiskGrade
from hafan.risk.rules import default_next_review, grade_at_least, is_repeat_missing

NOW = datetime.datetime(2025, 3, 15, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)

VL, L, M, H = RiskGrade.VERY_LOW, RiskGrade.LOW, RiskGrade.MEDIUM, RiskGrade.HIGH


@pytest.mark.parametrize(
    ("grade", "hours"),
    [(H, 1), (M, 4), (L, 12), (VL, 24)],
    ids=str,
)
def test_default_next_review_by_grade(grade: RiskGrade, hours: int) -> None:
    assert default_next_review(grade, NOW) == NOW + datetime.timedelta(hours=hours)


def test_default_next_review_accepts_the_stored_string() -> None:
    assert default_next_review("high", NOW) == NOW + datetime.timedelta(hours=1)  # type: ignore[arg-type]


def test_higher_grades_are_reviewed_sooner() -> None:
    due = [default_next_review(g, NOW) for g in (VL, L, M, H)]
    assert due == sorted(due, reverse=True)


def test_default_next_review_keeps_the_timezone() -> None:
    assert default_next_review(M, NOW).tzinfo is not None


def test_unknown_grade_is_refused() -> None:
    with pytest.raises(ValueError, match="absent"):
        default_next_review("absent", NOW)  # type: ignore[arg-type]


# grade_at_least(grade, floor): rows are the grade, columns the floor (very low, low, medium, high).
GRADE_AT_LEAST = {
    VL: (True, False, False, False),
    L: (True, True, False, False),
    M: (True, True, True, False),
    H: (True, True, True, True),
}


@pytest.mark.parametrize(
    ("grade", "floor", "expected"),
    [
        pytest.param(grade, floor, row[i], id=f"{grade}>={floor}")
        for grade, row in GRADE_AT_LEAST.items()
        for i, floor in enumerate((VL, L, M, H))
    ],
)
def test_grade_at_least(grade: RiskGrade, floor: RiskGrade, expected: bool) -> None:
    assert grade_at_least(grade, floor) is expected
    assert grade_at_least(grade, str(floor.value)) is expected  # a plan stores the floor as a string


@pytest.mark.parametrize("grade", list(RiskGrade), ids=str)
def test_no_floor_means_any_grade_will_do(grade: RiskGrade) -> None:
    assert grade_at_least(grade, "") is True


# is_repeat_missing with the "3 in 30 days" rule


def _repeat(times: list[datetime.datetime]) -> bool:
    return is_repeat_missing(times, now=NOW, episodes=3, days=30)


def test_exactly_n_reports_in_the_window_is_repeat_missing() -> None:
    assert _repeat([NOW - 29 * DAY, NOW - 10 * DAY, NOW])


def test_n_minus_one_reports_is_not_repeat_missing() -> None:
    assert not _repeat([NOW - 10 * DAY, NOW])


def test_a_report_exactly_at_the_start_of_the_window_counts() -> None:
    assert _repeat([NOW - 30 * DAY, NOW - 10 * DAY, NOW])


def test_a_report_just_outside_the_window_does_not_count() -> None:
    assert not _repeat([NOW - 30 * DAY - SECOND, NOW - 10 * DAY, NOW])


def test_a_report_after_now_does_not_count() -> None:
    assert not _repeat([NOW - 10 * DAY, NOW, NOW + SECOND])


def test_no_reports_is_not_repeat_missing() -> None:
    assert not _repeat([])


def test_the_thresholds_are_configurable() -> None:
    times = [NOW - 60 * DAY, NOW - 45 * DAY, NOW - DAY]
    assert not is_repeat_missing(times, now=NOW, episodes=3, days=30)
    assert is_repeat_missing(times, now=NOW, episodes=3, days=90)
    assert is_repeat_missing(times, now=NOW, episodes=1, days=30)


# Seconds from NOW: mostly before, some after.
offsets = st.integers(min_value=-120 * 24 * 3600, max_value=24 * 3600)


@given(
    before=st.lists(offsets, max_size=8),
    extra=offsets,
    episodes=st.integers(min_value=1, max_value=6),
    days=st.integers(min_value=1, max_value=120),
)
def test_adding_a_report_never_turns_repeat_missing_off(
    before: list[int], extra: int, episodes: int, days: int
) -> None:
    times = [NOW + datetime.timedelta(seconds=s) for s in before]
    was = is_repeat_missing(times, now=NOW, episodes=episodes, days=days)
    now_is = is_repeat_missing(
        [*times, NOW + datetime.timedelta(seconds=extra)], now=NOW, episodes=episodes, days=days
    )
    assert now_is or not was


@given(times=st.lists(offsets, max_size=10), days=st.integers(min_value=1, max_value=120))
def test_repeat_missing_counts_reports_inside_the_window(times: list[int], days: int) -> None:
    reports = [NOW + datetime.timedelta(seconds=s) for s in times]
    inside = sum(1 for t in reports if NOW - days * DAY <= t <= NOW)
    assert is_repeat_missing(reports, now=NOW, episodes=inside, days=days) is True
    assert is_repeat_missing(reports, now=NOW, episodes=inside + 1, days=days) is False
