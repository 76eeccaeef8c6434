"""Import a CAD or encounter export through a profile: streamed, batched, idempotent.

Each row becomes a call (and, for encounter exports or rows with encounter times, its
encounter). A row is checked whole before anything of it is written, so a bad row is skipped
with its reason and never half-written. Rows are written in batches, each batch in one
transaction: a crash mid-file leaves whole rows only, and a re-run skips what is already there
(rows are matched on the profile's id column within the program) and completes the file.

Rows are converted in DuckDB where the profile compiles to SQL (compiled.py), by Converter
below otherwise; both give the same rows and the same report.

``bulk=True`` (PostgreSQL, compiled path) is for a first load of history: the whole file is
one transaction; the tables' indexes, unique constraints and foreign keys (all but the
primary keys) are set aside inside it and put back once at the end, each checked whole in one
pass, which is cheaper than keeping them up to date and checking them row by row. A row the
constraints refuse then undoes the whole file, with the constraint's name. The price is that
the calls and encounters tables are locked against every other reader until it ends (and the
tables their keys point at against writers: users, teams, assignments), and a crash keeps
nothing (everything set aside comes back with the rollback; a re-run starts over).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from psycopg import sql as psycopg_sql

from corespond.core.access import Action, audit_event, system
from corespond.core.models import Agency, Program
from corespond.core.vocab import CallType
from corespond.field.models import INTERVALS, Encounter
from corespond.imports import reader
from corespond.imports.profile import (
    BOOLEAN,
    CODED,
    DEFAULTS,
    ENCOUNTER_FIELDS,
    ENCOUNTER_TIME_FIELDS,
    NUMBER,
    TEXT,
    TIME_FIELDS,
    FieldMap,
    Profile,
    _value_key,
)
from corespond.intake.models import Call

BATCH_SIZE = 2000
# Rows per transaction when the compiled path COPYs into PostgreSQL: COPY's cost per
# statement is small, but each batch costs a DuckDB export and a commit.
COPY_BATCH_SIZE = 100_000
# One row, converted: (source id, call fields, encounter fields).
Item = tuple[str, dict[str, Any], dict[str, Any]]
EXAMPLES = 20
FALLBACK = "received_at fallback"
TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f"}


class RowProblem(ValueError):
    """This row cannot be imported; the message names the field."""


class FileProblem(ValueError):
    """The file does not fit the profile (a required column is absent); nothing is read."""


@dataclass
class Report:
    """What an import did, for the person running it (printed at the end, or as JSON)."""

    file: str
    profile: str
    rows_read: int = 0
    written: int = 0
    encounters_written: int = 0
    already_imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_examples: list[tuple[int, str]] = field(default_factory=list)
    unmapped: dict[str, Counter[str]] = field(default_factory=dict)
    placeholders: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[str] = field(default_factory=Counter)
    dated_by_fallback: int = 0
    dated_by_date_only: int = 0
    negative_intervals: Counter[str] = field(default_factory=Counter)
    columns_absent: list[str] = field(default_factory=list)
    # How the rows were converted: "compiled" (DuckDB SQL, with rows_in_python rows it could
    # not convert exactly handed to the Python converter) or "python" (every row).
    engine: str = "python"
    rows_in_python: int = 0
    # Written as one transaction, indexes and keys put back at the end (Importer.bulk).
    bulk: bool = False

    def skip(self, number: int, reason: str) -> None:
        self.skipped[reason.split(":")[0]] += 1
        if len(self.skipped_examples) < EXAMPLES:
            self.skipped_examples.append((number, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "profile": self.profile,
            "rows_read": self.rows_read,
            "written": self.written,
            "encounters_written": self.encounters_written,
            "already_imported": self.already_imported,
            "skipped": dict(self.skipped),
            "skipped_examples": [{"row": n, "reason": r} for n, r in self.skipped_examples],
            "unmapped": {k: dict(v.most_common()) for k, v in self.unmapped.items()},
            "placeholders": dict(self.placeholders),
            "unreadable": dict(self.unreadable),
            "dated_by_fallback": self.dated_by_fallback,
            "dated_by_date_only": self.dated_by_date_only,
            "negative_intervals": dict(self.negative_intervals),
            "columns_absent": self.columns_absent,
            "engine": self.engine,
            "rows_in_python": self.rows_in_python,
            "bulk": self.bulk,
        }

    def lines(self) -> list[str]:
        out = [
            f"{self.file} with profile {self.profile}",
            f"  rows read          {self.rows_read:,}",
            f"  written            {self.written:,} calls, {self.encounters_written:,} encounters",
            f"  already imported   {self.already_imported:,} (unchanged)",
            f"  skipped            {sum(self.skipped.values()):,}",
        ]
        out += [f"    {reason}: {n:,}" for reason, n in self.skipped.most_common()]
        out += [f"    e.g. row {n}: {reason}" for n, reason in self.skipped_examples[:5]]
        for target, values in self.unmapped.items():
            total = sum(values.values())
            top = ", ".join(f"{v!r} ({n:,})" for v, n in values.most_common(8))
            out.append(f"  unmapped {target}: {total:,} rows took the default; {top}")
        for target, n in self.placeholders.most_common():
            out.append(f"  placeholder times read as missing, {target}: {n:,}")
        if self.dated_by_fallback:
            out.append(
                f"  received time missing, call dated by the fallback column: "
                f"{self.dated_by_fallback:,} (their queue and response times stay unknown)"
            )
        if self.dated_by_date_only:
            out.append(
                f"  only a date known, call dated 00:00 that day: {self.dated_by_date_only:,} "
                "(no interval is computed from it)"
            )
        for target, n in self.unreadable.most_common():
            out.append(f"  unreadable values read as missing, {target}: {n:,}")
        for name, n in self.negative_intervals.most_common():
            out.append(f"  negative {name} interval (kept, excluded from metrics): {n:,}")
        if self.columns_absent:
            out.append(f"  profile columns not in the file: {', '.join(self.columns_absent)}")
        if self.bulk:
            out.append(
                "  written in one transaction, indexes and keys put back once at the end (bulk)"
            )
        return out


# strptime directives a compiled pattern handles (the common ones of CAD exports); a format
# with any other directive is parsed by strptime itself.
_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})",
    "%I": r"(?P<I>\d{1,2})",
    "%M": r"(?P<M>\d{1,2})",
    "%S": r"(?P<S>\d{1,2})",
    "%p": r"(?P<p>[AaPp][Mm])",
}


def format_parts(fmt: str) -> list[str] | None:
    """The pieces of ``fmt`` (directives and literal text) if a compiled pattern can read it:
    only the directives above, the year exactly once. None otherwise (strptime reads it)."""
    parts = [p for p in re.split(r"(%.)", fmt) if p]
    if all(p in _DIRECTIVES or not p.startswith("%") for p in parts) and parts.count("%Y") == 1:
        return parts
    return None


def _time_parser(fmt: str) -> Callable[[str], datetime | None]:
    """A parser for one format: a compiled pattern where it can (strptime is slow: it takes
    most of an import's time otherwise), strptime where it cannot. None if no match."""
    parts = format_parts(fmt)
    if parts is not None:
        pattern = re.compile("".join(_DIRECTIVES.get(p, re.escape(p)) for p in parts) + r"\Z")

        def compiled(text: str) -> datetime | None:
            match = pattern.match(text)
            if match is None:
                return None
            g = match.groupdict()
            hour = int(g.get("H") or g.get("I") or 0)
            if g.get("p"):
                hour = hour % 12 + (12 if g["p"].lower() == "pm" else 0)
            try:
                return datetime(
                    int(g["Y"]),
                    int(g.get("m") or 1),
                    int(g.get("d") or 1),
                    hour,
                    int(g.get("M") or 0),
                    int(g.get("S") or 0),
                )
            except ValueError:
                return None  # 2/30/2026, 25:00: not a time

        return compiled

    def fallback(text: str) -> datetime | None:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            return None

    return fallback


def _reference(program: Program, external_id: str) -> str:
    """A call reference unique across programs, stable for the same source id."""
    ref = f"X{program.pk}-{external_id}"
    if len(ref) <= 32 and re.fullmatch(r"[\w.-]+", ref):
        return ref
    digest = hashlib.sha1(external_id.encode()).hexdigest()[:20]
    return f"X{program.pk}-h{digest}"


def coded_value(fmap: FieldMap, key: str, raw: str) -> tuple[Any, bool]:
    """The value a present source value takes for a coded or yes/no field, and whether no map
    entry matched it (it then takes the default and is counted as unmapped)."""
    if key in fmap.map:
        return fmap.map[key], False
    if not fmap.map and fmap.target in CODED and raw.strip() in CODED[fmap.target]:
        return raw.strip(), False
    if not fmap.map and fmap.target in BOOLEAN:
        if key in TRUE:
            return True, False
        if key in FALSE:
            return False, False
    default = fmap.default if fmap.default is not None else DEFAULTS.get(fmap.target, False)
    return default, True


class Converter:
    """Turns one source row into the fields of a call and an encounter."""

    def __init__(self, profile: Profile, header: Iterable[str], report: Report) -> None:
        self.profile, self.report = profile, report
        present = set(header)
        self.id_key = next((c for c in profile.id_columns if c in present), None)
        if self.id_key is None:
            raise FileProblem(f"id: none of the columns {profile.id_columns} is in the file")
        self.keys: dict[str, str | None] = {}
        for target, fmap in profile.fields.items():
            key = next((c for c in fmap.columns if c in present), None)
            self.keys[target] = key
            if fmap.columns and key is None:
                report.columns_absent.append(f"{target} ({' / '.join(fmap.columns)})")
        if self.keys.get("received_at") is None and profile.fields["received_at"].columns:
            raise FileProblem("received_at: its column is not in the file")
        fallback = profile.fields["received_at"].fallback
        self.fallback_key = next((c for c in fallback if c in present), None)
        self._parsers = [_time_parser(fmt) for fmt in profile.formats]
        self._placeholder_date: dict[str, datetime] = {}
        # Source values repeat (a handful of outcomes, towns, call types): match each once.
        self._key = functools.lru_cache(maxsize=65_536)(_value_key)

    def _time(self, target: str, raw: Any) -> datetime | None:
        parsed: datetime | None = raw if isinstance(raw, datetime) else None
        if parsed is None:
            text = str(raw).strip()
            for parse in self._parsers:
                parsed = parse(text)
                if parsed is not None:
                    break
            if parsed is None:
                if target == "received_at":
                    raise RowProblem(f"received_at: cannot read {text!r} as a time")
                if target != FALLBACK:
                    self.report.unreadable[target] += 1
                return None
        if self.profile.midnight_means_missing and parsed.time() == time(0, 0):
            if target != FALLBACK:  # the same cell is counted under its own field
                self.report.placeholders[target] += 1
            # The date is still true: it may date the call when no time is known at all.
            self._placeholder_date[target] = parsed.replace(tzinfo=self.profile.timezone)
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.profile.timezone)
        return parsed

    def _coded(self, fmap: FieldMap, raw: str) -> Any:
        value, unmapped = coded_value(fmap, self._key(raw), raw)
        if unmapped:
            self.report.unmapped.setdefault(fmap.target, Counter())[raw.strip()] += 1
        return value

    def convert(self, row: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        assert self.id_key is not None
        external_id = str(row.get(self.id_key) or "").strip()
        if not external_id or self._key(external_id) in self.profile.missing:
            raise RowProblem("id: missing")
        if len(external_id) > 64:
            raise RowProblem("id: longer than 64 characters")
        values: dict[str, Any] = {}
        self._placeholder_date.clear()
        for target, fmap in self.profile.fields.items():
            if fmap.value is not None:
                values[target] = fmap.value
                continue
            key = self.keys[target]
            raw = row.get(key) if key else None
            absent = raw is None or (
                not isinstance(raw, datetime) and self._key(raw) in self.profile.missing
            )
            if target in TIME_FIELDS:
                values[target] = None if absent else self._time(target, raw)
            elif absent:
                if fmap.default is not None:
                    values[target] = fmap.default
                elif target in DEFAULTS:
                    values[target] = DEFAULTS[target]
            elif target in CODED or target in BOOLEAN:
                values[target] = self._coded(fmap, str(raw))
            elif target in NUMBER:
                try:
                    values[target] = float(str(raw))
                except (TypeError, ValueError):
                    self.report.unreadable[target] += 1
            else:
                values[target] = str(raw).strip()[: TEXT[target]]
            if fmap.keep_source_in and not absent:
                values[fmap.keep_source_in] = str(raw).strip()[: TEXT[fmap.keep_source_in]]
        encounter_received = values.get("received_at")
        if values.get("received_at") is None and self.fallback_key is not None:
            raw = row.get(self.fallback_key)
            if raw is not None and self._key(raw) not in self.profile.missing:
                values["received_at"] = self._time(FALLBACK, raw)
                if values["received_at"] is not None:
                    self.report.dated_by_fallback += 1
        if values.get("received_at") is None and "received_at" in self._placeholder_date:
            # Only the date is known ("8/20/2024 0:00"): the call is dated, no time is made up.
            values["received_at"] = self._placeholder_date["received_at"]
            self.report.dated_by_date_only += 1
        if values.get("received_at") is None:
            raise RowProblem("received_at: missing")
        for name, (start, end) in INTERVALS.items():
            a, b = values.get(start), values.get(end)
            if start == "received_at":
                a = encounter_received
            if a is not None and b is not None and b < a:
                self.report.negative_intervals[name] += 1
        call = {k: v for k, v in values.items() if k not in ENCOUNTER_FIELDS}
        encounter = {k: v for k, v in values.items() if k in ENCOUNTER_FIELDS}
        encounter["received_at"] = encounter_received
        return external_id, call, encounter


class Importer:
    """Runs one file through a profile into the program's calls and encounters.

    ``engine``: "auto" converts rows in DuckDB (compiled.py) and falls back to the Python
    converter for a profile or file it cannot compile; "python" and "compiled" force one.
    """

    def __init__(
        self,
        profile: Profile,
        program: Program,
        agency: Agency,
        *,
        batch_size: int | None = None,
        engine: str = "auto",
        bulk: bool = False,
    ) -> None:
        if engine not in ("auto", "python", "compiled"):
            raise ValueError(f"engine: auto, python or compiled, not {engine!r}")
        self.profile, self.program, self.agency = profile, program, agency
        self.batch_size, self.engine, self.bulk = batch_size, engine, bulk

    def _wants_encounter(self, encounter: dict[str, Any]) -> bool:
        if self.profile.kind == "encounters":
            return True
        return any(encounter.get(f) is not None for f in ENCOUNTER_TIME_FIELDS)

    def run(
        self,
        path: Path,
        *,
        progress: Callable[[Any], Any] | None = None,
        stage: Callable[[str], Any] | None = None,
    ) -> Report:
        """Import ``path``; ``progress`` is told how many rows each step finished, ``stage``
        what the import is doing when that is not rows (building indexes, say)."""
        report = None
        if self.engine != "python":
            report = self._run_compiled(path, progress, stage)
        if report is None:
            report = self._run_python(path, progress)
        audit_event(
            user="import",
            action=Action.CREATE,
            model=Call,
            ids=[],
            purpose=f"import {path.name[:40]} ({self.profile.name})"[:64],
        )
        return report

    def _run_python(self, path: Path, progress: Callable[[Any], Any] | None) -> Report:
        report = Report(file=path.name, profile=self.profile.name)
        converter = Converter(self.profile, reader.columns(path), report)
        batch_size = self.batch_size or BATCH_SIZE
        seen: set[str] = set()
        batch: list[Item] = []
        for number, row in reader.rows(path):
            report.rows_read += 1
            try:
                external_id, call, encounter = converter.convert(row)
            except RowProblem as problem:
                report.skip(number, str(problem))
            else:
                if external_id in seen:
                    report.skip(number, f"duplicate id: {external_id} appears earlier in the file")
                else:
                    seen.add(external_id)
                    batch.append((external_id, call, encounter))
            if len(batch) >= batch_size:
                self._write(batch, report)
                batch = []
            if progress is not None:
                progress(1)
        if batch:
            self._write(batch, report)
        return report

    def _run_compiled(
        self,
        path: Path,
        progress: Callable[[Any], Any] | None,
        stage: Callable[[str], Any] | None = None,
    ) -> Report | None:
        """The compiled path; None if this profile or file needs the Python path (nothing has
        been written then)."""
        from corespond.imports.compiled import Compiled, NotCompilable

        report = Report(file=path.name, profile=self.profile.name, engine="compiled")
        try:
            job = Compiled(self.profile, path, report, self.program.pk)
        except NotCompilable:
            if self.engine == "compiled":
                raise
            return None
        try:
            try:
                job.load()
            except NotCompilable:
                if self.engine == "compiled":
                    raise
                return None
            job.convert()
            copy = connection.vendor == "postgresql"
            job.count(self._existing_ids() if copy else None)
            if progress is not None:
                progress(report.rows_read - job.todo_count())
            if copy and self.bulk:
                report.bulk = True
                with transaction.atomic():
                    rebuild = _set_aside_indexes_and_keys([Call, Encounter])
                    self._copy_compiled(job, report, progress)
                    if stage is not None:
                        stage(f"building {len(rebuild)} indexes and keys")
                    with connection.cursor() as cursor:
                        # PostgreSQL builds no index on a table with deferred foreign-key
                        # checks pending: run them now (they would run at the commit).
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        for statement in rebuild:
                            cursor.execute(statement)
                        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's own default
            elif copy:
                self._copy_compiled(job, report, progress)
            else:
                for items in job.items(self.batch_size or BATCH_SIZE):
                    self._write(items, report)
                    if progress is not None:
                        progress(len(items))
        finally:
            job.close()
        return report

    def _existing_ids(self) -> set[str]:
        rows = system(
            Call.objects.filter(program=self.program).exclude(external_id=""),
            reason=f"import {self.profile.name}: skip rows already imported",
        ).values_list("external_id", flat=True)
        return set(rows.iterator(chunk_size=20_000))

    def _copy_compiled(
        self, job: Any, report: Report, progress: Callable[[Any], Any] | None
    ) -> None:
        """PostgreSQL: each batch's calls and encounters as CSV from DuckDB into COPY, in one
        transaction, call ids reserved from the sequence first so encounters can name them."""
        total, size = job.todo_count(), self.batch_size or COPY_BATCH_SIZE
        call_table = Call._meta.db_table
        for low in range(0, total, size):
            high = min(low + size, total)
            with transaction.atomic(), connection.cursor() as wrapper:
                cursor = wrapper.cursor
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [call_table, high - low],
                )
                ids = [row[0] for row in cursor.fetchall()]
                calls, encounters = job.export(
                    low,
                    high,
                    ids,
                    now=timezone.now(),
                    program_pk=self.program.pk,
                    agency_pk=self.agency.pk,
                    every_row_an_encounter=self.profile.kind == "encounters",
                )
                _copy_file(cursor, Call, calls.columns, calls.path)
                _copy_file(cursor, Encounter, encounters.columns, encounters.path)
            report.written += high - low
            report.encounters_written += encounters.rows
            if progress is not None:
                progress(high - low)

    @transaction.atomic
    def _write(
        self, batch: list[tuple[str, dict[str, Any], dict[str, Any]]], report: Report
    ) -> None:
        ids = [external_id for external_id, _, _ in batch]
        existing = set(
            system(
                Call.objects.filter(program=self.program, external_id__in=ids),
                reason=f"import {self.profile.name}: skip rows already imported",
            ).values_list("external_id", flat=True)
        )
        report.already_imported += len(existing)
        new = [item for item in batch if item[0] not in existing]
        if not new:
            return
        now = timezone.now()
        call_rows: list[dict[str, Any]] = []
        encounter_rows: list[dict[str, Any]] = []
        for external_id, call, encounter in new:
            closed = encounter.get("cleared_at") or call["received_at"]
            call_rows.append(
                {"call_type": CallType.OTHER, "address": ""}
                | {k: v for k, v in call.items() if v is not None}
                | {
                    "program_id": self.program.pk,
                    "agency_id": self.agency.pk,
                    "reference": _reference(self.program, external_id),
                    "external_id": external_id,
                    "status": Call.Status.CLOSED,
                    "closed_at": closed if closed <= now else now,
                }
            )
            encounter_rows.append(
                {k: v for k, v in encounter.items() if v is not None} | {"external_id": external_id}
                if self._wants_encounter(encounter)
                else {}
            )
        if connection.vendor == "postgresql":
            call_ids = _copy_rows(Call, call_rows)
        else:
            calls = [Call(**row) for row in call_rows]
            Call.objects.bulk_create(calls, batch_size=self.batch_size)
            call_ids = [c.pk for c in calls]
        wanted = [
            row | {"call_id": call_id}
            for call_id, row in zip(call_ids, encounter_rows, strict=True)
            if row
        ]
        if connection.vendor == "postgresql":
            _copy_rows(Encounter, wanted)
        else:
            Encounter.objects.bulk_create(
                [Encounter(**row) for row in wanted], batch_size=self.batch_size
            )
        report.written += len(call_rows)
        report.encounters_written += len(wanted)


