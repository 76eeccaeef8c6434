from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from corespond.intake import protocol


class Command(BaseCommand):
    help = (
        "Dispatch protocols: `protocol list` shows the shipped templates, `protocol test FILE` "
        "runs a protocol's examples\n(FILE is a path or a template name) and exits non-zero if "
        "any example fails; `protocol show FILE` prints its rules."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="list the shipped protocol templates")
        test = sub.add_parser("test", help="run the protocol's examples")
        test.add_argument("file", help="protocol file path, or a template name such as star")
        show = sub.add_parser("show", help="print the protocol's rules in order")
        show.add_argument("file", help="protocol file path, or a template name")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for name in protocol.template_names():
                p = protocol.load(name)
                self.stdout.write(f"{name:<12} {p.version:<8} {p.name}")
            return
        try:
            p = protocol.load(options["file"])
        except protocol.ProtocolError as exc:
            raise CommandError(str(exc)) from exc
        if options["action"] == "show":
            self.stdout.write(f"{p.name} ({p.label}), service hours {p.hours_text()}")
            for n, rule in enumerate(p.rules, 1):
                eligible = "eligible" if rule.eligible else "not eligible"
                self.stdout.write(
                    f"{n:>2}. {rule.id}: {rule.response_type}, P{rule.priority}, {eligible}"
                    f" - {rule.explain}"
                )
            return
        results = p.run_examples()
        if not results:
            raise CommandError(f"{p.label} has no examples: add [[example]] tables to test it.")
        failed = 0
        for n, result in enumerate(results, 1):
            note = f" ({result.example.note})" if result.example.note else ""
            if result.passed:
                self.stdout.write(f"ok    example {n}{note}")
            else:
                failed += 1
                self.stdout.write(f"FAIL  example {n}{note}: {'; '.join(result.problems)}")
        self.stdout.write(f"{p.label}: {len(results) - failed} of {len(results)} examples pass.")
        if failed:
            raise CommandError(f"{failed} example(s) fail.")
