"""Hostile and malformed agency files, end to end through `import_run` (reliability.md tests 17 and 18).

Each file in the corpus (tests/fixtures/ingest/hostile/, plus ctf/hostile/ and the big files made here at
run time) is refused as a whole: the run is recorded as rejected with a reason a data manager can act
on, it is audited, nothing from it is written, it takes under two seconds, no exception escapes and
no network connection is tried. Problems with single rows (ragged rows, spreadsheet formulas, invalid
FHIR resources) are row errors instead: those rows are reported and never written, the rest import.
Files that are unusual but valid (UTF-16 with a byte-order mark, Windows-1252) import, and Welsh text
comes back byte for byte.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from hafan.agencies.models import Agency
from hafan.episodes.models import Episode
from hafan.ingest.models import ImportRun, ImportStatus
from hafan.ingest.reading import (
    ENCODINGS,
    MAX_JSON_DEPTH,
    Source,
    check_size,
    csv_rows,
    detect_encoding,
    iter_xml,
    load_json,
    looks_like_formula,
)
from hafan.ingest.records import FileRejected
from hafan.ingest.services import ImportRequest, code_mappings_seed, error_report_write, import_run
from hafan.ingest.vocabularies import PARTNER_CODES
from hafan.people.models import Child, Fact, SourceRecord, SourceRecordVersion
from hafan.sharing.models import AuditEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
HOSTILE = FIXTURES / "hostile"
GENERIC_MAPPING = (FIXTURES / "generic" / "people.toml").read_text(encoding="utf-8")
POLICE_CSV = FIXTURES / "police" / "occurrences.csv"
SECONDS = 2.0  # reliability.md 17: each hostile file is refused in at most two seconds

# The agency each format is imported for, and the mapping file it needs.
AGENCY = {"police-csv": "GWP", "police-pole": "GWP", "fhir": "ABUHB", "ctf": "NCC", "generic": "TCBC"}
MAPPING = {"generic": GENERIC_MAPPING}


@pytest.fixture
def agencies(partnership: dict[str, Agency]) -> dict[str, Agency]:
    for code, mappings in PARTNER_CODES.items():
        code_mappings_seed(partnership[code], mappings)
    return partnership


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outbound connection tried from Python while the test runs (each one also fails, loudly).

    An observation, not a mock: the code under test runs unchanged. (libpq's own connection to
    PostgreSQL is made in C, outside it; the tests open none.)"""
    tried: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        tried.append(address)
        raise OSError(f"outbound connection to {address!r} refused by the test")

    def refuse_create(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        tried.append(address)
        raise OSError(f"outbound connection to {address!r} refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse_create)
    return tried


def written() -> dict[str, int]:
    """The rows an import writes about children (a rejected file must leave every count at 0)."""
    return {
        "records": SourceRecord.objects.count(),
        "versions": SourceRecordVersion.objects.count(),
        "children": Child.objects.count(),
        "facts": Fact.objects.count(),
        "episodes": Episode.objects.count(),
    }


NOTHING = {"records": 0, "versions": 0, "children": 0, "facts": 0, "episodes": 0}


def timed_import(agencies: dict[str, Agency], fmt: str, *sources: Source) -> tuple[ImportRun, float]:
    """One import through the service, as the command, the API and the page run it; and its duration."""
    request = ImportRequest(
        format=fmt,
        sources=list(sources),
        agency=agencies[AGENCY[fmt]],
        mapping_text=MAPPING.get(fmt),
    )
    started = time.perf_counter()
    run = import_run(request)  # any exception escaping fails the test
    return run, time.perf_counter() - started


def assert_refused(run: ImportRun, seconds: float, reason: str, connections: list[Any]) -> None:
    """The whole file refused, recorded and audited; nothing written; quick; no connection tried."""
    stored = ImportRun.objects.get(pk=run.pk)  # recorded, not just returned
    assert stored.status == ImportStatus.REJECTED, (stored.status, stored.rejection_reason)
    assert reason.casefold() in stored.rejection_reason.casefold(), stored.rejection_reason
    assert stored.finished_at is not None
    assert (stored.records_new, stored.records_changed, stored.records_unchanged) == (0, 0, 0)
    assert written() == NOTHING
    audit = AuditEvent.objects.get(target_type="import_run", target_id=str(run.public_id))
    assert audit.detail["status"] == ImportStatus.REJECTED
    assert audit.detail["new"] == audit.detail["changed"] == 0
    assert seconds < SECONDS, f"took {seconds:.2f} s"
    assert connections == []


def path_source(path: Path) -> Source:
    return Source.from_path(str(path))


# The corpus: (format, file, what the rejection reason says) --------------------------------------------

CSV_CASES = [
    ("police-csv", "hostile/csv/wrong_delimiter.csv", "seems to use another separator than ','"),
    ("generic", "hostile/csv/wrong_delimiter.csv", "seems to use another separator than ','"),
    ("police-csv", "hostile/csv/embedded_nul.csv", "NUL bytes"),
    ("police-csv", "hostile/csv/utf16_without_bom.csv", "NUL bytes"),
    ("police-csv", "hostile/csv/utf16_truncated.csv", "not valid UTF-16 text"),
    ("police-csv", "hostile/csv/utf16_lone_surrogate.csv", "not valid UTF-16 text"),
    ("police-csv", "hostile/csv/bom_only.csv", "no header row"),
    ("police-csv", "hostile/csv/bom_then_not_utf8.csv", "neither UTF-8 nor Windows-1252"),
    ("police-csv", "hostile/csv/neither_utf8_nor_cp1252.csv", "neither UTF-8 nor Windows-1252"),
    ("police-csv", "hostile/csv/empty.csv", "The file is empty"),
    ("generic", "hostile/csv/empty.csv", "The file is empty"),
    ("police-csv", "hostile/csv/unterminated_quote.csv", "CSV structure is broken"),
    ("police-csv", "hostile/csv/header_repeated.csv", "The header row repeats given_name"),
    ("police-csv", "hostile/csv/header_missing_columns.csv", "lacks the column(s) date_of_birth"),
]
XML_CASES = [
    ("ctf", "ctf/hostile/billion_laughs.xml", "DTD, entities or external references"),
    ("ctf", "ctf/hostile/quadratic.xml", "DTD, entities or external references"),
    ("ctf", "ctf/hostile/xxe_file.xml", "DTD, entities or external references"),
    ("ctf", "ctf/hostile/xxe_http.xml", "DTD, entities or external references"),
    ("ctf", "ctf/hostile/external_dtd.xml", "DTD, entities or external references"),
    ("ctf", "ctf/hostile/truncated.xml", "The XML is malformed"),
    ("ctf", "hostile/xml/doctype_only.xml", "DTD, entities or external references"),
    ("ctf", "hostile/xml/xxe_parameter_entity.xml", "DTD, entities or external references"),
    ("ctf", "hostile/xml/xxe_utf7.xml", "declares the encoding 'utf-7'"),
    ("ctf", "hostile/xml/not_xml.xml", "NUL bytes"),
    ("ctf", "hostile/xml/no_header.xml", "no CTF <Header>"),
]
JSON_PROBLEMS = [
    ("duplicate_keys", "repeats the key 'resourceType'"),
    ("nan", "contains NaN, which is not a number"),
    ("infinity", "contains -Infinity, which is not a number"),
    ("1e400", "The JSON number 1e400 is out of range"),
    ("long_integer", "holds a value that cannot be read"),
    ("truncated", "The JSON is malformed"),
    ("nul_escape", "NUL"),
    ("deep_nesting", "nested more than 64 levels deep"),
    ("surrogate_duplicate_key", "repeats the key"),
]
JSON_CASES = [
    (fmt, f"hostile/json/{prefix}_{problem}.json", reason.replace("'resourceType'", key))
    for fmt, prefix, key in (("fhir", "fhir", "'resourceType'"), ("police-pole", "pole", "'id'"))
    for problem, reason in JSON_PROBLEMS
] + [
    ("fhir", "fhir/truncated.json", "The JSON is malformed"),
    ("fhir", "hostile/json/top_level_array.json", "not a FHIR Bundle"),
    ("police-pole", "hostile/json/top_level_array.json", "top level must be an object"),
    ("police-pole", "hostile/json/fhir_1e400.json", "out of range"),
    ("fhir", "police/pole.json", "not a FHIR Bundle"),
]


def corpus_path(name: str) -> Path:
    path = FIXTURES / name
    assert path.is_file(), path
    return path


@pytest.mark.parametrize(
    ("fmt", "name", "reason"),
    CSV_CASES + XML_CASES + JSON_CASES,
    ids=[f"{fmt}:{name.rsplit('/', 1)[-1]}" for fmt, name, _ in CSV_CASES + XML_CASES + JSON_CASES],
)
def test_a_hostile_file_is_refused_whole_quickly_and_audited(
    agencies: dict[str, Agency], connections: list[Any], fmt: str, name: str, reason: str
) -> None:
    run, seconds = timed_import(agencies, fmt, path_source(corpus_path(name)))
    assert_refused(run, seconds, reason, connections)


def test_the_corpus_is_all_tested() -> None:
    """Every file committed to the hostile corpus is used by a test here (none forgotten), and small."""
    named = {n for _, n, _ in CSV_CASES + XML_CASES + JSON_CASES} | set(USED_ELSEWHERE)
    committed = {f"hostile/{p.relative_to(HOSTILE)}" for p in HOSTILE.rglob("*") if p.is_file()}
    assert committed - {"hostile/README.md"} <= named, sorted(committed - named)
    assert all(p.stat().st_size <= 32 * 1024 for p in HOSTILE.rglob("*") if p.is_file())


def test_the_connection_recorder_sees_and_stops_a_connection(connections: list[Any]) -> None:
    """The observation the tests above rely on: a connection attempt is recorded, and fails."""
    with pytest.raises(OSError, match="refused by the test"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError):
        sock.connect(("127.0.0.1", 9))
    assert connections == [("127.0.0.1", 9), ("127.0.0.1", 9)]


# Files too big to commit: made here, at run time -----------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_a_byte_is_read(
    agencies: dict[str, Agency], connections: list[Any], settings: Any
) -> None:
    settings.HAFAN_IMPORT_MAX_BYTES = 1024
    data = POLICE_CSV.read_bytes()
    assert len(data) > 1024
    opened: list[int] = []

    def open_and_note() -> IO[bytes]:
        opened.append(1)
        return io.BytesIO(data)

    source = Source(name="occurrences.csv", open=open_and_note, size=len(data))
    run, seconds = timed_import(agencies, "police-csv", source)
    assert_refused(
        run, seconds, f"is {len(data):,} bytes; the limit is 1,024 (HAFAN_IMPORT_MAX_BYTES)", connections
    )
    assert opened == []  # refused on its size alone: not read, not even to fingerprint it
    assert (run.file_size, run.file_sha256, run.rows_total) == (len(data), "", 0)


def test_a_300_mb_file_is_refused_on_its_size_in_no_time(
    agencies: dict[str, Agency], connections: list[Any], settings: Any, tmp_path: Path
) -> None:
    settings.HAFAN_IMPORT_MAX_BYTES = settings.HAFAN_IMPORT_API_MAX_BYTES  # 50 MB, as the API allows
    huge = tmp_path / "occurrences.csv"
    with huge.open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: 300 MB long, without writing 300 MB
    run, seconds = timed_import(agencies, "police-csv", path_source(huge))
    # Had it been read, it would have been refused for its NUL bytes instead (and far more slowly).
    assert_refused(run, seconds, "is 314,572,800 bytes; the limit is 52,428,800", connections)
    assert seconds < 0.5
    assert run.file_sha256 == ""


@pytest.mark.parametrize("fmt", ["police-csv", "generic"])
def test_a_line_without_end_is_refused_without_reading_it_whole(
    agencies: dict[str, Agency], connections: list[Any], tmp_path: Path, fmt: str
) -> None:
    header = (
        (POLICE_CSV if fmt == "police-csv" else FIXTURES / "generic" / "people.csv")
        .open(encoding="utf-8")
        .readline()
    )
    endless = tmp_path / "endless.csv"
    with endless.open("w", encoding="utf-8") as handle:
        handle.write(header)
        for _ in range(32):
            handle.write("x," * 256 * 1024)  # 16 MB and not one line break
    run, seconds = timed_import(agencies, fmt, path_source(endless))
    assert_refused(run, seconds, "A row is longer than 1,048,576 characters", connections)


def test_a_field_over_64_kib_is_refused(
    agencies: dict[str, Agency], connections: list[Any], tmp_path: Path
) -> None:
    lines = POLICE_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    big = tmp_path / "big_field.csv"
    big.write_text(lines[0] + lines[1] + 'GW-26-09999,"' + "A" * (65 * 1024) + '"\n', encoding="utf-8")
    run, seconds = timed_import(agencies, "police-csv", path_source(big))
    assert_refused(run, seconds, "field larger than field limit", connections)


def ctf_with(extra: str) -> bytes:
    """The CTF fixture (five pupils) with `extra` inside its first pupil."""
    data = (FIXTURES / "ctf" / "pupils.xml").read_text(encoding="utf-8")
    first = data.index("</Pupil>")
    return (data[:first] + extra + data[first:]).encode()


@pytest.mark.parametrize(
    "extra",
    [
        '<Notes text="' + "A" * 5_000_000 + '"/>',
        "<Deep>" * 10_000 + "</Deep>" * 10_000,
        "".join(f'<Notes a{i}="{i}"/>' for i in range(10_000)),
    ],
    ids=["huge-attribute", "10000-deep", "10000-elements"],
)
def test_huge_and_deep_xml_is_read_in_bounded_time_and_nothing_of_it_is_kept(
    agencies: dict[str, Agency], connections: list[Any], extra: str
) -> None:
    """By design (and the CTF unit tests) these are parsed, not refused: expat is not recursive and the
    elements Hafan does not read are dropped. Nothing of them reaches the database."""
    run, seconds = timed_import(agencies, "ctf", Source.from_bytes("pupils.xml", ctf_with(extra)))
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    assert (run.records_new, run.records_rejected) == (5, 0)
    assert seconds < SECONDS
    assert connections == []
    for version in SourceRecordVersion.objects.all():
        assert len(json.dumps(version.payload)) < 5000
        assert "AAAAAAAA" not in json.dumps(version.payload) and "Deep" not in json.dumps(version.payload)


def test_xinclude_is_inert(agencies: dict[str, Agency], connections: list[Any]) -> None:
    run, seconds = timed_import(agencies, "ctf", path_source(HOSTILE / "xml" / "xinclude.xml"))
    assert run.status == ImportStatus.SUCCEEDED and run.records_new == 1
    assert seconds < SECONDS and connections == []
    payload = json.dumps(SourceRecordVersion.objects.get().payload)
    assert "root:" not in payload and "passwd" not in payload
    assert SourceRecord.objects.get().family_name == "Pritchard"


# Row errors: the row is refused, the file is not ----------------------------------------------------------


def test_ragged_rows_are_row_errors_and_the_other_rows_import(
    agencies: dict[str, Agency], connections: list[Any]
) -> None:
    run, seconds = timed_import(agencies, "police-csv", path_source(HOSTILE / "csv" / "ragged_rows.csv"))
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    assert list(run.row_errors.values_list("location", "field", "reason")) == [
        ("line 3", "", "25 fields where the header has 24"),
        ("line 4", "", "5 fields where the header has 24"),
    ]
    assert (run.records_new, run.records_rejected, run.rows_total) == (2, 2, 4)
    assert set(SourceRecord.objects.values_list("local_id", flat=True)) == {"GW-26-00101", "GW-26-00104"}
    assert set(Episode.objects.values_list("occurrence_number", flat=True)) == {"GW-26-00101", "GW-26-00104"}
    assert seconds < SECONDS and connections == []


FORMULA = "looks like a spreadsheet formula (CSV injection); refused"


def test_formula_cells_in_names_are_row_errors_and_a_negative_number_is_not_a_formula(
    agencies: dict[str, Agency], connections: list[Any], tmp_path: Path
) -> None:
    run, seconds = timed_import(agencies, "generic", path_source(HOSTILE / "csv" / "formulas.csv"))
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    assert list(run.row_errors.values_list("location", "field", "reason", "value")) == [
        ("formulas.csv line 2", "First name", FORMULA, "=cmd|' /C calc'!A0"),
        ("formulas.csv line 3", "First name", FORMULA, "+1+1"),
        ("formulas.csv line 4", "First name", FORMULA, "@SUM(A1)"),
        ("formulas.csv line 5", "Last name", FORMULA, "-2+3"),
    ]
    assert sorted(SourceRecord.objects.values_list("local_id", flat=True)) == ["YJ-0905", "YJ-0906"]
    assert list(Fact.objects.values_list("summary", flat=True)) == ["Health needs: -5"]
    assert seconds < SECONDS and connections == []
    # The error report keeps the values for the data manager, defused for any spreadsheet opening it.
    report = tmp_path / "formulas.csv.errors.csv"
    error_report_write(run, str(report))
    with report.open(encoding="utf-8", newline="") as handle:
        values = [row["value"] for row in csv.DictReader(handle)]
    assert len(values) == 4
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in values), values
    assert all("cmd|" not in v or v.startswith("'") for v in values)


