"""Referring a child to a service, from an episode (casework staff) or a debrief (the debrief worker)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.debriefs.selectors import debrief_get_for_user
from hafan.episodes.selectors import episode_get_for_user
from hafan.referrals.forms import ReferralForm, ReferralUpdateForm
from hafan.referrals.models import Referral
from hafan.referrals.selectors import referral_get_for_user
from hafan.referrals.services import referral_send, referral_update
from hafan.sharing import policy
from hafan.sharing.access import actor_for


def _send(request: HttpRequest, form: ReferralForm, **about: Any) -> bool:
    """Sends the referral; on a refusal the form carries the service's errors."""
    try:
        referral_send(
            referred_by=request.user,
            service=form.cleaned_data["service"],
            reason=form.cleaned_data["reason"],
            consent_given=form.cleaned_data["consent_given"],
            **about,
        )
    except ValidationError as exc:
        apply_service_errors(form, exc.message_dict)
        return False
    except NotPermitted as exc:
        raise PermissionDenied from exc
    messages.success(
        request, _("Referral to %(service)s sent.") % {"service": form.cleaned_data["service"].name}
    )
    return True


@require_http_methods(["GET", "POST"])
def new_for_episode(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    actor = actor_for(request.user)
    # From an episode, referrals are casework; the debrief worker refers from the debrief instead.
    if not (policy.is_casework(actor) and policy.can_make_referral(actor)):
        raise NotFoundOrNoAccess
    episode = episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.REFERRAL)
    form = ReferralForm(request.POST if request.method == "POST" else None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _send(request, form, child=episode.child, episode=episode)
    ):
        return redirect("episodes:detail", public_id=episode.public_id)
    return render(
        request,
        "referrals/new.html",
        {"form": form, "child": episode.child, "episode": episode, "debrief": None},
    )


@require_http_methods(["GET", "POST"])
def new_for_debrief(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    episode = debrief.episode
    form = ReferralForm(request.POST if request.method == "POST" else None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _send(request, form, child=episode.child, episode=episode, debrief=debrief)
    ):
        return redirect("debriefs:detail", public_id=debrief.public_id)
    return render(
        request,
        "referrals/new.html",
        {"form": form, "child": episode.child, "episode": episode, "debrief": debrief},
    )


def _back_to(request: HttpRequest, referral: Referral) -> str:
    """Where the referral was made from, as this user sees it: the debrief for its provider's workers,
    otherwise the episode."""
    if referral.debrief is not None and policy.can_view_debrief_content(
        actor_for(request.user), provider_code=referral.debrief.provider.code
    ):
        return reverse("debriefs:detail", kwargs={"public_id": referral.debrief.public_id})
    if referral.episode is not None:
        return reverse("episodes:detail", kwargs={"public_id": referral.episode.public_id})
    return reverse("core:home")


@require_http_methods(["GET", "POST"])
def update(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    referral = referral_get_for_user(user=request.user, public_id=public_id)
    back_url = _back_to(request, referral)
    form = ReferralUpdateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            referral_update(
                referral=referral,
                actor=request.user,
                status=form.cleaned_data["status"],
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
            referral.refresh_from_db()
        except InvalidAction:
            form.add_error(None, _("This referral is finished and cannot be changed."))
        except NotPermitted as exc:
            raise PermissionDenied from exc
        else:
            messages.success(
                request, _("Referral to %(service)s updated.") % {"service": referral.service.name}
            )
            return redirect(back_url)
    return render(
        request,
        "referrals/update.html",
        {"form": form, "referral": referral, "back_url": back_url},
    )
