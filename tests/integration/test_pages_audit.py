"""The auditor's pages: "Who looked at this child?", "What did this user look at?", the filters, the CSV
download, and the chain's head. Only the information-governance auditor gets them; everyone else gets 404."""

from __future__ import annotations

import csv
import datetime
import io
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from hafan.core.vocabulary import Purpose
from hafan.episodes.models import Episode
from hafan.episodes.selectors import episode_get_for_user
from hafan.people.services import PersonDetails
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction, AuditEvent

UTC = datetime.UTC
AUDIT = "/audit/"


@pytest.fixture(autouse=True)
def _english() -> Any:
    translation.activate("en")
    yield
    translation.activate("en")


def rows(html: str) -> list[dict[str, str]]:
    """The audit table as dicts keyed by column, with the cells' text."""
    table = re.search(r'<table[^>]*data-testid="audit-trail".*?</table>', html, re.S)
    if table is None:
        return []
    headers = [_text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table.group(0), re.S)]
    found = []
    for row in re.findall(
        r'<tr class="govuk-table__row" data-testid="audit-row">(.*?)</tr>', table.group(0), re.S
    ):
        cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        found.append(dict(zip(headers, cells, strict=True)))
    return found


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split()).replace("&#x27;", "'")


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', html, re.S)
    assert match, name
    return _text(match.group(1))


@pytest.fixture
def reads(report_missing: Any, coordinator: Any, social_worker: Any, nurse: Any) -> dict[str, Episode]:
    """Cerys's episode read by the coordinator and the social worker; Dylan's by the nurse only."""
    cerys = report_missing()
    dylan = report_missing(
        child_details=PersonDetails(
            given_name="Dylan", family_name="Morgan", date_of_birth=datetime.date(2010, 5, 6), sex="male"
        )
    )
    episode_get_for_user(user=coordinator, public_id=cerys.public_id, purpose=Purpose.MISSING_EPISODE)
    episode_get_for_user(user=social_worker, public_id=cerys.public_id, purpose=Purpose.PLANNING)
    episode_get_for_user(user=nurse, public_id=dylan.public_id, purpose=Purpose.MISSING_EPISODE)
    return {"cerys": cerys, "dylan": dylan}


@pytest.fixture
def as_auditor(client: Any, auditor: Any) -> Any:
    client.force_login(auditor)
    return client


# Who may look


