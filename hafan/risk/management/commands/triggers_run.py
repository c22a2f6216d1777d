"""`hafan triggers_run`: the repeat-missing and exploitation checks for recently active children, for the
scheduler. Catches what arrived by bulk import (which skips the hooks); safe to run as often as wanted."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hafan.risk.triggers import triggers_run


class Command(BaseCommand):
    help = (
        "Open hub tasks (strategy meetings, exploitation reviews) for children who now meet a trigger rule. "
        "Idempotent: run it on a schedule."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        opened = triggers_run()
        self.stdout.write(f"Hub tasks opened: {opened}")
