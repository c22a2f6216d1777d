"""Health's FHIR R4 Bundles and education's Common Transfer Files: parsing only, no database.

Every fixture holds invented people only (NHS numbers in the 999 test range, UPNs made by
synthetic_upn with Welsh LA codes); tests/fixtures/ingest/ctf/hostile/ holds XML attacks that must be
refused before anything in them is expanded, fetched or read.
"""

from __future__ import annotations

import builtins
import datetime
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hafan.core.vocabulary import FactCategory
from hafan.ingest.adapters import adapter_for
from hafan.ingest.adapters.base import Adapter, ParseContext
from hafan.ingest.adapters.ctf import CtfAdapter
from hafan.ingest.adapters.fhir import FhirBundleAdapter
from hafan.ingest.reading import Source
from hafan.ingest.records import FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import NATIONAL_CODES, PARTNER_CODES, CodeBook, Ethnicity
from hafan.people.models import Sex
from hafan.people.services import PersonDetails

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
TODAY = datetime.date(2026, 11, 26)
HOSTILE = sorted((FIXTURES / "ctf" / "hostile").glob("*.xml"))
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

D = datetime.date
H = FactCategory.HEALTH_NEED
A = FactCategory.ATTENDANCE


def context(agency: str) -> ParseContext:
    mapping = {(vocab, code): value for vocab, code, value in (*NATIONAL_CODES, *PARTNER_CODES["ABUHB"])}
    return ParseContext(agency_code=agency, codes=CodeBook(mapping), today=TODAY)


def parse(adapter: Adapter, source: Source, agency: str) -> tuple[list[IngestRecord], list[RowError]]:
    records: list[IngestRecord] = []
    errors: list[RowError] = []
    for item in adapter.parse([source], context(agency)):
        if isinstance(item, IngestRecord):
            records.append(item)
        else:
            assert isinstance(item, RowError)
            errors.append(item)
    return records, errors


def fhir(name: str) -> tuple[list[IngestRecord], list[RowError]]:
    return parse(FhirBundleAdapter(), Source.from_path(str(FIXTURES / "fhir" / name)), "ABUHB")


def ctf(name: str) -> tuple[list[IngestRecord], list[RowError]]:
    return parse(CtfAdapter(), Source.from_path(str(FIXTURES / "ctf" / name)), "NCC")


def fhir_bytes(document: Any) -> tuple[list[IngestRecord], list[RowError]]:
    data = json.dumps(document).encode() if not isinstance(document, bytes) else document
    return parse(FhirBundleAdapter(), Source.from_bytes("test.json", data), "ABUHB")


def ctf_bytes(data: bytes) -> tuple[list[IngestRecord], list[RowError]]:
    return parse(CtfAdapter(), Source.from_bytes("test.xml", data), "NCC")


def test_the_registry_finds_both_adapters() -> None:
    assert isinstance(adapter_for("fhir"), FhirBundleAdapter)
    assert isinstance(adapter_for("ctf"), CtfAdapter)
    assert FhirBundleAdapter.SYSTEM == "WPAS"
    assert CtfAdapter.SYSTEM == "CTF"


# FHIR ------------------------------------------------------------------------------------------------------


def wpas(
    location: str, local_id: str, person: PersonDetails, recorded_on: datetime.date, **kw: Any
) -> IngestRecord:
    return IngestRecord(
        location=location, system="WPAS", local_id=local_id, person=person, recorded_on=recorded_on, **kw
    )


