"""Pairwise precision, recall and F1 of a clustering against ground truth. Pure: no Django, no Splink.

How it counts. Two records form a *pair* when they sit in the same cluster. Against the truth
(record id -> true person key):

- predicted pairs: pairs within the predicted clusters;
- true pairs: pairs within the true clusters (records with the same true key);
- correct pairs: pairs that are both, i.e. within one predicted cluster AND one true person;
- precision = correct / predicted; recall = correct / true; F1 their harmonic mean.

Pairs are counted, never listed: a cluster of n records holds n(n-1)/2 pairs, and the correct pairs
of a predicted cluster are the sum of m(m-1)/2 over the true people it holds m records of each. So
this runs in time linear in the number of records, at 1M records as at ten.

Only records that appear in the truth are scored: a hand-labelled sample (`hafan link_evaluate`)
labels some records, and the clusters are cut down to those. A labelled record that no predicted
cluster holds counts as a predicted singleton.

Edge cases, defined so that a perfect answer always scores 1:
- no predicted pairs: precision is 1.0 (nothing was claimed, so nothing claimed is wrong);
- no true pairs: recall is 1.0 (there was nothing to find);
- F1 is 0.0 when precision and recall are both 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    clusters: int  # predicted clusters among the scored records, singletons included
    true_clusters: int  # distinct true people among the scored records

    def as_text(self) -> str:
        return (
            f"precision {self.precision:.4f}, recall {self.recall:.4f}, F1 {self.f1:.4f} "
            f"({self.correct_pairs:,} of {self.predicted_pairs:,} predicted pairs correct, "
            f"{self.true_pairs:,} true pairs; {self.clusters:,} clusters for {self.true_clusters:,} people)"
        )


def pairs_in(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(predicted_clusters: Iterable[Iterable[int]], truth: Mapping[int, str]) -> Scores:
    """Score clusters of record ids against record id -> true key. A record in two clusters is an error."""
    seen: set[int] = set()
    predicted_pairs = 0
    correct_pairs = 0
    clusters = 0
    for cluster in predicted_clusters:
        labelled = [record_id for record_id in cluster if record_id in truth]
        if not labelled:
            continue
        overlap = seen.intersection(labelled)
        if overlap or len(set(labelled)) != len(labelled):
            raise ValueError(f"record {min(overlap) if overlap else labelled[0]} is in more than one cluster")
        seen.update(labelled)
        clusters += 1
        predicted_pairs += pairs_in(len(labelled))
        if len(labelled) > 1:
            correct_pairs += sum(pairs_in(m) for m in Counter(truth[r] for r in labelled).values())
    clusters += len(truth) - len(seen)  # labelled records no cluster holds: singletons

    people = Counter(truth.values())
    true_pairs = sum(pairs_in(m) for m in people.values())
    precision = correct_pairs / predicted_pairs if predicted_pairs else 1.0
    recall = correct_pairs / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        precision=precision,
        recall=recall,
        f1=f1,
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct_pairs,
        clusters=clusters,
        true_clusters=len(people),
    )


def clusters_from_assignment(assignment: Mapping[int, str]) -> list[set[int]]:
    """record id -> cluster label (a person id, a true key) as clusters, in order of first appearance."""
    by_label: dict[str, set[int]] = {}
    for record_id, label in assignment.items():
        by_label.setdefault(label, set()).add(record_id)
    return list(by_label.values())


def clusters_from_pairs(pairs: Iterable[tuple[int, int]], record_ids: Iterable[int] = ()) -> list[set[int]]:
    """Connected components of links (union-find), with every id in record_ids present (as a singleton
    if nothing links it). For baselines and checks; the engine has its own `cluster`."""
    parent: dict[int, int] = {r: r for r in record_ids}

    def find(x: int) -> int:
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, set[int]] = {}
    for r in parent:
        groups.setdefault(find(r), set()).add(r)
    return list(groups.values())
