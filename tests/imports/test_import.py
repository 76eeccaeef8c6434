"""Importing exports through profiles: mapping, the quality report, idempotency, crashes."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from corespond.core.access import system
from corespond.field.models import Encounter
from corespond.imports import profile as profiles
from corespond.imports.importer import FileProblem, Importer
from corespond.intake.models import Call

PROFILE = {
    "name": "test-cad",
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
        "contact_outcome": {
            "column": "Result",
            "map": {"Engaged": "engaged", "UTL": "unable_to_locate"},
        },
        "disposition": {
            "column": "Outcome",
            "keep_source_in": "disposition_text",
            "map": {"Home": "remained_in_community", "ED": "emergency_department"},
        },
    },
}
HEADER = "Incident No,Call Received,Sent,On Scene,Clear,Town,Result,Outcome\n"
ROWS = [
    "A1,3/1/2026 10:00,3/1/2026 10:05,3/1/2026 10:20,3/1/2026 11:00,Eugene,Engaged,Home",
    "A2,3/1/2026 12:00,3/1/2026 12:02,3/1/2026 0:00,3/1/2026 13:00,,UTL,ED",  # placeholder
    "A3,not a time,3/1/2026 12:02,,,Eugene,Engaged,Home",  # unreadable: skipped
    "A1,3/1/2026 14:00,,,,Eugene,Engaged,Home",  # duplicate id: skipped
    ",3/1/2026 15:00,,,,Eugene,Engaged,Home",  # no id: skipped
    "A4,N/A,3/1/2026 16:10,3/1/2026 16:00,,Eugene,Refused,Jail",  # fallback; negative travel
    "A5,3/2/2026 0:00,3/2/2026 0:00,,,Eugene,Engaged,Home",  # only a date
]


def write(tmp_path: Path, rows: list[str] = ROWS, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def importer(
    world, batch_size: int | None = None, engine: str = "auto", bulk: bool = False
) -> Importer:
    return Importer(
        profiles.parse(PROFILE),
        world.program,
        world.riverton,
        batch_size=batch_size,
        engine=engine,
        bulk=bulk,
    )


def calls() -> dict[str, Call]:
    return {c.external_id: c for c in system(Call.objects.all(), reason="test")}


def encounters() -> dict[str, Encounter]:
    return {e.external_id: e for e in system(Encounter.objects.all(), reason="test")}


def test_rows_are_mapped_and_the_report_says_what_happened(world, tmp_path) -> None:
    report = importer(world).run(write(tmp_path))
    assert (report.rows_read, report.written, report.encounters_written) == (7, 4, 4)
    assert report.skipped == {"received_at": 1, "duplicate id": 1, "id": 1}
    assert report.skipped_examples[0] == (4, "received_at: cannot read 'not a time' as a time")
    assert report.placeholders == {"arrived_at": 1, "received_at": 1, "dispatched_at": 1}
    assert report.dated_by_fallback == 1 and report.dated_by_date_only == 1
    assert report.negative_intervals == {"travel": 1}
    assert report.unmapped == {"contact_outcome": {"Refused": 1}, "disposition": {"Jail": 1}}
    c, e = calls(), encounters()
    assert set(c) == {"A1", "A2", "A4", "A5"}
    a1 = e["A1"]
    assert (a1.contact_outcome, a1.disposition, a1.disposition_text) == (
        "engaged",
        "remained_in_community",
        "Home",
    )
    assert a1.interval_minutes("response") == 20
    assert c["A1"].received_at.isoformat() == "2026-03-01T18:00:00+00:00"  # 10:00 PST
    assert c["A2"].address == "County" and e["A2"].arrived_at is None
    # Dated by the dispatch time, but no queue or response interval is made up.
    assert e["A4"].received_at is None and c["A4"].received_at == e["A4"].dispatched_at
    assert (e["A4"].contact_outcome, e["A4"].disposition) == ("unknown", "unknown")
    assert e["A4"].disposition_text == "Jail"
    assert c["A5"].received_at.isoformat() == "2026-03-02T08:00:00+00:00"
    assert e["A5"].received_at is None


def test_the_same_file_twice_changes_nothing(world, tmp_path) -> None:
    path = write(tmp_path)
    importer(world).run(path)
    before = {k: (v.received_at, v.address) for k, v in calls().items()}
    again = importer(world).run(path)
    assert (again.written, again.already_imported) == (0, 4)
    assert {k: (v.received_at, v.address) for k, v in calls().items()} == before
    assert len(encounters()) == 4


def test_gzip_and_parquet_give_the_same_records(world, tmp_path) -> None:
    import duckdb

    plain = write(tmp_path)
    gz = tmp_path / "export.csv.gz"
    with open(plain, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    parquet = tmp_path / "export.parquet"
    source = f"SELECT * FROM read_csv('{plain}', all_varchar=true)"
    duckdb.sql(f"COPY ({source}) TO '{parquet}' (FORMAT parquet)")
    results = []
    for path in (plain, gz, parquet):
        system(Encounter.objects.all(), reason="test", action="change").delete()
        system(Call.objects.all(), reason="test", action="change").delete()
        report = importer(world).run(path)
        results.append((report.written, report.skipped, sorted(calls()), report.negative_intervals))
        assert report.engine == "compiled"
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_a_crash_mid_file_leaves_whole_rows_and_a_rerun_completes(
    world, tmp_path, monkeypatch, engine
) -> None:
    """The second batch's encounters fail to write after its calls went in (on SQLite through
    bulk_create, on PostgreSQL through COPY): that batch's calls must go too."""
    from corespond.imports import importer as module

    path = write(tmp_path)
    real_bulk, real_copy, real_file = (
        Encounter.objects.bulk_create,
        module._copy_rows,
        module._copy_file,
    )
    encounter_writes = {"n": 0}

    def crash_on_second_encounter_batch() -> None:
        encounter_writes["n"] += 1
        if encounter_writes["n"] == 2:
            raise OSError("disk full")

    def bulk(objs, *args, **kwargs):
        crash_on_second_encounter_batch()
        return real_bulk(objs, *args, **kwargs)

    def copy(model, rows):
        if model is Encounter:
            crash_on_second_encounter_batch()
        return real_copy(model, rows)

    def copy_file(cursor, model, columns, csv_path):
        if model is Encounter:
            crash_on_second_encounter_batch()
        return real_file(cursor, model, columns, csv_path)

    monkeypatch.setattr(Encounter.objects, "bulk_create", bulk)
    monkeypatch.setattr(module, "_copy_rows", copy)
    monkeypatch.setattr(module, "_copy_file", copy_file)
    with pytest.raises(OSError):
        importer(world, batch_size=2, engine=engine).run(path)
    monkeypatch.undo()
    # The first batch (two rows) is in, whole; the failed batch left nothing behind.
    assert sorted(calls()) == sorted(encounters()) == ["A1", "A2"]
    report = importer(world, batch_size=2, engine=engine).run(path)
    assert (report.written, report.already_imported) == (2, 2)
    assert sorted(calls()) == sorted(encounters()) == ["A1", "A2", "A4", "A5"]


