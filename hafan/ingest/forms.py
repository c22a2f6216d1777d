from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import GovukFormMixin

FORMAT_LABELS: dict[str, Any] = {
    "police-csv": _("Police missing-person occurrences (CSV)"),
    "police-pole": _("Police people, objects, locations and events (POLE JSON)"),
    "ssda903": _("Council looked-after children tables (SSDA903-style CSV)"),
    "caselist": _("Council case list (CSV with a mapping file)"),
    "fhir": _("Health records (FHIR R4 Bundle, JSON)"),
    "ctf": _("School pupil records (Common Transfer File, XML)"),
    "generic": _("Any other person list (CSV with a mapping file)"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "govuk-file-upload"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        # The multiple widget gives a list, empty when no file was chosen: clean that as "no file", so that
        # a required field says so rather than passing with no files.
        items = list(data) if isinstance(data, list | tuple) else [data]
        cleaned = [single(d, initial) for d in items or [None]]
        return [f for f in cleaned if f]


class ImportForm(GovukFormMixin, forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=list(FORMAT_LABELS.items()))
    upload = MultipleFileField(
        label=_("File"),
        help_text=_("For the SSDA903 format, choose all of its table files at once."),
        error_messages={"required": _("Choose the file to import.")},
    )
    mapping = forms.FileField(
        label=_("Mapping file"),
        required=False,
        help_text=_("A TOML mapping file, for the case list and other person lists."),
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload"}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (dry run)"),
        required=False,
        help_text=_("Checks every row and counts what would change, without writing anything."),
    )
    full_refresh = forms.BooleanField(
        label=_("This file holds every record of the system (full refresh)"),
        required=False,
        help_text=_("Records missing from the file are marked withdrawn. They are kept, not deleted."),
    )
