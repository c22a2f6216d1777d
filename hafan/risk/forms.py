"""The risk grading form. The grade rules (response-plan floor, review after assessment) live in
hafan.risk.services; this form only shapes the input. The structured questions are pre-filled from the
agencies' data (hafan.risk.questions) and the officer confirms or corrects each one."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import DateTimeLocalInput, GovukFormMixin
from hafan.core.vocabulary import RiskGrade
from hafan.risk.models import Answer, RiskFactor, RiskQuestion
from hafan.risk.questions import Prefill
from hafan.risk.rules import default_next_review, review_interval_hours

NOTE_MAX_CHARS = 2000


def prefill_hint(prefill: Prefill | None) -> str:
    """The hint under a question: where its pre-filled answer came from, or that no agency holds it."""
    if prefill is None or not prefill.has_source:
        return gettext("Not in any agency's records.")
    when = formats.date_format(prefill.source_date, "j F Y") if prefill.source_date else ""
    if when:
        return gettext("Pre-filled from %(source)s, %(date)s: %(evidence)s") % {
            "source": prefill.source,
            "date": when,
            "evidence": prefill.evidence,
        }
    return gettext("Pre-filled from %(source)s: %(evidence)s") % {
        "source": prefill.source,
        "evidence": prefill.evidence,
    }


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
    # The public id of the grade in force when the form was opened (empty: none). Saving when another grade
    # has been recorded since is an editing conflict (hafan.risk.services.risk_grade_record).
    based_on = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, prefill: dict[str, Prefill] | None = None, based_on: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.prefill = prefill or {}
        self.fields["based_on"].initial = based_on
        for code, label in RiskQuestion.choices:
            suggested = self.prefill.get(code)
            self.fields[f"answer_{code}"] = forms.ChoiceField(
                label=label,
                choices=Answer.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=suggested.answer if suggested is not None else None,
                help_text=prefill_hint(suggested),
                error_messages={"invalid_choice": _("Answer yes, no or not known.")},
            )
            self.fields[f"note_{code}"] = forms.CharField(
                label=_("Note"),
                required=False,
                max_length=NOTE_MAX_CHARS,
                widget=forms.TextInput(attrs={"class": "govuk-input"}),
                error_messages={"max_length": _("Keep the note to %(limit_value)s characters or fewer.")},
            )
        self.fields["next_review_due"].help_text = _(
            "Review high risk within %(high)s hour, medium within %(medium)s hours, low within %(low)s hours and "
            "very low within %(very_low)s hours. Leave blank to use the interval for the grade."
        ) % {
            "high": review_interval_hours(RiskGrade.HIGH),
            "medium": review_interval_hours(RiskGrade.MEDIUM),
            "low": review_interval_hours(RiskGrade.LOW),
            "very_low": review_interval_hours(RiskGrade.VERY_LOW),
        }
        self.fields["next_review_due"].widget.attrs["aria-describedby"] = "id_next_review_due-hint"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        grade = cleaned.get("grade")
        if grade and not cleaned.get("next_review_due") and "next_review_due" not in self.errors:
            cleaned["next_review_due"] = default_next_review(RiskGrade(grade), timezone.now())
        return cleaned

    @property
    def based_on_given(self) -> bool:
        """Whether the form posted the grade it started from (a page always does; other callers may not)."""
        return self.is_bound and "based_on" in self.data

    def questions(self) -> list[dict[str, Any]]:
        """Each question's fields and pre-fill, in order, for the template."""
        return [
            {
                "code": code,
                "answer": self[f"answer_{code}"],
                "note": self[f"note_{code}"],
                "prefill": self.prefill.get(code),
            }
            for code in RiskQuestion.values
        ]

    def answers(self) -> dict[str, dict[str, Any]]:
        """The answers given, with what was pre-filled, as hafan.risk.services.risk_grade_record takes them.
        A question left unanswered is not recorded; a note without an answer records "not known"."""
        result: dict[str, dict[str, Any]] = {}
        for code in RiskQuestion.values:
            answer = self.cleaned_data.get(f"answer_{code}") or ""
            note = (self.cleaned_data.get(f"note_{code}") or "").strip()
            if not answer and not note:
                continue
            suggested = self.prefill.get(code)
            from_records = suggested is not None and suggested.has_source
            result[code] = {
                "answer": answer or Answer.UNKNOWN,
                "note": note,
                "prefilled": suggested.answer if suggested is not None and from_records else "",
                "source": suggested.source if suggested is not None and from_records else "",
                "source_date": suggested.source_date if suggested is not None and from_records else None,
            }
        return result
