from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Purpose, RiskGrade
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.risk.models import RiskAssessment, RiskFactor
from hafan.risk.rules import grade_at_least
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


@transaction.atomic
def risk_grade_record(
    *,
    episode: Episode,
    author: Any,
    grade: str,
    factors: list[str],
    rationale: str,
    next_review_due: datetime.datetime,
    assessed_at: datetime.datetime | None = None,
    departs_from_plan: bool = False,
) -> RiskAssessment:
    """Grades (or re-grades) an episode. Earlier grades are kept as history.

    A grade below the child's response plan's minimum needs `departs_from_plan=True`: an explicit,
    recorded decision, explained in the rationale."""
    if not policy.can_grade_risk(actor_for(author)):
        raise NotPermitted(_("Only hub police staff grade risk."))
    # Re-read under a lock: the caller's copy may predate the episode being closed.
    episode = Episode.objects.select_for_update().select_related("child").get(pk=episode.pk)
    if episode.status == EpisodeStatus.CLOSED:
        raise InvalidAction(_("A closed episode cannot be re-graded."))
    assessed_at = assessed_at or timezone.now()
    errors: dict[str, str] = {}
    if grade not in RiskGrade.values:
        errors["grade"] = _("Choose a risk grade.")
    unknown = [f for f in factors if f not in RiskFactor.values]
    if unknown:
        errors["factors"] = _("Unknown risk factors: %(items)s.") % {"items": ", ".join(unknown)}
    if not rationale.strip():
        errors["rationale"] = _("Explain why you chose this grade.")
    if next_review_due <= assessed_at:
        errors["next_review_due"] = _("The next review must be after the assessment.")
    plan = episode.child.response_plans.first()
    floor = plan.treat_as_grade if plan is not None else ""
    below_plan = grade in RiskGrade.values and bool(floor) and not grade_at_least(RiskGrade(grade), floor)
    if not errors and below_plan and not departs_from_plan:
        errors["grade"] = _(
            "The child's response plan says to treat them as at least %(grade)s risk. To grade lower, "
            "say that this grade departs from the response plan and explain why in the rationale."
        ) % {"grade": RiskGrade(floor).label}
    if errors:
        raise ValidationError(errors)
    assessment = RiskAssessment.objects.create(
        episode=episode,
        grade=grade,
        factors=sorted(set(factors)),
        rationale=rationale.strip(),
        departs_from_plan=below_plan,
        author=author,
        assessed_at=assessed_at,
        next_review_due=next_review_due,
    )
    audit_record(
        actor=author,
        action=AuditAction.CREATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="risk_assessment",
        target_id=assessment.public_id,
        child_public_id=episode.child.public_id,
        detail={"episode": episode.reference, "grade": grade, "departs_from_plan": below_plan},
    )
    return assessment


@transaction.atomic
def risk_grade_confirm(*, assessment: RiskAssessment, supervisor: Any) -> RiskAssessment:
    if not policy.can_confirm_risk(actor_for(supervisor)):
        raise NotPermitted(_("Only a police supervisor confirms a risk grade."))
    if assessment.confirmed_at is not None:
        raise InvalidAction(_("This grade is already confirmed."))
    if assessment.author_id == supervisor.pk:
        raise InvalidAction(_("A supervisor cannot confirm their own grading."))
    assessment.confirmed_by = supervisor
    assessment.confirmed_at = timezone.now()
    assessment.save(update_fields=["confirmed_by", "confirmed_at", "updated_at"])
    audit_record(
        actor=supervisor,
        action=AuditAction.UPDATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="risk_assessment",
        target_id=assessment.public_id,
        child_public_id=assessment.episode.child.public_id,
        detail={"confirmed": True},
    )
    return assessment
