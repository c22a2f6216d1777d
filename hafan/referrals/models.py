from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hafan.core.models import HafanModel


class ServiceKind(models.TextChoices):
    PEER_MENTORING = "peer_mentoring", _("Peer mentoring")
    FAMILY_MEDIATION = "family_mediation", _("Family mediation")
    EXPLOITATION = "exploitation", _("CSE or CCE specialist")
    CAMHS = "camhs", _("Mental health (CAMHS)")
    SUBSTANCE_MISUSE = "substance_misuse", _("Substance misuse")
    EDUCATION_SUPPORT = "education_support", _("Education support")
    BEREAVEMENT = "bereavement", _("Bereavement")
    NRM = "nrm", _("National Referral Mechanism")


class Service(HafanModel):
    """An entry in the directory of services children can be referred to."""

    kind = models.CharField(max_length=32, choices=ServiceKind.choices)
    name_en = models.CharField(max_length=200, unique=True)
    name_cy = models.CharField(max_length=200)
    provider_name = models.CharField(max_length=200)
    needs_consent = models.BooleanField(
        default=True, help_text=_("The NRM needs no consent for under-18s; most services do.")
    )

    class Meta:
        ordering = ["kind", "name_en"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_cy if (get_language() or "en").startswith("cy") else self.name_en


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted by the service")
    DECLINED = "declined", _("Declined by the service")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Referral(HafanModel):
    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    episode = models.ForeignKey(
        "episodes.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    debrief = models.ForeignKey(
        "debriefs.Debrief", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField()
    reason = models.TextField()
    consent_given = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    outcome = models.TextField(blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-referred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.service} for {self.child}"
