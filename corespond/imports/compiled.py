"""The profile compiled to DuckDB SQL, so that rows are converted and counted in C.

The Python converter (``importer.Converter``) stays the definition of what a row becomes;
this module reproduces it in SQL for the cases where the two provably agree, and hands every
other row to the Python converter itself:

- values are compared the way ``_value_key`` and ``str.strip`` see them; SQL does this for
  ASCII text only, so a row with any non-ASCII character in a used column is converted in
  Python (Unicode case folding and whitespace differ between the two);
- times are read with the same patterns as ``importer._time_parser``; a profile format that
  needs strptime (``%z``, ``%b``...) sends the rows no compiled format reads to Python, and so
  do times outside 1900-2100 (the zone table below covers those years);
- coded and yes/no fields are mapped by running ``coded_value`` over each distinct source
  value, then joining: the map logic is the Python one, whatever the number of rows;
- numbers are read in SQL when they are plain decimals; anything else goes to Python.

What cannot be compiled at all (a time field given as a constant, a Parquet column that is
not text, a CSV DuckDB cannot read exactly as the csv module does: ragged rows, bad UTF-8)
raises :class:`NotCompilable` before anything is written, and the importer takes the Python
path for the whole file.

Everything lives in a DuckDB database in a temporary directory, with a memory limit, so the
file is never held in Python's memory.
"""

from __future__ import annotations

import functools
import tempfile
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from corespond.core.vocab import CallType
from corespond.field.models import INTERVALS
from corespond.imports import reader
from corespond.imports.importer import (
    _DIRECTIVES,
    EXAMPLES,
    Converter,
    Report,
    RowProblem,
    _reference,
    coded_value,
    format_parts,
)
from corespond.imports.profile import (
    BOOLEAN,
    CODED,
    DEFAULTS,
    ENCOUNTER_FIELDS,
    NUMBER,
    TARGETS,
    TEXT,
    TIME_FIELDS,
    FieldMap,
    Profile,
    _value_key,
)

# What str.split() and str.strip() take for whitespace, within ASCII (\x1c-\x1f included).
WHITESPACE = "".join(c for c in map(chr, range(128)) if c.isspace())
MEMORY_LIMIT = "256MB"
# The zone table is built for these years; a time outside them is read in Python.
YEARS = (1900, 2100)
# RE2 pieces for the strptime directives of importer._DIRECTIVES (same digits, same names
# except that DuckDB wants group names distinct without regard to case).
_GROUPS = {
    "%Y": "year",
    "%m": "month",
    "%d": "day",
    "%H": "hour",
    "%I": "hour12",
    "%M": "minute",
    "%S": "second",
    "%p": "ampm",
}
_WS_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE)
# Numbers SQL reads as Python's float() does; anything else (1_000, inf) goes to Python.
NUMBER_RE = f"'^[{_WS_CLASS}]*[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?[{_WS_CLASS}]*$'"
COLUMN_TYPES = {
    **dict.fromkeys(TIME_FIELDS, "TIMESTAMP"),
    **dict.fromkeys(BOOLEAN, "BOOLEAN"),
    **dict.fromkeys(NUMBER, "DOUBLE"),
}


@dataclass
class Export:
    """A CSV file DuckDB wrote for COPY: its columns, in order, and how many rows."""

    path: Path
    columns: list[str]
    rows: int


class NotCompilable(ValueError):
    """This profile or file needs the Python path for every row; the message says why."""


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=' ')}'"
    raise NotCompilable(f"no SQL literal for {value!r}")


def _one(con: duckdb.DuckDBPyConnection, query: str) -> Any:
    row = con.execute(query).fetchone()
    assert row is not None
    return row[0]


def _missing_sql(column: str, missing: frozenset[str]) -> str:
    """Whether the cell means "not recorded": _value_key(cell) in ``missing``.

    _value_key collapses whitespace and strips dashes; computing it for every cell is most of
    the conversion's cost. A cell that starts with neither whitespace nor a dash and does not
    end in whitespace keys to its lower case with inner whitespace collapsed, so when no
    missing value has a space inside, such a cell matches only if its lower case does.
    """
    listed = "[" + ", ".join(_literal(m) for m in sorted(missing)) + "]"
    full = f"list_contains({listed}, py_key({column}))"
    if any(" " in m for m in missing):
        return f"({column} IS NULL OR {full})"
    padded = f"ascii({column}) <= 32 OR ascii({column}) = 45 OR ascii({column}[-1]) <= 32"
    return (
        f"({column} IS NULL OR CASE WHEN {padded} THEN {full} "
        f"ELSE list_contains({listed}, lower({column})) END)"
    )


def _re2_literal(text: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):x}}}" for c in text)


def _re2_pattern(parts: list[str]) -> str:
    pieces = []
    for part in parts:
        if part in _DIRECTIVES:
            body = _DIRECTIVES[part].split(">", 1)[1][:-1]  # the Python group's body
            pieces.append(f"(?P<{_GROUPS[part]}>{body})")
        else:
            pieces.append(_re2_literal(part))
    return "^" + "".join(pieces) + "$"


