"""The demo's referrals followed through (issue 7): planned from the generator's random stream (pure, no
database), then written through the lifecycle services as the people who would record each step.

Most referrals are answered within two weeks; about seven in ten are accepted, most of those start within
three weeks and many finish with an outcome; some are declined (with a reason) or withdrawn; a few older ones
are still waiting for an answer (the scheduler reminds them). NRM referrals get a reference and a reasonable
grounds decision, and some a conclusive grounds decision.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

DAY = datetime.timedelta(days=1)

ACCEPTED_NOTES = ["Allocated to a worker; first session booked.", "Accepted onto the waiting list."]
DECLINED_REASONS = [
    "Threshold not met; signposted to school counselling.",
    "Already open to the service elsewhere.",
    "The young person is outside the age range the service works with.",
]
WITHDRAWN_REASONS = ["Child moved out of area.", "Child withdrew consent."]
OUTCOMES = [
    ("goals_met", "Six sessions completed; child reports feeling more listened to."),
    ("goals_met", "Work completed; family agreed a plan for coming-in times."),
    ("partly_met", "Attended most sessions; still some conflict at home but no further episodes."),
    ("not_met", "Sessions offered but the concerns remain; escalated to the strategy meeting."),
    ("disengaged", "Closed after the child stopped engaging; no further episodes in six weeks."),
    ("moved_away", "Closed: the family moved out of Gwent; details passed to the new area."),
]


@dataclass(frozen=True)
class Step:
    """One planned step: a status (accepted, declined, started, completed, withdrawn) or an NRM decision
    (status "nrm", with the reference and decision)."""

    status: str
    at: datetime.datetime
    note: str = ""
    outcome_code: str = ""
    nrm_reference: str = ""
    nrm_decision: str = ""


def plan_steps(
    rng: random.Random,
    *,
    kind: str,
    referred: datetime.datetime,
    now: datetime.datetime,
    office_hours: Callable[[datetime.datetime], datetime.datetime],
) -> list[Step]:
    """What happens to one referral up to `now`, drawn from `rng` (so the same seed plans the same)."""
    age = now - referred
    if age < 2 * DAY or rng.random() < (0.5 if age < 10 * DAY else 0.07):
        return []  # no answer yet: after HAFAN_REFERRAL_REMINDER_DAYS the scheduler reminds it
    first = office_hours(referred + datetime.timedelta(days=rng.uniform(1, max(1.5, min(13, age.days - 1)))))
    if first > now or first < referred:
        return []
    steps: list[Step] = []
    if kind == "nrm":
        steps.append(Step("accepted", first, "Received by the single competent authority."))
        steps += _nrm_steps(rng, referred=referred, now=now, office_hours=office_hours)
        return steps
    choice = rng.choices(["accepted", "declined", "withdrawn"], [72, 17, 11])[0]
    if choice == "declined":
        return [Step("declined", first, rng.choice(DECLINED_REASONS))]
    if choice == "withdrawn":
        return [Step("withdrawn", first, rng.choice(WITHDRAWN_REASONS))]
    steps.append(Step("accepted", first, rng.choice(ACCEPTED_NOTES)))
    started = office_hours(first + datetime.timedelta(days=rng.uniform(2, 21)))
    if started > now:
        return steps
    steps.append(Step("started", started))
    done = office_hours(started + datetime.timedelta(days=rng.uniform(30, 120)))
    if done < now:
        if rng.random() < 0.85:
            code, text = rng.choice(OUTCOMES)
            steps.append(Step("completed", done, text, outcome_code=code))
        else:
            steps.append(Step("withdrawn", done, rng.choice(WITHDRAWN_REASONS)))
    return steps


def _nrm_steps(
    rng: random.Random,
    *,
    referred: datetime.datetime,
    now: datetime.datetime,
    office_hours: Callable[[datetime.datetime], datetime.datetime],
) -> list[Step]:
    reference = f"NRM-{referred.year}-0{rng.randint(1000, 9999)}"
    steps = [Step("nrm", office_hours(referred + DAY), nrm_reference=reference, nrm_decision="awaiting")]
    reasonable = office_hours(referred + datetime.timedelta(days=rng.uniform(3, 10)))
    if reasonable > now:
        return steps
    positive = rng.random() < 0.85
    steps.append(
        Step(
            "nrm",
            reasonable,
            nrm_reference=reference,
            nrm_decision="rg_positive" if positive else "rg_negative",
        )
    )
    conclusive = office_hours(reasonable + datetime.timedelta(days=rng.uniform(45, 150)))
    if positive and conclusive < now:
        decision = "cg_positive" if rng.random() < 0.8 else "cg_negative"
        steps.append(Step("nrm", conclusive, nrm_reference=reference, nrm_decision=decision))
    return steps


def _answerer(referral: Any, *, referrer: Any, staff: dict[str, Any]) -> Any:
    """Who records the service's answers: a member of the partner agency that runs it (its education
    worker first for education support), or for a service outside the partnership the referrer."""
    from hafan.core.vocabulary import Role
    from hafan.referrals.services import may_respond

    agency = referral.service.provider_agency
    if agency is None:
        return referrer
    own = sorted(
        (
            u
            for u in staff.values()
            if u.agency_id == agency.pk and u.is_active and may_respond(referral, user=u)
        ),
        key=lambda u: (u.role != Role.EDUCATION_WORKER, not u.hub_member, u.username),
    )
    return own[0] if own else None


def demo_referral(
    *,
    child: Any,
    kind: str,
    reason: str,
    consent_given: bool,
    referred_at: datetime.datetime,
    steps: list[Step],
    episode: Any,
    debrief: Any,
    referrer: Any,
    staff: dict[str, Any],
) -> Any:
    """Sends the referral to the service covering the child's council and takes each planned step through
    the lifecycle services, as the person who would record it."""
    from hafan.referrals.directory import service_for
    from hafan.referrals.services import needs_consent, referral_nrm_record, referral_send, referral_update

    service = service_for(kind=kind, council_code=getattr(child.responsible_council, "code", None))
    # A young person 18 or over by then agreed to their NRM referral (a child's needs no consent).
    adult = needs_consent(service=service, child=child, on=timezone.localtime(referred_at).date())
    referral = referral_send(
        child=child,
        service=service,
        referred_by=referrer,
        reason=reason,
        consent_given=consent_given or adult,
        episode=episode,
        debrief=debrief,
        referred_at=referred_at,
    )
    if referral.referred_at != referred_at:
        return referral  # the child already had this referral open: sending it again changed nothing
    answerer = _answerer(referral, referrer=referrer, staff=staff)
    for step in steps:
        if step.status == "nrm":
            referral = referral_nrm_record(
                referral=referral,
                actor=referrer,
                reference=step.nrm_reference,
                decision=step.nrm_decision,
                decided_on=None if step.nrm_decision == "awaiting" else timezone.localtime(step.at).date(),
                at=step.at,
            )
            continue
        actor = referrer if step.status == "withdrawn" else answerer
        if actor is None:
            break
        referral = referral_update(
            referral=referral,
            actor=actor,
            status=step.status,
            reason=step.note if step.status in {"declined", "withdrawn"} else "",
            outcome=step.note if step.status not in {"declined", "withdrawn"} else "",
            outcome_code=step.outcome_code,
            at=step.at,
        )
    return referral
