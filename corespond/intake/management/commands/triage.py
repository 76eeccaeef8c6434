from __future__ import annotations

import json
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from corespond.core.models import Program
from corespond.intake import protocol
from corespond.intake.models import ProtocolVersion
from corespond.intake.protocols_store import active_protocol, parsed


class Command(BaseCommand):
    help = (
        "Triage calls read as JSON lines on stdin; write one JSON decision per line.\n"
        "Replays CAD history against a protocol: a program's active one (--program SLUG), one "
        "of its stored versions, drafts included (--program SLUG --protocol-version "
        "SLUG@VERSION), or a file or template (--protocol FILE|TEMPLATE). Nothing is written "
        "to the database. A bad line gets an error line and the run goes on."
    )

    def add_arguments(self, parser: Any) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--program", help="program slug: use its stored protocol")
        source.add_argument(
            "--protocol", help="protocol file, or a template name (corespond protocol list)"
        )
        parser.add_argument(
            "--protocol-version",
            dest="protocol_version",
            help="with --program: a stored version as SLUG@VERSION, e.g. star@2026.2 (a draft "
            "may be replayed before it is activated); default: the active version",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        p = self._protocol(options)
        stdin = getattr(self, "stdin", None) or sys.stdin
        errors = 0
        for number, line in enumerate(stdin, 1):
            if not line.strip():
                continue
            out: dict[str, Any] = {"line": number}
            try:
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise protocol.ProtocolError(f"not valid JSON: {exc}") from exc
                if not isinstance(data, dict):
                    raise protocol.ProtocolError("each line must be a JSON object")
                if "id" in data:
                    out["id"] = data["id"]
                decision = p.decide(protocol.Facts.from_mapping(data))
            except protocol.ProtocolError as exc:
                errors += 1
                out["error"] = str(exc)
            else:
                out.update(decision.fields(p.label))
            self.stdout.write(json.dumps(out))
        if errors:
            self.stderr.write(f"{errors} line(s) could not be triaged; see their error fields.")

    def _protocol(self, options: dict[str, Any]) -> protocol.Protocol:
        wanted = options.get("protocol_version")
        if options.get("protocol"):
            if wanted:
                raise CommandError("--protocol-version goes with --program, not with --protocol.")
            try:
                return protocol.load(options["protocol"])
            except protocol.ProtocolError as exc:
                raise CommandError(str(exc)) from exc
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            known = ", ".join(Program.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No program {options['program']!r}. Programs: {known}.")
        if not wanted:
            try:
                return active_protocol(program)[1]
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        slug, _, version = wanted.partition("@")
        stored = program.protocols.filter(slug=slug, version=version).first()
        if stored is None:
            known = ", ".join(f"{v.label} ({v.status})" for v in program.protocols.all())
            raise CommandError(
                f"{program.slug} has no protocol version {wanted!r}. Stored: {known or 'none'}."
            )
        if stored.status != ProtocolVersion.Status.ACTIVE:
            self.stderr.write(f"Replaying {stored.label}, which is {stored.get_status_display()}.")
        return parsed(stored)
