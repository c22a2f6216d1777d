"""The information-governance auditor's view of the audit trail."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.forms import GovukFormMixin
from hafan.core.vocabulary import Role
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.selectors import audit_trail_for

PER_PAGE = 100


class AuditFilterForm(GovukFormMixin, forms.Form):
    child = forms.UUIDField(
        label=_("Child's identifier"),
        help_text=_("The child's hub identifier, as shown in the last column."),
        required=False,
        error_messages={"invalid": _("Enter a child identifier in the form shown in the table.")},
    )
    user = forms.CharField(label=_("Username"), required=False, max_length=150)


@require_http_methods(["GET"])
def audit(request: HttpRequest) -> HttpResponse:
    # Asked before the filters are checked, so a refusal never depends on what was typed.
    if not policy.can_view_audit_trail(actor_for(request.user)):
        raise NotFoundOrNoAccess
    form = AuditFilterForm(request.GET)
    page = None
    if form.is_valid():
        child = form.cleaned_data["child"]
        trail = audit_trail_for(
            user=request.user,
            child_public_id=str(child) if child else None,
            username=form.cleaned_data["user"].strip() or None,
        ).order_by("-at", "-id")
        paginator = Paginator(trail, PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        page.elided = paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)  # type: ignore[attr-defined]
    return render(
        request,
        "sharing/audit.html",
        {"form": form, "page": page, "ellipsis": Paginator.ELLIPSIS, "Role": Role},
    )
