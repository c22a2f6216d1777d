"""`hafan analytics_refresh [--full]`: rebuilds the analytics store from the episodes (issue 8)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hafan.analytics.refresh import analytics_refresh, episode_facts_refresh


class Command(BaseCommand):
    help = (
        "Rebuilds the analytics store (one row per episode) from the episodes changed since the last refresh, "
        "or every episode with --full. Safe to re-run: rows are replaced, never duplicated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Rebuild every episode's row.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        written = episode_facts_refresh() if options["full"] else analytics_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"Analytics store: {written} episodes refreshed in {time.monotonic() - started:.1f} s."
            )
        )
