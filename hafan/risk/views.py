"""Pages for hub tasks (strategy meetings, exploitation reviews) and the exploitation screening (issue 6, item 7).

Reads go through the permission-checked selectors, writes through hafan.risk.triggers. A record the user may
not see answers 404; an action on a record they can see but may not take answers 403.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotFoundOrNoAccess
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.episodes.models import Episode
from hafan.episodes.selectors import episode_get_for_user
from hafan.people.selectors import child_get_for_user
from hafan.risk.models import HubTaskKind, HubTaskStatus
from hafan.risk.rules import SCREENING_BANDS, SCREENING_INDICATORS
from hafan.risk.selectors import (
    hub_task_get_for_user,
    hub_tasks_visible_to,
    open_hub_tasks_for_child,
    screenings_for_child,
)
from hafan.risk.task_forms import HubTaskCompleteForm, HubTaskFilterForm, ScreeningForm
from hafan.risk.triggers import hub_task_complete, screening_record
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to

RECENTLY_DONE_DAYS = 30
RECENTLY_DONE_LIMIT = 50


@require_http_methods(["GET"])
def task_list(request: HttpRequest) -> HttpResponse:
    if not policy.can_view_hub_tasks(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form = HubTaskFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    tasks = hub_tasks_visible_to(request.user)
    if kind:
        tasks = tasks.filter(kind=kind)
    now = timezone.now()
    open_tasks = list(tasks.filter(status=HubTaskStatus.OPEN).order_by("due_at", "id"))
    done = list(
        tasks.filter(
            status=HubTaskStatus.DONE, completed_at__gte=now - datetime.timedelta(days=RECENTLY_DONE_DAYS)
        ).order_by("-completed_at", "-id")[:RECENTLY_DONE_LIMIT]
    )
    return render(
        request,
        "risk/tasks.html",
        {
            "form": form,
            "open_tasks": open_tasks,
            "done_tasks": done,
            "now": now,
            "recent_days": RECENTLY_DONE_DAYS,
        },
    )


def _agency_names(codes: list[str]) -> list[str]:
    names = dict(Agency.objects.filter(code__in=codes).values_list("code", "name_en"))
    return [names.get(code, code) for code in codes]


@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    task = hub_task_get_for_user(user=request.user, public_id=public_id)
    actor = actor_for(request.user)
    can_complete = policy.can_complete_hub_task(actor) and task.status == HubTaskStatus.OPEN
    form = HubTaskCompleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not policy.can_complete_hub_task(actor):
            raise PermissionDenied
        if form.is_valid():
            try:
                hub_task_complete(task=task, user=request.user, outcome=form.cleaned_data["outcome"])
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
            except InvalidAction as exc:
                messages.warning(request, str(exc))
                return redirect("risk:task", public_id=task.public_id)
            else:
                messages.success(request, _("Task done: the outcome is recorded."))
                return redirect("risk:task", public_id=task.public_id)
    trigger: dict[str, Any] = task.trigger or {}
    # Which agencies hold exploitation concerns is for the hub team: a worker outside the hub sees the count.
    agencies = _agency_names(list(trigger.get("agencies") or [])) if policy.can_view_hub_tasks(actor) else []
    return render(
        request,
        "risk/task.html",
        {
            "task": task,
            "trigger": trigger,
            "agencies": agencies,
            "overdue": task.status == HubTaskStatus.OPEN and task.due_at < timezone.now(),
            "form": form,
            "can_complete": can_complete,
            "is_repeat": task.kind == HubTaskKind.STRATEGY_MEETING,
            "can_screen": policy.can_screen_exploitation(
                actor, relation=relation_to(request.user, task.child)
            ),
            "screening_band": SCREENING_BANDS.get(str(trigger.get("screening_band") or ""), ""),
        },
    )


def _screening_episode(request: HttpRequest, child: Any) -> Episode | None:
    """The episode the screening belongs to, when the link came from a briefing (?episode=)."""
    episode_id = request.GET.get("episode")
    if not episode_id:
        return None
    episode = episode_get_for_user(user=request.user, public_id=episode_id, purpose=Purpose.PLANNING)
    if episode.child_id != child.pk:
        raise NotFoundOrNoAccess
    return episode


@require_http_methods(["GET", "POST"])
def screening(request: HttpRequest, child_id: uuid.UUID) -> HttpResponse:
    child = child_get_for_user(user=request.user, public_id=child_id, purpose=Purpose.PLANNING)
    if not policy.can_screen_exploitation(actor_for(request.user), relation=relation_to(request.user, child)):
        raise PermissionDenied
    episode = _screening_episode(request, child)
    form = ScreeningForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        answers = dict.fromkeys(form.cleaned_data["indicators"], True)
        try:
            made = screening_record(child=child, episode=episode, screened_by=request.user, answers=answers)
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            messages.success(
                request,
                _("Screening recorded: score %(score)s, %(band)s.")
                % {"score": made.score, "band": SCREENING_BANDS.get(made.band, made.band)},
            )
            target = request.get_full_path()
            return redirect(target)
    screenings = screenings_for_child(child)
    latest = screenings[0] if screenings else None
    labels = {i.code: i for i in SCREENING_INDICATORS}
    stored: Any = latest.answers if latest is not None else {}  # the encrypted JSON field holds a dict
    latest_present = [labels[c] for c, yes in dict(stored or {}).items() if yes and c in labels]
    return render(
        request,
        "risk/screening.html",
        {
            "child": child,
            "episode": episode,
            "form": form,
            "latest": latest,
            "latest_band": SCREENING_BANDS.get(latest.band, latest.band) if latest else "",
            "latest_present": latest_present,
            "earlier": [(s, SCREENING_BANDS.get(s.band, s.band)) for s in screenings[1:]],
            "indicators": SCREENING_INDICATORS,
            "open_tasks": open_hub_tasks_for_child(child),
        },
    )
