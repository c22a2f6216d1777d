"""A smoke test of the national-scale benchmark (`hafan bench_analytics`) on a tiny synthetic store."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from hafan.analytics.management.commands.bench_analytics import (
    View,
    bench_analyst,
    copy_text,
    resolve,
    typical_filters,
)
from hafan.analytics.models import EpisodeFact
from hafan.analytics.synthetic import COLUMNS
from hafan.sharing import policy
from hafan.sharing.access import actor_for

pytestmark = pytest.mark.django_db


def _run(**options: Any) -> str:
    out = io.StringIO()
    call_command("bench_analytics", stdout=out, **options)
    return out.getvalue()


def test_loads_the_rows_and_times_every_view() -> None:
    text = _run(episodes=400, repeat=1, allow_sqlite=True, chunk_size=150)
    assert EpisodeFact.objects.count() == 400
    assert EpisodeFact.objects.filter(episode__isnull=True).count() == 400
    assert "Rows: 400;" in text
    assert "measures" in text and "quarterly report" in text
    # Every view line ends with a verdict, an error or "not available yet", and the summary counts them.
    assert "passed," in text and "not available yet" in text.split("passed,")[1]
    rows = EpisodeFact.objects.all()
    assert rows.filter(reported_on__gt=timezone.localdate()).count() == 0
    assert rows.filter(school="").count() == 0  # empty strings stay strings, never NULL
    assert rows.exclude(care_status="looked_after").exclude(placement_type="").count() == 0


def test_reuse_keeps_the_rows_when_the_count_matches() -> None:
    _run(episodes=120, repeat=1, allow_sqlite=True, only="nothing")
    first = set(EpisodeFact.objects.values_list("id", flat=True))
    text = _run(episodes=120, repeat=1, allow_sqlite=True, reuse=True, only="nothing")
    assert "Reusing the 120 rows" in text
    assert set(EpisodeFact.objects.values_list("id", flat=True)) == first
    # Another size reloads.
    _run(episodes=130, repeat=1, allow_sqlite=True, reuse=True, only="nothing")
    assert EpisodeFact.objects.count() == 130


def test_runs_on_postgresql_and_refuses_sqlite_without_the_flag() -> None:
    if connection.vendor == "postgresql":
        _run(episodes=10, repeat=1, only="nothing")  # no flag needed
        assert EpisodeFact.objects.count() == 10
    else:
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            _run(episodes=10, repeat=1)
        assert EpisodeFact.objects.count() == 0


def test_refuses_a_table_with_facts_of_real_episodes(report_missing: Callable[..., Any]) -> None:
    episode = report_missing()
    now = timezone.now()
    EpisodeFact.objects.create(
        episode=episode,
        episode_key=episode.pk,
        child_key=episode.child_id,
        reported_at=now,
        reported_on=now.date(),
        month=now.date().replace(day=1),
        category="missing_from_home",
        care_status="none",
        sex="female",
        age_band="14-15",
        refreshed_at=now,
    )
    with pytest.raises(CommandError, match="real episodes"):
        _run(episodes=10, repeat=1, allow_sqlite=True)
    assert EpisodeFact.objects.count() == 1  # nothing emptied


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        _run(episodes=0, repeat=1, allow_sqlite=True)


def test_missing_modules_are_not_available_rather_than_errors() -> None:
    assert resolve(View("x", "no_such_module_yet", "f", lambda f: f())) is None
    assert resolve(View("x", "filters", "no_such_function", lambda f: f())) is None
    assert resolve(View("x", "filters", "age_band", lambda f: f(12))) is not None


def test_the_typical_filters_and_the_in_memory_analyst() -> None:
    today = datetime.date(2026, 11, 26)
    filters = typical_filters(today, "W04")
    quarter = filters["this quarter, all councils"]
    assert (quarter.since, quarter.until) == (datetime.date(2026, 10, 1), today)
    assert filters["this quarter, council W04"].councils == ("W04",)
    assert filters["ten years, all councils"].since == datetime.date(2016, 11, 1)
    assert filters["last 12 months, all councils"].since == datetime.date(2025, 11, 27)
    assert policy.can_view_dashboard(actor_for(bench_analyst()))


def test_copy_text_format() -> None:
    chunk = next(iter(_chunks(50)))
    lines = copy_text(chunk).splitlines()
    assert len(lines) == 50
    fields = [line.split("\t") for line in lines]
    assert "" in chunk["placement_type"].tolist() and np.isnan(chunk["hours_to_debrief"]).any()
    assert all(len(row) == len(COLUMNS) for row in fields)
    at = {name: i for i, name in enumerate(COLUMNS)}
    for row, index in zip(fields, range(50), strict=True):
        assert row[at["reported_at"]].endswith("+00")
        assert row[at["repeat"]] in {"t", "f"}
        assert row[at["harm"]] in {"t", "f", "\\N"}
        hours = chunk["hours_to_debrief"][index]
        assert (row[at["hours_to_debrief"]] == "\\N") == bool(hours != hours)  # NaN is NULL
        if chunk["placement_type"][index] == "":
            assert row[at["placement_type"]] == ""  # an empty string, not NULL


def _chunks(episodes: int) -> Any:
    from hafan.analytics.synthetic import episode_fact_chunks

    return episode_fact_chunks(episodes, end=datetime.date(2026, 11, 26))
