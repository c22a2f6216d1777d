"""`hafan scheduler --once`: runs each job in order with a log line each, sends waiting email, sends nothing
twice, and carries on past a missing or failing job but then exits non-zero."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from hafan.accounts.services import staff_create
from hafan.core.management.commands import scheduler
from hafan.core.vocabulary import Role
from hafan.episodes.services import episode_assign
from tests.conftest import PERSONA_PASSWORD


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("scheduler", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def officer_with_email(partnership: dict[str, Any]) -> Any:
    return staff_create(
        username="officer_sched",
        password=PERSONA_PASSWORD,
        role=Role.POLICE_COORDINATOR,
        agency=partnership["GWP"],
        email="sched@hafan.invalid",
    )


def test_once_runs_every_job_in_order_and_sends_waiting_email(
    coordinator, officer_with_email, report_missing
):
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=officer_with_email)
    out, err = _run("--once")
    lines = out.splitlines()
    names = [line.split(":")[0] for line in lines]
    assert names == [
        "information_calls_escalate",
        "reviews_overdue_notify",
        "triggers_run",
        "referral_reminders_send",  # issue 7: referrals with no answer or no outcome
        "analytics_refresh",  # issue 8: the analytics store catches up
        "notifications_email_pending",
    ]
    assert "notifications_email_pending: 1" in lines
    assert err == ""
    assert [message.to for message in mail.outbox] == [["sched@hafan.invalid"]]


def test_running_twice_sends_nothing_twice(coordinator, officer_with_email, report_missing):
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=officer_with_email)
    _run("--once")
    out, _err = _run("--once")
    assert "notifications_email_pending: 0" in out.splitlines()
    assert len(mail.outbox) == 1


def test_a_missing_job_is_reported_and_the_others_still_run(
    coordinator, officer_with_email, report_missing, monkeypatch
):
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=officer_with_email)
    monkeypatch.setattr(
        scheduler, "JOBS", [scheduler.Job("not_written_yet", "hafan.nowhere.jobs.run"), *scheduler.JOBS[-1:]]
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 scheduled job"):
        call_command("scheduler", "--once", stdout=out, stderr=err)
    assert "not_written_yet: not available" in err.getvalue()
    assert "notifications_email_pending: 1" in out.getvalue()
    assert len(mail.outbox) == 1


def broken_job(*, now: Any) -> int:
    raise RuntimeError("database on fire")


def test_a_failing_job_is_logged_and_the_tick_exits_non_zero(
    coordinator, officer_with_email, report_missing, monkeypatch
):
    episode_assign(episode=report_missing(), assigned_by=coordinator, assignee=officer_with_email)
    monkeypatch.setattr(
        scheduler,
        "JOBS",
        [scheduler.Job("broken", f"{__name__}.broken_job"), *scheduler.JOBS[-1:]],
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("scheduler", "--once", stdout=out, stderr=err)
    assert "broken: failed (RuntimeError: database on fire)" in err.getvalue()
    assert "notifications_email_pending: 1" in out.getvalue()


def test_every_must_be_positive(db):
    with pytest.raises(CommandError):
        call_command("scheduler", "--every", "0", stdout=StringIO())
