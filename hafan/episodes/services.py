"""Writes about missing episodes. Each function is one transaction and writes its own audit rows."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, Purpose
from hafan.debriefs.services import debrief_offer_create
from hafan.episodes.models import REPORTABLE_CATEGORIES, Episode, EpisodeStatus, FoundBy
from hafan.linkage.services import possible_matches, record_match
from hafan.people.models import Child
from hafan.people.services import PersonDetails, child_create, child_find_match, source_record_upsert
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

HUB_SYSTEM = "Hafan"


def _next_reference(reported_at: datetime.datetime) -> str:
    year = timezone.localtime(reported_at).year
    prefix = f"MIS-{year}-"
    last = (
        Episode.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _sure_model_match(details: PersonDetails) -> Child | None:
    """The trained model's match, when it is sure (at or above the upper threshold) of exactly one child."""
    sure = {
        m.child.pk: m.child
        for m in possible_matches(details.as_link_record())
        if m.probability >= settings.HAFAN_LINK_UPPER
    }
    return next(iter(sure.values())) if len(sure) == 1 else None


def _create_with_next_reference(*, reported_at: datetime.datetime, fields: dict[str, Any]) -> Episode:
    """Two reports made at the same moment could both pick the next number; the unique constraint
    refuses the second, which then takes the number after (in a savepoint, so nothing else is lost)."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Episode.objects.create(reference=_next_reference(reported_at), **fields)
        except IntegrityError:
            continue
    raise InvalidAction(_("Could not allocate an episode reference: try again."))


@transaction.atomic
def episode_report(
    *,
    reported_by: Any,
    child_details: PersonDetails,
    category: str,
    reported_at: datetime.datetime,
    reporter_name: str,
    reporter_organisation: str = "",
    last_seen_at: datetime.datetime,
    last_seen_place: str,
    circumstances: str = "",
    clothing: str = "",
    council: Agency | None = None,
    child: Child | None = None,
) -> Episode:
    """Opens a missing episode. The child is matched to a hub identity or a new one is made.

    `child` may be given when the coordinator has already confirmed which hub identity this is.
    """
    actor = actor_for(reported_by)
    if not policy.can_report_episode(actor):
        raise NotPermitted(_("Only hub police staff and social workers report children missing."))
    errors: dict[str, str] = {}
    if category not in REPORTABLE_CATEGORIES:
        errors["category"] = _("Choose missing from home, missing from care or away from placement.")
    if not reporter_name.strip():
        errors["reporter_name"] = _("Enter who reported the child missing.")
    if not last_seen_place.strip():
        errors["last_seen_place"] = _("Enter where the child was last seen.")
    now = timezone.now()
    if reported_at > now + datetime.timedelta(minutes=5):
        errors["reported_at"] = _("The report time cannot be in the future.")
    if last_seen_at > reported_at:
        errors["last_seen_at"] = _("The child must have been last seen before the report was made.")
    if council is not None and council.kind != AgencyKind.COUNCIL:
        errors["council"] = _("Choose a council.")
    try:
        details = child_details.cleaned()
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    matched = child or child_find_match(details) or _sure_model_match(details)
    matched_existing = matched is not None
    if matched is None:
        matched = child_create(
            details=details, actor=reported_by, purpose=Purpose.MISSING_EPISODE, responsible_council=council
        )
    elif council is not None and matched.responsible_council_id is None:
        matched.responsible_council = council
        matched.save(update_fields=["responsible_council", "updated_at"])

    fields = {
        "child": matched,
        "council": council or matched.responsible_council,
        "category": category,
        "reported_at": reported_at,
        "reporter_name": reporter_name.strip(),
        "reporter_organisation": reporter_organisation.strip(),
        "reported_by": reported_by,
        "last_seen_at": last_seen_at,
        "last_seen_place": last_seen_place.strip(),
        "circumstances": circumstances.strip(),
        "clothing": clothing.strip(),
    }
    episode = _create_with_next_reference(reported_at=reported_at, fields=fields)
    # The report itself is a source of the child's details, kept like any agency's record.
    hub_record = source_record_upsert(
        child=matched,
        agency=reported_by.agency,
        system=HUB_SYSTEM,
        local_id=episode.reference,
        details=details,
        recorded_on=timezone.localdate(reported_at),
        actor=reported_by,
        purpose=Purpose.MISSING_EPISODE,
    )
    # Possible matches the model is unsure of go to the review queue (and show on the briefing).
    record_match(record=hub_record, actor=reported_by)
    episode.refresh_from_db()
    audit_record(
        actor=reported_by,
        action=AuditAction.CREATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="episode",
        target_id=episode.public_id,
        child_public_id=episode.child.public_id,
        detail={"reference": episode.reference, "category": category, "matched_existing": matched_existing},
    )
    return episode


@transaction.atomic
def episode_record_return(
    *,
    episode: Episode,
    recorded_by: Any,
    returned_at: datetime.datetime,
    found_where: str,
    found_by: str,
    harm_suffered: bool,
    harm_details: str = "",
    safe_and_well_at: datetime.datetime | None = None,
    safe_and_well_by: str = "",
    safe_and_well_notes: str = "",
) -> Episode:
    """Records that the child is found or has returned, the police safe-and-well check, and opens the
    debrief offer for the charity (due 72 hours after return)."""
    if not policy.can_record_return(actor_for(recorded_by)):
        raise NotPermitted(_("Only hub police staff record a return."))
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.status != EpisodeStatus.MISSING:
        raise InvalidAction(_("This episode already has a return recorded."))
    errors: dict[str, str] = {}
    if returned_at < episode.reported_at - datetime.timedelta(days=30) or returned_at < episode.last_seen_at:
        errors["returned_at"] = _("The return must be after the child was last seen.")
    if returned_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["returned_at"] = _("The return time cannot be in the future.")
    if not found_where.strip():
        errors["found_where"] = _("Enter where the child was found or returned to.")
    if found_by not in FoundBy.values:
        errors["found_by"] = _("Choose who found the child.")
    if harm_suffered and not harm_details.strip():
        errors["harm_details"] = _("Describe the harm the child suffered.")
    if safe_and_well_at is not None and safe_and_well_at < returned_at:
        errors["safe_and_well_at"] = _("The safe and well check must be after the return.")
    if errors:
        raise ValidationError(errors)
    before = episode.status
    episode.status = EpisodeStatus.RETURNED
    episode.returned_at = returned_at
    episode.found_where = found_where.strip()
    episode.found_by = found_by
    episode.harm_suffered = harm_suffered
    episode.harm_details = harm_details.strip()
    episode.safe_and_well_at = safe_and_well_at
    episode.safe_and_well_by = safe_and_well_by.strip()
    episode.safe_and_well_notes = safe_and_well_notes.strip()
    episode.save()
    audit_record(
        actor=recorded_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="episode",
        target_id=episode.public_id,
        child_public_id=episode.child.public_id,
        detail={"status": [before, episode.status], "found_by": found_by},
    )
    debrief_offer_create(episode=episode, actor=recorded_by)
    return episode


@transaction.atomic
def episode_record_safe_and_well(
    *, episode: Episode, recorded_by: Any, checked_at: datetime.datetime, checked_by: str, notes: str = ""
) -> Episode:
    if not policy.can_record_return(actor_for(recorded_by)):
        raise NotPermitted(_("Only hub police staff record the safe and well check."))
    if episode.returned_at is None:
        raise InvalidAction(_("Record the return before the safe and well check."))
    if checked_at < episode.returned_at:
        raise ValidationError({"safe_and_well_at": _("The safe and well check must be after the return.")})
    if not checked_by.strip():
        raise ValidationError({"safe_and_well_by": _("Enter who carried out the check.")})
    episode.safe_and_well_at = checked_at
    episode.safe_and_well_by = checked_by.strip()
    episode.safe_and_well_notes = notes.strip()
    episode.save(update_fields=["safe_and_well_at", "safe_and_well_by", "safe_and_well_notes", "updated_at"])
    audit_record(
        actor=recorded_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="episode",
        target_id=episode.public_id,
        child_public_id=episode.child.public_id,
        detail={"safe_and_well": True},
    )
    return episode


@transaction.atomic
def episode_close(*, episode: Episode, closed_by: Any, closed_at: datetime.datetime | None = None) -> Episode:
    """Closes a returned episode. A closed episode is read-only: no re-grading, no second return."""
    if not policy.can_record_return(actor_for(closed_by)):
        raise NotPermitted(_("Only hub police staff close an episode."))
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.status != EpisodeStatus.RETURNED:
        raise InvalidAction(_("Only an episode whose child has returned can be closed."))
    if episode.safe_and_well_at is None:
        raise InvalidAction(_("Record the police safe and well check before closing the episode."))
    episode.status = EpisodeStatus.CLOSED
    episode.closed_at = closed_at or timezone.now()
    episode.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(
        actor=closed_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="episode",
        target_id=episode.public_id,
        child_public_id=episode.child.public_id,
        detail={"status": [EpisodeStatus.RETURNED, EpisodeStatus.CLOSED]},
    )
    return episode
