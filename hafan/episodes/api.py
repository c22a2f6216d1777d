"""The information call for agency systems (issue 6): mounted at /api/v1/information-requests by hafan.core.api.

An agency's system lists the open requests its token's user (their agency and role) must answer, and answers
one, exactly as the worker does on the page: the same selectors, the same service, the same checks and audit.
A request the caller does not answer is 404, never 403.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from hafan.core.api_schemas import ErrorOut, ValidationErrorOut
from hafan.episodes.models import InformationRequest
from hafan.episodes.selectors import information_request_get_for_answerer, information_requests_to_answer
from hafan.episodes.services import information_request_answer

router = Router(tags=["information call"])

ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 403: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


class InformationChildOut(Schema):
    given_name: str
    family_name: str
    date_of_birth: datetime.date | None


class InformationRequestOut(Schema):
    public_id: uuid.UUID
    episode_reference: str
    child: InformationChildOut
    reported_at: datetime.datetime
    last_seen_at: datetime.datetime
    last_seen_place: str
    agency: str = Field(description="The asked agency's code.")
    service: str = Field(description="social_care, education, health or debrief.")
    asked_at: datetime.datetime
    due_at: datetime.datetime
    overdue: bool
    status: str = Field(description="open or answered.")


class InformationItemIn(Schema):
    category: str = Field(description="What the item is about: a fact category (e.g. health_need, school).")
    summary: str = Field(description="What the agency knows.")


class InformationAnswerIn(Schema):
    nothing_known: bool = Field(default=False, description="The agency holds nothing on the child.")
    items: list[InformationItemIn] = Field(
        default_factory=list, description="What the agency knows (at most 5), unless nothing is known."
    )
    note: str = Field(default="", description="A note to the hub; it does not go on the child's record.")


class InformationAnswerOut(Schema):
    public_id: uuid.UUID
    episode_reference: str
    status: str
    answered_at: datetime.datetime | None
    nothing_known: bool
    items_given: int


def _request_out(asked: InformationRequest, *, now: datetime.datetime) -> dict[str, Any]:
    episode, child = asked.episode, asked.episode.child
    return {
        "public_id": asked.public_id,
        "episode_reference": episode.reference,
        "child": {
            "given_name": child.given_name,
            "family_name": child.family_name,
            "date_of_birth": child.date_of_birth,
        },
        "reported_at": episode.reported_at,
        "last_seen_at": episode.last_seen_at,
        "last_seen_place": episode.last_seen_place,
        "agency": asked.agency.code,
        "service": asked.service,
        "asked_at": asked.asked_at,
        "due_at": asked.due_at,
        "overdue": asked.due_at < now,
        "status": asked.status,
    }


@router.get(
    "",
    response={200: list[InformationRequestOut], 401: ErrorOut},
    url_name="information_requests",
    summary="The open information requests the caller's agency and role answer, soonest deadline first",
)
def information_requests(request: HttpRequest) -> list[dict[str, Any]]:
    now = timezone.now()
    return [_request_out(asked, now=now) for asked in information_requests_to_answer(request.user)]


@router.post(
    "/{public_id}/answer",
    response={200: InformationAnswerOut, **WRITE_ERRORS},
    url_name="information_request_answer",
    summary="Answer an information request: nothing known, or what the agency knows",
)
def information_answer(request: HttpRequest, public_id: str, payload: InformationAnswerIn) -> dict[str, Any]:
    asked = information_request_get_for_answerer(user=request.user, public_id=public_id)
    asked = information_request_answer(
        request=asked,
        answered_by=request.user,
        nothing_known=payload.nothing_known,
        items=[(item.category, item.summary) for item in payload.items],
        note=payload.note,
    )
    return {
        "public_id": asked.public_id,
        "episode_reference": asked.episode.reference,
        "status": asked.status,
        "answered_at": asked.answered_at,
        "nothing_known": asked.nothing_known,
        "items_given": asked.facts_found,
    }
