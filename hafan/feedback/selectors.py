"""Reads for the young person's feedback: the link a token opens, the debrief page's panel, and the results
counted per service."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count as DbCount
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.core.vocabulary import AgencyKind, Purpose
from hafan.debriefs.models import Debrief, OfferStatus
from hafan.feedback.figures import Count, response_rate, shown, suppress_counts
from hafan.feedback.models import Answer3, FeedbackLink, FeedbackResponse
from hafan.feedback.tokens import looks_like_token, token_hash
from hafan.sharing import policy
from hafan.sharing.access import actor_for
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

# The questions, in the order the young person sees them (their labels: hafan.feedback.forms).
QUESTIONS = ("listened_to", "felt_safe", "helped", "right_language", "would_tell_a_friend")
ANSWERS = (Answer3.YES.value, Answer3.A_BIT.value, Answer3.NO.value)


def small_number_threshold() -> int:
    return int(getattr(settings, "HAFAN_SMALL_NUMBER_THRESHOLD", 5))


def feedback_link_open(*, token: str, now: datetime.datetime | None = None) -> FeedbackLink | None:
    """The link this token opens, if it still works: None for a used, expired, replaced or unknown link alike.
    No permission check: holding the token is the permission (256 random bits). Nothing about the child."""
    if not looks_like_token(token):
        return None
    now = now or timezone.now()
    return (
        FeedbackLink.objects.select_related("provider")
        .filter(token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=now)
        .first()
    )


# The panel on the debrief page


@dataclass(frozen=True)
class Panel:
    held: bool
    answered: bool
    latest: FeedbackLink | None
    # "open" (sent, not used yet), "used" or "expired" (ran out, or replaced by a newer link)
    latest_state: str

    @property
    def can_ask(self) -> bool:
        return self.held and not self.answered


def feedback_panel_for(*, user: Any, debrief: Debrief, now: datetime.datetime | None = None) -> Panel | None:
    """What the debrief page's feedback panel shows: None for anyone but the provider's debrief workers. The
    link's state only: the young person's answers are read on the results page, never next to their debrief."""
    if not policy.can_ask_for_feedback(actor_for(user), provider_code=debrief.provider.code):
        return None
    now = now or timezone.now()
    latest = FeedbackLink.objects.filter(debrief=debrief).order_by("-created_at", "-id").first()
    answered = FeedbackLink.objects.filter(debrief=debrief, used_at__isnull=False).exists()
    state = ""
    if latest is not None:
        state = "used" if latest.used_at else ("open" if latest.expires_at > now else "expired")
    return Panel(
        held=debrief.status == OfferStatus.HELD, answered=answered, latest=latest, latest_state=state
    )


# Results counted per service


@dataclass(frozen=True)
class QuestionCounts:
    question: str
    counts: dict[str, Count]

    @property
    def yes(self) -> Count:
        return self.counts[Answer3.YES]

    @property
    def a_bit(self) -> Count:
        return self.counts[Answer3.A_BIT]

    @property
    def no(self) -> Count:
        return self.counts[Answer3.NO]


@dataclass(frozen=True)
class Comment:
    month: datetime.date
    language: str
    text: str


@dataclass
class ServiceResults:
    provider: Agency
    exact: bool
    links_sent: Count
    responses: Count
    rate: int | None
    questions: list[QuestionCounts] = field(default_factory=list)
    # None: this viewer may not read them (not an empty list, which means nobody wrote one).
    comments: list[Comment] | None = None


def _providers_for(user: Any) -> list[Agency]:
    actor = actor_for(user)
    asked = set(FeedbackLink.objects.values_list("provider_id", flat=True).distinct())
    candidates = Agency.objects.filter(pk__in=asked) | Agency.objects.filter(
        kind=AgencyKind.CHARITY, in_partnership=True
    )
    return [
        a
        for a in candidates.distinct().order_by("name_en")
        if policy.can_view_feedback_service(actor, provider_code=a.code)
    ]


def feedback_results_for(*, user: Any) -> list[ServiceResults]:
    """One row per service the user may see: links sent (debriefs asked), answers, the response rate and each
    question's yes / a bit / no, small numbers withheld outside the service (hafan.feedback.figures); the
    comments for the service's own debrief workers only (audited: they are the young people's own words)."""
    actor = actor_for(user)
    threshold = small_number_threshold()
    results = []
    for provider in _providers_for(user):
        exact = policy.can_view_exact_feedback_counts(actor, provider_code=provider.code)
        asked = FeedbackLink.objects.filter(provider=provider).values("debrief_id").distinct().count()
        responses = FeedbackResponse.objects.filter(provider=provider)
        answered = responses.count()
        row = ServiceResults(
            provider=provider,
            exact=exact,
            links_sent=shown(asked, threshold=threshold, exact=exact),
            responses=shown(answered, threshold=threshold, exact=exact),
            rate=response_rate(answered, asked, threshold=threshold, exact=exact),
        )
        for question in QUESTIONS:
            counts = {
                r[question]: r["n"]
                for r in responses.order_by().values(question).annotate(n=DbCount("id"))
                if r[question] in ANSWERS
            }
            row.questions.append(
                QuestionCounts(
                    question=question,
                    counts=suppress_counts(
                        counts, order=ANSWERS, threshold=threshold, exact=exact, answers=answered
                    ),
                )
            )
        if policy.can_view_feedback_comments(actor, provider_code=provider.code):
            written = [r for r in responses.order_by("-submitted_at", "-id") if r.comment.strip()]
            row.comments = [
                Comment(
                    month=timezone.localdate(r.submitted_at).replace(day=1),
                    language=r.language,
                    text=r.comment,
                )
                for r in written
            ]
            if written:
                audit_record(
                    actor=user,
                    action=AuditAction.VIEW,
                    purpose=Purpose.DEBRIEF,
                    target_type="feedback_comments",
                    target_id=provider.code,
                    detail={"responses": [str(r.public_id) for r in written]},
                )
        results.append(row)
    return results
