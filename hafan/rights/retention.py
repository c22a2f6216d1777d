"""Retention schedules (settings.HAFAN_RETENTION) and which rows they make due for deletion.

This module only decides; hafan.rights.services.retention_run deletes. The periods and why they were
chosen are in docs/adr/0006-retention.md. The audit trail is never deleted here: it holds no personal
data (ids and codes only) and its hash chain must stay verifiable, so it is archived under its own
schedule, outside this run.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from hafan.debriefs.models import ContactAttempt, Debrief, MediationSession
from hafan.episodes.models import Episode
from hafan.ingest.models import ImportRowError
from hafan.people.models import Allocation, Child, ChildProfile, Fact, ResponsePlan, SourceRecord
from hafan.referrals.models import Referral
from hafan.rights.models import RequestStatus, SubjectAccessRequest
from hafan.risk.models import ExploitationScreening, HubTask, RiskAssessment
from hafan.sharing.models import BreakGlassGrant, Disclosure, LegalHold


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def schedule() -> dict[str, int]:
    return dict(settings.HAFAN_RETENTION)


class Kept:
    """Why a child past the activity period is kept anyway (codes, printed by the command)."""

    LEGAL_HOLD = "legal_hold"
    OPEN_SUBJECT_ACCESS = "open_subject_access_request"
    UNDER_AGE = "under_minimum_age"
    RECENT_ACTIVITY = "recent_activity"


# Where a child's activity is recorded: (model, path to the child, date fields). Dates the hub or an
# agency recorded for the event itself, not when the hub's row was written, so an old record imported
# today does not restart the clock, and a drill with --now can be run on real data.
ACTIVITY: list[tuple[Any, str, list[str]]] = [
    (Episode, "child", ["reported_at", "returned_at", "safe_and_well_at", "closed_at"]),
    (SourceRecord, "child", ["recorded_on"]),
    (Fact, "child", ["recorded_on"]),
    (RiskAssessment, "episode__child", ["assessed_at"]),
    (Debrief, "episode__child", ["offered_at", "held_at"]),
    (ContactAttempt, "debrief__episode__child", ["at"]),
    (MediationSession, "child", ["scheduled_for"]),
    # Issue 7: the service's answer and the start of the work count too (reminders, system writes, do not).
    (Referral, "child", ["referred_at", "outcome_at", "responded_at", "started_at", "completed_at"]),
    (ResponsePlan, "child", ["agreed_at"]),
    (Allocation, "child", ["started_at", "ended_at"]),
    (ChildProfile, "child", ["prepared_at"]),
    (HubTask, "child", ["due_at", "completed_at"]),
    (ExploitationScreening, "child", ["screened_at"]),
]


def _as_date(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value)
    return value  # type: ignore[no-any-return]


def _survivor_of(merged_into: Mapping[int, int | None], pk: int) -> int:
    seen = set()
    while merged_into.get(pk) is not None and pk not in seen:
        seen.add(pk)
        pk = merged_into[pk]  # type: ignore[assignment]
    return pk


@dataclass
class ChildDecision:
    child_pk: int
    public_id: str
    last_activity: datetime.date
    due: bool
    kept_because: str = ""


@dataclass
class RetentionPlan:
    today: datetime.date
    activity_cutoff: datetime.date
    children: list[ChildDecision] = field(default_factory=list)
    # Every identity (merged-in ones too) that a legal hold or an open request protects.
    protected_pks: set[int] = field(default_factory=set)

    @property
    def due(self) -> list[ChildDecision]:
        return [c for c in self.children if c.due]

    def kept(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.children:
            if not c.due and c.kept_because != Kept.RECENT_ACTIVITY:
                counts[c.kept_because] = counts.get(c.kept_because, 0) + 1
        return counts


def protected_child_pks() -> tuple[set[int], set[int]]:
    """Children that nothing may delete: under an active legal hold, or with a subject-access request not
    yet closed (destroying data a child has asked for is an offence: DPA 2018 section 173)."""
    held = set(LegalHold.objects.filter(lifted_at__isnull=True).values_list("child_id", flat=True))
    requested = set(
        SubjectAccessRequest.objects.exclude(status=RequestStatus.CLOSED).values_list("child_id", flat=True)
    )
    return held, requested


def retention_plan(*, today: datetime.date) -> RetentionPlan:
    """Which hub identities are past retention: no activity for the set number of years, and the child
    at least the set age. Merged-in identities go with the identity they were merged into."""
    rules = schedule()
    cutoff = years_before(today, rules["child_years_after_last_activity"])
    min_age = rules["child_minimum_age"]
    merged_into: dict[int, int | None] = dict(Child.objects.values_list("pk", "merged_into_id"))
    last: dict[int, datetime.date] = {}

    def note(child_pk: int, day: datetime.date | None) -> None:
        if day is None:
            return
        survivor = _survivor_of(merged_into, child_pk)
        if survivor not in last or day > last[survivor]:
            last[survivor] = day

    for model, path, names in ACTIVITY:
        key = path if "__" in path else f"{path}_id"
        for row in model.objects.values(key).annotate(**{f"max_{n}": Max(n) for n in names}).order_by():
            for n in names:
                note(row[key], _as_date(row[f"max_{n}"]))
    # A worker still allocated means the child is open to an agency today.
    for child_pk in Allocation.objects.filter(ended_at__isnull=True).values_list("child_id", flat=True):
        note(child_pk, today)
    held, requested = protected_child_pks()
    protected_groups: dict[int, str] = {}
    for pk in requested:
        protected_groups[_survivor_of(merged_into, pk)] = Kept.OPEN_SUBJECT_ACCESS
    for pk in held:
        protected_groups[_survivor_of(merged_into, pk)] = Kept.LEGAL_HOLD

    plan = RetentionPlan(today=today, activity_cutoff=cutoff)
    plan.protected_pks = {pk for pk in merged_into if _survivor_of(merged_into, pk) in protected_groups}
    for child in Child.objects.filter(merged_into__isnull=True).only(
        "pk", "public_id", "date_of_birth", "created_at"
    ):
        last_activity = last.get(child.pk, timezone.localdate(child.created_at))
        decision = ChildDecision(
            child_pk=child.pk, public_id=str(child.public_id), last_activity=last_activity, due=False
        )
        if last_activity >= cutoff:
            decision.kept_because = Kept.RECENT_ACTIVITY
        elif not _old_enough(child.date_of_birth, last_activity=last_activity, today=today, min_age=min_age):
            decision.kept_because = Kept.UNDER_AGE
        elif child.pk in protected_groups:
            decision.kept_because = protected_groups[child.pk]
        else:
            decision.due = True
        plan.children.append(decision)
    return plan


def _old_enough(
    dob: datetime.date | None, *, last_activity: datetime.date, today: datetime.date, min_age: int
) -> bool:
    if dob is None:
        # Anyone the hub knew as a child that long ago is an adult now.
        return last_activity <= years_before(today, min_age)
    return dob <= years_before(today, min_age)


@dataclass(frozen=True)
class ScheduleDue:
    """Rows of one record type past their own schedule, outside any child being deleted or kept."""

    name: str
    rule: str
    model: Any
    ids: frozenset[int]


def schedules_due(*, now: datetime.datetime, exclude_child_pks: Iterable[int]) -> list[ScheduleDue]:
    rules = schedule()
    today = timezone.localdate(now)
    excluded = set(exclude_child_pks)
    errors_before = now - datetime.timedelta(days=rules["import_errors_days"])
    disclosures_before = years_before(today, rules["disclosure_years"])
    grants_before = years_before(today, rules["break_glass_years"])
    return [
        ScheduleDue(
            name="import_row_errors",
            rule=f"import rows rejected more than {rules['import_errors_days']} days ago (the raw values)",
            model=ImportRowError,
            ids=frozenset(
                ImportRowError.objects.filter(run__started_at__lt=errors_before).values_list("pk", flat=True)
            ),
        ),
        ScheduleDue(
            name="disclosures",
            rule=f"disclosures recorded more than {rules['disclosure_years']} years ago",
            model=Disclosure,
            ids=frozenset(
                Disclosure.objects.filter(at__date__lt=disclosures_before)
                .exclude(child_id__in=excluded)
                .values_list("pk", flat=True)
            ),
        ),
        ScheduleDue(
            name="break_glass_grants",
            rule=f"emergency-access grants that expired more than {rules['break_glass_years']} years ago",
            model=BreakGlassGrant,
            ids=frozenset(
                BreakGlassGrant.objects.filter(Q(expires_at__date__lt=grants_before))
                .exclude(child_id__in=excluded)
                .values_list("pk", flat=True)
            ),
        ),
    ]
