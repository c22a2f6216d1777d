"""The police adapters (police-csv, police-pole): exact records and errors from the fixtures, file-level
rejections, and fuzzing (any bytes give records, row errors or FileRejected: never anything else).

Pure parsing: no database. The fixtures are in tests/fixtures/ingest/police/.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hafan.core.vocabulary import FactCategory, RiskGrade
from hafan.episodes.models import EpisodeCategory, FoundBy
from hafan.ingest.adapters import adapter_for
from hafan.ingest.adapters.base import ParseContext
from hafan.ingest.adapters.police_csv import REQUIRED_COLUMNS, PoliceCsvAdapter
from hafan.ingest.adapters.police_pole import PolicePoleAdapter
from hafan.ingest.reading import MAX_JSON_DEPTH, Source
from hafan.ingest.records import EpisodeIn, FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import CodeBook
from hafan.people.identifiers import nhs_number_is_valid
from hafan.people.models import Sex
from hafan.people.services import PersonDetails

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest" / "police"
CONTEXT = ParseContext(agency_code="GWP", codes=CodeBook.national(), today=datetime.date(2026, 11, 26))
UTC = datetime.UTC
HEADER = (FIXTURES / "occurrences.csv").read_text(encoding="utf-8").splitlines()[0]


def parse(adapter: Any, *sources: Source) -> list[IngestRecord | RowError]:
    return list(adapter.parse(list(sources), CONTEXT))


def csv_file(name: str) -> list[IngestRecord | RowError]:
    return parse(PoliceCsvAdapter(), Source.from_path(str(FIXTURES / name)))


def csv_bytes(data: bytes) -> list[IngestRecord | RowError]:
    return parse(PoliceCsvAdapter(), Source.from_bytes("upload.csv", data))


def pole_file(name: str) -> list[IngestRecord | RowError]:
    return parse(PolicePoleAdapter(), Source.from_path(str(FIXTURES / name)))


def pole_bytes(data: bytes) -> list[IngestRecord | RowError]:
    return parse(PolicePoleAdapter(), Source.from_bytes("upload.json", data))


def records(items: list[IngestRecord | RowError]) -> list[IngestRecord]:
    return [item for item in items if isinstance(item, IngestRecord)]


def errors(items: list[IngestRecord | RowError]) -> list[tuple[str, str]]:
    return [(item.location, item.field) for item in items if isinstance(item, RowError)]


def by_id(items: list[IngestRecord | RowError]) -> dict[str, IngestRecord]:
    return {record.local_id: record for record in records(items)}


def at(day: int, month: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=UTC)


# The registry


def test_the_registry_finds_both_adapters() -> None:
    assert isinstance(adapter_for("police-csv"), PoliceCsvAdapter)
    assert isinstance(adapter_for("police-pole"), PolicePoleAdapter)
    assert PoliceCsvAdapter.system == PolicePoleAdapter.system == "Niche RMS"


# police-csv: the valid file

SIAN_FIRST = IngestRecord(
    location="line 2",
    system="Niche RMS",
    local_id="GW-26-00101",
    person_ref="PER-0001234",
    person=PersonDetails(
        given_name="Siân",
        family_name="Jenkins",
        date_of_birth=datetime.date(2011, 3, 12),
        sex=Sex.FEMALE,
        other_names="Sian, Si",
        address="14 Heol y Dderwen, Newport",
        postcode="NP20 4XY",
        nhs_number="9991588132",
    ),
    recorded_on=datetime.date(2026, 2, 5),
    facts=(
        FactIn(FactCategory.WARNING_MARKER, "Warning marker: Self-harm"),
        FactIn(FactCategory.WARNING_MARKER, "Warning marker: Mental health"),
        FactIn(FactCategory.ASSOCIATE, "Associate: Kyle Bevan (older boyfriend)"),
        FactIn(FactCategory.ASSOCIATE, "Associate: Cerys Lloyd (friend)"),
        FactIn(FactCategory.PLACE, "Place: Bus station, Newport city centre"),
        FactIn(FactCategory.PLACE, "Place: Skate park, Coronation Park"),
    ),
    episodes=(
        EpisodeIn(
            occurrence_number="GW-26-00101",
            category=EpisodeCategory.MISSING_FROM_HOME,
            reported_at=at(3, 2, 21, 40),
            last_seen_at=at(3, 2, 18, 15),
            last_seen_place="Bus station, Newport city centre",
            risk_grade=RiskGrade.MEDIUM,
            reporter="Rhian Jenkins (mother)",
            circumstances="Did not come home after school, phone switched off",
            returned_at=at(4, 2, 9, 20),
            found_where="Friend's flat, Pillgwenlly",
            found_by=FoundBy.POLICE,
        ),
    ),
)


def test_csv_gives_one_record_per_occurrence() -> None:
    items = csv_file("occurrences.csv")
    assert errors(items) == []
    assert [r.local_id for r in records(items)] == [f"GW-26-{n:05d}" for n in range(101, 113)]
    assert [r.location for r in records(items)] == [f"line {n}" for n in range(2, 14)]
    people = Counter(r.person_ref for r in records(items))
    assert people == {
        "PER-0001234": 2,
        "PER-0001235": 2,
        "PER-0001239": 2,
        "PER-0001236": 1,
        "PER-0001237": 1,
        "PER-0001238": 1,
        "PER-0001240": 1,
        "PER-0001241": 1,
        "PER-0001242": 1,
    }
    for record in records(items):
        assert record.system == "Niche RMS"
        assert len(record.episodes) == 1
        assert record.episodes[0].occurrence_number == record.local_id
        assert not record.person.nhs_number or nhs_number_is_valid(record.person.nhs_number)


def test_csv_full_record() -> None:
    first = records(csv_file("occurrences.csv"))[0]
    assert first == SIAN_FIRST
    assert first.person.given_name == "Siân"  # NFC, as written


def test_csv_codes_times_and_dates() -> None:
    occurrences = by_id(csv_file("occurrences.csv"))
    llyr = occurrences["GW-26-00102"]
    assert llyr.person.given_name == "Llŷr"
    assert llyr.person.sex == Sex.MALE
    # ES, DR, FI, WE: FI and WE both map to Weapons, which is one fact.
    assert [f.summary for f in llyr.facts if f.category == FactCategory.WARNING_MARKER] == [
        "Warning marker: Absconder",
        "Warning marker: Drugs",
        "Warning marker: Weapons",
    ]
    assert llyr.episodes[0].category == EpisodeCategory.MISSING_FROM_CARE
    assert llyr.episodes[0].risk_grade == RiskGrade.HIGH

    gwenllian = occurrences["GW-26-00103"]  # ISO times; no updated_at: recorded on the reported date
    assert gwenllian.person.given_name == "Gwenllïan"
    assert gwenllian.episodes[0].category == EpisodeCategory.MISSING_FROM_CARE  # "Care": case ignored
    assert gwenllian.episodes[0].found_by == FoundBy.CARER
    assert gwenllian.recorded_on == datetime.date(2026, 3, 7)

    jack = occurrences["GW-26-00109"]  # ISO with a +01:00 offset, kept as UTC
    assert jack.episodes[0].reported_at == at(14, 7, 21, 30)
    assert jack.episodes[0].found_by == FoundBy.AGENCY
    assert jack.recorded_on == datetime.date(2026, 7, 16)

    sian_again = occurrences["GW-26-00107"]  # UK local time in summer (BST) is an hour ahead of UTC
    assert sian_again.episodes[0].reported_at == at(9, 5, 21, 10)
    assert sian_again.episodes[0].reported_at.tzinfo == UTC

    assert occurrences["GW-26-00105"].episodes[0].risk_grade == RiskGrade.VERY_LOW  # "No apparent risk"
    assert occurrences["GW-26-00105"].episodes[0].found_by == FoundBy.CARER  # "Parent"
    assert occurrences["GW-26-00105"].person.nhs_number == ""
    assert occurrences["GW-26-00108"].episodes[0].found_by == FoundBy.SELF  # "Returned"
    assert occurrences["GW-26-00104"].episodes[0].category == EpisodeCategory.AWAY_FROM_PLACEMENT

    still_missing = occurrences["GW-26-00110"]
    assert still_missing.episodes[0].returned_at is None
    assert still_missing.episodes[0].found_where == still_missing.episodes[0].found_by == ""
    assert not any(f.summary.startswith("Found at:") for f in still_missing.facts)


def test_csv_content_hash_is_deterministic() -> None:
    first = [r.content_hash() for r in records(csv_file("occurrences.csv"))]
    second = [r.content_hash() for r in records(csv_file("occurrences.csv"))]
    assert first == second
    assert len(set(first)) == 12


def test_csv_changed_file_changes_one_record_and_drops_one() -> None:
    before = {k: r.content_hash() for k, r in by_id(csv_file("occurrences.csv")).items()}
    after_records = by_id(csv_file("occurrences_changed.csv"))
    after = {k: r.content_hash() for k, r in after_records.items()}
    assert set(before) - set(after) == {"GW-26-00109"}
    assert set(after) <= set(before)
    assert [k for k in after if after[k] != before[k]] == ["GW-26-00103"]
    changed = after_records["GW-26-00103"]
    assert changed.episodes[0].risk_grade == RiskGrade.HIGH
    assert changed.recorded_on == datetime.date(2026, 3, 9)
    assert FactIn(FactCategory.ASSOCIATE, "Associate: Jordan Reece (older teenager)") in changed.facts


# police-csv: encodings and line endings


def test_csv_windows_1252_with_crlf() -> None:
    raw = (FIXTURES / "occurrences_cp1252.csv").read_bytes()
    assert b"\r\n" in raw
    assert "Siân".encode("cp1252") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    items = csv_file("occurrences_cp1252.csv")
    assert errors(items) == []
    assert [r.person.given_name for r in records(items)] == ["Siân", "Gwenllïan", "Dafydd"]
    assert records(items)[0] == SIAN_FIRST  # nothing of the CR survives in the last column
    utf8 = by_id(csv_file("occurrences.csv"))
    assert all(r.content_hash() == utf8[r.local_id].content_hash() for r in records(items))


def test_csv_utf8_with_byte_order_mark() -> None:
    assert (FIXTURES / "occurrences_bom.csv").read_bytes().startswith(b"\xef\xbb\xbfoccurrence_number,")
    items = csv_file("occurrences_bom.csv")
    assert errors(items) == []
    assert [(r.local_id, r.person.given_name) for r in records(items)] == [
        ("GW-26-00102", "Llŷr"),
        ("GW-26-00110", "Llŷr"),
    ]


# police-csv: row errors


def test_csv_error_fixture_reports_every_bad_row_and_keeps_the_rest() -> None:
    items = csv_file("occurrences_errors.csv")
    assert [r.local_id for r in records(items)] == ["GW-26-00201", "GW-26-00208", "GW-26-00211"]
    assert errors(items) == [
        ("line 3", "date_of_birth"),
        ("line 4", "nhs_number"),
        ("line 5", "risk_grade"),
        ("line 6", "given_name"),
        ("line 7", ""),
        ("line 8", "last_seen_place"),
        ("line 10", "missing_type"),
        ("line 10", "warning_markers"),
        ("line 11", "last_seen_at"),
        ("line 11", "found_at"),
    ]
    reasons = {(e.location, e.field): e for e in items if isinstance(e, RowError)}
    assert reasons["line 3", "date_of_birth"].reason == "is not a date in the form DD/MM/YYYY or YYYY-MM-DD"
    assert reasons["line 3", "date_of_birth"].value == "31/02/2010"
    assert reasons["line 4", "nhs_number"].value == "9991588133"
    assert reasons["line 5", "risk_grade"].reason.startswith("code 'Severe' has no mapping in the risk_label")
    assert (
        reasons["line 6", "given_name"].reason == "looks like a spreadsheet formula (CSV injection); refused"
    )
    assert reasons["line 6", "given_name"].value == "=cmd|' /C calc'!A0"
    assert reasons["line 7", ""].reason == "5 fields where the header has 24"
    assert reasons["line 8", "last_seen_place"].reason == "is required"
    assert reasons["line 10", "missing_type"].reason == "is not one of home, care, away"
    assert reasons["line 10", "warning_markers"].value == "ZZ"
    assert reasons["line 11", "last_seen_at"].reason == "is after reported_at"
    assert reasons["line 11", "found_at"].reason == "is before reported_at"


def row(**values: str) -> str:
    """A valid occurrence row in the fixture header's column order, with some values replaced."""
    base = {
        "occurrence_number": "GW-26-09001",
        "reported_at": "01/10/2026 20:00",
        "person_id": "PER-0009001",
        "given_name": "Nia",
        "family_name": "Morgan",
        "date_of_birth": "01/01/2012",
        "sex": "F",
        "missing_type": "home",
        "risk_grade": "Low",
        "last_seen_at": "01/10/2026 18:00",
        "last_seen_place": "Home address, Newport",
    }
    base.update(values)
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([base.get(column, "") for column in HEADER.split(",")])
    return line.getvalue()


