"""Writes about missing episodes. Each function is one transaction and writes its own audit rows."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hafan.accounts.models import User
from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, DataCategory, FactCategory, Purpose, Role
from hafan.debriefs.models import Debrief
from hafan.debriefs.services import debrief_offer_create
from hafan.episodes.models import (
    REPORTABLE_CATEGORIES,
    Episode,
    EpisodeStatus,
    FoundBy,
    InformationRequest,
    InformationRequestStatus,
    InformationService,
)
from hafan.linkage.services import possible_matches, record_match
from hafan.notifications.models import NotificationKind
from hafan.notifications.services import notify
from hafan.people.models import Child, Fact, SourceRecord
from hafan.people.services import (
    PersonDetails,
    child_create,
    child_find_match,
    fact_add,
    source_record_upsert,
)
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
    # Issue 6 / information call: ask each agency involved with the child what it knows.
    # The call's clock starts when the child was reported (a report entered late leaves the agencies the rest).
    information_call_open(episode=episode, actor=reported_by, now=min(timezone.now(), episode.reported_at))
    # Issue 6 / triggers: repeat missing and exploitation open hub tasks (imported here: risk imports episodes).
    from hafan.risk.triggers import triggers_for_child

    triggers_for_child(child=episode.child, episode=episode, now=max(timezone.now(), episode.reported_at))
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
    found_council: Agency | None = None,
) -> Episode:
    """Records that the child is found or has returned, the police safe-and-well check, and opens the
    debrief offer for the charity (due 72 hours after return). A child found outside their responsible
    council's area is notified to both councils (`_notify_found_out_of_area`)."""
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
    if found_council is not None and found_council.kind != AgencyKind.COUNCIL:
        errors["found_council"] = _("Choose the council area where the child was found.")
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
    episode.found_council = found_council
    episode.save()
    audit_record(
        actor=recorded_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="episode",
        target_id=episode.public_id,
        child_public_id=episode.child.public_id,
        detail={
            "status": [before, episode.status],
            "found_by": found_by,
            "found_council": found_council.code if found_council else None,
        },
    )
    debrief_offer_create(episode=episode, actor=recorded_by)
    _notify_found_out_of_area(episode)
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


# The information call (issue 6): when a report opens, each agency involved with the child is asked what it
# knows, with a deadline set by the risk grade; unanswered requests past it escalate to the hub supervisors.

# The facts that answer each service's part of the call, when the agency's records in Hafan already hold them.
INFORMATION_SERVICE_DATA: dict[str, DataCategory] = {
    InformationService.SOCIAL_CARE: DataCategory.SOCIAL_CARE,
    InformationService.EDUCATION: DataCategory.EDUCATION,
    InformationService.HEALTH: DataCategory.HEALTH,
    InformationService.DEBRIEF: DataCategory.DEBRIEF_DISCLOSURE,
}
# A school's records arrive as Common Transfer Files (hafan.ingest.adapters.ctf).
EDUCATION_SYSTEMS = frozenset({"CTF"})
ANSWER_ITEMS_MAX = 5
ANSWER_TEXT_MAX = 2000
DEFAULT_CALL_GRADE = "medium"


def _current_facts(child: Child) -> QuerySet[Fact]:
    """What the agencies' records in Hafan state about the child now: not withdrawn, not from a withdrawn
    record, not replaced by a correction."""
    return Fact.objects.filter(child=child, withdrawn_at__isnull=True, superseded_by__isnull=True).exclude(
        source_record__withdrawn_at__isnull=False
    )


def _information_call_minutes(grade: str | None) -> int:
    minutes: dict[str, int] = settings.HAFAN_INFORMATION_CALL_MINUTES
    return minutes.get(grade or DEFAULT_CALL_GRADE, minutes[DEFAULT_CALL_GRADE])


