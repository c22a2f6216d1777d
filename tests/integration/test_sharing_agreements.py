"""Sharing agreements: the hub's seeded protocol, the lifecycle and its checks, and who may manage them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from hafan.agencies.models import Agency
from hafan.agencies.services import partnership_seed
from hafan.core.errors import InvalidAction, NotPermitted
from hafan.core.vocabulary import Channel, DataCategory, FactCategory, Purpose
from hafan.people.services import fact_add
from hafan.sharing.access import share_graph
from hafan.sharing.disclosures import disclosure_record
from hafan.sharing.models import (
    AgreementParty,
    AgreementStatus,
    AuditAction,
    AuditEvent,
    LawfulBasis,
    SharingAgreement,
    SubjectTold,
)
from hafan.sharing.services import (
    HUB_AGREEMENT_REFERENCE,
    AgreementDetails,
    agreement_create,
    agreement_party_remove,
    agreement_party_set,
    agreement_set_status,
    agreement_update,
    disclosure_mark_subject_told,
    gwent_hub_agreement_seed,
)


@pytest.fixture(autouse=True)
def _english() -> Any:
    translation.activate("en")
    yield
    translation.activate("en")


def _details(**overrides: Any) -> AgreementDetails:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "title_en": "Newport schools and health sharing",
        "title_cy": "Rhannu ysgolion ac iechyd Casnewydd",
        "purpose": "Sharing attendance and health needs for children who go missing.",
        "data_categories": [DataCategory.EDUCATION, DataCategory.HEALTH],
        "starts_on": today,
        "review_on": today + datetime.timedelta(days=180),
        "ends_on": None,
    }
    values.update(overrides)
    return AgreementDetails(**values)


def _draft(auditor: Any, reference: str = "NCC-ABUHB-1", **overrides: Any) -> SharingAgreement:
    return agreement_create(actor=auditor, reference=reference, details=_details(**overrides))


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# The hub's own agreement


def test_the_partnership_seed_makes_the_hub_agreement_active_with_every_partner(
    partnership: dict[str, Agency],
) -> None:
    agreement = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement.title_en == "Gwent Missing Children Hub information sharing protocol"
    assert agreement.title_cy == "Protocol rhannu gwybodaeth Hyb Plant sy'n Mynd ar Goll Gwent"
    assert sorted(agreement.data_categories) == sorted(DataCategory.values)
    today = timezone.localdate()
    assert agreement.starts_on <= today
    assert agreement.review_on == today + datetime.timedelta(days=365)
    bases = {p.agency.code: p.lawful_basis for p in agreement.parties.select_related("agency")}
    assert bases == {
        "GWP": LawfulBasis.LAW_ENFORCEMENT,
        "ABUHB": LawfulBasis.HEALTH_SOCIAL_CARE,
        "BGCBC": LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        "CCBC": LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        "MCC": LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        "NCC": LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        "TCBC": LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        "LLAMAU": LawfulBasis.LEGITIMATE_INTERESTS,
    }
    assert "DPP" not in bases, "a force outside the partnership is no party to the hub's agreement"
    # The lead's share graph sees it: police intelligence flows from Gwent Police to Newport council.
    graph = share_graph(today=today)
    assert graph[("GWP", "NCC", DataCategory.POLICE_INTELLIGENCE)] == (
        agreement.pk,
        LawfulBasis.LAW_ENFORCEMENT,
    )
    assert not any("DPP" in key[:2] for key in graph)


def test_the_seed_is_idempotent_and_keeps_the_officers_changes(
    partnership: dict[str, Agency], auditor: Any
) -> None:
    agreement = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    agreement_party_set(
        agreement=agreement,
        actor=auditor,
        agency=partnership["LLAMAU"],
        lawful_basis=LawfulBasis.CONSENT,
        provides=True,
        receives=False,
    )
    audit_before = AuditEvent.objects.filter(target_type="sharing_agreement").count()
    parties_before = list(AgreementParty.objects.order_by("pk").values_list("pk", "lawful_basis", "receives"))

    partnership_seed()
    again = gwent_hub_agreement_seed()

    assert again.pk == agreement.pk
    assert SharingAgreement.objects.count() == 1
    assert list(AgreementParty.objects.order_by("pk").values_list("pk", "lawful_basis", "receives")) == (
        parties_before
    )
    assert AuditEvent.objects.filter(target_type="sharing_agreement").count() == audit_before


def test_the_seed_adds_a_partner_that_joined_later(partnership: dict[str, Agency]) -> None:
    agreement = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    newcomer = Agency.objects.create(
        code="CARDIFF", name_en="Cardiff Council", name_cy="Cyngor Caerdydd", kind="council"
    )
    gwent_hub_agreement_seed()
    party = AgreementParty.objects.get(agreement=agreement, agency=newcomer)
    assert party.lawful_basis == LawfulBasis.PUBLIC_TASK_SAFEGUARDING
    event = AuditEvent.objects.filter(target_type="sharing_agreement").order_by("-id").first()
    assert event is not None and event.detail["parties_added"] == ["CARDIFF"]


# The lifecycle


def test_an_agreement_goes_from_draft_to_active_to_suspended_to_ended(
    partnership: dict[str, Agency], auditor: Any
) -> None:
    # With the hub's own agreement suspended, this one alone decides what is shared.
    hub = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    agreement_set_status(agreement=hub, actor=auditor, status=AgreementStatus.SUSPENDED)
    assert share_graph() == {}
    agreement = _draft(auditor)
    assert agreement.status == AgreementStatus.DRAFT
    assert agreement.maintained_by == auditor

    with pytest.raises(ValidationError) as refused:
        agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.ACTIVE)
    assert "parties" in _errors(refused)

    for code, basis in (
        ("NCC", LawfulBasis.PUBLIC_TASK_SAFEGUARDING),
        ("ABUHB", LawfulBasis.HEALTH_SOCIAL_CARE),
    ):
        agreement_party_set(
            agreement=agreement,
            actor=auditor,
            agency=partnership[code],
            lawful_basis=basis,
            provides=True,
            receives=True,
        )
    # Not in force yet: the share graph knows nothing of it.
    assert ("NCC", "ABUHB", DataCategory.EDUCATION) not in _shares_of(agreement)

    agreement = agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.ACTIVE)
    assert agreement.status == AgreementStatus.ACTIVE
    assert ("NCC", "ABUHB", DataCategory.EDUCATION) in _shares_of(agreement)
    assert ("NCC", "ABUHB", DataCategory.POLICE_INTELLIGENCE) not in _shares_of(agreement)

    agreement = agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.SUSPENDED)
    assert _shares_of(agreement) == set()
    agreement = agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.ACTIVE)
    agreement = agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.ENDED)
    assert agreement.ends_on == timezone.localdate()
    assert _shares_of(agreement) == set()

    with pytest.raises(ValidationError):
        agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.ACTIVE)
    with pytest.raises(InvalidAction):
        agreement_update(agreement=agreement, actor=auditor, details=_details())

    statuses = [
        e.detail.get("status")
        for e in AuditEvent.objects.filter(
            target_type="sharing_agreement", target_id=str(agreement.public_id)
        ).order_by("id")
    ]
    assert statuses == ["draft", None, None, "active", "suspended", "active", "ended"]


def _shares_of(agreement: SharingAgreement) -> set[tuple[str, str, str]]:
    return {key for key, (agreement_id, _basis) in share_graph().items() if agreement_id == agreement.pk}


def test_activation_needs_a_data_category_and_a_review_date_to_come(
    partnership: dict[str, Agency], auditor: Any
) -> None:
    agreement = _draft(auditor, data_categories=[])
    for code in ("NCC", "GWP"):
        agreement_party_set(
            agreement=agreement,
            actor=auditor,
            agency=partnership[code],
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            provides=True,
            receives=True,
        )
    with pytest.raises(ValidationError) as refused:
        agreement_set_status(
            agreement=agreement,
            actor=auditor,
            status=AgreementStatus.ACTIVE,
            today=agreement.review_on,
        )
    assert set(_errors(refused)) == {"data_categories", "review_on"}
    assert SharingAgreement.objects.get(pk=agreement.pk).status == AgreementStatus.DRAFT


def test_an_agreement_needs_a_provider_and_a_receiver(partnership: dict[str, Agency], auditor: Any) -> None:
    agreement = _draft(auditor)
    for code in ("NCC", "ABUHB"):
        agreement_party_set(
            agreement=agreement,
            actor=auditor,
            agency=partnership[code],
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            provides=True,
            receives=False,
        )
    with pytest.raises(ValidationError) as refused:
        agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.ACTIVE)
    assert "parties" in _errors(refused)


def test_details_are_checked(partnership: dict[str, Agency], auditor: Any) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        agreement_create(
            actor=auditor,
            reference=HUB_AGREEMENT_REFERENCE.lower(),
            details=_details(
                title_cy=" ",
                data_categories=["gossip"],
                review_on=today,
                ends_on=today - datetime.timedelta(days=1),
            ),
        )
    assert set(_errors(refused)) == {"reference", "title_cy", "data_categories", "review_on", "ends_on"}
    assert SharingAgreement.objects.count() == 1


def test_parties_are_checked_and_an_active_agreement_keeps_two(
    partnership: dict[str, Agency], auditor: Any
) -> None:
    agreement = _draft(auditor)
    with pytest.raises(ValidationError) as refused:
        agreement_party_set(
            agreement=agreement,
            actor=auditor,
            agency=partnership["DPP"],
            lawful_basis="because",
            provides=False,
            receives=False,
        )
    assert set(_errors(refused)) == {"agency", "lawful_basis", "provides"}
    for code in ("NCC", "ABUHB"):
        agreement_party_set(
            agreement=agreement,
            actor=auditor,
            agency=partnership[code],
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            provides=True,
            receives=True,
        )
    agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.ACTIVE)
    with pytest.raises(ValidationError):
        agreement_party_remove(agreement=agreement, actor=auditor, agency=partnership["NCC"])
    assert agreement.parties.count() == 2

    agreement_set_status(agreement=agreement, actor=auditor, status=AgreementStatus.SUSPENDED)
    agreement_party_remove(agreement=agreement, actor=auditor, agency=partnership["NCC"])
    assert [p.agency.code for p in agreement.parties.all()] == ["ABUHB"]
    removal = AuditEvent.objects.filter(target_type="sharing_agreement", action=AuditAction.DELETE).get()
    assert removal.detail == {"reference": "NCC-ABUHB-1", "party": "NCC"}


def test_changing_an_active_agreement_keeps_it_complete(partnership: dict[str, Agency], auditor: Any) -> None:
    agreement = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    with pytest.raises(ValidationError) as refused:
        agreement_update(agreement=agreement, actor=auditor, details=_details(data_categories=[]))
    assert "data_categories" in _errors(refused)
    changed = agreement_update(agreement=agreement, actor=auditor, details=_details())
    assert changed.title_en == "Newport schools and health sharing"
    event = AuditEvent.objects.filter(target_type="sharing_agreement").order_by("-id").first()
    assert event is not None and event.action == AuditAction.UPDATE
    assert "title_en" in event.detail["changed"] and "purpose" in event.detail["changed"]
    assert "Newport" not in str(event.detail), "the audit row holds field names and codes, not the text"


@pytest.mark.parametrize(
    "persona", ["coordinator", "socialworker", "nurse", "debrief", "analyst", "admin", "outsider"]
)
def test_only_the_information_governance_officer_manages_agreements(
    staff: dict[str, Any], persona: str
) -> None:
    agreement = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    user = staff[persona]
    with pytest.raises(NotPermitted):
        agreement_create(actor=user, reference="X-1", details=_details())
    with pytest.raises(NotPermitted):
        agreement_set_status(agreement=agreement, actor=user, status=AgreementStatus.SUSPENDED)
    with pytest.raises(NotPermitted):
        agreement_party_remove(agreement=agreement, actor=user, agency=agreement.parties.first().agency)  # type: ignore[union-attr]
    assert SharingAgreement.objects.get(pk=agreement.pk).status == AgreementStatus.ACTIVE


# Pages


def test_the_officer_creates_and_activates_an_agreement_through_the_pages(
    client: Any, partnership: dict[str, Agency], auditor: Any
) -> None:
    client.force_login(auditor)
    today = timezone.localdate()
    response = client.post(
        reverse("governance:agreement_create"),
        {
            "reference": "tcbc-gwp-7",
            "title_en": "Torfaen and police",
            "title_cy": "Torfaen a'r heddlu",
            "purpose": "Missing children in Torfaen.",
            "data_categories": ["police_intelligence", "social_care"],
            "starts_on": today.isoformat(),
            "review_on": (today + datetime.timedelta(days=90)).isoformat(),
        },
    )
    agreement = SharingAgreement.objects.get(reference="TCBC-GWP-7")
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:agreement", kwargs={"public_id": agreement.public_id})

    status_url = reverse("governance:agreement_status", kwargs={"public_id": agreement.public_id})
    refused = client.post(status_url, {"status": "active"})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "govuk-error-summary" in html and "at least two parties" in html

    party_url = reverse("governance:agreement_party", kwargs={"public_id": agreement.public_id})
    for code, basis in (("TCBC", "public_task_safeguarding"), ("GWP", "law_enforcement")):
        response = client.post(
            party_url,
            {"agency": str(partnership[code].pk), "lawful_basis": basis, "provides": "on", "receives": "on"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post(status_url, {"status": "active"}).status_code == 302
    assert SharingAgreement.objects.get(pk=agreement.pk).status == AgreementStatus.ACTIVE

    detail = client.get(reverse("governance:agreement", kwargs={"public_id": agreement.public_id}))
    html = detail.content.decode()
    assert "Torfaen County Borough Council" in html
    assert str(LawfulBasis.LAW_ENFORCEMENT.label) in html


def test_the_party_form_shows_its_errors(client: Any, partnership: dict[str, Agency], auditor: Any) -> None:
    agreement = _draft(auditor)
    client.force_login(auditor)
    response = client.post(
        reverse("governance:agreement_party", kwargs={"public_id": agreement.public_id}),
        {"agency": str(partnership["NCC"].pk), "lawful_basis": "consent"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "A party provides information, receives it, or both." in html
    assert not agreement.parties.exists()


def test_the_list_flags_an_overdue_review(client: Any, partnership: dict[str, Agency], auditor: Any) -> None:
    _draft(
        auditor, reference="OLD-1", starts_on=datetime.date(2020, 1, 1), review_on=datetime.date(2021, 1, 1)
    )
    client.force_login(auditor)
    html = client.get(reverse("governance:agreements")).content.decode()
    assert "OLD-1" in html and HUB_AGREEMENT_REFERENCE in html
    assert html.count('data-testid="review-overdue"') == 1


def test_casework_staff_read_only_the_active_agreements(
    client: Any, partnership: dict[str, Agency], auditor: Any, nurse: Any
) -> None:
    draft = _draft(auditor, reference="DRAFT-9")
    hub = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    client.force_login(nurse)
    html = client.get(reverse("governance:agreements")).content.decode()
    assert HUB_AGREEMENT_REFERENCE in html and "DRAFT-9" not in html
    assert reverse("governance:agreement_create") not in html
    detail = client.get(reverse("governance:agreement", kwargs={"public_id": hub.public_id}))
    assert detail.status_code == 200
    assert (
        reverse("governance:agreement_edit", kwargs={"public_id": hub.public_id})
        not in detail.content.decode()
    )
    assert (
        client.get(reverse("governance:agreement", kwargs={"public_id": draft.public_id})).status_code == 404
    )


@pytest.mark.parametrize("persona", ["coordinator", "socialworker", "nurse", "education"])
def test_casework_staff_get_404_on_every_manage_page(
    client: Any, staff: dict[str, Any], persona: str
) -> None:
    hub = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    client.force_login(staff[persona])
    kw = {"public_id": hub.public_id}
    assert client.get(reverse("governance:agreement_create")).status_code == 404
    assert client.get(reverse("governance:agreement_edit", kwargs=kw)).status_code == 404
    assert client.get(reverse("governance:agreement_party", kwargs=kw)).status_code == 404
    assert client.get(reverse("governance:agreement_status", kwargs=kw)).status_code == 404
    remove = client.post(
        reverse("governance:agreement_party_remove", kwargs=kw),
        {"agency": str(staff["coordinator"].agency.public_id)},
    )
    assert remove.status_code == 404
    status = client.post(reverse("governance:agreement_status", kwargs=kw), {"status": "suspended"})
    assert status.status_code == 404
    assert SharingAgreement.objects.get(pk=hub.pk).status == AgreementStatus.ACTIVE
    assert hub.parties.count() == 8


@pytest.mark.parametrize("persona", ["debrief", "analyst", "admin", "outsider"])
def test_others_see_no_agreements_at_all(client: Any, staff: dict[str, Any], persona: str) -> None:
    hub = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    client.force_login(staff[persona])
    assert client.get(reverse("governance:agreements")).status_code == 404
    assert client.get(reverse("governance:agreement", kwargs={"public_id": hub.public_id})).status_code == 404
    assert client.get(reverse("governance:agreement_create")).status_code == 404


def test_agreement_pages_work_in_welsh(client: Any, partnership: dict[str, Agency], auditor: Any) -> None:
    hub = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    client.force_login(auditor)
    for url in (
        "/cy/governance/agreements/",
        f"/cy/governance/agreements/{hub.public_id}/",
        f"/cy/governance/agreements/{hub.public_id}/edit/",
        f"/cy/governance/agreements/{hub.public_id}/parties/",
        f"/cy/governance/agreements/{hub.public_id}/status/",
        "/cy/governance/agreements/new/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="cy"' in response.content.decode(), url
    detail = client.get(f"/cy/governance/agreements/{hub.public_id}/").content.decode()
    assert "Protocol rhannu gwybodaeth Hyb Plant sy&#x27;n Mynd ar Goll Gwent" in detail


# The disclosure log: what was shared, on which agreement, and whether the child or family was told


def _disclose(
    report_missing: Any, partnership: dict[str, Agency], viewer: Any, *, channel: str = "page"
) -> Any:
    episode = report_missing()
    fact = fact_add(
        child=episode.child,
        agency=partnership["NCC"],
        category=FactCategory.LOOKED_AFTER,
        summary="Looked after since 2024, placed in Newport.",
        recorded_on=timezone.localdate(),
        source="Newport case list",
        actor=None,
    )
    (row,) = disclosure_record(
        user=viewer,
        child=episode.child,
        facts=[fact],
        channel=Channel(channel),
        purpose=Purpose.MISSING_EPISODE,
        target_type="briefing",
        target_id=str(episode.public_id),
        shares=share_graph(),
    )
    return row


def test_the_officer_reads_the_log_and_records_that_the_family_was_told(
    client: Any, partnership: dict[str, Agency], report_missing: Any, nurse: Any, auditor: Any
) -> None:
    row = _disclose(report_missing, partnership, nurse)
    hub = SharingAgreement.objects.get(reference=HUB_AGREEMENT_REFERENCE)
    assert (row.agreement, row.lawful_basis) == (hub, LawfulBasis.PUBLIC_TASK_SAFEGUARDING)

    client.force_login(auditor)
    url = reverse("governance:disclosures")
    html = client.get(url, {"to_agency": "ABUHB", "channel": "page"}).content.decode()
    assert html.count('data-testid="disclosure-row"') == 1
    assert HUB_AGREEMENT_REFERENCE in html and str(LawfulBasis.PUBLIC_TASK_SAFEGUARDING.label) in html
    assert "Looked after since 2024" not in html, (
        "the log says what kinds of information, not the information"
    )
    viewed = AuditEvent.objects.filter(target_type="disclosure_log", actor=auditor).get()
    assert viewed.detail == {"filters": ["channel", "to_agency"]}

    for filters in (
        {"to_agency": "GWP"},
        {"channel": "api"},
        {"subject_told": "told"},
        {"from_agency": "ABUHB"},
    ):
        assert 'data-testid="disclosure-row"' not in client.get(url, filters).content.decode(), filters
    by_child = client.get(url, {"child": str(row.child.public_id)}).content.decode()
    assert by_child.count('data-testid="disclosure-row"') == 1
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert 'data-testid="disclosure-row"' not in client.get(url, {"date_from": tomorrow}).content.decode()

    prefix = f"d-{row.pk}"
    response = client.post(
        reverse("governance:disclosure_told", kwargs={"public_id": row.public_id}),
        {
            f"{prefix}-subject_told": "told",
            f"{prefix}-note": "Foster carer told by phone.",
            "back": "to_agency=ABUHB",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}?to_agency=ABUHB"
    row.refresh_from_db()
    assert (row.subject_told, row.subject_told_note) == (SubjectTold.TOLD, "Foster carer told by phone.")
    event = AuditEvent.objects.get(target_type="disclosure", action=AuditAction.UPDATE)
    assert event.detail == {"subject_told": "told", "previous": "not_yet"}
    assert event.child_public_id == row.child.public_id
    told = client.get(url, {"subject_told": "told"}).content.decode()
    assert told.count('data-testid="disclosure-row"') == 1
    assert client.get("/cy/governance/disclosures/").status_code == 200


def test_a_bad_told_value_is_shown_as_an_error(
    client: Any, partnership: dict[str, Agency], report_missing: Any, nurse: Any, auditor: Any
) -> None:
    row = _disclose(report_missing, partnership, nurse)
    client.force_login(auditor)
    response = client.post(
        reverse("governance:disclosure_told", kwargs={"public_id": row.public_id}),
        {f"d-{row.pk}-subject_told": "maybe"},
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    row.refresh_from_db()
    assert row.subject_told == SubjectTold.NOT_YET
    with pytest.raises(ValidationError):
        disclosure_mark_subject_told(disclosure=row, by=auditor, subject_told="maybe", note="")


@pytest.mark.parametrize("persona", ["coordinator", "nurse", "debrief", "analyst", "admin", "outsider"])
def test_only_the_officer_keeps_the_disclosure_log(
    client: Any, partnership: dict[str, Agency], report_missing: Any, staff: dict[str, Any], persona: str
) -> None:
    row = _disclose(report_missing, partnership, staff["nurse"])
    user = staff[persona]
    with pytest.raises(NotPermitted):
        disclosure_mark_subject_told(disclosure=row, by=user, subject_told="told", note="")
    client.force_login(user)
    assert client.get(reverse("governance:disclosures")).status_code == 404
    response = client.post(
        reverse("governance:disclosure_told", kwargs={"public_id": row.public_id}),
        {f"d-{row.pk}-subject_told": "told"},
    )
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.subject_told == SubjectTold.NOT_YET
