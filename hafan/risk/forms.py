"""The risk grading form. The grade rules (response-plan floor, review after assessment) live in
hafan.risk.services; this form only shapes the input."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import DateTimeLocalInput, GovukFormMixin
from hafan.core.vocabulary import RiskGrade
from hafan.risk.models import RiskFactor
from hafan.risk.rules import REVIEW_INTERVAL_HOURS, default_next_review


def _default_review() -> datetime.datetime:
    # Pre-filled for a medium grade, the most common starting point; blank means "the default for the grade".
    return default_next_review(RiskGrade.MEDIUM, timezone.now().replace(second=0, microsecond=0))


class RiskGradeForm(GovukFormMixin, forms.Form):
    grade = forms.ChoiceField(
        label=_("Risk grade"),
        choices=RiskGrade.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a risk grade."), "invalid_choice": _("Choose a risk grade.")},
    )
    factors = forms.MultipleChoiceField(
        label=_("Risk factors considered"),
        required=False,
        choices=RiskFactor.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why this grade: what you considered, what you know and what it means for the response."),
        error_messages={"required": _("Explain why you chose this grade.")},
    )
    departs_from_plan = forms.BooleanField(
        label=_("This grade departs from the child's response plan"),
        required=False,
        help_text=_("Tick this only to grade below the plan's minimum, and say why in the rationale."),
    )
    next_review_due = forms.DateTimeField(
        label=_("Next review due"),
        required=False,
        widget=DateTimeLocalInput(),
        initial=_default_review,
        error_messages={"invalid": _("Enter a real date and time.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["next_review_due"].help_text = _(
            "Review high risk within %(high)s hour, medium within %(medium)s hours, low within %(low)s hours and "
            "very low within %(very_low)s hours. Leave blank to use the interval for the grade."
        ) % {
            "high": REVIEW_INTERVAL_HOURS[RiskGrade.HIGH],
            "medium": REVIEW_INTERVAL_HOURS[RiskGrade.MEDIUM],
            "low": REVIEW_INTERVAL_HOURS[RiskGrade.LOW],
            "very_low": REVIEW_INTERVAL_HOURS[RiskGrade.VERY_LOW],
        }
        self.fields["next_review_due"].widget.attrs["aria-describedby"] = "id_next_review_due-hint"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        grade = cleaned.get("grade")
        if grade and not cleaned.get("next_review_due") and "next_review_due" not in self.errors:
            cleaned["next_review_due"] = default_next_review(RiskGrade(grade), timezone.now())
        return cleaned
