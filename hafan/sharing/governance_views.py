"""Information-governance pages: sharing agreements, emergency access and its review, the disclosure log.

Who may open each page is asked of hafan.sharing.policy before anything else, so a refusal (always 404)
never depends on what was typed or which record was named. Writes go through hafan.sharing.services.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import DataCategory, Purpose, Role
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.forms import (
    AgreementForm,
    BreakGlassForm,
    BreakGlassReviewForm,
    DisclosureFilterForm,
    IdentifierKind,
    PartyForm,
    RemovePartyForm,
    StatusForm,
    SubjectToldForm,
)
from hafan.sharing.models import (
    AgreementStatus,
    AuditAction,
    BreakGlassGrant,
    Disclosure,
    LawfulBasis,
    SharingAgreement,
)
from hafan.sharing.services import (
    STATUS_MOVES,
    agreement_create,
    agreement_party_remove,
    agreement_party_set,
    agreement_set_status,
    agreement_update,
    break_glass_find_child,
    break_glass_open,
    break_glass_review,
    disclosure_mark_subject_told,
)

DISCLOSURES_PER_PAGE = 50
GRANTS_PER_PAGE = 50


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotFoundOrNoAccess


# Reads (each checks the policy first; the governance lists are audited like the audit trail)


def _agreements_visible_to(user: Any) -> QuerySet[SharingAgreement]:
    """Every agreement for the information-governance officer; the active ones for casework staff, who need
    to know the basis they share on."""
    actor = actor_for(user)
    _require(policy.can_view_agreements(actor))
    agreements = SharingAgreement.objects.annotate(party_count=Count("parties"))
    if policy.can_manage_agreements(actor):
        return agreements
    return agreements.filter(status=AgreementStatus.ACTIVE)


def _agreement_get_for_user(user: Any, public_id: uuid.UUID) -> SharingAgreement:
    agreement = _agreements_visible_to(user).filter(public_id=public_id).first()
    if agreement is None:
        raise NotFoundOrNoAccess
    return agreement


def _grants_for_review(user: Any) -> QuerySet[BreakGlassGrant]:
    _require(policy.can_review_break_glass(actor_for(user)))
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.AUDIT,
        target_type="break_glass_reviews",
        target_id="all",
    )
    # Unreviewed first, newest first; then the reviewed ones, most recently reviewed first.
    return BreakGlassGrant.objects.select_related("user", "user__agency", "child", "reviewed_by").order_by(
        F("reviewed_at").desc(nulls_first=True), "-granted_at", "-id"
    )


def _disclosures_for(user: Any, filters: dict[str, Any]) -> QuerySet[Disclosure]:
    _require(policy.can_view_disclosures(actor_for(user)))
    rows = Disclosure.objects.select_related("child", "from_agency", "to_agency", "to_user", "agreement")
    child = filters.get("child")
    if child:
        rows = rows.filter(child__public_id=child)
    if filters.get("from_agency"):
        rows = rows.filter(from_agency=filters["from_agency"])
    if filters.get("to_agency"):
        rows = rows.filter(to_agency=filters["to_agency"])
    if filters.get("channel"):
        rows = rows.filter(channel=filters["channel"])
    if filters.get("subject_told"):
        rows = rows.filter(subject_told=filters["subject_told"])
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        start = datetime.datetime.combine(filters["date_from"], datetime.time.min, tzinfo=tz)
        rows = rows.filter(at__gte=start)
    if filters.get("date_to"):
        end = datetime.datetime.combine(
            filters["date_to"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        rows = rows.filter(at__lt=end)
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.AUDIT,
        target_type="disclosure_log",
        target_id=str(child) if child else "all",
        child_public_id=child if child else None,
        detail={
            "filters": sorted(name for name, value in filters.items() if value not in (None, "")),
        },
    )
    return rows.order_by("-at", "-id")


def _page(request: HttpRequest, rows: Any, per_page: int) -> Any:
    paginator = Paginator(rows, per_page)
    page = paginator.get_page(request.GET.get("page"))
    page.elided = paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)  # type: ignore[attr-defined]
    return page


# Sharing agreements


@require_http_methods(["GET"])
def agreement_list(request: HttpRequest) -> HttpResponse:
    agreements = list(_agreements_visible_to(request.user).order_by("reference"))
    today = timezone.localdate()
    return render(
        request,
        "sharing/governance/agreements.html",
        {
            "agreements": agreements,
            "today": today,
            "can_manage": policy.can_manage_agreements(actor_for(request.user)),
        },
    )


@require_http_methods(["GET"])
def agreement_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    agreement = _agreement_get_for_user(request.user, public_id)
    can_manage = policy.can_manage_agreements(actor_for(request.user))
    return render(
        request,
        "sharing/governance/agreement.html",
        {
            "agreement": agreement,
            "parties": agreement.parties.select_related("agency").order_by("agency__kind", "agency__name_en"),
            "today": timezone.localdate(),
            "can_manage": can_manage,
            "can_change": can_manage and agreement.status != AgreementStatus.ENDED,
            "LawfulBasis": LawfulBasis,
        },
    )


@require_http_methods(["GET", "POST"])
def agreement_create_view(request: HttpRequest) -> HttpResponse:
    _require(policy.can_manage_agreements(actor_for(request.user)))
    form = AgreementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = agreement_create(
                actor=request.user, reference=form.cleaned_data["reference"], details=form.details()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            messages.success(
                request,
                _("Agreement %(reference)s saved as a draft. Add its parties, then make it active.")
                % {"reference": agreement.reference},
            )
            return redirect("governance:agreement", public_id=agreement.public_id)
    return render(request, "sharing/governance/agreement_form.html", {"form": form, "agreement": None})


@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(policy.can_manage_agreements(actor_for(request.user)))
    agreement = _agreement_get_for_user(request.user, public_id)
    if agreement.status == AgreementStatus.ENDED:
        raise NotFoundOrNoAccess
    initial = {
        "title_en": agreement.title_en,
        "title_cy": agreement.title_cy,
        "purpose": agreement.purpose,
        "data_categories": agreement.data_categories,
        "starts_on": agreement.starts_on,
        "review_on": agreement.review_on,
        "ends_on": agreement.ends_on,
    }
    form = AgreementForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            agreement_update(agreement=agreement, actor=request.user, details=form.details())
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except InvalidAction as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Agreement %(reference)s changed.") % {"reference": agreement.reference}
            )
            return redirect("governance:agreement", public_id=agreement.public_id)
    return render(request, "sharing/governance/agreement_form.html", {"form": form, "agreement": agreement})


@require_http_methods(["GET", "POST"])
def agreement_party(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Adds a party, or changes one (choosing an agency that is already a party updates it)."""
    _require(policy.can_manage_agreements(actor_for(request.user)))
    agreement = _agreement_get_for_user(request.user, public_id)
    if agreement.status == AgreementStatus.ENDED:
        raise NotFoundOrNoAccess
    initial: dict[str, Any] = {"provides": True, "receives": True}
    existing = None
    try:
        chosen = uuid.UUID(request.GET.get("agency", ""))
    except ValueError:
        chosen = None
    if chosen is not None:
        existing = agreement.parties.select_related("agency").filter(agency__public_id=chosen).first()
    if existing is not None:
        initial = {
            "agency": existing.agency,
            "lawful_basis": existing.lawful_basis,
            "provides": existing.provides,
            "receives": existing.receives,
        }
    form = PartyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement_party_set(
                agreement=agreement,
                actor=request.user,
                agency=data["agency"],
                lawful_basis=data["lawful_basis"],
                provides=data["provides"],
                receives=data["receives"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except InvalidAction as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(agency)s is a party to %(reference)s.")
                % {"agency": data["agency"].name, "reference": agreement.reference},
            )
            return redirect("governance:agreement", public_id=agreement.public_id)
    return render(
        request,
        "sharing/governance/party_form.html",
        {"form": form, "agreement": agreement, "existing": existing},
    )


@require_http_methods(["POST"])
def agreement_party_remove_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(policy.can_manage_agreements(actor_for(request.user)))
    agreement = _agreement_get_for_user(request.user, public_id)
    form = RemovePartyForm(request.POST)
    if not form.is_valid():
        raise NotFoundOrNoAccess
    agency: Agency = form.cleaned_data["agency"]
    try:
        agreement_party_remove(agreement=agreement, actor=request.user, agency=agency)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except InvalidAction as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(agency)s is no longer a party to %(reference)s.")
            % {"agency": agency.name, "reference": agreement.reference},
        )
    return redirect("governance:agreement", public_id=agreement.public_id)


