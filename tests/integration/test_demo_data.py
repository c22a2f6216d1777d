"""The demo generator: seeded and repeatable, synthetic identifiers only, and shaped like the brief's figures."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from hafan.debriefs.models import Debrief, OfferStatus
from hafan.demo.generator import generate, plan_demo
from hafan.episodes.models import Episode, EpisodeStatus
from hafan.people.identifiers import nhs_number_is_valid, upn_is_valid
from hafan.people.models import Child, Fact, ResponsePlan, SourceRecord
from hafan.referrals.models import Referral
from hafan.risk.models import RiskAssessment

# A fixed "now" in the past, so these tests build the same data whatever day they run.
NOW = datetime.datetime(2026, 3, 2, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
SMALL = {"children": 25, "years": 1, "now": NOW}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # The ten demo staff are created with real hashing otherwise, which is most of a small run's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fingerprint() -> tuple[Any, ...]:
    children = sorted((c.given_name, c.family_name, c.date_of_birth) for c in Child.objects.all())
    episodes = sorted(
        (e.child.full_name, e.reported_at, e.category, e.status)
        for e in Episode.objects.select_related("child")
    )
    counts = tuple(
        model.objects.count()
        for model in (Child, Episode, SourceRecord, Fact, RiskAssessment, ResponsePlan, Debrief, Referral)
    )
    return children, episodes, counts


class _RollBack(Exception):
    pass


def test_same_seed_same_data(db: Any) -> None:
    try:
        with transaction.atomic():
            generate(seed=7, **SMALL)
            first = fingerprint()
            raise _RollBack
    except _RollBack:
        pass
    assert Child.objects.count() == 0

    generate(seed=7, **SMALL)

    assert fingerprint() == first
    assert first[2][0] == 25


def test_different_seed_different_plan() -> None:
    seven = plan_demo(seed=7, **SMALL)
    assert plan_demo(seed=7, **SMALL) == seven
    eight = plan_demo(seed=8, **SMALL)
    assert [(c.given_name, c.family_name, c.date_of_birth) for c in eight.children] != [
        (c.given_name, c.family_name, c.date_of_birth) for c in seven.children
    ]


def test_generated_data_is_synthetic_linked_and_calibrated(db: Any) -> None:
    generate(seed=7, **SMALL)

    nhs_numbers = list(SourceRecord.objects.exclude(nhs_number="").values_list("nhs_number", flat=True))
    assert nhs_numbers
    assert all(n.startswith("999") and nhs_number_is_valid(n) for n in nhs_numbers)
    upns = list(SourceRecord.objects.exclude(upn="").values_list("upn", flat=True))
    assert upns
    assert all(upn_is_valid(u) for u in upns)
    assert not Child.objects.filter(source_records__isnull=True).exists()

    # Agency records disagree the way real systems do, while all being linked to the one child.
    records = list(SourceRecord.objects.exclude(system="Hafan").select_related("child"))
    assert {r.system for r in records} >= {"Niche RMS", "Welsh PAS", "SIMS"}
    assert any(r.given_name != r.child.given_name for r in records)
    assert any(r.family_name != r.child.family_name for r in records)

    returned = list(Episode.objects.exclude(returned_at=None))
    within_48h = [
        e for e in returned if e.duration is not None and e.duration <= datetime.timedelta(hours=48)
    ]
    assert len(within_48h) >= 0.8 * len(returned)
    assert Episode.objects.filter(status=EpisodeStatus.MISSING).exists()
    assert Debrief.objects.filter(status=OfferStatus.AWAITING).exists()
    assert Debrief.objects.filter(status=OfferStatus.HELD).exists()
    assert all(e.reported_at <= NOW for e in Episode.objects.all())


def test_if_empty_leaves_an_existing_demo_alone(db: Any) -> None:
    call_command("demo_data", "--if-empty", "--children", "8", "--years", "1", stdout=io.StringIO())
    before = fingerprint()
    assert before[2][0] == 8

    call_command("demo_data", "--if-empty", "--children", "8", "--years", "1", stdout=io.StringIO())

    assert fingerprint() == before
