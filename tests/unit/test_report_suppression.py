"""Small-number suppression of report tables (hafan.analytics.suppression): pure, no database."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hafan.analytics.suppression import Grid, is_small, suppress_table

THRESHOLD = 5


def _lines(grid: Grid, *, row_totals: bool, column_totals: bool) -> list[list[tuple[int, bool]]]:
    """Every line whose sum is printed, as (figure, withheld) pairs, its total last."""
    full = [
        [(v, h) for v, h in zip(row, hidden, strict=True)]
        for row, hidden in zip(grid.cells, grid.hidden, strict=True)
    ]
    if row_totals:
        assert grid.row_totals is not None and grid.row_totals_hidden is not None
        for r, row in enumerate(full):
            row.append((grid.row_totals[r], grid.row_totals_hidden[r]))
    if column_totals:
        assert grid.column_totals is not None and grid.column_totals_hidden is not None
        bottom = list(zip(grid.column_totals, grid.column_totals_hidden, strict=True))
        if row_totals:
            assert grid.grand_total is not None
            bottom.append((grid.grand_total, grid.grand_total_hidden))
        full.append(bottom)
    lines = []
    if row_totals:
        lines += full
    if column_totals:
        lines += [list(column) for column in zip(*full, strict=True)]
    return lines


def test_a_small_cell_is_withheld_and_given_company_in_its_column() -> None:
    # Council B's 3 alone would be 22 - 12 - 7.
    grid = suppress_table([[12], [3], [7], [0]], threshold=THRESHOLD, column_totals=True)
    assert grid.hidden == [[False], [True], [True], [False]]
    assert grid.column_totals == [22]
    assert grid.column_totals_hidden == [False]


def test_zero_is_shown_and_not_chosen_while_a_non_zero_figure_is_left() -> None:
    grid = suppress_table([[0, 3, 9, 6]], threshold=THRESHOLD, row_totals=True)
    assert grid.hidden == [[False, True, False, True]]
    assert grid.row_totals == [18]


def test_a_small_total_is_withheld_itself() -> None:
    grid = suppress_table([[2, 0], [1, 0]], threshold=THRESHOLD, row_totals=True, column_totals=True)
    assert grid.row_totals_hidden == [True, True]
    assert grid.column_totals_hidden == [True, False]
    assert grid.grand_total_hidden is True


def test_without_totals_only_small_cells_go() -> None:
    grid = suppress_table([[3, 40], [8, 1]], threshold=THRESHOLD)
    assert grid.hidden == [[True, False], [False, True]]
    assert grid.row_totals is None and grid.column_totals is None


def test_ragged_or_negative_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="same number"):
        suppress_table([[1, 2], [3]], threshold=THRESHOLD)
    with pytest.raises(ValueError, match="negative"):
        suppress_table([[-1]], threshold=THRESHOLD)


tables = st.integers(min_value=1, max_value=6).flatmap(
    lambda width: st.lists(
        st.lists(st.integers(min_value=0, max_value=30), min_size=width, max_size=width),
        min_size=1,
        max_size=6,
    )
)


@settings(max_examples=300, deadline=None)
@given(
    rows=tables,
    row_totals=st.booleans(),
    column_totals=st.booleans(),
    threshold=st.integers(2, 10),
    forced=st.sets(st.integers(0, 5), max_size=3),
)
def test_no_small_figure_shows_and_no_withheld_one_stands_alone(
    rows: list[list[int]], row_totals: bool, column_totals: bool, threshold: int, forced: set[int]
) -> None:
    forced_rows = {r for r in forced if r < len(rows)} if row_totals else set()
    grid = suppress_table(
        rows,
        threshold=threshold,
        row_totals=row_totals,
        column_totals=column_totals,
        force_row_totals=forced_rows,
    )
    if grid.row_totals_hidden is not None:
        assert all(grid.row_totals_hidden[r] for r in forced_rows)
    # The body is the input, untouched, and the totals add up.
    assert grid.cells == rows
    if grid.row_totals is not None:
        assert grid.row_totals == [sum(row) for row in rows]
    if grid.column_totals is not None:
        assert grid.column_totals == [sum(column) for column in zip(*rows, strict=True)]
    for line in _lines(grid, row_totals=row_totals, column_totals=column_totals):
        # Primary: nothing from 1 to threshold - 1 is shown.
        assert not any(is_small(v, threshold) and not hidden for v, hidden in line)
        # Secondary: a line never has exactly one withheld figure (it would be the total minus the rest).
        assert sum(hidden for _v, hidden in line) != 1, line
    if not row_totals and not column_totals and not forced_rows:
        # With no totals printed, only the small figures go.
        assert grid.hidden == [[is_small(v, threshold) for v in row] for row in rows]


@given(rows=tables)
def test_tables_with_no_small_figures_are_shown_whole(rows: list[list[int]]) -> None:
    big = [[0 if v < THRESHOLD else v for v in row] for row in rows]
    grid = suppress_table(big, threshold=THRESHOLD, row_totals=True, column_totals=True)
    # Sums of figures that are each 0 or at least the threshold are never small either.
    assert not any(any(row) for row in grid.hidden)
    assert not any(grid.row_totals_hidden or []) and not any(grid.column_totals_hidden or [])


def test_a_figure_withheld_elsewhere_is_withheld_here_with_company() -> None:
    # Another table withholds row 2's total (7): here it must go too, and its row then needs a second figure.
    grid = suppress_table(
        [[8, 4], [1, 2], [0, 7]], threshold=THRESHOLD, row_totals=True, force_row_totals=[2]
    )
    assert grid.row_totals_hidden == [False, True, True]
    assert grid.hidden[2] == [False, True]
    grid = suppress_table([[12], [3], [7]], threshold=THRESHOLD, column_totals=True, force_cells=[(0, 0)])
    assert grid.hidden == [[True], [True], [False]]
