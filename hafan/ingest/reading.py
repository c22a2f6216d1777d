"""Reading untrusted files safely: encodings, CSV, XML and JSON, streamed with bounded memory.

Every function here either yields well-formed pieces or raises `FileRejected` with a reason a data
manager can act on. Nothing here writes to the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as defused_iterparse
from django.conf import settings

from hafan.ingest.records import FileRejected

# Windows-1252 leaves five bytes undefined; a file containing them is not Windows-1252 either.
ENCODINGS = ("utf-8", "cp1252")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CSV_FIELD = 64 * 1024
# One record (a row, with any line breaks inside its quotes) holds at most this many characters: without
# a bound, a file of one endless line would be read into memory whole before any check could refuse it.
MAX_CSV_RECORD = 1024 * 1024
MAX_JSON_DEPTH = 64
# A number as a spreadsheet reads one: "-5" and "+1.5e3" are numbers, "-2+3", "-nan" and "-1_0" are not.
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_JSON_STRING_RE = re.compile(r'"[^"]*"')
_JSON_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_JSON_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


@dataclass(frozen=True)
class Source:
    """One input file: its name (as the sender named it) and a way to open its bytes, again and again."""

    name: str
    open: Callable[[], IO[bytes]]
    size: int

    @classmethod
    def from_path(cls, path: str) -> Source:
        import os

        return cls(name=os.path.basename(path), open=lambda: open(path, "rb"), size=os.path.getsize(path))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(name=name, open=lambda: io.BytesIO(data), size=len(data))


def check_size(source: Source) -> None:
    limit = settings.HAFAN_IMPORT_MAX_BYTES
    if source.size > limit:
        raise FileRejected(
            f"The file is {source.size:,} bytes; the limit is {limit:,} (HAFAN_IMPORT_MAX_BYTES).",
            source.name,
        )
    if source.size == 0:
        raise FileRejected("The file is empty.", source.name)


def detect_encoding(source: Source) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, else Windows-1252.

    The whole file is checked in chunks, so a single stray byte a million rows in is found before
    anything is written. NUL bytes mean a binary file or a broken export: rejected."""
    with source.open() as raw:
        head = raw.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _check_decodes(source, "utf-16")
        return "utf-16"
    else:
        candidates = ENCODINGS
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with source.open() as raw:
                while chunk := raw.read(1 << 20):
                    if b"\x00" in chunk:
                        raise FileRejected(
                            "The file contains NUL bytes: it is binary or damaged.", source.name
                        )
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileRejected(
        "The file is neither UTF-8 nor Windows-1252 text: save it as UTF-8 (CSV UTF-8 in Excel).", source.name
    )


def _check_decodes(source: Source, encoding: str) -> None:
    """The whole file decodes, and holds no NUL characters (UTF-16 has NUL bytes, but not NUL text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with source.open() as raw:
            while chunk := raw.read(1 << 20):
                if "\x00" in decoder.decode(chunk):
                    raise FileRejected(
                        "The file contains NUL characters: it is binary or damaged.", source.name
                    )
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"The file is not valid {encoding.upper()} text ({exc.reason}).", source.name
        ) from exc


def open_text(source: Source, encoding: str) -> IO[str]:
    return io.TextIOWrapper(source.open(), encoding=encoding, newline="")


def csv_rows(
    source: Source, encoding: str, *, required: tuple[str, ...], delimiter: str = ","
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs, the header's column names stripped. Ragged rows are reported by the
    caller through `RaggedRow`; a file whose structure breaks (an unterminated quote) is rejected."""
    csv.field_size_limit(MAX_CSV_FIELD)
    with open_text(source, encoding) as text:
        lines = _BoundedLines(text, source.name)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise FileRejected("The file has no header row.", source.name)
            columns = [c.strip() for c in header]
            missing = [c for c in required if c not in columns]
            if missing:
                hint = ""
                if len(columns) == 1 and any(d in columns[0] for d in ";\t|"):
                    hint = f" The file seems to use another separator than '{delimiter}'."
                raise FileRejected(
                    f"The header row lacks the column(s) {', '.join(missing)}.{hint}", f"{source.name} line 1"
                )
            duplicated = sorted({c for c in columns if columns.count(c) > 1 and c})
            if duplicated:
                raise FileRejected(
                    f"The header row repeats {', '.join(duplicated)}.", f"{source.name} line 1"
                )
            lines.pending = 0
            for row in reader:
                lines.pending = 0  # the reader reads no further than the row it returns
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(columns):
                    yield line, {RAGGED: f"{len(row)} fields where the header has {len(columns)}"}
                    continue
                yield line, {c: v.strip() for c, v in zip(columns, row, strict=True)}
        except csv.Error as exc:
            raise FileRejected(
                f"The CSV structure is broken ({exc}): the file may be truncated or not CSV.",
                f"{source.name} line {reader.line_num}",
            ) from exc
        except UnicodeError as exc:  # only when the caller names an encoding the bytes are not in
            raise FileRejected(
                f"The file cannot be read as {encoding} text ({_shown(str(exc), 80)}).", source.name
            ) from exc


class _BoundedLines:
    """The text's lines for csv.reader, each read with a bound, refusing a record (the lines the reader
    has taken since it last returned a row) longer than MAX_CSV_RECORD characters."""

    __slots__ = ("name", "pending", "readline")

    def __init__(self, text: IO[str], name: str) -> None:
        self.readline = text.readline
        self.name = name
        self.pending = 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.readline(MAX_CSV_RECORD + 1)
        if not line:
            raise StopIteration
        self.pending += len(line)
        if self.pending > MAX_CSV_RECORD:
            raise FileRejected(
                f"A row is longer than {MAX_CSV_RECORD:,} characters: the file is damaged or not CSV.",
                self.name,
            )
        return line


