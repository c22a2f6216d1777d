"""Forms for missing episodes. They only shape input: the services validate the domain rules and
their ValidationErrors are shown on these forms (core.forms.apply_service_errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hafan.agencies.selectors import partner_councils
from hafan.core.forms import DateInput, DateTimeLocalInput, GovukFormMixin
from hafan.core.vocabulary import RiskGrade
from hafan.episodes.models import REPORTABLE_CATEGORIES, EpisodeStatus, FoundBy
from hafan.people.models import MatrixLevel, Sex
from hafan.people.services import PersonDetails


def _errors(required: Promise, invalid: Promise | None = None) -> dict[str, Any]:
    """GOV.UK error messages say what to do about this field, not "This field is required"."""
    messages: dict[str, Any] = {"required": required, "invalid_choice": required}
    if invalid is not None:
        messages["invalid"] = invalid
    return messages


def _now_to_the_minute() -> Any:
    return timezone.now().replace(second=0, microsecond=0)


class EpisodeFilterForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open episodes first, then the most recent")), *EpisodeStatus.choices],
    )


class ReportForm(GovukFormMixin, forms.Form):
    """Part 2 of the Child Information Form: who the child is, and when and where they were last seen."""

    given_name = forms.CharField(
        label=_("Child's given name"),
        max_length=100,
        error_messages=_errors(_("Enter the child's given name.")),
    )
    family_name = forms.CharField(
        label=_("Child's family name"),
        max_length=100,
        error_messages=_errors(_("Enter the child's family name.")),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=DateInput(),
        error_messages=_errors(
            _("Enter the child's date of birth."), _("Enter the date of birth as a real date.")
        ),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=Sex.choices,
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose the child's sex, or 'Not known'.")),
    )
    nhs_number = forms.CharField(
        label=_("NHS number"),
        required=False,
        max_length=20,
        help_text=_("10 digits, for example 943 476 5919. Helps match the child to health records."),
    )
    upn = forms.CharField(
        label=_("Unique pupil number (UPN)"),
        required=False,
        max_length=20,
        help_text=_("13 characters, from the child's school. Helps match the child to education records."),
    )
    address = forms.CharField(label=_("Home or placement address"), required=False, max_length=300)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=10)
    council = forms.ModelChoiceField(
        label=_("Responsible council"),
        queryset=partner_councils(),
        required=False,
        empty_label=_("Not known"),
        help_text=_(
            "The council responsible for the child; for a looked-after child placed elsewhere, not the host council."
        ),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[(c.value, c.label) for c in REPORTABLE_CATEGORIES],
        widget=forms.RadioSelect,
        help_text=_(
            "Away from placement means the child's whereabouts are known but they are not where they should be."
        ),
        error_messages=_errors(_("Choose missing from home, missing from care or away from placement.")),
    )
    reported_at = forms.DateTimeField(
        label=_("Reported at"),
        widget=DateTimeLocalInput(),
        initial=_now_to_the_minute,
        error_messages=_errors(
            _("Enter when the child was reported missing."), _("Enter a real date and time.")
        ),
    )
    reporter_name = forms.CharField(
        label=_("Name of the person reporting"),
        max_length=200,
        help_text=_("For example, the parent, carer or residential worker."),
        error_messages=_errors(_("Enter who reported the child missing.")),
    )
    reporter_organisation = forms.CharField(
        label=_("Reporter's organisation"),
        required=False,
        max_length=200,
        help_text=_("For example, the care home's provider."),
    )
    last_seen_at = forms.DateTimeField(
        label=_("Last seen at"),
        widget=DateTimeLocalInput(),
        error_messages=_errors(_("Enter when the child was last seen."), _("Enter a real date and time.")),
    )
    last_seen_place = forms.CharField(
        label=_("Where the child was last seen"),
        max_length=300,
        error_messages=_errors(_("Enter where the child was last seen.")),
    )
    circumstances = forms.CharField(
        label=_("Circumstances"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What happened before the child went missing, and anything that makes this out of character."
        ),
        error_messages=_errors(_("Describe what happened before the child went missing.")),
    )
    clothing = forms.CharField(
        label=_("Clothing"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the child was wearing when last seen. Write 'not known' if nobody knows."),
        error_messages=_errors(_("Describe what the child was wearing, or write 'not known'.")),
    )
    # Drawn by linkage/_candidates.html as the possible matches panel; empty means "let the hub match".
    existing_child = forms.UUIDField(
        label=_("Is this a child the hub already knows?"),
        required=False,
        error_messages={"invalid": _("Choose a child from the list.")},
    )

    def person_details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            given_name=data.get("given_name", ""),
            family_name=data.get("family_name", ""),
            date_of_birth=data.get("date_of_birth"),
            sex=data.get("sex") or Sex.UNKNOWN,
            address=data.get("address", ""),
            postcode=data.get("postcode", ""),
            nhs_number=data.get("nhs_number", ""),
            upn=data.get("upn", ""),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The identity checks (NHS number and UPN check digits) are the service's; running them here too
        # shows them in the same round as the form's own errors instead of after them.
        try:
            self.person_details().cleaned()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name not in self.errors:
                    self.add_error(name, messages)
        return cleaned


def _yes(value: str) -> bool:
    return value == "yes"


class ReturnForm(GovukFormMixin, forms.Form):
    returned_at = forms.DateTimeField(
        label=_("Found or returned at"),
        widget=DateTimeLocalInput(),
        initial=_now_to_the_minute,
        error_messages=_errors(
            _("Enter when the child was found or returned."), _("Enter a real date and time.")
        ),
    )
    found_where = forms.CharField(
        label=_("Where the child was found or returned to"),
        max_length=300,
        error_messages=_errors(_("Enter where the child was found or returned to.")),
    )
    # Issue 6: a child found outside their responsible council's area is notified to both councils.
    found_council = forms.ModelChoiceField(
        label=_("Council area where found"),
        queryset=partner_councils(),
        required=False,
        empty_label=_("Not known"),
        error_messages=_errors(_("Choose the council area where the child was found.")),
    )
    found_by = forms.ChoiceField(
        label=_("Who found the child"),
        choices=FoundBy.choices,
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose who found the child.")),
    )
    harm_suffered = forms.TypedChoiceField(
        label=_("Did the child suffer harm while missing?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages=_errors(_("Say whether the child suffered harm while missing.")),
    )
    harm_details = forms.CharField(
        label=_("Details of the harm"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed if the child suffered harm."),
    )
    safe_and_well_at = forms.DateTimeField(
        label=_("Safe and well check carried out at"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("The police's own check on return. It is not the independent debrief."),
        error_messages=_errors(
            _("Enter when the safe and well check was carried out."), _("Enter a real date and time.")
        ),
    )
    safe_and_well_by = forms.CharField(
        label=_("Safe and well check carried out by"), required=False, max_length=200
    )
    safe_and_well_notes = forms.CharField(
        label=_("Safe and well check notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SafeAndWellForm(GovukFormMixin, forms.Form):
    safe_and_well_at = forms.DateTimeField(
        label=_("Safe and well check carried out at"),
        widget=DateTimeLocalInput(),
        help_text=_("The police's own check on return. It is not the independent debrief."),
        error_messages=_errors(
            _("Enter when the safe and well check was carried out."), _("Enter a real date and time.")
        ),
    )
    safe_and_well_by = forms.CharField(
        label=_("Safe and well check carried out by"),
        max_length=200,
        error_messages=_errors(_("Enter who carried out the safe and well check.")),
    )
    safe_and_well_notes = forms.CharField(
        label=_("Safe and well check notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResponsePlanForm(GovukFormMixin, forms.Form):
    """Propose the child's response plan, or edit the proposal waiting for agreement. The hidden fields carry what
    the user opened (the plan in force, or the proposal and its version) so a concurrent change is caught."""

    likelihood = forms.ChoiceField(
        label=_("How likely is the child to go missing again?"),
        choices=MatrixLevel.choices,
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose how likely the child is to go missing again.")),
    )
    harm = forms.ChoiceField(
        label=_("How much harm is likely if they do?"),
        choices=MatrixLevel.choices,
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose how much harm is likely if they do.")),
    )
    treat_as_grade = forms.ChoiceField(
        label=_("Treat the child as at least this risk grade"),
        required=False,
        initial="",
        choices=[("", _("No minimum grade")), *RiskGrade.choices],
        widget=forms.RadioSelect,
        help_text=_("The matrix suggests a grade; you decide."),
    )
    plan = forms.CharField(
        label=_("Response plan"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What carers, police and others do the next time the child is missing. For example: carer to search these "
            "three addresses first; police deploy after 2 hours."
        ),
        error_messages=_errors(_("Describe the response plan.")),
    )
    places_first = forms.CharField(
        label=_("Places carers check first"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In order, one a line."),
    )
    police_deploy_after_hours = forms.IntegerField(
        label=_("Police deploy if the child is not found within (hours)"),
        required=False,
        min_value=0,
        max_value=168,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter a whole number of hours."),
            "min_value": _("Enter a whole number of hours from 0 to 168."),
            "max_value": _("Enter a whole number of hours from 0 to 168."),
        },
    )
    review_due = forms.DateField(
        label=_("Review the plan by"),
        widget=DateInput(),
        error_messages=_errors(
            _("Enter when the plan is to be reviewed."), _("Enter the review date as a real date.")
        ),
    )
    # What the user opened: the plan in force (a new proposal), or the proposal and its version (an edit).
    based_on = forms.UUIDField(required=False, widget=forms.HiddenInput)
    editing = forms.UUIDField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ResponsePlanDecisionForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Do you agree this plan?"),
        choices=[("agree", _("Yes, I agree the plan")), ("decline", _("No, I do not agree the plan"))],
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose whether you agree the plan.")),
    )
    note = forms.CharField(
        label=_("Your reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed if you do not agree: the hub sees it with the proposal."),
    )


class AssignForm(GovukFormMixin, forms.Form):
    """Issue 6: who works the episode. Choices are the active hub police coordinators and supervisors."""

    assignee = forms.ChoiceField(
        label=_("Assign to"),
        widget=forms.RadioSelect,
        error_messages=_errors(_("Choose who is to work the episode.")),
    )

    def __init__(self, *args: Any, officers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.officers = {officer.username: officer for officer in officers}
        field = self.fields["assignee"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [
                (
                    officer.username,
                    f"{officer.get_full_name() or officer.username} ({officer.get_role_display()})",
                )
                for officer in officers
            ]

    def clean_assignee(self) -> Any:
        return self.officers[self.cleaned_data["assignee"]]