@pytest.mark.parametrize(
    "persona",
    ["coordinator", "supervisor", "socialworker", "nurse", "debrief", "analyst", "admin", "outsider"],
)
def test_only_the_auditor_opens_the_pages(
    client: Any, staff: dict[str, Any], reads: Any, persona: str
) -> None:
    client.force_login(staff[persona])
    before = AuditEvent.objects.count()
    child = str(reads["cerys"].child.public_id)
    assert client.get(AUDIT, {"child": child}).status_code == 404
    assert client.get(reverse("sharing:audit_csv"), {"child": child}).status_code == 404
    assert client.get(reverse("sharing:audit_csv"), {"child": "not-an-id"}).status_code == 404
    assert AuditEvent.objects.count() == before
    assert "Cerys" not in client.get(AUDIT).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, reads: Any) -> None:
    response = client.get(reverse("sharing:audit_csv"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# The two questions


def test_who_looked_at_this_child(as_auditor: Any, reads: dict[str, Episode]) -> None:
    cerys = reads["cerys"]
    html = as_auditor.get(AUDIT, {"child": str(cerys.child.public_id)}).content.decode()
    assert by_testid(html, "audit-question") == f"Who looked at child {cerys.child.public_id}"
    found = rows(html)
    assert {r["Child"] for r in found} == {str(cerys.child.public_id)}
    viewers = {(r["Who"], r["Purpose"]) for r in found if r["Action"] == "Viewed"}
    assert viewers == {
        ("coordinator", "Responding to a missing episode"),
        ("socialworker", "Planning for the next episode"),
    }
    assert "nurse" not in {r["Who"] for r in found}
    assert "Cerys" not in html  # identifiers only, never the child's name


def test_what_did_this_user_look_at(as_auditor: Any, reads: dict[str, Episode]) -> None:
    html = as_auditor.get(AUDIT, {"user": "nurse"}).content.decode()
    assert by_testid(html, "audit-question") == "What nurse looked at"
    found = rows(html)
    assert found
    assert {r["Who"] for r in found} == {"nurse"}
    assert {r["Child"] for r in found} == {str(reads["dylan"].child.public_id)}
    assert {(r["Agency"], r["Role"]) for r in found} == {("ABUHB", "Health nurse")}


def test_both_questions_at_once(as_auditor: Any, reads: dict[str, Episode]) -> None:
    child = str(reads["cerys"].child.public_id)
    found = rows(as_auditor.get(AUDIT, {"child": child, "user": "socialworker"}).content.decode())
    assert [(r["Who"], r["Action"]) for r in found] == [("socialworker", "Viewed")]


# The filters


def test_action_purpose_and_agency_filters(as_auditor: Any, reads: dict[str, Episode]) -> None:
    created = rows(as_auditor.get(AUDIT, {"action": "create"}).content.decode())
    assert created
    assert {r["Action"] for r in created} == {"Created"}

    planning = rows(as_auditor.get(AUDIT, {"purpose": "planning"}).content.decode())
    assert [(r["Who"], r["Purpose"]) for r in planning] == [("socialworker", "Planning for the next episode")]

    health = rows(as_auditor.get(AUDIT, {"agency": "ABUHB"}).content.decode())
    assert health
    assert {r["Agency"] for r in health} == {"ABUHB"}

    nothing = as_auditor.get(AUDIT, {"agency": "ABUHB", "action": "create"}).content.decode()
    assert rows(nothing) == []
    assert 'data-testid="audit-empty"' in nothing


def test_date_filters_use_the_hubs_days_and_include_both_ends(as_auditor: Any, coordinator: Any) -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in Wales (BST).
    for at, target in [
        (datetime.datetime(2026, 6, 30, 22, 30, tzinfo=UTC), "june"),
        (datetime.datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "july-1"),
        (datetime.datetime(2026, 7, 2, 12, 0, tzinfo=UTC), "july-2"),
    ]:
        with time_machine.travel(at, tick=False):
            audit_record(
                actor=coordinator,
                action=AuditAction.VIEW,
                purpose=Purpose.MISSING_EPISODE,
                target_type="episode",
                target_id=target,
            )

    def targets(**filters: str) -> set[str]:
        found = rows(as_auditor.get(AUDIT, {"user": "coordinator", **filters}).content.decode())
        return {r["What"].split()[-1] for r in found}

    assert targets(date_from="2026-07-01", date_to="2026-07-01") == {"july-1"}
    assert targets(date_from="2026-07-01") == {"july-1", "july-2"}
    assert targets(date_to="2026-06-30") == {"june"}
    assert targets(date_from="2026-07-03", date_to="2026-07-31") == set()

    wrong_way = as_auditor.get(AUDIT, {"date_from": "2026-07-02", "date_to": "2026-07-01"}).content.decode()
    assert "govuk-error-summary" in wrong_way
    assert "The end date must be the same as or after the start date." in wrong_way
    assert rows(wrong_way) == []


def test_times_are_shown_in_utc_and_in_wales(as_auditor: Any, coordinator: Any) -> None:
    with time_machine.travel(datetime.datetime(2026, 7, 1, 12, 0, 5, tzinfo=UTC), tick=False):
        audit_record(
            actor=coordinator,
            action=AuditAction.VIEW,
            purpose=Purpose.PLANNING,
            target_type="episode",
            target_id="x",
        )
    html = as_auditor.get(AUDIT, {"purpose": "planning"}).content.decode()
    assert by_testid(html, "audit-local") == "1 Jul 2026 13:00:05 BST"
    assert by_testid(html, "audit-utc") == "1 Jul 2026 12:00:05 UTC"


def test_one_requests_entries_are_found_from_its_id(
    client: Any, auditor: Any, coordinator: Any, reads: Any
) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("episodes:detail", args=[reads["cerys"].public_id]))
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    expected = AuditEvent.objects.filter(request_id=request_id).count()
    assert expected >= 1

    client.force_login(auditor)
    html = client.get(AUDIT, {"request": request_id}).content.decode()
    found = rows(html)
    assert len(found) == expected
    assert {r["Who"] for r in found} == {"coordinator"}
    # Each row links to the entries of its request.
    assert f"?request={request_id}" in html

    bad = client.get(AUDIT, {"request": "not-a-request"}).content.decode()
    assert "Enter a request identifier as shown in the table." in bad


def test_pages_keep_the_filters(as_auditor: Any, coordinator: Any, reads: dict[str, Episode]) -> None:
    for _ in range(110):
        episode_get_for_user(
            user=coordinator, public_id=reads["cerys"].public_id, purpose=Purpose.MISSING_EPISODE
        )
    html = as_auditor.get(AUDIT, {"user": "coordinator", "action": "view"}).content.decode()
    assert len(rows(html)) == 100
    assert "user=coordinator&amp;action=view&amp;page=2" in html
    second = rows(
        as_auditor.get(AUDIT, {"user": "coordinator", "action": "view", "page": 2}).content.decode()
    )
    assert 10 <= len(second) < 100
    assert {r["Who"] for r in second} == {"coordinator"}


# Looking is itself recorded


def test_each_look_is_audited_with_codes_not_personal_details(
    as_auditor: Any, auditor: Any, reads: dict[str, Episode]
) -> None:
    child = str(reads["cerys"].child.public_id)
    as_auditor.get(AUDIT, {"child": child, "action": "view", "agency": "GWP", "date_from": "2026-01-01"})
    look = AuditEvent.objects.filter(target_type="audit_trail").latest("seq")
    assert (look.actor_username, look.action, look.purpose, look.target_id) == (
        "auditor",
        AuditAction.VIEW,
        Purpose.AUDIT,
        child,
    )
    assert look.detail == {"action": "view", "agency": "GWP", "from": "2026-01-01"}
    assert look.child_public_id is None


# The chain's head


def test_the_page_shows_the_chains_head(as_auditor: Any, reads: Any) -> None:
    html = as_auditor.get(AUDIT).content.decode()
    head = AuditEvent.objects.latest("seq")
    assert by_testid(html, "audit-chain-seq") == str(head.seq)
    assert by_testid(html, "audit-chain-hash") == head.entry_hash
    assert "hafan audit_verify" in html


# The CSV download


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_csv_holds_the_filtered_events_and_its_download_is_audited(
    as_auditor: Any, reads: dict[str, Episode]
) -> None:
    child = str(reads["cerys"].child.public_id)
    page = as_auditor.get(AUDIT, {"child": child}).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="audit-csv"', page)
    assert link
    assert link.group(1) == f"{reverse('sharing:audit_csv')}?child={child}"
    on_page = len(rows(page))

    table = _csv(as_auditor.get(reverse("sharing:audit_csv"), {"child": child}))
    header, body = table[0], table[1:]
    assert header[:4] == ["Entry", "Time (UTC)", "Time (local)", "Username"]
    assert len(body) == on_page
    column = {name: header.index(name) for name in header}
    assert {r[column["Child"]] for r in body} == {child}
    assert {r[column["Username"]] for r in body} >= {"coordinator", "socialworker"}
    # Entries are identified as on the chain, so a row can be checked against `hafan audit_verify`.
    first = AuditEvent.objects.get(seq=int(body[0][column["Entry"]]))
    assert body[0][column["Entry hash"]] == first.entry_hash
    assert body[0][column["Time (UTC)"]] == first.at.astimezone(UTC).isoformat(timespec="microseconds")

    export = AuditEvent.objects.filter(target_type="audit_trail").latest("seq")
    assert (export.action, export.actor_username, export.target_id) == (AuditAction.EXPORT, "auditor", child)


def test_the_csv_cannot_smuggle_a_formula_into_a_spreadsheet(as_auditor: Any, coordinator: Any) -> None:
    audit_record(
        actor=coordinator,
        action=AuditAction.VIEW,
        purpose=Purpose.MISSING_EPISODE,
        target_type="episode",
        target_id='=HYPERLINK("http://evil.example","x")',
    )
    table = _csv(as_auditor.get(reverse("sharing:audit_csv"), {"user": "coordinator"}))
    column = table[0].index("Target")
    cells = [r[column] for r in table[1:]]
    assert cells == ['\'=HYPERLINK("http://evil.example","x")']


def test_the_csv_refuses_bad_filters_like_the_page(as_auditor: Any, reads: Any) -> None:
    before = AuditEvent.objects.count()
    response = as_auditor.get(reverse("sharing:audit_csv"), {"child": "not-an-id"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "govuk-error-summary" in response.content.decode()
    assert AuditEvent.objects.count() == before


# Welsh


def test_the_page_works_in_welsh(as_auditor: Any, reads: dict[str, Episode]) -> None:
    child = str(reads["cerys"].child.public_id)
    response = as_auditor.get(f"/cy{AUDIT}", {"child": child})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="cy"' in html
    assert len(rows(html)) >= 2
    assert f'href="/cy/audit/download.csv?child={child}"' in html
    assert as_auditor.get("/cy/audit/download.csv", {"child": child}).status_code == 200


def test_the_filters_never_ask_for_a_childs_details(as_auditor: Any) -> None:
    html = as_auditor.get(AUDIT).content.decode()
    form = re.search(r'<form method="get".*?</form>', html, re.S)
    assert form
    names = set(re.findall(r'name="([^"]+)"', form.group(0)))
    assert names == {"child", "user", "date_from", "date_to", "action", "purpose", "agency", "request"}
