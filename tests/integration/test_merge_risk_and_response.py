"""When two hub identities turn out to be one child (linkage merge), the risk and response work follows the
child: profile versions continue in date order, and there is still at most one open task per kind and one plan
waiting for agreement."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from hafan.episodes.models import Episode
from hafan.linkage.services import child_merge
from hafan.people.models import ChildProfile, PlanStatus, ResponsePlan
from hafan.people.services import PersonDetails, child_profile_save, response_plan_propose
from hafan.risk.models import ExploitationScreening, HubTask, HubTaskStatus
from hafan.risk.triggers import screening_record

HIGH = {"carries_weapon": True, "gang_places": True, "returns_injured": True}


def test_a_merge_moves_profiles_tasks_screenings_and_keeps_one_waiting_plan(
    report_missing: Callable[..., Episode], coordinator: Any, social_worker: Any
) -> None:
    keep = report_missing().child
    other = report_missing(
        child_details=PersonDetails(
            given_name="Cerys",
            family_name="Jones-Price",
            date_of_birth=datetime.date(2011, 3, 4),
            sex="female",
        )
    ).child
    assert keep.pk != other.pk
    for child, when in ((keep, 3), (other, 2), (keep, 1)):
        child_profile_save(
            child=child,
            prepared_by=social_worker,
            based_on_version=ChildProfile.objects.filter(child=child).count() or None,
            description=f"Saved {when} days ago",
            now=timezone.now() - datetime.timedelta(days=when),
        )
    review = timezone.localdate() + datetime.timedelta(days=90)
    for child in (keep, other):
        response_plan_propose(
            child=child,
            proposed_by=coordinator,
            plan=f"Plan for {child.pk}",
            review_due=review,
            based_on=None,
        )
        screening_record(child=child, episode=None, screened_by=social_worker, answers=HIGH)
    assert HubTask.objects.filter(status=HubTaskStatus.OPEN).count() == 2

    child_merge(keep=keep, merge=other, actor=coordinator, reason="Same child: NHS number")

    versions = list(ChildProfile.objects.filter(child=keep).order_by("version"))
    assert [p.version for p in versions] == [1, 2, 3]
    assert [p.description for p in versions] == ["Saved 3 days ago", "Saved 2 days ago", "Saved 1 days ago"]
    assert ExploitationScreening.objects.filter(child=keep).count() == 2
    assert HubTask.objects.filter(child=keep, status=HubTaskStatus.OPEN).count() == 1
    assert HubTask.objects.filter(child=keep, status=HubTaskStatus.DONE).count() == 1
    waiting = ResponsePlan.objects.filter(child=keep, status=PlanStatus.PROPOSED)
    assert [p.plan for p in waiting] == [f"Plan for {keep.pk}"]
    assert ResponsePlan.objects.filter(child=keep, status=PlanStatus.SUPERSEDED).count() == 1
