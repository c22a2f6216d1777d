"""The co-missing page (/patterns/co-missing/): groups found in a seeded scenario, the drawing and the tables,
the period filter, the audit row, and who may see it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.models import User
from hafan.accounts.services import staff_create
from hafan.core.vocabulary import FactCategory, Role
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.people.services import PersonDetails, fact_add
from hafan.sharing.models import AuditEvent, Disclosure
from tests.conftest import PERSONA_PASSWORD

URL = "/patterns/co-missing/"
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)

CHILDREN = {
    "ffion": PersonDetails(
        given_name="Ffion", family_name="Pritchard", date_of_birth=datetime.date(2011, 2, 3), sex="female"
    ),
    "dylan": PersonDetails(
        given_name="Dylan", family_name="Morgan", date_of_birth=datetime.date(2010, 7, 9), sex="male"
    ),
    "lowri": PersonDetails(
        given_name="Lowri", family_name="Bevan", date_of_birth=datetime.date(2011, 11, 21), sex="female"
    ),
    "osian": PersonDetails(
        given_name="Osian", family_name="Rowlands", date_of_birth=datetime.date(2010, 1, 15), sex="male"
    ),
    "mali": PersonDetails(
        given_name="Mali", family_name="Tudor", date_of_birth=datetime.date(2012, 5, 30), sex="female"
    ),
    "gethin": PersonDetails(
        given_name="Gethin", family_name="Owen", date_of_birth=datetime.date(2009, 9, 1), sex="male"
    ),
    "nia": PersonDetails(
        given_name="Nia", family_name="Howells", date_of_birth=datetime.date(2010, 4, 4), sex="female"
    ),
}


@pytest.fixture
def missing(report_missing: Callable[..., Episode], coordinator: Any) -> Callable[..., Episode]:
    def _missing(
        key: str, at: datetime.datetime, *, hours: float = 10, found: str = "Returned home"
    ) -> Episode:
        episode = report_missing(child_details=CHILDREN[key], reported_at=at, last_seen_at=at - H)
        return episode_record_return(
            episode=episode,
            recorded_by=coordinator,
            returned_at=at + datetime.timedelta(hours=hours),
            found_where=found,
            found_by="police",
            harm_suffered=False,
        )

    return _missing


@pytest.fixture
def scenario(missing: Callable[..., Episode], partnership: dict[str, Any]) -> dict[str, Any]:
    """Ffion, Dylan and Lowri go missing together twice; Osian and Mali overlap once, by chance; Gethin and Nia
    are found together once and name the same adult."""
    now = timezone.now()
    first, second = now - 60 * D, now - 20 * D
    episodes: dict[str, list[Episode]] = {}
    for night in (first, second):
        for offset, key in enumerate(("ffion", "dylan", "lowri")):
            episodes.setdefault(key, []).append(
                missing(key, night + offset * H, hours=12 - offset, found=f"Skate park, Bettws {night:%d%m}")
            )
    episodes["osian"] = [missing("osian", now - 40 * D)]
    episodes["mali"] = [missing("mali", now - 40 * D + 2 * H)]
    gethin = missing("gethin", now - 10 * D, hours=30, found="Newport bus station")
    nia = missing("nia", now - 10 * D + 20 * H, hours=11, found="newport bus station")
    for episode in (gethin, nia):
        fact_add(
            child=episode.child,
            agency=partnership["GWP"],
            category=FactCategory.ASSOCIATE,
            summary="Aled Price (about 24), known as 'Smokey'",
            recorded_on=timezone.localdate() - 5 * D,
            source="Niche RMS POLE associate",
            actor=None,
        )
    return {"episodes": episodes, "gethin": gethin.child, "nia": nia.child}


def _rows(html: str, testid: str) -> list[str]:
    return re.findall(rf'<tr class="govuk-table__row" data-testid="{testid}">(.*?)</tr>', html, re.S)


def test_three_children_missing_together_twice_form_a_recurring_group(
    client: Any, coordinator: Any, scenario: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    groups = _rows(html, "group-row")
    # Ffion, Dylan and Lowri twice (a group); Gethin and Nia found together once and an adult in common (a
    # group); Osian and Mali once by chance (not a group).
    assert len(groups) == 2
    assert all(name in groups[0] for name in ("Ffion Pritchard", "Dylan Morgan", "Lowri Bevan"))
    assert re.search(r'data-testid="occasions">2<', groups[0])
    assert "Gethin Owen" in groups[1] and "Nia Howells" in groups[1]
    assert "Osian" not in "".join(groups) and "Mali" not in "".join(groups)
    for child in (scenario["episodes"]["ffion"][0].child, scenario["gethin"]):
        assert reverse("patterns:co_missing") == URL
        assert f'href="/children/{child.public_id}/"' in groups[0] + groups[1]


def test_the_pairs_table_shows_each_kind_of_evidence(
    client: Any, coordinator: Any, scenario: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    html = client.get(URL).content.decode()
    pairs = _rows(html, "pair-row")
    # Three pairs in the group, the coincidental pair, and Gethin with Nia.
    assert len(pairs) == 5
    coincidence = next(p for p in pairs if "Osian" in p)
    assert re.search(r'data-testid="missing-together">1<', coincidence)
    found = next(p for p in pairs if "Gethin" in p)
    assert re.search(r'data-testid="found-together">1<', found)
    assert re.search(r'data-testid="missing-together">0<', found)  # reported 20 hours apart
    assert "Aled Price (about 24)" in found
    ffion_dylan = next(p for p in pairs if "Ffion" in p and "Dylan" in p)
    assert re.search(r'data-testid="missing-together">2<', ffion_dylan)
    assert re.search(r'data-testid="found-together">2<', ffion_dylan)


def test_the_network_is_drawn_as_svg_with_initials_and_ages(
    client: Any, coordinator: Any, scenario: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    html = client.get(URL).content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    drawing = svg.group(0)
    assert drawing.count('data-testid="node"') == 5  # the two groups' children
    assert drawing.count("<line ") == 4  # three edges in the trio, one for the pair
    assert ">FP<" in drawing and ">GO<" in drawing
    assert "Pritchard" not in drawing  # full names are in the table, not the picture
    assert 'data-weight="2"' in drawing


def test_a_period_without_the_episodes_shows_no_group(
    client: Any, coordinator: Any, scenario: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    today = timezone.localdate()
    html = client.get(URL, {"start": (today - 30 * D).isoformat(), "end": today.isoformat()}).content.decode()
    groups = _rows(html, "group-row")
    # Only the second night of the trio is in the last 30 days: one occasion is not enough.
    assert len(groups) == 1 and "Gethin" in groups[0]


def test_a_period_ending_before_it_starts_is_an_error(
    client: Any, coordinator: Any, scenario: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    response = client.get(URL, {"start": "2026-05-01", "end": "2026-04-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "The end of the period must be on or after its start." in html
    assert len(_rows(html, "group-row")) == 2  # the default period is shown meanwhile


def test_the_view_is_audited_with_the_children_listed_and_the_associates_disclosed(
    client: Any, nurse: Any, scenario: dict[str, Any]
) -> None:
    client.force_login(nurse)
    assert client.get(URL).status_code == 200
    event = AuditEvent.objects.filter(target_type="co_missing").order_by("-seq").first()
    assert event is not None and event.actor_username == nurse.username
    assert str(scenario["gethin"].public_id) in event.detail["children"]
    assert len(event.detail["children"]) == 7
    # The police associates shown on the page left the police's view: one disclosure per child.
    disclosed = Disclosure.objects.filter(target_type="co_missing", to_user=nurse)
    assert {d.child_id for d in disclosed} == {scenario["gethin"].pk, scenario["nia"].pk}


def _non_hub_social_worker(partnership: dict[str, Any]) -> User:
    return staff_create(
        username="outside-hub",
        password=PERSONA_PASSWORD,
        role=Role.SOCIAL_WORKER,
        agency=partnership["MCC"],
        first_name="Nia",
        last_name="Outside",
        hub_member=False,
    )


@pytest.mark.parametrize("persona", ["debrief_worker", "analyst", "auditor", "administrator", "outsider"])
def test_only_hub_casework_staff_see_the_page(
    client: Any, persona: str, request: pytest.FixtureRequest, scenario: dict[str, Any]
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 404


def test_a_social_worker_outside_the_hub_gets_404_and_a_nurse_in_it_200(
    client: Any, nurse: Any, partnership: dict[str, Any], scenario: dict[str, Any]
) -> None:
    client.force_login(_non_hub_social_worker(partnership))
    assert client.get(URL).status_code == 404
    client.force_login(nurse)
    assert client.get(URL).status_code == 200
    assert client.get("/cy" + URL).status_code == 200


def test_the_pairs_table_lists_the_most_linked_pairs_first_and_says_how_many_there_are(
    client: Any, coordinator: Any, scenario: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hafan.analytics import network_selectors

    monkeypatch.setattr(network_selectors, "PAIRS_LISTED", 3)
    client.force_login(coordinator)
    html = client.get(URL).content.decode()
    pairs = _rows(html, "pair-row")
    assert len(pairs) == 3
    assert all("Recurs" in p for p in pairs)  # pairs in a group come first
    assert "Osian" not in "".join(pairs)
    assert "The 3 most linked of 5 pairs" in html
