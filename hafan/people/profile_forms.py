"""The child information profile form. It only shapes input: child_profile_save validates the domain rules
(and the photo's content), and its ValidationErrors are shown here (core.forms.apply_service_errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import DateInput, GovukFormMixin
from hafan.people.models import ChildProfile
from hafan.people.photos import MAX_PHOTO_BYTES
from hafan.people.services import PROFILE_TEXT_FIELDS, PROFILE_TEXT_MAX


def _text(label: Any, help_text: Any = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=PROFILE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ChildProfileForm(GovukFormMixin, forms.Form):
    """The Philomena protocol's "part one": prepared in advance, before the child next goes missing."""

    based_on_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    placement = _text(_("Where the child lives now"), _("The placement or home, and who they live with."))
    description = _text(
        _("Description"), _("Height, build, hair, eyes, skin, glasses: how someone would recognise them.")
    )
    nicknames = _text(_("Nicknames and other names"), rows=2)
    first_language = forms.ChoiceField(
        label=_("First language"),
        required=False,
        choices=[("", _("Not recorded")), ("en", "English"), ("cy", "Cymraeg")],
    )
    marks = _text(_("Distinguishing marks"), _("Scars, tattoos, piercings, birthmarks."), rows=2)
    places = _text(_("Places they go"), _("Addresses and places they go to, with who is there."), rows=4)
    associates = _text(_("Associates"), _("Friends, family and adults they may be with."), rows=4)
    phones = _text(_("Phone numbers"), rows=2)
    social_media = _text(_("Social media"), _("Accounts and usernames."), rows=2)
    transport = _text(_("Transport"), _("How they travel: bus and train routes, bikes, lifts."), rows=2)
    medical_needs = _text(
        _("Medical needs"), _("Conditions and medication, and what happens without it."), rows=3
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"class": "govuk-file-upload", "accept": "image/jpeg,image/png"}),
        help_text=_("A recent photo, JPEG or PNG, up to 5 MB. Location and camera details are removed."),
    )
    photo_taken_on = forms.DateField(
        label=_("When the photo was taken"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Enter the date the photo was taken as a real date.")},
    )
    remove_photo = forms.BooleanField(label=_("Remove the current photo"), required=False)

    def clean_photo(self) -> Any:
        upload = self.cleaned_data.get("photo")
        if upload is not None and upload.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo must be smaller than 5 MB."))
        return upload

    @classmethod
    def initial_from(cls, profile: ChildProfile | None) -> dict[str, Any]:
        """The form's starting values: the current version's, so an edit changes only what the user changes."""
        if profile is None:
            return {"based_on_version": ""}
        initial: dict[str, Any] = {name: getattr(profile, name) for name in PROFILE_TEXT_FIELDS}
        initial.update(
            based_on_version=profile.version,
            first_language=profile.first_language,
            photo_taken_on=profile.photo_taken_on,
        )
        return initial
