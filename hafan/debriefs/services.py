"""Writes about debriefs: the offer and its 72-hour clock, the attempts to reach the child, who works the
debrief, what the child said, and family mediation.

What the child says stays with the charity. Each finding carries its own sharing decision (the child agreed,
or a safeguarding basis requires it, or it stays with the charity); only findings with a basis flow back to
the child's record as facts (places, associates, concerns), and a finding without one never leaves the
debrief."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, FactCategory, Purpose
from hafan.core.vocabulary import ShareBasis as FactShareBasis
from hafan.debriefs.models import (
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    Debrief,
    DebriefFinding,
    FindingKind,
    Indicator,
    MediationSession,
    MediationStatus,
    OfferStatus,
    PullFactor,
    PushFactor,
    ShareBasis,
)
from hafan.people.models import Fact
from hafan.people.services import child_profile_latest, fact_add
from hafan.risk.rules import repeat_count
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

EXPLOITATION_INDICATORS = {Indicator.CSE, Indicator.CCE, Indicator.COUNTY_LINES, Indicator.TRAFFICKING}
LANGUAGES = ("en", "cy")
# A time a few minutes ahead of the server's clock is a device clock, not the future.
CLOCK_SKEW = datetime.timedelta(minutes=5)

# The offer's lifecycle. Offering and the child's answer often happen in one conversation, so an offer still
# awaiting may go straight to accepted, declined or held (the offer is then recorded at the same moment).
# A child who declined may change their mind; a debrief not offered may be offered after all. A held debrief
# is finished: what the child said is amended through debrief_record, not by moving the offer back.
OFFER_TRANSITIONS: dict[str, set[str]] = {
    OfferStatus.AWAITING: {
        OfferStatus.OFFERED,
        OfferStatus.NOT_OFFERED,
        OfferStatus.ACCEPTED,
        OfferStatus.DECLINED,
        OfferStatus.HELD,
    },
    OfferStatus.OFFERED: {OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.HELD},
    OfferStatus.ACCEPTED: {OfferStatus.DECLINED, OfferStatus.HELD},
    OfferStatus.DECLINED: {OfferStatus.ACCEPTED, OfferStatus.HELD},
    OfferStatus.NOT_OFFERED: {OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.HELD},
    OfferStatus.HELD: set(),
}
OFFERED_STATUSES = {OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.HELD}

# Where a shared finding lands on the child's record (the briefing shows everything learnt in debriefs).
FINDING_CATEGORY = {
    FindingKind.PLACE: FactCategory.PLACE,
    FindingKind.TRAVEL: FactCategory.TRAVEL,
    FindingKind.ASSOCIATE: FactCategory.ASSOCIATE,
    FindingKind.HARM: FactCategory.WELLBEING,
    FindingKind.SUBSTANCES: FactCategory.WELLBEING,
    FindingKind.SLEEPING_ROUGH: FactCategory.WELLBEING,
    FindingKind.WISHES: FactCategory.WISHES,
}
# Used where a caller still sends one basis for the whole debrief (places_to_share, associates_to_share): the
# safeguarding reason each finding needs is then this.
LEGACY_SAFEGUARDING_REASON = "Shared on a safeguarding basis recorded for the whole debrief."


def debrief_provider() -> Agency:
    """The partnership's debrief provider: its one charity."""
    return Agency.objects.get(kind=AgencyKind.CHARITY, in_partnership=True)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _hours(delta: datetime.timedelta) -> str:
    hours = max(0, round(delta.total_seconds() / 3600))
    if hours < 48:
        return f"{hours} hour" + ("" if hours == 1 else "s")
    return f"{hours // 24} days"


def referral_reason_for(episode: Any) -> str:
    """Why the hub asks for this debrief, as the charity may see it: the episode, how long the child was
    missing and, for a repeat, which episode in how many days. Nothing from police intelligence or health.
    Stored data, written in English whatever the interface language."""
    from hafan.episodes.models import Episode

    parts = [f"Episode {episode.reference}"]
    if episode.returned_at is not None:
        parts.append(f"missing for about {_hours(episode.returned_at - episode.reported_at)}")
    days = settings.HAFAN_REPEAT_MISSING_DAYS
    times = list(Episode.objects.filter(child=episode.child).values_list("reported_at", flat=True))
    count = repeat_count(times, now=episode.reported_at, days=days)
    text = ", ".join(parts) + "."
    if count >= 2:
        text += f" {_ordinal(count)} episode in {days} days."
    return text


