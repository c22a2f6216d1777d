"""Identity resolution records: trained model versions, pair decisions, and the history of merges and splits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.models import HafanModel


class LinkageModelVersion(HafanModel):
    """A trained Splink model. Every automatic link records the version that made it."""

    version = models.PositiveIntegerField(unique=True)
    trained_settings = models.JSONField(
        help_text=_("Splink's trained settings (m and u values, comparisons, blocking).")
    )
    seed = models.IntegerField()
    trained_on_records = models.PositiveIntegerField()
    splink_version = models.CharField(max_length=32)
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"linkage model v{self.version}"


class Band(models.TextChoices):
    LINK = "link", _("Linked automatically")
    REVIEW = "review", _("Needs review")
    NO_LINK = "no_link", _("Not linked")


class DecisionStatus(models.TextChoices):
    AUTO_LINKED = "auto_linked", _("Linked automatically")
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted: the same child")
    REJECTED = "rejected", _("Rejected: different children")
    NOT_SURE = "not_sure", _("Not sure")


HUMAN_STATUSES = (DecisionStatus.ACCEPTED, DecisionStatus.REJECTED, DecisionStatus.NOT_SURE)


class MatchDecision(HafanModel):
    """What was decided about one pair of source records, by the model or by a person."""

    left = models.ForeignKey("people.SourceRecord", on_delete=models.PROTECT, related_name="+")
    right = models.ForeignKey("people.SourceRecord", on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()
    match_weight = models.FloatField()
    evidence = models.JSONField(
        default=list, help_text=_("[comparison, level, match weight] for each comparison.")
    )
    model_version = models.ForeignKey(LinkageModelVersion, null=True, blank=True, on_delete=models.PROTECT)
    band = models.CharField(max_length=16, choices=Band.choices)
    upper_threshold = models.FloatField()
    lower_threshold = models.FloatField()
    status = models.CharField(max_length=16, choices=DecisionStatus.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="match_decision_one_per_pair"),
            models.CheckConstraint(
                condition=models.Q(left__lt=models.F("right")), name="match_decision_left_lt_right"
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id} {self.probability:.3f} {self.status}"


class IdentityChangeKind(models.TextChoices):
    MERGE = "merge", _("Identities merged")
    SPLIT = "split", _("Identity split")


class IdentityChange(HafanModel):
    """History of hub identities: which records moved from which child to which, when and why."""

    kind = models.CharField(max_length=8, choices=IdentityChangeKind.choices)
    from_child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    to_child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="+")
    source_records = models.JSONField(help_text=_("Public ids of the source records that moved."))
    decision = models.ForeignKey(
        MatchDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField()

    # Reasons the system records as codes, so they can be shown in either language.
    AUTOMATIC_LINK = "automatic_link"
    ACCEPTED_IN_REVIEW = "accepted_in_review"
    REASON_LABELS = {
        AUTOMATIC_LINK: _("Linked automatically by the model"),
        ACCEPTED_IN_REVIEW: _("Accepted as the same child in review"),
    }

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_child_id}->{self.to_child_id}"

    @property
    def reason_display(self) -> str:
        return str(self.REASON_LABELS.get(self.reason, self.reason))


class BlockingKey(models.Model):
    """Indexed keys that mirror the model's blocking rules, for finding candidates for a new record fast."""

    record = models.ForeignKey("people.SourceRecord", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "key"], name="blocking_key_unique")]

    def __str__(self) -> str:
        return self.key


class RecordLinkage(models.Model):
    """When a source record was last matched, and by which model: records without one are 'unlinked'."""

    record = models.OneToOneField("people.SourceRecord", on_delete=models.CASCADE, related_name="+")
    model_version = models.ForeignKey(LinkageModelVersion, null=True, blank=True, on_delete=models.PROTECT)
    matched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"record {self.record_id} matched {self.matched_at:%Y-%m-%d %H:%M}"
