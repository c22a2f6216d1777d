"""Missing episodes: reported -> graded -> found/returned -> safe and well check -> debrief -> closed."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.fields import EncryptedTextField
from hafan.core.models import HafanModel


class EpisodeCategory(models.TextChoices):
    MISSING_FROM_HOME = "missing_from_home", _("Missing from home")
    MISSING_FROM_CARE = "missing_from_care", _("Missing from care")
    AWAY_FROM_PLACEMENT = "away_from_placement", _("Away from placement without authorisation")
    # "Absent" was abolished in 2017; kept only so that old records can be read.
    ABSENT_LEGACY = "absent_legacy", _("Absent (legacy category, no longer used)")


REPORTABLE_CATEGORIES = [c for c in EpisodeCategory if c != EpisodeCategory.ABSENT_LEGACY]


class EpisodeStatus(models.TextChoices):
    MISSING = "missing", _("Missing")
    RETURNED = "returned", _("Found or returned")
    CLOSED = "closed", _("Closed")


class FoundBy(models.TextChoices):
    POLICE = "police", _("Police")
    CARER = "carer", _("Parent or carer")
    SELF = "self", _("Returned by themselves")
    AGENCY = "agency", _("Another agency")
    PUBLIC = "public", _("Member of the public")


class Episode(HafanModel):
    reference = models.CharField(
        max_length=32, unique=True, help_text=_("The hub's reference for the episode.")
    )
    # Indexed by (child, reported_at) below, which serves every lookup by child.
    child = models.ForeignKey(
        "people.Child", on_delete=models.PROTECT, related_name="episodes", db_index=False
    )
    council = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The responsible council when the episode was reported."),
    )
    category = models.CharField(max_length=32, choices=EpisodeCategory.choices)
    status = models.CharField(max_length=16, choices=EpisodeStatus.choices, default=EpisodeStatus.MISSING)
    reported_at = models.DateTimeField()
    reporter_name = models.CharField(max_length=200, help_text=_("Who reported the child missing."))
    reporter_organisation = models.CharField(max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_seen_at = models.DateTimeField()
    last_seen_place = models.CharField(max_length=300)
    circumstances = EncryptedTextField(blank=True)
    clothing = models.TextField(blank=True)

    returned_at = models.DateTimeField(null=True, blank=True)
    found_where = models.CharField(max_length=300, blank=True)
    found_by = models.CharField(max_length=16, choices=FoundBy.choices, blank=True)
    harm_suffered = models.BooleanField(null=True, blank=True)
    harm_details = EncryptedTextField(blank=True)
    safe_and_well_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The police's own check on return; not the independent debrief.")
    )
    safe_and_well_by = models.CharField(max_length=200, blank=True)
    safe_and_well_notes = EncryptedTextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    source_agency = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For an episode imported from a police system: the force whose occurrence it is."),
        db_index=False,  # the unique (force, occurrence number) index serves every lookup
    )
    occurrence_number = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("The police occurrence number, when the episode came from a police export."),
    )
    recorded_risk_grade = models.CharField(
        max_length=16,
        blank=True,
        help_text=_(
            "The risk grade the police system recorded, as imported (the hub's own grading is separate)."
        ),
    )
    content_hash = models.CharField(max_length=64, blank=True)

    # Issue 6: who is working the episode, and where the child was found (for the out-of-area notice).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The officer or coordinator working the episode."),
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    found_council = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The council area the child was found in, when known."),
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["child", "reported_at"]), models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source_agency", "occurrence_number"],
                name="episode_unique_occurrence",
                condition=~models.Q(occurrence_number=""),
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.returned_at is None:
            return None
        return self.returned_at - self.reported_at


class InformationService(models.TextChoices):
    """The service within an agency that an information call asks."""

    SOCIAL_CARE = "social_care", _("Social care")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    DEBRIEF = "debrief", _("Independent debrief service")


class InformationRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")


class InformationRequest(HafanModel):
    """One agency service asked, when a report opens, for what it knows about the child: the information call.

    Answered automatically from the agency's ingested records where they exist, otherwise by the agency's hub
    worker on the page; past its deadline, still open, it escalates to the hub supervisor."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="information_requests")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=16, choices=InformationService.choices)
    asked_at = models.DateTimeField()
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=InformationRequestStatus.choices, default=InformationRequestStatus.OPEN
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_automatically = models.BooleanField(
        default=False, help_text=_("Answered from the agency's records already in Hafan.")
    )
    nothing_known = models.BooleanField(default=False, help_text=_("The agency holds nothing on the child."))
    answer = EncryptedTextField(blank=True, help_text=_("The worker's answer, in their words."))
    facts_found = models.PositiveIntegerField(
        default=0, help_text=_("How many items the agency's records in Hafan hold on the child.")
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "agency", "service"], name="information_request_once")
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.episode} -> {self.agency} ({self.service})"