def preferred_language(child: Any) -> str:
    """The child's recorded language: their information profile's first language where it says, else the hub
    identity's (English unless recorded otherwise)."""
    profile = child_profile_latest(child)
    if profile is not None and profile.first_language in LANGUAGES:
        return str(profile.first_language)
    return str(child.first_language) if child.first_language in LANGUAGES else "en"


@transaction.atomic
def debrief_offer_create(*, episode: Any, actor: Any) -> Debrief:
    """Opens the debrief offer for a returned child; called by episode_record_return. The debrief is offered
    in the child's recorded language."""
    if episode.returned_at is None:
        raise InvalidAction(_("A debrief is offered only once the child has returned."))
    debrief, created = Debrief.objects.get_or_create(
        episode=episode,
        defaults={
            "provider": debrief_provider(),
            "due_by": episode.returned_at + datetime.timedelta(hours=settings.HAFAN_DEBRIEF_DEADLINE_HOURS),
            "language": preferred_language(episode.child),
            "referral_reason": referral_reason_for(episode),
        },
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            purpose=Purpose.DEBRIEF,
            target_type="debrief",
            target_id=debrief.public_id,
            child_public_id=episode.child.public_id,
            detail={"episode": episode.reference, "due_by": debrief.due_by.isoformat()},
        )
    return debrief


def _require_worker(user: Any, debrief: Debrief) -> None:
    if not policy.can_record_debrief(actor_for(user), provider_code=debrief.provider.code):
        raise NotPermitted(_("Only the debrief provider's workers record debriefs."))


def _audit(
    user: Any, debrief: Debrief, *, action: AuditAction, detail: dict[str, Any], target: str = ""
) -> None:
    audit_record(
        actor=user,
        action=action,
        purpose=Purpose.DEBRIEF,
        target_type=target or "debrief",
        target_id=debrief.public_id,
        child_public_id=debrief.episode.child.public_id,
        detail=detail,
    )


def _time_errors(
    debrief: Debrief, name: str, value: datetime.datetime | None, errors: dict[str, str]
) -> None:
    returned_at = debrief.episode.returned_at
    if value is None:
        return
    if returned_at is not None and value < returned_at:
        errors[name] = _("This must be after the child returned.")
    elif value > timezone.now() + CLOCK_SKEW:
        errors[name] = _("This cannot be in the future.")


# The workspace: attempts, the offer, assignment and language


@transaction.atomic
def contact_attempt_record(
    *,
    debrief: Debrief,
    worker: Any,
    at: datetime.datetime | None,
    method: str,
    outcome: str,
    note: str = "",
) -> ContactAttempt:
    """Records one attempt to reach the child. Recording the same attempt twice keeps one."""
    _require_worker(worker, debrief)
    errors: dict[str, str] = {}
    if at is None:
        errors["at"] = _("Enter when you tried to make contact.")
    _time_errors(debrief, "at", at, errors)
    if method not in ContactMethod.values:
        errors["method"] = _("Choose how you tried to make contact.")
    if outcome not in ContactOutcome.values:
        errors["outcome"] = _("Choose what happened.")
    if errors:
        raise ValidationError(errors)
    assert at is not None
    note = note.strip()
    existing = debrief.attempts.filter(at=at, method=method, outcome=outcome).first()
    if existing is not None and existing.note == note:
        return existing
    attempt = ContactAttempt.objects.create(
        debrief=debrief, at=at, method=method, outcome=outcome, note=note, recorded_by=worker
    )
    _audit(
        worker,
        debrief,
        action=AuditAction.CREATE,
        target="contact_attempt",
        detail={"attempt": str(attempt.public_id), "method": method, "outcome": outcome},
    )
    return attempt


