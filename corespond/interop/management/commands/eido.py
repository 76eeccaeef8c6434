"""``corespond eido import|export``: NENA EIDO files in and out, as the API does it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from corespond.core.access import programs_for
from corespond.core.models import Program
from corespond.core.roles import DISPATCH_ROLES
from corespond.interop import eido


class Command(BaseCommand):
    help = (
        "Import NENA EIDO incidents from CAD (a JSON file of one object or a list), or export "
        "one incident as EIDO."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        take = sub.add_parser(
            "import",
            help="Make or update a triaged call per incident (same object twice: no change).",
        )
        take.add_argument("file", type=Path, help="JSON: one EIDO object or a list of them")
        take.add_argument(
            "--user",
            required=True,
            help="Username of the dispatcher or CAD integration account the calls are "
            "recorded under (its roles and agencies apply)",
        )
        take.add_argument("--program", help="Program slug (default: the account's only one)")
        take.add_argument("--agency", help="Agency slug (default: the account's only one)")
        give = sub.add_parser("export", help="Print one incident as EIDO (JSON).")
        give.add_argument("incident_id", help="The incidentTrackingIdentifier")
        give.add_argument("--user", required=True, help="Whose access applies")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        if options["action"] == "export":
            try:
                document = eido.export(options["incident_id"], user=user)
            except Exception as exc:  # Http404 from the gate's read
                raise CommandError(str(exc)) from exc
            self.stdout.write(json.dumps(document, indent=2))
            return
        self._import(user, options)

    def _import(self, user: Any, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file.")
        loaded = eido.load_json(path.read_bytes()) if path.stat().st_size else None
        documents = loaded if isinstance(loaded, list) else [loaded]
        programs = (
            Program.objects.all() if user.is_superuser else programs_for(user, DISPATCH_ROLES)
        )
        if options["program"]:
            programs = programs.filter(Q(slug=options["program"]))
        program_list = list(programs[:2])
        if len(program_list) != 1:
            raise CommandError("Name the program with --program (one the user dispatches for).")
        program = program_list[0]
        refused: list[str] = []
        for i, document in enumerate(documents):
            label = f"object {i + 1} of {len(documents)}"
            try:
                agency = eido.agency_for(user, program, options["agency"])
                outcome = eido.receive(document, actor=user, program=program, agency=agency)
            except (eido.EidoError, ValidationError, PermissionDenied) as exc:
                # Each object is its own transaction: one refused leaves the others taken.
                refused.append(f"{label}: refused, nothing written: {exc}")
                self.stderr.write(refused[-1])
                continue
            self.stdout.write(f"{label}: {outcome.result}: {outcome.message}")
        if refused:
            raise CommandError(f"{len(refused)} of {len(documents)} refused; first: {refused[0]}")
