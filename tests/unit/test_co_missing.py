"""The co-missing network and persons of concern, as pure functions (hafan.analytics.networks, .persons)."""

from __future__ import annotations

import datetime
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hafan.analytics.networks import (
    AssociateMention,
    EpisodeSpan,
    EvidenceKind,
    find_pairs,
    layout,
    poisson_tail,
    recurring_groups,
)
from hafan.analytics.persons import (
    AgeStatus,
    Mention,
    fold,
    group_mentions,
    parse_associate,
    persons_of_concern,
)

T0 = datetime.datetime(2026, 3, 1, 20, 0, tzinfo=datetime.UTC)
H = datetime.timedelta(hours=1)
WINDOW = 6 * H
YEAR = datetime.timedelta(days=365)
NOW = T0 + datetime.timedelta(days=400)
_ids = iter(range(1, 10_000))


def span(child: int, reported: datetime.datetime, hours: float | None = 10, where: str = "") -> EpisodeSpan:
    returned = None if hours is None else reported + datetime.timedelta(hours=hours)
    return EpisodeSpan(
        episode_id=next(_ids), child_id=child, reported_at=reported, returned_at=returned, found_where=where
    )


def pairs_of(episodes: list[EpisodeSpan], associates: list[AssociateMention] | None = None) -> dict:
    return {
        (p.a, p.b): p for p in find_pairs(episodes, associates or [], window=WINDOW, now=NOW, period=YEAR)
    }


# Missing together


def test_children_missing_at_once_and_reported_within_the_window_are_a_pair() -> None:
    pairs = pairs_of([span(1, T0), span(2, T0 + 2 * H)])
    assert list(pairs) == [(1, 2)]
    assert pairs[(1, 2)].missing_together == 1
    assert pairs[(1, 2)].kinds == [EvidenceKind.MISSING_TOGETHER]


def test_reports_further_apart_than_the_window_are_not_a_pair_even_when_both_are_missing() -> None:
    assert pairs_of([span(1, T0, hours=48), span(2, T0 + 7 * H)]) == {}


def test_reports_within_the_window_but_not_missing_at_the_same_time_are_not_a_pair() -> None:
    assert pairs_of([span(1, T0, hours=1), span(2, T0 + 3 * H)]) == {}


def test_a_child_still_missing_counts_as_missing_until_now() -> None:
    assert (1, 2) in pairs_of([span(1, T0, hours=None), span(2, T0 + 5 * H)])


def test_one_childs_own_episodes_never_pair() -> None:
    assert pairs_of([span(1, T0), span(1, T0 + H)]) == {}


# Found together


def test_found_at_the_same_place_within_three_hours_is_found_together() -> None:
    a = span(1, T0 - 30 * H, hours=40, where="Newport bus station")
    b = span(2, T0, hours=12, where="newport  Bus Station.")  # returned 2 hours after a, different report day
    pairs = pairs_of([a, b])
    assert pairs[(1, 2)].found_together == 1
    assert pairs[(1, 2)].missing_together == 0
    assert pairs[(1, 2)].places == ["Newport bus station"]


def test_found_at_the_same_place_hours_apart_is_not_found_together() -> None:
    a = span(1, T0 - 30 * H, hours=20, where="Skate park")
    b = span(2, T0, hours=12, where="Skate park")
    assert pairs_of([a, b]) == {}


def test_missing_and_found_together_on_one_night_is_one_occasion() -> None:
    pairs = pairs_of([span(1, T0, where="Skate park"), span(2, T0 + H, where="Skate park")])
    pair = pairs[(1, 2)]
    assert pair.occasion_count == 1
    assert pair.kinds == [EvidenceKind.MISSING_TOGETHER, EvidenceKind.FOUND_TOGETHER]


# Shared associates


def test_naming_the_same_associate_links_two_children() -> None:
    pairs = pairs_of(
        [],
        [
            AssociateMention(child_id=1, text="Aled Price (about 24), known as 'Smokey'", fact_id=7),
            AssociateMention(child_id=2, text="aled price, drives a dark grey hatchback", fact_id=8),
            AssociateMention(child_id=3, text="Someone else (about 30)", fact_id=9),
        ],
    )
    assert list(pairs) == [(1, 2)]
    assert list(pairs[(1, 2)].associates) == ["aled price"]
    assert pairs[(1, 2)].associate_facts == {7, 8}
    assert pairs[(1, 2)].kinds == [EvidenceKind.SHARED_ASSOCIATE]


