"""Health: FHIR R4 Bundles in JSON (format `fhir`), as the health board's systems export them.

A Bundle (type collection, batch, transaction or searchset) holds Patient, Encounter and Flag resources.
Each resource is validated with the fhir.resources R4B models (fhir.resources 8 has no plain R4 package;
R4B is structurally the same as R4 for these three resources). Conformance to the UK Core profiles is
not checked. Each Patient becomes one `IngestRecord` of the system `WPAS` (the NHS Wales patient
administration system): its emergency-department Encounters and active Flags become facts on it.
Other resource types are ignored. See docs/ingest/fhir.md.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pydantic
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.patient import Patient

from hafan.core.vocabulary import FactCategory
from hafan.ingest.adapters.base import UK, Adapter, ParseContext, RowCheck
from hafan.ingest.reading import Source, check_size, detect_encoding, load_json
from hafan.ingest.records import FactIn, FileRejected, IngestRecord, RowError
from hafan.ingest.vocabularies import Vocabulary
from hafan.people.models import Sex
from hafan.people.services import PersonDetails

# resourceType -> the model that validates it. fhir.resources' field types are pydantic aliases that
# mypy cannot follow usefully, so validated resources are handled as `Any` below.
MODELS: dict[str, type[pydantic.BaseModel]] = {"Patient": Patient, "Encounter": Encounter, "Flag": Flag}

_ENTRY = "Bundle.entry[{}]"
_ENTRY_INDEX = re.compile(r"^Bundle\.entry\[(\d+)\]$")


@dataclass
class _Entry:
    """One Patient, Encounter or Flag entry of the bundle, with what the first pass learnt about it."""

    index: int
    resource_type: str
    raw: dict[str, Any]
    full_url: str
    resource: Any = None  # the validated fhir.resources model, None when invalid
    errors: list[RowError] = field(default_factory=list)

    @property
    def location(self) -> str:
        return _ENTRY.format(self.index)


@dataclass
class _PatientEntry(_Entry):
    facts: list[tuple[int, FactIn]] = field(default_factory=list)
    linked_errors: list[RowError] = field(default_factory=list)  # from the entries about this patient


class FhirBundleAdapter(Adapter):
    """Patients, emergency-department attendances and safeguarding flags from a FHIR R4 JSON Bundle."""

    format = "fhir"
    label = "Health: FHIR R4 Bundle (JSON)"
    description = (
        "A FHIR R4 Bundle in JSON with Patient, Encounter and Flag resources: one record per patient, "
        "with emergency-department attendances and active safeguarding flags as facts."
    )
    # The Welsh Patient Administration System (NHS Wales): where the health board's local patient ids come from.
    SYSTEM: ClassVar[str] = "WPAS"
    NHS_NUMBER_SYSTEM: ClassVar[str] = "https://fhir.nhs.uk/Id/nhs-number"
    BUNDLE_TYPES: ClassVar[frozenset[str]] = frozenset({"collection", "batch", "transaction", "searchset"})

    def parse(self, sources: Sequence[Source], context: ParseContext) -> Iterator[IngestRecord | RowError]:
        if len(sources) != 1:
            raise FileRejected(
                f"The {self.format} format reads one file at a time; {len(sources)} were given."
            )
        source = sources[0]
        check_size(source)
        encoding = detect_encoding(source)
        try:
            document = load_json(source, encoding)
        except UnicodeError as exc:  # a UTF-16 byte-order mark followed by bytes that are not UTF-16
            raise FileRejected(f"The file cannot be read as {encoding} text.", source.name) from exc
        entries = self._bundle_entries(document, source.name)
        yield from _BundleReader(self, context).read(entries)

    def _bundle_entries(self, document: Any, name: str) -> list[Any]:
        if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
            found = document.get("resourceType") if isinstance(document, dict) else type(document).__name__
            raise FileRejected(
                f"The file is not a FHIR Bundle (its resourceType is {str(found)[:40]!r}).", name
            )
        bundle_type = document.get("type")
        if bundle_type not in self.BUNDLE_TYPES:
            raise FileRejected(
                f"The Bundle's type is {str(bundle_type)[:40]!r}; expected one of "
                f"{', '.join(sorted(self.BUNDLE_TYPES))}.",
                name,
            )
        entries = document.get("entry", [])
        if not isinstance(entries, list):
            raise FileRejected("Bundle.entry is not a list.", name)
        return entries


class _BundleReader:
    """Two passes over one bundle: validate and index every entry, then build each patient's record."""

    def __init__(self, adapter: FhirBundleAdapter, context: ParseContext) -> None:
        self.adapter = adapter
        self.context = context
        self.output: list[tuple[int, IngestRecord | RowError]] = []
        self.patients: list[_PatientEntry] = []
        self.others: list[_Entry] = []  # encounters and flags
        self.by_reference: dict[str, list[_PatientEntry]] = {}

    def read(self, entries: list[Any]) -> Iterator[IngestRecord | RowError]:
        for index, entry in enumerate(entries):
            self._index(index, entry)
        self._flag_ambiguous_references()
        for other in self.others:
            self._attach(other)
        for patient in self.patients:
            self._finish(patient)
        # File order: each record at its Patient entry, each error at the entry it is about.
        self.output.sort(key=lambda pair: pair[0])
        for _index, item in self.output:
            yield item

    # First pass -------------------------------------------------------------------------------------------

    def _index(self, index: int, entry: Any) -> None:
        location = _ENTRY.format(index)
        if not isinstance(entry, dict):
            self._error(index, RowError(location, "entry", "is not a JSON object"))
            return
        raw = entry.get("resource")
        if raw is None:
            return  # a transaction's DELETE or a search's outcome: nothing about a child
        if not isinstance(raw, dict):
            self._error(index, RowError(location, "resource", "is not a JSON object"))
            return
        resource_type = raw.get("resourceType")
        if not isinstance(resource_type, str) or not resource_type:
            self._error(index, RowError(location, "resource.resourceType", "is required"))
            return
        if resource_type not in MODELS:
            return  # Organization, Observation, ...: not read
        full_url = entry.get("fullUrl")
        full_url = full_url if isinstance(full_url, str) else ""
        item: _Entry
        if resource_type == "Patient":
            item = _PatientEntry(index, resource_type, raw, full_url)
        else:
            item = _Entry(index, resource_type, raw, full_url)
        try:
            item.resource = MODELS[resource_type].model_validate(raw)
        except pydantic.ValidationError as exc:
            item.errors.append(_validation_error(item.location, resource_type, exc))
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            item.errors.append(
                RowError(
                    item.location, "resource", f"cannot be read as a FHIR R4 {resource_type} ({exc!s:.100})"
                )
            )
        if isinstance(item, _PatientEntry):
            self.patients.append(item)
            for key in _patient_keys(raw, full_url):
                self.by_reference.setdefault(key, []).append(item)
        else:
            self.others.append(item)

    def _flag_ambiguous_references(self) -> None:
        for key, patients in self.by_reference.items():
            if len(patients) < 2:
                continue
            for patient in patients:
                others = ", ".join(p.location for p in patients if p is not patient)
                patient.errors.append(
                    RowError(
                        patient.location,
                        "fullUrl" if key == patient.full_url else "id",
                        f"is the same as {others}'s: references to it are ambiguous",
                        key[:200],
                    )
                )

    # Second pass ------------------------------------------------------------------------------------------

    def _attach(self, item: _Entry) -> None:
        """Resolve an encounter's or flag's patient, then turn it into a fact or errors on that patient."""
        reference = _subject_reference(item.raw)
        patient = self._resolve(reference)
        if patient is None:
            if not reference:
                if item.resource is not None:  # an invalid resource's error already says what is wrong
                    item.errors.append(RowError(item.location, "subject.reference", "is required"))
            else:
                item.errors.append(
                    RowError(
                        item.location,
                        "subject.reference",
                        "refers to a patient who is not in this bundle",
                        reference[:200],
                    )
                )
            for error in item.errors:
                self._error(item.index, error)
            return
        if item.resource is not None:
            check = RowCheck(item.location, self.context)
            if item.resource_type == "Encounter":
                fact = self._encounter_fact(check, item.resource)
            else:
                fact = self._flag_fact(check, item.resource)
            item.errors.extend(check.errors)
            if fact is not None and check.ok:
                patient.facts.append((item.index, fact))
        patient.linked_errors.extend(item.errors)

    def _resolve(self, reference: str) -> _PatientEntry | None:
        if not reference:
            return None
        reference = reference.split("/_history/", 1)[0]
        candidates = [reference]
        parts = reference.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == "Patient":
            candidates.append(f"Patient/{parts[-1]}")  # an absolute URL to a patient in this bundle
        for candidate in candidates:
            patients = self.by_reference.get(candidate)
            if patients:
                return patients[0]
        return None

    def _encounter_fact(self, check: RowCheck, encounter: Any) -> FactIn | None:
        """An emergency-department attendance: class EMER, or a type that says emergency."""
        if encounter.status in ("cancelled", "entered-in-error") or not _is_emergency(encounter):
            return None
        start = encounter.period.start if encounter.period is not None else None
        if start is None:
            check.error("period.start", "is required for an emergency-department attendance")
            return None
        day = _fhir_date(check, "period.start", start)
        reason = ""
        if encounter.reasonCode:
            concept = encounter.reasonCode[0]
            reason = check.text("reasonCode[0].text", concept.text or _first_display(concept))
        if day is None or not check.ok:
            return None
        summary = f"Emergency department attendance {day:%d/%m/%Y}"
        return FactIn(FactCategory.HEALTH_NEED, f"{summary}: {reason}" if reason else summary, day)

    def _flag_fact(self, check: RowCheck, flag: Any) -> FactIn | None:
        """An active safeguarding flag, its category from the health board's flag codes."""
        if flag.status != "active":
            return None
        recorded_on = None
        if flag.period is not None:
            if flag.period.end is not None:
                end = _fhir_date(check, "period.end", flag.period.end, not_future=False)
                if end is not None and end < self.context.today:
                    return None  # the flag has lapsed, whatever its status says
            if flag.period.start is not None:
                recorded_on = _fhir_date(check, "period.start", flag.period.start)
        coding = flag.code.coding[0] if flag.code.coding else None
        code = coding.code if coding is not None else None
        category = check.code("code.coding[0].code", Vocabulary.FLAG_CODE, code, required=True)
        text = check.text("code.text", flag.code.text or _first_display(flag.code) or code)
        if not check.ok:
            return None
        return FactIn(category, f"Safeguarding flag: {text}", recorded_on)

    def _finish(self, patient: _PatientEntry) -> None:
        """The patient's record, or every error about them: their own, then those of their entries."""
        record = None
        own = list(patient.errors)
        if patient.resource is not None:
            check = RowCheck(patient.location, self.context)
            check.errors.extend(patient.errors)
            record = self._record(check, patient)
            own = check.errors
        if record is not None and not own and not patient.linked_errors:
            self.output.append((patient.index, record))
            return
        for error in own:
            self._error(patient.index, error)
        if patient.linked_errors and not own:
            failing = sorted({e.location for e in patient.linked_errors}, key=_entry_number)
            self._error(
                patient.index,
                RowError(
                    patient.location,
                    "resource",
                    f"the patient is not imported because {', '.join(failing)} about them "
                    f"{'has' if len(failing) == 1 else 'have'} errors",
                ),
            )
        for error in patient.linked_errors:
            self._error(_entry_number(error.location), error)

    def _record(self, check: RowCheck, patient: _PatientEntry) -> IngestRecord | None:
        resource = patient.resource
        local_id = ""
        nhs_number = ""
        for i, identifier in enumerate(resource.identifier or []):
            if not identifier.value:
                continue
            if identifier.system == self.adapter.NHS_NUMBER_SYSTEM:
                if not nhs_number:
                    nhs_number = check.nhs_number(f"identifier[{i}].value", identifier.value)
            elif not local_id:
                local_id = check.text(f"identifier[{i}].value", identifier.value, max_length=100)
        if not local_id and resource.id:
            local_id = check.text("id", resource.id, max_length=100)
        if not local_id:
            check.error("identifier", "is required: a local identifier (not the NHS number) or Patient.id")

        given, family, other_names = _names(check, resource.name or [])
        birth_date = _fhir_date(check, "birthDate", resource.birthDate) if resource.birthDate else None
        sex = check.code("gender", Vocabulary.SEX, resource.gender) if resource.gender else Sex.UNKNOWN
        address, postcode = _address(check, resource.address or [])
        phone, email = _telecom(check, resource.telecom or [])
        recorded_on = self.context.today
        if resource.meta is not None and resource.meta.lastUpdated is not None:
            recorded_on = _fhir_date(check, "meta.lastUpdated", resource.meta.lastUpdated) or recorded_on
        if not check.ok:
            return None
        return IngestRecord(
            location=patient.location,
            system=self.adapter.SYSTEM,
            local_id=local_id,
            person=PersonDetails(
                given_name=given,
                family_name=family,
                date_of_birth=birth_date,
                sex=sex,
                other_names=other_names,
                address=address,
                postcode=postcode,
                nhs_number=nhs_number,
            ),
            recorded_on=recorded_on,
            phone=phone,
            email=email,
            facts=tuple(fact for _index, fact in sorted(patient.facts, key=lambda pair: pair[0])),
        )

    def _error(self, index: int, error: RowError) -> None:
        self.output.append((index, error))


