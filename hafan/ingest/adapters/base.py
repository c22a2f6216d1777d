"""The shape every agency adapter shares, and the checks every row goes through.

An adapter is a class with a `format` name and a `parse(sources, context)` generator that yields
`IngestRecord` and `RowError` values (and raises `FileRejected` for a file it cannot trust). It reads
files through hafan.ingest.reading and checks values through `RowCheck`, so every format reports the
same reasons in the same words. To add a format: copy the closest adapter, change the parsing, add it
to hafan.ingest.adapters.ADAPTERS, add a fixture in tests/fixtures/ingest/ and a page in docs/ingest/.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hafan.ingest.reading import Source, looks_like_formula
from hafan.ingest.records import IngestRecord, RowError
from hafan.ingest.vocabularies import CodeBook, UnmappedCode, target_label
from hafan.people.identifiers import nhs_number_is_valid, normalise_nhs_number, normalise_upn, upn_is_valid

UK = zoneinfo.ZoneInfo("Europe/London")
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
DATETIME_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
)


@dataclass
class ParseContext:
    """What an adapter knows besides the file: whose data it is, their codes, and any mapping file."""

    agency_code: str
    codes: CodeBook
    mapping: dict[str, Any] | None = None  # a parsed TOML mapping file, for the mapped formats
    today: datetime.date = field(default_factory=datetime.date.today)


class Adapter:
    """Base class: subclasses set `format`, `label`, `description` and implement `parse`."""

    format: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    needs_mapping: ClassVar[bool] = False
    accepts_many_files: ClassVar[bool] = False

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        raise NotImplementedError


class RecentIds(OrderedDict[str, Any]):
    """Where each id of the last `window` rows first appeared, to name the earlier line of a duplicate.

    Bounded, so that memory stays flat however long the file; a duplicate further apart than the window
    is still refused when the import writes (services: "appears more than once in the file")."""

    def __init__(self, window: int = 100_000) -> None:
        super().__init__()
        self.window = window

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if len(self) > self.window:
            self.popitem(last=False)


class RowCheck:
    """Collects every problem with one row, so a data manager can fix them all in one go.

    Each method returns the cleaned value (or an empty value) and records an error when the input is
    not acceptable. Call `errors` at the end: a row with any error is reported, never written."""

    def __init__(self, location: str, context: ParseContext) -> None:
        self.location = location
        self.context = context
        self.errors: list[RowError] = []

    def error(self, field_name: str, reason: str, value: str = "") -> None:
        self.errors.append(RowError(self.location, field_name, reason, value[:200]))

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(
        self, field_name: str, value: str | None, *, required: bool = False, max_length: int = 300
    ) -> str:
        value = (value or "").strip()
        if not value:
            if required:
                self.error(field_name, "is required")
            return ""
        if looks_like_formula(value):
            self.error(field_name, "looks like a spreadsheet formula (CSV injection); refused", value)
            return ""
        if len(value) > max_length:
            self.error(field_name, f"is longer than {max_length} characters", value)
            return ""
        return value

    def name(self, field_name: str, value: str | None, *, required: bool = True) -> str:
        return self.text(field_name, value, required=required, max_length=100)

    def date(
        self,
        field_name: str,
        value: str | None,
        *,
        required: bool = False,
        formats: Sequence[str] = DATE_FORMATS,
        not_future: bool = True,
    ) -> datetime.date | None:
        value = (value or "").strip()
        if not value:
            if required:
                self.error(field_name, "is required")
            return None
        for fmt in formats:
            try:
                day = _fast_date(value, fmt) or datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007
            except ValueError:
                continue
            if not_future and day > self.context.today:
                self.error(field_name, "is in the future", value)
                return None
            if day.year < 1900:
                self.error(field_name, "is before 1900", value)
                return None
            return day
        self.error(field_name, f"is not a date in the form {' or '.join(_human(f) for f in formats)}", value)
        return None

    def datetime(
        self,
        field_name: str,
        value: str | None,
        *,
        required: bool = False,
        formats: Sequence[str] = DATETIME_FORMATS,
    ) -> datetime.datetime | None:
        """A local UK time (or an ISO time with an offset), returned timezone-aware."""
        value = (value or "").strip()
        if not value:
            if required:
                self.error(field_name, "is required")
            return None
        parsed = _fast_uk_datetime(value) if "%d/%m/%Y %H:%M" in formats else None
        if parsed is None:
            try:
                parsed = datetime.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            for fmt in formats:
                try:
                    parsed = datetime.datetime.strptime(value, fmt)  # noqa: DTZ007 - made aware below
                    break
                except ValueError:
                    continue
        if parsed is None:
            self.error(field_name, f"is not a date and time in the form {_human(formats[0])}", value)
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UK)
        if parsed.date() > self.context.today + datetime.timedelta(days=1):
            self.error(field_name, "is in the future", value)
            return None
        return parsed

    def nhs_number(self, field_name: str, value: str | None) -> str:
        number = normalise_nhs_number(value or "")
        if number and not nhs_number_is_valid(number):
            self.error(field_name, "is not a valid NHS number (10 digits with a check digit)", value or "")
            return ""
        return number

    def upn(self, field_name: str, value: str | None) -> str:
        upn = normalise_upn(value or "")
        if upn and not upn_is_valid(upn):
            self.error(
                field_name, "is not a valid unique pupil number (13 characters, check letter)", value or ""
            )
            return ""
        return upn

    def code(self, field_name: str, vocabulary: str, value: str | None, *, required: bool = False) -> str:
        """The Hafan value an agency code maps to; an unmapped code is an error on the row."""
        value = (value or "").strip()
        if not value:
            if required:
                self.error(field_name, "is required")
            return ""
        try:
            return self.context.codes.lookup(vocabulary, value)
        except UnmappedCode:
            self.error(
                field_name,
                f"code '{value[:40]}' has no mapping in the {vocabulary} vocabulary for {self.context.agency_code}: "
                "an administrator adds it under Ingest > Code mappings",
                value,
            )
            return ""

    def postcode(self, field_name: str, value: str | None) -> str:
        """A UK postcode, normalised: "np204xy" becomes "NP20 4XY"."""
        text = self.text(field_name, value, max_length=10)
        if not text:
            return ""
        compact = "".join(text.split()).upper()
        postcode = f"{compact[:-3]} {compact[-3:]}"
        if not POSTCODE_RE.match(postcode):
            self.error(field_name, "is not a UK postcode", text)
            return ""
        return postcode

    def other_names(self, field_name: str, value: str | None, *, separators: str = ";") -> str:
        """Nicknames and former names in one cell, split on any of `separators`; stored comma-separated,
        as the linkage engine reads them."""
        names = []
        for part in re.split(f"[{re.escape(separators)}]", value or ""):
            name = self.name(field_name, part, required=False)
            if name:
                names.append(" ".join(name.split()))
        return ", ".join(names)

    def label(self, vocabulary: str, value: str) -> str:
        """The English label of a mapped value, for a fact's summary."""
        return target_label(vocabulary, value) if value else ""


