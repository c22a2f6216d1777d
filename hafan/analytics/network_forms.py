"""The period filter of the co-missing page."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import DateInput, GovukFormMixin

DEFAULT_MONTHS = 12
# A period longer than this would ask the page to compare every episode in the hub's history.
LONGEST_PERIOD_DAYS = 3 * 366


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 12 months, up to today."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + datetime.timedelta(days=1), today


class PeriodForm(GovukFormMixin, forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        help_text=_("Episodes reported on or after this day."),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=DateInput(),
        help_text=_("Episodes reported on or before this day."),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        default_start, default_end = default_period(self.today)
        start = cleaned.get("start") or default_start
        end = cleaned.get("end") or default_end
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if start > end:
            self.add_error("end", _("The end of the period must be on or after its start."))
        elif (end - start).days > LONGEST_PERIOD_DAYS:
            self.add_error("start", _("Choose a period of at most three years."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The period asked for, or the default when the form is not valid (the page shows its errors)."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return default_period(self.today)
