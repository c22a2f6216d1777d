"""Independent debriefs (return home interviews), run by the charity, never by police."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.fields import EncryptedTextField
from hafan.core.models import HafanModel


class OfferStatus(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting an offer")
    OFFERED = "offered", _("Offered")
    NOT_OFFERED = "not_offered", _("Not offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    HELD = "held", _("Held")


class PushFactor(models.TextChoices):
    CONFLICT = "conflict", _("Conflict at home or placement")
    ABUSE = "abuse", _("Abuse or neglect")
    PLACEMENT = "placement", _("Unhappy with placement")
    NOT_LISTENED_TO = "not_listened_to", _("Not being listened to")
    BOREDOM = "boredom", _("Boredom or restrictions")
    BEREAVEMENT = "bereavement", _("Bereavement or loss")


class PullFactor(models.TextChoices):
    FRIENDS = "friends", _("Friends")
    FAMILY = "family", _("Family elsewhere")
    EXPLOITERS = "exploiters", _("Adults who exploit")
    PARTNER = "partner", _("A 'boyfriend' or 'girlfriend'")
    SUBSTANCES = "substances", _("Drugs or alcohol")


class Indicator(models.TextChoices):
    CSE = "cse", _("Child sexual exploitation")
    CCE = "cce", _("Child criminal exploitation")
    COUNTY_LINES = "county_lines", _("County lines")
    TRAFFICKING = "trafficking", _("Trafficking or modern slavery")
    SUBSTANCES = "substances", _("Substance misuse")
    PHYSICAL_HARM = "physical_harm", _("Physical harm")
    SELF_HARM = "self_harm", _("Self-harm")


class ShareBasis(models.TextChoices):
    NONE = "none", _("Nothing to be shared")
    CONSENT = "consent", _("The child agreed to share")
    SAFEGUARDING = "safeguarding", _("Must be shared to keep the child safe")


class Debrief(HafanModel):
    # What the child said is encrypted at rest (docs/encryption.md): the free text below never sits in the
    # database as plaintext.
    episode = models.OneToOneField("episodes.Episode", on_delete=models.PROTECT, related_name="debrief")
    provider = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    due_by = models.DateTimeField(help_text=_("72 hours after the child's return."))
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.AWAITING)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    not_offered_reason = EncryptedTextField(blank=True)
    where_went = EncryptedTextField(blank=True, help_text=_("Where the child went, in their words."))
    who_with = EncryptedTextField(blank=True)
    travel = EncryptedTextField(blank=True, help_text=_("How the child travelled."))
    push_factors = models.JSONField(default=list)
    pull_factors = models.JSONField(default=list)
    indicators = models.JSONField(default=list, help_text=_("Harm and exploitation indicators."))
    harm_details = EncryptedTextField(blank=True)
    child_wishes = EncryptedTextField(blank=True, help_text=_("What the child wants to happen."))
    share_basis = models.CharField(max_length=16, choices=ShareBasis.choices, default=ShareBasis.NONE)

    class Meta:
        ordering = ["due_by", "id"]

    def __str__(self) -> str:
        return f"Debrief for {self.episode}"

    @property
    def is_open(self) -> bool:
        return self.status in {OfferStatus.AWAITING, OfferStatus.OFFERED, OfferStatus.ACCEPTED}
