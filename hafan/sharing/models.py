"""The audit trail: who read or changed what about which child, when, in what role and why."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hafan.core.models import HafanModel
from hafan.core.vocabulary import Channel, DataCategory, Purpose


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DENIED = "denied", _("Refused")
    DELETE = "delete", _("Deleted")
    EXPORT = "export", _("Exported")
    BREAK_GLASS = "break_glass", _("Emergency access")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    """Refuses bulk changes, so `AuditEvent.objects.filter(...).update()/.delete()` cannot rewrite history."""

    def update(self, **kwargs: object) -> int:
        raise RuntimeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit events are append-only.")

    def bulk_update(self, *args: object, **kwargs: object) -> int:
        raise RuntimeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Append-only and hash-chained: rows are written by sharing.audit and never changed or deleted by the
    application. On PostgreSQL triggers also refuse UPDATE, DELETE (migration 0002) and TRUNCATE (0006).
    Each entry holds the hash of the one before it (`hafan audit_verify` checks the chain, docs/audit.md).
    No personal data: ids only."""

    seq = models.BigIntegerField(
        unique=True, help_text=_("Position in the hash chain: 1, 2, 3... with no gaps.")
    )
    prev_hash = models.CharField(max_length=64, help_text=_("The hash of the entry before this one."))
    entry_hash = models.CharField(
        max_length=64, help_text=_("SHA-256 of this entry and its link (hafan.sharing.chain).")
    )
    request_id = models.CharField(
        max_length=36,
        blank=True,
        help_text=_("The web or API request that caused the entry; empty for commands."),
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: the actor's id is part of the entry's hash, so a user with audit entries is disabled, never
    # deleted (SET_NULL would rewrite history; on PostgreSQL the append-only trigger refuses it anyway).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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


# Information governance: sharing agreements, emergency access, disclosures, legal holds.


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


class LawfulBasis(models.TextChoices):
    """The lawful basis a party relies on to share (docs/adr/0005-information-governance.md)."""

    PUBLIC_TASK_SAFEGUARDING = (
        "public_task_safeguarding",
        _("UK GDPR 6(1)(e) public task, 9(2)(g) with DPA 2018 Schedule 1 paragraph 18 (safeguarding)"),
    )
    LEGAL_OBLIGATION = "legal_obligation", _("UK GDPR 6(1)(c) legal obligation")
    HEALTH_SOCIAL_CARE = (
        "health_social_care",
        _("UK GDPR 6(1)(e) public task, 9(2)(h) health or social care"),
    )
    LAW_ENFORCEMENT = (
        "law_enforcement",
        _("DPA 2018 Part 3, section 35 law enforcement, Schedule 8 safeguarding of children"),
    )
    LEGITIMATE_INTERESTS = (
        "legitimate_interests",
        _("UK GDPR 6(1)(f) legitimate interests, 9(2)(g) with Schedule 1 paragraph 18 (charity)"),
    )
    CONSENT = "consent", _("UK GDPR 6(1)(a) consent")


class SharingAgreement(HafanModel):
    """An Information Sharing Protocol (WASPI): who shares what, for which purpose, on what lawful basis.
    Nothing is shared between agencies outside an active agreement."""

    reference = models.CharField(max_length=40, unique=True, help_text=_("The protocol's reference."))
    title_en = models.CharField(_("title in English"), max_length=200)
    title_cy = models.CharField(_("title in Welsh"), max_length=200)
    purpose = models.TextField(help_text=_("What the sharing is for, as the protocol states it."))
    data_categories = models.JSONField(
        default=list, help_text=_("The kinds of information shared (data categories).")
    )
    status = models.CharField(max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT)
    starts_on = models.DateField()
    review_on = models.DateField(help_text=_("When the protocol must next be reviewed."))
    ends_on = models.DateField(null=True, blank=True)
    maintained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference

    @property
    def title(self) -> str:
        from django.utils.translation import get_language

        return self.title_cy if (get_language() or "en").startswith("cy") and self.title_cy else self.title_en

    def categories(self) -> list[DataCategory]:
        return [DataCategory(c) for c in self.data_categories if c in DataCategory.values]


class AgreementParty(models.Model):
    """One agency's part in an agreement, with the lawful basis it relies on."""

    agreement = models.ForeignKey(SharingAgreement, on_delete=models.CASCADE, related_name="parties")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="agreements")
    lawful_basis = models.CharField(max_length=32, choices=LawfulBasis.choices)
    provides = models.BooleanField(default=True, help_text=_("Shares its information under the agreement."))
    receives = models.BooleanField(default=True, help_text=_("Receives others' information under it."))

    class Meta:
        ordering = ["agreement", "agency"]
        constraints = [models.UniqueConstraint(fields=["agreement", "agency"], name="agreement_party_unique")]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.agency_id}"


class BreakGlassReason(models.TextChoices):
    IMMEDIATE_RISK = "immediate_risk", _("Immediate risk to the child's life or safety")
    CHILD_MISSING_OUT_OF_HOURS = (
        "out_of_hours",
        _("Child missing out of hours, no allocated worker available"),
    )
    SAFEGUARDING_EMERGENCY = "safeguarding", _("Other safeguarding emergency")


class BreakGlassGrant(HafanModel):
    """Emergency access to one child's record outside the user's normal access: after re-entering the
    password and giving a reason; it expires, and the information-governance officer reviews it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("people.Child", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=BreakGlassReason.choices)
    justification = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    review_upheld = models.BooleanField(
        null=True, help_text=_("The reviewer's finding: was the emergency access justified?")
    )

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.user} -> {self.child_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class SubjectTold(models.TextChoices):
    NOT_YET = "not_yet", _("Not yet decided")
    TOLD = "told", _("Told")
    NOT_TOLD = "not_told", _("Not told: telling them would put the child at risk")


class Disclosure(models.Model):
    """Information leaving its owning agency's view: what, to whom, on which agreement and lawful basis."""

    public_id = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("The identifier shown in addresses; internal ids are never exposed."),
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    child = models.ForeignKey("people.Child", on_delete=models.CASCADE, related_name="+")
    from_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    target_type = models.CharField(max_length=32, help_text=_("What was shown: a briefing, a PDF, ..."))
    target_id = models.CharField(max_length=64)
    data_categories = models.JSONField(default=list)
    item_count = models.PositiveIntegerField(default=0)
    agreement = models.ForeignKey(
        SharingAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    lawful_basis = models.CharField(max_length=32, choices=LawfulBasis.choices, blank=True)
    break_glass = models.BooleanField(default=False)
    subject_told = models.CharField(max_length=16, choices=SubjectTold.choices, default=SubjectTold.NOT_YET)
    subject_told_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["child", "at"], name="disclosure_child_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.from_agency_id} -> {self.to_agency_id} ({self.channel})"


class LegalHold(HafanModel):
    """Keeps everything about a child past its retention period (litigation, inquiry, police investigation)."""

    child = models.ForeignKey("people.Child", on_delete=models.CASCADE, related_name="legal_holds")
    reason = models.CharField(max_length=300)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"Hold on {self.child_id} ({self.reason[:30]})"
