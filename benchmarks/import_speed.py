"""Import speed: a synthetic CAD export of N rows into PostgreSQL, beside DuckDB's plain read.

Usage: python benchmarks/import_speed.py [--rows 1000000] [--keep]

What it does:
1. writes a synthetic encounter export of ``--rows`` rows (CSV, streamed to disk: realistic
   mess included: blank and ``0:00`` times, unmapped values, a few negative intervals) and a
   profile for it;
2. the floor: DuckDB reads the same file into a table (``CREATE TABLE AS SELECT * FROM
   read_csv(...)``), timed in this run;
3. the import: ``corespond import encounters`` into a fresh PostgreSQL database
   (BENCH_IMPORT_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/corespond_import_bench),
   in a child process that reports its own peak memory (max RSS); first with ``--bulk`` (one
   transaction, indexes built at the end), then the ordinary way (batches), each into a
   fresh database;
4. a second floor, the database's own: the rows the import wrote are copied out, and
   written back into a freshly migrated database (same tables, indexes, constraints and
   triggers) with plain binary ``COPY`` in one transaction, timed. What the import adds to
   that is the importer's own work (reading, converting, reporting, idempotency);
5. the least any importer could need with these tables: the same rows copied into bare
   copies of them (no index, key or trigger), then the same indexes built in one go, as a
   load that dropped its indexes and rebuilt them afterwards would.

Targets (issue 6): the whole import within 10x of the floor and under 3 minutes, peak memory
under 1 GB. Prints the figures; record them in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/corespond_import_bench"
PROFILE = {
    "name": "bench-cad",
    "kind": "encounters",
    "timezone": "America/Los_Angeles",
    "id": "Incident No",
    "missing": ["", "N/A"],
    "timestamps": {"formats": ["%m/%d/%Y %H:%M"], "midnight_means_missing": True},
    "fields": {
        "received_at": {"column": "Call Received", "fallback": "Sent"},
        "dispatched_at": "Sent",
        "arrived_at": "On Scene",
        "cleared_at": "Clear",
        "address": {"column": "Town", "default": "County"},
        "behavioral_health": {"value": True},
        "source_call_type": "Reason",
        "call_type": {
            "column": "Reason",
            "default": "MNTL",
            "map": {"Suicidal": "SUICTHRT", "Substance": "INTOX", "Agitated": "MNTL"},
        },
        "contact_outcome": {
            "column": "Result",
            "map": {"Engaged": "engaged", "UTL": "unable_to_locate", "Refused": "refused"},
        },
        "disposition": {
            "column": "Outcome",
            "keep_source_in": "disposition_text",
            "map": {"Home": "remained_in_community", "ED": "emergency_department"},
        },
    },
}
HEADER = ["Incident No", "Call Received", "Sent", "On Scene", "Clear", "Town", "Reason"]
HEADER += ["Result", "Outcome"]


def stamp(at: datetime | None) -> str:
    return "" if at is None else f"{at.month}/{at.day}/{at.year} {at.hour}:{at.minute:02d}"


def write_export(path: Path, rows: int) -> None:
    rng = random.Random(6)
    start = datetime(2025, 1, 1)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            received = start + timedelta(minutes=rng.randrange(0, 525_600))
            sent = received + timedelta(minutes=rng.randint(0, 30))
            arrived = sent + timedelta(minutes=rng.randint(-2, 40))
            clear = arrived + timedelta(minutes=rng.randint(5, 120))
            on_scene = stamp(arrived) if rng.random() > 0.05 else f"{arrived:%-m/%-d/%Y} 0:00"
            writer.writerow(
                [
                    f"B{i:08d}",
                    stamp(received) if rng.random() > 0.01 else "",
                    stamp(sent),
                    on_scene,
                    stamp(clear),
                    rng.choice(["Eugene", "Springfield", "", "Other"]),
                    rng.choice(["Suicidal", "Substance", "Agitated", "Welfare"]),
                    rng.choice(["Engaged", "UTL", "Refused", "", "Cancelled"]),
                    rng.choice(["Home", "ED", "Home", "Jail", "N/A"]),
                ]
            )


def duckdb_floor(path: Path) -> float:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar=true)", [str(path)])
    elapsed = time.perf_counter() - started
    assert con.execute("SELECT count(*) FROM t").fetchone() is not None
    return elapsed


CHILD = """
import json, resource, sys, time
import django
django.setup()
from django.core.management import call_command
from io import StringIO
from corespond.core.models import Agency, Program
program, _ = Program.objects.get_or_create(
    slug="bench", defaults={"name": "Bench", "model": "ciru"}
)
agency, _ = Agency.objects.get_or_create(
    slug="bench-bh", defaults={"name": "Bench BH", "kind": "behavioral_health"}
)
program.agencies.add(agency)
out = StringIO()
started = time.perf_counter()
call_command("import", "encounters", sys.argv[1], "--profile", sys.argv[2], "--program", "bench",
             "--no-progress", "--report", "json", *sys.argv[3:], stdout=out)
