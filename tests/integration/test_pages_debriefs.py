"""The debrief worker's pages and referrals, driven through the test client as each persona."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from hafan.core.vocabulary import FactCategory
from hafan.debriefs.models import Debrief, OfferStatus
from hafan.episodes.services import episode_record_return
from hafan.people.models import Fact
from hafan.people.services import PersonDetails, fact_add
from hafan.referrals.models import Referral, ReferralStatus, Service, ServiceKind
from hafan.referrals.services import referral_send

POLICE_SECRET = "Warning marker: known to carry a blade (police intelligence)"


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def returned(report_missing: Any, coordinator: Any, partnership: dict[str, Any]) -> Debrief:
    """A child reported missing, given a police warning marker, and returned three hours ago."""
    now = timezone.now()
    episode = report_missing(
        reported_at=now - datetime.timedelta(hours=5), last_seen_at=now - datetime.timedelta(hours=6)
    )
    fact_add(
        child=episode.child,
        agency=partnership["GWP"],
        category=FactCategory.WARNING_MARKER,
        summary=POLICE_SECRET,
        recorded_on=timezone.localdate(),
        source="Niche RMS",
        actor=coordinator,
    )
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(hours=3),
        found_where="Cwmbran bus station",
        found_by="police",
        harm_suffered=False,
    )
    return Debrief.objects.get(episode=episode)


def _held_post(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    data: dict[str, Any] = {
        "status": "held",
        "offered_at": _local(now - datetime.timedelta(hours=2)),
        "held_at": _local(now - datetime.timedelta(hours=1)),
        "where_went": "A flat in Cwmbran",
        "who_with": "Older boys from school",
        "travel": "Bus",
        "push_factors": ["conflict"],
        "pull_factors": ["friends"],
        "indicators": ["cce"],
        "harm_details": "",
        "child_wishes": "To stay at home",
        "share_basis": "consent",
        "places_to_share": "Flat above the chip shop, Cwmbran\nCwmbran bus station",
        "associates_to_share": "'Jay', about 19",
    }
    data.update(overrides)
    return data


def test_queue_lists_the_returned_child_without_police_intelligence(
    client: Any, debrief_worker: Any, returned: Debrief
) -> None:
    client.force_login(debrief_worker)
    response = client.get(reverse("debriefs:queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cerys Jones" in html
    assert returned.episode.reference in html
    assert "Cwmbran bus station" in html
    assert reverse("debriefs:detail", args=[returned.public_id]) in html
    assert POLICE_SECRET not in html
    # No risk grades or police circumstances in the worker's queue.
    assert "Left after an argument." not in html


def test_queue_marks_an_overdue_debrief(
    client: Any, debrief_worker: Any, report_missing: Any, coordinator: Any
) -> None:
    now = timezone.now()
    episode = report_missing(
        reported_at=now - datetime.timedelta(days=5), last_seen_at=now - datetime.timedelta(days=5, hours=1)
    )
    episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(days=4),
        found_where="Home",
        found_by="carer",
        harm_suffered=False,
    )
    client.force_login(debrief_worker)
    html = client.get(reverse("debriefs:queue")).content.decode()
    assert "govuk-tag--red" in html
    assert "Overdue" in html


def test_detail_shows_the_form_but_no_police_intelligence(
    client: Any, debrief_worker: Any, returned: Debrief
) -> None:
    client.force_login(debrief_worker)
    response = client.get(reverse("debriefs:detail", args=[returned.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cerys Jones" in html
    assert 'name="findings-0-share"' in html  # each finding carries its own sharing decision
    assert reverse("referrals:new_for_debrief", args=[returned.public_id]) in html
    assert POLICE_SECRET not in html
    assert "Left after an argument." not in html


def test_worker_records_a_held_debrief_and_shares_places_with_consent(
    client: Any, debrief_worker: Any, returned: Debrief
) -> None:
    client.force_login(debrief_worker)
    response = client.post(reverse("debriefs:detail", args=[returned.public_id]), _held_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("debriefs:queue")
    returned.refresh_from_db()
    assert returned.status == OfferStatus.HELD
    assert returned.worker == debrief_worker
    assert returned.indicators == ["cce"]
    assert returned.push_factors == ["conflict"]
    shared = Fact.objects.filter(debrief=returned)
    assert sorted(shared.filter(category=FactCategory.PLACE).values_list("summary", flat=True)) == [
        "Cwmbran bus station",
        "Flat above the chip shop, Cwmbran",
    ]
    assert list(shared.filter(category=FactCategory.ASSOCIATE).values_list("summary", flat=True)) == [
        "'Jay', about 19"
    ]
    assert shared.filter(category=FactCategory.EXPLOITATION).count() == 1
    # The confirmation shows once, on the queue; a held debrief then leaves the queue.
    first = client.get(reverse("debriefs:queue")).content.decode()
    assert "govuk-notification-banner" in first
    queue = client.get(reverse("debriefs:queue")).content.decode()
    assert 'data-testid="queue-empty"' in queue
    assert returned.episode.reference not in queue


def test_not_offered_without_a_reason_is_refused(client: Any, debrief_worker: Any, returned: Debrief) -> None:
    client.force_login(debrief_worker)
    response = client.post(
        reverse("debriefs:detail", args=[returned.public_id]),
        {"status": "not_offered", "not_offered_reason": "", "share_basis": "none"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "Say why a debrief was not offered." in html
    returned.refresh_from_db()
    assert returned.status == OfferStatus.AWAITING
    assert returned.worker is None


def test_sharing_places_without_a_basis_is_refused(
    client: Any, debrief_worker: Any, returned: Debrief
) -> None:
    client.force_login(debrief_worker)
    response = client.post(
        reverse("debriefs:detail", args=[returned.public_id]), _held_post(share_basis="none")
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert not Fact.objects.filter(debrief=returned).exists()


@pytest.mark.parametrize("persona", ["coordinator", "nurse", "analyst", "outsider"])
def test_others_get_404_on_the_queue_and_the_detail(
    client: Any, staff: dict[str, Any], returned: Debrief, persona: str
) -> None:
    client.force_login(staff[persona])
    assert client.get(reverse("debriefs:queue")).status_code == 404
    assert client.get(reverse("debriefs:detail", args=[returned.public_id])).status_code == 404
    post = client.post(reverse("debriefs:detail", args=[returned.public_id]), _held_post())
    assert post.status_code == 404
    returned.refresh_from_db()
    assert returned.status == OfferStatus.AWAITING


def _service(kind: ServiceKind) -> Service:
    return Service.objects.get(kind=kind)


def test_referral_from_a_debrief_with_consent(client: Any, debrief_worker: Any, returned: Debrief) -> None:
    client.force_login(debrief_worker)
    url = reverse("referrals:new_for_debrief", args=[returned.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "Llamau" in page.content.decode()  # the provider's name is shown with each service
    service = _service(ServiceKind.PEER_MENTORING)

    refused = client.post(url, {"service": str(service.public_id), "reason": "Wants someone to talk to"})
    assert refused.status_code == 200
    assert "needs the child" in refused.content.decode()
    assert not Referral.objects.exists()

    response = client.post(
        url, {"service": str(service.public_id), "reason": "Wants someone to talk to", "consent_given": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("debriefs:detail", args=[returned.public_id])
    referral = Referral.objects.get()
    assert referral.debrief == returned
    assert referral.episode == returned.episode
    assert referral.service == service
    assert referral.consent_given is True
    detail = client.get(reverse("debriefs:detail", args=[returned.public_id])).content.decode()
    assert str(service.name) in detail
    assert reverse("referrals:detail", args=[referral.public_id]) in detail


def test_coordinator_cannot_refer_from_a_debrief(client: Any, coordinator: Any, returned: Debrief) -> None:
    client.force_login(coordinator)
    url = reverse("referrals:new_for_debrief", args=[returned.public_id])
    assert client.get(url).status_code == 404


def test_social_worker_refers_from_an_episode(client: Any, social_worker: Any, returned: Debrief) -> None:
    client.force_login(social_worker)
    episode = returned.episode
    url = reverse("referrals:new_for_episode", args=[episode.public_id])
    assert client.get(url).status_code == 200
    service = _service(ServiceKind.FAMILY_MEDIATION)
    response = client.post(
        url, {"service": str(service.public_id), "reason": "Conflict at home", "consent_given": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("episodes:detail", args=[episode.public_id])
    referral = Referral.objects.get()
    assert referral.episode == episode
    assert referral.debrief is None
    assert referral.referred_by == social_worker


def test_nrm_referral_needs_no_consent(client: Any, social_worker: Any, returned: Debrief) -> None:
    client.force_login(social_worker)
    service = _service(ServiceKind.NRM)
    response = client.post(
        reverse("referrals:new_for_episode", args=[returned.episode.public_id]),
        {"service": str(service.public_id), "reason": "Found in a trap house in another county"},
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.service == service
    assert referral.consent_given is False


@pytest.mark.parametrize("persona", ["debrief", "analyst", "outsider"])
def test_only_casework_refers_from_an_episode(
    client: Any, staff: dict[str, Any], returned: Debrief, persona: str
) -> None:
    client.force_login(staff[persona])
    service = _service(ServiceKind.NRM)
    url = reverse("referrals:new_for_episode", args=[returned.episode.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"service": str(service.public_id), "reason": "x"}).status_code == 404
    assert not Referral.objects.exists()


def test_completing_a_referral_needs_an_outcome(client: Any, social_worker: Any, returned: Debrief) -> None:
    # Issue 7: a service outside the partnership, so the referring agency records its answers; the lifecycle
    # goes sent -> accepted -> started -> completed, and completing needs an outcome code and text.
    referral = referral_send(
        child=returned.episode.child,
        service=_service(ServiceKind.EXPLOITATION),
        referred_by=social_worker,
        reason="Low mood",
        consent_given=True,
        episode=returned.episode,
    )
    client.force_login(social_worker)
    url = reverse("referrals:update", args=[referral.public_id])
    assert client.get(url).status_code == 200
    for step in ("accepted", "started"):
        assert client.post(url, {"status": step}).status_code == 302

    refused = client.post(url, {"status": "completed", "outcome": ""})
    assert refused.status_code == 200
    assert "Record the outcome." in refused.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.STARTED

    done = client.post(
        url, {"status": "completed", "outcome_code": "goals_met", "outcome": "Six sessions attended"}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("referrals:detail", args=[referral.public_id])
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    assert referral.outcome == "Six sessions attended"

    finished = client.post(url, {"status": "withdrawn", "outcome": ""})
    assert finished.status_code == 200
    assert "govuk-error-summary" in finished.content.decode()


def test_referral_update_is_hidden_from_other_agencies_debrief_workers_and_outsiders(
    client: Any, social_worker: Any, debrief_worker: Any, outsider: Any, returned: Debrief
) -> None:
    # A casework referral (not from a debrief) is not the debrief worker's to see.
    referral = referral_send(
        child=returned.episode.child,
        service=_service(ServiceKind.CAMHS),
        referred_by=social_worker,
        reason="Low mood",
        consent_given=True,
        episode=returned.episode,
    )
    for user in (debrief_worker, outsider):
        client.force_login(user)
        assert client.get(reverse("referrals:update", args=[referral.public_id])).status_code == 404


def test_debrief_worker_updates_a_referral_from_their_debrief(
    client: Any, debrief_worker: Any, returned: Debrief
) -> None:
    referral = referral_send(
        child=returned.episode.child,
        service=_service(ServiceKind.PEER_MENTORING),
        referred_by=debrief_worker,
        reason="Wants a mentor",
        consent_given=True,
        episode=returned.episode,
        debrief=returned,
    )
    client.force_login(debrief_worker)
    response = client.post(reverse("referrals:update", args=[referral.public_id]), {"status": "accepted"})
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.public_id])
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED


def test_a_second_child_in_the_queue_is_sorted_by_deadline(
    client: Any, debrief_worker: Any, coordinator: Any, report_missing: Any, returned: Debrief
) -> None:
    now = timezone.now()
    earlier = report_missing(
        child_details=PersonDetails(
            given_name="Dylan", family_name="Morgan", date_of_birth=datetime.date(2010, 1, 2), sex="male"
        ),
        reported_at=now - datetime.timedelta(hours=30),
        last_seen_at=now - datetime.timedelta(hours=31),
    )
    episode_record_return(
        episode=earlier,
        recorded_by=coordinator,
        returned_at=now - datetime.timedelta(hours=20),
        found_where="Newport",
        found_by="self",
        harm_suffered=False,
    )
    client.force_login(debrief_worker)
    html = client.get(reverse("debriefs:queue")).content.decode()
    assert html.index("Dylan Morgan") < html.index("Cerys Jones")
