"""Rows of an export, streamed: CSV, gzip-compressed CSV, or Parquet. Never the whole file.

Each row comes as (row number, {normalized column: value}); the row number is the CSV line
(the header is line 1) or the Parquet row (first row 1), for error reports.
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corespond.imports.profile import normalize

# Free-text fields of real exports exceed csv's default field size limit (128 KiB).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class ReadError(ValueError):
    """The file cannot be read as the format its name says."""


def kind_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".csv.gz") or name.endswith(".gz"):
        return "csv.gz"
    return "csv"


def columns(path: Path) -> list[str]:
    """The file's column names, normalized."""
    for _, row in rows(path, header_only=True):
        return list(row)
    return []


def rows(path: Path, *, header_only: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    kind = kind_of(path)
    if kind == "parquet":
        yield from _parquet_rows(path, header_only)
        return
    opener: Any = gzip.open if kind == "csv.gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            keys = [normalize(h) for h in header]
            if header_only:
                yield 1, {k: None for k in keys}
                return
            for record in reader:
                if not any(record):
                    continue  # blank line
                yield reader.line_num, dict(zip(keys, record, strict=False))
    except (OSError, gzip.BadGzipFile, csv.Error, EOFError) as exc:
        raise ReadError(f"{path.name}: cannot read as {kind} ({exc})") from exc


def _parquet_rows(path: Path, header_only: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    import duckdb

    try:
        con = duckdb.connect()
        cursor = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
    except duckdb.Error as exc:
        raise ReadError(f"{path.name}: cannot read as Parquet ({exc})") from exc
    keys = [normalize(d[0]) for d in cursor.description or []]
    if header_only:
        yield 1, {k: None for k in keys}
        return
    number = 0
    while batch := cursor.fetchmany(10_000):
        for record in batch:
            number += 1
            yield number, dict(zip(keys, record, strict=False))
    con.close()
