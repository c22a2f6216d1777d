"""Template helpers shared by every page: language twins, risk tags, durations."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, gettext

register = template.Library()

LANGUAGE_SELF_NAMES = {"en": "English", "cy": "Cymraeg"}


@register.simple_tag(takes_context=True)
def language_links(context: dict[str, Any]) -> list[dict[str, Any]]:
    """Each language with a direct link to this page's twin in it (Welsh Language Standards)."""
    request = context.get("request")
    path = request.get_full_path() if request else "/"
    current = (get_language() or "en")[:2]
    links = []
    for code, _name in settings.LANGUAGES:
        # translate_url resolves the path in the page's own language, then reverses it in `code`.
        url = translate_url(path, code)
        links.append(
            {"code": code, "name": LANGUAGE_SELF_NAMES[code], "url": url, "current": code == current}
        )
    return links


@register.filter
def risk_class(grade: str | None) -> str:
    return f"hafan-risk-tag--{(grade or '').replace('_', '-')}" if grade else "govuk-tag--grey"


@register.filter
def hours(delta: datetime.timedelta | None) -> str:
    if delta is None:
        return ""
    total = delta.total_seconds() / 3600
    if total < 48:
        return gettext("%(n)s hours") % {"n": f"{total:.1f}"}
    return gettext("%(n)s days") % {"n": f"{total / 24:.1f}"}


@register.filter
def label_of(value: str, choices: Any) -> str:
    """The bilingual label of a coded value, given the TextChoices class."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def labels_of(values: list[str], choices: Any) -> list[str]:
    return [label_of(v, choices) for v in values or []]
