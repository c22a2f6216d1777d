"""The child information profile (Philomena protocol): the current version and its history, the form that
saves a new version, and the photo.

The profile belongs to the child, not to a placement: a move is saved as a new version with the new
placement, and the profile goes with the child. The child's social workers prepare it; hub police see it
while the child is missing (the protocol releases it to them then). Anyone else gets 404, as for a record
they may not see; police, who may see it but not change it, get 403 on the form.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import EditConflict, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.people.models import Child, ChildProfile
from hafan.people.profile_forms import ChildProfileForm
from hafan.people.selectors import (
    ProfileAccess,
    child_get_for_user,
    child_profile_access,
    child_profile_get_for_user,
    child_profile_versions_for_user,
)
from hafan.people.services import PROFILE_TEXT_FIELDS, child_profile_save


def _child_and_access(request: HttpRequest, public_id: uuid.UUID) -> tuple[Child, ProfileAccess]:
    child = child_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.PLANNING)
    access = child_profile_access(user=request.user, child=child)
    if not access.can_view:
        raise NotFoundOrNoAccess
    return child, access


def _purpose(access: ProfileAccess) -> Purpose:
    return Purpose.MISSING_EPISODE if access.released_to_police else Purpose.PLANNING


def _version(request: HttpRequest) -> int | None:
    raw = request.GET.get("version", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise NotFoundOrNoAccess
    return int(raw)


@require_http_methods(["GET"])
def profile_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    child, access = _child_and_access(request, public_id)
    version = _version(request)
    versions = child_profile_versions_for_user(user=request.user, child=child)
    profile = None
    if versions or version is not None:
        profile = child_profile_get_for_user(
            user=request.user, child=child, version=version, purpose=_purpose(access)
        )
    return render(
        request,
        "people/profile.html",
        {
            "child": child,
            "profile": profile,
            "versions": versions,
            "is_current": profile is not None and versions and profile.version == versions[0].version,
            "can_prepare": access.can_prepare,
            "released_to_police": access.released_to_police,
        },
    )


LANGUAGES = {"en": "English", "cy": "Cymraeg"}


def _conflict_rows(form: ChildProfileForm, current: ChildProfile | None) -> list[dict[str, Any]]:
    """Each field as saved now and as this user typed it, for the page that shows both versions."""
    names = [*PROFILE_TEXT_FIELDS, "first_language"]
    rows = []
    for name in names:
        saved = getattr(current, name, "") if current is not None else ""
        yours = form.cleaned_data.get(name, "") or ""
        if name == "first_language":
            saved, yours = LANGUAGES.get(saved, saved), LANGUAGES.get(yours, yours)
        rows.append(
            {"label": form.fields[name].label, "saved": saved, "yours": yours, "differs": saved != yours}
        )
    return rows


@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    child, access = _child_and_access(request, public_id)
    if not access.can_prepare:
        raise PermissionDenied  # they may see the profile (police, while missing), not change it
    versions = child_profile_versions_for_user(user=request.user, child=child)
    current = child_profile_get_for_user(user=request.user, child=child) if versions else None
    conflict: dict[str, Any] | None = None
    if request.method == "POST":
        form = ChildProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            upload = data["photo"]
            try:
                profile = child_profile_save(
                    child=child,
                    prepared_by=request.user,
                    based_on_version=data["based_on_version"],
                    first_language=data["first_language"],
                    photo=upload.read() if upload is not None else None,
                    photo_content_type=(upload.content_type or "") if upload is not None else "",
                    photo_taken_on=data["photo_taken_on"],
                    keep_photo=not data["remove_photo"],
                    **{name: data[name] for name in PROFILE_TEXT_FIELDS},
                )
            except EditConflict as exc:
                saved = exc.current if isinstance(exc.current, ChildProfile) else None
                conflict = {
                    "current": saved,
                    "rows": _conflict_rows(form, saved),
                    "had_photo": upload is not None,
                }
                # The user's input stays; saving again, having seen both, saves it over the newer version.
                resubmit = QueryDict(mutable=True)
                resubmit.update(request.POST)
                resubmit["based_on_version"] = str(saved.version) if saved is not None else ""
                form = ChildProfileForm(resubmit)
                current = saved
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
            except NotPermitted as exc:
                raise PermissionDenied from exc
            else:
                messages.success(
                    request, _("Profile saved as version %(version)d.") % {"version": profile.version}
                )
                return redirect("people:profile", public_id=child.public_id)
    else:
        form = ChildProfileForm(initial=ChildProfileForm.initial_from(current))
    return render(
        request,
        "people/profile_edit.html",
        {"child": child, "form": form, "current": current, "conflict": conflict},
    )


@require_http_methods(["GET"])
def profile_photo(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    child, access = _child_and_access(request, public_id)
    profile = child_profile_get_for_user(
        user=request.user, child=child, version=_version(request), purpose=_purpose(access)
    )
    if not profile.photo:
        raise NotFoundOrNoAccess
    response = HttpResponse(bytes(profile.photo), content_type=profile.photo_content_type)
    response["Content-Disposition"] = f'inline; filename="profile-v{profile.version}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
