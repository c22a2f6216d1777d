"""Children: one hub identity each, and the source records every agency holds about them."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField
from hafan.core.models import HafanModel
from hafan.core.vocabulary import DataCategory, FactCategory, Handling, RiskGrade, ShareBasis


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Not known")


class Child(HafanModel):
    """The hub's identity for one child, to which every agency's source records are linked."""

    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    responsible_council = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The council responsible for the child (for a looked-after child placed elsewhere, not the host)."
        ),
    )
    first_language = models.CharField(
        max_length=2, choices=[("en", "English"), ("cy", "Cymraeg")], default="en"
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set when this identity was found to be the same child as another and merged into it."),
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name_plural = _("children")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: datetime.date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class SourceRecord(HafanModel):
    """What one agency's system holds about the child, as that system spells it."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="source_records")
    # Indexed by the unique (agency, system, local_id) constraint, which serves every lookup by agency.
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="source_records", db_index=False
    )
    system = models.CharField(max_length=100, help_text=_("The agency's system the record came from."))
    local_id = models.CharField(max_length=100, help_text=_("The record's identifier in that system."))
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    other_names = models.CharField(max_length=200, blank=True, help_text=_("Nicknames and other names used."))
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    upn = models.CharField(max_length=13, blank=True)
    # Exact-match lookups go through keyed hashes of the identifiers (core/crypto.py: lookup_hash), never
    # the plaintext columns, which are no longer indexed (docs/encryption.md).
    nhs_number_key = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Keyed hash of the NHS number, for exact-match lookups."),
    )
    upn_key = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Keyed hash of the unique pupil number, for exact-match lookups."),
    )
    recorded_on = models.DateField(help_text=_("When the agency last updated the record."))
    person_ref = models.CharField(
        max_length=100,
        blank=True,
        help_text=_(
            "The person's id in the agency's system, where its records are per event (an occurrence)."
        ),
    )
    ethnicity = models.CharField(max_length=16, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=200, blank=True)
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Fingerprint of the imported content: unchanged rows are skipped."),
    )
    version = models.PositiveIntegerField(default=1)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "Set when a full refresh from the agency no longer contains the record: kept, not deleted."
        ),
    )
    last_seen_run = models.ForeignKey(
        "ingest.ImportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        # Bookkeeping, never looked up by: no index to keep up, and no constraint to check on each of the
        # millions of rows an import writes (runs are never deleted).
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "system", "local_id"], name="source_record_unique_local_id"
            )
        ]
        # Exact-match identifier lookups only: plain indexes (db_index=True would add a second, LIKE-pattern
        # index to each on PostgreSQL, which every import row would have to keep up too).
        indexes = [
            # Exact matching on names and date of birth (child_find_match) compares names without case,
            # which no plain name index serves: the date of birth narrows it to a few rows.
            models.Index(fields=["date_of_birth"], name="source_record_date_of_birth"),
            models.Index(fields=["nhs_number_key"], name="source_record_nhs_number_key"),
            models.Index(fields=["upn_key"], name="source_record_upn_key"),
            models.Index(fields=["person_ref"], name="source_record_person_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code}/{self.system}/{self.local_id}"


class SourceRecordVersion(models.Model):
    """Every imported version of a source record, the old ones kept when a changed row arrives."""

    # The unique (record, version) index serves lookups by record; imports write millions of versions, so
    # no index is kept that no query needs.
    record = models.ForeignKey(
        SourceRecord, on_delete=models.PROTECT, related_name="versions", db_index=False
    )
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    # The whole record as imported, facts and episode text included: encrypted at rest like them.
    payload = EncryptedJSONField(help_text=_("The record as the agency supplied it, after validation."))
    import_run = models.ForeignKey(
        "ingest.ImportRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,  # runs are never deleted; not checked on each of millions of versions
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["record", "version"]
        constraints = [
            models.UniqueConstraint(fields=["record", "version"], name="source_record_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"


class Fact(HafanModel):
    """One thing an agency knows about a child, with where it came from and when (provenance)."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="facts")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    source_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="facts"
    )
    debrief = models.ForeignKey(
        "debriefs.Debrief",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shared_facts",
        help_text=_("Set when the fact was learnt in a debrief and shared back to the hub."),
    )
    category = models.CharField(max_length=32, choices=FactCategory.choices)
    # Health details and police intelligence live here: encrypted at rest (docs/encryption.md).
    # Health details and police intelligence live here: encrypted at rest (docs/encryption.md).
    summary = EncryptedTextField()
    recorded_on = models.DateField(help_text=_("When the source recorded it."))
    source = models.CharField(
        max_length=200, help_text=_("Who supplied it: system and reference, or debrief.")
    )
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Set when a newer version of its source record no longer says it: kept, not deleted."),
    )
    # Handling (docs/adr/0005-information-governance.md): set from the source when the fact is written,
    # and the owning agency can restrict it further.
    data_category = models.CharField(
        max_length=32,
        choices=DataCategory.choices,
        help_text=_("What kind of information this is, for sharing agreements and the access table."),
    )
    handling = models.CharField(
        max_length=32,
        choices=Handling.choices,
        help_text=_("How far the fact may travel beyond the agency that supplied it."),
    )
    share_basis = models.CharField(
        max_length=16,
        choices=ShareBasis.choices,
        default=ShareBasis.NONE,
        help_text=_("For facts shared only with consent or on a safeguarding basis: which applies."),
    )
    restricted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Set when the owning agency restricts the fact to its own staff."),
    )
    restricted_reason = models.CharField(max_length=200, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Set when the fact was corrected (rectified): the correction replaces it everywhere."),
    )
    information_request = models.ForeignKey(
        "episodes.InformationRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facts",
        help_text=_("Set when an agency's hub worker supplied the fact in answer to an information call."),
    )

    class Meta:
        ordering = ["category", "-recorded_on"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.summary[:40]}"


class MatrixLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for the social worker to agree")
    IN_FORCE = "in_force", _("In force")
    DECLINED = "declined", _("Not agreed by the social worker")
    SUPERSEDED = "superseded", _("Replaced by a newer plan")


class ResponsePlan(HafanModel):
    """The team's plan for the child's next episode, with the hub's risk matrix (likelihood of going missing
    again x likely harm). A plan takes effect only once the case-holding social worker agrees it; the newest
    plan in force is the one the next report opens with."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="response_plans")
    plan = models.TextField(
        help_text=_("What carers, police and others do the next time the child is missing.")
    )
    treat_as_grade = models.CharField(
        max_length=16,
        choices=RiskGrade.choices,
        blank=True,
        help_text=_("The lowest risk grade to start from, e.g. always treat as high risk."),
    )
    agreed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agreed_at = models.DateTimeField()
    social_worker_agreed = models.BooleanField(
        default=False, help_text=_("Where the child has a social worker, that worker must agree the plan.")
    )
    review_due = models.DateField()
    # Issue 6: the matrix, the prescribed response, and the social worker's agreement.
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.IN_FORCE)
    likelihood = models.CharField(
        max_length=8,
        choices=MatrixLevel.choices,
        blank=True,
        help_text=_("How likely the child is to go missing again."),
    )
    harm = models.CharField(
        max_length=8,
        choices=MatrixLevel.choices,
        blank=True,
        help_text=_("How much harm is likely if they do."),
    )
    places_first = models.TextField(blank=True, help_text=_("Where carers check first, in order."))
    police_deploy_after_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Police deploy if the child is not found within this many hours.")
    )
    version = models.PositiveIntegerField(default=1, help_text=_("Bumped on each edit of a proposal."))
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The case-holding social worker who must agree the plan."),
    )
    social_worker_decided_at = models.DateTimeField(null=True, blank=True)
    social_worker_note = models.TextField(blank=True)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The plan in force when this one was proposed."),
    )

    class Meta:
        ordering = ["-agreed_at", "-id"]

    def __str__(self) -> str:
        return f"Plan for {self.child} ({self.agreed_at:%Y-%m-%d})"


