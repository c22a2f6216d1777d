"""Pairwise precision, recall and F1: worked examples, and properties against brute-force pair counting."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hafan.linkage.evaluation import (
    Scores,
    clusters_from_assignment,
    clusters_from_pairs,
    pairwise_scores,
)

# Worked examples

TRUTH = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b", 6: "c"}  # true pairs: 3 (a) + 1 (b) = 4


def test_worked_example() -> None:
    scores = pairwise_scores([{1, 2}, {3, 4, 5}, {6}], TRUTH)
    # predicted pairs: 1-2, 3-4, 3-5, 4-5; correct: 1-2 and 4-5
    assert scores == Scores(
        precision=0.5,
        recall=0.5,
        f1=0.5,
        true_pairs=4,
        predicted_pairs=4,
        correct_pairs=2,
        clusters=3,
        true_clusters=3,
    )


def test_one_big_cluster_finds_everything_but_claims_too_much() -> None:
    scores = pairwise_scores([set(TRUTH)], TRUTH)
    assert scores.recall == 1.0
    assert scores.predicted_pairs == 15
    assert scores.precision == pytest.approx(4 / 15)
    assert scores.f1 == pytest.approx(2 * (4 / 15) / (1 + 4 / 15))


def test_all_singletons_find_nothing_and_claim_nothing() -> None:
    scores = pairwise_scores([{r} for r in TRUTH], TRUTH)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)
    assert scores.clusters == 6


def test_when_everyone_is_alone_singletons_are_perfect() -> None:
    truth = {1: "a", 2: "b", 3: "c"}
    scores = pairwise_scores([{1}, {2}, {3}], truth)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    assert scores.true_pairs == 0


def test_a_wrong_merge_of_two_singletons_scores_zero() -> None:
    scores = pairwise_scores([{1, 2}], {1: "a", 2: "b"})
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 1.0, 0.0)


def test_only_labelled_records_are_scored() -> None:
    """A hand-labelled sample: clusters hold unlabelled records too, and some labelled records are in
    no cluster (they count as singletons)."""
    truth = {1: "a", 2: "a", 3: "b", 9: "b"}
    scores = pairwise_scores([{1, 2, 100, 101}, {3, 102}], truth)
    assert scores.predicted_pairs == 1  # only 1-2: 100, 101 and 102 are not labelled
    assert scores.correct_pairs == 1
    assert scores.true_pairs == 2
    assert scores.clusters == 3  # {1, 2}, {3}, and 9 on its own
    assert scores.recall == 0.5


def test_a_record_in_two_clusters_is_an_error() -> None:
    with pytest.raises(ValueError, match="more than one cluster"):
        pairwise_scores([{1, 2}, {2, 3}], {1: "a", 2: "a", 3: "a"})


def test_empty_input() -> None:
    assert pairwise_scores([], {}) == Scores(1.0, 1.0, 1.0, 0, 0, 0, 0, 0)


def test_clusters_from_assignment() -> None:
    assert clusters_from_assignment(TRUTH) == [{1, 2, 3}, {4, 5}, {6}]


def test_clusters_from_pairs_is_connected_components() -> None:
    clusters = clusters_from_pairs([(1, 2), (2, 3), (5, 4)], record_ids=range(1, 8))
    assert sorted(sorted(c) for c in clusters) == [[1, 2, 3], [4, 5], [6], [7]]


def test_scale_is_counted_not_enumerated() -> None:
    """A million records in two clusters: enumerating pairs would be 5e11; counting is instant."""
    n = 1_000_000
    truth = {r: ("a" if r % 2 else "b") for r in range(n)}
    scores = pairwise_scores([set(range(n))], truth)
    assert scores.predicted_pairs == n * (n - 1) // 2
    assert scores.correct_pairs == 2 * ((n // 2) * (n // 2 - 1) // 2)


# Properties

labels = st.sampled_from("abcdef")
assignments = st.dictionaries(st.integers(min_value=1, max_value=40), labels, max_size=30)


@st.composite
def truth_and_prediction(draw: st.DrawFn) -> tuple[dict[int, str], dict[int, str]]:
    truth = draw(assignments)
    predicted = {r: draw(st.sampled_from("uvwxyz")) for r in truth}
    return truth, predicted


def brute_force(predicted: dict[int, str], truth: dict[int, str]) -> tuple[int, int, int]:
    ids = sorted(truth)
    pairs = list(itertools.combinations(ids, 2))
    same_predicted = {p for p in pairs if predicted[p[0]] == predicted[p[1]]}
    same_true = {p for p in pairs if truth[p[0]] == truth[p[1]]}
    return len(same_predicted), len(same_true), len(same_predicted & same_true)


@given(truth_and_prediction())
def test_counts_agree_with_enumerating_every_pair(case: tuple[dict[int, str], dict[int, str]]) -> None:
    truth, predicted = case
    scores = pairwise_scores(clusters_from_assignment(predicted), truth)
    assert (scores.predicted_pairs, scores.true_pairs, scores.correct_pairs) == brute_force(predicted, truth)
    assert 0.0 <= scores.precision <= 1.0
    assert 0.0 <= scores.recall <= 1.0
    assert (
        min(scores.precision, scores.recall) - 1e-12
        <= scores.f1
        <= max(scores.precision, scores.recall) + 1e-12
    )
    assert scores.clusters == len(set(predicted.values()))
    assert scores.true_clusters == len(set(truth.values()))


@given(assignments)
def test_a_perfect_prediction_scores_one(truth: dict[int, str]) -> None:
    scores = pairwise_scores(clusters_from_assignment(truth), truth)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    assert scores.clusters == scores.true_clusters


@given(assignments)
def test_singletons_have_recall_zero_unless_the_truth_is_all_singletons(truth: dict[int, str]) -> None:
    scores = pairwise_scores([{r} for r in truth], truth)
    assert scores.precision == 1.0  # no predicted pairs: defined as 1
    all_alone = len(set(truth.values())) == len(truth)
    assert scores.recall == (1.0 if all_alone else 0.0)


@given(truth_and_prediction())
def test_swapping_prediction_and_truth_swaps_precision_and_recall(
    case: tuple[dict[int, str], dict[int, str]],
) -> None:
    truth, predicted = case
    forward = pairwise_scores(clusters_from_assignment(predicted), truth)
    backward = pairwise_scores(clusters_from_assignment(truth), predicted)
    if forward.predicted_pairs and forward.true_pairs:
        assert forward.precision == pytest.approx(backward.recall)
        assert forward.recall == pytest.approx(backward.precision)
    assert forward.f1 == pytest.approx(backward.f1)


@given(truth_and_prediction())
def test_splitting_clusters_never_adds_pairs_or_recall(case: tuple[dict[int, str], dict[int, str]]) -> None:
    truth, predicted = case
    clusters = clusters_from_assignment(predicted)
    split = [
        part for c in clusters for part in ({r for r in c if r % 2}, {r for r in c if not r % 2}) if part
    ]
    before, after = pairwise_scores(clusters, truth), pairwise_scores(split, truth)
    assert after.predicted_pairs <= before.predicted_pairs
    assert after.correct_pairs <= before.correct_pairs
    assert after.recall <= before.recall


@given(truth_and_prediction())
def test_splitting_along_the_truth_makes_precision_one_and_keeps_recall(
    case: tuple[dict[int, str], dict[int, str]],
) -> None:
    truth, predicted = case
    clusters = clusters_from_assignment(predicted)
    split = [
        c & set(people) for c in clusters for people in clusters_from_assignment(truth) if c & set(people)
    ]
    before, after = pairwise_scores(clusters, truth), pairwise_scores(split, truth)
    assert after.precision == 1.0
    assert after.recall == before.recall
