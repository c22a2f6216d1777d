"""The form an agency's hub worker answers an information call with (issue 6)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hafan.core.forms import GovukFormMixin
from hafan.core.vocabulary import FactCategory
from hafan.episodes.services import ANSWER_ITEMS_MAX, ANSWER_TEXT_MAX


class InformationAnswerForm(GovukFormMixin, forms.Form):
    """ "Nothing known", or up to ANSWER_ITEMS_MAX items (what each is about, and what the agency knows).
    Blank item rows are ignored; the service checks the rest."""

    nothing_known = forms.BooleanField(
        required=False,
        label=_("My agency knows nothing about this child"),
        help_text=_("Leave the items below empty if you tick this."),
    )
    note = forms.CharField(
        required=False,
        max_length=ANSWER_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Note to the hub"),
        help_text=_(
            "For example, who else in your agency to contact. Items go on the child's record; the note does not."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number in self.item_numbers():
            self.fields[f"category_{number}"] = forms.ChoiceField(
                required=False,
                choices=[("", _("Choose what it is about")), *FactCategory.choices],
                label=_("Item %(n)d: what it is about") % {"n": number},
            )
            self.fields[f"summary_{number}"] = forms.CharField(
                required=False,
                max_length=ANSWER_TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 3}),
                label=_("Item %(n)d: what your agency knows") % {"n": number},
            )

    @staticmethod
    def item_numbers() -> range:
        return range(1, ANSWER_ITEMS_MAX + 1)

    def item_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"category_{n}"], self[f"summary_{n}"]) for n in self.item_numbers()]

    def items(self) -> tuple[list[tuple[str, str]], list[int]]:
        """The items given (category, summary), with the number of the form row each came from."""
        items: list[tuple[str, str]] = []
        numbers: list[int] = []
        for number in self.item_numbers():
            category = self.cleaned_data.get(f"category_{number}") or ""
            summary = self.cleaned_data.get(f"summary_{number}") or ""
            if category or summary.strip():
                items.append((category, summary))
                numbers.append(number)
        return items, numbers

    @staticmethod
    def field_errors(errors: dict[str, list[str]], numbers: list[int]) -> dict[str, list[str]]:
        """The service names items by their place in the list it was given; name the form's fields instead."""
        renamed: dict[str, list[str]] = {}
        for key, messages in errors.items():
            parts = key.split(".")
            if (
                len(parts) == 3
                and parts[0] == "items"
                and parts[1].isdigit()
                and int(parts[1]) < len(numbers)
            ):
                key = f"{parts[2]}_{numbers[int(parts[1])]}"
            elif key == "items":
                key = "__all__"
            renamed.setdefault(key, []).extend(messages)
        return renamed
