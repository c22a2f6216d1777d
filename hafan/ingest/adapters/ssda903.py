"""Councils' looked-after children tables, SSDA903-style ("the 903"): header, episodes and missing.

The 903 return is a set of CSV tables keyed by the council's child id (CHILD). Hafan reads three of
them, recognised by their header columns, whatever the files are called:

* header: CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB, plus FORENAME and SURNAME (below);
* episodes: CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, HOME_POST,
  PL_POST, URN;
* missing: CHILD, DOB, MISSING, MIS_START, MIS_END.

The "Hafan 903 extract": the national 903 header table carries no names, and a record Hafan cannot name
cannot be matched or shown in a briefing, so the Welsh councils' local extract adds FORENAME and SURNAME
(required) and NHS_NUMBER, ADDRESS and POSTCODE (optional) to the header table. The other tables are
the national ones.

One IngestRecord per child in the header table. The episodes and missing tables are read into memory
grouped by CHILD (a council's 903 is a few thousand rows); the header table is streamed. A child with
any invalid row in any table yields that row's errors and no record: never half a record. Documented in
docs/ingest/ssda903.md.
"""

from __future__ import annotations

import csv
import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from hafan.core.vocabulary import FactCategory
from hafan.episodes.models import EpisodeCategory
from hafan.ingest.adapters.base import Adapter, ParseContext, RowCheck
from hafan.ingest.reading import (
    MAX_CSV_FIELD,
    RAGGED,
    Source,
    check_size,
    csv_rows,
    detect_encoding,
    open_text,
)
from hafan.ingest.records import FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import Vocabulary
from hafan.people.services import PersonDetails

SYSTEM = "SSDA903"
DATE_FORMATS = ("%d/%m/%Y",)

HEADER = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
HEADER_NAMES = ("FORENAME", "SURNAME")  # the Hafan 903 extract: required
HEADER_OPTIONAL = ("NHS_NUMBER", "ADDRESS", "POSTCODE")  # the Hafan 903 extract: optional
EPISODES = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
MISSING = ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")
TABLES: dict[str, tuple[str, ...]] = {"header": HEADER, "episodes": EPISODES, "missing": MISSING}
# A column only that table has: a file with it but without the table's other columns is that table, broken.
DISTINCTIVE = {"header": "ETHNIC", "episodes": "DECOM", "missing": "MIS_START"}
# The 903's "UPN unknown" reasons: no UPN, not an error.
UPN_UNKNOWN = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5"})
LOOKED_AFTER: str = FactCategory.LOOKED_AFTER.value
MISSING_PHRASES: dict[str, str] = {
    EpisodeCategory.MISSING_FROM_CARE: "Missing from placement",
    EpisodeCategory.AWAY_FROM_PLACEMENT: "Away from placement without authorisation",
}


@dataclass(frozen=True)
class _Episode:
    decom: datetime.date
    dec: datetime.date | None
    legal_status: str
    placement: str


@dataclass(frozen=True)
class _Missing:
    location: str
    dob: datetime.date | None
    category: str
    start: datetime.date
    end: datetime.date | None


@dataclass
class _ChildRows:
    """What the episodes and missing tables say about one child: good rows, and the errors of bad ones."""

    episodes: list[_Episode] = field(default_factory=list)
    missing: list[_Missing] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)  # every row, for "not in the header table"