# Groups


def test_three_children_missing_together_twice_are_a_recurring_group_and_a_single_overlap_is_not() -> None:
    episodes = []
    for night in (T0, T0 + datetime.timedelta(days=20)):
        episodes += [span(1, night), span(2, night + H), span(3, night + 2 * H)]
    episodes.append(span(4, T0 + datetime.timedelta(days=50)))  # once, with child 5: coincidence
    episodes.append(span(5, T0 + datetime.timedelta(days=50) + H))
    pairs = find_pairs(episodes, [], window=WINDOW, now=NOW, period=YEAR)
    assert {(p.a, p.b) for p in pairs} == {(1, 2), (1, 3), (2, 3), (4, 5)}
    groups = recurring_groups(pairs, min_occasions=2)
    assert [g.members for g in groups] == [[1, 2, 3]]
    assert groups[0].occasions == 2  # two nights, not six pair-occasions
    assert groups[0].last_occasion == T0 + datetime.timedelta(days=20) + 2 * H


def test_one_occasion_and_a_shared_associate_recur() -> None:
    episodes = [span(1, T0), span(2, T0 + H)]
    associates = [
        AssociateMention(child_id=1, text="Jay Evans (19)"),
        AssociateMention(child_id=2, text="JAY EVANS"),
    ]
    assert [
        g.members
        for g in recurring_groups(
            find_pairs(episodes, associates, window=WINDOW, now=NOW, period=YEAR), min_occasions=2
        )
    ] == [[1, 2]]
    assert (
        recurring_groups(find_pairs(episodes, [], window=WINDOW, now=NOW, period=YEAR), min_occasions=2) == []
    )


def test_a_shared_associate_alone_does_not_make_a_group() -> None:
    associates = [
        AssociateMention(child_id=1, text="Jay Evans"),
        AssociateMention(child_id=2, text="Jay Evans"),
    ]
    assert (
        recurring_groups(find_pairs([], associates, window=WINDOW, now=NOW, period=YEAR), min_occasions=2)
        == []
    )


def test_groups_are_ordered_by_size_then_recency() -> None:
    episodes = []
    for night in (T0, T0 + datetime.timedelta(days=5)):
        episodes += [span(1, night), span(2, night + H)]  # a pair, earlier
        episodes += [
            span(3, night + datetime.timedelta(days=60)),
            span(4, night + datetime.timedelta(days=60, hours=1)),
        ]
        episodes += [
            span(5, night + datetime.timedelta(days=30)),
            span(6, night + datetime.timedelta(days=30, hours=1)),
            span(7, night + datetime.timedelta(days=30, hours=2)),
        ]
    groups = recurring_groups(find_pairs(episodes, [], window=WINDOW, now=NOW, period=YEAR), min_occasions=2)
    assert [g.members for g in groups] == [[5, 6, 7], [3, 4], [1, 2]]


def test_children_who_go_missing_very_often_coincide_without_being_a_group() -> None:
    """Two children each missing every other day for a month are reported within hours of each other now and
    then by chance: two such evenings are not a group, nor is one more found at the same place, but being found
    together as many times as the setting asks is."""
    episodes = [span(1, T0 + datetime.timedelta(days=2 * d), hours=3) for d in range(15)]
    episodes += [span(2, T0 + datetime.timedelta(days=2 * d + 1), hours=3) for d in range(13)]
    episodes += [span(2, T0 + H, hours=2), span(2, T0 + datetime.timedelta(days=26, hours=1), hours=2)]
    pairs = find_pairs(episodes, [], window=WINDOW, now=NOW, period=datetime.timedelta(days=30))
    assert [(p.a, p.b, p.occasion_count) for p in pairs] == [(1, 2, 2)]
    assert pairs[0].chance > 0.001
    assert recurring_groups(pairs, min_occasions=2) == []
    once = [span(c, T0 + datetime.timedelta(days=60, hours=c), where="Skate park") for c in (1, 2)]
    pairs = find_pairs(episodes + once, [], window=WINDOW, now=NOW, period=datetime.timedelta(days=30))
    assert pairs[0].found_together == 1 and pairs[0].chance > 0.001
    assert recurring_groups(pairs, min_occasions=2) == []
    found = [
        span(c, T0 + datetime.timedelta(days=d, hours=c), where="Skate park")
        for d in (60, 70)
        for c in (1, 2)
    ]
    pairs = find_pairs(episodes + found, [], window=WINDOW, now=NOW, period=datetime.timedelta(days=30))
    assert [g.members for g in recurring_groups(pairs, min_occasions=2)] == [[1, 2]]


