from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from corespond.core.models import Program
from corespond.outcomes import metrics, report
from corespond.outcomes.management.commands.metrics import parse_date


class Command(BaseCommand):
    help = (
        "Write the funder report for a period: the metric catalog, charts, cost offsets with\n"
        "their assumptions and sources, and methods. PDF (WeasyPrint) or printable HTML, by\n"
        "the --out file's extension. Small counts are suppressed: the report is for the public."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument("--program", help="program slug (default: the only program)")
        parser.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.html")

    def handle(self, *args: Any, **o: Any) -> None:
        date_from, date_to = parse_date(o["date_from"]), parse_date(o["date_to"])
        if date_from > date_to:
            raise CommandError("--from must be on or before --to.")
        if o["program"]:
            program = Program.objects.filter(slug=o["program"]).first()
            if program is None:
                raise CommandError(f"No program with slug {o['program']!r}.")
        else:
            programs = list(Program.objects.all()[:2])
            if len(programs) != 1:
                raise CommandError("Say which program with --program SLUG.")
            program = programs[0]
        out: Path = o["out"]
        if out.suffix.lower() not in (".pdf", ".html"):
            raise CommandError("--out must end in .pdf or .html.")
        try:
            filters = metrics.Filters(
                date_from=date_from, date_to=date_to, program_id=program.pk, tz=program.timezone
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with timezone.override(program.tzinfo):
            ctx = report.context(filters, program)
            if out.suffix.lower() == ".pdf":
                out.write_bytes(report.pdf(ctx))
            else:
                out.write_text(report.html(ctx))
        self.stdout.write(f"Wrote {out} ({out.stat().st_size:,} bytes).")