def _indexes() -> dict[str, str]:
    """The calls and encounters tables' indexes and constraints, by name."""
    tables = [Call._meta.db_table, Encounter._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s)", tables
        )
        found = dict(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid IN (%s::regclass, %s::regclass)",
            tables,
        )
        found.update(cursor.fetchall())
    assert any("FOREIGN KEY" in d for d in found.values())
    return found


def _imported(program) -> list[tuple[Any, ...]]:
    """What an import wrote for ``program``, without the ids and references it numbers."""
    found = system(Encounter.objects.filter(call__program=program), reason="test")
    return sorted(
        found.values_list(
            "call__external_id",
            "call__received_at",
            "call__address",
            "call__status",
            "dispatched_at",
            "arrived_at",
            "cleared_at",
            "contact_outcome",
            "disposition",
            "disposition_text",
        )
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="--bulk drops indexes: PostgreSQL")
def test_a_bulk_import_writes_the_same_rows_keeps_every_index_and_keeps_nothing_of_a_crash(
    world, tmp_path, monkeypatch
) -> None:
    from corespond.imports import importer as module

    before = _indexes()
    path = write(tmp_path)
    real_file = module._copy_file
    written = {"encounters": 0}

    def crash_on_second_encounter_batch(cursor, model, columns, csv_path):
        if model is Encounter:
            written["encounters"] += 1
            if written["encounters"] == 2:
                raise OSError("disk full")
        return real_file(cursor, model, columns, csv_path)

    monkeypatch.setattr(module, "_copy_file", crash_on_second_encounter_batch)
    with pytest.raises(OSError):
        importer(world, batch_size=2, bulk=True).run(path)
    monkeypatch.undo()
    # One transaction: the first batch went with the second, and the indexes came back.
    assert calls() == {}
    assert _indexes() == before
    report = importer(world, batch_size=2, bulk=True).run(path)
    assert report.bulk and (report.written, report.encounters_written) == (4, 4)
    assert "indexes and keys put back once at the end (bulk)" in "\n".join(report.lines())
    assert _indexes() == before
    # The same file the ordinary way, into another program, writes the same rows.
    plain = Importer(profiles.parse(PROFILE), world.elsewhere, world.far_county).run(path)
    assert not plain.bulk
    assert _imported(world.program) == _imported(world.elsewhere)
    assert len(_imported(world.program)) == 4
    # Again in bulk: nothing new.
    again = importer(world, bulk=True).run(path)
    assert (again.written, again.already_imported) == (0, 4)