def _extract_sql(text: str, parts: list[str]) -> str:
    """The named parts of ``text`` read with one compiled format (a struct; NULL parts where
    the text does not match)."""
    names = [_GROUPS[p] for p in parts if p in _GROUPS]
    listed = ", ".join(_literal(n) for n in names)
    return f"regexp_extract({text}, {_literal(_re2_pattern(parts))}, [{listed}])"


def _strptime_sql(text: str, parts: list[str]) -> str:
    """A TIMESTAMP from ``text`` for a format of numbers only: the pattern decides whether it
    matches (as in Python), DuckDB's strptime then reads the numbers and refuses impossible
    dates and times; year 0 (which DuckDB takes as 1 BC) is refused as Python refuses it."""
    fmt = _literal("".join(p.replace("%", "%%") if p not in _DIRECTIVES else p for p in parts))
    stamp = f"try_strptime({text}, {fmt})"
    return (
        f"CASE WHEN regexp_full_match({text}, {_literal(_re2_pattern(parts))}) "
        f"AND {stamp} >= TIMESTAMP '0001-01-01' THEN {stamp} END"
    )


def _stamp_sql(g: str, parts: list[str]) -> str:
    """A TIMESTAMP (local wall time) from the struct of _extract_sql, or NULL: the rules of
    importer._time_parser (absent parts 1 or 0, 12-hour clock with am/pm, impossible dates
    refused)."""
    names = {_GROUPS[p] for p in parts if p in _GROUPS}

    def part(name: str, default: int) -> str:
        return f"TRY_CAST({g}.{name} AS INTEGER)" if name in names else str(default)

    hour = part("hour", 0) if "hour" in names else part("hour12", 0)
    if "ampm" in names:
        hour = f"({hour} % 12 + CASE WHEN lower({g}.ampm) = 'pm' THEN 12 ELSE 0 END)"
    year, month, day = part("year", 1), part("month", 1), part("day", 1)
    minute, second = part("minute", 0), part("second", 0)
    stamp = (
        f"TRY_CAST(printf('%04d-%02d-%02d %02d:%02d:%02d', {year}, {month}, {day}, {hour}, "
        f"{minute}, {second}) AS TIMESTAMP)"
    )
    valid = (
        f"{year} >= 1 AND {month} BETWEEN 1 AND 12 AND {hour} BETWEEN 0 AND 23 "
        f"AND {minute} <= 59 AND {second} <= 59"
    )
    return f"CASE WHEN {valid} THEN {stamp} END"


@functools.lru_cache(maxsize=16)
def _zone_changes(zone_name: str) -> tuple[tuple[datetime, int, int], ...]:
    """The zone's offset changes in YEARS: (UTC instant, offset before, offset after), in
    seconds. Found by sampling the offset daily and narrowing each change to the second."""
    zone = zoneinfo.ZoneInfo(zone_name)
    start = datetime(YEARS[0] - 1, 12, 31, 12, tzinfo=UTC)
    days = (datetime(YEARS[1] + 1, 1, 2, tzinfo=UTC) - start).days

    def offset(at: int) -> int:
        value = datetime.fromtimestamp(at, zone).utcoffset()
        assert value is not None
        return int(value.total_seconds())

    changes = []
    first = int(start.timestamp())
    before = offset(first)
    for day in range(1, days + 1):
        at = first + day * 86_400
        after = offset(at)
        if after != before:
            low, high = at - 86_400, at  # whole seconds: offsets change on a second
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == before else (low, middle)
            changes.append((datetime.fromtimestamp(high, UTC), before, after))
        before = after
    return tuple(changes)


def _utc_macro(zone: str) -> str:
    """SQL macro: a local wall time in ``zone`` to the UTC instant Python's
    ``replace(tzinfo=zone)`` gives, as a naive TIMESTAMP.

    Python (fold=0) takes the offset before a change for a wall time the change skips or
    repeats, so each change takes effect at the wall time ``instant + the larger of the two
    offsets``. The macro looks up, for the time's year, the offset at 1 January and the
    wall times of that year's changes: plain arithmetic, several times faster than ICU's
    conversion (which also reads a repeated time as the second one).
    """
    changes = _zone_changes(zone)
    first = offset_now = int(
        (
            datetime(YEARS[0], 1, 1).replace(tzinfo=zoneinfo.ZoneInfo(zone)).utcoffset()
            or timedelta()
        ).total_seconds()
    )
    per_year: dict[int, list[tuple[datetime, int]]] = {}
    for instant, before, after in changes:
        wall = (instant + timedelta(seconds=max(before, after))).replace(tzinfo=None)
        per_year.setdefault(wall.year, []).append((wall, after))
    most = max((len(v) for v in per_year.values()), default=0)
    if not most:
        return f"CREATE MACRO to_utc(local) AS local - INTERVAL {first} SECOND"
    # Flat lists, one per change of the year (first, second...): extracting a scalar from a
    # constant list is cheap, extracting a nested list copies it for every row.
    starts: list[str] = []
    walls: list[list[str]] = [[] for _ in range(most)]
    offsets: list[list[str]] = [[] for _ in range(most)]
    for year in range(YEARS[0], YEARS[1] + 1):
        starts.append(str(offset_now))
        these = per_year.get(year, [])
        for k in range(most):
            if k < len(these):
                wall, after = these[k]
                walls[k].append(f"TIMESTAMP '{wall.isoformat(sep=' ')}'")
                offsets[k].append(str(after))
            else:
                walls[k].append("NULL")
                offsets[k].append("NULL")
        if these:
            offset_now = these[-1][1]
    y = f"(year(local) - {YEARS[0] - 1})"
    whens = " ".join(
        f"WHEN local >= ([{', '.join(walls[k])}]::TIMESTAMP[])[{y}] "
        f"THEN ([{', '.join(offsets[k])}]::INTEGER[])[{y}]"
        for k in range(most - 1, -1, -1)
    )
    return (
        f"CREATE MACRO to_utc(local) AS local - to_seconds("
        f"CASE {whens} ELSE ([{', '.join(starts)}]::INTEGER[])[{y}] END)"
    )


