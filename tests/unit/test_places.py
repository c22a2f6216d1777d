"""Places across children, the pure parts: the gazetteer's matching and the clustering (issue 7, item 6)."""

from __future__ import annotations

import datetime
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hafan.analytics import gazetteer
from hafan.analytics.gazetteer import BY_ID, ENTRIES, GWENT_COUNCILS, Specificity, locate, normalise
from hafan.analytics.places import (
    Mention,
    MentionKind,
    cluster_entries,
    distance_metres,
    find_group,
    periods_between,
    place_patterns,
    sort_groups,
    unlocated_key,
)
from hafan.demo import names

DAY = datetime.date(2026, 3, 14)

# --- The gazetteer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Newport bus station", "newport-bus-station"),
        ("Place: Newport bus station", "newport-bus-station"),
        ("Friars Walk, Newport", "friars-walk"),
        ("Tredegar Park, Newport", "tredegar-park"),  # the park, not the town of Tredegar nor Newport
        ("a friend's house in Bettws, Newport", "bettws"),  # the estate before the city
        ("the canal towpath at Malpas", "malpas"),
        ("Cardiff city centre (Queen Street)", "cardiff-city-centre"),
        ("Cardiff Central station", "cardiff-central"),
        ("a flat in Splott, Cardiff", "splott"),
        ("Cwmbrân Stadium car park", "cwmbran-stadium"),
        ("Cwmbran Stadium", "cwmbran-stadium"),
        ("the skate park in Cwmbran", "cwmbran"),
        ("the skate park in Cwmbrân", "cwmbran"),
        ("CASNEWYDD", "newport"),
        ("Caerdydd", "cardiff"),
        ("Bae Caerdydd", "cardiff-bay"),
        ("Pont-y-pŵl", "pontypool"),
        ("Barry Island", "barry-island"),
        ("Swansea bus station", "swansea-bus-station"),
        ("Bristol Temple Meads station", "bristol-temple-meads"),
        ("a house in Birmingham (county lines address)", "birmingham"),
        ("Caerphilly Castle grounds", "caerphilly-castle"),
        ("Pontypool Park", "pontypool-park"),
        ("the chip shop on Usk Vale Drive, Pontypool", "pontypool"),  # the longer town name wins
    ],
)
def test_locate_finds_the_most_specific_place(text: str, expected: str) -> None:
    entry = locate(text)
    assert entry is not None, text
    assert entry.id == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "A friend's flat", "Somewhere in town", "Newportshire", "Usktown"]
)
def test_locate_needs_a_whole_known_name(text: str) -> None:
    assert locate(text) is None


def test_every_demo_town_area_and_further_place_is_in_the_gazetteer() -> None:
    for town in names.TOWNS:
        entry = locate(town.name)
        assert entry is not None and entry.specificity == Specificity.TOWN, town.name
        assert entry.council == town.council
        for area in town.areas:
            found = locate(f"a friend's house in {area}")
            assert found is not None and found.specificity == Specificity.AREA, area
        for place in names.PLACES_NEARBY:
            assert locate(place.format(town=town.name, area=town.areas[0], street="High Street")) is not None
    for place, _weight in names.PLACES_FURTHER:
        assert locate(place) is not None, place


def test_entries_are_sane() -> None:
    assert len(BY_ID) == len(ENTRIES)  # ids are unique
    for entry in ENTRIES:
        assert 50.0 < entry.lat < 53.0 and -4.5 < entry.lon < -1.5, entry.id
        assert entry.council in (*GWENT_COUNCILS, "")
        assert normalise(entry.id.replace("-", " ")) == entry.id.replace("-", " ")
    (south, west), (north, east) = gazetteer.area_bounds()
    assert south < BY_ID["newport"].lat < north and west < BY_ID["newport"].lon < east
    assert not south < BY_ID["cardiff"].lat < north  # Cardiff lies outside Gwent's outline


def test_normalise() -> None:
    assert normalise("  Cwmbrân   STADIUM!! ") == "cwmbran stadium"
    assert normalise("Friend’s flat") == normalise("friend's flat") == "friends flat"


