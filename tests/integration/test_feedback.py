"""The young person's feedback (issue 7, item 5): a one-time link made by the debrief worker, answered on a
phone without signing in, counted per service with small numbers withheld."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.services import staff_create
from hafan.agencies.models import Agency
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import AgencyKind, Role
from hafan.debriefs.models import Debrief
from hafan.debriefs.services import debrief_language_set, debrief_record
from hafan.episodes.services import episode_record_return
from hafan.feedback.models import FeedbackLink, FeedbackResponse
from hafan.feedback.services import FeedbackLinkGone, feedback_link_create, feedback_submit
from hafan.feedback.tokens import new_token
from hafan.people.services import PersonDetails
from hafan.sharing.models import AuditEvent
from tests.conftest import PERSONA_PASSWORD

ANSWERS: dict[str, Any] = {
    "listened_to": "yes",
    "felt_safe": "a_bit",
    "helped": "yes",
    "right_language": "yes",
}
TOKEN_IN_URL = re.compile(r"/feedback/([A-Za-z0-9_-]{43})/")


def _held(report_missing: Any, coordinator: Any, debrief_worker: Any, *, given: str = "Cerys") -> Debrief:
    now = timezone.now()
    episode = report_missing(
        child_details=PersonDetails(
            given_name=given, family_name="Pritchard", date_of_birth=datetime.date(2011, 3, 4), sex="female"
        ),
        reported_at=now - datetime.timedelta(hours=8),
        last_seen_at=now - datetime.timedelta(hours=9),
    )
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(hours=5),
        found_where="Cwmbran bus station",
        found_by="police",
        harm_suffered=False,
    )
    debrief = Debrief.objects.get(episode=episode)
    return debrief_record(
        debrief=debrief,
        worker=debrief_worker,
        status="held",
        offered_at=now - datetime.timedelta(hours=4),
        held_at=now - datetime.timedelta(hours=3),
        where_went="A friend's flat",
    )


@pytest.fixture
def held(report_missing: Any, coordinator: Any, debrief_worker: Any) -> Debrief:
    return _held(report_missing, coordinator, debrief_worker)


def _public(token: str, *, welsh: bool = False) -> str:
    return ("/cy" if welsh else "") + f"/feedback/{token}/"


def _ask(client: Any, worker: Any, debrief: Debrief) -> str:
    """The worker presses "Ask for feedback"; returns the token from the link shown to them."""
    client.force_login(worker)
    response = client.post(reverse("feedback:link_create", args=[debrief.public_id]))
    assert response.status_code == 200
    match = TOKEN_IN_URL.search(response.content.decode())
    assert match, "the page shows the new link"
    return match[1]


# The link, once only


def test_the_link_works_once_only(client: Any, debrief_worker: Any, held: Debrief) -> None:
    token = _ask(client, debrief_worker, held)
    young_person = Client()
    page = young_person.get(_public(token))
    assert page.status_code == 200
    assert b"Did they listen to you?" in page.content

    sent = young_person.post(_public(token), {**ANSWERS, "comment": "She was kind."})
    assert sent.status_code == 200
    assert b"We have your answers." in sent.content
    response = FeedbackResponse.objects.get()
    assert (response.listened_to, response.felt_safe, response.comment) == ("yes", "a_bit", "She was kind.")
    assert response.provider == held.provider
    link = FeedbackLink.objects.get()
    assert link.used_at is not None

    assert young_person.get(_public(token)).status_code == 410
    again = young_person.post(_public(token), {**ANSWERS, "listened_to": "no"})
    assert again.status_code == 410
    assert FeedbackResponse.objects.count() == 1
    assert FeedbackResponse.objects.get().listened_to == "yes"
    with pytest.raises(FeedbackLinkGone):
        feedback_submit(token=token, **ANSWERS)


def test_the_token_is_never_stored(client: Any, debrief_worker: Any, held: Debrief) -> None:
    token = _ask(client, debrief_worker, held)
    link = FeedbackLink.objects.get()
    assert token not in link.token_hash and len(link.token_hash) == 64
    assert not AuditEvent.objects.filter(detail__icontains=token).exists()


def test_the_link_expires(held: Debrief, debrief_worker: Any, settings: Any) -> None:
    settings.HAFAN_FEEDBACK_LINK_DAYS = 3
    made = timezone.now() - datetime.timedelta(days=3, minutes=1)
    link, token = feedback_link_create(debrief=held, actor=debrief_worker, now=made)
    assert link.expires_at == made + datetime.timedelta(days=3)
    assert Client().get(_public(token)).status_code == 410
    with pytest.raises(FeedbackLinkGone):
        feedback_submit(token=token, **ANSWERS)
    # Still open a minute before it runs out.
    assert feedback_submit(
        token=token, **ANSWERS, now=made + datetime.timedelta(days=3) - datetime.timedelta(minutes=1)
    )


def test_a_new_link_stops_the_unused_one(client: Any, debrief_worker: Any, held: Debrief) -> None:
    first = _ask(client, debrief_worker, held)
    second = _ask(client, debrief_worker, held)
    assert first != second
    assert Client().get(_public(first)).status_code == 410
    assert Client().get(_public(second)).status_code == 200
    creations = AuditEvent.objects.filter(target_type="feedback_link").order_by("seq")
    assert creations.count() == 2
    assert creations.last().detail["superseded"] == [str(creations.first().target_id)]  # type: ignore[union-attr]


def test_once_answered_no_new_link_is_made(held: Debrief, debrief_worker: Any) -> None:
    _link, token = feedback_link_create(debrief=held, actor=debrief_worker)
    feedback_submit(token=token, **ANSWERS)
    with pytest.raises(InvalidAction):
        feedback_link_create(debrief=held, actor=debrief_worker)
    assert FeedbackLink.objects.count() == 1


def test_an_unknown_token_looks_exactly_like_a_used_one(held: Debrief, debrief_worker: Any) -> None:
    _link, used = feedback_link_create(debrief=held, actor=debrief_worker)
    feedback_submit(token=used, **ANSWERS)
    unknown = new_token()
    for welsh in (False, True):
        a = Client().get(_public(used, welsh=welsh))
        b = Client().get(_public(unknown, welsh=welsh))
        assert a.status_code == b.status_code == 410
        assert _same(a.content, used) == _same(b.content, unknown)
    assert Client().get("/feedback/not-a-token/").status_code == 410
    assert Client().post(_public(unknown), ANSWERS).status_code == 410
    assert FeedbackResponse.objects.count() == 1


def _same(body: bytes, token: str) -> bytes:
    """The page without what differs on every request anyway (the token typed, the CSP nonce)."""
    return re.sub(rb'nonce="[^"]*"', b'nonce=""', body.replace(token.encode(), b"{token}"))


# Who may make a link


def test_only_the_providers_debrief_workers_make_links(
    client: Any,
    held: Debrief,
    coordinator: Any,
    social_worker: Any,
    nurse: Any,
    analyst: Any,
    auditor: Any,
    outsider: Any,
) -> None:
    url = reverse("feedback:link_create", args=[held.public_id])
    for user in (coordinator, social_worker, nurse, analyst, auditor, outsider):
        client.force_login(user)
        assert client.post(url).status_code == 404, user.username
    # Another charity's debrief worker.
    other = Agency.objects.create(
        code="BARNARDOS", name_en="Barnardo's", name_cy="Barnardo's", kind=AgencyKind.CHARITY
    )
    stranger = staff_create(
        username="other-debrief",
        password=PERSONA_PASSWORD,
        role=Role.DEBRIEF_WORKER,
        agency=other,
        first_name="Other",
        last_name="Worker",
    )
    client.force_login(stranger)
    assert client.post(url).status_code == 404
    with pytest.raises(NotPermitted):
        feedback_link_create(debrief=held, actor=stranger)
    with pytest.raises(NotPermitted):
        feedback_link_create(debrief=held, actor=coordinator)
    assert not FeedbackLink.objects.exists()
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_no_link_before_the_debrief_is_held(
    client: Any, report_missing: Any, coordinator: Any, debrief_worker: Any
) -> None:
    now = timezone.now()
    episode = report_missing(
        reported_at=now - datetime.timedelta(hours=3), last_seen_at=now - datetime.timedelta(hours=4)
    )
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(hours=1),
        found_where="Home",
        found_by="carer",
        harm_suffered=False,
    )
    debrief = Debrief.objects.get(episode=episode)
    with pytest.raises(InvalidAction):
        feedback_link_create(debrief=debrief, actor=debrief_worker)
    client.force_login(debrief_worker)
    response = client.post(reverse("feedback:link_create", args=[debrief.public_id]))
    assert response.status_code == 200
    assert b"once the debrief has been held" in response.content
    assert not FeedbackLink.objects.exists()


def test_the_panel_shows_the_link_once_then_only_its_state(
    client: Any, debrief_worker: Any, coordinator: Any, held: Debrief
) -> None:
    def panel(user: Any) -> str:
        request = RequestFactory().get("/")
        request.user = user
        template = Template("{% load feedback_tags %}{% feedback_panel debrief %}")
        return template.render(Context({"debrief": held, "request": request}))

    assert "Ask for feedback" in panel(debrief_worker)
    assert panel(coordinator).strip() == ""
    token = _ask(client, debrief_worker, held)
    shown = panel(debrief_worker)
    assert token not in shown
    assert "not used yet" in shown and "Make a new link" in shown
    feedback_submit(token=token, **ANSWERS)
    answered = panel(debrief_worker)
    assert "The young person has answered" in answered
    assert "Make a new link" not in answered and "Ask for feedback" not in answered


def test_htmx_gets_the_panel_alone(client: Any, debrief_worker: Any, held: Debrief) -> None:
    client.force_login(debrief_worker)
    response = client.post(
        reverse("feedback:link_create", args=[held.public_id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="feedback-panel"' in body
    assert TOKEN_IN_URL.search(body)


# The young person's page


def test_the_page_says_nothing_about_the_child(client: Any, debrief_worker: Any, held: Debrief) -> None:
    token = _ask(client, debrief_worker, held)
    body = Client().get(_public(token)).content.decode()
    child = held.episode.child
    for private in (child.given_name, child.family_name, held.episode.reference, "Cwmbran", "friend's flat"):
        assert private not in body
    assert "Llamau" in body  # the service they talked to
    assert 'name="viewport"' in body and "width=device-width" in body


def test_a_welsh_debrief_gets_a_welsh_link_and_page(client: Any, debrief_worker: Any, held: Debrief) -> None:
    debrief_language_set(debrief=held, worker=debrief_worker, language="cy")
    client.force_login(debrief_worker)
    response = client.post(reverse("feedback:link_create", args=[held.public_id]))
    body = response.content.decode()
    assert re.search(r"https?://[^\"<\s]+/cy/feedback/[A-Za-z0-9_-]{43}/", body)
    token = TOKEN_IN_URL.search(body)[1]  # type: ignore[index]
    page = Client().get(_public(token, welsh=True))
    assert page.status_code == 200
    assert '<html lang="cy"' in page.content.decode()
    Client().post(_public(token, welsh=True), ANSWERS)
    assert FeedbackResponse.objects.get().language == "cy"


def test_answers_are_checked(client: Any, debrief_worker: Any, held: Debrief) -> None:
    token = _ask(client, debrief_worker, held)
    young_person = Client()
    missing = young_person.post(_public(token), {"listened_to": "yes", "helped": "maybe"})
    assert missing.status_code == 200
    body = missing.content.decode()
    assert "There is a problem" in body and "govuk-error-summary" in body
    assert 'href="#id_felt_safe_0"' in body
    assert "Choose an answer." in body and "Choose yes, a bit or no." in body
    long = young_person.post(_public(token), {**ANSWERS, "comment": "x" * 1001})
    assert long.status_code == 200 and "Please make this shorter" in long.content.decode()
    assert not FeedbackResponse.objects.exists()
    with pytest.raises(ValidationError) as caught:
        feedback_submit(token=token, listened_to="", felt_safe="no", helped="yes", comment="y" * 1001)
    assert set(caught.value.message_dict) == {"listened_to", "comment"}
    assert FeedbackLink.objects.get().used_at is None
    # The young person can still answer.
    assert young_person.post(_public(token), ANSWERS).status_code == 200
    assert FeedbackResponse.objects.count() == 1


def test_csrf_still_protects_the_anonymous_form(client: Any, debrief_worker: Any, held: Debrief) -> None:
    token = _ask(client, debrief_worker, held)
    young_person = Client(enforce_csrf_checks=True)
    assert young_person.post(_public(token), ANSWERS).status_code == 403
    page = young_person.get(_public(token))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert csrf
    sent = young_person.post(_public(token), {**ANSWERS, "csrfmiddlewaretoken": csrf[1]})
    assert sent.status_code == 200
    assert FeedbackResponse.objects.count() == 1


def test_the_answers_are_audited_without_the_child(client: Any, debrief_worker: Any, held: Debrief) -> None:
    token = _ask(client, debrief_worker, held)
    Client().post(_public(token), ANSWERS)
    made = AuditEvent.objects.get(target_type="feedback_link")
    assert made.child_public_id == held.episode.child.public_id and made.actor_id == debrief_worker.pk
    answered = AuditEvent.objects.get(target_type="feedback_response")
    assert answered.actor_id is None and answered.child_public_id is None
    assert answered.detail["link"] == made.target_id
    assert held.episode.child.family_name not in str(answered.detail)


# Results counted per service


def _answered(debrief: Debrief, worker: Any, **answers: str) -> None:
    _link, token = feedback_link_create(debrief=debrief, actor=worker)
    feedback_submit(token=token, **{**ANSWERS, **answers})


@pytest.fixture
def six_answers(report_missing: Any, coordinator: Any, debrief_worker: Any) -> list[Debrief]:
    """Seven debriefs held, six answered: felt_safe 5 yes and 1 no; one comment."""
    names = ["Alaw", "Betsan", "Cari", "Dilys", "Efa", "Ffion", "Gwen"]
    debriefs = [_held(report_missing, coordinator, debrief_worker, given=n) for n in names]
    for i, debrief in enumerate(debriefs[:6]):
        _answered(
            debrief,
            debrief_worker,
            felt_safe="no" if i == 0 else "yes",
            comment="I liked the hot chocolate" if i == 1 else "",
        )
    feedback_link_create(debrief=debriefs[6], actor=debrief_worker)
    return debriefs


def _row(body: str, question: str) -> list[str]:
    match = re.search(rf'data-question="{question}">(.*?)</tr>', body, re.S)
    assert match, question
    return [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match[1], re.S)]


def test_results_are_exact_for_the_service_and_withheld_for_others(
    client: Any, six_answers: list[Debrief], debrief_worker: Any, analyst: Any, coordinator: Any
) -> None:
    client.force_login(debrief_worker)
    own = client.get(reverse("feedback:results")).content.decode()
    assert 'data-testid="feedback-links-sent">7<' in own.replace("\n", "")
    assert _row(own, "felt_safe") == ["5", "0", "1"]
    assert _row(own, "listened_to") == ["6", "0", "0"]
    assert "86%" in own  # 6 of 7

    for outsider_to_service in (analyst, coordinator):
        client.force_login(outsider_to_service)
        body = client.get(reverse("feedback:results")).content.decode()
        # 5 is shown; the lone "no" is withheld, and so is the next smallest so it cannot be worked out.
        assert _row(body, "felt_safe") == ["5", "fewer than 5", "fewer than 5"]
        assert _row(body, "listened_to") == ["6", "0", "0"]
        assert "86%" in body


def test_fewer_answers_than_the_threshold_withhold_every_figure(
    client: Any, held: Debrief, debrief_worker: Any, analyst: Any
) -> None:
    _answered(held, debrief_worker, listened_to="no")
    client.force_login(analyst)
    body = client.get(reverse("feedback:results")).content.decode()
    assert _row(body, "listened_to") == ["fewer than 5"] * 3
    assert "Not shown" in body
    client.force_login(debrief_worker)
    assert _row(client.get(reverse("feedback:results")).content.decode(), "listened_to") == ["0", "0", "1"]


def test_comments_only_for_the_services_debrief_workers(
    client: Any, six_answers: list[Debrief], debrief_worker: Any, analyst: Any, coordinator: Any
) -> None:
    client.force_login(debrief_worker)
    assert "I liked the hot chocolate" in client.get(reverse("feedback:results")).content.decode()
    assert AuditEvent.objects.filter(target_type="feedback_comments", actor_id=debrief_worker.pk).exists()
    for user in (analyst, coordinator):
        client.force_login(user)
        body = client.get(reverse("feedback:results")).content.decode()
        assert "hot chocolate" not in body and "What young people wrote" not in body


def test_who_sees_the_results(
    client: Any, held: Debrief, auditor: Any, administrator: Any, outsider: Any, nurse: Any, analyst: Any
) -> None:
    for user in (auditor, administrator, outsider):
        client.force_login(user)
        assert client.get(reverse("feedback:results")).status_code == 404, user.username
    for user in (nurse, analyst):
        client.force_login(user)
        response = client.get(reverse("feedback:results"))
        assert response.status_code == 200 and b"Llamau" in response.content


# Subject access and retention


def test_subject_access_includes_the_feedback_and_retention_deletes_it(
    held: Debrief, debrief_worker: Any
) -> None:
    from django.db import transaction

    from hafan.rights.export import export_items
    from hafan.rights.holdings import holdings_delete, holdings_for

    _answered(held, debrief_worker, comment="My social worker never calls back")
    child = held.episode.child
    sections = export_items(holdings_for(child))
    assert [i["fields"]["listened_to"] for i in sections["feedback_responses"]] == ["yes"]
    # The comment may name someone else: reviewed before release. No token or its hash leaves the hub.
    assert sections["feedback_responses"][0]["redaction_reasons"] == ["third_party"]
    assert "token_hash" not in sections["feedback_links"][0]["fields"]
    with transaction.atomic():
        deleted = holdings_delete(holdings_for(child))
    assert deleted["feedback.FeedbackResponse"] == 1 and deleted["feedback.FeedbackLink"] == 1
    assert not FeedbackResponse.objects.exists()


# Demo data


def test_demo_feedback_is_deterministic(report_missing: Any, coordinator: Any, debrief_worker: Any) -> None:
    from django.db import transaction

    from hafan.feedback.demo import demo_feedback

    debriefs = [
        _held(report_missing, coordinator, debrief_worker, given=n) for n in ("Alaw", "Betsan", "Cari")
    ]
    debriefs += [
        _held(report_missing, coordinator, debrief_worker, given=n) for n in ("Dilys", "Efa", "Ffion")
    ]

    def run() -> list[tuple[str, str, str, str]]:
        for debrief in debriefs:
            demo_feedback(
                debrief=debrief,
                worker=debrief_worker,
                held_at=debrief.held_at,  # type: ignore[arg-type]
                latest=timezone.now(),
            )
        return sorted(
            (r.link.debrief.episode.reference, r.listened_to, r.felt_safe, r.comment)
            for r in FeedbackResponse.objects.select_related("link__debrief__episode")
        )

    class Again(Exception):
        pass

    try:
        with transaction.atomic():
            first = run()
            raise Again
    except Again:
        pass
    assert not FeedbackLink.objects.exists()
    assert run() == first
    assert FeedbackLink.objects.count() == 6
    assert all(answer in {"yes", "a_bit", "no"} for row in first for answer in row[1:3])
