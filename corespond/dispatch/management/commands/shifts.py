from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from corespond.dispatch.services import shifts_apply


class Command(BaseCommand):
    help = (
        "Bring teams on and off shift by their rostered shifts, and print what changed.\n"
        "Only at a shift boundary: a status a dispatcher set by hand after the shift began or "
        "ended stands, and busy teams go off shift when they clear their call. Teams with no "
        "shifts on record are left alone. `corespond serve` does this every "
        "CORESPOND_SHIFT_TICK_SECONDS; use --watch where the web app runs elsewhere."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--watch", action="store_true", help="keep running, applying the roster repeatedly"
        )
        parser.add_argument(
            "--every", type=int, default=30, help="seconds between runs with --watch (default 30)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            changes = shifts_apply()
            stamp = f"{timezone.localtime():%Y-%m-%d %H:%M:%S}"
            for change in changes:
                self.stdout.write(f"{stamp} {change.team.call_sign}: {change.old} -> {change.new}")
            if not options["watch"]:
                if not changes:
                    self.stdout.write("No team changes shift now.")
                return
            time.sleep(max(1, options["every"]))
