"""The council and mapped-CSV adapters (ssda903, caselist, generic): exact records and errors from the
fixtures, Welsh names through every encoding, bad mappings and broken files rejected, and fuzzing (any
bytes give records, row errors or FileRejected: never anything else).

Pure parsing: no database. The fixtures are in tests/fixtures/ingest/{ssda903,caselist,generic}/.
"""

from __future__ import annotations

import copy
import datetime
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hafan.ingest.adapters import adapter_for
from hafan.ingest.adapters.base import ParseContext
from hafan.ingest.adapters.caselist import CaseListAdapter
from hafan.ingest.adapters.generic_csv import GenericCsvAdapter
from hafan.ingest.adapters.ssda903 import EPISODES, HEADER, HEADER_NAMES, MISSING, Ssda903Adapter
from hafan.ingest.mapping import compile_mapping
from hafan.ingest.reading import Source, detect_encoding
from hafan.ingest.records import FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import CodeBook
from hafan.people.services import PersonDetails

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
SSDA903 = FIXTURES / "ssda903"
CASELIST = FIXTURES / "caselist"
GENERIC = FIXTURES / "generic"
TODAY = datetime.date(2026, 11, 26)
Items = list[IngestRecord | RowError]


def load_mapping(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


CASELIST_MAPPING = load_mapping(CASELIST / "caselist.toml")
GENERIC_MAPPING = load_mapping(GENERIC / "people.toml")


def context(mapping: dict[str, Any] | None = None) -> ParseContext:
    return ParseContext(agency_code="NCC", codes=CodeBook.national(), mapping=mapping, today=TODAY)


def parse(adapter: Any, sources: list[Source], mapping: dict[str, Any] | None = None) -> Items:
    return list(adapter.parse(sources, context(mapping)))


def paths(*files: Path) -> list[Source]:
    return [Source.from_path(str(f)) for f in files]


def ssda903(folder: Path = SSDA903, tables: tuple[str, ...] = ("header", "episodes", "missing")) -> Items:
    return parse(Ssda903Adapter(), paths(*(folder / f"{t}.csv" for t in tables)))


def caselist(name: str = "caselist.csv", mapping: dict[str, Any] | None = None) -> Items:
    return parse(CaseListAdapter(), paths(CASELIST / name), CASELIST_MAPPING if mapping is None else mapping)


def generic(name: str = "people.csv", mapping: dict[str, Any] | None = None) -> Items:
    return parse(GenericCsvAdapter(), paths(GENERIC / name), GENERIC_MAPPING if mapping is None else mapping)


def generic_bytes(data: bytes, mapping: dict[str, Any] | None = None) -> Items:
    source = Source.from_bytes("upload.csv", data)
    return parse(GenericCsvAdapter(), [source], GENERIC_MAPPING if mapping is None else mapping)


def records(items: Items) -> list[IngestRecord]:
    return [item for item in items if isinstance(item, IngestRecord)]


def errors(items: Items) -> list[tuple[str, str]]:
    return [(item.location, item.field) for item in items if isinstance(item, RowError)]


def by_id(items: Items) -> dict[str, IngestRecord]:
    return {record.local_id: record for record in records(items)}


def rejection(call: Any, *args: Any, **kwargs: Any) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        call(*args, **kwargs)
    return caught.value


def day(d: int, m: int, y: int) -> datetime.date:
    return datetime.date(y, m, d)


# The registry


def test_the_registry_finds_the_three_adapters() -> None:
    assert isinstance(adapter_for("ssda903"), Ssda903Adapter)
    assert isinstance(adapter_for("caselist"), CaseListAdapter)
    assert isinstance(adapter_for("generic"), GenericCsvAdapter)
    assert Ssda903Adapter.accepts_many_files and not Ssda903Adapter.needs_mapping
    assert CaseListAdapter.needs_mapping and GenericCsvAdapter.needs_mapping


# ssda903


def test_903_one_record_per_child_in_the_header_table() -> None:
    items = ssda903()
    assert errors(items) == []
    assert [r.local_id for r in records(items)] == ["NCC1001", "NCC1002", "NCC1003", "NCC1004", "NCC1005"]


def test_903_full_record_with_current_episode_and_missing_facts() -> None:
    record = by_id(ssda903())["NCC1001"]
    assert record == IngestRecord(
        location="header.csv line 2",
        system="SSDA903",
        local_id="NCC1001",
        person=PersonDetails(
            given_name="Siân",
            family_name="Pritchard",
            date_of_birth=day(14, 3, 2011),
            sex="female",
            address="12 Heol y Wern, Maesglas",
            postcode="NP20 3QT",
            nhs_number="9990914532",
            upn="L678877714455",
        ),
        recorded_on=day(20, 11, 2026),  # the latest date in any table: the open missing episode's start
        ethnicity="white",
        facts=(
            FactIn(
                "looked_after",
                "Looked after: Care order; placement: Children's home from 14/08/2025",
                day(14, 8, 2025),
            ),
            FactIn("looked_after", "Missing from placement 02/10/2025 to 04/10/2025", day(2, 10, 2025)),
            FactIn(
                "looked_after",
                "Away from placement without authorisation 17/11/2025 to 17/11/2025",
                day(17, 11, 2025),
            ),
            FactIn("looked_after", "Missing from placement 20/11/2026 (still missing)", day(20, 11, 2026)),
        ),
    )
    record.content_hash()  # JSON-ready


def test_903_other_children() -> None:
    found = by_id(ssda903())
    llyr = found["NCC1002"]
    assert llyr.person.given_name == "Llŷr"
    assert llyr.person.nhs_number == "9996538281"  # spaces dropped
    assert llyr.facts == (
        FactIn(
            "looked_after",
            "Looked after: Accommodated with agreement (section 76); placement: Foster care with relatives "
            "or friends from 21/05/2026",
            day(21, 5, 2026),
        ),
    )
    # The most recent episode has ended: the fact says so, and it is the record's latest date.
    gwenllian = found["NCC1003"]
    assert gwenllian.person.given_name == "Gwenllïan"
    assert gwenllian.ethnicity == "mixed"
    assert gwenllian.recorded_on == day(5, 3, 2026)
    assert gwenllian.facts == (
        FactIn(
            "looked_after",
            "Looked after: Interim care order; placement: Foster care from 10/10/2024 to 05/03/2026",
            day(5, 3, 2026),
        ),
    )
    # No episodes, no missing rows: dated the import day; "UN3" (UPN not known) is no UPN, not an error.
    tomos = found["NCC1004"]
    assert (tomos.recorded_on, tomos.facts, tomos.person.upn, tomos.person.sex) == (TODAY, (), "", "male")
    nia = found["NCC1005"]
    assert nia.person.postcode == "NP20 5AB"
    assert nia.recorded_on == day(13, 9, 2026)
    assert [f.summary for f in nia.facts] == [
        "Looked after: Emergency protection or police protection; placement: Children's home from 01/06/2026",
        "Missing from placement 12/09/2026 to 13/09/2026",
    ]


def test_903_tables_are_recognised_by_columns_not_names_or_order() -> None:
    renamed = [
        Source.from_bytes(new, (SSDA903 / old).read_bytes())
        for old, new in (("missing.csv", "t3.csv"), ("header.csv", "t1.csv"), ("episodes.csv", "t2.csv"))
    ]
    items = parse(Ssda903Adapter(), renamed)
    assert [r.payload() for r in records(items)] == [r.payload() for r in records(ssda903())]
    assert records(items)[0].location == "t1.csv line 2"


def test_903_header_table_alone() -> None:
    items = ssda903(tables=("header",))
    assert len(records(items)) == 5
    assert all(r.facts == () and r.recorded_on == TODAY for r in records(items))


def test_903_errors_fixture() -> None:
    items = ssda903(SSDA903 / "errors")
    # Only the one child whose every row, in every table, is valid.
    assert [r.local_id for r in records(items)] == ["NCC2008"]
    assert errors(items) == [
        ("header.csv line 2", "CHILD"),  # NCC2001 not imported: ...
        ("episodes.csv line 2", "LS"),  # ... its episode's legal status X9 is unmapped
        ("header.csv line 3", "DOB"),  # 31/02/2011
        ("header.csv line 3", "SEX"),  # 3
        ("header.csv line 3", "UPN"),  # wrong check letter
        ("header.csv line 4", "SURNAME"),
        ("header.csv line 4", "NHS_NUMBER"),
        ("header.csv line 5", "CHILD"),
        ("episodes.csv line 3", "DEC"),  # before DECOM
        ("header.csv line 6", "CHILD"),
        ("missing.csv line 2", "MIS_END"),  # before MIS_START
        ("header.csv line 7", "CHILD"),
        ("missing.csv line 3", "DOB"),  # differs from the header table's
        ("header.csv line 8", "CHILD"),
        ("episodes.csv line 4", "DECOM"),  # 2026-02-01
        ("missing.csv line 4", "MISSING"),  # Z
        ("missing.csv line 4", "MIS_START"),  # in the future
        ("header.csv line 10", "CHILD"),  # NCC2009: its missing row is ragged
        ("missing.csv line 6", ""),
        ("header.csv line 11", "CHILD"),  # NCC2008 again
        ("header.csv line 12", "CHILD"),  # blank
        ("episodes.csv line 6", "CHILD"),  # NCC9999 not in the header table
        ("missing.csv line 7", "CHILD"),  # NCC9998 not in the header table
    ]


def test_903_error_reasons() -> None:
    reasons = {
        (e.location, e.field): e.reason for e in ssda903(SSDA903 / "errors") if isinstance(e, RowError)
    }
    assert reasons[("header.csv line 2", "CHILD")] == (
        "child NCC2001 is not imported: their rows in the episodes or missing tables have errors"
    )
    assert reasons[("episodes.csv line 3", "DEC")] == "is before DECOM (01/09/2025)"
    assert reasons[("missing.csv line 2", "MIS_END")] == "is before MIS_START (10/10/2026)"
    assert (
        reasons[("missing.csv line 3", "DOB")]
        == "differs from the date of birth in the header table (03/03/2012)"
    )
    assert reasons[("episodes.csv line 4", "DECOM")] == "is not a date in the form DD/MM/YYYY"
    assert reasons[("missing.csv line 6", "")] == "3 fields where the header has 5"
    assert reasons[("header.csv line 11", "CHILD")] == "child NCC2008 already appears on line 9"
    assert reasons[("episodes.csv line 6", "CHILD")] == "child NCC9999 is not in the header table"
    assert "no mapping in the legal_status vocabulary for NCC" in reasons[("episodes.csv line 2", "LS")]


def test_903_valid_child_in_the_errors_fixture() -> None:
    megan = by_id(ssda903(SSDA903 / "errors"))["NCC2008"]
    assert megan.recorded_on == day(6, 5, 2026)
    assert megan.facts == (
        FactIn(
            "looked_after",
            "Looked after: Accommodated with agreement (section 76); placement: Foster care from 01/04/2026",
            day(1, 4, 2026),
        ),
        FactIn(
            "looked_after",
            "Away from placement without authorisation 05/05/2026 to 06/05/2026",
            day(5, 5, 2026),
        ),
    )


HEADER_LINE = ",".join(HEADER + HEADER_NAMES)
EPISODES_LINE = ",".join(EPISODES)
MISSING_LINE = ",".join(MISSING)
SIAN = "NCC1,2,14/03/2011,WWEL,,,,Siân,Pritchard"


def table(name: str, *lines: str) -> Source:
    return Source.from_bytes(name, ("\n".join(lines) + "\n").encode())


def test_903_without_a_header_table_is_rejected() -> None:
    exc = rejection(ssda903, tables=("episodes", "missing"))
    assert "header table" in exc.reason
    assert "episodes.csv" in exc.reason


def test_903_unrecognised_table_is_rejected_by_name() -> None:
    sources = [*paths(SSDA903 / "header.csv"), *paths(CASELIST / "caselist.csv")]
    exc = rejection(parse, Ssda903Adapter(), sources)
    assert exc.location == "caselist.csv"
    assert "caselist.csv is not a 903 table" in exc.reason


def test_903_national_header_without_names_is_rejected() -> None:
    national = table("header.csv", ",".join(HEADER), "NCC1,2,14/03/2011,WWEL,,,")
    exc = rejection(parse, Ssda903Adapter(), [national])
    assert "FORENAME, SURNAME" in exc.reason
    assert "Hafan 903 extract" in exc.reason


def test_903_table_lacking_columns_is_rejected() -> None:
    episodes = table("episodes.csv", "CHILD,DECOM,LS,PLACE", "NCC1,01/01/2026,C2,U4")
    exc = rejection(parse, Ssda903Adapter(), [table("header.csv", HEADER_LINE, SIAN), episodes])
    assert exc.location == "episodes.csv line 1"
    assert "903 episodes table but lacks" in exc.reason and "RNE" in exc.reason


def test_903_two_header_tables_are_rejected() -> None:
    exc = rejection(
        parse, Ssda903Adapter(), [table("a.csv", HEADER_LINE, SIAN), table("b.csv", HEADER_LINE, SIAN)]
    )
    assert "Both a.csv and b.csv are the 903 header table" in exc.reason


def test_903_truncated_table_is_rejected() -> None:
    truncated = table("missing.csv", MISSING_LINE, 'NCC1,14/03/2011,M,"01/10/2026,')
    exc = rejection(parse, Ssda903Adapter(), [table("header.csv", HEADER_LINE, SIAN), truncated])
    assert "CSV structure is broken" in exc.reason
    assert exc.location.startswith("missing.csv")


def test_903_no_files_rejected() -> None:
    assert "at least the header table" in rejection(parse, Ssda903Adapter(), []).reason


# caselist


def test_caselist_records() -> None:
    items = caselist()
    assert errors(items) == []
    assert [r.local_id for r in records(items)] == [f"P10421{n}" for n in range(1, 8)]


def test_caselist_full_record() -> None:
    assert by_id(caselist())["P104211"] == IngestRecord(
        location="caselist.csv line 2",
        system="WCCIS case list",
        local_id="P104211",
        person=PersonDetails(
            given_name="Gwenllïan",
            family_name="Morgan",
            date_of_birth=day(27, 6, 2010),
            sex="female",
            other_names="Gwen",
            address="3 Maes yr Haf, Llanrumney",
            postcode="CF3 4RT",
            nhs_number="9995537192",
        ),
        recorded_on=day(14, 11, 2026),
        facts=(
            FactIn("looked_after", "Looked after: Interim care order"),  # category defaulted
            FactIn("looked_after", "Placement: Foster care"),  # "Foster" -> U4 -> foster_care
        ),
    )


def test_caselist_facts_and_value_maps() -> None:
    found = by_id(caselist())
    assert found["P104212"].person.given_name == "Llŷr"
    assert found["P104212"].facts == ()  # "No" is not in the CP Plan's `when`
    assert found["P104214"].facts == (FactIn("child_protection", "Child protection plan"),)
    assert found["P104215"].facts == (FactIn("child_protection", "Child protection plan"),)  # "Y"
    assert found["P104215"].person.other_names == "Molly, Mal"  # "Molly;Mal": stored comma-separated
    assert found["P104213"].facts[1] == FactIn("looked_after", "Placement: Children's home")
    jac = found["P104216"]
    assert jac.person.sex == "unknown"  # "Not Known" via [values.sex]
    assert jac.person.family_name == "O'Neill"
    assert jac.person.address == "Flat 5, Tŷ Glas"
    assert jac.recorded_on == TODAY  # blank Last Updated
    assert found["P104217"].facts == (
        FactIn("child_protection", "Child protection plan"),
        FactIn("looked_after", "Looked after: Accommodated with agreement (section 76)"),
        FactIn("looked_after", "Placement: Foster care with relatives or friends"),
    )


def test_caselist_errors_fixture() -> None:
    items = caselist("caselist_errors.csv")
    assert [r.local_id for r in records(items)] == ["P204301", "P204307"]
    assert errors(items) == [
        ("caselist_errors.csv line 3", "Person ID"),  # duplicate
        ("caselist_errors.csv line 4", "DOB"),  # required in a case list
        ("caselist_errors.csv line 5", "Gender"),
        ("caselist_errors.csv line 5", "NHS No"),
        ("caselist_errors.csv line 6", "Postcode"),
        ("caselist_errors.csv line 6", "LAC Legal Status"),
        ("caselist_errors.csv line 6", "Placement Type"),
        ("caselist_errors.csv line 7", "Forename"),  # a formula
        ("caselist_errors.csv line 7", "Last Updated"),  # in the future
        ("caselist_errors.csv line 8", ""),
    ]
    duplicate = next(i for i in items if isinstance(i, RowError))
    assert duplicate.reason == "id P204301 already appears on line 2"


@pytest.mark.parametrize(
    ("field", "expected"),
    [("given_name", "given_name"), ("family_name", "family_name"), ("date_of_birth", "date_of_birth")],
)
def test_caselist_mapping_must_map_names_and_date_of_birth(field: str, expected: str) -> None:
    mapping = copy.deepcopy(CASELIST_MAPPING)
    del mapping["columns"][field]
    exc = rejection(caselist, mapping=mapping)
    assert exc.reason == f"The caselist mapping must map {expected} in [columns]."


def test_caselist_mapped_column_missing_from_the_csv() -> None:
    mapping = copy.deepcopy(CASELIST_MAPPING)
    mapping["columns"]["upn"] = "UPN"
    exc = rejection(caselist, mapping=mapping)
    assert exc.location == "caselist.csv line 1"
    assert "lacks the column(s) UPN" in exc.reason


# generic


def test_generic_records() -> None:
    items = generic()
    assert errors(items) == []
    assert [r.local_id for r in records(items)] == [f"YJ-010{n}" for n in range(1, 7)]


def test_generic_full_record() -> None:
    assert by_id(generic())["YJ-0101"] == IngestRecord(
        location="people.csv line 2",
        system="Gwent Youth Justice Service",
        local_id="YJ-0101",
        person=PersonDetails(
            given_name="Siân",
            family_name="Pritchard",
            date_of_birth=day(14, 3, 2011),
            sex="female",
            address="12 Heol y Wern, Maesglas",
            postcode="NP20 3QT",
            nhs_number="9990914532",
            upn="L678877714455",
        ),
        recorded_on=day(20, 11, 2026),
        ethnicity="white",
        phone="07700900101",
        facts=(
            FactIn(
                "exploitation", "Youth justice worker recorded an exploitation concern", day(30, 10, 2026)
            ),
            FactIn("health_need", "Health needs: Asthma (inhaler)"),
            FactIn("place", "Known to spend time at Newport bus station"),
        ),
    )


def test_generic_fields_codes_and_defaults() -> None:
    found = by_id(generic())
    llyr = found["YJ-0102"]
    assert (llyr.person.given_name, llyr.person.other_names, llyr.person.sex) == ("Llŷr", "Lee", "male")
    assert (llyr.email, llyr.person.nhs_number, llyr.facts) == ("llyr.evans@example.com", "9996538281", ())
    assert found["YJ-0103"].ethnicity == "mixed"  # value map straight to a Hafan value
    assert found["YJ-0104"].ethnicity == "black"  # value map to a DfE code, then the code book
    assert found["YJ-0104"].phone == "+447700900104"
    eleri = found["YJ-0105"]
    assert (eleri.person.sex, eleri.ethnicity, eleri.recorded_on) == (
        "female",
        "not_stated",
        TODAY,
    )  # "F" code
    rhodri = found["YJ-0106"]
    assert (rhodri.person.sex, rhodri.ethnicity, rhodri.person.address) == (
        "unknown",
        "",
        "41 Ffordd Tŷ Gwyn",
    )


def test_generic_errors_fixture() -> None:
    items = generic("people_errors.csv")
    assert [r.local_id for r in records(items)] == ["YJ-0401", "YJ-0406"]
    assert errors(items) == [
        ("people_errors.csv line 3", "First name"),
        ("people_errors.csv line 3", "Date of birth"),
        ("people_errors.csv line 4", "Sex"),
        ("people_errors.csv line 4", "Postcode"),
        ("people_errors.csv line 4", "NHS number"),
        ("people_errors.csv line 4", "UPN"),
        ("people_errors.csv line 4", "Mobile"),
        ("people_errors.csv line 4", "Email"),
        ("people_errors.csv line 4", "Ethnicity"),
        ("people_errors.csv line 5", "Ref"),  # YJ-0401 again
        ("people_errors.csv line 6", "Ref"),  # blank
        ("people_errors.csv line 7", "Concern date"),  # in the future
        ("people_errors.csv line 7", "Health needs"),  # a formula
        ("people_errors.csv line 8", ""),
    ]
    reasons = [e.reason for e in items if isinstance(e, RowError)]
    assert reasons[1] == "is not a date in the form YYYY-MM-DD or DD/MM/YYYY"
    assert reasons[9] == "id YJ-0401 already appears on line 2"


def test_generic_welsh_names_survive_windows_1252_and_crlf() -> None:
    source = Source.from_path(str(GENERIC / "people_cp1252.csv"))
    assert detect_encoding(source) == "cp1252"
    assert b"\r\n" in (GENERIC / "people_cp1252.csv").read_bytes()
    found = by_id(generic("people_cp1252.csv"))
    assert found["YJ-0201"].person.given_name == "Siân"
    assert found["YJ-0201"].person.address == "6 Lôn y Parc, Caerleon"
    assert found["YJ-0202"].person.given_name == "Gwenllïan"
    assert found["YJ-0202"].person.address == "1 Heol Siôn"
    assert found["YJ-0202"].person.date_of_birth == day(29, 2, 2012)
    assert found["YJ-0201"].facts[0].recorded_on == day(1, 11, 2026)  # the mapping's second date format
    assert found["YJ-0203"].person.family_name == "Llywelyn"  # no stray \r


def test_generic_welsh_names_survive_a_byte_order_mark() -> None:
    items = generic("people_bom.csv")
    assert errors(items) == []  # the first column is "Ref", not "\ufeffRef"
    found = by_id(items)
    assert found["YJ-0301"].person.given_name == "Llŷr"
    assert found["YJ-0302"].person.given_name == "Siân"
    assert found["YJ-0302"].person.address == "2 Tŷ Newydd Close"


def test_generic_changed_file_changes_one_record_and_drops_one() -> None:
    before = {k: r.content_hash() for k, r in by_id(generic()).items()}
    after = {k: r.content_hash() for k, r in by_id(generic("people_changed.csv")).items()}
    assert set(before) - set(after) == {"YJ-0105"}
    assert set(after) <= set(before)
    assert [k for k in after if after[k] != before[k]] == ["YJ-0102"]


def test_generic_other_delimiter() -> None:
    mapping = copy.deepcopy(GENERIC_MAPPING)
    mapping["source"]["delimiter"] = ";"
    text = (GENERIC / "people.csv").read_text(encoding="utf-8").splitlines()[:2]
    header = text[0].replace(",", ";")
    row = "YJ-9;Nia;Okafor;;2009-11-08;Girl;21 Stryd y Felin;NP20 5AB;;;;;;;;;;"
    items = generic_bytes(f"{header}\n{row}\n".encode(), mapping)
    assert [r.person.given_name for r in records(items)] == ["Nia"]


def test_generic_bad_mapping_file_is_rejected() -> None:
    exc = rejection(generic, mapping=load_mapping(GENERIC / "bad_mapping.toml"))
    assert exc.location == "mapping"
    assert "unknown Hafan field(s) middle_name" in exc.reason


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    mapping = copy.deepcopy(GENERIC_MAPPING)
    target = mapping
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return mapping


def _with(change: dict[str, Any], *path: str | int) -> dict[str, Any]:
    mapping = copy.deepcopy(GENERIC_MAPPING)
    target: Any = mapping
    for key in path:
        target = target[key]
    target.update(change)
    return mapping


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        (_without(("source",)), "no [source] table"),
        (_without(("source", "system")), "needs system"),
        (_without(("source", "id_column")), "needs id_column"),
        (_without(("columns", "given_name")), "must map given_name"),
        (_without(("columns", "family_name")), "must map family_name"),
        (_with({"colour": "x"}), "unknown key(s) colour"),
        (_with({"encoding": "latin-1"}, "source"), "unknown key(s) encoding"),
        (_with({"delimiter": ";;"}, "source"), "delimiter must be one character"),
        (_with({"date_formats": ["DD/MM/YYYY"]}, "source"), "has no % directives"),
        (_with({"date_formats": ["%d/%Q"]}, "source"), "is not valid"),
        (_with({"given_name": 3}, "columns"), "given_name must be a non-empty string"),
        (_with({"category": "gossip"}, "facts", 0), "unknown category 'gossip'"),
        (_with({"vocabulary": "star_sign"}, "facts", 0), "unknown vocabulary 'star_sign'"),
        (_with({"colour": "x"}, "facts", 0), "[[facts]] entry 1 has unknown key(s) colour"),
        (_with({"values": {"Yes": "C2"}}, "facts", 0), "has values but no vocabulary"),
        (_without(("facts", 1, "category")), "[[facts]] entry 2 needs category"),
        (_with({"facts": {"column": "x"}}), "must be [[facts]] tables"),
        (_with({"upn": {"x": "y"}}, "values"), "[values.upn] is not allowed"),
        (_without(("columns", "sex")), "maps no column to sex"),
        (None, "needs a mapping file"),
    ],
)
def test_generic_mapping_checks(mapping: dict[str, Any] | None, reason: str) -> None:
    with pytest.raises(FileRejected) as caught:
        list(GenericCsvAdapter().parse(paths(GENERIC / "people.csv"), context(mapping)))
    assert reason in caught.value.reason


