"""The JSON API for agency systems, driven through Django's test client with real bearer tokens.

Data is set up through the services (conftest personas, `report_missing`), never raw ORM writes.
"""

from __future__ import annotations

import datetime
import io
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from hafan.accounts.services import api_token_issue, api_token_user
from hafan.agencies.models import Agency
from hafan.core.vocabulary import FactCategory, Purpose
from hafan.episodes.models import Episode
from hafan.people.identifiers import synthetic_nhs_number
from hafan.people.models import Child
from hafan.people.services import PersonDetails, child_create, fact_add, source_record_upsert
from hafan.risk.models import RiskAssessment
from hafan.sharing.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1"
NHS_NUMBER = synthetic_nhs_number(random.Random(7))
PLACE = "Flat above the takeaway on Commercial Street"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """The personas' passwords are hashed as they are seeded; a slow hasher costs seconds a test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def as_user(staff: dict[str, Any]) -> Callable[[Any], Client]:
    """A test client that calls the API with a freshly issued token for `user`."""

    def _client(user: Any) -> Client:
        token = api_token_issue(user=user, name=f"{user.username}'s test system")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return _client


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"{API}{path}", data=json.dumps(body or {}), content_type="application/json")


def report_body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    body: dict[str, Any] = {
        "child": {
            "given_name": "Cerys",
            "family_name": "Jones",
            "date_of_birth": "2011-03-04",
            "sex": "female",
            "nhs_number": NHS_NUMBER,
            "address": "12 Stow Hill, Newport",
            "postcode": "np20 1ab",
        },
        "category": "missing_from_home",
        "reported_at": (now - datetime.timedelta(hours=3)).isoformat(),
        "reporter_name": "Sian Jones (mother)",
        "last_seen_at": (now - datetime.timedelta(hours=5)).isoformat(),
        "last_seen_place": "Outside Newport bus station",
        "circumstances": "Left after an argument.",
        "clothing": "Black hoodie",
        "council_code": "NCC",
    }
    body.update(overrides)
    return body


@pytest.fixture
def known_child(partnership: dict[str, Agency], coordinator: Any) -> Child:
    """A child the council and health board already hold records about, as an agency feed would load them."""
    details = PersonDetails(
        given_name="Cerys",
        family_name="Jones",
        date_of_birth=datetime.date(2011, 3, 4),
        sex="female",
        nhs_number=NHS_NUMBER,
    )
    child = child_create(
        details=details, actor=None, purpose=Purpose.AGENCY_FEED, responsible_council=partnership["NCC"]
    )
    record = source_record_upsert(
        child=child,
        agency=partnership["NCC"],
        system="WCCIS",
        local_id="C-1001",
        details=details,
        recorded_on=datetime.date(2026, 1, 10),
        actor=None,
    )
    fact_add(
        child=child,
        agency=partnership["NCC"],
        category=FactCategory.LOOKED_AFTER,
        summary="Looked after by Newport; placed in Torfaen",
        recorded_on=datetime.date(2026, 1, 10),
        source="WCCIS C-1001",
        actor=None,
        source_record=record,
    )
    fact_add(
        child=child,
        agency=partnership["ABUHB"],
        category=FactCategory.HEALTH_NEED,
        summary="Asthma: needs her inhaler",
        recorded_on=datetime.date(2025, 11, 2),
        source="WPAS 77812",
        actor=None,
    )
    return child


def test_the_whole_journey_through_the_api(
    as_user: Callable[[Any], Client],
    known_child: Child,
    coordinator: Any,
    supervisor: Any,
    debrief_worker: Any,
) -> None:
    police, sergeant, charity = as_user(coordinator), as_user(supervisor), as_user(debrief_worker)

    reported = post(police, "/episodes", report_body())
    assert reported.status_code == 201, reported.content
    episode = reported.json()
    assert episode["matched_existing"] is True
    assert episode["child_public_id"] == str(known_child.public_id)
    assert episode["reference"].startswith("MIS-")
    assert episode["status"] == "missing"

    briefing = police.get(f"{API}/episodes/{episode['public_id']}/briefing")
    assert briefing.status_code == 200, briefing.content
    facts = {
        group["agency_code"]: [f["summary"] for f in group["facts"]]
        for group in briefing.json()["facts_by_agency"]
    }
    assert facts["NCC"] == ["Looked after by Newport; placed in Torfaen"]
    assert facts["ABUHB"] == ["Asthma: needs her inhaler"]
    health = next(g for g in briefing.json()["facts_by_agency"] if g["agency_code"] == "ABUHB")
    assert health["facts"][0] == {
        "category": "health_need",
        "summary": "Asthma: needs her inhaler",
        "source": "WPAS 77812",
        "recorded_on": "2025-11-02",
        "agency": "ABUHB",
        # The receiving system is told what kind of information it is and how far it may travel.
        "data_category": "health",
        "handling": "not_to_charity",
    }
    assert briefing.json()["child"]["responsible_council"] == "NCC"
    assert briefing.json()["risk"] is None

    graded = post(
        police,
        f"/episodes/{episode['public_id']}/risk",
        {
            "grade": "high",
            "factors": ["cse", "repeat"],
            "rationale": "Known CSE concern; asthma without inhaler.",
            "next_review_due": (timezone.now() + datetime.timedelta(hours=2)).isoformat(),
        },
    )
    assert graded.status_code == 201, graded.content
    assert graded.json()["grade"] == "high"
    assert graded.json()["confirmed_at"] is None

    confirmed = post(sergeant, f"/risk/{graded.json()['public_id']}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["confirmed_by"] == "Bethan Morgan"

    returned_at = timezone.now() - datetime.timedelta(hours=1)
    returned = post(
        police,
        f"/episodes/{episode['public_id']}/return",
        {
            "returned_at": returned_at.isoformat(),
            "found_where": "Friend's house, Pill",
            "found_by": "police",
            "harm_suffered": False,
            "safe_and_well_at": (returned_at + datetime.timedelta(minutes=30)).isoformat(),
            "safe_and_well_by": "PC 1234 Evans",
        },
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"
    due_by = datetime.datetime.fromisoformat(returned.json()["debrief_due_by"])
    assert abs(due_by - (returned_at + datetime.timedelta(hours=72))) < datetime.timedelta(
        seconds=1
    )  # JSON keeps ms

    queue = charity.get(f"{API}/debriefs")
    assert queue.status_code == 200
    mine = [d for d in queue.json() if d["episode_public_id"] == episode["public_id"]]
    assert len(mine) == 1
    assert mine[0]["child"]["given_name"] == "Cerys"
    assert mine[0]["overdue"] is False

    recorded = post(
        charity,
        f"/debriefs/{mine[0]['public_id']}",
        {
            "status": "held",
            "offered_at": (timezone.now() - datetime.timedelta(minutes=40)).isoformat(),
            "held_at": (timezone.now() - datetime.timedelta(minutes=20)).isoformat(),
            "where_went": "A flat in town with older boys.",
            "pull_factors": ["exploiters"],
            "share_basis": "consent",
            "places_to_share": [PLACE],
        },
    )
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["status"] == "held"
    assert [f["summary"] for f in recorded.json()["shared_facts"]] == [PLACE]
    assert charity.get(f"{API}/debriefs").json() == []  # a held debrief leaves the queue

    learnt = police.get(f"{API}/episodes/{episode['public_id']}/briefing").json()["learnt_in_debriefs"]
    assert [(f["category"], f["summary"], f["agency"]) for f in learnt] == [("place", PLACE, "LLAMAU")]
    assert learnt[0]["source"] == f"Llamau debrief, {episode['reference']} (The child agreed to share)"


# Authentication


def test_no_token_is_401(report_missing: Callable[..., Episode]) -> None:
    episode = report_missing()
    response = Client().get(f"{API}/episodes/{episode.public_id}/briefing")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer hafan_not-a-real-token", "Bearer ", "Token abc", "Basic Y29vcmQ6cHc="]
)
def test_a_bad_token_is_401(report_missing: Callable[..., Episode], header: str) -> None:
    episode = report_missing()
    response = Client(HTTP_AUTHORIZATION=header).get(f"{API}/episodes/{episode.public_id}/briefing")
    assert response.status_code == 401


def test_a_signed_in_session_is_not_enough(report_missing: Callable[..., Episode], coordinator: Any) -> None:
    episode = report_missing()
    client = Client()
    client.force_login(coordinator)
    assert client.get(f"{API}/episodes/{episode.public_id}/briefing").status_code == 401


def test_a_token_of_a_deactivated_user_is_401(
    as_user: Callable[[Any], Client], report_missing: Callable[..., Episode], coordinator: Any
) -> None:
    episode = report_missing()
    client = as_user(coordinator)
    assert client.get(f"{API}/episodes/{episode.public_id}/briefing").status_code == 200
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    assert client.get(f"{API}/episodes/{episode.public_id}/briefing").status_code == 401


# Who sees what


@pytest.mark.parametrize("persona", ["outsider", "analyst", "auditor", "administrator", "debrief_worker"])
def test_who_may_not_see_the_child_gets_404_on_the_briefing(
    request: pytest.FixtureRequest,
    as_user: Callable[[Any], Client],
    report_missing: Callable[..., Episode],
    persona: str,
) -> None:
    episode = report_missing()
    response = as_user(request.getfixturevalue(persona)).get(f"{API}/episodes/{episode.public_id}/briefing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "persona", ["coordinator", "supervisor", "social_worker", "nurse", "education_worker"]
)
def test_hub_casework_staff_get_the_briefing(
    request: pytest.FixtureRequest,
    as_user: Callable[[Any], Client],
    report_missing: Callable[..., Episode],
    persona: str,
) -> None:
    episode = report_missing()
    response = as_user(request.getfixturevalue(persona)).get(f"{API}/episodes/{episode.public_id}/briefing")
    assert response.status_code == 200
    assert response.json()["episode"]["reference"] == episode.reference


def test_the_debrief_worker_sees_their_queue_but_not_the_briefing(
    as_user: Callable[[Any], Client],
    report_missing: Callable[..., Episode],
    coordinator: Any,
    debrief_worker: Any,
) -> None:
    episode = report_missing()
    charity = as_user(debrief_worker)
    assert charity.get(f"{API}/debriefs").json() == []  # nothing to debrief until the child returns
    returned = post(
        as_user(coordinator),
        f"/episodes/{episode.public_id}/return",
        {
            "returned_at": timezone.now().isoformat(),
            "found_where": "Home",
            "found_by": "self",
            "harm_suffered": False,
        },
    )
    assert returned.status_code == 200, returned.content

    queue = charity.get(f"{API}/debriefs")
    assert [d["episode_reference"] for d in queue.json()] == [episode.reference]
    assert charity.get(f"{API}/episodes/{episode.public_id}/briefing").status_code == 404


def test_only_the_charity_opens_a_debrief(
    as_user: Callable[[Any], Client],
    report_missing: Callable[..., Episode],
    coordinator: Any,
    debrief_worker: Any,
) -> None:
    episode = report_missing()
    police = as_user(coordinator)
    post(
        police,
        f"/episodes/{episode.public_id}/return",
        {
            "returned_at": timezone.now().isoformat(),
            "found_where": "Home",
            "found_by": "self",
            "harm_suffered": False,
        },
    )
    debrief_id = as_user(debrief_worker).get(f"{API}/debriefs").json()[0]["public_id"]
    response = post(
        police, f"/debriefs/{debrief_id}", {"status": "declined", "offered_at": timezone.now().isoformat()}
    )
    assert response.status_code == 404
    assert police.get(f"{API}/debriefs").json() == []


@pytest.mark.parametrize(
    "path", ["/episodes/{id}/briefing", "/episodes/not-a-uuid/briefing", "/episodes/12/briefing"]
)
def test_unknown_or_malformed_ids_are_404(
    as_user: Callable[[Any], Client], report_missing: Callable[..., Episode], coordinator: Any, path: str
) -> None:
    report_missing()
    response = as_user(coordinator).get(API + path.replace("{id}", "3f1c6b2e-9a43-4a3c-9a0e-2b1d9d1b0c11"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# Actions


def test_a_nurse_may_see_the_episode_but_not_grade_risk(
    as_user: Callable[[Any], Client], report_missing: Callable[..., Episode], nurse: Any
) -> None:
    episode = report_missing()
    response = post(
        as_user(nurse),
        f"/episodes/{episode.public_id}/risk",
        {
            "grade": "low",
            "rationale": "Seems fine.",
            "next_review_due": (timezone.now() + datetime.timedelta(hours=4)).isoformat(),
        },
    )
    assert response.status_code == 403
    assert RiskAssessment.objects.count() == 0


def test_an_outsider_grading_risk_gets_404_not_403(
    as_user: Callable[[Any], Client], report_missing: Callable[..., Episode], outsider: Any
) -> None:
    episode = report_missing()
    response = post(
        as_user(outsider),
        f"/episodes/{episode.public_id}/risk",
        {
            "grade": "low",
            "rationale": "x",
            "next_review_due": (timezone.now() + datetime.timedelta(hours=4)).isoformat(),
        },
    )
    assert response.status_code == 404
    assert RiskAssessment.objects.count() == 0


def test_confirming_needs_a_supervisor_and_someone_else_s_grade(
    as_user: Callable[[Any], Client],
    report_missing: Callable[..., Episode],
    coordinator: Any,
    supervisor: Any,
    nurse: Any,
    debrief_worker: Any,
) -> None:
    episode = report_missing()
    sergeant = as_user(supervisor)
    graded = post(
        sergeant,
        f"/episodes/{episode.public_id}/risk",
        {
            "grade": "medium",
            "rationale": "First time missing.",
            "next_review_due": (timezone.now() + datetime.timedelta(hours=4)).isoformat(),
        },
    )
    assert graded.status_code == 201
    risk_id = graded.json()["public_id"]
    assert post(as_user(nurse), f"/risk/{risk_id}/confirm").status_code == 403
    assert post(as_user(debrief_worker), f"/risk/{risk_id}/confirm").status_code == 404
    assert post(sergeant, f"/risk/{risk_id}/confirm").status_code == 409  # not their own grading
    assert post(sergeant, "/risk/not-a-uuid/confirm").status_code == 404
    assert RiskAssessment.objects.get().confirmed_at is None


def test_grading_through_the_api_takes_the_structured_answers_and_refuses_a_stale_start(
    as_user: Callable[[Any], Client],
    report_missing: Callable[..., Episode],
    coordinator: Any,
    supervisor: Any,
) -> None:
    episode = report_missing()
    due = (timezone.now() + datetime.timedelta(hours=4)).isoformat()
    first = post(
        as_user(coordinator),
        f"/episodes/{episode.public_id}/risk",
        {
            "grade": "medium",
            "rationale": "First time missing.",
            "next_review_due": due,
            "answers": {
                "out_of_character": {"answer": "yes", "note": "Never gone before."},
                "medication": {"answer": "no"},
            },
            "based_on": None,
        },
    )
    assert first.status_code == 201, first.content
    answers = first.json()["answers"]
    assert (
        answers["out_of_character"]["answer"] == "yes"
        and answers["out_of_character"]["note"] == "Never gone before."
    )
    assert answers["medication"] == {
        "answer": "no", "note": "", "prefilled": "", "source": "", "source_date": "", "corrected": False
    }  # fmt: skip
    # The supervisor started before that grade existed: their save is refused, with the grade saved meanwhile.
    stale = post(
        as_user(supervisor),
        f"/episodes/{episode.public_id}/risk",
        {"grade": "high", "rationale": "Exploitation concerns.", "next_review_due": due, "based_on": None},
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["public_id"] == first.json()["public_id"]
    assert RiskAssessment.objects.count() == 1
    # Unknown questions, answers and starting grades are 422, and nothing is written.
    bad = post(
        as_user(supervisor),
        f"/episodes/{episode.public_id}/risk",
        {
            "grade": "high",
            "rationale": "x",
            "next_review_due": due,
            "answers": {"weather": {"answer": "yes"}},
        },
    )
    assert bad.status_code == 422
    unknown_start = post(
        as_user(supervisor),
        f"/episodes/{episode.public_id}/risk",
        {
            "grade": "high",
            "rationale": "x",
            "next_review_due": due,
            "based_on": "0b6e1bd4-4b7c-4c47-9d53-000000000000",
        },
    )
    assert unknown_start.status_code == 422 and "based_on" in unknown_start.content.decode()
    fresh = post(
        as_user(supervisor),
        f"/episodes/{episode.public_id}/risk",
        {"grade": "high", "rationale": "Exploitation concerns.", "next_review_due": due,
         "based_on": first.json()["public_id"]},
    )  # fmt: skip
    assert fresh.status_code == 201 and RiskAssessment.objects.count() == 2


def test_recording_a_return_twice_is_409(
    as_user: Callable[[Any], Client], report_missing: Callable[..., Episode], coordinator: Any
) -> None:
    episode = report_missing()
    police = as_user(coordinator)
    body = {
        "returned_at": timezone.now().isoformat(),
        "found_where": "Home",
        "found_by": "carer",
        "harm_suffered": False,
    }
    assert post(police, f"/episodes/{episode.public_id}/return", body).status_code == 200
    again = post(police, f"/episodes/{episode.public_id}/return", body)
    assert again.status_code == 409
    assert "already" in again.json()["detail"]


def test_an_invalid_nhs_number_is_422_and_writes_nothing(
    as_user: Callable[[Any], Client], coordinator: Any
) -> None:
    police = as_user(coordinator)
    episodes, children, audit = Episode.objects.count(), Child.objects.count(), AuditEvent.objects.count()
    bad = report_body()
    bad["child"] = {**bad["child"], "nhs_number": NHS_NUMBER[:9] + str((int(NHS_NUMBER[9]) + 1) % 10)}
    response = post(police, "/episodes", bad)
    assert response.status_code == 422
    assert "NHS number" in response.json()["errors"]["child.nhs_number"]
    assert (Episode.objects.count(), Child.objects.count()) == (episodes, children)
    assert AuditEvent.objects.count() == audit


def test_service_and_schema_errors_share_one_shape(
    as_user: Callable[[Any], Client], coordinator: Any
) -> None:
    police = as_user(coordinator)
    unknown_council = post(police, "/episodes", report_body(council_code="DPP"))
    assert unknown_council.status_code == 422
    assert set(unknown_council.json()["errors"]) == {"council_code"}

    missing_fields = report_body()
    del missing_fields["reporter_name"]
    missing_fields["reported_at"] = "2026-01-01T10:00:00"  # naive: refused
    invalid = post(police, "/episodes", missing_fields)
    assert invalid.status_code == 422
    assert {"reporter_name", "reported_at"} <= set(invalid.json()["errors"])
    assert isinstance(invalid.json()["detail"], str)

    later_than_report = post(police, "/episodes", report_body(last_seen_at=timezone.now().isoformat()))
    assert later_than_report.status_code == 422
    assert set(later_than_report.json()["errors"]) == {"last_seen_at"}
    assert Episode.objects.count() == 0


def test_a_nurse_may_not_report_a_child_missing(as_user: Callable[[Any], Client], nurse: Any) -> None:
    response = post(as_user(nurse), "/episodes", report_body())
    assert response.status_code == 403
    assert Episode.objects.count() == 0


def test_reporting_the_same_child_twice_matches_the_existing_child(
    as_user: Callable[[Any], Client], coordinator: Any
) -> None:
    police = as_user(coordinator)
    first = post(police, "/episodes", report_body())
    spelt_differently = report_body()
    spelt_differently["child"] = {
        **spelt_differently["child"],
        "given_name": "Ceri",
        "date_of_birth": None,
        "nhs_number": f"{NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}",
    }
    second = post(police, "/episodes", spelt_differently)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["matched_existing"] is False
    assert second.json()["matched_existing"] is True
    assert second.json()["child_public_id"] == first.json()["child_public_id"]
    assert second.json()["reference"] != first.json()["reference"]
    assert Child.objects.count() == 1


# Audit


def test_every_api_read_is_audited_as_the_token_user(
    as_user: Callable[[Any], Client], report_missing: Callable[..., Episode], nurse: Any, debrief_worker: Any
) -> None:
    episode = report_missing()
    health, charity = as_user(nurse), as_user(debrief_worker)
    before = AuditEvent.objects.count()
    assert health.get(f"{API}/episodes/{episode.public_id}/briefing").status_code == 200
    views = AuditEvent.objects.filter(actor_username="nurse", action=AuditAction.VIEW)
    assert set(views.values_list("target_type", flat=True)) == {"episode", "briefing"}
    assert set(views.values_list("child_public_id", flat=True)) == {episode.child.public_id}
    assert set(views.values_list("agency_code", flat=True)) == {"ABUHB"}

    assert charity.get(f"{API}/debriefs").status_code == 200
    assert (
        AuditEvent.objects.filter(
            actor_username="debrief", action=AuditAction.VIEW, target_type="debrief_queue"
        ).count()
        == 1
    )
    assert AuditEvent.objects.count() - before == 3


# Schema and tokens


def test_the_openapi_schema_lists_every_endpoint() -> None:
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Hafan API"
    assert set(schema["paths"]) == {
        "/api/v1/episodes",
        "/api/v1/episodes/{public_id}/briefing",
        "/api/v1/episodes/{public_id}/risk",
        "/api/v1/risk/{public_id}/confirm",
        "/api/v1/episodes/{public_id}/return",
        "/api/v1/debriefs",
        "/api/v1/debriefs/{public_id}",
        "/api/v1/imports/{format_name}",
        "/api/v1/imports/runs/{public_id}",
        # Issue 6 / information call
        "/api/v1/information-requests",
        "/api/v1/information-requests/{public_id}/answer",
        # Issue 7 / referrals answered by partner services' systems
        "/api/v1/referrals",
        "/api/v1/referrals/{public_id}/response",
    }
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    nhs = schema["components"]["schemas"]["ChildIn"]["properties"]["nhs_number"]
    assert "check digit" in nhs["description"]


def test_there_is_no_docs_page_loading_scripts_from_a_cdn() -> None:
    assert Client().get(f"{API}/docs").status_code == 404


def test_issue_api_token_prints_a_working_token_once(coordinator: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_api_token", "coordinator", "Niche RMS feed", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("hafan_")
    assert api_token_user(raw) == coordinator
    assert raw not in err.getvalue()
    assert AuditEvent.objects.filter(target_type="api_token", detail__name="Niche RMS feed").exists()


def test_issue_api_token_refuses_an_unknown_user(staff: dict[str, Any]) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No staff user"):
        call_command("issue_api_token", "nobody", "x", stdout=io.StringIO(), stderr=io.StringIO())
