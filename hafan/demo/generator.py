"""A seeded synthetic Gwent: children, what each agency's system holds about them, and their episodes.

Two steps, so that the randomness can be checked without a database:

- `plan_demo()` is pure: from (seed, number of children, years, now) it decides everything, using one
  `random.Random(seed)` and nothing else (no global random, no uuid4, no clock). Same inputs, same plan.
- `load_demo()` writes a plan through the services, the only write path, in time order, so that each
  risk grade is checked against the response plan that was in force when it was made.

The state is the hub's after identity resolution: every agency record is already linked to its child,
while the records themselves still disagree the way real systems do (nicknames, dropped accents,
misspelt surnames, old addresses, missing identifiers, a transposed date of birth).

Calibration (docs/demo-data.md gives the sources in the domain brief): about 15% of the children are
looked after and account for about 40% of episodes; most children go missing once or twice; 93% are
12-17 at the episode; 87% of episodes end within 48 hours; about 9% carry a CSE concern and 6% a
mental-health one; harm is recorded in about 4%; about 65% of debriefs are held.

Patterns across children (hafan.demo.groups, its own random stream): three or four friendship groups go missing
together and are found together in the last year, and two or three adults of concern are named by several
children with exploitation concerns, in police associate facts and in what debriefs share.
"""

from __future__ import annotations

import datetime
import random
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from hafan.core.vocabulary import RiskGrade
from hafan.demo import names
from hafan.people.identifiers import synthetic_nhs_number, synthetic_upn
from hafan.referrals.demo import Step, plan_steps
from hafan.risk.rules import default_next_review

DEMO_PASSWORD = "hafan-demo-2026"  # noqa: S105 - the demo's published password; demo_logins prints it

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
CLOSE_AFTER = 7 * DAY
# Who agrees a demo response plan for a child nobody holds the case of: a hub social worker of the child's
# council (accounts.demo_staff.DEMO_COUNCIL_STAFF). A child allocated to a case holder has their agreement.
DEMO_PLAN_DECIDERS = {
    "NCC": "socialworker",
    "CCBC": "sw-caerphilly",
    "BGCBC": "sw-blaenaugwent",
    "MCC": "sw-monmouthshire",
    "TCBC": "sw-torfaen",
}

POLICE_SYSTEM = "Niche RMS"
SOCIAL_CARE_SYSTEM = "WCCIS"
HEALTH_SYSTEM = "Welsh PAS"
EDUCATION_SYSTEM = "SIMS"
CHARITY_SYSTEM = "Llamau CMS"

COUNCIL_NAMES = {
    "BGCBC": "Blaenau Gwent",
    "CCBC": "Caerphilly",
    "MCC": "Monmouthshire",
    "NCC": "Newport",
    "TCBC": "Torfaen",
}

# Who goes missing, by how often. Looked-after children are a minority of the children and a large
# share of the episodes; most other children go missing once or twice.
PROFILES = {
    # profile: share of the children (episode counts per profile are in _Planner.episode_count)
    "looked_after": 0.15,
    "repeat": 0.08,
    "some": 0.15,
    "occasional": 0.62,
}

# Reports cluster in the evening and overnight.
REPORT_HOUR_WEIGHTS = [5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9, 9, 8, 6]

GRADES = ["very_low", "low", "medium", "high"]
GRADE_WORDS = {
    "very_low": "Very low risk: no apparent risk of harm",
    "low": "Low risk: harm possible but minimal",
    "medium": "Medium risk: harm likely but not serious",
    "high": "High risk: serious harm very likely; immediate deployment",
}
FACTOR_WORDS = {
    "cse": "known CSE concern",
    "cce": "criminal exploitation or county lines concern",
    "mental_health": "mental health or self-harm",
    "substances": "drug or alcohol use",
    "medical": "needs medication",
    "young_age": "young age",
    "first_time": "first time missing",
    "repeat": "repeatedly missing",
    "associates": "believed to be with risky associates",
    "abuse": "known or suspected abuse at home",
    "environment": "cold night, out late",
    "no_means": "no money or phone",
}


# The plan -----------------------------------------------------------------------------------------


@dataclass
class Address:
    house: str
    street: str
    area: str
    town: str
    postcode: str
    council: str

    @property
    def line(self) -> str:
        return f"{self.house} {self.street}, {self.area}, {self.town}"


@dataclass
class RecordPlan:
    # Which of the child's records: police, police_duplicate, social_care, health, education or charity.
    key: str
    agency: str
    system: str
    local_id: str
    given_name: str
    family_name: str
    other_names: str
    date_of_birth: datetime.date | None
    sex: str
    address: str
    postcode: str
    nhs_number: str
    upn: str
    recorded_on: datetime.date


@dataclass
class FactPlan:
    record_key: str
    category: str
    summary: str
    recorded_on: datetime.date


@dataclass
class GradePlan:
    grade: str
    factors: list[str]
    rationale: str
    assessed_at: datetime.datetime
    next_review_due: datetime.datetime
    confirm: bool
    departs_from_plan: bool = False


@dataclass
class ReturnPlan:
    returned_at: datetime.datetime
    found_where: str
    found_by: str
    harm: bool
    harm_details: str
    safe_and_well_at: datetime.datetime | None
    safe_and_well_by: str
    safe_and_well_notes: str


@dataclass
class ReferralPlan:
    kind: str
    referred_at: datetime.datetime
    reason: str
    consent_given: bool
    updates: list[Step]  # issue 7: the referral followed through (hafan.referrals.demo)


@dataclass
class DebriefPlan:
    status: str
    offered_at: datetime.datetime | None = None
    held_at: datetime.datetime | None = None
    not_offered_reason: str = ""
    where_went: str = ""
    who_with: str = ""
    travel: str = ""
    push_factors: list[str] = field(default_factory=list)
    pull_factors: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    harm_details: str = ""
    child_wishes: str = ""
    share_basis: str = "none"
    places: list[str] = field(default_factory=list)
    associates: list[str] = field(default_factory=list)
    referrals: list[ReferralPlan] = field(default_factory=list)


@dataclass
class EpisodePlan:
    reported_at: datetime.datetime
    duration: datetime.timedelta | None  # None: still missing
    category: str
    kind: str = "normal"  # normal, open (still missing), recent (returned in the last days, debrief awaiting)
    last_seen_at: datetime.datetime | None = None
    last_seen_place: str = ""
    council: str = ""
    reporter_name: str = ""
    reporter_organisation: str = ""
    circumstances: str = ""
    clothing: str = ""
    reported_given_name: str = ""
    reported_family_name: str = ""
    reported_dob: datetime.date | None = None
    reported_address: str = ""
    reported_postcode: str = ""
    grades: list[GradePlan] = field(default_factory=list)
    ret: ReturnPlan | None = None
    debrief: DebriefPlan | None = None
    # Issue 7: where the child was found with friends who went missing with them (hafan.demo.groups).
    found_together: str = ""

    @property
    def returned_at(self) -> datetime.datetime | None:
        return None if self.duration is None else self.reported_at + self.duration


@dataclass
class ResponsePlanPlan:
    agreed_at: datetime.datetime
    agreed_by: str  # a demo staff username
    plan: str
    treat_as_grade: str
    social_worker_agreed: bool
    review_due: datetime.date


@dataclass
class ChildPlan:
    key: int
    profile: str
    given_name: str
    family_name: str
    sex: str
    date_of_birth: datetime.date
    council: str  # responsible council
    addresses: list[Address]  # oldest first; the last is where the child lives now
    nicknames: list[str]
    alt_surname: str
    placement: str  # for a looked-after child: the home or foster placement's description
    placement_kind: str  # residential, foster or ""
    known_to_social_care: bool
    child_protection: bool
    exploitation: str  # cse, cce or ""
    mental_health: bool
    health_need: str
    medical: bool
    places: list[str]
    associates: list[str]
    school: str
    school_council: str
    nhs_number: str
    upn: str
    prior_episodes: int = 0  # episodes before the generated window
    episodes: list[EpisodePlan] = field(default_factory=list)
    response_plans: list[ResponsePlanPlan] = field(default_factory=list)
    records: list[RecordPlan] = field(default_factory=list)
    facts: list[FactPlan] = field(default_factory=list)

    @property
    def is_looked_after(self) -> bool:
        return self.profile == "looked_after"

    @property
    def is_repeat(self) -> bool:
        return self.profile != "occasional"

    def age_on(self, day: datetime.date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


@dataclass
class DemoPlan:
    seed: int
    now: datetime.datetime
    years: int
    children: list[ChildPlan]

    def episodes(self) -> list[tuple[ChildPlan, EpisodePlan]]:
        return [(c, e) for c in self.children for e in c.episodes]


# Small pure helpers --------------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _transposed(dob: datetime.date) -> datetime.date:
    """Day and month swapped, as when a US-format date is keyed into a UK system."""
    if dob.day <= 12 and dob.day != dob.month:
        return dob.replace(month=dob.day, day=dob.month)
    return dob


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def demo_now() -> datetime.datetime:
    """Local midnight today: the demo's "now", so that a re-run on the same day builds the same data."""
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))


