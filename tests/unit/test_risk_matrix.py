"""The child's risk matrix (issue 6, item 3): likelihood of going missing again x likely harm, as a truth table."""

from __future__ import annotations

import pytest

from hafan.core.vocabulary import RiskGrade
from hafan.risk.rules import matrix_rating, suggested_floor

# (likelihood, harm) -> rating: every cell of the 3 x 3 matrix, written out by hand.
MATRIX = {
    ("low", "low"): "low",
    ("low", "medium"): "low",
    ("low", "high"): "medium",
    ("medium", "low"): "low",
    ("medium", "medium"): "medium",
    ("medium", "high"): "high",
    ("high", "low"): "medium",
    ("high", "medium"): "high",
    ("high", "high"): "high",
}


@pytest.mark.parametrize(
    ("likelihood", "harm", "expected"), [(*cell, rating) for cell, rating in MATRIX.items()]
)
def test_matrix_cell(likelihood: str, harm: str, expected: str) -> None:
    assert matrix_rating(likelihood, harm) == expected


def test_the_table_covers_all_nine_cells() -> None:
    levels = ["low", "medium", "high"]
    assert set(MATRIX) == {(likelihood, harm) for likelihood in levels for harm in levels}


def test_the_matrix_is_symmetric() -> None:
    assert all(matrix_rating(a, b) == matrix_rating(b, a) for a, b in MATRIX)


@pytest.mark.parametrize(("likelihood", "harm"), [("", "high"), ("high", ""), ("", "")])
def test_no_rating_until_both_levels_are_known(likelihood: str, harm: str) -> None:
    assert matrix_rating(likelihood, harm) == ""


@pytest.mark.parametrize(("likelihood", "harm"), [("very_high", "low"), ("low", "severe")])
def test_unknown_levels_are_refused(likelihood: str, harm: str) -> None:
    with pytest.raises(ValueError, match="unknown matrix level"):
        matrix_rating(likelihood, harm)


@pytest.mark.parametrize(
    ("rating", "floor"), [("high", RiskGrade.HIGH), ("medium", RiskGrade.MEDIUM), ("low", ""), ("", "")]
)
def test_suggested_floor(rating: str, floor: str) -> None:
    assert suggested_floor(rating) == floor
