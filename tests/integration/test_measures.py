"""The performance measures (issue 8) against values computed by hand on a small seeded analytics store."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from hafan.analytics.filters import Filters
from hafan.analytics.measures import breakdown, measures_for, percentile, suppress, trend
from hafan.analytics.models import EpisodeFact
from hafan.analytics.refresh import episode_facts_refresh
from hafan.analytics.summaries import sequence_refresh, summaries_full_rebuild, summaries_ready

pytestmark = pytest.mark.django_db

Q1 = Filters(since=datetime.date(2026, 1, 1), until=datetime.date(2026, 3, 31))

# key, child, day, council, grade, band, sex, care, hours, found council, found by, harm, repeat,
# debrief status, hours to debrief, info minutes, referrals, plan in force
ROWS: list[tuple[Any, ...]] = [
    (1, 1, (2026, 1, 5), "NCC", "high", "14-15", "female", "looked_after", 10, "NCC", "police", False, False,
     "held", 30, 10, 1, True),
    (2, 1, (2026, 1, 20), "NCC", "medium", "14-15", "female", "looked_after", 30, "TCBC", "carer", True, False,
     "declined", None, 20, 0, True),
    (3, 1, (2026, 2, 1), "NCC", "high", "14-15", "female", "looked_after", 100, "NCC", "police", False, True,
     "held", 90, None, 2, True),
    (4, 2, (2026, 2, 10), "TCBC", "low", "16-17", "male", "none", 5, "TCBC", "self", False, False,
     "not_offered", None, 30, 0, False),
    (5, 2, (2026, 3, 30), "TCBC", "low", "16-17", "male", "none", None, "", "", None, False,
     "", None, None, 0, False),
    (6, 3, (2026, 3, 15), "CCBC", "medium", "11-13", "female", "child_protection", 50, "", "agency", False, True,
     "accepted", None, 40, 1, False),
    # Outside the quarter: never counted.
    (7, 1, (2025, 12, 20), "NCC", "high", "14-15", "female", "looked_after", 10, "NCC", "police", False, False,
     "held", 10, 10, 5, True),
    (8, 4, (2026, 4, 2), "MCC", "high", "14-15", "female", "none", 10, "MCC", "police", True, True,
     "held", 10, 10, 5, True),
]  # fmt: skip


def _seed() -> None:
    now = timezone.now()
    facts = []
    for (
        key, child, day, council, grade, band, sex, care, hours, found_council, found_by, harm, repeat,
        debrief, to_debrief, minutes, referrals, plan,
    ) in ROWS:  # fmt: skip
        reported_at = datetime.datetime(*day, 12, tzinfo=datetime.UTC)
        facts.append(
            EpisodeFact(
                episode_key=key,
                child_key=child,
                reported_at=reported_at,
                reported_on=datetime.date(*day),
                month=datetime.date(*day).replace(day=1),
                returned_at=reported_at + datetime.timedelta(hours=hours) if hours is not None else None,
                duration_hours=hours,
                category="missing_from_home",
                council=council,
                placement_type="home",
                care_status=care,
                sex=sex,
                age_years=None,
                age_band=band,
                grade=grade,
                found_by=found_by,
                found_council=found_council,
                harm=harm,
                repeat=repeat,
                plan_in_force=plan,
                debrief_status=debrief,
                debrief_offered=debrief in ("offered", "accepted", "declined", "held"),
                debrief_held=debrief == "held",
                debrief_held_in_time=debrief == "held" and to_debrief is not None and to_debrief <= 72,
                hours_to_debrief=to_debrief,
                info_answer_minutes=minutes,
                referrals=referrals,
                refreshed_at=now,
            )
        )
    EpisodeFact.objects.bulk_create(facts)


@pytest.fixture(params=["facts", "summaries"])
def seeded(request: Any, db: Any, settings: Any) -> None:
    """The rows, read from the facts alone (no summaries built) and through the monthly summaries."""
    settings.HAFAN_REPEAT_MISSING_EPISODES = 3
    settings.HAFAN_REPEAT_MISSING_DAYS = 30
    _seed()
    if request.param == "summaries":
        summaries_full_rebuild()
        assert summaries_ready()
    else:
        sequence_refresh()
        assert not summaries_ready()


def test_counts_children_and_repeats(seeded: None) -> None:
    m = measures_for(Q1)
    assert m.episodes == 6
    assert m.children == 3
    assert m.episodes_per_child == 2.0
    assert m.repeat_episodes == 2
    assert m.repeat_children == 2  # children 1 and 3 carry the repeat flag
    assert m.repeat_children_in_period == 1  # child 1: 5 Jan, 20 Jan, 1 Feb (27 days)


def test_durations_and_where_found(seeded: None) -> None:
    m = measures_for(Q1)
    assert m.duration_median_hours == pytest.approx(30)  # 5, 10, 30, 50, 100
    assert m.duration_p90_hours == pytest.approx(80)  # 50 + 0.6 x (100 - 50)
    assert m.duration_bands == {"under_24h": 2, "1_3_days": 2, "over_3_days": 1}
    assert (m.returned, m.still_missing) == (5, 1)
    assert (m.found_home_council, m.found_elsewhere, m.found_unknown) == (3, 1, 1)
    assert m.found_by == {"agency": 1, "carer": 1, "police": 2, "self": 1}
    assert m.found_council == {"NCC": 2, "TCBC": 2}
    assert (m.harm, m.harm_known, m.harm_rate) == (1, 5, 20.0)


def test_debriefs_information_calls_referrals_and_plans(seeded: None) -> None:
    m = measures_for(Q1)
    assert (m.debriefs_due, m.debriefs_offered, m.debriefs_accepted) == (5, 4, 3)
    assert (m.debriefs_held, m.debriefs_held_in_time) == (2, 1)
    assert m.debriefs_offered_rate == 80.0
    assert m.debriefs_accepted_rate == 75.0
    assert m.debriefs_held_rate == 40.0
    assert m.debriefs_held_in_time_rate == 20.0
    assert m.debrief_median_hours == pytest.approx(60)  # 30 and 90
    assert m.info_answer_median_minutes == pytest.approx(25)  # 10, 20, 30, 40
    assert m.referrals == 4
    assert (m.plan_in_force_at_report, m.plan_in_force_at_report_rate) == (3, 50.0)
    assert m.overdue_reviews_now == 0 and m.plans_in_force_now == 0  # seeded rows have no episode


@pytest.mark.parametrize(
    ("change", "episodes", "children"),
    [
        ({"councils": ("NCC",)}, 3, 1),
        ({"councils": ("NCC", "CCBC")}, 4, 2),
        ({"grades": ("low",)}, 2, 1),
        ({"age_bands": ("11-13",)}, 1, 1),
        ({"sexes": ("male",)}, 2, 1),
        ({"care_statuses": ("child_protection",)}, 1, 1),
        ({"placement_types": ("home",)}, 6, 3),
        ({"since": datetime.date(2026, 2, 1), "until": datetime.date(2026, 2, 28)}, 2, 2),
        ({"since": datetime.date(2026, 1, 10), "until": datetime.date(2026, 3, 20)}, 4, 3),
        ({"since": datetime.date(2025, 12, 25), "until": datetime.date(2026, 4, 1)}, 6, 3),
    ],
)
def test_filters(seeded: None, change: dict[str, Any], episodes: int, children: int) -> None:
    fields = {"since": Q1.since, "until": Q1.until, **change}
    m = measures_for(Filters(**fields))
    assert (m.episodes, m.children) == (episodes, children)


def test_breakdown_by_council_and_grade(seeded: None) -> None:
    rows = {r.value: (r.episodes, r.children, r.repeat_children, r.harm) for r in breakdown(Q1, "council")}
    assert rows == {"CCBC": (1, 1, 1, 0), "NCC": (3, 1, 1, 1), "TCBC": (2, 1, 0, 0)}
    grades = {r.value: r.episodes for r in breakdown(Q1, "grade")}
    assert grades == {"high": 2, "low": 2, "medium": 2}
    ncc = next(r for r in breakdown(Q1, "council") if r.value == "NCC")
    assert (ncc.debriefs_due, ncc.debriefs_held_in_time, ncc.held_in_time_rate) == (3, 1, 33.3)
    with pytest.raises(ValueError, match="Cannot break down"):
        breakdown(Q1, "child_key")


def test_monthly_trend_fills_empty_months(seeded: None) -> None:
    rows = [(r.month, r.episodes, r.children, r.repeat_children) for r in trend(Q1)]
    assert rows == [
        (datetime.date(2026, 1, 1), 2, 1, 0),
        (datetime.date(2026, 2, 1), 2, 2, 1),
        (datetime.date(2026, 3, 1), 2, 2, 1),
    ]
    winter = Filters(since=datetime.date(2025, 11, 1), until=datetime.date(2025, 11, 30))
    assert [(r.episodes, r.children) for r in trend(winter)] == [(0, 0)]


def test_an_empty_period_has_no_rates(db: Any) -> None:
    m = measures_for(Q1)
    assert m.episodes == 0 and m.episodes_per_child is None
    assert m.duration_median_hours is None and m.debriefs_held_in_time_rate is None and m.harm_rate is None


def test_overdue_reviews_and_plans_now_come_from_open_episodes(report_missing: Any) -> None:
    episode = report_missing()  # not graded yet: its review is overdue
    episode_facts_refresh()
    today = timezone.localdate()
    period = Filters(since=today - datetime.timedelta(days=7), until=today)
    assert measures_for(period).overdue_reviews_now == 1
    assert measures_for(Filters(since=period.since, until=today, councils=("TCBC",))).overdue_reviews_now == 0
    assert EpisodeFact.objects.get().episode_id == episode.pk


def test_suppress_and_percentile(settings: Any) -> None:
    settings.HAFAN_SMALL_NUMBER_THRESHOLD = 5
    assert [suppress(n) for n in (0, 1, 4, 5, 120)] == ["0", "<5", "<5", "5", "120"]
    assert suppress(None) == ""
    assert suppress(9, threshold=10) == "<10"
    settings.HAFAN_SMALL_NUMBER_THRESHOLD = 3
    assert suppress(3) == "3" and suppress(2) == "<3"
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([], 0.5) is None
