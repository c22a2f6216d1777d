"""Hafan's JSON API for partner agencies' systems, mounted at /api/v1/ (docs/api.md).

Handlers are thin: every read goes through a permission-scoped, audited selector and every write through a
service, exactly as the pages do. A record the caller may not see is 404, never 403. Path ids are typed
`str`, not UUID, so that a malformed id is the getters' 404 rather than a 422 that says it was malformed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from hafan.agencies.selectors import partner_councils
from hafan.core.api_auth import ApiTokenAuth
from hafan.core.api_schemas import (
    BriefingOut,
    DebriefIn,
    DebriefOut,
    DebriefQueueItemOut,
    EpisodeReportedOut,
    EpisodeReportIn,
    ErrorOut,
    ReturnIn,
    ReturnOut,
    RiskConflictOut,
    RiskGradeIn,
    RiskOut,
    ValidationErrorOut,
)
from hafan.core.errors import EditConflict, InvalidAction, NotPermitted
from hafan.core.vocabulary import Channel, Purpose
from hafan.debriefs.selectors import debrief_get_for_user, debrief_queue_for
from hafan.debriefs.services import FindingInput, debrief_record
from hafan.episodes.selectors import Briefing, briefing_for, episode_get_for_user
from hafan.episodes.services import episode_record_return, episode_report
from hafan.people.services import PersonDetails, child_find_match
from hafan.risk.models import RiskAssessment
from hafan.risk.selectors import risk_assessment_get_for_user
from hafan.risk.services import risk_grade_confirm, risk_grade_record

api = NinjaAPI(
    title="Hafan API",
    version="1",
    description="For partner agencies' systems: report a child missing, read the briefing, grade risk, "
    "record the return and the independent debrief. Every call acts as the staff member the token was "
    "issued for and is audited.",
    urls_namespace="api",
    auth=ApiTokenAuth(),
    # Swagger UI loads its JavaScript from a CDN; the schema at openapi.json is enough for agency systems.
    docs_url=None,
)

NOT_FOUND = "Not found."
ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 403: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


# Errors


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # NotFoundOrNoAccess included: the answer must not say whether the record exists.
    return api.create_response(request, {"detail": NOT_FOUND}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Send a valid API token: Authorization: Bearer <token>."}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="hafan"'
    return response


@api.exception_handler(NotPermitted)
def _not_permitted(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(InvalidAction)
def _invalid_action(request: HttpRequest, exc: InvalidAction) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


def _invalid(request: HttpRequest, errors: dict[str, str]) -> HttpResponse:
    return api.create_response(
        request, {"detail": "The request is not valid: see errors.", "errors": errors}, status=422
    )


@api.exception_handler(DjangoValidationError)
def _service_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        return _invalid(request, {field: " ".join(messages) for field, messages in exc.message_dict.items()})
    return _invalid(request, {"__all__": " ".join(exc.messages)})


@api.exception_handler(NinjaValidationError)
def _request_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """The body did not parse against the schema: same shape as the services' errors."""
    errors: dict[str, str] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "child", "nhs_number") -> "child.nhs_number"; ("path", "public_id") -> "public_id"
        if loc[:1] == ["body"]:
            loc = loc[2:]
        elif loc:
            loc = loc[1:]
        field = ".".join(loc) or "__all__"
        errors[field] = f"{errors[field]} {error['msg']}" if field in errors else str(error["msg"])
    return _invalid(request, errors)


def _with_field_names(exc: DjangoValidationError, renames: dict[str, str]) -> DjangoValidationError:
    """Service errors name the service's arguments; name the request body's fields instead."""
    if not hasattr(exc, "error_dict"):
        return exc
    return DjangoValidationError(
        {renames.get(field, field): messages for field, messages in exc.message_dict.items()}
    )


# Shaping responses


def _staff_name(user: Any) -> str | None:
    return (user.get_full_name() or user.get_username()) if user is not None else None


def _fact(fact: Any) -> dict[str, Any]:
    return {
        "category": fact.category,
        "summary": fact.summary,
        "source": fact.source,
        "recorded_on": fact.recorded_on,
        "agency": fact.agency.code,
        "data_category": fact.data_category,
        "handling": fact.handling,
    }