def test_the_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert abs(poisson_tail(1, 2.0) - (1 - 2.718281828**-2)) < 1e-6
    assert poisson_tail(2, 0.0) == 0.0
    assert poisson_tail(3, 0.01) < 0.001 < poisson_tail(1, 0.01)


def test_the_minimum_number_of_occasions_is_a_setting() -> None:
    episodes = [span(c, T0 + datetime.timedelta(days=d, hours=c)) for d in (0, 10) for c in (1, 2)]
    pairs = find_pairs(episodes, [], window=WINDOW, now=NOW, period=YEAR)
    assert [g.members for g in recurring_groups(pairs, min_occasions=2)] == [[1, 2]]
    assert recurring_groups(pairs, min_occasions=3) == []


# Properties


@st.composite
def worlds(draw: st.DrawFn) -> list[EpisodeSpan]:
    n = draw(st.integers(min_value=0, max_value=25))
    out = []
    for i in range(n):
        child = draw(st.integers(min_value=1, max_value=6))
        start = T0 + datetime.timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 10)))
        hours = draw(st.one_of(st.none(), st.floats(min_value=0.5, max_value=72)))
        where = draw(st.sampled_from(["", "Skate park", "skate park", "Bus station"]))
        returned = None if hours is None else start + datetime.timedelta(hours=hours)
        out.append(
            EpisodeSpan(
                episode_id=i + 1, child_id=child, reported_at=start, returned_at=returned, found_where=where
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_the_network_does_not_depend_on_the_order_of_its_input(
    episodes: list[EpisodeSpan], rnd: random.Random
) -> None:
    shuffled = list(episodes)
    rnd.shuffle(shuffled)

    def summary(items: list[EpisodeSpan]) -> list:
        return [
            (p.a, p.b, sorted(p.occasions), [sorted(o.kinds) for _k, o in sorted(p.occasions.items())])
            for p in find_pairs(items, [], window=WINDOW, now=NOW, period=YEAR)
        ]

    assert summary(episodes) == summary(shuffled)


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_every_pair_is_two_different_children_with_evidence_and_groups_do_not_overlap(
    episodes: list[EpisodeSpan],
) -> None:
    by_id = {e.episode_id: e for e in episodes}
    pairs = find_pairs(episodes, [], window=WINDOW, now=NOW, period=YEAR)
    for p in pairs:
        assert p.a < p.b and p.occasion_count >= 1
        for (ea, eb), occasion in p.occasions.items():
            assert by_id[ea].child_id == p.a and by_id[eb].child_id == p.b
            if EvidenceKind.MISSING_TOGETHER in occasion.kinds:
                assert abs(by_id[ea].reported_at - by_id[eb].reported_at) <= WINDOW
    groups = recurring_groups(pairs, min_occasions=2)
    seen: set[int] = set()
    for g in groups:
        assert not seen & set(g.members)
        seen |= set(g.members)
        assert len(g.members) >= 2 and g.occasions >= 1
    drawing = layout(groups)
    assert drawing == layout(groups)  # deterministic
    assert {n.child_id for n in drawing.nodes} == seen
    assert all(0 <= n.x <= drawing.width and 0 <= n.y <= drawing.height for n in drawing.nodes)


# Names and persons of concern


def test_names_fold_case_accents_and_punctuation() -> None:
    assert fold("Siân O'Neil-Évans ") == "sian oneil evans"


def test_an_associate_text_is_read_into_name_nickname_and_age() -> None:
    parsed = parse_associate("Aled Price (about 24), known as 'Smokey'")
    assert (parsed.key, parsed.nicknames, parsed.age) == ("aled price", ("Smokey",), 24)
    assert parse_associate("older friend Jay, in his 20s").adult_described
    assert parse_associate("Kai Jones, 15 years old").age == 15
    assert parse_associate("Known as 'Big Man'").group_key == "aka big man"
    assert not parse_associate("Known as 'Big Man'").adult_described  # a nickname is not a description
    assert parse_associate("Friends from school").group_key == ""


def _mention(
    child: int, text: str, day: int = 1, agency: str = "Gwent Police", debrief: bool = False
) -> Mention:
    return Mention(
        child_id=child,
        fact_id=next(_ids),
        text=text,
        recorded_on=datetime.date(2026, 1, day),
        agency=agency,
        from_debrief=debrief,
    )


def test_an_adult_named_by_two_children_is_a_person_of_concern_and_by_one_is_not() -> None:
    mentions = [
        _mention(1, "Aled Price (about 24), known as 'Smokey'"),
        _mention(2, "Aled Price (about 25)", day=9, agency="Llamau", debrief=True),
        _mention(3, "Gareth Hughes (about 30)"),
    ]
    people = persons_of_concern(mentions, min_children=2)
    assert [p.key for p in people] == ["aled price"]
    person = people[0]
    assert person.children == 2 and person.age == 25 and person.age_status == AgeStatus.ADULT
    assert person.by_agency == {"Gwent Police": 1, "Llamau": 1}
    assert person.from_debriefs == 1
    assert (person.first_mention, person.last_mention) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 1, 9),
    )


