"""Benchmark: the dashboard and reports at national scale (`make bench-analytics`, issue 8).

Loads a synthetic national analytics store (hafan.analytics.synthetic: about 200,000 episodes a year for ten years,
2 million rows by default) into analytics_episodefact with COPY, puts them in report order (CLUSTER, as the refresh
leaves the real table) and VACUUM ANALYZEs it, then times every dashboard, chart,
impact and report query the pages make, by calling the same functions the pages call, for typical filters (this
quarter for all councils and for one council, the last year, ten years, ten years from the middle of a month,
ten years of looked-after children), and every panel of the dashboard page together. Each is run once untimed
(a warm-up), then --repeat times; printed per view: p50, p95 and max seconds and PASS or FAIL against the 1 second
target. Views whose module does not exist yet
are listed as "not available yet".

It empties analytics_episodefact (unless --reuse finds the same number of rows), so it refuses a table holding facts
of real episodes. PostgreSQL only: the SQLite database is refused unless --allow-sqlite (for the smoke test).
The impact selectors are called as an analyst held in memory (no user is saved).
"""

from __future__ import annotations

import datetime
import importlib
import os
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from hafan.analytics.filters import Filters
from hafan.analytics.models import EpisodeFact
from hafan.analytics.summaries import summaries_ready, summaries_rebuild
from hafan.analytics.synthetic import COLUMNS, COUNCILS, episode_fact_chunks

TARGET_SECONDS = 1.0
TABLE = "analytics_episodefact"
REPORT_ORDER_INDEX = "episode_fact_reported_on"
NULL = "\\N"  # COPY text format


@dataclass(frozen=True)
class View:
    name: str  # what the page shows
    module: str  # hafan.analytics.<module>
    function: str
    call: Callable[[Callable[..., Any]], Any]  # calls the function with this view's arguments


def bench_analyst() -> Any:
    """A partnership analyst held in memory, for selectors that check `policy.can_view_dashboard`."""
    agency = SimpleNamespace(code="BENCH", kind="council", in_partnership=True)
    return SimpleNamespace(
        is_authenticated=True,
        is_active=True,
        role="analyst",
        agency=agency,
        hub_member=False,
        pk=None,
        id=None,
    )


def quarter_start(day: datetime.date) -> datetime.date:
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def typical_filters(today: datetime.date, council: str) -> dict[str, Filters]:
    """The filters a manager typically picks."""
    year_ago = today.replace(year=today.year - 1) + datetime.timedelta(days=1)
    ten_years = datetime.date(today.year - 10, today.month, 1)
    return {
        "this quarter, all councils": Filters(since=quarter_start(today), until=today),
        f"this quarter, council {council}": Filters(
            since=quarter_start(today), until=today, councils=(council,)
        ),
        "last 12 months, all councils": Filters(since=year_ago, until=today),
        "ten years, all councils": Filters(since=ten_years, until=today),
        "ten years from mid-month": Filters(since=ten_years + datetime.timedelta(days=14), until=today),
        "ten years, looked-after children": Filters(
            since=ten_years, until=today, care_statuses=("looked_after",)
        ),
        # Two values: counted from the facts, not the summaries.
        "ten years, two councils": Filters(
            since=ten_years, until=today, councils=(council, next(c for c in COUNCILS if c != council))
        ),
    }


