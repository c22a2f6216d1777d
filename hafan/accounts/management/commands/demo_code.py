"""`hafan demo_code USERNAME`: the current two-factor code of a demo login (docs/accounts.md).

Safe by construction: it reads only devices named "demo" (made by `hafan demo_data`, never by a person
setting up their own app), and only when DEBUG or HAFAN_DEMO is on, which production never sets.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hafan.accounts.demo_staff import DEMO_DEVICE_NAME, usable_code
from hafan.accounts.models import User
from hafan.accounts.services import totp_device_confirmed


class Command(BaseCommand):
    help = "Print the current two-factor code for a demo login (only with HAFAN_DEMO=1 or DEBUG on)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.HAFAN_DEMO):
            raise CommandError(
                "demo_code works only for the demo: run it as `HAFAN_DEMO=1 .venv/bin/hafan demo_code USERNAME`."
            )
        user = User.objects.filter(username=options["username"]).first()
        device = totp_device_confirmed(user=user) if user else None
        if device is None or device.name != DEMO_DEVICE_NAME:
            raise CommandError(
                "No demo authenticator for that username: demo_code only reads the devices `hafan demo_data` made."
            )
        code = usable_code(device)
        if code is None:
            raise CommandError("The codes for now have just been used: wait 30 seconds and try again.")
        self.stdout.write(code)
