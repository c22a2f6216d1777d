"""The information call (issue 6, item 1): who is asked when a report opens, automatic answers from the agencies'
records, workers' answers on the page and through the API, deadlines by grade, and escalation.

Data is set up through the services, never raw ORM writes.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.services import api_token_issue
from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import DataCategory, FactCategory, Purpose, RiskGrade
from hafan.episodes.models import Episode, InformationRequest, InformationRequestStatus, InformationService
from hafan.episodes.selectors import information_call_panel, information_requests_to_answer
from hafan.episodes.services import (
    episode_record_return,
    information_call_open,
    information_calls_escalate,
    information_request_answer,
)
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.models import Child, Fact
from hafan.people.services import PersonDetails, child_create, fact_add, source_record_upsert
from hafan.risk.services import risk_grade_record
from hafan.sharing.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

CERYS = PersonDetails(
    given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 3, 4), sex="female"
)
ASTHMA = "Asthma: needs her blue inhaler"


def _asked(episode: Episode) -> dict[tuple[str, str], InformationRequest]:
    return {(r.agency.code, r.service): r for r in episode.information_requests.select_related("agency")}


def _request(episode: Episode, agency: str, service: str) -> InformationRequest:
    return episode.information_requests.get(agency__code=agency, service=service)


def _known_child(coordinator: Any, partnership: dict[str, Agency]) -> Child:
    """Cerys, already known to the health board (an ingested WPAS record with a health need) and to a school
    in Caerphilly (a CTF record), before she is reported missing."""
    child = child_create(
        details=CERYS, actor=coordinator, purpose=Purpose.AGENCY_FEED, responsible_council=partnership["NCC"]
    )
    today = timezone.localdate()
    for code, system, category, summary in (
        ("ABUHB", "WPAS", FactCategory.HEALTH_NEED, "Type 1 diabetes: insulin twice a day"),
        ("CCBC", "CTF", FactCategory.SCHOOL, "Year 9 at Ysgol Gyfun Cwm Rhymni"),
    ):
        record = source_record_upsert(
            child=child, agency=partnership[code], system=system, local_id=f"{code}-1", details=CERYS,
            recorded_on=today, actor=coordinator,
        )  # fmt: skip
        fact_add(
            child=child, agency=partnership[code], category=category, summary=summary, recorded_on=today,
            source=f"{system} {code}-1", actor=coordinator, source_record=record,
        )  # fmt: skip
    return child


# Who is asked


def test_a_new_child_s_council_and_the_health_board_are_asked(report_missing: Callable[..., Episode]) -> None:
    episode = report_missing()
    asked = _asked(episode)
    assert set(asked) == {("NCC", "social_care"), ("NCC", "education"), ("ABUHB", "health")}
    assert all(r.status == InformationRequestStatus.OPEN for r in asked.values())
    assert all(not r.answered_automatically for r in asked.values())
    assert (
        AuditEvent.objects.filter(target_type="information_request", action=AuditAction.CREATE).count() == 3
    )


def test_opening_the_call_again_asks_nobody_twice(
    report_missing: Callable[..., Episode], coordinator: Any
) -> None:
    episode = report_missing()
    again = information_call_open(episode=episode, actor=coordinator)
    assert len(again) == 3
    assert InformationRequest.objects.filter(episode=episode).count() == 3


def test_the_charity_is_asked_only_once_it_knows_the_child(
    report_missing: Callable[..., Episode], coordinator: Any
) -> None:
    first = report_missing()
    assert not any(code == "LLAMAU" for code, _service in _asked(first))
    # Cerys comes home: Llamau is asked to debrief her, so it knows her from now on.
    episode_record_return(
        episode=first, recorded_by=coordinator, returned_at=timezone.now() - datetime.timedelta(minutes=30),
        found_where="Friend's flat, Pill", found_by="police", harm_suffered=False,
    )  # fmt: skip
    second = report_missing(child=first.child, reported_at=timezone.now())
    assert second.child == first.child
    assert ("LLAMAU", "debrief") in _asked(second)


def test_another_council_holding_the_child_s_school_record_is_asked_for_education(
    coordinator: Any, partnership: dict[str, Agency], report_missing: Callable[..., Episode]
) -> None:
    child = _known_child(coordinator, partnership)
    asked = _asked(report_missing(child=child))
    assert ("CCBC", "education") in asked
    assert ("CCBC", "social_care") not in asked  # it holds only the school's record
    assert ("NCC", "social_care") in asked


# Automatic answers


def test_agencies_whose_records_hold_facts_are_answered_automatically_with_provenance(
    coordinator: Any, partnership: dict[str, Agency], report_missing: Callable[..., Episode]
) -> None:
    child = _known_child(coordinator, partnership)
    episode = report_missing(child=child)
    health = _request(episode, "ABUHB", "health")
    assert health.status == InformationRequestStatus.ANSWERED
    assert health.answered_automatically and health.facts_found == 1 and health.answered_at is not None
    assert _request(episode, "CCBC", "education").answered_automatically
    # Newport holds nothing: its worker is asked.
    assert _request(episode, "NCC", "social_care").status == InformationRequestStatus.OPEN


def test_the_briefing_says_where_an_automatic_answer_came_from(
    client: Any, coordinator: Any, partnership: dict[str, Agency], report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing(child=_known_child(coordinator, partnership))
    client.force_login(coordinator)
    page = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Automatically from Aneurin Bevan University Health Board's records: 1 item" in page
    assert "WPAS ABUHB-1" in page  # the fact itself, with its source, in the briefing


# Workers' answers


def test_the_nurse_answers_on_the_page_and_the_briefing_shows_it(
    client: Any, coordinator: Any, nurse: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    health = _request(episode, "ABUHB", "health")
    client.force_login(nurse)
    queue = client.get(reverse("episodes:information_requests"))
    assert queue.status_code == 200
    assert "Cerys Jones" in queue.content.decode()
    answer_url = reverse("episodes:information_answer", args=[health.public_id])
    form = client.get(answer_url)
    assert form.status_code == 200
    assert episode.reference in form.content.decode()
    response = client.post(
        answer_url, {"category_1": "health_need", "summary_1": ASTHMA, "note": "Call the named nurse."}
    )
    assert response.status_code == 302
    health.refresh_from_db()
    assert health.status == InformationRequestStatus.ANSWERED and health.answered_by == nurse
    assert not health.answered_automatically and health.facts_found == 1
    fact = Fact.objects.get(information_request=health)
    assert fact.agency.code == "ABUHB" and fact.summary == ASTHMA
    assert fact.data_category == DataCategory.HEALTH
    assert fact.source == f"Information call {episode.reference}: Delyth Rees"
    assert fact.recorded_on == timezone.localdate()
    assert information_requests_to_answer(nurse).count() == 0

    client.force_login(coordinator)
    panel = client.get(reverse("episodes:information_call", args=[episode.public_id]))
    assert panel.status_code == 200
    body = panel.content.decode()
    assert ASTHMA in body and "Answered by Delyth Rees" in body and "Call the named nurse." in body
    assert 'hx-trigger="every' in body  # Newport's requests are still open: the panel keeps asking


def test_items_a_viewer_may_not_see_are_not_shown_in_the_panel(
    coordinator: Any, nurse: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    health = _request(episode, "ABUHB", "health")
    information_request_answer(
        request=health, answered_by=nurse, nothing_known=False, items=[("health_need", ASTHMA)]
    )
    fact = Fact.objects.get(information_request=health)
    from hafan.people.services import fact_restrict

    fact_restrict(fact=fact, user=nurse, reason="Clinical confidentiality")
    panel = information_call_panel(user=coordinator, episode=episode)
    row = next(r for r in panel.rows if r.request.pk == health.pk)
    assert row.items == []
    own = next(
        r for r in information_call_panel(user=nurse, episode=episode).rows if r.request.pk == health.pk
    )
    assert [f.summary for f in own.items] == [ASTHMA]


def test_nothing_known_is_an_answer_too(
    client: Any, social_worker: Any, coordinator: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    social = _request(episode, "NCC", "social_care")
    client.force_login(social_worker)
    response = client.post(
        reverse("episodes:information_answer", args=[social.public_id]), {"nothing_known": "on"}
    )
    assert response.status_code == 302
    social.refresh_from_db()
    assert social.nothing_known and social.status == InformationRequestStatus.ANSWERED
    assert not Fact.objects.filter(information_request=social).exists()
    client.force_login(coordinator)
    assert (
        "Nothing known"
        in client.get(reverse("episodes:information_call", args=[episode.public_id])).content.decode()
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "nothing_known", "or give at least one item"),
        ({"nothing_known": "on", "category_1": "school", "summary_1": "Year 9"}, "nothing_known", "not both"),
        ({"category_2": "school"}, "summary_2", "Say what your agency knows"),
        ({"summary_1": "Year 9"}, "category_1", "Choose what the item is about"),
    ],
)
def test_a_bad_answer_shows_the_error_and_writes_nothing(
    client: Any,
    education_worker: Any,
    report_missing: Callable[..., Episode],
    data: dict[str, str],
    field: str,
    message: str,
    partnership: dict[str, Agency],
    coordinator: Any,
) -> None:
    episode = report_missing(child=_known_child(coordinator, partnership))
    # Caerphilly's education was answered automatically; ask its worker through a fresh request instead.
    education = _request(episode, "CCBC", "education")
    assert education.answered_automatically
    second = report_missing(
        child_details=PersonDetails(
            given_name="Osian", family_name="Bevan", date_of_birth=datetime.date(2010, 1, 2)
        ),
        council=partnership["CCBC"],
    )
    asked = _request(second, "CCBC", "education")
    client.force_login(education_worker)
    response = client.post(reverse("episodes:information_answer", args=[asked.public_id]), data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    asked.refresh_from_db()
    assert asked.status == InformationRequestStatus.OPEN
    assert not Fact.objects.filter(information_request=asked).exists()


def test_answering_twice_is_refused(nurse: Any, report_missing: Callable[..., Episode]) -> None:
    health = _request(report_missing(), "ABUHB", "health")
    information_request_answer(request=health, answered_by=nurse, nothing_known=True, items=[])
    with pytest.raises(InvalidAction):
        information_request_answer(request=health, answered_by=nurse, nothing_known=True, items=[])


@pytest.mark.parametrize("persona", ["social_worker", "education_worker", "coordinator", "debrief_worker"])
def test_only_the_asked_agency_s_worker_for_the_service_may_answer(
    persona: str, request: pytest.FixtureRequest, report_missing: Callable[..., Episode]
) -> None:
    health = _request(report_missing(), "ABUHB", "health")
    with pytest.raises(NotPermitted):
        information_request_answer(
            request=health, answered_by=request.getfixturevalue(persona), nothing_known=True, items=[]
        )


@pytest.mark.parametrize(
    "persona",
    ["social_worker", "education_worker", "coordinator", "analyst", "auditor", "administrator", "outsider"],
)
def test_someone_else_gets_404_for_the_nurse_s_request(
    client: Any, persona: str, request: pytest.FixtureRequest, report_missing: Callable[..., Episode]
) -> None:
    health = _request(report_missing(), "ABUHB", "health")
    client.force_login(request.getfixturevalue(persona))
    url = reverse("episodes:information_answer", args=[health.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"nothing_known": "on"}).status_code == 404
    health.refresh_from_db()
    assert health.status == InformationRequestStatus.OPEN


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("nurse", 200),
        ("social_worker", 200),
        ("education_worker", 200),
        ("debrief_worker", 200),
        ("coordinator", 404),
        ("supervisor", 404),
        ("analyst", 404),
        ("auditor", 404),
        ("administrator", 404),
        ("outsider", 404),
    ],
)
def test_the_queue_is_for_those_who_answer(
    client: Any, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("episodes:information_requests")).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("coordinator", 200), ("nurse", 200), ("debrief_worker", 404), ("analyst", 404), ("outsider", 404)],
)
def test_the_panel_has_the_briefing_s_access(
    client: Any,
    persona: str,
    status: int,
    request: pytest.FixtureRequest,
    report_missing: Callable[..., Episode],
) -> None:
    episode = report_missing()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("episodes:information_call", args=[episode.public_id])).status_code == status


def test_the_briefing_renders_the_panel_on_first_load_and_polls(
    client: Any, coordinator: Any, report_missing: Callable[..., Episode], settings: Any
) -> None:
    settings.HAFAN_LIVE_POLL_SECONDS = 7
    episode = report_missing()
    client.force_login(coordinator)
    body = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert 'data-testid="information-call"' in body
    assert 'hx-trigger="every 7s"' in body
    assert reverse("episodes:information_call", args=[episode.public_id]) in body
    assert "Aneurin Bevan University Health Board" in body


def test_a_poll_that_finds_nothing_new_gets_204_and_reads_nothing(
    client: Any, coordinator: Any, nurse: Any, outsider: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    client.force_login(coordinator)
    url = reverse("episodes:information_call", args=[episode.public_id])
    first = client.get(url).content.decode()
    version = re.search(r"since=([0-9a-f]+)", first)
    assert version is not None
    reads = AuditEvent.objects.filter(action=AuditAction.VIEW).count()
    quiet = client.get(url, {"since": version[1]})
    assert quiet.status_code == 204 and quiet.content == b""
    assert AuditEvent.objects.filter(action=AuditAction.VIEW).count() == reads  # no read, so no audit row

    information_request_answer(
        request=_request(episode, "ABUHB", "health"),
        answered_by=nurse,
        nothing_known=False,
        items=[("health_need", ASTHMA)],
    )
    news = client.get(url, {"since": version[1]})
    assert news.status_code == 200 and ASTHMA in news.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.VIEW).count() > reads

    # The fingerprint opens nothing for someone without access: they get the 404 the getter gives.
    client.force_login(outsider)
    assert client.get(url, {"since": version[1]}).status_code == 404


def test_the_panel_stops_asking_once_every_request_is_answered(
    coordinator: Any,
    nurse: Any,
    social_worker: Any,
    report_missing: Callable[..., Episode],
    staff: dict[str, Any],
) -> None:
    episode = report_missing()
    information_request_answer(
        request=_request(episode, "ABUHB", "health"), answered_by=nurse, nothing_known=True, items=[]
    )
    information_request_answer(
        request=_request(episode, "NCC", "social_care"),
        answered_by=social_worker,
        nothing_known=True,
        items=[],
    )
    assert information_call_panel(user=coordinator, episode=episode).live
    # Newport's education service: no hub education worker there, so answer as a Newport one would.
    from hafan.accounts.services import staff_create
    from hafan.core.vocabulary import Role

    newport_school = staff_create(
        username="ncc-education", password="x-" * 8, role=Role.EDUCATION_WORKER,
        agency=Agency.objects.get(code="NCC"), first_name="Gwen", last_name="Ellis",
    )  # fmt: skip
    information_request_answer(
        request=_request(episode, "NCC", "education"),
        answered_by=newport_school,
        nothing_known=True,
        items=[],
    )
    assert not information_call_panel(user=coordinator, episode=episode).live


# Deadlines and escalation


def test_the_deadline_follows_the_grade_and_only_ever_tightens(
    coordinator: Any, report_missing: Callable[..., Episode], settings: Any
) -> None:
    settings.HAFAN_INFORMATION_CALL_MINUTES = {"high": 60, "medium": 240, "low": 720, "very_low": 1440}
    episode = report_missing()
    health = _request(episode, "ABUHB", "health")
    assert health.due_at - health.asked_at == datetime.timedelta(minutes=240)  # not graded yet: medium

    def grade(value: RiskGrade) -> None:
        risk_grade_record(
            episode=episode, author=coordinator, grade=value, factors=[], rationale="Reasons.",
            next_review_due=timezone.now() + datetime.timedelta(hours=1),
        )  # fmt: skip

    grade(RiskGrade.HIGH)
    health.refresh_from_db()
    assert health.due_at - health.asked_at == datetime.timedelta(minutes=60)
    grade(RiskGrade.LOW)
    health.refresh_from_db()
    assert health.due_at - health.asked_at == datetime.timedelta(minutes=60)


def test_an_agency_asked_after_grading_gets_the_grade_s_deadline(
    coordinator: Any, partnership: dict[str, Agency], report_missing: Callable[..., Episode], settings: Any
) -> None:
    settings.HAFAN_INFORMATION_CALL_MINUTES = {"high": 30, "medium": 240, "low": 720, "very_low": 1440}
    episode = report_missing()
    risk_grade_record(
        episode=episode, author=coordinator, grade=RiskGrade.HIGH, factors=[], rationale="Reasons.",
        next_review_due=timezone.now() + datetime.timedelta(hours=1),
    )  # fmt: skip
    # Llamau's records come to hold Cerys (a place shared back): opening the call again asks Llamau, and only
    # Llamau, with the high-risk deadline.
    fact_add(
        child=episode.child, agency=partnership["LLAMAU"], category=FactCategory.PLACE,
        summary="Skate park, Tredegar Park", recorded_on=timezone.localdate(), source="Llamau case notes",
        actor=coordinator,
    )  # fmt: skip
    requests = information_call_open(episode=episode, actor=coordinator)
    assert len(requests) == 4
    charity = _request(episode, "LLAMAU", "debrief")
    assert charity.due_at - charity.asked_at == datetime.timedelta(minutes=30)
    assert charity.status == InformationRequestStatus.OPEN  # a place it holds is not a debrief disclosure


def test_overdue_requests_escalate_to_the_hub_supervisors_once(
    supervisor: Any, coordinator: Any, nurse: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    health = _request(episode, "ABUHB", "health")
    information_request_answer(request=health, answered_by=nurse, nothing_known=True, items=[])
    assert information_calls_escalate() == 0  # nothing is due yet
    later = timezone.now() + datetime.timedelta(days=2)
    assert information_calls_escalate(now=later) == 2  # Newport's two; the answered one is not escalated
    notices = Notification.objects.filter(kind=NotificationKind.INFORMATION_CALL_ESCALATED)
    assert {n.recipient for n in notices} == {supervisor}
    assert notices.count() == 2
    notice = notices.get(params__service="social_care")
    assert notice.params["reference"] == episode.reference and notice.params["agency_code"] == "NCC"
    assert notice.url == f"/episodes/{episode.public_id}/"
    assert information_calls_escalate(now=later + datetime.timedelta(minutes=1)) == 0
    assert notices.count() == 2
    social = _request(episode, "NCC", "social_care")
    assert social.escalated_at == later


def test_escalation_shows_on_the_briefing(
    client: Any, coordinator: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    later = timezone.now() + datetime.timedelta(days=2)
    information_calls_escalate(now=later)
    rows = information_call_panel(user=coordinator, episode=episode, now=later).rows
    assert all(row.overdue for row in rows)
    client.force_login(coordinator)
    body = client.get(reverse("episodes:information_call", args=[episode.public_id])).content.decode()
    assert body.count("Escalated to the supervisor") == 3


# The API


@pytest.fixture
def api_as(staff: dict[str, Any]) -> Callable[[Any], Client]:
    def _client(user: Any) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user, name='test system')}")

    return _client


def _answer(client: Client, public_id: Any, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/information-requests/{public_id}/answer",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_the_api_lists_and_answers_the_nurse_s_requests(
    api_as: Callable[[Any], Client], nurse: Any, coordinator: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    health = _request(episode, "ABUHB", "health")
    listed = api_as(nurse).get("/api/v1/information-requests")
    assert listed.status_code == 200
    [item] = listed.json()
    assert item["public_id"] == str(health.public_id) and item["episode_reference"] == episode.reference
    assert item["child"]["given_name"] == "Cerys" and item["service"] == "health"
    assert api_as(coordinator).get("/api/v1/information-requests").json() == []

    response = _answer(
        api_as(nurse), health.public_id, {"items": [{"category": "health_need", "summary": ASTHMA}]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "answered" and response.json()["items_given"] == 1
    fact = Fact.objects.get(information_request=health)
    assert fact.summary == ASTHMA
    assert api_as(nurse).get("/api/v1/information-requests").json() == []
    assert _answer(api_as(nurse), health.public_id, {"nothing_known": True}).status_code == 409


def test_the_api_refuses_a_bad_answer_with_field_errors(
    api_as: Callable[[Any], Client], nurse: Any, report_missing: Callable[..., Episode]
) -> None:
    health = _request(report_missing(), "ABUHB", "health")
    response = _answer(
        api_as(nurse),
        health.public_id,
        {"items": [{"category": "gossip", "summary": " "}], "nothing_known": True},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"items.0.category", "items.0.summary", "nothing_known"}
    health.refresh_from_db()
    assert health.status == InformationRequestStatus.OPEN
    assert not Fact.objects.filter(information_request=health).exists()


@pytest.mark.parametrize("persona", ["education_worker", "coordinator", "debrief_worker", "outsider"])
def test_the_api_answers_404_for_a_request_that_is_not_theirs(
    api_as: Callable[[Any], Client],
    persona: str,
    request: pytest.FixtureRequest,
    report_missing: Callable[..., Episode],
) -> None:
    health = _request(report_missing(), "ABUHB", "health")
    response = _answer(api_as(request.getfixturevalue(persona)), health.public_id, {"nothing_known": True})
    assert response.status_code == 404
    assert (
        _answer(api_as(request.getfixturevalue(persona)), "not-a-uuid", {"nothing_known": True}).status_code
        == 404
    )


def test_service_values_name_the_model_s_services() -> None:
    from hafan.sharing.policy import INFORMATION_SERVICE_ROLES

    assert set(INFORMATION_SERVICE_ROLES) == set(InformationService.values)


def test_the_queue_holds_only_children_still_missing(
    coordinator: Any, nurse: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    assert [r.episode_id for r in information_requests_to_answer(nurse)] == [episode.pk]
    episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=timezone.now(),
        found_where="Home",
        found_by="self",
        harm_suffered=False,
    )
    assert list(information_requests_to_answer(nurse)) == []
    # Found before an answer: the request stays as it was (not answered), and is not chased.
    assert _request(episode, "ABUHB", "health").status == InformationRequestStatus.OPEN


def test_once_the_child_is_found_the_panel_stops_asking_and_says_what_was_not_answered(
    client: Any, coordinator: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=timezone.now(),
        found_where="Home",
        found_by="self",
        harm_suffered=False,
    )
    client.force_login(coordinator)
    body = client.get(reverse("episodes:information_call", args=[episode.public_id])).content.decode()
    assert "Not answered before the child was found" in body
    assert "hx-trigger" not in body
