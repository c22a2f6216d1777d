"""hafan link_evaluate --truth FILE.csv: measure the hub's identities against a hand-labelled sample.

The truth file has the columns agency,source_record_id,true_person_key. Only the records it names are
scored: pairwise precision, recall and F1 of the hub's identities against the labels.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hafan.linkage.evaluation import pairwise_scores
from hafan.people.models import SourceRecord

REQUIRED = ("agency", "source_record_id", "true_person_key")


class Command(BaseCommand):
    help = "Prints pairwise precision, recall and F1 of the hub's identities against a labelled CSV sample."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--truth", required=True, type=Path)

    def handle(self, *args: Any, truth: Path, **options: Any) -> None:
        if not truth.exists():
            raise CommandError(f"{truth}: no such file.")
        wanted: dict[tuple[str, str], str] = {}
        errors: list[str] = []
        with truth.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(
                    f"{truth}: missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED)}."
                )
            for line, row in enumerate(reader, start=2):
                key = (row["agency"].strip(), row["source_record_id"].strip())
                person = row["true_person_key"].strip()
                if not all(key) or not person:
                    errors.append(f"line {line}: every column needs a value")
                elif key in wanted and wanted[key] != person:
                    errors.append(f"line {line}: {key[0]} {key[1]} is labelled twice with different people")
                else:
                    wanted[key] = person
        if errors:
            raise CommandError(f"{truth}: " + "; ".join(errors[:20]))
        found: dict[int, str] = {}
        predicted: dict[str, set[int]] = defaultdict(set)
        by_key: dict[tuple[str, str], list[tuple[int, Any]]] = defaultdict(list)
        for pk, agency, local_id, child in SourceRecord.objects.values_list(
            "pk", "agency__code", "local_id", "child__public_id"
        ):
            if (agency, local_id) in wanted:
                by_key[(agency, local_id)].append((pk, child))
        unknown = [k for k in wanted if k not in by_key]
        ambiguous = [k for k, v in by_key.items() if len(v) > 1]
        if ambiguous:
            raise CommandError(
                f"{len(ambiguous)} labelled records match more than one source record, e.g. {ambiguous[0]}."
            )
        for key, [(pk, child)] in by_key.items():
            found[pk] = wanted[key]
            predicted[str(child)].add(pk)
        scores = pairwise_scores(predicted.values(), found)
        self.stdout.write(
            f"records labelled: {len(wanted)}; found in the hub: {len(found)}; not found: {len(unknown)}"
        )
        self.stdout.write(
            f"pairwise precision {scores.precision:.4f}  recall {scores.recall:.4f}  F1 {scores.f1:.4f}  "
            f"(true pairs {scores.true_pairs}, predicted pairs {scores.predicted_pairs}, correct {scores.correct_pairs})"
        )
        self.stdout.write(f"clusters: {scores.clusters} predicted, {scores.true_clusters} in the labels")
