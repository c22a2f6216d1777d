"""The debrief record (issue 7, item 2): each finding carries its own sharing decision. The child agreed, or a
safeguarding basis requires it (with its reason), or it stays with the charity; a finding with no basis never
reaches the hub: no fact, not on the briefing, not in the API."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hafan.accounts.services import api_token_issue
from hafan.core.vocabulary import FactCategory, ShareBasis
from hafan.debriefs.models import Debrief, DebriefFinding
from hafan.debriefs.services import FindingInput, debrief_record
from hafan.episodes.selectors import briefing_for
from hafan.episodes.services import episode_assign, episode_record_return
from hafan.notifications.models import Notification, NotificationKind
from hafan.people.models import Fact
from hafan.people.services import allocation_start
from hafan.risk.models import HubTask

KEPT = "CANARY kept: the flat above the launderette on Dock Street"
KEPT_ASSOCIATE = "CANARY kept: a boy called Rhodri"
AGREED = "Skate park, Cwmbran"
SAFEGUARDING = "A man called 'Smokey', about 25, drives a black Audi"


def _ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def debrief(report_missing: Any, coordinator: Any) -> Debrief:
    episode = report_missing(reported_at=_ago(12), last_seen_at=_ago(14))
    episode = episode_record_return(
        episode=episode, recorded_by=coordinator, returned_at=_ago(6), found_where="Pill", found_by="police",
        harm_suffered=False,
    )  # fmt: skip
    return Debrief.objects.select_related("episode__child", "provider").get(episode=episode)


def _held(**fields: Any) -> dict[str, Any]:
    return {"status": "held", "offered_at": _ago(4), "held_at": _ago(3), "where_went": "Cwmbran", **fields}


def _mixed() -> list[FindingInput]:
    return [
        FindingInput(kind="place", text=AGREED, share="consent"),
        FindingInput(
            kind="associate",
            text=SAFEGUARDING,
            share="safeguarding",
            safeguarding_reason="An adult is exploiting her; asking would put her at risk.",
        ),
        FindingInput(
            kind="indicator",
            indicator="cce",
            share="safeguarding",
            safeguarding_reason="Criminal exploitation.",
        ),
        FindingInput(kind="place", text=KEPT, share="none"),
        FindingInput(kind="associate", text=KEPT_ASSOCIATE, share="none"),
    ]


def test_only_findings_with_a_basis_become_facts_with_their_basis_and_source(
    debrief: Debrief, debrief_worker: Any
) -> None:
    debrief = debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    facts = {f.summary: f for f in Fact.objects.filter(child=debrief.episode.child)}
    assert set(facts) == {AGREED, SAFEGUARDING, "Debrief indicator: Child criminal exploitation"}
    assert facts[AGREED].share_basis == ShareBasis.CONSENT
    assert facts[AGREED].category == FactCategory.PLACE
    assert facts[SAFEGUARDING].share_basis == ShareBasis.SAFEGUARDING
    assert facts[SAFEGUARDING].category == FactCategory.ASSOCIATE
    assert facts["Debrief indicator: Child criminal exploitation"].category == FactCategory.EXPLOITATION
    for fact in facts.values():
        assert fact.debrief == debrief
        assert debrief.episode.reference in fact.source and "debrief" in fact.source
        assert fact.agency == debrief.provider
    findings = {f.text or f.indicator: f for f in DebriefFinding.objects.filter(debrief=debrief)}
    assert findings[AGREED].fact == facts[AGREED]
    assert findings[KEPT].fact is None and findings[KEPT_ASSOCIATE].fact is None
    assert findings[KEPT].basis == ShareBasis.NONE
    # The debrief's own basis is the strongest among its findings.
    assert debrief.share_basis == ShareBasis.SAFEGUARDING


def test_a_finding_kept_with_the_charity_never_reaches_the_hub(
    client: Any, debrief: Debrief, debrief_worker: Any, coordinator: Any, social_worker: Any, nurse: Any
) -> None:
    debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    assert not [
        f for f in Fact.objects.all() if "CANARY" in f.summary
    ]  # summaries are encrypted: check in Python
    for user in (coordinator, social_worker, nurse):
        briefing = briefing_for(user=user, episode=debrief.episode)
        shown = [f.summary for f in briefing.learnt_in_debriefs] + [
            f.summary for facts in briefing.facts_by_agency.values() for f in facts
        ]
        assert AGREED in shown
        assert not any("CANARY" in s for s in shown)
    client.force_login(coordinator)
    page = client.get(reverse("episodes:detail", args=[debrief.episode.public_id])).content.decode()
    assert AGREED in page and "CANARY" not in page
    token = api_token_issue(user=coordinator, name="police system")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = api.get(f"/api/v1/episodes/{debrief.episode.public_id}/briefing").content.decode()
    assert AGREED in body and "CANARY" not in body


def test_safeguarding_needs_a_reason_and_nothing_is_written_without_one(
    debrief: Debrief, debrief_worker: Any
) -> None:
    rows = [
        FindingInput(kind="place", text=AGREED, share="consent"),
        FindingInput(kind="associate", text=SAFEGUARDING, share="safeguarding"),
    ]
    with pytest.raises(ValidationError) as exc:
        debrief_record(debrief=debrief, worker=debrief_worker, findings=rows, **_held())
    assert "finding_1_safeguarding_reason" in exc.value.message_dict
    assert not Fact.objects.exists() and not DebriefFinding.objects.exists()
    debrief.refresh_from_db()
    assert debrief.status == "awaiting"


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (FindingInput(kind="rumour", text="x", share="none"), "finding_0_kind"),
        (FindingInput(kind="place", text="", indicator="", share="none", public_id="nope"), "finding_0_kind"),
        (FindingInput(kind="place", text="  ", indicator="cse", share="none"), "finding_0_text"),
        (FindingInput(kind="indicator", text="Older lads", share="consent"), "finding_0_indicator"),
        (FindingInput(kind="indicator", indicator="witchcraft", share="consent"), "finding_0_indicator"),
        (FindingInput(kind="place", text="Pill", share="everyone"), "finding_0_share"),
    ],
)
def test_bad_findings_are_refused(
    debrief: Debrief, debrief_worker: Any, row: FindingInput, error: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        debrief_record(debrief=debrief, worker=debrief_worker, findings=[row], **_held())
    assert error in exc.value.message_dict
    assert not DebriefFinding.objects.exists()


def test_findings_wait_until_the_debrief_is_held(debrief: Debrief, debrief_worker: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        debrief_record(
            debrief=debrief, worker=debrief_worker, status="offered", offered_at=_ago(4),
            findings=[FindingInput(kind="place", text=AGREED, share="consent")],
        )  # fmt: skip
    assert "findings" in exc.value.message_dict


def test_saving_again_never_repeats_a_fact(debrief: Debrief, debrief_worker: Any) -> None:
    debrief = debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    count = Fact.objects.count()
    findings = list(DebriefFinding.objects.filter(debrief=debrief).order_by("pk"))
    # Again, as the API would send it (no ids) and as the page sends it (with ids).
    debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    with_ids = [
        FindingInput(
            kind=f.kind,
            text=f.text,
            indicator=f.indicator,
            share=f.basis,
            safeguarding_reason=f.safeguarding_reason,
            public_id=str(f.public_id),
        )
        for f in findings
    ]
    debrief_record(debrief=debrief, worker=debrief_worker, findings=with_ids, **_held())
    assert Fact.objects.count() == count
    assert DebriefFinding.objects.filter(debrief=debrief).count() == 5


def test_un_sharing_a_finding_withdraws_its_fact_from_the_hub(
    debrief: Debrief, debrief_worker: Any, coordinator: Any
) -> None:
    debrief = debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    agreed = DebriefFinding.objects.get(debrief=debrief, kind="place", child_agreed=True)
    fact = agreed.fact
    assert fact is not None
    rows = [
        FindingInput(kind="place", text=AGREED, share="none", public_id=str(agreed.public_id)),
        *_mixed()[1:],
    ]
    debrief_record(debrief=debrief, worker=debrief_worker, findings=rows, **_held())
    fact.refresh_from_db()
    agreed.refresh_from_db()
    assert fact.withdrawn_at is not None and agreed.fact is None
    briefing = briefing_for(user=coordinator, episode=debrief.episode)
    assert AGREED not in [f.summary for f in briefing.learnt_in_debriefs]
    # Sharing it again makes a new fact: the withdrawn one stays withdrawn.
    debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    agreed.refresh_from_db()
    assert agreed.fact is not None and agreed.fact != fact and agreed.fact.withdrawn_at is None


def test_removing_a_shared_finding_withdraws_its_fact(debrief: Debrief, debrief_worker: Any) -> None:
    debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    fact = next(f for f in Fact.objects.all() if f.summary == AGREED)  # summaries are encrypted at rest
    debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed()[1:], **_held())
    fact.refresh_from_db()
    assert fact.withdrawn_at is not None
    assert DebriefFinding.objects.filter(debrief=debrief).count() == 4


def test_shared_findings_tell_the_officer_and_the_case_holder_and_open_a_review(
    debrief: Debrief, debrief_worker: Any, coordinator: Any, supervisor: Any, social_worker: Any
) -> None:
    episode_assign(episode=debrief.episode, assigned_by=supervisor, assignee=coordinator)
    allocation_start(
        child=debrief.episode.child, user=social_worker, kind="case_holder", allocated_by=supervisor
    )
    debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    for user in (coordinator, social_worker):
        notice = Notification.objects.get(recipient=user, kind=NotificationKind.DEBRIEF_SHARED)
        assert notice.params["reference"] == debrief.episode.reference
        assert notice.url == reverse("episodes:detail", args=[debrief.episode.public_id])
    assert not Notification.objects.filter(
        recipient=debrief_worker, kind=NotificationKind.DEBRIEF_SHARED
    ).exists()
    # CCE shared on a safeguarding basis: the exploitation review opens (the risk reassessment).
    assert HubTask.objects.filter(child=debrief.episode.child, kind="exploitation_review").exists()
    # Nothing new shared: nobody is told again.
    debrief_record(debrief=debrief, worker=debrief_worker, findings=_mixed(), **_held())
    assert Notification.objects.filter(kind=NotificationKind.DEBRIEF_SHARED).count() == 2


def test_nothing_shared_tells_nobody(
    debrief: Debrief, debrief_worker: Any, coordinator: Any, supervisor: Any
) -> None:
    episode_assign(episode=debrief.episode, assigned_by=supervisor, assignee=coordinator)
    rows = [FindingInput(kind="place", text=KEPT, share="none")]
    debrief_record(debrief=debrief, worker=debrief_worker, findings=rows, **_held())
    assert not Notification.objects.filter(kind=NotificationKind.DEBRIEF_SHARED).exists()
    assert not Fact.objects.filter(debrief=debrief).exists()


def test_the_page_records_findings_each_with_its_own_decision(
    client: Any, debrief: Debrief, debrief_worker: Any
) -> None:
    client.force_login(debrief_worker)
    url = reverse("debriefs:detail", args=[debrief.public_id])
    page = client.get(url).content.decode()
    for label in ("Child agreed to share", "Safeguarding requires sharing", "Keep with the charity"):
        assert label in page
    now = timezone.localtime(_ago(2)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "status": "held", "offered_at": now, "held_at": now, "where_went": "Cwmbran",
        "findings-TOTAL_FORMS": "3", "findings-INITIAL_FORMS": "0",
        "findings-0-kind": "place", "findings-0-text": AGREED, "findings-0-share": "consent",
        "findings-1-kind": "place", "findings-1-text": KEPT, "findings-1-share": "none",
        "findings-2-kind": "associate", "findings-2-text": SAFEGUARDING, "findings-2-share": "safeguarding",
    }  # fmt: skip
    refused = client.post(url, data)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Finding 3:" in html and "govuk-error-summary" in html
    assert not Fact.objects.exists()
    data["findings-2-safeguarding_reason"] = "Adult exploiting her."
    assert client.post(url, data).status_code == 302
    shared = sorted(f.summary for f in Fact.objects.filter(debrief=debrief))
    assert shared == sorted([AGREED, SAFEGUARDING])
    again = client.get(url).content.decode()
    assert again.count('data-testid="finding-row"') == 3 + 3  # the three recorded, three blank
    assert "Shared with the hub" in again and "Kept with the charity" in again


def test_the_api_takes_findings_and_never_returns_kept_ones_to_the_hub(
    debrief: Debrief, debrief_worker: Any, coordinator: Any
) -> None:
    worker_api = Client(
        HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=debrief_worker, name='charity system')}"
    )
    body = {
        "status": "held",
        "offered_at": _ago(4).isoformat(),
        "held_at": _ago(3).isoformat(),
        "findings": [
            {"kind": "place", "text": AGREED, "share": "consent"},
            {"kind": "place", "text": KEPT, "share": "none"},
            {"kind": "associate", "text": SAFEGUARDING, "share": "safeguarding"},
        ],
    }
    refused = worker_api.post(
        f"/api/v1/debriefs/{debrief.public_id}", json.dumps(body), content_type="application/json"
    )
    assert refused.status_code == 422
    assert "findings.2.safeguarding_reason" in refused.json()["errors"]
    assert not Fact.objects.exists()
    body["findings"][2]["safeguarding_reason"] = "Adult exploiting her."  # type: ignore[index]
    response = worker_api.post(
        f"/api/v1/debriefs/{debrief.public_id}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["share_basis"] == "safeguarding"
    assert sorted(f["summary"] for f in out["shared_facts"]) == sorted([AGREED, SAFEGUARDING])
    assert {f["share"] for f in out["findings"]} == {"consent", "none", "safeguarding"}
    kept = next(f for f in out["findings"] if f["share"] == "none")
    assert kept["shared_fact"] is None
    # Posting the same again changes nothing.
    worker_api.post(
        f"/api/v1/debriefs/{debrief.public_id}", json.dumps(body), content_type="application/json"
    )
    assert Fact.objects.filter(debrief=debrief).count() == 2
    police_api = Client(
        HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=coordinator, name='police system')}"
    )
    briefing = police_api.get(f"/api/v1/episodes/{debrief.episode.public_id}/briefing").content.decode()
    assert AGREED in briefing and "CANARY" not in briefing
    assert (
        police_api.post(
            f"/api/v1/debriefs/{debrief.public_id}", json.dumps(body), content_type="application/json"
        ).status_code
        == 404
    )


def test_the_older_single_basis_still_works_for_agency_systems(debrief: Debrief, debrief_worker: Any) -> None:
    debrief = debrief_record(
        debrief=debrief, worker=debrief_worker, share_basis="consent", places_to_share="Newport market",
        indicators=["cse"], **_held(),
    )  # fmt: skip
    findings = list(DebriefFinding.objects.filter(debrief=debrief).order_by("kind"))
    assert [(f.kind, f.text or f.indicator, f.basis) for f in findings] == [
        ("indicator", "cse", "consent"),
        ("place", "Newport market", "consent"),
    ]
    assert all(f.fact is not None for f in findings)
