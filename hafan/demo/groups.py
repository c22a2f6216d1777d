"""Patterns across children for the demo: friendship groups who go missing together, and adults of concern named
by several exploited children. A separate deterministic step of the plan (hafan.demo.generator.plan calls it
after the children's timelines are made and before their episodes are filled in), with its own random stream,
so the rest of the plan draws the same numbers it always did.

- Friendship groups: three or four groups of two or three children of one council, near in age, each missing
  together on two or three nights: a follower's nearest episode is moved to within a few hours of the leader's
  report, returns within about an hour of the leader's, and all are found at one place (EpisodePlan.found_together).
  Episode counts do not change; a move that would overlap another of the child's episodes is skipped.
- Adults of concern: two or three adults (synthetic names, a nickname) added to the associates of several
  children with exploitation concerns, so they appear in police associate facts and, when the child agrees or
  safeguarding requires it, in what debriefs share.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from typing import Any

from hafan.demo import names

HOUR = datetime.timedelta(hours=1)
GAP = 6 * HOUR  # the timeline keeps at least this between a child's episodes
NICKNAMES = ["Smokey", "Digger", "Tiny", "Scouse", "Big Man", "Jonno", "Taff"]


def _plain(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _age(dob: datetime.date, day: datetime.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def _fits(
    child: Any, moved: Any, reported: datetime.datetime, duration: datetime.timedelta, now: datetime.datetime
) -> bool:
    """The moved episode keeps clear of the child's other episodes, before the child's 18th birthday and now."""
    returned = reported + duration
    if returned > now or _age(child.date_of_birth, reported.date()) >= 18:
        return False
    for other in child.episodes:
        if other is moved:
            continue
        other_end = other.returned_at
        if other_end is None:  # still missing: nothing may come after its report
            if returned + GAP > other.reported_at:
                return False
            continue
        if reported < other_end + GAP and other.reported_at < returned + GAP:
            return False
    return True


def plan_groups(children: list[Any], *, seed: int, now: datetime.datetime, start: datetime.datetime) -> None:
    """Adds the friendship groups and the adults of concern to the planned children, in place."""
    rng = random.Random(f"hafan-demo-groups-{seed}")
    today = now.date()
    used: set[int] = set()

    def normal(child: Any) -> list[Any]:
        return [
            e
            for e in child.episodes
            if e.kind == "normal" and e.duration is not None and e.reported_at >= start
        ]

    # The nights fall in the last year, so the co-missing page shows the groups in its default period.
    recent_from = now - datetime.timedelta(days=330)

    def recent(child: Any) -> list[Any]:
        return [e for e in normal(child) if e.reported_at >= recent_from]

    candidates = [c for c in children if len(normal(c)) >= 3 and 12 <= _age(c.date_of_birth, today) <= 18]
    rng.shuffle(candidates)
    groups_made = 0
    for leader in sorted(candidates, key=lambda c: (-len(recent(c)), c.key)):
        if groups_made >= 4 or leader.key in used or len(recent(leader)) < 2:
            continue
        friends = [
            c
            for c in candidates
            if c.key not in used
            and c.key != leader.key
            and c.council == leader.council
            and abs((c.date_of_birth - leader.date_of_birth).days) <= 2 * 366
        ]
        size = rng.choice([2, 3, 3])
        if len(friends) < size - 1:
            continue
        followers = rng.sample(friends, size - 1)
        place = rng.choice(leader.places)
        place = place[0].upper() + place[1:]
        nights = rng.sample(recent(leader), min(len(recent(leader)), rng.choice([2, 3])))
        nights.sort(key=lambda e: e.reported_at)
        together = 0
        for night in nights:
            assert night.returned_at is not None
            joined = 0
            for follower in followers:
                reported = night.reported_at + datetime.timedelta(minutes=rng.randint(15, 240))
                returned = night.returned_at + datetime.timedelta(minutes=rng.randint(-60, 60))
                if returned - reported < HOUR:
                    returned = reported + HOUR + datetime.timedelta(minutes=rng.randint(0, 90))
                pool = [e for e in normal(follower) if not e.found_together]
                pool.sort(key=lambda e: (abs((e.reported_at - reported).total_seconds()), e.reported_at))
                moved = next(
                    (e for e in pool if _fits(follower, e, reported, returned - reported, now)), None
                )
                if moved is None:
                    continue
                moved.reported_at, moved.duration = reported, returned - reported
                moved.found_together = place
                follower.episodes.sort(key=lambda e: e.reported_at)
                joined += 1
            if joined:
                night.found_together = place
                together += 1
        if together >= 2:
            used.update({leader.key, *(f.key for f in followers)})
            groups_made += 1
        # A group that met fewer than twice stays as it is: a coincidence, as in life.

    exploited = sorted((c for c in children if c.exploitation and c.is_repeat), key=lambda c: c.key)
    rng.shuffle(exploited)
    for n in range(min(3, len(exploited) // 3)):
        given = _plain(rng.choice(names.MALE_GIVEN_NAMES))
        adult = (
            f"{given} {rng.choice(names.SURNAMES)} (about {rng.randint(20, 34)}), "
            f"known as '{NICKNAMES[n % len(NICKNAMES)]}'"
        )
        for child in exploited[n * 3 : n * 3 + rng.choice([3, 3, 4])]:
            if adult not in child.associates:
                child.associates.insert(0, adult)  # first, so that debriefs share it before others
