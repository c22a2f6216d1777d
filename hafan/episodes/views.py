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

from hafan.core.errors import EditConflict, InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Channel, Purpose, RiskGrade
from hafan.episodes.forms import (
    EpisodeFilterForm,
    ReportForm,
    ResponsePlanDecisionForm,
    ResponsePlanForm,
    ReturnForm,
    SafeAndWellForm,
)
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.selectors import (
    briefing_for,
    children_repeatedly_missing,
    earlier_episodes,
    episode_get_for_user,
    episodes_visible_to,
    information_call_panel,
)
from hafan.episodes.services import (
    episode_close,
    episode_record_return,
    episode_record_safe_and_well,
    episode_report,
)
from hafan.linkage.selectors import identity_records_for
from hafan.linkage.views import report_candidates_context
from hafan.people.models import Child, MatrixLevel, PlanStatus, ResponsePlan
from hafan.people.selectors import (
    child_get_for_user,
    child_profile_for_briefing,
    facts_visible_to,
    response_plan_in_force,
    response_plan_last_declined,
    response_plan_of_child,
    response_plan_waiting,
)
from hafan.people.services import (
    RESPONSE_PLAN_FIELDS,
    PersonDetails,
    may_decide_response_plan,
    response_plan_edit,
    response_plan_propose,
)
from hafan.people.services import response_plan_decide as response_plan_decide_service
from hafan.referrals.selectors import referrals_for_child_visible_to
from hafan.risk.forms import RiskGradeForm
from hafan.risk.models import Answer, RiskAssessment, RiskQuestion
from hafan.risk.questions import Prefill, prefill
from hafan.risk.rules import matrix_rating
from hafan.risk.selectors import open_hub_tasks_for_child, risk_answer_rows, risk_reviews_overdue
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
            "can_view_reviews": policy.can_view_review_list(actor_for(request.user)),
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
            if response_plan_in_force(episode.child) is not None:
                messages.info(
                    request, _("This child has an agreed response plan: see the top of the briefing.")
                )
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
            "risk_answers": risk_answer_rows(risk),
            "can_confirm": bool(
                risk
                and risk.confirmed_at is None
                and policy.can_confirm_risk(actor)
                and risk.author_id != request.user.pk
            ),
            "debrief": debrief,
            "referrals": referrals_for_child_visible_to(user=request.user, child=briefing.child),
            # Issue 6: risk/_hub_tasks.html (the child's open hub tasks, and the exploitation screening link).
            "hub_tasks_open": open_hub_tasks_for_child(briefing.child),
            "hub_tasks_now": timezone.now(),
            "can_screen_exploitation": policy.can_screen_exploitation(
                actor, relation=relation_to(request.user, briefing.child)
            ),
            "possible_matches": possible_matches,
            # Issue 6: the information call, drawn from the briefing's own read of the facts.
            "information_call": information_call_panel(
                user=request.user,
                episode=episode,
                visible_facts=[f for facts in briefing.facts_by_agency.values() for f in facts],
            ),
            # Issue 6: the information profile, when the viewer may see it (police: while missing).
            "child_profile": child_profile_for_briefing(user=request.user, child=briefing.child),
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
            "can_decide_plan": _can_decide_waiting_plan(request.user, briefing.response_plan_waiting),
            "can_assign": policy.can_assign_episode(actor),  # issue 6: episodes/_assignment.html
            "repeat_rule": {
                "episodes": settings.HAFAN_REPEAT_MISSING_EPISODES,
                "days": settings.HAFAN_REPEAT_MISSING_DAYS,
            },
        },
    )


def _risk_prefill(request: HttpRequest, episode: Episode) -> dict[str, Prefill]:
    """Each risk question's suggested answer, from the facts this officer may see (disclosures logged)."""
    child = episode.child
    today = timezone.localdate()
    facts = facts_visible_to(
        user=request.user,
        child=child,
        channel=Channel.PAGE,
        target_type="risk_assessment",
        target_id=str(episode.public_id),
    )
    earlier = earlier_episodes(child, before=episode)
    return prefill(
        facts=facts,
        earlier_count=earlier.count,
        earlier_summary=earlier,
        child_age=child.age_on(today),
        today=today,
    )


def _risk_conflict(current: RiskAssessment, form: RiskGradeForm) -> dict[str, Any]:
    """Their version (saved) beside yours (not saved), row by row, for the conflict page."""
    answer_labels = dict(Answer.choices)
    data = form.cleaned_data
    yours_answers = form.answers()
    rows: list[dict[str, Any]] = [
        {
            "label": _("Grade"),
            "theirs": current.get_grade_display(),
            "yours": dict(RiskGrade.choices).get(data.get("grade", ""), ""),
        },
        {"label": _("Rationale"), "theirs": current.rationale, "yours": data.get("rationale", "")},
    ]
    saved_answers: dict[str, Any] = dict(current.answers or {})  # type: ignore[arg-type]
    for code, label in RiskQuestion.choices:
        theirs = saved_answers.get(code) or {}
        yours = yours_answers.get(code) or {}
        rows.append(
            {
                "label": label,
                "theirs": answer_labels.get(theirs.get("answer", ""), _("Not answered")),
                "theirs_note": theirs.get("note", ""),
                "yours": answer_labels.get(yours.get("answer", ""), _("Not answered")),
                "yours_note": yours.get("note", ""),
            }
        )
    for row in rows:
        theirs_said = (row["theirs"], row.get("theirs_note", ""))
        row["differs"] = theirs_said != (row["yours"], row.get("yours_note", ""))
    return {"current": current, "rows": rows}


