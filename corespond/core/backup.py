"""Backups of the whole database: SQLite's online backup API, or pg_dump for PostgreSQL.

A backup is a single file. SQLite backups are SQLite database files (open them with any
SQLite tool); PostgreSQL backups are pg_dump's custom format (restore with pg_restore, or
with ``corespond restore``). docs/deployment.md describes the routine around them.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connections

ERR_TOOL_MISSING = "{tool} is not installed; install the PostgreSQL client tools ({package})."


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


def _postgres_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq's environment variables for the database: the password never appears in the
    process list, and no URL quoting is needed."""
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(ERR_TOOL_MISSING.format(tool=name, package="postgresql-client"))
    return path


def backup(out: Path, *, alias: str = "default") -> Path:
    """Write a consistent copy of the database to ``out`` while the app keeps running."""
    connection = connections[alias]
    out.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(out)
        try:
            # The online backup API copies a consistent snapshot even while others write.
            connection.connection.backup(target)
        finally:
            target.close()
        return out
    if connection.vendor == "postgresql":
        result = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}"],
            capture_output=True,
            text=True,
            env=_postgres_env(connection.settings_dict),
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return out
    raise BackupError(f"backups of {connection.vendor} databases are not supported")


def restore(source: Path, *, alias: str = "default") -> None:
    """Replace the database's contents with the backup in ``source``.

    Stop the app workers first: a restore under live traffic mixes old and new rows.
    """
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    connection = connections[alias]
    if connection.vendor == "sqlite":
        src = sqlite3.connect(source)
        try:
            connection.ensure_connection()
            src.backup(connection.connection)
        finally:
            src.close()
        return
    if connection.vendor == "postgresql":
        connection.close()
        result = subprocess.run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(source),
            ],
            capture_output=True,
            text=True,
            env=_postgres_env(connection.settings_dict),
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        return
    raise BackupError(f"restores of {connection.vendor} databases are not supported")
