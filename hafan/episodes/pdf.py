"""The printable police briefing: one or two A4 pages for officers going out to look for the child.

Built with WeasyPrint from templates/episodes/briefing_pdf.html in the active language (the /cy/ address gives
Welsh). Everything on it is read the way the briefing page reads it: the facts through briefing_for with the
PDF channel (so the disclosure log says the facts left on paper), the profile only when the reader may see it.
The renderer fetches nothing: the photo is inlined as a data URI and every other URL is refused.
"""

from __future__ import annotations

import base64
import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from hafan.core.vocabulary import Channel, FactCategory, Purpose
from hafan.episodes.models import Episode
from hafan.episodes.selectors import Briefing, briefing_for
from hafan.people.models import ChildProfile, Fact, ResponsePlan
from hafan.people.selectors import child_profile_for_briefing, response_plan_in_force
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction

TEMPLATE = "episodes/briefing_pdf.html"
# Entries the same but for case and punctuation are printed once, with every source that gave them.
_SAME = re.compile(r"[\W_]+")
# Long entries are cut so that a typical child's briefing stays on one or two pages; the page has the rest.
FACT_WORDS = 45


@dataclass
class EntrySource:
    """Who gave an entry: the child information profile, or an agency (from a debrief or its records)."""

    agency: str = ""
    on: datetime.date | None = None
    debrief: bool = False
    profile: bool = False


@dataclass
class Entry:
    text: str
    sources: list[EntrySource] = field(default_factory=list)


def merged_entries(profile_text: str, facts: list[Fact]) -> list[Entry]:
    """The profile's lines and the facts' summaries as one list, each text once (the same words from several
    sources print once, with all of them), profile first, then in the order the briefing has them."""
    entries: dict[str, Entry] = {}

    def add(text: str, source: EntrySource) -> None:
        text = " ".join(text.split())
        key = _SAME.sub(" ", text.casefold()).strip()
        if not key:
            return
        entry = entries.setdefault(key, Entry(text=text))
        entry.sources.append(source)

    for line in (profile_text or "").splitlines():
        add(line, EntrySource(profile=True))
    for fact in facts:
        add(
            fact.summary,
            EntrySource(agency=fact.agency.name, on=fact.recorded_on, debrief=fact.debrief_id is not None),
        )
    return list(entries.values())


@dataclass
class PdfBriefing:
    """What the printed briefing shows, already filtered for the reader."""

    briefing: Briefing
    profile: ChildProfile | None
    plan: ResponsePlan | None
    photo_uri: str
    age: int | None
    places: list[Fact] = field(default_factory=list)
    associates: list[Fact] = field(default_factory=list)
    warnings: list[Fact] = field(default_factory=list)
    health_needs: list[Fact] = field(default_factory=list)
    exploitation: list[Fact] = field(default_factory=list)
    place_entries: list[Entry] = field(default_factory=list)
    associate_entries: list[Entry] = field(default_factory=list)


def _photo_uri(profile: ChildProfile | None) -> str:
    if profile is None or not profile.photo or profile.photo_content_type not in {"image/jpeg", "image/png"}:
        return ""
    data = base64.b64encode(bytes(profile.photo)).decode("ascii")
    return f"data:{profile.photo_content_type};base64,{data}"


def briefing_pdf_content(*, user: Any, episode: Episode) -> PdfBriefing:
    """The briefing for print. The caller fetched the episode through episode_get_for_user; briefing_for
    refuses (404) anyone who may not see the child's record, and logs the disclosures as channel PDF."""
    briefing = briefing_for(user=user, episode=episode, channel=Channel.PDF)
    child = briefing.child
    profile = child_profile_for_briefing(user=user, child=child, purpose=Purpose.MISSING_EPISODE)
    content = PdfBriefing(
        briefing=briefing,
        profile=profile,
        plan=response_plan_in_force(child),
        photo_uri=_photo_uri(profile),
        age=child.age_on(timezone.localdate()),
    )
    by_category = {
        FactCategory.PLACE: content.places,
        FactCategory.ASSOCIATE: content.associates,
        FactCategory.WARNING_MARKER: content.warnings,
        FactCategory.HEALTH_NEED: content.health_needs,
        FactCategory.EXPLOITATION: content.exploitation,
    }
    facts = [f for agency_facts in briefing.facts_by_agency.values() for f in agency_facts]
    for fact in [*facts, *briefing.learnt_in_debriefs]:
        bucket = by_category.get(FactCategory(fact.category))
        if bucket is not None:
            bucket.append(fact)
    content.place_entries = merged_entries(getattr(profile, "places", ""), content.places)
    content.associate_entries = merged_entries(getattr(profile, "associates", ""), content.associates)
    return content


def briefing_pdf_build(*, user: Any, episode: Episode, now: datetime.datetime | None = None) -> bytes:
    """The PDF, in the active language. Audited as an export of the briefing."""
    content = briefing_pdf_content(user=user, episode=episode)
    printed_at = now or timezone.now()
    html = render_to_string(
        TEMPLATE,
        {
            "doc": content,
            "episode": episode,
            "child": content.briefing.child,
            "risk": content.briefing.risk,
            "printed_by": user.get_full_name() or user.get_username(),
            "printed_by_agency": user.agency.name if getattr(user, "agency", None) else "",
            "printed_at": printed_at,
            "fact_words": FACT_WORDS,
            "language": translation.get_language(),
        },
    )
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        purpose=Purpose.MISSING_EPISODE,
        target_type="briefing_pdf",
        target_id=episode.public_id,
        child_public_id=content.briefing.child.public_id,
        detail={
            "language": translation.get_language(),
            "profile_version": getattr(content.profile, "version", None),
        },
    )
    return bytes(pdf)
