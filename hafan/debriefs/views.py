"""The debrief worker's pages: the workspace (their week's caseload against the 72-hour clock), each debrief
(contact attempts, the offer, assignment, language, the record and its findings) and family mediation."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.debriefs.forms import (
    AssignForm,
    ContactAttemptForm,
    DebriefRecordForm,
    LanguageForm,
    MediationPlanForm,
    MediationRecordForm,
    OfferDecisionForm,
    finding_formset,
)
from hafan.debriefs.models import Debrief, MediationSession
from hafan.debriefs.selectors import (
    WORKSPACE_FILTERS,
    debrief_contact_details,
    debrief_get_for_user,
    debrief_queue_for,
    debrief_week_summary,
    mediation_session_get_for_user,
    mediation_sessions_for,
)
from hafan.debriefs.services import (
    FindingInput,
    contact_attempt_record,
    debrief_assign,
    debrief_language_set,
    debrief_offer_decide,
    debrief_record,
    mediation_session_plan,
    mediation_session_record,
    provider_workers,
)
from hafan.people.selectors import facts_visible_to
from hafan.referrals.models import ReferralStatus
from hafan.referrals.selectors import referrals_for_child_visible_to
from hafan.sharing import policy
from hafan.sharing.access import actor_for

FINISHED_REFERRAL_STATUSES = {ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN, ReferralStatus.DECLINED}


@dataclass(frozen=True)
class QueueRow:
    """Only what the worker needs to make the offer: no police intelligence, no risk grade, no agency facts."""

    debrief: Debrief
    child_name: str
    child_age: int | None
    hours_left: int | None
    hours_overdue: int | None
    attempts: int
    last_attempt: Any

    @property
    def overdue(self) -> bool:
        return self.hours_left is None


def _queue_row(debrief: Debrief, now: datetime.datetime) -> QueueRow:
    child = debrief.episode.child
    left = debrief.due_by - now
    attempts = list(debrief.attempts.all())  # prefetched, newest first
    return QueueRow(
        debrief=debrief,
        child_name=child.full_name,
        child_age=child.age_on(timezone.localdate(now)),
        hours_left=int(left.total_seconds() // 3600) if left > datetime.timedelta(0) else None,
        hours_overdue=int(-left.total_seconds() // 3600) if left <= datetime.timedelta(0) else None,
        attempts=len(attempts),
        last_attempt=attempts[0] if attempts else None,
    )


@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    """The workspace: the caseload ordered by the 72-hour clock, and the week in figures."""
    if not policy.is_debrief_worker(actor_for(request.user)):
        raise NotFoundOrNoAccess
    show = request.GET.get("show", "agency")
    if show not in WORKSPACE_FILTERS:
        show = "agency"
    now = timezone.now()
    rows = [_queue_row(d, now) for d in debrief_queue_for(request.user, show=show)]
    filters = [
        ("mine", _("Mine")),
        ("unassigned", _("Unassigned")),
        ("agency", _("Everyone in my service")),
    ]
    return render(
        request,
        "debriefs/queue.html",
        {
            "rows": rows,
            "show": show,
            "filters": filters,
            "summary": debrief_week_summary(request.user, now=now),
            "deadline_hours": settings.HAFAN_DEBRIEF_DEADLINE_HOURS,
        },
    )


def _finding_rows(formset: Any) -> list[FindingInput]:
    """The rows as the service takes them. A recorded finding whose words (and indicator) were cleared is left
    out, which removes it."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data if form.is_valid() else {}
        if data.get("public_id") and not (data.get("text") or "").strip() and not data.get("indicator"):
            continue
        rows.append(
            FindingInput(
                kind=data.get("kind") or "",
                text=data.get("text") or "",
                indicator=data.get("indicator") or "",
                share=data.get("share") or "none",
                safeguarding_reason=data.get("safeguarding_reason") or "",
                public_id=data.get("public_id") or "",
            )
        )
    return rows


def _apply_finding_errors(form: Any, formset: Any, errors: dict[str, list[str]]) -> None:
    """Service errors `finding_<n>_<field>` go on the finding's row (and the summary at the top)."""
    rest: dict[str, list[str]] = {}
    for key, messages_ in errors.items():
        if key.startswith("finding_"):
            _prefix, n, field = key.split("_", 2)
            row = formset.forms[int(n)]
            for message in messages_:
                row.add_error(field if field in row.fields else None, message)
                form.add_error(None, _("Finding %(n)s: %(message)s") % {"n": int(n) + 1, "message": message})
        else:
            rest[key] = messages_
    apply_service_errors(form, rest)