@pytest.mark.parametrize(
    ("value", "formula"),
    [
        ("=cmd|' /C calc'!A0", True),
        ("+1+1", True),
        ("@SUM(A1)", True),
        ("-2+3", True),
        ("\t=1", True),
        ("\r=1", True),
        ("-", True),
        ("-nan", True),  # Python's float() reads these; a spreadsheet runs them
        ("+inf", True),
        ("-Infinity", True),
        ("-1_000", True),
        ("-\u0661\u0662", True),  # Arabic-Indic digits: float() reads them too
        ("-5", False),
        ("-2.5", False),
        ("+447700900104", False),
        ("-1e3", False),
        ("-.5", False),
        ("1+1", False),
        ("Siân", False),
        ("", False),
    ],
)
def test_looks_like_formula(value: str, formula: bool) -> None:
    assert looks_like_formula(value) is formula


def test_invalid_fhir_resources_are_row_errors_and_the_valid_patient_imports(
    agencies: dict[str, Agency], connections: list[Any]
) -> None:
    path = HOSTILE / "json" / "fhir_invalid_resources.json"
    run, seconds = timed_import(agencies, "fhir", path_source(path))
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    errors = list(run.row_errors.values_list("location", "field"))
    assert errors == [
        ("Bundle.entry[1]", "birthDate"),  # 2010-13-45
        ("Bundle.entry[2]", "gender"),  # robot
        ("Bundle.entry[3]", "unknownElement"),  # not in the R4 Patient
        ("Bundle.entry[4]", "resource"),  # a valid patient whose encounter and flag are not
        ("Bundle.entry[5]", "status"),  # an Encounter without its required status
        ("Bundle.entry[6]", "status"),  # a Flag whose status is a number
    ]
    assert (run.records_new, run.records_rejected) == (1, 6)
    assert list(SourceRecord.objects.values_list("local_id", "given_name")) == [("D900101", "Siân")]
    assert Child.objects.count() == 1 and Fact.objects.count() == 0
    assert seconds < SECONDS and connections == []


