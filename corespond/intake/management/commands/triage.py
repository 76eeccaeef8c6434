from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from corespond.intake import protocol


class Command(BaseCommand):
    help = (
        "Triage calls read as JSON lines on stdin; write one JSON decision per line.\n"
        "Replays CAD history against a protocol: --protocol FILE|TEMPLATE. A bad line gets an "
        "error line and the run goes on."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--protocol",
            required=True,
            help="protocol file, or a template name (corespond protocol list)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            p = protocol.load(options["protocol"])
        except protocol.ProtocolError as exc:
            raise CommandError(str(exc)) from exc
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