def test_fhir_bundle_gives_one_record_per_patient_with_attendances_and_flags() -> None:
    records, errors = fhir("bundle.json")
    assert errors == []
    assert records == [
        wpas(
            "Bundle.entry[0]",
            "D100201",
            PersonDetails(
                given_name="Siân",
                family_name="Pritchard",
                date_of_birth=D(2011, 4, 17),
                sex=Sex.FEMALE,
                other_names="Sian Pritchard",
                address="14 Heol y Dderwen, Cwmbrân",
                postcode="NP44 3AB",
                nhs_number="9997709144",
            ),
            D(2026, 11, 20),
            phone="07700900123",
            email="sian.pritchard@example.org",
            facts=(
                FactIn(H, "Emergency department attendance 03/10/2026: Alcohol intoxication", D(2026, 10, 3)),
                FactIn(
                    FactCategory.EXPLOITATION,
                    "Safeguarding flag: Child sexual exploitation risk",
                    D(2026, 6, 1),
                ),
            ),
        ),
        wpas(
            "Bundle.entry[3]",
            "D100245",
            PersonDetails(
                given_name="Llŷr",
                family_name="Bowen",
                date_of_birth=D(2010, 9, 2),
                sex=Sex.MALE,
                other_names="Llyr Bowen",
                address="Flat 3, 27 Ffordd y Bont, Newport",  # the home address, not the old one
                postcode="NP20 4AB",
                nhs_number="9995341654",
            ),
            TODAY,  # no meta.lastUpdated
            facts=(
                # class AMB but typed as an emergency-department visit (SNOMED 4525004)
                FactIn(H, "Emergency department attendance 14/08/2026: Laceration of hand", D(2026, 8, 14)),
                # 23:30 UTC on 30 September is 00:30 on 1 October in the UK
                FactIn(H, "Emergency department attendance 01/10/2026", D(2026, 10, 1)),
                FactIn(
                    FactCategory.CHILD_PROTECTION, "Safeguarding flag: Child protection plan (Newport)", None
                ),
            ),
        ),
        wpas(  # an inactive flag, a lapsed flag and an outpatient visit: no facts
            "Bundle.entry[8]",
            "D100311",
            PersonDetails(
                given_name="Gwenllïan",
                family_name="Rees-Morgan",
                date_of_birth=D(2012, 1, 30),
                sex=Sex.FEMALE,
                address="8 Maes yr Onnen, Pontypool",
                postcode="NP4 6TQ",
                nhs_number="9993828963",
            ),
            D(2026, 11, 25),
        ),
        wpas(  # no local identifier: Patient.id; referred to by its urn:uuid fullUrl, once before it appears
            "Bundle.entry[12]",
            "pat-1004",
            PersonDetails(
                given_name="Tomos",
                family_name="Hughes",
                date_of_birth=D(2009, 11, 11),
                sex=Sex.MALE,
                address="45 Rhodfa'r Dderwen, Blaenavon",
                postcode="NP4 9RL",
                nhs_number="9999315968",
            ),
            D(2026, 11, 2),
            facts=(
                FactIn(H, "Emergency department attendance 19/07/2026: Self-harm", D(2026, 7, 19)),
                FactIn(H, "Safeguarding flag: Mental health concern", D(2026, 2, 10)),
            ),
        ),
        wpas(
            "Bundle.entry[14]",
            "D100502",
            PersonDetails(
                given_name="Ffion",
                family_name="Ahmed",
                date_of_birth=D(2013, 6, 5),
                sex=Sex.FEMALE,
                other_names="Ffi",
                address="3 Lôn Isaf, Newport",
                postcode="NP19 7HG",
            ),
            TODAY,
            phone="+447700900456",
            email="ffion.ahmed@example.org",
        ),
    ]


def test_fhir_errors_are_reported_per_entry_and_a_patient_with_any_failing_entry_gets_no_record() -> None:
    records, errors = fhir("bundle_errors.json")
    assert [(r.location, r.local_id, r.person.given_name) for r in records] == [
        ("Bundle.entry[0]", "D200101", "Cerys")
    ]
    assert [(e.location, e.field, e.value) for e in errors] == [
        ("Bundle.entry[1]", "birthDate", "2012-13-40"),
        ("Bundle.entry[2]", "identifier[1].value", "9997709145"),
        ("Bundle.entry[3]", "resource", ""),
        ("Bundle.entry[4]", "code.coding[0].code", "XYZ"),
        ("Bundle.entry[5]", "subject.reference", "Patient/nobody"),
    ]
    reasons = [e.reason for e in errors]
    assert reasons[0].startswith("is not valid in a FHIR R4 Patient: ")
    assert reasons[1] == "is not a valid NHS number (10 digits with a check digit)"
    assert reasons[2] == "the patient is not imported because Bundle.entry[4] about them has errors"
    assert reasons[3].startswith("code 'XYZ' has no mapping in the flag_code vocabulary for ABUHB")
    assert reasons[4] == "refers to a patient who is not in this bundle"


