"""Referring a child to a service, each step of the referral, the NRM's decisions, and the list filters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hafan.agencies.models import Agency
from hafan.core.forms import DateInput, GovukFormMixin
from hafan.core.vocabulary import AgencyKind
from hafan.referrals.models import NRM_DECISIONS, REFERRAL_OUTCOMES, ReferralStatus, Service, ServiceKind
from hafan.referrals.selectors import service_directory, services_for_child

UPDATE_STATUSES = [
    ReferralStatus.ACCEPTED,
    ReferralStatus.DECLINED,
    ReferralStatus.STARTED,
    ReferralStatus.COMPLETED,
    ReferralStatus.WITHDRAWN,
]
ACTION_LABELS = {
    ReferralStatus.ACCEPTED: _("The service accepted the referral"),
    ReferralStatus.DECLINED: _("The service declined the referral"),
    ReferralStatus.STARTED: _("Work with the child has started"),
    ReferralStatus.COMPLETED: _("The work is complete: record the outcome"),
    ReferralStatus.WITHDRAWN: _("Withdraw the referral"),
}


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
            "Only the services that work in the child's council area are listed. Most need the consent of the "
            "child or their family. A referral of a child under 18 to the National Referral Mechanism (NRM) "
            "needs no consent."
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

    def __init__(self, *args: Any, child: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = services_for_child(child) if child is not None else list(service_directory())
        self.fields["service"].queryset = Service.objects.filter(  # type: ignore[attr-defined]
            pk__in=[s.pk for s in offered]
        ).select_related("provider_agency")


class ReferralUpdateForm(GovukFormMixin, forms.Form):
    """One step of the lifecycle; `statuses` are the steps this user may take now."""

    status = forms.ChoiceField(
        label=_("What has happened to the referral?"),
        choices=[(s.value, ACTION_LABELS[s]) for s in UPDATE_STATUSES],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the referral's new status."),
            "invalid_choice": _("Choose one of the steps listed."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Needed when the service declines the referral; say why when it is withdrawn."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome_code = forms.ChoiceField(
        label=_("Outcome"),
        help_text=_("Needed when the work is complete."),
        choices=REFERRAL_OUTCOMES,
        required=False,
        widget=forms.RadioSelect,
    )
    outcome = forms.CharField(
        label=_("What came of it"),
        help_text=_("Needed when the work is complete: what the child and the service achieved."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, statuses: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if statuses is not None:
            allowed = set(statuses)
            self.fields["status"].choices = [  # type: ignore[attr-defined]
                (s.value, ACTION_LABELS[s]) for s in UPDATE_STATUSES if s.value in allowed
            ]


class NrmForm(GovukFormMixin, forms.Form):
    nrm_reference = forms.CharField(
        label=_("NRM reference"),
        help_text=_(
            "The reference the single competent authority gave the referral, for example NRM-2026-01234."
        ),
        max_length=40,
        error_messages={"required": _("Enter the NRM reference.")},
    )
    nrm_decision = forms.ChoiceField(
        label=_("Decision"),
        choices=NRM_DECISIONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the decision.")},
    )
    nrm_decision_on = forms.DateField(
        label=_("Date of the decision"),
        help_text=_("Not needed while the referral is awaiting a decision."),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Enter the date of the decision as a real date.")},
    )


def _council_choices() -> list[tuple[str, str]]:
    councils = Agency.objects.filter(kind=AgencyKind.COUNCIL, in_partnership=True).order_by("name_en")
    return [("", gettext("All areas")), *[(a.code, a.name) for a in councils]]


class DirectoryFilterForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of service"), required=False)
    area = forms.ChoiceField(label=_("Council area covered"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", gettext("All kinds")), *ServiceKind.choices]  # type: ignore[attr-defined]
        self.fields["area"].choices = _council_choices()  # type: ignore[attr-defined]


class StatusFilterForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Any status")),
            ("open", gettext("Open (sent, accepted or started)")),
            *ReferralStatus.choices,
        ]
