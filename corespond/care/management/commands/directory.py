from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from corespond.care import directory
from corespond.core.models import Program


class Command(BaseCommand):
    help = (
        "Load or save a program's resource directory as Open Referral HSDS 3.0.\n\n"
        "  directory import FILE --program SLUG [--dry-run]\n"
        "      FILE is HSDS JSON (a list of services), a folder of HSDS CSV tables, or a .zip\n"
        "      of them. Every service is checked first: one bad service refuses the whole\n"
        "      file (each problem named by service or row, and field) and nothing changes.\n"
        "      Services are matched by their HSDS id, so loading the same file twice\n"
        "      changes nothing; services missing from the file are kept.\n"
        "  directory export --program SLUG --format json|csv --out FILE\n"
        "      Writes the directory as HSDS JSON, or as CSV tables in a zip."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="load HSDS JSON or CSV into the directory")
        load.add_argument("file", type=Path)
        load.add_argument("--program", required=True, help="program slug")
        load.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
        save = sub.add_parser("export", help="write the directory as HSDS")
        save.add_argument("--program", required=True, help="program slug")
        save.add_argument("--format", choices=["json", "csv"], default="json")
        save.add_argument("--out", type=Path, required=True, help="file to write")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            program = Program.objects.get(slug=o["program"])
        except Program.DoesNotExist as exc:
            raise CommandError(f"No program with slug {o['program']!r}.") from exc
        if o["action"] == "export":
            out: Path = o["out"]
            if o["format"] == "json":
                out.write_text(json.dumps(directory.export_json(program), indent=2) + "\n")
            else:
                out.write_bytes(directory.export_csv_zip(program))
            self.stdout.write(f"Wrote {program.resources.count()} services to {out}.")
            return
        path: Path = o["file"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        try:
            records = directory.validate(directory.read(path), zone=program.tzinfo)
            if o["dry_run"]:
                self.stdout.write(f"{len(records)} services checked; nothing written (--dry-run).")
                return
            report = directory.import_records(program, records)
        except directory.DirectoryError as exc:
            for problem in exc.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(
                f"Refused {path.name}: {len(exc.problems)} problem(s) listed above. "
                "Nothing was written."
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {report}."))