def test_a_minor_associate_is_never_a_person_of_concern() -> None:
    mentions = [_mention(c, "Jay Evans (about 15), friend from school") for c in (1, 2, 3)]
    assert persons_of_concern(mentions, min_children=2) == []


def test_unknown_age_needs_two_children_whatever_the_setting() -> None:
    one = [_mention(1, "Dai Morgan")]
    two = [*one, _mention(2, "dai morgan, lives in Maindee")]
    assert persons_of_concern(one, min_children=1) == []
    people = persons_of_concern(two, min_children=1)
    assert [p.age_status for p in people] == [AgeStatus.UNKNOWN]


def test_a_nickname_only_mention_joins_the_one_named_person_who_carries_it() -> None:
    mentions = [_mention(1, "Aled Price (about 24), known as 'Smokey'"), _mention(2, "a man called Smokey")]
    people = group_mentions(mentions)
    assert [(p.key, p.children) for p in people] == [("aled price", 2)]


def test_a_nickname_two_named_people_share_merges_nobody() -> None:
    mentions = [
        _mention(1, "Aled Price (about 24), known as 'Smokey'"),
        _mention(2, "Rhys Bowen (about 28), known as 'Smokey'"),
        _mention(3, "'Smokey'"),
    ]
    assert sorted(p.key for p in group_mentions(mentions)) == ["aka smokey", "aled price", "rhys bowen"]


# The demo's planted patterns (hafan.demo.groups)


def test_the_demo_plan_has_friendship_groups_and_adults_of_concern() -> None:
    import zoneinfo

    from hafan.demo.generator import plan_demo

    now = datetime.datetime(2026, 3, 2, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    plan = plan_demo(seed=2013, children=300, years=2, now=now)
    year_ago = now - YEAR
    spans, mentions = [], []
    for child in plan.children:
        for i, e in enumerate(child.episodes):
            if e.reported_at >= year_ago:
                where = e.ret.found_where if e.ret else ""
                spans.append(
                    EpisodeSpan(child.key * 1000 + i, child.key, e.reported_at, e.returned_at, where)
                )
        if child.is_repeat:
            mentions += [
                Mention(child_id=child.key, fact_id=n, text=a, recorded_on=now.date(), agency="Gwent Police")
                for n, a in enumerate(child.associates)
            ]
    groups = recurring_groups(find_pairs(spans, [], window=WINDOW, now=now, period=YEAR), min_occasions=2)
    together = [g for g in groups if EvidenceKind.FOUND_TOGETHER in g.kinds]
    assert len(together) >= 3 and all(len(g.members) >= 2 and g.occasions >= 2 for g in together)
    adults = persons_of_concern(mentions, min_children=2)
    assert sum(1 for p in adults if p.children >= 3 and p.nicknames) >= 2