def _offer_errors(
    debrief: Debrief,
    *,
    status: str,
    at: datetime.datetime | None,
    offered_at: datetime.datetime | None,
    held_at: datetime.datetime | None,
    not_offered_reason: str,
    carer_seen: bool | None,
    allow_same: bool,
) -> dict[str, str]:
    """What is wrong with moving the offer to `status`, checked the same way by every writer."""
    errors: dict[str, str] = {}
    if status not in OfferStatus.values or status == OfferStatus.AWAITING:
        errors["status"] = _("Choose what happened to the offer.")
        return errors
    allowed = OFFER_TRANSITIONS[debrief.status] | ({debrief.status} if allow_same else set())
    if status not in allowed:
        errors["status"] = _("A debrief that is %(current)s cannot become %(new)s.") % {
            "current": str(OfferStatus(debrief.status).label).lower(),
            "new": str(OfferStatus(status).label).lower(),
        }
        return errors
    if status == OfferStatus.NOT_OFFERED and not not_offered_reason.strip():
        errors["not_offered_reason"] = _("Say why a debrief was not offered.")
    if status in OFFERED_STATUSES and offered_at is None:
        errors["offered_at"] = _("Enter when the debrief was offered.")
    if status == OfferStatus.HELD and held_at is None:
        errors["held_at"] = _("Enter when the debrief was held.")
    if status == OfferStatus.DECLINED and carer_seen is None:
        errors["carer_seen"] = _("Say whether a parent or carer was seen instead.")
    for name, value in (("at", at), ("offered_at", offered_at), ("held_at", held_at)):
        _time_errors(debrief, name, value, errors)
    if held_at and offered_at and held_at < offered_at and "held_at" not in errors:
        errors["held_at"] = _("A debrief is held after it is offered.")
    return errors


@transaction.atomic
def debrief_offer_decide(
    *,
    debrief: Debrief,
    worker: Any,
    decision: str,
    at: datetime.datetime | None,
    reason: str = "",
    carer_seen: bool | None = None,
    carer_seen_note: str = "",
) -> Debrief:
    """Moves the offer on: offered; not offered (and why); accepted; declined (and whether a parent or carer
    was seen instead); held. `at` is when it happened. Deciding what is already recorded changes nothing."""
    _require_worker(worker, debrief)
    debrief = (
        Debrief.objects.select_for_update(of=("self",))
        .select_related("episode__child", "provider")
        .get(pk=debrief.pk)
    )
    if decision not in OfferStatus.values or decision == OfferStatus.AWAITING:
        raise ValidationError({"status": _("Choose what happened to the offer.")})
    if at is None:
        raise ValidationError({"at": _("Enter when this happened.")})
    offered_at = debrief.offered_at
    if decision in OFFERED_STATUSES and offered_at is None:
        offered_at = at  # offered and answered in the same conversation
    held_at = at if decision == OfferStatus.HELD else None
    if decision == OfferStatus.NOT_OFFERED:
        offered_at = None
    if offered_at is not None and at < offered_at and decision != OfferStatus.OFFERED:
        raise ValidationError({"at": _("This must be after the debrief was offered.")})
    if decision == debrief.status:
        return debrief  # already recorded
    errors = _offer_errors(
        debrief,
        status=decision,
        at=at,
        offered_at=at if decision == OfferStatus.OFFERED else offered_at,
        held_at=held_at,
        not_offered_reason=reason,
        carer_seen=carer_seen,
        allow_same=False,
    )
    if errors:
        raise ValidationError(errors)
    before = debrief.status
    debrief.status = decision
    if debrief.worker_id is None:
        debrief.worker = worker
        debrief.assigned_at = timezone.now()
    if decision == OfferStatus.OFFERED:
        debrief.offered_at = at
    else:
        debrief.offered_at = offered_at
    debrief.held_at = held_at
    debrief.decided_at = at
    debrief.not_offered_reason = reason.strip() if decision == OfferStatus.NOT_OFFERED else ""
    if decision == OfferStatus.DECLINED:
        debrief.declined_reason = reason.strip()
        debrief.carer_seen = carer_seen
        debrief.carer_seen_note = carer_seen_note.strip() if carer_seen else ""
    debrief.save()
    _audit(
        worker,
        debrief,
        action=AuditAction.UPDATE,
        detail={"status": [before, decision], "at": at.isoformat()},
    )
    return debrief


def provider_workers(provider: Agency) -> list[Any]:
    """The provider's active debrief workers: whom a debrief can be assigned to."""
    users = get_user_model().objects.filter(agency=provider, is_active=True).select_related("agency")
    return [
        u
        for u in users.order_by("first_name", "last_name", "pk")
        if policy.can_record_debrief(actor_for(u), provider_code=provider.code)
    ]


