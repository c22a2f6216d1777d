"""`hafan issue_api_token USERNAME NAME`: issues a bearer token for an agency system acting as USERNAME.

The raw token is printed once, on stdout; only its hash is stored, so it cannot be shown again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hafan.accounts.models import User
from hafan.accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API bearer token for an agency system that acts as the given member of staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "username", help="The staff user the system acts as: their role and agency apply."
        )
        parser.add_argument("name", help="What the token is for, e.g. 'Newport WCCIS feed'.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.select_related("agency").filter(username=username).first()
        if user is None:
            raise CommandError(f"No staff user is called {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated: a token for them would not authenticate.")
        if not name.strip():
            raise CommandError("Name the token after the system that will use it.")
        if not user.role or user.agency is None:
            self.stderr.write(f"Warning: {username!r} has no role or agency, so the token will see nothing.")
        raw = api_token_issue(user=user, name=name.strip())
        self.stderr.write(f"Token {name.strip()!r} issued for {username}. It is shown once: store it now.")
        self.stdout.write(raw)
