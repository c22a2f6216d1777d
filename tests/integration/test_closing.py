"""An episode closes once the child is back and the police safe-and-well check is recorded."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from hafan.core.errors import InvalidAction, NotPermitted
from hafan.episodes.models import EpisodeStatus
from hafan.episodes.services import episode_close, episode_record_return
from hafan.risk.services import risk_grade_record
from hafan.sharing.models import AuditEvent


def _returned(report_missing: Any, coordinator: Any) -> Any:
    episode = report_missing()
    return episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=timezone.now() - datetime.timedelta(minutes=20),
        found_where="Friend's house, Risca",
        found_by="police",
        harm_suffered=False,
    )


def test_closing_needs_the_safe_and_well_check_first(
    report_missing: Any, coordinator: Any, client: Any
) -> None:
    episode = _returned(report_missing, coordinator)
    with pytest.raises(InvalidAction):
        episode_close(episode=episode, closed_by=coordinator)
    client.force_login(coordinator)
    detail = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert reverse("episodes:safe_and_well", args=[episode.public_id]) in detail
    assert reverse("episodes:close", args=[episode.public_id]) not in detail

    response = client.post(
        reverse("episodes:safe_and_well", args=[episode.public_id]),
        {
            "safe_and_well_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "safe_and_well_by": "PC 1234 Jenkins",
        },
    )
    assert response.status_code == 302
    response = client.post(reverse("episodes:close", args=[episode.public_id]))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.CLOSED
    assert episode.closed_at is not None
    assert AuditEvent.objects.filter(
        target_id=str(episode.public_id), detail__status=["returned", "closed"]
    ).exists()


def test_a_closed_episode_cannot_be_regraded_and_only_police_close(
    report_missing: Any, coordinator: Any, nurse: Any, client: Any
) -> None:
    episode = _returned(report_missing, coordinator)
    from hafan.episodes.services import episode_record_safe_and_well

    episode_record_safe_and_well(
        episode=episode, recorded_by=coordinator, checked_at=timezone.now(), checked_by="PC 1"
    )
    with pytest.raises(NotPermitted):
        episode_close(episode=episode, closed_by=nurse)
    client.force_login(nurse)
    assert client.post(reverse("episodes:close", args=[episode.public_id])).status_code == 403
    episode_close(episode=episode, closed_by=coordinator)
    with pytest.raises(InvalidAction):
        risk_grade_record(
            episode=episode,
            author=coordinator,
            grade="low",
            factors=[],
            rationale="late",
            next_review_due=timezone.now() + datetime.timedelta(hours=1),
        )
    with pytest.raises(InvalidAction):
        episode_close(episode=episode, closed_by=coordinator)
