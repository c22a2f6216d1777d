"""Pages for missing episodes: the list, the report form, the briefing and the actions taken on it.

Views read through the permission-checked selectors and write only through services. A record the
user may not see answers 404 (the getter); an action on a record they can see but may not take
answers 403.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.episodes.forms import (
    EpisodeFilterForm,
    ReportForm,
    ResponsePlanForm,
    ReturnForm,
    SafeAndWellForm,
)
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.selectors import (
    briefing_for,
    children_repeatedly_missing,
    episode_get_for_user,
    episodes_visible_to,
)
from hafan.episodes.services import (
    episode_close,
    episode_record_return,
    episode_record_safe_and_well,
    episode_report,
)
from hafan.linkage.selectors import identity_records_for
from hafan.linkage.views import report_candidates_context
from hafan.people.models import Child
from hafan.people.selectors import child_get_for_user
from hafan.people.services import PersonDetails, response_plan_agree
from hafan.referrals.selectors import referrals_for_child_visible_to
from hafan.risk.forms import RiskGradeForm
from hafan.risk.services import risk_grade_confirm, risk_grade_record
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to

RECENT_EPISODES = 100


def _get_episode(request: HttpRequest, public_id: uuid.UUID) -> Episode:
    return episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)


def _when(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "j F Y, H:i")


def _latest_episode_by_child(user: Any, children: list[Any]) -> dict[int, Episode]:
    """Each child's most recent episode that the user may see (a thin wrapper over episodes_visible_to)."""
    latest: dict[int, Episode] = {}
    for episode in episodes_visible_to(user).filter(child__in=children).order_by("-reported_at", "-id"):
        latest.setdefault(episode.child_id, episode)
    return latest


@require_http_methods(["GET"])
def episode_list(request: HttpRequest) -> HttpResponse:
    form = EpisodeFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    visible = episodes_visible_to(request.user).prefetch_related("risk_assessments")
    if status:
        episodes = list(visible.filter(status=status).order_by("-reported_at")[:RECENT_EPISODES])
    else:
        open_ones = list(visible.filter(status=EpisodeStatus.MISSING).order_by("-reported_at"))
        recent = list(
            visible.exclude(status=EpisodeStatus.MISSING).order_by("-reported_at")[:RECENT_EPISODES]
        )
        episodes = open_ones + recent
    return render(
        request,
        "episodes/list.html",
        {
            "form": form,
            "episodes": episodes,
            "hide_risk": not policy.can_view_risk_assessment(actor_for(request.user)),
        },
    )