# --- Periods


def test_periods_are_months_up_to_a_year_then_quarters() -> None:
    months = periods_between(datetime.date(2025, 4, 1), datetime.date(2026, 3, 14))
    assert [p.label for p in months][:2] == ["2025-04", "2025-05"] and len(months) == 12
    assert months[-1].start == datetime.date(2026, 3, 1) and months[-1].end == datetime.date(2026, 3, 14)
    quarters = periods_between(datetime.date(2024, 2, 10), datetime.date(2026, 3, 14))
    assert quarters[0].label == "2024 Q1" and quarters[0].start == datetime.date(2024, 2, 10)
    assert quarters[-1].label == "2026 Q1" and len(quarters) == 9
    assert periods_between(DAY, DAY - datetime.timedelta(days=1)) == []


# --- Clustering


def _mention(
    text: str, child: int, kind: MentionKind = MentionKind.AGENCY, on: datetime.date = DAY
) -> Mention:
    return Mention(text=text, kind=kind, on=on, child_key=child)


def test_places_close_together_are_one_cluster_labelled_by_the_most_mentioned() -> None:
    mentions = [
        _mention("Newport bus station", 1, MentionKind.FOUND),
        _mention("Place: Newport bus station", 1),
        _mention("Seen at Newport bus station", 2),
        _mention("Friars Walk, Newport", 1, MentionKind.SAID, DAY - datetime.timedelta(days=40)),
        _mention("Caerphilly Castle grounds", 2),
        _mention("A friend's flat", 1, MentionKind.FOUND),
        _mention("a friends flat", 2),
    ]
    result = place_patterns(
        mentions, radius_metres=400, since=datetime.date(2025, 4, 1), until=DAY, language="en"
    )
    assert [c.key for c in result.clusters] == ["newport-bus-station", "caerphilly-castle"]
    newport = result.clusters[0]
    assert newport.label == "Newport bus station"
    assert newport.count == 4 and newport.children == 2
    assert newport.by_kind == {"found": 1, "said": 1, "agency": 2}
    assert [m.id for m in newport.members] == ["newport-bus-station", "friars-walk"]
    assert sum(newport.counts_by_period) == 4 and newport.counts_by_period[-1] == 3
    assert newport.latest == DAY
    (flat,) = result.unlocated
    assert flat.key == unlocated_key("A FRIEND'S FLAT") and flat.count == 2 and flat.children == 2
    assert flat.by_kind == {"found": 1, "said": 0, "agency": 1}
    assert find_group(result, "friars-walk") is newport  # a member's id finds its cluster
    assert find_group(result, flat.key) is flat
    assert find_group(result, "nowhere") is None
    welsh = place_patterns(mentions, radius_metres=400, since=DAY, until=DAY, language="cy")
    assert welsh.clusters[0].label == "Gorsaf fysiau Casnewydd"


def test_a_small_radius_keeps_places_apart() -> None:
    mentions = [_mention("Newport bus station", 1), _mention("Friars Walk", 2)]
    result = place_patterns(mentions, radius_metres=100, since=DAY, until=DAY)
    assert sorted(c.key for c in result.clusters) == ["friars-walk", "newport-bus-station"]


def test_sorting_the_table() -> None:
    mentions = [
        _mention("Newport bus station", 1),
        _mention("Newport bus station", 1, on=DAY - datetime.timedelta(days=3)),
        _mention("Cardiff Bay", 2),
        _mention("Cardiff Bay", 3, on=DAY - datetime.timedelta(days=9)),
        _mention("Barry Island", 4, on=DAY - datetime.timedelta(days=1)),
        _mention("Abergavenny", 5, on=DAY - datetime.timedelta(days=30)),
    ]
    groups = place_patterns(
        mentions, radius_metres=400, since=DAY - datetime.timedelta(days=60), until=DAY
    ).clusters
    # Most mentions first; then most children; then by name.
    assert [g.key for g in sort_groups(groups, "count")] == [
        "cardiff-bay",
        "newport-bus-station",
        "abergavenny",
        "barry-island",
    ]
    assert sort_groups(groups, "children")[0].key == "cardiff-bay"
    assert [g.key for g in sort_groups(groups, "label")] == [
        "abergavenny",
        "barry-island",
        "cardiff-bay",
        "newport-bus-station",
    ]
    assert [g.key for g in sort_groups(groups, "latest")][-1] == "abergavenny"
    assert sort_groups(groups, "nonsense") == sort_groups(groups, "count")


