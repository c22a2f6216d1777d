"""The SERAF-style exploitation screening: weights, score and bands (hafan.risk.rules, pure)."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from hafan.risk.rules import (
    SCREENING_BANDS,
    SCREENING_INDICATORS,
    SCREENING_MEDIUM_FROM,
    SCREENING_WEIGHTS,
    repeat_count,
    screening_score,
)

CODES = [i.code for i in SCREENING_INDICATORS]
HIGH_FROM = 6
BAND_ORDER = ["low", "medium", "high"]

answers_strategy = st.dictionaries(st.sampled_from(CODES), st.booleans())


def test_indicators_are_unique_weighted_and_labelled() -> None:
    assert 10 <= len(SCREENING_INDICATORS) <= 14
    assert len(set(CODES)) == len(CODES)
    assert all(1 <= i.weight <= 3 for i in SCREENING_INDICATORS)
    assert all(str(i.label) for i in SCREENING_INDICATORS)
    assert set(SCREENING_BANDS) == set(BAND_ORDER)


def test_nothing_ticked_is_low_zero() -> None:
    assert screening_score({}, high_from=HIGH_FROM) == (0, "low")
    assert screening_score(dict.fromkeys(CODES, False), high_from=HIGH_FROM) == (0, "low")


def test_everything_ticked_scores_every_weight() -> None:
    score, band = screening_score(dict.fromkeys(CODES, True), high_from=HIGH_FROM)
    assert score == sum(SCREENING_WEIGHTS.values())
    assert band == "high"


def test_band_boundaries() -> None:
    # carries_weapon (3) alone reaches medium; with returns_injured (3) it reaches the high threshold of 6.
    assert SCREENING_WEIGHTS["carries_weapon"] == 3
    assert screening_score({"substances": True, "new_peer_group": True}, high_from=HIGH_FROM) == (2, "low")
    assert screening_score({"carries_weapon": True}, high_from=HIGH_FROM) == (3, "medium")
    assert screening_score({"carries_weapon": True, "gang_places": True}, high_from=HIGH_FROM) == (6, "high")
    assert screening_score(
        {"carries_weapon": True, "substances": True, "new_peer_group": True}, high_from=HIGH_FROM
    ) == (5, "medium")


def test_threshold_comes_from_the_caller() -> None:
    assert screening_score({"carries_weapon": True}, high_from=3) == (3, "high")
    assert screening_score({"carries_weapon": True}, high_from=20) == (3, "medium")


def test_unknown_codes_count_nothing() -> None:
    assert screening_score({"made_up": True}, high_from=HIGH_FROM) == (0, "low")


@given(answers_strategy, st.sampled_from(CODES), st.integers(min_value=1, max_value=30))
def test_score_and_band_are_monotone_in_answers(answers: dict[str, bool], extra: str, high_from: int) -> None:
    """Ticking one more indicator never lowers the score or the band."""
    before_score, before_band = screening_score(answers, high_from=high_from)
    after_score, after_band = screening_score({**answers, extra: True}, high_from=high_from)
    assert after_score >= before_score
    assert BAND_ORDER.index(after_band) >= BAND_ORDER.index(before_band)


@given(answers_strategy, st.integers(min_value=SCREENING_MEDIUM_FROM + 1, max_value=30))
def test_band_follows_the_score(answers: dict[str, bool], high_from: int) -> None:
    score, band = screening_score(answers, high_from=high_from)
    assert score == sum(SCREENING_WEIGHTS[c] for c, yes in answers.items() if yes)
    expected = "high" if score >= high_from else "medium" if score >= SCREENING_MEDIUM_FROM else "low"
    assert band == expected


def test_repeat_count_counts_only_the_window() -> None:
    now = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
    times = [now - datetime.timedelta(days=d) for d in (1, 10, 89, 91)] + [now + datetime.timedelta(hours=1)]
    assert repeat_count(times, now=now, days=90) == 3