def test_generic_mapped_column_missing_from_the_csv() -> None:
    mapping = _with({"email": "E-mail address"}, "columns")
    exc = rejection(generic, mapping=mapping)
    assert (exc.location, exc.reason) == (
        "people.csv line 1",
        "The header row lacks the column(s) E-mail address.",
    )


def test_generic_truncated_csv_is_rejected() -> None:
    header = (GENERIC / "people.csv").read_text(encoding="utf-8").splitlines()[0]
    exc = rejection(generic_bytes, f'{header}\nYJ-1,"Siân,Pritchard\n'.encode())
    assert "CSV structure is broken" in exc.reason


def test_generic_takes_one_file() -> None:
    exc = rejection(
        parse, GenericCsvAdapter(), paths(GENERIC / "people.csv", GENERIC / "people_bom.csv"), GENERIC_MAPPING
    )
    assert "exactly one CSV file" in exc.reason


def test_compiled_plan_lists_every_mapped_column_once() -> None:
    plan = compile_mapping(GENERIC_MAPPING, format_label="generic")
    assert plan.required_columns()[:3] == ("Ref", "First name", "Last name")
    assert "Concern date" in plan.required_columns()
    assert len(plan.required_columns()) == len(set(plan.required_columns())) == 18


# Fuzzing: whatever arrives, the adapters answer with records, row errors or FileRejected.

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GENERIC_HEADER = (GENERIC / "people.csv").read_text(encoding="utf-8").splitlines()[0]
CASELIST_HEADER = (CASELIST / "caselist.csv").read_text(encoding="utf-8").splitlines()[0]


