"""The compiled path (the profile as DuckDB SQL) against the Python converter: the same rows
and the same report for the same file, whichever database is in use."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from corespond.core.access import system
from corespond.field.models import Encounter
from corespond.imports import profile as profiles
from corespond.imports.compiled import NotCompilable, _utc_macro, _zone_changes
from corespond.imports.importer import Importer, Report
from corespond.intake.models import Call
from tests.conftest import real_data_path
from tests.imports.test_import import HEADER, PROFILE, ROWS

# A profile that uses every kind of field: times in two formats, a fallback, coded and
# yes/no fields with and without maps, numbers, text, a constant, keep_source_in.
WIDE = {
    "name": "wide-cad",
    "kind": "calls",
    "timezone": "America/Los_Angeles",
    "id": ["Case", "Incident No"],
    "missing": ["", "N/A", "Unknown", "-"],
    "timestamps": {
        "formats": ["%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        "midnight_means_missing": True,
    },
    "fields": {
        "received_at": {"column": "Queued", "fallback": ["Dispatched"]},
        "dispatched_at": "Dispatched",
        "arrived_at": "Arrived",
        "cleared_at": "Cleared",
        "source": {"column": "How", "map": {"911": "911", "Walk in": "self"}},
        "call_type": {
            "column": "Type",
            "default": "OTHER",
            "map": {"--Crisis": "EDP", "Suicidal": "SUICTHRT"},
        },
        "behavioral_health": {"column": "Type", "map": {"--Crisis": True, "Suicidal": True}},
        "weapons": "Weapons",
        "transported_by": "Transport",
        "latitude": "Lat",
        "longitude": "Lon",
        "address": {"column": "Town", "default": "County", "keep_source_in": "zone"},
        "zone": "Beat",
        "description": "Notes",
        "medical_emergency": {"value": False},
        "disposition": {
            "column": "Outcome",
            "keep_source_in": "disposition_text",
            "map": {"Home": "remained_in_community"},
        },
        "source_call_type": "Type",
    },
}
WIDE_HEADER = [
    "Case",
    "Queued",
    "Dispatched",
    "Arrived",
    "Cleared",
    "How",
    "Type",
    "Weapons",
    "Transport",
    "Lat",
    "Lon",
    "Town",
    "Beat",
    "Notes",
    "Outcome",
]
WIDE_ROWS = [
    # plain, 12-hour clock
    [
        "C1",
        "03/01/2026 10:00:00 AM",
        "2026-03-01 10:05",
        "2026-03-01 10:20",
        "",
        "911",
        "--Crisis",
        "yes",
        "police",
        "44.05",
        "-123.08",
        "Eugene",
        "B1",
        "note",
        "Home",
    ],
    # repeated hour (clocks back): Python reads the first 1:30
    [
        "C2",
        "11/02/2025 01:30:00 AM",
        "2025-11-02 01:45",
        "2025-11-02 01:10",
        "",
        "Walk in",
        "  SUICIDAL  ",
        "no",
        "none",
        " 44.1 ",
        "1e2",
        "  Springfield ",
        "",
        "",
        "ED",
    ],
    # missing hour (clocks forward)
    [
        "C3",
        "03/08/2026 02:30:00 AM",
        "",
        "",
        "",
        "phone",
        "Welfare",
        "maybe",
        "ems",
        "x",
        "1_0",
        "N/A",
        "B2",
        "multi\nline",
        "-",
    ],
    # date only: midnight placeholder dates the call
    ["C4", "2026-03-02", "2026-03-02 00:00", "", "", "", "", "", "", "", "", "", "", "", ""],
    # non-ASCII text: converted in Python
    [
        "C5",
        "03/03/2026 09:00:00 PM",
        "",
        "",
        "",
        "911",
        "Crise",
        "1",
        "",
        "",
        "",
        "Zürich",
        "",
        "café",
        "Home",
    ],
    # unreadable received time: skipped, its fields after received_at not counted
    [
        "C6",
        "yesterday",
        "2026-03-01 10:05",
        "bad",
        "",
        "",
        "Odd",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "Jail",
    ],
    # id with spaces and slashes: the reference is a hash
    [
        "2026/000 7",
        "03/04/2026 11:00:00 am",
        "",
        "",
        "2026-03-04 12:00",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    # an id longer than 64 characters; an id that means missing
    ["L" * 70, "03/04/2026 11:00:00 AM", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["Unknown", "03/04/2026 11:00:00 AM", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    # nothing dates it: skipped as missing (after its unmapped values were counted)
    ["C9", "", "", "", "", "Fax", "Odd", "", "", "", "", "", "", "", "Jail"],
    # a duplicate of C1
    ["C1", "03/05/2026 10:00:00 AM", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    # impossible date, then an hour out of range: unreadable
    [
        "C10",
        "02/30/2026 10:00:00 AM",
        "2026-03-01 25:00",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "C11",
        "03/06/2026 10:00:00 AM",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "x" * 5000,
        "Home",
    ],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([""] * len(header))  # a blank record: skipped, not counted
        writer.writerows(rows)
    return path


def snapshot() -> dict[str, Any]:
    def values(obj: Any, skip: set[str]) -> tuple[Any, ...]:
        return tuple(
            getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in skip
        )

    calls = system(Call.objects.all(), reason="test")
    encounters = system(Encounter.objects.select_related("call"), reason="test")
    return {
        "calls": {c.external_id: values(c, {"id"}) for c in calls},
        "encounters": {
            e.external_id: (e.call.external_id, values(e, {"id", "call_id", "updated_at"}))
            for e in encounters
        },
    }


def clear() -> None:
    system(Encounter.objects.all(), reason="test", action="change").delete()
    system(Call.objects.all(), reason="test", action="change").delete()


def both_ways(
    world: Any, spec: dict[str, Any] | profiles.Profile, path: Path
) -> tuple[Report, Report]:
    """Import ``path`` with the Python converter, then (the table emptied) compiled; returns
    both reports and checks that the rows written are the same."""
    profile = spec if isinstance(spec, profiles.Profile) else profiles.parse(spec)
    python = Importer(profile, world.program, world.riverton, engine="python").run(path)
    written = snapshot()
    clear()
    compiled = Importer(profile, world.program, world.riverton, engine="compiled").run(path)
    assert compiled.engine == "compiled"
    assert snapshot() == written
    return python, compiled


def same_report(python: Report, compiled: Report) -> None:
    ignore = {"engine", "rows_in_python"}
    left = {k: v for k, v in python.as_dict().items() if k not in ignore}
    right = {k: v for k, v in compiled.as_dict().items() if k not in ignore}
    assert right == left
    assert compiled.lines() == python.lines()


def test_the_compiled_path_writes_what_the_python_path_writes(world, tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    python, compiled = both_ways(world, PROFILE, path)
    same_report(python, compiled)
    assert compiled.rows_in_python == 0


def test_every_kind_of_field_converts_alike_and_odd_rows_go_to_python(world, tmp_path) -> None:
    path = write_csv(tmp_path / "wide.csv", WIDE_HEADER, WIDE_ROWS)
    python, compiled = both_ways(world, WIDE, path)
    same_report(python, compiled)
    # Zürich/café (non-ASCII), "1_0" and "x" (numbers only Python's float() decides).
    assert compiled.rows_in_python == 2
    assert python.written == 7 and python.skipped == {"id": 2, "received_at": 3, "duplicate id": 1}
    assert python.already_imported == 0


def test_a_format_only_strptime_reads_sends_just_its_rows_to_python(world, tmp_path) -> None:
    spec: dict[str, Any] = copy.deepcopy(PROFILE)
    spec["timestamps"] = {
        **spec["timestamps"],
        "formats": ["%m/%d/%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z"],
    }
    rows = [*ROWS, "A9,2026-03-01T10:00:00-0500,,,,Eugene,Engaged,Home"]
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    python, compiled = both_ways(world, spec, path)
    same_report(python, compiled)
    assert compiled.rows_in_python == 2  # A9, and A3's unreadable "not a time"


@pytest.mark.parametrize(
    ("profile", "name"),
    [
        ("lane-county-mcslc", "MCSLC.csv"),
        ("seattle-spd", "calls-sample.csv"),
        ("seattle-spd", "calls-with-arrival-sample.csv"),
    ],
)
def test_the_real_exports_import_alike_both_ways(world, profile, name) -> None:
    path = Path(real_data_path(profile, name))
    python, compiled = both_ways(world, profiles.load(profile), path)
    same_report(python, compiled)
    # Rows the SQL cannot convert exactly are few (non-ASCII text, odd numbers).
    assert compiled.rows_in_python < compiled.rows_read / 10


def test_a_second_run_of_the_compiled_path_writes_nothing(world, tmp_path) -> None:
    path = write_csv(tmp_path / "wide.csv", WIDE_HEADER, WIDE_ROWS)
    profile = profiles.parse(WIDE)
    first = Importer(profile, world.program, world.riverton, engine="compiled").run(path)
    before = snapshot()
    again = Importer(profile, world.program, world.riverton, engine="compiled").run(path)
    assert (again.written, again.already_imported) == (0, first.written)
    assert snapshot() == before


def test_a_file_duckdb_reads_differently_takes_the_python_path(world, tmp_path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(HEADER + "\n".join([*ROWS, "A8,3/1/2026 10:00"]) + "\n")  # a short row
    profile = profiles.parse(PROFILE)
    report = Importer(profile, world.program, world.riverton).run(path)
    assert report.engine == "python" and report.written == 5
    with pytest.raises(NotCompilable):
        clear()
        Importer(profile, world.program, world.riverton, engine="compiled").run(path)


@pytest.mark.parametrize(
    "zone", ["America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "Asia/Tokyo", "UTC"]
)
def test_local_times_around_clock_changes_read_as_python_reads_them(zone) -> None:
    """Python reads a repeated wall time as its first occurrence (fold=0) and a skipped one
    with the offset before the change; the SQL macro must give the same instants."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(_utc_macro(zone))
    stamps = [datetime(1950, 6, 1, 12), datetime(2090, 7, 1, 9), datetime(1900, 1, 1)]
    stamps.append(datetime(2100, 12, 31, 23, 59, 59))
    for instant, _, _ in _zone_changes(zone):
        if 1940 <= instant.year <= 1946 or 2020 <= instant.year <= 2040:
            day = datetime(instant.year, instant.month, instant.day) - timedelta(days=1)
            stamps += [day + timedelta(minutes=m) for m in range(0, 3 * 24 * 60, 10)]
    expected = [
        s.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None) for s in stamps
    ]
    got = con.execute("SELECT to_utc(unnest($1::TIMESTAMP[]))", [stamps]).fetchall()
    assert [g[0] for g in got] == expected
