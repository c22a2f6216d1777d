"""The debrief worker's forms: contact attempts, the offer, assignment, language, the record of what the child
said with each finding's sharing decision, and family mediation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import DateInput, DateTimeLocalInput, GovukFormMixin
from hafan.debriefs.models import (
    ContactMethod,
    ContactOutcome,
    Debrief,
    DebriefFinding,
    FindingKind,
    Indicator,
    MediationStatus,
    OfferStatus,
    PullFactor,
    PushFactor,
    ShareBasis,
)

RECORDABLE_STATUSES = [
    OfferStatus.OFFERED,
    OfferStatus.NOT_OFFERED,
    OfferStatus.ACCEPTED,
    OfferStatus.DECLINED,
    OfferStatus.HELD,
]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# Blank finding rows shown under the recorded ones (no JavaScript needed; save to get more).
BLANK_FINDING_ROWS = 3
SHARE_CHOICES = [
    (ShareBasis.CONSENT.value, _("Child agreed to share")),
    (ShareBasis.SAFEGUARDING.value, _("Safeguarding requires sharing")),
    (ShareBasis.NONE.value, _("Keep with the charity")),
]


def _text(label: Any, help_text: Any = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=False, widget=forms.Textarea(attrs={"rows": rows})
    )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _yes_no_initial(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


class ContactAttemptForm(GovukFormMixin, forms.Form):
    at = forms.DateTimeField(
        label=_("When did you try to make contact?"),
        widget=DateTimeLocalInput,
        error_messages={"required": _("Enter when you tried to make contact.")},
    )
    method = forms.ChoiceField(
        label=_("How?"),
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how you tried to make contact.")},
    )
    outcome = forms.ChoiceField(
        label=_("What happened?"),
        choices=ContactOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened.")},
    )
    note = _text(_("Note"), _("Anything the next person to try should know."))


class OfferDecisionForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("What happened to the offer?"),
        choices=[(s.value, s.label) for s in RECORDABLE_STATUSES],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened to the offer.")},
    )
    at = forms.DateTimeField(
        label=_("When?"),
        widget=DateTimeLocalInput,
        error_messages={"required": _("Enter when this happened.")},
    )
    reason = _text(
        _("Why?"),
        _("Needed when a debrief was not offered; optional when the child declined."),
    )
    carer_seen = forms.ChoiceField(
        label=_("If the child declined: was a parent or carer seen instead?"),
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
    )
    carer_seen_note = _text(_("What was discussed with the parent or carer"))

    def clean_carer_seen(self) -> bool | None:
        return _yes_no(self.cleaned_data.get("carer_seen"))


class AssignForm(GovukFormMixin, forms.Form):
    worker = forms.ChoiceField(
        label=_("Who works this debrief?"), error_messages={"required": _("Choose a debrief worker.")}
    )

    def __init__(self, *args: Any, workers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workers = {str(u.pk): u for u in workers}
        field: forms.ChoiceField = self.fields["worker"]  # type: ignore[assignment]
        field.choices = [("", "")] + [(str(u.pk), u.get_full_name() or u.get_username()) for u in workers]

    def clean_worker(self) -> Any:
        return self.workers.get(self.cleaned_data["worker"])


class LanguageForm(GovukFormMixin, forms.Form):
    language = forms.ChoiceField(
        label=_("Which language is the debrief offered in?"),
        help_text=_("The child's recorded preference, unless they ask otherwise."),
        choices=[("cy", "Cymraeg"), ("en", "English")],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose Welsh or English.")},
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
    declined_reason = _text(_("If the child declined: why?"))
    carer_seen = forms.ChoiceField(
        label=_("If the child declined: was a parent or carer seen instead?"),
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
    )
    carer_seen_note = _text(_("What was discussed with the parent or carer"))
    where_went = _text(_("Where the child went"), _("In the child's own words."))
    who_with = _text(_("Who the child was with"))
    travel = _text(_("How the child travelled"))
    push_factors = forms.MultipleChoiceField(
        label=_("What made the child leave (push factors)?"),
        choices=PushFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    push_notes = _text(_("Why the child left, in their words"))
    pull_factors = forms.MultipleChoiceField(
        label=_("What drew the child away (pull factors)?"),
        choices=PullFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pull_notes = _text(_("What drew the child away, in their words"))
    indicators = forms.MultipleChoiceField(
        label=_("Harm and exploitation indicators"),
        choices=Indicator.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    harm_details = _text(_("Details of any harm"))
    substance_use = _text(_("Drugs or alcohol"))
    sleeping_rough = forms.ChoiceField(
        label=_("Did the child sleep rough?"), choices=YES_NO, required=False, widget=forms.RadioSelect
    )
    child_wishes = _text(_("The child's own wishes"), _("What the child wants to happen next."))
    what_would_help = _text(_("What would help"), _("In the child's words, and yours."))

    # Older clients post one basis for the whole debrief with places and associates one a line: still taken
    # (each line becomes a finding with that basis), but no longer drawn on the page.
    share_basis = forms.ChoiceField(choices=ShareBasis.choices, required=False, widget=forms.HiddenInput)
    places_to_share = forms.CharField(required=False, widget=forms.HiddenInput)
    associates_to_share = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_share_basis(self) -> str:
        return self.cleaned_data.get("share_basis") or ShareBasis.NONE.value

    def clean_carer_seen(self) -> bool | None:
        return _yes_no(self.cleaned_data.get("carer_seen"))

    def clean_sleeping_rough(self) -> bool | None:
        return _yes_no(self.cleaned_data.get("sleeping_rough"))

    @classmethod
    def initial_for(cls, debrief: Debrief) -> dict[str, Any]:
        """What is already recorded, so that the worker amends rather than re-types."""
        return {
            "status": debrief.status if debrief.status in RECORDABLE_STATUSES else None,
            "not_offered_reason": debrief.not_offered_reason,
            "offered_at": debrief.offered_at,
            "held_at": debrief.held_at,
            "declined_reason": debrief.declined_reason,
            "carer_seen": _yes_no_initial(debrief.carer_seen),
            "carer_seen_note": debrief.carer_seen_note,
            "where_went": debrief.where_went,
            "who_with": debrief.who_with,
            "travel": debrief.travel,
            "push_factors": debrief.push_factors,
            "push_notes": debrief.push_notes,
            "pull_factors": debrief.pull_factors,
            "pull_notes": debrief.pull_notes,
            "indicators": debrief.indicators,
            "harm_details": debrief.harm_details,
            "substance_use": debrief.substance_use,
            "sleeping_rough": _yes_no_initial(debrief.sleeping_rough),
            "child_wishes": debrief.child_wishes,
            "what_would_help": debrief.what_would_help,
        }


class FindingForm(GovukFormMixin, forms.Form):
    """One finding, with its own sharing decision."""

    public_id = forms.CharField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("What is it about?"), choices=[("", ""), *list(FindingKind.choices)], required=False
    )
    indicator = forms.ChoiceField(
        label=_("Indicator"),
        help_text=_("For a harm or exploitation indicator."),
        choices=[("", ""), *list(Indicator.choices)],
        required=False,
    )
    text = _text(_("What the child said"), rows=2)
    share = forms.ChoiceField(
        label=_("Sharing with the hub"),
        choices=SHARE_CHOICES,
        initial=ShareBasis.NONE.value,
        required=False,
        widget=forms.RadioSelect,
    )
    safeguarding_reason = _text(
        _("Why keeping the child safe requires sharing it"),
        _("Needed when sharing without the child's agreement."),
        rows=2,
    )

    @staticmethod
    def initial_for(finding: DebriefFinding) -> dict[str, Any]:
        return {
            "public_id": str(finding.public_id),
            "kind": finding.kind,
            "indicator": finding.indicator,
            "text": finding.text,
            "share": finding.basis,
            "safeguarding_reason": finding.safeguarding_reason,
        }


FindingFormSet = forms.formset_factory(FindingForm, extra=0)


def finding_formset(debrief: Debrief, data: Any = None) -> Any:
    """The recorded findings, then blank rows for new ones."""
    initial = [FindingForm.initial_for(f) for f in debrief.findings.order_by("pk")]
    initial += [{"share": ShareBasis.NONE.value} for _row in range(BLANK_FINDING_ROWS)]
    if data is not None:
        return FindingFormSet(data, prefix="findings", initial=initial)
    return FindingFormSet(prefix="findings", initial=initial)


class MediationPlanForm(GovukFormMixin, forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("When is the session?"),
        widget=DateTimeLocalInput,
        error_messages={"required": _("Enter when the session is.")},
    )
    attendees = _text(
        _("Who is invited"), _("Roles, not full names: for example mother, stepfather, the child.")
    )


class MediationRecordForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("What happened?"),
        choices=[(s.value, s.label) for s in MediationStatus if s != MediationStatus.PLANNED],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened to the session.")},
    )
    attendees = _text(_("Who took part"), _("Roles, not full names."))
    summary = _text(_("Summary of the session"), rows=4)
    agreed_actions = _text(_("What was agreed"), _("Who does what, by when."), rows=4)
    next_session_on = forms.DateField(label=_("Next session"), required=False, widget=DateInput)
