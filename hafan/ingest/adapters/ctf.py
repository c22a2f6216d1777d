"""Education: the Common Transfer File (format `ctf`), the DfE's XML for pupils moving between schools.

The CTF schema applies to England and Wales; Welsh schools' management systems export it when a pupil
leaves. One `IngestRecord` per <Pupil> (system `CTF`, local id the UPN), with the sending school,
looked-after status, attendance and exclusions as facts. The file is streamed element by element
(hafan.ingest.reading.iter_xml: no DTDs, entities or external references), so memory stays flat
however many pupils it holds. See docs/ingest/ctf.md for the subset of the schema read.
"""

from __future__ import annotations

import codecs
import datetime
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar
from xml.etree.ElementTree import Element

from hafan.core.vocabulary import FactCategory
from hafan.ingest.adapters.base import UK, Adapter, ParseContext, RowCheck
from hafan.ingest.reading import Source, check_size, detect_encoding, iter_xml, local_name
from hafan.ingest.records import FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import Vocabulary
from hafan.people.models import Sex
from hafan.people.services import PersonDetails

PUPIL_PATH = "CTfile/CTFpupilData/Pupil"
HEADER_PATH = "CTfile/Header"
DOCUMENT_NAME = "Common Transfer File"
ISO_DATE = ("%Y-%m-%d",)
# The header comes first in every CTF; it is looked for in this much of the file, so that a file without
# one is rejected without parsing (and holding) the whole of it.
HEADER_WINDOW = 1 << 20
# Encodings an XML declaration may name. Expat reads these itself; any other name is refused before
# parsing (Python would otherwise try its own codecs, some of which are not text encodings at all).
XML_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-16": "utf-16",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-15": "iso-8859-15",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
}
_DECLARATION = re.compile(rb"""^<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']{1,40})["']""")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


@dataclass(frozen=True)
class CtfHeader:
    """What the file's <Header> says: which school sent it, and when."""

    version: str
    created_on: datetime.date
    school_la: str
    school_estab: str
    school_name: str

    def school_fact(self) -> FactIn:
        where = f"LA {self.school_la} establishment {self.school_estab}"
        summary = f"On roll at {self.school_name} ({where})" if self.school_name else f"On roll at {where}"
        return FactIn(FactCategory.SCHOOL, summary)


class CtfAdapter(Adapter):
    """Pupils from a Common Transfer File: identity, address, looked-after status, attendance, exclusions."""

    format = "ctf"
    label = "Education: Common Transfer File (XML)"
    description = (
        "A DfE Common Transfer File (England and Wales) from a school's management system: one record per "
        "pupil, keyed by UPN, with the school, looked-after status, attendance and exclusions as facts."
    )
    SYSTEM: ClassVar[str] = "CTF"

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        if len(sources) != 1:
            raise FileRejected(
                f"The {self.format} format reads one file at a time; {len(sources)} were given."
            )
        source = sources[0]
        check_size(source)
        # Only for its checks (NUL bytes, bytes that are no text at all): the XML declaration, not this
        # guess, decides how the parser decodes the file.
        detected = detect_encoding(source)
        check_declared_encoding(source, detected)
        header = read_header(source, context)
        for number, pupil in _elements(source, "Pupil"):
            yield from self._pupil(number, pupil, header, context)

    def _pupil(
        self, number: int, pupil: Element, header: CtfHeader, context: ParseContext
    ) -> Iterator[IngestRecord | RowError]:
        location = f"{PUPIL_PATH}[{number}]"
        check = RowCheck(location, context)
        raw_upn = _text(pupil, "UPN")
        if not raw_upn:
            check.error("UPN", "is required: a pupil is identified by their unique pupil number")
        upn = check.upn("UPN", raw_upn)
        family = check.name("Surname", _text(pupil, "Surname"))
        given = check.name("Forename", _text(pupil, "Forename"))
        birth_date = check.date("DOB", _text(pupil, "DOB"), required=True, formats=ISO_DATE)
        sex_field = "Sex" if _find(pupil, "Sex") is not None else "Gender"  # <Gender> in older schemas
        raw_sex = _text(pupil, sex_field)
        sex = check.code(sex_field, Vocabulary.SEX, raw_sex) if raw_sex else Sex.UNKNOWN
        basic = _find(pupil, "BasicDetails")
        other_names = _other_names(check, basic, given, family)
        ethnicity = check.code("BasicDetails/Ethnicity", Vocabulary.ETHNICITY, _text(basic, "Ethnicity"))
        address, postcode = _address(check, _find(pupil, "Address"))
        phone = check.text(
            "Phones/Phone/PhoneNo", _phone(_text(pupil, "Phones", "Phone", "PhoneNo")), max_length=40
        )
        email = check.text("Email", _text(pupil, "Email"), max_length=254)

        facts = [header.school_fact()]
        looked_after = _looked_after(check, basic)
        if looked_after is not None:
            facts.append(looked_after)
        facts.extend(_attendance(check, pupil))
        facts.extend(_exclusions(check, pupil))

        if not check.ok:
            yield from check.errors
            return
        yield IngestRecord(
            location=location,
            system=self.SYSTEM,
            local_id=upn,
            person=PersonDetails(
                given_name=given,
                family_name=family,
                date_of_birth=birth_date,
                sex=sex,
                other_names=other_names,
                address=address,
                postcode=postcode,
                upn=upn,
            ),
            recorded_on=header.created_on,
            ethnicity=ethnicity,
            phone=phone,
            email=email,
            facts=tuple(facts),
        )