def test_fhir_file_level_problems_reject_the_file() -> None:
    with pytest.raises(FileRejected, match="not a FHIR Bundle"):
        fhir("not_a_bundle.json")
    with pytest.raises(FileRejected, match="malformed") as caught:
        fhir("truncated.json")
    assert caught.value.location.startswith("truncated.json line ")
    with pytest.raises(FileRejected, match="type is 'document'"):
        fhir_bytes({"resourceType": "Bundle", "type": "document", "entry": []})
    with pytest.raises(FileRejected, match=r"Bundle\.entry is not a list"):
        fhir_bytes({"resourceType": "Bundle", "type": "collection", "entry": {}})
    with pytest.raises(FileRejected, match="repeats the key"):
        fhir_bytes(b'{"resourceType": "Bundle", "type": "collection", "type": "batch"}')
    with pytest.raises(FileRejected):  # a UTF-16 byte-order mark and then an odd number of bytes
        fhir_bytes(b"\xff\xfe{\x00}")


def patient(pid: str, **extra: Any) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Patient",
            "id": pid,
            "name": [{"use": "official", "given": ["Nia"], "family": "Hopkins"}],
            **extra,
        }
    }


def bundle(*entries: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": list(entries)}


def test_fhir_row_checks() -> None:
    emergency_without_start = {
        "resource": {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"code": "EMER"},
            "subject": {"reference": "Patient/p2"},
        }
    }
    records, errors = fhir_bytes(
        bundle(
            patient("p1", birthDate="2012"),  # a partial date
            patient("p2"),
            emergency_without_start,
            patient("p3", gender="both"),  # valid FHIR code syntax, not in the sex vocabulary
            {"resource": {"resourceType": "Patient", "name": [{"given": ["Nia"], "family": "Hopkins"}]}},
            {"resource": {"resourceType": "Patient", "id": "p5"}},  # no name
            {"resource": "not an object"},
            {"fullUrl": "urn:uuid:1", "request": {"method": "DELETE"}},  # no resource: ignored
            {
                "resource": {
                    "resourceType": "Flag",
                    "status": "active",
                    "code": {"coding": [{"code": "CPP"}]},
                    "subject": {"display": "Nia Hopkins"},  # no reference
                }
            },
        )
    )
    assert records == []
    assert [(e.location, e.field) for e in errors] == [
        ("Bundle.entry[0]", "birthDate"),
        ("Bundle.entry[1]", "resource"),
        ("Bundle.entry[2]", "period.start"),
        ("Bundle.entry[3]", "gender"),
        ("Bundle.entry[4]", "identifier"),
        ("Bundle.entry[5]", "name"),
        ("Bundle.entry[6]", "resource"),
        ("Bundle.entry[8]", "subject.reference"),
    ]
    assert errors[0].reason == "is not a date in the form YYYY-MM-DD"
    assert errors[7].reason == "is required"


def test_fhir_patients_sharing_an_id_are_both_refused() -> None:
    records, errors = fhir_bytes(bundle(patient("same"), patient("same")))
    assert records == []
    assert [(e.location, e.field, e.reason) for e in errors] == [
        ("Bundle.entry[0]", "id", "is the same as Bundle.entry[1]'s: references to it are ambiguous"),
        ("Bundle.entry[1]", "id", "is the same as Bundle.entry[0]'s: references to it are ambiguous"),
    ]


