"""The information-governance auditor's view of the audit trail: who looked at a child, what a user looked at."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from typing import Any

from defusedcsv import csv as defused_csv
from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.forms import DateInput, GovukFormMixin
from hafan.core.vocabulary import Purpose, Role
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.models import AuditAction, AuditEvent
from hafan.sharing.selectors import audit_agency_choices, audit_chain_head_for, audit_trail_for

PER_PAGE = 100
# The filters that narrow either question; the details section opens when one of them is set.
NARROWING = ("date_from", "date_to", "action", "purpose", "agency", "request")


class AuditFilterForm(GovukFormMixin, forms.Form):
    child = forms.UUIDField(
        label=_("Child's hub identifier"),
        help_text=_("The identifier shown in the Child column, never the child's name."),
        required=False,
        error_messages={"invalid": _("Enter a child identifier in the form shown in the table.")},
    )
    user = forms.CharField(
        label=_("Username"), help_text=_("The staff member's username."), required=False, max_length=150
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    action = forms.ChoiceField(label=_("Action"), required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    request = forms.UUIDField(
        label=_("Request"),
        help_text=_("Everything one web page or API call did."),
        required=False,
        error_messages={"invalid": _("Enter a request identifier as shown in the table.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["action"].choices = [("", _("Any action")), *AuditAction.choices]
        fields["purpose"].choices = [("", _("Any purpose")), *Purpose.choices]
        fields["agency"].choices = [("", _("Any agency")), *audit_agency_choices()]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        since, until = cleaned.get("date_from"), cleaned.get("date_to")
        if since and until and since > until:
            self.add_error("date_to", _("The end date must be the same as or after the start date."))
        return cleaned

    def trail(self, user: Any, *, export: bool = False) -> QuerySet[AuditEvent]:
        data = self.cleaned_data
        return audit_trail_for(
            user=user,
            child_public_id=str(data["child"]) if data["child"] else None,
            username=data["user"].strip() or None,
            since=data["date_from"],
            until=data["date_to"],
            action=data["action"] or None,
            purpose=data["purpose"] or None,
            agency_code=data["agency"] or None,
            request_id=str(data["request"]) if data["request"] else None,
            export=export,
        )


def _form_for(request: HttpRequest) -> AuditFilterForm:
    # Asked before the filters are checked, so a refusal never depends on what was typed.
    if not policy.can_view_audit_trail(actor_for(request.user)):
        raise NotFoundOrNoAccess
    return AuditFilterForm(request.GET)


def _page(request: HttpRequest, form: AuditFilterForm, page: Any = None) -> HttpResponse:
    return render(
        request,
        "sharing/audit.html",
        {
            "form": form,
            "page": page,
            "ellipsis": Paginator.ELLIPSIS,
            "Role": Role,
            "head": audit_chain_head_for(user=request.user),
            "narrowed": any(request.GET.get(name) for name in NARROWING),
        },
    )


@require_http_methods(["GET"])
def audit(request: HttpRequest) -> HttpResponse:
    form = _form_for(request)
    if not form.is_valid():
        return _page(request, form)
    paginator = Paginator(form.trail(request.user), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    page.elided = paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)  # type: ignore[attr-defined]
    return _page(request, form, page)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    yield [
        gettext("Entry"),
        gettext("Time (UTC)"),
        gettext("Time (local)"),
        gettext("Username"),
        gettext("Role"),
        gettext("Agency"),
        gettext("Action"),
        gettext("Purpose"),
        gettext("Target type"),
        gettext("Target"),
        gettext("Child"),
        gettext("Request"),
        gettext("Entry hash"),
    ]
    for event in events.iterator(chunk_size=2000):
        yield [
            str(event.seq),
            event.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            timezone.localtime(event.at).isoformat(timespec="seconds"),
            event.actor_username,
            event.role,
            event.agency_code,
            event.action,
            event.purpose,
            event.target_type,
            event.target_id,
            str(event.child_public_id or ""),
            event.request_id,
            event.entry_hash,
        ]


@require_http_methods(["GET"])
def audit_csv(request: HttpRequest) -> HttpResponseBase:
    """The filtered trail as CSV: coded values, for the auditor's own analysis. The download is audited, and
    cells that a spreadsheet would run as a formula are neutralised (defusedcsv)."""
    form = _form_for(request)
    if not form.is_valid():
        return _page(request, form)
    events = form.trail(request.user, export=True)
    writer = defused_csv.writer(_Echo(), quoting=csv.QUOTE_MINIMAL)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _csv_rows(events)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response