# The file as a whole ----------------------------------------------------------------------------------------


def check_declared_encoding(source: Source, detected: str) -> None:
    """Refuse an encoding the parser cannot be trusted with, and bytes that contradict the declaration."""
    with source.open() as raw:
        head = raw.read(256)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="replace").encode("ascii", errors="replace")
    elif head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    match = _DECLARATION.match(head)
    if match is None:
        if detected == "cp1252":
            raise FileRejected(
                "The XML declaration names no encoding, so the file must be UTF-8, but it is not: "
                'add encoding="windows-1252" to the declaration or save the file as UTF-8.',
                source.name,
            )
        return
    declared = match.group(1).decode("ascii", errors="replace").strip().lower()
    encoding = XML_ENCODINGS.get(declared)
    if encoding is None:
        raise FileRejected(
            f"The XML declares the encoding {declared[:40]!r}; only UTF-8, UTF-16, ISO-8859-1, "
            "ISO-8859-15, US-ASCII and Windows-1252 are accepted.",
            source.name,
        )
    if encoding == "utf-8" and detected == "cp1252":
        raise FileRejected(
            "The XML declares UTF-8 but the file is not UTF-8 (it looks like Windows-1252): "
            'correct the declaration to encoding="windows-1252" or save the file as UTF-8.',
            source.name,
        )


def read_header(source: Source, context: ParseContext) -> CtfHeader:
    """The CTF <Header>, looked for in the first HEADER_WINDOW bytes; without one, the file is rejected."""
    with source.open() as raw:
        window = raw.read(HEADER_WINDOW)
    cut = len(window) == HEADER_WINDOW and source.size > HEADER_WINDOW
    elements = _elements(Source.from_bytes(source.name, window), "Header")
    try:
        found = next(elements, None)
        if found is None:
            raise FileRejected("The file has no CTF <Header>: it is not a Common Transfer File.", source.name)
        return _header(found[1], source.name, context)
    except FileRejected as exc:
        if not cut:
            raise
        raise FileRejected(
            f"No CTF <Header> could be read in the first {HEADER_WINDOW // 1024} KiB of the file ({exc.reason})",
            exc.location or source.name,
        ) from exc
    finally:
        elements.close()


