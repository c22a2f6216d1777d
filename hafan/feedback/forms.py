"""The young person's feedback form: five short questions, each answered yes, a bit or no, and an optional comment.

Written for a reading age of about nine: short words, one idea per question."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.feedback.models import Answer3
from hafan.feedback.services import COMMENT_MAX_LENGTH, REQUIRED_ANSWERS

QUESTION_LABELS = {
    "listened_to": _("Did they listen to you?"),
    "felt_safe": _("Did you feel safe talking to them?"),
    "helped": _("Did talking to them help you?"),
    "right_language": _("Could you talk in the language you wanted?"),
    "would_tell_a_friend": _("Would you tell a friend to talk to them?"),
}


def _question(name: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=QUESTION_LABELS[name],
        choices=Answer3.choices,
        widget=forms.RadioSelect,
        required=name in REQUIRED_ANSWERS,
        error_messages={
            "required": _("Choose an answer."),
            "invalid_choice": _("Choose yes, a bit or no."),
        },
    )


class FeedbackForm(forms.Form):
    listened_to = _question("listened_to")
    felt_safe = _question("felt_safe")
    helped = _question("helped")
    right_language = _question("right_language")
    would_tell_a_friend = _question("would_tell_a_friend")
    comment = forms.CharField(
        label=_("Is there anything else you want to tell us?"),
        help_text=_("You do not have to write anything."),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Please make this shorter: %(limit_value)d letters at most.")},
    )

    def answers(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}
