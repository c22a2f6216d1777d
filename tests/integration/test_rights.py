"""Subject access and rectification (issue 5, item 9): one child's export holds every canary planted in
that child's record and none of another child's, third-party information and police intelligence are
marked for redaction review, only the information-governance officer gets it, and a correction reaches
the briefing and tells the agencies that were shown the old information."""

from __future__ import annotations

import datetime
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hafan.core.errors import InvalidAction, NotFoundOrNoAccess, NotPermitted
from hafan.core.vocabulary import AgencyKind, Channel, FactCategory, Purpose, Role
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.selectors import briefing_for
from hafan.episodes.services import episode_record_return
from hafan.people.models import Child, Fact
from hafan.people.services import PersonDetails, fact_add, source_record_upsert
from hafan.referrals.models import Service
from hafan.referrals.services import referral_send
from hafan.rights.models import RectificationNotice, RequestStatus, SubjectAccessRequest
from hafan.rights.selectors import child_get_for_rights, subject_access_request_get_for_user
from hafan.rights.services import (
    add_months,
    child_rectify,
    fact_rectify,
    legal_hold_place,
    subject_access_export,
    subject_access_request_create,
    subject_access_request_extend,
)
from hafan.risk.services import risk_grade_record
from hafan.sharing import policy
from hafan.sharing.disclosures import disclosure_record
from hafan.sharing.models import AuditAction, AuditEvent, Disclosure, LegalHold
from hafan.sharing.policy import Actor
from hafan.sharing.services import break_glass_open, gwent_hub_agreement_seed
from tests.conftest import PERSONA_PASSWORD


@dataclass
class Seeded:
    child: Child
    other: Child
    episode: Episode
    canaries: list[str]
    other_canaries: list[str]
    police_fact: Fact
    associate_fact: Fact
    health_fact: Fact


def _seed_child(
    tag: str,
    *,
    report_missing: Any,
    partnership: dict[str, Any],
    coordinator: Any,
    nurse: Any,
    debrief_worker: Any,
    dob: datetime.date,
) -> tuple[Episode, dict[str, Fact], list[str]]:
    """One child's record across agencies, through the real services, with a canary in every free-text
    field the export must carry."""
    c = f"CANARY{tag}"
    now = timezone.now()
    episode = report_missing(
        child_details=PersonDetails(
            given_name=f"Given{c}", family_name=f"Family{c}", date_of_birth=dob, sex="female"
        ),
        reporter_name=f"Reporter {c}",
        last_seen_place=f"Lastseen {c}",
        circumstances=f"Circumstances {c}",
        clothing=f"Clothing {c}",
        reported_at=now - datetime.timedelta(hours=6),
        last_seen_at=now - datetime.timedelta(hours=8),
    )
    child = episode.child
    risk_grade_record(
        episode=episode,
        author=coordinator,
        grade="high",
        factors=["cse"],
        rationale=f"Rationale {c}",
        next_review_due=now + datetime.timedelta(hours=2),
    )
    today = timezone.localdate()
    facts = {
        "police": fact_add(
            child=child,
            agency=partnership["GWP"],
            category=FactCategory.WARNING_MARKER,
            summary=f"Intelligence {c}",
            recorded_on=today,
            source="Niche RMS",
            actor=coordinator,
        ),
        "health": fact_add(
            child=child,
            agency=partnership["ABUHB"],
            category=FactCategory.HEALTH_NEED,
            summary=f"Health {c}",
            recorded_on=today,
            source="WPAS",
            actor=nurse,
        ),
        "council": fact_add(
            child=child,
            agency=partnership["NCC"],
            category=FactCategory.LOOKED_AFTER,
            summary=f"Council {c}",
            recorded_on=today,
            source="WCCIS",
            actor=coordinator,
        ),
        "school": fact_add(
            child=child,
            agency=partnership["CCBC"],
            category=FactCategory.ATTENDANCE,
            summary=f"School {c}",
            recorded_on=today,
            source="SIMS",
            actor=coordinator,
        ),
        "associate": fact_add(
            child=child,
            agency=partnership["NCC"],
            category=FactCategory.ASSOCIATE,
            summary=f"Associate {c}",
            recorded_on=today,
            source="WCCIS",
            actor=coordinator,
        ),
    }
    source_record_upsert(
        child=child,
        agency=partnership["ABUHB"],
        system="WPAS",
        local_id=f"H-{tag}",
        details=PersonDetails(
            given_name=f"Given{c}", family_name=f"Family{c}", date_of_birth=dob, address=f"Address {c}"
        ),
        recorded_on=today,
        actor=nurse,
    )
    returned = now - datetime.timedelta(hours=1)
    episode = episode_record_return(
        episode=episode,
        recorded_by=coordinator,
        returned_at=returned,
        found_where=f"Foundwhere {c}",
        found_by="police",
        harm_suffered=False,
    )
    debrief_record(
        debrief=episode.debrief,
        worker=debrief_worker,
        status="held",
        offered_at=returned + datetime.timedelta(minutes=5),
        held_at=returned + datetime.timedelta(minutes=20),
        where_went=f"Wherewent {c}",
        who_with=f"Whowith {c}",
        child_wishes=f"Wishes {c}",
        share_basis="consent",
        places_to_share=f"Sharedplace {c}",
    )
    referral_send(
        child=child,
        service=Service.objects.filter(needs_consent=False).first() or Service.objects.first(),  # type: ignore[arg-type]
        referred_by=coordinator,
        reason=f"Referral {c}",
        consent_given=True,
        episode=episode,
    )
    canaries = [
        f"Given{c}",
        f"Family{c}",
        f"Reporter {c}",
        f"Lastseen {c}",
        f"Circumstances {c}",
        f"Clothing {c}",
        f"Rationale {c}",
        f"Intelligence {c}",
        f"Health {c}",
        f"Council {c}",
        f"School {c}",
        f"Associate {c}",
        f"Address {c}",
        f"Foundwhere {c}",
        f"Wherewent {c}",
        f"Whowith {c}",
        f"Wishes {c}",
        f"Sharedplace {c}",
        f"Referral {c}",
    ]
    return episode, facts, canaries