def _ddmmyyyy(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


class Ssda903Adapter(Adapter):
    """The 903 header, episodes and missing tables (the Hafan 903 extract) as one record per child."""

    format: ClassVar[str] = "ssda903"
    label: ClassVar[str] = "Looked-after children (SSDA903 tables)"
    description: ClassVar[str] = (
        "The council's 903 header, episodes and missing tables as CSV files, with the child's names added."
    )
    accepts_many_files: ClassVar[bool] = True

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        if not sources:
            raise FileRejected("No files were given: the 903 import needs at least the header table.")
        for source in sources:
            check_size(source)
        encodings = [detect_encoding(source) for source in sources]
        tables: dict[str, tuple[Source, str]] = {}
        for source, encoding in zip(sources, encodings, strict=True):
            table = _recognise(source, encoding)
            if table in tables:
                raise FileRejected(
                    f"Both {tables[table][0].name} and {source.name} are the 903 {table} table: "
                    "send one of each.",
                    source.name,
                )
            tables[table] = (source, encoding)
        if "header" not in tables:
            raise FileRejected(
                "The 903 header table (CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB, FORENAME, SURNAME) is "
                f"missing: it was not among {', '.join(s.name for s in sources)}."
            )
        children: dict[str, _ChildRows] = defaultdict(_ChildRows)
        if "episodes" in tables:
            source, encoding = tables["episodes"]
            yield from _guard(source, _read_episodes(source, encoding, context, children))
        if "missing" in tables:
            source, encoding = tables["missing"]
            yield from _guard(source, _read_missing(source, encoding, context, children))
        source, encoding = tables["header"]
        yield from _guard(source, _read_header(source, encoding, context, children))
        # Rows about children the header table does not have.
        for child, rows in children.items():
            for location in rows.locations:
                yield RowError(location, "CHILD", f"child {child} is not in the header table", child)
            yield from rows.errors


def _guard(source: Source, rows: Iterator[IngestRecord | RowError]) -> Iterator[IngestRecord | RowError]:
    """A UTF-16 file whose bytes turn out not to be UTF-16 is rejected, not a crash."""
    try:
        yield from rows
    except UnicodeError as exc:
        raise FileRejected(f"The file cannot be read as text ({exc}).", source.name) from exc


def _recognise(source: Source, encoding: str) -> str:
    """Which 903 table a file is, from its header row; FileRejected when it is none (or broken)."""
    csv.field_size_limit(MAX_CSV_FIELD)
    try:
        with open_text(source, encoding) as text:
            first = next(csv.reader(text, strict=True), None)
    except csv.Error as exc:
        raise FileRejected(f"The CSV structure is broken ({exc}).", f"{source.name} line 1") from exc
    except UnicodeError as exc:
        raise FileRejected(f"The file cannot be read as text ({exc}).", source.name) from exc
    if not first:
        raise FileRejected("The file has no header row.", source.name)
    columns = {c.strip() for c in first}
    matches = [name for name, wanted in TABLES.items() if columns.issuperset(wanted)]
    if len(matches) > 1:
        raise FileRejected(
            f"The file has the columns of several 903 tables ({', '.join(matches)}).", source.name
        )
    if matches:
        table = matches[0]
        if table == "header":
            lacking = [c for c in HEADER_NAMES if c not in columns]
            if lacking:
                raise FileRejected(
                    f"The 903 header table lacks {', '.join(lacking)}: Hafan needs the Hafan 903 extract, "
                    "which adds the child's FORENAME and SURNAME to the header table "
                    "(docs/ingest/ssda903.md).",
                    f"{source.name} line 1",
                )
        return table
    for name, column in DISTINCTIVE.items():
        if column in columns:
            lacking = [c for c in TABLES[name] if c not in columns]
            raise FileRejected(
                f"The file looks like the 903 {name} table but lacks the column(s) {', '.join(lacking)}.",
                f"{source.name} line 1",
            )
    raise FileRejected(
        f"{source.name} is not a 903 table Hafan reads: the header table ({', '.join(HEADER)}), episodes "
        f"({', '.join(EPISODES)}) or missing ({', '.join(MISSING)}) are recognised by their columns.",
        source.name,
    )


def _rows(
    source: Source, encoding: str, required: tuple[str, ...]
) -> Iterator[tuple[int, str, dict[str, str]]]:
    prefix = f"{source.name} line "
    for line, row in csv_rows(source, encoding, required=required):
        yield line, prefix + str(line), row


def _ragged(location: str, row: dict[str, str]) -> RowError:
    return RowError(location, "", row[RAGGED])


def _attribute_ragged(
    source: Source, encoding: str, ragged: dict[int, RowError], children: dict[str, _ChildRows]
) -> Iterator[RowError]:
    """A row with too many or too few fields still names its child, as a rule: find it (a second read of
    the file, only when there are such rows) so that the child's other rows are not imported without it."""
    if not ragged:
        return
    with open_text(source, encoding) as text:
        reader = csv.reader(text, strict=True)
        columns = [c.strip() for c in next(reader)]
        index = columns.index("CHILD")
        for row in reader:
            error = ragged.pop(reader.line_num, None)
            if error is None:
                continue
            child = row[index].strip() if index < len(row) else ""
            if child:
                children[child].locations.append(error.location)
                children[child].errors.append(error)
            else:
                yield error
    yield from ragged.values()


def _read_episodes(
    source: Source, encoding: str, context: ParseContext, children: dict[str, _ChildRows]
) -> Iterator[RowError]:
    ragged: dict[int, RowError] = {}
    for line, location, row in _rows(source, encoding, EPISODES):
        if RAGGED in row:
            ragged[line] = _ragged(location, row)
            continue
        rc = RowCheck(location, context)
        child = rc.text("CHILD", row["CHILD"], required=True, max_length=50)
        decom = rc.date("DECOM", row["DECOM"], required=True, formats=DATE_FORMATS)
        dec = rc.date("DEC", row["DEC"], formats=DATE_FORMATS)
        if decom and dec and dec < decom:
            rc.error("DEC", f"is before DECOM ({_ddmmyyyy(decom)})", row["DEC"])
        legal_status = rc.code("LS", Vocabulary.LEGAL_STATUS, row["LS"], required=True)
        placement = rc.code("PLACE", Vocabulary.PLACEMENT_TYPE, row["PLACE"], required=True)
        for column in (
            "RNE",
            "CIN",
            "PLACE_PROVIDER",
            "REC",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ):
            rc.text(column, row[column], max_length=20)
        if not child:
            yield from rc.errors
            continue
        rows = children[child]
        rows.locations.append(location)
        if rc.errors or decom is None:
            rows.errors.extend(rc.errors)
        else:
            rows.episodes.append(_Episode(decom, dec, legal_status, placement))
    yield from _attribute_ragged(source, encoding, ragged, children)


def _read_missing(
    source: Source, encoding: str, context: ParseContext, children: dict[str, _ChildRows]
) -> Iterator[RowError]:
    ragged: dict[int, RowError] = {}
    for line, location, row in _rows(source, encoding, MISSING):
        if RAGGED in row:
            ragged[line] = _ragged(location, row)
            continue
        rc = RowCheck(location, context)
        child = rc.text("CHILD", row["CHILD"], required=True, max_length=50)
        dob = rc.date("DOB", row["DOB"], formats=DATE_FORMATS)
        category = rc.code("MISSING", Vocabulary.MISSING_TYPE, row["MISSING"], required=True)
        if category and category not in MISSING_PHRASES:
            rc.error(
                "MISSING",
                "must be M (missing) or A (away from placement without authorisation)",
                row["MISSING"],
            )
        start = rc.date("MIS_START", row["MIS_START"], required=True, formats=DATE_FORMATS)
        end = rc.date("MIS_END", row["MIS_END"], formats=DATE_FORMATS)
        if start and end and end < start:
            rc.error("MIS_END", f"is before MIS_START ({_ddmmyyyy(start)})", row["MIS_END"])
        if not child:
            yield from rc.errors
            continue
        rows = children[child]
        rows.locations.append(location)
        if rc.errors or start is None:
            rows.errors.extend(rc.errors)
        else:
            rows.missing.append(_Missing(location, dob, category, start, end))
    yield from _attribute_ragged(source, encoding, ragged, children)


def _read_header(
    source: Source, encoding: str, context: ParseContext, children: dict[str, _ChildRows]
) -> Iterator[IngestRecord | RowError]:
    seen: dict[str, str] = {}
    for _line, location, row in _rows(source, encoding, HEADER + HEADER_NAMES):
        if RAGGED in row:
            yield _ragged(location, row)
            continue
        rc = RowCheck(location, context)
        child = rc.text("CHILD", row["CHILD"], required=True, max_length=50)
        first = seen.get(child)
        if first:
            rc.error("CHILD", f"child {child} already appears on line {first}", child)
        person = _person(rc, row)
        ethnicity = rc.code("ETHNIC", Vocabulary.ETHNICITY, row["ETHNIC"])
        if not child or first:
            yield from rc.errors
            continue
        seen[child] = location.rpartition(" line ")[2]
        rows = children.pop(child, None) or _ChildRows()
        if person is not None:
            _check_missing_dob(rows, person.date_of_birth)
        if rc.errors or rows.errors or person is None:
            yield from rc.errors
            if rows.errors and not rc.errors:
                yield RowError(
                    location,
                    "CHILD",
                    f"child {child} is not imported: their rows in the episodes or missing tables "
                    "have errors",
                    child,
                )
            yield from rows.errors
            continue
        yield IngestRecord(
            location=location,
            system=SYSTEM,
            local_id=child,
            person=person,
            recorded_on=_recorded_on(rows) or context.today,
            ethnicity=ethnicity,
            facts=_facts(rc, rows),
        )


def _person(rc: RowCheck, row: dict[str, str]) -> PersonDetails | None:
    given = rc.name("FORENAME", row["FORENAME"])
    family = rc.name("SURNAME", row["SURNAME"])
    dob = rc.date("DOB", row["DOB"], required=True, formats=DATE_FORMATS)
    sex = rc.code("SEX", Vocabulary.SEX, row["SEX"], required=True)
    upn_cell = row["UPN"]
    upn = "" if upn_cell.upper() in UPN_UNKNOWN else rc.upn("UPN", upn_cell)
    rc.text("MOTHER", row["MOTHER"], max_length=1)
    rc.date("MC_DOB", row["MC_DOB"], formats=DATE_FORMATS)
    nhs = rc.nhs_number("NHS_NUMBER", row.get("NHS_NUMBER"))
    address = rc.text("ADDRESS", row.get("ADDRESS"))
    postcode = rc.postcode("POSTCODE", row.get("POSTCODE"))
    if rc.errors:
        return None
    return PersonDetails(
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        sex=sex,
        address=address,
        postcode=postcode,
        nhs_number=nhs,
        upn=upn,
    )


def _check_missing_dob(rows: _ChildRows, dob: datetime.date | None) -> None:
    """The missing table repeats the child's date of birth: a different one means a mixed-up CHILD id."""
    for item in list(rows.missing):
        if item.dob and dob and item.dob != dob:
            rows.errors.append(
                RowError(
                    item.location,
                    "DOB",
                    f"differs from the date of birth in the header table ({_ddmmyyyy(dob)})",
                    _ddmmyyyy(item.dob),
                )
            )
            rows.missing.remove(item)


def _recorded_on(rows: _ChildRows) -> datetime.date | None:
    days: list[datetime.date] = []
    for episode in rows.episodes:
        days.append(episode.decom)
        if episode.dec:
            days.append(episode.dec)
    for item in rows.missing:
        days.append(item.start)
        if item.end:
            days.append(item.end)
    return max(days, default=None)


def _facts(rc: RowCheck, rows: _ChildRows) -> tuple[FactIn, ...]:
    facts: list[FactIn] = []
    if rows.episodes:
        # The current episode: the latest start; of two starting the same day, the later row.
        current = max(enumerate(rows.episodes), key=lambda pair: (pair[1].decom, pair[0]))[1]
        legal_status = rc.label(Vocabulary.LEGAL_STATUS, current.legal_status)
        placement = rc.label(Vocabulary.PLACEMENT_TYPE, current.placement)
        summary = f"Looked after: {legal_status}; placement: {placement} from {_ddmmyyyy(current.decom)}"
        if current.dec:
            summary += f" to {_ddmmyyyy(current.dec)}"
        facts.append(FactIn(LOOKED_AFTER, summary, current.dec or current.decom))
    for item in sorted(rows.missing, key=lambda m: m.start):
        summary = f"{MISSING_PHRASES[item.category]} {_ddmmyyyy(item.start)}"
        summary += f" to {_ddmmyyyy(item.end)}" if item.end else " (still missing)"
        facts.append(FactIn(LOOKED_AFTER, summary, item.start))
    return tuple(facts)
