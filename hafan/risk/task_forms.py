"""Forms for hub tasks and the exploitation screening. The rules (outcome required, known indicators, the
score and band) live in hafan.risk.triggers and hafan.risk.rules; these forms only shape the input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import GovukFormMixin
from hafan.risk.models import HubTaskKind
from hafan.risk.rules import SCREENING_INDICATORS


class HubTaskFilterForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of task"),
        required=False,
        choices=[("", _("All tasks")), *HubTaskKind.choices],
    )


class HubTaskCompleteForm(GovukFormMixin, forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was decided, and who will do what by when."),
        error_messages={"required": _("Record the outcome: what was decided and who will do what.")},
    )


class ScreeningForm(GovukFormMixin, forms.Form):
    indicators = forms.MultipleChoiceField(
        label=_("Indicators present"),
        required=False,
        choices=[(i.code, i.label) for i in SCREENING_INDICATORS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick each indicator you know to be present. Leave the others unticked."),
        error_messages={"invalid_choice": _("Choose indicators from the list.")},
    )
