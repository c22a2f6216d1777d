from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.accounts.models import User
from hafan.core.forms import GovukFormMixin
from hafan.people.models import AllocationKind


class AllocateForm(GovukFormMixin, forms.Form):
    user = forms.ModelChoiceField(
        label=_("Worker"),
        queryset=User.objects.none(),
        error_messages={"required": _("Choose a worker."), "invalid_choice": _("Choose a worker.")},
    )
    kind = forms.ChoiceField(
        label=_("What they are to the child"),
        choices=AllocationKind.choices,
        error_messages={"required": _("Choose what the worker is to the child.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, agency__in_partnership=True)
            .exclude(role__in=["analyst", "ig_auditor", "administrator", "debrief_worker"])
            .select_related("agency")
            .order_by("last_name", "first_name")
        )
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.agency.name})"  # type: ignore[attr-defined]


class RestrictForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why restrict this item to your agency?"),
        max_length=200,
        error_messages={"required": _("Say why the item is restricted.")},
    )
