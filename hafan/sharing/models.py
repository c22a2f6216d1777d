"""The audit trail: who read or changed what about which child, when, in what role and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hafan.core.vocabulary import Purpose


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DENIED = "denied", _("Refused")


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    """Refuses bulk changes, so `AuditEvent.objects.filter(...).update()/.delete()` cannot rewrite history."""

    def update(self, **kwargs: object) -> int:
        raise RuntimeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit events are append-only.")

    def bulk_update(self, *args: object, **kwargs: object) -> int:
        raise RuntimeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Append-only: rows are written by sharing.audit and never changed or deleted by the application.
    On PostgreSQL a trigger also refuses UPDATE and DELETE (migration 0002)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150)
    agency_code = models.CharField(max_length=16, blank=True)
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    child_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.target_type} {self.target_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("Audit events are append-only.")
