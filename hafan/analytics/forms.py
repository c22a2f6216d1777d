"""The dashboard's filter form (issue 8): a period (a preset quarter, or from and to) and the dimensions.

GET parameters, the same names the charts take (since, until, council, school, placement_type, grade, age_band,
sex, care_status; the multi-valued ones repeat), plus `quarter` (e.g. 2026-q3) for the presets."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.analytics.filters import AGE_BANDS, Filters
from hafan.core.forms import DateInput, GovukFormMixin
from hafan.core.vocabulary import RISK_GRADE_ORDER, RiskGrade

PRESET_QUARTERS = 8
LONGEST_PERIOD_DAYS = 10 * 366 + 1
_QUARTER = re.compile(r"^(?P<year>\d{4})-q(?P<q>[1-4])$")

AGE_BAND_LABELS = {
    "0-10": _("10 or under"),
    "11-13": _("11 to 13"),
    "14-15": _("14 to 15"),
    "16-17": _("16 to 17"),
    "18+": _("18 or over"),
    "unknown": _("Age not known"),
}
CARE_STATUS_LABELS = {
    "looked_after": _("Looked after"),
    "child_protection": _("On a child protection plan"),
    "child_in_need": _("Child in need"),
    "none": _("None of these"),
}
SEX_LABELS = {"female": _("Female"), "male": _("Male"), "unknown": _("Not known")}
PLACEMENT_LABELS = {
    "home": _("At home"),
    "care (unknown type)": _("In care (placement type not known)"),
    "foster_care": _("Foster care"),
    "kinship_care": _("Foster care with relatives or friends"),
    "residential": _("Children's home"),
    "secure": _("Secure accommodation"),
    "independent_living": _("Supported or independent living"),
    "with_parents": _("Placed with parents"),
    "adoption": _("Placed for adoption"),
    "other": _("Other placement"),
}


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * quarter - 2, 1)
    end = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return start, end - datetime.timedelta(days=1)


def quarter_label(year: int, quarter: int) -> str:
    start, end = quarter_bounds(year, quarter)
    return f"{year} Q{quarter} ({start:%b} to {end:%b})"


def quarter_code(year: int, quarter: int) -> str:
    return f"{year}-q{quarter}"


def recent_quarters(today: datetime.date, count: int = PRESET_QUARTERS) -> list[tuple[int, int]]:
    year, quarter = quarter_of(today)
    out = []
    for _i in range(count):
        out.append((year, quarter))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return out


class DashboardFilterForm(GovukFormMixin, forms.Form):
    quarter = forms.ChoiceField(label=_("Quarter"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=DateInput(), help_text=_("Or choose your own period.")
    )
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    council = forms.MultipleChoiceField(
        label=_("Council"), required=False, widget=forms.CheckboxSelectMultiple
    )
    school = forms.CharField(
        label=_("School"), required=False, max_length=100, help_text=_("The school's name as recorded.")
    )
    placement_type = forms.MultipleChoiceField(
        label=_("Placement type"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(PLACEMENT_LABELS.items()),
    )
    grade = forms.MultipleChoiceField(
        label=_("Highest risk grade"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(str(g), RiskGrade(g).label) for g in reversed(RISK_GRADE_ORDER)],
    )
    age_band = forms.MultipleChoiceField(
        label=_("Age when reported"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(band, AGE_BAND_LABELS[band]) for band in AGE_BANDS],
    )
    sex = forms.MultipleChoiceField(
        label=_("Sex"), required=False, widget=forms.CheckboxSelectMultiple, choices=list(SEX_LABELS.items())
    )
    care_status = forms.MultipleChoiceField(
        label=_("Care status when reported"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(CARE_STATUS_LABELS.items()),
    )

    def __init__(
        self, *args: Any, today: datetime.date, councils: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        quarter_field = self.fields["quarter"]
        assert isinstance(quarter_field, forms.ChoiceField)
        quarter_field.choices = [("", _("Choose your own period"))] + [
            (quarter_code(y, q), quarter_label(y, q)) for y, q in recent_quarters(today)
        ]
        council_field = self.fields["council"]
        assert isinstance(council_field, forms.MultipleChoiceField)
        council_field.choices = councils

    def clean_quarter(self) -> str:
        value = self.cleaned_data.get("quarter") or ""
        if value and not _QUARTER.match(value):
            raise forms.ValidationError(_("Choose a quarter from the list."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "since" in self.errors or "until" in self.errors:
            return cleaned
        since, until = self.period_from(cleaned)
        if since > until:
            self.add_error("until", _("The end of the period must be on or after its start."))
        elif (until - since).days > LONGEST_PERIOD_DAYS:
            self.add_error("since", _("Choose a period of at most ten years."))
        return cleaned

    def period_from(self, cleaned: dict[str, Any]) -> tuple[datetime.date, datetime.date]:
        match = _QUARTER.match(cleaned.get("quarter") or "")
        if match and not cleaned.get("since") and not cleaned.get("until"):
            since, until = quarter_bounds(int(match["year"]), int(match["q"]))
            return since, min(until, max(self.today, since))
        default_since, default_until = quarter_bounds(*quarter_of(self.today))
        return cleaned.get("since") or default_since, cleaned.get("until") or min(default_until, self.today)

    def filters(self) -> Filters:
        """The filters asked for, or this quarter to date when the form is not valid (the page shows why)."""
        if not self.is_valid():
            since, until = self.period_from({})
            return Filters(since=since, until=until)
        data = self.cleaned_data
        since, until = self.period_from(data)
        school = (data.get("school") or "").strip()
        return Filters(
            since=since,
            until=until,
            councils=tuple(sorted(data.get("council") or ())),
            schools=(school,) if school else (),
            placement_types=tuple(sorted(data.get("placement_type") or ())),
            grades=tuple(sorted(data.get("grade") or ())),
            age_bands=tuple(sorted(data.get("age_band") or ())),
            sexes=tuple(sorted(data.get("sex") or ())),
            care_statuses=tuple(sorted(data.get("care_status") or ())),
        )