class _Planner:
    def __init__(self, *, seed: int, children: int, years: int, now: datetime.datetime) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_children = children
        self.years = years
        self.now = now
        self.start = now - datetime.timedelta(days=365 * years)
        # Ordinary episodes have ended three days before "now"; the last days hold the live work.
        self.settled_end = now - 3 * DAY
        self.used_ids: set[str] = set()
        # What each child has already let the charity share, so later debriefs share what is new.
        self.shared: dict[int, set[str]] = {}

    # identity ------------------------------------------------------------------------------------

    def unique(self, make: Any) -> str:
        while True:
            value = make()
            if value not in self.used_ids:
                self.used_ids.add(value)
                return str(value)

    def digits(self, n: int) -> str:
        return "".join(str(self.rng.randint(0, 9)) for _ in range(n))

    def postcode(self, outcode: str) -> str:
        letters = names.POSTCODE_UNIT_LETTERS
        return f"{outcode} {self.rng.randint(1, 9)}{self.rng.choice(letters)}{self.rng.choice(letters)}"

    def address_in(self, council: str, town: names.Town | None = None) -> Address:
        rng = self.rng
        if town is None:
            town = rng.choice([t for t in names.TOWNS if t.council == council])
        house = str(rng.randint(1, 140))
        if rng.random() < 0.08:
            house = f"Flat {rng.randint(1, 12)}, {rng.randint(1, 60)}"
        return Address(
            house=house,
            street=rng.choice(names.STREET_NAMES),
            area=rng.choice(town.areas),
            town=town.name,
            postcode=self.postcode(rng.choice(town.outcodes)),
            council=town.council,
        )

    def person_name(self, sex: str) -> str:
        pool = names.FEMALE_GIVEN_NAMES if sex == "female" else names.MALE_GIVEN_NAMES
        return self.rng.choice(pool)

    def adult_name(self, family_name: str | None = None) -> str:
        given = self.rng.choice(names.FEMALE_GIVEN_NAMES + names.MALE_GIVEN_NAMES)
        return f"{strip_accents(given)} {family_name or self.rng.choice(names.SURNAMES)}"

    def misspell(self, surname: str) -> str:
        rng = self.rng
        variants = names.SURNAME_MISSPELLINGS.get(surname)
        if variants:
            return rng.choice(variants)
        if len(surname) < 4:
            return surname + surname[-1]
        i = rng.randint(1, len(surname) - 2)
        if rng.random() < 0.5:
            return surname[:i] + surname[i + 1 :]  # a dropped letter
        return surname[:i] + surname[i + 1] + surname[i] + surname[i + 2 :]  # two letters swapped

    # timelines -----------------------------------------------------------------------------------

    def episode_count(self, profile: str) -> int:
        rng = self.rng
        if profile == "looked_after":
            band = rng.random()
            if band < 0.30:
                return rng.randint(3, 10)
            if band < 0.76:
                return rng.randint(11, 26)
            return rng.randint(27, 44)
        if profile == "repeat":
            return rng.randint(12, 36)
        if profile == "some":
            return rng.randint(3, 10)
        return 1 if rng.random() < 0.66 else 2

    def duration(self, category: str) -> datetime.timedelta:
        """87% within 48 hours, most within a few to 24 hours, a tail to about two weeks."""
        rng = self.rng
        if category == "away_from_placement":
            return datetime.timedelta(hours=rng.uniform(1, 14))
        band = rng.random()
        if band < 0.30:
            hours = rng.uniform(1, 6)
        elif band < 0.62:
            hours = rng.uniform(6, 16)
        elif band < 0.80:
            hours = rng.uniform(16, 30)
        elif band < 0.855:
            hours = rng.uniform(30, 47.5)
        else:
            hours = 48 * (7 ** rng.random())  # log-uniform, 2 days to 2 weeks
        return datetime.timedelta(hours=hours)

    def category(self, child: ChildPlan) -> str:
        if not child.is_looked_after:
            return "missing_from_home"
        band = self.rng.random()
        if band < 0.68:
            return "missing_from_care"
        if band < 0.94:
            return "away_from_placement"
        return "missing_from_home"  # from a family visit

    def office_hours(self, at: datetime.datetime) -> datetime.datetime:
        """Debriefs and referrals happen in the working day: move anything else to the next morning or afternoon."""
        local = timezone.localtime(at)
        if 9 <= local.hour < 18:
            return at
        day = local.date() if local.hour < 9 else local.date() + DAY
        return timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(self.rng.randint(9, 17), self.rng.randint(0, 59)))
        )

    def at_report_hour(self, day_point: datetime.datetime) -> datetime.datetime:
        local = timezone.localtime(day_point)
        hour = self.rng.choices(range(24), REPORT_HOUR_WEIGHTS)[0]
        naive = datetime.datetime.combine(local.date(), datetime.time(hour, self.rng.randint(0, 59)))
        return timezone.make_aware(naive)

    def timeline(self, child: ChildPlan, count: int) -> list[EpisodePlan]:
        """The child's episodes in the window. A child's missing "career" may have begun before the window
        or run past its end, so that episodes are spread evenly over the period rather than bunched in the
        middle; episodes before the window count as prior history (child.prior_episodes)."""
        rng = self.rng
        window = (self.settled_end - self.start).total_seconds() / 86400
        if count == 1:
            length = 0.0
        elif child.profile in ("looked_after", "repeat"):
            length = rng.uniform(150, 720)
        elif child.profile == "some":
            length = rng.uniform(30, 365)
        else:
            length = rng.uniform(5, 365)
        length = min(length, window - 2)
        for _attempt in range(100):
            begin = self.start + datetime.timedelta(days=rng.uniform(-length, window - 1))
            weights = [rng.expovariate(1) * (0.2 if rng.random() < 0.35 else 1.0) for _ in range(count)]
            total = sum(weights)
            offsets, running = [], 0.0
            for w in weights:
                offsets.append(length * running / total)
                running += w
            episodes: list[EpisodePlan] = []
            prior = 0
            previous_return: datetime.datetime | None = None
            for offset in offsets:
                reported = self.at_report_hour(begin + datetime.timedelta(days=offset))
                if previous_return is not None and reported < previous_return + 6 * HOUR:
                    reported = previous_return + datetime.timedelta(hours=rng.uniform(6, 40))
                category = self.category(child)
                duration = self.duration(category)
                previous_return = reported + duration
                if reported < self.start:
                    prior += 1
                    continue
                if reported + duration > self.settled_end:
                    if reported + 2 * HOUR > self.settled_end:
                        break
                    duration = min(duration, self.settled_end - reported)
                episodes.append(EpisodePlan(reported_at=reported, duration=duration, category=category))
            if episodes:
                child.prior_episodes = prior
                return episodes
        raise RuntimeError("Could not place the child's episodes in the window.")

    def birth_date(self, child: ChildPlan, first: datetime.datetime) -> datetime.date:
        rng = self.rng
        if child.is_repeat:
            ages, weights = [10, 11, 12, 13, 14, 15, 16, 17], [1, 4, 10, 19, 25, 23, 13, 5]
        else:
            ages, weights = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17], [1, 2, 3, 5, 7, 12, 17, 20, 19, 14]
        age = rng.choices(ages, weights)[0]
        first_day = timezone.localtime(first).date()
        return _years_before(first_day, age) - datetime.timedelta(days=rng.randint(0, 364))

    # children ------------------------------------------------------------------------------------

    def child(self, key: int, profile: str) -> ChildPlan:
        rng = self.rng
        sex = "female" if rng.random() < 0.52 else "male"
        given = self.person_name(sex)
        family = rng.choice(names.SURNAMES)
        council = rng.choices(list(names.COUNCIL_WEIGHTS), list(names.COUNCIL_WEIGHTS.values()))[0]
        home_town = rng.choice([t for t in names.TOWNS if t.council == council])
        history = [self.address_in(council, home_town)]
        for _ in range(rng.choices([0, 1, 2], [45, 40, 15])[0]):
            moved_council = council if rng.random() < 0.85 else rng.choice(list(COUNCIL_NAMES))
            history.append(self.address_in(moved_council))
        placement, placement_kind = "", ""
        if profile == "looked_after":
            host = council if rng.random() < 0.7 else rng.choice([c for c in COUNCIL_NAMES if c != council])
            address = self.address_in(host)
            if rng.random() < 0.65:
                placement_kind = "residential"
                address.house = rng.choice(names.CHILDRENS_HOMES) + ","
                placement = f"{address.house[:-1]} children's home, {address.town}"
            else:
                placement_kind = "foster"
                placement = f"foster placement in {address.town}"
            history.append(address)
        nicknames = list(names.NICKNAMES.get(given, []))
        if strip_accents(given) != given and strip_accents(given) not in nicknames:
            nicknames.insert(0, strip_accents(given))
        repeat = profile != "occasional"
        exploitation = ""
        exploitation_chance = {"looked_after": 0.36, "repeat": 0.36, "some": 0.12, "occasional": 0.02}[
            profile
        ]
        if rng.random() < exploitation_chance:
            cse_chance = 0.8 if sex == "female" else 0.25
            exploitation = "cse" if rng.random() < cse_chance else "cce"
        mental_health = rng.random() < (0.22 if repeat else 0.1)
        health_need, medical = "", False
        if mental_health:
            health_need = rng.choice(
                [
                    h
                    for h in names.HEALTH_NEEDS
                    if "CAMHS" in h[0] or "self-harm" in h[0] or "Depression" in h[0]
                ]
            )[0]
        elif rng.random() < 0.25:
            health_need, medical = rng.choice(names.HEALTH_NEEDS)
        current = history[-1]
        school_council = current.council
        child = ChildPlan(
            key=key,
            profile=profile,
            given_name=given,
            family_name=family,
            sex=sex,
            date_of_birth=datetime.date(2000, 1, 1),  # set once the timeline is known
            council=council,
            addresses=history,
            nicknames=nicknames,
            alt_surname=rng.choice(names.SURNAMES) if rng.random() < 0.08 else "",
            placement=placement,
            placement_kind=placement_kind,
            known_to_social_care=profile == "looked_after"
            or rng.random() < {"repeat": 0.8, "some": 0.5, "occasional": 0.15}[profile],
            child_protection=profile != "looked_after"
            and rng.random() < {"repeat": 0.3, "some": 0.15, "occasional": 0.03}[profile],
            exploitation=exploitation,
            mental_health=mental_health,
            health_need=health_need,
            medical=medical,
            places=[],
            associates=[],
            school=rng.choice(names.SCHOOL_NAMES[school_council]),
            school_council=school_council,
            nhs_number="",
            upn="",
        )
        child.places = self.places_for(child, rng.randint(2, 4) if repeat else rng.randint(1, 2))
        n_associates = rng.randint(1, 3) if (exploitation or (repeat and rng.random() < 0.4)) else 0
        child.associates = [self.associate(child) for _ in range(n_associates)]
        return child

    def places_for(self, child: ChildPlan, n: int) -> list[str]:
        rng = self.rng
        home = child.addresses[-1]
        town = next(t for t in names.TOWNS if t.name == home.town)
        places: list[str] = []
        while len(places) < n:
            if rng.random() < 0.6:
                place = rng.choice(names.PLACES_NEARBY).format(
                    town=home.town, area=rng.choice(town.areas), street=rng.choice(names.STREET_NAMES)
                )
            else:
                place = self.far_place()
            place = place.replace("Newport town centre", "Newport city centre")
            if place not in places:
                places.append(place)
        return places

    def associate(self, child: ChildPlan) -> str:
        rng = self.rng
        sex = "male" if (child.exploitation or rng.random() < 0.5) else child.sex
        name = f"{strip_accents(self.person_name(sex))} {rng.choice(names.SURNAMES)}"
        age = rng.randint(19, 31) if child.exploitation else rng.randint(14, 19)
        extra = rng.choice(
            [
                "drives a dark grey hatchback",
                "known as '" + rng.choice(["Smokey", "Digger", "Bruv", "Tiny", "Scouse", "Big Man"]) + "'",
                "lives in "
                + rng.choice(["Pillgwenlly", "Maindee", "Cwmbrân", "Ebbw Vale", "Splott, Cardiff"]),
                "met online",
                "friend from school",
            ]
        )
        return f"{name} (about {age}), {extra}"

    # episodes ------------------------------------------------------------------------------------

    def fill_episode(
        self, child: ChildPlan, index: int, episode: EpisodePlan, floors: list[tuple[datetime.datetime, str]]
    ) -> None:
        """`index` counts the child's earlier episodes, including any before the window."""
        rng = self.rng
        reported = episode.reported_at
        local_day = timezone.localtime(reported).date()
        age = child.age_on(local_day)
        home = self.address_on(child, local_day)
        episode.council = child.council
        episode.reported_address, episode.reported_postcode = home.line, home.postcode
        episode.last_seen_at = reported - datetime.timedelta(
            hours=rng.uniform(0.5, 3) if episode.category != "missing_from_home" else rng.uniform(1, 8)
        )
        if episode.category == "missing_from_home":
            parent_surname = child.alt_surname or child.family_name
            relation = rng.choice(["mother", "mother", "father", "step-father", "nan", "aunt"])
            episode.reporter_name = f"{self.adult_name(parent_surname)} ({relation})"
            episode.reporter_organisation = ""
            episode.last_seen_place = rng.choice(
                [
                    f"Home address, {home.line}",
                    f"Outside {child.school}",
                    f"{home.town} {'city' if home.town == 'Newport' else 'town'} centre",
                    *child.places[:1],
                ]
            )
            reason = rng.choice(names.PUSH_REASONS_HOME)
        elif child.placement_kind == "residential":
            episode.reporter_name = f"{self.adult_name()} (residential care worker)"
            episode.reporter_organisation = rng.choice(names.CARE_PROVIDERS)
            episode.last_seen_place = rng.choice(
                [child.placement, f"Outside {child.school}", f"{home.town} bus station"]
            )
            reason = rng.choice(names.PUSH_REASONS_CARE)
        else:
            episode.reporter_name = f"{self.adult_name()} (foster carer)"
            episode.reporter_organisation = f"{COUNCIL_NAMES[child.council]} fostering service"
            episode.last_seen_place = rng.choice([f"Foster home, {home.line}", f"Outside {child.school}"])
            reason = rng.choice(names.PUSH_REASONS_CARE)
        if episode.category == "away_from_placement":
            where = rng.choice(child.places)
            episode.circumstances = (
                f"Did not return to placement by the agreed time after {reason}. "
                f"Believed to be at {where}; not answering their phone."
            )
        elif index == 0:
            episode.circumstances = (
                f"Left after {reason}. First time reported missing; out of character, says the family."
            )
        else:
            episode.circumstances = f"Left after {reason}. {_ordinal(index + 1).capitalize()} report; previously found at {rng.choice(child.places)}."
        episode.clothing = rng.choice(names.CLOTHING)
        episode.reported_given_name = self.reported_given_name(child)
        episode.reported_family_name = (
            child.family_name if rng.random() > 0.03 else self.misspell(child.family_name)
        )
        roll = rng.random()
        episode.reported_dob = (
            child.date_of_birth if roll < 0.9 else (None if roll < 0.98 else _transposed(child.date_of_birth))
        )

        factors = self.factors(child, index, episode, age)
        floor = ""
        for agreed_at, grade in floors:
            if agreed_at < reported:
                floor = grade
        episode.grades = self.grades(child, index, episode, age, factors, floor)
        if episode.duration is not None:
            episode.ret = self.return_plan(child, episode, home, factors)
            if episode.found_together:
                episode.ret.found_where = episode.found_together
                if episode.ret.found_by == "self":
                    episode.ret.found_by = "police"
        if episode.kind == "normal":
            episode.debrief = self.debrief_plan(child, episode, factors)

    def address_on(self, child: ChildPlan, day: datetime.date) -> Address:
        # Children move over the period: earlier episodes happen at earlier addresses.
        first = timezone.localtime(child.episodes[0].reported_at).date()
        last = timezone.localtime(child.episodes[-1].reported_at).date()
        if len(child.addresses) == 1 or last == first:
            return child.addresses[-1]
        share = (day - first) / (last - first)
        return child.addresses[min(len(child.addresses) - 1, int(share * len(child.addresses)))]

    def reported_given_name(self, child: ChildPlan) -> str:
        roll = self.rng.random()
        if child.nicknames and roll < 0.2:
            return self.rng.choice(child.nicknames)
        return child.given_name

    def factors(self, child: ChildPlan, index: int, episode: EpisodePlan, age: int) -> list[str]:
        rng = self.rng
        factors: list[str] = []
        if (child.exploitation == "cse" and rng.random() < 0.45) or rng.random() < 0.025:
            factors.append("cse")
        if (child.exploitation == "cce" and rng.random() < 0.5) or rng.random() < 0.006:
            factors.append("cce")
        if (child.mental_health and rng.random() < 0.25) or rng.random() < 0.008:
            factors.append("mental_health")
        if rng.random() < (0.3 if child.exploitation else 0.07):
            factors.append("substances")
        if child.medical and rng.random() < 0.7:
            factors.append("medical")
        if age < 13:
            factors.append("young_age")
        if index == 0:
            factors.append("first_time")
        if index >= 2:
            factors.append("repeat")
        if (child.associates and rng.random() < 0.45) or rng.random() < 0.03:
            factors.append("associates")
        if child.child_protection and rng.random() < 0.5:
            factors.append("abuse")
        local = timezone.localtime(episode.reported_at)
        if (
            local.month in (11, 12, 1, 2) and (local.hour >= 20 or local.hour < 6) and rng.random() < 0.5
        ) or rng.random() < 0.04:
            factors.append("environment")
        if rng.random() < 0.1:
            factors.append("no_means")
        return sorted(factors)

    def initial_grade(self, episode: EpisodePlan, factors: list[str]) -> str:
        weights = {
            "cse": 2.2,
            "cce": 2.0,
            "mental_health": 1.6,
            "medical": 1.0,
            "young_age": 1.2,
            "associates": 0.8,
            "abuse": 1.0,
            "substances": 0.6,
            "environment": 0.4,
            "no_means": 0.4,
            "first_time": 0.3,
            "repeat": -0.2,
        }
        score = sum(weights[f] for f in factors) + self.rng.gauss(0, 0.8)
        if episode.category == "away_from_placement":
            score -= 1.2  # whereabouts known
        if score < -1.2:
            return "very_low"
        if score < 0.6:
            return "low"
        if score < 3.5:
            return "medium"
        return "high"

    def rationale(
        self, child: ChildPlan, index: int, episode: EpisodePlan, age: int, grade: str, factors: list[str]
    ) -> str:
        category = {
            "missing_from_home": "missing from home",
            "missing_from_care": "missing from care",
            "away_from_placement": "away from placement",
        }[episode.category]
        considered = ", ".join(FACTOR_WORDS[f] for f in factors) or "no specific risk factors"
        return (
            f"{GRADE_WORDS[grade]}. {age}-year-old {category}, {_ordinal(index + 1)} report. "
            f"Considered: {considered}."
        )

    def grades(
        self, child: ChildPlan, index: int, episode: EpisodePlan, age: int, factors: list[str], floor: str
    ) -> list[GradePlan]:
        rng = self.rng
        grade = self.initial_grade(episode, factors)
        below_floor = bool(floor) and GRADES.index(grade) < GRADES.index(floor)
        note = ""
        if below_floor:
            if rng.random() < 0.06:
                note = (
                    f" Graded below the response plan's {floor.replace('_', ' ')} floor: whereabouts confirmed by "
                    "phone with the carer and the child agreed to come home."
                )
            else:
                grade = floor
                note = " Graded at the level the response plan sets."
        elif floor:
            note = " Response plan checked: grade is at or above its floor."
        assessed = episode.reported_at
        grades = [
            GradePlan(
                grade=grade,
                factors=factors,
                rationale=self.rationale(child, index, episode, age, grade, factors) + note,
                assessed_at=assessed,
                next_review_due=default_next_review(RiskGrade(grade), assessed),
                departs_from_plan=bool(floor) and GRADES.index(grade) < GRADES.index(floor),
                confirm=rng.random() < (0.85 if episode.kind == "normal" else 0.5),
            )
        ]
        end = episode.returned_at or self.now
        if episode.kind == "open":
            # Reviews while still missing: the latest is recent, and some are overdue by the time anyone looks.
            review_at = end - datetime.timedelta(hours=rng.uniform(0.5, 14))
            if review_at > assessed + HOUR:
                steps = 1 if rng.random() < 0.5 or review_at - assessed > 48 * HOUR else 0
                new = self.raised(
                    grade,
                    steps,
                    floor
                    if review_at - assessed <= 48 * HOUR
                    else max(floor or "medium", "medium", key=GRADES.index),
                )
                grades.append(
                    self.review(child, index, episode, age, new, factors, review_at, "Still not located.")
                )
        elif episode.duration is not None and episode.duration > 24 * HOUR and rng.random() < 0.6:
            review_at = assessed + datetime.timedelta(hours=rng.uniform(12, 24))
            if review_at < end:
                new = self.raised(grade, 1, floor)
                grades.append(
                    self.review(
                        child,
                        index,
                        episode,
                        age,
                        new,
                        factors,
                        review_at,
                        "Not located after 12 hours; escalated.",
                    )
                )
        return grades

    @staticmethod
    def raised(grade: str, steps: int, floor: str) -> str:
        """A review's grade: never below the response plan's floor (the review gives no reason to go under it)."""
        new = GRADES.index(grade) + steps
        if floor:
            new = max(new, GRADES.index(floor))
        return GRADES[min(3, new)]

    def review(
        self,
        child: ChildPlan,
        index: int,
        episode: EpisodePlan,
        age: int,
        grade: str,
        factors: list[str],
        at: datetime.datetime,
        why: str,
    ) -> GradePlan:
        return GradePlan(
            grade=grade,
            factors=factors,
            rationale=f"{why} {self.rationale(child, index, episode, age, grade, factors)}",
            assessed_at=at,
            next_review_due=default_next_review(RiskGrade(grade), at),
            confirm=self.rng.random() < 0.7,
        )

    def return_plan(
        self, child: ChildPlan, episode: EpisodePlan, home: Address, factors: list[str]
    ) -> ReturnPlan:
        rng = self.rng
        returned = episode.returned_at
        assert returned is not None
        if episode.category == "away_from_placement":
            found_by = rng.choices(["carer", "self", "police", "agency"], [45, 40, 10, 5])[0]
        else:
            found_by = rng.choices(["self", "police", "carer", "agency", "public"], [42, 26, 18, 7, 7])[0]
        if found_by == "self":
            found_where = (
                f"Returned home, {home.line}"
                if episode.category == "missing_from_home" or not child.placement
                else f"Returned to placement ({child.placement})"
            )
        else:
            found_where = rng.choice(child.places) if rng.random() < 0.6 else self.elsewhere(child)
            found_where = found_where[0].upper() + found_where[1:]
        risky = bool({"cse", "cce"} & set(factors))
        harm = rng.random() < (0.02 + (0.1 if risky else 0) + (0.04 if "mental_health" in factors else 0))
        harm_details = ""
        if harm:
            pool = names.HARM_DETAILS
            if "mental_health" in factors:
                pool = [h for h in pool if "Self-harmed" in h] + pool[:2]
            harm_details = rng.choice(pool)
        check: datetime.datetime | None = returned + datetime.timedelta(hours=rng.uniform(0.5, 18))
        if rng.random() < 0.07 or (check is not None and check > self.now):
            check = None
        return ReturnPlan(
            returned_at=returned,
            found_where=found_where,
            found_by=found_by,
            harm=harm,
            harm_details=harm_details,
            safe_and_well_at=check,
            safe_and_well_by=f"PC {rng.randint(1000, 4999)} {rng.choice(names.SURNAMES)}" if check else "",
            safe_and_well_notes=rng.choice(names.SAFE_AND_WELL_NOTES) if check else "",
        )

    def elsewhere(self, child: ChildPlan) -> str:
        rng = self.rng
        home = child.addresses[-1]
        town = next(t for t in names.TOWNS if t.name == home.town)
        if rng.random() < 0.4:
            return self.far_place()
        return rng.choice(
            [
                f"a friend's house on {rng.choice(names.STREET_NAMES)}, {rng.choice(town.areas)}",
                f"{rng.choice(names.STREET_NAMES)}, {home.town}",
                f"{home.town} {'city' if home.town == 'Newport' else 'town'} centre",
                f"grandparents' house in {rng.choice(names.TOWNS).name}",
            ]
        )

    def far_place(self) -> str:
        places, weights = zip(*names.PLACES_FURTHER, strict=True)
        return self.rng.choices(places, weights)[0]

    def debrief_plan(self, child: ChildPlan, episode: EpisodePlan, factors: list[str]) -> DebriefPlan:
        rng = self.rng
        returned = episode.returned_at
        assert returned is not None
        since = self.now - returned
        if since < 10 * DAY:
            options, weights = (
                ["held", "offered", "accepted", "declined", "not_offered", "awaiting"],
                [42, 18, 12, 12, 10, 6],
            )
        else:
            options, weights = ["held", "declined", "not_offered", "offered"], [67, 18, 12, 3]
        if episode.category == "away_from_placement" and rng.random() < 0.3:
            return DebriefPlan(status="not_offered", not_offered_reason=names.NOT_OFFERED_REASONS[0])
        status = rng.choices(options, weights)[0]
        if status == "awaiting":
            return DebriefPlan(status="awaiting")
        if status == "not_offered":
            return DebriefPlan(
                status="not_offered", not_offered_reason=rng.choice(names.NOT_OFFERED_REASONS[1:])
            )
        band = rng.random()
        delay = (
            rng.uniform(1, 24)
            if band < 0.55
            else (rng.uniform(24, 60) if band < 0.9 else rng.uniform(60, 168))
        )
        offered = self.office_hours(returned + datetime.timedelta(hours=delay))
        if offered > self.now - HOUR:
            return DebriefPlan(status="awaiting")
        if status != "held":
            return DebriefPlan(status=status, offered_at=offered)
        if rng.random() < 0.75:
            held = returned + datetime.timedelta(hours=rng.uniform(max(delay + 1, 4), 62))
        else:
            held = returned + datetime.timedelta(hours=rng.uniform(max(delay + 1, 73), 14 * 24))
        held = self.office_hours(max(held, offered + HOUR))
        if held > self.now - HOUR:
            return DebriefPlan(status="accepted", offered_at=offered)
        return self.held(child, episode, factors, offered, held)

    def held(
        self,
        child: ChildPlan,
        episode: EpisodePlan,
        factors: list[str],
        offered: datetime.datetime,
        held: datetime.datetime,
    ) -> DebriefPlan:
        rng = self.rng
        assert episode.ret is not None
        in_care = episode.category != "missing_from_home"
        push_pool = (
            ["placement", "not_listened_to", "conflict", "boredom"]
            if in_care
            else ["conflict", "boredom", "not_listened_to", "bereavement", "abuse"]
        )
        push_weights = [30, 30, 25, 15] if in_care else [45, 25, 15, 8, 7]
        push = sorted({rng.choices(push_pool, push_weights)[0] for _ in range(rng.randint(1, 2))})
        pull = {"friends"} if rng.random() < 0.7 else set()
        if in_care and rng.random() < 0.4:
            pull.add("family")
        if child.exploitation and rng.random() < 0.6:
            pull.add("exploiters")
        if rng.random() < (0.35 if child.sex == "female" else 0.15):
            pull.add("partner")
        if "substances" in factors:
            pull.add("substances")
        indicators: set[str] = set()
        if "cse" in factors and rng.random() < 0.75:
            indicators.add("cse")
        if "cce" in factors and rng.random() < 0.75:
            indicators.add("cce")
            if rng.random() < 0.5:
                indicators.add("county_lines")
                if rng.random() < 0.25:
                    indicators.add("trafficking")
        if "substances" in factors:
            indicators.add("substances")
        if "mental_health" in factors and rng.random() < 0.4:
            indicators.add("self_harm")
        if episode.ret.harm:
            indicators.add("physical_harm")
        where = episode.ret.found_where
        where_went = rng.choice(
            [
                f"Stayed at {rng.choice(child.places)}; says they slept on a sofa.",
                f"Walked around {child.addresses[-1].town} with friends, then went to {rng.choice(child.places)}.",
                f"Got the bus into Newport, then went to {rng.choice(child.places)}.",
                f"Went to a house party; found at {where[0].lower() + where[1:]}.",
            ]
        )
        who_with = (
            rng.choice(child.associates)
            if child.associates and rng.random() < 0.6
            else rng.choice(
                [
                    "Friends from school",
                    "On their own",
                    "Their boyfriend",
                    "Their girlfriend",
                    "Older friends they met in town",
                    "A cousin",
                ]
            )
        )
        exploitation = bool(indicators & {"cse", "cce", "county_lines", "trafficking"})
        shared = self.shared.setdefault(child.key, set())
        share_basis = "none"
        if exploitation and ("exploitation" not in shared or rng.random() < 0.4):
            share_basis = "safeguarding" if rng.random() < 0.65 else "consent"
        elif rng.random() < (0.45 if len(shared) < 2 else 0.15):
            share_basis = "consent"
        places: list[str] = []
        associates: list[str] = []
        if share_basis != "none":
            # Mostly what the hub did not know from earlier debriefs; now and then a place again.
            places = [p for p in child.places if p not in shared][: rng.randint(1, 2)]
            if not places or rng.random() < 0.15:
                places.append(rng.choice(child.places))
            associates = [a for a in child.associates if a not in shared][: rng.randint(0, 2)]
            shared.update(places, associates)
            if exploitation:
                shared.add("exploitation")
        places = sorted(set(places), key=places.index)
        debrief = DebriefPlan(
            status="held",
            offered_at=offered,
            held_at=held,
            where_went=where_went,
            who_with=who_with,
            travel=rng.choice(names.TRAVEL),
            push_factors=push,
            pull_factors=sorted(pull),
            indicators=sorted(indicators),
            harm_details=episode.ret.harm_details,
            child_wishes=rng.choice(names.CHILD_WISHES).format(town=child.addresses[-1].town),
            share_basis=share_basis,
            places=places,
            associates=associates,
        )
        if rng.random() < 0.4 or "trafficking" in indicators:
            debrief.referrals = self.referrals(child, debrief, held)
        return debrief

    def referrals(
        self, child: ChildPlan, debrief: DebriefPlan, held: datetime.datetime
    ) -> list[ReferralPlan]:
        rng = self.rng
        kinds: list[tuple[str, str]] = []
        ind, push, pull = set(debrief.indicators), set(debrief.push_factors), set(debrief.pull_factors)
        if "trafficking" in ind:
            kinds.append(("nrm", "Possible trafficking: moved to run drugs away from home (county lines)."))
        if ind & {"cse", "cce", "county_lines"}:
            kinds.append(("exploitation", "Exploitation indicators disclosed in the debrief."))
        if "self_harm" in ind:
            kinds.append(("camhs", "Self-harm disclosed in the debrief; low mood."))
        if "substances" in ind or "substances" in pull:
            kinds.append(("substance_misuse", "Drinking and cannabis use while missing."))
        if "conflict" in push and not child.is_looked_after:
            kinds.append(("family_mediation", "Repeated conflict at home about boundaries."))
        if "bereavement" in push:
            kinds.append(("bereavement", "Missing episodes began after a death in the family."))
        if child.is_repeat and rng.random() < 0.25:
            kinds.append(("education_support", "Poor attendance; wants help to get back into school."))
        kinds.append(("peer_mentoring", "Wants someone to talk to who is not a professional."))
        if "friends" in pull:  # issue 7: detached youth work where their friends spend their evenings
            kinds.append(
                ("youth_work", "Spends evenings in town with friends; open to meeting the youth workers.")
            )
        chosen = kinds[:1] if rng.random() < 0.85 or len(kinds) < 2 else kinds[:2]
        if "trafficking" in ind and chosen[0][0] != "nrm":
            chosen.insert(0, kinds[0])
        plans = []
        for kind, reason in chosen:
            referred = self.office_hours(held + datetime.timedelta(hours=rng.uniform(0.5, 72)))
            referred = max(min(referred, self.now - 10 * datetime.timedelta(minutes=1)), held)
            plans.append(
                ReferralPlan(
                    kind=kind,
                    referred_at=referred,
                    reason=reason,
                    consent_given=kind != "nrm",
                    updates=self.outcomes(referred, kind),
                )
            )
        return plans

    def outcomes(self, referred: datetime.datetime, kind: str) -> list[Step]:
        return plan_steps(
            self.rng, kind=kind, referred=referred, now=self.now, office_hours=self.office_hours
        )

    # response plans ------------------------------------------------------------------------------

    def response_plans(self, child: ChildPlan) -> list[ResponsePlanPlan]:
        rng = self.rng
        plans = []
        points = [2] + (
            [int(len(child.episodes) * 0.6)] if len(child.episodes) >= 12 and rng.random() < 0.35 else []
        )
        treat = rng.choices(["high", "medium", ""], [45, 30, 25])[0]
        for i, point in enumerate(points):
            after, before = child.episodes[point], child.episodes[point + 1]
            returned = after.returned_at
            assert returned is not None
            gap = before.reported_at - returned
            agreed = returned + min(datetime.timedelta(days=rng.uniform(1, 7)), gap / 2)
            agreed = min(agreed, self.now - HOUR)
            if i > 0:
                treat = "high" if rng.random() < 0.6 else treat
            social_worker = child.known_to_social_care
            home = self.address_on(child, timezone.localtime(agreed).date())
            searches = "; ".join([home.line, *child.places[:2]])
            plan = (
                f"Carer to search these places first: {searches}. Ring the child's phone and message friends. "
                f"Report to police after {rng.choice([1, 2, 2, 3])} hours if not found."
            )
            if treat == "high":
                plan += " Always treat as high risk: police deploy at once."
            if child.exploitation:
                plan += " Exploitation concern: check the associates listed on the record."
            if child.medical:
                plan += " Needs medication: tell the officer in the case."
            plans.append(
                ResponsePlanPlan(
                    agreed_at=agreed,
                    agreed_by="socialworker" if social_worker and rng.random() < 0.6 else "coordinator",
                    plan=plan,
                    treat_as_grade=treat,
                    social_worker_agreed=social_worker,
                    review_due=timezone.localtime(agreed).date() + datetime.timedelta(days=90),
                )
            )
        return plans

    # agency records and facts ----------------------------------------------------------------------

    def records(self, child: ChildPlan) -> None:
        rng = self.rng
        today = timezone.localtime(self.now).date()
        first = timezone.localtime(child.episodes[0].reported_at).date()
        last = timezone.localtime(child.episodes[-1].reported_at).date()
        current, oldest = child.addresses[-1], child.addresses[0]

        def address(p_old: float) -> Address:
            return (
                rng.choice(child.addresses[:-1])
                if len(child.addresses) > 1 and rng.random() < p_old
                else current
            )

        def given(p_nick: float, p_strip: float) -> str:
            if child.nicknames and rng.random() < p_nick:
                return rng.choice(child.nicknames)
            return strip_accents(child.given_name) if rng.random() < p_strip else child.given_name

        def family(p_misspell: float, p_alt: float = 0.0) -> str:
            if child.alt_surname and rng.random() < p_alt:
                return child.alt_surname
            return self.misspell(child.family_name) if rng.random() < p_misspell else child.family_name

        def dob(p_transposed: float, p_missing: float = 0.0) -> datetime.date | None:
            roll = rng.random()
            if roll < p_missing:
                return None
            return (
                _transposed(child.date_of_birth) if roll < p_missing + p_transposed else child.date_of_birth
            )

        def record(key: str, agency: str, system: str, local_id: str, **values: Any) -> RecordPlan:
            where = values.pop("where")
            plan = RecordPlan(
                key=key,
                agency=agency,
                system=system,
                local_id=local_id,
                sex=child.sex,
                address=where.line,
                postcode=where.postcode,
                **values,
            )
            child.records.append(plan)
            return plan

        police = record(
            "police",
            "GWP",
            POLICE_SYSTEM,
            self.unique(lambda: f"GWP-PER-{self.digits(7)}"),
            given_name=given(0.3, 0.8),
            family_name=family(0.08),
            date_of_birth=dob(0.03),
            other_names=", ".join(child.nicknames[:2]) if rng.random() < 0.6 else "",
            where=address(0.2),
            nhs_number=child.nhs_number if rng.random() < 0.1 else "",
            upn="",
            recorded_on=last,
        )
        if len(child.episodes) >= 3 and rng.random() < 0.05:
            # A duplicate person record in the police system: a different spelling created at a later report.
            record(
                "police_duplicate",
                "GWP",
                POLICE_SYSTEM,
                self.unique(lambda: f"GWP-PER-{self.digits(7)}"),
                given_name=given(0.6, 1.0),
                family_name=self.misspell(child.family_name),
                date_of_birth=dob(0.3, 0.2),
                other_names="",
                where=address(0.5),
                nhs_number="",
                upn="",
                recorded_on=timezone.localtime(child.episodes[1].reported_at).date(),
            )
        has_health, has_education = rng.random() < 0.9, rng.random() < 0.88
        if not (has_health or has_education or child.known_to_social_care):
            has_health = True  # every child is known to at least one agency besides the police
        council_record = None
        if child.known_to_social_care:
            council_record = record(
                "social_care",
                child.council,
                SOCIAL_CARE_SYSTEM,
                self.unique(lambda: f"{child.council}-{self.digits(6)}"),
                given_name=child.given_name,
                family_name=family(0.03),
                date_of_birth=dob(0.01),
                other_names=child.nicknames[0] if child.nicknames and rng.random() < 0.5 else "",
                where=current if child.is_looked_after else address(0.1),
                nhs_number=child.nhs_number if rng.random() < 0.75 else "",
                upn=child.upn if rng.random() < 0.4 else "",
                recorded_on=min(today, last + datetime.timedelta(days=rng.randint(0, 60))),
            )
        health = None
        if has_health:
            health = record(
                "health",
                "ABUHB",
                HEALTH_SYSTEM,
                self.unique(lambda: f"E{self.digits(6)}"),
                given_name=given(0.0, 0.3),
                family_name=family(0.03, 0.5),
                date_of_birth=dob(0.01),
                other_names="",
                where=oldest if rng.random() < 0.35 else current,
                nhs_number=child.nhs_number if rng.random() < 0.96 else "",
                upn="",
                recorded_on=first - datetime.timedelta(days=rng.randint(30, 900)),
            )
        education = None
        if has_education:
            education = record(
                "education",
                child.school_council,
                EDUCATION_SYSTEM,
                self.unique(lambda: f"ADM{names.UPN_LA_CODES[child.school_council]}{self.digits(5)}"),
                given_name=given(0.1, 0.5),
                family_name=family(0.04, 0.4),
                date_of_birth=dob(0.01),
                other_names=child.nicknames[0] if child.nicknames and rng.random() < 0.3 else "",
                where=address(0.25),
                nhs_number="",
                upn=child.upn if rng.random() < 0.92 else "",
                recorded_on=min(today, last + datetime.timedelta(days=rng.randint(0, 120))),
            )
        held = [e.debrief.held_at for e in child.episodes if e.debrief and e.debrief.held_at]
        if held:
            first_held = timezone.localtime(min(held)).date()
            record(
                "charity",
                "LLAMAU",
                CHARITY_SYSTEM,
                self.unique(lambda: f"LLA-{first_held.year}-{self.digits(4)}"),
                given_name=given(0.4, 0.6),
                family_name=family(0.05),
                date_of_birth=dob(0.02, 0.15),
                other_names="",
                where=current,
                nhs_number="",
                upn="",
                recorded_on=timezone.localtime(max(held)).date(),
            )
        self.facts(child, police, council_record, health, education, first, last)

    def facts(
        self,
        child: ChildPlan,
        police: RecordPlan,
        council: RecordPlan | None,
        health: RecordPlan | None,
        education: RecordPlan | None,
        first: datetime.date,
        last: datetime.date,
    ) -> None:
        rng = self.rng
        today = timezone.localtime(self.now).date()

        def on(day: datetime.date) -> datetime.date:
            return min(day, today)

        def add(record: RecordPlan, category: str, summary: str, day: datetime.date) -> None:
            child.facts.append(
                FactPlan(record_key=record.key, category=category, summary=summary, recorded_on=on(day))
            )

        council_name = COUNCIL_NAMES[child.council]
        if council is not None:
            if child.is_looked_after:
                since = first - datetime.timedelta(days=rng.randint(60, 1500))
                basis = rng.choice(
                    ["a care order (section 31, Children Act 1989)", "voluntary accommodation (section 76)"]
                )
                summary = f"Looked after by {council_name} under {basis} since {since:%B %Y}. Placed at {child.placement}."
                host = child.addresses[-1].council
                if host != child.council:
                    summary += f" Placed out of area: {COUNCIL_NAMES[host]} is the host authority."
                add(council, "looked_after", summary, since)
            if child.child_protection:
                kind = rng.choice(["neglect", "emotional abuse", "physical abuse"])
                since = first - datetime.timedelta(days=rng.randint(20, 500))
                add(
                    council,
                    "child_protection",
                    f"On the child protection register (category: {kind}) since {since:%B %Y}.",
                    since,
                )
        if health is not None and child.health_need:
            add(
                health,
                "health_need",
                child.health_need,
                health.recorded_on + datetime.timedelta(days=rng.randint(0, 200)),
            )
        if education is not None:
            age_now = child.age_on(today)
            year_group = age_now - 4
            if age_now >= 16:
                add(
                    education,
                    "school",
                    f"Left {child.school} in summer {today.year - (age_now - 16)}; at a further education college.",
                    last,
                )
            else:
                add(
                    education,
                    "school",
                    f"On roll at {child.school} (Year {year_group}).",
                    education.recorded_on,
                )
            if child.is_repeat and rng.random() < 0.6:
                attendance = rng.randint(48, 88)
                add(
                    education,
                    "attendance",
                    f"Attendance {attendance}% this school year; {rng.choice(names.EXCLUSION_REASONS)}.",
                    education.recorded_on,
                )
        if child.exploitation:
            day = first + datetime.timedelta(days=rng.randint(0, max(1, (last - first).days)))
            place = rng.choice(child.places)
            if child.exploitation == "cse":
                summary = f"Intelligence: seen getting into cars with older males at {place}; gifts and a new phone."
            else:
                summary = f"Stopped at {place} with GBP {rng.randint(2, 12) * 50} in cash and two phones; suspected county lines."
            if council is not None and rng.random() < 0.5:
                level = rng.choice(["significant", "moderate"])
                add(
                    council,
                    "exploitation",
                    f"Child exploitation screening completed: {level} risk of {'sexual' if child.exploitation == 'cse' else 'criminal'} exploitation.",
                    day,
                )
            else:
                add(police, "exploitation", summary, day)
        if child.is_repeat:
            if rng.random() < 0.3:
                marker = rng.choice(
                    [
                        "Self-harm",
                        "Drugs",
                        "Weapons: knife found on a previous search",
                        "Violent towards staff",
                        "Absconder",
                    ]
                )
                add(
                    police,
                    "warning_marker",
                    f"Warning marker: {marker}.",
                    first + datetime.timedelta(days=rng.randint(0, 300)),
                )
            for associate in child.associates:
                add(police, "associate", associate, first + datetime.timedelta(days=rng.randint(0, 400)))
            for place in child.places[: rng.randint(1, 3)]:
                add(
                    police,
                    "place",
                    f"Found at or frequents {place}.",
                    first + datetime.timedelta(days=rng.randint(0, 400)),
                )

    # the whole plan ------------------------------------------------------------------------------

    def plan(self) -> DemoPlan:
        rng = self.rng
        counts = {p: round(self.n_children * share) for p, share in PROFILES.items()}
        counts["occasional"] = self.n_children - sum(v for p, v in counts.items() if p != "occasional")
        profiles = [p for p, n in counts.items() for _ in range(n)]
        rng.shuffle(profiles)

        children = []
        for key, profile in enumerate(profiles):
            child = self.child(key, profile)
            child.episodes = self.timeline(child, self.episode_count(profile))
            child.date_of_birth = self.birth_date(child, child.episodes[0].reported_at)
            eighteenth = _years_before(child.date_of_birth, -18)
            child.episodes = [
                e for e in child.episodes if timezone.localtime(e.reported_at).date() < eighteenth
            ]
            child.nhs_number = self.unique(lambda: synthetic_nhs_number(rng))
            la = names.UPN_LA_CODES[child.school_council]
            child.upn = self.unique(
                lambda la=la, dob=child.date_of_birth: synthetic_upn(rng, la_code=la, year=dob.year + 5)
            )
            children.append(child)

        self.live_work(children)
        # Issue 7: friendship groups missing together and adults of concern, with their own random stream.
        from hafan.demo.groups import plan_groups

        plan_groups(children, seed=self.seed, now=self.settled_end, start=self.start)

        planned = sorted(
            (c for c in children if len(c.episodes) >= 6),
            key=lambda c: (-len(c.episodes), c.key),
        )[: max(1, round(self.n_children / 30))]
        for child in planned:
            child.response_plans = self.response_plans(child)

        for child in children:
            # Only an agreed plan sets a floor (see load_demo: who agrees the demo's plans).
            floors = [
                (p.agreed_at, p.treat_as_grade)
                for p in child.response_plans
                if p.social_worker_agreed and child.council in DEMO_PLAN_DECIDERS
            ]
            for index, episode in enumerate(child.episodes):
                self.fill_episode(child, child.prior_episodes + index, episode, floors)
            self.records(child)
        return DemoPlan(seed=self.seed, now=self.now, years=self.years, children=children)

    def live_work(self, children: list[ChildPlan]) -> None:
        """A few children still missing and a few just back, so the demo opens on live work."""
        rng = self.rng
        today = timezone.localtime(self.now).date()
        weight = {"looked_after": 3, "repeat": 3, "some": 2, "occasional": 1}
        candidates = [c for c in children if c.age_on(today) < 18 and c.age_on(today) >= 11]
        order = sorted(candidates, key=lambda c: -weight[c.profile] * rng.random())
        n_open = min(6, max(3, round(self.n_children / 120)))
        n_recent = min(7, max(2, round(self.n_children / 100)))
        for i, child in enumerate(order[: n_open + n_recent]):
            last_return = child.episodes[-1].returned_at
            assert last_return is not None
            if i < n_open:
                hours_ago = rng.uniform(96, 140) if i == 0 else rng.uniform(2, 60)
                reported = max(self.now - datetime.timedelta(hours=hours_ago), last_return + 12 * HOUR)
                reported = min(reported, self.now - HOUR)
                category = self.category(child)
                if category == "away_from_placement":
                    category = "missing_from_care"
                child.episodes.append(
                    EpisodePlan(reported_at=reported, duration=None, category=category, kind="open")
                )
            else:
                reported = self.now - datetime.timedelta(hours=rng.uniform(8, 66))
                spare = (self.now - reported).total_seconds() / 3600 - 1
                duration = datetime.timedelta(hours=rng.uniform(1, min(20, spare)))
                child.episodes.append(
                    EpisodePlan(
                        reported_at=reported, duration=duration, category=self.category(child), kind="recent"
                    )
                )