def _information_call_targets(episode: Episode) -> list[tuple[Agency, InformationService]]:
    """Who is asked: the responsible council's social care and education; every partner health board; a
    charity only if it already knows the child (a debrief, or records or facts from it); and any other partner
    council whose records in Hafan hold the child (a school in another county, a placing authority)."""
    child = episode.child
    targets: list[tuple[Agency, InformationService]] = []

    def ask(agency: Agency, service: InformationService) -> None:
        if agency.in_partnership and (agency, service) not in targets:
            targets.append((agency, service))

    council = episode.council or child.responsible_council
    if council is not None and council.kind == AgencyKind.COUNCIL:
        ask(council, InformationService.SOCIAL_CARE)
        ask(council, InformationService.EDUCATION)
    for board in Agency.objects.filter(kind=AgencyKind.HEALTH, in_partnership=True).order_by("code"):
        ask(board, InformationService.HEALTH)

    facts_held = set(_current_facts(child).values_list("agency_id", "data_category"))
    # The report itself is kept as the reporting agency's record (HUB_SYSTEM): that is not the agency knowing
    # the child.
    records_held = set(
        SourceRecord.objects.filter(child=child, withdrawn_at__isnull=True)
        .exclude(system=HUB_SYSTEM)
        .values_list("agency_id", "system")
    )
    debriefed_by = set(Debrief.objects.filter(episode__child=child).values_list("provider_id", flat=True))
    for charity in Agency.objects.filter(kind=AgencyKind.CHARITY, in_partnership=True).order_by("code"):
        if (
            charity.pk in debriefed_by
            or any(agency_id == charity.pk for agency_id, _c in facts_held)
            or any(agency_id == charity.pk for agency_id, _s in records_held)
        ):
            ask(charity, InformationService.DEBRIEF)
    others = Agency.objects.filter(kind=AgencyKind.COUNCIL, in_partnership=True).order_by("code")
    for other in others.exclude(pk=council.pk) if council is not None else others:
        categories = {category for agency_id, category in facts_held if agency_id == other.pk}
        systems = {system.upper() for agency_id, system in records_held if agency_id == other.pk}
        if DataCategory.EDUCATION in categories or systems & EDUCATION_SYSTEMS:
            ask(other, InformationService.EDUCATION)
        if categories - {DataCategory.EDUCATION} or systems - EDUCATION_SYSTEMS:
            ask(other, InformationService.SOCIAL_CARE)
    return targets


def _current_grade(episode: Episode) -> str | None:
    grade: str | None = (
        episode.risk_assessments.order_by("-assessed_at", "-id").values_list("grade", flat=True).first()
    )
    return grade


@transaction.atomic
def information_call_open(
    *, episode: Episode, actor: Any, now: datetime.datetime | None = None
) -> list[InformationRequest]:
    """Asks each agency involved with the child what it knows (idempotent: an agency's service is asked once
    per episode). Where the agency's records in Hafan already hold current facts of the service's kind, the
    request is answered from them at once. Returns every request of the episode."""
    now = now or timezone.now()
    due_at = now + datetime.timedelta(minutes=_information_call_minutes(_current_grade(episode)))
    facts = _current_facts(episode.child)
    for agency, service in _information_call_targets(episode):
        found = facts.filter(agency=agency, data_category=INFORMATION_SERVICE_DATA[service]).count()
        automatic = found > 0
        request, created = InformationRequest.objects.get_or_create(
            episode=episode,
            agency=agency,
            service=service,
            defaults={
                "asked_at": now,
                "due_at": due_at,
                "status": InformationRequestStatus.ANSWERED if automatic else InformationRequestStatus.OPEN,
                "answered_at": now if automatic else None,
                "answered_automatically": automatic,
                "facts_found": found,
            },
        )
        if created:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                purpose=Purpose.MISSING_EPISODE,
                target_type="information_request",
                target_id=request.public_id,
                child_public_id=episode.child.public_id,
                detail={
                    "episode": episode.reference,
                    "agency": agency.code,
                    "service": str(service),
                    "answered_automatically": automatic,
                    "facts_found": found,
                },
            )
    return list(episode.information_requests.select_related("agency").order_by("due_at", "id"))


