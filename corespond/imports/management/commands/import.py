from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from tqdm import tqdm

from corespond.core.models import Agency, Program
from corespond.imports import profile as profiles
from corespond.imports import reader
from corespond.imports.importer import FileProblem, Importer


class Command(BaseCommand):
    help = (
        "Import a CAD or encounter export (CSV, CSV.gz or Parquet) through a mapping profile.\n\n"
        "  import calls|encounters FILE --profile NAME|FILE.yaml\n"
        "         [--program SLUG] [--agency SLUG]\n\n"
        "The profile (docs/import-profiles.md) maps the export's columns and values onto\n"
        "corespond's calls and encounters. The file is streamed in batches; a bad row is skipped\n"
        "with its reason and never half-written; importing the same file again changes nothing;\n"
        "after a crash, running the same command again completes the import. A data-quality\n"
        "report ends the run (rows read, written, skipped with reasons, unmapped values,\n"
        "placeholder times, negative intervals). --bulk trades that batching for speed on a\n"
        "first load of history (see its help). Shipped profiles: "
        + ", ".join(profiles.shipped())
        + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["calls", "encounters"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--profile", required=True, help="shipped profile name or YAML file")
        parser.add_argument("--program", help="program slug (default: the only program)")
        parser.add_argument("--agency", help="receiving agency slug (default: the program's first)")
        parser.add_argument("--report", choices=["text", "json"], default="text")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--bulk",
            action="store_true",
            help=(
                "for a first load of history (PostgreSQL): the whole file in one transaction, "
                "the calls and encounters tables' indexes and keys set aside and put back "
                "once at the end; faster, but both tables are locked against every other "
                "user until it ends, and a crash keeps nothing of the file"
            ),
        )

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            profile = profiles.load(o["profile"])
        except profiles.ProfileError as exc:
            raise CommandError(f"Profile: {exc}") from exc
        if profile.kind != o["kind"]:
            raise CommandError(
                f"The profile {profile.name} describes {profile.kind}, not {o['kind']}."
            )
        path: Path = o["file"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        program = self._program(o["program"])
        agency = self._agency(program, o["agency"])
        total = None if reader.kind_of(path) != "csv" else _count_lines(path)
        bar = tqdm(
            total=total,
            unit="rows",
            desc=path.name[:30],
            disable=o["no_progress"],
            file=sys.stderr,
        )
        try:
            report = Importer(profile, program, agency, bulk=o["bulk"]).run(
                path, progress=bar.update, stage=bar.set_description_str
            )
        except (FileProblem, reader.ReadError) as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        except IntegrityError as exc:
            # --bulk checks its keys once at the end: a refusal there undoes the whole file.
            raise CommandError(f"Nothing imported: the database refused the rows: {exc}") from exc
        finally:
            bar.close()
        if o["report"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            for line in report.lines():
                self.stdout.write(line)
            if o["bulk"] and not report.bulk:
                self.stdout.write(
                    "--bulk changed nothing: it applies on PostgreSQL to profiles DuckDB "
                    "converts; the file was written batch by batch."
                )
            if report.written:
                from corespond.outcomes.models import StaleDay

                # The catalog's day figures follow on the next look; after a big import that
                # first look writes them all, so say how to do it now instead.
                days = StaleDay.objects.values("program_id", "day").distinct().count()
                self.stdout.write(
                    f"Metrics: {days:,} program-days changed; their kept figures are written on "
                    "the next look, or now with `corespond metrics --refresh`."
                )

    def _program(self, slug: str | None) -> Program:
        if slug:
            try:
                return Program.objects.get(slug=slug)
            except Program.DoesNotExist as exc:
                raise CommandError(f"No program with slug {slug!r}.") from exc
        programs = list(Program.objects.all()[:2])
        if len(programs) != 1:
            raise CommandError("Say which program with --program SLUG.")
        return programs[0]

    def _agency(self, program: Program, slug: str | None) -> Agency:
        agencies = program.agencies.order_by("pk")
        if slug:
            found = agencies.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"No agency {slug!r} in program {program.slug}.")
            return found
        first = agencies.first()
        if first is None:
            raise CommandError(f"Program {program.slug} has no agencies.")
        return first


def _count_lines(path: Path) -> int:
    """Rows to expect, for the progress bar (a fast pass over the bytes)."""
    with open(path, "rb") as handle:
        return max(
            sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0
        )
