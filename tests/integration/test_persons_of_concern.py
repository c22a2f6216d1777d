"""Persons of concern (/patterns/persons/): adults named in connection with several children, each mention
traceable to its source; restricted facts and unshared debrief content never appear; police and hub members
only."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from hafan.accounts.models import User
from hafan.accounts.services import staff_create
from hafan.analytics.network_selectors import person_key
from hafan.core.vocabulary import FactCategory, Role
from hafan.debriefs.services import FindingInput, debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.people.services import PersonDetails, fact_add, fact_restrict
from hafan.sharing.models import AuditEvent, Disclosure
from tests.conftest import PERSONA_PASSWORD

URL = "/patterns/persons/"
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
SMOKEY = "Aled Price (about 24), known as 'Smokey'"


def _details(given: str, family: str, year: int) -> PersonDetails:
    return PersonDetails(
        given_name=given, family_name=family, date_of_birth=datetime.date(year, 3, 4), sex="female"
    )


@pytest.fixture
def returned(report_missing: Callable[..., Episode], coordinator: Any) -> Callable[..., Episode]:
    def _returned(details: PersonDetails, days_ago: int) -> Episode:
        at = timezone.now() - days_ago * D
        episode = report_missing(child_details=details, reported_at=at, last_seen_at=at - H)
        return episode_record_return(
            episode=episode,
            recorded_by=coordinator,
            returned_at=at + 8 * H,
            found_where="A flat in Pillgwenlly",
            found_by="police",
            harm_suffered=False,
        )

    return _returned


def _associate(
    child: Any, agency: Any, summary: str, *, days_ago: int = 3, source: str = "Niche RMS POLE"
) -> Any:
    return fact_add(
        child=child,
        agency=agency,
        category=FactCategory.ASSOCIATE,
        summary=summary,
        recorded_on=timezone.localdate() - days_ago * D,
        source=source,
        actor=None,
    )


@pytest.fixture
def world(
    returned: Callable[..., Episode], partnership: dict[str, Any], debrief_worker: Any
) -> dict[str, Any]:
    """Cerys is named with Smokey by the police; Mared named him in a debrief and agreed to share it; Efa's
    police record names a minor twice over with Mared; Nansi names someone nobody else does; Mared also said
    things in her debrief that were not shared."""
    cerys = returned(_details("Cerys", "Lloyd", 2011), 30).child
    mared_episode = returned(_details("Mared", "Parry", 2010), 10)
    mared = mared_episode.child
    efa = returned(_details("Efa", "Hughes", 2011), 12).child
    nansi = returned(_details("Nansi", "Rees", 2012), 14).child
    police = partnership["GWP"]
    _associate(cerys, police, SMOKEY, days_ago=25, source="Niche RMS POLE associate 4411")
    debrief_record(
        debrief=mared_episode.debrief,
        worker=debrief_worker,
        status="held",
        offered_at=timezone.now() - 10 * D + 9 * H,
        held_at=timezone.now() - 10 * D + 10 * H,
        who_with="Bryn Secret (about 30), never shared",
        share_basis="consent",
        associates_to_share="aled price, drives a dark grey hatchback",
    )
    debrief_record(
        debrief=mared_episode.debrief,
        worker=debrief_worker,
        status="held",
        offered_at=timezone.now() - 10 * D + 9 * H,
        held_at=timezone.now() - 10 * D + 10 * H,
        who_with="Bryn Secret (about 30), never shared",
        findings=[
            FindingInput(kind="associate", text="aled price, drives a dark grey hatchback", share="consent"),
            FindingInput(kind="associate", text="Gwyn Hidden (about 40)", share="none"),
        ],
    )
    for child in (efa, mared):
        _associate(child, police, "Jac Evans (about 15), friend from school")
    _associate(nansi, police, "Dewi Lonely (about 35)")
    _associate(efa, partnership["NCC"], "Gwyn Hidden (about 40)", source="WCCIS case note")
    return {"cerys": cerys, "mared": mared, "efa": efa, "nansi": nansi}


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row" data-testid="person-row">(.*?)</tr>', html, re.S)


def test_an_adult_named_by_two_children_appears_and_by_one_or_a_minor_does_not(
    client: Any, coordinator: Any, world: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    response = client.get(URL)
    assert response.status_code == 200
    rows = _rows(response.content.decode())
    assert len(rows) == 1
    assert "Aled Price" in rows[0] and "Smokey" in rows[0]
    assert re.search(r'data-testid="children">2<', rows[0])
    assert "Gwent Police: 1" in rows[0] and "Llamau: 1" in rows[0]
    html = response.content.decode()
    assert "Dewi Lonely" not in html  # one child only
    assert "Jac Evans" not in html  # about 15: a child, not a person of concern


def test_each_mention_links_its_child_and_shows_its_source(
    client: Any, coordinator: Any, world: dict[str, Any]
) -> None:
    client.force_login(coordinator)
    html = client.get(URL + person_key("aled price") + "/").content.decode()
    mentions = re.findall(r'<tr class="govuk-table__row" data-testid="mention">(.*?)</tr>', html, re.S)
    assert len(mentions) == 2
    debrief, police = mentions  # newest first
    assert f'href="/children/{world["mared"].public_id}/"' in debrief
    assert "Llamau debrief" in debrief and "The child agreed to share" in debrief
    assert "aled price, drives a dark grey hatchback" in debrief
    assert f'href="/children/{world["cerys"].public_id}/"' in police
    assert "Niche RMS POLE associate 4411" in police and 'data-testid="debrief-basis"' not in police


def test_debrief_content_that_was_not_shared_never_appears(
    client: Any, coordinator: Any, nurse: Any, world: dict[str, Any]
) -> None:
    for user in (coordinator, nurse):
        client.force_login(user)
        pages = (
            client.get(URL).content.decode()
            + client.get(URL + person_key("aled price") + "/").content.decode()
        )
        assert "Bryn Secret" not in pages
    # Gwyn Hidden: named by the council for Efa and (unshared) in Mared's debrief: only one child on record.
    assert client.get(URL + person_key("gwyn hidden") + "/").status_code == 404


def test_a_fact_restricted_by_its_owner_is_not_shown_to_other_agencies(
    client: Any, coordinator: Any, nurse: Any, world: dict[str, Any], partnership: dict[str, Any]
) -> None:
    # The council names Gwyn Hidden for a second child, then restricts one of the two facts.
    second = _associate(world["nansi"], partnership["NCC"], "Gwyn Hidden, in his forties", source="WCCIS")
    key = person_key("gwyn hidden")
    client.force_login(nurse)
    assert client.get(URL + key + "/").status_code == 200
    council_worker = staff_create(
        username="ncc-worker", password=PERSONA_PASSWORD, role=Role.SOCIAL_WORKER, agency=partnership["NCC"]
    )
    fact_restrict(fact=second, user=council_worker, reason="Ongoing investigation")
    assert client.get(URL + key + "/").status_code == 404
    assert "Gwyn Hidden" not in client.get(URL).content.decode()
    # The owning agency still sees its own facts.
    client.force_login(council_worker)
    assert client.get(URL + key + "/").status_code == 200


def test_the_views_are_audited_and_the_mentions_disclosed(
    client: Any, nurse: Any, world: dict[str, Any]
) -> None:
    client.force_login(nurse)
    key = person_key("aled price")
    assert client.get(URL + key + "/").status_code == 200
    event = AuditEvent.objects.filter(target_type="person_of_concern").order_by("-seq").first()
    assert event is not None and event.target_id == key
    assert sorted(event.detail["children"]) == sorted(str(world[k].public_id) for k in ("cerys", "mared"))
    disclosures = Disclosure.objects.filter(to_user=nurse, target_type="person_of_concern")
    assert {(d.child_id, d.from_agency.code) for d in disclosures} == {
        (world["cerys"].pk, "GWP"),
        (world["mared"].pk, "LLAMAU"),
    }


def test_the_list_sorts_by_a_column(
    client: Any, coordinator: Any, world: dict[str, Any], partnership: dict[str, Any]
) -> None:
    for child in (world["efa"], world["nansi"], world["cerys"]):
        _associate(child, partnership["GWP"], "Zed Adams (about 40)")
    client.force_login(coordinator)
    by_children = _rows(client.get(URL, {"sort": "children", "order": "descending"}).content.decode())
    assert "Zed Adams" in by_children[0]
    by_name = _rows(client.get(URL, {"sort": "name", "order": "ascending"}).content.decode())
    assert "Aled Price" in by_name[0]
    assert 'aria-sort="ascending"' in client.get(URL, {"sort": "name", "order": "ascending"}).content.decode()


def test_an_unknown_key_is_404(client: Any, coordinator: Any, world: dict[str, Any]) -> None:
    client.force_login(coordinator)
    assert client.get(URL + "0" * 24 + "/").status_code == 404


def _staff(partnership: dict[str, Any], username: str, role: Role, agency: str) -> User:
    return staff_create(
        username=username, password=PERSONA_PASSWORD, role=role, agency=partnership[agency], hub_member=False
    )


@pytest.mark.parametrize("persona", ["debrief_worker", "analyst", "auditor", "administrator", "outsider"])
def test_others_get_404(
    client: Any, persona: str, request: pytest.FixtureRequest, world: dict[str, Any]
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 404
    assert client.get(URL + person_key("aled price") + "/").status_code == 404


def test_a_non_hub_social_worker_gets_404_a_nurse_and_police_outside_the_hub_200(
    client: Any, nurse: Any, partnership: dict[str, Any], world: dict[str, Any]
) -> None:
    client.force_login(_staff(partnership, "outside-sw", Role.SOCIAL_WORKER, "MCC"))
    assert client.get(URL).status_code == 404
    client.force_login(nurse)
    assert client.get(URL).status_code == 200
    # Police outside the hub: their own force's associates only (no debrief disclosure reaches them here).
    client.force_login(_staff(partnership, "outside-pc", Role.POLICE_COORDINATOR, "GWP"))
    html = client.get(URL).content.decode()
    assert "Aled Price" not in html  # Mared's mention came from the debrief, not the force
    _associate(world["nansi"], partnership["GWP"], SMOKEY)
    html = client.get(URL).content.decode()
    assert "Aled Price" in html
    detail = client.get(URL + person_key("aled price") + "/").content.decode()
    assert "Nansi Rees" in detail and f'href="/children/{world["nansi"].public_id}/"' not in detail
