"""hafan link: link every unlinked source record; --full retrains the model and relinks, keeping human decisions."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from hafan.linkage.services import link_run


class ProgressBar:
    def __init__(self, stream: Any, width: int = 40) -> None:
        self.stream = stream
        self.width = width
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if percent == self.last and done != total:
            return
        self.last = percent
        filled = self.width * percent // 100
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% ({done}/{total})")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Links all unlinked source records to hub identities (--full: retrain and relink, keeping human decisions)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--full", action="store_true", help="Retrain the model and re-score every pair.")
        parser.add_argument("--seed", type=int, default=2013, help="Seed for training (reproducible).")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args: Any, full: bool, seed: int, no_progress: bool, **options: Any) -> None:
        progress = None if no_progress else ProgressBar(sys.stderr)
        summary = link_run(full=full, seed=seed, progress=progress)
        if summary.model_version is None:
            self.stdout.write("No source records to link.")
            return
        self.stdout.write(
            f"Model v{summary.model_version}{' (trained now)' if summary.trained else ''}: "
            f"{summary.records_matched} records matched, {summary.auto_links} automatic links, "
            f"{summary.merges} identities merged, {summary.queued_for_review} pairs waiting for review "
            f"({summary.seconds:.1f} s)."
        )
