"""Repeat and exploitation triggers (issue 6, item 7): the writes that open hub tasks with a due date, complete
them, and record the SERAF-style exploitation screening.

- Repeat missing: `HAFAN_REPEAT_MISSING_EPISODES` reports in `HAFAN_REPEAT_MISSING_DAYS` days opens a strategy
  meeting task, due `HAFAN_STRATEGY_MEETING_DUE_DAYS` days later.
- Exploitation: a current exploitation fact recorded in the last `HAFAN_EXPLOITATION_INDICATOR_DAYS` days (from
  a debrief or an agency's flag) or a latest screening in the high band opens an exploitation review, due `HAFAN_EXPLOITATION_REVIEW_DUE_DAYS` days later.

A child has at most one open task of each kind. Once a task is done, a new one opens only on evidence that
arrived after it was completed (a new episode; a new exploitation fact or high screening). Hooks call
`triggers_for_child` when an episode is reported and when a debrief shares facts; `triggers_run` (the
scheduler, `hafan triggers_run`) catches what arrived by bulk import, which skips the hooks. Everything here is
idempotent: running it again changes nothing.

A task's `trigger` is stored unencrypted, so it holds rule names, figures and agency codes, never free text.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import FactCategory, Purpose, Role
from hafan.episodes.models import Episode
from hafan.notifications.models import NotificationKind
from hafan.notifications.services import notify
from hafan.people.models import Allocation, AllocationKind, Child, Fact
from hafan.risk.models import ExploitationScreening, HubTask, HubTaskKind, HubTaskStatus
from hafan.risk.rules import SCREENING_WEIGHTS, is_repeat_missing, repeat_count, screening_score
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

HIGH_BAND = "high"


def _exploitation_facts(child: Child, *, now: datetime.datetime) -> Any:
    """The child's current, recent exploitation facts: recorded by their source in the last
    `HAFAN_EXPLOITATION_INDICATOR_DAYS` days (an old concern is history, already on the briefing, not a new
    indicator), not withdrawn, not corrected, not from a withdrawn record, and not restricted by their owner (a
    restricted fact must not surface, even as a count on a task)."""
    since = timezone.localdate(now) - datetime.timedelta(days=settings.HAFAN_EXPLOITATION_INDICATOR_DAYS)
    return (
        Fact.objects.filter(
            child=child,
            category=FactCategory.EXPLOITATION,
            recorded_on__gte=since,
            withdrawn_at__isnull=True,
            superseded_by__isnull=True,
            restricted_at__isnull=True,
        )
        .exclude(source_record__withdrawn_at__isnull=False)
        .select_related("agency")
    )


def _last_done(child: Child, kind: HubTaskKind) -> HubTask | None:
    return (
        HubTask.objects.filter(child=child, kind=kind, status=HubTaskStatus.DONE, completed_at__isnull=False)
        .order_by("-completed_at", "-id")
        .first()
    )


def _recipients(task: HubTask) -> list[Any]:
    """Who is told: the hub's police coordinators and supervisors, and the child's case-holding social worker,
    each only if they may open the task."""
    user_model = get_user_model()
    now = timezone.now()
    police = user_model.objects.filter(
        is_active=True, hub_member=True, role__in=[Role.POLICE_COORDINATOR, Role.POLICE_SUPERVISOR]
    ).select_related("agency")
    holders = [
        a.user
        for a in Allocation.objects.filter(
            child=task.child, kind=AllocationKind.CASE_HOLDER, started_at__lte=now
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .select_related("user", "user__agency")
    ]
    return [
        u
        for u in [*police, *holders]
        if policy.can_view_hub_task(actor_for(u), relation=relation_to(u, task.child, now=now))
    ]


def _task_url(task: HubTask) -> str:
    # The address without a language prefix: each recipient's own language applies when they follow it.
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("risk:task", kwargs={"public_id": task.public_id})


def _open_task(
    *,
    child: Child,
    kind: HubTaskKind,
    episode: Episode | None,
    trigger: dict[str, Any],
    due_at: datetime.datetime,
) -> HubTask | None:
    """Opens the task unless one of its kind is already open (the constraint settles a race). Audits and tells
    the people who act on it."""
    try:
        with transaction.atomic():
            task = HubTask.objects.create(
                child=child, episode=episode, kind=kind, trigger=trigger, due_at=due_at
            )
    except IntegrityError:
        return None  # another run opened it first
    audit_record(
        actor=None,
        action=AuditAction.CREATE,
        purpose=Purpose.PLANNING,
        target_type="hub_task",
        target_id=task.public_id,
        child_public_id=child.public_id,
        detail={"kind": str(kind), "trigger": trigger, "due_at": due_at.isoformat()},
    )
    notify(
        recipients=_recipients(task),
        kind=NotificationKind.HUB_TASK,
        params={"task_kind": str(kind), "due": due_at.isoformat()},
        url=_task_url(task),
        dedupe_key=f"hub-task:{task.public_id}",
    )
    return task


def _repeat_trigger(*, child: Child, now: datetime.datetime, episode: Episode | None) -> HubTask | None:
    episodes, days = settings.HAFAN_REPEAT_MISSING_EPISODES, settings.HAFAN_REPEAT_MISSING_DAYS
    times = list(Episode.objects.filter(child=child).values_list("reported_at", flat=True))
    if not is_repeat_missing(times, now=now, episodes=episodes, days=days):
        return None
    kind = HubTaskKind.STRATEGY_MEETING
    if HubTask.objects.filter(child=child, kind=kind, status=HubTaskStatus.OPEN).exists():
        return None
    done = _last_done(child, kind)
    if (
        done is not None
        and not Episode.objects.filter(child=child, created_at__gt=done.completed_at).exists()
    ):
        return None  # the meeting was held; no episode since
    trigger = {
        "rule": "repeat",
        "episodes": episodes,
        "days": days,
        "count": repeat_count(times, now=now, days=days),
    }
    due = now + datetime.timedelta(days=settings.HAFAN_STRATEGY_MEETING_DUE_DAYS)
    return _open_task(child=child, kind=kind, episode=episode, trigger=trigger, due_at=due)


def _exploitation_trigger(*, child: Child, now: datetime.datetime, episode: Episode | None) -> HubTask | None:
    facts = list(_exploitation_facts(child, now=now))
    latest = ExploitationScreening.objects.filter(child=child).order_by("-screened_at", "-id").first()
    high = latest is not None and latest.band == HIGH_BAND
    if not facts and not high:
        return None
    kind = HubTaskKind.EXPLOITATION_REVIEW
    if HubTask.objects.filter(child=child, kind=kind, status=HubTaskStatus.OPEN).exists():
        return None
    done = _last_done(child, kind)
    if done is not None and done.completed_at is not None:
        new_fact = any(f.created_at > done.completed_at for f in facts)
        new_screening = high and latest is not None and latest.created_at > done.completed_at
        if not (new_fact or new_screening):
            return None  # reviewed; nothing new since
    trigger = {
        "rule": "exploitation",
        "facts": len(facts),
        "agencies": sorted({f.agency.code for f in facts}),
        "screening_score": latest.score if latest is not None else None,
        "screening_band": latest.band if latest is not None else None,
    }
    due = now + datetime.timedelta(days=settings.HAFAN_EXPLOITATION_REVIEW_DUE_DAYS)
    return _open_task(child=child, kind=kind, episode=episode, trigger=trigger, due_at=due)


@transaction.atomic
def triggers_for_child(
    *, child: Child, now: datetime.datetime | None = None, episode: Episode | None = None
) -> list[HubTask]:
    """Checks the repeat and exploitation rules for one child and opens the tasks they call for. Returns the
    tasks opened (none when they are already open, or done with no new evidence since)."""
    now = now or timezone.now()
    if child.merged_into_id is not None:
        return []  # a merged identity's history lives on the surviving child
    if episode is None:
        episode = Episode.objects.filter(child=child).order_by("-reported_at", "-id").first()
    made = [
        _repeat_trigger(child=child, now=now, episode=episode),
        _exploitation_trigger(child=child, now=now, episode=episode),
    ]
    return [task for task in made if task is not None]


def triggers_run(*, now: datetime.datetime | None = None) -> int:
    """For the scheduler: the same checks for every child with an episode, an exploitation fact or a screening
    in the last `HAFAN_REPEAT_MISSING_DAYS` days, however it arrived (bulk imports skip the hooks). Each child
    in its own transaction. Returns the number of tasks opened."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.HAFAN_REPEAT_MISSING_DAYS)
    ids = set(
        Episode.objects.filter(Q(created_at__gte=since) | Q(reported_at__gte=since)).values_list(
            "child_id", flat=True
        )
    )
    ids |= set(
        Fact.objects.filter(category=FactCategory.EXPLOITATION, created_at__gte=since).values_list(
            "child_id", flat=True
        )
    )
    ids |= set(ExploitationScreening.objects.filter(created_at__gte=since).values_list("child_id", flat=True))
    opened = 0
    for child in Child.objects.filter(pk__in=ids, merged_into__isnull=True).order_by("pk").iterator():
        opened += len(triggers_for_child(child=child, now=now))
    return opened