# Helpers --------------------------------------------------------------------------------------------------


def _validation_error(location: str, resource_type: str, exc: pydantic.ValidationError) -> RowError:
    """The first problem pydantic found, at its FHIR path ("name[0].given"), in the model's own words."""
    first = exc.errors()[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    value = first.get("input")
    shown = str(value)[:200] if isinstance(value, str | int | float | bool) else ""
    return RowError(
        location, path or "resource", f"is not valid in a FHIR R4 {resource_type}: {first['msg']}", shown
    )


def _patient_keys(raw: dict[str, Any], full_url: str) -> list[str]:
    keys = []
    if isinstance(raw.get("id"), str) and raw["id"]:
        keys.append(f"Patient/{raw['id']}")
    if full_url:
        keys.append(full_url)
    return keys


def _subject_reference(raw: dict[str, Any]) -> str:
    subject = raw.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    return reference.strip() if isinstance(reference, str) else ""


def _entry_number(location: str) -> int:
    match = _ENTRY_INDEX.match(location)
    return int(match.group(1)) if match else -1


def _is_emergency(encounter: Any) -> bool:
    if encounter.class_fhir is not None and (encounter.class_fhir.code or "").upper() == "EMER":
        return True
    for concept in encounter.type or []:
        words = [concept.text or ""]
        for coding in concept.coding or []:
            if coding.code == "4525004":  # SNOMED CT: emergency department patient visit
                return True
            words.append(coding.display or "")
        if any("emergency" in word.casefold() for word in words):
            return True
    return False


def _first_display(concept: Any) -> str:
    for coding in concept.coding or []:
        if coding.display:
            return str(coding.display)
    return ""


def _fhir_date(
    check: RowCheck, field_name: str, value: Any, *, not_future: bool = True
) -> datetime.date | None:
    """A FHIR date or dateTime as a day (UK time). A partial date ("2012", "2012-04") is an error."""
    if isinstance(value, datetime.datetime):
        moment = check.datetime(field_name, value.isoformat()) if not_future else value
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UK)
        return moment.astimezone(UK).date()
    if isinstance(value, datetime.date):
        return check.date(field_name, value.isoformat(), formats=("%Y-%m-%d",), not_future=not_future)
    return check.date(field_name, str(value), formats=("%Y-%m-%d",), not_future=not_future)


