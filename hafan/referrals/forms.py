"""Referring a child to a service, and recording what came of it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import GovukFormMixin
from hafan.referrals.models import ReferralStatus, Service
from hafan.referrals.selectors import service_directory

UPDATE_STATUSES = [
    ReferralStatus.ACCEPTED,
    ReferralStatus.DECLINED,
    ReferralStatus.COMPLETED,
    ReferralStatus.WITHDRAWN,
]


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        service: Service = obj
        return gettext("%(service)s (provided by %(provider)s)") % {
            "service": service.name,
            "provider": service.provider_name,
        }


class ReferralForm(GovukFormMixin, forms.Form):
    service = ServiceChoiceField(
        label=_("Which service is the child being referred to?"),
        help_text=_(
            "Most services need the consent of the child or their family. A referral of a child under 18 to "
            "the National Referral Mechanism (NRM) needs no consent."
        ),
        queryset=Service.objects.none(),
        to_field_name="public_id",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a service."),
            "invalid_choice": _("Choose a service from the list."),
        },
    )
    reason = forms.CharField(
        label=_("Why is the child being referred?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say why the child is being referred.")},
    )
    consent_given = forms.BooleanField(
        label=_("The child or their family agreed to this referral"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = service_directory()  # type: ignore[attr-defined]


class ReferralUpdateForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("What has happened to the referral?"),
        choices=[(s.value, s.label) for s in UPDATE_STATUSES],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the referral's new status.")},
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        help_text=_("Needed when the referral is completed or the service declined it."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
