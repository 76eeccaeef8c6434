from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from corespond.demo import county


class Command(BaseCommand):
    help = (
        "Load the synthetic demo county (agencies, teams, personas, resources and a history of "
        "calls).\nDeterministic for a given --seed; running it twice adds nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--years", type=float, default=1.0, help="years of call history to generate (default 1)"
        )
        parser.add_argument(
            "--end",
            help="end of the history, ISO 8601 (default: now, to the hour); fix it for a "
            "byte-identical county on any day",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["years"]
        if not 0 < years <= 10:
            raise CommandError("--years must be more than 0 and at most 10.")

        def progress(items: Any, total: int, desc: str) -> Any:
            return tqdm(items, total=total, desc=desc, unit=desc, disable=options["quiet"])

        end = None
        if options["end"]:
            try:
                end = datetime.fromisoformat(options["end"])
            except ValueError as exc:
                raise CommandError("--end must be ISO 8601, e.g. 2026-06-01T12:00Z.") from exc
            if end.tzinfo is None:
                end = end.replace(tzinfo=UTC)
        report = county.load(seed=options["seed"], years=years, end=end, progress=progress)
        if report.skipped_history:
            self.stdout.write(f"Seed {options['seed']} is already loaded; history left as it is.")
        created = ", ".join(f"{n} {name}" for name, n in report.created.items() if n)
        self.stdout.write(f"Created: {created or 'nothing new'}.")