def calling(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """How a view's function is called: with these arguments."""
    return lambda function: function(*args, **kwargs)


def views(today: datetime.date, council: str) -> list[tuple[str, View]]:
    """(filters label, view) pairs, in the order printed."""
    filters = typical_filters(today, council)
    quarter, one_council = filters["this quarter, all councils"], filters[f"this quarter, council {council}"]
    year, ten = filters["last 12 months, all councils"], filters["ten years, all councils"]
    out: list[tuple[str, View]] = []
    for label, chosen in filters.items():
        out.append((label, View("measures", "measures", "measures_for", calling(chosen))))
    for label, chosen in (
        ("this quarter, all councils", quarter),
        ("last 12 months, all councils", year),
        ("ten years, all councils", ten),
    ):
        for by in ("council", "grade", "age_band", "sex", "care_status", "placement_type"):
            out.append(
                (
                    label,
                    View(f"breakdown by {by}", "measures", "breakdown", calling(chosen, by)),
                )
            )
    for label, chosen in (("last 12 months, all councils", year), ("ten years, all councils", ten)):
        out.append((label, View("trend (monthly)", "measures", "trend", calling(chosen))))
    for label, chosen in filters.items():
        out.append(
            (label, View("dashboard page: every panel", "views", "dashboard_queries", calling(chosen)))
        )
    chart_names = (
        "chart_trend",
        "chart_by_council_and_grade",
        "chart_debrief_timeliness",
        "chart_age_and_sex",
    )
    for label, chosen in (
        ("this quarter, all councils", quarter),
        (f"this quarter, council {council}", one_council),
        ("ten years, all councils", ten),
    ):
        for name in chart_names:
            out.append((label, View(name, "charts", name, calling(chosen))))
    analyst = bench_analyst()
    for intervention in ("debrief",):
        out.append(
            (
                "last 12 months (with follow-up)",
                View(
                    f"impact: matched comparison ({intervention})",
                    "impact_selectors",
                    "matched_evaluation_for",
                    calling(
                        user=analyst,
                        intervention=intervention,
                        since=today - datetime.timedelta(days=365 + 180),
                        until=today - datetime.timedelta(days=180),
                        today=today,
                    ),
                ),
            )
        )
    out.append(
        (
            "ten years, all councils",
            View(
                "impact: interrupted time series",
                "impact_selectors",
                "time_series_for",
                calling(user=analyst, today=today),
            ),
        )
    )
    out.append(
        (
            f"ten years, council {council}",
            View(
                "impact: interrupted time series",
                "impact_selectors",
                "time_series_for",
                calling(user=analyst, council=council, today=today),
            ),
        )
    )
    last_quarter_end = quarter_start(today) - datetime.timedelta(days=1)
    last_quarter = Filters(since=quarter_start(last_quarter_end), until=last_quarter_end)
    out.append(
        (
            "last whole quarter",
            View("quarterly report", "reports", "quarterly_report", calling(last_quarter)),
        )
    )
    return out


def resolve(view: View) -> Callable[..., Any] | None:
    try:
        module = importlib.import_module(f"hafan.analytics.{view.module}")
    except ModuleNotFoundError as error:
        if error.name == f"hafan.analytics.{view.module}":
            return None
        raise
    function = getattr(module, view.function, None)
    return function if callable(function) else None


def evaluate(result: Any) -> Any:
    """Forces anything lazy (querysets, generators) so that the query time is measured."""
    if isinstance(result, QuerySet):
        return list(result)
    if isinstance(result, Iterable) and not isinstance(result, (str, bytes, dict, list, tuple)):
        return list(result)
    return result


def seconds_label(values: list[float]) -> tuple[float, float, float]:
    array = np.asarray(values)
    return float(np.percentile(array, 50)), float(np.percentile(array, 95)), float(array.max())


class Command(BaseCommand):
    help = "Loads ~2 million synthetic episodes into the analytics store and times every dashboard and report query."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--episodes", type=int, default=2_000_000)
        parser.add_argument(
            "--reuse", action="store_true", help="keep the rows if the table already has as many"
        )
        parser.add_argument("--repeat", type=int, default=5, help="runs of each view")
        parser.add_argument("--seed", type=int, default=8)
        parser.add_argument("--chunk-size", type=int, default=100_000)
        parser.add_argument("--allow-sqlite", action="store_true", help="for the smoke test only")
        parser.add_argument("--only", default="", help="time only views whose name contains this")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql" and not options["allow_sqlite"]:
            raise CommandError(
                f"bench_analytics needs PostgreSQL (DATABASE_URL=postgres://...): this database is "
                f"{connection.vendor}. (--allow-sqlite runs it anyway, for the smoke test.)"
            )
        if options["episodes"] < 1 or options["repeat"] < 1:
            raise CommandError("--episodes and --repeat must be at least 1.")
        if EpisodeFact.objects.filter(episode__isnull=False).exists():
            raise CommandError(
                f"{TABLE} holds facts of real episodes: run the benchmark against a database of its own."
            )
        today = timezone.localdate()
        self.stdout.write(
            f"Database: {connection.vendor} {connection.settings_dict['NAME']}; {os.cpu_count()} CPUs; today {today}"
        )
        load_seconds = self._load(options, today)
        rows = EpisodeFact.objects.count()
        self.stdout.write(f"Rows: {rows:,}; load: {load_seconds:.1f} s; size: {self._size()}")
        council = self._busiest_council()
        self._time_views(views(today, council), options["repeat"], options["only"])

    # Loading

    def _load(self, options: dict[str, Any], today: datetime.date) -> float:
        wanted = options["episodes"]
        if options["reuse"] and EpisodeFact.objects.count() == wanted:
            self.stdout.write(f"Reusing the {wanted:,} rows already loaded.")
            if not summaries_ready():
                self._summarise()
            return 0.0
        started = time.perf_counter()
        chunks = episode_fact_chunks(
            wanted,
            seed=options["seed"],
            end=today,
            chunk_size=options["chunk_size"],
            repeat_episodes=settings.HAFAN_REPEAT_MISSING_EPISODES,
            repeat_days=settings.HAFAN_REPEAT_MISSING_DAYS,
            deadline_hours=settings.HAFAN_DEBRIEF_DEADLINE_HOURS,
        )
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {TABLE}")
                    for chunk in chunks:
                        self._copy(cursor, chunk)
            else:
                EpisodeFact.objects.all().delete()
                for chunk in chunks:
                    EpisodeFact.objects.bulk_create(
                        [EpisodeFact(**row) for row in python_rows(chunk)], batch_size=500
                    )
        copied = time.perf_counter()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The refresh writes facts in episode order, so the real table is (nearly) in report order; the
                # synthetic rows come a child at a time. Put them in report order, as the real table would be,
                # then set the visibility map (index-only scans) and the planner's statistics.
                if connection.in_atomic_block:  # as in the tests: the deferred key checks first
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"CLUSTER {TABLE} USING {REPORT_ORDER_INDEX}")
                # VACUUM cannot run in a transaction (as in the tests): ANALYZE alone there.
                cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM ANALYZE'} {TABLE}")
            else:
                cursor.execute(f"ANALYZE {TABLE}")
        finished = time.perf_counter()
        self.stdout.write(
            f"Loaded in {copied - started:.1f} s; put in report order and analysed in {finished - copied:.1f} s."
        )
        return finished - started + self._summarise()

    def _summarise(self) -> float:
        """The monthly summaries the refresh keeps (the synthetic rows carry their sequence columns already)."""
        started = time.perf_counter()
        cubes = summaries_rebuild()
        with connection.cursor() as cursor:
            for table in ("analytics_monthcube", "analytics_monthlycount"):
                cursor.execute(f"ANALYZE {table}")
        seconds = time.perf_counter() - started
        self.stdout.write(f"Monthly summaries: {cubes:,} cube rows in {seconds:.1f} s.")
        return seconds

    def _copy(self, cursor: Any, chunk: dict[str, np.ndarray]) -> None:
        """One chunk through COPY ... FROM STDIN, in the text format (see copy_text)."""
        columns = ", ".join(connection.ops.quote_name(name) for name in COLUMNS)
        raw = cursor.cursor  # the psycopg cursor, in the same transaction
        with raw.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
            copy.write(copy_text(chunk))

    def _size(self) -> str:
        if connection.vendor != "postgresql":
            return "n/a (SQLite)"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_size_pretty(pg_table_size(%s)), pg_size_pretty(pg_indexes_size(%s))",
                [TABLE, TABLE],
            )
            table, indexes = cursor.fetchone()
        return f"{table} table + {indexes} indexes"

    def _busiest_council(self) -> str:
        row = EpisodeFact.objects.values("council").annotate(n=Count("id")).order_by("-n", "council").first()
        return str(row["council"]) if row else COUNCILS[0]

    # Timing

    def _time_views(self, chosen: list[tuple[str, View]], repeat: int, only: str) -> None:
        self.stdout.write(f"Each view {repeat} times; target {TARGET_SECONDS:.0f} s.")
        self.stdout.write(f"{'view':<44} {'filters':<32} {'p50 s':>7} {'p95 s':>7} {'max s':>7}  result")
        missing: set[str] = set()
        failed = passed = 0
        for label, view in chosen:
            if only and only not in view.name:
                continue
            function = resolve(view)
            if function is None:
                missing.add(f"{view.module}.{view.function}")
                self.stdout.write(f"{view.name:<44} {label:<32} {'':>7} {'':>7} {'':>7}  not available yet")
                continue
            times: list[float] = []
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    # One untimed call first: the first chart a process draws imports and sets up Vega-Lite's
                    # schema (about 2.5 s, once per server process), which no later request pays.
                    evaluate(view.call(function))
                    for _ in range(repeat):
                        started = time.perf_counter()
                        evaluate(view.call(function))
                        times.append(time.perf_counter() - started)
            except Exception as error:  # one broken view must not stop the others
                failed += 1
                self.stdout.write(f"{view.name:<44} {label:<32} {'':>7} {'':>7} {'':>7}  ERROR {error!r:.80}")
                continue
            p50, p95, worst = seconds_label(times)
            ok = p95 < TARGET_SECONDS
            passed += ok
            failed += not ok
            note = f" ({len(caught)} warnings: {caught[0].category.__name__})" if caught else ""
            self.stdout.write(
                f"{view.name:<44} {label:<32} {p50:>7.3f} {p95:>7.3f} {worst:>7.3f}  {'PASS' if ok else 'FAIL'}{note}"
            )
        self.stdout.write(
            f"{passed} passed, {failed} failed or over target, {len(missing)} not available yet"
        )
        if missing:
            self.stdout.write("Not available yet: " + ", ".join(sorted(missing)))


