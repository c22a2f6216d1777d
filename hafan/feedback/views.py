"""Staff pages for the young person's feedback: the debrief worker makes the one-time link, and the results are
counted per service. The public page the young person answers on is hafan.feedback.public_views."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from hafan.core.errors import InvalidAction, NotFoundOrNoAccess
from hafan.debriefs.selectors import debrief_get_for_user
from hafan.feedback.forms import QUESTION_LABELS
from hafan.feedback.models import FeedbackLink
from hafan.feedback.selectors import (
    QUESTIONS,
    feedback_panel_for,
    feedback_results_for,
    small_number_threshold,
)
from hafan.feedback.services import feedback_link_create
from hafan.sharing import policy
from hafan.sharing.access import actor_for


def feedback_url(link: FeedbackLink, token: str) -> str:
    """The address the young person opens, in the debrief's language (/cy/... for Welsh)."""
    with translation.override(link.language):
        path = reverse("feedback:answer", kwargs={"token": token})
    return settings.HAFAN_BASE_URL.rstrip("/") + path


@require_POST
def link_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    if not policy.can_ask_for_feedback(actor_for(request.user), provider_code=debrief.provider.code):
        raise NotFoundOrNoAccess
    new_url, error = "", ""
    try:
        link, token = feedback_link_create(debrief=debrief, actor=request.user)
    except InvalidAction as exc:
        error = str(exc)
    else:
        new_url = feedback_url(link, token)
    context: dict[str, Any] = {
        "debrief": debrief,
        "panel": feedback_panel_for(user=request.user, debrief=debrief),
        "new_url": new_url,
        "error": error,
    }
    template = "feedback/_panel.html" if getattr(request, "htmx", False) else "feedback/link_created.html"
    return render(request, template, context)


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    if not policy.can_view_feedback_results(actor_for(request.user)):
        raise NotFoundOrNoAccess
    services = feedback_results_for(user=request.user)
    return render(
        request,
        "feedback/results.html",
        {
            "services": services,
            "threshold": small_number_threshold(),
            "question_labels": [(q, QUESTION_LABELS[q]) for q in QUESTIONS],
        },
    )