@transaction.atomic
def debrief_assign(*, debrief: Debrief, assigned_by: Any, worker: Any) -> Debrief:
    """Gives the debrief to one of the provider's workers and tells them (unless they assigned it to
    themselves). Assigning it to the worker who already has it changes nothing."""
    from hafan.notifications.models import NotificationKind
    from hafan.notifications.selectors import notices_about
    from hafan.notifications.services import notify

    _require_worker(assigned_by, debrief)
    debrief = (
        Debrief.objects.select_for_update(of=("self",))
        .select_related("episode__child", "provider", "worker")
        .get(pk=debrief.pk)
    )
    if worker is None or not policy.can_record_debrief(
        actor_for(worker), provider_code=debrief.provider.code
    ):
        raise ValidationError({"worker": _("Choose one of your service's debrief workers.")})
    if debrief.worker_id == worker.pk:
        return debrief
    before = debrief.worker.username if debrief.worker else None
    debrief.worker = worker
    debrief.assigned_at = timezone.now()
    debrief.save(update_fields=["worker", "assigned_at", "updated_at"])
    _audit(assigned_by, debrief, action=AuditAction.UPDATE, detail={"worker": [before, worker.username]})
    if worker.pk != assigned_by.pk:
        prefix = f"debrief-assigned:{debrief.public_id}:{worker.pk}:"
        with translation.override(settings.LANGUAGE_CODE):
            url = reverse("debriefs:detail", kwargs={"public_id": debrief.public_id})
        notify(
            recipients=[worker],
            kind=NotificationKind.DEBRIEF_ASSIGNED,
            params={"reference": debrief.episode.reference, "due": debrief.due_by.isoformat()},
            url=url,
            dedupe_key=f"{prefix}{notices_about(recipient=worker, dedupe_prefix=prefix) + 1}",
        )
    return debrief


@transaction.atomic
def debrief_language_set(*, debrief: Debrief, worker: Any, language: str) -> Debrief:
    """The language the debrief is offered in (the child's recorded preference unless they ask otherwise)."""
    _require_worker(worker, debrief)
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose Welsh or English.")})
    if debrief.language == language:
        return debrief
    before = debrief.language
    debrief.language = language
    debrief.save(update_fields=["language", "updated_at"])
    _audit(worker, debrief, action=AuditAction.UPDATE, detail={"language": [before, language]})
    return debrief


# The record and its findings


@dataclass(frozen=True)
class FindingInput:
    """One finding as a worker (or an agency system) sends it. `share` is the sharing decision: "consent"
    (the child agreed), "safeguarding" (with its reason) or "none" (it stays with the charity). `public_id`
    names a finding already recorded that this amends."""

    kind: str
    text: str = ""
    indicator: str = ""
    share: str = ShareBasis.NONE
    safeguarding_reason: str = ""
    public_id: str = ""

    @property
    def blank(self) -> bool:
        return not self.text.strip() and not self.indicator and not self.public_id


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _legacy_findings(
    *, share_basis: str, places: str, associates: str, indicators: list[str]
) -> list[FindingInput]:
    """One basis for the whole debrief, as earlier callers send it, turned into findings."""
    if share_basis == ShareBasis.NONE:
        return []
    reason = LEGACY_SAFEGUARDING_REASON if share_basis == ShareBasis.SAFEGUARDING else ""
    rows = [
        FindingInput(kind=FindingKind.PLACE, text=p, share=share_basis, safeguarding_reason=reason)
        for p in _lines(places)
    ]
    rows += [
        FindingInput(kind=FindingKind.ASSOCIATE, text=a, share=share_basis, safeguarding_reason=reason)
        for a in _lines(associates)
    ]
    rows += [
        FindingInput(kind=FindingKind.INDICATOR, indicator=i, share=share_basis, safeguarding_reason=reason)
        for i in sorted(set(indicators))
        if i in EXPLOITATION_INDICATORS
    ]
    return rows


def _finding_errors(rows: Sequence[FindingInput], known: set[str]) -> dict[str, str]:
    """Errors by `finding_<n>_<field>` (n counts from 0 over the rows sent, blank ones included)."""
    errors: dict[str, str] = {}
    for n, row in enumerate(rows):
        if row.blank:
            continue
        key = f"finding_{n}_"
        if row.public_id and row.public_id not in known:
            errors[key + "kind"] = _("This finding is not part of this debrief.")
        if row.kind not in FindingKind.values:
            errors[key + "kind"] = _("Choose what kind of finding this is.")
        if row.indicator and row.indicator not in Indicator.values:
            errors[key + "indicator"] = _("Choose a known indicator.")
        if row.kind == FindingKind.INDICATOR and not row.indicator:
            errors[key + "indicator"] = _("Choose the indicator.")
        if row.kind != FindingKind.INDICATOR and not row.text.strip():
            errors[key + "text"] = _("Say what the child said.")
        if row.share not in ShareBasis.values:
            errors[key + "share"] = _("Choose whether this finding is shared, and on what basis.")
        elif row.share == ShareBasis.SAFEGUARDING and not row.safeguarding_reason.strip():
            errors[key + "safeguarding_reason"] = _(
                "Say why keeping the child safe requires sharing this without their agreement."
            )
    return errors


