"""Data subjects' rights: subject-access requests, rectifications and the notices they owe recipients
(UK GDPR Articles 15, 16 and 19). Retention has no table of its own: its schedules are settings."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.models import HafanModel


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    EXPORTED = "exported", _("Exported for redaction review")
    CLOSED = "closed", _("Closed: response sent")


class SubjectAccessRequest(HafanModel):
    """A request by or for a child to see everything the hub holds about them (UK GDPR Article 15).
    The export is for the information-governance officer's redaction review, never sent as it is."""

    reference = models.CharField(
        max_length=40,
        unique=True,
        help_text=_("The information-governance team's reference for the request."),
    )
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(help_text=_("When the request was received: the clock starts then."))
    due_on = models.DateField(help_text=_("When the response is due (HAFAN_SAR_DAYS after receipt)."))
    extended_to = models.DateField(
        null=True,
        blank=True,
        help_text=_("A later due date for a complex request: at most three months after receipt."),
    )
    extension_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_on", "id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def deadline(self) -> datetime.date:
        return self.extended_to or self.due_on

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status != RequestStatus.CLOSED and today > self.deadline


class RectificationKind(models.TextChoices):
    FACT = "fact", _("A fact corrected")
    IDENTITY = "identity", _("The hub identity corrected")


class Rectification(HafanModel):
    """One correction of inaccurate information (UK GDPR Article 16): what was corrected, by whom, why.
    The corrected fact replaces the old one everywhere; the old one is kept, withdrawn, for the record."""

    kind = models.CharField(max_length=16, choices=RectificationKind.choices)
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    old_fact = models.ForeignKey(
        "people.Fact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_fact = models.ForeignKey(
        "people.Fact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_fields = models.JSONField(default=list, help_text=_("For an identity: the fields corrected."))
    previous_values = models.JSONField(
        default=dict, help_text=_("For an identity: the values before the correction, kept for the record.")
    )
    reason = models.TextField(help_text=_("Why the information was inaccurate."))
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rectified_at = models.DateTimeField()

    class Meta:
        ordering = ["-rectified_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class RectificationNotice(HafanModel):
    """An agency that received the information before it was corrected must be told (UK GDPR Article 19).
    The information-governance officer tells them and marks the notice sent."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="notices")
    to_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    disclosures = models.PositiveIntegerField(
        default=0, help_text=_("How many recorded disclosures carried the information to this agency.")
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rectification", "to_agency"], name="rectification_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.rectification_id} -> {self.to_agency_id}"