def _assessment_started_from(episode: Episode, public_id: str) -> RiskAssessment | None:
    """The grade the form was opened on (None: none, or not one of this episode's: either way not in force)."""
    try:
        return episode.risk_assessments.filter(public_id=uuid.UUID(public_id)).first() if public_id else None
    except ValueError:
        return None


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
    suggested = _risk_prefill(request, episode)
    in_force = episode.risk_assessments.first()
    form = RiskGradeForm(
        request.POST if request.method == "POST" else None,
        prefill=suggested,
        based_on=str(in_force.public_id) if in_force is not None else "",
    )
    conflict: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        options: dict[str, Any] = {}
        if form.based_on_given:
            options["based_on"] = _assessment_started_from(episode, data["based_on"])
        try:
            assessment = risk_grade_record(
                episode=episode,
                author=request.user,
                grade=data["grade"],
                factors=data["factors"],
                rationale=data["rationale"],
                next_review_due=data["next_review_due"],
                departs_from_plan=data["departs_from_plan"],
                answers=form.answers(),
                **options,
            )
        except EditConflict as exc:
            current = exc.current
            if not isinstance(current, RiskAssessment):  # risk_grade_record always gives the grade in force
                raise
            conflict = _risk_conflict(current, form)
            # Keep what the officer entered, now based on the grade in force: saving again is a deliberate choice.
            posted = request.POST.copy()
            posted["based_on"] = str(current.public_id)
            form = RiskGradeForm(posted, prefill=suggested)
            form.is_valid()
            form.add_error(None, str(exc))
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
        {
            "episode": episode,
            "form": form,
            "response_plan": response_plan_in_force(episode.child),
            "conflict": conflict,
        },
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
                found_council=data.get("found_council"),
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


def _plan_initial(*, in_force: ResponsePlan | None, waiting: ResponsePlan | None) -> dict[str, Any]:
    """The form starts from the proposal waiting (an edit) or from the plan in force (a new proposal)."""
    source = waiting or in_force
    initial: dict[str, Any] = {}
    if source is not None:
        initial = {name: getattr(source, name) for name in RESPONSE_PLAN_FIELDS}
    if waiting is not None:
        initial.update(editing=waiting.public_id, version=waiting.version)
    elif in_force is not None:
        initial.update(based_on=in_force.public_id)
    return initial


def _rebased_on(data: Any, current: ResponsePlan | None, child: Child) -> Any:
    """After a conflict, the form's hidden fields point at what is saved now, so that saving again is a deliberate
    choice made with both versions in view (and replaces or edits what the user has now seen)."""
    data = data.copy()
    data["based_on"], data["editing"], data["version"] = "", "", ""
    if current is not None and current.status == PlanStatus.PROPOSED:
        data["editing"], data["version"] = str(current.public_id), str(current.version)
    else:
        in_force = response_plan_in_force(child)
        if in_force is not None:
            data["based_on"] = str(in_force.public_id)
    return data