def _fact_summary(finding: DebriefFinding) -> tuple[FactCategory, str]:
    """The category and words of the fact a shared finding becomes (stored data: English)."""
    text = finding.text.strip()
    with translation.override("en"):
        if finding.kind == FindingKind.INDICATOR:
            label = str(Indicator(finding.indicator).label) if finding.indicator else "Indicator"
            category = (
                FactCategory.EXPLOITATION
                if finding.indicator in EXPLOITATION_INDICATORS
                else FactCategory.WELLBEING
            )
            return category, f"Debrief indicator: {label}" + (f": {text}" if text else "")
        if finding.kind in {FindingKind.PLACE, FindingKind.ASSOCIATE}:
            return FINDING_CATEGORY[FindingKind(finding.kind)], text
        return FINDING_CATEGORY[FindingKind(finding.kind)], f"{FindingKind(finding.kind).label}: {text}"


def _withdraw_fact(*, finding: DebriefFinding, worker: Any, debrief: Debrief) -> None:
    """The child no longer agrees, or the finding was removed: the fact it became is withdrawn from the
    child's record (kept, not deleted, like every withdrawn fact; the hub no longer sees it)."""
    fact = finding.fact
    if fact is None:
        return
    if fact.withdrawn_at is None:
        fact.withdrawn_at = timezone.now()
        fact.save(update_fields=["withdrawn_at", "updated_at"])
        audit_record(
            actor=worker,
            action=AuditAction.UPDATE,
            purpose=Purpose.DEBRIEF,
            target_type="fact",
            target_id=fact.public_id,
            child_public_id=debrief.episode.child.public_id,
            detail={"withdrawn": "debrief finding no longer shared", "debrief": str(debrief.public_id)},
        )
    finding.fact = None


def _share_finding(
    *, finding: DebriefFinding, debrief: Debrief, worker: Any, day: datetime.date
) -> Fact | None:
    """Writes the fact a finding with a basis becomes; None when it already has a current one."""
    if finding.fact is not None and finding.fact.withdrawn_at is None:
        basis = finding.basis
        if finding.fact.share_basis != basis:
            finding.fact.share_basis = basis
            finding.fact.save(update_fields=["share_basis", "updated_at"])
        return None
    category, summary = _fact_summary(finding)
    with translation.override("en"):
        basis_label = str(ShareBasis(finding.basis).label)
    fact = fact_add(
        child=debrief.episode.child,
        agency=debrief.provider,
        category=category,
        summary=summary,
        recorded_on=day,
        source=f"{debrief.provider.name_en} debrief, {debrief.episode.reference} ({basis_label})"[:200],
        actor=worker,
        purpose=Purpose.DEBRIEF,
        debrief=debrief,
        share_basis=FactShareBasis(finding.basis),
    )
    finding.fact = fact
    return fact


def _notify_shared(*, debrief: Debrief, facts: list[Fact]) -> None:
    """Tells the episode's officer and the child's case-holding social workers that the debrief shared new
    information, so that the risk grade and the response plan are reviewed. With no officer assigned, the one who
    took the report; with no case holder, the hub social workers of the child's council: someone always hears."""
    from hafan.notifications.models import NotificationKind
    from hafan.notifications.recipients import case_holders, council_hub_social_workers
    from hafan.notifications.services import notify

    episode = debrief.episode
    child = episode.child
    social_workers = case_holders(child) or (
        council_hub_social_workers([child.responsible_council_id]) if child.responsible_council_id else []
    )
    recipients = [episode.assigned_to or episode.reported_by, *social_workers]
    with translation.override(settings.LANGUAGE_CODE):
        url = reverse("episodes:detail", kwargs={"public_id": episode.public_id})
    notify(
        recipients=[r for r in recipients if r is not None],
        kind=NotificationKind.DEBRIEF_SHARED,
        params={"reference": episode.reference, "count": len(facts)},
        url=url,
        dedupe_key=f"debrief-shared:{debrief.public_id}:{max(f.pk for f in facts)}",
    )


