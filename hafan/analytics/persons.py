"""Persons of concern: adults named across several children's records. Pure: no database, no clock.

An associate is recorded as free text by whoever supplied it: a police POLE associate ("Aled Price (about 24),
known as 'Smokey'"), a council's note, or what a child agreed to share in a debrief ("older friend Jay, in his
20s"). `parse_associate` reads one such text into a normalised name, nicknames and what it says about age;
`persons_of_concern` groups the mentions of one person across children and keeps those that name an adult
connected with enough children.

Decisions:
- Names are compared lower-case, accents stripped, punctuation and extra spaces removed ("Siân O'Neil" and
  "sian oneil" are one person). Nicknames in quotes, or after "known as"/"aka", are nicknames, not names.
- A mention with a nickname only joins the named person who carries that nickname when exactly one does;
  two named people sharing a nickname are never merged on it (a false merge is worse than a miss).
- Adult: a stated age of 18 or over (the largest age stated across mentions wins: the same person is named
  at different times), or words that describe an adult ("adult", "older", "man", "woman", "in his 20s").
  A stated age under 18 with no adult description is a child: never a person of concern. No age and no
  description: included only when named by at least two children, flagged "age not known".
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

ADULT_AGE = 18
# "Age not known" needs at least this many children whatever the setting, so one child's word about someone
# of unknown age never makes them a person of concern.
UNKNOWN_AGE_MIN_CHILDREN = 2

_QUOTED = re.compile(r"""["“”‘’']([^"“”‘’']{1,40})["“”‘’']""")
_KNOWN_AS = re.compile(
    r"\b(?i:known as|aka|a\.k\.a\.?|calls? (?:him|her)self|called|named)\s+([A-Za-zÀ-ÿ][\w\-]*(?:\s+[A-Z][\w\-]*)?)"
)
_INTRODUCER = re.compile(r"\b(?i:known as|aka|a\.k\.a\.?|called|named)(?=\s|$)")
_AGE_PATTERNS = [
    re.compile(
        r"\(\s*(?:about|approx\.?|approximately|around|roughly|c\.|aged?)?\s*(\d{1,2})\s*\+?\s*\)", re.I
    ),
    re.compile(r"\baged?\s*(?:about|around)?\s*(\d{1,2})\b", re.I),
    re.compile(r"\b(\d{1,2})\s*(?:yo|y/o|yrs?|years?(?:\s*old)?)\b", re.I),
]
_DECADE = re.compile(r"\bin (?:his|her|their) (?:early |mid |late |mid-|early-|late-)?(\d0)s\b", re.I)
_DECADE_WORDS = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "teens": 13}
_DECADE_WORD = re.compile(
    r"\bin (?:his|her|their) (?:early |mid |late )?(twenties|thirties|forties|fifties|teens)\b", re.I
)
_ADULT_WORDS = re.compile(
    r"\b(adult|adults|older (?:male|female|man|woman|men|women|friend|friends|boyfriend|girlfriend|guy|lad)|"
    r"man|men|woman|women|grown[- ]up)\b",
    re.I,
)
# Words that begin a description rather than a name: "older friend Jay", "a man called Smokey".
_DESCRIPTIVE_START = {
    "a", "an", "the", "older", "unknown", "some", "someone", "friend", "friends", "man", "woman", "male",
    "female", "boyfriend", "girlfriend", "adult", "lad", "guy", "his", "her", "their", "my", "on", "alone",
    "nobody", "no", "with", "by", "own", "cousin", "brother", "sister", "uncle", "aunt", "mate", "mates",
    "people", "group", "gang", "family",
}  # fmt: skip


def fold(text: str) -> str:
    """Lower case, accents stripped, anything but letters and digits a single space: the form names compare in."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("'", "").replace("’", "")  # O'Neil and ONeil are one name
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.lower()).split())


@dataclass(frozen=True)
class ParsedAssociate:
    """One associate text, read: the name to group on ("" when only a nickname or description was given)."""

    text: str
    name: str  # as written (quotes and ages removed), for display
    key: str  # fold(name), "" when no name
    nicknames: tuple[str, ...]  # as written
    nickname_keys: tuple[str, ...]
    age: int | None  # a stated age; a decade ("in his 20s") gives its first year
    adult_described: bool

    @property
    def group_key(self) -> str:
        """What mentions of one person are grouped by: the name, else the first nickname."""
        if self.key:
            return self.key
        if self.nickname_keys:
            return "aka " + self.nickname_keys[0]
        return ""


def _stated_age(text: str) -> int | None:
    ages = [int(m.group(1)) for pattern in _AGE_PATTERNS for m in pattern.finditer(text)]
    ages += [int(m.group(1)) for m in _DECADE.finditer(text)]
    ages += [_DECADE_WORDS[m.group(1).lower()] for m in _DECADE_WORD.finditer(text)]
    ages = [a for a in ages if 5 <= a <= 99]
    return max(ages) if ages else None


def _describes_adult(text: str) -> bool:
    unquoted = _QUOTED.sub(" ", text)  # a nickname such as 'Big Man' describes nobody's age
    if _ADULT_WORDS.search(unquoted):
        return True
    decades = [int(m.group(1)) for m in _DECADE.finditer(unquoted)]
    decades += [_DECADE_WORDS[m.group(1).lower()] for m in _DECADE_WORD.finditer(unquoted)]
    return any(d >= ADULT_AGE for d in decades)


