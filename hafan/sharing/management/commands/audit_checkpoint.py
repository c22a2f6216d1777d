"""`hafan audit_checkpoint`: records the audit chain's head in a file kept outside the database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from hafan.sharing import chain
from hafan.sharing.audit import chain_entries, chain_entry


class Command(BaseCommand):
    help = (
        "Append the audit chain's head (UTC time, seq, hash) to HAFAN_AUDIT_CHECKPOINT_FILE, after checking "
        "the entries added since the last checkpoint. Run it on a schedule; in production the file lives on "
        "another system (docs/audit.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint-file", help="Where to append (default: HAFAN_AUDIT_CHECKPOINT_FILE)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["checkpoint_file"] or settings.HAFAN_AUDIT_CHECKPOINT_FILE)
        checkpoints: list[chain.Checkpoint] = []
        if path.exists():
            try:
                checkpoints = chain.parse_checkpoints(path.read_text(encoding="utf-8").splitlines())
            except chain.CheckpointFormatError as exc:
                self._fail(f"Checkpoint file {path}: {exc}.")

        # Only what was added since the last checkpoint is checked here (the whole chain is audit_verify's
        # job), but never a chain that has lost or changed its last checkpointed entry.
        last = max(checkpoints, key=lambda c: c.seq, default=None)
        if last is None:
            result = chain.verify(chain_entries())
        else:
            entry = chain_entry(last.seq)
            if entry is None or entry["entry_hash"] != last.entry_hash:
                self._fail(
                    f"Audit chain broken at entry {last.seq}: it no longer matches the checkpoint taken at "
                    f"{last.taken_at}. Run hafan audit_verify."
                )
            result = chain.verify(
                chain_entries(after_seq=last.seq), start_seq=last.seq + 1, start_prev_hash=last.entry_hash
            )
        if result.broken is not None:
            self._fail(
                f"Audit chain broken at {result.broken}. No checkpoint written; run hafan audit_verify."
            )
        if result.head_seq == 0:
            self.stdout.write("The audit trail is empty: nothing to checkpoint.")
            return

        path.parent.mkdir(parents=True, exist_ok=True)
        line = chain.checkpoint_line(taken_at=timezone.now(), seq=result.head_seq, head_hash=result.head_hash)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self.stdout.write(f"Checkpoint: entry {result.head_seq}, hash {result.head_hash}, appended to {path}")

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        raise SystemExit(1)