def csv_of(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *rows, ""]).encode()


def test_csv_more_row_checks() -> None:
    items = csv_bytes(
        csv_of(
            row(),
            row(),  # the same occurrence again
            row(occurrence_number="GW-26-09002", postcode="NOT A CODE"),
            row(occurrence_number="GW-26-09003", found_where="Park", found_by="Police"),
            row(occurrence_number="GW-26-09004", associates="Kyle Bevan (friend"),
            row(occurrence_number="GW-26-09005", associates="Rhys (friend); =HYPERLINK(1)"),
            row(occurrence_number="GW-26-09006", date_of_birth="02/10/2026"),
            row(occurrence_number="GW-26-09007", updated_at="30/09/2026"),
            row(occurrence_number="GW-26-09008", sex="X", found_by="Dog"),
            row(occurrence_number="GW-26-09009", reported_at="01/12/2026 20:00"),
            row(occurrence_number="GW-26-09010", nhs_number="999 158 8132", postcode="np204xy", sex=""),
        )
    )
    assert errors(items) == [
        ("line 3", "occurrence_number"),
        ("line 4", "postcode"),
        ("line 5", "found_at"),
        ("line 6", "associates"),
        ("line 7", "associates"),
        ("line 8", "date_of_birth"),
        ("line 9", "updated_at"),
        ("line 10", "sex"),
        ("line 10", "found_by"),
        ("line 11", "reported_at"),
    ]
    messages = {(e.location, e.field): e.reason for e in items if isinstance(e, RowError)}
    assert messages["line 3", "occurrence_number"] == "repeats the occurrence on line 2"
    assert messages["line 4", "postcode"] == "is not a UK postcode"
    assert messages["line 5", "found_at"] == "is required when found_where or found_by is given"
    assert messages["line 6", "associates"] == "is not in the form name (relationship)"
    assert messages["line 8", "date_of_birth"] == "is after reported_at"
    assert messages["line 11", "reported_at"] == "is in the future"
    last = records(items)[-1]
    assert (last.person.nhs_number, last.person.postcode, last.person.sex) == (
        "9991588132",
        "NP20 4XY",
        Sex.UNKNOWN,
    )
    assert last.recorded_on == datetime.date(2026, 10, 1)
    assert last.facts == ()


