"""A user's relation to a child is worked out once per request (sharing.access.relation_to), however many parts
of the page ask, and a write in the same request that changes it is seen at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hafan.core.vocabulary import Relation
from hafan.episodes.models import Episode
from hafan.people.services import allocation_end, allocation_start
from hafan.sharing.access import relation_to, relations_remembered


def test_the_briefing_asks_the_relation_once(
    client: Any, coordinator: Any, report_missing: Callable[..., Episode]
) -> None:
    episode = report_missing()
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("episodes:detail", args=[episode.public_id]))
    assert response.status_code == 200
    allocation_reads = [q for q in queries.captured_queries if 'FROM "people_allocation"' in q["sql"]]
    grant_reads = [q for q in queries.captured_queries if 'FROM "sharing_breakglassgrant"' in q["sql"]]
    assert len(allocation_reads) == 1 and len(grant_reads) == 1


def test_a_change_in_the_same_request_is_seen_at_once(
    report_missing: Callable[..., Episode], coordinator: Any, staff: dict[str, Any]
) -> None:
    caseworker, child = staff["caseworker"], report_missing().child
    with relations_remembered():
        assert relation_to(caseworker, child) == Relation.NONE
        allocation = allocation_start(
            child=child, user=caseworker, kind="case_holder", allocated_by=coordinator
        )
        assert relation_to(caseworker, child) == Relation.ALLOCATED
        allocation_end(allocation=allocation, ended_by=coordinator)
        assert relation_to(caseworker, child) == Relation.NONE


def test_outside_a_request_nothing_is_remembered(
    report_missing: Callable[..., Episode], coordinator: Any, staff: dict[str, Any]
) -> None:
    caseworker, child = staff["caseworker"], report_missing().child
    with CaptureQueriesContext(connection) as queries:
        relation_to(caseworker, child)
        relation_to(caseworker, child)
    assert sum('FROM "people_allocation"' in q["sql"] for q in queries.captured_queries) == 2
