"""Small-number suppression for tables that leave the hub (the quarterly report's PDF, CSV and XLSX). Pure.

A count from 1 to threshold - 1 could point at one child, so it is withheld ("fewer than 5"). That alone is not
enough when the table prints totals: with a row total and every other cell of the row shown, the withheld cell
is the total minus the rest. So after the small cells (primary suppression), every line (a row with its total, a
column with its total) that has exactly one withheld figure gets a second one: the smallest other figure in that
line, preferring one that is not zero (secondary suppression). Hiding one cell can leave a single hidden cell in
a crossing line, so this repeats until no line has exactly one. A total is a figure like any other: a small total
is withheld too, and when nothing else in its line can be, the total is.

Zero is shown: "none" identifies nobody, and hiding zeros would make every sparse table unreadable.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


def is_small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


@dataclass(frozen=True)
class Grid:
    """The table with its totals, and which figures are withheld (True = withheld).

    `cells[r][c]` are the body's figures; `row_totals[r]` (when the table has a total column), `column_totals[c]`
    (when it has a total row) and `grand_total` (when it has both) are computed here, never trusted from outside.
    """

    cells: list[list[int]]
    hidden: list[list[bool]]
    row_totals: list[int] | None
    row_totals_hidden: list[bool] | None
    column_totals: list[int] | None
    column_totals_hidden: list[bool] | None
    grand_total: int | None
    grand_total_hidden: bool


def suppress_table(
    rows: Sequence[Sequence[int]],
    *,
    threshold: int,
    row_totals: bool = False,
    column_totals: bool = False,
    force_cells: Collection[tuple[int, int]] = (),
    force_row_totals: Collection[int] = (),
    force_column_totals: Collection[int] = (),
    force_grand_total: bool = False,
) -> Grid:
    """Which figures of `rows` (and of the totals asked for) to withhold. Every row must be as long as the first.

    Lines that add up are the rows (when `row_totals`) and the columns (when `column_totals`); a table with no
    totals only needs the small cells withheld. `force_*` withhold figures that another table of the same report
    withholds (the same figure printed twice must be withheld in both, or one gives the other away); the
    secondary suppression then works around them like any other withheld figure."""
    body = [list(row) for row in rows]
    width = len(body[0]) if body else 0
    if any(len(row) != width for row in body):
        raise ValueError("every row must have the same number of figures")
    if any(n < 0 for row in body for n in row):
        raise ValueError("counts cannot be negative")
    height = len(body)
    has_totals_column = row_totals and width > 0
    has_totals_row = column_totals and height > 0
    # One grid with the totals in it: an extra column at the right, an extra row at the bottom.
    full_w = width + (1 if has_totals_column else 0)
    full_h = height + (1 if has_totals_row else 0)
    grid = [[0] * full_w for _ in range(full_h)]
    for r in range(height):
        for c in range(width):
            grid[r][c] = body[r][c]
        if has_totals_column:
            grid[r][width] = sum(body[r])
    if has_totals_row:
        for c in range(full_w):
            grid[height][c] = sum(grid[r][c] for r in range(height))

    hidden = [[is_small(grid[r][c], threshold) for c in range(full_w)] for r in range(full_h)]
    for r, c in force_cells:
        hidden[r][c] = True
    if has_totals_column:
        for r in force_row_totals:
            hidden[r][width] = True
    if has_totals_row:
        for c in force_column_totals:
            hidden[height][c] = True
        if has_totals_column and force_grand_total:
            hidden[height][width] = True

    # Each line: its cells (body positions first, the total last), for the lines whose sums are printed.
    lines: list[list[tuple[int, int]]] = []
    if has_totals_column:
        lines += [[(r, c) for c in range(full_w)] for r in range(full_h)]
    if has_totals_row:
        lines += [[(r, c) for r in range(full_h)] for c in range(full_w)]

    changed = True
    while changed:
        changed = False
        for line in lines:
            withheld = [pos for pos in line if hidden[pos[0]][pos[1]]]
            if len(withheld) != 1:
                continue
            total_pos = line[-1]
            candidates = [pos for pos in line if not hidden[pos[0]][pos[1]]]
            # The smallest figure not zero, then a zero (hiding a zero still leaves two unknowns), and the
            # line's total only when nothing else is left.
            ordered = sorted(
                candidates,
                key=lambda pos: (pos == total_pos, grid[pos[0]][pos[1]] == 0, grid[pos[0]][pos[1]], pos),
            )
            if ordered:
                r, c = ordered[0]
                hidden[r][c] = True
                changed = True

    return Grid(
        cells=body,
        hidden=[row[:width] for row in hidden[:height]],
        row_totals=[grid[r][width] for r in range(height)] if has_totals_column else None,
        row_totals_hidden=[hidden[r][width] for r in range(height)] if has_totals_column else None,
        column_totals=grid[height][:width] if has_totals_row else None,
        column_totals_hidden=hidden[height][:width] if has_totals_row else None,
        grand_total=grid[height][width] if has_totals_row and has_totals_column else None,
        grand_total_hidden=bool(has_totals_row and has_totals_column and hidden[height][width]),
    )