def _names(check: RowCheck, names: list[Any]) -> tuple[str, str, str]:
    """Given name, family name and other names: the official name (else the first that is not a
    nickname, old or maiden name), and every nickname or usual name besides it."""
    chosen = next((i for i, n in enumerate(names) if n.use == "official"), None)
    if chosen is None:
        chosen = next((i for i, n in enumerate(names) if n.use not in ("nickname", "old", "maiden")), None)
    if chosen is None:
        check.error("name", "is required: an official or usual name with a given and a family name")
        return "", "", ""
    name = names[chosen]
    given = check.name(f"name[{chosen}].given[0]", name.given[0] if name.given else "")
    family = check.name(f"name[{chosen}].family", name.family)
    others: list[str] = []
    for i, other in enumerate(names):
        if i == chosen or other.use not in ("nickname", "usual"):
            continue
        text = other.text or " ".join([*(other.given or []), other.family or ""])
        cleaned = check.name(f"name[{i}]", " ".join(text.split()), required=False)
        if cleaned and cleaned not in others and cleaned != f"{given} {family}":
            others.append(cleaned)
    return given, family, ", ".join(others)


def _address(check: RowCheck, addresses: list[Any]) -> tuple[str, str]:
    """The home address (else the first that is not old): its lines and city, and its postcode."""
    current = [(i, a) for i, a in enumerate(addresses) if a.use != "old"]
    if not current:
        return "", ""
    index, chosen = next(((i, a) for i, a in current if a.use == "home"), current[0])
    parts = [*(chosen.line or []), chosen.city or ""]
    address = check.text(f"address[{index}].line", ", ".join(p.strip() for p in parts if p and p.strip()))
    return address, check.postcode(f"address[{index}].postalCode", chosen.postalCode)


def _telecom(check: RowCheck, telecom: list[Any]) -> tuple[str, str]:
    phone = email = ""
    for i, point in enumerate(telecom):
        if not point.value or point.use == "old":
            continue
        if point.system == "phone" and not phone:
            # "+44 1633 123456" would look like a spreadsheet formula with its spaces; "+441633123456" does not
            phone = check.text(f"telecom[{i}].value", re.sub(r"[\s().-]", "", point.value), max_length=40)
        elif point.system == "email" and not email:
            email = check.text(f"telecom[{i}].value", point.value, max_length=254)
    return phone, email
