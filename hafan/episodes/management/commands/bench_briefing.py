"""Benchmark: how long the hub takes to assemble a briefing, and how many queries it needs.

Runs against whatever database DATABASE_URL names (the demo's SQLite by default), as the demo
coordinator, inside a transaction that is rolled back so the benchmark's audit rows are not kept.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hafan.accounts.models import User
from hafan.core.vocabulary import Purpose, Role
from hafan.episodes.selectors import briefing_for, episode_get_for_user, episodes_visible_to


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Times briefing assembly for a sample of episodes and prints p50/p95/max and query counts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--samples", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, samples: int, seed: int, **options: Any) -> None:
        user = User.objects.filter(role=Role.POLICE_COORDINATOR, agency__in_partnership=True).first()
        if user is None:
            raise CommandError("No hub police coordinator: load the demo data first (hafan demo_data).")
        ids = list(episodes_visible_to(user).values_list("public_id", flat=True))
        if not ids:
            raise CommandError("No episodes: load the demo data first (hafan demo_data).")
        chosen = random.Random(seed).sample(ids, min(samples, len(ids)))
        timings: list[float] = []
        queries: list[int] = []
        try:
            with transaction.atomic():
                for public_id in chosen:
                    with CaptureQueriesContext(connection) as ctx:
                        start = time.perf_counter()
                        episode = episode_get_for_user(
                            user=user, public_id=public_id, purpose=Purpose.MISSING_EPISODE
                        )
                        briefing = briefing_for(user=user, episode=episode)
                        _ = (len(briefing.facts_by_agency), briefing.earlier.count, briefing.risk_history)
                        timings.append((time.perf_counter() - start) * 1000)
                    queries.append(len(ctx.captured_queries))
                raise _Rollback
        except _Rollback:
            pass
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        self.stdout.write(
            f"briefing assembly over {len(timings)} episodes ({connection.vendor}, {len(ids)} episodes in the database): "
            f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms; "
            f"queries per briefing: median {statistics.median(queries):.0f}, max {max(queries)}"
        )
