"""The information-governance officer's rights pages: subject-access requests and their exports,
rectification notices to send, and legal holds. Everyone else gets 404."""

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
from hafan.rights.forms import ExtensionForm, LegalHoldForm, SubjectAccessRequestForm
from hafan.rights.selectors import (
    active_legal_holds_for,
    child_get_for_rights,
    legal_hold_get_for_user,
    may_handle_rights,
    open_rectification_notices_for,
    rectification_notice_get_for_user,
    subject_access_request_get_for_user,
    subject_access_requests_for,
)
from hafan.rights.services import (
    legal_hold_lift,
    legal_hold_place,
    rectification_notice_mark_sent,
    subject_access_export,
    subject_access_request_close,
    subject_access_request_create,
    subject_access_request_extend,
)
from hafan.sharing import policy
from hafan.sharing.access import actor_for


def _require(request: HttpRequest) -> None:
    # Asked before anything typed is looked at, so a refusal never depends on the input.
    if not may_handle_rights(request.user):
        raise NotFoundOrNoAccess


@require_http_methods(["GET"])
def rights_home(request: HttpRequest) -> HttpResponse:
    _require(request)
    actor = actor_for(request.user)
    today = timezone.localdate()
    context: dict[str, object] = {"today": today, "requests": None, "notices": None, "holds": None}
    if policy.can_handle_subject_access(actor):
        requests = list(subject_access_requests_for(user=request.user)[:500])
        for sar in requests:
            sar.overdue = sar.is_overdue(today)  # type: ignore[attr-defined]
        context["requests"] = requests
        context["notices"] = list(open_rectification_notices_for(user=request.user)[:500])
    if policy.can_manage_legal_holds(actor):
        context["holds"] = list(active_legal_holds_for(user=request.user)[:500])
    return render(request, "rights/home.html", context)


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    _require(request)
    if not policy.can_handle_subject_access(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form = SubjectAccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = child_get_for_rights(user=request.user, public_id=form.cleaned_data["child"])
        except NotFoundOrNoAccess:
            form.add_error("child", _("No child has this hub identifier."))
        else:
            try:
                sar = subject_access_request_create(
                    child=child,
                    reference=form.cleaned_data["reference"],
                    received_on=form.cleaned_data["received_on"],
                    user=request.user,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
            else:
                messages.success(request, _("Request recorded. Download the export for redaction review."))
                return redirect("rights:request_detail", public_id=sar.public_id)
    return render(request, "rights/request_new.html", {"form": form})


def _detail(
    request: HttpRequest, public_id: uuid.UUID, extension_form: ExtensionForm | None = None
) -> HttpResponse:
    sar = subject_access_request_get_for_user(user=request.user, public_id=public_id)
    today = timezone.localdate()
    return render(
        request,
        "rights/request_detail.html",
        {
            "sar": sar,
            "overdue": sar.is_overdue(today),
            "extension_form": extension_form or ExtensionForm(),
        },
    )


@require_http_methods(["GET"])
def request_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(request)
    return _detail(request, public_id)


@require_http_methods(["POST"])
def request_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(request)
    sar = subject_access_request_get_for_user(user=request.user, public_id=public_id)
    content = subject_access_export(request=sar, user=request.user)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{sar.public_id}.zip"'
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0, private"
    return response


@require_http_methods(["POST"])
def request_extend(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(request)
    sar = subject_access_request_get_for_user(user=request.user, public_id=public_id)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            subject_access_request_extend(
                sar=sar,
                extended_to=form.cleaned_data["extended_to"],
                reason=form.cleaned_data["extension_reason"],
                user=request.user,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except (InvalidAction, NotPermitted) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Due date extended."))
            return redirect("rights:request_detail", public_id=sar.public_id)
    return _detail(request, public_id, extension_form=form)


@require_http_methods(["POST"])
def request_close(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(request)
    sar = subject_access_request_get_for_user(user=request.user, public_id=public_id)
    try:
        subject_access_request_close(sar=sar, user=request.user)
    except InvalidAction as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, _("Request closed."))
    return redirect("rights:request_detail", public_id=sar.public_id)


@require_http_methods(["POST"])
def notice_sent(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(request)
    notice = rectification_notice_get_for_user(user=request.user, public_id=public_id)
    try:
        rectification_notice_mark_sent(notice=notice, user=request.user)
    except InvalidAction as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, _("Notice recorded as sent."))
    return redirect("rights:home")


@require_http_methods(["GET", "POST"])
def hold_new(request: HttpRequest) -> HttpResponse:
    _require(request)
    if not policy.can_manage_legal_holds(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form = LegalHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = child_get_for_rights(user=request.user, public_id=form.cleaned_data["child"])
        except NotFoundOrNoAccess:
            form.add_error("child", _("No child has this hub identifier."))
        else:
            try:
                legal_hold_place(child=child, reason=form.cleaned_data["reason"], user=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
            else:
                messages.success(
                    request, _("Legal hold placed: the child's record is kept until it is lifted.")
                )
                return redirect("rights:home")
    return render(request, "rights/hold_new.html", {"form": form})


@require_http_methods(["POST"])
def hold_lift(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(request)
    hold = legal_hold_get_for_user(user=request.user, public_id=public_id)
    try:
        legal_hold_lift(hold=hold, user=request.user)
    except InvalidAction as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, _("Legal hold lifted."))
    return redirect("rights:home")
