"""Notifications (issue 6, item 6): in the app (the list, the bell) and by email in the recipient's language;
the sweep never sends twice; a notice is its recipient's alone; opening one leads only to a local page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hafan.accounts.services import staff_create
from hafan.core.vocabulary import RiskGrade, Role
from hafan.episodes.services import episode_assign
from hafan.notifications.messages import notice_text
from hafan.notifications.models import Notification, NotificationKind
from hafan.notifications.selectors import unread_count
from hafan.notifications.services import (
    MAX_EMAIL_ATTEMPTS,
    local_path,
    notifications_email_pending,
    notify,
)
from tests.conftest import PERSONA_PASSWORD, TwoFactorClient


def _client(user: Any) -> Client:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _officer(partnership: dict[str, Any], username: str, *, language: str = "en", email: str = "") -> Any:
    return staff_create(
        username=username,
        password=PERSONA_PASSWORD,
        role=Role.POLICE_COORDINATOR,
        agency=partnership["GWP"],
        first_name="Test",
        last_name=username.title(),
        email=email,
        language=language,
    )


def _assigned(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=NotificationKind.EPISODE_ASSIGNED))


def test_assignment_shows_in_the_list_and_the_bell(coordinator, supervisor, report_missing):
    episode = report_missing()
    response = _client(coordinator).post(
        reverse("episodes:assign", args=[episode.public_id]), {"assignee": supervisor.username}
    )
    assert response.status_code == 302
    as_supervisor = _client(supervisor)
    page = as_supervisor.get(reverse("notifications:list")).content.decode()
    assert f"Episode {episode.reference} assigned to you" in page
    assert "Cerys" not in page  # never a child's name in a notice
    assert 'data-testid="notification-count">1<' in page  # the bell in the navigation
    bell = as_supervisor.get(
        reverse("notifications:bell"), headers={"HX-Request": "true", "X-Hafan-Poll": "1"}
    )
    html = bell.content.decode()
    assert bell.status_code == 200
    assert html.startswith('<li class="govuk-service-navigation__item"')
    assert 'hx-get="/notifications/bell/"' in html
    assert 'hx-trigger="every 10s"' in html
    assert "X-Hafan-Poll" in html  # a poll must not keep an idle session alive
    assert 'data-testid="notification-count">1<' in html
    # The assigner is not notified.
    assert unread_count(coordinator) == 0


def test_bell_count_follows_the_setting_and_reading(coordinator, supervisor, report_missing, settings):
    settings.HAFAN_LIVE_POLL_SECONDS = 25
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=supervisor)
    client = _client(supervisor)
    assert 'hx-trigger="every 25s"' in client.get(reverse("notifications:bell")).content.decode()
    client.post(reverse("notifications:read_all"))
    html = client.get(reverse("notifications:bell")).content.decode()
    assert "notification-count" not in html
    assert unread_count(supervisor) == 0


def test_anonymous_visitors_get_no_bell(client, partnership):
    response = Client().get(reverse("notifications:bell"))
    assert response.status_code == 302
    assert "notification-bell" not in response.content.decode()


def test_assignment_email_goes_in_the_recipients_language(coordinator, partnership, report_missing):
    english = _officer(partnership, "officer_en", email="en@hafan.invalid")
    welsh = _officer(partnership, "officer_cy", language="cy", email="cy@hafan.invalid")
    first, second = report_missing(), report_missing()
    episode_assign(episode=first, assigned_by=coordinator, assignee=english)
    episode_assign(episode=second, assigned_by=coordinator, assignee=welsh)
    assert notifications_email_pending() == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert f"http://127.0.0.1:8000/episodes/{first.public_id}/" in by_address["en@hafan.invalid"].body
    assert first.reference in by_address["en@hafan.invalid"].subject
    assert f"http://127.0.0.1:8000/cy/episodes/{second.public_id}/" in by_address["cy@hafan.invalid"].body
    assert "Cerys" not in by_address["cy@hafan.invalid"].body
    assert all(
        n.emailed_at is not None and n.email_attempts == 1 for n in _assigned(english) + _assigned(welsh)
    )


def test_email_text_uses_the_recipients_language_for_labels_and_agencies(partnership):
    welsh = _officer(partnership, "swyddog", language="cy", email="swyddog@hafan.invalid")
    notify(
        recipients=[welsh],
        kind=NotificationKind.REVIEW_OVERDUE,
        params={"reference": "MIS-2026-000001", "grade": "high", "due": "2026-03-01T10:00:00+00:00"},
        url="/episodes/",
        dedupe_key="review-overdue:test",
    )
    notify(
        recipients=[welsh],
        kind=NotificationKind.FOUND_OUT_OF_AREA,
        params={
            "reference": "MIS-2026-000001",
            "found_council_code": "CCBC",
            "responsible_council_code": "NCC",
        },
        url="/episodes/",
        dedupe_key="out-of-area:test",
    )
    assert notifications_email_pending() == 2
    bodies = "\n".join(str(message.body) for message in mail.outbox)
    with translation.override("cy"):
        high = str(RiskGrade.HIGH.label)
        march = translation.gettext("March")
    assert high != "High"  # the Welsh label, not the English one
    assert high in bodies
    assert march in bodies
    assert "Cyngor Bwrdeistref Sirol Caerffili" in bodies
    assert "Cyngor Dinas Casnewydd" in bodies
    english = notice_text(
        kind=NotificationKind.FOUND_OUT_OF_AREA, params={"found_council_code": "CCBC"}, language="en"
    )
    assert "Caerphilly County Borough Council" in english.body


def test_the_sweep_sends_nothing_twice_and_skips_staff_without_email(
    coordinator, supervisor, partnership, report_missing
):
    officer = _officer(partnership, "officer_mail", email="officer@hafan.invalid")
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=officer)
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=supervisor)  # no email address
    assert notifications_email_pending() == 1
    assert notifications_email_pending() == 0
    assert len(mail.outbox) == 1
    assert _assigned(supervisor)[0].emailed_at is None


def test_the_queued_task_emails_soon_after_the_notice(
    coordinator, partnership, report_missing, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    officer = _officer(partnership, "officer_task", email="task@hafan.invalid")
    episode = report_missing()
    with django_capture_on_commit_callbacks(execute=True):
        episode_assign(episode=episode, assigned_by=coordinator, assignee=officer)
    assert [message.to for message in mail.outbox] == [["task@hafan.invalid"]]
    assert _assigned(officer)[0].emailed_at is not None
    assert notifications_email_pending() == 0


def test_a_failing_mail_server_is_retried_then_given_up(partnership, monkeypatch):
    officer = _officer(partnership, "officer_fail", email="fail@hafan.invalid")
    (notice,) = notify(
        recipients=[officer], kind=NotificationKind.HUB_TASK, params={}, url="/tasks/", dedupe_key="t:1"
    )
    calls: list[int] = []

    def broken(self: EmailMessage, fail_silently: bool = False) -> int:
        calls.append(1)
        raise OSError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    for _attempt in range(MAX_EMAIL_ATTEMPTS + 2):
        assert notifications_email_pending() == 0
    notice.refresh_from_db()
    assert notice.email_attempts == MAX_EMAIL_ATTEMPTS
    assert notice.emailed_at is None
    assert len(calls) == MAX_EMAIL_ATTEMPTS


def test_notify_tells_each_recipient_once_and_only_active_staff(coordinator, supervisor):
    made = notify(
        recipients=[coordinator, coordinator, supervisor, None],
        kind=NotificationKind.HUB_TASK,
        params={"task_kind": "strategy_meeting"},
        url="/cy/tasks/",
        dedupe_key="hub-task:x",
    )
    assert len(made) == 2
    assert {n.url for n in made} == {"/tasks/"}  # stored without the language prefix
    again = notify(
        recipients=[coordinator],
        kind=NotificationKind.HUB_TASK,
        params={},
        url="/tasks/",
        dedupe_key="hub-task:x",
    )
    assert again == []


def test_opening_marks_read_and_goes_to_the_page_in_the_readers_language(
    coordinator, supervisor, report_missing
):
    episode = report_missing()
    episode_assign(episode=episode, assigned_by=coordinator, assignee=supervisor)
    (notice,) = _assigned(supervisor)
    client = _client(supervisor)
    response = client.post(f"/cy/notifications/{notice.public_id}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/cy/episodes/{episode.public_id}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    response = client.post(f"/notifications/{notice.public_id}/open/")
    assert response["Location"] == f"/episodes/{episode.public_id}/"


@pytest.mark.parametrize(
    "url", ["https://evil.example/phish", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_opening_never_leads_off_the_site(supervisor, url):
    (notice,) = notify(
        recipients=[supervisor], kind=NotificationKind.HUB_TASK, params={}, url=url, dedupe_key="x"
    )
    assert notice.url == ""
    response = _client(supervisor).post(reverse("notifications:open", args=[notice.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")


def test_local_path_keeps_only_local_paths():
    assert local_path("/episodes/1/") == "/episodes/1/"
    assert local_path("/cy/episodes/1/") == "/episodes/1/"
    assert local_path("/cy") == "/"
    assert local_path("/cymru/") == "/cymru/"
    assert local_path("http://x/") == ""
    assert local_path("/a\nLocation: x") == ""


def test_another_users_notice_is_not_found(coordinator, supervisor, outsider, report_missing):
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=supervisor)
    (notice,) = _assigned(supervisor)
    for user in (coordinator, outsider):
        client = _client(user)
        assert client.post(reverse("notifications:open", args=[notice.public_id])).status_code == 404
        assert "assigned to you" not in client.get(reverse("notifications:list")).content.decode()
    assert _client(supervisor).post(reverse("notifications:open", args=[uuid.uuid4()])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_open_and_read_all_need_post(supervisor):
    client = _client(supervisor)
    assert client.get(reverse("notifications:read_all")).status_code == 405
    assert client.get(reverse("notifications:open", args=[uuid.uuid4()])).status_code == 405


def test_read_all_marks_only_the_users_own(coordinator, supervisor):
    notify(
        recipients=[coordinator, supervisor],
        kind=NotificationKind.HUB_TASK,
        params={},
        url="/",
        dedupe_key="a",
    )
    notify(recipients=[supervisor], kind=NotificationKind.HUB_TASK, params={}, url="/", dedupe_key="b")
    response = _client(supervisor).post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert unread_count(supervisor) == 0
    assert unread_count(coordinator) == 1


def test_the_list_is_in_the_page_language(supervisor):
    notify(
        recipients=[supervisor],
        kind=NotificationKind.REVIEW_OVERDUE,
        params={"reference": "MIS-2026-000009", "grade": "high", "due": "2026-03-01"},
        url="/",
        dedupe_key="r",
    )
    page = _client(supervisor).get("/cy/notifications/").content.decode()
    with translation.override("cy"):
        high = str(RiskGrade.HIGH.label)
    assert high in page
    assert "MIS-2026-000009" in page


def test_the_list_names_agencies_without_a_query_per_notice(supervisor, partnership):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def escalate(n):
        for i in range(n):
            notify(
                recipients=[supervisor],
                kind=NotificationKind.INFORMATION_CALL_ESCALATED,
                params={
                    "reference": f"MIS-2026-{i:06d}",
                    "agency_code": "ABUHB",
                    "service": "health",
                    "due": "",
                },
                url="/",
                dedupe_key=f"e{n}-{i}",
            )

    client = _client(supervisor)
    escalate(1)
    with CaptureQueriesContext(connection) as one:
        page = client.get("/notifications/").content.decode()
    assert "Aneurin Bevan University Health Board" in page
    escalate(5)
    with CaptureQueriesContext(connection) as six:
        client.get("/notifications/")
    assert len(six) == len(one)
