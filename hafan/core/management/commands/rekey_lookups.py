"""`hafan rekey_lookups`: recomputes the keyed hashes of NHS numbers and UPNs after HAFAN_LOOKUP_KEY changes.

Until it has run, lookups by NHS number or UPN find nothing written under the old key (docs/encryption.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from hafan.core.crypto import nhs_number_key, upn_key
from hafan.core.vocabulary import Purpose
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def rekey_lookups(*, batch_size: int = 1000) -> int:
    """Rewrites every source record's identifier keys and identity resolution's identifier blocking keys;
    returns how many records' keys changed."""
    from hafan.linkage.services import blocking_keys_fill
    from hafan.people.models import SourceRecord

    changed_ids: list[int] = []
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                SourceRecord.objects.select_for_update()
                .filter(pk__gt=last)
                .exclude(nhs_number="", upn="", nhs_number_key="", upn_key="")
                .order_by("pk")
                .values_list("pk", "nhs_number", "upn", "nhs_number_key", "upn_key")[:batch_size]
            )
            if not rows:
                break
            stale = [
                SourceRecord(pk=pk, nhs_number_key=nhs_number_key(nhs), upn_key=upn_key(upn))
                for pk, nhs, upn, nhs_key, u_key in rows
                if (nhs_number_key(nhs), upn_key(upn)) != (nhs_key, u_key)
            ]
            SourceRecord.objects.bulk_update(stale, ["nhs_number_key", "upn_key"])
            changed_ids += [r.pk for r in stale]
        last = rows[-1][0]
    for start in range(0, len(changed_ids), batch_size):
        with transaction.atomic():
            blocking_keys_fill(changed_ids[start : start + batch_size])
    return len(changed_ids)


class Command(BaseCommand):
    help = "Recompute the keyed hashes of NHS numbers and UPNs under the current HAFAN_LOOKUP_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="Records per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        changed = rekey_lookups(batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"{changed} source record(s) re-keyed.")
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            purpose=Purpose.ADMINISTRATION,
            target_type="lookup_keys",
            target_id="HAFAN_LOOKUP_KEY",
            detail={"records": changed},
        )
