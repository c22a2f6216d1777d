"""Pages for identity resolution: the review queue, one pair side by side, the records behind a hub
identity (with the split form), and the possible matches panel on the report form.

Views read through the permission-checked selectors and write only through services. Staff who may not
decide about identities get 404 for the queue and the pairs, so a response never confirms a record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from hafan.core.errors import InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.forms import apply_service_errors
from hafan.core.vocabulary import Purpose
from hafan.linkage.explain import explain
from hafan.linkage.forms import ReviewForm, SplitForm, person_details_from
from hafan.linkage.models import MatchDecision
from hafan.linkage.selectors import decision_get_for_user, identity_records_for, review_queue_for
from hafan.linkage.services import ReviewOutcome, child_split, decision_review, possible_matches
from hafan.people.identifiers import format_nhs_number
from hafan.people.models import Child, ResponsePlan, SourceRecord
from hafan.people.selectors import child_get_for_user, children_visible_to, response_plan_in_force
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

QUEUE_LENGTH = 200
CANDIDATES_SHOWN = 5


def _percent(probability: float) -> float:
    return round(probability * 100, 1)


# The review page's rows, in the order a person compares two records.
COMPARED_FIELDS: list[tuple[str, Any]] = [
    ("agency", gettext_lazy("Agency")),
    ("system", gettext_lazy("System")),
    ("local_id", gettext_lazy("Local id")),
    ("given_name", gettext_lazy("Given name")),
    ("other_names", gettext_lazy("Other names")),
    ("family_name", gettext_lazy("Family name")),
    ("date_of_birth", gettext_lazy("Date of birth")),
    ("sex", gettext_lazy("Sex")),
    ("address", gettext_lazy("Address")),
    ("postcode", gettext_lazy("Postcode")),
    ("nhs_number", gettext_lazy("NHS number")),
    ("upn", gettext_lazy("Unique pupil number")),
]
# Where two agencies hold records, these always differ: marking them would hide the differences that matter.
NOT_COMPARED = {"agency", "system", "local_id"}


def _shown(record: SourceRecord, name: str) -> str:
    if name == "agency":
        return str(record.agency.name)
    if name == "date_of_birth":
        return formats.date_format(record.date_of_birth, "j F Y") if record.date_of_birth else ""
    if name == "sex":
        return str(record.get_sex_display())
    if name == "nhs_number":
        return format_nhs_number(record.nhs_number) if record.nhs_number else ""
    return str(getattr(record, name) or "")


def _normalised(value: str) -> str:
    return " ".join(value.casefold().split())


@dataclass(frozen=True)
class ComparedRow:
    label: str
    left: str
    right: str
    differs: bool


def compared_rows(left: SourceRecord, right: SourceRecord) -> list[ComparedRow]:
    rows = []
    for name, label in COMPARED_FIELDS:
        a, b = _shown(left, name), _shown(right, name)
        differs = name not in NOT_COMPARED and bool(a or b) and _normalised(a) != _normalised(b)
        rows.append(ComparedRow(str(label), a, b, differs))
    return rows


@require_http_methods(["GET"])
def review_queue(request: HttpRequest) -> HttpResponse:
    if not policy.can_manage_identities(actor_for(request.user)):
        raise NotFoundOrNoAccess
    queue = review_queue_for(request.user)
    decisions = list(queue[:QUEUE_LENGTH])
    return render(
        request,
        "linkage/queue.html",
        {
            "rows": [{"decision": d, "percent": _percent(d.probability)} for d in decisions],
            "total": queue.count(),
            "shown": len(decisions),
        },
    )


_REVIEWED = {
    ReviewOutcome.ACCEPT: gettext_lazy("Records linked: the identities were merged."),
    ReviewOutcome.REJECT: gettext_lazy("Records kept apart: they will not be linked again."),
    ReviewOutcome.NOT_SURE: gettext_lazy("Marked as not sure: the pair stays in the queue for someone else."),
}


def _get_decision(request: HttpRequest, public_id: uuid.UUID) -> MatchDecision:
    return decision_get_for_user(user=request.user, public_id=public_id)


@require_http_methods(["GET", "POST"])
def review_decision(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    decision = _get_decision(request, public_id)
    # An empty POST (no radio chosen) must still be validated, so not `request.POST or None`.
    form = ReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        outcome = form.cleaned_data["outcome"]
        try:
            decision_review(decision=decision, reviewer=request.user, outcome=outcome)
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except InvalidAction as exc:
            form.add_error("outcome", str(exc))
        except NotPermitted as exc:
            raise NotFoundOrNoAccess from exc
        else:
            messages.success(request, str(_REVIEWED[outcome]))
            return redirect("linkage:queue")
    left, right = decision.left, decision.right
    return render(
        request,
        "linkage/review.html",
        {
            "decision": decision,
            "form": form,
            "left": left,
            "right": right,
            "rows": compared_rows(left, right),
            "same_identity": left.child_id == right.child_id,
            "percent": _percent(decision.probability),
            "upper_percent": _percent(decision.upper_threshold),
            "lower_percent": _percent(decision.lower_threshold),
            "evidence": explain(decision.evidence),
        },
    )


def _get_child(request: HttpRequest, public_id: uuid.UUID) -> Child:
    return child_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)


@require_http_methods(["GET", "POST"])
def identity_records(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    child = _get_child(request, public_id)
    identity = identity_records_for(user=request.user, child=child)
    can_split = policy.can_manage_identities(actor_for(request.user)) and child.merged_into_id is None
    if request.method == "POST" and not can_split:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = SplitForm(data, records=identity.records) if can_split else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            new_child = child_split(
                child=child,
                records=form.chosen_records(),
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc.message_dict)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        else:
            moved = len(form.cleaned_data["records"])
            messages.success(
                request,
                ngettext(
                    "Identity split: %(count)s record moved to a new identity for %(name)s.",
                    "Identity split: %(count)s records moved to a new identity for %(name)s.",
                    moved,
                )
                % {"count": moved, "name": new_child.full_name},
            )
            return redirect("linkage:records", public_id=new_child.public_id)
    return render(
        request,
        "linkage/records.html",
        {
            "child": child,
            "identity": identity,
            "records": [
                {"record": r, "nhs_number": format_nhs_number(r.nhs_number) if r.nhs_number else ""}
                for r in identity.records
            ],
            "matches": [
                {"decision": d, "percent": _percent(d.probability)} for d in identity.possible_matches
            ],
            "can_review": policy.can_manage_identities(actor_for(request.user)),
            "form": form if form is not None and len(identity.records) > 1 else None,
        },
    )


@dataclass(frozen=True)
class Candidate:
    child: Child
    percent: float
    agencies: list[str]
    # The child's agreed response plan: the first thing the call-handler needs (issue 6).
    plan: ResponsePlan | None = None


def report_candidates_context(user: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The possible matches for the child on a (perhaps half-filled) report form. Each child shown is
    a read of that child's record, so each is audited."""
    details = person_details_from(data)
    if not (details.family_name and details.given_name) and not (details.nhs_number or details.upn):
        return {"candidates": [], "selected": "", "has_choice": False}
    candidates = []
    # Only children the user may already see are offered: a worker outside the hub must not learn from the
    # panel that the hub knows a child (the report itself still links to the hub's identity).
    found = possible_matches(details.as_link_record())
    visible = set(
        children_visible_to(user).filter(pk__in=[m.child.pk for m in found]).values_list("pk", flat=True)
    )
    matches = [m for m in found if m.child.pk in visible]
    for match in matches[:CANDIDATES_SHOWN]:
        records = identity_records_for(user=user, child=match.child).records
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            purpose=Purpose.MISSING_EPISODE,
            target_type="possible_match",
            target_id=match.child.public_id,
            child_public_id=match.child.public_id,
            detail={"probability": round(match.probability, 4)},
        )
        candidates.append(
            Candidate(
                child=match.child,
                percent=_percent(match.probability),
                agencies=sorted({str(r.agency.name) for r in records}),
                plan=response_plan_in_force(match.child),
            )
        )
    return {
        "candidates": candidates,
        "selected": str(data.get("existing_child") or ""),
        "has_choice": "existing_child" in data,
    }


@require_http_methods(["POST"])
def report_candidates(request: HttpRequest) -> HttpResponse:
    """The report form's possible matches panel, fetched as the coordinator types (htmx)."""
    if not policy.can_report_episode(actor_for(request.user)):
        raise NotFoundOrNoAccess
    return render(request, "linkage/_candidates.html", report_candidates_context(request.user, request.POST))