def _header(element: Element, name: str, context: ParseContext) -> CtfHeader:
    check = RowCheck(HEADER_PATH, context)
    document = check.text("DocumentName", _text(element, "DocumentName"), required=True)
    if document and document.casefold() != DOCUMENT_NAME.casefold():
        check.error("DocumentName", f"is not '{DOCUMENT_NAME}'", document)
    version = check.text("CTFversion", _text(element, "CTFversion"), required=True, max_length=20)
    created = check.datetime("DateTime", _text(element, "DateTime"), required=True)
    la = check.text("SourceSchool/LEA", _text(element, "SourceSchool", "LEA"), required=True)
    if la and not re.fullmatch(r"\d{3}", la):
        check.error("SourceSchool/LEA", "is not a three-digit local authority number", la)
    estab = check.text("SourceSchool/Estab", _text(element, "SourceSchool", "Estab"), required=True)
    if estab and not re.fullmatch(r"\d{4}", estab):
        check.error("SourceSchool/Estab", "is not a four-digit establishment number", estab)
    school = check.text(
        "SourceSchool/SchoolName", _text(element, "SourceSchool", "SchoolName"), max_length=200
    )
    if not check.ok or created is None:
        problems = "; ".join(f"{HEADER_PATH}/{e.field} {e.reason}" for e in check.errors)
        raise FileRejected(f"The CTF header is not usable: {problems}.", f"{name} {HEADER_PATH}")
    return CtfHeader(version, created.astimezone(UK).date(), la, estab, school)


def _elements(source: Source, tag: str) -> Generator[tuple[int, Element]]:
    """reading.iter_xml, with the errors Python's codecs raise for odd declared encodings as rejections."""
    try:
        yield from iter_xml(source, tag=tag)
    except (LookupError, UnicodeError, ValueError) as exc:
        raise FileRejected(f"The XML cannot be decoded ({exc!s:.100}).", source.name) from exc


# One pupil's parts ------------------------------------------------------------------------------------------


def _find(element: Element | None, *path: str) -> Element | None:
    """The first descendant along `path` (children's local names: any namespace)."""
    for step in path:
        if element is None:
            return None
        element = next((child for child in element if local_name(child.tag) == step), None)
    return element


def _all(element: Element | None, *path: str) -> list[Element]:
    """Every child named path[-1] of the element at path[:-1]."""
    parent = _find(element, *path[:-1])
    if parent is None:
        return []
    return [child for child in parent if local_name(child.tag) == path[-1]]