def test_fhir_future_dates_and_spreadsheet_formulas_are_refused() -> None:
    records, errors = fhir_bytes(
        bundle(
            patient("p1", birthDate="2027-01-01"),
            patient("p2", identifier=[{"system": "https://example.org/id", "value": "=HYPERLINK(1)"}]),
        )
    )
    assert records == []
    assert [(e.location, e.field, e.reason) for e in errors] == [
        ("Bundle.entry[0]", "birthDate", "is in the future"),
        (
            "Bundle.entry[1]",
            "identifier[0].value",
            "looks like a spreadsheet formula (CSV injection); refused",
        ),
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
resource_types = st.sampled_from(["Patient", "Encounter", "Flag", "Observation"])
fhir_keys = st.sampled_from(
    [
        "id",
        "name",
        "birthDate",
        "gender",
        "identifier",
        "subject",
        "status",
        "class",
        "code",
        "period",
        "meta",
    ]
)


@st.composite
def fuzzed_entries(draw: st.DrawFn) -> dict[str, Any]:
    resource = {
        "resourceType": draw(resource_types),
        **draw(st.dictionaries(fhir_keys, json_values, max_size=6)),
    }
    return {"fullUrl": draw(st.text(max_size=10)), "resource": resource}


def rejected_or_parsed(run: Any, data: Any) -> None:
    try:
        records, errors = run(data)
    except FileRejected:
        return
    assert all(isinstance(r, IngestRecord) for r in records)
    assert all(isinstance(e, RowError) for e in errors)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_fhir_any_bytes_give_records_errors_or_a_rejection(data: bytes) -> None:
    rejected_or_parsed(fhir_bytes, data)


@FUZZ
@given(entries=st.lists(fuzzed_entries() | json_values, max_size=6))
def test_fhir_any_entries_give_records_errors_or_a_rejection(entries: list[Any]) -> None:
    rejected_or_parsed(fhir_bytes, bundle(*entries))


# CTF -------------------------------------------------------------------------------------------------------

SCHOOL = FactIn(FactCategory.SCHOOL, "On roll at Ysgol Gyfun Cwm Derwen (LA 680 establishment 4061)")
CTF_DAY = D(2026, 7, 17)


def pupil(
    number: int, upn: str, person: PersonDetails, ethnicity: str, *facts: FactIn, **kw: Any
) -> IngestRecord:
    return IngestRecord(
        location=f"CTfile/CTFpupilData/Pupil[{number}]",
        system="CTF",
        local_id=upn,
        person=person,
        recorded_on=kw.pop("recorded_on", CTF_DAY),
        ethnicity=ethnicity,
        facts=facts,
        **kw,
    )


def test_ctf_gives_one_record_per_pupil_with_school_care_attendance_and_exclusions() -> None:
    records, errors = ctf("pupils.xml")
    assert errors == []
    assert records == [
        pupil(
            1,
            "V678322816608",
            PersonDetails(
                given_name="Siân",
                family_name="Pritchard",
                date_of_birth=D(2011, 4, 17),
                sex=Sex.FEMALE,
                address="14 Heol y Dderwen, Cwmbrân",
                postcode="NP44 3AB",
                upn="V678322816608",
            ),
            Ethnicity.WHITE,
            SCHOOL,
            FactIn(FactCategory.LOOKED_AFTER, "Looked after (school record; care authority LA 680)"),
            FactIn(A, "Attendance 2024/25: 93.6% (9 unauthorised sessions of 330)"),
            FactIn(A, "Attendance 2025/26: 82.4% (35 unauthorised sessions of 312)"),
            FactIn(A, "Fixed-term exclusion from 03/02/2026 (reason VP, 4 sessions)", D(2026, 2, 3)),
            phone="01633000111",
        ),
        pupil(
            2,
            "G679165615545",
            PersonDetails(
                given_name="Llŷr",
                family_name="Bowen",
                date_of_birth=D(2010, 9, 2),
                sex=Sex.MALE,
                address="Flat 3, 27 Ffordd y Bont, Newport",
                postcode="NP20 4AB",
                upn="G679165615545",
            ),
            Ethnicity.WHITE,
            SCHOOL,
            FactIn(A, "Attendance 2025/26: 74.1% (61 unauthorised sessions of 290)"),
            FactIn(A, "Permanent exclusion from 11/05/2026 (reason PP)", D(2026, 5, 11)),
        ),
        pupil(
            3,
            "Q678429417555",
            PersonDetails(
                given_name="Gwenllïan",
                family_name="Rees-Morgan",
                date_of_birth=D(2012, 1, 30),
                sex=Sex.FEMALE,
                other_names="Gwen Rees-Morgan, Morgan",
                address="8 Maes yr Onnen, Pontypool",
                postcode="NP4 6TQ",
                upn="Q678429417555",
            ),
            Ethnicity.MIXED,
            SCHOOL,
            FactIn(A, "Attendance 2025/26: 98.7% (0 unauthorised sessions of 316)"),
        ),
        pupil(  # <Gender> (older schemas) rather than <Sex>
            4,
            "J679237414430",
            PersonDetails(
                given_name="Osian",
                family_name="Price",
                date_of_birth=D(2009, 12, 5),
                sex=Sex.MALE,
                upn="J679237414430",
            ),
            Ethnicity.NOT_STATED,
            SCHOOL,
            FactIn(A, "Lunchtime exclusion from 20/11/2025 (reason DA, 1 session)", D(2025, 11, 20)),
        ),
        pupil(
            5,
            "K678556818715",
            PersonDetails(
                given_name="Maya",
                family_name="Okafor",
                date_of_birth=D(2013, 3, 22),
                sex=Sex.FEMALE,
                address="Tŷ Gwyn, Lôn Isaf, Llanfrechfa, Cwmbrân",
                postcode="NP44 8HT",
                upn="K678556818715",
            ),
            Ethnicity.BLACK,
            SCHOOL,
            email="maya.okafor@example.org",
        ),
    ]


def test_ctf_windows_1252_declaration_is_honoured() -> None:
    raw = (FIXTURES / "ctf" / "pupils_cp1252.xml").read_bytes()
    assert "Siân".encode("cp1252") in raw and "Siân".encode() not in raw  # really Windows-1252 on disk
    records, errors = ctf("pupils_cp1252.xml")
    assert errors == []
    assert [(r.person.given_name, r.person.family_name, r.person.other_names) for r in records] == [
        ("Siân", "Watkins", ""),
        ("Gwenllïan", "Morgan", "Gwen Morgan"),
        ("Llŷr", "Prosser", ""),  # ŷ is not in Windows-1252: a character reference
    ]
    assert records[0].person.address == "5 Heol Tâf, Abergavenny"
    assert records[0].recorded_on == D(2026, 7, 20)
    assert records[0].facts == (
        FactIn(FactCategory.SCHOOL, "On roll at Ysgol Gynradd Gymraeg Bryn Derw (LA 679 establishment 2217)"),
    )


def test_ctf_errors_name_the_pupil_and_the_element() -> None:
    records, errors = ctf("pupils_errors.xml")
    assert [(r.location, r.local_id) for r in records] == [("CTfile/CTFpupilData/Pupil[1]", "A678628316407")]
    pupil_path = "CTfile/CTFpupilData/Pupil"
    assert [(e.location.removeprefix(pupil_path), e.field, e.value) for e in errors] == [
        ("[2]", "UPN", "G679269313272"),
        ("[2]", "DOB", "17/04/2011"),
        ("[3]", "Surname", ""),
        ("[3]", "Sex", "X"),
        ("[3]", "BasicDetails/Ethnicity", "ZZZZ"),
        ("[4]", "Attendance/YearData[1]/SessionsPossible", "0"),
        ("[4]", "Exclusions/Exclusion[1]/Category", "SUSP"),
        ("[5]", "UPN", ""),
        ("[5]", "BasicDetails/LookedAfter/InCare", "maybe"),
        ("[6]", "DOB", "2027-01-01"),
        ("[6]", "Attendance/YearData[1]/SessionsPossible", "100"),
    ]
    reasons = {(e.location.removeprefix(pupil_path), e.field): e.reason for e in errors}
    assert reasons["[2]", "UPN"] == "is not a valid unique pupil number (13 characters, check letter)"
    assert reasons["[2]", "DOB"] == "is not a date in the form YYYY-MM-DD"
    assert reasons["[3]", "Surname"] == "is required"
    assert (
        reasons["[4]", "Attendance/YearData[1]/SessionsPossible"]
        == "is 0: no attendance rate can be worked out"
    )
    assert reasons["[5]", "UPN"] == "is required: a pupil is identified by their unique pupil number"
    assert reasons["[6]", "DOB"] == "is in the future"


@pytest.fixture
def no_escape(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """Record (and refuse) every network connection, and record every file opened."""
    seen: dict[str, list[Any]] = {"connect": [], "open": []}
    real_open = builtins.open

    def refuse_connect(self: socket.socket, address: Any) -> None:
        seen["connect"].append(address)
        raise OSError("network refused in tests")

    def recording_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        seen["open"].append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse_connect(None, a))  # type: ignore[arg-type]
    monkeypatch.setattr(builtins, "open", recording_open)
    yield seen


@pytest.mark.parametrize("path", HOSTILE, ids=[p.name for p in HOSTILE])
def test_ctf_hostile_xml_is_rejected_quickly_without_reading_or_fetching_anything(
    path: Path, no_escape: dict[str, list[Any]]
) -> None:
    started = time.perf_counter()
    output: list[Any] = []
    with pytest.raises(FileRejected) as caught:
        output.extend(CtfAdapter().parse([Source.from_path(str(path))], context("NCC")))
    assert time.perf_counter() - started < 1.0
    assert output == []  # rejected before any pupil: each attack sits in or before the first
    text = f"{caught.value} {caught.value.reason} {caught.value.location} {output!r}"
    assert "root:" not in text
    assert no_escape["connect"] == []
    assert all(opened == str(path) for opened in no_escape["open"]), no_escape["open"]
    expected = "malformed" if path.name == "truncated.xml" else "DTD, entities or external references"
    assert expected in caught.value.reason


def test_expected_hostile_fixtures_exist() -> None:
    assert {p.name for p in HOSTILE} == {
        "billion_laughs.xml",
        "quadratic.xml",
        "xxe_file.xml",
        "xxe_http.xml",
        "external_dtd.xml",
        "truncated.xml",
    }


HEADER = (
    "<Header><DocumentName>Common Transfer File</DocumentName><CTFversion>24.0</CTFversion>"
    "<DateTime>2026-07-17T15:42:10</DateTime><SourceSchool><LEA>680</LEA><Estab>4061</Estab></SourceSchool>"
    "</Header>"
)
PUPIL = (
    "<Pupil><UPN>V678322816608</UPN><Surname>Pritchard</Surname><Forename>Siân</Forename>"
    "<DOB>2011-04-17</DOB><Sex>F</Sex>{extra}</Pupil>"
)


def ctf_document(pupils: str, *, header: str = HEADER, declaration: str = '<?xml version="1.0"?>') -> bytes:
    return f"{declaration}<CTfile>{header}<CTFpupilData>{pupils}</CTFpupilData></CTfile>".encode()


def test_ctf_header_problems_reject_the_file() -> None:
    with pytest.raises(FileRejected, match="no CTF <Header>"):
        ctf_bytes(ctf_document(PUPIL.format(extra=""), header=""))
    with pytest.raises(FileRejected, match="DocumentName is not 'Common Transfer File'"):
        ctf_bytes(ctf_document("", header=HEADER.replace("Common Transfer File", "School Census")))
    with pytest.raises(FileRejected, match="SourceSchool/LEA is not a three-digit"):
        ctf_bytes(ctf_document("", header=HEADER.replace("<LEA>680</LEA>", "<LEA>68</LEA>")))
    with pytest.raises(FileRejected, match="DateTime is required"):
        ctf_bytes(ctf_document("", header=HEADER.replace("<DateTime>2026-07-17T15:42:10</DateTime>", "")))
    with pytest.raises(FileRejected, match="first 1024 KiB"):  # a header that is not where a header goes
        ctf_bytes(ctf_document(PUPIL.format(extra=""), header="<!--" + "x" * (1 << 20) + "-->" + HEADER))


def test_ctf_encoding_declarations() -> None:
    cp1252 = ctf_document(PUPIL.format(extra="")).decode().encode("cp1252")
    with pytest.raises(FileRejected, match="names no encoding, so the file must be UTF-8"):
        ctf_bytes(cp1252)
    with pytest.raises(FileRejected, match="declares UTF-8 but the file is not UTF-8"):
        ctf_bytes(cp1252.replace(b'version="1.0"', b'version="1.0" encoding="UTF-8"'))
    for odd in ("rot13", "utf-7", "undefined", "cp932"):
        with pytest.raises(FileRejected, match=f"declares the encoding '{odd}'"):
            ctf_bytes(ctf_document("", declaration=f'<?xml version="1.0" encoding="{odd}"?>'))
    latin1 = ctf_document(PUPIL.format(extra=""), declaration='<?xml version="1.0" encoding="ISO-8859-1"?>')
    records, errors = ctf_bytes(latin1.decode().encode("latin-1"))
    assert errors == [] and records[0].person.given_name == "Siân"
    utf16 = ctf_document(PUPIL.format(extra=""), declaration='<?xml version="1.0" encoding="UTF-16"?>')
    records, errors = ctf_bytes(utf16.decode().encode("utf-16"))
    assert errors == [] and records[0].person.given_name == "Siân"


def test_ctf_a_namespace_changes_nothing() -> None:
    data = ctf_document(PUPIL.format(extra="")).replace(b"<CTfile>", b'<CTfile xmlns="urn:example:ctf">')
    records, errors = ctf_bytes(data)
    assert errors == []
    assert [(r.local_id, r.person.given_name, r.recorded_on) for r in records] == [
        ("V678322816608", "Siân", CTF_DAY)
    ]


def test_ctf_huge_attribute_and_deep_nesting_do_not_crash() -> None:
    huge = PUPIL.format(extra=f'<Notes text="{"A" * 5_000_000}"/>')
    deep = PUPIL.format(extra="<Deep>" * 50_000 + "</Deep>" * 50_000)
    for data in (ctf_document(huge), ctf_document(deep)):
        records, errors = ctf_bytes(data)
        assert errors == []
        assert [r.local_id for r in records] == ["V678322816608"]


def test_ctf_long_values_and_formulas_are_row_errors() -> None:
    data = ctf_document(
        PUPIL.replace("Pritchard", "P" * 5000).format(extra="<Email>=cmd|' /C calc'!A0</Email>")
    )
    records, errors = ctf_bytes(data)
    assert records == []
    assert [(e.field, e.reason, e.value) for e in errors] == [
        ("Surname", "is longer than 100 characters", "P" * 200),  # the value shown is cut short
        ("Email", "looks like a spreadsheet formula (CSV injection); refused", "=cmd|' /C calc'!A0"),
    ]


@FUZZ
@given(data=st.binary(max_size=2000))
def test_ctf_any_bytes_give_records_errors_or_a_rejection(data: bytes) -> None:
    rejected_or_parsed(ctf_bytes, data)


xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
pupil_elements = st.sampled_from(
    [
        "UPN",
        "Surname",
        "Forename",
        "DOB",
        "Sex",
        "Gender",
        "BasicDetails/Ethnicity",
        "BasicDetails/LookedAfter/InCare",
        "BasicDetails/PreferredForename",
        "Address/BS7666Address/PAON",
        "Address/PostCode",
        "Attendance/YearData/Year",
        "Attendance/YearData/SessionsPossible",
        "Attendance/YearData/SessionsAuthorised",
        "Attendance/YearData/SessionsUnauthorised",
        "Exclusions/Exclusion/StartDate",
        "Exclusions/Exclusion/Category",
        "Exclusions/Exclusion/Sessions",
    ]
)


def element(path: str, value: str) -> str:
    from xml.sax.saxutils import escape

    names = path.split("/")
    return "".join(f"<{n}>" for n in names) + escape(value) + "".join(f"</{n}>" for n in reversed(names))


@FUZZ
@given(pupils=st.lists(st.lists(st.tuples(pupil_elements, xml_text), max_size=8), max_size=4))
def test_ctf_any_element_values_give_records_or_errors(pupils: list[list[tuple[str, str]]]) -> None:
    body = "".join("<Pupil>" + "".join(element(p, v) for p, v in fields) + "</Pupil>" for fields in pupils)
    records, errors = ctf_bytes(ctf_document(body))
    assert len(records) <= len(pupils)
    assert all(e.location.startswith("CTfile/CTFpupilData/Pupil[") for e in errors)
