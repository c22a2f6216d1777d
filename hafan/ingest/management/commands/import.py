"""`hafan import FORMAT FILE --agency CODE [--mapping FILE] [--dry-run]`: load an agency's file."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hafan.agencies.models import Agency
from hafan.core.errors import NotPermitted
from hafan.ingest.adapters import ADAPTERS
from hafan.ingest.models import ImportChannel, ImportRun, ImportStatus
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, error_report_write, import_link_new_records, import_run


class Command(BaseCommand):
    help = (
        "Imports an agency file: checks every row, writes the valid ones, and writes the rejected ones with "
        "their reasons to FILE.errors.csv beside the input. Re-running the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=sorted(ADAPTERS), help="The file's format (docs/ingest/).")
        parser.add_argument(
            "file", nargs="+", help="The file; for ssda903, its table files or a folder holding them."
        )
        parser.add_argument("--agency", required=True, help="The code of the agency whose data it is.")
        parser.add_argument("--mapping", help="A TOML mapping file (generic and caselist formats).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count; write nothing.")
        parser.add_argument(
            "--full-refresh",
            action="store_true",
            help="The file holds every record of the system: withdraw records that are missing from it.",
        )
        parser.add_argument("--user", help="Record the import as made by this staff user (username).")
        parser.add_argument(
            "--no-link", action="store_true", help="Leave identity resolution of new records for later."
        )
        parser.add_argument(
            "--report-memory",
            action="store_true",
            help="Print this process's peak resident memory at the end.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            agency = Agency.objects.get(code=options["agency"].upper())
        except Agency.DoesNotExist:
            raise CommandError(f"No agency with code {options['agency']!r}.") from None
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No staff user {options['user']!r}.")
        paths = _expand(options["file"])
        mapping_text = None
        if options["mapping"]:
            try:
                with open(options["mapping"], encoding="utf-8") as handle:
                    mapping_text = handle.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Cannot read the mapping file: {exc}") from exc
        request = ImportRequest(
            format=options["format"],
            sources=[Source.from_path(p) for p in paths],
            agency=agency,
            actor=actor,
            channel=ImportChannel.COMMAND,
            mapping_text=mapping_text,
            dry_run=options["dry_run"],
            full_refresh=options["full_refresh"],
        )
        verbose = options["verbosity"] > 1

        def progress(run: ImportRun) -> None:
            if verbose:
                self.stdout.write(f"  {run.rows_done:,} of {run.rows_total:,} records written")

        try:
            run = import_run(request, progress=progress)
        except NotPermitted as exc:
            raise CommandError(f"{exc} ({actor} is not an administrator of {agency.code}).") from exc
        report = f"{paths[0]}.errors.csv"
        if run.status == ImportStatus.REJECTED or run.records_rejected:
            error_report_write(run, report)
        elif os.path.exists(report):
            os.remove(report)  # a report from an earlier attempt no longer describes this file
        self.stdout.write(_summary(run))
        if options["report_memory"]:
            self.stdout.write(f"Peak memory: {_peak_memory_mb():.0f} MB")
        if run.status == ImportStatus.REJECTED:
            raise CommandError(f"Rejected, nothing imported: {run.rejection_reason} (report: {report})")
        if run.records_rejected:
            self.stdout.write(self.style.WARNING(f"{run.records_rejected} row(s) rejected: see {report}"))
        if run.rejection_reason:
            self.stdout.write(self.style.WARNING(run.rejection_reason))
        # New records, and changed ones (their earlier matches were cleared), go to identity resolution.
        if (
            run.status == ImportStatus.SUCCEEDED
            and (run.records_new or run.records_changed)
            and not options["no_link"]
        ):
            summary = import_link_new_records(actor=actor)
            if summary is None:
                self.stdout.write("Identity resolution: no trained model yet; run `hafan link` to train one.")
            else:
                self.stdout.write(
                    f"Identity resolution: {summary.records_matched} records matched, {summary.merges} merged, "
                    f"{summary.queued_for_review} pairs queued for review."
                )


def _expand(paths: list[str]) -> list[str]:
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            files += sorted(
                os.path.join(path, name)
                for name in os.listdir(path)
                if os.path.isfile(os.path.join(path, name)) and not name.endswith(".errors.csv")
            )
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise CommandError(f"No such file: {path}")
    return files


def _peak_memory_mb() -> float:
    """The process's own high-water resident memory (VmHWM, Linux), which starts afresh at exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _summary(run: ImportRun) -> str:
    seconds = run.duration_seconds or 0.0
    rate = (run.rows_done / seconds) if seconds else 0.0
    return (
        f"{run.get_status_display()}: {run.format} {run.file_name} for {run.agency.code}: "
        f"new {run.records_new}, changed {run.records_changed}, unchanged {run.records_unchanged}, "
        f"rejected {run.records_rejected}, withdrawn {run.records_withdrawn}; "
        f"episodes new {run.episodes_new}, facts new {run.facts_new}; "
        f"{seconds:.1f} s ({rate:,.0f} records/s)"
    )
