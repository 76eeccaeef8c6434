"""The benchmarks' own PostgreSQL databases: made on demand, kept between runs."""

from __future__ import annotations

from urllib.parse import urlparse


def ensure_database(url: str, *, rebuild: bool = False) -> bool:
    """Create the database ``url`` names if it does not exist (drop it first if ``rebuild``).
    True if it was created, so the caller knows it must fill it."""
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False
