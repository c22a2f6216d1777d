"""hafan retention_run [--dry-run] [--now YYYY-MM-DD]

Applies the retention schedules (settings.HAFAN_RETENTION; docs/adr/0006-retention.md). With --dry-run it
prints, per record type, how many rows would be deleted and why; without it, it deletes them (one
transaction and one audit entry per child). The output holds counts and public ids only. The audit trail
is never deleted: it holds no personal data and its chain must stay verifiable."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hafan.rights.retention import Kept
from hafan.rights.services import retention_run

KEPT_LABELS = {
    Kept.LEGAL_HOLD: "under a legal hold",
    Kept.OPEN_SUBJECT_ACCESS: "with a subject-access request not yet closed",
    Kept.UNDER_AGE: "not yet old enough",
}


class Command(BaseCommand):
    help = "Delete what is past its retention period (--dry-run: report only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be deleted; change nothing."
        )
        parser.add_argument(
            "--now", help="Run as if today were this date (YYYY-MM-DD), for drills and tests.", default=None
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                day = datetime.date.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError("--now must be a date: YYYY-MM-DD.") from exc
            now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
        report = retention_run(now=now, dry_run=options["dry_run"])
        verb = "would be deleted" if report.dry_run else "deleted"
        rules = report.rules
        out = self.stdout
        out.write(
            f"Retention run {'(dry run) ' if report.dry_run else ''}as of {timezone.localdate(now).isoformat()}"
        )
        out.write(
            f"children: {len(report.children)} {verb}: no activity since before "
            f"{report.activity_cutoff.isoformat()} ({rules['child_years_after_last_activity']} years) "
            f"and aged at least {rules['child_minimum_age']}"
        )
        for reason, count in sorted(report.kept.items()):
            out.write(f"  kept although past the activity period: {count} {KEPT_LABELS.get(reason, reason)}")
        for child in report.children:
            out.write(f"  child {child.public_id} (last activity {child.last_activity.isoformat()})")
        for label, count in report.rows_by_model().items():
            out.write(f"  {label}: {count} {verb} with those children")
        for schedule in report.schedules:
            out.write(f"{schedule.name}: {schedule.count} {verb}: {schedule.rule}")
        out.write(
            "audit trail: never deleted by this run (no personal data in it; its hash chain must stay "
            "verifiable; archived under its own schedule)"
        )
