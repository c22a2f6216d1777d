"""The hub's journey, one test per role that takes part, driven through the pages with the test client.

A child the agencies already know (police, council, health and education records, each with facts) is
reported missing again; the report matches the existing identity by NHS number. The coordinator grades
the risk and a supervisor confirms it; the child returns; Llamau's debrief worker holds the debrief and
shares, with the child's consent, a place and an associate that flow back to the briefing. The social
worker agrees a response plan that binds the next episode. Analysts see figures, the auditor sees the
trail, and staff with no part in the case see nothing at all.

Only the starting position (the child's agency records, and the earlier episodes of the repeat-missing
test) is set up through the services; every step of the journey goes through the pages.
"""

from __future__ import annotations

import datetime
import html
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import dateformat, timezone

from hafan.core.vocabulary import FactCategory, Purpose
from hafan.debriefs.models import Debrief, OfferStatus
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.episodes.services import episode_record_return
from hafan.people.models import Child
from hafan.people.services import PersonDetails, child_create, fact_add, source_record_upsert
from hafan.referrals.models import Referral, Service, ServiceKind
from hafan.risk.models import RiskAssessment
from tests.conftest import TwoFactorClient

NHS_NUMBER = "943 476 5919"

POLICE_FACT = "Warning marker: associates with a county lines group in Pill"
COUNCIL_FACT = "Looked after since 2022, placed with foster carers in Bettws"
HEALTH_FACT = "Takes sertraline daily; missed a CAMHS appointment last week"
SCHOOL_FACT = "Attendance 61% this term; fixed-term exclusion in March"

# (agency code, agency name, category, fact, source, recorded on, how the date is shown)
AGENCY_FACTS = [
    (
        "GWP",
        "Gwent Police",
        FactCategory.WARNING_MARKER,
        POLICE_FACT,
        "Niche RMS, nominal 88412",
        datetime.date(2025, 2, 3),
        "3 February 2025",
    ),
    (
        "NCC",
        "Newport City Council",
        FactCategory.LOOKED_AFTER,
        COUNCIL_FACT,
        "WCCIS, case 4411",
        datetime.date(2024, 11, 20),
        "20 November 2024",
    ),
    (
        "ABUHB",
        "Aneurin Bevan University Health Board",
        FactCategory.HEALTH_NEED,
        HEALTH_FACT,
        "WPAS, patient record",
        datetime.date(2025, 1, 14),
        "14 January 2025",
    ),
    (
        "CCBC",
        "Caerphilly County Borough Council",
        FactCategory.ATTENDANCE,
        SCHOOL_FACT,
        "SIMS, Bedwas High School",
        datetime.date(2025, 3, 10),
        "10 March 2025",
    ),
]

PLACE = "Flat above the chip shop, Commercial Road"
ASSOCIATE = "'Jay', about 19, drives a grey Golf"


# Reading the pages


def _text(page: str) -> str:
    """The page's visible text, tags dropped and whitespace collapsed, for asserting on what a person reads."""
    without_tags = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(without_tags).split())


def _section(page: str, start_id: str, end_id: str) -> str:
    """The text between two headings' ids on the briefing."""
    start = page.index(f'id="{start_id}"')
    return _text(page[start : page.index(f'id="{end_id}"', start)])


class _TableRows(HTMLParser):
    """The cell texts of each row of the table with the given data-testid, its header row first."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid = testid
        self.rows: list[list[str]] = []
        self._inside = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("data-testid") == self.testid:
            self._inside = True
        elif self._inside and tag == "tr":
            self._row = []
        elif self._inside and tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self._inside:
            return
        if tag in {"td", "th"} and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table(page: str, testid: str) -> list[list[str]]:
    parser = _TableRows(testid)
    parser.feed(page)
    assert parser.rows, f"no table with data-testid={testid!r} on the page"
    return parser.rows


def _shown(moment: datetime.datetime, fmt: str) -> str:
    """A time as the templates show it: local time, Django's date format."""
    return dateformat.format(timezone.localtime(moment), fmt)


# Acting through the pages