def test_csv_optional_columns_may_be_left_out_and_extra_columns_are_ignored() -> None:
    header = ",".join([*REQUIRED_COLUMNS, "officer_notes"])
    values = (
        "GW-26-1,01/10/2026 20:00,PER-1,Nia,Morgan,01/01/2012,F,care,Medium,01/10/2026 18:00,Home,anything"
    )
    (record,) = csv_bytes(csv_of(values, header=header, newline="\r\n"))
    assert isinstance(record, IngestRecord)
    assert record.episodes[0].category == EpisodeCategory.MISSING_FROM_CARE
    assert record.episodes[0].returned_at is None
    assert record.person.other_names == record.person.address == ""


# police-csv: files rejected as a whole


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty."),
        (b"occurrence_number,reported_at\nGW-1,01/10/2026 20:00\n", "lacks the column(s) person_id"),
        (HEADER.replace(",", ";").encode() + b"\n", "seems to use another separator than ','"),
        (HEADER.encode() + b'\nGW-26-1,01/10/2026 20:00,PER-1,"Nia,Morgan', "The CSV structure is broken"),
        (csv_of(row(given_name="Ni\x00a")), "NUL bytes"),
        (HEADER.encode() + b"\nGW\x81,x\n", "neither UTF-8 nor Windows-1252"),
        (b"\xff\xfeA", "not valid UTF-16 text"),
        ((HEADER + "," + HEADER.split(",")[0]).encode() + b"\n", "The header row repeats occurrence_number"),
    ],
    ids=[
        "empty",
        "missing-columns",
        "wrong-delimiter",
        "unterminated-quote",
        "nul",
        "not-text",
        "utf16",
        "dup-col",
    ],
)
def test_csv_file_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        csv_bytes(data)
    assert reason in rejected.value.reason