def _copy_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (attribute name -> Python value) with PostgreSQL's COPY, ids taken from
    the table's sequence first; returns the ids in order.

    Django's bulk_create spends most of an import preparing each value of each model
    instance; COPY hands psycopg the plain values. Defaults are the model fields' own. Only
    for models without JSON or custom-typed fields (calls and encounters).
    """
    if not rows:
        return []
    table = model._meta.db_table
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    defaults = {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg_sql.Identifier(table),
            psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(f.column) for f in fields),
        )
        with cursor.copy(statement) as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row(
                    [
                        pk if f.primary_key else row.get(f.attname, defaults[f.attname])
                        for f in fields
                    ]
                )
    return ids


def _set_aside_indexes_and_keys(tables: list[type[models.Model]]) -> list[str]:
    """PostgreSQL, inside the caller's transaction: drop the tables' foreign keys, unique
    constraints and indexes (all but the primary keys and what other tables' keys lean on),
    and return the statements that put them back, each checked whole in one pass: indexes
    and unique constraints first, then the foreign keys. Dropping takes each table's
    exclusive lock until the transaction ends."""
    rebuild: list[str] = []
    keys: list[str] = []
    with connection.cursor() as cursor:
        # No table's constraints can change with foreign-key checks of earlier writes in the
        # same transaction still pending: run them first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in tables:
            table = model._meta.db_table
            quoted = psycopg_sql.Identifier(table)
            # Foreign keys and unique constraints, except those another table's key refers to.
            cursor.execute(
                """
                SELECT c.conname, c.contype, pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                WHERE c.conrelid = %s::regclass AND c.contype IN ('f', 'u')
                  AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid
                      AND r.confrelid = c.conrelid AND c.contype = 'u')
                ORDER BY c.conname
                """,
                [table],
            )
            for name, kind, definition in cursor.fetchall():
                cursor.execute(
                    psycopg_sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                        quoted, psycopg_sql.Identifier(name)
                    )
                )
                add = (
                    psycopg_sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ")
                    .format(quoted, psycopg_sql.Identifier(name))
                    .as_string(cursor.cursor.connection)
                    + definition
                )
                (keys if kind == "f" else rebuild).append(add)
            # Indexes behind no constraint (what is left of them now).
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(i.oid)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
                ORDER BY i.relname
                """,
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(
                    psycopg_sql.SQL("DROP INDEX {}").format(psycopg_sql.Identifier(name))
                )
                rebuild.append(definition)
        # Each build sorts in memory rather than in temporary files where it fits.
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    return rebuild + keys


def _copy_file(cursor: Any, model: type[models.Model], columns: list[str], path: Path) -> None:
    """COPY a CSV file written by DuckDB into ``model``'s table. Text columns are NOT NULL
    here, so an unquoted empty field is an empty string, not NULL."""
    text = {
        f.column
        for f in model._meta.concrete_fields
        if f.get_internal_type() in ("CharField", "TextField")
    }
    force = [c for c in columns if c in text]
    options: psycopg_sql.Composable = psycopg_sql.SQL("FORMAT csv")
    if force:
        options = psycopg_sql.SQL("FORMAT csv, FORCE_NOT_NULL ({})").format(
            psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(c) for c in force)
        )
    statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN ({})").format(
        psycopg_sql.Identifier(model._meta.db_table),
        psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(c) for c in columns),
        options,
    )
    with cursor.copy(statement) as copy, open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
