from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.vocabulary import Role


class DisableReason(models.TextChoices):
    """Why an account was disabled: a code for the audit trail, never free text."""

    LEFT = "left", _("Left the hub or their agency")
    SUSPENDED = "suspended", _("Suspended")
    COMPROMISED = "compromised", _("Password or device may be compromised")
    ADMINISTRATOR = "administrator", _("Disabled by an administrator")


class User(AbstractUser):
    """A member of staff. Staff are not the children the hub protects (those live in `people`)."""

    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(
        max_length=32, choices=Role.choices, help_text=_("What this person does in the hub.")
    )
    hub_member = models.BooleanField(
        default=True,
        help_text=_(
            "Works in the hub team. Partner staff outside the hub see only the children allocated to them."
        ),
    )
    language = models.CharField(
        max_length=2,
        choices=[("en", "English"), ("cy", "Cymraeg")],
        default="en",
        help_text=_("Language preference for correspondence."),
    )


class ApiToken(models.Model):
    """A bearer token for an agency system. Only a hash of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class StaffSession(models.Model):
    """Which sessions belong to which member of staff, so disabling someone (or resetting their two-factor
    device) can end every session they have at once. Written at sign-in, re-keyed at two-factor verification,
    removed at sign-out; a row whose session has expired on its own is harmless and goes at the next disable."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"
