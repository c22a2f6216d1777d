"""`hafan audit_verify`: checks the audit trail's hash chain and the checkpoints kept outside the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from hafan.sharing import chain
from hafan.sharing.audit import chain_entries


class Command(BaseCommand):
    help = (
        "Recompute every audit entry's hash in order and check the links between them and the checkpoints "
        "in HAFAN_AUDIT_CHECKPOINT_FILE. Exits 1 and names the first broken entry if anything was changed, "
        "removed, inserted or reordered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint-file",
            help="Checkpoints written by `hafan audit_checkpoint` (default: HAFAN_AUDIT_CHECKPOINT_FILE).",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=2000, help="Entries read from the database at once."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        explicit = options["checkpoint_file"]
        path = Path(explicit or settings.HAFAN_AUDIT_CHECKPOINT_FILE)
        checkpoints: list[chain.Checkpoint] = []
        if path.exists():
            try:
                checkpoints = chain.parse_checkpoints(path.read_text(encoding="utf-8").splitlines())
            except chain.CheckpointFormatError as exc:
                self._fail(f"Checkpoint file {path}: {exc}.")
        elif explicit:
            self._fail(f"Checkpoint file {path} does not exist.")

        result = chain.verify(chain_entries(chunk_size=options["chunk_size"]), checkpoints=checkpoints)
        if result.broken is not None:
            broken = result.broken
            self._fail(
                f"Audit chain broken at entry {broken.seq}: {broken.problem}: {broken.explanation}.\n"
                f"The {result.entries} entries before it verified."
            )
        self.stdout.write(f"Audit chain verified: {result.entries} entries, head {result.head_hash}")
        if checkpoints:
            self.stdout.write(f"{len(checkpoints)} checkpoints in {path} match.")
        else:
            self.stdout.write(
                f"No checkpoints in {path}: entries removed from the end of the chain cannot be detected "
                "without them (hafan audit_checkpoint)."
            )

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        raise SystemExit(1)
