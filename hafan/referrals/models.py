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
    YOUTH_WORK = "youth_work", _("Youth work")


class Service(HafanModel):
    """An entry in the directory of services children can be referred to."""

    kind = models.CharField(max_length=32, choices=ServiceKind.choices)
    name_en = models.CharField(max_length=200, unique=True)
    name_cy = models.CharField(max_length=200)
    provider_name = models.CharField(max_length=200)
    needs_consent = models.BooleanField(
        default=True, help_text=_("The NRM needs no consent for under-18s; most services do.")
    )
    # Issue 7: the directory in full.
    provider_agency = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
        help_text=_(
            "The partner agency that runs the service, when it is one: its staff answer its referrals."
        ),
    )
    areas = models.JSONField(
        default=list, blank=True, help_text=_("Council codes of the areas covered; empty means all of Gwent.")
    )
    contact_email = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("How many children it can work with at once; empty when not limited."),
    )
    description_en = models.TextField(blank=True)
    description_cy = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name_en"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_cy if (get_language() or "en").startswith("cy") else self.name_en

    @property
    def description(self) -> str:
        welsh = (get_language() or "en").startswith("cy")
        return self.description_cy if welsh and self.description_cy else self.description_en

    def covers(self, council_code: str | None) -> bool:
        """Whether the service works in this council's area (no areas listed: all of Gwent; no council known:
        the child could be anywhere, so every service is offered)."""
        return not self.areas or not council_code or council_code in self.areas


REFERRAL_OUTCOMES = [
    ("goals_met", _("Goals met")),
    ("partly_met", _("Goals partly met")),
    ("not_met", _("Goals not met")),
    ("disengaged", _("Young person disengaged")),
    ("moved_away", _("Moved out of the area")),
]
NRM_DECISIONS = [
    ("awaiting", _("Awaiting a decision")),
    ("rg_positive", _("Positive reasonable grounds decision")),
    ("rg_negative", _("Negative reasonable grounds decision")),
    ("cg_positive", _("Positive conclusive grounds decision")),
    ("cg_negative", _("Negative conclusive grounds decision")),
]


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted by the service")
    DECLINED = "declined", _("Declined by the service")
    STARTED = "started", _("Work started")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.STARTED})
# The lifecycle: where each status may go next. Declined, completed and withdrawn are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.SENT: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.STARTED, ReferralStatus.WITHDRAWN}),
    ReferralStatus.STARTED: frozenset({ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN}),
}


class ReferralEventKind(models.TextChoices):
    STATUS = "status", _("Status")
    REMINDER = "reminder", _("Reminder")
    NRM_DECISION = "nrm_decision", _("NRM decision")


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
    # Issue 7: the lifecycle followed through.
    responded_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the service accepted or declined.")
    )
    declined_reason = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome_code = models.CharField(max_length=24, choices=REFERRAL_OUTCOMES, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    nrm_reference = models.CharField(max_length=40, blank=True)
    nrm_decision = models.CharField(max_length=16, choices=NRM_DECISIONS, blank=True)
    nrm_decision_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-referred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.service} for {self.child}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def next_statuses(self) -> frozenset[str]:
        return TRANSITIONS.get(self.status, frozenset())


class ReferralEvent(HafanModel):
    """Each step of a referral's lifecycle, so its history is visible: sent, accepted, declined, started,
    completed, withdrawn, reminded, NRM decision."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    status = models.CharField(max_length=16, blank=True)
    kind = models.CharField(max_length=24, help_text=_("status, reminder or nrm_decision"))
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
