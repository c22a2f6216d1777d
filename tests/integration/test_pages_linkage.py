"""The identity resolution pages: the review queue, one pair side by side, a child's agency records with
the split form, and the possible matches panel on the report form.

Data is set up through the real services; the pages are driven with Django's test client.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from hafan.core.vocabulary import Purpose
from hafan.episodes.models import Episode
from hafan.linkage.models import DecisionStatus, IdentityChange, IdentityChangeKind, MatchDecision
from hafan.linkage.records import FieldEvidence, PairScore
from hafan.linkage.services import decision_upsert, model_train
from hafan.linkage.synthetic import EDUCATION_SUFFIX, generate
from hafan.people.identifiers import synthetic_nhs_number
from hafan.people.models import Child, SourceRecord
from hafan.people.services import PersonDetails, child_create, source_record_upsert
from hafan.sharing.models import AuditAction, AuditEvent
from tests.conftest import TwoFactorClient
from tests.integration.form_data import report_form_data as _report_form_data

_RNG = random.Random(7)
NHS_A, NHS_B = synthetic_nhs_number(_RNG), synthetic_nhs_number(_RNG)

EVIDENCE = (
    FieldEvidence("date_of_birth", "exact", 7.2),
    FieldEvidence("given_name", "same_name_other_form", 2.1),
    FieldEvidence("postcode", "different", -4.6),
)


def _client(user: Any) -> Client:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _child_with_record(
    partnership: dict[str, Any],
    *,
    agency: str,
    system: str,
    local_id: str,
    details: PersonDetails,
    child: Child | None = None,
    recorded_on: datetime.date | None = None,
) -> tuple[Child, SourceRecord]:
    """An agency's record as a feed would bring it in: a new hub identity unless `child` is given."""
    if child is None:
        child = child_create(details=details, actor=None, purpose=Purpose.AGENCY_FEED)
    record = source_record_upsert(
        child=child,
        agency=partnership[agency],
        system=system,
        local_id=local_id,
        details=details,
        recorded_on=recorded_on or datetime.date(2026, 1, 10),
        actor=None,
    )
    return child, record


def _pending(left: SourceRecord, right: SourceRecord, *, probability: float = 0.9) -> MatchDecision:
    """What the model says about a pair it is unsure of (the same service the matcher calls)."""
    low, high = sorted((left.pk, right.pk))
    return decision_upsert(
        score=PairScore(low, high, probability, 3.17, EVIDENCE),
        model_version=None,
        status=DecisionStatus.PENDING,
    )


@pytest.fixture
def pair(partnership: dict[str, Any]) -> dict[str, Any]:
    """Dafydd in the police's system and David in the health board's: one child or two?"""
    dafydd, police = _child_with_record(
        partnership,
        agency="GWP",
        system="Niche",
        local_id="N-1001",
        details=PersonDetails(
            given_name="Dafydd",
            family_name="Price",
            date_of_birth=datetime.date(2012, 5, 17),
            sex="male",
            postcode="NP20 4AB",
            address="12 Heol y Bryn, Newport",
        ),
    )
    david, health = _child_with_record(
        partnership,
        agency="ABUHB",
        system="WPAS",
        local_id="H-77",
        details=PersonDetails(
            given_name="David",
            family_name="Price",
            date_of_birth=datetime.date(2012, 5, 17),
            sex="male",
            postcode="NP19 7XY",
            address="3 Chepstow Road, Newport",
            nhs_number=NHS_A,
        ),
    )
    decision = _pending(police, health)
    return {"dafydd": dafydd, "david": david, "police": police, "health": health, "decision": decision}


# The queue


