"""Pre-filling the structured risk questions from what the agencies already know. Pure: no database.

The grading officer answers each `RiskQuestion` (yes, no, not known). Hafan suggests an answer from the
facts the officer may see, with the evidence, its source and its date; the officer confirms or corrects it.
The caller passes only facts the officer may see (read with `facts_visible_to`), so a pre-fill never shows
anything the officer could not read on the briefing. Keywords match case-insensitively, in English and Welsh.

The rules (the newest matching fact is the source: agency, the fact's own source, the date recorded):

- VULNERABLE: yes when the child is under 12 (source: the hub identity's date of birth), otherwise yes when
  any health-needs fact exists (the newest one).
- SELF_HARM: yes when a health, social care or debrief fact, or a police warning marker, mentions self-harm,
  suicide, overdose, CAMHS, mental health, depression or low mood.
- MEDICATION: yes when a health-needs fact mentions medication, insulin, an inhaler, epilepsy, diabetes,
  medicine, tablets, prescribed drugs (or the named drugs in common use: methylphenidate, sertraline,
  valproate, an adrenaline pen).
- EXPLOITATION: yes when any exploitation-concerns fact exists, or a police warning marker or a social care
  fact names exploitation (county lines, CSE, CCE, grooming, trafficking; Welsh forms too).
- VICTIM_OF_CRIME: yes when a child protection fact exists, or a police warning marker mentions a victim,
  abuse or assault.
- PREVIOUS_EPISODES: yes with "N earlier episodes, usually X hours, found most often at Y" (source: Hafan
  episode history) when there are earlier episodes; no otherwise.
- OUT_OF_CHARACTER: yes ("first time") when there are no earlier episodes; no otherwise (same source).
- KNOWN_REASON, PREPARATIONS: never pre-filled; only the people around the child know.

With no matching data a question is "not known" with no source ("Not in any agency's records"): the absence of
a record is not evidence that a risk is absent.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hafan.core.vocabulary import DataCategory, FactCategory

YES, NO, UNKNOWN = "yes", "no", "unknown"

# The question codes (hafan.risk.models.RiskQuestion values), spelt out so this module needs no models.
OUT_OF_CHARACTER = "out_of_character"
VULNERABLE = "vulnerable"
VICTIM_OF_CRIME = "victim_of_crime"
SELF_HARM = "self_harm"
MEDICATION = "medication"
EXPLOITATION = "exploitation"
PREVIOUS_EPISODES = "previous_episodes"
KNOWN_REASON = "known_reason"
PREPARATIONS = "preparations"
QUESTIONS = [
    OUT_OF_CHARACTER,
    VULNERABLE,
    VICTIM_OF_CRIME,
    SELF_HARM,
    MEDICATION,
    EXPLOITATION,
    PREVIOUS_EPISODES,
    KNOWN_REASON,
    PREPARATIONS,
]

YOUNG_AGE = 12
EVIDENCE_CHARS = 300

SELF_HARM_WORDS = [
    r"self[- ]?harm",
    r"suicid",
    r"overdos",
    r"camhs",
    r"mental health",
    r"depress",
    r"low mood",
    # Welsh
    r"hunan[- ]?niwed",
    r"hunanladd",
    r"gorddos",
    r"iechyd meddwl",
    r"iselder",
]
MEDICATION_WORDS = [
    r"medicat",
    r"medicine",
    r"insulin",
    r"inhaler",
    r"epilep",
    r"diabet",
    r"tablet",
    r"prescri",
    r"methylphenidate",
    r"sertraline",
    r"valproate",
    r"adrenaline pen",
    r"epipen",
    # Welsh
    r"meddyginiaeth",
    r"moddion",
    r"inswlin",
    r"anadlydd",
    r"epilepsi",
    r"tabledi",
    r"presgripsiwn",
]
EXPLOITATION_WORDS = [
    r"county lines",
    r"exploit",
    r"\bcse\b",
    r"\bcce\b",
    r"groom",
    r"traffick",
    r"cuckoo",
    # Welsh
    r"camfanteis",
    r"llinellau cyffuriau",
    r"masnachu",
]
VICTIM_WORDS = [
    r"victim",
    r"abuse",
    r"assault",
    # Welsh
    r"dioddefwr",
    r"cam-?drin",
    r"ymosod",
]

_SELF_HARM = re.compile("|".join(SELF_HARM_WORDS), re.IGNORECASE)
_MEDICATION = re.compile("|".join(MEDICATION_WORDS), re.IGNORECASE)
_VICTIM = re.compile("|".join(VICTIM_WORDS), re.IGNORECASE)
_EXPLOITATION = re.compile("|".join(EXPLOITATION_WORDS), re.IGNORECASE)

# A mention just after a negation ("no medication", "denies self-harm", "dim meddyginiaeth") is not evidence.
_NEGATION = re.compile(
    r"\b(no|not|none|denies|denied|never|without|dim|heb)\b(?:(?!\b(?:but|however|ond)\b)[^.;,]){0,40}$",
    re.IGNORECASE,
)


def _says(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `text` mentions `pattern` other than in a negation."""
    text = text or ""
    return any(not _NEGATION.search(text[max(0, m.start() - 50) : m.start()]) for m in pattern.finditer(text))


# Whose records speak to self-harm: health, social care and what the child said in a debrief.
_SELF_HARM_DATA = {DataCategory.HEALTH, DataCategory.SOCIAL_CARE, DataCategory.DEBRIEF_DISCLOSURE}