@require_http_methods(["GET", "POST"])
def episode_report_view(request: HttpRequest) -> HttpResponse:
    if not policy.can_report_episode(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            child = _chosen_child(request.user, data["existing_child"])
            episode = episode_report(
                reported_by=request.user,
                child_details=PersonDetails(
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    date_of_birth=data["date_of_birth"],
                    sex=data["sex"],
                    address=data["address"],
                    postcode=data["postcode"],
                    nhs_number=data["nhs_number"],
                    upn=data["upn"],
                ),
                category=data["category"],
                reported_at=data["reported_at"],
                reporter_name=data["reporter_name"],
                reporter_organisation=data["reporter_organisation"],
                last_seen_at=data["last_seen_at"],
                last_seen_place=data["last_seen_place"],
                circumstances=data["circumstances"],
                clothing=data["clothing"],
                council=data["council"],
                child=child,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except NotPermitted as exc:
            raise NotFoundOrNoAccess from exc
        else:
            messages.success(request, _("Episode %(reference)s opened.") % {"reference": episode.reference})
            return redirect("episodes:detail", public_id=episode.public_id)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        # The possible matches panel again, so the choice survives the error round (and, without
        # JavaScript, this is where the coordinator first sees it).
        context.update(report_candidates_context(request.user, request.POST))
    return render(request, "episodes/report.html", context)


def _chosen_child(user: Any, public_id: uuid.UUID | None) -> Child | None:
    """The hub identity the coordinator chose from the possible matches (following a merge since)."""
    if public_id is None:
        return None
    purpose = Purpose.MISSING_EPISODE
    try:
        child = child_get_for_user(user=user, public_id=public_id, purpose=purpose)
        while (survivor := child.merged_into) is not None:
            child = child_get_for_user(user=user, public_id=survivor.public_id, purpose=purpose)
    except NotFoundOrNoAccess as exc:
        raise ValidationError({"existing_child": _("Choose a child from the list.")}) from exc
    return child


@require_http_methods(["GET"])
def episode_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = _get_episode(request, public_id)
    actor = actor_for(request.user)
    today = timezone.localdate()
    if not policy.can_view_child_record(actor, relation=relation_to(request.user, episode.child)):
        # The debrief worker: enough to find the child and the debrief, nothing from the child's record.
        return render(
            request,
            "episodes/detail_debrief.html",
            {
                "episode": episode,
                "child_age": episode.child.age_on(today),
                "debrief": getattr(episode, "debrief", None),
            },
        )
    briefing = briefing_for(user=request.user, episode=episode)
    debrief = getattr(episode, "debrief", None)
    if debrief is not None and not policy.can_view_debrief_status(actor, provider_code=debrief.provider.code):
        debrief = None
    risk = briefing.risk
    open_episode = episode.status != EpisodeStatus.CLOSED
    possible_matches = identity_records_for(user=request.user, child=briefing.child).possible_matches
    return render(
        request,
        "episodes/detail.html",
        {
            "episode": episode,
            "briefing": briefing,
            "child": briefing.child,
            "child_age": briefing.child.age_on(today),
            "risk": risk,
            "can_confirm": bool(
                risk
                and risk.confirmed_at is None
                and policy.can_confirm_risk(actor)
                and risk.author_id != request.user.pk
            ),
            "debrief": debrief,
            "referrals": referrals_for_child_visible_to(user=request.user, child=briefing.child),
            "possible_matches": possible_matches,
            "can_grade": policy.can_grade_risk(actor) and open_episode,
            "can_record_return": policy.can_record_return(actor) and episode.status == EpisodeStatus.MISSING,
            "can_close": policy.can_record_return(actor)
            and episode.status == EpisodeStatus.RETURNED
            and episode.safe_and_well_at is not None,
            "can_record_safe_and_well": policy.can_record_return(actor)
            and episode.status == EpisodeStatus.RETURNED
            and episode.safe_and_well_at is None,
            "can_refer": policy.can_make_referral(actor),
            "can_agree_plan": policy.can_agree_response_plan(actor),
            "repeat_rule": {
                "episodes": settings.HAFAN_REPEAT_MISSING_EPISODES,
                "days": settings.HAFAN_REPEAT_MISSING_DAYS,
            },
        },
    )


@require_http_methods(["GET", "POST"])
def risk_record(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = _get_episode(request, public_id)
    if not policy.can_grade_risk(actor_for(request.user)):
        raise PermissionDenied
    if episode.status == EpisodeStatus.CLOSED:
        messages.warning(
            request,
            _("Episode %(reference)s is closed: it cannot be re-graded.") % {"reference": episode.reference},
        )
        return redirect("episodes:detail", public_id=episode.public_id)
    form = RiskGradeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = risk_grade_record(
                episode=episode,
                author=request.user,
                grade=data["grade"],
                factors=data["factors"],
                rationale=data["rationale"],
                next_review_due=data["next_review_due"],
                departs_from_plan=data["departs_from_plan"],
            )
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
                _("Risk grade %(grade)s recorded for %(reference)s.")
                % {"grade": assessment.get_grade_display(), "reference": episode.reference},
            )
            return redirect("episodes:detail", public_id=episode.public_id)
    return render(
        request,
        "episodes/risk.html",
        {"episode": episode, "form": form, "response_plan": episode.child.response_plans.first()},
    )


@require_http_methods(["POST"])
def risk_confirm(request: HttpRequest, public_id: uuid.UUID, assessment_id: uuid.UUID) -> HttpResponse:
    episode = _get_episode(request, public_id)
    if not policy.can_confirm_risk(actor_for(request.user)):
        raise PermissionDenied
    assessment = episode.risk_assessments.filter(public_id=assessment_id).first()
    if assessment is None:
        raise NotFoundOrNoAccess
    try:
        risk_grade_confirm(assessment=assessment, supervisor=request.user)
    except InvalidAction as exc:
        messages.warning(request, str(exc))
    except NotPermitted as exc:
        raise PermissionDenied from exc
    else:
        messages.success(
            request,
            _("Risk grade %(grade)s confirmed for %(reference)s.")
            % {"grade": assessment.get_grade_display(), "reference": episode.reference},
        )
    return redirect("episodes:detail", public_id=episode.public_id)


@require_http_methods(["GET", "POST"])
def safe_and_well(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = _get_episode(request, public_id)
    if not policy.can_record_return(actor_for(request.user)):
        raise PermissionDenied
    if episode.status != EpisodeStatus.RETURNED:
        raise NotFoundOrNoAccess
    form = SafeAndWellForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            episode_record_safe_and_well(
                episode=episode,
                recorded_by=request.user,
                checked_at=data["safe_and_well_at"],
                checked_by=data["safe_and_well_by"],
                notes=data["safe_and_well_notes"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            messages.success(
                request,
                _("Safe and well check recorded for %(reference)s.") % {"reference": episode.reference},
            )
            return redirect("episodes:detail", public_id=episode.public_id)
    return render(request, "episodes/safe_and_well.html", {"episode": episode, "form": form})


@require_http_methods(["POST"])
def episode_close_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = _get_episode(request, public_id)
    if not policy.can_record_return(actor_for(request.user)):
        raise PermissionDenied
    try:
        episode_close(episode=episode, closed_by=request.user)
    except InvalidAction as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, _("Episode %(reference)s closed.") % {"reference": episode.reference})
    return redirect("episodes:detail", public_id=episode.public_id)


@require_http_methods(["GET", "POST"])
def episode_return(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = _get_episode(request, public_id)
    if not policy.can_record_return(actor_for(request.user)):
        raise PermissionDenied
    if episode.status != EpisodeStatus.MISSING:
        messages.warning(
            request,
            _("Episode %(reference)s already has a return recorded.") % {"reference": episode.reference},
        )
        return redirect("episodes:detail", public_id=episode.public_id)
    form = ReturnForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            episode = episode_record_return(
                episode=episode,
                recorded_by=request.user,
                returned_at=data["returned_at"],
                found_where=data["found_where"],
                found_by=data["found_by"],
                harm_suffered=data["harm_suffered"],
                harm_details=data["harm_details"],
                safe_and_well_at=data["safe_and_well_at"],
                safe_and_well_by=data["safe_and_well_by"],
                safe_and_well_notes=data["safe_and_well_notes"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except InvalidAction as exc:
            messages.warning(request, str(exc))
            return redirect("episodes:detail", public_id=episode.public_id)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        else:
            debrief = episode.debrief
            messages.success(
                request,
                _(
                    "Return recorded for %(reference)s. A debrief offer was sent to %(provider)s, due by %(due)s."
                )
                % {
                    "reference": episode.reference,
                    "provider": debrief.provider.name,
                    "due": _when(debrief.due_by),
                },
            )
            return redirect("episodes:detail", public_id=episode.public_id)
    return render(request, "episodes/return.html", {"episode": episode, "form": form})


@require_http_methods(["GET", "POST"])
def response_plan(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    episode = _get_episode(request, public_id)
    if not policy.can_agree_response_plan(actor_for(request.user)):
        raise PermissionDenied
    child = episode.child
    form = ResponsePlanForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            response_plan_agree(
                child=child,
                agreed_by=request.user,
                plan=data["plan"],
                treat_as_grade=data["treat_as_grade"],
                social_worker_agreed=data["social_worker_agreed"],
                review_due=data["review_due"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, _("Response plan agreed for %(name)s.") % {"name": child.full_name})
            return redirect("episodes:detail", public_id=episode.public_id)
    return render(
        request,
        "episodes/response_plan.html",
        {"episode": episode, "child": child, "form": form, "current_plan": child.response_plans.first()},
    )


@require_http_methods(["GET"])
def repeat_missing(request: HttpRequest) -> HttpResponse:
    if not policy.is_casework(actor_for(request.user)):
        raise NotFoundOrNoAccess
    rows = children_repeatedly_missing(request.user)
    latest = _latest_episode_by_child(request.user, [child for child, _count in rows])
    return render(
        request,
        "episodes/repeat.html",
        {
            "rows": [
                {"child": child, "count": count, "latest": latest.get(child.pk)} for child, count in rows
            ],
            "rule_episodes": settings.HAFAN_REPEAT_MISSING_EPISODES,
            "rule_days": settings.HAFAN_REPEAT_MISSING_DAYS,
        },
    )
