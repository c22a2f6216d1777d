"""Repeat and exploitation triggers open hub tasks with due dates (issue 6, item 7): one open task per child and
kind, a new one only on new evidence after completion, bulk imports caught by the scheduled run, the SERAF-style
screening, notifications, and who may see and act on the pages."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.core.vocabulary import FactCategory
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, code_mappings_seed, import_run
from hafan.ingest.vocabularies import PARTNER_CODES
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.models import Child, Fact
from hafan.people.services import PersonDetails, allocation_start
from hafan.risk.models import ExploitationScreening, HubTask, HubTaskKind, HubTaskStatus
from hafan.risk.triggers import hub_task_complete, screening_record, triggers_for_child, triggers_run
from hafan.sharing.models import AuditEvent

FHIR_BUNDLE = Path(__file__).resolve().parent.parent / "fixtures" / "ingest" / "fhir" / "bundle.json"
HIGH_ANSWERS = {"carries_weapon": True, "gang_places": True, "returns_injured": True}


@pytest.fixture
def repeat_rule(settings: Any) -> None:
    settings.HAFAN_REPEAT_MISSING_EPISODES = 2
    settings.HAFAN_REPEAT_MISSING_DAYS = 30
    settings.HAFAN_STRATEGY_MEETING_DUE_DAYS = 5
    settings.HAFAN_EXPLOITATION_REVIEW_DUE_DAYS = 2
    settings.HAFAN_SCREENING_REVIEW_SCORE = 6


@pytest.fixture
def caseworker(staff: dict[str, Any]) -> Any:
    """A Caerphilly social worker outside the hub team."""
    return staff["caseworker"]


def _open(child: Child, kind: HubTaskKind) -> list[HubTask]:
    return list(HubTask.objects.filter(child=child, kind=kind, status=HubTaskStatus.OPEN))


def _report_days_ago(report_missing: Any, days: int) -> Episode:
    reported = timezone.now() - datetime.timedelta(days=days)
    episode: Episode = report_missing(
        reported_at=reported, last_seen_at=reported - datetime.timedelta(hours=3)
    )
    return episode


def _strategy_task(report_missing: Any) -> HubTask:
    _report_days_ago(report_missing, 3)
    episode = report_missing()
    return HubTask.objects.get(child=episode.child, kind=HubTaskKind.STRATEGY_MEETING)


def _held_debrief(episode: Episode, coordinator: Any, debrief_worker: Any, **extra: Any) -> None:
    returned = timezone.now() - datetime.timedelta(minutes=30)
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=returned,
        found_where="Home",
        found_by="carer",
        harm_suffered=False,
    )
    debrief_record(
        debrief=episode.debrief,
        worker=debrief_worker,
        status="held",
        offered_at=returned + datetime.timedelta(minutes=5),
        held_at=returned + datetime.timedelta(minutes=20),
        share_basis="consent",
        places_to_share="Skate park, Cwmbran",
        indicators=["cce"],
        **extra,
    )


# Repeat missing


def test_the_nth_episode_in_d_days_opens_one_strategy_meeting_due_per_settings(
    repeat_rule: None, report_missing: Any
) -> None:
    first = _report_days_ago(report_missing, 10)
    assert not HubTask.objects.exists(), "one episode is not repeat missing"
    second = report_missing()
    assert second.child_id == first.child_id
    [task] = _open(second.child, HubTaskKind.STRATEGY_MEETING)
    assert task.episode == second
    assert task.trigger == {"rule": "repeat", "episodes": 2, "days": 30, "count": 2}
    expected_due = timezone.now() + datetime.timedelta(days=5)
    assert abs(task.due_at - expected_due) < datetime.timedelta(minutes=1)
    assert AuditEvent.objects.filter(
        target_type="hub_task", target_id=str(task.public_id), action="create"
    ).exists()
    # A further episode does not open a second task while the first is open.
    report_missing()
    assert HubTask.objects.filter(child=second.child, kind=HubTaskKind.STRATEGY_MEETING).count() == 1
    # Re-running the checks changes nothing.
    assert triggers_run() == 0
    assert triggers_for_child(child=second.child) == []


def test_after_completion_only_a_new_episode_opens_a_new_strategy_meeting(
    repeat_rule: None, report_missing: Any, supervisor: Any
) -> None:
    task = _strategy_task(report_missing)
    hub_task_complete(task=task, user=supervisor, outcome="Strategy meeting held; plan agreed with NCC.")
    task.refresh_from_db()
    assert task.status == HubTaskStatus.DONE and task.completed_by == supervisor
    assert task.outcome == "Strategy meeting held; plan agreed with NCC."
    # No new evidence: the scheduled run opens nothing.
    assert triggers_run() == 0
    assert _open(task.child, HubTaskKind.STRATEGY_MEETING) == []
    report_missing()
    [again] = _open(task.child, HubTaskKind.STRATEGY_MEETING)
    assert again.pk != task.pk
    assert again.trigger["count"] == 3


def test_completing_needs_an_outcome_and_the_right_role(
    repeat_rule: None, report_missing: Any, coordinator: Any, nurse: Any
) -> None:
    from django.core.exceptions import ValidationError

    from hafan.core.errors import InvalidAction, NotPermitted

    task = _strategy_task(report_missing)
    with pytest.raises(ValidationError) as exc:
        hub_task_complete(task=task, user=coordinator, outcome="   ")
    assert "outcome" in exc.value.message_dict
    with pytest.raises(NotPermitted):
        hub_task_complete(task=task, user=nurse, outcome="Seen.")
    task.refresh_from_db()
    assert task.status == HubTaskStatus.OPEN and task.completed_at is None
    hub_task_complete(task=task, user=coordinator, outcome="Held.")
    with pytest.raises(InvalidAction):
        hub_task_complete(task=task, user=coordinator, outcome="Held again.")


# Exploitation


def test_an_exploitation_concern_shared_from_a_debrief_opens_an_exploitation_review(
    repeat_rule: None, report_missing: Any, coordinator: Any, debrief_worker: Any
) -> None:
    episode = report_missing()
    assert not HubTask.objects.exists()
    _held_debrief(episode, coordinator, debrief_worker)
    assert Fact.objects.filter(child=episode.child, category=FactCategory.EXPLOITATION).count() == 1
    [task] = _open(episode.child, HubTaskKind.EXPLOITATION_REVIEW)
    assert task.trigger == {
        "rule": "exploitation",
        "facts": 1,
        "agencies": ["LLAMAU"],
        "screening_score": None,
        "screening_band": None,
    }
    assert abs(task.due_at - (timezone.now() + datetime.timedelta(days=2))) < datetime.timedelta(minutes=1)
    # Saving the debrief again shares nothing new and opens nothing new.
    debrief_record(
        debrief=episode.debrief,
        worker=debrief_worker,
        status="held",
        offered_at=episode.debrief.offered_at,
        held_at=episode.debrief.held_at,
        share_basis="consent",
        places_to_share="Skate park, Cwmbran",
        indicators=["cce"],
    )
    assert HubTask.objects.filter(child=episode.child).count() == 1
    # Once reviewed, the same old fact does not open another review.
    hub_task_complete(task=task, user=coordinator, outcome="Reviewed; referred to the exploitation panel.")
    assert triggers_for_child(child=episode.child) == []


def test_an_agency_flag_imported_in_bulk_is_caught_by_the_scheduled_run(
    repeat_rule: None, partnership: dict[str, Agency], settings: Any
) -> None:
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(partnership[code], mappings)
    run = import_run(
        ImportRequest(
            format="fhir",
            sources=[Source.from_bytes("bundle.json", FHIR_BUNDLE.read_bytes())],
            agency=partnership["ABUHB"],
        )
    )
    assert run.records_new > 0, run.rejection_reason
    flagged = Fact.objects.get(category=FactCategory.EXPLOITATION)
    assert not HubTask.objects.exists(), "a bulk import skips the hooks"
    # A flag its source recorded before the look-back window is history (on the briefing), not a new indicator.
    age = (timezone.localdate() - flagged.recorded_on).days
    settings.HAFAN_EXPLOITATION_INDICATOR_DAYS = age - 1
    assert triggers_run() == 0 and not HubTask.objects.exists()
    settings.HAFAN_EXPLOITATION_INDICATOR_DAYS = age + 1
    out = StringIO()
    call_command("triggers_run", stdout=out)  # the scheduler's entry point
    assert "Hub tasks opened: 1" in out.getvalue()
    [task] = _open(flagged.child, HubTaskKind.EXPLOITATION_REVIEW)
    assert task.trigger["agencies"] == ["ABUHB"] and task.trigger["facts"] == 1
    assert triggers_run() == 0, "the scheduled run is idempotent"


def test_a_withdrawn_or_restricted_flag_opens_nothing(
    repeat_rule: None, report_missing: Any, partnership: dict[str, Agency], coordinator: Any, nurse: Any
) -> None:
    from hafan.people.services import fact_add

    episode = report_missing()
    fact = fact_add(
        child=episode.child,
        agency=partnership["ABUHB"],
        category=FactCategory.EXPLOITATION,
        summary="CSE flag (synthetic)",
        recorded_on=timezone.localdate(),
        source="WPAS flag-1",
        actor=nurse,
    )
    Fact.objects.filter(pk=fact.pk).update(restricted_at=timezone.now())
    assert triggers_for_child(child=episode.child) == []
    Fact.objects.filter(pk=fact.pk).update(restricted_at=None)
    [task] = triggers_for_child(child=episode.child)
    assert task.kind == HubTaskKind.EXPLOITATION_REVIEW


def test_a_high_screening_opens_one_exploitation_review_and_a_low_one_does_not(
    repeat_rule: None, report_missing: Any, social_worker: Any, coordinator: Any
) -> None:
    episode = report_missing()
    low = screening_record(
        child=episode.child, episode=episode, screened_by=social_worker, answers={"substances": True}
    )
    assert (low.score, low.band) == (1, "low")
    assert not HubTask.objects.exists()
    high = screening_record(
        child=episode.child, episode=episode, screened_by=social_worker, answers=HIGH_ANSWERS
    )
    assert (high.score, high.band) == (9, "high")
    assert set(high.answers) == {
        "older_associates",
        "unexplained_items",
        "returns_injured",
        "substances",
        "sexual_health",
        "found_out_of_area",
        "new_peer_group",
        "school_exclusion",
        "online_contact",
        "carries_weapon",
        "self_harm",
        "gang_places",
    }
    [task] = _open(episode.child, HubTaskKind.EXPLOITATION_REVIEW)
    assert task.trigger["screening_score"] == 9 and task.trigger["facts"] == 0
    screening_record(child=episode.child, episode=episode, screened_by=coordinator, answers=HIGH_ANSWERS)
    assert HubTask.objects.filter(child=episode.child).count() == 1


def test_a_screening_refuses_unknown_indicators_and_outsiders(
    report_missing: Any, coordinator: Any, analyst: Any
) -> None:
    from django.core.exceptions import ValidationError

    from hafan.core.errors import NotPermitted

    episode = report_missing()
    with pytest.raises(ValidationError):
        screening_record(
            child=episode.child, episode=episode, screened_by=coordinator, answers={"nope": True}
        )
    with pytest.raises(NotPermitted):
        screening_record(child=episode.child, episode=episode, screened_by=analyst, answers={})
    assert not ExploitationScreening.objects.exists()


# Notifications


def test_the_hub_police_and_the_case_holder_are_told(
    repeat_rule: None,
    report_missing: Any,
    coordinator: Any,
    supervisor: Any,
    nurse: Any,
    caseworker: Any,
    outsider: Any,
) -> None:
    first = _report_days_ago(report_missing, 2)
    allocation_start(child=first.child, user=caseworker, kind="case_holder", allocated_by=coordinator)
    report_missing()
    task = HubTask.objects.get()
    told = Notification.objects.filter(
        kind=NotificationKind.HUB_TASK, dedupe_key=f"hub-task:{task.public_id}"
    )
    assert set(told.values_list("recipient__username", flat=True)) == {
        coordinator.username,
        supervisor.username,
        caseworker.username,
    }
    notice = told.get(recipient=caseworker)
    assert notice.url == reverse("risk:task", kwargs={"public_id": task.public_id})
    assert notice.params == {"task_kind": "strategy_meeting", "due": task.due_at.isoformat()}
    assert not Notification.objects.filter(recipient__in=[nurse, outsider]).exists()


# Pages


def test_the_task_list_is_for_hub_casework_staff(
    repeat_rule: None, report_missing: Any, client: Any, staff: dict[str, Any]
) -> None:
    task = _strategy_task(report_missing)
    url = reverse("risk:tasks")
    for persona in ["coordinator", "supervisor", "socialworker", "nurse", "education"]:
        client.force_login(staff[persona])
        response = client.get(url)
        assert response.status_code == 200, persona
        assert str(task.public_id) in response.content.decode(), persona
    for persona in ["analyst", "outsider", "caseworker", "debrief", "auditor", "admin"]:
        client.force_login(staff[persona])
        assert client.get(url).status_code == 404, persona
    client.logout()
    assert client.get(url).status_code == 302


def test_the_task_list_filters_by_kind_and_tags_overdue(
    repeat_rule: None, report_missing: Any, client: Any, coordinator: Any, social_worker: Any
) -> None:
    task = _strategy_task(report_missing)
    screening_record(child=task.child, episode=None, screened_by=social_worker, answers=HIGH_ANSWERS)
    review = HubTask.objects.get(kind=HubTaskKind.EXPLOITATION_REVIEW)
    HubTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    client.force_login(coordinator)
    page = client.get(reverse("risk:tasks")).content.decode()
    assert str(task.public_id) in page and str(review.public_id) in page
    assert page.count('data-testid="overdue"') == 1
    assert page.index(str(task.public_id)) < page.index(str(review.public_id)), "oldest due first"
    assert 'data-testid="nav-hub-tasks"' in page
    filtered = client.get(reverse("risk:tasks"), {"kind": "exploitation_review"}).content.decode()
    assert str(review.public_id) in filtered and str(task.public_id) not in filtered


def test_the_task_page_answers_404_to_those_who_may_not_see_it(
    repeat_rule: None, report_missing: Any, client: Any, staff: dict[str, Any], coordinator: Any
) -> None:
    task = _strategy_task(report_missing)
    url = reverse("risk:task", kwargs={"public_id": task.public_id})
    for persona in ["analyst", "outsider", "caseworker", "debrief", "auditor", "admin"]:
        client.force_login(staff[persona])
        assert client.get(url).status_code == 404, persona
    # Allocated, the social worker outside the hub sees the task about their child, but not the list.
    allocation_start(child=task.child, user=staff["caseworker"], kind="case_holder", allocated_by=coordinator)
    client.force_login(staff["caseworker"])
    response = client.get(url)
    assert response.status_code == 200
    assert 'data-testid="complete-task"' not in response.content.decode()
    assert client.get(reverse("risk:tasks")).status_code == 404
    assert client.post(url, {"outcome": "Done."}).status_code == 403
    client.force_login(staff["nurse"])
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="task-trigger"' in page.content.decode()
    assert client.post(url, {"outcome": "Done."}).status_code == 403
    assert (
        client.get(
            reverse("risk:task", kwargs={"public_id": "00000000-0000-0000-0000-000000000000"})
        ).status_code
        == 404
    )
    task.refresh_from_db()
    assert task.status == HubTaskStatus.OPEN


def test_completing_on_the_page_needs_an_outcome(
    repeat_rule: None, report_missing: Any, client: Any, coordinator: Any
) -> None:
    task = _strategy_task(report_missing)
    url = reverse("risk:task", kwargs={"public_id": task.public_id})
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert "Reported missing 2 times in the last 30 days" in page
    response = client.post(url, {"outcome": ""})
    assert response.status_code == 200
    assert "Record the outcome: what was decided" in response.content.decode()
    task.refresh_from_db()
    assert task.status == HubTaskStatus.OPEN
    response = client.post(url, {"outcome": "Strategy meeting held on Monday."})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == HubTaskStatus.DONE and task.completed_by == coordinator
    done = client.get(url).content.decode()
    assert "Strategy meeting held on Monday." in done and 'data-testid="complete-task"' not in done


def test_the_briefing_shows_the_childs_open_tasks_and_the_screening_link(
    repeat_rule: None, report_missing: Any, client: Any, coordinator: Any
) -> None:
    task = _strategy_task(report_missing)
    episode = task.episode
    assert episode is not None
    client.force_login(coordinator)
    page = client.get(reverse("episodes:detail", kwargs={"public_id": episode.public_id})).content.decode()
    assert 'data-testid="briefing-hub-tasks"' in page
    assert reverse("risk:task", kwargs={"public_id": task.public_id}) in page
    assert 'data-testid="screen-link"' in page


def test_the_screening_page_records_and_shows_the_score_and_band(
    repeat_rule: None, report_missing: Any, client: Any, staff: dict[str, Any], coordinator: Any
) -> None:
    episode = report_missing(
        child_details=PersonDetails(
            given_name="Osian", family_name="Griffiths", date_of_birth=datetime.date(2010, 6, 1), sex="male"
        )
    )
    url = reverse("risk:screening", kwargs={"child_id": episode.child.public_id})
    for persona in ["analyst", "outsider", "caseworker", "debrief", "auditor", "admin"]:
        client.force_login(staff[persona])
        assert client.get(url).status_code == 404, persona
        assert client.post(url, {"indicators": ["carries_weapon"]}).status_code == 404, persona
    for persona in ["coordinator", "socialworker", "nurse", "education"]:
        client.force_login(staff[persona])
        assert client.get(url).status_code == 200, persona
    client.force_login(staff["socialworker"])
    bad = client.post(url, {"indicators": ["made_up"]})
    assert bad.status_code == 200 and "Choose indicators from the list." in bad.content.decode()
    assert not ExploitationScreening.objects.exists()
    response = client.post(
        f"{url}?episode={episode.public_id}",
        {"indicators": ["carries_weapon", "gang_places", "returns_injured"]},
    )
    assert response.status_code == 302
    screening = ExploitationScreening.objects.get()
    assert (screening.score, screening.band, screening.episode) == (9, "high", episode)
    page = client.get(response["Location"]).content.decode()
    assert '<dd class="govuk-summary-list__value" data-testid="screening-score">9</dd>' in page
    assert "High: exploitation review needed" in page
    assert HubTask.objects.filter(child=episode.child, kind=HubTaskKind.EXPLOITATION_REVIEW).count() == 1
    # The allocated social worker outside the hub may screen their child.
    allocation_start(
        child=episode.child, user=staff["caseworker"], kind="case_holder", allocated_by=coordinator
    )
    client.force_login(staff["caseworker"])
    assert client.get(url).status_code == 200