@dataclass(frozen=True)
class Prefill:
    """Hafan's suggested answer to one question and where it came from."""

    answer: str = UNKNOWN
    evidence: str = ""
    source: str = ""
    source_date: datetime.date | None = None

    @property
    def has_source(self) -> bool:
        return bool(self.source)


class FactLike(Protocol):
    """What pre-fill reads from a fact (people.Fact has these)."""

    category: str
    summary: str
    source: str
    recorded_on: datetime.date
    data_category: str


class EarlierSummary(Protocol):
    """What pre-fill reads about earlier episodes (episodes.selectors.EarlierEpisodes has these)."""

    median_hours: float | None
    found_places: list[tuple[str, int]]


def _agency_name(fact: Any) -> str:
    agency = getattr(fact, "agency", None)
    return str(getattr(agency, "name", "") or "") if agency is not None else ""


def _source_of(fact: FactLike) -> str:
    agency = _agency_name(fact)
    own = (fact.source or "").strip()
    if agency and own:
        return f"{agency} ({own})"
    return agency or own


def _evidence(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1].rstrip() + "…"


def _newest(facts: Iterable[FactLike]) -> FactLike | None:
    found = list(facts)
    if not found:
        return None
    return max(found, key=lambda f: f.recorded_on)


def _from_fact(fact: FactLike | None) -> Prefill:
    if fact is None:
        return Prefill()
    return Prefill(
        answer=YES, evidence=_evidence(fact.summary), source=_source_of(fact), source_date=fact.recorded_on
    )


def _is_self_harm_fact(fact: FactLike) -> bool:
    speaks = fact.data_category in _SELF_HARM_DATA or fact.category in {
        FactCategory.HEALTH_NEED,
        FactCategory.WARNING_MARKER,
        FactCategory.LOOKED_AFTER,
        FactCategory.CHILD_PROTECTION,
    }
    return speaks and _says(_SELF_HARM, fact.summary)


def _is_exploitation_fact(fact: FactLike) -> bool:
    if fact.category == FactCategory.EXPLOITATION:
        return True
    speaks = fact.category == FactCategory.WARNING_MARKER or fact.data_category == DataCategory.SOCIAL_CARE
    return speaks and _says(_EXPLOITATION, fact.summary)


def _is_victim_fact(fact: FactLike) -> bool:
    if fact.category == FactCategory.CHILD_PROTECTION:
        return True
    return fact.category == FactCategory.WARNING_MARKER and _says(_VICTIM, fact.summary)


def _earlier_text(count: int, summary: EarlierSummary | None) -> str:
    parts = [
        ngettext("%(n)s earlier episode", "%(n)s earlier episodes", count) % {"n": count},
    ]
    if summary is not None and summary.median_hours is not None:
        parts.append(_("usually %(hours)s hours") % {"hours": summary.median_hours})
    if summary is not None and summary.found_places:
        parts.append(_("found most often at %(place)s") % {"place": summary.found_places[0][0]})
    return ", ".join(parts)


def prefill(
    *,
    facts: Iterable[FactLike],
    earlier_count: int,
    earlier_summary: EarlierSummary | None,
    child_age: int | None,
    today: datetime.date,
) -> dict[str, Prefill]:
    """Each question's suggested answer from the facts given (only those the officer may see), the child's
    earlier episodes and age. Every question has an entry; see the module docstring for the rules."""
    facts = [f for f in facts if (f.summary or "").strip()]
    history = _("Hafan episode history")
    result: dict[str, Prefill] = {}

    health = [f for f in facts if f.category == FactCategory.HEALTH_NEED]
    if child_age is not None and child_age < YOUNG_AGE:
        result[VULNERABLE] = Prefill(
            answer=YES,
            evidence=_("Aged %(age)s: under %(limit)s.") % {"age": child_age, "limit": YOUNG_AGE},
            source=_("Hub identity, date of birth"),
            source_date=today,
        )
    else:
        result[VULNERABLE] = _from_fact(_newest(health))

    result[SELF_HARM] = _from_fact(_newest(f for f in facts if _is_self_harm_fact(f)))
    result[MEDICATION] = _from_fact(_newest(f for f in health if _says(_MEDICATION, f.summary)))
    result[EXPLOITATION] = _from_fact(_newest(f for f in facts if _is_exploitation_fact(f)))
    result[VICTIM_OF_CRIME] = _from_fact(_newest(f for f in facts if _is_victim_fact(f)))

    if earlier_count > 0:
        result[PREVIOUS_EPISODES] = Prefill(
            answer=YES,
            evidence=_earlier_text(earlier_count, earlier_summary),
            source=history,
            source_date=today,
        )
        result[OUT_OF_CHARACTER] = Prefill(
            answer=NO,
            evidence=ngettext(
                "Reported missing %(n)s time before.", "Reported missing %(n)s times before.", earlier_count
            )
            % {"n": earlier_count},
            source=history,
            source_date=today,
        )
    else:
        result[PREVIOUS_EPISODES] = Prefill(
            answer=NO, evidence=_("No earlier episodes."), source=history, source_date=today
        )
        result[OUT_OF_CHARACTER] = Prefill(
            answer=YES,
            evidence=_("The first time the hub has a record of the child going missing."),
            source=history,
            source_date=today,
        )

    result[KNOWN_REASON] = Prefill()
    result[PREPARATIONS] = Prefill()
    return {code: result[code] for code in QUESTIONS}
