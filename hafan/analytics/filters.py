"""The filters every dashboard view, chart, impact page and report takes (issue 8). Pure: no database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

AGE_BANDS = ["0-10", "11-13", "14-15", "16-17", "18+", "unknown"]
CARE_STATUSES = ["looked_after", "child_protection", "child_in_need", "none"]


def age_band(age_years: int | None) -> str:
    if age_years is None:
        return "unknown"
    if age_years <= 10:
        return "0-10"
    if age_years <= 13:
        return "11-13"
    if age_years <= 15:
        return "14-15"
    if age_years <= 17:
        return "16-17"
    return "18+"


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Filters:
    """A period [since, until] (inclusive local dates) and optional dimension filters; empty means all.
    Each tuple holds the values to keep (e.g. councils=("NCC", "CCBC"))."""

    since: datetime.date
    until: datetime.date
    councils: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    placement_types: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    care_statuses: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def orm(self, prefix: str = "") -> dict[str, object]:
        """The Django filter keyword arguments for analytics.EpisodeFact (`prefix` for a related lookup)."""
        kwargs: dict[str, object] = {
            f"{prefix}reported_on__gte": self.since,
            f"{prefix}reported_on__lte": self.until,
        }
        for name, values in (
            ("council", self.councils),
            ("school", self.schools),
            ("placement_type", self.placement_types),
            ("grade", self.grades),
            ("age_band", self.age_bands),
            ("sex", self.sexes),
            ("care_status", self.care_statuses),
        ):
            if values:
                kwargs[f"{prefix}{name}__in"] = list(values)
        return kwargs

    @property
    def months(self) -> list[datetime.date]:
        out, day = [], month_start(self.since)
        while day <= self.until:
            out.append(day)
            day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return out
