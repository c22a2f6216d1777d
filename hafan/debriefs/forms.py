"""The debrief worker's record of the offer and of what the child said."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import DateTimeLocalInput, GovukFormMixin
from hafan.debriefs.models import Debrief, Indicator, OfferStatus, PullFactor, PushFactor, ShareBasis

RECORDABLE_STATUSES = [
    OfferStatus.OFFERED,
    OfferStatus.NOT_OFFERED,
    OfferStatus.ACCEPTED,
    OfferStatus.DECLINED,
    OfferStatus.HELD,
]


def _text(label: Any, help_text: Any = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=False, widget=forms.Textarea(attrs={"rows": rows})
    )


class DebriefRecordForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("What happened to the offer of a debrief?"),
        choices=[(s.value, s.label) for s in RECORDABLE_STATUSES],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened to the offer.")},
    )
    not_offered_reason = _text(
        _("Why was a debrief not offered?"), _("Only needed if a debrief was not offered.")
    )
    offered_at = forms.DateTimeField(
        label=_("When was the debrief offered?"), required=False, widget=DateTimeLocalInput
    )
    held_at = forms.DateTimeField(
        label=_("When was the debrief held?"), required=False, widget=DateTimeLocalInput
    )
    where_went = _text(_("Where the child went"), _("In the child's own words."))
    who_with = _text(_("Who the child was with"))
    travel = _text(_("How the child travelled"))
    push_factors = forms.MultipleChoiceField(
        label=_("What made the child leave (push factors)?"),
        choices=PushFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pull_factors = forms.MultipleChoiceField(
        label=_("What drew the child away (pull factors)?"),
        choices=PullFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    indicators = forms.MultipleChoiceField(
        label=_("Harm and exploitation indicators"),
        choices=Indicator.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    harm_details = _text(_("Details of any harm"))
    child_wishes = _text(_("The child's own wishes"), _("What the child wants to happen next."))
    share_basis = forms.ChoiceField(
        label=_("What may be shared with the hub?"),
        help_text=_(
            "Share with the child's consent wherever it is safe to ask. Share without consent only when it is "
            "needed to keep the child safe, or when asking would put them at risk."
        ),
        choices=ShareBasis.choices,
        initial=ShareBasis.NONE,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what may be shared.")},
    )
    places_to_share = _text(
        _("Places to share with the hub"),
        _("One place on each line. Each becomes a fact on the child's record."),
        rows=4,
    )
    associates_to_share = _text(
        _("Associates to share with the hub"),
        _("One person on each line. Each becomes a fact on the child's record."),
        rows=4,
    )

    @classmethod
    def initial_for(cls, debrief: Debrief) -> dict[str, Any]:
        """What is already recorded, so that the worker amends rather than re-types. Places and associates
        are not pre-filled: once shared they are facts on the child's record, and re-sending them would repeat them."""
        return {
            "status": debrief.status if debrief.status in RECORDABLE_STATUSES else None,
            "not_offered_reason": debrief.not_offered_reason,
            "offered_at": debrief.offered_at,
            "held_at": debrief.held_at,
            "where_went": debrief.where_went,
            "who_with": debrief.who_with,
            "travel": debrief.travel,
            "push_factors": debrief.push_factors,
            "pull_factors": debrief.pull_factors,
            "indicators": debrief.indicators,
            "harm_details": debrief.harm_details,
            "child_wishes": debrief.child_wishes,
            "share_basis": debrief.share_basis,
        }
