"""A schematic of where the teams and the waiting calls are, drawn without any map tiles.

Users may be offline and no tile server may be reached, so the board places points by their
latitude and longitude inside the box that holds them all, north up, and says it is not to
scale. Enough to see which team is closest; the ETA in the recommendation is the number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, MARGIN = 100.0, 60.0, 6.0


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    kind: str  # "team" or "call"
    status: str


def place(teams: Iterable[Any], calls: Iterable[Any]) -> list[Point]:
    """Points in a WIDTH x HEIGHT box; things without a known position are left out."""
    raw = [
        (t.last_latitude, t.last_longitude, t.call_sign, "team", t.status)
        for t in teams
        if t.last_latitude is not None and t.last_longitude is not None
    ] + [
        (c.latitude, c.longitude, c.reference, "call", "waiting")
        for c in calls
        if c.latitude is not None and c.longitude is not None
    ]
    if not raw:
        return []
    lats = [r[0] for r in raw]
    # Longitude degrees shrink towards the poles; scale them so the picture is not stretched.
    shrink = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [r[1] * shrink for r in raw]
    span = max(max(xs) - min(xs), max(lats) - min(lats))
    if span < 1e-6:
        # Everything at one spot (or one thing): draw it in the middle.
        return [
            Point(WIDTH / 2, HEIGHT / 2, label, kind, status)
            for (_lat, _lon, label, kind, status) in raw
        ]
    scale = min((WIDTH - 2 * MARGIN), (HEIGHT - 2 * MARGIN)) / span
    return [
        Point(
            x=round(MARGIN + (x - min(xs)) * scale, 2),
            y=round(HEIGHT - MARGIN - (lat - min(lats)) * scale, 2),
            label=label,
            kind=kind,
            status=status,
        )
        for (lat, _lon, label, kind, status), x in zip(raw, xs, strict=True)
    ]
