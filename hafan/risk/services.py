from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from hafan.core.errors import EditConflict, InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, Purpose, RiskGrade, Role
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.services import information_call_retime
from hafan.notifications.models import NotificationKind
from hafan.notifications.services import notify
from hafan.people.selectors import response_plan_in_force
from hafan.risk.models import Answer, RiskAssessment, RiskFactor, RiskQuestion
from hafan.risk.rules import grade_at_least
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

# `based_on` left out: don't check for a conflicting grade (the API and the demo generator).
DONT_CHECK: Any = object()
NOTE_MAX_CHARS = 2000


def _conflict_message(newest: RiskAssessment | None) -> str:
    if newest is None:
        return _("The grade you started from is not this episode's current grade. Nothing has been saved.")
    return _(
        "%(name)s saved a %(grade)s grade at %(when)s, after you opened this form. Nothing you entered has "
        "been saved: compare the two versions below, then save yours again if it should replace theirs."
    ) % {
        "name": newest.author.get_full_name() or newest.author.get_username(),
        "grade": newest.get_grade_display(),
        "when": formats.date_format(timezone.localtime(newest.assessed_at), "j F Y, H:i"),
    }


def _answers_checked(answers: dict[str, dict[str, Any]], errors: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The structured answers as stored, or errors (keyed answer_<code> / note_<code>, or "answers")."""
    stored: dict[str, dict[str, Any]] = {}
    unknown = sorted(code for code in answers if code not in RiskQuestion.values)
    if unknown:
        errors["answers"] = _("Unknown risk questions: %(items)s.") % {"items": ", ".join(unknown)}
    for code in RiskQuestion.values:
        given = answers.get(code)
        if given is None:
            continue
        answer = str(given.get("answer") or "")
        if answer not in Answer.values:
            errors[f"answer_{code}"] = _("Answer yes, no or not known.")
            continue
        note = str(given.get("note") or "").strip()
        if len(note) > NOTE_MAX_CHARS:
            errors[f"note_{code}"] = _("Keep the note to %(n)s characters or fewer.") % {"n": NOTE_MAX_CHARS}
        prefilled = str(given.get("prefilled") or "")
        if prefilled not in Answer.values:
            prefilled = ""
        source_date = given.get("source_date")
        if isinstance(source_date, datetime.date):
            source_date = source_date.isoformat()
        stored[code] = {
            "answer": answer,
            "note": note,
            "prefilled": prefilled,
            "source": str(given.get("source") or "") if prefilled else "",
            "source_date": str(source_date or "") if prefilled else "",
            "corrected": bool(prefilled) and prefilled != answer,
        }
    return stored


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
    answers: dict[str, dict[str, Any]] | None = None,
    based_on: RiskAssessment | object | None = DONT_CHECK,
) -> RiskAssessment:
    """Grades (or re-grades) an episode. Earlier grades are kept as history.

    A grade below the child's response plan's minimum needs `departs_from_plan=True`: an explicit,
    recorded decision, explained in the rationale.

    `answers` are the structured questions, by RiskQuestion code: {"answer", "note", "prefilled", "source",
    "source_date"} (what Hafan pre-filled and where from, if anything); stored with "corrected" (a pre-filled
    answer the officer changed). `based_on` is the assessment in force when the grader opened the form (None
    for none): if another grade has been saved since, EditConflict (with the newest) and nothing is written.
    Leave it out to skip the check (the API, the demo)."""
    if not policy.can_grade_risk(actor_for(author)):
        raise NotPermitted(_("Only hub police staff grade risk."))
    # Re-read under a lock: the caller's copy may predate the episode being closed.
    episode = Episode.objects.select_for_update().select_related("child").get(pk=episode.pk)
    if episode.status == EpisodeStatus.CLOSED:
        raise InvalidAction(_("A closed episode cannot be re-graded."))
    newest = episode.risk_assessments.select_related("author").first()
    if based_on is not DONT_CHECK:
        expected = based_on.pk if isinstance(based_on, RiskAssessment) else None
        if (newest.pk if newest is not None else None) != expected:
            raise EditConflict(_conflict_message(newest), current=newest)
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
    stored_answers = _answers_checked(answers or {}, errors)
    plan = response_plan_in_force(episode.child)  # a proposal waiting for agreement sets no floor
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
        answers=stored_answers,  # type: ignore[misc]  # an EncryptedJSONField takes the document
        supersedes=newest,
    )
    audit_record(
        actor=author,
        action=AuditAction.CREATE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="risk_assessment",
        target_id=assessment.public_id,
        child_public_id=episode.child.public_id,
        detail={
            "episode": episode.reference,
            "grade": grade,
            "departs_from_plan": below_plan,
            "supersedes": str(newest.public_id) if newest is not None else "",
            "answered": sorted(stored_answers),
            "corrected": sorted(code for code, a in stored_answers.items() if a["corrected"]),
        },
    )
    # Issue 6 / information call: a higher grade brings the agencies' deadlines forward.
    information_call_retime(episode=episode, grade=grade, now=assessed_at)
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


def _overdue_assessments(now: datetime.datetime) -> list[RiskAssessment]:
    """Each open episode's current grade whose review is overdue (most overdue first)."""
    newest = RiskAssessment.objects.filter(episode=OuterRef("episode")).order_by("-assessed_at", "-id")
    return list(
        RiskAssessment.objects.filter(episode__status=EpisodeStatus.MISSING, next_review_due__lt=now)
        .filter(pk=Subquery(newest.values("pk")[:1]))
        .select_related("episode", "author")
        .order_by("next_review_due", "id")
    )


def _hub_police_supervisors() -> list[Any]:
    staff = get_user_model().objects.select_related("agency")
    candidates = staff.filter(
        is_active=True, role=Role.POLICE_SUPERVISOR, hub_member=True, agency__kind=AgencyKind.POLICE
    )
    return [user for user in candidates if policy.can_confirm_risk(actor_for(user))]


def reviews_overdue_notify(*, now: datetime.datetime | None = None) -> int:
    """For the scheduler: tells each overdue grade's author and the hub's police supervisors that its review is
    overdue, once per grade (re-running tells nobody twice). Returns how many notices were made."""
    now = now or timezone.now()
    supervisors = _hub_police_supervisors()
    made = 0
    for assessment in _overdue_assessments(now):
        episode = assessment.episode
        with translation.override(settings.LANGUAGE_CODE):
            url = reverse("episodes:detail", args=[episode.public_id])
        made += len(
            notify(
                recipients=[assessment.author, *supervisors],
                kind=NotificationKind.REVIEW_OVERDUE,
                params={
                    "reference": episode.reference,
                    "grade": assessment.grade,
                    "due": assessment.next_review_due.isoformat(),
                },
                url=url,
                dedupe_key=f"review-overdue:{assessment.public_id}",
            )
        )
    return made
