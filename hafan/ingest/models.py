"""Imports of agency data: each run with its counts and error report, and each agency's code mappings."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hafan.core.models import HafanModel
from hafan.ingest.vocabularies import TARGETS, Vocabulary, normalise_code


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking the file")
    WRITING = "writing", _("Writing records")
    SUCCEEDED = "succeeded", _("Imported")
    REJECTED = "rejected", _("Rejected: nothing imported")
    FAILED = "failed", _("Stopped: run it again to complete")
    DRY_RUN = "dry_run", _("Checked only (dry run)")


class ImportChannel(models.TextChoices):
    COMMAND = "command", _("Command line")
    API = "api", _("Agency system (API)")
    PAGE = "page", _("Upload page")


class ImportRun(HafanModel):
    """One import of one agency file: who, when, what came in, what was rejected and why."""

    format = models.CharField(max_length=32, help_text=_("The adapter used, e.g. police-csv or fhir."))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=300)
    file_size = models.BigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=ImportChannel.choices)
    dry_run = models.BooleanField(default=False)
    full_refresh = models.BooleanField(
        default=False,
        help_text=_("The file holds every record the system has: records missing from it are withdrawn."),
    )
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.VALIDATING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0, help_text=_("Records and rejected rows found."))
    rows_done = models.PositiveIntegerField(default=0, help_text=_("Progress: records written so far."))
    records_new = models.PositiveIntegerField(default=0)
    records_changed = models.PositiveIntegerField(default=0)
    records_unchanged = models.PositiveIntegerField(default=0)
    records_rejected = models.PositiveIntegerField(default=0)
    records_withdrawn = models.PositiveIntegerField(default=0)
    episodes_new = models.PositiveIntegerField(default=0)
    facts_new = models.PositiveIntegerField(default=0)
    rejection_reason = models.TextField(blank=True, help_text=_("Why the whole file was refused."))
    error_report_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.format} {self.file_name} ({self.agency.code})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.VALIDATING, ImportStatus.WRITING)

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class ImportRowError(models.Model):
    """One problem with one row or element: where it is, which field, and why it was refused."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="row_errors")
    location = models.CharField(max_length=300, help_text=_("File and line, or the element's path."))
    field = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=500)
    value = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.location} {self.field}: {self.reason}"


class CodeMapping(models.Model):
    """One agency code and the Hafan value it means. A row with no agency is a national standard code."""

    agency = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="code_mappings",
        help_text=_("Leave empty for a national standard code that every agency uses."),
    )
    vocabulary = models.CharField(max_length=32, choices=Vocabulary.choices)
    source_code = models.CharField(
        max_length=100, help_text=_("The code or label as the agency's system writes it.")
    )
    normalised_code = models.CharField(max_length=100, editable=False)
    hafan_value = models.CharField(max_length=64, help_text=_("The value in Hafan's vocabulary."))
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["vocabulary", "agency__code", "source_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "vocabulary", "normalised_code"],
                name="code_mapping_unique_per_agency",
                condition=Q(agency__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["vocabulary", "normalised_code"],
                name="code_mapping_unique_national",
                condition=Q(agency__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_vocabulary_display()}: {self.source_code} -> {self.hafan_value}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.normalised_code = normalise_code(self.source_code)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        target = TARGETS.get(self.vocabulary)
        if target is not None and self.hafan_value not in target.values:
            raise ValidationError(
                {"hafan_value": _("Choose one of: %(values)s.") % {"values": ", ".join(target.values)}}
            )
