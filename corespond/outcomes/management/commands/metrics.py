from __future__ import annotations

import csv
import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from corespond.core.models import Agency, Program
from corespond.core.vocab import ProgramModel, ResponseType
from corespond.dispatch.models import Team
from corespond.outcomes import metrics


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Dates are YYYY-MM-DD, got {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Print the metric catalog (spec/metrics.md) for a period as a table, JSON or CSV.\n"
        "JSON is keyed by metric id; each rate carries its numerator and denominator.\n"
        "Figures come from the days kept up to date as records change (docs/metrics.md); "
        "--refresh brings them up to date without printing, for after a large import."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (inclusive)")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (inclusive)")
        parser.add_argument("--program", help="program slug (its time zone sets the days)")
        parser.add_argument("--agency", help="agency slug")
        parser.add_argument("--team", help="team call sign")
        parser.add_argument("--response-type", choices=ResponseType.values)
        parser.add_argument("--model", choices=ProgramModel.values, help="program model")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="write the kept figures of every changed day now, and print nothing else",
        )
        parser.add_argument(
            "--rewrite",
            action="store_true",
            help="with --refresh: write every day of every program again from the records",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        if o["refresh"] or o["rewrite"]:
            from time import perf_counter

            from corespond.outcomes import rollup

            started = perf_counter()
            written = rollup.refresh(rebuild=o["rewrite"])
            self.stdout.write(
                f"Kept figures up to date: {written:,} rows of day figures written "
                f"in {perf_counter() - started:.1f} s."
            )
            return
        program = agency = team = None
        try:
            if o["program"]:
                program = Program.objects.get(slug=o["program"])
            if o["agency"]:
                agency = Agency.objects.get(slug=o["agency"])
            if o["team"]:
                team = Team.objects.get(
                    call_sign=o["team"], **({"program": program} if program else {})
                )
        except (Program.DoesNotExist, Agency.DoesNotExist, Team.DoesNotExist) as exc:
            raise CommandError(f"Not found: {exc}") from exc
        except Team.MultipleObjectsReturned as exc:
            raise CommandError("Several programs have that call sign: add --program.") from exc
        date_from = parse_date(o["date_from"]) if o["date_from"] else None
        date_to = parse_date(o["date_to"]) if o["date_to"] else None
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from must be on or before --to.")
        zones = (
            {program.timezone}
            if program
            else set(Program.objects.values_list("timezone", flat=True))
        )
        if (date_from or date_to) and len(zones) > 1:
            # Days are counted in a program's own zone; programs in several zones need a choice.
            raise CommandError("Programs here use several time zones: add --program.")
        try:
            filters = metrics.Filters(
                date_from=date_from,
                date_to=date_to,
                program_id=program.pk if program else None,
                agency_id=agency.pk if agency else None,
                team_id=team.pk if team else None,
                response_type=o["response_type"],
                model=o["model"],
                tz=next(iter(zones)) if len(zones) == 1 else "",
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        values = metrics.compute(filters, system_reason="metrics command")
        if o["format"] == "json":
            self.stdout.write(json.dumps(values, indent=2, sort_keys=True))
        elif o["format"] == "csv":
            writer = csv.writer(self.stdout if self.stdout else sys.stdout)
            writer.writerow(["metric", "value", "numerator", "denominator", "n"])
            for mid, m in values.items():
                value = json.dumps(m["value"]) if isinstance(m["value"], dict) else m["value"]
                writer.writerow(
                    [mid, value, m.get("numerator", ""), m.get("denominator", ""), m.get("n", "")]
                )
        else:
            width = max(len(k) for k in values)
            for mid, m in values.items():
                self.stdout.write(f"{mid:<{width}}  {metrics.display(mid, m, suppress=False)}")
