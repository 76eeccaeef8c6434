"""The shipped profiles on the real exports in ../shared/data, and the metric catalog over them
against what an analyst computes by hand from the raw files (csv module, no corespond code)."""

from __future__ import annotations

import csv
import math
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from corespond.imports import profile as profiles
from corespond.imports.importer import Importer
from corespond.outcomes import metrics
from tests.conftest import real_data_path
from tests.factories import AgencyFactory, ProgramFactory

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
LANE_TIMES = [
    "Dispatch Request Date & Time",
    "Dispatch Date & Time",
    "Arrival on Scene Date & Time",
    "Engagement with Client Date & Time",
    "MCIT Departure Date & Time",
]


def by_hand_percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (what numpy.percentile does by default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def read_rows(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def lane_time(text: str) -> datetime | None:
    """Local wall-clock time to an instant (in UTC, so intervals across a daylight-saving
    change are the time that really passed)."""
    text = text.strip()
    if not text or text.endswith(" 0:00"):  # the export's "time not recorded"
        return None
    local = datetime.strptime(text, "%m/%d/%Y %H:%M").replace(tzinfo=LA)
    return local.astimezone(UTC)


def lane_by_hand(path: str) -> dict[str, Any]:
    rows = read_rows(path)
    # Rows that carry a date somewhere (a "0:00" cell still gives the date).
    dated = [r for r in rows if any(r[c].strip() for c in LANE_TIMES)]
    outcome = {
        "engaged client": "engaged",
        "unable to locate": "unable_to_locate",
        "unable to locate client": "unable_to_locate",
        "refused": "refused",
        "cancelled": "cancelled",
        "dispatch canceled before arrival": "cancelled",
        "client declined to engage": "declined",
        "no contact due to safety concern": "safety",
        "other": "other",
    }
    known = [
        outcome[" ".join(r["End Point of Dispatch"].lower().split())]
        for r in dated
        if r["End Point of Dispatch"].strip()
    ]
    dispositions = [" ".join(r["Disposition"].lower().split()) for r in dated]
    disposed = [d for d in dispositions if d]
    intervals: dict[str, list[float]] = {"queue": [], "travel": [], "response": [], "on_scene": []}
    pairs = {
        "queue": (0, 1),
        "travel": (1, 2),
        "response": (0, 2),
        "on_scene": (2, 4),
    }
    for r in dated:
        stamps = [lane_time(r[c]) for c in LANE_TIMES]
        for name, (a, b) in pairs.items():
            start, end = stamps[a], stamps[b]
            if start is not None and end is not None:
                minutes = (end - start).total_seconds() / 60
                if minutes >= 0:
                    intervals[name].append(minutes)
    return {
        "dated": len(dated),
        "engaged": known.count("engaged") / len(known),
        "unable_to_locate": known.count("unable_to_locate") / len(known),
        "known_outcomes": len(known),
        "remained": disposed.count("remained in community") / len(disposed),
        "ed": disposed.count("emergency department") / len(disposed),
        "arrest": disposed.count("arrest") / len(disposed),
        "intervals": intervals,
    }


@pytest.fixture
def lane(world) -> Any:
    program = ProgramFactory(slug="lane", name="Lane County", timezone="America/Los_Angeles")
    agency = AgencyFactory(slug="mcslc", name="MCSLC", kind="behavioral_health")
    program.agencies.add(agency)
    path = Path(real_data_path("lane-county-mcslc", "MCSLC.csv"))
    report = Importer(profiles.load("lane-county-mcslc"), program, agency).run(path)
    program.report = report
    return program


def test_lane_county_metrics_match_the_hand_count(lane) -> None:
    hand = lane_by_hand(real_data_path("lane-county-mcslc", "MCSLC.csv"))
    report = lane.report
    assert report.written == hand["dated"]
    assert report.written + sum(report.skipped.values()) == report.rows_read == 4682
    m = metrics.compute(
        metrics.Filters(program_id=lane.pk, tz="America/Los_Angeles"), system_reason="test"
    )
    assert m["calls.total"]["value"] == hand["dated"]
    assert m["contact.engaged_rate"]["denominator"] == hand["known_outcomes"]
    assert m["contact.engaged_rate"]["value"] == pytest.approx(hand["engaged"])
    assert m["contact.unable_to_locate_rate"]["value"] == pytest.approx(hand["unable_to_locate"])
    assert m["disposition.share.remained_in_community"]["value"] == pytest.approx(hand["remained"])
    assert m["disposition.share.emergency_department"]["value"] == pytest.approx(hand["ed"])
    assert m["disposition.share.arrest"]["value"] == pytest.approx(hand["arrest"])
    # The published medians for this file (PRODUCT.md): 13 min request to dispatch, 14 min
    # dispatch to arrival, 22 min on scene.
    assert m["response.queue_minutes.p50"]["value"] == 13
    assert m["response.travel_minutes.p50"]["value"] == 14
    assert m["response.on_scene_minutes.p50"]["value"] == 22
    for name, values in hand["intervals"].items():
        for pct in (50, 90):
            got = m[f"response.{name}_minutes.p{pct}"]
            assert got["n"] == len(values), name
            assert got["value"] == pytest.approx(by_hand_percentile(values, pct)), (name, pct)


def test_lane_county_imports_once(lane) -> None:
    path = Path(real_data_path("lane-county-mcslc", "MCSLC.csv"))
    agency = lane.agencies.get()
    again = Importer(profiles.load("lane-county-mcslc"), lane, agency).run(path)
    assert again.written == 0 and again.already_imported == lane.report.written


@pytest.mark.parametrize("name", ["calls-sample.csv", "calls-with-arrival-sample.csv"])
def test_seattle_calls_import_with_the_behavioural_health_flag_by_call_type(world, name) -> None:
    path = real_data_path("seattle-spd", name)
    rows = read_rows(path)
    final = next(k for k in rows[0] if k.replace(".", " ") == "Final Call Type")
    bh_types = {
        "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS",
        "SUICIDE - SUICIDAL PERSON AND ATTEMPTS",
        "SUICIDE - CRITICAL",
        "OBS - MENTAL - PERSON OR PICKUP/TRANSPORT",
        "CRISIS COMPLAINT - GENERAL",
    }
    expected_bh = sum(1 for r in rows if r[final].strip().lstrip("-").strip() in bh_types)
    program = ProgramFactory(slug="seattle", name="Seattle", timezone="America/Los_Angeles")
    agency = AgencyFactory(slug="spd", name="SPD", kind="police")
    program.agencies.add(agency)
    report = Importer(profiles.load("seattle-spd"), program, agency).run(Path(path))
    assert report.written == len({r[next(iter(r))] for r in rows}) and not report.skipped
    m = metrics.compute(
        metrics.Filters(program_id=program.pk, tz="America/Los_Angeles"), system_reason="test"
    )
    assert m["calls.total"]["value"] == len(rows)
    assert m["calls.behavioral_health"]["value"] == expected_bh
    if "arrival" in name:

        def seattle_time(text: str) -> datetime:
            local = datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=LA)
            return local.astimezone(UTC)

        queued = [
            (seattle_time(r["Original Time Queued"]), seattle_time(r["Arrived Time"]))
            for r in rows
            if r["Arrived Time"].strip()
        ]
        minutes = [(b - a).total_seconds() / 60 for a, b in queued if b >= a]
        got = m["response.response_minutes.p50"]
        assert got["n"] == len(minutes)
        assert got["value"] == pytest.approx(by_hand_percentile(minutes, 50))
