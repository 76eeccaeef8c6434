"""How long loading the demo county takes (target: under a minute), beside a floor.

Usage: python benchmarks/demo_load.py [--years Y] [--seed N]

Runs in a fresh temporary data directory (SQLite), or against DATABASE_URL if set (use an
empty scratch database). The floor is a plain sqlite3 executemany of as many rows as the load
wrote calls, into a table of the same width: the least any loader could spend writing them.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path


def floor_seconds(rows: int, directory: Path) -> float:
    db = sqlite3.connect(directory / "floor.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE calls (" + ", ".join(f"c{i} TEXT" for i in range(20)) + ")")
    data = [tuple(f"value-{r}-{i}" for i in range(20)) for r in range(rows)]
    start = time.perf_counter()
    with db:
        db.executemany("INSERT INTO calls VALUES (" + ",".join("?" * 20) + ")", data)
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="corespond-bench-"))
    os.environ["CORESPOND_DATA_DIR"] = str(scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corespond.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from corespond.demo import county

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    report = county.load(seed=args.seed, years=args.years)
    load_seconds = time.perf_counter() - start
    rows = sum(report.created.values())
    calls = report.created.get("calls", 0)
    floor = floor_seconds(calls, scratch)
    print(f"database: {connection.vendor}")
    print(
        f"demo load: {args.years} year(s), {calls:,} calls, {rows:,} records "
        "(calls, encounters, people, follow-ups, referrals and reference data)"
    )
    print(f"demo load time: {load_seconds:.2f} s (target < 60 s)")
    print(f"floor (sqlite3 executemany of {calls:,} 20-column rows): {floor:.3f} s")
    return 0 if load_seconds < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
