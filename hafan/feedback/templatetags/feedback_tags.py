"""The feedback panel on the debrief page (issue 7, item 5): `{% load feedback_tags %}{% feedback_panel debrief %}`.

Shown to the provider's debrief workers only (anyone else gets nothing): whether the last link was used or ran
out, and the button that makes a new one-time link for the young person."""

from __future__ import annotations

from typing import Any

from django import template

from hafan.feedback.selectors import feedback_panel_for

register = template.Library()


@register.inclusion_tag("feedback/_panel.html", takes_context=True)
def feedback_panel(context: template.Context, debrief: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    panel = (
        feedback_panel_for(user=user, debrief=debrief) if user is not None and debrief is not None else None
    )
    return {
        "panel": panel,
        "debrief": debrief,
        "new_url": "",
        "error": "",
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