def test_the_bulk_option_says_when_it_changes_nothing(world, tmp_path) -> None:
    profile_file = tmp_path / "test-cad.yaml"
    profile_file.write_text(json.dumps(PROFILE))
    out = StringIO()
    call_command(
        "import",
        "encounters",
        str(write(tmp_path)),
        "--profile",
        str(profile_file),
        "--program",
        "riverside",
        "--bulk",
        "--no-progress",
        stdout=out,
    )
    if connection.vendor == "postgresql":
        assert "indexes and keys put back once at the end (bulk)" in out.getvalue()
    else:
        assert "--bulk changed nothing" in out.getvalue()
    assert len(calls()) == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "rows"}, "kind: calls or encounters"),
        ({"timezone": "Mars/Olympus"}, "timezone: unknown zone"),
        ({"fields": {"arrived_at": "On Scene"}}, "fields.received_at: required"),
        ({"fields": {"received_at": "X", "colour": "Y"}}, "fields.colour: unknown field"),
        (
            {"fields": {"received_at": "X", "disposition": {"column": "O", "map": {"a": "jail"}}}},
            "fields.disposition.map['a']: 'jail' is not a code of disposition",
        ),
        (
            {"fields": {"received_at": "X", "arrived_at": {"column": "A", "fallback": "B"}}},
            "only received_at takes a fallback",
        ),
    ],
)
def test_a_bad_profile_is_refused_naming_the_key(change, message) -> None:
    with pytest.raises(profiles.ProfileError, match=message.replace("[", r"\[")):
        profiles.parse({**PROFILE, **change})


def test_a_file_without_the_profiles_columns_is_refused_before_reading(world, tmp_path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Case,When\n1,3/1/2026 10:00\n")
    with pytest.raises(FileProblem, match="id: none of the columns"):
        importer(world).run(path)
    assert not calls()


def test_the_import_command_prints_the_report_and_refuses_clearly(world, tmp_path) -> None:
    profile_file = tmp_path / "test-cad.yaml"
    profile_file.write_text(json.dumps(PROFILE))  # JSON is YAML too
    path = write(tmp_path)
    out = StringIO()
    args = ["encounters", str(path), "--profile", str(profile_file), "--program", "riverside"]
    call_command("import", *args, "--no-progress", stdout=out)
    assert "written            4 calls, 4 encounters" in out.getvalue()
    assert "unmapped disposition: 1 rows took the default; 'Jail' (1)" in out.getvalue()
    assert re.search(r"Metrics: [1-9]\d* program-days changed;.*metrics --refresh", out.getvalue())
    out = StringIO()
    call_command("import", *args, "--no-progress", "--report", "json", stdout=out)
    assert json.loads(out.getvalue())["already_imported"] == 4
    with pytest.raises(CommandError, match="describes encounters, not calls"):
        call_command("import", "calls", str(path), "--profile", str(profile_file))
    with pytest.raises(CommandError, match="No profile 'nope'"):
        call_command("import", "calls", str(path), "--profile", "nope")
    with pytest.raises(CommandError, match="No agency 'far-county' in program riverside"):
        call_command("import", *args, "--agency", "far-county")


def test_the_shipped_profiles_load() -> None:
    assert {"lane-county-mcslc", "seattle-spd"} <= set(profiles.shipped())
    for name in profiles.shipped():
        assert profiles.load(name).name == name


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("%m/%d/%Y %H:%M", "3/1/2026 9:05"),
        ("%m/%d/%Y %H:%M", "12/31/2025 23:59"),
        ("%m/%d/%Y %I:%M:%S %p", "11/04/2023 12:08:26 AM"),
        ("%m/%d/%Y %I:%M:%S %p", "11/04/2023 12:08:26 PM"),
        ("%m/%d/%Y %I:%M:%S %p", "11/04/2023 6:51:06 pm"),
        ("%Y-%m-%d", "2024-05-14"),
        ("%Y-%m-%d %H:%M:%S", "2024-05-14 07:00:01"),
        ("%d.%m.%Y %H:%M", "14.05.2024 07:00"),
        ("%Y-%m-%dT%H:%M:%S%z", "2024-05-14T07:00:01-0700"),  # strptime's own path
    ],
)
def test_the_fast_time_parser_reads_like_strptime(fmt, text) -> None:
    from datetime import datetime

    from corespond.imports.importer import _time_parser

    assert _time_parser(fmt)(text) == datetime.strptime(text, fmt)


@pytest.mark.parametrize("text", ["2/30/2026 10:00", "3/1/2026 25:00", "3/1/26 10:00", "x"])
def test_the_fast_time_parser_refuses_what_strptime_refuses(text) -> None:
    from corespond.imports.importer import _time_parser

    assert _time_parser("%m/%d/%Y %H:%M")(text) is None


def test_the_catalogs_kept_figures_follow_an_import(world, tmp_path) -> None:
    """The import writes with COPY on PostgreSQL, which no Django signal sees: the database's
    triggers mark the days, and the catalog from the kept figures equals counting."""
    from corespond.outcomes import metrics
    from corespond.outcomes.models import StaleDay

    filters = metrics.Filters(program_id=world.program.pk, tz=world.program.timezone)
    before = metrics.compute(filters, system_reason="test")
    assert not StaleDay.objects.exists()
    importer(world).run(write(tmp_path))
    assert StaleDay.objects.filter(program_id=world.program.pk).count() == 2  # 1 and 2 March
    kept = metrics.compute(filters, system_reason="test")
    assert kept == metrics.compute(filters, system_reason="test", stored=False)
    assert kept["calls.total"]["value"] == before["calls.total"]["value"] + 4
