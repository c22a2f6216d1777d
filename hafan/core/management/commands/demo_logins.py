"""`hafan demo_logins`: prints the demo's logins, one per role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hafan.accounts.demo_staff import DEMO_COUNCIL_STAFF, STAFF
from hafan.agencies.services import GWENT_PARTNERSHIP, OUTSIDE_AGENCIES
from hafan.demo.generator import DEMO_PASSWORD

BASE_URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = "List the demo logins (username, role, agency, password) and where to sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        agency_names = {a.code: a.name_en for a in GWENT_PARTNERSHIP + OUTSIDE_AGENCIES}
        outside = {a.code for a in OUTSIDE_AGENCIES}
        rows = [("Username", "Role", "Agency", "Password")]
        for seed in STAFF + DEMO_COUNCIL_STAFF:
            agency = agency_names.get(seed.agency_code, seed.agency_code)
            if seed.agency_code in outside:
                agency += " (outside the partnership: sees nothing)"
            rows.append((seed.username, str(seed.role.label), agency, DEMO_PASSWORD))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("Demo logins (synthetic data only):")
        for i, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, [*widths, 0], strict=True)).rstrip()
            )
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in [*widths, len(DEMO_PASSWORD)]))
        self.stdout.write("")
        self.stdout.write(f"Sign in at {BASE_URL} (English) or {BASE_URL}cy/ (Cymraeg).")