def survives(adapter: Any, sources: list[Source], mapping: dict[str, Any] | None = None) -> None:
    try:
        items = parse(adapter, sources, mapping)
    except FileRejected:
        return
    for item in items:
        assert isinstance(item, IngestRecord | RowError)
        if isinstance(item, IngestRecord):
            item.content_hash()


def fuzz_bytes(lines: list[str], header: str) -> bytes:
    return "\n".join([header, *lines]).encode("utf-8", "surrogatepass")


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_903_arbitrary_bytes(data: bytes) -> None:
    survives(Ssda903Adapter(), [Source.from_bytes("fuzz.csv", data)])


@FUZZ
@given(
    st.lists(st.text(max_size=120), max_size=6),
    st.lists(st.text(max_size=120), max_size=6),
    st.lists(st.text(max_size=120), max_size=6),
)
def test_fuzz_903_rows_under_valid_headers(
    header: list[str], episodes: list[str], missing: list[str]
) -> None:
    sources = [
        Source.from_bytes("header.csv", fuzz_bytes([SIAN, *header], HEADER_LINE)),
        Source.from_bytes(
            "episodes.csv", fuzz_bytes(["NCC1,01/01/2026,S,C2,N1,U4,PR1,,,,,,", *episodes], EPISODES_LINE)
        ),
        Source.from_bytes(
            "missing.csv", fuzz_bytes(["NCC1,14/03/2011,M,01/10/2026,", *missing], MISSING_LINE)
        ),
    ]
    survives(Ssda903Adapter(), sources)


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_caselist_arbitrary_bytes(data: bytes) -> None:
    survives(CaseListAdapter(), [Source.from_bytes("fuzz.csv", data)], CASELIST_MAPPING)