def _strongest_basis(debrief: Debrief) -> str:
    bases = {f.basis for f in debrief.findings.all()}
    for basis in (ShareBasis.SAFEGUARDING, ShareBasis.CONSENT):
        if basis in bases:
            return basis
    return ShareBasis.NONE


@transaction.atomic
def debrief_record(
    *,
    debrief: Debrief,
    worker: Any,
    status: str,
    offered_at: datetime.datetime | None = None,
    held_at: datetime.datetime | None = None,
    not_offered_reason: str = "",
    declined_reason: str = "",
    carer_seen: bool | None = None,
    carer_seen_note: str = "",
    where_went: str = "",
    who_with: str = "",
    travel: str = "",
    push_factors: list[str] | None = None,
    push_notes: str = "",
    pull_factors: list[str] | None = None,
    pull_notes: str = "",
    indicators: list[str] | None = None,
    harm_details: str = "",
    substance_use: str = "",
    sleeping_rough: bool | None = None,
    child_wishes: str = "",
    what_would_help: str = "",
    findings: Sequence[FindingInput] | None = None,
    decided_at: datetime.datetime | None = None,
    share_basis: str = ShareBasis.NONE,
    places_to_share: str = "",
    associates_to_share: str = "",
) -> Debrief:
    """Records the offer decision and, once held, what the child said and its findings.

    `findings`, when given, is the debrief's whole list: findings left out are removed, and a finding that was
    shared and is no longer (removed, or now kept with the charity) has its fact withdrawn from the child's
    record. Without `findings`, the findings already recorded stay as they are. `share_basis` with
    `places_to_share` / `associates_to_share` (one a line) is the older form of one basis for the whole
    debrief: each line, and each exploitation indicator, becomes a finding with that basis. Findings with a
    basis become facts once the debrief is held; saving again never repeats one."""
    _require_worker(worker, debrief)
    debrief = (
        Debrief.objects.select_for_update(of=("self",))
        .select_related("episode__child", "provider")
        .get(pk=debrief.pk)
    )
    push_factors, pull_factors, indicators = push_factors or [], pull_factors or [], indicators or []
    errors = _offer_errors(
        debrief,
        status=status,
        at=None,
        offered_at=offered_at,
        held_at=held_at,
        not_offered_reason=not_offered_reason,
        carer_seen=carer_seen,
        allow_same=True,
    )
    for name, values, allowed in (
        ("push_factors", push_factors, PushFactor.values),
        ("pull_factors", pull_factors, PullFactor.values),
        ("indicators", indicators, Indicator.values),
    ):
        unknown = [v for v in values if v not in allowed]
        if unknown:
            errors[name] = _("Unknown values: %(items)s.") % {"items": ", ".join(unknown)}
    if share_basis not in ShareBasis.values:
        errors["share_basis"] = _("Choose what may be shared.")
    elif (places_to_share.strip() or associates_to_share.strip()) and share_basis == ShareBasis.NONE:
        errors["share_basis"] = _(
            "Say on what basis places and associates are shared: the child's consent or safeguarding."
        )
    rows = list(findings or [])
    existing = {str(f.public_id): f for f in debrief.findings.select_related("fact")}
    errors.update(_finding_errors(rows, set(existing)))
    if status != OfferStatus.HELD and any(not r.blank for r in rows):
        errors["findings"] = _("Record findings once the debrief is held.")
    if errors:
        raise ValidationError(errors)

    before = debrief.status
    held = status == OfferStatus.HELD
    if status != before or decided_at is not None:
        # When the outcome was reached: the debrief held, else the time given, else the offer, else now.
        debrief.decided_at = (
            held_at
            if held and held_at
            else decided_at or (offered_at if status != OfferStatus.NOT_OFFERED else None)
        ) or timezone.now()
    debrief.status = status
    if debrief.worker_id is None:
        debrief.worker = worker
    if debrief.assigned_at is None:
        debrief.assigned_at = timezone.now()
    debrief.offered_at = offered_at if status != OfferStatus.NOT_OFFERED else None
    debrief.held_at = held_at if held else None
    debrief.not_offered_reason = not_offered_reason.strip() if status == OfferStatus.NOT_OFFERED else ""
    debrief.declined_reason = declined_reason.strip() if status == OfferStatus.DECLINED else ""
    debrief.carer_seen = carer_seen if status == OfferStatus.DECLINED else None
    debrief.carer_seen_note = carer_seen_note.strip() if status == OfferStatus.DECLINED and carer_seen else ""
    debrief.where_went = where_went.strip()
    debrief.who_with = who_with.strip()
    debrief.travel = travel.strip()
    debrief.push_factors = sorted(set(push_factors))
    debrief.push_notes = push_notes.strip()
    debrief.pull_factors = sorted(set(pull_factors))
    debrief.pull_notes = pull_notes.strip()
    debrief.indicators = sorted(set(indicators))
    debrief.harm_details = harm_details.strip()
    debrief.substance_use = substance_use.strip()
    debrief.sleeping_rough = sleeping_rough
    debrief.child_wishes = child_wishes.strip()
    debrief.what_would_help = what_would_help.strip()

    changed = _findings_save(
        debrief=debrief,
        worker=worker,
        rows=rows if findings is not None else None,
        legacy=_legacy_findings(
            share_basis=share_basis,
            places=places_to_share,
            associates=associates_to_share,
            indicators=indicators,
        )
        if held
        else [],
        existing=existing,
    )
    new_facts: list[Fact] = []
    if held:
        day = timezone.localdate(held_at) if held_at else timezone.localdate()
        for finding in debrief.findings.select_related("fact").order_by("pk"):
            if finding.basis == ShareBasis.NONE:
                if finding.fact is not None:
                    _withdraw_fact(finding=finding, worker=worker, debrief=debrief)
                    finding.save(update_fields=["fact", "updated_at"])
                continue
            fact = _share_finding(finding=finding, debrief=debrief, worker=worker, day=day)
            if fact is not None:
                finding.save(update_fields=["fact", "updated_at"])
                new_facts.append(fact)
    debrief.share_basis = _strongest_basis(debrief)
    debrief.save()
    _audit(
        worker,
        debrief,
        action=AuditAction.UPDATE,
        detail={
            "status": [before, status],
            "share_basis": debrief.share_basis,
            "findings": changed,
            "facts_shared": [str(f.public_id) for f in new_facts],
        },
    )
    if new_facts:
        from hafan.risk.triggers import triggers_for_child

        # Issue 6 / triggers: exploitation concerns shared back open an exploitation review.
        triggers_for_child(child=debrief.episode.child, episode=debrief.episode)
        _notify_shared(debrief=debrief, facts=new_facts)
    return debrief