def _text(element: Element | None, *path: str) -> str:
    found = _find(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _phone(value: str) -> str:
    # "+44 1633 123456" would look like a spreadsheet formula with its spaces; "+441633123456" does not.
    return re.sub(r"[\s().-]", "", value)


def _other_names(check: RowCheck, basic: Element | None, given: str, family: str) -> str:
    """The preferred name (when it differs from the legal one) and any former surname, comma-separated."""
    if basic is None:
        return ""
    preferred_given = check.name(
        "BasicDetails/PreferredForename", _text(basic, "PreferredForename"), required=False
    )
    preferred_family = check.name(
        "BasicDetails/PreferredSurname", _text(basic, "PreferredSurname"), required=False
    )
    former = check.name("BasicDetails/FormerSurname", _text(basic, "FormerSurname"), required=False)
    names: list[str] = []
    if preferred_given or preferred_family:
        preferred = f"{preferred_given or given} {preferred_family or family}".strip()
        if preferred != f"{given} {family}":
            names.append(preferred)
    if former and former != family:
        names.append(former)
    return ", ".join(names)


def _address(check: RowCheck, address: Element | None) -> tuple[str, str]:
    """A BS7666 address (PAON and Street on one line, then locality and town) or plain address lines."""
    if address is None:
        return "", ""
    parts: list[str] = []
    bs7666 = _find(address, "BS7666Address")
    if bs7666 is not None:
        saon, paon, street = (_text(bs7666, name) for name in ("SAON", "PAON", "Street"))
        if saon:
            parts.append(saon)
        if paon and street and paon[0].isdigit():
            parts.append(f"{paon} {street}")
        else:
            parts.extend(p for p in (paon, street) if p)
        town = _text(bs7666, "Town") or _text(bs7666, "PostTown")
        parts.extend(p for p in (_text(bs7666, "Locality"), town) if p)
    else:
        lines = _find(address, "AddressLines")
        if lines is not None:
            parts.extend(text for child in lines if (text := (child.text or "").strip()))
    where = "BS7666Address" if bs7666 is not None else "AddressLines"
    joined = check.text(f"Address/{where}", ", ".join(parts))
    raw_postcode = _text(address, "PostCode") or _text(bs7666, "PostCode")
    return joined, check.postcode("Address/PostCode", raw_postcode)


def _looked_after(check: RowCheck, basic: Element | None) -> FactIn | None:
    """<InCare> true: looked after by a local authority (<CareAuthority>, when given)."""
    holder = _find(basic, "LookedAfter") if _find(basic, "LookedAfter") is not None else basic
    field_name = "BasicDetails/LookedAfter/InCare" if holder is not basic else "BasicDetails/InCare"
    value = _text(holder, "InCare").casefold()
    if not value or value in _FALSE:
        return None
    if value not in _TRUE:
        check.error(field_name, "is not true or false", value)
        return None
    authority = _text(holder, "CareAuthority")
    if authority and re.fullmatch(r"\d{3}", authority):
        return FactIn(
            FactCategory.LOOKED_AFTER, f"Looked after (school record; care authority LA {authority})"
        )
    return FactIn(FactCategory.LOOKED_AFTER, "Looked after (school record)")


def _sessions(check: RowCheck, field_name: str, value: str, *, required: bool = True) -> int | None:
    if not value:
        if required:
            check.error(field_name, "is required")
        return None
    if not re.fullmatch(r"\d{1,5}", value):
        check.error(field_name, "is not a whole number of sessions", value)
        return None
    return int(value)


def _attendance(check: RowCheck, pupil: Element) -> list[FactIn]:
    """One fact per <YearData>: the attendance rate and the unauthorised absences, for that school year."""
    facts = []
    for n, year_data in enumerate(_all(pupil, "Attendance", "YearData"), start=1):
        where = f"Attendance/YearData[{n}]"
        year_text = _text(year_data, "Year")
        year = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
        if year is None:
            check.error(
                f"{where}/Year", "is not a four-digit year" if year_text else "is required", year_text
            )
        possible = _sessions(check, f"{where}/SessionsPossible", _text(year_data, "SessionsPossible"))
        authorised = _sessions(check, f"{where}/SessionsAuthorised", _text(year_data, "SessionsAuthorised"))
        unauthorised = _sessions(
            check, f"{where}/SessionsUnauthorised", _text(year_data, "SessionsUnauthorised")
        )
        if possible is None or authorised is None or unauthorised is None or year is None:
            continue
        if possible == 0:
            check.error(f"{where}/SessionsPossible", "is 0: no attendance rate can be worked out", "0")
            continue
        if authorised + unauthorised > possible:
            check.error(
                f"{where}/SessionsPossible",
                f"is less than the sessions missed ({authorised} authorised + {unauthorised} unauthorised)",
                str(possible),
            )
            continue
        rate = 100 * (possible - authorised - unauthorised) / possible
        facts.append(
            FactIn(
                FactCategory.ATTENDANCE,
                f"Attendance {year}/{(year + 1) % 100:02d}: {rate:.1f}% "
                f"({unauthorised} unauthorised sessions of {possible})",
            )
        )
    return facts


def _exclusions(check: RowCheck, pupil: Element) -> list[FactIn]:
    """One fact per <Exclusion>: its type (FIXD, PERM, LNCH), start date, reason code and sessions."""
    facts = []
    for n, exclusion in enumerate(_all(pupil, "Exclusions", "Exclusion"), start=1):
        where = f"Exclusions/Exclusion[{n}]"
        start = check.date(
            f"{where}/StartDate", _text(exclusion, "StartDate"), required=True, formats=ISO_DATE
        )
        kind = check.code(
            f"{where}/Category", Vocabulary.EXCLUSION_TYPE, _text(exclusion, "Category"), required=True
        )
        reason = check.text(f"{where}/Reason", _text(exclusion, "Reason"), max_length=10)
        sessions = _sessions(check, f"{where}/Sessions", _text(exclusion, "Sessions"), required=False)
        if start is None or not kind:
            continue
        details = [f"reason {reason}"] if reason else []
        if sessions is not None:
            details.append(f"{sessions} session{'' if sessions == 1 else 's'}")
        summary = f"{check.label(Vocabulary.EXCLUSION_TYPE, kind)} from {start:%d/%m/%Y}"
        facts.append(
            FactIn(
                FactCategory.ATTENDANCE, f"{summary} ({', '.join(details)})" if details else summary, start
            )
        )
    return facts
