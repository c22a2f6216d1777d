"""The analytics store's refresh (issue 8): each dimension from real episodes built through the services,
re-running changes nothing, an incremental refresh picks up a changed debrief."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from hafan.analytics import refresh
from hafan.analytics.models import EpisodeFact
from hafan.analytics.refresh import (
    analytics_refresh,
    episode_facts_refresh,
    placement_from,
    school_from,
)
from hafan.core.vocabulary import FactCategory
from hafan.debriefs.models import Debrief
from hafan.debriefs.services import debrief_offer_decide
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.linkage.services import child_merge
from hafan.people.models import PlanStatus
from hafan.people.services import PersonDetails, fact_add, response_plan_decide, response_plan_propose
from hafan.risk.services import risk_grade_record

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _ago(hours: float) -> datetime.datetime:
    return NOW - datetime.timedelta(hours=hours)


def _fact(
    child: Any, agency: Any, category: str, summary: str, recorded_on: datetime.date, actor: Any
) -> None:
    fact_add(
        child=child,
        agency=agency,
        category=FactCategory(category),
        summary=summary,
        recorded_on=recorded_on,
        source="test feed",
        actor=actor,
    )


def _details(given: str = "Cerys", family: str = "Jones", born: datetime.date | None = None) -> PersonDetails:
    return PersonDetails(
        given_name=given, family_name=family, date_of_birth=born or datetime.date(2011, 3, 4), sex="female"
    )


def _return(episode: Episode, coordinator: Any, partnership: dict[str, Any], hours_ago: float) -> Episode:
    return episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=_ago(hours_ago),
        found_where="Cwmbran bus station",
        found_by="police",
        harm_suffered=True,
        harm_details="A cut to the hand.",
        found_council=partnership["TCBC"],
    )


def test_every_dimension_comes_from_the_episode_and_its_child(
    report_missing: Any,
    coordinator: Any,
    social_worker: Any,
    debrief_worker: Any,
    partnership: dict[str, Any],
) -> None:
    first = report_missing(
        child_details=_details(), reported_at=_ago(200), last_seen_at=_ago(201), category="missing_from_care"
    )
    child = first.child
    day = timezone.localdate(_ago(500))
    _fact(
        child,
        partnership["NCC"],
        "looked_after",
        "Looked after: Care order; placement: Children's home from 01/01/2024",
        day,
        coordinator,
    )
    _fact(child, partnership["NCC"], "school", "On roll at Ysgol Gyfun Gwent (Year 10).", day, coordinator)
    _return(first, coordinator, partnership, 190)
    plan = response_plan_propose(
        child=child,
        proposed_by=social_worker,
        plan="Carers check the skate park first.",
        treat_as_grade="medium",
        review_due=timezone.localdate() + datetime.timedelta(days=90),
        based_on=None,
        at=_ago(150),
    )
    if plan.status == PlanStatus.PROPOSED:
        response_plan_decide(plan=plan, social_worker=social_worker, agree=True, note="", at=_ago(150))
    second = report_missing(child_details=_details(), reported_at=_ago(100), last_seen_at=_ago(101))
    assert second.child_id == child.pk
    risk_grade_record(
        episode=second,
        author=coordinator,
        grade="low",
        factors=[],
        rationale="Known pattern.",
        assessed_at=_ago(99),
        next_review_due=_ago(90),
        departs_from_plan=True,
    )
    risk_grade_record(
        episode=second,
        author=coordinator,
        grade="high",
        factors=[],
        rationale="Seen with older males.",
        assessed_at=_ago(98),
        next_review_due=_ago(80),
        based_on=second.risk_assessments.order_by("-assessed_at").first(),
    )
    _return(second, coordinator, partnership, 50)
    debrief = Debrief.objects.get(episode=second)
    debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="held", at=_ago(10))

    assert episode_facts_refresh(now=NOW) == 2
    row = EpisodeFact.objects.get(episode_key=second.pk)
    assert row.episode_id == second.pk
    assert row.child_key == child.pk
    assert row.council == "NCC"
    assert row.school == "Ysgol Gyfun Gwent"
    assert row.placement_type == "residential"
    assert row.care_status == "looked_after"
    assert row.sex == "female"
    assert row.age_years == child.age_on(timezone.localdate(second.reported_at))
    assert row.age_band in ("14-15", "16-17", "11-13")
    assert row.grade == "high"  # the highest grade in the episode, not the latest
    assert row.found_by == "police" and row.found_council == "TCBC" and row.harm is True
    assert row.prior_episodes_365 == 1
    assert row.plan_in_force is True
    assert row.debrief_status == "held" and row.debrief_offered and row.debrief_held
    assert row.debrief_held_in_time is True
    assert row.hours_to_debrief == pytest.approx(40, abs=0.01)
    assert row.duration_hours == pytest.approx(50, abs=0.01)
    assert row.month == timezone.localdate(second.reported_at).replace(day=1)
    earlier = EpisodeFact.objects.get(episode_key=first.pk)
    assert earlier.prior_episodes_365 == 0
    assert earlier.plan_in_force is False  # agreed after this report
    assert earlier.category == "missing_from_care"
    assert earlier.debrief_held is False


def test_without_care_facts_the_placement_follows_the_category(
    report_missing: Any, partnership: dict[str, Any]
) -> None:
    home = report_missing(child_details=_details("Alaw", "Rees"))
    care = report_missing(child_details=_details("Bethan", "Morgan"), category="missing_from_care")
    episode_facts_refresh(now=NOW)
    assert EpisodeFact.objects.get(episode_key=home.pk).placement_type == "home"
    assert EpisodeFact.objects.get(episode_key=home.pk).care_status == "none"
    assert EpisodeFact.objects.get(episode_key=care.pk).placement_type == "care (unknown type)"
    assert EpisodeFact.objects.get(episode_key=home.pk).debrief_status == ""


def test_the_repeat_rule_counts_reports_in_the_window(
    report_missing: Any, coordinator: Any, partnership: dict[str, Any], settings: Any
) -> None:
    settings.HAFAN_REPEAT_MISSING_EPISODES = 3
    settings.HAFAN_REPEAT_MISSING_DAYS = 30
    made = []
    for days in (40, 20, 10, 5):
        episode = report_missing(
            child_details=_details(), reported_at=_ago(days * 24), last_seen_at=_ago(days * 24 + 1)
        )
        made.append(_return(episode, coordinator, partnership, days * 24 - 2))
    episode_facts_refresh(now=NOW)
    flags = [EpisodeFact.objects.get(episode_key=e.pk).repeat for e in made]
    assert flags == [False, False, True, True]
    assert [EpisodeFact.objects.get(episode_key=e.pk).prior_episodes_365 for e in made] == [0, 1, 2, 3]


def test_re_running_changes_nothing_and_incremental_picks_up_a_changed_debrief(
    report_missing: Any,
    coordinator: Any,
    debrief_worker: Any,
    partnership: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(refresh, "OVERLAP", datetime.timedelta(0))
    episode = report_missing(child_details=_details(), reported_at=_ago(80), last_seen_at=_ago(81))
    _return(episode, coordinator, partnership, 60)
    other = report_missing(child_details=_details("Dylan", "Price"))
    first_run = timezone.now()
    episode_facts_refresh(now=first_run)
    before = list(EpisodeFact.objects.order_by("episode_key").values())
    assert len(before) == 2
    episode_facts_refresh(now=first_run)
    assert list(EpisodeFact.objects.order_by("episode_key").values()) == before

    debrief = Debrief.objects.get(episode=episode)
    debrief_offer_decide(debrief=debrief, worker=debrief_worker, decision="held", at=_ago(0.5))
    second_run = timezone.now()
    assert analytics_refresh(now=second_run) == 1
    row = EpisodeFact.objects.get(episode_key=episode.pk)
    assert row.debrief_held is True
    assert row.debrief_held_in_time is True  # 59.5 hours after the return
    assert row.refreshed_at == second_run
    # The untouched episode was not rewritten.
    assert EpisodeFact.objects.get(episode_key=other.pk).refreshed_at == first_run
    assert EpisodeFact.objects.count() == 2


def test_a_merged_child_counts_as_the_surviving_identity(
    report_missing: Any, coordinator: Any, partnership: dict[str, Any]
) -> None:
    one = report_missing(child_details=_details("Efa", "Lloyd", datetime.date(2010, 1, 1)))
    two = report_missing(child_details=_details("Ffion", "Thomas", datetime.date(2009, 5, 5)))
    episode_facts_refresh(now=NOW)
    child_merge(keep=one.child, merge=two.child, actor=coordinator)
    analytics_refresh(now=NOW + datetime.timedelta(minutes=1))
    keys = set(EpisodeFact.objects.values_list("child_key", flat=True))
    assert keys == {one.child_id}


def test_the_command_does_a_full_refresh(report_missing: Any, partnership: dict[str, Any]) -> None:
    episode = report_missing(child_details=_details())
    call_command("analytics_refresh", "--full")
    assert EpisodeFact.objects.filter(episode_key=episode.pk).exists()
    call_command("analytics_refresh")
    assert EpisodeFact.objects.count() == 1


def test_the_text_parsers() -> None:
    assert school_from("On roll at Ysgol Bryn (Year 9).") == "Ysgol Bryn"
    assert school_from("On roll at Caerleon Comprehensive (LA 680 establishment 4001)") == (
        "Caerleon Comprehensive"
    )
    assert (
        school_from("Left Bassaleg School in summer 2023; at a further education college.")
        == "Bassaleg School"
    )
    assert school_from("Attendance 80%") == ""
    assert placement_from("Looked after: Care order; placement: Foster care from 01/02/2024") == "foster_care"
    assert (
        placement_from(
            "Looked after by Newport under a care order since May 2022. Placed at 4 children's home, Newport."
        )
        == "residential"
    )
    assert placement_from("Looked after (school record)") == ""


def test_the_queries_do_not_grow_with_the_episodes(report_missing: Any, partnership: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name in ("Alaw Rees", "Bethan Morgan"):
        report_missing(child_details=_details(*name.split()))
    episode_facts_refresh(now=NOW)  # the first builds the summaries' state row; later ones update it
    with CaptureQueriesContext(connection) as few:
        episode_facts_refresh(now=NOW)
    for name in ("Carys Hughes", "Dylan Price", "Efa Lloyd", "Ffion Thomas"):
        report_missing(child_details=_details(*name.split()))
    with CaptureQueriesContext(connection) as more:
        assert episode_facts_refresh(now=NOW) == 6
    assert len(more.captured_queries) == len(few.captured_queries)