def _detail_context(request: HttpRequest, debrief: Debrief) -> dict[str, Any]:
    child = debrief.episode.child
    referrals = referrals_for_child_visible_to(user=request.user, child=child).filter(debrief=debrief)
    # Only what the sharing rules let the charity see (never police intelligence): its own facts and those
    # shared with it. Read for the debrief, and logged as disclosures like every other read.
    facts = facts_visible_to(
        user=request.user,
        child=child,
        purpose=Purpose.DEBRIEF,
        target_type="debrief",
        target_id=str(debrief.public_id),
    )
    return {
        "debrief": debrief,
        "episode": debrief.episode,
        "child": child,
        "child_age": child.age_on(timezone.localdate()),
        "contact": debrief_contact_details(user=request.user, debrief=debrief),
        "attempts": list(debrief.attempts.select_related("recorded_by").order_by("-at", "-id")),
        "findings": list(debrief.findings.select_related("fact").order_by("pk")),
        "facts": facts,
        "mediation_sessions": mediation_sessions_for(user=request.user, debrief=debrief),
        "referrals": referrals,
        "finished_referral_statuses": [s.value for s in FINISHED_REFERRAL_STATUSES],
    }


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    if request.method == "POST":
        form = DebriefRecordForm(request.POST)
        # Without the findings rows (an older client), the findings already recorded stay as they are.
        with_rows = "findings-TOTAL_FORMS" in request.POST
        formset = finding_formset(debrief, request.POST if with_rows else None)
        form_ok = form.is_valid()
        rows_ok = formset.is_valid() if with_rows else True
        if form_ok and rows_ok:
            try:
                debrief_record(
                    debrief=debrief,
                    worker=request.user,
                    findings=_finding_rows(formset) if with_rows else None,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                _apply_finding_errors(form, formset, exc.message_dict)
                # The service refused before writing; show the record as it is stored.
                debrief.refresh_from_db()
            else:
                messages.success(
                    request,
                    _("Debrief for %(reference)s recorded.") % {"reference": debrief.episode.reference},
                )
                return redirect("debriefs:queue")
        elif not rows_ok:
            form.add_error(None, _("Check the findings below."))
    else:
        form = DebriefRecordForm(initial=DebriefRecordForm.initial_for(debrief))
        formset = finding_formset(debrief)
    context = _detail_context(request, debrief)
    context.update(form=form, formset=formset)
    return render(request, "debriefs/detail.html", context)


def _small_form_page(
    request: HttpRequest,
    *,
    debrief: Debrief,
    form: Any,
    title: str,
    template: str = "debriefs/form.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {"debrief": debrief, "episode": debrief.episode, "child": debrief.episode.child, "form": form}
    context["title"] = title
    context.update(extra or {})
    return render(request, template, context)


def _saved(request: HttpRequest, debrief: Debrief, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("debriefs:detail", public_id=debrief.public_id)


@require_http_methods(["GET", "POST"])
def attempt(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    form = ContactAttemptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact_attempt_record(debrief=debrief, worker=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            return _saved(request, debrief, _("Contact attempt recorded."))
    return _small_form_page(request, debrief=debrief, form=form, title=_("Record a contact attempt"))


@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    form = OfferDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            debrief_offer_decide(debrief=debrief, worker=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors = dict(exc.message_dict)
            for source, target in (("not_offered_reason", "reason"), ("status", "decision")):
                if source in errors:
                    errors.setdefault(target, []).extend(errors.pop(source))
            for name in ("offered_at", "held_at"):
                if name in errors:
                    errors.setdefault("at", []).extend(errors.pop(name))
            apply_service_errors(form, errors)
        else:
            return _saved(request, debrief, _("Offer recorded."))
    return _small_form_page(request, debrief=debrief, form=form, title=_("Record the offer"))


@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    form = AssignForm(
        request.POST or None,
        workers=provider_workers(debrief.provider),
        initial={"worker": str(debrief.worker_id or "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            debrief_assign(debrief=debrief, assigned_by=request.user, worker=form.cleaned_data["worker"])
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            return _saved(request, debrief, _("Debrief assigned."))
    return _small_form_page(request, debrief=debrief, form=form, title=_("Assign the debrief"))


@require_http_methods(["GET", "POST"])
def language(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    form = LanguageForm(request.POST or None, initial={"language": debrief.language})
    if request.method == "POST" and form.is_valid():
        try:
            debrief_language_set(debrief=debrief, worker=request.user, language=form.cleaned_data["language"])
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            return _saved(request, debrief, _("Language recorded."))
    return _small_form_page(request, debrief=debrief, form=form, title=_("Language of the debrief"))


@require_http_methods(["GET", "POST"])
def mediation_new(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    form = MediationPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = mediation_session_plan(debrief=debrief, planned_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            messages.success(request, _("Mediation session planned."))
            return redirect("debriefs:mediation", session_id=session.public_id)
    return _small_form_page(request, debrief=debrief, form=form, title=_("Plan a family mediation session"))


@require_http_methods(["GET", "POST"])
def mediation(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    session: MediationSession = mediation_session_get_for_user(user=request.user, public_id=session_id)
    initial = {
        "status": session.status if session.status != "planned" else None,
        "attendees": session.attendees,
        "summary": session.summary,
        "agreed_actions": session.agreed_actions,
        "next_session_on": session.next_session_on,
    }
    form = MediationRecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            mediation_session_record(session=session, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            messages.success(request, _("Mediation session recorded."))
            return redirect("debriefs:mediation", session_id=session.public_id)
    return render(
        request,
        "debriefs/mediation.html",
        {"session": session, "debrief": session.debrief, "child": session.child, "form": form},
    )