@FUZZ
@given(st.lists(st.text(max_size=200), max_size=8))
def test_fuzz_caselist_rows_under_a_valid_header(lines: list[str]) -> None:
    survives(
        CaseListAdapter(),
        [Source.from_bytes("fuzz.csv", fuzz_bytes(lines, CASELIST_HEADER))],
        CASELIST_MAPPING,
    )


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_generic_arbitrary_bytes(data: bytes) -> None:
    survives(GenericCsvAdapter(), [Source.from_bytes("fuzz.csv", data)], GENERIC_MAPPING)


@FUZZ
@given(st.lists(st.text(max_size=200), max_size=8))
def test_fuzz_generic_rows_under_a_valid_header(lines: list[str]) -> None:
    survives(
        GenericCsvAdapter(),
        [Source.from_bytes("fuzz.csv", fuzz_bytes(lines, GENERIC_HEADER))],
        GENERIC_MAPPING,
    )


@FUZZ
@given(
    st.lists(
        st.lists(
            st.sampled_from(["", "Yes", "C2", "U4", "2011-03-14", "14/03/2011", "=1+1", "Siân", "x,y"]),
            min_size=18,
            max_size=18,
        ),
        max_size=6,
    )
)
def test_fuzz_generic_plausible_cells(rows: list[list[str]]) -> None:
    lines = [",".join(f'"{c}"' for c in row) for row in rows]
    survives(
        GenericCsvAdapter(),
        [Source.from_bytes("fuzz.csv", fuzz_bytes(lines, GENERIC_HEADER))],
        GENERIC_MAPPING,
    )


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(["source", "columns", "values", "facts", "x"]), json_like, max_size=4))
def test_fuzz_mapping_shapes(changes: dict[str, Any]) -> None:
    """Whatever a mapping holds (within TOML's types), it is compiled or rejected with a reason."""
    mapping = copy.deepcopy(GENERIC_MAPPING)
    mapping.update({k: v for k, v in changes.items() if v is not None})
    survives(GenericCsvAdapter(), paths(GENERIC / "people.csv"), mapping)


@pytest.mark.parametrize(
    "adapter", [Ssda903Adapter(), CaseListAdapter(), GenericCsvAdapter()], ids=lambda a: a.format
)
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02",
        b"\xff\xfe" + "Ref,First name\n".encode("utf-16-le") + b"\x00\xd8",
        b"\x81\x8d\x8f",
    ],
    ids=["empty", "nul", "broken-utf16", "neither-utf8-nor-1252"],
)
def test_unreadable_files_are_rejected(adapter: Any, data: bytes) -> None:
    mapping = {"caselist": CASELIST_MAPPING, "generic": GENERIC_MAPPING}.get(adapter.format)
    exc = rejection(parse, adapter, [Source.from_bytes("upload.csv", data)], mapping)
    assert exc.location.startswith("upload.csv")