def plan_demo(*, seed: int, children: int, years: int, now: datetime.datetime) -> DemoPlan:
    """Everything the demo will contain, decided from the seed alone. Pure: no database, no clock."""
    if children < 1 or years < 1:
        raise ValueError("Generate at least one child over at least one year.")
    return _Planner(seed=seed, children=children, years=years, now=now).plan()


def plan_stats(plan: DemoPlan) -> dict[str, Any]:
    """The calibration figures, measured on a plan (docs/demo-data.md quotes them)."""
    episodes = plan.episodes()
    n = len(episodes)
    lac_children = [c for c in plan.children if c.is_looked_after]
    per_child = Counter(len(c.episodes) for c in plan.children)
    ages = [c.age_on(timezone.localtime(e.reported_at).date()) for c, e in episodes]
    finished = [e for _, e in episodes if e.duration is not None]
    grades = Counter(e.grades[0].grade for _, e in episodes)
    debriefs = [e.debrief for _, e in episodes if e.debrief is not None]
    held = [d for d in debriefs if d.status == "held"]
    returned = {id(e.debrief): e for _, e in episodes if e.debrief is not None}
    in_time = [d for d in held if d.held_at and d.held_at - returned[id(d)].returned_at <= 72 * HOUR]  # type: ignore[operator]
    repeat_children = [c for c in plan.children if len(c.episodes) >= 3]

    def share(part: float, whole: float) -> float:
        return round(100 * part / whole, 1) if whole else 0.0

    return {
        "children": len(plan.children),
        "episodes": n,
        "looked_after_children_pct": share(len(lac_children), len(plan.children)),
        "looked_after_episodes_pct": share(sum(len(c.episodes) for c in lac_children), n),
        "children_with_1_or_2_episodes_pct": share(per_child[1] + per_child[2], len(plan.children)),
        "max_episodes_one_child": max(per_child),
        "aged_12_to_17_pct": share(sum(1 for a in ages if 12 <= a <= 17), n),
        "categories": dict(Counter(e.category for _, e in episodes)),
        "within_48h_pct": share(
            sum(1 for e in finished if e.duration and e.duration <= 48 * HOUR), len(finished)
        ),
        "within_24h_pct": share(
            sum(1 for e in finished if e.duration and e.duration <= 24 * HOUR), len(finished)
        ),
        "cse_pct": share(sum(1 for _, e in episodes if "cse" in e.grades[0].factors), n),
        "mental_health_pct": share(sum(1 for _, e in episodes if "mental_health" in e.grades[0].factors), n),
        "harm_pct": share(sum(1 for e in finished if e.ret and e.ret.harm), len(finished)),
        "grades_pct": {g: share(grades[g], n) for g in GRADES},
        "open_episodes": sum(1 for _, e in episodes if e.kind == "open"),
        "debrief_status_pct": {
            s: share(v, len(debriefs)) for s, v in Counter(d.status for d in debriefs).items()
        },
        "held_within_72h_pct": share(len(in_time), len(held)),
        "referrals": sum(len(d.referrals) for d in held),
        "held_with_referral_pct": share(sum(1 for d in held if d.referrals), len(held)),
        "repeat_children_with_exploitation_pct": share(
            sum(1 for c in repeat_children if c.exploitation), len(repeat_children)
        ),
        "response_plans": sum(len(c.response_plans) for c in plan.children),
        "councils_pct": {
            k: share(v, len(plan.children))
            for k, v in sorted(Counter(c.council for c in plan.children).items())
        },
    }