GWENT = [e for e in ENTRIES if e.council in GWENT_COUNCILS]


@settings(max_examples=60, deadline=None)
@given(
    counts=st.dictionaries(
        st.sampled_from(GWENT), st.integers(min_value=1, max_value=20), min_size=1, max_size=40
    ),
    radius=st.integers(min_value=0, max_value=5000),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_clustering_properties(counts: dict, radius: int, seed: int) -> None:
    clusters = cluster_entries(counts, radius_metres=radius)
    members = [m for _anchor, ms in clusters for m in ms]
    # Every place is in exactly one cluster.
    assert sorted(m.id for m in members) == sorted(e.id for e in counts)
    for anchor, ms in clusters:
        assert ms[0] == anchor
        # Members are within the radius of the centre, and the anchor is the most mentioned of them.
        for m in ms:
            assert distance_metres(anchor.lat, anchor.lon, m.lat, m.lon) <= radius
            assert counts[m] <= counts[anchor]
    # Centres are more than the radius apart.
    anchors = [a for a, _ in clusters]
    for i, a in enumerate(anchors):
        for b in anchors[i + 1 :]:
            assert distance_metres(a.lat, a.lon, b.lat, b.lon) > radius
    # The order the places come in changes nothing.
    shuffled = list(counts.items())
    random.Random(seed).shuffle(shuffled)
    assert cluster_entries(dict(shuffled), radius_metres=radius) == clusters


@settings(max_examples=40, deadline=None)
@given(
    picks=st.lists(
        st.tuples(
            st.sampled_from([e.name_en for e in ENTRIES] + ["A friend's flat", "a park", "Dad's house"]),
            st.integers(min_value=1, max_value=6),
            st.sampled_from(list(MentionKind)),
            st.integers(min_value=0, max_value=400),
        ),
        max_size=40,
    )
)
def test_every_mention_is_counted_once(picks: list) -> None:
    since = DAY - datetime.timedelta(days=400)
    mentions = [_mention(t, c, k, DAY - datetime.timedelta(days=d)) for t, c, k, d in picks]
    result = place_patterns(mentions, radius_metres=400, since=since, until=DAY)
    groups = [*result.clusters, *result.unlocated]
    assert sum(g.count for g in groups) == len(mentions)
    assert sum(sum(g.counts_by_period) for g in groups) == len(mentions)
    assert len({g.key for g in groups}) == len(groups)
    for g in groups:
        assert sum(g.by_kind.values()) == g.count
        assert g.children <= g.count


# --- The map page's tile host, for its CSP


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("https://tiles.example.org:8443/osm/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        ("/static/tiles/{z}/{x}/{y}.png", ""),  # relative: same origin, nothing to allow
        ("javascript:alert(1)", ""),
        ("https://{r}.example.org/{z}/{x}/{y}.png", ""),  # a placeholder in the host cannot be allowed
    ],
)
def test_tile_origin(url: str, origin: str) -> None:
    from hafan.analytics.pattern_views import tile_origin

    assert tile_origin(url) == origin


def test_default_period_is_the_last_twelve_calendar_months() -> None:
    from hafan.analytics.pattern_views import default_period

    assert default_period(datetime.date(2026, 3, 14)) == (
        datetime.date(2025, 4, 1),
        datetime.date(2026, 3, 14),
    )
    assert default_period(datetime.date(2026, 12, 31)) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )
    assert len(periods_between(*default_period(datetime.date(2026, 3, 14)))) == 12
