"""Forms for the information-governance pages. They only shape input: the services in
hafan.sharing.services check the rules, and their ValidationErrors are shown on these forms."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hafan.agencies.models import Agency
from hafan.core.forms import DateInput, GovukFormMixin
from hafan.core.vocabulary import Channel, DataCategory
from hafan.people.identifiers import normalise_nhs_number, normalise_upn
from hafan.sharing.models import AgreementStatus, BreakGlassReason, LawfulBasis, SubjectTold
from hafan.sharing.services import STATUS_MOVES, AgreementDetails


def _errors(required: Promise, invalid: Promise | None = None) -> dict[str, Any]:
    """GOV.UK error messages say what to do about this field, not "This field is required"."""
    messages: dict[str, Any] = {"required": required, "invalid_choice": required}
    if invalid is not None:
        messages["invalid"] = invalid
    return messages


def _partner_agencies() -> Any:
    return Agency.objects.filter(in_partnership=True).order_by("kind", "name_en")


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


# Sharing agreements


class AgreementForm(GovukFormMixin, forms.Form):
    reference = forms.CharField(
        label=_("Reference"),
        max_length=40,
        help_text=_("The protocol's reference, for example GMCH-ISP-2026. It cannot be changed later."),
        error_messages=_errors(_("Enter the protocol's reference.")),
    )
    title_en = forms.CharField(
        label=_("Title in English"),
        max_length=200,
        error_messages=_errors(_("Enter the agreement's title in English.")),
    )
    title_cy = forms.CharField(
        label=_("Title in Welsh"),
        max_length=200,
        error_messages=_errors(_("Enter the agreement's title in Welsh.")),
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the sharing is for, as the protocol states it."),
        error_messages=_errors(_("Say what the sharing is for.")),
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Data categories shared"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("An agreement needs at least one before it can be made active."),
    )
    starts_on = forms.DateField(
        label=_("Starts on"),
        widget=DateInput(),
        error_messages=_errors(_("Enter the date the agreement starts."), _("Enter a real date.")),
    )
    review_on = forms.DateField(
        label=_("Review by"),
        widget=DateInput(),
        help_text=_("When the protocol must next be reviewed."),
        error_messages=_errors(
            _("Enter the date the agreement must be reviewed by."), _("Enter a real date.")
        ),
    )
    ends_on = forms.DateField(
        label=_("Ends on"),
        widget=DateInput(),
        required=False,
        error_messages={"invalid": _("Enter a real date.")},
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["reference"]

    def details(self) -> AgreementDetails:
        data = self.cleaned_data
        return AgreementDetails(
            title_en=data["title_en"],
            title_cy=data["title_cy"],
            purpose=data["purpose"],
            data_categories=list(data["data_categories"]),
            starts_on=data["starts_on"],
            review_on=data["review_on"],
            ends_on=data["ends_on"],
        )


class PartyForm(GovukFormMixin, forms.Form):
    agency = AgencyChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.none(),
        empty_label=_("Choose an agency"),
        error_messages=_errors(_("Choose a partner agency.")),
    )
    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis"),
        choices=LawfulBasis.choices,
        widget=forms.RadioSelect,
        help_text=_("What this agency relies on to share and receive information under the agreement."),
        error_messages=_errors(_("Choose the lawful basis this agency relies on.")),
    )
    provides = forms.BooleanField(
        label=_("Provides information under the agreement"), required=False, initial=True
    )
    receives = forms.BooleanField(
        label=_("Receives others' information under it"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = _partner_agencies()  # type: ignore[attr-defined]


class RemovePartyForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.all()  # type: ignore[attr-defined]
        self.fields["agency"].to_field_name = "public_id"  # type: ignore[attr-defined]


class StatusForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose the agreement's new status.")),
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = STATUS_MOVES[current]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in AgreementStatus.choices if value in allowed
        ]


# Emergency access


class IdentifierKind:
    NHS = "nhs"
    UPN = "upn"
    HUB = "hub"


_NHS_SHAPE = re.compile(r"^\d{10}$")
_UPN_SHAPE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")


def parse_identifier(value: str) -> tuple[str, str | uuid.UUID] | None:
    """Which kind of identifier was typed: an NHS number, a UPN or the hub's identifier (None: none)."""
    value = value.strip()
    nhs = normalise_nhs_number(value)
    if _NHS_SHAPE.match(nhs):
        return IdentifierKind.NHS, nhs
    upn = normalise_upn(value)
    if _UPN_SHAPE.match(upn):
        return IdentifierKind.UPN, upn
    try:
        return IdentifierKind.HUB, uuid.UUID(value)
    except ValueError:
        return None


class BreakGlassForm(GovukFormMixin, forms.Form):
    identifier = forms.CharField(
        label=_("Child's NHS number, UPN or hub identifier"),
        max_length=40,
        help_text=_(
            "An NHS number has 10 digits, a unique pupil number (UPN) 13 characters; the hub identifier is "
            "shown on the child's record and in the audit trail."
        ),
        error_messages=_errors(_("Enter the child's NHS number, UPN or hub identifier.")),
    )
    reason = forms.ChoiceField(
        label=_("Reason for emergency access"),
        choices=BreakGlassReason.choices,
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose the reason for emergency access.")),
    )
    justification = forms.CharField(
        label=_("What is the emergency?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "At least 20 characters. The information-governance officer reads this when reviewing the access."
        ),
        error_messages=_errors(_("Explain the emergency.")),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Enter the password you sign in with, to confirm it is you."),
        error_messages=_errors(_("Enter your password.")),
    )

    def clean_identifier(self) -> tuple[str, str | uuid.UUID]:
        parsed = parse_identifier(self.cleaned_data["identifier"])
        if parsed is None:
            raise ValidationError(
                _("Enter an NHS number (10 digits), a UPN (13 characters) or a hub identifier."),
                code="invalid",
            )
        return parsed


class BreakGlassReviewForm(GovukFormMixin, forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Was the emergency access justified?"),
        choices=[("yes", _("Yes: justified")), ("no", _("No: not justified"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages=_errors(_("Say whether the emergency access was justified.")),
    )
    note = forms.CharField(
        label=_("Review note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when the access was not justified: say why, and what happens next."),
    )


# The disclosure log


class DisclosureFilterForm(GovukFormMixin, forms.Form):
    child = forms.UUIDField(
        label=_("Child's hub identifier"),
        required=False,
        error_messages={"invalid": _("Enter a hub identifier in the form shown in the table.")},
    )
    from_agency = AgencyChoiceField(
        label=_("From agency"), queryset=Agency.objects.none(), required=False, empty_label=_("Any")
    )
    to_agency = AgencyChoiceField(
        label=_("To agency"), queryset=Agency.objects.none(), required=False, empty_label=_("Any")
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False
    )
    subject_told = forms.ChoiceField(
        label=_("Child or family told"), choices=[("", _("Any")), *SubjectTold.choices], required=False
    )
    date_from = forms.DateField(
        label=_("From date"),
        widget=DateInput(),
        required=False,
        error_messages={"invalid": _("Enter a real date.")},
    )
    date_to = forms.DateField(
        label=_("To date"),
        widget=DateInput(),
        required=False,
        error_messages={"invalid": _("Enter a real date.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("from_agency", "to_agency"):
            field = self.fields[name]
            field.queryset = Agency.objects.order_by("kind", "name_en")  # type: ignore[attr-defined]
            field.to_field_name = "code"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data


class SubjectToldForm(GovukFormMixin, forms.Form):
    subject_told = forms.ChoiceField(
        label=_("Was the child or family told?"),
        choices=SubjectTold.choices,
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose whether the child or family was told.")),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
