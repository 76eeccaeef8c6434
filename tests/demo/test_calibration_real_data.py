"""The demo's calibration figures, recomputed from the Lane County file they cite."""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import datetime

from corespond.demo import params
from tests.conftest import real_data_path


def _time(value: str) -> datetime | None:
    try:
        parsed = datetime.strptime(value.strip(), "%m/%d/%Y %H:%M")
    except ValueError:
        return None
    # The file writes a missing time as the date at 0:00.
    return None if (parsed.hour, parsed.minute) == (0, 0) else parsed


def _rows() -> list[dict[str, str]]:
    path = real_data_path("lane-county-mcslc", "MCSLC.csv")
    with open(path, encoding="latin-1", newline="") as handle:
        return list(csv.DictReader(handle))


def _minutes(rows, start: str, end: str) -> list[float]:
    out = []
    for row in rows:
        a, b = _time(row[start]), _time(row[end])
        if a and b and b >= a:
            out.append((b - a).total_seconds() / 60)
    return out


def test_hour_and_weekday_weights_are_the_files_counts() -> None:
    rows = _rows()
    requests = [t for r in rows if (t := _time(r["Dispatch Request Date & Time"]))]
    hours = Counter(t.hour for t in requests)
    weekdays = Counter(t.weekday() for t in requests)
    assert [hours[h] for h in range(24)] == params.HOUR_WEIGHTS
    assert [weekdays[d] for d in range(7)] == params.WEEKDAY_WEIGHTS


def test_interval_medians_are_the_files_medians() -> None:
    rows = _rows()
    request, dispatch = "Dispatch Request Date & Time", "Dispatch Date & Time"
    arrival, departure = "Arrival on Scene Date & Time", "MCIT Departure Date & Time"
    assert statistics.median(_minutes(rows, request, dispatch)) == params.QUEUE_MINUTES[0]
    assert statistics.median(_minutes(rows, dispatch, arrival)) == params.TRAVEL_MINUTES[0]
    assert statistics.median(_minutes(rows, arrival, departure)) == params.ON_SCENE_MINUTES[0]


def test_contact_outcome_weights_are_the_files_counts() -> None:
    normalise = {
        "engaged client": "engaged",
        "unable to locate": "unable_to_locate",
        "unable to locate client": "unable_to_locate",
        "refused": "refused",
        "cancelled": "cancelled",
        "dispatch canceled before arrival": "cancelled",
        "client declined to engage": "declined_to_engage",
        "client declined  to engage": "declined_to_engage",
        "no contact due to safety concern": "no_contact_safety",
        "other": "other",
    }
    counts = Counter(
        normalise[v.strip().lower()] for r in _rows() if (v := r["End Point of Dispatch"].strip())
    )
    assert dict(counts) == params.CONTACT_WEIGHTS
