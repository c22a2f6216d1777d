"""Need-to-know, end to end: relations (hub member, allocated, emergency, none), sharing agreements, each
fact's handling, the owning agency's restriction, and the disclosure log the briefing leaves behind."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from hafan.agencies.models import Agency
from hafan.core.errors import NotFoundOrNoAccess
from hafan.core.vocabulary import FactCategory, Handling, Purpose, Relation
from hafan.episodes.models import Episode
from hafan.episodes.selectors import briefing_for, episode_get_for_user, episodes_visible_to
from hafan.people.models import Fact
from hafan.people.selectors import child_get_for_user, children_visible_to, facts_visible_to
from hafan.people.services import (
    allocation_end,
    allocation_start,
    fact_add,
    fact_lift_restriction,
)
from hafan.sharing.access import relation_to
from hafan.sharing.models import AgreementStatus, AuditAction, AuditEvent, Disclosure, SharingAgreement
from hafan.sharing.services import agreement_set_status, break_glass_open
from tests.conftest import PERSONA_PASSWORD


@pytest.fixture
def outside_worker(staff: dict[str, Any]) -> Any:
    """The Caerphilly social worker who is not in the hub team (a demo login and persona)."""
    worker = staff["caseworker"]
    assert not worker.hub_member and worker.agency.code == "CCBC"
    return worker


@pytest.fixture
def episode(report_missing: Callable[..., Episode]) -> Episode:
    return report_missing()


def _fact(child: Any, agency: Agency, category: FactCategory, summary: str, **kw: Any) -> Fact:
    return fact_add(
        child=child,
        agency=agency,
        category=category,
        summary=summary,
        recorded_on=datetime.date(2026, 10, 1),
        source="test system",
        actor=None,
        **kw,
    )


def _summaries(user: Any, child: Any) -> set[str]:
    return {f.summary for f in facts_visible_to(user=user, child=child)}


def test_a_worker_outside_the_hub_sees_a_child_only_while_allocated(
    episode: Episode, outside_worker: Any, supervisor: Any, client: Any
) -> None:
    child = episode.child
    client.force_login(outside_worker)
    page = reverse("people:child", args=[child.public_id])
    assert relation_to(outside_worker, child) == Relation.NONE
    assert not children_visible_to(outside_worker).exists()
    assert not episodes_visible_to(outside_worker).exists()
    assert client.get(page).status_code == 404
    assert client.get(reverse("episodes:detail", args=[episode.public_id])).status_code == 404

    allocation = allocation_start(
        child=child, user=outside_worker, kind="case_holder", allocated_by=supervisor
    )
    assert relation_to(outside_worker, child) == Relation.ALLOCATED
    assert client.get(page).status_code == 200
    assert client.get(reverse("episodes:detail", args=[episode.public_id])).status_code == 200
    assert list(children_visible_to(outside_worker)) == [child]

    allocation_end(allocation=allocation, ended_by=supervisor)
    # Revocation takes effect on the very next request, with the same session.
    assert client.get(page).status_code == 404
    assert client.get(reverse("episodes:detail", args=[episode.public_id])).status_code == 404


def test_hub_only_police_intelligence_stays_in_the_hub(
    episode: Episode, outside_worker: Any, supervisor: Any, social_worker: Any, partnership: dict[str, Agency]
) -> None:
    child = episode.child
    _fact(child, partnership["GWP"], FactCategory.WARNING_MARKER, "Intel: CANARY-INTEL-1")
    _fact(child, partnership["NCC"], FactCategory.LOOKED_AFTER, "Looked after: CANARY-CARE-1")
    allocation_start(child=child, user=outside_worker, kind="case_holder", allocated_by=supervisor)
    assert _summaries(social_worker, child) == {"Intel: CANARY-INTEL-1", "Looked after: CANARY-CARE-1"}
    # Allocated, but outside the hub: the intelligence is hub only.
    assert _summaries(outside_worker, child) == {"Looked after: CANARY-CARE-1"}


def test_need_to_know_items_reach_allocated_workers_only(
    episode: Episode, outside_worker: Any, supervisor: Any, coordinator: Any, nurse: Any,
    partnership: dict[str, Agency],
) -> None:  # fmt: skip
    child = episode.child
    _fact(
        child,
        partnership["ABUHB"],
        FactCategory.HEALTH_NEED,
        "CANARY-HEALTH-NTK",
        handling=Handling.NEED_TO_KNOW,
    )
    assert "CANARY-HEALTH-NTK" in _summaries(nurse, child)  # the owning agency
    assert "CANARY-HEALTH-NTK" not in _summaries(coordinator, child)  # a hub member, not allocated
    allocation_start(child=child, user=outside_worker, kind="case_holder", allocated_by=supervisor)
    assert "CANARY-HEALTH-NTK" in _summaries(outside_worker, child)


def test_the_owning_agency_can_restrict_an_item_and_lift_it(
    episode: Episode,
    nurse: Any,
    coordinator: Any,
    social_worker: Any,
    partnership: dict[str, Agency],
    client: Any,
) -> None:
    child = episode.child
    fact = _fact(child, partnership["ABUHB"], FactCategory.HEALTH_NEED, "Insulin: CANARY-HEALTH-R")
    briefing = reverse("episodes:detail", args=[episode.public_id])
    client.force_login(coordinator)
    assert "CANARY-HEALTH-R" in client.get(briefing).content.decode()

    # Only the owning agency may restrict: anyone else gets 404 on the page and NotPermitted in the service.
    client.force_login(social_worker)
    assert client.get(reverse("people:fact_restrict", args=[fact.public_id])).status_code == 404
    client.force_login(nurse)
    response = client.post(reverse("people:fact_restrict", args=[fact.public_id]), {"reason": ""})
    assert response.status_code == 200 and "Say why the item is restricted." in response.content.decode()
    client.post(reverse("people:fact_restrict", args=[fact.public_id]), {"reason": "Clinician's request"})
    fact.refresh_from_db()
    assert fact.restricted_at is not None

    client.force_login(coordinator)
    body = client.get(briefing).content.decode()
    assert "CANARY-HEALTH-R" not in body
    assert "Insulin: CANARY-HEALTH-R" in _summaries(nurse, child)

    fact_lift_restriction(fact=fact, user=nurse)
    assert "CANARY-HEALTH-R" in client.get(briefing).content.decode()


def test_nothing_is_shared_outside_an_active_agreement(
    episode: Episode, coordinator: Any, auditor: Any, partnership: dict[str, Agency]
) -> None:
    child = episode.child
    _fact(child, partnership["NCC"], FactCategory.LOOKED_AFTER, "CANARY-CARE-A")
    _fact(child, partnership["GWP"], FactCategory.WARNING_MARKER, "CANARY-INTEL-A")
    assert _summaries(coordinator, child) == {"CANARY-CARE-A", "CANARY-INTEL-A"}
    agreement = SharingAgreement.objects.get(status=AgreementStatus.ACTIVE)
    agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.SUSPENDED)
    # The police coordinator still sees the police's own intelligence, and nothing from the council.
    assert _summaries(coordinator, child) == {"CANARY-INTEL-A"}


def test_a_debrief_disclosure_needs_consent_or_a_safeguarding_basis(
    episode: Episode, coordinator: Any, partnership: dict[str, Agency]
) -> None:
    from hafan.core.vocabulary import ShareBasis

    child = episode.child
    _fact(
        child,
        partnership["LLAMAU"],
        FactCategory.PLACE,
        "CANARY-DEBRIEF-NO",
        handling=Handling.CONSENT_OR_SAFEGUARDING,
    )
    _fact(child, partnership["LLAMAU"], FactCategory.PLACE, "CANARY-DEBRIEF-YES",
          handling=Handling.CONSENT_OR_SAFEGUARDING, share_basis=ShareBasis.CONSENT)  # fmt: skip
    assert _summaries(coordinator, child) == {"CANARY-DEBRIEF-YES"}


def test_the_briefing_logs_each_agencys_disclosure_with_its_agreement_and_basis(
    episode: Episode, coordinator: Any, partnership: dict[str, Agency]
) -> None:
    child = episode.child
    _fact(child, partnership["NCC"], FactCategory.LOOKED_AFTER, "Looked after")
    _fact(child, partnership["NCC"], FactCategory.CHILD_PROTECTION, "On a plan")
    _fact(child, partnership["ABUHB"], FactCategory.HEALTH_NEED, "Asthma")
    _fact(child, partnership["GWP"], FactCategory.WARNING_MARKER, "Own agency's: not a disclosure")
    Disclosure.objects.all().delete()
    briefing_for(user=coordinator, episode=episode_get_for_user(user=coordinator, public_id=episode.public_id,
                                                                  purpose=Purpose.MISSING_EPISODE))  # fmt: skip
    rows = {d.from_agency.code: d for d in Disclosure.objects.select_related("from_agency", "agreement")}
    assert set(rows) == {"NCC", "ABUHB"}
    assert rows["NCC"].item_count == 2 and rows["NCC"].data_categories == ["social_care"]
    assert rows["NCC"].to_agency.code == "GWP" and rows["NCC"].to_user == coordinator
    assert rows["NCC"].agreement.reference == "GMCH-ISP-2026"
    assert rows["NCC"].lawful_basis == "public_task_safeguarding"
    assert rows["ABUHB"].lawful_basis == "health_social_care"
    assert rows["NCC"].target_type == "briefing" and rows["NCC"].target_id == str(episode.public_id)
    assert rows["NCC"].subject_told == "not_yet"


def test_emergency_access_opens_a_record_for_a_limited_time_and_is_flagged(
    episode: Episode, outside_worker: Any, partnership: dict[str, Agency], client: Any
) -> None:
    child = episode.child
    _fact(child, partnership["NCC"], FactCategory.LOOKED_AFTER, "CANARY-CARE-BG")
    with pytest.raises(NotFoundOrNoAccess):
        child_get_for_user(user=outside_worker, public_id=child.public_id, purpose=Purpose.MISSING_EPISODE)
    grant = break_glass_open(
        user=outside_worker,
        child=child,
        reason="immediate_risk",
        justification="Child missing overnight, allocated worker unreachable",
        password=PERSONA_PASSWORD,
    )
    client.force_login(outside_worker)
    response = client.get(reverse("people:child", args=[child.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "CANARY-CARE-BG" in body and 'data-testid="break-glass-banner"' in body
    read = (
        AuditEvent.objects.filter(target_type="child", child_public_id=child.public_id)
        .order_by("-id")
        .first()
    )
    assert read is not None and read.action == AuditAction.BREAK_GLASS
    assert Disclosure.objects.filter(child=child, to_user=outside_worker, break_glass=True).exists()

    later = grant.expires_at + datetime.timedelta(seconds=1)
    assert relation_to(outside_worker, child, now=later) == Relation.NONE
    assert relation_to(outside_worker, child, now=grant.expires_at - datetime.timedelta(seconds=1)) == (
        Relation.BREAK_GLASS
    )
    # Expire it for real and the record closes on the next request.
    type(grant).objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(reverse("people:child", args=[child.public_id])).status_code == 404


def test_allocation_needs_a_hub_case_manager(
    episode: Episode, outside_worker: Any, nurse: Any, analyst: Any, client: Any, supervisor: Any
) -> None:
    from hafan.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        allocation_start(child=episode.child, user=outside_worker, kind="case_holder", allocated_by=nurse)
    client.force_login(supervisor)
    page = reverse("people:child", args=[episode.child.public_id])
    response = client.post(page, {"user": analyst.pk, "kind": "case_holder"})
    assert response.status_code == 200 and "Choose a worker." in response.content.decode()
    response = client.post(page, {"user": outside_worker.pk, "kind": "case_holder"})
    assert response.status_code == 302
    assert relation_to(outside_worker, episode.child) == Relation.ALLOCATED