def _risk(assessment: RiskAssessment) -> dict[str, Any]:
    return {
        "public_id": assessment.public_id,
        "grade": assessment.grade,
        "factors": list(assessment.factors),
        "rationale": assessment.rationale,
        "author": _staff_name(assessment.author),
        "assessed_at": assessment.assessed_at,
        "next_review_due": assessment.next_review_due,
        "confirmed_by": _staff_name(assessment.confirmed_by),
        "confirmed_at": assessment.confirmed_at,
        "answers": dict(assessment.answers or {}),  # type: ignore[arg-type]  # the encrypted JSON document
    }


def _briefing(briefing: Briefing) -> dict[str, Any]:
    child, episode, earlier, plan = briefing.child, briefing.episode, briefing.earlier, briefing.response_plan
    return {
        "child": {
            "public_id": child.public_id,
            "given_name": child.given_name,
            "family_name": child.family_name,
            "date_of_birth": child.date_of_birth,
            "age": child.age_on(timezone.localdate()),
            "sex": child.sex,
            "responsible_council": child.responsible_council.code if child.responsible_council else None,
        },
        "episode": {
            "public_id": episode.public_id,
            "reference": episode.reference,
            "category": episode.category,
            "status": episode.status,
            "council": episode.council.code if episode.council else None,
            "reported_at": episode.reported_at,
            "reporter_name": episode.reporter_name,
            "reporter_organisation": episode.reporter_organisation,
            "last_seen_at": episode.last_seen_at,
            "last_seen_place": episode.last_seen_place,
            "circumstances": episode.circumstances,
            "clothing": episode.clothing,
            "returned_at": episode.returned_at,
            "found_where": episode.found_where,
            "found_by": episode.found_by or None,
            "harm_suffered": episode.harm_suffered,
            "harm_details": episode.harm_details,
            "safe_and_well_at": episode.safe_and_well_at,
            "safe_and_well_by": episode.safe_and_well_by,
            "safe_and_well_notes": episode.safe_and_well_notes,
        },
        "facts_by_agency": [
            {"agency": name, "agency_code": facts[0].agency.code, "facts": [_fact(f) for f in facts]}
            for name, facts in briefing.facts_by_agency.items()
        ],
        "learnt_in_debriefs": [_fact(f) for f in briefing.learnt_in_debriefs],
        "earlier_episodes": {
            "count": earlier.count,
            "in_last_period": earlier.in_last_period,
            "median_hours": earlier.median_hours,
            "longest_hours": earlier.longest_hours,
            "found_places": [{"place": place, "count": n} for place, n in earlier.found_places],
            "found_by": [{"found_by": label, "count": n} for label, n in earlier.found_by],
            "episodes": [
                {
                    "public_id": e.public_id,
                    "reference": e.reference,
                    "reported_at": e.reported_at,
                    "returned_at": e.returned_at,
                    "found_where": e.found_where,
                }
                for e in earlier.episodes
            ],
        },
        "response_plan": plan
        and {
            "plan": plan.plan,
            "treat_as_grade": plan.treat_as_grade or None,
            "agreed_by": _staff_name(plan.agreed_by),
            "agreed_at": plan.agreed_at,
            "social_worker_agreed": plan.social_worker_agreed,
            "review_due": plan.review_due,
        },
        "risk": _risk(briefing.risk) if briefing.risk else None,
        "risk_history": [_risk(r) for r in briefing.risk_history],
        "repeat_missing": briefing.repeat_missing,
        "source_record_count": briefing.source_record_count,
    }


def _debrief(debrief: Any) -> dict[str, Any]:
    return {
        "public_id": debrief.public_id,
        "episode_reference": debrief.episode.reference,
        "status": debrief.status,
        "due_by": debrief.due_by,
        "offered_at": debrief.offered_at,
        "held_at": debrief.held_at,
        "share_basis": debrief.share_basis,
        "shared_facts": [
            _fact(f) for f in debrief.shared_facts.filter(withdrawn_at__isnull=True).select_related("agency")
        ],
        "findings": [
            {
                "public_id": f.public_id,
                "kind": f.kind,
                "indicator": f.indicator or None,
                "text": f.text,
                "share": f.basis,
                "shared_fact": f.fact.public_id if f.fact else None,
            }
            for f in debrief.findings.select_related("fact").order_by("pk")
        ],
    }


# Episodes


