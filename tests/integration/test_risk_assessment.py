"""The structured risk assessment (issue 6, item 2, and item 8 for assessments): questions pre-filled from each
agency's data with source and date, corrections recorded, editing conflicts shown side by side with nothing
overwritten, review intervals from settings, the overdue list and its notices."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats, timezone

from hafan.core.errors import EditConflict
from hafan.core.vocabulary import FactCategory
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.services import PersonDetails, fact_add, fact_restrict
from hafan.risk.models import RiskAssessment
from hafan.risk.services import reviews_overdue_notify, risk_grade_confirm, risk_grade_record
from hafan.sharing.models import AuditEvent
from tests.conftest import TwoFactorClient

HEALTH_FACT = "Type 1 diabetes: needs insulin; risk of hypoglycaemia if missing overnight."
POLICE_FACT = "Stopped at Newport bus station with GBP 300 in cash and two phones; suspected county lines."
COUNCIL_FACT = "On the child protection register (category: neglect) since March 2025."
CHARITY_FACT = "Talked about self-harm when things get bad at home."


def _client(user: Any) -> TwoFactorClient:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _day(days_ago: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days_ago)


def _shown(day: datetime.date) -> str:
    return formats.date_format(day, "j F Y")


def _fact(
    child: Any, agency: Any, category: str, summary: str, days_ago: int, actor: Any, source: str
) -> Any:
    return fact_add(
        child=child,
        agency=agency,
        category=FactCategory(category),
        summary=summary,
        recorded_on=_day(days_ago),
        source=source,
        actor=actor,
    )


@pytest.fixture
def agency_facts(report_missing: Any, partnership: dict[str, Any], coordinator: Any) -> Episode:
    """An episode for a child each agency knows something about."""
    episode = report_missing()
    child = episode.child
    _fact(child, partnership["ABUHB"], "health_need", HEALTH_FACT, 30, coordinator, "WCCIS 5501")
    _fact(child, partnership["GWP"], "exploitation", POLICE_FACT, 10, coordinator, "Niche OCC-77")
    _fact(child, partnership["NCC"], "child_protection", COUNCIL_FACT, 60, coordinator, "WCCIS C-12")
    _fact(child, partnership["LLAMAU"], "looked_after", CHARITY_FACT, 5, coordinator, "Llamau case 9")
    return episode


def _hint(content: str, code: str) -> str:
    match = re.search(rf'id="id_answer_{code}-hint"[^>]*>(.*?)</div>', content, re.S)
    assert match, code
    return match.group(1)


def _checked(content: str, code: str) -> str | None:
    match = re.search(rf'name="answer_{code}" type="radio" value="(\w+)" checked', content)
    return match.group(1) if match else None


def _based_on(content: str) -> str:
    match = re.search(r'name="based_on"(?: value="([^"]*)")?', content)
    assert match
    return match.group(1) or ""


def _form_data(content: str, **overrides: str) -> dict[str, str]:
    """What a browser posts after the officer accepts every pre-filled answer; overrides change fields."""
    data = {
        "grade": "high",
        "rationale": "Needs insulin overnight; county lines concerns.",
        "next_review_due": "",
        "based_on": _based_on(content),
    }
    for code in (
        "out_of_character",
        "vulnerable",
        "victim_of_crime",
        "self_harm",
        "medication",
        "exploitation",
        "previous_episodes",
        "known_reason",
        "preparations",
    ):
        checked = _checked(content, code)
        if checked:
            data[f"answer_{code}"] = checked
        data[f"note_{code}"] = ""
    data.update(overrides)
    return data


# Pre-fill


def test_each_agencys_data_pre_fills_its_question_with_source_and_date(agency_facts, coordinator):
    url = reverse("episodes:risk", args=[agency_facts.public_id])
    content = _client(coordinator).get(url).content.decode()

    medication = _hint(content, "medication")
    assert "Pre-filled from Aneurin Bevan" in medication
    assert "WCCIS 5501" in medication and _shown(_day(30)) in medication and "needs insulin" in medication
    exploitation = _hint(content, "exploitation")
    assert "Gwent Police (Niche OCC-77)" in exploitation and _shown(_day(10)) in exploitation
    victim = _hint(content, "victim_of_crime")
    assert "(WCCIS C-12)" in victim and _shown(_day(60)) in victim
    self_harm = _hint(content, "self_harm")
    assert "Llamau (Llamau case 9)" in self_harm and _shown(_day(5)) in self_harm
    assert "Hafan episode history" in _hint(content, "out_of_character")
    assert "Not in any agency&#x27;s records" in _hint(content, "known_reason")
    for code in (
        "medication",
        "exploitation",
        "victim_of_crime",
        "self_harm",
        "vulnerable",
        "out_of_character",
    ):
        assert _checked(content, code) == "yes", code
    assert _checked(content, "previous_episodes") == "no"
    assert _checked(content, "known_reason") == "unknown"


def test_a_fact_the_officer_may_not_see_is_never_pre_filled(agency_facts, coordinator, nurse):
    health = agency_facts.child.facts.get(agency__code="ABUHB")
    fact_restrict(fact=health, user=nurse, reason="Sensitive: clinician's request.")

    content = (
        _client(coordinator).get(reverse("episodes:risk", args=[agency_facts.public_id])).content.decode()
    )

    assert "insulin" not in content
    assert "Not in any agency&#x27;s records" in _hint(content, "medication")
    assert _checked(content, "medication") == "unknown"


def test_pre_fill_reads_are_in_the_disclosure_log(agency_facts, coordinator):
    from hafan.sharing.models import Disclosure

    _client(coordinator).get(reverse("episodes:risk", args=[agency_facts.public_id]))

    assert Disclosure.objects.filter(
        target_type="risk_assessment", target_id=str(agency_facts.public_id)
    ).exists()


# Confirm or correct


def test_the_officer_corrects_one_answer_and_the_record_keeps_both(agency_facts, coordinator):
    client = _client(coordinator)
    url = reverse("episodes:risk", args=[agency_facts.public_id])
    form = client.get(url).content.decode()

    response = client.post(
        url,
        _form_data(
            form,
            answer_exploitation="no",
            note_exploitation="The cash was his wages; intelligence re-assessed.",
            answer_known_reason="yes",
            note_known_reason="Argument at home.",
        ),
    )

    assert response.status_code == 302
    assessment = RiskAssessment.objects.get(episode=agency_facts)
    answers: dict[str, Any] = dict(assessment.answers)  # type: ignore[arg-type]
    exploitation = answers["exploitation"]
    assert exploitation["answer"] == "no"
    assert exploitation["prefilled"] == "yes"
    assert exploitation["corrected"] is True
    assert exploitation["source"] == "Gwent Police (Niche OCC-77)"
    assert exploitation["source_date"] == _day(10).isoformat()
    assert exploitation["note"].startswith("The cash was his wages")
    medication = answers["medication"]
    assert (medication["answer"], medication["prefilled"], medication["corrected"]) == ("yes", "yes", False)
    known = answers["known_reason"]
    assert (known["answer"], known["prefilled"], known["corrected"], known["source"]) == (
        "yes",
        "",
        False,
        "",
    )
    audit = AuditEvent.objects.filter(
        target_type="risk_assessment", target_id=str(assessment.public_id)
    ).get()
    assert audit.detail["corrected"] == ["exploitation"]

    briefing = client.get(reverse("episodes:detail", args=[agency_facts.public_id])).content.decode()
    assert 'data-testid="risk-answers"' in briefing
    assert "Corrected by the officer" in briefing
    assert (
        f"Pre-filled from Aneurin Bevan University Health Board (WCCIS 5501), {_shown(_day(30))}" in briefing
    )
    assert "Argument at home." in briefing


def test_the_service_refuses_unknown_questions_and_answers(report_missing, coordinator):
    episode = report_missing()
    common: dict[str, Any] = {
        "episode": episode,
        "author": coordinator,
        "grade": "low",
        "factors": [],
        "rationale": "Known location.",
        "next_review_due": timezone.now() + datetime.timedelta(hours=12),
    }
    with pytest.raises(ValidationError) as bad_code:
        risk_grade_record(**common, answers={"favourite_colour": {"answer": "yes"}})
    assert "answers" in bad_code.value.message_dict
    with pytest.raises(ValidationError) as bad_answer:
        risk_grade_record(**common, answers={"medication": {"answer": "maybe"}})
    assert "answer_medication" in bad_answer.value.message_dict
    assert not RiskAssessment.objects.exists()


def test_a_bad_answer_on_the_page_is_a_field_error(agency_facts, coordinator):
    client = _client(coordinator)
    url = reverse("episodes:risk", args=[agency_facts.public_id])
    response = client.post(url, _form_data(client.get(url).content.decode(), answer_self_harm="perhaps"))

    assert response.status_code == 200
    assert "Answer yes, no or not known." in response.content.decode()
    assert not RiskAssessment.objects.exists()


# Concurrent editing


def test_two_graders_from_the_same_start_the_second_sees_both_versions(agency_facts, coordinator, supervisor):
    url = reverse("episodes:risk", args=[agency_facts.public_id])
    first, second = _client(coordinator), _client(supervisor)
    first_form = first.get(url).content.decode()
    second_form = second.get(url).content.decode()
    assert _based_on(first_form) == _based_on(second_form) == ""

    assert (
        first.post(url, _form_data(first_form, grade="high", rationale="Theirs: insulin.")).status_code == 302
    )
    response = second.post(
        url,
        _form_data(second_form, grade="medium", rationale="Mine: with a friend.", answer_exploitation="no"),
    )

    assert response.status_code == 200
    content = response.content.decode()
    saved = RiskAssessment.objects.get(episode=agency_facts)  # nothing else written
    assert 'data-testid="risk-conflict"' in content
    assert "There is a problem" in content
    assert coordinator.get_full_name() in content
    assert "Their version" in content and "Your version" in content
    assert "Theirs: insulin." in content and "Mine: with a friend." in content
    theirs = re.findall(r'data-testid="theirs">(.*?)</td>', content, re.S)
    yours = re.findall(r'data-testid="yours">(.*?)</td>', content, re.S)
    assert theirs[0].startswith("High") and yours[0].startswith("Medium")
    # The officer's input is kept, and saving again is now a deliberate choice over the current grade.
    assert _based_on(content) == str(saved.public_id)
    assert _checked(content, "exploitation") == "no"
    assert "Mine: with a friend." in content.split('name="rationale"')[1][:400]

    again = second.post(url, _form_data(content, grade="medium", rationale="Mine: with a friend."))
    assert again.status_code == 302
    newest = RiskAssessment.objects.filter(episode=agency_facts).first()
    assert newest is not None and newest.grade == "medium"
    assert newest.supersedes == saved
    assert RiskAssessment.objects.filter(episode=agency_facts).count() == 2


def test_the_service_raises_edit_conflict_and_writes_nothing(report_missing, coordinator, supervisor):
    episode = report_missing()
    due = timezone.now() + datetime.timedelta(hours=4)
    common: dict[str, Any] = {"factors": [], "rationale": "x", "next_review_due": due}
    opened_on = risk_grade_record(
        episode=episode, author=coordinator, grade="medium", based_on=None, **common
    )
    newer = risk_grade_record(episode=episode, author=supervisor, grade="high", based_on=opened_on, **common)
    audits = AuditEvent.objects.count()

    with pytest.raises(EditConflict) as conflict:
        risk_grade_record(episode=episode, author=coordinator, grade="low", based_on=opened_on, **common)
    with pytest.raises(EditConflict):
        risk_grade_record(episode=episode, author=coordinator, grade="low", based_on=None, **common)

    assert conflict.value.current == newer
    assert supervisor.get_full_name() in str(conflict.value)
    assert RiskAssessment.objects.filter(episode=episode).count() == 2
    assert AuditEvent.objects.count() == audits
    assert newer.supersedes == opened_on
    # Leaving based_on out (the API) skips the check.
    assert risk_grade_record(episode=episode, author=coordinator, grade="high", **common).supersedes == newer


# Review intervals


def test_review_due_per_grade_comes_from_settings(report_missing, coordinator, settings):
    settings.HAFAN_REVIEW_HOURS = {"high": 2, "medium": 5, "low": 13, "very_low": 30}
    episode = report_missing()
    client = _client(coordinator)
    url = reverse("episodes:risk", args=[episode.public_id])
    form = client.get(url).content.decode()
    assert "Review high risk within 2 hour, medium within 5 hours" in form
    before = timezone.now()

    client.post(url, _form_data(form, grade="high", next_review_due=""))

    assessment = RiskAssessment.objects.get(episode=episode)
    assert before + datetime.timedelta(hours=2) <= assessment.next_review_due
    assert assessment.next_review_due <= timezone.now() + datetime.timedelta(hours=2)


# The overdue list


def _child(given: str) -> PersonDetails:
    return PersonDetails(
        given_name=given, family_name="Test", date_of_birth=datetime.date(2011, 5, 6), sex="female"
    )


def _graded(episode: Episode, author: Any, *, due_in_hours: float, grade: str = "medium") -> RiskAssessment:
    now = timezone.now()
    return risk_grade_record(
        episode=episode,
        author=author,
        grade=grade,
        factors=[],
        rationale="Reviewed.",
        assessed_at=now - datetime.timedelta(hours=6),
        next_review_due=now + datetime.timedelta(hours=due_in_hours),
    )


@pytest.fixture
def review_episodes(report_missing: Any, coordinator: Any, supervisor: Any) -> dict[str, Any]:
    most = report_missing(child_details=_child("Alys"))
    less = report_missing(child_details=_child("Bethan"))
    fine = report_missing(child_details=_child("Carys"))
    ungraded = report_missing(child_details=_child("Delyth"))
    returned = report_missing(child_details=_child("Efa"))
    regraded = report_missing(child_details=_child("Ffion"))
    graded = {
        "most": _graded(most, coordinator, due_in_hours=-3),
        "less": _graded(less, coordinator, due_in_hours=-1, grade="high"),
        "fine": _graded(fine, coordinator, due_in_hours=2),
        "returned": _graded(returned, coordinator, due_in_hours=-2),
        "regraded_old": _graded(regraded, coordinator, due_in_hours=-4),
    }
    graded["regraded_new"] = risk_grade_record(
        episode=regraded,
        author=coordinator,
        grade="low",
        factors=[],
        rationale="Seen by a neighbour.",
        next_review_due=timezone.now() + datetime.timedelta(hours=6),
    )
    risk_grade_confirm(assessment=graded["less"], supervisor=supervisor)
    episode_record_return(
        episode=returned,
        recorded_by=coordinator,
        returned_at=timezone.now() - datetime.timedelta(minutes=5),
        found_where="Home",
        found_by="police",
        harm_suffered=False,
    )
    return {"episodes": {"most": most, "less": less, "ungraded": ungraded}, "graded": graded}


def test_the_overdue_list_shows_open_episodes_past_review_oldest_first(review_episodes, coordinator):
    response = _client(coordinator).get(reverse("episodes:reviews"))

    assert response.status_code == 200
    content = response.content.decode()
    overdue = content.split('data-testid="reviews-overdue"')[1].split('id="ungraded"')[0]
    references = re.findall(r"MIS-\d+-\d+", overdue)
    episodes = review_episodes["episodes"]
    assert references == [episodes["most"].reference, episodes["less"].reference]
    assert overdue.count('data-testid="unconfirmed"') == 1  # "less" is confirmed
    assert "Confirmed by" in overdue
    ungraded = content.split('data-testid="reviews-ungraded"')[1]
    assert re.findall(r"MIS-\d+-\d+", ungraded) == [episodes["ungraded"].reference]
    for name in ("Carys", "Efa", "Ffion"):
        assert name not in content


def test_the_list_is_linked_from_the_episodes_page_for_police_only(coordinator, nurse):
    assert 'data-testid="reviews-link"' in _client(coordinator).get(reverse("episodes:list")).content.decode()
    assert 'data-testid="reviews-link"' not in _client(nurse).get(reverse("episodes:list")).content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("coordinator", 200),
        ("supervisor", 200),
        ("socialworker", 404),
        ("nurse", 404),
        ("education", 404),
        ("debrief", 404),
        ("analyst", 404),
        ("auditor", 404),
        ("admin", 404),
        ("outsider", 404),
    ],
)
def test_only_hub_police_see_the_review_list(staff, persona, status):
    assert _client(staff[persona]).get(reverse("episodes:reviews")).status_code == status


def test_anonymous_users_are_sent_to_sign_in(db):
    response = TwoFactorClient().get(reverse("episodes:reviews"))
    assert response.status_code == 302


# Notices


def test_overdue_reviews_notify_the_author_and_supervisors_once(review_episodes, coordinator, supervisor):
    made = reviews_overdue_notify()

    notices = Notification.objects.filter(kind=NotificationKind.REVIEW_OVERDUE)
    assert made == notices.count() == 4  # two overdue grades x (author + supervisor)
    most = review_episodes["graded"]["most"]
    to_author = notices.get(recipient=coordinator, dedupe_key=f"review-overdue:{most.public_id}")
    assert to_author.params == {
        "reference": most.episode.reference,
        "grade": "medium",
        "due": most.next_review_due.isoformat(),
    }
    assert to_author.url == reverse("episodes:detail", args=[most.episode.public_id])
    assert notices.filter(recipient=supervisor).count() == 2
    assert reviews_overdue_notify() == 0
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_OVERDUE).count() == 4


def test_nothing_overdue_means_no_notices(report_missing, coordinator):
    _graded(report_missing(), coordinator, due_in_hours=3)
    assert reviews_overdue_notify() == 0
    assert reviews_overdue_notify(now=timezone.now() + datetime.timedelta(hours=4)) == 2


def test_the_risk_page_and_review_list_render_in_welsh(agency_facts, coordinator):
    client = _client(coordinator)
    risk_url, reviews_url = (
        reverse("episodes:risk", args=[agency_facts.public_id]),
        reverse("episodes:reviews"),
    )
    risk = client.get("/cy" + risk_url)
    reviews = client.get("/cy" + reviews_url)

    assert risk.status_code == reviews.status_code == 200
    assert 'name="answer_medication"' in risk.content.decode()
    assert agency_facts.reference in reviews.content.decode()
