from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Serve the web app with uvicorn (ASGI).\n"
        "For production run several workers behind a reverse proxy; see docs/deployment.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument("--workers", type=int, default=1, help="worker processes")
        parser.add_argument(
            "--forwarded-allow-ips",
            default="127.0.0.1",
            help="addresses of reverse proxies whose X-Forwarded-For/-Proto headers are "
            "trusted (default 127.0.0.1; the audit log records the client address they give)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "The database is not up to date: run `corespond manage migrate` first "
                "(or `corespond demo`, which migrates)."
            )

        self._start_roster_ticker()
        self.stdout.write(f"Serving corespond at http://{options['host']}:{options['port']}/")
        uvicorn.run(
            "corespond.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            log_level="warning",
            http="corespond.core.server:NoDelayH11Protocol",
            proxy_headers=True,
            forwarded_allow_ips=options["forwarded_allow_ips"],
        )

    def _start_roster_ticker(self) -> None:
        """Apply team shifts, and bring the catalog's kept figures up to date, in the
        background of this (supervising) process, once however many workers serve requests.
        Failures are logged and retried on the next tick: the board must keep serving even
        when the roster cannot be read for a moment."""
        from django.conf import settings

        from corespond.dispatch.services import shifts_apply

        def roster() -> None:
            for change in shifts_apply():
                log.info("%s: %s -> %s", change.team.call_sign, change.old, change.new)

        every(settings.SHIFT_TICK_SECONDS, roster, "roster")
        every(settings.FIGURES_TICK_SECONDS, keep_figures_current, "figures")


log = logging.getLogger("corespond.serve")


def every(seconds: int, job: Callable[[], Any], name: str) -> None:
    """Run ``job`` every ``seconds`` on a daemon thread (not at all for 0)."""
    from django.db import close_old_connections

    if seconds <= 0:
        return

    def tick() -> None:
        while True:
            try:
                job()
            except Exception:
                log.exception("%s failed; retrying in %s s", name, seconds)
            finally:
                close_old_connections()
            threading.Event().wait(seconds)

    threading.Thread(target=tick, name=name, daemon=True).start()


def keep_figures_current() -> int:
    """Write the catalog's stale day figures (outcomes/rollup.py) now, so that no page
    request has to: after a large import the first look would otherwise wait for them.
    Returns the rows of figures written (none, in one query, when nothing changed)."""
    from corespond.outcomes import rollup

    return rollup.refresh()
