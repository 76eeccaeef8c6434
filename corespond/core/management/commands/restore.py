from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from corespond.core import backup


class Command(BaseCommand):
    help = (
        "Restore the database from a file made by `corespond backup`, replacing its contents.\n"
        "Stop the app workers first. Asks for confirmation unless --yes is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="backup file to restore")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            answer = input("This replaces everything in the database. Type 'restore' to go on: ")
            if answer.strip() != "restore":
                raise CommandError("Restore cancelled; nothing changed.")
        try:
            backup.restore(options["file"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored from {options['file']}.")
