from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from corespond.demo import county


class Command(BaseCommand):
    help = (
        "Set up and serve the demo: migrate, load the demo county, print the logins, serve.\n"
        "Data goes to CORESPOND_DATA_DIR (default ./var); running it again adds nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on")
        parser.add_argument("--no-serve", action="store_true", help="load and stop")
        parser.add_argument("--seed", type=int, default=2026, help="random seed for the county")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed", seed=options["seed"], years=1.0, stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {county.DEMO_PASSWORD})")
        for p in county.PERSONAS:
            team = f", team {p.team}" if p.team else ""
            self.stdout.write(f"  {p.username:<22} {p.role} at {p.agency}{team}")
        self.stdout.write(f"  {'admin':<22} superuser (configuration at /admin/)")
        self.stdout.write(
            "REST API: /api/v1/docs, FHIR: /fhir/docs; a token for one of the logins: "
            "corespond token issue --user <login> --name demo --scope calls:read"
        )
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])
