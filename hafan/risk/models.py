from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.fields import EncryptedJSONField, EncryptedTextField
from hafan.core.models import HafanModel
from hafan.core.vocabulary import RiskGrade


class RiskFactor(models.TextChoices):
    """Factors the police consider when grading (College of Policing APP, simplified)."""

    CSE = "cse", _("Child sexual exploitation concern")
    CCE = "cce", _("Child criminal exploitation or county lines concern")
    MENTAL_HEALTH = "mental_health", _("Mental health or self-harm")
    SUBSTANCES = "substances", _("Drug or alcohol use")
    MEDICAL = "medical", _("Medical needs or medication")
    YOUNG_AGE = "young_age", _("Young age")
    FIRST_TIME = "first_time", _("Missing for the first time or out of character")
    REPEAT = "repeat", _("Repeatedly missing")
    ASSOCIATES = "associates", _("With adults or associates who pose a risk")
    VICTIM_OF_ABUSE = "abuse", _("Known or suspected abuse at home")
    WEATHER_OR_PLACE = "environment", _("Weather, time of day or dangerous place")
    NO_MEANS = "no_means", _("No money, phone or medication")


class RiskQuestion(models.TextChoices):
    """The structured questions behind a grade (College of Policing APP on missing persons, simplified)."""

    OUT_OF_CHARACTER = "out_of_character", _("Is going missing out of character?")
    VULNERABLE = "vulnerable", _("Is the child vulnerable because of age or illness?")
    VICTIM_OF_CRIME = "victim_of_crime", _("Is the child a suspected victim of crime?")
    SELF_HARM = "self_harm", _("Is there a risk of suicide or self-harm?")
    MEDICATION = "medication", _("Does the child need medication?")
    EXPLOITATION = "exploitation", _("Are there exploitation concerns?")
    PREVIOUS_EPISODES = "previous_episodes", _("Has the child been missing before, and what happened?")
    KNOWN_REASON = "known_reason", _("Is there a known reason for going missing?")
    PREPARATIONS = "preparations", _("Were preparations made (money, clothes, plans)?")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


class RiskAssessment(HafanModel):
    """One grading of an episode. Grades are never edited: a change is a new assessment, so history is kept."""

    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="risk_assessments")
    grade = models.CharField(max_length=16, choices=RiskGrade.choices)
    factors = models.JSONField(default=list, help_text=_("The risk factors considered (codes)."))
    rationale = EncryptedTextField(help_text=_("Why this grade: what was considered and what it means."))
    departs_from_plan = models.BooleanField(
        default=False,
        help_text=_(
            "The grade is below the minimum in the child's response plan, and the rationale says why."
        ),
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()
    next_review_due = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Issue 6. Each question's answer as the officer confirmed or corrected it, with what Hafan pre-filled:
    # {question: {"answer", "note", "prefilled", "source", "source_date", "corrected"}} (encrypted at rest).
    answers = EncryptedJSONField(default=dict, blank=True)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The grade in force when this one was made: a newer one in between is an editing conflict."
        ),
    )

    class Meta:
        ordering = ["-assessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.episode} {self.grade} at {self.assessed_at:%Y-%m-%d %H:%M}"

    def factor_labels(self) -> list[str]:
        labels = dict(RiskFactor.choices)
        return [str(labels.get(code, code)) for code in self.factors]


class HubTaskKind(models.TextChoices):
    STRATEGY_MEETING = "strategy_meeting", _("Strategy meeting: repeatedly missing")
    EXPLOITATION_REVIEW = "exploitation_review", _("Exploitation review")


class HubTaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class HubTask(HafanModel):
    """Work a trigger (repeat missing, exploitation indicators) creates for the hub, with a due date."""

    child = models.ForeignKey("people.Child", on_delete=models.PROTECT, related_name="hub_tasks")
    episode = models.ForeignKey(
        "episodes.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="hub_tasks"
    )
    kind = models.CharField(max_length=32, choices=HubTaskKind.choices)
    trigger = models.JSONField(default=dict, help_text=_("What set the task off (the rule and its figures)."))
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=HubTaskStatus.choices, default=HubTaskStatus.OPEN)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"], condition=models.Q(status="open"), name="hub_task_one_open_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.child}"


class ExploitationScreening(HafanModel):
    """An optional SERAF-style scored screening for exploitation (indicators answered, weighted, banded)."""

    child = models.ForeignKey(
        "people.Child", on_delete=models.PROTECT, related_name="exploitation_screenings"
    )
    episode = models.ForeignKey(
        "episodes.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers = EncryptedJSONField(default=dict, help_text=_("Indicator code -> true or false."))
    score = models.PositiveIntegerField()
    band = models.CharField(max_length=16)
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField()

    class Meta:
        ordering = ["-screened_at", "-id"]
