"""Small-number suppression of feedback counts (hafan.feedback.figures): pure, no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hafan.feedback.figures import Count, response_rate, shown, suppress_counts

ORDER = ("yes", "a_bit", "no")


def _values(counts: dict[str, Count]) -> list[int | None]:
    return [counts[k].value for k in ORDER]


def test_exact_for_the_service_itself() -> None:
    got = suppress_counts({"yes": 1, "no": 2}, order=ORDER, threshold=5, exact=True, answers=3)
    assert _values(got) == [1, 0, 2]


def test_every_figure_withheld_below_the_threshold_of_answers() -> None:
    # With three answers, even "a bit: 0" says something about each young person.
    got = suppress_counts({"yes": 3}, order=ORDER, threshold=5, exact=False, answers=3)
    assert _values(got) == [None, None, None]


def test_small_counts_withheld_and_a_lone_one_gets_company() -> None:
    got = suppress_counts({"yes": 9, "a_bit": 6, "no": 2}, order=ORDER, threshold=5, exact=False, answers=17)
    assert _values(got) == [9, None, None]  # "no" alone could be worked out as 17 - 9 - 6
    got = suppress_counts({"yes": 9, "a_bit": 3, "no": 2}, order=ORDER, threshold=5, exact=False, answers=14)
    assert _values(got) == [9, None, None]
    got = suppress_counts({"yes": 9, "a_bit": 6, "no": 5}, order=ORDER, threshold=5, exact=False, answers=20)
    assert _values(got) == [9, 6, 5]


def test_single_figures_and_the_rate() -> None:
    assert shown(0, threshold=5, exact=False).value == 0
    assert shown(4, threshold=5, exact=False).withheld
    assert shown(4, threshold=5, exact=True).value == 4
    assert response_rate(6, 7, threshold=5, exact=False) == 86
    assert response_rate(3, 7, threshold=5, exact=False) is None
    assert response_rate(3, 7, threshold=5, exact=True) == 43
    assert response_rate(0, 0, threshold=5, exact=True) is None


@given(
    counts=st.fixed_dictionaries({k: st.integers(0, 40) for k in ORDER}),
    threshold=st.integers(2, 10),
)
def test_no_withheld_count_can_be_worked_out_from_the_rest(counts: dict[str, int], threshold: int) -> None:
    answers = sum(counts.values())
    got = suppress_counts(counts, order=ORDER, threshold=threshold, exact=False, answers=answers)
    hidden = [k for k, c in got.items() if c.withheld]
    for key in ORDER:
        n = counts[key]
        if 0 < n < threshold:
            assert got[key].withheld  # every small count is withheld
        if not got[key].withheld:
            assert got[key].value == n  # what is shown is true
    # Never exactly one hidden count while the others and the total are shown.
    assert len(hidden) != 1
