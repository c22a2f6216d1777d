"""Form helpers: GOV.UK classes on text-like widgets, and native date/time inputs."""

from __future__ import annotations

from typing import Any

from django import forms


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class GovukFormMixin:
    """Adds GOV.UK input classes (and the error modifier) to text-like widgets, and wires up hints and
    errors for assistive technology. Radios, checkboxes, selects and textareas are drawn by
    templates/components/field.html."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(
                widget,
                forms.DateTimeInput
                | forms.DateInput
                | forms.TextInput
                | forms.NumberInput
                | forms.EmailInput
                | forms.PasswordInput,
            ):
                classes = ["govuk-input"]
                if isinstance(widget, forms.DateTimeInput | forms.DateInput):
                    classes.append("govuk-input--width-20")
                widget.attrs["class"] = " ".join(classes)
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                if "govuk-input" in widget.attrs.get("class", ""):
                    widget.attrs["class"] += " govuk-input--error"
                described = widget.attrs.get("aria-describedby", "")
                widget.attrs["aria-describedby"] = f"{described} id_{name}-error".strip()


def apply_service_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Shows a service's ValidationError on the form: on the field when the form has it (with the same
    error styling and screen-reader wiring as a form's own errors), else at the top."""
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
        if field not in form.fields:
            continue
        widget = form.fields[field].widget
        classes = widget.attrs.get("class", "")
        if "govuk-input" in classes and "govuk-input--error" not in classes:
            widget.attrs["class"] = f"{classes} govuk-input--error"
        described = widget.attrs.get("aria-describedby", "")
        if f"id_{field}-error" not in described:
            widget.attrs["aria-describedby"] = f"{described} id_{field}-error".strip()
