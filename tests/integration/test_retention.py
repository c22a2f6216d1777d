"""Retention (issue 5, item 9): a dry run changes nothing and says what it would delete; the real run
deletes exactly the children past retention, with every row that refers to them, keeps children under a
legal hold or an open subject-access request, recent children and children not yet adult; a second run
deletes nothing; and the audit chain still verifies."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from hafan.core.vocabulary import Channel, FactCategory, Purpose
from hafan.debriefs.models import Debrief
from hafan.debriefs.services import debrief_record
from hafan.episodes.models import Episode
from hafan.episodes.services import episode_record_return
from hafan.ingest.models import ImportRowError
from hafan.ingest.reading import Source
from hafan.ingest.services import ImportRequest, import_run
from hafan.linkage.services import child_merge
from hafan.people.models import Child, Fact, SourceRecord
from hafan.people.services import PersonDetails, allocation_end, allocation_start, fact_add
from hafan.referrals.models import Referral, Service
from hafan.referrals.services import referral_send
from hafan.rights.models import Rectification
from hafan.rights.services import (
    fact_rectify,
    legal_hold_lift,
    legal_hold_place,
    subject_access_request_close,
    subject_access_request_create,
)
from hafan.risk.services import risk_grade_record
from hafan.sharing.disclosures import disclosure_record
from hafan.sharing.models import AuditAction, AuditEvent, BreakGlassGrant, Disclosure, LegalHold
from hafan.sharing.services import break_glass_open
from tests.conftest import PERSONA_PASSWORD

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def _years_ago(years: int) -> datetime.datetime:
    now = timezone.now()
    return now.replace(year=now.year - years, month=3, day=1)


@pytest.fixture(autouse=True)
def _no_checkpoints(settings: Any, tmp_path: Path) -> None:
    settings.HAFAN_AUDIT_CHECKPOINT_FILE = tmp_path / "no-checkpoints.txt"


@pytest.fixture
def make_child(
    report_missing: Any,
    partnership: dict[str, Any],
    coordinator: Any,
    supervisor: Any,
    social_worker: Any,
    nurse: Any,
    debrief_worker: Any,
) -> Any:
    """A child whose whole journey happened `when`: report, grade, return, debrief, facts, referral,
    allocation, emergency access; every date the services let a caller give is that long ago."""

    def _make(tag: str, *, when: datetime.datetime, dob: datetime.date) -> Child:
        episode = report_missing(
            child_details=PersonDetails(given_name=f"Keep{tag}", family_name="Retention", date_of_birth=dob),
            reported_at=when,
            last_seen_at=when - datetime.timedelta(hours=2),
        )
        child = episode.child
        risk_grade_record(
            episode=episode,
            author=coordinator,
            grade="medium",
            factors=["cse"],
            rationale="Seen with older males",
            next_review_due=when + datetime.timedelta(hours=4),
            assessed_at=when + datetime.timedelta(minutes=10),
        )
        returned = when + datetime.timedelta(days=1)
        episode = episode_record_return(
            episode=episode,
            recorded_by=coordinator,
            returned_at=returned,
            found_where="Home",
            found_by="carer",
            harm_suffered=False,
        )
        debrief_record(
            debrief=episode.debrief,
            worker=debrief_worker,
            status="held",
            offered_at=returned + datetime.timedelta(hours=1),
            held_at=returned + datetime.timedelta(hours=2),
            who_with="An older friend",
            share_basis="consent",
            places_to_share="Skate park",
            associates_to_share="Older friend",
        )
        fact_add(
            child=child,
            agency=partnership["ABUHB"],
            category=FactCategory.HEALTH_NEED,
            summary="Asthma",
            recorded_on=timezone.localdate(when),
            source="WPAS",
            actor=nurse,
        )
        referral_send(
            child=child,
            service=Service.objects.filter(needs_consent=False).first(),  # type: ignore[arg-type]
            referred_by=coordinator,
            reason="Exploitation concerns",
            consent_given=True,
            episode=episode,
            referred_at=returned + datetime.timedelta(days=1),
        )
        allocation = allocation_start(
            child=child, user=social_worker, kind="case_holder", allocated_by=supervisor, now=when
        )
        allocation_end(allocation=allocation, ended_by=supervisor, now=returned + datetime.timedelta(days=30))
        break_glass_open(
            user=nurse,
            child=child,
            reason="immediate_risk",
            justification="Out of hours, child at immediate risk",
            password=PERSONA_PASSWORD,
            now=when,
        )
        disclosure_record(
            user=coordinator,
            child=child,
            facts=list(Fact.objects.filter(child=child, agency=partnership["ABUHB"])),
            channel=Channel.PAGE,
            purpose=Purpose.MISSING_EPISODE,
            target_type="briefing",
            target_id=str(episode.public_id),
            shares={},
        )
        return child

    return _make


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def _referencing_rows(model: type[models.Model], pks: set[int]) -> list[str]:
    """Every row, in any table, that refers by foreign key to one of these rows; and the rows themselves."""
    found = []
    if model._base_manager.filter(pk__in=pks).exists():
        found.append(f"{model._meta.label} itself")
    for other in apps.get_models():
        for f in other._meta.concrete_fields:
            if (
                f.is_relation
                and f.related_model is model
                and other._base_manager.filter(**{f"{f.attname}__in": pks}).exists()
            ):
                found.append(f"{other._meta.label}.{f.name}")
    return found


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("retention_run", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def population(make_child: Any, coordinator: Any, nurse: Any, auditor: Any) -> dict[str, Child]:
    long_ago = _years_ago(10)
    adult = datetime.date(1998, 7, 1)
    old = make_child("OLD", when=long_ago, dob=adult)
    merged = make_child("MERGED", when=long_ago, dob=adult)
    child_merge(keep=old, merge=merged, actor=coordinator, reason="same child")
    # A correction, its notices and a closed request go with the child; neither restarts the clock.
    fact = Fact.objects.filter(child=old, withdrawn_at__isnull=True, agency__code="ABUHB").first()
    assert fact is not None
    fact_rectify(fact=fact, corrected_summary="Asthma, mild", reason="Severity overstated", user=nurse)
    closed = subject_access_request_create(
        child=old, reference="SAR-CLOSED", received_on=timezone.localdate(), user=auditor
    )
    subject_access_request_close(sar=closed, user=auditor)
    lifted = legal_hold_place(child=old, reason="Inquiry INQ-1", user=auditor)
    legal_hold_lift(hold=lifted, user=auditor)

    old2 = make_child("OLDTWO", when=_years_ago(7), dob=adult)
    held = make_child("HELD", when=long_ago, dob=adult)
    legal_hold_place(child=held, reason="Litigation CL-22", user=auditor)
    requested = make_child("REQUESTED", when=long_ago, dob=adult)
    subject_access_request_create(
        child=requested, reference="SAR-OPEN", received_on=timezone.localdate(), user=auditor
    )
    young = make_child(
        "YOUNG", when=long_ago, dob=timezone.localdate().replace(year=timezone.localdate().year - 15)
    )
    recent = make_child("RECENT", when=_years_ago(2), dob=adult)
    return {
        "old": old,
        "merged": merged,
        "old2": old2,
        "held": held,
        "requested": requested,
        "young": young,
        "recent": recent,
    }


def test_a_dry_run_changes_nothing_and_reports_counts(population: dict[str, Child]) -> None:
    before = _row_counts()
    events = AuditEvent.objects.count()
    output = _run("--dry-run")
    assert _row_counts() == before
    assert AuditEvent.objects.count() == events
    assert "children: 2 would be deleted" in output
    assert str(population["old"].public_id) in output and str(population["old2"].public_id) in output
    for kept in ("held", "requested", "young", "recent"):
        assert str(population[kept].public_id) not in output
    assert "1 under a legal hold" in output
    assert "1 with a subject-access request not yet closed" in output
    assert "1 not yet old enough" in output
    assert "people.Child: 3 would be deleted" in output  # two identities and the one merged into the first
    assert "episodes.Episode: 3 would be deleted" in output
    assert "audit trail: never deleted" in output
    # Counts and public ids only: no names, no free text.
    assert "KeepOLD" not in output and "Retention" not in output.replace("Retention run", "")
    assert "Asthma" not in output


def test_the_run_deletes_exactly_the_children_past_retention(
    population: dict[str, Child], tmp_path: Path
) -> None:
    doomed = [population["old"], population["merged"], population["old2"]]
    doomed_pks = {c.pk for c in doomed}
    related = {
        Child: doomed_pks,
        SourceRecord: set(SourceRecord.objects.filter(child__in=doomed_pks).values_list("pk", flat=True)),
        Episode: set(Episode.objects.filter(child__in=doomed_pks).values_list("pk", flat=True)),
        Debrief: set(Debrief.objects.filter(episode__child__in=doomed_pks).values_list("pk", flat=True)),
        Fact: set(Fact.objects.filter(child__in=doomed_pks).values_list("pk", flat=True)),
        Referral: set(Referral.objects.filter(child__in=doomed_pks).values_list("pk", flat=True)),
    }
    assert all(related.values())
    assert Rectification.objects.filter(child=population["old"]).exists()
    kept = [population[k] for k in ("held", "requested", "young", "recent")]
    kept_facts = {c.pk: Fact.objects.filter(child=c).count() for c in kept}
    events_before = AuditEvent.objects.count()
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    output = _run()

    assert "children: 2 deleted" in output
    assert set(Child.objects.values_list("pk", flat=True)) == {c.pk for c in kept}
    for model, pks in related.items():
        assert _referencing_rows(model, pks) == [], model
    for c in kept:
        assert Fact.objects.filter(child=c).count() == kept_facts[c.pk]
        assert Episode.objects.filter(child=c).exists()
    # Held and requested children keep everything; the young child's ten-year-old emergency access grant
    # has aged out under its own schedule although the child is kept.
    for name in ("held", "requested", "recent"):
        assert BreakGlassGrant.objects.filter(child=population[name]).exists(), name
    assert not BreakGlassGrant.objects.filter(child=population["young"]).exists()
    assert LegalHold.objects.filter(child=population["held"], lifted_at__isnull=True).exists()

    # One audit entry per deleted child, with counts per model and no personal data; nothing rewritten.
    deleted = AuditEvent.objects.filter(action=AuditAction.DELETE, target_type="child")
    assert {e.target_id for e in deleted} == {
        str(population["old"].public_id),
        str(population["old2"].public_id),
    }
    first = deleted.get(target_id=str(population["old"].public_id))
    assert first.detail["rows"]["people.Child"] == 2
    assert first.detail["merged_identities"] == [str(population["merged"].public_id)]
    assert "Asthma" not in str(first.detail)
    assert AuditEvent.objects.count() > events_before
    assert AuditEvent.objects.filter(seq__lte=last_seq).count() == events_before
    verified = io.StringIO()
    call_command("audit_verify", stdout=verified)
    assert "verified" in verified.getvalue()

    # A second run finds nothing more to delete.
    events_after = AuditEvent.objects.count()
    again = _run()
    assert "children: 0 deleted" in again
    assert set(Child.objects.values_list("pk", flat=True)) == {c.pk for c in kept}
    assert AuditEvent.objects.count() == events_after


def test_lifting_the_hold_and_closing_the_request_lets_the_next_run_delete(
    population: dict[str, Child], auditor: Any
) -> None:
    _run()
    hold = LegalHold.objects.get(child=population["held"], lifted_at__isnull=True)
    legal_hold_lift(hold=hold, user=auditor)
    output = _run()
    assert "children: 1 deleted" in output
    assert not Child.objects.filter(pk=population["held"].pk).exists()
    assert Child.objects.filter(pk=population["requested"].pk).exists()


def test_schedules_delete_old_import_errors_disclosures_and_grants(
    partnership: dict[str, Any], make_child: Any, auditor: Any
) -> None:
    run = import_run(
        ImportRequest(
            format="police-csv",
            sources=[Source.from_path(str(FIXTURES / "police" / "occurrences_errors.csv"))],
            agency=partnership["GWP"],
        )
    )
    errors = ImportRowError.objects.filter(run=run).count()
    assert errors > 0
    young = make_child("SCHEDYOUNG", when=_years_ago(1), dob=timezone.localdate().replace(year=2020))
    held = make_child("SCHEDHELD", when=_years_ago(1), dob=timezone.localdate().replace(year=2020))
    legal_hold_place(child=held, reason="Inquiry", user=auditor)
    assert Disclosure.objects.filter(child=young).exists()

    # Within every period: nothing goes.
    today = _run("--dry-run")
    assert "import_row_errors: 0 would be deleted" in today
    assert "disclosures: 0 would be deleted" in today

    later = (timezone.localdate() + datetime.timedelta(days=7 * 366)).isoformat()
    dry = _run("--dry-run", "--now", later)
    assert f"import_row_errors: {errors} would be deleted" in dry
    assert ImportRowError.objects.filter(run=run).count() == errors

    output = _run("--now", later)
    assert f"import_row_errors: {errors} deleted" in output
    assert not ImportRowError.objects.filter(run=run).exists()
    # The young child is kept (not yet adult) but its disclosures and expired grants have aged out;
    # the held child keeps everything.
    assert Child.objects.filter(pk=young.pk).exists()
    assert not Disclosure.objects.filter(child=young).exists()
    assert not BreakGlassGrant.objects.filter(child=young).exists()
    assert Disclosure.objects.filter(child=held).exists()
    assert BreakGlassGrant.objects.filter(child=held).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.DELETE, target_type="retention_schedule", target_id="import_row_errors"
    ).get().detail == {"reason": "retention", "count": errors}
    assert "0 deleted" in _run("--now", later).split("import_row_errors:")[1].splitlines()[0]
