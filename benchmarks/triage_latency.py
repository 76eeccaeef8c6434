"""Triage + recommendation under load, beside the same server's trivial endpoint.

Usage: python benchmarks/triage_latency.py [--calls 1000000] [--teams 200] [--seconds 20]
                                           [--concurrency 8] [--rebuild]

What it does, on PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/corespond_bench; the database is created if missing and
reused between runs unless --rebuild):

1. loads the demo county, then scales it with SQL to ``--calls`` historical calls (each with
   its triage decision) and ``--teams`` teams spread over the county, about 60% free;
2. starts `corespond serve --workers 2` on a free port;
3. signs in as the demo dispatcher and measures, for ``POST /dispatch/preview/`` (triage with
   the active protocol + ranking of the free teams; nothing written) and for ``GET /healthz``
   (the trivial endpoint: middleware, one ``SELECT 1``):
   - latency, one request at a time: the server's own time (its ``Server-Timing`` header) and
     the round trip, p50 and p99;
   - sustained throughput: ``--concurrency`` keep-alive connections for ``--seconds``.

Targets (issue 3): preview p99 under 50 ms, preview throughput at least 40% of the trivial
endpoint's. The load generator runs on the same machine and takes CPU from the server; both
endpoints pay that equally, so compare the ratio, not the absolute rates, across machines.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/corespond_bench"
CALL_TYPES = ["EDP", "SUICTHRT", "WELFARE", "INTOX", "DISTURB", "TRESPASS", "ASSIST", "MNTL"]


def prepare(calls: int, teams: int) -> None:
    """Demo county, scaled. Idempotent: a second run finds the rows and adds none."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from corespond.core.vocab import ResponseType, UnitStatus
    from corespond.demo import county
    from corespond.dispatch.models import Team

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    county.load(seed=2026, years=1.0)
    program = county.Program.objects.get(slug=county.PROGRAM_SLUG)
    agencies = list(program.agencies.values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM intake_call")
        have = cur.fetchone()[0]
    missing = calls - have
    if missing > 0:
        print(f"adding {missing:,} historical calls with their triage decisions...", flush=True)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO intake_call (program_id, agency_id, reference, received_at, source,
                    call_type, source_call_type, behavioral_health, weapons,
                    violence_in_progress, medical_emergency, address, zone, latitude,
                    longitude, description, status, unserved_reason, closed_at, external_id)
                SELECT %(program)s, (%(agencies)s::bigint[])[1 + g %% %(n_agencies)s],
                    'HIST-' || lpad(g::text, 8, '0'), now() - g * interval '47 seconds', '911',
                    (%(types)s::text[])[1 + g %% %(n_types)s], '', g %% 3 <> 0, g %% 41 = 0,
                    g %% 53 = 0, g %% 17 = 0, (g %% 900 + 1) || ' Bench St', 'Central',
                    44.95 + (g %% 1000) / 10000.0, -122.57 + (g %% 1300) / 10000.0, '',
                    'closed', '', now() - g * interval '47 seconds' + interval '1 hour', ''
                FROM generate_series(%(start)s, %(stop)s) AS g
                """,
                {
                    "program": program.pk,
                    "agencies": agencies,
                    "n_agencies": len(agencies),
                    "types": CALL_TYPES,
                    "n_types": len(CALL_TYPES),
                    "start": 1,
                    "stop": missing,
                },
            )
            cur.execute(
                """
                INSERT INTO intake_triagedecision (call_id, response_type, priority, eligible,
                    outside_service_hours, rule, explanation, protocol_version, decided_at)
                SELECT c.id,
                    CASE WHEN c.behavioral_health THEN 'co_response' ELSE 'police_only' END,
                    2, c.behavioral_health, false, 'history', 'Synthetic history.',
                    'mixed@2026.1', c.received_at
                FROM intake_call c LEFT JOIN intake_triagedecision t ON t.call_id = c.id
                WHERE t.id IS NULL
                """
            )
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    have_teams = Team.objects.filter(program=program).count()
    if have_teams < teams:
        rng = random.Random(7)
        kinds = [
            ResponseType.CO_RESPONSE,
            ResponseType.CLINICIAN_MEDIC,
            ResponseType.THREE_PERSON,
            ResponseType.CO_RESPONSE,
        ]
        Team.objects.bulk_create(
            Team(
                program=program,
                agency_id=agencies[i % len(agencies)],
                name=f"Bench team {i}",
                call_sign=f"B-{i:03d}",
                response_type=kinds[i % len(kinds)],
                status=UnitStatus.AVAILABLE if rng.random() < 0.6 else UnitStatus.ON_SCENE,
                last_latitude=44.95 + rng.random() * 0.1,
                last_longitude=-122.57 + rng.random() * 0.13,
            )
            for i in range(have_teams, teams)
        )
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM intake_call")
        total = cur.fetchone()[0]
    print(
        f"database ready in {time.perf_counter() - started:.0f} s: {total:,} calls, "
        f"{Team.objects.filter(program=program).count()} teams",
        flush=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Session:
    """One keep-alive connection, signed in as the demo dispatcher."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = dict(cookies or {})

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        hdrs.update(headers or {})
        self.conn.request(method, path, body=body, headers=hdrs)
        response = self.conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, data, response

    def sign_in(self, username: str, password: str) -> None:
        _, page, _ = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        body = urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        ).encode()
        status, _, _ = self.request(
            "POST",
            "/login/",
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302 and "sessionid" in self.cookies, f"sign-in failed ({status})"


def preview_body(rng: random.Random) -> bytes:
    return json.dumps(
        {
            "program": "demo-county",
            "call_type": rng.choice(CALL_TYPES),
            "behavioral_health": rng.random() < 0.7,
            "weapons": rng.random() < 0.05,
            "violence_in_progress": rng.random() < 0.03,
            "medical_emergency": rng.random() < 0.05,
            "time": f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
            "latitude": 44.95 + rng.random() * 0.1,
            "longitude": -122.57 + rng.random() * 0.13,
        }
    ).encode()


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    json_body: bool = False

    def call(self, session: Session, rng: random.Random) -> tuple[float, float]:
        """One request: (round trip ms, server ms)."""
        body = preview_body(rng) if self.json_body else None
        headers = (
            {"Content-Type": "application/json", "X-CSRFToken": session.cookies["csrftoken"]}
            if self.json_body
            else {}
        )
        started = time.perf_counter()
        status, data, response = session.request(self.method, self.path, body, headers)
        trip = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"{self.path}: HTTP {status}: {data[:200]!r}")
        timing = response.getheader("Server-Timing", "")
        server = float(timing.split("dur=", 1)[1]) if "dur=" in timing else float("nan")
        return trip, server