# Valid but unusual: imported, with Welsh text intact -------------------------------------------------------


def test_a_valid_utf16_police_csv_imports(agencies: dict[str, Agency], connections: list[Any]) -> None:
    path = HOSTILE / "csv" / "police_utf16.csv"
    assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    run, seconds = timed_import(agencies, "police-csv", path_source(path))
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    assert (run.records_new, run.records_rejected) == (12, 0)
    assert {"Siân", "Llŷr", "Gwenllïan"} <= set(SourceRecord.objects.values_list("given_name", flat=True))
    assert seconds < SECONDS and connections == []
    # The same rows as the UTF-8 fixture: importing that next changes nothing.
    again, _ = timed_import(agencies, "police-csv", path_source(POLICE_CSV))
    assert (again.records_new, again.records_changed, again.records_unchanged) == (0, 0, 12)


def test_windows_1252_welsh_text_is_decoded_exactly(
    agencies: dict[str, Agency], connections: list[Any]
) -> None:
    path = HOSTILE / "csv" / "welsh_cp1252.csv"
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really Windows-1252, not UTF-8
    run, seconds = timed_import(agencies, "generic", path_source(path))
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    assert (run.records_new, run.records_rejected) == (4, 0)
    rows = set(SourceRecord.objects.values_list("given_name", "family_name", "other_names", "address"))
    assert rows == {
        ("Siân", "Prosser", "Elîs", "6 Lôn y Parc, Caerleon"),
        ("Gwenllïan", "Rhys", "", "1 Heol Siôn"),
        ("Dafydd", "Llywelyn", "Dai", "33 Ffordd Glyndwr"),
        ("Elên", "Hûws", "", "2 Maes-y-Fedwen"),
    }
    for row in rows:
        for value in row:
            assert value.encode("cp1252") in data  # each value is exactly the file's text
    assert seconds < SECONDS and connections == []