@transaction.atomic
def hub_task_complete(*, task: HubTask, user: Any, outcome: str) -> HubTask:
    """Records a task's outcome (the meeting held, the review done) and closes it."""
    if not policy.can_complete_hub_task(actor_for(user)):
        raise NotPermitted(_("Only the hub's police and social workers complete hub tasks."))
    task = HubTask.objects.select_for_update().select_related("child").get(pk=task.pk)
    if task.status != HubTaskStatus.OPEN:
        raise InvalidAction(_("This task is already done."))
    if not outcome.strip():
        raise ValidationError({"outcome": _("Record the outcome: what was decided and who will do what.")})
    task.status = HubTaskStatus.DONE
    task.completed_by = user
    task.completed_at = timezone.now()
    task.outcome = outcome.strip()
    task.save(update_fields=["status", "completed_by", "completed_at", "outcome", "updated_at"])
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        purpose=Purpose.PLANNING,
        target_type="hub_task",
        target_id=task.public_id,
        child_public_id=task.child.public_id,
        detail={"kind": task.kind, "status": [HubTaskStatus.OPEN, HubTaskStatus.DONE]},
    )
    return task


@transaction.atomic
def screening_record(
    *, child: Child, episode: Episode | None, screened_by: Any, answers: dict[str, bool]
) -> ExploitationScreening:
    """Records an exploitation screening: the indicators answered, the weighted score and its band. A high band
    opens an exploitation review (triggers_for_child)."""
    if not policy.can_screen_exploitation(actor_for(screened_by), relation=relation_to(screened_by, child)):
        raise NotPermitted(
            _("Only hub casework staff and the child's social worker screen for exploitation.")
        )
    unknown = sorted(code for code in answers if code not in SCREENING_WEIGHTS)
    if unknown:
        raise ValidationError(
            {"indicators": _("Unknown indicators: %(items)s.") % {"items": ", ".join(unknown)}}
        )
    if episode is not None and episode.child_id != child.pk:
        raise ValidationError({"episode": _("This episode is not about this child.")})
    answered = {code: bool(answers.get(code, False)) for code in SCREENING_WEIGHTS}
    score, band = screening_score(answered, high_from=settings.HAFAN_SCREENING_REVIEW_SCORE)
    screening = ExploitationScreening.objects.create(
        child=child,
        episode=episode,
        answers=answered,  # type: ignore[misc]  # EncryptedJSONField is typed as its text base; it stores JSON
        score=score,
        band=band,
        screened_by=screened_by,
        screened_at=timezone.now(),
    )
    audit_record(
        actor=screened_by,
        action=AuditAction.CREATE,
        purpose=Purpose.PLANNING,
        target_type="exploitation_screening",
        target_id=screening.public_id,
        child_public_id=child.public_id,
        detail={"score": score, "band": band},
    )
    if band == HIGH_BAND:
        triggers_for_child(child=child, episode=episode)
    return screening
