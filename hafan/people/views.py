"""The child's record page: who the child is, what each agency may share here, who is allocated."""

from __future__ import annotations

import uuid
from collections import OrderedDict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose, Relation
from hafan.episodes.selectors import episodes_visible_to
from hafan.people.forms import AllocateForm, RestrictForm
from hafan.people.models import Allocation, Fact
from hafan.people.selectors import (
    allocations_for,
    child_get_for_user,
    child_profile_access,
    fact_get_for_owner,
    facts_visible_to,
)
from hafan.people.services import allocation_end, allocation_start, fact_lift_restriction, fact_restrict
from hafan.sharing import policy
from hafan.sharing.access import actor_for, break_glass_grant_for, relation_to


@require_http_methods(["GET", "POST"])
def child_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    child = child_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.PLANNING)
    actor = actor_for(request.user)
    can_allocate = policy.can_allocate(actor)
    form = AllocateForm(request.POST or None) if can_allocate else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied  # the record is visible (fetched above); allocating is not theirs to do
        if form.is_valid():
            try:
                allocation_start(
                    child=child,
                    user=form.cleaned_data["user"],
                    kind=form.cleaned_data["kind"],
                    allocated_by=request.user,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
            else:
                messages.success(request, _("Worker allocated."))
                return redirect("people:child", public_id=child.public_id)
    facts = facts_visible_to(user=request.user, child=child, purpose=Purpose.PLANNING)
    by_agency: OrderedDict[str, list[Fact]] = OrderedDict()
    for fact in facts:
        by_agency.setdefault(fact.agency.name, []).append(fact)
    relation = relation_to(request.user, child)
    return render(
        request,
        "people/child.html",
        {
            "child": child,
            "child_age": child.age_on(timezone.localdate()),
            "facts_by_agency": by_agency,
            "own_agency": actor.agency_code,
            "episodes": episodes_visible_to(request.user).filter(child=child).order_by("-reported_at")[:20],
            "allocations": allocations_for(child),
            "form": form,
            "can_allocate": can_allocate,
            "break_glass": break_glass_grant_for(request.user, child)
            if relation == Relation.BREAK_GLASS
            else None,
            "restrict_form": RestrictForm(),
            "profile_access": child_profile_access(user=request.user, child=child),
        },
    )


@require_http_methods(["POST"])
def allocation_end_view(request: HttpRequest, public_id: uuid.UUID, allocation_id: uuid.UUID) -> HttpResponse:
    child = child_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.PLANNING)
    if not policy.can_allocate(actor_for(request.user)):
        raise PermissionDenied
    allocation = Allocation.objects.filter(child=child, public_id=allocation_id).first()
    if allocation is None:
        raise NotFoundOrNoAccess
    try:
        allocation_end(allocation=allocation, ended_by=request.user)
    except ValidationError:
        messages.error(request, _("That allocation has already ended."))
    else:
        messages.success(request, _("Allocation ended."))
    return redirect("people:child", public_id=child.public_id)


@require_http_methods(["GET", "POST"])
def fact_restrict_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    fact = fact_get_for_owner(user=request.user, public_id=public_id)
    form = RestrictForm(request.POST or None)
    if request.method == "POST":
        if fact.restricted_at is not None:
            try:
                fact_lift_restriction(fact=fact, user=request.user)
            except NotPermitted as exc:
                raise NotFoundOrNoAccess from exc
            messages.success(
                request, _("Restriction lifted: the item is shared under its handling rule again.")
            )
            return redirect("people:fact_restrict", public_id=fact.public_id)
        if form.is_valid():
            try:
                fact_restrict(fact=fact, user=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_service_errors(form, exc.message_dict)
            else:
                messages.success(request, _("Restricted: only your agency's staff see this item now."))
                return redirect("people:fact_restrict", public_id=fact.public_id)
    return render(request, "people/fact_restrict.html", {"fact": fact, "form": form})
