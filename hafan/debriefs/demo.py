"""Demo debriefs (hafan demo_data): the workspace's history behind each planned debrief, written through the
services: 1-4 attempts to reach the child, now and then a reassignment to a colleague, the offer and record
with findings each carrying its own sharing decision (the child agreed, safeguarding, or kept with the
charity), and family mediation where conflict at home drove the child away.

Deterministic without touching the demo planner's random stream: each debrief's own choices come from its
episode reference, so the workspace's detail changes nothing else the generator makes."""

from __future__ import annotations

import datetime
import random
import secrets
import zlib
from typing import Any

from django.contrib.auth import get_user_model

from hafan.core.vocabulary import Role
from hafan.debriefs.models import (
    ContactMethod,
    ContactOutcome,
    Debrief,
    FindingKind,
    MediationStatus,
    OfferStatus,
    ShareBasis,
)
from hafan.debriefs.services import (
    EXPLOITATION_INDICATORS,
    FindingInput,
    contact_attempt_record,
    debrief_assign,
    debrief_language_set,
    debrief_offer_decide,
    debrief_record,
    mediation_session_plan,
    mediation_session_record,
)

REASSIGN_RATE = 0.15
WELSH_RATE = 0.12
MEDIATION_RATE = 0.4
COLLEAGUE = ("debrief.colleague", "Gethin", "Pryce")
SAFEGUARDING_REASONS = [
    "Signs of criminal exploitation: the hub must know to keep the child safe.",
    "An adult is exploiting the child; asking would put them at risk.",
    "Sexual exploitation concerns: the risk of significant harm outweighs confidentiality.",
]
CARER_NOTES = [
    "Spoke with mum about what happened; she will encourage a later chat.",
    "Foster carer seen; agreed to pass on our number.",
    "Dad seen at home; worried about the friends she has been seeing.",
]
MEDIATION_SUMMARIES = [
    (
        "Mum, the child and the mediator. Talked about the rows over curfew and phone use.",
        "A 10pm curfew on school nights, agreed by both; mum to text rather than ring repeatedly.",
    ),
    (
        "Dad, stepmum and the child. The child felt blamed for the arguments at home.",
        "A weekly family meal; the child to have their own space after school.",
    ),
    (
        "Grandmother (carer) and the child. Tension over contact with friends in town.",
        "Friends can visit at the house; the child tells grandmother where they are going.",
    ),
]


def _colleague(worker: Any) -> Any:
    """A second worker at the charity, so the demo shows reassignments (a login nobody is given)."""
    from hafan.accounts.services import staff_create

    user_model = get_user_model()
    other = (
        user_model.objects.filter(agency=worker.agency, role=Role.DEBRIEF_WORKER, is_active=True)
        .exclude(pk=worker.pk)
        .order_by("pk")
        .first()
    )
    if other is not None:
        return other
    username, first, last = COLLEAGUE
    return staff_create(
        username=username,
        password=secrets.token_urlsafe(24),
        role=Role.DEBRIEF_WORKER,
        agency=worker.agency,
        first_name=first,
        last_name=last,
        language="cy",
        hub_member=False,
    )