def test_csv_truncated_mid_quote_names_the_line() -> None:
    data = (FIXTURES / "occurrences.csv").read_bytes()
    truncated = data[: data.index(b"Did not come home")]  # inside the quoted circumstances of line 2
    with pytest.raises(FileRejected) as rejected:
        csv_bytes(truncated)
    assert "truncated" in rejected.value.reason
    assert rejected.value.location.startswith("upload.csv line ")


# police-pole: the valid document

SIAN_POLE = IngestRecord(
    location="events[0]",
    system="Niche RMS",
    local_id="GW-26-00101",
    person_ref="PER-0001234",
    person=PersonDetails(
        given_name="Siân",
        family_name="Jenkins",
        date_of_birth=datetime.date(2011, 3, 12),
        sex=Sex.FEMALE,
        other_names="Sian, Si",
        address="14 Heol y Dderwen, Newport",
        postcode="NP20 4XY",
        nhs_number="9991588132",
    ),
    recorded_on=datetime.date(2026, 2, 5),
    facts=(
        FactIn(FactCategory.WARNING_MARKER, "Warning marker: Self-harm"),
        FactIn(FactCategory.WARNING_MARKER, "Warning marker: Mental health"),
        FactIn(FactCategory.ASSOCIATE, "Associate: Kyle Bevan (older boyfriend)"),
        FactIn(FactCategory.ASSOCIATE, "Associate: Cerys Lloyd (friend)"),
        FactIn(FactCategory.ASSOCIATE, "Uses phone: Black smartphone, pay as you go"),
        FactIn(FactCategory.PLACE, "Place: Skate park, Coronation Park, NP19 0AB"),
    ),
    episodes=(
        EpisodeIn(
            occurrence_number="GW-26-00101",
            category=EpisodeCategory.MISSING_FROM_HOME,
            reported_at=at(3, 2, 21, 40),
            last_seen_at=at(3, 2, 18, 15),
            last_seen_place="Bus station, Newport city centre, NP20 1AA",
            risk_grade=RiskGrade.MEDIUM,
            reporter="Rhian Jenkins (mother)",
            circumstances="Did not come home after school, phone switched off",
            returned_at=at(4, 2, 9, 20),
            found_where="Friend's flat, Pillgwenlly",
            found_by=FoundBy.POLICE,
        ),
    ),
)


