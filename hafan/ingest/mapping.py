"""The mapping engine shared by the two mapped CSV formats: `caselist` and `generic`.

A mapped format is a CSV file plus a TOML mapping file that says which column holds which Hafan field
and which columns yield facts (the format is documented in full in docs/ingest/generic.md). The mapping
is checked and compiled once into a `MappingPlan`, so that the row loop does no dictionary building or
key validation per row: the generic format is benchmarked at a million rows.

This module is not an adapter: hafan.ingest.adapters.caselist and hafan.ingest.adapters.generic_csv
both call `compile_mapping` and then `parse_mapped`. It never touches the database.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hafan.core.vocabulary import FactCategory
from hafan.ingest.adapters.base import DATE_FORMATS, ParseContext, RecentIds, RowCheck
from hafan.ingest.reading import RAGGED, Source, check_size, csv_rows, detect_encoding
from hafan.ingest.records import FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import TARGETS, Vocabulary, normalise_code
from hafan.people.models import Sex
from hafan.people.services import PersonDetails

MAPPING_LOCATION = "mapping"

# Hafan field -> what it is, for the error messages and the docs.
PERSON_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "other_names",
    "address",
    "postcode",
    "nhs_number",
    "upn",
)
RECORD_FIELDS = ("phone", "email", "ethnicity")
FIELDS = PERSON_FIELDS + RECORD_FIELDS
# Fields whose cells are codes, mapped through the agency's code mappings (and [values.<field>] first).
CODED_FIELDS: dict[str, str] = {"sex": Vocabulary.SEX, "ethnicity": Vocabulary.ETHNICITY}

TOP_LEVEL_KEYS = frozenset({"source", "columns", "values", "facts"})
SOURCE_KEYS = frozenset({"system", "id_column", "recorded_on_column", "date_formats", "delimiter"})
FACT_KEYS = frozenset({"column", "category", "when", "summary", "vocabulary", "values", "date_column"})

PHONE_RE = re.compile(r"^\+?\d{6,15}$")
PHONE_SEPARATORS = re.compile(r"[\s\-().]")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class ValueMap:
    """A [values.<field>] table, split by what each entry maps to.

    `final` entries map a cell straight to a Hafan value (e.g. "Boy" -> "male"); `codes` entries map a
    cell to one of the agency's codes, which then goes through the agency's code mappings."""

    final: Mapping[str, str]
    codes: Mapping[str, str]

    def __bool__(self) -> bool:
        return bool(self.final or self.codes)


NO_VALUES = ValueMap({}, {})


@dataclass(frozen=True)
class FactRule:
    """One [[facts]] entry: a column that yields a fact when it holds a (matching) value."""

    column: str
    category: str
    summary: str  # template; "{value}" is replaced by the cell (its label when there is a vocabulary)
    when: frozenset[str] = frozenset()  # normalised cells that make a fact; empty: any non-blank cell
    vocabulary: str = ""
    values: ValueMap = NO_VALUES
    date_column: str = ""


@dataclass(frozen=True)
class MappingPlan:
    """A checked mapping, ready for the row loop."""

    system: str
    id_column: str
    columns: Mapping[str, str]  # Hafan field -> CSV column
    recorded_on_column: str = ""
    date_formats: tuple[str, ...] = DATE_FORMATS
    delimiter: str = ","
    values: Mapping[str, ValueMap] | None = None  # coded field -> value map
    facts: tuple[FactRule, ...] = ()
    date_of_birth_required: bool = False

    def required_columns(self) -> tuple[str, ...]:
        """Every column the mapping names: the CSV header must have all of them."""
        names = [self.id_column, *self.columns.values()]
        if self.recorded_on_column:
            names.append(self.recorded_on_column)
        for rule in self.facts:
            names.append(rule.column)
            if rule.date_column:
                names.append(rule.date_column)
        return tuple(dict.fromkeys(names))


# Checking and compiling the mapping


def _reject(reason: str) -> FileRejected:
    return FileRejected(reason, MAPPING_LOCATION)


def _table(container: Mapping[str, Any], key: str, where: str, *, required: bool) -> Mapping[str, Any]:
    value = container.get(key)
    if value is None:
        if required:
            raise _reject(f"The mapping has no [{key}] table{where}.")
        return {}
    if not isinstance(value, dict):
        raise _reject(f"In the mapping, {key}{where} must be a table.")
    return value


def _string(table: Mapping[str, Any], key: str, where: str, *, required: bool) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise _reject(f"The mapping's {where} needs {key}.")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _reject(f"In the mapping's {where}, {key} must be a non-empty string.")
    return value.strip()


def _strings(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise _reject(f"In the mapping's {where}, {key} must be a list of non-empty strings.")
    return tuple(v.strip() for v in value)


def _unknown_keys(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _reject(
            f"The mapping's {where} has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}."
        )


def _value_map(
    table: Mapping[str, Any], vocabulary: str, where: str, codes_valid: frozenset[str]
) -> ValueMap:
    """Split a value table into entries that name a Hafan value and entries that name an agency code."""
    final: dict[str, str] = {}
    codes: dict[str, str] = {}
    for cell, target in table.items():
        if not isinstance(target, str) or not target.strip():
            raise _reject(
                f"In the mapping's {where}, the value for '{cell[:40]}' must be a non-empty string."
            )
        key = normalise_code(cell)
        if target.strip() in codes_valid:
            final[key] = target.strip()
        else:
            codes[key] = target.strip()
    return ValueMap(final, codes)


def compile_mapping(
    mapping: Mapping[str, Any] | None,
    *,
    format_label: str,
    required_fields: Sequence[str] = ("given_name", "family_name"),
    default_category: str = "",
    date_of_birth_required: bool = False,
) -> MappingPlan:
    """Check a parsed TOML mapping and compile it; FileRejected with the reason when it is unusable.

    `required_fields` must be mapped in [columns]; `default_category` (when set) is the category of a
    [[facts]] entry that names none; otherwise each entry must name one."""
    if mapping is None:
        raise _reject(f"The {format_label} format needs a mapping file (a TOML file; see docs/ingest/).")
    if not isinstance(mapping, dict):
        raise _reject("The mapping file must be a TOML document.")
    _unknown_keys(mapping, TOP_LEVEL_KEYS, "top level")

    source = _table(mapping, "source", "", required=True)
    _unknown_keys(source, SOURCE_KEYS, "[source] table")
    system = _string(source, "system", "[source] table", required=True)
    if len(system) > 100:
        raise _reject("The mapping's [source] system is longer than 100 characters.")
    id_column = _string(source, "id_column", "[source] table", required=True)
    recorded_on_column = _string(source, "recorded_on_column", "[source] table", required=False)
    date_formats = _strings(source, "date_formats", "[source] table") or DATE_FORMATS
    for fmt in date_formats:
        if "%" not in fmt:
            raise _reject(f"The mapping's date format '{fmt[:40]}' has no % directives (e.g. %d/%m/%Y).")
        try:  # a format that cannot read back what it writes is broken (e.g. "%Q")
            datetime.datetime.strptime(datetime.date(2026, 1, 2).strftime(fmt), fmt)  # noqa: DTZ007
        except ValueError as exc:
            raise _reject(f"The mapping's date format '{fmt[:40]}' is not valid ({exc}).") from None
    delimiter = source.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n' or delimiter.isalnum():
        raise _reject(
            "The mapping's [source] delimiter must be one character such as ',', ';', '|' or a tab."
        )

    columns_table = _table(mapping, "columns", "", required=True)
    unknown = sorted(set(columns_table) - set(FIELDS))
    if unknown:
        raise _reject(
            f"The mapping's [columns] names unknown Hafan field(s) {', '.join(unknown)}; "
            f"the fields are: {', '.join(FIELDS)}."
        )
    columns = {
        field: _string(columns_table, field, "[columns] table", required=False) for field in columns_table
    }
    missing = [field for field in required_fields if field not in columns]
    if missing:
        raise _reject(f"The {format_label} mapping must map {', '.join(missing)} in [columns].")

    values_table = _table(mapping, "values", "", required=False)
    values: dict[str, ValueMap] = {}
    for field, table in values_table.items():
        if field not in CODED_FIELDS:
            raise _reject(
                f"The mapping's [values.{field[:40]}] is not allowed: value maps apply to "
                f"{', '.join(CODED_FIELDS)} (and to [[facts]] with a vocabulary)."
            )
        if field not in columns:
            raise _reject(f"The mapping has [values.{field}] but maps no column to {field} in [columns].")
        if not isinstance(table, dict):
            raise _reject(f"The mapping's [values.{field}] must be a table of cell = value.")
        vocabulary = CODED_FIELDS[field]
        values[field] = _value_map(table, vocabulary, f"[values.{field}] table", _targets(vocabulary))

    facts = _compile_facts(mapping.get("facts"), default_category)
    return MappingPlan(
        system=system,
        id_column=id_column,
        columns=columns,
        recorded_on_column=recorded_on_column,
        date_formats=date_formats,
        delimiter=delimiter,
        values=values,
        facts=facts,
        date_of_birth_required=date_of_birth_required,
    )


def _targets(vocabulary: str) -> frozenset[str]:
    return frozenset(TARGETS[vocabulary].values)


def _compile_facts(entries: Any, default_category: str) -> tuple[FactRule, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _reject("The mapping's facts must be [[facts]] tables.")
    rules = []
    for number, entry in enumerate(entries, start=1):
        where = f"[[facts]] entry {number}"
        _unknown_keys(entry, FACT_KEYS, where)
        column = _string(entry, "column", where, required=True)
        category = _string(entry, "category", where, required=not default_category) or default_category
        if category not in FactCategory.values:
            raise _reject(
                f"The mapping's {where} has the unknown category '{category[:40]}'; "
                f"the categories are: {', '.join(FactCategory.values)}."
            )
        vocabulary = _string(entry, "vocabulary", where, required=False)
        if vocabulary and vocabulary not in Vocabulary.values:
            raise _reject(
                f"The mapping's {where} has the unknown vocabulary '{vocabulary[:40]}'; "
                f"the vocabularies are: {', '.join(Vocabulary.values)}."
            )
        values = NO_VALUES
        if "values" in entry:
            if not vocabulary:
                raise _reject(f"The mapping's {where} has values but no vocabulary to map them into.")
            table = entry["values"]
            if not isinstance(table, dict):
                raise _reject(f"The mapping's {where} values must be a table of cell = code.")
            values = _value_map(table, vocabulary, where, _targets(vocabulary))
        summary = _string(entry, "summary", where, required=False)
        when = frozenset(normalise_code(v) for v in _strings(entry, "when", where))
        if not summary:
            summary = column if when else f"{column}: {{value}}"
        if len(summary) > 200:
            raise _reject(f"The mapping's {where} summary is longer than 200 characters.")
        rules.append(
            FactRule(
                column=column,
                category=category,
                summary=summary,
                when=when,
                vocabulary=vocabulary,
                values=values,
                date_column=_string(entry, "date_column", where, required=False),
            )
        )
    return tuple(rules)


# The row loop


def parse_mapped(
    sources: Sequence[Source], context: ParseContext, plan: MappingPlan, *, format_label: str
) -> Iterator[IngestRecord | RowError]:
    """Each row of the one CSV file as an IngestRecord, or as the RowErrors that kept it out."""
    if len(sources) != 1:
        raise FileRejected(
            f"The {format_label} format takes exactly one CSV file; {len(sources)} were given."
        )
    source = sources[0]
    check_size(source)
    encoding = detect_encoding(source)
    rows = csv_rows(source, encoding, required=plan.required_columns(), delimiter=plan.delimiter)
    try:
        yield from _rows(source.name, rows, context, plan)
    except UnicodeError as exc:  # a UTF-16 file whose bytes are not UTF-16 after all
        raise FileRejected(f"The file cannot be read as text ({exc}).", source.name) from exc


class _Dates:
    """RowCheck.date with a cache of the cells it accepted: dates of birth repeat across a big file."""

    def __init__(self, formats: tuple[str, ...]) -> None:
        self.formats = formats
        self.cache: dict[str, datetime.date] = {}

    def __call__(
        self, rc: RowCheck, column: str, cell: str, *, required: bool = False
    ) -> datetime.date | None:
        day = self.cache.get(cell)
        if day is not None:
            return day
        day = rc.date(column, cell, required=required, formats=self.formats)
        if day is not None and len(self.cache) < CACHE_LIMIT:
            self.cache[cell] = day
        return day


class _Codes:
    """A coded column: the mapping's value map first, then the agency's code mappings (RowCheck.code),
    with a cache of the cells already accepted: a column of codes holds a handful of distinct values."""

    def __init__(self, column: str, vocabulary: str, values: ValueMap) -> None:
        self.column = column
        self.vocabulary = vocabulary
        self.values = values
        self.cache: dict[str, str] = {}

    def __call__(self, rc: RowCheck, cell: str) -> str:
        value = self.cache.get(cell)
        if value is not None:
            return value
        code = cell
        if self.values and cell:
            key = normalise_code(cell)
            final = self.values.final.get(key)
            if final is not None:
                self.cache[cell] = final
                return final
            code = self.values.codes.get(key, cell)
        value = rc.code(self.column, self.vocabulary, code)
        if value and len(self.cache) < CACHE_LIMIT:
            self.cache[cell] = value
        return value


def _rows(
    name: str, rows: Iterator[tuple[int, dict[str, str]]], context: ParseContext, plan: MappingPlan
) -> Iterator[IngestRecord | RowError]:
    # Everything the loop needs, looked up once.
    cols = plan.columns
    c_id = plan.id_column
    c_given = cols["given_name"]
    c_family = cols["family_name"]
    c_dob = cols.get("date_of_birth", "")
    c_sex = cols.get("sex", "")
    c_other = cols.get("other_names", "")
    c_address = cols.get("address", "")
    c_postcode = cols.get("postcode", "")
    c_nhs = cols.get("nhs_number", "")
    c_upn = cols.get("upn", "")
    c_phone = cols.get("phone", "")
    c_email = cols.get("email", "")
    c_ethnicity = cols.get("ethnicity", "")
    c_recorded = plan.recorded_on_column
    values = plan.values or {}
    sex_code = _Codes(c_sex, Vocabulary.SEX, values.get("sex", NO_VALUES))
    ethnicity_code = _Codes(c_ethnicity, Vocabulary.ETHNICITY, values.get("ethnicity", NO_VALUES))
    dob_required = plan.date_of_birth_required
    facts = tuple(
        (rule, _Codes(rule.column, rule.vocabulary, rule.values) if rule.vocabulary else None)
        for rule in plan.facts
    )
    system = plan.system
    today = context.today
    dates = _Dates(plan.date_formats)
    seen = RecentIds()
    unknown_sex: str = Sex.UNKNOWN.value
    prefix = f"{name} line "

    for line, row in rows:
        location = prefix + str(line)
        if RAGGED in row:
            yield RowError(location, "", row[RAGGED])
            continue
        rc = RowCheck(location, context)
        local_id = rc.text(c_id, row[c_id], required=True, max_length=100)
        if local_id:
            first = seen.get(local_id)
            if first is None:
                seen[local_id] = line
            else:
                rc.error(c_id, f"id {local_id} already appears on line {first}", local_id)
        given = rc.name(c_given, row[c_given])
        family = rc.name(c_family, row[c_family])
        dob = dates(rc, c_dob, row[c_dob], required=dob_required) if c_dob else None
        sex = sex_code(rc, row[c_sex]) if c_sex and row[c_sex] else unknown_sex
        other = rc.other_names(c_other, row[c_other], separators=";,") if c_other and row[c_other] else ""
        address = rc.text(c_address, row[c_address]) if c_address else ""
        postcode = rc.postcode(c_postcode, row[c_postcode]) if c_postcode else ""
        nhs = rc.nhs_number(c_nhs, row[c_nhs]) if c_nhs else ""
        upn = rc.upn(c_upn, row[c_upn]) if c_upn else ""
        phone = _phone(rc, c_phone, row[c_phone]) if c_phone else ""
        email = _email(rc, c_email, row[c_email]) if c_email else ""
        ethnicity = ethnicity_code(rc, row[c_ethnicity]) if c_ethnicity else ""
        recorded_on = (dates(rc, c_recorded, row[c_recorded]) if c_recorded else None) or today
        found = tuple(_facts(rc, row, facts, dates)) if facts else ()
        if rc.errors:
            yield from rc.errors
            continue
        yield IngestRecord(
            location=location,
            system=system,
            local_id=local_id,
            person=PersonDetails(
                given_name=given,
                family_name=family,
                date_of_birth=dob,
                sex=sex,
                other_names=other,
                address=address,
                postcode=postcode,
                nhs_number=nhs,
                upn=upn,
            ),
            recorded_on=recorded_on,
            ethnicity=ethnicity,
            phone=phone,
            email=email,
            facts=found,
        )


def _facts(
    rc: RowCheck, row: Mapping[str, str], rules: tuple[tuple[FactRule, _Codes | None], ...], dates: _Dates
) -> Iterator[FactIn]:
    for rule, codes in rules:
        cell = row[rule.column]
        if not cell:
            continue
        if rule.when and normalise_code(cell) not in rule.when:
            continue
        cell = rc.text(rule.column, cell, max_length=1000)
        if not cell:
            continue
        value = cell
        if codes is not None:
            code = codes(rc, cell)
            if not code:
                continue
            value = rc.label(rule.vocabulary, code)
        on = dates(rc, rule.date_column, row[rule.date_column]) if rule.date_column else None
        yield FactIn(category=rule.category, summary=rule.summary.replace("{value}", value), recorded_on=on)


def _phone(rc: RowCheck, column: str, cell: str) -> str:
    """Digits with an optional leading +; spaces, hyphens, dots and brackets are dropped."""
    compact = PHONE_SEPARATORS.sub("", cell or "")
    value = rc.text(column, compact, max_length=20) if compact else ""
    if value and not PHONE_RE.match(value):
        rc.error(column, "is not a telephone number", cell)
        return ""
    return value


def _email(rc: RowCheck, column: str, cell: str) -> str:
    value = rc.text(column, cell, max_length=254)
    if value and not EMAIL_RE.match(value):
        rc.error(column, "is not an email address", cell)
        return ""
    return value