@require_http_methods(["GET", "POST"])
def response_plan(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Propose the child's response plan with the risk matrix, or edit the proposal waiting for agreement."""
    episode = _get_episode(request, public_id)
    if not policy.can_agree_response_plan(actor_for(request.user)):
        raise PermissionDenied
    child = episode.child
    if request.method == "GET" and request.headers.get("HX-Request") and "rating" in request.GET:
        try:
            rating = matrix_rating(request.GET.get("likelihood", ""), request.GET.get("harm", ""))
        except ValueError:
            rating = ""
        return render(request, "episodes/_matrix_rating.html", {"rating": rating, "live": True})
    in_force, waiting = response_plan_in_force(child), response_plan_waiting(child)
    conflict: ResponsePlan | None = None
    conflicted = False
    if request.method == "POST":
        form = ResponsePlanForm(request.POST)
    else:
        form = ResponsePlanForm(initial=_plan_initial(in_force=in_force, waiting=waiting))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in RESPONSE_PLAN_FIELDS}
        try:
            if data["editing"]:
                saved = response_plan_edit(
                    plan=response_plan_of_child(child=child, public_id=data["editing"]),
                    edited_by=request.user,
                    version=data["version"] or 0,
                    text=fields.pop("plan"),
                    **fields,
                )
            else:
                based_on = (
                    response_plan_of_child(child=child, public_id=data["based_on"])
                    if data["based_on"]
                    else None
                )
                saved = response_plan_propose(
                    child=child, proposed_by=request.user, based_on=based_on, episode=episode, **fields
                )
        except EditConflict as exc:
            conflicted = True
            conflict = exc.current if isinstance(exc.current, ResponsePlan) else None
            form = ResponsePlanForm(_rebased_on(request.POST, conflict, child))
            form.is_valid()
            form.add_error(None, str(exc))
            in_force, waiting = response_plan_in_force(child), response_plan_waiting(child)
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except InvalidAction as exc:
            messages.warning(request, str(exc))
            return redirect("episodes:detail", public_id=episode.public_id)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        else:
            if saved.status == PlanStatus.IN_FORCE:
                messages.success(
                    request,
                    _("Response plan agreed for %(name)s: it is in force.") % {"name": child.full_name},
                )
            elif saved.social_worker is not None:
                messages.success(
                    request,
                    _("Response plan saved for %(name)s. It takes effect when %(worker)s agrees it.")
                    % {"name": child.full_name, "worker": saved.social_worker.get_full_name()},
                )
            else:
                messages.success(
                    request,
                    _(
                        "Response plan saved for %(name)s. It takes effect when a social worker of the child's "
                        "council agrees it."
                    )
                    % {"name": child.full_name},
                )
            return redirect("episodes:detail", public_id=episode.public_id)
    bound = form.is_bound and hasattr(form, "cleaned_data")
    mine = form.cleaned_data if bound else {}
    return render(
        request,
        "episodes/response_plan.html",
        {
            "episode": episode,
            "child": child,
            "form": form,
            "current_plan": in_force,
            "waiting_plan": waiting,
            "declined_plan": response_plan_last_declined(child),
            "conflicted": conflicted,
            "conflict": conflict,
            "mine": mine,
            "mine_rating": _safe_rating(mine.get("likelihood", ""), mine.get("harm", "")),
            "rating": _safe_rating(str(form["likelihood"].value() or ""), str(form["harm"].value() or "")),
            "matrix": MATRIX_TABLE,
            "conflict_rating": _safe_rating(conflict.likelihood, conflict.harm) if conflict else "",
            "level_choices": MatrixLevel,
            "grade_choices": RiskGrade,
        },
    )


def _safe_rating(likelihood: str, harm: str) -> str:
    try:
        return matrix_rating(likelihood, harm)
    except ValueError:
        return ""


# The matrix as the page shows it: rows of likelihood (high first), cells of (harm, rating).
MATRIX_TABLE = [
    (level, [(harm, matrix_rating(level, harm)) for harm in ("low", "medium", "high")])
    for level in ("high", "medium", "low")
]


def _can_decide_waiting_plan(user: Any, waiting: ResponsePlan | None) -> bool:
    return waiting is not None and may_decide_response_plan(
        user, child=waiting.child, named_id=waiting.social_worker_id
    )


@require_http_methods(["GET", "POST"])
def response_plan_decide(request: HttpRequest, public_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    """The case-holding social worker agrees the proposed plan, or does not (with a reason)."""
    episode = _get_episode(request, public_id)
    child = episode.child
    if not policy.can_view_child_record(actor_for(request.user), relation=relation_to(request.user, child)):
        raise NotFoundOrNoAccess
    plan = response_plan_of_child(child=child, public_id=plan_id)
    if not may_decide_response_plan(request.user, child=plan.child, named_id=plan.social_worker_id):
        raise PermissionDenied
    if plan.status != PlanStatus.PROPOSED:
        messages.info(request, _("This plan has already been decided."))
        return redirect("episodes:detail", public_id=episode.public_id)
    form = ResponsePlanDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        agree = form.cleaned_data["decision"] == "agree"
        try:
            response_plan_decide_service(
                plan=plan, social_worker=request.user, agree=agree, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except InvalidAction as exc:
            messages.warning(request, str(exc))
            return redirect("episodes:detail", public_id=episode.public_id)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        else:
            if agree:
                messages.success(
                    request,
                    _("You agreed the response plan for %(name)s: it is in force.")
                    % {"name": child.full_name},
                )
            else:
                messages.success(
                    request,
                    _("You did not agree the response plan for %(name)s. The hub has been told why.")
                    % {"name": child.full_name},
                )
            return redirect("episodes:detail", public_id=episode.public_id)
    return render(
        request,
        "episodes/response_plan_decide.html",
        {
            "episode": episode,
            "child": child,
            "plan": plan,
            "plan_rating": _safe_rating(plan.likelihood, plan.harm),
            "current_plan": response_plan_in_force(child),
            "form": form,
        },
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


@require_http_methods(["GET"])
def risk_reviews(request: HttpRequest) -> HttpResponse:
    """Open episodes whose risk review is overdue, and those not graded yet: the hub's police only (404)."""
    reviews = risk_reviews_overdue(request.user)
    return render(
        request,
        "episodes/reviews.html",
        {"overdue": reviews.overdue, "ungraded": reviews.ungraded},
    )
