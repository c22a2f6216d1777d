"""Read-only figures for the dashboard. Managers and analysts see counts, never children."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from hafan.agencies.selectors import partner_councils
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import RISK_GRADE_ORDER, RiskGrade
from hafan.debriefs.models import Debrief, OfferStatus
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.selectors import children_repeatedly_missing, repeat_missing_count
from hafan.risk.models import RiskAssessment
from hafan.sharing import policy
from hafan.sharing.access import actor_for

NOT_GRADED = "not_graded"


@dataclass
class CouncilRow:
    council: str
    by_grade: list[int]
    total: int


@dataclass
class Dashboard:
    month_start: datetime.datetime
    grade_labels: list[str]
    by_council: list[CouncilRow]
    month_total: int
    repeat_count: int
    repeat_children: list[tuple[Any, int]]  # empty unless show_children
    debriefs_due: int
    debriefs_offered: int
    debriefs_held: int
    debriefs_held_in_time: int
    overdue_count: int
    overdue_reviews: list[Episode]  # empty unless show_children
    show_children: bool


def _latest_grade_subquery(field: str) -> Subquery:
    return Subquery(
        RiskAssessment.objects.filter(episode=OuterRef("pk"))
        .order_by("-assessed_at", "-id")
        .values(field)[:1]
    )


def dashboard_for(*, user: Any, now: datetime.datetime | None = None) -> Dashboard:
    actor = actor_for(user)
    if not policy.can_view_dashboard(actor):
        raise NotFoundOrNoAccess
    now = now or timezone.now()
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month = Episode.objects.filter(reported_at__gte=month_start, reported_at__lte=now).annotate(
        grade=_latest_grade_subquery("grade")
    )
    counts: dict[tuple[int | None, str], int] = {}
    for row in month.values("council_id", "grade").annotate(n=Count("id")):
        counts[(row["council_id"], row["grade"] or NOT_GRADED)] = row["n"]
    grades = [*list(reversed(RISK_GRADE_ORDER)), NOT_GRADED]
    rows = []
    for council in partner_councils():
        values = [counts.get((council.pk, g), 0) for g in grades]
        rows.append(CouncilRow(council=council.name, by_grade=values, total=sum(values)))
    unassigned = [counts.get((None, g), 0) for g in grades]
    if sum(unassigned):
        rows.append(
            CouncilRow(council=str(_("No council recorded")), by_grade=unassigned, total=sum(unassigned))
        )

    returned_this_month = Debrief.objects.filter(
        episode__returned_at__gte=month_start, episode__returned_at__lte=now
    )
    offered_statuses = [OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.HELD]
    debrief_counts = returned_this_month.aggregate(
        due=Count("id"),
        offered=Count("id", filter=Q(status__in=offered_statuses)),
        held=Count("id", filter=Q(status=OfferStatus.HELD)),
    )
    held_in_time = sum(
        1
        for held_at, returned_at in returned_this_month.filter(status=OfferStatus.HELD).values_list(
            "held_at", "episode__returned_at"
        )
        if held_at
        and returned_at
        and held_at - returned_at <= datetime.timedelta(hours=settings.HAFAN_DEBRIEF_DEADLINE_HOURS)
    )
    overdue: list[Episode] = list(
        Episode.objects.filter(status=EpisodeStatus.MISSING)
        .annotate(review_due=_latest_grade_subquery("next_review_due"))
        .filter(Q(review_due__lt=now) | Q(review_due__isnull=True))
        .select_related("child", "council")
        .order_by("reported_at")
    )
    show_children = policy.sees_every_child(actor)
    return Dashboard(
        month_start=month_start,
        grade_labels=[*[str(RiskGrade(g).label) for g in reversed(RISK_GRADE_ORDER)], str(_("Not graded"))],
        by_council=rows,
        month_total=sum(r.total for r in rows),
        repeat_count=repeat_missing_count(now=now),
        repeat_children=children_repeatedly_missing(user, now=now),
        debriefs_due=debrief_counts["due"],
        debriefs_offered=debrief_counts["offered"],
        debriefs_held=debrief_counts["held"],
        debriefs_held_in_time=held_in_time,
        overdue_count=len(overdue),
        overdue_reviews=overdue if show_children else [],
        show_children=show_children,
    )
