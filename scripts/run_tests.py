"""Run the whole test suite on SQLite, then again on PostgreSQL.

PostgreSQL is found at CORESPOND_TEST_POSTGRES_URL (default: the local server as user
postgres). If it cannot be reached the PostgreSQL run is skipped with a message, unless
CORESPOND_REQUIRE_POSTGRES=1 (CI), where that is a failure. Extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_reachable(url: str) -> str | None:
    """None if a connection works, otherwise the reason."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def pytest(extra: list[str], **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(env)
    label = "PostgreSQL" if "DATABASE_URL" in env else "SQLite"
    print(f"\n=== test suite on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *extra], env=environ)


def main() -> int:
    extra = sys.argv[1:]
    failures = []
    if pytest(extra) != 0:
        failures.append("SQLite")
    url = os.environ.get("CORESPOND_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    problem = postgres_reachable(url)
    if problem is None:
        if pytest(extra, DATABASE_URL=url) != 0:
            failures.append("PostgreSQL")
    elif os.environ.get("CORESPOND_REQUIRE_POSTGRES") == "1":
        print(f"\nPostgreSQL required but not reachable at {url}: {problem}", file=sys.stderr)
        failures.append("PostgreSQL (unreachable)")
    else:
        print(
            f"\nSKIPPED the PostgreSQL run: no server at {url} ({problem}).\n"
            "Set CORESPOND_TEST_POSTGRES_URL to test against PostgreSQL.",
            file=sys.stderr,
        )
    if failures:
        print(f"\nFAILED on: {', '.join(failures)}", file=sys.stderr)
        return 1
    print("\nAll test runs passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