class Compiled:
    """One file read into DuckDB and converted there; see the module docstring."""

    def __init__(self, profile: Profile, path: Path, report: Report, program_pk: int) -> None:
        self.profile, self.path, self.report = profile, path, report
        self.program_pk = program_pk
        # What rows converted in Python counted: key -> [count, first row].
        self._python_counts: dict[tuple[str, str], list[int]] = {}
        self._python_unmapped: dict[tuple[str, str], list[int]] = {}
        self.converter = Converter(profile, reader.columns(path), report)
        for target, fmap in profile.fields.items():
            if fmap.value is not None and target in TIME_FIELDS:
                raise NotCompilable(f"{target}: a constant time")
            if fmap.value is not None:
                _literal(fmap.value)
            if fmap.default is not None:
                _literal(fmap.default)
        self._tmp = tempfile.TemporaryDirectory(prefix="corespond-import-")
        self.folder = Path(self._tmp.name)
        self.con = duckdb.connect(str(self.folder / "import.duckdb"))
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = '{self.folder / 'spill'}'")
        # str.strip(): trim() with a set of characters is slow, and most cells need none.
        self.con.execute(
            "CREATE MACRO py_strip(s) AS CASE WHEN ascii(s) <= 32 OR ascii(s[-1]) <= 32 "
            f"THEN trim(s, {_literal(WHITESPACE)}) ELSE s END"
        )
        ws_class = _literal(f"[{_WS_CLASS}]+")
        self.con.execute(
            f"CREATE MACRO py_key(s) AS "
            f"ltrim(regexp_replace(lower(py_strip(s)), {ws_class}, ' ', 'g'), '- ')"
        )
        self.con.execute("CREATE MACRO is_ascii(s) AS strlen(s) = length(s)")
        self.con.execute(_utc_macro(profile.timezone.key))

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    # -- reading ---------------------------------------------------------------------------

    def _used_keys(self) -> list[str]:
        c = self.converter
        keys = [c.id_key, *c.keys.values(), c.fallback_key]
        return list(dict.fromkeys(k for k in keys if k is not None))

    def load(self) -> None:
        """The columns the profile uses into table ``raw``, one row per record; its rowid + 1
        is the record's ordinal (CSV: among non-blank records, as the csv module skips
        blank ones)."""
        header = reader.columns(self.path)
        used = self._used_keys()
        # dict(zip(header, record)): for a repeated column name the last one wins.
        position = {key: i for i, key in enumerate(header)}
        self.column = {key: f"k{i}" for i, key in enumerate(used)}
        select = ", ".join(f"c{position[key]} AS {self.column[key]}" for key in used)
        try:
            if reader.kind_of(self.path) == "parquet":
                described = self.con.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [str(self.path)]
                ).fetchall()
                types = [row[1] for row in described]
                if len(types) != len(header):
                    raise NotCompilable("the Parquet columns differ from the header read")
                if any(types[position[key]] != "VARCHAR" for key in used):
                    raise NotCompilable("a used Parquet column is not text")
                renamed = ", ".join(
                    f'"{row[0].replace(chr(34), chr(34) * 2)}" AS c{i}'
                    for i, row in enumerate(described)
                )
                self.con.execute(
                    f"CREATE TABLE raw AS SELECT {select} "
                    f"FROM (SELECT {renamed} FROM read_parquet(?))",
                    [str(self.path)],
                )
            else:
                columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
                compression = "gzip" if reader.kind_of(self.path) == "csv.gz" else "none"
                # The csv module skips records whose fields are all empty.
                blank = " AND ".join(f"c{i} IS NULL" for i in range(len(header)))
                self.con.execute(
                    f"CREATE TABLE raw AS SELECT {select} FROM "
                    f"read_csv(?, header = true, auto_detect = false, columns = {{{columns}}}, "
                    f"delim = ',', quote = '\"', escape = '\"', compression = '{compression}') "
                    f"WHERE NOT ({blank})",
                    [str(self.path)],
                )
        except duckdb.Error as exc:
            raise NotCompilable(
                f"DuckDB cannot read the file as the csv module does: {exc}"
            ) from exc

    # -- converting --------------------------------------------------------------------------

    def _lookup(self, fmap: FieldMap, col: str) -> str:
        """Table ``lk_<target>``: each distinct source value, mapped by the Python code."""
        table = f"lk_{fmap.target}"
        distinct = [r[0] for r in self.con.execute(f"SELECT DISTINCT {col} FROM raw").fetchall()]
        raws, values, unmapped = [], [], []
        for raw in distinct:
            if raw is None:
                continue
            key = _value_key(raw)
            if key in self.profile.missing:
                continue  # absent: handled in SQL
            value, missed = coded_value(fmap, key, raw)
            raws.append(raw)
            values.append(value)
            unmapped.append(raw.strip() if missed else None)
        kind = "BOOLEAN" if fmap.target in BOOLEAN else "VARCHAR"
        self.con.execute(
            f"CREATE TABLE {table} AS SELECT unnest($1::VARCHAR[]) AS raw, "
            f"unnest($2::{kind}[]) AS value, unnest($3::VARCHAR[]) AS unmapped",
            [raws, values, unmapped],
        )
        return table

    def convert(self) -> None:
        """Table ``conv``: one row per source row with the call's and the encounter's values,
        the skip reason if any, and per-row flags the report counts."""
        p, c, col = self.profile, self.converter, self.column
        later: list[str] = []  # the time formats' parts, parsed after the strip

        def absent(key: str | None) -> str:
            return "TRUE" if key is None else f"x_{col[key]}"

        compiled: list[list[str]] = []
        for fmt in p.formats:
            parts = format_parts(fmt)
            if parts is None:
                break  # from here on strptime decides: rows no earlier format reads go to Python
            compiled.append(parts)
        strptime_needed = len(compiled) < len(p.formats)

        # Layers of one query, each naming what the next uses.
        # For each column whether the cell means "not recorded", and the cell stripped; then
        # regex parts and look-ups.
        parsed = [f"{_missing_sql(n, p.missing)} AS x_{n}" for n in col.values()]
        parsed += [f"py_strip({n}) AS s_{n}" for n in col.values()]
        read: list[str] = [f"coalesce(s_{col[c.id_key]}, '') AS eid"]  # type: ignore[index]
        flags: list[str] = []
        instants: list[str] = []
        joins: list[str] = []
        python = [f"NOT coalesce(is_ascii({name}), TRUE)" for name in col.values()]
        times: list[str] = []

        def parse_time(name: str, key: str) -> None:
            text = f"s_{col[key]}"
            stamps = []
            for i, parts in enumerate(compiled):
                if set(parts) & {"%I", "%p"}:
                    later.append(f"{_extract_sql(text, parts)} AS g_{name}_{i}")
                    stamps.append(_stamp_sql(f"g_{name}_{i}", parts))
                else:
                    stamps.append(_strptime_sql(text, parts))
            local = f"coalesce({', '.join(stamps)})" if stamps else "NULL::TIMESTAMP"
            read.append(f"{absent(key)} AS a_{name}")
            read.append(f"CASE WHEN NOT {absent(key)} THEN {local} END AS l_{name}")
            if strptime_needed:
                python.append(f"(NOT a_{name} AND l_{name} IS NULL)")
            python.append(f"year(l_{name}) NOT BETWEEN {YEARS[0]} AND {YEARS[1]}")
            midnight = "TRUE" if p.midnight_means_missing else "FALSE"
            flags.append(
                f"(l_{name} IS NOT NULL AND {midnight} AND CAST(l_{name} AS TIME) = "
                f"TIME '00:00:00') AS m_{name}"
            )
            flags.append(f"(NOT a_{name} AND l_{name} IS NULL) AS u_{name}")
            # The fallback dates a call only when its own time is missing: converted only then.
            needed = "(l_received_at IS NULL OR m_received_at) AND " if name == "fallback" else ""
            instants.append(
                f"CASE WHEN {needed}l_{name} IS NOT NULL AND NOT m_{name} "
                f"THEN to_utc(l_{name}) END AS i_{name}"
            )
            times.append(name)

        # Which targets get a value, in profile order: a later assignment wins (convert()
        # writes values[target] in turn, keep_source_in included).
        assignments: dict[str, list[tuple[str, str]]] = {}
        # A row counts toward a field's figures only if convert() got that far in it.
        order = list(p.fields)
        counted = {
            t: "id_ok" if i <= order.index("received_at") else "id_ok AND NOT u_received_at"
            for i, t in enumerate(order)
        }
        unmapped: list[str] = []
        for target, fmap in p.fields.items():
            key = c.keys.get(target)
            default = fmap.default if fmap.default is not None else DEFAULTS.get(target)
            if fmap.value is not None:
                assignments.setdefault(target, []).append(("TRUE", _literal(fmap.value)))
                continue
            if target in TIME_FIELDS:
                if key is not None:
                    parse_time(target, key)
            elif target in CODED or target in BOOLEAN:
                present = "NULL"
                if key is not None:
                    table = self._lookup(fmap, col[key])
                    joins.append(f"LEFT JOIN {table} ON {table}.raw = raw.{col[key]}")
                    parsed += [f"{table}.value AS v_{target}", f"{table}.unmapped AS um_{target}"]
                    present = f"v_{target}"
                    unmapped.append(target)
                assignments.setdefault(target, []).append(
                    ("TRUE", f"CASE WHEN {absent(key)} THEN {_literal(default)} ELSE {present} END")
                )
            else:
                value = "NULL"
                if key is not None and target in NUMBER:
                    python.append(
                        f"(NOT {absent(key)} AND NOT regexp_full_match({col[key]}, {NUMBER_RE}))"
                    )
                    value = f"TRY_CAST(s_{col[key]} AS DOUBLE)"
                elif key is not None:
                    value = f"substring(s_{col[key]}, 1, {TEXT[target]})"
                assignments.setdefault(target, []).append(
                    (
                        f"NOT {absent(key)} OR {_literal(default)} IS NOT NULL",
                        f"CASE WHEN {absent(key)} THEN {_literal(default)} ELSE {value} END",
                    )
                )
            if fmap.keep_source_in and key is not None:
                keep = fmap.keep_source_in
                assignments.setdefault(keep, []).append(
                    (f"NOT {absent(key)}", f"substring(s_{col[key]}, 1, {TEXT[keep]})")
                )
        if c.fallback_key is not None:
            parse_time("fallback", c.fallback_key)

        received_key = c.keys["received_at"]
        assert received_key is not None  # Converter refuses a file without it
        fallback = "i_fallback" if c.fallback_key else "NULL::TIMESTAMP"
        instants.append("CASE WHEN m_received_at THEN to_utc(l_received_at) END AS pd_received")
        placeholder_date = "pd_received"
        flags.append(
            f"CASE WHEN {_missing_sql('eid', p.missing)} THEN 'id: missing' "
            "WHEN length(eid) > 64 THEN 'id: longer than 64 characters' END AS id_reason"
        )
        dated = [
            "i_received_at AS enc_received",
            f"coalesce(i_received_at, {fallback}, {placeholder_date}) AS call_received",
            f"(i_received_at IS NULL AND {fallback} IS NOT NULL) AS by_fallback",
            f"(i_received_at IS NULL AND {fallback} IS NULL AND {placeholder_date} IS NOT NULL) "
            "AS by_date",
        ]
        outputs = [
            "n",
            "eid",
            "NULL::VARCHAR AS reference",
            "python",
            "reason",
            f"CASE WHEN id_ok AND u_received_at THEN s_{col[received_key]} END AS reason_arg",
            "call_received",
            "enc_received",
        ]
        for target in sorted(TARGETS - {"received_at"}):
            if target in TIME_FIELDS:
                expr = f"i_{target}" if target in times else "NULL"
            elif target in assignments:
                whens = " ".join(f"WHEN {w} THEN {v}" for w, v in reversed(assignments[target]))
                expr = f"CASE {whens} END"
            else:
                expr = "NULL"
            outputs.append(f"CAST({expr} AS {COLUMN_TYPES.get(target, 'VARCHAR')}) AS {target}")
        for target in p.fields:
            if target in times:
                if target != "received_at":
                    outputs.append(f"({counted[target]} AND u_{target}) AS k_unreadable_{target}")
                outputs.append(f"({counted[target]} AND m_{target}) AS k_placeholder_{target}")
            if target in unmapped:
                outputs.append(
                    f"CASE WHEN {counted[target]} THEN um_{target} END AS k_unmapped_{target}"
                )
        outputs += ["(reason IS NULL AND by_fallback) AS k_by_fallback"]
        outputs += ["(reason IS NULL AND by_date) AS k_by_date"]
        for name, (start, end) in INTERVALS.items():
            a = "enc_received" if start == "received_at" else f"i_{start}"
            a = a if start in times else "NULL"
            b = f"i_{end}" if end in times else "NULL"
            outputs.append(
                f"(reason IS NULL AND {a} IS NOT NULL AND {b} IS NOT NULL AND {b} < {a}) "
                f"AS k_negative_{name}"
            )
        self.con.execute(f"""
            CREATE TABLE conv AS
            WITH z AS (SELECT raw.rowid + 1 AS n, raw.*, {", ".join(parsed)}
                       FROM raw {" ".join(joins)}),
            y AS (SELECT *, {", ".join(later) or "NULL AS nothing"} FROM z),
            a AS (SELECT *, {", ".join(read)} FROM y),
            b AS (SELECT *, {", ".join(flags)} FROM a),
            c0 AS (SELECT *, {", ".join(instants)} FROM b),
            c AS (SELECT *, {", ".join(dated)} FROM c0),
            d AS (
                SELECT *, coalesce({" OR ".join(python) or "FALSE"}, FALSE) AS python,
                    id_reason IS NULL AS id_ok,
                    CASE WHEN id_reason IS NOT NULL THEN id_reason
                        WHEN u_received_at THEN 'received_at: cannot read'
                        WHEN call_received IS NULL THEN 'received_at: missing' END AS reason
                FROM c
            )
            SELECT {", ".join(outputs)} FROM d
        """)
        self._convert_in_python()

    def _convert_in_python(self) -> None:
        """The rows SQL does not convert exactly: through Converter.convert, row by row."""
        keys = list(self.column)
        names = [self.column[k] for k in keys]
        cursor = self.con.cursor()
        cursor.execute(
            f"SELECT conv.n, {', '.join('raw.' + n for n in names)} FROM raw "
            "JOIN conv ON conv.n = raw.rowid + 1 WHERE conv.python ORDER BY conv.n"
        )
        targets = sorted(TARGETS - {"received_at"})
        fields = ["n", "eid", "reference", "reason", "call_received", "enc_received", *targets]
        rows: dict[str, list[Any]] = {f: [] for f in fields}
        while batch := cursor.fetchmany(10_000):
            for record in batch:
                row = dict(zip(keys, record[1:], strict=True))
                rows["n"].append(record[0])
                # Counted apart, row by row, to know which row counted each entry first.
                self.converter.report = scratch = Report(file="", profile="")
                try:
                    external_id, call, encounter = self.converter.convert(row)
                except RowProblem as problem:
                    external_id, call, encounter = "", {}, {}
                    rows["reason"].append(str(problem))
                else:
                    rows["reason"].append(None)
                values = call | encounter
                rows["eid"].append(external_id)
                rows["reference"].append(
                    _reference_of(self.program_pk, external_id) if external_id else None
                )
                rows["call_received"].append(_naive_utc(call.get("received_at")))
                rows["enc_received"].append(_naive_utc(encounter.get("received_at")))
                for target in targets:
                    value = values.get(target)
                    rows[target].append(_naive_utc(value) if target in TIME_FIELDS else value)
                self.report.rows_in_python += 1
                self._python_count(record[0], scratch)
        cursor.close()
        self.converter.report = self.report
        if not rows["n"]:
            return
        self.con.execute("DELETE FROM conv WHERE python")
        types = {
            "n": "BIGINT",
            "call_received": "TIMESTAMP",
            "enc_received": "TIMESTAMP",
            **{t: COLUMN_TYPES.get(t, "VARCHAR") for t in targets},
        }
        select = ", ".join(
            f"unnest(${i + 1}::{types.get(f, 'VARCHAR')}[]) AS {f}" for i, f in enumerate(fields)
        )
        self.con.execute(
            f"INSERT INTO conv BY NAME SELECT *, TRUE AS python FROM (SELECT {select})",
            [rows[f] for f in fields],
        )

    def _python_count(self, n: int, scratch: Report) -> None:
        counts = self._python_counts
        entries = [
            *((("placeholder", t), k) for t, k in scratch.placeholders.items()),
            *((("unreadable", t), k) for t, k in scratch.unreadable.items()),
            *((("negative", t), k) for t, k in scratch.negative_intervals.items()),
            (("by", "fallback"), scratch.dated_by_fallback),
            (("by", "date"), scratch.dated_by_date_only),
        ]
        for key, k in entries:
            if k:
                counts.setdefault(key, [0, n])[0] += k
        for target, values in scratch.unmapped.items():
            for value, k in values.items():
                self._python_unmapped.setdefault((target, value), [0, n])[0] += k

    # -- the report ------------------------------------------------------------------------

    def count(self, existing: set[str] | None) -> None:
        """Fill the report from ``conv`` (rows converted in Python counted themselves, through
        the converter) and make table ``todo``: the rows to write, in file order, each id once
        (its first row), without the ids in ``existing`` if it is given."""
        r, con = self.report, self.con
        r.rows_read += _one(con, "SELECT count(*) FROM raw")
        # Ids seen more than once are few: find them by grouping (a window over every id
        # would sort the whole file), then their later rows.
        con.execute(
            "CREATE TABLE dups AS SELECT conv.n, conv.eid FROM conv JOIN (SELECT eid, min(n) AS "
            "first FROM conv WHERE reason IS NULL GROUP BY eid HAVING count(*) > 1) AS twice "
            "ON conv.eid = twice.eid AND conv.n > twice.first WHERE conv.reason IS NULL"
        )
        con.execute("CREATE TABLE existing (eid VARCHAR)")
        if existing:
            con.execute("INSERT INTO existing SELECT unnest($1::VARCHAR[])", [list(existing)])
        fresh = "reason IS NULL AND n NOT IN (SELECT n FROM dups)"
        r.already_imported += _one(
            con, f"SELECT count(*) FROM conv WHERE {fresh} AND eid IN (SELECT eid FROM existing)"
        )
        # Only the numbering is stored (the values stay in conv): copying a million wide rows
        # costs more than joining each batch back.
        con.execute(
            "CREATE TABLE todo AS SELECT n, row_number() OVER (ORDER BY n) - 1 AS seq FROM conv "
            f"WHERE {fresh} AND eid NOT IN (SELECT eid FROM existing)"
        )
        skips = con.execute(
            "SELECT n, reason, reason_arg FROM conv WHERE reason IS NOT NULL "
            "UNION ALL SELECT n, 'duplicate id: ' || eid || ' appears earlier in the file', NULL "
            "FROM dups ORDER BY n"
        ).fetchall()
        examples: list[tuple[int, str]] = []
        for n, reason, arg in skips:
            if arg is not None:
                reason = f"received_at: cannot read {arg!r} as a time"
            r.skipped[reason.split(":")[0]] += 1
            if len(examples) < EXAMPLES:
                examples.append((n, reason))
        r.skipped_examples = self._numbered(examples)
        self._count_flags()

    def _count_flags(self) -> None:
        """The k_ columns, and what rows converted in Python counted, into the report's
        counters; each entry goes in when its first row comes in the file, so most_common()
        breaks ties as the Python path does."""
        r, con = self.report, self.con
        columns = [d[0] for d in con.execute("SELECT * FROM conv LIMIT 0").description]
        flags = [c for c in columns if c.startswith("k_") and not c.startswith("k_unmapped_")]
        select = ", ".join(f"count(*) FILTER (WHERE {f}), min(n) FILTER (WHERE {f})" for f in flags)
        row = con.execute(f"SELECT {select} FROM conv WHERE NOT python").fetchone()
        assert row is not None
        # (kind, name) -> [count, first row]
        found: dict[tuple[str, str], list[int]] = {}
        for i, flag in enumerate(flags):
            n, first = row[2 * i], row[2 * i + 1]
            if n:
                kind, _, name = flag.removeprefix("k_").partition("_")
                found[(kind, name)] = [n, first]
        for key, (n, first) in self._python_counts.items():
            entry = found.setdefault(key, [0, first])
            entry[0] += n
            entry[1] = min(entry[1], first)
        place = {flag: i for i, flag in enumerate(flags)}
        counters = {
            "placeholder": r.placeholders,
            "unreadable": r.unreadable,
            "negative": r.negative_intervals,
        }
        for (kind, name), (n, _) in sorted(
            found.items(), key=lambda e: (e[1][1], place.get(f"k_{e[0][0]}_{e[0][1]}", 0))
        ):
            if (kind, name) == ("by", "fallback"):
                r.dated_by_fallback += n
            elif (kind, name) == ("by", "date"):
                r.dated_by_date_only += n
            else:
                counters[kind][name] += n
        # target -> value -> [count, first row]
        unmapped: dict[str, dict[str, list[int]]] = {}
        for column in (c for c in columns if c.startswith("k_unmapped_")):
            target = column.removeprefix("k_unmapped_")
            for value, n, first in con.execute(
                f"SELECT {column}, count(*), min(n) FROM conv WHERE NOT python AND {column} "
                f"IS NOT NULL GROUP BY {column}"
            ).fetchall():
                unmapped.setdefault(target, {})[value] = [n, first]
        for (target, value), (n, first) in self._python_unmapped.items():
            entry = unmapped.setdefault(target, {}).setdefault(value, [0, first])
            entry[0] += n
            entry[1] = min(entry[1], first)
        order = list(self.profile.fields)
        for target, values in sorted(
            unmapped.items(),
            key=lambda e: (min(v[1] for v in e[1].values()), order.index(e[0])),
        ):
            counter = r.unmapped.setdefault(target, Counter())
            for value, (n, _) in sorted(values.items(), key=lambda e: e[1][1]):
                counter[value] += n

    def _numbered(self, examples: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Ordinals to CSV line numbers, as the csv module counts them (a quoted field may
        span lines), reading the file only as far as the last example."""
        if not examples or reader.kind_of(self.path) == "parquet":
            return examples
        if reader.kind_of(self.path) == "csv" and self._one_line_per_record():
            return [(n + 1, reason) for n, reason in examples]
        wanted = {n for n, _ in examples}
        lines: dict[int, int] = {}
        for ordinal, (line, _) in enumerate(reader.rows(self.path), start=1):
            if ordinal in wanted:
                lines[ordinal] = line
                if len(lines) == len(wanted):
                    break
        return [(lines.get(n, n), reason) for n, reason in examples]

    def _one_line_per_record(self) -> bool:
        """Whether every line after the header is one record: no blank lines, no quoted
        line breaks (then a record's line is its ordinal + 1, without reading the file)."""
        lines, last = 0, b"\n"
        with open(self.path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        lines += last != b"\n"
        return bool(lines == _one(self.con, "SELECT count(*) FROM raw") + 1)

    # -- writing ---------------------------------------------------------------------------

    def todo_count(self) -> int:
        return int(_one(self.con, "SELECT count(*) FROM todo"))

    def export(
        self,
        low: int,
        high: int,
        ids: list[int],
        *,
        now: datetime,
        program_pk: int,
        agency_pk: int,
        every_row_an_encounter: bool,
    ) -> tuple[Export, Export]:
        """Rows ``low`` to ``high`` of ``todo`` as two CSV files for COPY: the calls (with
        ``ids``) and their encounters. The values are those importer._write gives a row:
        the model's defaults where the profile gave nothing, the call closed as history."""
        from corespond.field.models import Encounter
        from corespond.intake.models import Call

        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE ids AS SELECT unnest($1::BIGINT[]) AS id, "
            "unnest(range($2::BIGINT, $3::BIGINT)) AS seq",
            [ids, low, high],
        )
        prefix = f"X{program_pk}-"
        reference = (
            f"coalesce(reference, CASE WHEN length({_literal(prefix)} || eid) <= 32 AND "
            f"regexp_full_match({_literal(prefix)} || eid, '[A-Za-z0-9_.-]+') "
            f"THEN {_literal(prefix)} || eid ELSE {_literal(prefix + 'h')} || "
            "left(sha1(eid), 20) END)"
        )
        stamp = _literal(now)
        call_values = {
            "id": "ids.id",
            "program_id": str(program_pk),
            "agency_id": str(agency_pk),
            "reference": reference,
            "received_at": "call_received",
            "status": _literal(Call.Status.CLOSED),
            "closed_at": f"least(coalesce(cleared_at, call_received), {stamp})",
            "external_id": "eid",
            "call_type": f"coalesce(call_type, {_literal(CallType.OTHER)})",
        }
        encounter_values = {
            "call_id": "ids.id",
            "received_at": "enc_received",
            "external_id": "eid",
        }
        wanted = "TRUE"
        if not every_row_an_encounter:
            wanted = " OR ".join(f"{t} IS NOT NULL" for t in TIME_FIELDS if t != "received_at")
        where = f"todo.seq >= {low} AND todo.seq < {high}"
        calls = self._export_csv(Call, call_values, ENCOUNTER_FIELDS, where, now, "calls")
        encounters = self._export_csv(
            Encounter,
            encounter_values,
            TARGETS - ENCOUNTER_FIELDS,
            f"{where} AND ({wanted})",
            now,
            "encounters",
        )
        return calls, encounters

    def _export_csv(
        self,
        model: Any,
        values: dict[str, str],
        not_here: frozenset[str],
        where: str,
        now: datetime,
        name: str,
    ) -> Export:
        select, columns = [], []
        for f in model._meta.concrete_fields:
            if f.primary_key and f.attname not in values:
                continue  # the table's identity gives it
            if f.attname in values:
                expr = values[f.attname]
            elif f.attname in TARGETS and f.attname not in not_here:
                expr = f"coalesce({f.attname}, {_literal(f.get_default())})"
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                expr = _literal(now)
            else:
                expr = _literal(f.get_default())
            if f.get_internal_type() == "DateTimeField":
                expr = f"strftime({expr}, '%Y-%m-%d %H:%M:%S.%f') || '+00'"
            select.append(f"{expr} AS {f.column}")
            columns.append(f.column)
        path = self.folder / f"{name}.csv"
        row = self.con.execute(
            f"COPY (SELECT {', '.join(select)} FROM todo JOIN ids USING (seq) JOIN conv USING (n) "
            f"WHERE {where}) "
            f"TO '{path}' (FORMAT csv, HEADER false)"
        ).fetchone()
        return Export(path=path, columns=columns, rows=int(row[0]) if row else 0)

    def items(self, size: int) -> Iterator[list[tuple[str, dict[str, Any], dict[str, Any]]]]:
        """The rows to write as the Python path's items, ``size`` at a time, in file order."""
        targets = sorted(TARGETS - {"received_at"})
        cursor = self.con.cursor()
        cursor.execute(
            f"SELECT eid, call_received, enc_received, {', '.join(targets)} "
            "FROM todo JOIN conv USING (n) ORDER BY seq"
        )
        while batch := cursor.fetchmany(size):
            items = []
            for eid, call_received, enc_received, *values in batch:
                call: dict[str, Any] = {"received_at": _aware(call_received)}
                encounter: dict[str, Any] = {"received_at": _aware(enc_received)}
                for target, value in zip(targets, values, strict=True):
                    if value is None:
                        continue
                    if target in TIME_FIELDS:
                        value = _aware(value)
                    (encounter if target in ENCOUNTER_FIELDS else call)[target] = value
                items.append((eid, call, encounter))
            yield items
        cursor.close()


def _reference_of(program_pk: int, external_id: str) -> str:
    class _Program:
        pk = program_pk

    return _reference(_Program(), external_id)  # type: ignore[arg-type]


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)
