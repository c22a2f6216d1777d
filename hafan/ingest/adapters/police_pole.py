"""POLE-shaped police JSON (format `police-pole`): people, objects, locations and events, linked by typed
relationships (document schema `hafan-pole/1`).

Each `missing_person_report` event becomes one `IngestRecord` about its subject (the one person linked
to it by a `missing_person` relationship): `local_id` is the event id (the occurrence number),
`person_ref` the person's id, the event is the record's one `EpisodeIn`, and the subject's warning
markers, associates, objects used and places become facts. The document's structure (top level,
schema, sections, element ids) is checked first and a broken structure rejects the file; everything
else is checked per event, with errors located by element path ("events[3]", field "reported_at").
docs/ingest/police-pole.md describes the document, the codes and the errors.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hafan.core.vocabulary import FactCategory
from hafan.episodes.models import EpisodeCategory
from hafan.ingest.adapters.base import DATE_FORMATS, DATETIME_FORMATS, UK, Adapter, ParseContext, RowCheck
from hafan.ingest.reading import Source, check_size, detect_encoding, load_json
from hafan.ingest.records import EpisodeIn, FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import Vocabulary, normalise_code
from hafan.people.models import Sex
from hafan.people.services import PersonDetails

SCHEMA = "hafan-pole/1"
REPORT_EVENT = "missing_person_report"
# Sections: (key, required). Elements of each are objects with a unique, non-empty text "id".
SECTIONS = (("people", True), ("objects", False), ("locations", False), ("events", True))
KIND = {"people": "person", "objects": "object", "locations": "location", "events": "event"}
# Relationship type -> (kind at "from", kind at "to"). associate_of reads both ways.
RELATIONSHIP_TYPES: dict[str, tuple[str, str]] = {
    "missing_person": ("person", "event"),
    "reporting_person": ("person", "event"),
    "associate_of": ("person", "person"),
    "frequents": ("person", "location"),
    "uses": ("person", "object"),
}
# The event's missing_type codes (compared without case); the same codes as the police CSV export.
MISSING_TYPES: dict[str, str] = {
    "home": EpisodeCategory.MISSING_FROM_HOME,
    "care": EpisodeCategory.MISSING_FROM_CARE,
    "away": EpisodeCategory.AWAY_FROM_PLACEMENT,
}
# ISO 8601 first: a JSON export's natural form, and the one an error message names.
POLE_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", *(f for f in DATETIME_FORMATS if f != "%Y-%m-%dT%H:%M:%S"))
POLE_DATE_FORMATS = tuple(reversed(DATE_FORMATS))  # YYYY-MM-DD first
UPDATED_FORMATS = (*POLE_DATETIME_FORMATS, *POLE_DATE_FORMATS)
# A lone surrogate ("\ud800") cannot be stored or hashed as UTF-8; NUL cannot be stored in PostgreSQL.
INVALID_CHARACTER_RE = re.compile("[\x00\ud800-\udfff]")


class PolicePoleAdapter(Adapter):
    """POLE JSON from the force's records system: one record per missing-person report event."""

    format: ClassVar[str] = "police-pole"
    label: ClassVar[str] = "Police POLE data (JSON)"
    description: ClassVar[str] = (
        "People, objects, locations and events with typed relationships (hafan-pole/1): one record per "
        "missing-person report, about its subject."
    )
    system: ClassVar[str] = "Niche RMS"

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        for source in sources:
            check_size(source)
            encoding = detect_encoding(source)
            document = load_json(source, encoding)  # FileRejected for anything it cannot read
            graph = _Graph.build(document, source.name)
            yield from graph.records(self.system, context)


@dataclass(frozen=True, eq=False)
class _Element:
    kind: str  # person, object, location, event
    path: str  # "people[2]"
    data: dict[str, Any]


@dataclass(frozen=True, eq=False)
class _Link:
    index: int
    type: str
    source: str  # the "from" id
    target: str  # the "to" id
    data: dict[str, Any]
    problems: tuple[tuple[str, str, str], ...]  # (field, reason, value): dangling, unknown type, wrong kind

    @property
    def path(self) -> str:
        return f"relationships[{self.index}]"

    def ends(self) -> tuple[str, str]:
        return self.source, self.target


