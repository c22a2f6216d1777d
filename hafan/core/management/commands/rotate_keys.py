"""`hafan rotate_keys`: re-encrypts every encrypted field under the current key (docs/encryption.md).

Put the new key first in HAFAN_FIELD_KEYS (keeping the old ones after it), run this, then remove the old
keys: every row is readable with the new key alone. Safe to stop and run again.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from hafan.core.crypto import DecryptionError, current_key_id
from hafan.core.fields import convert_columns, encrypted_columns
from hafan.core.vocabulary import Purpose
from hafan.sharing.audit import audit_record
from hafan.sharing.models import AuditAction


def rotate_all(*, dry_run: bool = False, batch_size: int = 1000) -> dict[str, int]:
    """Rows not (wholly) under the current key, per model label: re-encrypted unless `dry_run`."""
    counts: dict[str, int] = {}
    for model in apps.get_models():
        columns = encrypted_columns(model)
        if not columns:
            continue
        counts[model._meta.label] = convert_columns(
            connection=connection,
            table=model._meta.db_table,
            pk_column=str(model._meta.pk.column),  # type: ignore[union-attr]
            columns=columns,
            mode="rotate",
            batch_size=batch_size,
            dry_run=dry_run,
        )
    return counts


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field that is not under the current key (the first in HAFAN_FIELD_KEYS)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the rows that need it, change nothing."
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        key_id = current_key_id()
        dry_run = options["dry_run"]
        try:
            counts = rotate_all(dry_run=dry_run, batch_size=options["batch_size"])
        except DecryptionError as exc:
            raise CommandError(
                f"{exc} Keep every key still in use in HAFAN_FIELD_KEYS until this finishes."
            ) from exc
        verb = "to re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"Current key: {key_id}")
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count} row(s) {verb}")
        total = sum(counts.values())
        self.stdout.write(f"Total: {total} row(s) {verb}.")
        if not dry_run:
            audit_record(
                actor=None,
                action=AuditAction.UPDATE,
                purpose=Purpose.ADMINISTRATION,
                target_type="encryption_keys",
                target_id=key_id,
                detail={"key_id": key_id, "rows": counts},
            )