@transaction.atomic
def information_request_answer(
    *,
    request: InformationRequest,
    answered_by: Any,
    nothing_known: bool,
    items: list[tuple[str, str]],
    note: str = "",
) -> InformationRequest:
    """The asked agency's hub worker answers: nothing known, or up to ANSWER_ITEMS_MAX items, each of which
    becomes a fact of the agency with the call as its provenance (labelled and handled like any of the
    agency's facts). Errors name `nothing_known`, `items`, `items.<n>.category`, `items.<n>.summary`, `note`."""
    request = (
        InformationRequest.objects.select_for_update(of=("self",))
        .select_related("episode__child", "agency")
        .get(pk=request.pk)
    )
    if not policy.can_answer_information_request(
        actor_for(answered_by), agency_code=request.agency.code, service=request.service
    ):
        raise NotPermitted(_("Only the asked agency's hub worker for this service answers the request."))
    if request.status != InformationRequestStatus.OPEN:
        raise InvalidAction(_("This request has already been answered."))
    errors: dict[str, str] = {}
    if len(items) > ANSWER_ITEMS_MAX:
        errors["items"] = _("Give at most %(n)d items.") % {"n": ANSWER_ITEMS_MAX}
    for index, (category, summary) in enumerate(items):
        if category not in FactCategory.values:
            errors[f"items.{index}.category"] = _("Choose what the item is about.")
        if not summary.strip():
            errors[f"items.{index}.summary"] = _("Say what your agency knows.")
        elif len(summary.strip()) > ANSWER_TEXT_MAX:
            errors[f"items.{index}.summary"] = _("Keep each item to %(n)d characters or fewer.") % {
                "n": ANSWER_TEXT_MAX
            }
    if nothing_known and items:
        errors["nothing_known"] = _("Either say that nothing is known, or give what is known: not both.")
    elif not nothing_known and not items:
        errors["nothing_known"] = _(
            "Say that your agency knows nothing about the child, or give at least one item."
        )
    if len(note.strip()) > ANSWER_TEXT_MAX:
        errors["note"] = _("Keep the note to %(n)d characters or fewer.") % {"n": ANSWER_TEXT_MAX}
    if errors:
        raise ValidationError(errors)
    episode, child = request.episode, request.episode.child
    worker = answered_by.get_full_name() or answered_by.get_username()
    source = f"Information call {episode.reference}: {worker}"
    today = timezone.localdate()
    for category, summary in items:
        fact_add(
            child=child,
            agency=request.agency,
            category=FactCategory(category),
            summary=summary,
            recorded_on=today,
            source=source,
            actor=answered_by,
            purpose=Purpose.MISSING_EPISODE,
            information_request=request,
        )
    request.status = InformationRequestStatus.ANSWERED
    request.answered_at = timezone.now()
    request.answered_by = answered_by
    request.nothing_known = nothing_known
    request.answer = note.strip()
    request.facts_found = len(items)
    request.save(
        update_fields=[
            "status",
            "answered_at",
            "answered_by",
            "nothing_known",
            "answer",
            "facts_found",
            "updated_at",
        ]
    )
    audit_record(
        actor=answered_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="information_request",
        target_id=request.public_id,
        child_public_id=child.public_id,
        detail={
            "episode": episode.reference,
            "agency": request.agency.code,
            "service": request.service,
            "nothing_known": nothing_known,
            "items": len(items),
        },
    )
    return request


@transaction.atomic
def information_call_retime(*, episode: Episode, grade: str, now: datetime.datetime | None = None) -> int:
    """A new grade brings the open requests' deadlines forward to the grade's (never back: an agency already
    told "within the hour" is not told it can wait). Returns how many were brought forward. Deadlines count
    from when each request was asked, not from `now`: one already past its new deadline escalates on the
    scheduler's next run."""
    minutes = datetime.timedelta(minutes=_information_call_minutes(grade))
    moved = 0
    open_requests = InformationRequest.objects.select_for_update().filter(
        episode=episode, status=InformationRequestStatus.OPEN
    )
    for request in open_requests:
        due_at = request.asked_at + minutes
        if due_at < request.due_at:
            request.due_at = due_at
            request.save(update_fields=["due_at", "updated_at"])
            moved += 1
    if moved:
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            purpose=Purpose.MISSING_EPISODE,
            target_type="episode",
            target_id=episode.public_id,
            child_public_id=episode.child.public_id,
            detail={"information_call_retimed": moved, "grade": grade},
        )
    return moved


def _hub_supervisors() -> QuerySet[User]:
    return User.objects.filter(
        role=Role.POLICE_SUPERVISOR,
        hub_member=True,
        is_active=True,
        agency__kind=AgencyKind.POLICE,
        agency__in_partnership=True,
    ).order_by("pk")


def _briefing_path(episode: Episode) -> str:
    # Notices link without a language prefix: the recipient's own language applies when they follow it.
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("episodes:detail", kwargs={"public_id": episode.public_id})


