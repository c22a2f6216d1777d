"""The printable police briefing (PDF): the reader's language, one or two pages, the same access as the
briefing page, and the disclosure log. Synthetic children and places only."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from PIL import Image
from pypdf import PdfReader

from hafan.agencies.models import Agency
from hafan.core.vocabulary import FactCategory
from hafan.episodes.models import Episode
from hafan.people.models import PlanStatus
from hafan.people.services import (
    PersonDetails,
    child_profile_save,
    fact_add,
    response_plan_decide,
    response_plan_propose,
)
from hafan.risk.services import risk_grade_record
from hafan.sharing.models import AuditEvent, Disclosure

pytestmark = pytest.mark.django_db

PLACE = "Tŵr y Cloc, Casnewydd"  # synthetic, with a Welsh letter the font must carry


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), (40, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


def _fact(child: Any, agency: Agency, category: FactCategory, summary: str) -> None:
    fact_add(child=child, agency=agency, category=category, summary=summary,
             recorded_on=datetime.date(2026, 10, 1), source="synthetic test system", actor=None)  # fmt: skip


@pytest.fixture
def episode(
    report_missing: Callable[..., Episode],
    partnership: dict[str, Agency],
    social_worker: Any,
    coordinator: Any,
) -> Episode:
    """A typical child: a profile with a photo, agency facts, a plan in force and a grade."""
    episode = report_missing(
        child_details=PersonDetails(
            given_name="Siôn", family_name="Prydderch", date_of_birth=datetime.date(2010, 6, 2), sex="male"
        ),
        last_seen_place=PLACE,
        clothing="Navy school jumper, black trainers, green rucksack",
    )
    child = episode.child
    child_profile_save(
        child=child,
        prepared_by=social_worker,
        based_on_version=None,
        placement="Foster carers in Malpas",
        description="About 170 cm, slim, short dark hair, brown eyes, wears glasses.",
        nicknames="Sionyn",
        first_language="cy",
        marks="Small scar on the chin.",
        places="Caffi'r Bont, Pontypŵl; skate park by the river.",
        associates="Older cousin in Ringland; friends from school.",
        phones="07700 900123",
        transport="Buses into Newport; borrows a bike.",
        medical_needs="Asthma: needs his blue inhaler.",
        photo=_photo(),
    )
    _fact(child, partnership["NCC"], FactCategory.PLACE, "Often at the retail park after dark")
    _fact(
        child, partnership["NCC"], FactCategory.ASSOCIATE, "Adult male known as 'Dai' (exploitation concern)"
    )
    _fact(child, partnership["ABUHB"], FactCategory.HEALTH_NEED, "Asthma, reviewed in clinic")
    _fact(child, partnership["GWP"], FactCategory.WARNING_MARKER, "Has carried a knife (2025)")
    plan = response_plan_propose(
        child=child,
        proposed_by=social_worker,
        plan="Carers check the skate park and Caffi'r Bont, then ring the police.",
        treat_as_grade="medium",
        places_first="Skate park; Caffi'r Bont",
        police_deploy_after_hours=2,
        review_due=timezone.localdate() + datetime.timedelta(days=90),
        based_on=None,
    )
    if plan.status == PlanStatus.PROPOSED:
        response_plan_decide(plan=plan, social_worker=social_worker, agree=True, note="")
    risk_grade_record(
        episode=episode,
        author=coordinator,
        grade="high",
        factors=[],
        rationale="Knife marker and exploitation concern.",
        next_review_due=timezone.now() + datetime.timedelta(hours=6),
    )
    return episode


def _url(episode: Episode, language: str = "en") -> str:
    with translation.override(language):
        return reverse("episodes:briefing_pdf", args=[episode.public_id])


def _pdf(client: Any, user: Any, episode: Episode, language: str = "en") -> tuple[Any, PdfReader, str]:
    client.force_login(user)
    response = client.get(_url(episode, language))
    assert response.status_code == 200, response.status_code
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return response, reader, " ".join(text.split())


def test_the_english_briefing_is_a_short_pdf_with_what_officers_need(
    episode: Episode, coordinator: Any, client: Any
) -> None:
    response, reader, text = _pdf(client, coordinator, episode)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="briefing-{episode.reference}.pdf"'
    assert response["Cache-Control"].startswith("no-store")
    assert 1 <= len(reader.pages) <= 2
    for expected in (
        "OFFICIAL-SENSITIVE",
        episode.reference,
        "Siôn Prydderch",
        "Current risk",
        "Response plan",
        "Clothing",
        "Navy school jumper",
        PLACE,  # ŵ round-trips through the font and the text layer
        "Pontypŵl",
        "Often at the retail park",
        "Dai",
        "Has carried a knife",
        "Asthma",
        "Carers check the skate park",
        "wears glasses",
        "Printed by Alun Price",
    ):
        assert expected in text, expected
    assert "Risg bresennol" not in text
    last_seen = formats.date_format(timezone.localtime(episode.last_seen_at), "j F Y, H:i")
    assert last_seen in text
    # The photo is embedded (inlined), not fetched.
    assert any(page.images for page in reader.pages)


def test_the_welsh_address_gives_the_briefing_in_welsh(
    episode: Episode, coordinator: Any, client: Any
) -> None:
    _response, reader, text = _pdf(client, coordinator, episode, "cy")
    assert len(reader.pages) <= 2
    for expected in ("Risg bresennol", "Cynllun ymateb", "Dillad", "Dyddiad geni", PLACE, "Pontypŵl"):
        assert expected in text, expected
    assert "Current risk" not in text and "Response plan" not in text
    with translation.override("cy"):
        last_seen = formats.date_format(timezone.localtime(episode.last_seen_at), "j F Y")
    assert last_seen in text  # the month's Welsh name, from Django's formats


def test_the_briefing_page_links_to_both_languages(episode: Episode, nurse: Any, client: Any) -> None:
    client.force_login(nurse)  # no other action on the page: the print link is there all the same
    page = client.get(reverse("episodes:detail", args=[episode.public_id])).content.decode()
    assert f'href="{_url(episode)}"' in page and f'href="{_url(episode, "cy")}"' in page


def test_printing_logs_each_agencys_disclosure_as_pdf(
    episode: Episode, coordinator: Any, client: Any
) -> None:
    Disclosure.objects.all().delete()
    _pdf(client, coordinator, episode)
    rows = {d.from_agency.code: d for d in Disclosure.objects.select_related("from_agency")}
    assert set(rows) == {"NCC", "ABUHB"}  # the coordinator's own agency's facts are not disclosures
    assert {d.channel for d in rows.values()} == {"pdf"}
    assert rows["NCC"].target_id == str(episode.public_id) and rows["NCC"].to_user == coordinator
    export = AuditEvent.objects.get(action="export", target_type="briefing_pdf")
    assert export.detail["language"] == "en" and export.detail["profile_version"] == 1
    released = AuditEvent.objects.filter(
        target_type="child_profile", actor_username="coordinator", action="view"
    )
    assert released.exists() and all(e.detail.get("released_to_police") is True for e in released)


def test_a_reader_who_may_not_see_the_profile_gets_the_briefing_without_it(
    episode: Episode, nurse: Any, client: Any
) -> None:
    _response, _reader, text = _pdf(client, nurse, episode)
    assert "Navy school jumper" in text  # the episode's part two is on the briefing page for them too
    assert "wears glasses" not in text and "Pontypŵl" not in text
    assert "Has carried a knife" in text  # what the hub's agreement lets the nurse see


@pytest.mark.parametrize("persona", ["analyst", "outsider", "debrief_worker", "auditor", "administrator"])
def test_personas_without_the_briefing_get_404(
    episode: Episode, client: Any, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(_url(episode)).status_code == 404
    assert client.get(_url(episode, "cy")).status_code == 404
    assert not Disclosure.objects.filter(channel="pdf").exists()


def test_signed_out_visitors_are_sent_to_sign_in(episode: Episode, client: Any) -> None:
    response = client.get(_url(episode))
    assert response.status_code == 302 and "application/pdf" not in response.get("Content-Type", "")


def test_places_given_by_several_sources_print_once_with_every_source() -> None:
    import datetime as dt
    from types import SimpleNamespace

    from hafan.episodes.pdf import merged_entries

    def fact(summary: str, agency: str, on: dt.date, debrief: int | None = None) -> Any:
        return SimpleNamespace(
            summary=summary, agency=SimpleNamespace(name=agency), recorded_on=on, debrief_id=debrief
        )

    entries = merged_entries(
        "Newport city centre\n\nthe skate park in Newport",
        [
            fact("Newport City Centre.", "Llamau", dt.date(2024, 5, 17), debrief=1),
            fact("Tŵr y Cloc, Pontypŵl", "Gwent Police", dt.date(2025, 1, 6)),
            fact("newport city centre", "Gwent Police", dt.date(2024, 7, 29)),
        ],
    )
    assert [e.text for e in entries] == [
        "Newport city centre",
        "the skate park in Newport",
        "Tŵr y Cloc, Pontypŵl",
    ]
    first = entries[0].sources
    assert [s.profile for s in first] == [True, False, False]
    assert [(s.agency, s.debrief) for s in first[1:]] == [("Llamau", True), ("Gwent Police", False)]