def copy_text(chunk: dict[str, np.ndarray]) -> str:
    """The chunk in COPY's text format: tab-separated, \\N for NULL. Each column is formatted by numpy, then
    the lines are joined (about a second per 100,000 rows; pandas' CSV writer took three and a half). The synthetic
    values never hold a tab, a newline or a backslash, so nothing needs escaping."""
    columns = [_text_column(name, chunk[name]).tolist() for name in COLUMNS]
    return "".join(line + "\n" for line in map("\t".join, zip(*columns, strict=True)))


def _text_column(name: str, values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "M":
        if values.dtype == np.dtype("datetime64[D]"):
            dates = np.datetime_as_string(values, unit="D").astype(object)
            dates[np.isnat(values)] = NULL
            return dates
        text = np.datetime_as_string(values, unit="s").astype(object) + "+00"
        text[np.isnat(values)] = NULL
        return text
    if values.dtype.kind == "b":
        return np.where(values, "t", "f").astype(object)
    if values.dtype.kind == "f":
        text = values.astype(str).astype(object)
        text[np.isnan(values)] = NULL
        return text
    if values.dtype.kind in "iu":
        return values.astype(str).astype(object)
    if name == "harm":  # True, False or None
        text = np.full(values.shape, NULL, dtype=object)
        text[values == True] = "t"  # noqa: E712 - element-wise
        text[values == False] = "f"  # noqa: E712 - element-wise
        return text
    return values.astype(object)


def python_rows(chunk: dict[str, np.ndarray]) -> Iterable[dict[str, Any]]:
    """The chunk as EpisodeFact keyword arguments (for SQLite's bulk_create in the smoke test)."""
    converted: dict[str, list[Any]] = {}
    for name in COLUMNS:
        values = chunk[name]
        if values.dtype.kind == "M" and values.dtype != np.dtype("datetime64[D]"):
            converted[name] = [
                None if v is None else v.replace(tzinfo=datetime.UTC)
                for v in values.astype("datetime64[us]").astype(object)
            ]
        elif values.dtype.kind == "f":
            converted[name] = [None if np.isnan(v) else float(v) for v in values]
        else:
            converted[name] = values.tolist()
    for index in range(len(chunk["episode_key"])):
        yield {name: converted[name][index] for name in COLUMNS}
