from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.vocabulary import Role


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
