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
    # Issue 7: the charity's workspace.
    language = models.CharField(
        max_length=2,
        choices=[("en", "English"), ("cy", "Cymraeg")],
        default="en",
        help_text=_(
            "The language the debrief is offered in: the child's recorded preference unless changed."
        ),
    )
    referral_reason = models.TextField(
        blank=True, help_text=_("Why the hub asked for this debrief, as the charity may see it.")
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the offer reached its current outcome (held, declined, not offered...)."),
    )
    declined_reason = EncryptedTextField(blank=True)
    carer_seen = models.BooleanField(
        null=True,
        blank=True,
        help_text=_("When the child declined: whether a parent or carer was seen instead."),
    )
    carer_seen_note = EncryptedTextField(blank=True)
    push_notes = EncryptedTextField(blank=True, help_text=_("Why the child left, in their words."))
    pull_notes = EncryptedTextField(blank=True, help_text=_("What drew the child away, in their words."))
    substance_use = EncryptedTextField(blank=True)
    sleeping_rough = models.BooleanField(null=True, blank=True)
    what_would_help = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["due_by", "id"]

    def __str__(self) -> str:
        return f"Debrief for {self.episode}"

    @property
    def is_open(self) -> bool:
        return self.status in {OfferStatus.AWAITING, OfferStatus.OFFERED, OfferStatus.ACCEPTED}


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    VISIT = "visit", _("Home or placement visit")
    SCHOOL = "school", _("At school")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("Email")
    VIA_CARER = "via_carer", _("Through a parent or carer")
    VIA_SOCIAL_WORKER = "via_social_worker", _("Through the social worker")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Spoke to the child")
    NO_ANSWER = "no_answer", _("No answer")
    MESSAGE_LEFT = "message_left", _("Left a message")
    CARER_ONLY = "carer_only", _("Spoke to a parent or carer only")
    NOT_AVAILABLE = "not_available", _("Child not available")
    WRONG_DETAILS = "wrong_details", _("Contact details wrong")


class ContactAttempt(HafanModel):
    """One attempt to reach the child to offer a debrief."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField()
    method = models.CharField(max_length=24, choices=ContactMethod.choices)
    outcome = models.CharField(max_length=24, choices=ContactOutcome.choices)
    note = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]


class FindingKind(models.TextChoices):
    PLACE = "place", _("Where the child went")
    ASSOCIATE = "associate", _("Who the child was with")
    TRAVEL = "travel", _("How the child travelled")
    INDICATOR = "indicator", _("Harm or exploitation indicator")
    SUBSTANCES = "substances", _("Substance use")
    SLEEPING_ROUGH = "sleeping_rough", _("Sleeping rough")
    HARM = "harm", _("Harm to the child")
    WISHES = "wishes", _("The child's wishes and what would help")


class DebriefFinding(HafanModel):
    """One thing the child said, with its own decision on sharing: the child agreed, or a safeguarding basis
    requires it, or it stays with the charity."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=16, choices=FindingKind.choices)
    indicator = models.CharField(max_length=16, choices=Indicator.choices, blank=True)
    text = EncryptedTextField(blank=True)
    child_agreed = models.BooleanField(default=False)
    safeguarding = models.BooleanField(default=False)
    safeguarding_reason = EncryptedTextField(blank=True)
    fact = models.OneToOneField(
        "people.Fact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="debrief_finding",
        help_text=_("The fact the hub received, when the finding was shared."),
    )

    class Meta:
        ordering = ["kind", "id"]

    @property
    def basis(self) -> str:
        if self.child_agreed:
            return ShareBasis.CONSENT
        if self.safeguarding:
            return ShareBasis.SAFEGUARDING
        return ShareBasis.NONE


class MediationStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
    DID_NOT_ATTEND = "did_not_attend", _("Family did not attend")


class MediationSession(HafanModel):
    """A family mediation session: its own record, linked to the child and (usually) the debrief."""

    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="mediation_sessions")
    debrief = models.ForeignKey(
        Debrief, null=True, blank=True, on_delete=models.PROTECT, related_name="mediation_sessions"
    )
    provider = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=16, choices=MediationStatus.choices, default=MediationStatus.PLANNED)
    attendees = EncryptedTextField(blank=True, help_text=_("Who took part (roles, not full names)."))
    summary = EncryptedTextField(blank=True)
    agreed_actions = EncryptedTextField(blank=True)
    next_session_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_for", "id"]