# Writing ------------------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    children: int
    episodes: int
    open_episodes: int
    source_records: int
    facts: int
    risk_assessments: int
    response_plans: int
    debriefs: int
    debriefs_awaiting: int
    referrals: int
    seconds: float


def load_demo(
    plan: DemoPlan, *, agencies: dict[str, Any], services: dict[str, Any], staff: dict[str, Any]
) -> dict[int, Any]:
    """Writes the plan through the services, in time order. Call inside one transaction."""
    from hafan.core.vocabulary import FactCategory, Purpose
    from hafan.debriefs.demo import demo_debrief
    from hafan.debriefs.models import Debrief
    from hafan.episodes.services import episode_close, episode_record_return, episode_report
    from hafan.people.selectors import response_plan_in_force, response_plan_waiting
    from hafan.people.services import (
        PersonDetails,
        child_create,
        fact_add,
        response_plan_decide,
        response_plan_propose,
        source_record_upsert,
    )
    from hafan.referrals.demo import demo_referral
    from hafan.risk.services import risk_grade_confirm, risk_grade_record

    coordinator, supervisor, debrief_worker = staff["coordinator"], staff["supervisor"], staff["debrief"]
    hub_children: dict[int, Any] = {}

    # The hub's state after linkage: each child once, with every agency's record of them.
    for cp in plan.children:
        current = cp.addresses[-1]
        child = child_create(
            details=PersonDetails(
                given_name=cp.given_name,
                family_name=cp.family_name,
                date_of_birth=cp.date_of_birth,
                sex=cp.sex,
                address=current.line,
                postcode=current.postcode,
                nhs_number=cp.nhs_number,
            ),
            actor=None,
            purpose=Purpose.AGENCY_FEED,
            responsible_council=agencies[cp.council],
        )
        hub_children[cp.key] = child
        records = {}
        for rec in cp.records:
            records[rec.key] = source_record_upsert(
                child=child,
                agency=agencies[rec.agency],
                system=rec.system,
                local_id=rec.local_id,
                details=PersonDetails(
                    given_name=rec.given_name,
                    family_name=rec.family_name,
                    date_of_birth=rec.date_of_birth,
                    sex=rec.sex,
                    other_names=rec.other_names,
                    address=rec.address,
                    postcode=rec.postcode,
                    nhs_number=rec.nhs_number,
                    upn=rec.upn,
                ),
                recorded_on=rec.recorded_on,
                actor=None,
            )
        for fp in cp.facts:
            record = records[fp.record_key]
            fact_add(
                child=child,
                agency=record.agency,
                category=FactCategory(fp.category),
                summary=fp.summary,
                recorded_on=fp.recorded_on,
                source=f"{record.system} {record.local_id}",
                actor=None,
                source_record=record,
            )

    # The Caerphilly caseworker outside the hub holds a few of the council's cases (need-to-know demo).
    from hafan.people.services import allocation_start

    caerphilly = [cp for cp in plan.children if cp.council == "CCBC"][:8]
    for cp in caerphilly:
        allocation_start(
            child=hub_children[cp.key],
            user=staff["caseworker"],
            kind="case_holder",
            allocated_by=supervisor,
            now=plan.now - datetime.timedelta(days=60),
        )

    # Then history, in time order: a grade is checked against the response plan in force when it was made.
    events: list[tuple[datetime.datetime, int, int, int]] = []
    for cp in plan.children:
        events += [(rp.agreed_at, 0, cp.key, i) for i, rp in enumerate(cp.response_plans)]
        events += [(ep.reported_at, 1, cp.key, i) for i, ep in enumerate(cp.episodes)]
    events.sort()
    by_key = {cp.key: cp for cp in plan.children}
    for _at, kind, key, index in events:
        cp, child = by_key[key], hub_children[key]
        if kind == 0:
            rp = cp.response_plans[index]
            if response_plan_waiting(child) is not None:
                continue  # the earlier proposal still waits for a social worker: the hub cannot propose another
            proposed = response_plan_propose(
                child=child,
                proposed_by=staff[rp.agreed_by],
                plan=rp.plan,
                treat_as_grade=rp.treat_as_grade,
                review_due=rp.review_due,
                based_on=response_plan_in_force(child),
                at=rp.agreed_at,
            )
            decider = DEMO_PLAN_DECIDERS.get(cp.council)
            if proposed.status == "proposed" and rp.social_worker_agreed and decider:
                response_plan_decide(
                    plan=proposed,
                    social_worker=proposed.social_worker or staff[decider],
                    agree=True,
                    note="",
                    at=rp.agreed_at,
                )
            continue
        ep = cp.episodes[index]
        assert ep.last_seen_at is not None
        episode = episode_report(
            reported_by=coordinator,
            child_details=PersonDetails(
                given_name=ep.reported_given_name,
                family_name=ep.reported_family_name,
                date_of_birth=ep.reported_dob,
                sex=cp.sex,
                address=ep.reported_address,
                postcode=ep.reported_postcode,
            ),
            category=ep.category,
            reported_at=ep.reported_at,
            reporter_name=ep.reporter_name,
            reporter_organisation=ep.reporter_organisation,
            last_seen_at=ep.last_seen_at,
            last_seen_place=ep.last_seen_place,
            circumstances=ep.circumstances,
            clothing=ep.clothing,
            council=agencies[ep.council],
            child=child,
        )
        for gp in ep.grades:
            assessment = risk_grade_record(
                episode=episode,
                author=coordinator,
                grade=gp.grade,
                factors=gp.factors,
                rationale=gp.rationale,
                next_review_due=gp.next_review_due,
                assessed_at=gp.assessed_at,
                departs_from_plan=gp.departs_from_plan,
            )
            if gp.confirm:
                risk_grade_confirm(assessment=assessment, supervisor=supervisor)
        if ep.ret is None:
            continue
        r = ep.ret
        episode = episode_record_return(
            episode=episode,
            recorded_by=coordinator,
            returned_at=r.returned_at,
            found_where=r.found_where,
            found_by=r.found_by,
            harm_suffered=r.harm,
            harm_details=r.harm_details,
            safe_and_well_at=r.safe_and_well_at,
            safe_and_well_by=r.safe_and_well_by,
            safe_and_well_notes=r.safe_and_well_notes,
        )
        dp = ep.debrief
        if dp is None:
            continue
        debrief = Debrief.objects.select_related("provider", "episode__child").get(episode=episode)
        # Issue 7: contact attempts, reassignments, findings with their own sharing decision, mediation.
        debrief = demo_debrief(debrief=debrief, worker=debrief_worker, plan=dp, latest=plan.now)
        if dp.status == "awaiting":
            continue
        for ref in dp.referrals:
            # Issue 7: to the service covering the child's council, then accepted/started/completed (or not).
            demo_referral(
                child=child,
                kind=ref.kind,
                reason=ref.reason,
                consent_given=ref.consent_given,
                referred_at=ref.referred_at,
                steps=ref.updates,
                episode=episode,
                debrief=debrief,
                referrer=debrief_worker,
                staff=staff,
            )
        if dp.status == "held" and dp.held_at is not None:
            # Issue 7: a one-time feedback link for every held debrief, answered for about 40% of them.
            from hafan.feedback.demo import demo_feedback

            demo_feedback(debrief=debrief, worker=debrief_worker, held_at=dp.held_at, latest=plan.now)
        # Settled episodes are closed once the safe-and-well check is done and the debrief is finished;
        # the last week's stay open so the demo has returns still being worked.
        finished = dp.status in {"held", "declined", "not_offered"}
        if finished and r.safe_and_well_at is not None and r.returned_at < plan.now - CLOSE_AFTER:
            closed_at = min((dp.held_at or r.returned_at) + DAY, plan.now)
            episode_close(episode=episode, closed_by=coordinator, closed_at=closed_at)
    return hub_children


