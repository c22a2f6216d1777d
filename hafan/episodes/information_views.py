"""Pages for the information call (issue 6): the briefing's live panel, and the agencies' workers' queue and
answer form.

The panel has the briefing's access (the episode's getter, then the child's record); the queue and the answer
form are for the asked agency's worker for the asked service only (policy.can_answer_information_request),
404 for everyone else.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.episodes.information_forms import InformationAnswerForm
from hafan.episodes.models import InformationRequestStatus
from hafan.episodes.selectors import (
    episode_get_for_user,
    information_call_panel,
    information_call_unchanged,
    information_request_get_for_answerer,
    information_requests_to_answer,
    information_services_answered_by,
)
from hafan.episodes.services import information_request_answer


@require_http_methods(["GET"])
def information_call(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The information call panel alone: the briefing asks for it every few seconds while a request is open.
    A poll naming the version it shows gets 204 (htmx keeps the panel) when nothing changed, so an open briefing
    does not re-read, and re-audit, the child's record every few seconds."""
    if information_call_unchanged(user=request.user, public_id=public_id, since=request.GET.get("since", "")):
        return HttpResponse(status=204)
    episode = episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)
    panel = information_call_panel(user=request.user, episode=episode)
    return render(request, "episodes/_information_panel.html", {"panel": panel})


@require_http_methods(["GET"])
def information_requests(request: HttpRequest) -> HttpResponse:
    if not information_services_answered_by(request.user):
        raise NotFoundOrNoAccess
    return render(
        request,
        "episodes/information_requests.html",
        {"to_answer": list(information_requests_to_answer(request.user)), "now": timezone.now()},
    )


@require_http_methods(["GET", "POST"])
def information_answer(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    asked = information_request_get_for_answerer(user=request.user, public_id=request_id)
    is_open = asked.status == InformationRequestStatus.OPEN
    form = InformationAnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not is_open:
        messages.warning(request, _("This request has already been answered."))
        return redirect("episodes:information_requests")
    if request.method == "POST" and form.is_valid():
        items, numbers = form.items()
        try:
            information_request_answer(
                request=asked,
                answered_by=request.user,
                nothing_known=form.cleaned_data["nothing_known"],
                items=items,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, form.field_errors(exc.message_dict, numbers))
        except InvalidAction as exc:
            messages.warning(request, str(exc))
            return redirect("episodes:information_requests")
        except NotPermitted as exc:
            raise NotFoundOrNoAccess from exc
        else:
            messages.success(
                request,
                _("Your answer for episode %(reference)s is on the hub's briefing.")
                % {"reference": asked.episode.reference},
            )
            return redirect("episodes:information_requests")
    return render(
        request,
        "episodes/information_answer.html",
        {
            "asked": asked,
            "child": asked.episode.child,
            "form": form,
            "is_open": is_open,
            "overdue": is_open and asked.due_at < timezone.now(),
        },
    )