def parse_associate(text: str) -> ParsedAssociate:
    """Reads one associate text. Never raises: text that names nobody parses to an empty key."""
    text = " ".join(text.split())
    nicknames = [m.group(1).strip() for m in _QUOTED.finditer(text)]
    nicknames += [m.group(1).strip() for m in _KNOWN_AS.finditer(text) if not _QUOTED.search(m.group(0))]
    nicknames = [n for n in dict.fromkeys(nicknames) if fold(n)]
    head = re.split(r"[,(;:]| - | – ", text, maxsplit=1)[0]
    head = _QUOTED.sub(" ", head)
    head = _KNOWN_AS.sub(" ", head)
    for pattern in _AGE_PATTERNS:
        head = pattern.sub(" ", head)
    head = _INTRODUCER.sub(" ", head)
    tokens = head.split()
    described = False
    while tokens and fold(tokens[0]) in _DESCRIPTIVE_START:
        tokens.pop(0)  # "older friend Jay" names Jay; "a man" names nobody
        described = True
    if described and tokens and not tokens[0][0].isupper():
        tokens = []  # the rest of a description ("a cousin from Cardiff"), not a name
    head = " ".join(tokens).strip(" .-")
    words = fold(head).split()
    age = _stated_age(text)
    return ParsedAssociate(
        text=text,
        name=head if words else "",
        key=" ".join(words),
        nicknames=tuple(nicknames),
        nickname_keys=tuple(dict.fromkeys(fold(n) for n in nicknames)),
        age=age,
        adult_described=_describes_adult(text),
    )


@dataclass(frozen=True)
class Mention:
    """One fact naming an associate, as the selector found it (only facts the viewer may see)."""

    child_id: int
    fact_id: int
    text: str
    recorded_on: datetime.date
    agency: str  # the supplying agency's name
    from_debrief: bool = False


class AgeStatus:
    ADULT = "adult"
    UNKNOWN = "unknown"
    CHILD = "child"


@dataclass
class Person:
    key: str  # the group key (see ParsedAssociate.group_key)
    names: list[str] = field(default_factory=list)  # as recorded, most used first
    nicknames: list[str] = field(default_factory=list)
    mentions: list[tuple[Mention, ParsedAssociate]] = field(default_factory=list)

    @property
    def child_ids(self) -> set[int]:
        return {m.child_id for m, _p in self.mentions}

    @property
    def children(self) -> int:
        return len(self.child_ids)

    @property
    def name(self) -> str:
        return self.names[0] if self.names else (self.nicknames[0] if self.nicknames else "")

    @property
    def first_mention(self) -> datetime.date:
        return min(m.recorded_on for m, _p in self.mentions)

    @property
    def last_mention(self) -> datetime.date:
        return max(m.recorded_on for m, _p in self.mentions)

    @property
    def age(self) -> int | None:
        ages = [p.age for _m, p in self.mentions if p.age is not None]
        return max(ages) if ages else None

    @property
    def age_status(self) -> str:
        age = self.age
        if (age is not None and age >= ADULT_AGE) or any(p.adult_described for _m, p in self.mentions):
            return AgeStatus.ADULT
        if age is not None:
            return AgeStatus.CHILD
        return AgeStatus.UNKNOWN

    @property
    def by_agency(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for m, _p in self.mentions:
            counts[m.agency] += 1
        return dict(sorted(counts.items()))

    @property
    def from_debriefs(self) -> int:
        return sum(1 for m, _p in self.mentions if m.from_debrief)


def _most_used(values: Iterable[str]) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for v in values:
        if v:
            counts[v] += 1
    return sorted(counts, key=lambda v: (-counts[v], v))


def group_mentions(mentions: Iterable[Mention]) -> list[Person]:
    """Every associate named, grouped into people (see the module's decisions), in key order."""
    groups: dict[str, list[tuple[Mention, ParsedAssociate]]] = defaultdict(list)
    for mention in mentions:
        parsed = parse_associate(mention.text)
        if parsed.group_key:
            groups[parsed.group_key].append((mention, parsed))
    carriers: dict[str, set[str]] = defaultdict(set)
    for key, items in groups.items():
        if not key.startswith("aka "):
            for _m, p in items:
                for nick in p.nickname_keys:
                    carriers[nick].add(key)
    for key in [k for k in groups if k.startswith("aka ")]:
        named = carriers.get(key[4:], set())
        if len(named) == 1:
            groups[next(iter(named))].extend(groups.pop(key))
    people = []
    for key in sorted(groups):
        items = sorted(groups[key], key=lambda mp: (mp[0].recorded_on, mp[0].fact_id))
        people.append(
            Person(
                key=key,
                names=_most_used(p.name for _m, p in items),
                nicknames=_most_used(n for _m, p in items for n in p.nicknames),
                mentions=items,
            )
        )
    return people


def is_person_of_concern(person: Person, *, min_children: int) -> bool:
    status = person.age_status
    if status == AgeStatus.CHILD:
        return False
    if status == AgeStatus.UNKNOWN:
        return person.children >= max(min_children, UNKNOWN_AGE_MIN_CHILDREN)
    return person.children >= min_children


def persons_of_concern(mentions: Iterable[Mention], *, min_children: int) -> list[Person]:
    """The adults (or people of unknown age) named in connection with at least `min_children` children,
    most children first, then most recently mentioned."""
    people = [p for p in group_mentions(mentions) if is_person_of_concern(p, min_children=min_children)]
    return sorted(people, key=lambda p: (-p.children, -p.last_mention.toordinal(), p.key))


def associate_key(text: str) -> str:
    """The key two children's associates are compared by in the co-missing network."""
    return parse_associate(text).group_key