def _demo_photo(seed: int) -> bytes:
    """A plain drawn silhouette: never a real face."""
    import io

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    background = tuple(rng.randint(150, 220) for _ in range(3))
    image = Image.new("RGB", (240, 300), background)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    tone = tuple(rng.randint(40, 110) for _ in range(3))
    draw.ellipse((80, 50, 160, 140), fill=tone)  # type: ignore[arg-type]
    draw.rounded_rectangle((45, 150, 195, 300), radius=40, fill=tone)  # type: ignore[arg-type]
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load_risk_and_response(plan: DemoPlan, *, hub_children: dict[int, Any], staff: dict[str, Any]) -> None:
    """Issue 6 in the demo: information profiles for the children most at risk (prepared by the Newport social
    worker), the open episodes assigned to the coordinator, and the health board's answer to some calls."""
    from hafan.core.vocabulary import FactCategory
    from hafan.episodes.models import Episode, EpisodeStatus, InformationRequestStatus, InformationService
    from hafan.episodes.services import episode_assign, information_request_answer
    from hafan.people.services import child_profile_save

    rng = random.Random(plan.seed + 6)
    open_children = set(
        Episode.objects.filter(status=EpisodeStatus.MISSING).values_list("child_id", flat=True)
    )
    for cp in plan.children:
        child = hub_children[cp.key]
        if not (cp.is_repeat or cp.is_looked_after or child.pk in open_children):
            continue
        child_profile_save(
            child=child,
            prepared_by=staff["socialworker"],
            based_on_version=None,
            placement=cp.placement or f"At home with family: {cp.addresses[-1].line}",
            description=rng.choice(["Slim build", "Medium build", "Tall and thin", "Stocky build"])
            + ", "
            + rng.choice(
                ["short dark hair", "long brown hair", "shaved head", "dyed red hair", "curly black hair"]
            ),
            nicknames=", ".join(cp.nicknames),
            first_language=rng.choice(["en", "en", "en", "cy"]),
            marks=rng.choice(
                ["", "Scar above the left eyebrow", "Pierced ears", "Small tattoo on the right wrist"]
            ),
            associates="\n".join(cp.associates),
            places="\n".join(cp.places),
            transport=rng.choice(
                ["Buses into Newport", "Trains to Cardiff", "Rides a BMX", "Lifts from older friends"]
            ),
            medical_needs=cp.health_need,
            photo=_demo_photo(plan.seed + cp.key),
            photo_content_type="image/png",
        )
    for index, episode in enumerate(
        Episode.objects.filter(status=EpisodeStatus.MISSING).order_by("reported_at")
    ):
        episode_assign(episode=episode, assigned_by=staff["supervisor"], assignee=staff["coordinator"])
        request = episode.information_requests.filter(
            service=InformationService.HEALTH, status=InformationRequestStatus.OPEN
        ).first()
        if request is not None and index % 2 == 0:
            information_request_answer(
                request=request,
                answered_by=staff["nurse"],
                nothing_known=False,
                items=[
                    (
                        FactCategory.HEALTH_NEED,
                        "Asthma: uses a reliever inhaler, and had none with them when last seen. Seen by the school "
                        "nurse last month.",
                    )
                ],
            )