@pytest.fixture
def seeded(
    report_missing: Any,
    partnership: dict[str, Any],
    coordinator: Any,
    nurse: Any,
    debrief_worker: Any,
    auditor: Any,
) -> Seeded:
    gwent_hub_agreement_seed()
    kwargs = {
        "report_missing": report_missing,
        "partnership": partnership,
        "coordinator": coordinator,
        "nurse": nurse,
        "debrief_worker": debrief_worker,
    }
    episode, facts, canaries = _seed_child("ALPHA", dob=datetime.date(2010, 5, 6), **kwargs)
    other_episode, _, other_canaries = _seed_child("BRAVO", dob=datetime.date(2009, 1, 2), **kwargs)
    child = episode.child
    assert other_episode.child.pk != child.pk
    grant = break_glass_open(
        user=nurse,
        child=child,
        reason="immediate_risk",
        justification="Justification CANARYALPHA: child at immediate risk overnight",
        password=PERSONA_PASSWORD,
    )
    assert grant.child_id == child.pk
    canaries.append("Justification CANARYALPHA")
    legal_hold_place(child=child, reason="Holdreason CANARYALPHA", user=auditor)
    canaries.append("Holdreason CANARYALPHA")
    # The coordinator's briefing shows the other agencies' facts: the disclosure log records them.
    briefing_for(user=coordinator, episode=episode)
    return Seeded(
        child=child,
        other=other_episode.child,
        episode=episode,
        canaries=canaries,
        other_canaries=other_canaries,
        police_fact=facts["police"],
        associate_fact=facts["associate"],
        health_fact=facts["health"],
    )


def _export(content: bytes) -> tuple[dict[str, Any], str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "export.json"]
        raw = archive.read("export.json").decode("utf-8")
        return json.loads(raw), raw, archive.read("README.txt").decode("utf-8")


def _items(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for items in document["data"].values() for item in items]


