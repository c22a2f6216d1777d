"""Pre-filling the structured risk questions (hafan.risk.questions): each rule, with and without data, the newest
source wins, and only the facts passed in are ever used."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from hafan.core.vocabulary import DataCategory, FactCategory
from hafan.risk import questions as q
from hafan.risk.models import RiskQuestion

TODAY = datetime.date(2026, 11, 20)


@dataclass
class FakeFact:
    category: str
    summary: str
    recorded_on: datetime.date = datetime.date(2026, 1, 10)
    source: str = "WCCIS 123"
    data_category: str = DataCategory.HEALTH
    agency: Any = field(default_factory=lambda: SimpleNamespace(name="Aneurin Bevan UHB"))


@dataclass
class FakeEarlier:
    median_hours: float | None = None
    found_places: list[tuple[str, int]] = field(default_factory=list)


def health(summary: str, **kw: Any) -> FakeFact:
    return FakeFact(FactCategory.HEALTH_NEED, summary, **kw)


def police(category: str, summary: str, **kw: Any) -> FakeFact:
    kw.setdefault("data_category", DataCategory.POLICE_INTELLIGENCE)
    kw.setdefault("agency", SimpleNamespace(name="Gwent Police"))
    kw.setdefault("source", "Niche OCC-1")
    return FakeFact(category, summary, **kw)


def council(category: str, summary: str, **kw: Any) -> FakeFact:
    kw.setdefault("data_category", DataCategory.SOCIAL_CARE)
    kw.setdefault("agency", SimpleNamespace(name="Newport City Council"))
    kw.setdefault("source", "WCCIS C-9")
    return FakeFact(category, summary, **kw)


def run(
    facts: list[FakeFact] | None = None,
    *,
    earlier_count: int = 0,
    earlier: FakeEarlier | None = None,
    age: int | None = 14,
) -> dict[str, q.Prefill]:
    return q.prefill(
        facts=facts or [], earlier_count=earlier_count, earlier_summary=earlier, child_age=age, today=TODAY
    )


def test_every_question_has_an_entry_in_the_models_order() -> None:
    assert list(RiskQuestion.values) == q.QUESTIONS
    assert list(run()) == list(RiskQuestion.values)


def test_with_no_data_only_the_episode_history_is_pre_filled() -> None:
    result = run()
    for code in (q.VULNERABLE, q.SELF_HARM, q.MEDICATION, q.EXPLOITATION, q.VICTIM_OF_CRIME):
        assert result[code] == q.Prefill(), code
        assert not result[code].has_source
    assert result[q.OUT_OF_CHARACTER].answer == "yes"
    assert result[q.PREVIOUS_EPISODES].answer == "no"


def test_known_reason_and_preparations_are_never_pre_filled() -> None:
    everything = [
        health("Depression; prescribed sertraline."),
        police(FactCategory.EXPLOITATION, "Suspected county lines."),
        council(FactCategory.CHILD_PROTECTION, "On the child protection register."),
    ]
    result = run(everything, earlier_count=3, age=9)
    assert result[q.KNOWN_REASON] == q.Prefill()
    assert result[q.PREPARATIONS] == q.Prefill()


# Vulnerable


def test_vulnerable_by_age_under_twelve_from_the_hub_identity() -> None:
    result = run(age=11)[q.VULNERABLE]
    assert result.answer == "yes"
    assert "date of birth" in result.source
    assert "11" in result.evidence
    assert result.source_date == TODAY


def test_twelve_is_not_young_by_age_alone() -> None:
    assert run(age=12)[q.VULNERABLE].answer == "unknown"
    assert run(age=None)[q.VULNERABLE].answer == "unknown"


def test_vulnerable_by_a_health_need() -> None:
    fact = health(
        "Autistic; struggles with change and crowded places.", recorded_on=datetime.date(2026, 5, 1)
    )
    result = run([fact], age=15)[q.VULNERABLE]
    assert result.answer == "yes"
    assert result.evidence == fact.summary
    assert result.source == "Aneurin Bevan UHB (WCCIS 123)"
    assert result.source_date == datetime.date(2026, 5, 1)


# Self-harm


@pytest.mark.parametrize(
    "summary",
    [
        "History of self-harm (cutting); seen by CAMHS crisis team last year.",
        "Anxiety and low mood; open to CAMHS.",
        "Took an overdose in March.",
        "Suicidal thoughts disclosed to the school nurse.",
        "Mental health assessment pending.",
        "Hanes o hunan-niwed.",
    ],
)
def test_self_harm_from_health_records(summary: str) -> None:
    result = run([health(summary)])[q.SELF_HARM]
    assert result.answer == "yes"
    assert result.evidence == summary


def test_self_harm_from_social_care_debrief_and_a_police_warning_marker() -> None:
    assert run([council(FactCategory.LOOKED_AFTER, "Placed after an overdose.")])[q.SELF_HARM].answer == "yes"
    debrief = FakeFact(
        FactCategory.ASSOCIATE,
        "Said she self-harms when upset.",
        data_category=DataCategory.DEBRIEF_DISCLOSURE,
    )
    assert run([debrief])[q.SELF_HARM].answer == "yes"
    marker = police(FactCategory.WARNING_MARKER, "Warning marker: Self-harm.")
    assert run([marker])[q.SELF_HARM].source == "Gwent Police (Niche OCC-1)"


def test_self_harm_ignores_unrelated_health_and_school_facts() -> None:
    facts = [
        health("Asthma: carries a blue inhaler."),
        FakeFact(
            FactCategory.SCHOOL, "Peer mentor for mental health week.", data_category=DataCategory.EDUCATION
        ),
    ]
    assert run(facts)[q.SELF_HARM].answer == "unknown"


# Medication


@pytest.mark.parametrize(
    "summary",
    [
        "Asthma: carries a blue inhaler.",
        "Type 1 diabetes: needs insulin; risk of hypoglycaemia if missing overnight.",
        "Epilepsy: takes sodium valproate twice daily.",
        "ADHD, on methylphenidate (needs the evening dose).",
        "Depression; prescribed sertraline.",
        "Needs TABLETS at 8pm.",
        "Angen meddyginiaeth bob nos.",
    ],
)
def test_medication_from_health_needs(summary: str) -> None:
    assert run([health(summary)])[q.MEDICATION].answer == "yes"


def test_medication_needs_a_health_fact_that_says_so() -> None:
    assert run([health("Autistic; struggles with change.")])[q.MEDICATION].answer == "unknown"
    # Only health-needs facts count: a police note about tablets is not a prescription.
    assert (
        run([police(FactCategory.PLACE, "Found with tablets at the park.")])[q.MEDICATION].answer == "unknown"
    )


@pytest.mark.parametrize(
    ("summary", "question"),
    [
        ("Seen by the school nurse last month; no medication.", q.MEDICATION),
        ("Not on any medication now.", q.MEDICATION),
        ("Dim meddyginiaeth.", q.MEDICATION),
        ("Denies any self-harm or thoughts of suicide.", q.SELF_HARM),
        ("No mental health concerns raised.", q.SELF_HARM),
    ],
)
def test_a_negated_mention_is_not_evidence(summary: str, question: str) -> None:
    assert run([health(summary)])[question].answer == "unknown"


def test_a_negation_elsewhere_does_not_hide_a_real_mention() -> None:
    assert run([health("No allergies. Takes insulin twice a day.")])[q.MEDICATION].answer == "yes"
    assert run([health("Not in school this week; self-harmed on Friday.")])[q.SELF_HARM].answer == "yes"
    assert run([health("No self-harm seen but took an overdose in May.")])[q.SELF_HARM].answer == "yes"


# Exploitation and victim of crime


def test_exploitation_from_a_police_warning_marker_or_social_care_that_names_it() -> None:
    marker = police(
        FactCategory.WARNING_MARKER, "Warning marker: associates with a county lines group in Pill"
    )
    assert run([marker])[q.EXPLOITATION].answer == "yes"
    assert run([marker])[q.EXPLOITATION].source == "Gwent Police (Niche OCC-1)"
    assert (
        run([council(FactCategory.CHILD_PROTECTION, "CP plan: risk of CSE.")])[q.EXPLOITATION].answer == "yes"
    )
    assert (
        run([police(FactCategory.WARNING_MARKER, "Weapons: carries a knife")])[q.EXPLOITATION].answer
        == "unknown"
    )
    assert (
        run([council(FactCategory.LOOKED_AFTER, "No exploitation concerns.")])[q.EXPLOITATION].answer
        == "unknown"
    )
    # A health record that mentions it is not the police's or social care's concern: not pre-filled from it.
    assert run([health("Asked about county lines at the clinic")])[q.EXPLOITATION].answer == "unknown"


def test_exploitation_from_any_exploitation_fact() -> None:
    fact = police(FactCategory.EXPLOITATION, "Stopped with GBP 300 and two phones; suspected county lines.")
    result = run([fact])[q.EXPLOITATION]
    assert (result.answer, result.evidence) == ("yes", fact.summary)
    assert run([police(FactCategory.ASSOCIATE, "Known to older males.")])[q.EXPLOITATION].answer == "unknown"


def test_victim_of_crime_from_child_protection_or_a_warning_marker() -> None:
    cp = council(FactCategory.CHILD_PROTECTION, "On the child protection register (category: neglect).")
    assert run([cp])[q.VICTIM_OF_CRIME].answer == "yes"
    assert (
        run([police(FactCategory.WARNING_MARKER, "Victim of assault, 2025.")])[q.VICTIM_OF_CRIME].answer
        == "yes"
    )
    other_marker = police(FactCategory.WARNING_MARKER, "Warning marker: Violent towards staff.")
    assert run([other_marker])[q.VICTIM_OF_CRIME].answer == "unknown"


# Earlier episodes


def test_previous_episodes_summarised_from_the_history() -> None:
    earlier = FakeEarlier(median_hours=6.5, found_places=[("Newport bus station", 3), ("Friend's house", 1)])
    result = run(earlier_count=4, earlier=earlier)
    assert result[q.PREVIOUS_EPISODES].answer == "yes"
    assert result[q.PREVIOUS_EPISODES].evidence == (
        "4 earlier episodes, usually 6.5 hours, found most often at Newport bus station"
    )
    assert result[q.PREVIOUS_EPISODES].source == "Hafan episode history"
    assert result[q.OUT_OF_CHARACTER].answer == "no"


def test_first_time_missing_is_out_of_character() -> None:
    result = run(earlier_count=0)
    assert result[q.OUT_OF_CHARACTER].answer == "yes"
    assert "first time" in result[q.OUT_OF_CHARACTER].evidence
    assert result[q.PREVIOUS_EPISODES].answer == "no"


def test_one_earlier_episode_without_details() -> None:
    assert run(earlier_count=1)[q.PREVIOUS_EPISODES].evidence == "1 earlier episode"


# Newest source, no leaks


def test_the_newest_matching_fact_is_the_source() -> None:
    old = health("Asthma: carries a blue inhaler.", recorded_on=datetime.date(2024, 1, 1))
    new = health("Type 1 diabetes: needs insulin.", recorded_on=datetime.date(2026, 6, 1), source="WPAS 77")
    for facts in ([old, new], [new, old]):
        result = run(facts)[q.MEDICATION]
        assert result.evidence == new.summary
        assert result.source == "Aneurin Bevan UHB (WPAS 77)"
        assert result.source_date == datetime.date(2026, 6, 1)


def test_only_the_facts_passed_in_are_used() -> None:
    """The caller passes the facts the officer may see; a fact left out never shows up in any pre-fill."""
    secret = police(FactCategory.EXPLOITATION, "Covert source: seen with a named adult at a flat.")
    visible = health("Asthma: carries a blue inhaler.")
    with_secret = run([visible, secret])
    without = run([visible])
    assert with_secret[q.EXPLOITATION].answer == "yes"
    assert without[q.EXPLOITATION] == q.Prefill()
    for prefill in without.values():
        assert "Covert" not in prefill.evidence
        assert "Gwent Police" not in prefill.source


def test_long_evidence_is_shortened() -> None:
    result = run([health("Needs insulin. " + "x" * 1000)])[q.MEDICATION]
    assert len(result.evidence) <= q.EVIDENCE_CHARS
    assert result.evidence.endswith("…")