def generate(
    *, seed: int = 2013, children: int = 600, years: int = 3, now: datetime.datetime | None = None
) -> DemoSummary:
    """Seeds the partnership, the service directory and the demo staff, then the children and their history."""
    from hafan.accounts.demo_staff import DEMO_COUNCIL_STAFF, STAFF, demo_staff_seed
    from hafan.agencies.services import partnership_seed
    from hafan.debriefs.models import Debrief, OfferStatus
    from hafan.episodes.models import Episode, EpisodeStatus
    from hafan.ingest.services import code_mappings_seed
    from hafan.ingest.vocabularies import PARTNER_CODES
    from hafan.people.models import Child, Fact, ResponsePlan, SourceRecord
    from hafan.referrals.directory import service_directory_seed
    from hafan.referrals.models import Referral
    from hafan.risk.models import RiskAssessment

    started = time.perf_counter()
    plan = plan_demo(seed=seed, children=children, years=years, now=now or demo_now())
    with transaction.atomic():
        agencies = {a.code: a for a in partnership_seed()}
        for code, mappings in PARTNER_CODES.items():
            code_mappings_seed(agencies[code], mappings)
        services = {s.kind: s for s in service_directory_seed()}
        staff = demo_staff_seed(password=DEMO_PASSWORD, seeds=STAFF + DEMO_COUNCIL_STAFF)
        hub_children = load_demo(plan, agencies=agencies, services=services, staff=staff)
        load_risk_and_response(plan, hub_children=hub_children, staff=staff)
    return DemoSummary(
        children=Child.objects.count(),
        episodes=Episode.objects.count(),
        open_episodes=Episode.objects.filter(status=EpisodeStatus.MISSING).count(),
        source_records=SourceRecord.objects.count(),
        facts=Fact.objects.count(),
        risk_assessments=RiskAssessment.objects.count(),
        response_plans=ResponsePlan.objects.count(),
        debriefs=Debrief.objects.count(),
        debriefs_awaiting=Debrief.objects.filter(status=OfferStatus.AWAITING).count(),
        referrals=Referral.objects.count(),
        seconds=round(time.perf_counter() - started, 1),
    )