def test_pole_gives_one_record_per_missing_person_report() -> None:
    items = pole_file("pole.json")
    assert errors(items) == []
    # events[2] is a sighting: not a missing-person report, so not a record.
    assert [(r.location, r.local_id, r.person_ref) for r in records(items)] == [
        ("events[0]", "GW-26-00101", "PER-0001234"),
        ("events[1]", "GW-26-00102", "PER-0001235"),
        ("events[3]", "GW-26-00107", "PER-0001234"),
    ]
    assert records(items)[0] == SIAN_POLE


def test_pole_subject_links() -> None:
    occurrences = by_id(pole_file("pole.json"))
    llyr = occurrences["GW-26-00102"]
    assert llyr.person.given_name == "Llŷr"
    assert llyr.person.postcode == "NP18 3QT"  # "np183qt" as exported
    assert llyr.person.other_names == "Llyr"
    assert llyr.recorded_on == datetime.date(2026, 2, 14)  # no updated_at: the reported date
    assert llyr.episodes[0].reporter == ""  # no reporting_person relationship
    assert llyr.facts == (
        FactIn(FactCategory.WARNING_MARKER, "Warning marker: Absconder"),
        FactIn(FactCategory.WARNING_MARKER, "Warning marker: Drugs"),
        FactIn(FactCategory.WARNING_MARKER, "Warning marker: Weapons"),
        FactIn(FactCategory.ASSOCIATE, "Uses vehicle: Grey hatchback, partial index CX19"),
        FactIn(FactCategory.PLACE, "Place: Railway station, Cardiff"),
    )
    open_episode = occurrences["GW-26-00107"]
    assert open_episode.episodes[0].returned_at is None
    assert open_episode.episodes[0].reported_at == at(9, 5, 21, 10)
    assert open_episode.person == SIAN_POLE.person
    # Kyle Bevan's own vehicle and markers are his, not Siân's.
    assert not any("hatchback" in f.summary or "Violent" in f.summary for f in open_episode.facts)


