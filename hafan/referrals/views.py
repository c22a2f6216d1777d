"""Referrals: sending one (from an episode or a debrief), the directory of services, "referrals I sent",
"referrals to my service", and each referral's page with its history and the steps this user may take."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hafan.core.errors import InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.debriefs.selectors import debrief_get_for_user
from hafan.episodes.selectors import episode_get_for_user
from hafan.referrals.forms import (
    DirectoryFilterForm,
    NrmForm,
    ReferralForm,
    ReferralUpdateForm,
    StatusFilterForm,
)
from hafan.referrals.models import Referral, ReferralStatus, ServiceKind
from hafan.referrals.selectors import (
    days_waiting,
    directory_for_user,
    referral_get_for_user,
    referral_timeline,
    referrals_received_by,
    referrals_sent_by,
    runs_services,
)
from hafan.referrals.services import (
    may_respond,
    may_withdraw,
    referral_nrm_record,
    referral_send,
    referral_update,
)
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to

PAGE_SIZE = 50


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
    form = ReferralForm(request.POST if request.method == "POST" else None, child=episode.child)
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
    form = ReferralForm(request.POST if request.method == "POST" else None, child=episode.child)
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


# The directory and the two lists


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    kind = area = ""
    if form.is_valid():
        kind, area = form.cleaned_data["kind"], form.cleaned_data["area"]
    entries = directory_for_user(user=request.user, kind=kind, council_code=area)
    return render(request, "referrals/directory.html", {"form": form, "entries": entries})


def _list(request: HttpRequest, *, received: bool) -> HttpResponse:
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    select = referrals_received_by if received else referrals_sent_by
    referrals = select(user=request.user, status=status).order_by("-referred_at", "-id")
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(r, days_waiting(r, now=now)) for r in page.object_list]
    return render(
        request,
        "referrals/list.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "received": received,
            "status": status,
            "runs_services": runs_services(user=request.user),
        },
    )


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    return _list(request, received=False)


@require_GET
def received(request: HttpRequest) -> HttpResponse:
    return _list(request, received=True)


# One referral


def _back_to(request: HttpRequest, referral: Referral) -> str:
    """Where the referral was made from, as this user sees it: the debrief for its provider's workers,
    otherwise the episode (for those who may see it), otherwise their list."""
    actor = actor_for(request.user)
    if referral.debrief is not None and policy.can_view_debrief_content(
        actor, provider_code=referral.debrief.provider.code
    ):
        return reverse("debriefs:detail", kwargs={"public_id": referral.debrief.public_id})
    if referral.episode is not None and policy.is_casework(actor):
        return reverse("episodes:detail", kwargs={"public_id": referral.episode.public_id})
    if referral.referred_by_id == request.user.pk:
        return reverse("referrals:sent")
    return reverse("referrals:received")


def _steps(referral: Referral, user: Any) -> list[str]:
    """The lifecycle steps this user may take on this referral now."""
    steps = []
    for status in sorted(referral.next_statuses):
        if status == ReferralStatus.WITHDRAWN:
            if may_withdraw(referral, user=user):
                steps.append(status)
        elif may_respond(referral, user=user):
            steps.append(status)
    return steps


def _render_detail(
    request: HttpRequest,
    referral: Referral,
    *,
    form: ReferralUpdateForm | None = None,
    nrm_form: NrmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    posted = form or nrm_form  # a refused step: its errors show at the top even when no step is left
    steps = _steps(referral, user)
    is_nrm = referral.service.kind == ServiceKind.NRM
    can_nrm = is_nrm and may_respond(referral, user=user)
    if form is None and steps:
        form = ReferralUpdateForm(statuses=steps)
    if nrm_form is None and can_nrm:
        nrm_form = NrmForm(
            initial={
                "nrm_reference": referral.nrm_reference,
                "nrm_decision": referral.nrm_decision or "awaiting",
                "nrm_decision_on": referral.nrm_decision_on,
            }
        )
    actor = actor_for(user)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "posted": posted,
            "timeline": referral_timeline(referral),
            "form": form if steps else None,
            "nrm_form": nrm_form if can_nrm else None,
            "is_nrm": is_nrm,
            "back_url": _back_to(request, referral),
            "days_waiting": days_waiting(referral),
            "link_child": policy.can_view_child_record(actor, relation=relation_to(user, referral.child)),
            "link_episode": referral.episode is not None and policy.is_casework(actor),
        },
        status=status,
    )


@require_GET
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    referral = referral_get_for_user(user=request.user, public_id=public_id)
    return _render_detail(request, referral)


@require_http_methods(["GET", "POST"])
def update(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The step form: GET shows the referral's page; POST takes one step of the lifecycle."""
    referral = referral_get_for_user(user=request.user, public_id=public_id)
    if request.method == "GET":
        return _render_detail(request, referral)
    form = ReferralUpdateForm(request.POST, statuses=_steps(referral, request.user))
    if not referral.is_open:
        form.is_valid()
        form.add_error(
            None,
            _("This referral is finished (%(status)s) and cannot be changed.")
            % {"status": referral.get_status_display()},
        )
    elif form.is_valid():
        try:
            referral_update(
                referral=referral,
                actor=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                outcome_code=form.cleaned_data["outcome_code"],
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except (InvalidAction, NotPermitted) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Referral to %(service)s updated.") % {"service": referral.service.name}
            )
            return redirect("referrals:detail", public_id=referral.public_id)
    return _render_detail(request, referral, form=form)


@require_http_methods(["GET", "POST"])
def nrm(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The NRM's reference and decisions: GET shows the referral's page; POST records them."""
    referral = referral_get_for_user(user=request.user, public_id=public_id)
    if request.method == "GET":
        return _render_detail(request, referral)
    form = NrmForm(request.POST)
    if form.is_valid():
        try:
            referral_nrm_record(
                referral=referral,
                actor=request.user,
                reference=form.cleaned_data["nrm_reference"],
                decision=form.cleaned_data["nrm_decision"],
                decided_on=form.cleaned_data["nrm_decision_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except (InvalidAction, NotPermitted) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("NRM decision recorded."))
            return redirect("referrals:detail", public_id=referral.public_id)
    return _render_detail(request, referral, nrm_form=form)
