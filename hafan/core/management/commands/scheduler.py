"""`hafan scheduler`: the hub's clock. Each tick runs, in order, the checks that must happen without anyone
opening a page, then sends the email of any notice still waiting (docs/notifications.md):

1. information calls past their deadline escalate to the hub supervisors;
2. risk reviews past due are notified;
3. the repeat-missing and exploitation triggers make hub tasks; referrals with no answer (or no outcome) are
   reminded to the referrer and the service;
4. the analytics store is refreshed for the episodes changed since its last refresh (issue 8);
5. notices not yet emailed are emailed (the safety net behind the queued task).

Every job is idempotent (notices are made once per event), so ticks may overlap or repeat. A job that is
missing or fails is logged and the others still run; `--once` then exits non-zero.
"""

from __future__ import annotations

import datetime
import inspect
import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("hafan.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    path: str


JOBS = [
    Job("information_calls_escalate", "hafan.episodes.services.information_calls_escalate"),
    Job("reviews_overdue_notify", "hafan.risk.services.reviews_overdue_notify"),
    Job("triggers_run", "hafan.risk.triggers.triggers_run"),
    Job("referral_reminders_send", "hafan.referrals.services.referral_reminders_send"),
    # Issue 8: the analytics store catches up with the episodes changed since its last refresh.
    Job("analytics_refresh", "hafan.analytics.refresh.analytics_refresh"),
    Job("notifications_email_pending", "hafan.notifications.services.notifications_email_pending"),
]


def _summary(result: Any) -> str:
    if result is None or isinstance(result, int | str | float):
        return str(result)
    if isinstance(result, list | tuple | set | frozenset):
        return str(len(result))
    return str(result)


class Command(BaseCommand):
    help = (
        "Runs the hub's scheduled checks (information-call escalation, overdue reviews, triggers) and sends "
        "waiting notification email, every --every seconds, or once with --once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run one tick and exit (non-zero if a job failed)."
        )
        parser.add_argument("--every", type=int, default=60, help="Seconds between ticks (default 60).")

    def _log(self, message: str, *, error: bool = False) -> None:
        if error:
            logger.error(message)
            self.stderr.write(message)
        else:
            logger.info(message)
            self.stdout.write(message)

    def run_job(self, job: Job, *, now: datetime.datetime) -> bool:
        """Runs one job; returns whether it succeeded. Never raises."""
        try:
            function = import_string(job.path)
        except ImportError as exc:
            self._log(f"{job.name}: not available ({exc})", error=True)
            return False
        try:
            accepts_now = "now" in inspect.signature(function).parameters
            result = function(now=now) if accepts_now else function()
        except Exception as exc:  # one failing job must not stop the others
            logger.exception("%s failed", job.name)
            self._log(f"{job.name}: failed ({type(exc).__name__}: {exc})", error=True)
            return False
        self._log(f"{job.name}: {_summary(result)}")
        return True

    def tick(self) -> int:
        """One pass over every job, in order; returns how many failed."""
        now = timezone.now()
        return sum(0 if self.run_job(job, now=now) else 1 for job in JOBS)

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every < 1:
            raise CommandError("--every must be at least 1 second.")
        if options["once"]:
            failed = self.tick()
            if failed:
                raise CommandError(f"{failed} scheduled job(s) failed: see the log above.")
            return

        stopping = False

        def _stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True
            self._log(f"scheduler: stopping after this tick (signal {signum})")

        signal.signal(signal.SIGTERM, _stop)
        self._log(f"scheduler: running every {every} seconds; Ctrl-C or SIGTERM stops it")
        try:
            while not stopping:
                started = time.monotonic()
                # A long-running process: drop connections the database closed or that are past their age.
                close_old_connections()
                failed = self.tick()
                if failed:
                    self._log(f"scheduler: {failed} job(s) failed in this tick", error=True)
                deadline = started + every
                while not stopping and time.monotonic() < deadline:
                    time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        except KeyboardInterrupt:
            self._log("scheduler: stopped")
