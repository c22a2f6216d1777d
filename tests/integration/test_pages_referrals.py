"""Referral pages and the referrals API (issue 7, item 4), driven through the test client as each persona:
the directory, "referrals I sent", "referrals to my service", a referral's page with its history and steps,
the NRM form, the child's record, and the agency systems' API."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.services import api_token_issue
from hafan.episodes.models import Episode
from hafan.referrals.directory import service_for
from hafan.referrals.models import Referral, ReferralStatus, ServiceKind
from hafan.referrals.services import referral_accept, referral_send

DAY = datetime.timedelta(days=1)


@pytest.fixture
def episode(report_missing: Callable[..., Episode]) -> Episode:
    return report_missing()  # Cerys Jones, a Newport child


def _refer(episode: Episode, by: Any, kind: ServiceKind, *, days_ago: float = 0, **kw: Any) -> Referral:
    return referral_send(
        child=episode.child,
        service=service_for(kind=kind, council_code="NCC"),
        referred_by=by,
        reason=kw.pop("reason", "Needs support after going missing."),
        consent_given=kw.pop("consent_given", True),
        episode=episode,
        referred_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


@pytest.fixture
def camhs(episode: Episode, social_worker: Any) -> Referral:
    return _refer(episode, social_worker, ServiceKind.CAMHS, days_ago=4)


# The directory


def test_the_directory_shows_provider_areas_contact_and_load(
    client: Any, nurse: Any, social_worker: Any, camhs: Referral
) -> None:
    referral_accept(referral=camhs, actor=nurse)
    client.force_login(social_worker)
    html = client.get(reverse("referrals:directory")).content.decode()
    assert "Aneurin Bevan University Health Board" in html
    assert "camhs.spoa@abuhb.invalid" in html
    assert "1 of 60" in html  # CAMHS: working with one child of its 60
    assert "All of Gwent" in html


def test_the_directory_filters_by_kind_and_area(client: Any, debrief_worker: Any, partnership: Any) -> None:
    client.force_login(debrief_worker)
    html = client.get(
        reverse("referrals:directory"), {"kind": "education_support", "area": "CCBC"}
    ).content.decode()
    assert "Education inclusion support: Caerphilly" in html
    assert "Education inclusion support: Newport" not in html
    assert "Peer mentoring for young people" not in html
    assert html.count('data-testid="service-row"') == 1


@pytest.mark.parametrize("persona", ["analyst", "auditor", "administrator", "outsider"])
def test_the_directory_and_lists_are_404_for_those_who_neither_make_nor_answer_referrals(
    client: Any, persona: str, request: pytest.FixtureRequest, camhs: Referral
) -> None:
    client.force_login(request.getfixturevalue(persona))
    for name in ("referrals:directory", "referrals:sent", "referrals:received"):
        assert client.get(reverse(name)).status_code == 404
    assert client.get(reverse("referrals:detail", args=[camhs.public_id])).status_code == 404


# Referrals I sent / to my service


def test_referrals_i_sent_lists_mine_with_days_waiting(
    client: Any, social_worker: Any, coordinator: Any, camhs: Referral
) -> None:
    client.force_login(social_worker)
    html = client.get(reverse("referrals:sent")).content.decode()
    assert reverse("referrals:detail", args=[camhs.public_id]) in html
    assert 'data-testid="days-waiting">4<' in html
    client.force_login(coordinator)
    assert (
        reverse("referrals:detail", args=[camhs.public_id])
        not in client.get(reverse("referrals:sent")).content.decode()
    )


def test_referrals_to_my_service_are_scoped_to_the_agency_that_runs_it(
    client: Any,
    camhs: Referral,
    nurse: Any,
    education_worker: Any,
    debrief_worker: Any,
    episode: Episode,
    social_worker: Any,
) -> None:
    newport_school = _refer(episode, social_worker, ServiceKind.EDUCATION_SUPPORT)
    camhs_link = reverse("referrals:detail", args=[camhs.public_id])
    school_link = reverse("referrals:detail", args=[newport_school.public_id])

    client.force_login(nurse)
    html = client.get(reverse("referrals:received")).content.decode()
    assert camhs_link in html and school_link not in html and "Cerys Jones" in html

    # Caerphilly's education worker: Newport's education support is not theirs, nor is CAMHS.
    client.force_login(education_worker)
    html = client.get(reverse("referrals:received")).content.decode()
    assert camhs_link not in html and school_link not in html

    client.force_login(debrief_worker)
    html = client.get(reverse("referrals:received")).content.decode()
    assert camhs_link not in html
    assert client.get(camhs_link).status_code == 404  # not Llamau's service, debrief or referral


def test_the_lists_filter_by_status(
    client: Any, nurse: Any, camhs: Referral, episode: Episode, social_worker: Any
) -> None:
    other = _refer(episode, social_worker, ServiceKind.CAMHS, reason="A second concern")
    referral_accept(referral=other, actor=nurse)
    client.force_login(nurse)
    html = client.get(reverse("referrals:received"), {"status": "accepted"}).content.decode()
    assert reverse("referrals:detail", args=[other.public_id]) in html
    assert reverse("referrals:detail", args=[camhs.public_id]) not in html
    html = client.get(reverse("referrals:received"), {"status": "open"}).content.decode()
    assert html.count('data-testid="referral-row"') == 2


# One referral


def test_the_provider_answers_on_the_referral_page_and_the_history_shows_it(
    client: Any, nurse: Any, camhs: Referral
) -> None:
    client.force_login(nurse)
    url = reverse("referrals:detail", args=[camhs.public_id])
    html = client.get(url).content.decode()
    assert 'data-testid="referral-step"' in html and 'value="accepted"' in html and 'value="declined"' in html
    assert 'value="withdrawn"' in html  # a hub nurse may also withdraw for the hub

    refused = client.post(reverse("referrals:update", args=[camhs.public_id]), {"status": "declined"})
    assert refused.status_code == 200
    assert "govuk-error-summary" in refused.content.decode()
    assert "Say why the service declined the referral." in refused.content.decode()

    response = client.post(reverse("referrals:update", args=[camhs.public_id]), {"status": "accepted"})
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert html.count('data-testid="referral-event"') == 2
    assert "Accepted by the service" in html
    assert 'value="started"' in html and 'value="accepted"' not in html


def test_the_referrer_cannot_answer_for_a_partner_run_service_but_may_withdraw(
    client: Any, social_worker: Any, camhs: Referral
) -> None:
    client.force_login(social_worker)
    html = client.get(reverse("referrals:detail", args=[camhs.public_id])).content.decode()
    assert 'value="withdrawn"' in html and 'value="accepted"' not in html
    response = client.post(reverse("referrals:update", args=[camhs.public_id]), {"status": "accepted"})
    assert response.status_code == 200
    camhs.refresh_from_db()
    assert camhs.status == ReferralStatus.SENT


def test_the_nrm_form_records_the_reference_and_decision(
    client: Any, social_worker: Any, episode: Episode
) -> None:
    nrm = _refer(episode, social_worker, ServiceKind.NRM, consent_given=False, days_ago=40)
    client.force_login(social_worker)
    url = reverse("referrals:nrm", args=[nrm.public_id])
    assert (
        'data-testid="nrm-form"'
        in client.get(reverse("referrals:detail", args=[nrm.public_id])).content.decode()
    )
    refused = client.post(url, {"nrm_reference": "NRM-2026-04567", "nrm_decision": "rg_positive"})
    assert refused.status_code == 200 and "Enter the date of the decision." in refused.content.decode()
    decided = (timezone.localdate() - 30 * DAY).isoformat()
    response = client.post(
        url, {"nrm_reference": "NRM-2026-04567", "nrm_decision": "rg_positive", "nrm_decision_on": decided}
    )
    assert response.status_code == 302
    nrm.refresh_from_db()
    assert (nrm.nrm_reference, nrm.nrm_decision) == ("NRM-2026-04567", "rg_positive")
    html = client.get(reverse("referrals:detail", args=[nrm.public_id])).content.decode()
    assert "Positive reasonable grounds decision" in html


def test_a_referral_is_404_for_outsiders_and_the_welsh_page_works(
    client: Any, outsider: Any, nurse: Any, camhs: Referral
) -> None:
    client.force_login(outsider)
    assert client.get(reverse("referrals:detail", args=[camhs.public_id])).status_code == 404
    assert (
        client.post(reverse("referrals:update", args=[camhs.public_id]), {"status": "accepted"}).status_code
        == 404
    )
    camhs.refresh_from_db()
    assert camhs.status == ReferralStatus.SENT
    client.force_login(nurse)
    assert client.get(f"/cy/referrals/{camhs.public_id}/").status_code == 200


# The referral form and the child's record


def test_the_referral_form_offers_only_services_in_the_childs_area(
    client: Any, social_worker: Any, episode: Episode
) -> None:
    client.force_login(social_worker)
    html = client.get(reverse("referrals:new_for_episode", args=[episode.public_id])).content.decode()
    assert "Education inclusion support: Newport" in html
    assert "Education inclusion support: Caerphilly" not in html
    assert "Detached youth work: east Gwent" in html and "Detached youth work: west Gwent" not in html


def test_the_childs_record_shows_each_referral_with_its_status(
    client: Any, coordinator: Any, nurse: Any, camhs: Referral
) -> None:
    referral_accept(referral=camhs, actor=nurse)
    client.force_login(coordinator)
    html = client.get(reverse("people:child", args=[camhs.child.public_id])).content.decode()
    assert 'data-testid="child-referrals"' in html
    assert reverse("referrals:detail", args=[camhs.public_id]) in html
    assert "Accepted by the service" in html


# The API


def _api(client: Any, user: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {api_token_issue(user=user, name='test')}"}
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, json.dumps(body or {}), content_type="application/json", headers=headers)


def test_the_api_lists_the_referrals_to_my_service_and_records_answers(
    client: Any, nurse: Any, education_worker: Any, outsider: Any, analyst: Any, camhs: Referral
) -> None:
    listed = _api(client, nurse, "GET", "/api/v1/referrals")
    assert listed.status_code == 200
    assert [r["public_id"] for r in listed.json()] == [str(camhs.public_id)]
    assert listed.json()[0]["days_waiting"] == 4 and listed.json()[0]["status"] == "sent"
    assert _api(client, education_worker, "GET", "/api/v1/referrals").json() == []
    assert _api(client, analyst, "GET", "/api/v1/referrals").status_code == 404

    path = f"/api/v1/referrals/{camhs.public_id}/response"
    assert _api(client, education_worker, "POST", path, {"status": "accepted"}).status_code == 403
    assert _api(client, outsider, "POST", path, {"status": "accepted"}).status_code == 404
    assert _api(client, nurse, "POST", path, {"status": "started"}).status_code == 409
    refused = _api(client, nurse, "POST", path, {"status": "declined"})
    assert refused.status_code == 422 and "reason" in refused.json()["errors"]

    accepted = _api(client, nurse, "POST", path, {"status": "accepted"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    _api(client, nurse, "POST", path, {"status": "started"})
    done = _api(
        client, nurse, "POST", path, {"status": "completed", "outcome_code": "goals_met", "outcome": "Better"}
    )
    assert done.status_code == 200
    camhs.refresh_from_db()
    assert (camhs.status, camhs.outcome_code) == (ReferralStatus.COMPLETED, "goals_met")


def test_an_agency_running_no_service_is_told_so(client: Any, coordinator: Any, camhs: Referral) -> None:
    client.force_login(coordinator)
    html = client.get(reverse("referrals:received")).content.decode()
    assert "Your agency runs no service in the directory" in html
    assert 'data-testid="referral-row"' not in html
