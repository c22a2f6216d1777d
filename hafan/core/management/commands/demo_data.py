"""`hafan demo_data`: fills an empty database with a seeded synthetic Gwent (docs/demo-data.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hafan.demo.generator import generate
from hafan.people.models import Child


class Command(BaseCommand):
    help = "Generate three years of synthetic children, agency records and missing episodes for the demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2013, help="Random seed: same seed, size and day, same data."
        )
        parser.add_argument(
            "--children", type=int, default=600, help="How many children go missing over the period."
        )
        parser.add_argument("--years", type=int, default=3, help="How many years of history, ending today.")
        parser.add_argument(
            "--no-link",
            dest="link",
            action="store_false",
            help="Skip training the identity-resolution model and linking at the end.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already holds any child (for `make demo`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Child.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Demo data not generated: the database already holds children.")
                self._demo_two_factor()
                return
            # The generator builds one consistent history; adding a second on top would re-point agency records.
            raise CommandError(
                "The database already holds children. Use an empty database, or pass --if-empty."
            )
        if options["children"] < 1 or options["years"] < 1:
            raise CommandError("--children and --years must be at least 1.")
        self.stdout.write(
            f"Generating {options['children']} children over {options['years']} years (seed {options['seed']})..."
        )
        summary = generate(seed=options["seed"], children=options["children"], years=options["years"])
        rows = [
            ("children", summary.children),
            ("episodes", summary.episodes),
            ("  still missing", summary.open_episodes),
            ("risk assessments", summary.risk_assessments),
            ("source records", summary.source_records),
            ("facts", summary.facts),
            ("response plans", summary.response_plans),
            ("debriefs", summary.debriefs),
            ("  awaiting an offer", summary.debriefs_awaiting),
            ("referrals", summary.referrals),
        ]
        for label, value in rows:
            self.stdout.write(f"  {label:<22}{value:>7}")
        self.stdout.write(self.style.SUCCESS(f"Done in {summary.seconds} seconds."))
        # Issue 8: the dashboard counts from the analytics store, so fill it for the demo's history.
        from hafan.analytics.refresh import episode_facts_refresh

        self.stdout.write(f"Analytics store: {episode_facts_refresh()} episodes.")
        self._demo_two_factor()
        # The demo's records are linked by construction (the hub after identity resolution): train the
        # model on them so that new reports are matched, and possible matches show, straight away.
        if options["link"]:
            from hafan.linkage.services import model_adopt_current_identities

            version = model_adopt_current_identities(seed=options["seed"])
            self.stdout.write(
                f"Identity resolution: model v{version.version} trained on {version.trained_on_records} records."
            )

    def _demo_two_factor(self) -> None:
        # Logins part (docs/accounts.md): each demo login gets an authenticator named "demo", whose current
        # code `hafan demo_code USERNAME` prints, so a newcomer can sign in without a phone.
        from hafan.accounts.demo_staff import demo_two_factor_seed

        made = demo_two_factor_seed()
        if made:
            self.stdout.write(
                f"Two-factor: {made} demo logins given a demo authenticator (hafan demo_code USERNAME)."
            )
