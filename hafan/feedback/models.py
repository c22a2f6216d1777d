"""The young person's feedback after a debrief: a one-time link, answered on a phone without signing in.

Only a keyed hash of the link's token is stored; the answers name no one and count per service."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.fields import EncryptedTextField
from hafan.core.models import HafanModel


class FeedbackLink(HafanModel):
    debrief = models.ForeignKey("debriefs.Debrief", on_delete=models.PROTECT, related_name="feedback_links")
    provider = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="+", help_text=_("The service asked about.")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=2, choices=[("en", "English"), ("cy", "Cymraeg")], default="en")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Answer3(models.TextChoices):
    YES = "yes", _("Yes")
    A_BIT = "a_bit", _("A bit")
    NO = "no", _("No")


class FeedbackResponse(HafanModel):
    link = models.OneToOneField(FeedbackLink, on_delete=models.PROTECT, related_name="response")
    provider = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    language = models.CharField(max_length=2, default="en")
    listened_to = models.CharField(max_length=8, choices=Answer3.choices)
    felt_safe = models.CharField(max_length=8, choices=Answer3.choices)
    helped = models.CharField(max_length=8, choices=Answer3.choices)
    right_language = models.CharField(max_length=8, choices=Answer3.choices, blank=True)
    would_tell_a_friend = models.CharField(max_length=8, choices=Answer3.choices, blank=True)
    comment = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
