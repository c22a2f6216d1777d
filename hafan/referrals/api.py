"""Referrals for agency systems (issue 7): mounted at /api/v1/referrals by hafan.core.api.

The system of a partner agency that runs a service (Llamau's mentoring and mediation, the health board's
CAMHS, a council's education support) lists the referrals to its services and records their answers: accepted,
declined (with a reason), started, completed (with an outcome code and text). The same selectors, service,
checks and audit rows as the pages; a referral the caller may not see is 404, never 403.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from hafan.core.api_schemas import ErrorOut, ValidationErrorOut
from hafan.referrals.models import Referral
from hafan.referrals.selectors import days_waiting, referral_get_for_user, referrals_received_by
from hafan.referrals.services import referral_update

router = Router(tags=["referrals"])

ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 403: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


class ReferralChildOut(Schema):
    given_name: str
    family_name: str
    date_of_birth: datetime.date | None


class ReferralOut(Schema):
    public_id: uuid.UUID
    service: str = Field(description="The service's name in English.")
    service_kind: str
    child: ReferralChildOut
    referred_at: datetime.datetime
    referred_by_agency: str = Field(description="The referring agency's code.")
    reason: str
    consent_given: bool
    status: str = Field(description="sent, accepted, declined, started, completed or withdrawn.")
    days_waiting: int = Field(
        description="Days waiting for the service's answer (or, accepted, for the start)."
    )
    responded_at: datetime.datetime | None
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    declined_reason: str
    outcome_code: str
    outcome: str


class ReferralsQuery(Schema):
    status: str = Field(default="", description="Only referrals with this status (or `open`).")


class ReferralResponseIn(Schema):
    status: Literal["accepted", "declined", "started", "completed"] = Field(
        description="The step: sent -> accepted or declined; accepted -> started; started -> completed."
    )
    reason: str = Field(default="", description="Why the service declined (needed to decline).")
    outcome_code: str = Field(
        default="", description="To complete: goals_met, partly_met, not_met, disengaged or moved_away."
    )
    outcome: str = Field(default="", description="To complete: what came of the work.")
    at: datetime.datetime | None = Field(default=None, description="When it happened (default: now).")


def _out(referral: Referral, *, now: datetime.datetime) -> dict[str, Any]:
    child = referral.child
    agency = referral.referred_by.agency
    return {
        "public_id": referral.public_id,
        "service": referral.service.name_en,
        "service_kind": referral.service.kind,
        "child": {
            "given_name": child.given_name,
            "family_name": child.family_name,
            "date_of_birth": child.date_of_birth,
        },
        "referred_at": referral.referred_at,
        "referred_by_agency": agency.code if agency else "",
        "reason": referral.reason,
        "consent_given": referral.consent_given,
        "status": referral.status,
        "days_waiting": days_waiting(referral, now=now),
        "responded_at": referral.responded_at,
        "started_at": referral.started_at,
        "completed_at": referral.completed_at,
        "declined_reason": referral.declined_reason,
        "outcome_code": referral.outcome_code,
        "outcome": referral.outcome,
    }


@router.get(
    "",
    response={200: list[ReferralOut], **ERRORS},
    url_name="referrals_received",
    summary="The referrals to the services the caller's agency runs, newest first",
)
def referrals_received(request: HttpRequest, filters: Query[ReferralsQuery]) -> list[dict[str, Any]]:
    now = timezone.now()
    referrals = referrals_received_by(user=request.user, status=filters.status).order_by(
        "-referred_at", "-id"
    )
    return [_out(r, now=now) for r in referrals[:500]]


@router.post(
    "/{public_id}/response",
    response={200: ReferralOut, **WRITE_ERRORS},
    url_name="referral_response",
    summary="Record the service's answer to a referral: accepted, declined, started or completed",
)
def referral_response(request: HttpRequest, public_id: str, payload: ReferralResponseIn) -> dict[str, Any]:
    referral = referral_get_for_user(user=request.user, public_id=public_id)
    referral = referral_update(
        referral=referral,
        actor=request.user,
        status=payload.status,
        reason=payload.reason,
        outcome_code=payload.outcome_code,
        outcome=payload.outcome,
        at=payload.at,
    )
    return _out(referral, now=timezone.now())
