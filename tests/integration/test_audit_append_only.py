"""The audit trail cannot be rewritten: by the ORM on every database, and by raw SQL on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from hafan.sharing.models import AuditEvent


def test_raw_sql_cannot_rewrite_the_audit_trail_on_postgresql(report_missing: Any) -> None:
    report_missing()
    before = list(AuditEvent.objects.order_by("id").values_list("id", "role"))
    assert before, "reporting a child missing must have written audit rows"
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE sharing_auditevent SET role = 'forged'")
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM sharing_auditevent")
        assert list(AuditEvent.objects.order_by("id").values_list("id", "role")) == before
    else:
        # SQLite (the demo's embedded database) has no trigger: raw SQL can rewrite rows there, which is
        # why production runs on PostgreSQL. This asserts the documented limitation so a change is noticed.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE sharing_auditevent SET role = 'forged'")
        assert set(AuditEvent.objects.values_list("role", flat=True)) == {"forged"}
