"""Every comparison level the engine can report has plain words, and weights map to strengths."""

from __future__ import annotations

import pytest

from hafan.linkage.explain import PHRASES, explain, strength
from hafan.linkage.records import COMPARISONS


def test_every_level_the_engine_reports_has_a_phrase() -> None:
    expected = {(comparison, level) for comparison, levels in COMPARISONS.items() for level in levels}
    assert expected == set(PHRASES)


@pytest.mark.parametrize(
    ("weight", "words"),
    [
        (9.5, "strong evidence for"),
        (4.0, "strong evidence for"),
        (2.0, "some evidence for"),
        (0.0, "little evidence either way"),
        (-2.5, "some evidence against"),
        (-4.0, "strong evidence against"),
        (-12.0, "strong evidence against"),
    ],
)
def test_strength_bands(weight: float, words: str) -> None:
    assert str(strength(weight)[0]) == words


def test_explain_puts_the_strongest_evidence_first_in_plain_words() -> None:
    rows = explain([["sex", "same", 0.4], ["date_of_birth", "exact", 7.2], ["given_name", "different", -5.1]])
    assert [(r.phrase, r.strength) for r in rows] == [
        ("same date of birth", "strong evidence for"),
        ("different first names", "strong evidence against"),
        ("same sex", "little evidence either way"),
    ]
