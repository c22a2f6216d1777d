"""Forms for identity resolution. They only shape input: the services decide what may be merged or split."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import GovukFormMixin
from hafan.linkage.services import ReviewOutcome
from hafan.people.identifiers import nhs_number_is_valid, normalise_nhs_number, normalise_upn, upn_is_valid
from hafan.people.models import Sex, SourceRecord
from hafan.people.services import PersonDetails


class ReviewForm(GovukFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Are these records about the same child?"),
        choices=[
            (ReviewOutcome.ACCEPT, _("Yes, the same child")),
            (ReviewOutcome.REJECT, _("No, different children")),
            (ReviewOutcome.NOT_SURE, _("Not sure")),
        ],
        widget=forms.RadioSelect,
        help_text=_(
            "Yes merges the two identities. No keeps them apart for good: the model will not link them again."
        ),
        error_messages={
            "required": _("Choose whether the records are the same child."),
            "invalid_choice": _("Choose whether the records are the same child."),
        },
    )


def _record_label(record: SourceRecord) -> str:
    born = formats.date_format(record.date_of_birth, "j F Y") if record.date_of_birth else "–"
    return f"{record.agency.name}, {record.system} {record.local_id}: {record.given_name} {record.family_name}, {born}"


class SplitForm(GovukFormMixin, forms.Form):
    records = forms.MultipleChoiceField(
        label=_("These records belong to a different child"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The records you choose become a new identity, with the episodes reported with them. "
            "Leave at least one record with this child."
        ),
        error_messages={
            "required": _("Choose the records that belong to a different child."),
            "invalid_choice": _("Choose only records of this identity."),
        },
    )
    reason = forms.CharField(
        label=_("Why are these records a different child?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: different NHS numbers, confirmed with the school."),
        error_messages={"required": _("Say why these records are a different child.")},
    )

    def __init__(self, *args: Any, records: Iterable[SourceRecord], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._records = {str(r.public_id): r for r in records}
        field = self.fields["records"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(key, _record_label(r)) for key, r in self._records.items()]

    def chosen_records(self) -> list[SourceRecord]:
        return [self._records[key] for key in self.cleaned_data["records"]]


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def person_details_from(data: Mapping[str, Any]) -> PersonDetails:
    """The child's details from a half-filled report form, for suggesting possible matches as the
    coordinator types. A value that is not (yet) valid is left out rather than reported."""
    nhs = normalise_nhs_number(str(data.get("nhs_number", "")))
    upn = normalise_upn(str(data.get("upn", "")))
    sex = str(data.get("sex", ""))
    born = _date(str(data.get("date_of_birth", "")))
    return PersonDetails(
        given_name=str(data.get("given_name", "")).strip()[:100],
        family_name=str(data.get("family_name", "")).strip()[:100],
        date_of_birth=born if born and born <= timezone.localdate() else None,
        sex=sex if sex in Sex.values else Sex.UNKNOWN,
        address=str(data.get("address", "")).strip()[:300],
        postcode=str(data.get("postcode", "")).strip().upper()[:10],
        nhs_number=nhs if nhs_number_is_valid(nhs) else "",
        upn=upn if upn_is_valid(upn) else "",
    )