def test_pole_and_csv_agree_on_the_person_and_the_times() -> None:
    csv_record = by_id(csv_file("occurrences.csv"))["GW-26-00101"]
    pole_record = by_id(pole_file("pole.json"))["GW-26-00101"]
    assert csv_record.person == pole_record.person
    assert csv_record.recorded_on == pole_record.recorded_on
    csv_episode, pole_episode = csv_record.episodes[0], pole_record.episodes[0]
    assert (csv_episode.reported_at, csv_episode.last_seen_at, csv_episode.returned_at) == (
        pole_episode.reported_at,
        pole_episode.last_seen_at,
        pole_episode.returned_at,
    )


# police-pole: row errors


def test_pole_error_fixture() -> None:
    items = pole_file("pole_errors.json")
    assert [r.local_id for r in records(items)] == ["GW-26-00301"]
    assert errors(items) == [
        ("events[1]", "reported_at"),
        ("events[1]", "risk_grade"),
        ("events[1]", "last_seen_location"),
        ("events[1]", "people[1].nhs_number"),
        ("events[1]", "people[1].warning_markers[1]"),
        ("events[2]", "missing_person"),
        ("events[3]", "missing_person"),
        ("events[4]", "found_at"),
        ("events[4]", "relationships[5].to"),
        ("events[5]", "people[2].given_name"),
        ("events[6]", "reported_at"),
        ("relationships[8]", "type"),
        ("relationships[8]", "to"),
    ]
    reasons = {(e.location, e.field): e.reason for e in items if isinstance(e, RowError)}
    assert reasons["events[1]", "reported_at"] == "is not a date and time in the form YYYY-MM-DDThh:mm:ss"
    assert reasons["events[1]", "last_seen_location"] == "refers to 'LOC-99', which is not in the file"
    assert (
        reasons["events[2]", "missing_person"]
        == "no missing_person relationship links a person to this event"
    )
    assert reasons["events[3]", "missing_person"] == (
        "2 people are linked to this event as missing_person; there must be exactly one"
    )
    assert reasons["events[4]", "relationships[5].to"] == "refers to 'LOC-77', which is not in the file"
    assert reasons["events[5]", "people[2].given_name"] == (
        "looks like a spreadsheet formula (CSV injection); refused"
    )
    assert reasons["events[6]", "reported_at"] == "is not a text value"
    assert reasons["relationships[8]", "type"].startswith("is not one of missing_person, reporting_person")


def pole_doc(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "pole.json").read_text(encoding="utf-8"))
    document.update(changes)
    return document


