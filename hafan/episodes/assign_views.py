"""Assigning a missing episode to the officer or coordinator who works it (issue 6, item 6).

Anyone who may not see the episode gets 404 (the getter); someone who sees it but may not assign gets 403."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.episodes.forms import AssignForm
from hafan.episodes.models import EpisodeStatus
from hafan.episodes.selectors import assignable_officers, episode_get_for_user
from hafan.episodes.services import episode_assign
from hafan.sharing import policy
from hafan.sharing.access import actor_for


@require_http_methods(["GET", "POST"])
def episode_assign_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)
    if not policy.can_assign_episode(actor_for(request.user)):
        raise PermissionDenied
    if episode.status == EpisodeStatus.CLOSED:
        messages.warning(request, _("This episode is closed: it cannot be assigned."))
        return redirect("episodes:detail", public_id=episode.public_id)
    initial = {"assignee": episode.assigned_to.username} if episode.assigned_to else {}
    form = AssignForm(
        request.POST if request.method == "POST" else None, officers=assignable_officers(), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            episode = episode_assign(episode=episode, assigned_by=request.user, assignee=assignee)
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except InvalidAction as exc:
            messages.warning(request, str(exc))
            return redirect("episodes:detail", public_id=episode.public_id)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        else:
            messages.success(
                request,
                _("Episode %(reference)s is assigned to %(name)s.")
                % {"reference": episode.reference, "name": assignee.get_full_name() or assignee.username},
            )
            return redirect("episodes:detail", public_id=episode.public_id)
    return render(request, "episodes/assign.html", {"episode": episode, "form": form})