def _fast_date(value: str, fmt: str) -> datetime.date | None:
    """The two common date forms without strptime (ten times faster); None to fall back to strptime."""
    if len(value) != 10:
        return None
    if fmt == "%d/%m/%Y" and value[2] == "/" and value[5] == "/":
        day, month, year = value[0:2], value[3:5], value[6:10]
    elif fmt == "%Y-%m-%d" and value[4] == "-" and value[7] == "-":
        year, month, day = value[0:4], value[5:7], value[8:10]
    else:
        return None
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        return None
    return datetime.date(int(year), int(month), int(day))  # ValueError for 31/02: the caller's error


def _fast_uk_datetime(value: str) -> datetime.datetime | None:
    """dd/mm/yyyy hh:mm without strptime; None when the value has another shape."""
    if len(value) != 16 or value[2] != "/" or value[5] != "/" or value[10] != " " or value[13] != ":":
        return None
    year, month, day, hour, minute = value[6:10], value[3:5], value[0:2], value[11:13], value[14:16]
    if not (year.isdigit() and month.isdigit() and day.isdigit() and hour.isdigit() and minute.isdigit()):
        return None
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute))  # noqa: DTZ001
    except ValueError:
        return None


def _human(fmt: str) -> str:
    return (
        fmt.replace("%d", "DD")
        .replace("%m", "MM")
        .replace("%Y", "YYYY")
        .replace("%H", "hh")
        .replace("%M", "mm")
        .replace("%S", "ss")
    )
