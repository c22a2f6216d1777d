"""The police missing-person occurrence export as CSV (format `police-csv`): one row per occurrence.

Each row is one missing-person occurrence from the force's records system (Niche RMS) and becomes one
`IngestRecord` about its subject: `local_id` is the occurrence number, `person_ref` the force's person id,
the occurrence itself is the record's one `EpisodeIn`, and the subject's warning markers, associates and
places become facts. The columns, codes and errors are described in docs/ingest/police-csv.md.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from typing import ClassVar

from hafan.core.vocabulary import FactCategory
from hafan.episodes.models import EpisodeCategory
from hafan.ingest.adapters.base import (
    DATE_FORMATS,
    DATETIME_FORMATS,
    UK,
    Adapter,
    ParseContext,
    RecentIds,
    RowCheck,
)
from hafan.ingest.reading import RAGGED, Source, check_size, csv_rows, detect_encoding
from hafan.ingest.records import EpisodeIn, FactIn, IngestRecord, RowError
from hafan.ingest.vocabularies import Vocabulary, normalise_code
from hafan.people.models import Sex
from hafan.people.services import PersonDetails

# Columns the header must have (their values may still be optional: see docs/ingest/police-csv.md).
REQUIRED_COLUMNS = (
    "occurrence_number",
    "reported_at",
    "person_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "missing_type",
    "risk_grade",
    "last_seen_at",
    "last_seen_place",
)
# Columns read when present; any other column is ignored.
OPTIONAL_COLUMNS = (
    "other_names",
    "address",
    "postcode",
    "nhs_number",
    "reporter",
    "circumstances",
    "found_at",
    "found_where",
    "found_by",
    "warning_markers",
    "associates",
    "locations",
    "updated_at",
)
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)

# The export's missing_type codes (compared without case). "Absent" was abolished in 2017 and is refused.
MISSING_TYPES: dict[str, str] = {
    "home": EpisodeCategory.MISSING_FROM_HOME,
    "care": EpisodeCategory.MISSING_FROM_CARE,
    "away": EpisodeCategory.AWAY_FROM_PLACEMENT,
}
LIST_SEPARATOR = ";"
ASSOCIATE_RE = re.compile(r"^(?P<name>[^()]+?)\s*(?:\((?P<relationship>[^()]*)\))?$")
# updated_at may be a date and time or a bare date.
UPDATED_FORMATS = (*DATETIME_FORMATS, *DATE_FORMATS)


class PoliceCsvAdapter(Adapter):
    """Police missing-person occurrences, one CSV row per occurrence (Niche RMS export)."""

    format: ClassVar[str] = "police-csv"
    label: ClassVar[str] = "Police missing-person occurrences (CSV)"
    description: ClassVar[str] = (
        "One row per missing-person occurrence from the force's records system: the person, the "
        "occurrence, warning markers, associates and places."
    )
    system: ClassVar[str] = "Niche RMS"

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        for source in sources:
            check_size(source)
            encoding = detect_encoding(source)
            seen = RecentIds()  # occurrence number -> where it first appeared
            for line, row in csv_rows(source, encoding, required=REQUIRED_COLUMNS):
                result = self._row(f"line {line}", row, context, seen)
                if isinstance(result, IngestRecord):
                    yield result
                else:
                    yield from result

    def _row(
        self, location: str, row: dict[str, str], context: ParseContext, seen: RecentIds
    ) -> IngestRecord | list[RowError]:
        check = RowCheck(location, context)
        if RAGGED in row:
            check.error("", row[RAGGED])
            return check.errors

        occurrence = check.text(
            "occurrence_number", row.get("occurrence_number"), required=True, max_length=64
        )
        if occurrence:
            if occurrence in seen:
                check.error("occurrence_number", f"repeats the occurrence on {seen[occurrence]}", occurrence)
            else:
                seen[occurrence] = location
        reported_at = check.datetime("reported_at", row.get("reported_at"), required=True)
        person_ref = check.text("person_id", row.get("person_id"), required=True, max_length=100)
        given_name = check.name("given_name", row.get("given_name"))
        family_name = check.name("family_name", row.get("family_name"))
        other_names = check.other_names("other_names", row.get("other_names"))
        date_of_birth = check.date("date_of_birth", row.get("date_of_birth"), required=True)
        sex = check.code("sex", Vocabulary.SEX, row.get("sex")) or Sex.UNKNOWN
        address = check.text("address", row.get("address"))
        postcode = check.postcode("postcode", row.get("postcode"))
        nhs_number = check.nhs_number("nhs_number", row.get("nhs_number"))
        category = _missing_type(check, "missing_type", row.get("missing_type"))
        risk_grade = check.code("risk_grade", Vocabulary.RISK_LABEL, row.get("risk_grade"))
        last_seen_at = check.datetime("last_seen_at", row.get("last_seen_at"), required=True)
        last_seen_place = check.text("last_seen_place", row.get("last_seen_place"), required=True)
        reporter = check.text("reporter", row.get("reporter"), max_length=200)
        circumstances = check.text("circumstances", row.get("circumstances"), max_length=2000)
        found_at = check.datetime("found_at", row.get("found_at"))
        found_where = check.text("found_where", row.get("found_where"))
        found_by = check.code("found_by", Vocabulary.FOUND_BY, row.get("found_by"))
        markers = _warning_markers(check, "warning_markers", row.get("warning_markers"))
        associates = _associates(check, "associates", row.get("associates"))
        places = [f"Place: {place}" for place in _items(check, "locations", row.get("locations"))]
        updated_at = check.datetime("updated_at", row.get("updated_at"), formats=UPDATED_FORMATS)

        if reported_at is not None:
            if date_of_birth is not None and date_of_birth > reported_at.astimezone(UK).date():
                check.error("date_of_birth", "is after reported_at", row.get("date_of_birth", ""))
            if last_seen_at is not None and last_seen_at > reported_at:
                check.error("last_seen_at", "is after reported_at", row.get("last_seen_at", ""))
            if found_at is not None and found_at < reported_at:
                check.error("found_at", "is before reported_at", row.get("found_at", ""))
            if updated_at is not None and updated_at < reported_at:
                check.error("updated_at", "is before reported_at", row.get("updated_at", ""))
        if not row.get("found_at") and (found_where or found_by):
            check.error("found_at", "is required when found_where or found_by is given")
        if not check.ok or reported_at is None or last_seen_at is None:
            return check.errors

        facts = [FactIn(FactCategory.WARNING_MARKER, summary) for summary in markers]
        facts += [FactIn(FactCategory.ASSOCIATE, summary) for summary in associates]
        facts += [FactIn(FactCategory.PLACE, summary) for summary in places]
        # Where the child was found is kept once, on the episode (found_where), which briefings list with
        # earlier episodes: not repeated as a place fact, so places are never counted twice.
        return IngestRecord(
            location=location,
            system=self.system,
            local_id=occurrence,
            person_ref=person_ref,
            person=PersonDetails(
                given_name=given_name,
                family_name=family_name,
                date_of_birth=date_of_birth,
                sex=sex,
                other_names=other_names,
                address=address,
                postcode=postcode,
                nhs_number=nhs_number,
            ),
            recorded_on=(updated_at or reported_at).astimezone(UK).date(),
            facts=tuple(dict.fromkeys(facts)),  # the same fact twice is one fact, first position kept
            episodes=(
                EpisodeIn(
                    occurrence_number=occurrence,
                    category=category,
                    reported_at=_utc(reported_at),
                    last_seen_at=_utc(last_seen_at),
                    last_seen_place=last_seen_place,
                    risk_grade=risk_grade,
                    reporter=reporter,
                    circumstances=circumstances,
                    returned_at=_utc(found_at) if found_at else None,
                    found_where=found_where,
                    found_by=found_by,
                ),
            ),
        )


def _utc(moment: datetime.datetime) -> datetime.datetime:
    """Times are kept in UTC, so that "01/03/2026 10:00" and "2026-03-01T10:00:00+00:00" hash the same."""
    return moment.astimezone(datetime.UTC)


def _items(check: RowCheck, field_name: str, value: str | None) -> list[str]:
    """A ';'-separated cell: each item checked as text (so a formula hidden in the list is refused)."""
    items = []
    for part in (value or "").split(LIST_SEPARATOR):
        item = check.text(field_name, part)
        if item:
            items.append(" ".join(item.split()))
    return items


def _missing_type(check: RowCheck, field_name: str, value: str | None) -> str:
    text = check.text(field_name, value, required=True, max_length=40)
    if not text:
        return ""
    category = MISSING_TYPES.get(normalise_code(text))
    if category is None:
        check.error(field_name, f"is not one of {', '.join(MISSING_TYPES)}", text)
        return ""
    return category


def _warning_markers(check: RowCheck, field_name: str, value: str | None) -> list[str]:
    summaries = []
    for code in _items(check, field_name, value):
        marker = check.code(field_name, Vocabulary.WARNING_MARKER, code)
        if marker:
            summaries.append(f"Warning marker: {check.label(Vocabulary.WARNING_MARKER, marker)}")
    return list(dict.fromkeys(summaries))  # FI and WE are both "Weapons": one fact


def _associates(check: RowCheck, field_name: str, value: str | None) -> list[str]:
    summaries = []
    for item in _items(check, field_name, value):
        match = ASSOCIATE_RE.match(item)
        if match is None:
            check.error(field_name, "is not in the form name (relationship)", item)
            continue
        name = match["name"].strip()
        relationship = (match["relationship"] or "").strip()
        summaries.append(f"Associate: {name} ({relationship})" if relationship else f"Associate: {name}")
    return summaries