def test_the_export_holds_all_of_one_childs_data_and_none_of_anothers(seeded: Seeded, auditor: Any) -> None:
    sar = subject_access_request_create(
        child=seeded.child, reference="SAR-2026-001", received_on=timezone.localdate(), user=auditor
    )
    document, raw, readme = _export(subject_access_export(request=sar, user=auditor))
    missing = [c for c in seeded.canaries if c not in raw]
    assert missing == []
    leaked = [c for c in seeded.other_canaries if c in raw]
    assert leaked == []
    assert "CANARYBRAVO" not in raw
    sections = document["data"]
    for name in (
        "identities",
        "agency_records",
        "facts",
        "episodes",
        "risk_assessments",
        "debriefs",
        "referrals",
        "emergency_access_grants",
        "disclosures",
        "legal_holds",
        "subject_access_requests",
    ):
        assert sections.get(name), name
    # The disclosure log's recipients (UK GDPR Article 15(1)(c)).
    recipients = {d["fields"]["to_agency"] for d in sections["disclosures"]}
    assert "GWP" in recipients
    assert document["request"]["reference"] == "SAR-2026-001"
    assert document["request"]["child"] == str(seeded.child.public_id)
    assert "redaction review" in readme.lower() and "adolygiad golygu" in readme.lower()


def test_third_party_information_and_police_intelligence_are_marked_for_review(
    seeded: Seeded, auditor: Any
) -> None:
    sar = subject_access_request_create(
        child=seeded.child, reference="SAR-2026-002", received_on=timezone.localdate(), user=auditor
    )
    document, _, _ = _export(subject_access_export(request=sar, user=auditor))
    facts = {item["fields"]["public_id"]: item for item in document["data"]["facts"]}
    police = facts[str(seeded.police_fact.public_id)]
    assert police["redaction_review"] is True
    assert "police_intelligence" in police["redaction_reasons"]
    associate = facts[str(seeded.associate_fact.public_id)]
    assert associate["redaction_review"] is True
    assert "third_party" in associate["redaction_reasons"]
    health = facts[str(seeded.health_fact.public_id)]
    assert health["redaction_review"] is False
    assert all(i["redaction_review"] for i in document["data"]["episodes"])  # the reporter's name
    assert all(i["redaction_review"] for i in document["data"]["risk_assessments"])
    assert all("third_party" in i["redaction_reasons"] for i in document["data"]["debriefs"])  # who with
    assert document["summary"]["for_redaction_review"] == sum(
        1 for item in _items(document) if item["redaction_review"]
    )
    # Every item says whether it needs review; none is left undecided.
    assert all(isinstance(item["redaction_review"], bool) for item in _items(document))


