"""hafan link_export --out FILE.csv: one row per source record with the hub identity it belongs to."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import F, Q

from hafan.linkage.models import DecisionStatus, MatchDecision
from hafan.people.models import SourceRecord

COLUMNS = ["agency", "source_record_id", "person_id", "match_probability"]


def _safe(value: str) -> str:
    """Spreadsheets run cells that start with these characters as formulas."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class Command(BaseCommand):
    help = "Writes agency,source_record_id,person_id,match_probability for every source record."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, type=Path, help="The CSV file to write.")

    def handle(self, *args: Any, out: Path, **options: Any) -> None:
        linked = Q(status__in=[DecisionStatus.AUTO_LINKED, DecisionStatus.ACCEPTED])
        best: dict[int, float] = {}
        rows = MatchDecision.objects.filter(linked, left__child=F("right__child")).values_list(
            "left_id", "right_id", "probability", "status"
        )
        for left_id, right_id, probability, status in rows:
            p = 1.0 if status == DecisionStatus.ACCEPTED else probability
            for record_id in (left_id, right_id):
                best[record_id] = max(best.get(record_id, 0.0), p)
        count = 0
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            records = SourceRecord.objects.select_related("agency", "child").order_by(
                "agency__code", "local_id"
            )
            for record in records.iterator(chunk_size=2000):
                linked_at = best.get(record.pk)
                writer.writerow(
                    [
                        record.agency.code,
                        _safe(record.local_id),
                        str(record.child.public_id),
                        "" if linked_at is None else f"{linked_at:.6f}",
                    ]
                )
                count += 1
        self.stdout.write(f"Wrote {count} records to {out}.")