@transaction.atomic
def information_calls_escalate(*, now: datetime.datetime | None = None) -> int:
    """Open requests past their deadline, not yet escalated, of episodes not closed: each is marked escalated
    and every active hub police supervisor is told (once per request, however often this runs). Returns how
    many requests were escalated."""
    now = now or timezone.now()
    overdue = list(
        InformationRequest.objects.select_for_update(of=("self",))
        .filter(status=InformationRequestStatus.OPEN, due_at__lt=now, escalated_at__isnull=True)
        # Once the child is found, an unanswered call no longer needs a supervisor's chase.
        .filter(episode__status=EpisodeStatus.MISSING)
        .select_related("episode__child", "agency")
        .order_by("due_at", "id")
    )
    if not overdue:
        return 0
    supervisors = list(_hub_supervisors())
    for request in overdue:
        request.escalated_at = now
        request.save(update_fields=["escalated_at", "updated_at"])
        episode = request.episode
        notify(
            recipients=supervisors,
            kind=NotificationKind.INFORMATION_CALL_ESCALATED,
            params={
                "reference": episode.reference,
                "agency_code": request.agency.code,
                "service": request.service,
                "due": request.due_at.isoformat(),
            },
            url=_briefing_path(episode),
            dedupe_key=f"information-escalated:{request.public_id}",
        )
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            purpose=Purpose.MISSING_EPISODE,
            target_type="information_request",
            target_id=request.public_id,
            child_public_id=episode.child.public_id,
            detail={
                "episode": episode.reference,
                "agency": request.agency.code,
                "service": request.service,
                "escalated_to": len(supervisors),
            },
        )
    return len(overdue)


# --- Notifications and assignment (issue 6, item 6)


def _notify_found_out_of_area(episode: Episode) -> None:
    """A child found outside their responsible council's area: tells the hub social workers of both councils
    (host and responsible) and the child's case holder, once. Nothing when found in their own area or when
    either council is unknown."""
    from hafan.notifications.models import NotificationKind
    from hafan.notifications.recipients import case_holders, council_hub_social_workers
    from hafan.notifications.services import notify

    responsible = episode.child.responsible_council or episode.council
    found = episode.found_council
    if found is None or responsible is None or found.pk == responsible.pk:
        return
    notify(
        recipients=[*council_hub_social_workers([found.pk, responsible.pk]), *case_holders(episode.child)],
        kind=NotificationKind.FOUND_OUT_OF_AREA,
        params={
            "reference": episode.reference,
            "found_council_code": found.code,
            "responsible_council_code": responsible.code,
        },
        url=f"/episodes/{episode.public_id}/",
        dedupe_key=f"out-of-area:{episode.public_id}",
    )


@transaction.atomic
def episode_assign(*, episode: Episode, assigned_by: Any, assignee: Any) -> Episode:
    """Assigns the episode to a hub police coordinator or supervisor (replacing any earlier assignee) and tells
    them (in the app and by email). Assigning it to the person who already has it changes nothing; assigning
    it to yourself sends no notice."""
    from hafan.notifications.models import NotificationKind
    from hafan.notifications.selectors import notices_about
    from hafan.notifications.services import notify

    if not policy.can_assign_episode(actor_for(assigned_by)):
        raise NotPermitted(_("Only hub police coordinators and supervisors assign episodes."))
    episode = Episode.objects.select_for_update().select_related("child").get(pk=episode.pk)
    if episode.status == EpisodeStatus.CLOSED:
        raise InvalidAction(_("This episode is closed: it cannot be assigned."))
    if assignee is None or not policy.can_assign_episode(actor_for(assignee)):
        raise ValidationError({"assignee": _("Choose an active hub police coordinator or supervisor.")})
    if episode.assigned_to_id == assignee.pk:
        return episode
    before = episode.assigned_to.username if episode.assigned_to else None
    episode.assigned_to = assignee
    episode.assigned_at = timezone.now()
    episode.save(update_fields=["assigned_to", "assigned_at", "updated_at"])
    audit_record(
        actor=assigned_by,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="episode",
        target_id=episode.public_id,
        child_public_id=episode.child.public_id,
        detail={"assigned_to": [before, assignee.username]},
    )
    if assignee.pk != assigned_by.pk:
        prefix = f"assigned:{episode.public_id}:{assignee.pk}:"
        notify(
            recipients=[assignee],
            kind=NotificationKind.EPISODE_ASSIGNED,
            params={"reference": episode.reference},
            url=f"/episodes/{episode.public_id}/",
            dedupe_key=f"{prefix}{notices_about(recipient=assignee, dedupe_prefix=prefix) + 1}",
        )
    return episode