class ChildProfile(HafanModel):
    """The child information profile (Philomena protocol), prepared in advance by carers or the council for a
    child at risk of going missing. Each save is a new version; the newest is current. It belongs to the child,
    not to a placement, so it moves with them. Police see it when the child is reported missing."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="profiles")
    version = models.PositiveIntegerField()
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_by_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    placement = EncryptedTextField(blank=True, help_text=_("Where the child lives now, and with whom."))
    description = EncryptedTextField(blank=True, help_text=_("Height, build, hair, eyes, how they look."))
    nicknames = EncryptedTextField(blank=True)
    first_language = models.CharField(
        max_length=2, choices=[("en", "English"), ("cy", "Cymraeg")], blank=True
    )
    marks = EncryptedTextField(blank=True, help_text=_("Scars, tattoos, piercings, birthmarks."))
    associates = EncryptedTextField(blank=True, help_text=_("Friends, family and adults they may be with."))
    places = EncryptedTextField(blank=True, help_text=_("Addresses and places they go to."))
    phones = EncryptedTextField(blank=True)
    social_media = EncryptedTextField(blank=True)
    transport = EncryptedTextField(
        blank=True, help_text=_("How they travel: bus and train routes, bikes, lifts.")
    )
    medical_needs = EncryptedTextField(
        blank=True, help_text=_("Conditions and medication, and what happens without it.")
    )
    photo = EncryptedBinaryField(null=True, blank=True, editable=False)
    photo_content_type = models.CharField(max_length=32, blank=True)
    photo_taken_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["child", "version"], name="child_profile_version_once")
        ]

    def __str__(self) -> str:
        return f"Profile v{self.version} for {self.child}"


class AllocationKind(models.TextChoices):
    CASE_HOLDER = "case_holder", _("Case-holding social worker")
    NAMED_NURSE = "named_nurse", _("Named nurse")
    SCHOOL_LEAD = "school_lead", _("School safeguarding lead")
    OFFICER = "officer", _("Officer in the case")
    DEBRIEF = "debrief", _("Debrief worker")


class Allocation(HafanModel):
    """A worker allocated to a child: the strongest relation in the access policy. Ending it takes effect on
    the worker's next request."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="allocations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocations")
    kind = models.CharField(max_length=16, choices=AllocationKind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "child"], name="allocation_user_child")]

    def __str__(self) -> str:
        return f"{self.user} -> {self.child_id} ({self.kind})"