@api.post(
    "/episodes",
    response={201: EpisodeReportedOut, **WRITE_ERRORS},
    tags=["episodes"],
    url_name="episode_report",
    summary="Report a child missing",
)
def report_episode(request: HttpRequest, payload: EpisodeReportIn) -> Status[dict[str, Any]]:
    council = None
    if payload.council_code:
        council = partner_councils().filter(code=payload.council_code).first()
        if council is None:
            raise DjangoValidationError({"council_code": "No council in the partnership has that code."})
    details = PersonDetails(**{**payload.child.model_dump(), "sex": payload.child.sex.value})
    try:
        cleaned = details.cleaned()
    except DjangoValidationError:
        cleaned = None  # episode_report reports these together with every other field's errors
    renames = {field: f"child.{field}" for field in payload.child.model_dump()} | {"council": "council_code"}
    with transaction.atomic():
        # Matched here, with the service's own matching rule, so that the response can say whether the
        # child was already known; episode_report does not return it.
        matched = child_find_match(cleaned) if cleaned else None
        try:
            episode = episode_report(
                reported_by=request.user,
                child_details=details,
                category=payload.category.value,
                reported_at=payload.reported_at,
                reporter_name=payload.reporter_name,
                reporter_organisation=payload.reporter_organisation,
                last_seen_at=payload.last_seen_at,
                last_seen_place=payload.last_seen_place,
                circumstances=payload.circumstances,
                clothing=payload.clothing,
                council=council,
                child=matched,
            )
        except DjangoValidationError as exc:
            raise _with_field_names(exc, renames) from exc
    return Status(
        201,
        {
            "public_id": episode.public_id,
            "reference": episode.reference,
            "status": episode.status,
            "child_public_id": episode.child.public_id,
            "matched_existing": matched is not None,
        },
    )


@api.get(
    "/episodes/{public_id}/briefing",
    response={200: BriefingOut, **ERRORS},
    tags=["episodes"],
    url_name="episode_briefing",
    summary="The briefing for a missing episode",
)
def episode_briefing(request: HttpRequest, public_id: str) -> dict[str, Any]:
    episode = episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)
    return _briefing(briefing_for(user=request.user, episode=episode, channel=Channel.API))


@api.post(
    "/episodes/{public_id}/risk",
    response={201: RiskOut, **WRITE_ERRORS, 409: RiskConflictOut},
    tags=["risk"],
    url_name="risk_grade_record",
    summary="Grade (or re-grade) the risk",
)
def grade_risk(request: HttpRequest, public_id: str, payload: RiskGradeIn) -> Status[dict[str, Any]]:
    episode = episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)
    check: dict[
        str, Any
    ] = {}  # based_on left out: no conflict check (a first grade, or a feed that does not track)
    if "based_on" in payload.model_fields_set:
        start = None
        if payload.based_on is not None:
            start = episode.risk_assessments.filter(public_id=payload.based_on).first()
            if start is None:
                raise DjangoValidationError(
                    {"based_on": _("No risk grade of this episode has that identifier.")}
                )
        check["based_on"] = start
    try:
        assessment = risk_grade_record(
            episode=episode,
            author=request.user,
            grade=payload.grade.value,
            factors=[factor.value for factor in payload.factors],
            rationale=payload.rationale,
            departs_from_plan=payload.departs_from_plan,
            next_review_due=payload.next_review_due,
            answers={
                code.value: {"answer": a.answer.value, "note": a.note} for code, a in payload.answers.items()
            },
            **check,
        )
    except EditConflict as exc:
        current = exc.current
        detail = {
            "detail": str(exc),
            "current": _risk(current) if isinstance(current, RiskAssessment) else None,
        }
        return Status(409, detail)
    return Status(201, _risk(assessment))


@api.post(
    "/risk/{public_id}/confirm",
    response={200: RiskOut, **WRITE_ERRORS},
    tags=["risk"],
    url_name="risk_grade_confirm",
    summary="Confirm a risk grade (police supervisor)",
)
def confirm_risk(request: HttpRequest, public_id: str) -> dict[str, Any]:
    assessment = risk_assessment_get_for_user(user=request.user, public_id=public_id)
    return _risk(risk_grade_confirm(assessment=assessment, supervisor=request.user))


@api.post(
    "/episodes/{public_id}/return",
    response={200: ReturnOut, **WRITE_ERRORS},
    tags=["episodes"],
    url_name="episode_record_return",
    summary="Record that the child is found or has returned",
)
def record_return(request: HttpRequest, public_id: str, payload: ReturnIn) -> dict[str, Any]:
    episode = episode_get_for_user(user=request.user, public_id=public_id, purpose=Purpose.MISSING_EPISODE)
    episode = episode_record_return(
        episode=episode,
        recorded_by=request.user,
        returned_at=payload.returned_at,
        found_where=payload.found_where,
        found_by=payload.found_by.value,
        harm_suffered=payload.harm_suffered,
        harm_details=payload.harm_details,
        safe_and_well_at=payload.safe_and_well_at,
        safe_and_well_by=payload.safe_and_well_by,
        safe_and_well_notes=payload.safe_and_well_notes,
    )
    return {
        "public_id": episode.public_id,
        "reference": episode.reference,
        "status": episode.status,
        "returned_at": episode.returned_at,
        "debrief_due_by": episode.debrief.due_by,
    }


