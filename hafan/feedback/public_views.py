"""The page a young person answers on, from the one-time link texted to them: no sign-in, nothing about them.

A used, expired, replaced or unknown link gets the same "gone" page (410), so the page reveals nothing about
which tokens exist. This module may not read anything about children (pyproject.toml's import contracts)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from hafan.core.forms import apply_service_errors
from hafan.feedback.forms import FeedbackForm
from hafan.feedback.selectors import feedback_link_open
from hafan.feedback.services import FeedbackLinkGone, feedback_submit


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/public_gone.html", status=410)


@login_not_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    link = feedback_link_open(token=token, now=now)
    if link is None:
        return _gone(request)
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                feedback_submit(token=token, **form.answers(), language=(get_language() or "en")[:2], now=now)
            except FeedbackLinkGone:
                return _gone(request)
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
            else:
                return render(request, "feedback/public_thanks.html")
    else:
        form = FeedbackForm()
    return render(request, "feedback/public_form.html", {"form": form, "service_name": link.provider.name})