@pytest.mark.parametrize("persona", ["coordinator", "social_worker"])
def test_the_queue_lists_a_pending_pair_for_staff_who_decide(
    request: pytest.FixtureRequest, persona: str, pair: dict[str, Any]
) -> None:
    response = _client(request.getfixturevalue(persona)).get(reverse("linkage:queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dafydd" in html and "David" in html
    assert "Gwent Police" in html
    assert "90.0%" in html
    assert reverse("linkage:review", args=[pair["decision"].public_id]) in html
    assert 'href="/linkage/review/"' in html  # the navigation offers the queue


@pytest.mark.parametrize("persona", ["nurse", "education_worker", "analyst", "outsider", "debrief_worker"])
def test_the_queue_and_the_pair_are_not_found_for_anyone_else(
    request: pytest.FixtureRequest, persona: str, pair: dict[str, Any]
) -> None:
    client = _client(request.getfixturevalue(persona))
    assert client.get(reverse("linkage:queue")).status_code == 404
    review = reverse("linkage:review", args=[pair["decision"].public_id])
    assert client.get(review).status_code == 404
    assert client.post(review, {"outcome": "accept"}).status_code == 404
    assert MatchDecision.objects.get(pk=pair["decision"].pk).status == DecisionStatus.PENDING
    assert 'href="/linkage/review/"' not in client.get(reverse("core:home")).content.decode()


def test_the_queue_says_when_nothing_is_waiting(coordinator: Any) -> None:
    response = _client(coordinator).get(reverse("linkage:queue"))
    assert "No pair of records is waiting for review." in response.content.decode()


# One pair


def test_the_review_page_puts_the_records_side_by_side_and_the_evidence_in_plain_words(
    coordinator: Any, pair: dict[str, Any]
) -> None:
    response = _client(coordinator).get(reverse("linkage:review", args=[pair["decision"].public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Same date of birth" in html
    assert "strong evidence for" in html
    assert "The same first name in another form" in html
    assert "some evidence for" in html
    assert "Different postcodes" in html
    assert "strong evidence against" in html
    assert "govuk-tag--green" in html and "govuk-tag--red" in html
    nhs = f"{NHS_A[:3]} {NHS_A[3:6]} {NHS_A[6:]}"
    assert nhs in html  # formatted 3-3-4
    assert "Gwent Police" in html and "Aneurin Bevan" in html
    assert "N-1001" in html and "H-77" in html
    assert html.count('data-differs="true"') == 4  # given name, address, postcode and NHS number
    assert "17 May 2012" in html
    assert reverse("linkage:records", args=[pair["dafydd"].public_id]) in html
    assert reverse("linkage:records", args=[pair["david"].public_id]) in html
    assert "Needs review" in html and "90.0%" in html
    upper, lower = settings.HAFAN_LINK_UPPER * 100, settings.HAFAN_LINK_LOWER * 100
    assert f"Linked automatically at {upper:.1f}% or more; reviewed from {lower:.1f}%" in html
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, target_type="match_decision", target_id=str(pair["decision"].public_id)
    ).exists()


def test_accepting_a_pair_merges_the_two_identities(coordinator: Any, pair: dict[str, Any]) -> None:
    client = _client(coordinator)
    url = reverse("linkage:review", args=[pair["decision"].public_id])
    response = client.post(url, {"outcome": "accept"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("linkage:queue")
    assert "Records linked: the identities were merged" in response.content.decode()

    police, health = (SourceRecord.objects.get(pk=r.pk) for r in (pair["police"], pair["health"]))
    assert police.child_id == health.child_id == pair["dafydd"].pk  # the older identity survives
    assert Child.objects.get(pk=pair["david"].pk).merged_into_id == pair["dafydd"].pk
    decision = MatchDecision.objects.get(pk=pair["decision"].pk)
    assert decision.status == DecisionStatus.ACCEPTED
    assert decision.decided_by == coordinator
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, target_type="match_decision", target_id=str(decision.public_id)
    ).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, target_type="child", target_id=str(pair["dafydd"].public_id)
    ).exists()
    assert IdentityChange.objects.filter(kind=IdentityChangeKind.MERGE, decision=decision).exists()

    records = client.get(reverse("linkage:records", args=[pair["dafydd"].public_id])).content.decode()
    assert "N-1001" in records and "H-77" in records
    assert "Identities merged" in records
    merged = client.get(reverse("linkage:records", args=[pair["david"].public_id])).content.decode()
    assert "This identity was merged into another" in merged


def test_rejecting_a_pair_keeps_the_children_apart_for_good(social_worker: Any, pair: dict[str, Any]) -> None:
    response = _client(social_worker).post(
        reverse("linkage:review", args=[pair["decision"].public_id]), {"outcome": "reject"}, follow=True
    )
    assert "Records kept apart" in response.content.decode()
    assert MatchDecision.objects.get(pk=pair["decision"].pk).status == DecisionStatus.REJECTED

    # A later model run is sure they are one child: the person's decision stands.
    low, high = sorted((pair["police"].pk, pair["health"].pk))
    again = decision_upsert(
        score=PairScore(low, high, 0.999, 11.0, EVIDENCE),
        model_version=None,
        status=DecisionStatus.AUTO_LINKED,
    )
    assert again.pk == pair["decision"].pk
    assert MatchDecision.objects.get(pk=pair["decision"].pk).status == DecisionStatus.REJECTED
    assert SourceRecord.objects.get(pk=pair["police"].pk).child_id == pair["dafydd"].pk
    assert SourceRecord.objects.get(pk=pair["health"].pk).child_id == pair["david"].pk
    assert Child.objects.get(pk=pair["david"].pk).merged_into_id is None


def test_not_sure_leaves_the_pair_in_the_queue(coordinator: Any, pair: dict[str, Any]) -> None:
    client = _client(coordinator)
    client.post(reverse("linkage:review", args=[pair["decision"].public_id]), {"outcome": "not_sure"})
    assert MatchDecision.objects.get(pk=pair["decision"].pk).status == DecisionStatus.NOT_SURE
    assert "Not sure" in client.get(reverse("linkage:queue")).content.decode()


def test_a_decision_must_be_chosen(coordinator: Any, pair: dict[str, Any]) -> None:
    response = _client(coordinator).post(reverse("linkage:review", args=[pair["decision"].public_id]), {})
    assert response.status_code == 200
    assert "Choose whether the records are the same child." in response.content.decode()
    assert MatchDecision.objects.get(pk=pair["decision"].pk).status == DecisionStatus.PENDING


def test_two_valid_nhs_numbers_that_disagree_cannot_be_accepted(
    coordinator: Any, partnership: dict[str, Any], pair: dict[str, Any]
) -> None:
    _, other = _child_with_record(
        partnership,
        agency="NCC",
        system="WCCIS",
        local_id="C-5",
        details=PersonDetails(
            given_name="David",
            family_name="Price",
            date_of_birth=datetime.date(2012, 5, 17),
            nhs_number=NHS_B,
        ),
    )
    decision = _pending(pair["health"], other)
    response = _client(coordinator).post(
        reverse("linkage:review", args=[decision.public_id]), {"outcome": "accept"}
    )
    assert response.status_code == 200
    assert "different valid NHS numbers" in response.content.decode()
    assert SourceRecord.objects.get(pk=other.pk).child_id != pair["health"].child_id
    assert MatchDecision.objects.get(pk=decision.pk).status == DecisionStatus.PENDING


# A child's agency records, and splitting a wrong merge


@pytest.fixture
def wrongly_merged(
    coordinator: Any, partnership: dict[str, Any], report_missing: Callable[..., Episode]
) -> dict[str, Any]:
    """Cerys is known to the police; a report about Carys was filed under Cerys's identity by mistake,
    and the health board's record of Carys followed it."""
    cerys, police = _child_with_record(
        partnership,
        agency="GWP",
        system="Niche",
        local_id="N-2002",
        details=PersonDetails(
            given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 3, 4)
        ),
    )
    carys = PersonDetails(given_name="Carys", family_name="Jonas", date_of_birth=datetime.date(2013, 8, 21))
    episode = report_missing(child=cerys, child_details=carys)
    _, health = _child_with_record(
        partnership, agency="ABUHB", system="WPAS", local_id="H-88", details=carys, child=cerys
    )
    hub = SourceRecord.objects.get(child=cerys, system="Hafan", local_id=episode.reference)
    return {"cerys": cerys, "police": police, "health": health, "hub": hub, "episode": episode}


def test_the_records_page_lists_every_record_behind_the_identity(
    nurse: Any, wrongly_merged: dict[str, Any]
) -> None:
    response = _client(nurse).get(reverse("linkage:records", args=[wrongly_merged["cerys"].public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "N-2002" in html and "H-88" in html and wrongly_merged["episode"].reference in html
    assert "3 agency records" in html
    assert 'data-testid="split-form"' not in html  # a nurse sees the records but does not split
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        target_type="child",
        target_id=str(wrongly_merged["cerys"].public_id),
        actor=nurse,
    ).exists()


def test_staff_who_only_read_cannot_split(nurse: Any, wrongly_merged: dict[str, Any]) -> None:
    url = reverse("linkage:records", args=[wrongly_merged["cerys"].public_id])
    response = _client(nurse).post(url, {"records": [str(wrongly_merged["health"].public_id)], "reason": "x"})
    assert response.status_code == 403
    assert SourceRecord.objects.get(pk=wrongly_merged["health"].pk).child_id == wrongly_merged["cerys"].pk


@pytest.mark.parametrize("persona", ["analyst", "outsider", "debrief_worker", "auditor"])
def test_the_records_page_is_not_found_for_anyone_outside_casework(
    request: pytest.FixtureRequest, persona: str, wrongly_merged: dict[str, Any]
) -> None:
    client = _client(request.getfixturevalue(persona))
    url = reverse("linkage:records", args=[wrongly_merged["cerys"].public_id])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"records": [str(wrongly_merged["health"].public_id)], "reason": "x"}).status_code
        == 404
    )
    assert client.get(reverse("linkage:records", args=[uuid.uuid4()])).status_code == 404


def test_splitting_moves_the_chosen_records_and_their_episode_to_a_new_child(
    coordinator: Any, wrongly_merged: dict[str, Any]
) -> None:
    client = _client(coordinator)
    cerys = wrongly_merged["cerys"]
    url = reverse("linkage:records", args=[cerys.public_id])
    assert 'data-testid="split-form"' in client.get(url).content.decode()
    moving = [wrongly_merged["hub"], wrongly_merged["health"]]
    response = client.post(
        url,
        {"records": [str(r.public_id) for r in moving], "reason": "Different child: Carys, born 2013."},
        follow=True,
    )
    carys = Child.objects.exclude(pk=cerys.pk).get(source_records__pk=wrongly_merged["health"].pk)
    assert response.redirect_chain[-1][0] == reverse("linkage:records", args=[carys.public_id])
    html = response.content.decode()
    assert "Identity split: 2 records moved" in html
    assert "Identity split" in html and "Different child: Carys, born 2013." in html

    assert carys.full_name == "Carys Jonas"
    assert set(SourceRecord.objects.filter(child=carys).values_list("pk", flat=True)) == {
        r.pk for r in moving
    }
    assert list(SourceRecord.objects.filter(child=cerys).values_list("pk", flat=True)) == [
        wrongly_merged["police"].pk
    ]
    episode = Episode.objects.get(pk=wrongly_merged["episode"].pk)
    assert episode.child_id == carys.pk
    # The split pairs are marked as different children, so the model never joins them again.
    police = wrongly_merged["police"].pk
    for record in moving:
        low, high = sorted((police, record.pk))
        assert MatchDecision.objects.get(left_id=low, right_id=high).status == DecisionStatus.REJECTED
    assert IdentityChange.objects.filter(
        kind=IdentityChangeKind.SPLIT, from_child=cerys, to_child=carys
    ).exists()

    briefing = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert "Carys Jonas" in briefing
    assert reverse("linkage:records", args=[carys.public_id]) in briefing
    assert "Cerys" not in briefing


def test_a_split_needs_records_a_reason_and_something_left_behind(
    coordinator: Any, wrongly_merged: dict[str, Any]
) -> None:
    client = _client(coordinator)
    url = reverse("linkage:records", args=[wrongly_merged["cerys"].public_id])
    html = client.post(url, {"reason": ""}).content.decode()
    assert "Choose the records that belong to a different child." in html
    assert "Say why these records are a different child." in html
    everything = [str(wrongly_merged[k].public_id) for k in ("police", "health", "hub")]
    html = client.post(url, {"records": everything, "reason": "All wrong"}).content.decode()
    assert "Leave at least one record with this identity." in html
    html = client.post(url, {"records": [str(uuid.uuid4())], "reason": "Other"}).content.decode()
    assert "Choose only records of this identity." in html
    assert Child.objects.count() == 1


def test_the_briefing_links_to_the_records_and_warns_of_possible_matches(
    coordinator: Any, partnership: dict[str, Any], wrongly_merged: dict[str, Any]
) -> None:
    client = _client(coordinator)
    detail = reverse("episodes:detail", args=[wrongly_merged["episode"].public_id])
    html = client.get(detail).content.decode()
    assert reverse("linkage:records", args=[wrongly_merged["cerys"].public_id]) in html
    assert "Possible matches waiting for review" not in html
    _, school = _child_with_record(
        partnership,
        agency="CCBC",
        system="SIMS",
        local_id="S-3",
        details=PersonDetails(
            given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 4, 3)
        ),
    )
    _pending(wrongly_merged["police"], school, probability=0.85)
    html = client.get(detail).content.decode()
    assert "Possible matches waiting for review" in html


# The report form's possible matches


def _load_synthetic_records(partnership: dict[str, Any], n: int) -> list[tuple[Child, Any]]:
    """A small synthetic population as agency feeds would bring it: every record its own identity."""
    records, _truth = generate(n, seed=11)
    loaded = []
    for r in records:
        details = PersonDetails(
            given_name=r.given_name,
            family_name=r.family_name,
            other_names=r.other_names,
            date_of_birth=r.date_of_birth,
            sex=r.sex,
            address=r.address,
            postcode=r.postcode,
            nhs_number=r.nhs_number,
            upn=r.upn,
        )
        # Education services are part of their council in the partnership.
        school = r.agency.endswith(EDUCATION_SUFFIX)
        try:
            child, _record = _child_with_record(
                partnership,
                agency=r.agency.removesuffix(EDUCATION_SUFFIX),
                system="SIMS" if school else "Feed",
                local_id=str(r.record_id),
                details=details,
            )
        except ValidationError:  # a mistyped identifier is refused by the service, as in a real feed
            continue
        loaded.append((child, r))
    return loaded


@pytest.fixture
def trained(coordinator: Any, partnership: dict[str, Any]) -> dict[str, Any]:
    loaded = _load_synthetic_records(partnership, 400)
    model_train(actor=coordinator, seed=5)
    # Someone the hub already knows, with an NHS number and a plain name: the report describes them exactly.
    child, record = next(
        (c, r)
        for c, r in loaded
        if r.nhs_number
        and r.date_of_birth
        and r.postcode
        and r.given_name.isalpha()
        and r.family_name.isalpha()
    )
    return {"child": child, "record": record}


def test_the_candidates_panel_offers_a_matching_child(coordinator: Any, trained: dict[str, Any]) -> None:
    record, child = trained["record"], trained["child"]
    response = _client(coordinator).post(
        reverse("linkage:candidates"),
        {
            "given_name": record.given_name,
            "family_name": record.family_name,
            "date_of_birth": record.date_of_birth.isoformat(),
            "nhs_number": record.nhs_number,
            "postcode": record.postcode,
            "upn": "not a upn",  # half-typed values are ignored, not reported
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert child.full_name in html
    assert f'value="{child.public_id}"' in html
    assert 'name="existing_child"' in html
    assert "None of these: a child not known to the hub" in html
    assert "<html" not in html  # a partial, not a page
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        target_type="possible_match",
        child_public_id=child.public_id,
        actor=coordinator,
    ).exists()


def test_the_candidates_panel_shows_a_child_s_agreed_response_plan(
    coordinator: Any, social_worker: Any, trained: dict[str, Any]
) -> None:
    import datetime

    from django.utils import timezone

    from hafan.people.services import allocation_start, response_plan_decide, response_plan_propose

    record, child = trained["record"], trained["child"]
    form = {
        "given_name": record.given_name,
        "family_name": record.family_name,
        "date_of_birth": record.date_of_birth.isoformat(),
        "nhs_number": record.nhs_number,
    }
    url = reverse("linkage:candidates")
    assert 'data-testid="candidate-plan"' not in _client(coordinator).post(url, form).content.decode()
    allocation_start(child=child, user=social_worker, kind="case_holder", allocated_by=coordinator)
    proposed = response_plan_propose(
        child=child,
        proposed_by=coordinator,
        plan="Treat as high risk every time.",
        treat_as_grade="high",
        review_due=timezone.localdate() + datetime.timedelta(days=60),
        based_on=None,
    )
    # A proposal the case holder has not agreed is not the plan: the call-handler is not told about it.
    assert 'data-testid="candidate-plan"' not in _client(coordinator).post(url, form).content.decode()
    response_plan_decide(plan=proposed, social_worker=social_worker, agree=True, note="")
    html = _client(coordinator).post(url, form).content.decode()
    assert "This child has an agreed response plan: treat as at least High risk." in html


def test_the_candidates_panel_is_empty_without_a_name(coordinator: Any, partnership: dict[str, Any]) -> None:
    response = _client(coordinator).post(
        reverse("linkage:candidates"), {"given_name": "", "date_of_birth": "nope"}
    )
    assert response.status_code == 200
    assert "existing_child" not in response.content.decode()


@pytest.mark.parametrize("persona", ["analyst", "nurse", "outsider", "debrief_worker"])
def test_the_candidates_panel_is_not_found_for_staff_who_cannot_report(
    request: pytest.FixtureRequest, persona: str
) -> None:
    client = _client(request.getfixturevalue(persona))
    assert client.post(reverse("linkage:candidates"), {"given_name": "Cerys"}).status_code == 404
    assert client.get(reverse("linkage:candidates")).status_code in {404, 405}


def test_the_report_form_has_the_possible_matches_panel(coordinator: Any) -> None:
    html = _client(coordinator).get(reverse("episodes:report")).content.decode()
    assert f'hx-post="{reverse("linkage:candidates")}"' in html
    assert 'hx-target="#possible-matches"' in html
    assert 'id="possible-matches" aria-live="polite"' in html


def test_reporting_with_a_chosen_child_files_the_episode_under_that_child(
    coordinator: Any, partnership: dict[str, Any]
) -> None:
    known, _ = _child_with_record(
        partnership,
        agency="NCC",
        system="WCCIS",
        local_id="C-9",
        details=PersonDetails(
            given_name="Cerys", family_name="Jones-Evans", date_of_birth=datetime.date(2011, 3, 4)
        ),
    )
    response = _client(coordinator).post(
        reverse("episodes:report"), _report_form_data(existing_child=known.public_id)
    )
    assert response.status_code == 302
    episode = Episode.objects.get()
    assert episode.child_id == known.pk
    assert Child.objects.count() == 1
    assert SourceRecord.objects.filter(child=known, system="Hafan", local_id=episode.reference).exists()


def test_reporting_with_none_of_these_lets_the_hub_match(coordinator: Any) -> None:
    response = _client(coordinator).post(reverse("episodes:report"), _report_form_data(existing_child=""))
    assert response.status_code == 302
    assert Episode.objects.get().child.full_name == "Cerys Jones"


def test_a_child_not_on_the_list_is_refused(coordinator: Any) -> None:
    client = _client(coordinator)
    for value in (str(uuid.uuid4()), "not-a-uuid"):
        response = client.post(reverse("episodes:report"), _report_form_data(existing_child=value))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Choose a child from the list." in html
        assert 'href="#id_existing_child"' in html
    assert not Episode.objects.exists()


def test_the_report_still_works_as_before_without_a_choice(
    coordinator: Any, partnership: dict[str, Any]
) -> None:
    """Without JavaScript no panel is fetched: the server matches on submit (here, exact name and DOB)."""
    known, _ = _child_with_record(
        partnership,
        agency="GWP",
        system="Niche",
        local_id="N-4",
        details=PersonDetails(
            given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 3, 4)
        ),
    )
    response = _client(coordinator).post(reverse("episodes:report"), _report_form_data())
    assert response.status_code == 302
    assert Episode.objects.get().child_id == known.pk
