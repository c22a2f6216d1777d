"""The typed records every adapter produces: one shape, whatever the agency's format.

An adapter turns a file into a stream of `IngestRecord` (one agency record about one child) and
`RowError` (a row or element that failed its checks, with where and why). A problem with the file as a
whole (wrong encoding, malformed structure, truncated, hostile XML) raises `FileRejected`, and then
nothing from the file is written. The services do the writing; adapters never touch the database.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from hafan.people.services import PersonDetails


@dataclass(frozen=True)
class FactIn:
    """Something the record says about the child, in the hub's fact categories (FactCategory values)."""

    category: str
    summary: str
    recorded_on: datetime.date | None = None  # None: the record's own date


@dataclass(frozen=True)
class EpisodeIn:
    """A missing episode as the police system recorded it, keyed by its occurrence number."""

    occurrence_number: str
    category: str  # EpisodeCategory value
    reported_at: datetime.datetime
    last_seen_at: datetime.datetime
    last_seen_place: str
    risk_grade: str = ""  # RiskGrade value, mapped from the force's own labels
    reporter: str = ""
    circumstances: str = ""
    returned_at: datetime.datetime | None = None
    found_where: str = ""
    found_by: str = ""  # FoundBy value


_EPISODE_FIELDS = [f.name for f in fields(EpisodeIn)]


@dataclass(frozen=True)
class IngestRecord:
    """One agency record about one child: who the child is, and what the record says about them."""

    location: str  # where in the file: "line 12", "Bundle.entry[3]", "Pupil[2]"
    system: str  # the agency's system, e.g. "Niche RMS", "WCCIS", "SIMS"
    local_id: str  # the record's id in that system: unique per agency and system
    person: PersonDetails
    recorded_on: datetime.date
    person_ref: str = ""  # the person's id in the agency's system, when records are per event
    ethnicity: str = ""  # Ethnicity value
    phone: str = ""
    email: str = ""
    facts: tuple[FactIn, ...] = ()
    episodes: tuple[EpisodeIn, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The record as plain JSON-ready data: what a version keeps, and what the content hash covers."""
        return json.loads(self._canonical)

    def payload_json(self) -> str:
        """The payload as canonical JSON text (sorted keys, compact): what the content hash is taken of."""
        return self._canonical

    def content_hash(self) -> str:
        return self._digest

    @cached_property
    def _digest(self) -> str:
        return hashlib.sha256(self._canonical.encode()).hexdigest()

    @cached_property
    def _canonical(self) -> str:
        person = self.person
        data = {
            "system": self.system,
            "local_id": self.local_id,
            "person": {
                "given_name": person.given_name,
                "family_name": person.family_name,
                "date_of_birth": _iso(person.date_of_birth),
                "sex": person.sex,
                "other_names": person.other_names,
                "address": person.address,
                "postcode": person.postcode,
                "nhs_number": person.nhs_number,
                "upn": person.upn,
            },
            "recorded_on": _iso(self.recorded_on),
            "person_ref": self.person_ref,
            "ethnicity": self.ethnicity,
            "phone": self.phone,
            "email": self.email,
            "facts": [[f.category, f.summary, _iso(f.recorded_on)] for f in self.facts],
            "episodes": [[_iso(getattr(e, name)) for name in _EPISODE_FIELDS] for e in self.episodes],
        }
        return json.dumps(
            data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
        )


def _iso(value: Any) -> Any:
    """Dates and times as ISO 8601 text, before encoding (faster than the encoder's fallback hook)."""
    return value.isoformat() if isinstance(value, datetime.date) else value


def _json_default(value: Any) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@dataclass(frozen=True)
class RowError:
    """A row (or element) that failed a check: reported, never written, never guessed at."""

    location: str
    field: str
    reason: str
    value: str = ""


class FileRejected(Exception):
    """The file as a whole cannot be trusted: nothing from it is imported."""

    def __init__(self, reason: str, location: str = "") -> None:
        super().__init__(f"{location}: {reason}" if location else reason)
        self.reason = reason
        self.location = location