def pole_of(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def test_pole_more_row_checks() -> None:
    document = pole_doc()
    document["people"][0]["given_name"] = "Si\ud800n"  # a lone surrogate: cannot be stored or hashed
    document["people"][2]["warning_markers"] = "ES"  # not a list
    document["people"][2]["date_of_birth"] = "05/13/2010"  # American order
    document["events"][1]["last_seen_location"] = "PER-0005678"  # a person, not a location
    document["relationships"].append({"from": "LOC-1", "type": "uses", "to": "OBJ-1"})
    data = json.dumps(document).encode()  # ensure_ascii: the surrogate travels as \ud800
    assert errors(pole_bytes(data)) == [
        ("events[0]", "people[0].given_name"),
        ("events[1]", "last_seen_location"),
        ("events[1]", "people[2].date_of_birth"),
        ("events[1]", "people[2].warning_markers"),
        ("events[3]", "people[0].given_name"),
        ("relationships[13]", "from"),
    ]
    messages = {(e.location, e.field): e.reason for e in pole_bytes(data) if isinstance(e, RowError)}
    assert messages["events[1]", "last_seen_location"] == (
        "must refer to a location, and 'PER-0005678' is a person"
    )
    assert (
        messages["events[1]", "people[2].date_of_birth"]
        == "is not a date in the form YYYY-MM-DD or DD/MM/YYYY"
    )
    assert messages["relationships[13]", "from"] == "must refer to a person, and 'LOC-1' is a location"


def test_pole_relationship_problems_touching_a_subject_reject_its_events() -> None:
    document = pole_doc()
    document["relationships"].append({"from": "PER-0001234", "type": "frequents", "to": "LOC-404"})
    items = pole_bytes(pole_of(document))
    assert errors(items) == [("events[0]", "relationships[13].to"), ("events[3]", "relationships[13].to")]
    assert [r.local_id for r in records(items)] == ["GW-26-00102"]


# police-pole: files rejected as a whole


def rejected_reason(data: bytes) -> str:
    with pytest.raises(FileRejected) as rejected:
        pole_bytes(data)
    return rejected.value.reason


def test_pole_truncated_json_is_rejected() -> None:
    data = (FIXTURES / "pole.json").read_bytes()
    assert "it may be truncated" in rejected_reason(data[: len(data) // 2])


def test_pole_duplicate_keys_are_rejected() -> None:
    data = b'{"schema": "hafan-pole/1", "people": [], "people": [], "events": [], "relationships": []}'
    assert rejected_reason(data) == "The JSON repeats the key 'people' in one object."


def test_pole_deep_nesting_is_rejected() -> None:
    deep = "[" * (MAX_JSON_DEPTH + 5) + "]" * (MAX_JSON_DEPTH + 5)
    data = (
        '{"schema": "hafan-pole/1", "people": [], "events": [], "relationships": [], "x": ' + deep + "}"
    ).encode()
    assert "nested more than" in rejected_reason(data)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (pole_doc(schema="hafan-pole/2"), "The document's schema is hafan-pole/2, not 'hafan-pole/1'"),
        ({k: v for k, v in pole_doc().items() if k != "schema"}, "The document's schema is None"),
        ([pole_doc()], "The JSON top level must be an object"),
        ("hafan-pole/1", "The JSON top level must be an object"),
        ({k: v for k, v in pole_doc().items() if k != "events"}, 'The document has no "events" list.'),
        (pole_doc(people={"PER-1": {}}), '"people" must be a list.'),
        (pole_doc(locations=["LOC-1"]), "locations[0] is not an object."),
        (pole_doc(objects=[{"type": "phone"}]), "objects[0] has no id"),
        (
            pole_doc(objects=[{"id": "LOC-1", "type": "phone", "description": "x"}]),
            "The id 'LOC-1' is used by",
        ),
        (pole_doc(relationships=[{"from": "PER-0001234", "to": "GW-26-00101"}]), "relationships[0] must be"),
        (pole_doc(exported_at="yesterday"), "exported_at is not a date and time"),
    ],
    ids=[
        "wrong-schema",
        "no-schema",
        "array",
        "string",
        "no-events",
        "people-not-list",
        "element-not-object",
        "no-id",
        "duplicate-id",
        "relationship-shape",
        "exported-at",
    ],
)
def test_pole_structure_rejected(document: Any, reason: str) -> None:
    assert reason in rejected_reason(pole_of(document))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty."),
        (b'{"schema": NaN}', "contains NaN"),
        (b'{"schema": 1e999}', "out of range"),
        (b'{"schema": ' + b"9" * 5000 + b"}", "holds a value that cannot be read"),
        (b'{"schema": "hafan-pole/1"\x00}', "NUL bytes"),
        (b"\xfe\xff\x00", "not valid UTF-16 text"),
    ],
    ids=["empty", "nan", "infinity", "huge-integer", "nul", "utf16"],
)
def test_pole_unreadable_json_rejected(data: bytes, reason: str) -> None:
    assert reason in rejected_reason(data)


# Fuzzing: whatever arrives, the adapters answer with records, row errors or FileRejected.

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def survives(adapter: Any, data: bytes) -> None:
    try:
        items = parse(adapter, Source.from_bytes("fuzz", data))
    except FileRejected:
        return
    for item in items:
        assert isinstance(item, IngestRecord | RowError)
        if isinstance(item, IngestRecord):
            item.content_hash()


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_csv_arbitrary_bytes(data: bytes) -> None:
    survives(PoliceCsvAdapter(), data)


@FUZZ
@given(st.lists(st.text(max_size=200), max_size=8))
def test_fuzz_csv_rows_under_a_valid_header(lines: list[str]) -> None:
    survives(PoliceCsvAdapter(), "\n".join([HEADER, row(), *lines]).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_pole_arbitrary_bytes(data: bytes) -> None:
    survives(PolicePoleAdapter(), data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(["LOC-1", "PER-0001234"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
event_keys = st.sampled_from(
    [
        "id",
        "type",
        "reported_at",
        "missing_type",
        "risk_grade",
        "last_seen_at",
        "last_seen_location",
        "found_at",
    ]
)


@FUZZ
@given(
    st.dictionaries(event_keys, json_values, max_size=6), st.sampled_from(["people", "events", "locations"])
)
def test_fuzz_pole_documents(changes: dict[str, Any], section: str) -> None:
    document = pole_doc()
    document[section][0].update(changes)
    survives(PolicePoleAdapter(), json.dumps(document).encode())