def _same(finding: DebriefFinding, row: FindingInput) -> bool:
    return (finding.kind, finding.indicator or "", finding.text.strip()) == (
        row.kind,
        row.indicator or "",
        row.text.strip(),
    )


def _findings_save(
    *,
    debrief: Debrief,
    worker: Any,
    rows: list[FindingInput] | None,
    legacy: list[FindingInput],
    existing: dict[str, DebriefFinding],
) -> dict[str, int]:
    """Writes the findings: amends those named or identical to a row sent, adds the new ones, removes those
    left out (when `rows` is the whole list). Returns counts for the audit row."""
    counts = {"added": 0, "amended": 0, "removed": 0}
    unmatched = dict(existing)

    def _match(row: FindingInput) -> DebriefFinding | None:
        if row.public_id:
            return unmatched.pop(row.public_id, None)
        for key, finding in unmatched.items():
            if _same(finding, row):
                return unmatched.pop(key)
        return None

    for row in [*(rows or []), *legacy]:
        if row.blank:
            continue
        finding = _match(row)
        values = {
            "kind": row.kind,
            "indicator": row.indicator or "",
            "text": row.text.strip(),
            "child_agreed": row.share == ShareBasis.CONSENT,
            "safeguarding": row.share == ShareBasis.SAFEGUARDING,
            "safeguarding_reason": row.safeguarding_reason.strip()
            if row.share == ShareBasis.SAFEGUARDING
            else "",
        }
        if finding is None:
            finding = DebriefFinding.objects.create(debrief=debrief, **values)
            counts["added"] += 1
        else:
            if any(getattr(finding, k) != v for k, v in values.items()):
                content_changed = (finding.kind, finding.indicator, finding.text) != (
                    values["kind"],
                    values["indicator"],
                    values["text"],
                )
                for k, v in values.items():
                    setattr(finding, k, v)
                if content_changed and finding.fact is not None:
                    # The words changed: the old fact no longer says what the child said.
                    _withdraw_fact(finding=finding, worker=worker, debrief=debrief)
                finding.save()
                counts["amended"] += 1
    if rows is not None:
        for finding in unmatched.values():
            _withdraw_fact(finding=finding, worker=worker, debrief=debrief)
            finding.delete()
            counts["removed"] += 1
    return counts