@dataclass
class Result:
    trips: list[float] = field(default_factory=list)
    servers: list[float] = field(default_factory=list)
    count: int = 0
    seconds: float = 0.0


def pct(values: list[float], p: int) -> float:
    return quantiles(values, n=100, method="inclusive")[p - 1]


def latency(endpoint: Endpoint, cookies: dict[str, str], port: int, n: int) -> Result:
    session, rng, result = Session(port, cookies), random.Random(1), Result()
    for _ in range(50):  # warm-up: caches, connections, the parsed protocol
        endpoint.call(session, rng)
    for _ in range(n):
        trip, server = endpoint.call(session, rng)
        result.trips.append(trip)
        result.servers.append(server)
    return result


def throughput(
    endpoint: Endpoint, cookies: dict[str, str], port: int, concurrency: int, seconds: float
) -> Result:
    result, lock = Result(), threading.Lock()
    stop = time.perf_counter() + seconds
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        session, rng, done = Session(port, cookies), random.Random(seed), 0
        try:
            while time.perf_counter() < stop:
                endpoint.call(session, rng)
                done += 1
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        with lock:
            result.count += done

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{endpoint.name}: {errors[0]}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--samples", type=int, default=2000, help="latency requests")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    sys.path.insert(0, str(ROOT))
    from benchmarks.pg import ensure_database

    ensure_database(url, rebuild=args.rebuild)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CORESPOND_DATA_DIR": tempfile.mkdtemp(prefix="corespond-bench-"),
        "CORESPOND_SHIFT_TICK_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "corespond.settings",
    }
    os.environ.update(env)
    prepare(args.calls, args.teams)

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "corespond.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        login = Session(port)
        login.sign_in("dispatch.riverton", "demo-county-2026")
        cookies = login.cookies
        endpoints = [
            Endpoint("triage + recommendation", "POST", "/dispatch/preview/", json_body=True),
            Endpoint("trivial (/healthz)", "GET", "/healthz"),
        ]
        print(
            f"\nserver: corespond serve --workers 2 (uvicorn), PostgreSQL; "
            f"{args.calls:,} calls, {args.teams} teams; load generator on the same machine\n"
        )
        rates = {}
        for endpoint in endpoints:
            lat = latency(endpoint, cookies, port, args.samples)
            run = throughput(endpoint, cookies, port, args.concurrency, args.seconds)
            rates[endpoint.name] = run.count / run.seconds
            print(
                f"{endpoint.name:26} server p50 {pct(lat.servers, 50):6.2f} ms  "
                f"p99 {pct(lat.servers, 99):6.2f} ms | round trip p50 {pct(lat.trips, 50):6.2f} "
                f"ms  p99 {pct(lat.trips, 99):6.2f} ms | {rates[endpoint.name]:7.0f} req/s "
                f"({args.concurrency} connections, {run.seconds:.0f} s)"
            )
        ratio = rates[endpoints[0].name] / rates[endpoints[1].name]
        print(f"\npreview throughput = {ratio:.0%} of the trivial endpoint's (target >= 40%)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
