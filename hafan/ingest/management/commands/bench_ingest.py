"""Benchmark: importing large agency files (`make bench-ingest`).

For each format (police-csv, generic) and size (100,000 and 1,000,000 rows by default) a synthetic file is
written (not timed), the database's agency records are emptied, and `hafan import` runs in a child
process: the first import (everything new) and then the same file again (everything unchanged). Printed
per run: the check-and-write time, records per second and the child's peak resident memory
(VmHWM, which the import reports with --report-memory), which should stay flat as the file grows because both passes stream.

It empties the hub's tables, so it refuses to run unless the database's name contains "bench"
(`make bench-ingest` creates and migrates `hafan_bench` on the local PostgreSQL).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from hafan.agencies.services import partnership_seed
from hafan.ingest.models import ImportRun
from hafan.ingest.synthetic import GENERIC_MAPPING, write_generic_csv, write_police_csv

EMPTIED = [
    "ingest_importrowerror",
    "ingest_importrun",
    "linkage_blockingkey",
    "linkage_recordlinkage",
    "linkage_matchdecision",
    "linkage_identitychange",
    "people_sourcerecordversion",
    "people_fact",
    "risk_riskassessment",
    "debriefs_debrief",
    "referrals_referral",
    "episodes_episode",
    "people_responseplan",
    "people_sourcerecord",
    "people_child",
]


class Command(BaseCommand):
    help = "Imports synthetic police and generic CSV files of 100k and 1M rows; prints records/s and peak memory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
        parser.add_argument("--formats", default="police-csv,generic", help="police-csv and/or generic")
        parser.add_argument("--keep-files", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(
                f"Refusing to empty database {name!r}: use a database whose name contains 'bench'."
            )
        partnership_seed()
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        formats = [f.strip() for f in options["formats"].split(",") if f.strip()]
        self.stdout.write(f"Database: {connection.vendor} {name}; {os.cpu_count()} CPUs")
        self.stdout.write(
            f"{'format':<11} {'rows':>9} {'run':<10} {'seconds':>8} {'records/s':>10} {'peak MB':>8} {'file MB':>8}"
        )
        with tempfile.TemporaryDirectory(prefix="hafan-bench-ingest-") as folder:
            for format_name in formats:
                for size in sizes:
                    path, extra = self._write(folder, format_name, size)
                    self._empty()
                    for label in ("first", "again"):
                        seconds, peak_mb = self._import(format_name, path, extra)
                        run = ImportRun.objects.order_by("-id").first()
                        assert run is not None
                        done = run.records_new + run.records_changed + run.records_unchanged
                        if run.status != "succeeded" or done != size:
                            raise CommandError(
                                f"{format_name} {size}: status {run.status}, {done} records, "
                                f"{run.records_rejected} rejected ({run.rejection_reason})"
                            )
                        run_seconds = run.duration_seconds or seconds
                        self.stdout.write(
                            f"{format_name:<11} {size:>9,} {label:<10} {run_seconds:>8.1f} "
                            f"{size / run_seconds:>10,.0f} {peak_mb:>8.0f} {os.path.getsize(path) / 1e6:>8.0f}"
                        )
                    if not options["keep_files"]:
                        os.remove(path)

    def _write(self, folder: str, format_name: str, size: int) -> tuple[str, list[str]]:
        path = os.path.join(folder, f"{format_name}-{size}.csv")
        with open(path, "w", encoding="utf-8", newline="") as out:
            if format_name == "police-csv":
                write_police_csv(out, size)
                return path, ["--agency", "GWP"]
            if format_name == "generic":
                write_generic_csv(out, size)
                mapping = os.path.join(folder, "generic.toml")
                with open(mapping, "w", encoding="utf-8") as handle:
                    handle.write(GENERIC_MAPPING)
                return path, ["--agency", "NCC", "--mapping", mapping]
        raise CommandError(f"Unknown format {format_name!r}: police-csv or generic.")

    def _empty(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {', '.join(EMPTIED)} CASCADE")
            else:
                for table in EMPTIED:
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def _import(self, format_name: str, path: str, extra: list[str]) -> tuple[float, float]:
        command = [
            sys.executable, "-m", "hafan.cli", "import", format_name, path, "--no-link", "--report-memory", *extra
        ]  # fmt: skip
        started = time.perf_counter()
        finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        seconds = time.perf_counter() - started
        if finished.returncode != 0:
            raise CommandError(f"import failed:\n{finished.stdout}{finished.stderr}")
        # The child's own high-water mark (VmHWM): rusage would also count the memory it was forked with.
        peak = next(
            (
                float(line.split()[2])
                for line in finished.stdout.splitlines()
                if line.startswith("Peak memory:")
            ),
            0.0,
        )
        return seconds, peak
