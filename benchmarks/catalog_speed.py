"""The whole metric catalog for one year over 1,000,000 encounters on PostgreSQL.

Usage: python benchmarks/catalog_speed.py [--encounters 1000000] [--rebuild]

What it does (BENCH_CATALOG_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/corespond_catalog_bench; built once and reused unless
--rebuild):
1. writes a program with ``--encounters`` calls over one year, each with its triage decision
   and encounter (time stamps, outcomes, dispositions), and a person in crisis on each
   (about a third of the people with several crises), with PostgreSQL COPY, and the team's
   shifts (two a day);
2. times ``metrics.compute`` for that year and program (the full catalog, cost offsets
   included), three runs, as a named system job;
3. the floor, in the same run: one SQL statement that computes the counts and the four
   interval medians with ``percentile_cont`` over the same encounters.

Target (issue 6): under 2 seconds. Prints the figures; record them in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/corespond_catalog_bench"
YEAR_START = datetime(2025, 1, 1, 8, tzinfo=UTC)
BATCH = 50_000


def ensure_shifts() -> None:
    """Two twelve-hour shifts a day for the year, so that encounters per shift is computed
    over real shifts (databases built before this have none: they get them here)."""
    from corespond.dispatch.models import Shift, Team

    team = Team.objects.get(call_sign="B-1")
    if Shift.objects.filter(team=team).exists():
        return
    first = YEAR_START.replace(hour=7)
    Shift.objects.bulk_create(
        Shift(
            team=team,
            starts_at=first + timedelta(hours=12 * i),
            ends_at=first + timedelta(hours=12 * (i + 1)),
        )
        for i in range(2 * 366)
    )


def fill(encounters: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from corespond.core.models import Agency, Program
    from corespond.dispatch.models import Team
    from corespond.field.models import Encounter, EncounterPerson
    from corespond.imports.importer import _copy_rows
    from corespond.intake.models import Call, TriageDecision
    from corespond.outcomes.costs import assumptions_install_defaults
    from corespond.people.models import Person

    call_command("migrate", verbosity=0)
    program = Program.objects.create(slug="bench", name="Bench", model="ciru")
    agency = Agency.objects.create(slug="bench-pd", name="Bench PD", kind="police")
    program.agencies.add(agency)
    team = Team.objects.create(
        program=program,
        agency=agency,
        name="Bench team",
        call_sign="B-1",
        response_type="co_response",
    )
    assumptions_install_defaults(program=program)
    rng = random.Random(6)
    people_count = encounters // 3
    started = time.perf_counter()
    with transaction.atomic():
        person_ids = _copy_rows(
            Person,
            [
                {
                    "program_id": program.pk,
                    "recorded_by_agency_id": agency.pk,
                    "given_name": f"P{i}",
                    "race_ethnicity": rng.choice(["white", "black", "hispanic", "asian", ""]),
                    "sex": rng.choice(["female", "male", ""]),
                    "birth_date": date(1940 + rng.randrange(70), 1 + rng.randrange(12), 1),
                }
                for i in range(people_count)
            ],
        )
    outcomes = ["engaged"] * 6 + ["unable_to_locate", "refused", "cancelled", "unknown"]
    dispositions = ["remained_in_community"] * 8 + [
        "emergency_department",
        "crisis_facility",
        "arrest",
        "unknown",
    ]
    done = 0
    while done < encounters:
        size = min(BATCH, encounters - done)
        calls, stamps = [], []
        for i in range(done, done + size):
            received = YEAR_START + timedelta(minutes=rng.randrange(525_000))
            dispatched = received + timedelta(minutes=rng.randint(1, 40))
            arrived = dispatched + timedelta(minutes=rng.randint(3, 45))
            cleared = arrived + timedelta(minutes=rng.randint(10, 150))
            stamps.append((received, dispatched, arrived, cleared))
            calls.append(
                {
                    "program_id": program.pk,
                    "agency_id": agency.pk,
                    "reference": f"B{i:09d}",
                    "received_at": received,
                    "call_type": "EDP",
                    "behavioral_health": True,
                    "address": "Bench St",
                    "status": "closed",
                    "closed_at": cleared,
                    "external_id": f"b{i}",
                }
            )
        with transaction.atomic():
            call_ids = _copy_rows(Call, calls)
            _copy_rows(
                TriageDecision,
                [
                    {
                        "call_id": cid,
                        "response_type": "co_response",
                        "priority": 2,
                        "eligible": rng.random() < 0.8,
                        "rule": "bench",
                        "explanation": "bench",
                        "protocol_version": "bench@1",
                        "decided_at": s[0],
                    }
                    for cid, s in zip(call_ids, stamps, strict=True)
                ],
            )
            encounter_ids = _copy_rows(
                Encounter,
                [
                    {
                        "call_id": cid,
                        "team_id": team.pk,
                        "received_at": s[0],
                        "dispatched_at": s[1],
                        "arrived_at": s[2],
                        "cleared_at": s[3],
                        "contact_outcome": rng.choice(outcomes),
                        "disposition": rng.choice(dispositions),
                    }
                    for cid, s in zip(call_ids, stamps, strict=True)
                ],
            )
            _copy_rows(
                EncounterPerson,
                [
                    {"encounter_id": eid, "person_id": rng.choice(person_ids)}
                    for eid in encounter_ids
                ],
            )
        done += size
        print(f"  {done:,} encounters written ({time.perf_counter() - started:.0f} s)")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


MEDIAN = "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM {}))"
FLOOR_SQL = f"""
SELECT count(*),
       count(*) FILTER (WHERE e.contact_outcome = 'engaged'),
       {MEDIAN.format("e.dispatched_at - e.received_at")},
       {MEDIAN.format("e.arrived_at - e.dispatched_at")},
       {MEDIAN.format("e.arrived_at - e.received_at")},
       {MEDIAN.format("e.cleared_at - e.arrived_at")}