WELSH_NAMES = ["Llŷr", "Gwenllïan", "Siân", "Dŵr"]


def test_welsh_text_round_trips_byte_exact(agencies: dict[str, Agency], connections: list[Any]) -> None:
    path = HOSTILE / "csv" / "welsh_utf8.csv"
    data = path.read_bytes()
    run, _ = timed_import(agencies, "generic", path_source(path))
    assert run.status == ImportStatus.SUCCEEDED, run.rejection_reason
    records = {r.given_name: r for r in SourceRecord.objects.all()}
    assert sorted(records) == sorted(WELSH_NAMES)
    assert records["Dŵr"].family_name == "Tŷ-Gwyn"
    for name in WELSH_NAMES:
        record = records[name]
        stored = record.given_name.encode("utf-8")
        assert stored == name.encode("utf-8")  # the same bytes: not decomposed, not transliterated
        assert b"," + stored + b"," in data
        version = record.versions.get()
        assert version.payload["person"]["given_name"].encode("utf-8") == stored
        assert version.payload["person"]["family_name"] == record.family_name
        assert record.child.given_name == name
    assert connections == []


# Lone surrogates quoted from hostile documents are stored escaped, never raw ----------


def test_a_lone_surrogate_in_a_fhir_patient_is_a_row_error(
    agencies: dict[str, Agency], connections: list[Any]
) -> None:
    bundle = json.loads((FIXTURES / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    bundle["entry"][0]["resource"]["name"][0]["given"][0] = "Si\ud800n"
    data = json.dumps(bundle).encode()  # ensure_ascii: the surrogate travels as \ud800
    run, _ = timed_import(agencies, "fhir", Source.from_bytes("bundle.json", data))
    assert run.status == ImportStatus.SUCCEEDED
    assert run.row_errors.filter(location="Bundle.entry[0]").exists()


@pytest.mark.parametrize(
    "document",
    [
        '{"schema": "\\ud800", "people": [], "events": [], "relationships": []}',
        '{"schema": "hafan-pole/1", "people": [{"id": "\\ud800"}, {"id": "\\ud800"}], "events": [],'
        ' "relationships": []}',
    ],
    ids=["schema", "duplicate-id"],
)
def test_a_lone_surrogate_in_a_pole_document_rejects_it(
    agencies: dict[str, Agency], connections: list[Any], document: str
) -> None:
    run, seconds = timed_import(agencies, "police-pole", Source.from_bytes("pole.json", document.encode()))
    assert_refused(run, seconds, "", connections)


USED_ELSEWHERE = [
    "hostile/csv/ragged_rows.csv",
    "hostile/csv/formulas.csv",
    "hostile/csv/police_utf16.csv",
    "hostile/csv/welsh_cp1252.csv",
    "hostile/csv/welsh_utf8.csv",
    "hostile/csv/only_header.csv",
    "hostile/xml/xinclude.xml",
    "hostile/json/fhir_invalid_resources.json",
]


def test_a_header_only_full_refresh_withdraws_nothing(
    agencies: dict[str, Agency], connections: list[Any]
) -> None:
    """An export with no rows (a failed query upstream, say) is no reason to withdraw every record."""
    first, _ = timed_import(agencies, "police-csv", path_source(POLICE_CSV))
    assert first.records_new == 12
    request = ImportRequest(
        format="police-csv",
        sources=[path_source(HOSTILE / "csv" / "only_header.csv")],
        agency=agencies["GWP"],
        full_refresh=True,
    )
    empty = import_run(request)
    assert empty.status == ImportStatus.SUCCEEDED
    assert (empty.rows_total, empty.records_withdrawn) == (0, 0)
    assert not SourceRecord.objects.exclude(withdrawn_at=None).exists()
    assert connections == []


# Fuzzing (reliability.md 18) ------------------------------------------------------------------------------

# reading.py on its own: whatever the bytes, and whatever encoding a caller names, only FileRejected escapes.
PREFIXES = [
    b"",
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    b"<?xml version='1.0'?>",
    b'{"a":',
    b"a,b\n",
]


@fuzz_settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(PREFIXES),
    data=st.binary(max_size=400),
    named=st.sampled_from(["", *ENCODINGS, "utf-16", "utf-8-sig"]),
)
def test_reading_lets_only_file_rejected_escape(prefix: bytes, data: bytes, named: str) -> None:
    source = Source.from_bytes("fuzz", prefix + data)
    try:
        check_size(source)
        encoding = named or detect_encoding(source)
    except FileRejected:
        return
    readers: list[Callable[[], object]] = [
        lambda: list(csv_rows(source, encoding, required=("a",))),
        lambda: list(csv_rows(source, encoding, required=(), delimiter=";")),
        lambda: list(iter_xml(source, tag="a")),
        lambda: load_json(source, encoding),
    ]
    for read in readers:
        with contextlib.suppress(FileRejected):
            read()


def reference_depth(text: str) -> int:
    """The deepest nesting, character by character (reading.py's first implementation)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False


tricky_text = st.text(
    st.sampled_from(['"', "\\", "[", "]", "{", "}", "\x00", "u", "0", "a", "ŵ", "\n"]), max_size=12
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=12,
)


@fuzz_settings(max_examples=300, deadline=None)
@given(value=json_values, wrap=st.integers(0, 70), ascii_only=st.booleans())
def test_the_depth_and_nul_check_is_exact(value: Any, wrap: int, ascii_only: bool) -> None:
    text = "[" * wrap + json.dumps(value, ensure_ascii=ascii_only) + "]" * wrap
    too_deep = reference_depth(text) > MAX_JSON_DEPTH
    nul = holds_nul(value)
    source = Source.from_bytes("fuzz.json", text.encode("utf-8"))
    if not (too_deep or nul):
        assert load_json(source, "utf-8") == json.loads(text)
        return
    with pytest.raises(FileRejected) as refused:
        load_json(source, "utf-8")
    assert ("NUL character" if nul else "nested more than 64 levels") in refused.value.reason


# End to end: a real fixture, damaged at random, through import_run: never an exception, never a part of a
# refused file written.
# (format, fixture, what a cell's value looks like in it: a CSV cell, a JSON string's inside, an XML text node)
FUZZ_FIXTURES = [
    ("police-csv", "police/occurrences.csv", rb"([^,\n]+)"),
    ("generic", "generic/people.csv", rb"([^,\n]+)"),
    ("police-pole", "police/pole.json", rb'"([^"\\\n]*)"'),
    ("fhir", "fhir/bundle.json", rb'"([^"\\\n]*)"'),
    ("ctf", "ctf/pupils.xml", rb">([^<>\n]+)<"),
]
cell_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from(list("=+-@\"'<>&\\,;\t\r\n{}[]ŵŷâ0123456789")), max_size=20
)


@st.composite
def damaged(draw: st.DrawFn, original: bytes, cell: bytes) -> bytes:
    """The file with a few changes: mostly a cell's value replaced, sometimes bytes inserted, deleted,
    overwritten or the file cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["cell", "cell", "cell", "insert", "delete", "replace", "truncate"]))
        if action == "cell":
            cells = list(re.finditer(cell, bytes(data)))
            if cells:
                chosen = cells[draw(st.integers(0, len(cells) - 1))]
                text = draw(cell_text)
                if draw(
                    st.booleans()
                ):  # escaped as the format escapes text, so that the file stays well formed
                    text = escape(text) if original.startswith(b"<") else json.dumps(text)[1:-1]
                data[chosen.start(1) : chosen.end(1)] = text.encode("utf-8")
            continue
        at = draw(st.integers(0, len(data)))
        chunk = draw(
            st.binary(min_size=1, max_size=8) | st.sampled_from([b'"', b",", b"\n", b"<", b"{", b"\xff"])
        )
        if action == "insert":
            data[at:at] = chunk
        elif action == "delete":
            del data[at : at + len(chunk)]
        elif action == "replace":
            data[at : at + len(chunk)] = chunk
        else:
            del data[at:]
    return bytes(data)


@pytest.mark.parametrize(("fmt", "fixture", "cell"), FUZZ_FIXTURES, ids=[f for f, _, _ in FUZZ_FIXTURES])
def test_a_damaged_file_imports_or_is_refused_whole(
    agencies: dict[str, Agency], connections: list[Any], fmt: str, fixture: str, cell: bytes
) -> None:
    original = (FIXTURES / fixture).read_bytes()

    @fuzz_settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(data=damaged(original, cell))
    def one(data: bytes) -> None:
        with transaction.atomic():
            before = written()
            run, _ = timed_import(agencies, fmt, Source.from_bytes(fixture.rsplit("/", 1)[-1], data))
            assert run.status in (ImportStatus.SUCCEEDED, ImportStatus.REJECTED), run.status
            after = written()
            if run.status == ImportStatus.REJECTED:
                assert after == before, run.rejection_reason
                assert run.rejection_reason
            else:
                assert after["records"] - before["records"] == run.records_new
                assert after["versions"] - before["versions"] == run.records_new + run.records_changed
            transaction.set_rollback(True)

    one()
    assert connections == []
