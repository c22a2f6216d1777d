from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import Purpose, Relation
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.selectors import episodes_visible_to
from hafan.risk.models import (
    Answer,
    ExploitationScreening,
    HubTask,
    HubTaskStatus,
    RiskAssessment,
    RiskQuestion,
)
from hafan.sharing import policy
from hafan.sharing.access import actor_for, relation_to
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def risk_assessment_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> RiskAssessment:
    """One risk assessment, for staff who may see risk grading; 404 otherwise. Audited."""
    if not policy.can_view_risk_assessment(actor_for(user)):
        raise NotFoundOrNoAccess
    try:
        assessment = RiskAssessment.objects.select_related("episode__child", "author", "confirmed_by").get(
            public_id=public_id
        )
    except (RiskAssessment.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    # Grading is part of the child's record: only for staff who may see this child.
    if not policy.can_view_child_record(
        actor_for(user), relation=relation_to(user, assessment.episode.child)
    ):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.MISSING_EPISODE,
        target_type="risk_assessment",
        target_id=assessment.public_id,
        child_public_id=assessment.episode.child.public_id,
    )
    return assessment


@dataclass
class ReviewList:
    """Open episodes whose current grade is past its review (most overdue first), and open episodes with no
    grade at all (longest waiting first)."""

    overdue: list[RiskAssessment] = field(default_factory=list)
    ungraded: list[Episode] = field(default_factory=list)


def risk_answer_rows(assessment: RiskAssessment | None) -> list[dict[str, Any]]:
    """The structured answers of an assessment the caller has already fetched, in question order, for display:
    question, answer, note, where a pre-filled answer came from and whether the officer corrected it."""
    if assessment is None:
        return []
    stored: dict[str, Any] = dict(assessment.answers or {})  # type: ignore[arg-type]
    labels = dict(Answer.choices)
    rows: list[dict[str, Any]] = []
    for code, question in RiskQuestion.choices:
        given = stored.get(code)
        if not given:
            continue
        source_date: datetime.date | None = None
        try:
            source_date = datetime.date.fromisoformat(given.get("source_date") or "")
        except ValueError:
            source_date = None
        rows.append(
            {
                "code": code,
                "question": question,
                "answer": labels.get(given.get("answer", ""), given.get("answer", "")),
                "note": given.get("note", ""),
                "prefilled": bool(given.get("prefilled")),
                "prefilled_answer": labels.get(given.get("prefilled", ""), ""),
                "source": given.get("source", ""),
                "source_date": source_date,
                "corrected": bool(given.get("corrected")),
            }
        )
    return rows


def risk_reviews_overdue(user: Any, *, now: datetime.datetime | None = None) -> ReviewList:
    """The review list, for the hub's police (policy.can_view_review_list); 404 for anyone else. Audited."""
    if not policy.can_view_review_list(actor_for(user)):
        raise NotFoundOrNoAccess
    now = now or timezone.now()
    open_episodes = episodes_visible_to(user).filter(status=EpisodeStatus.MISSING)
    newest = RiskAssessment.objects.filter(episode=OuterRef("episode")).order_by("-assessed_at", "-id")
    overdue = list(
        RiskAssessment.objects.filter(episode__in=open_episodes, next_review_due__lt=now)
        .filter(pk=Subquery(newest.values("pk")[:1]))
        .select_related("episode__child", "episode__council", "author", "confirmed_by")
        .order_by("next_review_due", "id")
    )
    ungraded = list(open_episodes.filter(risk_assessments__isnull=True).order_by("reported_at", "id"))
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        purpose=Purpose.MISSING_EPISODE,
        target_type="risk_review_list",
        target_id="overdue",
        detail={"overdue": len(overdue), "ungraded": len(ungraded)},
    )
    return ReviewList(overdue=overdue, ungraded=ungraded)


# --- Issue 6 / triggers, hub tasks and screening


def hub_tasks_visible_to(user: Any) -> QuerySet[HubTask]:
    """The hub's tasks (every child's) for hub casework staff; none for anyone else."""
    if not policy.can_view_hub_tasks(actor_for(user)):
        return HubTask.objects.none()
    return HubTask.objects.select_related("child", "episode", "completed_by")


def hub_tasks_overdue_count(user: Any, *, now: datetime.datetime | None = None) -> int:
    """Open tasks past their due date that the user may see (the count on the navigation)."""
    overdue = hub_tasks_visible_to(user).filter(status=HubTaskStatus.OPEN, due_at__lt=now or timezone.now())
    return overdue.count()


def hub_task_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> HubTask:
    """One hub task, or 404 when it does not exist or the user may not see it. Audited."""
    try:
        task = HubTask.objects.select_related("child", "episode", "completed_by").get(public_id=public_id)
    except (HubTask.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFoundOrNoAccess from exc
    relation = relation_to(user, task.child)
    if not policy.can_view_hub_task(actor_for(user), relation=relation):
        raise NotFoundOrNoAccess
    audit_record(
        actor=user,
        action=AuditAction.BREAK_GLASS if relation == Relation.BREAK_GLASS else AuditAction.VIEW,
        purpose=Purpose.PLANNING,
        target_type="hub_task",
        target_id=task.public_id,
        child_public_id=task.child.public_id,
    )
    return task


def open_hub_tasks_for_child(child: Any) -> list[HubTask]:
    """The child's open hub tasks, soonest due first, for a page that has already fetched the child."""
    return list(HubTask.objects.filter(child=child, status=HubTaskStatus.OPEN).order_by("due_at", "id"))


def screenings_for_child(child: Any) -> list[ExploitationScreening]:
    """The child's exploitation screenings, newest first, for a page that has already fetched the child."""
    return list(ExploitationScreening.objects.filter(child=child).select_related("screened_by"))