FROM field_encounter e JOIN intake_call c ON c.id = e.call_id
WHERE c.program_id = %s AND c.received_at >= %s AND c.received_at < %s
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument(
        "--rewrite", action="store_true", help="write every kept day again before timing"
    )
    parser.add_argument(
        "--count",
        action="store_true",
        help="also count from the records (about 15 s) and check the figures are the same",
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_CATALOG_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corespond.settings")
    sys.path.insert(0, str(ROOT))
    from benchmarks.pg import ensure_database

    created = ensure_database(url, rebuild=args.rebuild)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from corespond.core.models import Program
    from corespond.outcomes import metrics

    call_command("migrate", verbosity=0)
    if created:
        print(f"filling {args.encounters:,} encounters")
        fill(args.encounters)
    ensure_shifts()
    program = Program.objects.get(slug="bench")
    zone = ZoneInfo(program.timezone)
    filters = metrics.Filters(
        date_from=date(2025, 1, 1),
        date_to=date(2025, 12, 31),
        program_id=program.pk,
        tz=program.timezone,  # the program's year, as the dashboard asks for it
    )
    from corespond.core.access import Action, system
    from corespond.field.models import Encounter
    from corespond.outcomes import rollup

    started = time.perf_counter()
    written = rollup.refresh(rebuild=args.rewrite)
    first = time.perf_counter() - started
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = metrics.compute(filters, system_reason="benchmark")
        runs.append(time.perf_counter() - started)
    # The dashboard's usual case: a record changed since the last look.
    quiet = Encounter.objects.filter(call__program=program).exclude(Encounter.critical())
    one = system(quiet, reason="benchmark").order_by("pk").values_list("pk", flat=True)[:1]
    system(
        Encounter.objects.filter(pk__in=list(one)), reason="benchmark", action=Action.CHANGE
    ).update(injury_staff=True)
    started = time.perf_counter()
    after_change = metrics.compute(filters, system_reason="benchmark")
    incremental = time.perf_counter() - started
    system(
        Encounter.objects.filter(pk__in=list(one)), reason="benchmark", action=Action.CHANGE
    ).update(injury_staff=False)
    metrics.compute(filters, system_reason="benchmark")
    counted_runs = []
    if args.count:
        started = time.perf_counter()
        counted = metrics.compute(filters, system_reason="benchmark", stored=False)
        counted_runs.append(time.perf_counter() - started)
        assert counted == result, "kept figures differ from counting the records"
    critical = "staff.critical_incidents_debriefed_rate"
    assert after_change[critical]["denominator"] == result[critical]["denominator"] + 1
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            FLOOR_SQL,
            [program.pk, datetime(2025, 1, 1, tzinfo=zone), datetime(2026, 1, 1, tzinfo=zone)],
        )
        row = cursor.fetchone()
        floor = time.perf_counter() - started
    calls = result["calls.total"]["value"]
    print(f"encounters in the year: {calls:,} calls (floor query: {row[0]:,})")
    print(f"writing the kept figures ({written:,} rows; every day when first seen): {first:.2f} s")
    print(f"catalog: {min(runs):.2f} s best of 3 ({', '.join(f'{r:.2f}' for r in runs)})")
    print(f"catalog after one encounter changed (its day written again): {incremental:.2f} s")
    if counted_runs:
        print(f"catalog counted from the records (stored=False): {counted_runs[0]:.2f} s")
    print(f"floor (one SQL statement, counts and four medians): {floor:.2f} s")
    print(f"target under 2 s: {'met' if min(runs) < 2 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