@dataclass
class _Graph:
    """The document checked for structure, with every element indexed by id."""

    elements: dict[str, _Element]
    events: list[_Element]
    links: list[_Link]
    links_by_id: dict[str, list[_Link]] = field(default_factory=dict)

    @classmethod
    def build(cls, document: Any, name: str) -> _Graph:
        if not isinstance(document, dict):
            raise FileRejected(f'The JSON top level must be an object with "schema": "{SCHEMA}".', name)
        schema = document.get("schema")
        if schema != SCHEMA:
            shown = schema[:40] if isinstance(schema, str) else repr(schema)[:40]
            raise FileRejected(
                f"The document's schema is {shown}, not '{SCHEMA}': this format reads {SCHEMA}.", name
            )
        if "exported_at" in document:
            exported = document["exported_at"]
            if not isinstance(exported, str) or not _is_datetime(exported):
                raise FileRejected("exported_at is not a date and time (ISO 8601).", f"{name} exported_at")
        elements: dict[str, _Element] = {}
        events: list[_Element] = []
        for section, required in SECTIONS:
            items = _section(document, section, required, name)
            for i, item in enumerate(items):
                path = f"{section}[{i}]"
                if not isinstance(item, dict):
                    raise FileRejected(f"{path} is not an object.", f"{name} {path}")
                element_id = item.get("id")
                if not isinstance(element_id, str) or not element_id.strip():
                    raise FileRejected(f"{path} has no id (a non-empty text value).", f"{name} {path}")
                if element_id in elements:
                    raise FileRejected(
                        f"The id '{element_id[:40]}' is used by {elements[element_id].path} and {path}: "
                        "references to it would be ambiguous.",
                        f"{name} {path}",
                    )
                element = _Element(KIND[section], path, item)
                elements[element_id] = element
                if section == "events":
                    events.append(element)
        links = []
        for i, item in enumerate(_section(document, "relationships", True, name)):
            path = f"relationships[{i}]"
            if not isinstance(item, dict) or not all(
                isinstance(item.get(key), str) and item[key] for key in ("from", "type", "to")
            ):
                raise FileRejected(
                    f"{path} must be an object with text values for from, type and to.", f"{name} {path}"
                )
            links.append(_Link(i, item["type"], item["from"], item["to"], item, _problems(item, elements)))
        graph = cls(elements, events, links)
        for link in links:
            for end in dict.fromkeys(link.ends()):
                graph.links_by_id.setdefault(end, []).append(link)
        return graph

    def records(self, system: str, context: ParseContext) -> Iterator[IngestRecord | RowError]:
        reported: set[int] = set()  # relationships whose problems an event has reported
        for event in self.events:
            if event.data.get("type") != REPORT_EVENT and isinstance(event.data.get("type"), str):
                continue  # sightings, crimes and other event types are not missing-person reports
            result = _EventRow(self, event, context).parse(system, reported)
            if isinstance(result, IngestRecord):
                yield result
            else:
                yield from result
        for link in self.links:
            if link.problems and link.index not in reported:
                for field_name, reason, value in link.problems:
                    yield RowError(link.path, field_name, reason, value)

    def linked(self, element_id: str) -> list[_Link]:
        return self.links_by_id.get(element_id, [])


def _section(document: dict[str, Any], key: str, required: bool, name: str) -> list[Any]:
    if key not in document:
        if required:
            raise FileRejected(f'The document has no "{key}" list.', name)
        return []
    items = document[key]
    if not isinstance(items, list):
        raise FileRejected(f'"{key}" must be a list.', f"{name} {key}")
    return items


def _problems(item: dict[str, Any], elements: dict[str, _Element]) -> tuple[tuple[str, str, str], ...]:
    problems: list[tuple[str, str, str]] = []
    kinds = RELATIONSHIP_TYPES.get(item["type"])
    if kinds is None:
        problems.append(("type", f"is not one of {', '.join(RELATIONSHIP_TYPES)}", item["type"][:200]))
    for end, kind in zip(("from", "to"), kinds or (None, None), strict=True):
        target = elements.get(item[end])
        if target is None:
            problems.append((end, f"refers to '{item[end][:40]}', which is not in the file", item[end][:200]))
        elif kind is not None and target.kind != kind:
            problems.append(
                (end, f"must refer to a {kind}, and '{item[end][:40]}' is a {target.kind}", item[end][:200])
            )
    return tuple(problems)


