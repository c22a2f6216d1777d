"""Writes about debriefs. What the child agreed to share, or what must be shared to keep them safe,
flows back to the child's record as facts (places, associates, exploitation concerns)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, FactCategory, Purpose
from hafan.core.vocabulary import ShareBasis as FactShareBasis
from hafan.debriefs.models import Debrief, Indicator, OfferStatus, PullFactor, PushFactor, ShareBasis
from hafan.people.services import fact_add
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

EXPLOITATION_INDICATORS = {Indicator.CSE, Indicator.CCE, Indicator.COUNTY_LINES, Indicator.TRAFFICKING}


def debrief_provider() -> Agency:
    """The partnership's debrief provider: its one charity."""
    return Agency.objects.get(kind=AgencyKind.CHARITY, in_partnership=True)


@transaction.atomic
def debrief_offer_create(*, episode: Any, actor: Any) -> Debrief:
    """Opens the debrief offer for a returned child; called by episode_record_return."""
    if episode.returned_at is None:
        raise InvalidAction(_("A debrief is offered only once the child has returned."))
    debrief, created = Debrief.objects.get_or_create(
        episode=episode,
        defaults={
            "provider": debrief_provider(),
            "due_by": episode.returned_at + datetime.timedelta(hours=settings.HAFAN_DEBRIEF_DEADLINE_HOURS),
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


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@transaction.atomic
def debrief_record(
    *,
    debrief: Debrief,
    worker: Any,
    status: str,
    offered_at: datetime.datetime | None = None,
    held_at: datetime.datetime | None = None,
    not_offered_reason: str = "",
    where_went: str = "",
    who_with: str = "",
    travel: str = "",
    push_factors: list[str] | None = None,
    pull_factors: list[str] | None = None,
    indicators: list[str] | None = None,
    harm_details: str = "",
    child_wishes: str = "",
    share_basis: str = ShareBasis.NONE,
    places_to_share: str = "",
    associates_to_share: str = "",
) -> Debrief:
    """Records the offer decision and, once held, what the child said."""
    if not policy.can_record_debrief(actor_for(worker), provider_code=debrief.provider.code):
        raise NotPermitted(_("Only the debrief provider's workers record debriefs."))
    push_factors, pull_factors, indicators = push_factors or [], pull_factors or [], indicators or []
    errors: dict[str, str] = {}
    if status not in OfferStatus.values or status == OfferStatus.AWAITING:
        errors["status"] = _("Choose what happened to the offer.")
    if status == OfferStatus.NOT_OFFERED and not not_offered_reason.strip():
        errors["not_offered_reason"] = _("Say why a debrief was not offered.")
    if (
        status in {OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.HELD}
        and offered_at is None
    ):
        errors["offered_at"] = _("Enter when the debrief was offered.")
    if status == OfferStatus.HELD and held_at is None:
        errors["held_at"] = _("Enter when the debrief was held.")
    returned_at = debrief.episode.returned_at
    for name, value in (("offered_at", offered_at), ("held_at", held_at)):
        if value is not None and returned_at is not None and value < returned_at:
            errors[name] = _("This must be after the child returned.")
        if value is not None and value > timezone.now() + datetime.timedelta(minutes=5):
            errors[name] = _("This cannot be in the future.")
    if held_at and offered_at and held_at < offered_at:
        errors["held_at"] = _("A debrief is held after it is offered.")
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
    if (places_to_share.strip() or associates_to_share.strip()) and share_basis == ShareBasis.NONE:
        errors["share_basis"] = _(
            "Say on what basis places and associates are shared: the child's consent or safeguarding."
        )
    if errors:
        raise ValidationError(errors)

    before = debrief.status
    debrief.status = status
    debrief.worker = worker
    debrief.offered_at = offered_at
    debrief.held_at = held_at if status == OfferStatus.HELD else None
    debrief.not_offered_reason = not_offered_reason.strip()
    debrief.where_went = where_went.strip()
    debrief.who_with = who_with.strip()
    debrief.travel = travel.strip()
    debrief.push_factors = sorted(set(push_factors))
    debrief.pull_factors = sorted(set(pull_factors))
    debrief.indicators = sorted(set(indicators))
    debrief.harm_details = harm_details.strip()
    debrief.child_wishes = child_wishes.strip()
    debrief.share_basis = share_basis
    debrief.save()
    audit_record(
        actor=worker,
        action=AuditAction.UPDATE,
        purpose=Purpose.DEBRIEF,
        target_type="debrief",
        target_id=debrief.public_id,
        child_public_id=debrief.episode.child.public_id,
        detail={"status": [before, status], "share_basis": share_basis},
    )

    if share_basis != ShareBasis.NONE and status == OfferStatus.HELD:
        child = debrief.episode.child
        # Facts are stored data, written in English whatever the worker's interface language.
        with translation.override("en"):
            basis = str(ShareBasis(share_basis).label)
            concerns = [str(Indicator(i).label) for i in debrief.indicators if i in EXPLOITATION_INDICATORS]
        source = f"{debrief.provider.name_en} debrief, {debrief.episode.reference} ({basis})"
        day = timezone.localdate(held_at) if held_at else timezone.localdate()
        shared = [(FactCategory.PLACE, p) for p in _lines(places_to_share)]
        shared += [(FactCategory.ASSOCIATE, a) for a in _lines(associates_to_share)]
        if concerns:
            shared.append((FactCategory.EXPLOITATION, "Debrief indicators: " + ", ".join(concerns)))
        already = set(debrief.shared_facts.values_list("category", "summary"))
        for category, summary in shared:
            if (category, summary) in already:
                continue  # saving the debrief again must not repeat what was already shared
            fact_add(
                child=child,
                agency=debrief.provider,
                category=category,
                summary=summary,
                recorded_on=day,
                source=source,
                actor=worker,
                purpose=Purpose.DEBRIEF,
                debrief=debrief,
                share_basis=FactShareBasis(debrief.share_basis),
            )
        # Issue 6 / triggers: exploitation concerns shared back open an exploitation review.
        from hafan.risk.triggers import triggers_for_child

        triggers_for_child(child=child, episode=debrief.episode)
    return debrief