def test_only_the_information_governance_officer_gets_the_export(
    seeded: Seeded, auditor: Any, staff: dict[str, Any], client: Any
) -> None:
    sar = subject_access_request_create(
        child=seeded.child, reference="SAR-2026-003", received_on=timezone.localdate(), user=auditor
    )
    urls = [
        ("get", reverse("rights:home")),
        ("get", reverse("rights:request_new")),
        ("get", reverse("rights:request_detail", args=[sar.public_id])),
        ("post", reverse("rights:request_download", args=[sar.public_id])),
        ("post", reverse("rights:request_close", args=[sar.public_id])),
        ("get", reverse("rights:hold_new")),
    ]
    for username, user in staff.items():
        if username == "auditor":
            continue
        with pytest.raises(NotPermitted):
            subject_access_export(request=sar, user=user)
        with pytest.raises(NotFoundOrNoAccess):
            subject_access_request_get_for_user(user=user, public_id=sar.public_id)
        with pytest.raises(NotFoundOrNoAccess):
            child_get_for_rights(user=user, public_id=seeded.child.public_id)
        client.force_login(user)
        for method, url in urls:
            response = getattr(client, method)(url)
            assert response.status_code == 404, (username, url)
            assert b"CANARYALPHA" not in response.content
        client.logout()
    sar.refresh_from_db()
    assert sar.status == RequestStatus.OPEN  # nobody else's attempt exported anything
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_download_is_an_audited_attachment_that_is_never_cached(
    seeded: Seeded, auditor: Any, client: Any
) -> None:
    client.force_login(auditor)
    received = timezone.localdate() - datetime.timedelta(days=3)
    response = client.post(
        reverse("rights:request_new"),
        {
            "child": str(seeded.child.public_id),
            "reference": "SAR-2026-004",
            "received_on": received.isoformat(),
        },
    )
    assert response.status_code == 302
    sar = SubjectAccessRequest.objects.get(reference="SAR-2026-004")
    assert sar.due_on == received + datetime.timedelta(days=28)
    assert sar.child_id == seeded.child.pk
    detail = client.get(reverse("rights:request_detail", args=[sar.public_id]))
    assert detail.status_code == 200
    response = client.post(reverse("rights:request_download", args=[sar.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    _, raw, _ = _export(response.content)
    assert "GivenCANARYALPHA" in raw
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).get()
    assert event.purpose == Purpose.AUDIT
    assert event.target_type == "subject_access_request"
    assert event.target_id == str(sar.public_id)
    assert event.child_public_id == seeded.child.public_id
    assert event.actor_username == "auditor"
    assert "CANARY" not in json.dumps(event.detail)
    sar.refresh_from_db()
    assert sar.status == RequestStatus.EXPORTED
    # The list flags a request past its due date; the Welsh page works too.
    old = subject_access_request_create(
        child=seeded.other, reference="SAR-2025-OLD", received_on=datetime.date(2025, 1, 1), user=auditor
    )
    page = client.get(reverse("rights:home"))
    assert page.status_code == 200
    assert page.content.count(b'data-testid="sar-overdue"') == 1
    assert old.reference.encode() in page.content
    welsh = client.get("/cy" + reverse("rights:home"))
    assert welsh.status_code == 200
    assert b'lang="cy"' in welsh.content


def test_the_due_date_extends_to_at_most_three_months(seeded: Seeded, auditor: Any) -> None:
    received = datetime.date(2026, 1, 31)
    sar = subject_access_request_create(
        child=seeded.child, reference="SAR-X", received_on=received, user=auditor
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        subject_access_request_extend(
            sar=sar,
            extended_to=add_months(received, 3) + datetime.timedelta(days=1),
            reason="Complex",
            user=auditor,
        )
    with pytest.raises(ValidationError):
        subject_access_request_extend(sar=sar, extended_to=add_months(received, 2), reason=" ", user=auditor)
    subject_access_request_extend(
        sar=sar, extended_to=add_months(received, 3), reason="Complex", user=auditor
    )
    sar.refresh_from_db()
    assert sar.extended_to == datetime.date(2026, 4, 30)
    assert sar.deadline == datetime.date(2026, 4, 30)


def test_a_merged_in_identity_is_exported_with_the_child_it_was_merged_into(
    seeded: Seeded, auditor: Any, coordinator: Any
) -> None:
    from hafan.linkage.services import child_merge

    child_merge(keep=seeded.child, merge=seeded.other, actor=coordinator, reason="test")
    sar = subject_access_request_create(
        child=seeded.other, reference="SAR-MERGED", received_on=timezone.localdate(), user=auditor
    )
    assert sar.child_id == seeded.child.pk  # the surviving identity
    document, raw, _ = _export(subject_access_export(request=sar, user=auditor))
    ids = {item["fields"]["public_id"] for item in document["data"]["identities"]}
    assert ids == {str(seeded.child.public_id), str(seeded.other.public_id)}
    assert "GivenCANARYBRAVO" in raw and "GivenCANARYALPHA" in raw


# Rectification


def test_a_rectified_fact_reaches_the_briefing_and_tells_the_agencies_that_saw_it(
    partnership: dict[str, Any],
    report_missing: Any,
    coordinator: Any,
    nurse: Any,
    education_worker: Any,
    auditor: Any,
    social_worker: Any,
) -> None:
    gwent_hub_agreement_seed()
    episode = report_missing()
    child = episode.child
    # Shown to the education worker's agency before the fact existed: that agency never saw it.
    disclosure_record(
        user=education_worker,
        child=child,
        facts=[],
        channel=Channel.PAGE,
        purpose=Purpose.MISSING_EPISODE,
        target_type="briefing",
        target_id=str(episode.public_id),
        shares={},
    )
    wrong = fact_add(
        child=child,
        agency=partnership["ABUHB"],
        category=FactCategory.HEALTH_NEED,
        summary="Insulin-dependent diabetic WRONGCANARY",
        recorded_on=timezone.localdate(),
        source="WPAS 123",
        actor=nurse,
    )
    before = briefing_for(user=coordinator, episode=episode)
    shown = [f.summary for facts in before.facts_by_agency.values() for f in facts]
    assert "Insulin-dependent diabetic WRONGCANARY" in shown
    assert Disclosure.objects.filter(
        child=child, from_agency=partnership["ABUHB"], to_agency=partnership["GWP"]
    ).exists()

    # Another agency's staff may not correct the health board's fact.
    with pytest.raises(NotPermitted):
        fact_rectify(fact=wrong, corrected_summary="x", reason="y", user=social_worker)

    corrected = fact_rectify(
        fact=wrong,
        corrected_summary="Asthma: carries an inhaler",
        reason="Another patient's record",
        user=nurse,
    )
    assert corrected.category == wrong.category and corrected.agency_id == wrong.agency_id
    assert corrected.handling == wrong.handling and corrected.data_category == wrong.data_category
    wrong.refresh_from_db()
    assert wrong.superseded_by_id == corrected.pk and wrong.withdrawn_at is not None

    after = briefing_for(user=coordinator, episode=episode)
    shown = [f.summary for facts in after.facts_by_agency.values() for f in facts]
    assert "Asthma: carries an inhaler" in shown
    assert not any("WRONGCANARY" in s for s in shown)

    notices = RectificationNotice.objects.filter(rectification__old_fact=wrong)
    assert {n.to_agency.code for n in notices} == {"GWP"}
    audit = AuditEvent.objects.filter(
        target_type="fact", target_id=str(wrong.public_id), action=AuditAction.UPDATE
    )
    assert audit.count() == 1
    assert "WRONGCANARY" not in json.dumps(audit.get().detail)
    assert AuditEvent.objects.filter(target_type="fact", target_id=str(corrected.public_id)).exists()
    with pytest.raises(InvalidAction):  # corrected once: the old fact cannot be corrected again
        fact_rectify(fact=wrong, corrected_summary="Other", reason="Again", user=nurse)


def test_the_officer_marks_rectification_notices_sent(
    partnership: dict[str, Any], report_missing: Any, coordinator: Any, nurse: Any, auditor: Any, client: Any
) -> None:
    gwent_hub_agreement_seed()
    episode = report_missing()
    fact = fact_add(
        child=episode.child,
        agency=partnership["ABUHB"],
        category=FactCategory.HEALTH_NEED,
        summary="Wrong",
        recorded_on=timezone.localdate(),
        source="WPAS",
        actor=nurse,
    )
    briefing_for(user=coordinator, episode=episode)
    fact_rectify(fact=fact, corrected_summary="Right", reason="Typo", user=auditor)
    notice = RectificationNotice.objects.get()
    client.force_login(auditor)
    page = client.get(reverse("rights:home"))
    assert page.content.count(b'data-testid="notice-row"') == 1
    response = client.post(reverse("rights:notice_sent", args=[notice.public_id]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.sent_by == auditor
    assert client.get(reverse("rights:home")).content.count(b'data-testid="notice-row"') == 0


def test_the_hub_identity_is_rectified_with_notices(
    seeded: Seeded, auditor: Any, coordinator: Any, nurse: Any
) -> None:
    with pytest.raises(NotPermitted):
        child_rectify(child=seeded.child, given_name="Other", reason="x", user=nurse)
    child = child_rectify(
        child=seeded.child,
        date_of_birth=datetime.date(2010, 6, 5),
        reason="Day and month swapped",
        user=coordinator,
    )
    assert child.date_of_birth == datetime.date(2010, 6, 5)
    notices = RectificationNotice.objects.filter(rectification__child=child)
    assert "GWP" in {n.to_agency.code for n in notices}
    event = AuditEvent.objects.filter(target_type="child", action=AuditAction.UPDATE).latest("seq")
    assert event.detail["fields"] == ["date_of_birth"]
    assert "2010" not in json.dumps(event.detail)


def test_the_subject_access_command_writes_the_export(seeded: Seeded, auditor: Any, tmp_path: Any) -> None:
    out = tmp_path / "sar.zip"
    call_command(
        "subject_access", str(seeded.child.public_id), reference="SAR-CLI", out=str(out), user="auditor"
    )
    _, raw, _ = _export(out.read_bytes())
    assert "GivenCANARYALPHA" in raw and "CANARYBRAVO" not in raw
    assert (out.stat().st_mode & 0o077) == 0
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "subject_access",
            str(seeded.child.public_id),
            reference="SAR-CLI2",
            out=str(out),
            user="coordinator",
        )


def test_every_rights_page_works_in_welsh_and_holds_are_placed_and_lifted(
    seeded: Seeded, auditor: Any, client: Any
) -> None:
    sar = subject_access_request_create(
        child=seeded.child, reference="SAR-CY", received_on=timezone.localdate(), user=auditor
    )
    client.force_login(auditor)
    for url in (
        reverse("rights:home"),
        reverse("rights:request_new"),
        reverse("rights:request_detail", args=[sar.public_id]),
        reverse("rights:hold_new"),
    ):
        response = client.get("/cy" + url)
        assert response.status_code == 200, url
        assert b'lang="cy"' in response.content
    # An identifier that matches no child is refused on the form, not with an error page.
    response = client.post(reverse("rights:hold_new"), {"child": str(uuid.uuid4()), "reason": "Inquiry"})
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content
    response = client.post(
        reverse("rights:hold_new"), {"child": str(seeded.other.public_id), "reason": "CL-9"}
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get(child=seeded.other, lifted_at__isnull=True)
    page = client.get(reverse("rights:home"))
    assert str(seeded.other.public_id).encode() in page.content
    assert client.post(reverse("rights:hold_lift", args=[hold.public_id])).status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_at is not None and hold.lifted_by == auditor
    assert AuditEvent.objects.filter(target_type="legal_hold", target_id=str(hold.public_id)).count() == 2


@pytest.mark.parametrize(
    ("role", "agency", "source", "allowed"),
    [
        (Role.HEALTH_NURSE, "ABUHB", "ABUHB", True),
        (Role.HEALTH_NURSE, "ABUHB", "GWP", False),
        (Role.POLICE_COORDINATOR, "GWP", "GWP", True),
        (Role.DEBRIEF_WORKER, "LLAMAU", "LLAMAU", True),
        (Role.ANALYST, "GWP", "GWP", False),
        (Role.ADMINISTRATOR, "GWP", "GWP", False),
        (Role.IG_AUDITOR, "ABUHB", "GWP", True),
    ],
)
def test_who_may_rectify_a_fact(role: Role, agency: str, source: str, allowed: bool) -> None:
    kinds = {"ABUHB": AgencyKind.HEALTH, "GWP": AgencyKind.POLICE, "LLAMAU": AgencyKind.CHARITY}
    actor = Actor(role=role, agency_code=agency, agency_kind=kinds[agency], in_partnership=True)
    assert policy.can_rectify_fact(actor, source_agency_code=source) is allowed
    outsider = Actor(role=role, agency_code=agency, agency_kind=kinds[agency], in_partnership=False)
    assert policy.can_rectify_fact(outsider, source_agency_code=source) is False
    assert policy.can_handle_subject_access(actor) is (role == Role.IG_AUDITOR)
    assert policy.can_manage_legal_holds(actor) is (role == Role.IG_AUDITOR)