def _is_datetime(value: str) -> bool:
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


class _EventRow:
    """One missing-person report event and everything it links to, checked as one row."""

    def __init__(self, graph: _Graph, event: _Element, context: ParseContext) -> None:
        self.graph = graph
        self.event = event
        self.check = RowCheck(event.path, context)

    # Reading values out of JSON: anything but text (or absent) is an error, and so is an invalid character.

    def _string(self, data: dict[str, Any], key: str, field_name: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.check.error(field_name, "is not a text value", repr(value)[:200])
            return None
        if INVALID_CHARACTER_RE.search(value):
            self.check.error(field_name, "contains a NUL or an invalid (surrogate) character")
            return None
        return value

    def text(
        self,
        data: dict[str, Any],
        key: str,
        prefix: str = "",
        *,
        required: bool = False,
        max_length: int = 300,
    ) -> str:
        errors = len(self.check.errors)
        value = self._string(data, key, prefix + key)
        if len(self.check.errors) > errors:
            return ""
        return self.check.text(prefix + key, value, required=required, max_length=max_length)

    def name(self, data: dict[str, Any], key: str, prefix: str = "", *, required: bool = True) -> str:
        errors = len(self.check.errors)
        value = self._string(data, key, prefix + key)
        if len(self.check.errors) > errors:
            return ""
        return self.check.name(prefix + key, value, required=required)

    def moment(
        self,
        data: dict[str, Any],
        key: str,
        *,
        required: bool = False,
        formats: Sequence[str] = POLE_DATETIME_FORMATS,
    ) -> datetime.datetime | None:
        errors = len(self.check.errors)
        value = self._string(data, key, key)
        if len(self.check.errors) > errors:
            return None
        return self.check.datetime(key, value, required=required, formats=formats)

    def code(self, data: dict[str, Any], key: str, vocabulary: str, prefix: str = "") -> str:
        errors = len(self.check.errors)
        value = self._string(data, key, prefix + key)
        if len(self.check.errors) > errors:
            return ""
        return self.check.code(prefix + key, vocabulary, value)

    # The row.

    def parse(self, system: str, reported: set[int]) -> IngestRecord | list[RowError]:
        check, data, event_id = self.check, self.event.data, self.event.data["id"]
        occurrence = self.text(data, "id", required=True, max_length=64)
        if not isinstance(data.get("type"), str):
            check.error("type", f'is required ("{REPORT_EVENT}")')
        reported_at = self.moment(data, "reported_at", required=True)
        category = self._missing_type(data)
        risk_grade = self.code(data, "risk_grade", Vocabulary.RISK_LABEL)
        last_seen_at = self.moment(data, "last_seen_at", required=True)
        last_seen_place = self._location(data, "last_seen_location", required=True)
        circumstances = self.text(data, "circumstances", max_length=2000)
        found_at = self.moment(data, "found_at")
        found_where = self._location(data, "found_location")
        found_by = self.code(data, "found_by", Vocabulary.FOUND_BY)
        updated_at = self.moment(data, "updated_at", formats=UPDATED_FORMATS)

        if reported_at is not None:
            if last_seen_at is not None and last_seen_at > reported_at:
                check.error("last_seen_at", "is after reported_at", str(data.get("last_seen_at")))
            if found_at is not None and found_at < reported_at:
                check.error("found_at", "is before reported_at", str(data.get("found_at")))
            if updated_at is not None and updated_at < reported_at:
                check.error("updated_at", "is before reported_at", str(data.get("updated_at")))
        if data.get("found_at") is None and (found_where or found_by):
            check.error("found_at", "is required when found_location or found_by is given")

        # The relationships: the subject, then everything linked to the event or the subject.
        links = list(self.graph.linked(event_id))
        subjects = list(
            dict.fromkeys(
                link.source
                for link in links
                if link.type == "missing_person" and link.target == event_id and not link.problems
            )
        )
        if not subjects:
            check.error("missing_person", "no missing_person relationship links a person to this event")
        elif len(subjects) > 1:
            check.error(
                "missing_person",
                f"{len(subjects)} people are linked to this event as missing_person; there must be exactly one",
                ", ".join(subjects)[:200],
            )
        subject_id = subjects[0] if len(subjects) == 1 else ""
        if subject_id:
            links = list(dict.fromkeys([*links, *self.graph.linked(subject_id)]))
        links.sort(key=lambda link: link.index)
        for link in links:
            for field_name, reason, value in link.problems:
                check.error(f"{link.path}.{field_name}", reason, value)
            if link.problems:
                reported.add(link.index)

        reporters = [
            self._person_label(link.source, link)
            for link in links
            if link.type == "reporting_person" and link.target == event_id and not link.problems
        ]
        person = None
        facts: list[FactIn] = []
        person_ref = ""
        if subject_id:
            subject = self.graph.elements[subject_id]
            prefix = f"{subject.path}."
            person_ref = self.text(subject.data, "id", prefix, required=True, max_length=100)
            person, markers = self._person(subject, prefix, reported_at)
            facts += [FactIn(FactCategory.WARNING_MARKER, summary) for summary in markers]
            facts += self._subject_facts(subject_id, links)
        # Where the child was found is kept once, on the episode (found_where), which briefings list with
        # earlier episodes: not repeated as a place fact, so places are never counted twice.

        if person is None or not check.ok or reported_at is None or last_seen_at is None:
            return list(dict.fromkeys(check.errors))  # an element used twice (a place, a person) reports once
        return IngestRecord(
            location=self.event.path,
            system=system,
            local_id=occurrence,
            person_ref=person_ref,
            person=person,
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
                    reporter="; ".join(dict.fromkeys(r for r in reporters if r)),
                    circumstances=circumstances,
                    returned_at=_utc(found_at) if found_at else None,
                    found_where=found_where,
                    found_by=found_by,
                ),
            ),
        )

    def _missing_type(self, data: dict[str, Any]) -> str:
        text = self.text(data, "missing_type", required=True, max_length=40)
        if not text:
            return ""
        category = MISSING_TYPES.get(normalise_code(text))
        if category is None:
            self.check.error("missing_type", f"is not one of {', '.join(MISSING_TYPES)}", text)
            return ""
        return category

    def _location(self, data: dict[str, Any], key: str, *, required: bool = False) -> str:
        """The text of the location an event field refers to (its description, and postcode if any)."""
        location_id = self.text(data, key, required=required, max_length=100)
        if not location_id:
            return ""
        element = self.graph.elements.get(location_id)
        if element is None:
            self.check.error(key, f"refers to '{location_id[:40]}', which is not in the file", location_id)
            return ""
        if element.kind != "location":
            self.check.error(
                key, f"must refer to a location, and '{location_id[:40]}' is a {element.kind}", location_id
            )
            return ""
        return self._place(element)

    def _place(self, element: _Element) -> str:
        prefix = f"{element.path}."
        description = self.text(element.data, "description", prefix, required=True)
        postcode = self._postcode(element.data, prefix)
        return f"{description}, {postcode}" if description and postcode else description

    def _postcode(self, data: dict[str, Any], prefix: str) -> str:
        text = self.text(data, "postcode", prefix, max_length=10)
        return self.check.postcode(prefix + "postcode", text)

    def _person(
        self, subject: _Element, prefix: str, reported_at: datetime.datetime | None
    ) -> tuple[PersonDetails, list[str]]:
        data, check = subject.data, self.check
        given_name = self.name(data, "given_name", prefix)
        family_name = self.name(data, "family_name", prefix)
        errors = len(check.errors)
        raw_dob = self._string(data, "date_of_birth", prefix + "date_of_birth")
        date_of_birth = None
        if len(check.errors) == errors:
            date_of_birth = check.date(
                prefix + "date_of_birth", raw_dob, required=True, formats=POLE_DATE_FORMATS
            )
        sex = self.code(data, "sex", Vocabulary.SEX, prefix) or Sex.UNKNOWN
        errors = len(check.errors)
        raw_nhs = self._string(data, "nhs_number", prefix + "nhs_number")
        nhs_number = check.nhs_number(prefix + "nhs_number", raw_nhs) if len(check.errors) == errors else ""
        other_names = self._other_names(data, prefix)
        address = self.text(data, "address", prefix)
        postcode = self._postcode(data, prefix)
        markers = self._markers(data, prefix)
        if date_of_birth is not None and reported_at and date_of_birth > reported_at.astimezone(UK).date():
            check.error(prefix + "date_of_birth", "is after reported_at", str(raw_dob))
        details = PersonDetails(
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            sex=sex,
            other_names=other_names,
            address=address,
            postcode=postcode,
            nhs_number=nhs_number,
        )
        return details, markers

    def _other_names(self, data: dict[str, Any], prefix: str) -> str:
        value = data.get("other_names")
        if value is None:
            return ""
        if isinstance(value, str):
            parts: list[Any] = re.split(r"[,;]", value)
        elif isinstance(value, list):
            parts = value
        else:
            self.check.error(
                prefix + "other_names", "is not a text value or a list of them", repr(value)[:200]
            )
            return ""
        names = []
        for i, part in enumerate(parts):
            key = f"other_names[{i}]" if isinstance(value, list) else "other_names"
            name = self._name_item(part, prefix + key)
            if name:
                names.append(" ".join(name.split()))
        return ", ".join(names)  # the linkage engine reads other names comma-separated

    def _name_item(self, value: Any, field_name: str) -> str:
        errors = len(self.check.errors)
        text = self._string({"value": value}, "value", field_name)
        if len(self.check.errors) > errors:
            return ""
        return self.check.name(field_name, text, required=False)

    def _markers(self, data: dict[str, Any], prefix: str) -> list[str]:
        value = data.get("warning_markers")
        if value is None:
            return []
        if not isinstance(value, list):
            self.check.error(prefix + "warning_markers", "is not a list of codes", repr(value)[:200])
            return []
        summaries = []
        for i, item in enumerate(value):
            field_name = f"{prefix}warning_markers[{i}]"
            errors = len(self.check.errors)
            code = self._string({"code": item}, "code", field_name)
            if len(self.check.errors) > errors:
                continue
            marker = self.check.code(field_name, Vocabulary.WARNING_MARKER, code, required=True)
            if marker:
                summaries.append(f"Warning marker: {self.check.label(Vocabulary.WARNING_MARKER, marker)}")
        return list(dict.fromkeys(summaries))  # FI and WE are both "Weapons": one fact

    def _person_label(self, person_id: str, link: _Link) -> str:
        """'Given Family (description)' for an associate or a reporting person."""
        element = self.graph.elements[person_id]
        prefix = f"{element.path}."
        name = " ".join(
            part
            for part in (
                self.name(element.data, "given_name", prefix),
                self.name(element.data, "family_name", prefix),
            )
            if part
        )
        description = self.text(link.data, "description", f"{link.path}.", max_length=100)
        if not name:
            return ""
        return f"{name} ({description})" if description else name

    def _subject_facts(self, subject_id: str, links: list[_Link]) -> list[FactIn]:
        associates: list[FactIn] = []
        objects: list[FactIn] = []
        places: list[FactIn] = []
        for link in links:
            if link.problems or subject_id not in link.ends():
                continue
            if link.type == "associate_of":
                other = link.target if link.source == subject_id else link.source
                if other == subject_id:
                    continue
                label = self._person_label(other, link)
                if label:
                    associates.append(FactIn(FactCategory.ASSOCIATE, f"Associate: {label}"))
            elif link.type == "uses" and link.source == subject_id:
                element = self.graph.elements[link.target]
                prefix = f"{element.path}."
                kind = self.text(element.data, "type", prefix, required=True, max_length=40)
                description = self.text(element.data, "description", prefix, required=True)
                if kind and description:
                    objects.append(FactIn(FactCategory.ASSOCIATE, f"Uses {kind}: {description}"))
            elif link.type == "frequents" and link.source == subject_id:
                place = self._place(self.graph.elements[link.target])
                if place:
                    places.append(FactIn(FactCategory.PLACE, f"Place: {place}"))
        return [*associates, *objects, *places]


def _utc(moment: datetime.datetime) -> datetime.datetime:
    """Times are kept in UTC, so that "01/03/2026 10:00" and "2026-03-01T10:00:00+00:00" hash the same."""
    return moment.astimezone(datetime.UTC)