def _attempts(
    rng: random.Random,
    *,
    debrief: Debrief,
    worker: Any,
    start: datetime.datetime,
    end: datetime.datetime,
    reached: bool,
) -> None:
    """1-4 attempts between the return and the offer; the last reaches the child when the offer was made."""
    if end <= start:
        return
    count = rng.choices([1, 2, 3, 4], [45, 30, 15, 10])[0]
    span = (end - start).total_seconds()
    moments = sorted(start + datetime.timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    for n, at in enumerate(moments):
        last = n == len(moments) - 1
        if last and reached:
            method, outcome = (
                rng.choice([ContactMethod.PHONE, ContactMethod.VISIT, ContactMethod.SCHOOL]),
                (ContactOutcome.REACHED),
            )
        else:
            method = rng.choice(
                [ContactMethod.PHONE, ContactMethod.TEXT, ContactMethod.VIA_CARER, ContactMethod.VISIT]
            )
            outcome = rng.choices(
                [
                    ContactOutcome.NO_ANSWER,
                    ContactOutcome.MESSAGE_LEFT,
                    ContactOutcome.CARER_ONLY,
                    ContactOutcome.NOT_AVAILABLE,
                ],
                [40, 30, 20, 10],
            )[0]
        contact_attempt_record(
            debrief=debrief, worker=worker, at=at.replace(microsecond=0), method=method, outcome=outcome
        )


def _findings(rng: random.Random, plan: Any) -> list[FindingInput]:
    """The plan's places and associates with its basis, exploitation indicators, and what stays with the
    charity."""
    basis = plan.share_basis
    reason = rng.choice(SAFEGUARDING_REASONS) if basis == ShareBasis.SAFEGUARDING else ""
    rows = [
        FindingInput(kind=FindingKind.PLACE, text=p, share=basis, safeguarding_reason=reason)
        for p in plan.places
    ]
    rows += [
        FindingInput(kind=FindingKind.ASSOCIATE, text=a, share=basis, safeguarding_reason=reason)
        for a in plan.associates
    ]
    for indicator in plan.indicators:
        if indicator in EXPLOITATION_INDICATORS:
            rows.append(
                FindingInput(
                    kind=FindingKind.INDICATOR, indicator=indicator, share=basis, safeguarding_reason=reason
                )
            )
    # What the child asked to keep between them and the worker.
    if plan.where_went and rng.random() < 0.5:
        rows.append(FindingInput(kind=FindingKind.PLACE, text=plan.where_went, share=ShareBasis.NONE))
    if plan.child_wishes and rng.random() < 0.4:
        rows.append(FindingInput(kind=FindingKind.WISHES, text=plan.child_wishes, share=ShareBasis.NONE))
    return rows


STALE_OFFER = datetime.timedelta(days=21)


def demo_debrief(*, debrief: Debrief, worker: Any, plan: Any, latest: datetime.datetime) -> Debrief:
    """Writes one planned debrief (`plan`: the generator's DebriefPlan) with its workspace history."""
    rng = random.Random(zlib.crc32(f"debrief:{debrief.episode.reference}".encode()))  # noqa: S311 - seeded demo data
    returned = debrief.episode.returned_at
    assert returned is not None
    child = debrief.episode.child
    # About one child in eight asks for their debriefs in Welsh (the same children every time).
    welsh = random.Random(zlib.crc32(f"language:{child.given_name} {child.family_name}".encode()))  # noqa: S311
    if debrief.language != "cy" and welsh.random() < WELSH_RATE:
        debrief = debrief_language_set(debrief=debrief, worker=worker, language="cy")
    if plan.status == OfferStatus.AWAITING:
        end = min(latest, debrief.due_by)
        if rng.random() < 0.5:
            _attempts(rng, debrief=debrief, worker=worker, start=returned, end=end, reached=False)
        return debrief
    reached = plan.status != OfferStatus.NOT_OFFERED
    if plan.offered_at is not None:
        _attempts(rng, debrief=debrief, worker=worker, start=returned, end=plan.offered_at, reached=reached)
    if rng.random() < REASSIGN_RATE:
        debrief = debrief_assign(debrief=debrief, assigned_by=worker, worker=_colleague(worker))
    declined = plan.status == OfferStatus.DECLINED
    carer_seen = rng.random() < 0.4 if declined else None
    debrief = debrief_record(
        debrief=debrief,
        worker=worker,
        status=plan.status,
        offered_at=plan.offered_at,
        held_at=plan.held_at,
        not_offered_reason=plan.not_offered_reason,
        declined_reason="Did not want to talk about it." if declined and rng.random() < 0.5 else "",
        carer_seen=carer_seen,
        carer_seen_note=rng.choice(CARER_NOTES) if carer_seen else "",
        where_went=plan.where_went,
        who_with=plan.who_with,
        travel=plan.travel,
        push_factors=plan.push_factors,
        pull_factors=plan.pull_factors,
        indicators=plan.indicators,
        harm_details=plan.harm_details,
        sleeping_rough=(rng.random() < 0.1) if plan.status == OfferStatus.HELD else None,
        child_wishes=plan.child_wishes,
        findings=_findings(rng, plan) if plan.status == OfferStatus.HELD else [],
        decided_at=plan.offered_at or returned + datetime.timedelta(hours=rng.randint(4, 48)),
    )
    if (
        plan.status in {OfferStatus.OFFERED, OfferStatus.ACCEPTED}
        and plan.offered_at is not None
        and plan.offered_at < latest - STALE_OFFER
    ):
        # An offer nobody answered for three weeks is closed by the worker as declined: the caseload is today's work.
        debrief = debrief_offer_decide(
            debrief=debrief,
            worker=debrief.worker or worker,
            decision=OfferStatus.DECLINED,
            at=plan.offered_at + STALE_OFFER,
            reason="No response to the offer; closed after three weeks.",
            carer_seen=False,
        )
    if (
        plan.status == OfferStatus.HELD
        and plan.held_at is not None
        and "conflict" in plan.push_factors
        and rng.random() < MEDIATION_RATE
    ):
        _mediation(rng, debrief=debrief, worker=worker, held_at=plan.held_at, latest=latest)
    return debrief


def _mediation(
    rng: random.Random,
    *,
    debrief: Debrief,
    worker: Any,
    held_at: datetime.datetime,
    latest: datetime.datetime,
) -> None:
    when = (held_at + datetime.timedelta(days=rng.randint(3, 14))).replace(
        hour=16, minute=0, second=0, microsecond=0
    )
    session = mediation_session_plan(debrief=debrief, planned_by=worker, scheduled_for=when)
    if when > latest:
        return  # still to come
    status = rng.choices(
        [MediationStatus.HELD, MediationStatus.DID_NOT_ATTEND, MediationStatus.CANCELLED], [70, 20, 10]
    )[0]
    attendees, summary, actions = "", "", ""
    if status == MediationStatus.HELD:
        summary, actions = rng.choice(MEDIATION_SUMMARIES)
        attendees = summary.split(".")[0]
    next_on = (
        when.date() + datetime.timedelta(days=14)
        if status == MediationStatus.HELD and rng.random() < 0.5
        else None
    )
    mediation_session_record(
        session=session,
        recorded_by=worker,
        status=status,
        attendees=attendees,
        summary=summary,
        agreed_actions=actions,
        next_session_on=next_on,
    )