# Family mediation


def _mediation_errors(
    *, debrief: Debrief | None, scheduled_for: datetime.datetime | None, next_session_on: datetime.date | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if scheduled_for is None:
        errors["scheduled_for"] = _("Enter when the session is.")
    elif debrief is not None and debrief.episode.returned_at and scheduled_for < debrief.episode.returned_at:
        errors["scheduled_for"] = _("A session follows the child's return.")
    if (
        next_session_on is not None
        and scheduled_for is not None
        and next_session_on < timezone.localdate(scheduled_for)
    ):
        errors["next_session_on"] = _("The next session is after this one.")
    return errors


@transaction.atomic
def mediation_session_plan(
    *,
    debrief: Debrief,
    planned_by: Any,
    scheduled_for: datetime.datetime | None,
    facilitator: Any = None,
    attendees: str = "",
) -> MediationSession:
    """Plans a family mediation session for the child of a debrief. Planning the same session twice keeps one."""
    _require_worker(planned_by, debrief)
    facilitator = facilitator or planned_by
    errors = _mediation_errors(debrief=debrief, scheduled_for=scheduled_for, next_session_on=None)
    if not policy.can_record_debrief(actor_for(facilitator), provider_code=debrief.provider.code):
        errors["facilitator"] = _("Choose one of your service's workers.")
    if errors:
        raise ValidationError(errors)
    assert scheduled_for is not None
    existing = MediationSession.objects.filter(
        debrief=debrief, scheduled_for=scheduled_for, status=MediationStatus.PLANNED
    ).first()
    if existing is not None:
        return existing
    session = MediationSession.objects.create(
        child=debrief.episode.child,
        debrief=debrief,
        provider=debrief.provider,
        facilitator=facilitator,
        scheduled_for=scheduled_for,
        attendees=attendees.strip(),
    )
    audit_record(
        actor=planned_by,
        action=AuditAction.CREATE,
        purpose=Purpose.DEBRIEF,
        target_type="mediation_session",
        target_id=session.public_id,
        child_public_id=session.child.public_id,
        detail={"debrief": str(debrief.public_id), "scheduled_for": session.scheduled_for.isoformat()},
    )
    return session


@transaction.atomic
def mediation_session_record(
    *,
    session: MediationSession,
    recorded_by: Any,
    status: str,
    attendees: str = "",
    summary: str = "",
    agreed_actions: str = "",
    next_session_on: datetime.date | None = None,
) -> MediationSession:
    """Records what became of a session: held (with who took part, a summary and what was agreed), cancelled,
    or the family did not attend; and when the next one is."""
    if not policy.can_record_debrief(actor_for(recorded_by), provider_code=session.provider.code):
        raise NotPermitted(_("Only the provider's workers record mediation sessions."))
    errors = _mediation_errors(
        debrief=None, scheduled_for=session.scheduled_for, next_session_on=next_session_on
    )
    if status not in MediationStatus.values or status == MediationStatus.PLANNED:
        errors["status"] = _("Choose what happened to the session.")
    elif status == MediationStatus.HELD:
        if session.scheduled_for > timezone.now() + CLOCK_SKEW:
            errors["status"] = _("A session cannot be recorded as held before it takes place.")
        if not summary.strip():
            errors["summary"] = _("Summarise the session.")
        if not attendees.strip():
            errors["attendees"] = _("Say who took part.")
    if errors:
        raise ValidationError(errors)
    before = session.status
    session.status = status
    session.attendees = attendees.strip()
    session.summary = summary.strip()
    session.agreed_actions = agreed_actions.strip()
    session.next_session_on = next_session_on
    session.save()
    audit_record(
        actor=recorded_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.DEBRIEF,
        target_type="mediation_session",
        target_id=session.public_id,
        child_public_id=session.child.public_id,
        detail={"status": [before, status]},
    )
    return session