RAGGED = "\x00ragged"


def iter_xml(source: Source, *, tag: str) -> Iterator[tuple[int, Element]]:
    """Each complete `tag` element (namespace ignored) with its position, parsed without DTDs, entities or
    external references, and removed from the tree once yielded so that memory stays flat however long
    the file."""
    count = 0
    try:
        with source.open() as raw:
            context = defused_iterparse(raw, events=("start", "end"), forbid_dtd=True)
            parents: list[Element] = []
            for event, element in context:
                if event == "start":
                    parents.append(element)
                    continue
                parents.pop()
                if local_name(element.tag) == tag:
                    count += 1
                    yield count, element
                    element.clear()
                    if parents:
                        parents[-1].remove(element)
    except DefusedXmlException as exc:
        raise FileRejected(
            f"The XML declares a DTD, entities or external references ({type(exc).__name__}); these are refused.",
            source.name,
        ) from exc
    except ParseError as exc:
        line, column = exc.position
        raise FileRejected(
            f"The XML is malformed ({exc.msg if hasattr(exc, 'msg') else exc}): it may be truncated.",
            f"{source.name} line {line} column {column}",
        ) from exc
    except (LookupError, UnicodeError, ValueError) as exc:  # an unknown or unusable declared encoding
        raise FileRejected(f"The XML cannot be decoded ({str(exc)[:80]}).", source.name) from exc


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def load_json(source: Source, encoding: str) -> Any:
    """A JSON document, refusing duplicate keys, NaN and infinities, NUL characters, and nesting deeper
    than any real payload (a 10,000-deep document would otherwise exhaust the parser's stack).

    The document is read whole (the standard library has no streaming JSON parser), so its size is capped
    at HAFAN_IMPORT_JSON_MAX_BYTES, which bounds memory; larger bundles are sent in parts."""
    limit = settings.HAFAN_IMPORT_JSON_MAX_BYTES
    if source.size > limit:
        raise FileRejected(
            f"The JSON document is {source.size:,} bytes; JSON is read whole, so the limit is {limit:,} "
            "(HAFAN_IMPORT_JSON_MAX_BYTES): send it in smaller parts.",
            source.name,
        )

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise FileRejected(
                    f"The JSON repeats the key '{_shown(key, 40)}' in one object.", source.name
                )
            result[key] = value
        return result

    def no_constant(name: str) -> Any:
        raise FileRejected(f"The JSON contains {name}, which is not a number.", source.name)

    def finite(text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise FileRejected(f"The JSON number {text[:20]} is out of range.", source.name)
        return value

    try:
        with open_text(source, encoding) as stream:
            text = stream.read()
    except UnicodeError as exc:  # only when the caller names an encoding the bytes are not in
        raise FileRejected(
            f"The file cannot be read as {encoding} text ({_shown(str(exc), 80)}).", source.name
        ) from exc
    _check_depth(text, source.name)
    try:
        return json.loads(
            text, object_pairs_hook=no_duplicates, parse_constant=no_constant, parse_float=finite
        )
    except json.JSONDecodeError as exc:
        raise FileRejected(
            f"The JSON is malformed ({exc.msg}): it may be truncated.",
            f"{source.name} line {exc.lineno} column {exc.colno}",
        ) from exc
    except RecursionError as exc:  # pragma: no cover - _check_depth stops this first
        raise FileRejected("The JSON is nested too deeply.", source.name) from exc
    except ValueError as exc:  # e.g. an integer longer than Python converts (4,300 digits)
        raise FileRejected(
            f"The JSON holds a value that cannot be read ({_shown(str(exc), 80)}).", source.name
        ) from exc


def _check_depth(text: str, name: str) -> None:
    """Refuses nesting deeper than MAX_JSON_DEPTH and NUL characters (\\u0000, which PostgreSQL cannot
    store), with string operations rather than a loop over every character (a 50 MB file: under a
    second). Exact for valid JSON; invalid JSON is refused by the parser anyway."""
    # Escaped backslashes go first (left to right, as a parser reads them); then every backslash-u0000 left
    # is a NUL, every backslash-quote an escaped quote, and every other quote opens or closes a string.
    unescaped = text.replace("\\\\", "")
    if "\\u0000" in unescaped:
        raise FileRejected("The JSON contains a NUL character (\\u0000): it is binary or damaged.", name)
    outside_strings = _JSON_STRING_RE.sub("", unescaped.replace('\\"', ""))
    brackets = _JSON_NOT_BRACKET_RE.sub("", outside_strings)
    if max(accumulate(map(_JSON_DEPTH_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH:
        raise FileRejected(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.", name)


def _shown(value: str, limit: int) -> str:
    """Part of a value for a message: cut short, and lone surrogates escaped (they cannot be stored)."""
    return value[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def looks_like_formula(value: str) -> bool:
    """A cell a spreadsheet would run as a formula (CSV injection). Never valid in a name or a code."""
    return value.startswith(FORMULA_PREFIXES) and not _is_number(value)


def _is_number(value: str) -> bool:
    """Digits as a spreadsheet reads a number: not every text Python's float() accepts ("-nan", "-1_0")."""
    return _NUMBER_RE.fullmatch(value) is not None
