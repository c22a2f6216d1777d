"""Notices to staff: in the app (the bell in the header, no refresh needed) and by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.models import HafanModel


class NotificationKind(models.TextChoices):
    EPISODE_ASSIGNED = "episode_assigned", _("Episode assigned to you")
    INFORMATION_CALL_ESCALATED = "information_call_escalated", _("Information call overdue")
    REVIEW_OVERDUE = "review_overdue", _("Risk review overdue")
    FOUND_OUT_OF_AREA = "found_out_of_area", _("Child found outside their home council's area")
    PLAN_TO_AGREE = "plan_to_agree", _("Response plan waiting for your agreement")
    PLAN_DECIDED = "plan_decided", _("The social worker decided on your proposed response plan")
    HUB_TASK = "hub_task", _("New task for the hub")
    REFERRAL_REMINDER = "referral_reminder", _("Referral waiting for an answer or an outcome")
    # Issue 7: the debrief workspace.
    DEBRIEF_ASSIGNED = "debrief_assigned", _("Debrief assigned to you")
    DEBRIEF_SHARED = "debrief_shared", _("A debrief shared new information")


class Notification(HafanModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    # Rendered in the recipient's language when shown or emailed: no personal details beyond what the
    # recipient's own access gives (the reference and the link; the page applies the access rules).
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=300, blank=True)
    # One notice per recipient per event: the scheduler may run the same check many times.
    dedupe_key = models.CharField(max_length=200)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once_per_event")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"
