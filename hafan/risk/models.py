from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hafan.core.fields import EncryptedTextField
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

    class Meta:
        ordering = ["-assessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.episode} {self.grade} at {self.assessed_at:%Y-%m-%d %H:%M}"

    def factor_labels(self) -> list[str]:
        labels = dict(RiskFactor.choices)
        return [str(labels.get(code, code)) for code in self.factors]