@require_http_methods(["GET", "POST"])
def agreement_status(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(policy.can_manage_agreements(actor_for(request.user)))
    agreement = _agreement_get_for_user(request.user, public_id)
    if not STATUS_MOVES[agreement.status]:
        raise NotFoundOrNoAccess
    form = StatusForm(request.POST if request.method == "POST" else None, current=agreement.status)
    if request.method == "POST" and form.is_valid():
        try:
            agreement_set_status(agreement=agreement, actor=request.user, status=form.cleaned_data["status"])
        except ValidationError as exc:
            # Why the agreement cannot be active is about the agreement, not this form: list it at the top.
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Agreement %(reference)s is now %(status)s.")
                % {
                    "reference": agreement.reference,
                    "status": AgreementStatus(form.cleaned_data["status"]).label.lower(),
                },
            )
            return redirect("governance:agreement", public_id=agreement.public_id)
    return render(request, "sharing/governance/status_form.html", {"form": form, "agreement": agreement})


# Emergency access


@require_http_methods(["GET", "POST"])
def emergency_access(request: HttpRequest) -> HttpResponse:
    _require(policy.can_break_glass(actor_for(request.user)))
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind, value = data["identifier"]
        child = break_glass_find_child(
            nhs_number=value if kind == IdentifierKind.NHS else "",
            upn=value if kind == IdentifierKind.UPN else "",
            hub_id=value if kind == IdentifierKind.HUB else None,  # type: ignore[arg-type]
        )
        try:
            grant = break_glass_open(
                user=request.user,
                child=child,
                reason=data["reason"],
                justification=data["justification"],
                password=data["password"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            until = formats.time_format(timezone.localtime(grant.expires_at), "H:i")
            messages.warning(
                request,
                _("Emergency access until %(time)s. The information-governance officer will review it.")
                % {"time": until},
            )
            return redirect("people:child", public_id=grant.child.public_id)
    return render(
        request,
        "sharing/governance/emergency_access.html",
        {"form": form, "break_glass_minutes": settings.HAFAN_BREAK_GLASS_MINUTES},
    )


@require_http_methods(["GET"])
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    grants = _grants_for_review(request.user)
    page = _page(request, grants, GRANTS_PER_PAGE)
    rows = [
        (grant, BreakGlassReviewForm(prefix=f"g-{grant.public_id}") if grant.reviewed_at is None else None)
        for grant in page.object_list
    ]
    return render(
        request,
        "sharing/governance/break_glass_reviews.html",
        {"page": page, "rows": rows, "Role": Role, "ellipsis": Paginator.ELLIPSIS, "now": timezone.now()},
    )


@require_http_methods(["POST"])
def break_glass_review_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(policy.can_review_break_glass(actor_for(request.user)))
    grant = (
        BreakGlassGrant.objects.select_related("user", "user__agency", "child")
        .filter(public_id=public_id)
        .first()
    )
    if grant is None:
        raise NotFoundOrNoAccess
    form = BreakGlassReviewForm(request.POST, prefix=f"g-{grant.public_id}")
    if form.is_valid():
        try:
            break_glass_review(
                grant=grant,
                reviewer=request.user,
                upheld=form.cleaned_data["upheld"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except (InvalidAction, NotPermitted) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Review recorded."))
            return redirect("governance:break_glass_reviews")
    return render(
        request,
        "sharing/governance/break_glass_review.html",
        {"grant": grant, "form": form, "Role": Role, "now": timezone.now()},
    )


# The disclosure log


@require_http_methods(["GET"])
def disclosure_log(request: HttpRequest) -> HttpResponse:
    _require(policy.can_view_disclosures(actor_for(request.user)))
    form = DisclosureFilterForm(request.GET)
    page = None
    rows: list[tuple[Disclosure, SubjectToldForm]] = []
    if form.is_valid():
        page = _page(request, _disclosures_for(request.user, form.cleaned_data), DISCLOSURES_PER_PAGE)
        rows = [
            (
                disclosure,
                SubjectToldForm(
                    prefix=f"d-{disclosure.pk}",
                    initial={"subject_told": disclosure.subject_told, "note": disclosure.subject_told_note},
                ),
            )
            for disclosure in page.object_list
        ]
    return render(
        request,
        "sharing/governance/disclosures.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "ellipsis": Paginator.ELLIPSIS,
            "DataCategory": DataCategory,
        },
    )


@require_http_methods(["POST"])
def disclosure_told(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require(policy.can_view_disclosures(actor_for(request.user)))
    disclosure = (
        Disclosure.objects.select_related("child", "from_agency", "to_agency")
        .filter(public_id=public_id)
        .first()
    )
    if disclosure is None:
        raise NotFoundOrNoAccess
    form = SubjectToldForm(request.POST, prefix=f"d-{disclosure.pk}")
    if form.is_valid():
        try:
            disclosure_mark_subject_told(
                disclosure=disclosure,
                by=request.user,
                subject_told=form.cleaned_data["subject_told"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        else:
            messages.success(request, _("Disclosure log updated."))
            # Back to the same filters and page: only a query string, re-encoded, so never another site.
            back = QueryDict(request.POST.get("back", "")).urlencode()
            url = reverse("governance:disclosures")
            return redirect(f"{url}?{back}" if back else url)
    return render(
        request, "sharing/governance/disclosure_told.html", {"disclosure": disclosure, "form": form}
    )
