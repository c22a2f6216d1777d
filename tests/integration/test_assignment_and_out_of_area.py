"""Assigning an episode (issue 6, item 6) and the notice when a child is found outside their home council's
area: who may assign (403 for those who see the episode, 404 for those who don't), who is told, and who isn't."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.services import staff_create, staff_disable
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Role
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_assign, episode_close, episode_record_return
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.models import AllocationKind
from hafan.people.services import allocation_start
from hafan.sharing.models import AuditEvent
from tests.conftest import PERSONA_PASSWORD, TwoFactorClient
from tests.integration.form_data import local_input


def _client(user: Any) -> Client:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _social_worker(
    partnership: dict[str, Any], username: str, council: str, *, hub_member: bool = True
) -> Any:
    return staff_create(
        username=username,
        password=PERSONA_PASSWORD,
        role=Role.SOCIAL_WORKER,
        agency=partnership[council],
        first_name="Test",
        last_name=username.title(),
        hub_member=hub_member,
    )


def _notices(kind: NotificationKind) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def _return(episode: Episode, by: Any, found_council: Any = None) -> Episode:
    return episode_record_return(
        episode=episode,
        recorded_by=by,
        returned_at=timezone.now() - datetime.timedelta(minutes=30),
        found_where="Bus station",
        found_by="police",
        harm_suffered=False,
        found_council=found_council,
    )


# --- Assignment


def test_coordinator_assigns_from_the_briefing(coordinator, supervisor, report_missing):
    episode = report_missing()
    client = _client(coordinator)
    briefing = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Not assigned to anyone yet." in briefing
    assert reverse("episodes:assign", args=[episode.public_id]) in briefing
    page = client.get(reverse("episodes:assign", args=[episode.public_id]))
    assert page.status_code == 200
    assert f'value="{supervisor.username}"' in page.content.decode()
    response = client.post(
        reverse("episodes:assign", args=[episode.public_id]), {"assignee": supervisor.username}
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.assigned_to == supervisor
    assert episode.assigned_at is not None
    briefing = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Bethan Morgan" in briefing
    assert AuditEvent.objects.filter(
        target_id=str(episode.public_id), detail__assigned_to__isnull=False
    ).exists()


def test_the_briefing_shows_the_assignee_without_a_link_to_those_who_may_not_assign(
    coordinator, supervisor, social_worker, report_missing
):
    episode = report_missing()
    episode_assign(episode=episode, assigned_by=coordinator, assignee=supervisor)
    briefing = (
        _client(social_worker).get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    )
    assert "Bethan Morgan" in briefing
    assert reverse("episodes:assign", args=[episode.public_id]) not in briefing


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("coordinator", 200),
        ("supervisor", 200),
        ("socialworker", 403),
        ("nurse", 403),
        ("education", 403),
        ("analyst", 404),
        ("auditor", 404),
        ("admin", 404),
        ("debrief", 404),
        ("outsider", 404),
        ("caseworker", 404),  # a social worker outside the hub, not allocated to the child
    ],
)
def test_who_may_open_the_assign_page(staff, report_missing, persona, status):
    episode = report_missing()
    client = _client(staff[persona])
    url = reverse("episodes:assign", args=[episode.public_id])
    assert client.get(url).status_code == status
    expected_post = 302 if status == 200 else status
    assert client.post(url, {"assignee": "supervisor"}).status_code == expected_post


def test_allocated_non_hub_social_worker_may_see_but_not_assign(staff, coordinator, report_missing):
    episode = report_missing()
    allocation_start(
        child=episode.child,
        user=staff["caseworker"],
        kind=AllocationKind.CASE_HOLDER,
        allocated_by=coordinator,
    )
    assert (
        _client(staff["caseworker"]).get(reverse("episodes:assign", args=[episode.public_id])).status_code
        == 403
    )


def test_anonymous_visitors_are_sent_to_sign_in(report_missing):
    episode = report_missing()
    response = Client().get(reverse("episodes:assign", args=[episode.public_id]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_only_active_hub_police_can_be_assigned(
    coordinator, supervisor, social_worker, administrator, report_missing
):
    episode = report_missing()
    with pytest.raises(NotPermitted):
        episode_assign(episode=episode, assigned_by=social_worker, assignee=supervisor)
    with pytest.raises(ValidationError) as refused:
        episode_assign(episode=episode, assigned_by=coordinator, assignee=social_worker)
    assert "assignee" in refused.value.message_dict
    staff_disable(user=supervisor, disabled_by=administrator, reason="left")
    supervisor.refresh_from_db()
    with pytest.raises(ValidationError):
        episode_assign(episode=episode, assigned_by=coordinator, assignee=supervisor)
    episode.refresh_from_db()
    assert episode.assigned_to is None
    assert _notices(NotificationKind.EPISODE_ASSIGNED) == set()


def test_a_made_up_assignee_is_a_form_error(coordinator, report_missing):
    episode = report_missing()
    response = _client(coordinator).post(
        reverse("episodes:assign", args=[episode.public_id]), {"assignee": "nurse"}
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    episode.refresh_from_db()
    assert episode.assigned_to is None


def test_a_closed_episode_cannot_be_assigned(coordinator, supervisor, report_missing):
    episode = report_missing()
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=timezone.now() - datetime.timedelta(minutes=30),
        found_where="Home",
        found_by="carer",
        harm_suffered=False,
        safe_and_well_at=timezone.now() - datetime.timedelta(minutes=10),
        safe_and_well_by="PC 123",
    )
    episode_close(episode=episode, closed_by=coordinator)
    with pytest.raises(InvalidAction):
        episode_assign(episode=episode, assigned_by=coordinator, assignee=supervisor)
    response = _client(coordinator).get(reverse("episodes:assign", args=[episode.public_id]))
    assert response.status_code == 302


def test_reassignment_notifies_again_and_assigning_the_same_person_does_nothing(
    coordinator, supervisor, partnership, report_missing
):
    other = staff_create(
        username="officer2",
        password=PERSONA_PASSWORD,
        role=Role.POLICE_COORDINATOR,
        agency=partnership["GWP"],
    )
    episode = report_missing()
    episode_assign(episode=episode, assigned_by=coordinator, assignee=supervisor)
    episode_assign(episode=episode, assigned_by=coordinator, assignee=supervisor)  # no change
    episode_assign(episode=episode, assigned_by=coordinator, assignee=other)
    episode_assign(episode=episode, assigned_by=coordinator, assignee=supervisor)
    kinds = Notification.objects.filter(kind=NotificationKind.EPISODE_ASSIGNED)
    assert kinds.filter(recipient=supervisor).count() == 2
    assert kinds.filter(recipient=other).count() == 1
    episode.refresh_from_db()
    assert episode.assigned_to == supervisor


# --- Found outside the home council's area


def test_found_in_another_council_tells_both_councils_and_the_case_holder(
    coordinator, social_worker, partnership, report_missing, staff
):
    host = _social_worker(partnership, "ccbc_sw", "CCBC")
    third = _social_worker(partnership, "mcc_sw", "MCC")
    outside_hub_host = _social_worker(partnership, "ccbc_outside", "CCBC", hub_member=False)
    episode = report_missing()  # responsible council: Newport (NCC)
    allocation_start(
        child=episode.child,
        user=staff["caseworker"],
        kind=AllocationKind.CASE_HOLDER,
        allocated_by=coordinator,
    )
    response = _client(coordinator).post(
        reverse("episodes:return", args=[episode.public_id]),
        {
            "returned_at": local_input(timezone.now() - datetime.timedelta(minutes=10)),
            "found_where": "Caerphilly bus station",
            "found_council": str(partnership["CCBC"].pk),
            "found_by": "police",
            "harm_suffered": "no",
        },
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.found_council == partnership["CCBC"]
    told = _notices(NotificationKind.FOUND_OUT_OF_AREA)
    assert told == {social_worker.username, host.username, "caseworker"}
    assert third.username not in told
    assert outside_hub_host.username not in told
    notice = Notification.objects.get(recipient=host, kind=NotificationKind.FOUND_OUT_OF_AREA)
    assert notice.params == {
        "reference": episode.reference,
        "found_council_code": "CCBC",
        "responsible_council_code": "NCC",
    }
    assert notice.url == f"/episodes/{episode.public_id}/"
    # The Welsh-speaking Newport social worker reads it in Welsh, with the councils' Welsh names.
    page = _client(social_worker).get("/cy/notifications/").content.decode()
    assert "Cyngor Bwrdeistref Sirol Caerffili" in page
    assert "Cerys" not in page


def test_found_in_their_own_council_area_tells_nobody(
    coordinator, social_worker, partnership, report_missing
):
    _return(report_missing(), coordinator, found_council=partnership["NCC"])
    _return(report_missing(), coordinator, found_council=None)  # not known: nobody told either
    assert _notices(NotificationKind.FOUND_OUT_OF_AREA) == set()


def test_the_found_council_must_be_a_council(coordinator, partnership, report_missing):
    episode = report_missing()
    with pytest.raises(ValidationError) as refused:
        _return(episode, coordinator, found_council=partnership["ABUHB"])
    assert "found_council" in refused.value.message_dict
    episode.refresh_from_db()
    assert episode.returned_at is None
