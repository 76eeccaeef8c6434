from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from corespond.core import audit
from corespond.core.models import AuditEvent


class Command(BaseCommand):
    help = (
        "The tamper-evident audit log. `audit verify` walks the hash chain and exits non-zero "
        "naming the first entry that was changed or removed; `audit disclosures --person ID` "
        "prints a person's accounting of disclosures (who read or changed which of their "
        "records, when, from where, why) as a table, CSV or JSON."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every entry of the chain")
        verify.add_argument(
            "--anchor",
            help="SEQ:HASH recorded earlier (printed by a previous verify); the chain must "
            "still contain that entry unchanged",
        )
        verify.add_argument("--quiet", action="store_true", help="no progress bar")
        disclosures = sub.add_parser("disclosures", help="a person's accounting of disclosures")
        disclosures.add_argument("--person", type=int, required=True, help="the person's id")
        disclosures.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(options)
        else:
            self._disclosures(options)

    def _verify(self, options: dict[str, Any]) -> None:
        anchor = None
        if options.get("anchor"):
            seq, _, digest = options["anchor"].partition(":")
            if not seq.isdigit() or len(digest) != 64:
                raise CommandError("--anchor must be SEQ:HASH, e.g. 1042:3f9a... (64 hex digits)")
            anchor = (int(seq), digest)
        total = AuditEvent.objects.count()
        with tqdm(
            total=total, unit=" entries", disable=options["quiet"] or not sys.stderr.isatty()
        ) as bar:
            verdict = audit.verify(anchor=anchor, progress=bar)
        if not verdict.ok:
            raise CommandError(
                f"Audit log broken at {verdict.problem}. {verdict.checked:,} entries before it "
                "hold."
            )
        self.stdout.write(
            f"Audit log intact: {verdict.checked:,} entries. Head: "
            f"{verdict.head_seq}:{verdict.head_hash}\n"
            "Record the head outside this database; `audit verify --anchor` checks it later."
        )

    def _disclosures(self, options: dict[str, Any]) -> None:
        rows = audit.disclosures(options["person"])
        fields = [
            "seq",
            "at",
            "who",
            "action",
            "model",
            "category",
            "record_ids",
            "purpose",
            "remote_addr",
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps([asdict(r) for r in rows], default=str, indent=2))
            return
        if options["format"] == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow(fields)
            for r in rows:
                writer.writerow([getattr(r, f) for f in fields])
            return
        if not rows:
            self.stdout.write(f"No recorded access to person {options['person']}'s records.")
            return
        for r in rows:
            ids = ",".join(str(i) for i in r.record_ids)
            self.stdout.write(
                f"#{r.seq:<7} {r.at:%Y-%m-%d %H:%M:%S} {r.who:<24} {r.action:<9} "
                f"{r.model}[{ids}] ({r.category}) {r.purpose} {r.remote_addr or ''}"
            )