def _client(user: Any) -> Client:
    client = TwoFactorClient()
    client.force_login(user)
    return client


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _minute(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(second=0, microsecond=0)


def _report_time() -> datetime.datetime:
    """Twenty minutes ago, but never before this month began, so the dashboard counts it whenever the suite runs."""
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return _minute(max(now - datetime.timedelta(minutes=20), month_start))


def _report_data(council: Any, **overrides: str) -> dict[str, str]:
    reported_at = _report_time()
    data = {
        # The reporter spells the name differently from every agency: only the NHS number can match her.
        "given_name": "Ceris",
        "family_name": "Jones",
        "date_of_birth": "2011-03-04",
        "sex": "female",
        "nhs_number": NHS_NUMBER,
        "upn": "",
        "address": "12 Heol y Coed, Bettws",
        "postcode": "np20 7ab",
        "council": str(council.pk),
        "category": "missing_from_care",
        "reported_at": _local(reported_at),
        "reporter_name": "Mair Lewis (foster carer)",
        "reporter_organisation": "Newport fostering service",
        "last_seen_at": _local(reported_at - datetime.timedelta(hours=3)),
        "last_seen_place": "Newport bus station",
        "circumstances": "Did not come home from school; phone switched off.",
        "clothing": "Green parka, white trainers",
    }
    data.update(overrides)
    return data


def _report(client: Client, council: Any, **overrides: str) -> Episode:
    response = client.post(reverse("episodes:report"), _report_data(council, **overrides))
    assert response.status_code == 302, _text(response.content.decode())
    match = resolve(response["Location"])
    assert match.view_name == "episodes:detail"
    return Episode.objects.get(public_id=match.kwargs["public_id"])


def _grade(client: Client, episode: Episode, grade: str = "high", rationale: str = "") -> Any:
    return client.post(
        reverse("episodes:risk", args=[episode.public_id]),
        {
            "grade": grade,
            "factors": ["cse", "associates"],
            "rationale": rationale or "Known to a county lines group; phone off; out of character for her.",
            "next_review_due": _local(timezone.now() + datetime.timedelta(hours=1)),
        },
    )


def _return_data(returned_at: datetime.datetime) -> dict[str, str]:
    return {
        "returned_at": _local(returned_at),
        "found_where": "Friend's flat, Pill",
        "found_by": "police",
        "harm_suffered": "no",
        "harm_details": "",
        "safe_and_well_at": _local(returned_at),
        "safe_and_well_by": "PC 1234 Evans",
        "safe_and_well_notes": "Tired and hungry; no injuries.",
    }


def _record_return(client: Client, episode: Episode) -> datetime.datetime:
    returned_at = _minute(timezone.now())
    response = client.post(reverse("episodes:return", args=[episode.public_id]), _return_data(returned_at))
    assert response.status_code == 302, _text(response.content.decode())
    return returned_at


def _debrief_held_data() -> dict[str, Any]:
    now = _minute(timezone.now())
    return {
        "status": "held",
        "offered_at": _local(now),
        "held_at": _local(now),
        "where_went": "A flat above a shop in Pill",
        "who_with": "An older lad called Jay",
        "travel": "Bus, then a lift in a car",
        "push_factors": ["conflict"],
        "pull_factors": ["friends"],
        "indicators": [],
        "harm_details": "",
        "child_wishes": "To stay with her foster carers, and not to be shouted at",
        "share_basis": "consent",
        "places_to_share": PLACE,
        "associates_to_share": ASSOCIATE,
    }


def _debrief_url(episode: Episode) -> str:
    return reverse("debriefs:detail", args=[Debrief.objects.get(episode=episode).public_id])


# The starting position: a child every agency already knows


@pytest.fixture
def known_child(partnership: dict[str, Any], coordinator: Any) -> Child:
    """Cerys Jones, known to the police, Newport's social care, the health board and her school. Only the
    health board's record carries her NHS number."""
    cerys = PersonDetails(
        given_name="Cerys", family_name="Jones", date_of_birth=datetime.date(2011, 3, 4), sex="female"
    )
    child = child_create(
        details=cerys, actor=coordinator, purpose=Purpose.AGENCY_FEED, responsible_council=partnership["NCC"]
    )
    for code, system, local_id, nhs_number in (
        ("GWP", "Niche RMS", "88412", ""),
        ("NCC", "WCCIS", "4411", ""),
        ("ABUHB", "WPAS", "P-300512", NHS_NUMBER),
    ):
        source_record_upsert(
            child=child,
            agency=partnership[code],
            system=system,
            local_id=local_id,
            details=PersonDetails(
                given_name="Cerys",
                family_name="Jones",
                date_of_birth=datetime.date(2011, 3, 4),
                sex="female",
                nhs_number=nhs_number,
            ),
            recorded_on=datetime.date(2025, 1, 1),
            actor=coordinator,
        )
    for code, _name, category, summary, source, recorded_on, _shown_on in AGENCY_FACTS:
        fact_add(
            child=child,
            agency=partnership[code],
            category=category,
            summary=summary,
            recorded_on=recorded_on,
            source=source,
            actor=coordinator,
        )
    return child


@pytest.fixture
def reported(known_child: Child, coordinator: Any, partnership: dict[str, Any]) -> Episode:
    """The coordinator has reported Cerys missing through the report form."""
    return _report(_client(coordinator), partnership["NCC"])


def _assert_every_agencys_facts(page: str) -> None:
    text = _section(page, "agencies", "debriefs-learnt")
    for _code, agency, _category, summary, source, _on, shown_on in AGENCY_FACTS:
        assert agency in text
        assert summary in text
        assert f"Source: {source}, recorded on {shown_on}" in text


# The journey, role by role


def test_coordinator_reports_grades_and_records_the_return(
    known_child: Child, coordinator: Any, partnership: dict[str, Any]
) -> None:
    client = _client(coordinator)
    assert client.get(reverse("episodes:report")).status_code == 200

    response = client.post(reverse("episodes:report"), _report_data(partnership["NCC"]))

    # The report matched the identity every agency already holds: no second child was made.
    assert response.status_code == 302
    episode = Episode.objects.get()
    assert response["Location"] == reverse("episodes:detail", args=[episode.public_id])
    assert episode.child == known_child
    assert Child.objects.count() == 1
    assert episode.reported_by == coordinator
    assert episode.status == EpisodeStatus.MISSING

    briefing = client.get(response["Location"]).content.decode()
    text = _text(briefing)
    assert f"Episode {episode.reference} opened." in text
    assert "Cerys Jones" in text  # the hub's identity, not the reporter's spelling
    assert "Agency records 4" in text  # police, council and health records, plus this report
    assert "Missing from care" in text
    assert "Newport bus station" in text
    assert "This episode has not been graded yet." in text
    _assert_every_agencys_facts(briefing)
    assert reverse("episodes:risk", args=[episode.public_id]) in briefing
    assert reverse("episodes:return", args=[episode.public_id]) in briefing

    # Grade the risk.
    risk_form = client.get(reverse("episodes:risk", args=[episode.public_id]))
    assert risk_form.status_code == 200
    graded = _grade(client, episode, "high")
    assert graded.status_code == 302
    assert graded["Location"] == reverse("episodes:detail", args=[episode.public_id])
    assessment = RiskAssessment.objects.get(episode=episode)
    assert (assessment.grade, assessment.author) == ("high", coordinator)
    text = _text(client.get(graded["Location"]).content.decode())
    assert f"Risk grade High recorded for {episode.reference}." in text
    assert "Grade High" in text
    assert "Known to a county lines group" in text
    assert "Graded by Alun Price at" in text
    assert "Awaiting supervisor confirmation" in text

    # Record the return: the charity is asked to offer a debrief.
    assert client.get(reverse("episodes:return", args=[episode.public_id])).status_code == 200
    returned_at = _record_return(client, episode)
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.RETURNED
    assert episode.returned_at == returned_at
    page = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    text = _text(page)
    due = returned_at + datetime.timedelta(hours=72)
    assert f"A debrief offer was sent to Llamau, due by {_shown(due, 'j F Y, H:i')}." in text
    assert "Found where Friend's flat, Pill" in text
    assert "Found by Police" in text
    assert "by PC 1234 Evans" in text
    debrief_section = _section(page, "debrief", "referrals")
    assert "Status Awaiting an offer" in debrief_section
    assert "Provider Llamau" in debrief_section
    assert f"Due by {_shown(due, 'j F Y, H:i')}" in debrief_section
    assert reverse("episodes:return", args=[episode.public_id]) not in page


def test_supervisor_confirms_the_grade(reported: Episode, coordinator: Any, supervisor: Any) -> None:
    assert _grade(_client(coordinator), reported).status_code == 302
    client = _client(supervisor)
    url = reverse("episodes:detail", args=[reported.public_id])

    page = client.get(url).content.decode()
    assert "Awaiting supervisor confirmation" in _text(page)
    confirm = re.search(r'<form method="post" action="([^"]+/confirm/)"', page)
    assert confirm is not None, "the briefing offers the supervisor no way to confirm the grade"
    response = client.post(confirm.group(1))

    assert response.status_code == 302
    assert response["Location"] == url
    assessment = RiskAssessment.objects.get(episode=reported)
    assert assessment.confirmed_by == supervisor
    text = _text(client.get(url).content.decode())
    assert f"Risk grade High confirmed for {reported.reference}." in text
    assert f"Confirmed by Bethan Morgan at {_shown(assessment.confirmed_at, 'j F Y, H:i')}" in text
    assert "Awaiting supervisor confirmation" not in text
    assert 'data-testid="confirm-risk"' not in client.get(url).content.decode()


def test_social_worker_agrees_a_response_plan_that_binds_the_next_episode(
    reported: Episode, coordinator: Any, social_worker: Any, partnership: dict[str, Any]
) -> None:
    client = _client(social_worker)
    url = reverse("episodes:detail", args=[reported.public_id])
    page = client.get(url).content.decode()
    _assert_every_agencys_facts(page)
    assert "No response plan agreed." in _text(page)
    plan_url = reverse("episodes:response_plan", args=[reported.public_id])
    assert plan_url in page
    assert client.get(plan_url).status_code == 200

    response = client.post(
        plan_url,
        {
            "plan": "Always treat as high risk. Carer to search Pill and the bus station first.",
            "likelihood": "high",
            "harm": "high",
            "treat_as_grade": "high",
            "review_due": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        },
    )

    assert response.status_code == 302
    text = _text(client.get(url).content.decode())
    assert "Always treat as high risk." in text
    assert "Treat as at least High" in text
    assert "Agreed by Ceri Hughes on" in text
    assert "Social worker agreed Yes" in text

    # Cerys comes home, then goes missing again: the new episode's briefing carries the plan.
    coordinator_client = _client(coordinator)
    _record_return(coordinator_client, reported)
    again = _report(
        coordinator_client,
        partnership["NCC"],
        reported_at=_local(_minute(timezone.now())),
        last_seen_at=_local(_minute(timezone.now()) - datetime.timedelta(minutes=30)),
    )
    assert again.pk != reported.pk
    assert again.child == reported.child
    text = _text(coordinator_client.get(reverse("episodes:detail", args=[again.public_id])).content.decode())
    assert "Always treat as high risk." in text
    assert "Treat as at least High" in text

    # A low grade that does not say why the plan does not apply is refused, and nothing is written.
    refused = _grade(coordinator_client, again, "low", "Seems fine; she came back last time.")
    assert refused.status_code == 200
    content = refused.content.decode()
    assert "There is a problem" in content
    assert "The child&#x27;s response plan says to treat them as at least High risk" in content
    assert 'href="#id_grade"' in content
    assert not RiskAssessment.objects.filter(episode=again).exists()


@pytest.mark.parametrize(
    ("persona", "own_agency", "own_fact"),
    [
        ("nurse", "Aneurin Bevan University Health Board", HEALTH_FACT),
        ("education_worker", "Caerphilly County Borough Council", SCHOOL_FACT),
    ],
)
def test_nurse_and_education_worker_see_the_briefing_but_cannot_grade(
    reported: Episode, request: pytest.FixtureRequest, persona: str, own_agency: str, own_fact: str
) -> None:
    client = _client(request.getfixturevalue(persona))

    response = client.get(reverse("episodes:detail", args=[reported.public_id]))

    assert response.status_code == 200
    page = response.content.decode()
    agencies = _section(page, "agencies", "debriefs-learnt")
    assert own_agency in agencies
    assert own_fact in agencies
    _assert_every_agencys_facts(page)
    risk_url = reverse("episodes:risk", args=[reported.public_id])
    assert risk_url not in page
    assert client.get(risk_url).status_code == 403
    assert _grade(client, reported).status_code == 403
    assert not RiskAssessment.objects.exists()


def test_debrief_worker_holds_the_debrief_and_what_is_shared_reaches_the_briefing(
    reported: Episode, coordinator: Any, debrief_worker: Any
) -> None:
    coordinator_client = _client(coordinator)
    assert _grade(coordinator_client, reported).status_code == 302
    returned_at = _record_return(coordinator_client, reported)
    client = _client(debrief_worker)
    seen: list[str] = []  # every page the debrief worker is shown

    queue = client.get(reverse("debriefs:queue")).content.decode()
    seen.append(queue)
    rows = _table(queue, "debrief-queue")
    assert rows[0] == ["Child", "Episode", "Returned", "Found where", "Due by", "Time left", "Status"]
    assert len(rows) == 2
    child, reference, returned, found_where, due_by, time_left, status = rows[1]
    assert child.startswith("Cerys Jones")
    assert reference == reported.reference
    assert returned == _shown(returned_at, "j M Y H:i")
    assert found_where == "Friend's flat, Pill"
    assert due_by == _shown(returned_at + datetime.timedelta(hours=72), "j M Y H:i")
    assert time_left == "71 hours left"
    assert status == "Awaiting an offer"

    link = re.search(r'href="(/debriefs/[0-9a-f-]+/)"', queue)
    assert link is not None
    detail_url = link.group(1)
    assert detail_url == _debrief_url(reported)
    detail = client.get(detail_url)
    assert detail.status_code == 200
    seen.append(detail.content.decode())
    seen.append(client.get(reverse("episodes:detail", args=[reported.public_id])).content.decode())

    response = client.post(detail_url, _debrief_held_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("debriefs:queue")
    debrief = Debrief.objects.get(episode=reported)
    assert (debrief.status, debrief.worker, debrief.share_basis) == (
        OfferStatus.HELD,
        debrief_worker,
        "consent",
    )
    after = client.get(reverse("debriefs:queue")).content.decode()
    seen.append(after)
    assert f"Debrief for {reported.reference} recorded." in _text(after)
    assert 'data-testid="queue-empty"' in after

    referral_url = reverse("referrals:new_for_debrief", args=[debrief.public_id])
    seen.append(client.get(referral_url).content.decode())
    mentoring = Service.objects.get(kind=ServiceKind.PEER_MENTORING)
    referred = client.post(
        referral_url,
        {
            "service": str(mentoring.public_id),
            "reason": "Wants someone her own age to talk to",
            "consent_given": "on",
        },
    )
    assert referred.status_code == 302
    assert referred["Location"] == detail_url
    referral = Referral.objects.get()
    assert (referral.service, referral.debrief, referral.consent_given) == (mentoring, debrief, True)
    detail_after = client.get(detail_url).content.decode()
    seen.append(detail_after)
    assert _table(detail_after, "debrief-referrals")[1][0] == str(mentoring.name)

    # The debrief provider never sees police intelligence, nor the police's grading of the risk.
    for page in seen:
        assert POLICE_FACT not in html.unescape(page)
        assert "Known to a county lines group" not in page

    # What Cerys agreed to share is now on the hub's briefing, with where it came from.
    briefing = coordinator_client.get(reverse("episodes:detail", args=[reported.public_id])).content.decode()
    learnt = _section(briefing, "debriefs-learnt", "earlier")
    assert f"Places frequented {PLACE}" in learnt
    assert f"Known associates {ASSOCIATE}" in learnt
    assert f"Source: Llamau debrief, {reported.reference} (The child agreed to share)" in learnt
    assert "Status Held" in _section(briefing, "debrief", "referrals")
    assert _table(briefing, "referrals")[1][:2] == [str(mentoring.name), "Sent"]
    # What the child said but did not agree to share stays with the charity.
    assert "not to be shouted at" not in briefing


def test_analyst_sees_the_episode_counted_but_never_the_child(
    reported: Episode, coordinator: Any, debrief_worker: Any, analyst: Any
) -> None:
    coordinator_client = _client(coordinator)
    assert _grade(coordinator_client, reported).status_code == 302
    _record_return(coordinator_client, reported)
    assert _client(debrief_worker).post(_debrief_url(reported), _debrief_held_data()).status_code == 302
    client = _client(analyst)

    response = client.get(reverse("analytics:dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    table = _table(page, "episodes-by-council")
    assert table[0] == ["Council", "High", "Medium", "Low", "Very low", "Not graded", "Total"]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["Newport City Council"] == ["1", "0", "0", "0", "0", "1"]
    assert rows["Caerphilly County Borough Council"] == ["0", "0", "0", "0", "0", "0"]
    assert rows["All councils"] == ["1", "0", "0", "0", "0", "1"]
    text = _text(page)
    assert "Children returned this month 1" in text
    assert "Debriefs offered 1" in text
    assert "Debriefs held 1" in text
    assert "Debriefs held within 72 hours of the return 1 (100% of returns)" in text
    assert "Children missing 3 times or more in the last 90 days 0" in text
    for name in ("Cerys", "Ceris", "Jones", reported.reference):
        assert name not in page
    assert client.get(reverse("episodes:detail", args=[reported.public_id])).status_code == 404


def test_auditor_sees_who_read_the_briefing_and_who_recorded_the_debrief(
    reported: Episode, coordinator: Any, debrief_worker: Any, auditor: Any
) -> None:
    coordinator_client = _client(coordinator)
    assert coordinator_client.get(reverse("episodes:detail", args=[reported.public_id])).status_code == 200
    _record_return(coordinator_client, reported)
    debrief_url = _debrief_url(reported)
    assert _client(debrief_worker).post(debrief_url, _debrief_held_data()).status_code == 302
    debrief = Debrief.objects.get(episode=reported)
    client = _client(auditor)

    response = client.get(reverse("sharing:audit"), {"child": str(reported.child.public_id)})

    assert response.status_code == 200
    rows = _table(response.content.decode(), "audit-trail")
    assert rows[0] == ["When", "Who", "Agency", "Role", "Action", "Purpose", "What", "Child"]
    child_id = str(reported.child.public_id)
    briefing_reads = [
        r for r in rows[1:] if r[1] == "coordinator" and r[6] == f"briefing {reported.public_id}"
    ]
    assert briefing_reads
    assert {tuple(r[2:6]) for r in briefing_reads} == {
        ("GWP", "Hub police coordinator", "Viewed", "Responding to a missing episode")
    }
    assert {r[7] for r in briefing_reads} == {child_id}
    debrief_writes = [r for r in rows[1:] if r[1] == "debrief" and r[6] == f"debrief {debrief.public_id}"]
    assert [tuple(r[2:6]) for r in debrief_writes if r[4] == "Changed"] == [
        ("LLAMAU", "Debrief worker", "Changed", "Independent debrief")
    ]
    # What the debrief shared back is on the trail too, as facts the debrief worker created.
    shared = [r for r in rows[1:] if r[1] == "debrief" and r[4] == "Created" and r[6].startswith("fact ")]
    assert len(shared) == 2


def test_repeat_missing_lists_the_child_for_a_strategy_meeting(coordinator: Any, report_missing: Any) -> None:
    now = timezone.now()
    client = _client(coordinator)
    for days_ago in (60, 30):
        earlier = report_missing(
            reported_at=now - datetime.timedelta(days=days_ago),
            last_seen_at=now - datetime.timedelta(days=days_ago, hours=2),
        )
        episode_record_return(
            episode=earlier,
            recorded_by=coordinator,
            returned_at=now - datetime.timedelta(days=days_ago) + datetime.timedelta(hours=6),
            found_where="Newport Market",
            found_by="carer",
            harm_suffered=False,
        )
    # Two episodes in 90 days is not yet the rule.
    assert "Cerys Jones" not in client.get(reverse("episodes:repeat")).content.decode()
    assert (
        "strategy meeting needed"
        not in client.get(reverse("episodes:detail", args=[earlier.public_id])).content.decode()
    )

    latest = report_missing()

    page = client.get(reverse("episodes:repeat")).content.decode()
    rows = _table(page, "repeat-missing")
    assert rows[1][:2] == ["Cerys Jones", "3"]
    assert rows[1][2].startswith(latest.reference)
    assert reverse("episodes:detail", args=[latest.public_id]) in page
    assert "3 or more times in the last 90 days" in _text(page)
    briefing = _text(client.get(reverse("episodes:detail", args=[latest.public_id])).content.decode())
    assert (
        "Repeatedly missing: strategy meeting needed. "
        "The child has been reported missing at least 3 times in 90 days." in briefing
    )
    assert "Number of earlier episodes 2" in briefing


def _language_link(page: str, code: str) -> str:
    link = re.search(rf'<a class="govuk-language-navigation__link" href="([^"]*)"[^>]*\blang="{code}"', page)
    assert link is not None, f"no link to the {code} page"
    return html.unescape(link.group(1))


def test_briefing_links_to_its_welsh_twin_and_back(reported: Episode, coordinator: Any) -> None:
    """Welsh Language Standards: every page links to the same page in the other language."""
    client = _client(coordinator)
    english = reverse("episodes:detail", args=[reported.public_id])
    welsh = f"/cy{english}"

    english_page = client.get(english).content.decode()
    welsh_page = client.get(welsh).content.decode()

    assert '<html lang="en"' in english_page
    assert '<html lang="cy"' in welsh_page
    assert _language_link(english_page, "cy") == welsh
    assert _language_link(welsh_page, "en") == english


@pytest.mark.parametrize("persona", ["outsider", "administrator"])
def test_staff_with_no_part_in_the_case_see_nothing(
    reported: Episode, coordinator: Any, request: pytest.FixtureRequest, persona: str
) -> None:
    _record_return(_client(coordinator), reported)
    client = _client(request.getfixturevalue(persona))

    for url in (
        reverse("episodes:detail", args=[reported.public_id]),
        _debrief_url(reported),
        reverse("debriefs:queue"),
        reverse("analytics:dashboard"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Cerys" not in response.content.decode()


# Issue 6, "done when": take a report, watch the agencies' answers arrive, grade with every factor's source
# visible, agree a plan with the social worker, print the briefing; the next report opens with the plan on top.


def test_the_risk_and_response_journey_from_report_to_the_plan_on_the_next_report(
    reported: Episode, coordinator: Any, social_worker: Any, partnership: dict[str, Any]
) -> None:
    import io

    from pypdf import PdfReader

    from hafan.accounts.services import staff_create
    from hafan.core.vocabulary import Role
    from hafan.episodes.models import InformationRequest, InformationRequestStatus
    from hafan.notifications.models import Notification, NotificationKind

    police = _client(coordinator)
    briefing_url = reverse("episodes:detail", args=[reported.public_id])
    panel_url = reverse("episodes:information_call", args=[reported.public_id])

    # 1. The information call went out with the report: what the agencies' records already hold answered at once.
    asked = {(r.agency.code, r.service): r for r in InformationRequest.objects.filter(episode=reported)}
    assert asked[("NCC", "social_care")].answered_automatically
    education = asked[("NCC", "education")]
    assert education.status == InformationRequestStatus.OPEN
    first = police.get(panel_url).content.decode()
    version = re.search(r"since=([0-9a-f]+)", first)
    assert version is not None and "Waiting for an answer" in _text(first)
    assert police.get(panel_url, {"since": version[1]}).status_code == 204  # nothing new yet

    # Newport's education worker answers on the page; the coordinator's next poll brings the answer.
    teacher = staff_create(
        username="ncc-education",
        password="persona-password-for-tests-only",
        role=Role.EDUCATION_WORKER,
        agency=partnership["NCC"],
        first_name="Gwyn",
        last_name="Davies",
    )
    answered = _client(teacher).post(
        reverse("episodes:information_answer", args=[education.public_id]),
        {
            "category_1": "attendance",
            "summary_1": "Missed the last four Fridays; seen with older boys at the gates.",
        },
    )
    assert answered.status_code == 302
    news = police.get(panel_url, {"since": version[1]})
    assert news.status_code == 200
    assert "Missed the last four Fridays" in news.content.decode() and "Gwyn Davies" in news.content.decode()

    # 2. The grade, with every pre-filled answer's source on the page.
    risk_page = _text(police.get(reverse("episodes:risk", args=[reported.public_id])).content.decode())
    assert "Pre-filled from Hafan episode history" in risk_page
    assert "Pre-filled from Gwent Police (Niche RMS, nominal 88412), 3 February 2025" in risk_page
    assert _grade(police, reported, "high").status_code == 302

    # 3. The coordinator proposes a plan; it waits for Newport's social worker, who agrees it.
    proposed = police.post(
        reverse("episodes:response_plan", args=[reported.public_id]),
        {
            "likelihood": "high",
            "harm": "high",
            "treat_as_grade": "high",
            "plan": "Treat as high risk every time. Police deploy at once.",
            "places_first": "Pill; Newport bus station",
            "police_deploy_after_hours": "1",
            "review_due": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        },
    )
    assert proposed.status_code == 302
    notice = Notification.objects.get(recipient=social_worker, kind=NotificationKind.PLAN_TO_AGREE)
    assert "Waiting for" in _text(police.get(briefing_url).content.decode())
    decided = _client(social_worker).post(notice.url, {"decision": "agree", "note": ""})
    assert decided.status_code == 302

    # 4. The printed briefing carries the plan, in the reader's language.
    pdf = police.get(reverse("episodes:briefing_pdf", args=[reported.public_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    printed = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Treat as high risk every time." in " ".join(printed.split())

    # 5. Cerys comes home, then is reported again: the new briefing opens with the agreed plan on top.
    _record_return(police, reported)
    again = _report(
        police,
        partnership["NCC"],
        reported_at=_local(_minute(timezone.now())),
        last_seen_at=_local(_minute(timezone.now()) - datetime.timedelta(minutes=30)),
    )
    assert again.child == reported.child
    page = police.get(reverse("episodes:detail", args=[again.public_id])).content.decode()
    top = page.index('data-testid="plan-on-top"')
    assert top < page.index('data-testid="child-summary"')
    assert "treat as at least HIGH risk" in _text(page[top : top + 2000])


# Issue 7: the independent debrief service, referrals followed through, the young person's feedback, patterns


def _url(name: str, args: list[Any] | None = None) -> str:
    """The English address: a Welsh page leaves Welsh active in the test's thread, and reverse() follows it."""
    from django.utils import translation

    with translation.override("en"):
        return reverse(name, args=args)


def test_the_debrief_journey_in_welsh_from_the_workspace_to_the_hub_the_referral_and_the_feedback(
    reported: Episode, known_child: Child, coordinator: Any, social_worker: Any, debrief_worker: Any
) -> None:
    from hafan.notifications.models import Notification, NotificationKind
    from hafan.people.models import Fact
    from hafan.people.services import child_profile_save

    kept = "Wants to see her nan more often"
    safeguarding_reason = "An adult is exploiting her: the police must know."
    # Cerys's profile records Welsh as her first language, so the charity offers the debrief in Welsh.
    child_profile_save(
        child=known_child,
        prepared_by=social_worker,
        based_on_version=None,
        first_language="cy",
        description="Tall",
    )
    police = _client(coordinator)
    _record_return(police, reported)
    debrief = Debrief.objects.get(episode=reported)
    assert debrief.language == "cy"

    # 1. Llamau's worker runs the week from the workspace, in Welsh: the child is on the caseload, in Welsh.
    charity = _client(debrief_worker)
    workspace = charity.get("/cy" + _url("debriefs:queue"))
    page = workspace.content.decode()
    assert workspace.status_code == 200 and 'lang="cy"' in page
    assert known_child.full_name in _text(page) and 'lang="cy">Cymraeg' in page
    detail_url = _url("debriefs:detail", args=[debrief.public_id])
    welsh = charity.get("/cy" + detail_url)
    assert welsh.status_code == 200
    welsh_detail = _text(welsh.content.decode())
    assert reported.reference in welsh_detail
    assert "Warning marker" not in welsh_detail and "sertraline" not in welsh_detail  # no police, no health

    # Two attempts to reach her, then the offer accepted, then the debrief held with three findings.
    now = _minute(timezone.now())
    for outcome in ("no_answer", "reached"):
        attempt = charity.post(
            _url("debriefs:attempt", args=[debrief.public_id]),
            {"at": _local(now), "method": "phone", "outcome": outcome, "note": ""},
        )
        assert attempt.status_code == 302, _text(attempt.content.decode())
    assert [a.outcome for a in debrief.attempts.all()] == ["no_answer", "reached"]
    accepted = charity.post(
        _url("debriefs:offer", args=[debrief.public_id]), {"decision": "accepted", "at": _local(now)}
    )
    assert accepted.status_code == 302, _text(accepted.content.decode())
    held = charity.post(
        detail_url,
        {
            "status": "held",
            "offered_at": _local(now),
            "held_at": _local(now),
            "where_went": "A flat above a shop in Pill",
            "findings-TOTAL_FORMS": "3",
            "findings-INITIAL_FORMS": "0",
            "findings-0-kind": "place",
            "findings-0-text": PLACE,
            "findings-0-share": "consent",
            "findings-1-kind": "associate",
            "findings-1-text": ASSOCIATE,
            "findings-1-share": "safeguarding",
            "findings-1-safeguarding_reason": safeguarding_reason,
            "findings-2-kind": "wishes",
            "findings-2-text": kept,
            "findings-2-share": "none",
        },
    )
    assert held.status_code == 302, _text(held.content.decode())
    assert charity.get(_url("debriefs:queue")).content.decode().count(str(debrief.public_id)) == 0

    # 2. The hub sees what she agreed to share and what safeguarding required, never what she kept.
    shared = {
        f.summary: f.share_basis for f in Fact.objects.filter(debrief=debrief, withdrawn_at__isnull=True)
    }
    assert shared == {PLACE: "consent", ASSOCIATE: "safeguarding"}
    briefing = police.get(_url("episodes:detail", args=[reported.public_id])).content.decode()
    assert PLACE in _text(briefing) and ASSOCIATE in html.unescape(_text(briefing))
    assert kept not in _text(briefing)
    assert Notification.objects.filter(kind=NotificationKind.DEBRIEF_SHARED).exists()

    # 3. A referral from the debrief, followed through by the service (Llamau runs peer mentoring) to its outcome.
    mentoring = Service.objects.get(kind=ServiceKind.PEER_MENTORING)
    sent = charity.post(
        _url("referrals:new_for_debrief", args=[debrief.public_id]),
        {
            "service": mentoring.public_id,
            "reason": "Wants someone her own age to talk to",
            "consent_given": "on",
        },
    )
    assert sent.status_code == 302, _text(sent.content.decode())
    referral = Referral.objects.get(debrief=debrief)
    for step in ("accepted", "started"):
        assert (
            charity.post(_url("referrals:update", args=[referral.public_id]), {"status": step}).status_code
            == 302
        )
    done = charity.post(
        _url("referrals:update", args=[referral.public_id]),
        {
            "status": "completed",
            "outcome_code": "goals_met",
            "outcome": "Met her mentor weekly for ten weeks.",
        },
    )
    assert done.status_code == 302, _text(done.content.decode())
    referral.refresh_from_db()
    assert (referral.status, referral.outcome_code) == ("completed", "goals_met")
    assert [e.status for e in referral.events.filter(kind="status")] == [
        "sent",
        "accepted",
        "started",
        "completed",
    ]
    on_episode = _text(police.get(_url("episodes:detail", args=[reported.public_id])).content.decode())
    assert "Completed: Goals met" in on_episode

    # 4. The young person's feedback: a one-time link, in Welsh, answered once without signing in.
    panel = charity.post(_url("feedback:link_create", args=[debrief.public_id])).content.decode()
    link = re.search(r'value="[^"]*(/cy/feedback/[A-Za-z0-9_-]+/)"', panel)
    assert link is not None, _text(panel)
    phone = Client()
    form = phone.get(link[1])
    assert form.status_code == 200 and 'lang="cy"' in form.content.decode()
    assert known_child.given_name not in form.content.decode()
    answers = {"listened_to": "yes", "felt_safe": "yes", "helped": "a_bit", "right_language": "yes"}
    assert phone.post(link[1], answers).status_code == 200
    assert phone.get(link[1]).status_code == 410  # once only

    # 5. The patterns: the place she was found (Pill) is on the hub's places page; the charity cannot open it.
    places = _text(police.get(_url("patterns:places")).content.decode())
    assert "Pill" in places
    assert charity.get(_url("patterns:places")).status_code == 404