elapsed = time.perf_counter() - started
report = json.loads(out.getvalue())
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "report": report}))
"""


def import_into_fresh(
    url: str, env: dict[str, str], export: Path, profile: Path, *options: str
) -> dict[str, Any]:
    """``corespond import encounters`` into a freshly migrated database, in a child process:
    its seconds, peak memory and report."""
    from benchmarks.pg import ensure_database

    ensure_database(url, rebuild=True)
    subprocess.run(
        [sys.executable, "-m", "corespond.cli", "manage", "migrate", "-v0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(export), str(profile), *options],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def database_floor(url: str, folder: Path, rows: int, env: dict[str, str]) -> float:
    """Seconds for PostgreSQL alone to write the rows the import wrote: the tables the import
    filled (with at least a tenth as many rows as the export) are copied out in binary and
    copied back into a freshly migrated database in one transaction; the small tables they
    refer to (program, agency...) are copied first, untimed."""
    import psycopg

    from benchmarks.pg import ensure_database

    floor_url = f"{url}_floor"
    ensure_database(floor_url, rebuild=True)
    subprocess.run(
        [sys.executable, "-m", "corespond.cli", "manage", "migrate", "-v0"],
        env={**env, "DATABASE_URL": floor_url},
        check=True,
        cwd=ROOT,
    )
    with psycopg.connect(url) as source, psycopg.connect(floor_url) as target:
        tables = [
            name
            for (name,) in source.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        small: list[str] = []
        big: list[str] = []
        for table in tables:
            (n,) = source.execute(f'SELECT count(*) FROM "{table}"').fetchone() or (0,)
            (already,) = target.execute(f'SELECT count(*) FROM "{table}"').fetchone() or (0,)
            if n and not already:
                (big if n >= rows // 10 else small).append(table)
        dumps = {}
        for table in small + big:
            dumps[table] = folder / f"{table}.bin"
            with (
                open(dumps[table], "wb") as out,
                source.cursor().copy(f'COPY "{table}" TO STDOUT (FORMAT binary)') as copy,
            ):
                for data in copy:
                    out.write(data)

        def load(table: str, into: str = "") -> None:
            with (
                open(dumps[table], "rb") as handle,
                target.cursor().copy(f'COPY "{into or table}" FROM STDIN (FORMAT binary)') as copy,
            ):
                while data := handle.read(1 << 20):
                    copy.write(data)

        for table in small:
            load(table)
        target.commit()
        started = time.perf_counter()
        for table in big:
            load(table)
        target.commit()
        elapsed = time.perf_counter() - started
        bare, indexes = bare_floor(target, big, load)
    print(f"database floor (binary COPY of {', '.join(big)} back in): {elapsed:.1f} s")
    print(
        f"  the same rows into bare copies of the tables (no index, key or trigger): {bare:.1f} s;"
        f" their indexes built afterwards in one go: {indexes:.1f} s"
    )
    ensure_database(floor_url, rebuild=True)  # empty again: it is only a floor
    return elapsed


def bare_floor(
    target: Any, tables: list[str], load: Callable[[str, str], None]
) -> tuple[float, float]:
    """The least any importer could need with these tables: seconds to copy the rows into
    bare copies (no index, constraint or trigger), then to build the same indexes on them in
    one go, as a load that dropped and rebuilt them would. Names are prefixed ``bare_``."""
    definitions = []
    for table in tables:
        target.execute(f'CREATE TABLE "bare_{table}" (LIKE "{table}" INCLUDING DEFAULTS)')
        for name, sql in target.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
        ):
            definitions.append(
                sql.replace(f" ON public.{table} ", f" ON public.bare_{table} ").replace(
                    f" INDEX {name} ", f" INDEX bare_{name} "
                )
            )
    target.commit()
    started = time.perf_counter()
    for table in tables:
        load(table, f"bare_{table}")
    target.commit()
    heap = time.perf_counter() - started
    started = time.perf_counter()
    for sql in definitions:
        target.execute(sql)
    target.commit()
    return heap, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the export and database")
    args = parser.parse_args()
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_URL)
    sys.path.insert(0, str(ROOT))

    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "corespond.settings"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export, profile = folder / "export.csv", folder / "bench-cad.yaml"
        profile.write_text(json.dumps(PROFILE))
        started = time.perf_counter()
        write_export(export, args.rows)
        size_mb = export.stat().st_size / 1e6
        print(
            f"export: {args.rows:,} rows, {size_mb:.0f} MB ({time.perf_counter() - started:.0f} s)"
        )
        floor = duckdb_floor(export)
        print(f"floor (DuckDB read into a table): {floor:.2f} s")
        bulk = import_into_fresh(url, env, export, profile, "--bulk")
        print(
            f"import --bulk (one transaction, indexes built at the end): {bulk['seconds']:.1f} s,"
            f" {bulk['seconds'] / floor:.0f}x the floor, peak memory {bulk['peak_mb']:.0f} MB"
        )
        figures = import_into_fresh(url, env, export, profile)
        seconds, report = figures["seconds"], figures["report"]
        print(
            f"import: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, "
            f"{seconds / floor:.0f}x the floor, peak memory {figures['peak_mb']:.0f} MB"
        )
        print(
            f"  written {report['written']:,} calls and {report['encounters_written']:,} "
            f"encounters; skipped {sum(report['skipped'].values()):,}; converted "
            f"{report.get('engine', 'python')}"
            + (
                f" ({report['rows_in_python']:,} rows in Python)"
                if report.get("engine") == "compiled"
                else ""
            )
        )
        db_floor = database_floor(url, folder, args.rows, env)
        print(
            f"  the importer's own work beyond the database floor: {seconds - db_floor:.1f} s "
            f"(import = {seconds / db_floor:.1f}x the database floor; the database floor "
            f"alone is {db_floor / floor:.0f}x the read floor)"
        )
        print(
            f"targets: under 180 s {'met' if seconds < 180 else 'MISSED'}; within 10x "
            f"{'met' if seconds <= 10 * floor else 'MISSED'}; under 1 GB "
            f"{'met' if figures['peak_mb'] < 1024 else 'MISSED'}"
        )
        if args.keep:
            kept = ROOT / "var" / "bench-export.csv"
            kept.parent.mkdir(exist_ok=True)
            export.replace(kept)
            print(f"kept {kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
