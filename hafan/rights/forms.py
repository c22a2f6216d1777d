"""Forms for the rights pages. They only check shapes; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import DateInput, GovukFormMixin

CHILD_ID_HELP = _("The child's hub identifier, as shown in the audit trail (for example 0b9e…-…).")


class SubjectAccessRequestForm(GovukFormMixin, forms.Form):
    child = forms.UUIDField(
        label=_("Child's hub identifier"),
        help_text=CHILD_ID_HELP,
        error_messages={
            "required": _("Enter the child's hub identifier."),
            "invalid": _("Enter a hub identifier in the form shown in the audit trail."),
        },
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=40,
        help_text=_("The information-governance team's reference for the request."),
        error_messages={"required": _("Enter the request's reference.")},
    )
    received_on = forms.DateField(
        label=_("Date received"),
        widget=DateInput(),
        error_messages={"required": _("Enter the date the request was received.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].help_text = _("The response is due %(days)s days after this date.") % {
            "days": settings.HAFAN_SAR_DAYS
        }
        self.fields["received_on"].widget.attrs["aria-describedby"] = "id_received_on-hint"


class ExtensionForm(GovukFormMixin, forms.Form):
    extended_to = forms.DateField(
        label=_("New due date"),
        widget=DateInput(),
        help_text=_("At most three months after the request was received."),
        error_messages={"required": _("Enter the new due date.")},
    )
    extension_reason = forms.CharField(
        label=_("Why the request needs more time"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the request needs more time.")},
    )


class LegalHoldForm(GovukFormMixin, forms.Form):
    child = forms.UUIDField(
        label=_("Child's hub identifier"),
        help_text=CHILD_ID_HELP,
        error_messages={
            "required": _("Enter the child's hub identifier."),
            "invalid": _("Enter a hub identifier in the form shown in the audit trail."),
        },
    )
    reason = forms.CharField(
        label=_("Why the record must be kept"),
        max_length=300,
        help_text=_("The case, inquiry or investigation, by its reference: no personal details."),
        error_messages={"required": _("Say why the record must be kept.")},
    )