# Debriefs


@api.get(
    "/debriefs",
    response={200: list[DebriefQueueItemOut], 401: ErrorOut},
    tags=["debriefs"],
    url_name="debrief_queue",
    summary="The caller's debrief queue: open offers, soonest deadline first",
)
def debrief_queue(request: HttpRequest) -> list[dict[str, Any]]:
    queue = debrief_queue_for(request.user)
    now = timezone.now()
    return [
        {
            "public_id": d.public_id,
            "episode_public_id": d.episode.public_id,
            "episode_reference": d.episode.reference,
            "child": {
                "public_id": d.episode.child.public_id,
                "given_name": d.episode.child.given_name,
                "family_name": d.episode.child.family_name,
                "date_of_birth": d.episode.child.date_of_birth,
            },
            "returned_at": d.episode.returned_at,
            "due_by": d.due_by,
            "overdue": d.due_by < now,
            "status": d.status,
        }
        for d in queue
    ]


@api.post(
    "/debriefs/{public_id}",
    response={200: DebriefOut, **WRITE_ERRORS},
    tags=["debriefs"],
    url_name="debrief_record",
    summary="Record the debrief offer and, once held, what the child said",
)
def record_debrief(request: HttpRequest, public_id: str, payload: DebriefIn) -> dict[str, Any]:
    debrief = debrief_get_for_user(user=request.user, public_id=public_id)
    try:
        return _record_debrief(request, debrief, payload)
    except DjangoValidationError as exc:
        # The service names a finding's field `finding_<n>_<field>`: name its path in the body instead.
        names = exc.message_dict if hasattr(exc, "error_dict") else {}
        renames = {
            key: "findings." + ".".join(key.removeprefix("finding_").split("_", 1))
            for key in names
            if key.startswith("finding_")
        }
        raise _with_field_names(exc, renames) from exc


def _record_debrief(request: HttpRequest, debrief: Any, payload: DebriefIn) -> dict[str, Any]:
    debrief = debrief_record(
        debrief=debrief,
        worker=request.user,
        status=payload.status.value,
        offered_at=payload.offered_at,
        held_at=payload.held_at,
        not_offered_reason=payload.not_offered_reason,
        where_went=payload.where_went,
        who_with=payload.who_with,
        travel=payload.travel,
        push_factors=[v.value for v in payload.push_factors],
        pull_factors=[v.value for v in payload.pull_factors],
        indicators=[v.value for v in payload.indicators],
        harm_details=payload.harm_details,
        child_wishes=payload.child_wishes,
        share_basis=payload.share_basis.value,
        places_to_share="\n".join(payload.places_to_share),
        associates_to_share="\n".join(payload.associates_to_share),
        declined_reason=payload.declined_reason,
        carer_seen=payload.carer_seen,
        carer_seen_note=payload.carer_seen_note,
        push_notes=payload.push_notes,
        pull_notes=payload.pull_notes,
        substance_use=payload.substance_use,
        sleeping_rough=payload.sleeping_rough,
        what_would_help=payload.what_would_help,
        findings=None
        if payload.findings is None
        else [
            FindingInput(
                kind=f.kind.value,
                text=f.text,
                indicator=f.indicator.value if f.indicator else "",
                share=f.share.value,
                safeguarding_reason=f.safeguarding_reason,
                public_id=str(f.public_id) if f.public_id else "",
            )
            for f in payload.findings
        ],
    )
    return _debrief(debrief)


# Agency imports (hafan.ingest.api)

from hafan.ingest.api import router as imports_router  # noqa: E402 - mounted after the handlers above

api.add_router("/imports", imports_router)

# Issue 6 / information call: agencies' systems answer the hub's questions (hafan.episodes.api)

from hafan.episodes.api import router as information_router  # noqa: E402 - mounted after the handlers above

api.add_router("/information-requests", information_router)

# Issue 7 / referrals: partner agencies' systems answer the referrals to their services (hafan.referrals.api)

from hafan.referrals.api import router as referrals_router  # noqa: E402 - mounted after the handlers above

api.add_router("/referrals", referrals_router)
