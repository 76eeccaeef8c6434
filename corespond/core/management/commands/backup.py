from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from corespond.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database to one file (SQLite backup API, or pg_dump for PostgreSQL).\n"
        "Safe while the app runs. Default file: <data dir>/backups/corespond-<UTC time>."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", type=Path, help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = options["out"] or Path(settings.DATA_DIR) / "backups" / f"corespond-{stamp}.backup"
        try:
            path = backup.backup(out)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backup written to {path} ({path.stat().st_size:,} bytes).")
